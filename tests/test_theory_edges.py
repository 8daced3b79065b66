"""Large-N stability boundaries (Appendix B.4): hard-coded polynomials against direct routes,
the three edge routes against each other, closed forms and scaling laws, and the paper's
statements about Fig. 2.

Tolerances: the hard-coded coefficients are compared with numerical discriminants/resultants
at random points to 1e-9 relative (they are exact polynomial identities; the slack is
rounding of the ~10-term sums). Edges from different routes must agree to 1e-6 (the issue's
requirement); in practice they agree to ~1e-11.
"""

import time

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.stats import linregress

from curldescent.specs import SpecError
from curldescent.theory.edges import (
    _hidden_c_poly,
    _hidden_delta_poly,
    _readout_alpha_poly,
    _readout_c_poly,
    boundary_curve,
    critical_alpha,
    critical_alpha_curve,
    critical_c,
    edge_candidates,
    hidden_cubic,
    hidden_edge_quartic,
    lower_edge,
    readout_cubic,
    readout_discriminant,
    spectral_edges,
    stability_map,
    support_intervals,
    wishart_edges,
)
from curldescent.theory.freeprob import density, density_onset, fold_edges


def _disc3(p):
    a, b, c, d = p
    return b * b * c * c - 4 * a * c**3 - 4 * b**3 * d - 27 * a * a * d * d + 18 * a * b * c * d


def _sylvester_resultant(p, q):
    m, n = len(p) - 1, len(q) - 1
    S = np.zeros((m + n, m + n))
    for i in range(n):
        S[i, i : i + m + 1] = p
    for i in range(m):
        S[n + i, i : i + n + 1] = q
    return np.linalg.det(S)


def _rand(rng):
    return float(np.exp(rng.uniform(np.log(0.05), np.log(20)))), float(rng.uniform(0.01, 0.99))


def test_hidden_cubic_is_the_papers_quartic_over_omega():
    """Eqs. (115)–(122): (A² − R)(1−ω)² = ω·Q_x(ω), with the paper's printed a4..a1, a0 = 0."""
    rng = np.random.default_rng(0)
    for _ in range(20):
        c, alpha = _rand(rng)
        D = 1 - 2 * alpha
        x, w = rng.normal(size=2) * 2
        A = 2 * w * (x - 1 / (c * (1 - w))) - 1
        R = 1 + 4 * w * (w + D)
        direct = (A * A - R) * (1 - w) ** 2
        assert w * np.polyval(hidden_cubic(x, c, alpha), w) == pytest.approx(
            direct, rel=1e-10, abs=1e-10
        )
        paper = [
            4 * (x * x - 1),
            (-4 * D * c - 8 * c * x * x - 4 * c * x + 8 * c + 8 * x) / c,
            (8 * D * c * c + 4 * c * c * x * x + 8 * c * c * x - 4 * c * c - 8 * c * x - 4 * c + 4)
            / c**2,
            (-4 * D * c - 4 * c * x + 4) / c,
        ]
        np.testing.assert_allclose(hidden_cubic(x, c, alpha), paper, rtol=1e-12)


def test_hidden_quartic_is_the_discriminant_and_the_resultant_has_the_spurious_factors():
    """q(x) = c⁶ disc(Q_x)/256; Res(P, P') = 16384 c⁻⁸ (x²−1)(Δc + cx − 1)² q(x) (docs/protocol.md:
    eliminating ω gives a degree-8 polynomial with spurious factors); also q(0) in c and in Δ."""
    rng = np.random.default_rng(1)
    for _ in range(20):
        c, alpha = _rand(rng)
        D = 1 - 2 * alpha
        x = float(rng.normal() * 2)
        q = np.polyval(hidden_edge_quartic(c, alpha), x)
        assert q == pytest.approx(c**6 * _disc3(hidden_cubic(x, c, alpha)) / 256, rel=1e-9)
        P = np.append(hidden_cubic(x, c, alpha), 0.0)
        res = _sylvester_resultant(P, np.polyder(P))
        assert res == pytest.approx(
            16384 / c**8 * (x * x - 1) * (D * c + c * x - 1) ** 2 * q, rel=1e-7
        )
        q0 = c**6 * _disc3(hidden_cubic(0.0, c, alpha)) / 256
        assert np.polyval(_hidden_c_poly(alpha), c) == pytest.approx(q0, rel=1e-9, abs=1e-12)
        assert np.polyval(_hidden_delta_poly(c), D) == pytest.approx(q0, rel=1e-9, abs=1e-12)


