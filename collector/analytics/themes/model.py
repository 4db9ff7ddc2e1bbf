"""The theme engine's values: what goes in, what a rebuild returns, what is stored.

Everything here is plain data: a :class:`ThemeModel` turns into JSON with
:meth:`ThemeModel.to_dict` and back with :meth:`ThemeModel.from_dict`, so the
integrator can keep one row per (site, journey, step, window) and assign new
comments from it without re-running the rebuild.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

#: Bump when the meaning of a stored model changes (features, weights, gate).
MODEL_VERSION = 2


@dataclass(frozen=True)
class Comment:
    """One stored comment as the engine needs it.

    ``text`` is the comment as stored (already redacted); ``language`` is the
    sentiment's detection or the answer's locale (ISO 639-1, may be None);
    ``sentiment`` is ``positive|neutral|negative`` and ``emotion`` the answer's
    emotion score in [-1, 1], both only used by :func:`summarise`.
    """

    id: Any
    text: str
    language: str | None = None
    sentiment: str | None = None
    emotion: float | None = None


@dataclass
class Theme:
    """A recurring reason at one step, with what it takes to recognise it again.

    ``weights`` maps features (lemmas, or two lemmas joined by a space, sorted)
    to log P(feature | theme) − ``base``; features the theme never saw score
    ``base``.  ``anchors`` are the features specific enough that a comment
    containing one also carries this theme as a secondary theme.  ``rule``
    holds the curated phrases of a theme split off by a rule.
    """

    key: str
    label: str
    phrases: list[str]
    size: int
    weights: dict[str, float] = field(default_factory=dict)
    base: float = 0.0
    prior: float = 0.0
    anchors: list[str] = field(default_factory=list)
    rule: list[str] = field(default_factory=list)
    parent: str | None = None
    pinned: bool = False
    hidden: bool = False


@dataclass
class ThemeModel:
    """The themes of one step (and window/segment) and how to assign to them.

    ``assignments`` maps each built comment's id (as a string) to its theme
    keys, primary first (empty: the comment fits no theme).  ``background``
    holds log P(feature) over all comments: a comment is themed only when its
    best theme explains it ``gate`` nats better than the background does.
    ``corrections`` maps misspelt lemmas seen at the rebuild to the lemma
    they meant.  ``aliases`` maps keys merged away to the key they went into.
    """

    themes: list[Theme]
    background: dict[str, float]
    background_base: float
    gate: float
    corrections: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    assignments: dict[str, list[str]] = field(default_factory=dict)
    comments: int = 0
    version: int = MODEL_VERSION

    def theme(self, key: str) -> Theme | None:
        """The theme with this key, following merges (None when there is none)."""
        key = self.aliases.get(key, key)
        return next((theme for theme in self.themes if theme.key == key), None)

    def to_dict(self, assignments: bool = True) -> dict[str, Any]:
        """JSON-ready data; leave ``assignments`` out when they are stored per comment."""
        data = asdict(self)
        if not assignments:
            data["assignments"] = {}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ThemeModel:
        """The model :meth:`to_dict` wrote (refuses another model version)."""
        if data.get("version") != MODEL_VERSION:
            raise ValueError(f"theme model version {data.get('version')!r} is not {MODEL_VERSION}")
        values = dict(data)
        values["themes"] = [Theme(**theme) for theme in data["themes"]]
        return cls(**values)
