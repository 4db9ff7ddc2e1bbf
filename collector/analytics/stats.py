"""Small, dependency-free statistics for the curve: intervals and tests from sums.

Everything here works on sufficient statistics (n, Σx, Σx²; successes, n),
which is what the rollup tables store, so a curve never needs the raw rows.
The Student t distribution is computed from the regularised incomplete beta
function (a Lentz continued fraction, as in Numerical Recipes §6.4); the
tests in ``tests/analytics/test_stats.py`` check it against SciPy reference values.
"""

import math
from collections.abc import Hashable
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

Z95 = 1.959963984540054
# Above this many degrees of freedom the t and normal quantiles agree to ~1e-5.
NORMAL_DF = 100_000
Key = TypeVar("Key", bound=Hashable)


@dataclass(frozen=True)
class Moments:
    """n observations summarised by their sum and sum of squares."""

    n: int
    total: float
    total_sq: float

    @property
    def mean(self) -> float | None:
        return self.total / self.n if self.n else None

    @property
    def variance(self) -> float | None:
        """Sample (n − 1) variance; None below two observations."""
        if self.n < 2:
            return None
        return max(0.0, (self.total_sq - self.total * self.total / self.n) / (self.n - 1))

    def __sub__(self, other: "Moments") -> "Moments":
        return Moments(self.n - other.n, self.total - other.total, self.total_sq - other.total_sq)


@dataclass(frozen=True)
class TestResult:
    """A two-sample comparison: a − b, its 95% interval, the statistic and p-value
    (the statistic None where it would be infinite, see ``welch``)."""

    diff: float
    ci_low: float | None
    ci_high: float | None
    statistic: float | None
    p_value: float
    df: float | None = None


def betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_fraction(a, b, x) / a
    return 1.0 - front * _beta_fraction(b, a, 1.0 - x) / b


def _beta_fraction(a: float, b: float, x: float) -> float:
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 20_000):
        m2 = 2 * m
        for aa in (m * (b - m) * x / ((qam + m2) * (a + m2)), -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1.0 + aa * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + aa / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return h


def normal_two_sided_p(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2.0))


def t_two_sided_p(t: float, df: float) -> float:
    """P(|T| ≥ |t|) for Student's t with ``df`` degrees of freedom."""
    if math.isinf(t):
        return 0.0
    if df > NORMAL_DF:
        return normal_two_sided_p(t)
    return min(1.0, betainc(df / 2.0, 0.5, df / (df + t * t)))


@lru_cache(maxsize=4096)
def t_quantile_975(df: float) -> float:
    """The 97.5% quantile of Student's t (the 95% two-sided critical value), by bisection."""
    if df > NORMAL_DF:
        return Z95
    low, high = 0.0, 1000.0
    for _ in range(100):
        middle = (low + high) / 2.0
        if t_two_sided_p(middle, df) > 0.05:
            low = middle
        else:
            high = middle
    return (low + high) / 2.0


def mean_ci(moments: Moments) -> tuple[float | None, float | None]:
    """95% Student t interval of a mean (n − 1 degrees of freedom); undefined below n = 2."""
    variance = moments.variance
    if variance is None:
        return None, None
    half = t_quantile_975(float(moments.n - 1)) * math.sqrt(variance / moments.n)
    return moments.mean - half, moments.mean + half


def wilson(successes: int, n: int) -> tuple[float | None, float | None]:
    """95% Wilson score interval of a proportion; sound even for small n and shares near 0 or 1."""
    if n == 0:
        return None, None
    p = successes / n
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def welch(a: Moments, b: Moments) -> TestResult | None:
    """Welch's unequal-variance t-test of mean(a) − mean(b), with its 95% interval.

    Degrees of freedom by Welch–Satterthwaite. None when either side has fewer
    than two observations.

    When neither side varies (every answer in each group the same), the
    difference is known exactly: its interval is the difference itself, and
    p is 1 if the means are equal (t = 0), else 0 with no t (``statistic``
    None): t would be infinite, which JSON cannot carry.
    """
    if a.n < 2 or b.n < 2:
        return None
    diff = a.mean - b.mean
    va, vb = a.variance / a.n, b.variance / b.n
    se2 = va + vb
    if se2 <= 0.0:
        same = diff == 0
        return TestResult(diff, diff, diff, 0.0 if same else None, 1.0 if same else 0.0, float(a.n + b.n - 2))
    df = se2 * se2 / (va * va / (a.n - 1) + vb * vb / (b.n - 1))
    se = math.sqrt(se2)
    t = diff / se
    half = t_quantile_975(df) * se
    return TestResult(diff, diff - half, diff + half, t, t_two_sided_p(t, df), df)


def two_proportions(successes_a: int, n_a: int, successes_b: int, n_b: int) -> TestResult | None:
    """Two-proportion z-test of p(a) − p(b) (pooled standard error for the test,
    unpooled Wald standard error for the 95% interval)."""
    if n_a == 0 or n_b == 0:
        return None
    pa, pb = successes_a / n_a, successes_b / n_b
    diff = pa - pb
    pooled = (successes_a + successes_b) / (n_a + n_b)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    z = diff / se0 if se0 > 0 else 0.0
    half = Z95 * math.sqrt(pa * (1 - pa) / n_a + pb * (1 - pb) / n_b)
    return TestResult(diff, diff - half, diff + half, z, normal_two_sided_p(z) if se0 > 0 else 1.0)


def holm(p_values: list[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values, in the input order (reject where < alpha)."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [1.0] * m
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


def holm_adjusted(p_values: dict[Key, float]) -> dict[Key, float]:
    """Holm-adjusted p-values of one family of tests, keyed (and ordered) as given."""
    return dict(zip(p_values, holm(list(p_values.values()))))
