"""Small, dependency-free statistics for the curve: confidence intervals on means and shares."""

import math

Z95 = 1.959963984540054


def mean_ci(n: int, mean: float | None, mean_of_squares: float | None) -> tuple[float | None, float | None]:
    """95% normal-approximation interval of a mean from its first two moments.

    Uses the sample (n − 1) variance; undefined below two observations.
    """
    if n < 2 or mean is None or mean_of_squares is None:
        return None, None
    variance = max(0.0, (mean_of_squares - mean * mean) * n / (n - 1))
    half = Z95 * math.sqrt(variance / n)
    return mean - half, mean + half


def wilson(successes: int, n: int) -> tuple[float | None, float | None]:
    """95% Wilson score interval of a proportion; sound even for small n and shares near 0 or 1."""
    if n == 0:
        return None, None
    p = successes / n
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)
