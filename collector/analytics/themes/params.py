"""The theme engine's knobs, in one frozen dataclass that every stage of a rebuild reads."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Params:
    """The engine's knobs (defaults tuned on the dev split only)."""

    #: Smallest theme: this share of the step's comments, and at least ``min_size``.
    min_share: float = 0.01
    min_size: int = 3
    max_themes: int = 30
    #: A feature must occur in this many comments to count at all.
    min_df: int = 2
    #: Words in more than this share of comments start no theme.  Off (1.0):
    #: comments start in their *rarest* candidate, so the step's own word
    #: ("payment" at payment) only gathers comments that say nothing more,
    #: and a step where everyone says the same thing still gets its theme.
    max_seed_share: float = 1.0
    #: A two-word phrase counts as this much rarer when comments pick their seed.
    phrase_boost: float = 1.5
    #: Smoothing of the word distributions and of the theme sizes.
    beta: float = 0.1
    alpha: float = 1.0
    iterations: int = 15
    #: A comment joins its best theme when that explains it this many nats
    #: better than the step's overall word distribution.
    gate: float = 0.0
    #: The mixture is fitted on at most this many comments (a sample stable
    #: under additions: the comments with the smallest id hashes); every
    #: comment is then assigned with the fitted model.
    sample: int = 20_000
    #: Anchors: features with this share of their comments in the theme.
    anchor_precision: float = 0.6
    #: Two themes whose feature profiles have at least this cosine become one.
    merge_similarity: float = 0.45
    merge_rounds: int = 20
    #: EM iterations after each merge (the fit starts from the merged themes).
    refit_iterations: int = 6
