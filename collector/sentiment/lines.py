"""Batch scoring of line-oriented input, for the ``stepsense sentiment`` command."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from collector.sentiment.scorer import score


def score_lines(lines: Iterable[str]) -> Iterator[dict]:
    """Yield ``{"text", "polarity", "subjectivity", "label", "language"}`` per non-empty line.

    Line endings (LF or CRLF) and surrounding whitespace are stripped from
    ``text``; blank lines are skipped rather than reported as neutral, so
    the output has one object per comment.  "language" is the detected
    ISO 639-1 code (None when it cannot be told); a comment in a language
    without a lexicon is neutral.
    """
    for line in lines:
        text = line.strip()
        if not text:
            continue
        result = score(text)
        yield {
            "text": text,
            "polarity": result.polarity,
            "subjectivity": result.subjectivity,
            "label": result.label,
            "language": result.language,
        }
