"""Convergence epochs with censoring, and paired comparisons on synthetic data with known
answers (SciPy as the independent route for the t-test)."""

import math

import numpy as np
import pytest
import xarray as xr
from scipy import stats

from curldescent.analysis import ConvergenceEpoch, convergence_epoch, paired_comparison

EPOCHS = np.array([0, 1, 3, 10, 30, 100, 300, 1000])


def test_first_checkpoint_strictly_below_threshold():
    err = np.array(
        [
            [1.0, 0.5, 2e-3, 1e-3, 5e-4, 1e-6, 1e-7, 1e-8],  # 1e-3 is not < 1e-3: epoch 30
            [1.0, 1e-4, 1e-2, 1e-2, 1e-2, 1e-2, 1e-2, 1e-2],  # dips once, early: epoch 1
            [1.0, 0.5, 0.1, 0.1, 0.1, 0.1, 0.1, 2e-3],  # never: censored
            [np.nan] * 8,  # diverged: censored
            [1e-5, 1, 1, 1, 1, 1, 1, 1],  # already converged at epoch 0
        ]
    )
    res = convergence_epoch(err, EPOCHS)
    np.testing.assert_array_equal(res.censored, [False, False, True, True, False])
    np.testing.assert_array_equal(res.epoch[[0, 1, 4]], [30.0, 1.0, 0.0])
    assert np.all(np.isnan(res.epoch[[2, 3]]))  # never the last epoch
    assert convergence_epoch(err, EPOCHS, threshold=0.2).epoch[2] == 3.0


def test_axis_and_batch_shapes():
    rng = np.random.default_rng(0)
    err = 10.0 ** rng.uniform(-6, 0, size=(8, 3, 4))  # checkpoints first
    res = convergence_epoch(err, EPOCHS, axis=0)
    assert res.epoch.shape == (3, 4)
    ref = convergence_epoch(np.moveaxis(err, 0, -1), EPOCHS)
    np.testing.assert_array_equal(res.censored, ref.censored)
    np.testing.assert_array_equal(
        np.nan_to_num(res.epoch, nan=-1), np.nan_to_num(ref.epoch, nan=-1)
    )
    with pytest.raises(ValueError, match="epochs"):
        convergence_epoch(err, EPOCHS[:-1], axis=0)


def test_dataarray_input_uses_epoch_coordinate():
    err = np.array([[1.0, 1e-2, 1e-4, 1e-6, 1e-6, 1e-6, 1e-6, 1e-6], [1.0] * 8])
    da = xr.DataArray(err.T, dims=("epoch", "seed"), coords={"epoch": EPOCHS, "seed": [10, 11]})
    res = convergence_epoch(da)
    assert res.epoch.dims == ("seed",) and list(res.epoch.seed.values) == [10, 11]
    assert float(res.epoch.sel(seed=10)) == 3.0 and bool(res.censored.sel(seed=11))
    assert np.isnan(float(res.epoch.sel(seed=11)))
    assert res.epoch.attrs["units"] == "epochs"


def test_t_test_matches_scipy_on_complete_pairs():
    rng = np.random.default_rng(1)
    a = rng.normal(1000, 100, size=20)
    b = a + rng.normal(50, 80, size=20)
    a[[3, 7]] = np.nan  # censored in A
    b[[7, 12]] = np.nan  # censored in B; seed 7 in both
    res = paired_comparison(a, b, names=("curl", "gd"))
    both = ~np.isnan(a) & ~np.isnan(b)
    ref = stats.ttest_rel(a[both], b[both])
    assert res.n_pairs == 20 and res.n_used == 17
    assert (res.n_censored_a, res.n_censored_b, res.n_censored_both) == (2, 2, 1)
    assert res.t_statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert res.p_ttest == pytest.approx(ref.pvalue, rel=1e-12)
    d = a[both] - b[both]
    assert res.mean_diff == pytest.approx(d.mean(), rel=1e-12)
    assert res.sem_diff == pytest.approx(stats.sem(d), rel=1e-12)
    assert res.n_converged_a == 18 and res.mean_a == pytest.approx(np.nanmean(a), rel=1e-12)
    assert res.sem_b == pytest.approx(stats.sem(b[~np.isnan(b)]), rel=1e-12)
    assert res.names == ("curl", "gd")
    # one-sided alternatives follow scipy too
    less = paired_comparison(a, b, alternative="less")
    assert less.p_ttest == pytest.approx(
        stats.ttest_rel(a[both], b[both], alternative="less").pvalue, rel=1e-12
    )


