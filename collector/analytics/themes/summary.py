"""What a CX team reads per theme: how many, how they felt, what they wrote.

Counts are of comments that carry the theme at all (primary or not), so
"12 % mention shipping costs" reads as people expect; ``primary`` counts
only those whose first theme it is.  ``share`` is of all the step's
comments, themed or not.  ``share_change`` is the share now minus the
share in the previous window of equal length (None when that window had no
comments), both windows assigned with the same model so the two shares
are comparable.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from collector.analytics.stats import Moments, mean_ci
from collector.analytics.themes.assign import compiled
from collector.analytics.themes.model import Comment, ThemeModel

EXAMPLES = 3
SENTIMENTS = ("negative", "neutral", "positive")


def themes_of(model: ThemeModel, comments: Iterable[Comment]) -> dict[str, list[str]]:
    """Each comment's theme keys: stored ones from the rebuild, else assigned now."""
    assigner = compiled(model)
    result = {}
    for comment in comments:
        key = str(comment.id)
        stored = model.assignments.get(key)
        result[key] = stored if stored is not None else assigner(comment.text, comment.language)
    return result


def counts(assignments: Mapping[str, list[str]]) -> Counter:
    """Comments per theme key (any position): what ``previous_counts`` wants."""
    return Counter(key for keys in assignments.values() for key in dict.fromkeys(keys))


def _examples(key: str, label: str, members: list[Comment]) -> list[str]:
    """A few comments as stored: those that use the label's words first, mid-length first."""
    words = label.lower()

    def rank(comment: Comment):
        text = comment.text.strip()
        return (words not in text.lower(), abs(len(text) - 60), text)

    chosen: list[str] = []
    for comment in sorted(members, key=rank):
        text = comment.text.strip()
        if text and text not in chosen:
            chosen.append(text)
        if len(chosen) >= EXAMPLES:
            break
    return chosen


def summarise(
    model: ThemeModel,
    comments: Iterable[Comment],
    previous_counts: Mapping[str, int] | None = None,
    previous_total: int | None = None,
    include_hidden: bool = False,
) -> list[dict[str, Any]]:
    """The step's themes as the themes API shows them, largest first (pinned first)."""
    comments = list(comments)
    assignments = themes_of(model, comments)
    total = len(comments)
    members: dict[str, list[Comment]] = {}
    primary: Counter = Counter()
    for comment in comments:
        keys = assignments[str(comment.id)]
        if keys:
            primary[keys[0]] += 1
        for key in dict.fromkeys(keys):
            members.setdefault(key, []).append(comment)
    result = []
    for theme in model.themes:
        if theme.hidden and not include_hidden:
            continue
        group = members.get(theme.key, [])
        sentiment = Counter(c.sentiment for c in group if c.sentiment in SENTIMENTS)
        emotions = [c.emotion for c in group if c.emotion is not None]
        moments = Moments(len(emotions), sum(emotions), sum(e * e for e in emotions))
        low, high = mean_ci(moments)
        share = len(group) / total if total else 0.0
        change = None
        if previous_counts is not None and previous_total:
            change = share - previous_counts.get(theme.key, 0) / previous_total
        result.append(
            {
                "key": theme.key,
                "label": theme.label,
                "count": len(group),
                "primary": primary.get(theme.key, 0),
                "share": share,
                "sentiment": {name: sentiment.get(name, 0) for name in SENTIMENTS},
                "emotion": {"mean": moments.mean, "ci_low": low, "ci_high": high, "n": moments.n},
                "phrases": list(theme.phrases),
                "examples": _examples(theme.key, theme.label, group),
                "share_change": change,
                "pinned": theme.pinned,
                "hidden": theme.hidden,
            }
        )
    result.sort(key=lambda t: (not t["pinned"], -t["count"], t["key"]))
    return result
