"""What a CX user decided about a step's themes, kept apart from what the data says.

A rebuild clusters the comments afresh; the curation is then applied on top,
by key, so it survives every rebuild (keys stay stable across rebuilds, see
:func:`collector.analytics.themes.engine.build`) and rides along in the model
to new comments:

- ``renames``: key → label shown instead of the engine's label;
- ``merges``: key → key it is folded into (old keys keep resolving);
- ``splits``: a new theme defined by phrases ("gift card", "apple pay"),
  taken out of one parent theme or out of all comments — like Qualtrics'
  topic rules; a comment that contains a phrase gets that theme first;
- ``pinned``: keys that stay even when a rebuild finds no cluster for them,
  and are listed first;
- ``hidden``: keys still assigned (so their comments don't land elsewhere)
  but left out of summaries by default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Split:
    """A theme defined by phrases: any comment that contains one of them."""

    key: str
    label: str
    phrases: tuple[str, ...]
    parent: str | None = None


@dataclass(frozen=True)
class Curation:
    """Renames, merges, splits, pins and hides of one step's themes."""

    renames: Mapping[str, str] = field(default_factory=dict)
    merges: Mapping[str, str] = field(default_factory=dict)
    splits: tuple[Split, ...] = ()
    pinned: frozenset[str] = frozenset()
    hidden: frozenset[str] = frozenset()

    def rename(self, key: str, label: str) -> Curation:
        return replace(self, renames={**self.renames, key: label})

    def merge(self, sources: list[str] | tuple[str, ...], into: str) -> Curation:
        merges = dict(self.merges)
        merges.update({source: into for source in sources if source != into})
        return replace(self, merges=merges)

    def split(self, key: str, label: str, phrases: list[str] | tuple[str, ...], parent: str | None = None) -> Curation:
        kept = tuple(s for s in self.splits if s.key != key)
        return replace(self, splits=(*kept, Split(key, label, tuple(phrases), parent)))

    def pin(self, key: str) -> Curation:
        return replace(self, pinned=self.pinned | {key})

    def hide(self, key: str) -> Curation:
        return replace(self, hidden=self.hidden | {key})

    def target(self, key: str) -> str:
        """Where a key ends after merges (chains followed, cycles stopped)."""
        seen = {key}
        while key in self.merges and self.merges[key] not in seen:
            key = self.merges[key]
            seen.add(key)
        return key

    def to_dict(self) -> dict[str, Any]:
        return {
            "renames": dict(sorted(self.renames.items())),
            "merges": dict(sorted(self.merges.items())),
            "splits": [
                {"key": s.key, "label": s.label, "phrases": list(s.phrases), "parent": s.parent} for s in self.splits
            ],
            "pinned": sorted(self.pinned),
            "hidden": sorted(self.hidden),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Curation:
        data = data or {}
        return cls(
            renames=dict(data.get("renames") or {}),
            merges=dict(data.get("merges") or {}),
            splits=tuple(
                Split(s["key"], s["label"], tuple(s["phrases"]), s.get("parent")) for s in data.get("splits") or ()
            ),
            pinned=frozenset(data.get("pinned") or ()),
            hidden=frozenset(data.get("hidden") or ()),
        )