def test_deterministic_shift_gives_tiny_p():
    rng = np.random.default_rng(2)
    b = rng.uniform(100, 1000, size=25)
    a = b - 40.0  # A always exactly 40 epochs faster
    res = paired_comparison(a, b)
    assert res.n_a_faster == 25 and res.n_b_faster == 0 and res.n_ties == 0
    assert res.p_sign == pytest.approx(2 * 0.5**25, rel=1e-9)
    assert res.p_ttest < 1e-12
    assert res.p_wilcoxon < 1e-4
    assert res.mean_diff == pytest.approx(-40.0)
    assert res.sem_diff == pytest.approx(0.0, abs=1e-12)


def test_noisy_shift_power_and_null_calibration():
    """A shift of one noise sd over 30 pairs is found; no shift is mostly not (the p-values
    of the three tests are roughly uniform under the null: <= 20 % below 0.05 out of 60)."""
    rng = np.random.default_rng(3)
    b = rng.normal(500, 50, size=30)
    res = paired_comparison(b - 30 + rng.normal(0, 30, size=30), b)
    assert res.p_ttest < 1e-3 and res.p_wilcoxon < 1e-3 and res.p_sign < 0.05
    small = {"t": 0, "w": 0, "s": 0}
    for _ in range(60):
        b = rng.normal(500, 50, size=30)
        r = paired_comparison(b + rng.normal(0, 30, size=30), b)
        small["t"] += r.p_ttest < 0.05
        small["w"] += r.p_wilcoxon < 0.05
        small["s"] += r.p_sign < 0.05
    assert max(small.values()) <= 12  # expected 3 each; binomial(60, .05) rarely exceeds 9


def test_identical_arms():
    a = np.array([10.0, 20.0, np.nan, 40.0])
    res = paired_comparison(a, a.copy())
    assert res.n_used == 3 and res.n_censored_both == 1
    assert res.n_ties == 4 and res.n_a_faster == res.n_b_faster == 0
    assert res.p_ttest == 1.0 and res.p_sign == 1.0 and res.p_wilcoxon == 1.0
    assert res.mean_diff == 0.0


def test_censoring_counts_and_ordering():
    """A converges in every seed; B is censored in 10 of 10. The t-test has no pairs, but the
    censoring-aware tests see 10 wins for A: p_sign = 2^-9."""
    a = np.arange(100.0, 110.0)
    b = np.full(10, np.nan)
    res = paired_comparison(a, b)
    assert res.n_used == 0 and math.isnan(res.p_ttest) and math.isnan(res.mean_diff)
    assert res.n_censored_b == 10 and res.n_censored_a == 0 and res.n_converged_b == 0
    assert math.isnan(res.mean_b)
    assert res.n_a_faster == 10 and res.p_sign == pytest.approx(2 * 0.5**10, rel=1e-9)
    assert res.p_wilcoxon == pytest.approx(2 * 0.5**10, rel=1e-9)  # all ranks tied: exact
    # the last epoch is never substituted: flags given explicitly override finite epochs
    flagged = paired_comparison(
        ConvergenceEpoch(a, np.zeros(10, bool)),
        ConvergenceEpoch(np.full(10, 1000.0), np.ones(10, bool)),
    )
    assert flagged.n_used == 0 and flagged.n_censored_b == 10 and flagged.n_a_faster == 10


def test_censored_run_ranks_worst_in_wilcoxon():
    """Half-censored pairs take the largest |difference|: a single such pair in A's favour
    outweighs a small adverse shift, where substituting the last epoch would not."""
    b = np.array([100.0, 200, 300, 400, 500, 600, 700, 800])
    a = b + np.array([3, 2, 5, -1, 4, 6, 1, 0])  # A a little slower in most pairs
    a_c, b_c = a.copy(), b.copy()
    b_c[7] = np.nan  # B censored, A converged: A faster in that pair
    res = paired_comparison(a_c, b_c, alternative="greater")
    dw = np.array([3, 2, 5, -1, 4, 6, 1, -13.0])  # imputed magnitude 2 * 6 + 1
    ref = stats.wilcoxon(dw, alternative="greater")
    assert res.p_wilcoxon == pytest.approx(ref.pvalue, rel=1e-12)
    assert res.w_statistic == pytest.approx(ref.statistic)
    assert res.n_a_faster == 2 and res.n_b_faster == 6 and res.n_ties == 0


