"""The verdict rules of the theory figures (Figs. 1, 2, A) on synthetic inputs: each rule is
fed data on both sides of its threshold and must change its verdict (reproduced <-> not
reproduced, and "not tested" where a rule has that outcome). No figure is computed here,
except the origin spectra of Fig. 2 on a 4 x 3 network (milliseconds)."""

import numpy as np
import pytest

from curldescent.figures import fig1, fig2, figA
from curldescent.figures.base import PROFILE_NAMES

R, NR, NT = "reproduced", "not reproduced", "not tested"


# ---------------------------------------------------------------- Fig. 1


def test_fig1_rule_pair():
    assert fig1.rule_pair([1j, -1j], [1j, -1j])[0] == R
    assert fig1.rule_pair([1j + 1e-9, -1j], [1j, -1j])[0] == NR  # above the 1e-10 round-off
    assert fig1.rule_pair([1.0, -1.0], [1j, -1j])[0] == NR
    v, val = fig1.rule_pair([-1.0, 1.0], [1.0, -1.0])
    assert v == R and val == {"re": [-1.0, 1.0], "im": [0.0, 0.0]}


def test_fig1_rule_manifold():
    s = 1.0
    w1 = np.array([-2.0, 0.5, 1.0, 2.0])
    lam = w1**2 - (s / w1) ** 2
    closed = np.stack([np.zeros_like(lam), lam], axis=1)
    auto = closed.copy()
    assert fig1.rule_manifold(w1, auto, closed, s)[0] == R
    assert fig1.rule_manifold(w1, auto + 1e-9, closed, s)[0] == NR  # routes disagree
    flipped = closed.copy()
    flipped[:, 1] *= -1  # both routes agree but the stability sign is wrong
    assert fig1.rule_manifold(w1, flipped, flipped, s)[0] == NR


def test_fig1_rule_converges_and_separatrix():
    assert fig1.rule_converges(1e-13)[0] == R and fig1.rule_converges(1e-11)[0] == NR
    ratios = np.array([0.5, 0.75, 1.05, 1.5])
    bound = 0.5 * np.maximum(1 - ratios, 0) ** 2
    tail = bound + 0.01
    final = np.array([0.2, 0.05, 1e-14, 1e-14])
    assert fig1.rule_separatrix(ratios, tail, final, bound)[0] == R
    assert fig1.rule_separatrix(ratios, tail, final + [0, 0, 1e-6, 0], bound)[0] == NR
    low = tail.copy()
    low[0] = 0.99 * bound[0]  # an inside orbit dips below the bound
    assert fig1.rule_separatrix(ratios, low, final, bound)[0] == NR
    inside = ratios < 1
    assert fig1.rule_separatrix(ratios[inside], tail[inside], final[inside], bound[inside])[0] == NT


def test_fig1_rule_conserved_ascends_faster():
    assert fig1.rule_conserved([2.0, 2.0 + 1e-9, 2.0])[0] == R
    assert fig1.rule_conserved([2.0, 2.0 + 1e-7, 2.0])[0] == NR
    t = np.linspace(0, 1, 5)
    assert fig1.rule_ascends_then_converges(t, [1.0, 1.2, 0.5, 1e-3, 1e-11])[0] == R
    assert fig1.rule_ascends_then_converges(t, [1.0, 0.9, 0.5, 1e-3, 1e-11])[0] == NR
    assert fig1.rule_ascends_then_converges(t, [1.0, 1.2, 0.5, 1e-3, 1e-9])[0] == NR
    fast, slow = [1.0, 1e-7, 1e-8, 1e-9, 1e-9], [1.0, 0.5, 1e-7, 1e-8, 1e-9]
    assert fig1.rule_faster(t, fast, slow, 1e-6)[0] == R
    assert fig1.rule_faster(t, slow, fast, 1e-6)[0] == NR
    assert fig1.rule_faster(t, [1.0] * 5, [1.0] * 5, 1e-6)[0] == NT


# ---------------------------------------------------------------- Fig. 2


def test_fig2_rule_c_about_judges_the_whole_range():
    alpha = np.array([1e-8, 0.1, 0.3, 0.5, 1.0])
    flat = np.array([0.34, 0.33, 0.31, 0.29, 0.25])
    assert fig2.rule_c_about(alpha, flat)[0] == R
    theory = np.array([0.6666, 0.446, 0.355, 0.31, 0.25])  # c_crit rises to 2/3 at small α_h
    v, val = fig2.rule_c_about(alpha, theory)
    assert v == NR and val["alpha_from"] == 0.5
    assert fig2.rule_c_about(alpha, theory, alpha_min=0.5)[0] == R  # our reading, α_h ≥ 1/2
    assert fig2.rule_c_about(alpha, flat - 0.01)[0] == NR  # 0.24 at α_h = 1 rounds to 0.2
    assert fig2.rule_c_about(alpha, [0.3, 0.3, np.nan, 0.3, 0.3])[0] == NR  # no boundary
    # α_h = 0 (no curl) is outside the stated range and does not count
    assert fig2.rule_c_about(np.r_[0.0, alpha], np.r_[np.nan, flat])[0] == R