def test_readout_cubic_and_discriminant():
    """z = B_X(g) cleared of denominators; its discriminant (a quartic in z) and its values at z = 0."""
    rng = np.random.default_rng(2)
    for _ in range(20):
        c, alpha = _rand(rng)
        z, g = rng.normal(size=2) * 2
        B = 1 / g + 1 + (1 - alpha) / (c * (1 - g)) - alpha / (c * (1 + g))
        assert np.polyval(readout_cubic(z, c, alpha), g) == pytest.approx(
            (z - B) * g * (1 - g) * (1 + g) * c, rel=1e-10, abs=1e-10
        )
        d = _disc3(readout_cubic(z, c, alpha))
        assert np.polyval(readout_discriminant(c, alpha), z) == pytest.approx(
            d, rel=1e-9, abs=1e-12
        )
        d0 = _disc3(readout_cubic(0.0, c, alpha))
        assert np.polyval(_readout_c_poly(alpha), c) == pytest.approx(d0, rel=1e-9, abs=1e-12)
        assert np.polyval(_readout_alpha_poly(c), alpha) == pytest.approx(d0, rel=1e-9, abs=1e-12)


CASES = [
    ("hidden", 0.5, 0.5),
    ("hidden", 0.3, 0.05),  # lower edge of the small component of flipped inputs
    ("hidden", 2.0, 0.2),
    ("readout", 1.0, 0.1),
    ("readout", 0.01, 0.3),
    ("readout", 5.0, 0.02),
]


@pytest.mark.parametrize("layer,c,alpha", CASES)
def test_three_routes_agree_on_the_edges(layer, c, alpha):
    """Polynomial (quartic / discriminant), fold of the subordination fixed point and the onset
    of the fixed-point density agree to 1e-6 (they agree to ~1e-10)."""
    ah, ar = (alpha, 0.0) if layer == "hidden" else (0.0, alpha)
    lo, hi = spectral_edges(layer, c, alpha)
    flo, fhi = fold_edges(c, ah, ar)
    assert abs(lo - flo) <= 1e-6 * (1 + abs(lo))
    assert abs(hi - fhi) <= 1e-6 * (1 + abs(hi))
    w = 1e-3 * (hi - lo)
    onset = density_onset(lo - w, lo + w, c, ah, ar, tol=1e-8)
    assert abs(onset - lo) <= 1e-6 * (1 + abs(lo))
    below, above = density(np.array([lo - 1e-4, lo + 1e-4]), c, ah, ar, eta=1e-13)
    assert below < 1e-9 < 1e-4 < above


def test_filtering_is_needed_and_inner_gaps_are_found():
    """Readout c = 1, α_r = 0.3: X = I + W+ − W− has a gap; the edge polynomial has more real
    roots than outer edges and the smallest real root is not always the lower edge."""
    cands = edge_candidates("readout", 1.0, 0.3)
    assert len(cands) == 4
    ivals = support_intervals("readout", 1.0, 0.3)
    assert len(ivals) == 2
    gap = (ivals[0][1], ivals[1][0])
    assert gap[1] - gap[0] > 1e-3
    assert {round(gap[0], 9), round(gap[1], 9)} <= {round(k.x, 9) for k in cands}
    assert density(np.array([np.mean(gap)]), 1.0, 0.0, 0.3, eta=1e-13)[0] < 1e-9
    # hidden α_h = 0.05, c = 0.3: a small component of flipped inputs below the bulk
    ivals = support_intervals("hidden", 0.3, 0.05)
    assert len(ivals) == 2 and ivals[0][0] == pytest.approx(lower_edge("hidden", 0.3, 0.05))
    # a spurious (or wrong-branch) real root exists somewhere on a grid, and is rejected
    kinds = {
        k.kind
        for c in (0.2, 0.5, 2.0)
        for a in (0.1, 0.5, 0.9)
        for k in edge_candidates("hidden", c, a)
    }
    assert kinds - {"lower", "upper"}