def test_to_dict_and_validation():
    res = paired_comparison([1.0, 2.0, 3.0], [2.0, 3.0, 5.0])
    d = res.to_dict()
    assert d["n_pairs"] == 3 and d["names"] == ("a", "b")
    with pytest.raises(ValueError, match="same number"):
        paired_comparison([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="alternative"):
        paired_comparison([1.0], [1.0], alternative="bigger")


# ------------------------------------------------- multiple tests, trends, crossings, rises


def test_holm_matches_the_step_down_definition():
    from curldescent.analysis.convergence import holm

    p = np.array([0.04, 0.01, np.nan, 0.03, 0.005])
    adj = holm(p)
    # sorted finite: 0.005*4, 0.01*3, 0.03*2, 0.04*1 -> running max
    np.testing.assert_allclose(adj[[4, 1, 3, 0]], [0.02, 0.03, 0.06, 0.06])
    assert np.isnan(adj[2])
    assert holm([0.9, 0.8]).max() == 1.0


def test_trend_test_against_scipy_and_its_smallest_p():
    from curldescent.analysis.convergence import smallest_trend_p, trend_test

    x, y = [1, 2, 3, 4, 5], [0.0, 0.2, 0.1, 0.5, 0.6]
    tau, p = trend_test(x, y, "greater")
    ref = stats.kendalltau(x, y, alternative="greater")
    assert tau == pytest.approx(ref.statistic) and p == pytest.approx(ref.pvalue)
    assert trend_test(x, [1.0] * 5)[1] != trend_test(x, [1.0] * 5)[1]  # NaN: constant
    assert trend_test(x, x, "greater")[1] == pytest.approx(smallest_trend_p(5)) == 1 / 120


def test_detectable_effect_has_the_stated_power():
    from curldescent.analysis.convergence import detectable_effect

    d = detectable_effect(10, 0.01)
    rng = np.random.default_rng(0)
    diffs = rng.normal(d, 1.0, size=(4000, 10))
    hits = stats.ttest_1samp(diffs, 0.0, axis=1).pvalue < 0.01
    assert hits.mean() == pytest.approx(0.8, abs=0.03)
    assert detectable_effect(40, 0.05) < d  # more seeds, laxer level: smaller effects


def test_crossing_point_and_its_bootstrap():
    from curldescent.analysis.convergence import bootstrap_crossing, crossing_point

    x = [1.0, 2.0, 3.0, 4.0]
    assert crossing_point(x, [1.0, 0.8, 0.2, 0.0]) == pytest.approx(2.5)
    assert crossing_point(x, [1.0, 1.0, 1.0, 0.9]) == math.inf  # never falls below 1/2
    assert crossing_point(x, [0.4, 0.0, 0.0, 0.0]) == -math.inf
    conv = np.zeros((4, 2, 10), bool)
    conv[:2] = True
    est, lo, hi = bootstrap_crossing(x, conv)  # every resample crosses between 2 and 3
    assert est == lo == hi == pytest.approx(3.0 - 0.5)
    conv[2, :, :4] = True  # 40% at x = 3: the crossing moves towards 3 and gets uncertain
    est, lo, hi = bootstrap_crossing(x, conv)
    assert 2.5 < est < 3.0 and lo < est <= hi


def test_max_rise_measures_climbs_before_the_threshold():
    from curldescent.analysis.convergence import max_rise

    curves = np.array(
        [
            [1.0, 0.5, 0.2, 0.3, 0.1, 1e-4, 1e-2],  # climbs x1.5 before, x100 after crossing
            [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4],  # monotone
            [1.0, 0.5, 3.0, 0.1, 1e-4, np.nan, np.nan],  # x6 above the minimum, then stopped
            [1.0, 0.5, np.inf, np.nan, np.nan, np.nan, np.nan],  # blew up
        ]
    )
    np.testing.assert_allclose(max_rise(curves, 1e-3), [np.log10(1.5), 0.0, np.log10(6.0), np.inf])