def test_fig2_rule_small_alpha_limit():
    assert fig2.rule_small_alpha_limit([1e-8, 0.5], [0.6666, 0.3], [True, True])[0] == R
    assert fig2.rule_small_alpha_limit([1e-8, 0.5], [0.6, 0.3], [True, True])[0] == NR
    assert fig2.rule_small_alpha_limit([1e-8, 0.5], [0.6666, 0.3], [True, False])[0] == NR
    assert fig2.rule_small_alpha_limit([1e-2, 0.5], [0.6666, 0.3], [True, True])[0] == NR


def test_fig2_simple_rules():
    assert fig2.rule_equals(0.25 + 1e-12, 0.25, 1e-9)[0] == R
    assert fig2.rule_equals(0.25 + 1e-8, 0.25, 1e-9)[0] == NR
    assert fig2.rule_decreasing([0.6, 0.4, np.nan, 0.3])[0] == R
    assert fig2.rule_decreasing([0.6, 0.4, 0.4])[0] == NR
    assert fig2.rule_all_positive([0.1, 2.0])[0] == R
    assert fig2.rule_all_positive([0.1, -1e-3])[0] == NR
    assert fig2.rule_all_positive([])[0] == NR
    assert fig2.rule_below(1e-7, 1e-6)[0] == R and fig2.rule_below(1e-5, 1e-6)[0] == NR


def test_fig2_rule_at_most_half():
    c = np.array([1e-4, 1e-2, 1.0, 10.0])
    assert fig2.rule_at_most_half(c, [0.49, 0.4, 0.05, 0.006])[0] == R
    assert fig2.rule_at_most_half(c, [0.51, 0.4, 0.05, 0.006])[0] == NR  # above one half
    assert fig2.rule_at_most_half(c, [0.3, 0.2, 0.05, 0.006])[0] == NR  # 1/2 not the bound
    assert fig2.rule_at_most_half(c, [0.49, np.nan, 0.05, 0.006])[0] == NR


def test_fig2_rule_readout_c_crit():
    alpha = np.array([0.1, 0.3, 0.5, 0.8])
    assert fig2.rule_readout_c_crit(alpha, [3.0, 0.5, np.nan, np.nan])[0] == R
    assert fig2.rule_readout_c_crit(alpha, [3.0, 0.5, 0.1, np.nan])[0] == NR
    assert fig2.rule_readout_c_crit(alpha, [0.5, 3.0, np.nan, np.nan])[0] == NR


def test_fig2_rule_strong_dependence():
    c = np.geomspace(1e-4, 100, 41)
    readout = 0.5 / (1 + c)  # a boundary at every c
    hidden = np.where((c > 0.25) & (c < 2 / 3), 0.5, np.nan)
    v, val = fig2.rule_strong_dependence(c, hidden, readout)
    assert v == R and val["readout"] == 1.0 and 0 < val["hidden"] < 0.2
    # a readout boundary only in a band narrower than the hidden one: not "strongly"
    narrow = np.where((c > 0.3) & (c < 0.4), 0.2, np.nan)
    assert fig2.rule_strong_dependence(c, hidden, narrow)[0] == NR
    # only c in the paper's range counts
    assert fig2.alpha_dependent_fraction(c, np.where(c < 1e-3, 0.4, np.nan)) == 0.0


def test_fig2_rule_expansive_and_finite_size():
    good = {"hidden": {"c<1": 0.6, "c>1": 0.1}, "readout": {"c<1": 0.3, "c>1": 0.1}}
    bad = {"hidden": {"c<1": 0.6, "c>1": 0.1}, "readout": {"c<1": 0.1, "c>1": 0.1}}
    assert fig2.rule_expansive_robust(good)[0] == R
    assert fig2.rule_expansive_robust(bad)[0] == NR
    edge = np.array([1.0, 0.5, -0.5, -1.0, 0.1] * 2)
    frac = np.array([0.0, 0.1, 0.9, 1.0, 0.5] * 2)
    assert fig2.rule_finite_size(edge, frac) == (R, 1.0)
    wrong = frac.copy()
    wrong[0] = 0.9  # 1 of 8 far cells disagrees: 87.5% < 90%
    assert fig2.rule_finite_size(edge, wrong)[0] == NR
    assert fig2.rule_finite_size(np.array([0.1, -0.1]), np.array([0.0, 1.0]))[0] == NT