def test_closed_forms_at_no_and_full_flips():
    """α ∈ {0, 1}: X = ±I + S, I ± S with S = W1ᵀW1 ~ (1/c)·MP(c) (eq. 109); the polynomial
    route at α = 1e-9 / 1 − 1e-9 approaches the same edges continuously where it should."""
    for c in (0.1, 0.5, 0.9):
        slo, shi = wishart_edges(c)
        assert (slo, shi) == pytest.approx(((1 - np.sqrt(c)) ** 2 / c, (1 + np.sqrt(c)) ** 2 / c))
        assert spectral_edges("hidden", c, 1 - 1e-9)[0] == pytest.approx(slo - 1, abs=1e-6)
        assert spectral_edges("hidden", c, 1e-9)[1] == pytest.approx(shi + 1, abs=1e-6)
        assert spectral_edges("readout", c, 1e-9)[1] == pytest.approx(shi + 1, abs=1e-6)
        assert spectral_edges("readout", c, 1 - 1e-9)[0] == pytest.approx(1 - shi, abs=1e-6)
        assert fold_edges(c, 1.0, 0.0) == pytest.approx((slo - 1, shi - 1), abs=1e-9)
        assert fold_edges(c, 0.0, 1.0) == pytest.approx((1 - shi, 1 - slo), abs=1e-9)
    # α_r → 0⁺ is not α_r = 0: the α_r N flipped hidden units form a small component at
    # x = 1/(2c) − O(√α_r) for c > 1/4 (expand B_X near g = −1), below the bulk but positive
    for c in (0.5, 0.9, 2.0, 10.0):
        assert spectral_edges("readout", c, 1e-10)[0] == pytest.approx(1 / (2 * c), abs=1e-4)
    # c = 1/4, α_h = 1: lower edge (1 − 1/2)²·4 − 1 = 0, the boundary
    assert lower_edge("hidden", 0.25, 1.0) == pytest.approx(0.0, abs=1e-14)
    assert critical_c("hidden", 1.0).c_crit == pytest.approx(0.25, abs=1e-12)


@pytest.mark.parametrize(
    "layer,alpha",
    [
        ("hidden", 0.1),
        ("hidden", 0.5),
        ("hidden", 0.9),
        ("readout", 0.05),
        ("readout", 0.2),
        ("readout", 0.4),
    ],
)
def test_c_crit_agrees_with_bisection_on_the_fixed_point_edge(layer, alpha):
    b = critical_c(layer, alpha)
    ah, ar = (alpha, 0.0) if layer == "hidden" else (0.0, alpha)
    root = brentq(
        lambda c: fold_edges(c, ah, ar)[0], b.c_crit * 0.5, b.c_crit * 2.0, xtol=1e-14, rtol=1e-13
    )
    assert b.c_crit == pytest.approx(root, rel=1e-8)
    assert b.regime == "stable for c < c_crit"
    a = critical_alpha(layer, b.c_crit)
    assert a.alpha_crit == pytest.approx(alpha, rel=1e-7)


