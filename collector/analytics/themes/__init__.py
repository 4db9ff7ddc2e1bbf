"""Themes of comments per journey step: why it hurts, and for whom.

Pure and offline: no Flask, no database, no model downloaded.  The
integrator passes a step's comments in and stores the JSON-ready model that
comes out; new comments are assigned from the stored model.

    model = build(comments, curation, previous=last_model)
    keys = assign(model, "my card was declined", "en")
    rows = summarise(model, comments, previous_counts, previous_total)

May import analytics.stats only (and simplemma, numpy, scipy).
"""

from collector.analytics.themes.assign import Assigner, assign, compiled
from collector.analytics.themes.curation import Curation, Split
from collector.analytics.themes.engine import Params, build
from collector.analytics.themes.model import MODEL_VERSION, Comment, Theme, ThemeModel
from collector.analytics.themes.summary import counts, summarise, themes_of

__all__ = [
    "MODEL_VERSION",
    "Assigner",
    "Comment",
    "Curation",
    "Params",
    "Split",
    "Theme",
    "ThemeModel",
    "assign",
    "build",
    "compiled",
    "counts",
    "summarise",
    "themes_of",
]