def test_fig2_origin_rules_on_real_spectra_and_perturbed_ones():
    """Eq. (11) rows: exact spectra pass; a perturbation above round-off, a wrong plane count
    or the other sign of Σ changes the verdict."""
    auto, closed, sigma, d2 = fig2.origin_spectra(4, 3, 0.75, 0.5, seed=0)
    assert sigma < 0 and int(np.sum(d2 < 0)) == 1
    # both signs of Σ are needed: a second network with Σ > 0
    auto_g, closed_g, sigma_g, _ = fig2.origin_spectra(4, 3, 0.0, 0.5, seed=0)
    pair = (np.stack([auto, auto_g]), np.stack([closed, closed_g]), np.array([sigma, sigma_g]))
    assert sigma_g > 0 and fig2.rule_eq11(*pair)[0] == R
    bumped = pair[1].copy()
    bumped[0, 0] += 1e-6  # above round-off
    assert fig2.rule_eq11(pair[0], bumped, pair[2])[0] == NR
    assert fig2.rule_eq11(auto, closed, sigma)[0] == NT  # Σ < 0 only
    # with Σ < 0 and one flipped readout neuron: 1 saddle plane, 2 centres (roles swap)
    v, val = fig2.rule_origin_planes(auto, sigma, -1, 1, 2)
    assert v == R and (val["saddles"], val["centres"], val["other"]) == (1, 2, 0)
    assert fig2.rule_origin_planes(auto, sigma, -1, 0, 3)[0] == NR  # eq. 76 as printed
    assert fig2.rule_origin_planes(auto, sigma, 1, 1, 2)[0] == NT  # Σ has the other sign
    tilted = auto.copy()
    tilted[np.argmax(tilted.imag)] += 1e-3  # a centre eigenvalue that is no longer imaginary
    assert fig2.origin_planes(tilted, np.sqrt(abs(sigma)))[2] >= 1
    assert fig2.rule_origin_planes(tilted, sigma, -1, 1, 2)[0] == NR


def test_fig2_origin_combine():
    assert fig2._combine([(R, {}), (NT, {})])[0] == R
    assert fig2._combine([(R, {}), (NR, {})])[0] == NR
    assert fig2._combine([(NT, {}), (NT, {})])[0] == NT


# ---------------------------------------------------------------- Fig. A


def test_figA_rule_class():
    tol = figA.ZERO_TOL
    assert figA.rule_class([0.0, tol / 10], [tol / 10, 0.0], "gradient") == (R, "gradient")
    assert figA.rule_class([0.0, 10 * tol], [0.0, 10 * tol], "gradient") == (NR, "non-gradient")
    assert figA.rule_class([0.0, 10 * tol], [0.0, 10 * tol], "non-gradient")[0] == R
    assert figA.rule_class([10 * tol], [0.0], "non-gradient") == (NR, "inconclusive")


def test_figA_loop_rules():
    r = np.logspace(-4, -2, 5)
    assert figA.rule_zero_circulation(r, 1e-10 * np.pi * r**2, 1.0)[0] == R
    assert figA.rule_zero_circulation(r, 1e-6 * np.pi * r**2, 1.0)[0] == NR
    assert figA.rule_area_scaling(r, 0.3 * r**2)[0] == R
    assert figA.rule_area_scaling(r, 0.3 * r**2.1)[0] == NR
    assert figA.rule_area_scaling(r, 0.3 * r**1.9)[0] == NR


def test_figA_rule_measures_agree():
    a = np.array([0.0, 0.5, 1.0])
    err = np.zeros(3)
    assert figA.rule_measures_agree(a, a * (1 + 5e-4), err)[0] == R
    assert figA.rule_measures_agree(a, a * (1 + 5e-3), err)[0] == NR
    # a sampled estimate: 4 standard errors of slack
    assert figA.rule_measures_agree(a, a + 0.03, err + 0.01)[0] == R
    assert figA.rule_measures_agree(a, a + 0.05, err + 0.01)[0] == NR
    assert figA.rule_measures_agree(np.zeros(3), np.zeros(3), err)[0] == NT


@pytest.mark.parametrize("expected", [1.0, 2.0])
def test_figA_rule_order(expected):
    w = np.logspace(-2.5, -1, 6)
    assert figA.rule_order(w, 0.7 * w**expected, expected)[0] == R
    assert figA.rule_order(w, 0.7 * w ** (expected + 0.2), expected)[0] == NR
    assert figA.rule_order(w, 0.7 * w ** (expected - 0.2), expected)[0] == NR
    zero = 0.7 * w**expected
    zero[0] = 0.0  # no curl at some scale
    assert figA.rule_order(w, zero, expected)[0] == NR


@pytest.mark.parametrize("module", [fig1, fig2, figA])
def test_theory_figures_have_every_profile_and_decisive_is_the_paper_setting(module):
    """The theory figures are cheap: decisive runs the paper's settings (and says so)."""
    assert set(module.SETTINGS) == set(module.PROFILES) == set(PROFILE_NAMES)
    assert module.settings("decisive") == module.settings("paper")
    assert "as paper" in module.PROFILES["decisive"]
