"""Geometry of the emotional-journey chart, shared by the SVG export and the
dashboard's inline chart so both draw the same picture from the same numbers.

Emotion runs from −1 (bottom) to +1 (top) of the plot; steps without answers
break the line; the 95 % interval is a band around it; under the line, bars
show the share of sessions that reached each step and, in red, the share that
left there.
"""

from collections.abc import Sequence
from dataclasses import dataclass

TICKS = (1, 0.5, 0, -0.5, -1)


@dataclass(frozen=True)
class Plot:
    """The vertical extent of the emotion plot, in pixels from the top."""

    top: float
    height: float
    digits: int = 2  # decimals of the coordinates written out

    def y(self, emotion: float) -> float:
        """y of an emotion value, clamped to −1..1."""
        return round(self.top + (1 - max(-1.0, min(1.0, emotion))) / 2 * self.height, self.digits)


def runs(points: Sequence[tuple[float, ...] | None]) -> list[list[tuple[float, ...]]]:
    """Consecutive points that exist: a step without answers breaks the line."""
    found: list[list[tuple[float, ...]]] = []
    current: list[tuple[float, ...]] = []
    for point in points:
        if point is None:
            if current:
                found.append(current)
            current = []
        else:
            current.append(point)
    if current:
        found.append(current)
    return found


def band_outline(points: Sequence[tuple[float, float, float]]) -> str:
    """Polygon points of the interval band: along the tops, back along the bottoms.
    Each point is ``(x, y_low, y_high)``."""
    upper = [f"{x},{high}" for x, _, high in points]
    lower = [f"{x},{low}" for x, low, _ in reversed(points)]
    return " ".join(upper + lower)


def bar(share: float, bottom: float, height: float, digits: int = 2) -> tuple[float, float]:
    """``(y, h)`` of a bar standing on ``bottom`` whose full ``height`` is a share of 1."""
    h = round(share * height, digits)
    return round(bottom - share * height, digits), h