def test_hidden_boundary_matches_the_paper_and_the_protocol():
    """c_crit decreases from 2/3 (α_h → 0⁺, with 2/3 − c_crit ∝ √α_h) to 1/4 (α_h = 1);
    near c ≈ 0.3 and weakly dependent on α_h for moderate and large α_h; α_h = 0 is stable."""
    alphas = np.linspace(0.02, 1.0, 50)
    cc = boundary_curve("hidden", alphas)
    assert np.all(np.isfinite(cc)) and np.all(np.diff(cc) < 0)
    assert np.all((cc > 0.25 - 1e-12) & (cc < 2 / 3))
    moderate = cc[alphas >= 0.25]
    assert moderate.min() >= 0.25 - 1e-12 and moderate.max() <= 0.4
    assert critical_c("hidden", 0.5).c_crit == pytest.approx(0.3097217, abs=1e-6)
    tiny = np.geomspace(1e-12, 1e-6, 7)
    fit = linregress(np.log(tiny), np.log(2 / 3 - boundary_curve("hidden", tiny)))
    assert fit.slope == pytest.approx(0.5, abs=0.01)  # square-root approach to 2/3
    b0 = critical_c("hidden", 0.0)
    assert b0.c_crit is None and b0.regime == "stable for all c"
    assert all(lower_edge("hidden", c, 0.0) > 0 for c in (0.01, 0.67, 1.0, 100.0))
    # c_crit(α) also reads off the map: stable iff c < c_crit
    cs = np.geomspace(0.1, 3.0, 25)
    al = np.array([0.05, 0.3, 0.6, 1.0])
    m = stability_map("hidden", cs, al)
    for j, a in enumerate(al):
        cc_a = critical_c("hidden", a).c_crit
        far = np.abs(cs / cc_a - 1) > 1e-6
        assert np.all((m[far, j] > 0) == (cs[far] < cc_a))
    # the critical fraction at fixed c: all α stable below c = 1/4, no α > 0 stable above 2/3
    assert critical_alpha("hidden", 0.2).regime == "stable for all alpha"
    assert critical_alpha("hidden", 0.7).regime == "unstable for all alpha > 0"


def test_readout_boundary_matches_the_paper_and_the_protocol():
    """α_r ≥ 1/2 unstable for every c; c_crit(α_r) decreasing; α_r^crit(c) decreasing from 1/2
    (c → 0) to a few percent at c = 1; expansive networks (c < 1) more robust."""
    cs = np.geomspace(1e-4, 100.0, 40)
    for a in (0.5, 0.55, 0.8, 1.0):
        assert all(lower_edge("readout", c, a) < 0 for c in cs)
        assert critical_c("readout", a).regime == "unstable for all c"
    alphas = np.linspace(0.01, 0.49, 40)
    cc = boundary_curve("readout", alphas)
    assert np.all(np.isfinite(cc)) and np.all(np.diff(cc) < 0)
    ac = critical_alpha_curve("readout", cs)
    assert np.all(np.diff(ac) < 0) and np.all(ac < 0.5)
    assert critical_alpha("readout", 1e-8).alpha_crit > 0.499
    assert 0.02 < critical_alpha("readout", 1.0).alpha_crit < 0.1
    assert critical_alpha("readout", 10.0).alpha_crit < 0.01
    # expansive more robust, both layers: at c and 1/c
    for c in (0.2, 0.5, 0.8):
        assert critical_alpha("readout", c).alpha_crit > critical_alpha("readout", 1 / c).alpha_crit
    assert critical_c("readout", 0.0).regime == "stable for all c"
    m = stability_map("readout", cs, [0.1, 0.3])
    for j, a in enumerate((0.1, 0.3)):
        cc_a = critical_c("readout", a).c_crit
        far = np.abs(cs / cc_a - 1) > 1e-6
        assert np.all((m[far, j] > 0) == (cs[far] < cc_a))


def test_boundary_curve_takes_milliseconds_per_point():
    t0 = time.perf_counter()
    boundary_curve("hidden", np.linspace(0.02, 1.0, 50))
    boundary_curve("readout", np.linspace(0.01, 0.49, 50))
    assert time.perf_counter() - t0 < 5.0  # typically ~0.2 s for both curves


def test_bad_input_raises_spec_error():
    with pytest.raises(SpecError, match="layer must be one of hidden, readout"):
        critical_c("middle", 0.5)
    with pytest.raises(SpecError, match=r"alpha must lie in \[0, 1\]"):
        critical_c("hidden", 1.5)
    with pytest.raises(SpecError, match="c must be a finite number > 0"):
        lower_edge("readout", -1.0, 0.2)
    with pytest.raises(SpecError, match="c must be a finite number > 0"):
        critical_alpha("readout", 0.0)
