"""The curve's statistics against reference values.

The reference numbers below were computed once with SciPy 1.17
(scipy.stats.t.sf / t.ppf / t.interval, ttest_ind(equal_var=False) and its
confidence_interval(), binomtest(...).proportion_ci(method="wilson"),
norm.sf for the pooled two-proportion z) and are stored here as literals, so
the test suite does not depend on SciPy.
"""

import pytest

from collector.analytics.stats import (
    Moments,
    betainc,
    holm,
    mean_ci,
    t_quantile_975,
    t_two_sided_p,
    two_proportions,
    welch,
    wilson,
)

X = [0.5, -0.5, 1.0, 0.0, -1.0, 0.5, 1.0, 0.5]
Y = [-0.5, -1.0, 0.0, -0.5, 0.5, -1.0]


def moments(values):
    return Moments(len(values), sum(values), sum(v * v for v in values))


@pytest.mark.parametrize(
    "t, df, expected",
    [
        (2.0, 10, 0.07338803477074037),
        (1.3, 2.5, 0.3004867892707083),
        (4.5, 300, 9.731650362215434e-06),
        (0.1, 1, 0.936548965138893),
        (3.2, 57.3, 0.0022414326070281224),
    ],
)
def test_t_two_sided_p_matches_scipy(t, df, expected):
    """P(|T| ≥ t) agrees with scipy.stats.t.sf to 1e-10 (relative)."""
    assert t_two_sided_p(t, df) == pytest.approx(expected, rel=1e-10)
    assert t_two_sided_p(-t, df) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize(
    "df, expected",
    [(1, 12.706204736174694), (4, 2.7764451051977934), (29, 2.045229642132703), (1000, 1.9623390808264083)],
)
def test_t_quantile_matches_scipy(df, expected):
    assert t_quantile_975(float(df)) == pytest.approx(expected, rel=1e-9)


def test_t_quantile_tends_to_normal_for_huge_df():
    assert t_quantile_975(1e7) == pytest.approx(1.959963984540054)


def test_betainc_edges():
    assert betainc(2, 3, 0) == 0 and betainc(2, 3, 1) == 1
    assert betainc(1, 1, 0.3) == pytest.approx(0.3)


def test_mean_interval_is_student_t():
    """95% t interval of a mean, as scipy.stats.t.interval(0.95, n-1, mean, sem)."""
    low, high = mean_ci(moments(X))
    assert moments(X).mean == pytest.approx(0.25)
    assert (low, high) == pytest.approx((-0.341156062898196, 0.841156062898196), rel=1e-9)


def test_mean_interval_edge_cases():
    assert mean_ci(Moments(0, 0, 0)) == (None, None)
    assert mean_ci(Moments(1, 0.5, 0.25)) == (None, None)
    # Constant values: zero-width interval, not an error or a negative variance.
    low, high = mean_ci(Moments(3, 1.5, 0.75))
    assert low == pytest.approx(0.5) and high == pytest.approx(0.5)


def test_welch_matches_scipy():
    """Statistic, Welch–Satterthwaite df, p-value and 95% interval of mean(X) − mean(Y)."""
    result = welch(moments(X), moments(Y))
    assert result.statistic == pytest.approx(1.9289712886816488, rel=1e-9)
    assert result.df == pytest.approx(11.824410743650649, rel=1e-9)
    assert result.p_value == pytest.approx(0.07808051906989955, rel=1e-8)
    assert (result.ci_low, result.ci_high) == pytest.approx((-0.08758913838424942, 1.4209224717175828), rel=1e-8)


def test_welch_edge_cases():
    assert welch(Moments(1, 1, 1), moments(Y)) is None
    same = welch(Moments(3, 3, 3), Moments(4, 4, 4))
    assert same.p_value == 1.0 and same.diff == 0
    apart = welch(Moments(3, 3, 3), Moments(4, -4, 4))
    # t would be infinite: none is given (JSON has no Infinity), the interval is the difference itself
    assert apart.p_value == 0.0 and apart.diff == 2 and apart.statistic is None
    assert (apart.ci_low, apart.ci_high) == (2, 2)


@pytest.mark.parametrize(
    "successes, n, expected",
    [
        (0, 10, (0.0, 0.27753279986288926)),
        (10, 10, (0.7224672001371109, 1.0)),
        (7, 20, (0.1811918241010821, 0.5671457233147637)),
        (1, 1, (0.20654931437723745, 1.0)),
        (45, 60, (0.6276792992295218, 0.8422347746994333)),
    ],
)
def test_wilson_matches_scipy(successes, n, expected):
    assert wilson(successes, n) == pytest.approx(expected, abs=1e-12)


def test_wilson_without_answers():
    assert wilson(0, 0) == (None, None)


def test_two_proportions_matches_reference():
    """Pooled z and p; unpooled Wald interval of the difference."""
    result = two_proportions(45, 60, 30, 60)
    assert result.diff == pytest.approx(0.25)
    assert result.statistic == pytest.approx(2.82842712474619, rel=1e-9)
    assert result.p_value == pytest.approx(0.004677734981047266, rel=1e-9)
    assert (result.ci_low, result.ci_high) == pytest.approx((0.08263621289470058, 0.4173637871052994), rel=1e-9)


def test_two_proportions_edge_cases():
    assert two_proportions(0, 0, 3, 10) is None
    everyone = two_proportions(10, 10, 20, 20)
    assert everyone.p_value == 1.0 and everyone.statistic == 0.0


def test_holm_adjusts_in_input_order():
    """Holm step-down: sorted p × (m − rank), made monotone, capped at 1."""
    assert holm([0.01, 0.04, 0.03, 0.5]) == pytest.approx([0.04, 0.09, 0.09, 0.5])
    assert holm([]) == []
    assert holm([0.9, 0.8]) == [1.0, 1.0]
