"""Figure 3 (hidden-layer flips): every claim function on synthetic data with a known
answer, the shared helpers (boundary crossings, panels), the example run against the
engine, and the smoke profile end to end (plot, claims, resume)."""

import json

import numpy as np
import pytest
import xarray as xr

from curldescent.analysis.statistics import crossing_with_error, midpoint_crossing, sem
from curldescent.figures import fig3
from curldescent.figures._linear import assembly, boundary, drawing, examples
from curldescent.figures._linear import claims as phase_claims
from curldescent.figures.base import VERDICTS

ALPHAS = np.array([0.0, 0.2, 0.5, 1.0])
SEEDS = np.arange(3)


def _sigmoid_log_error(c, c_crit, width=0.02):
    """log10 error: -15 well below c_crit, -1 well above, midpoint -8 exactly at c_crit."""
    z = (np.log10(c) - np.log10(c_crit)) / width
    return -15.0 + 14.0 / (1.0 + np.exp(-z))


def _grid(cs, cc) -> xr.Dataset:
    loge = np.stack([[_sigmoid_log_error(c, k) for k in cc] for c in cs])  # (c, alpha)
    loge = np.repeat(loge[..., None], len(SEEDS), axis=-1)
    return xr.Dataset(
        {
            "final_log10_test_error": (("c", "alpha", "seed"), loge),
            "final_test_error": (("c", "alpha", "seed"), 10.0**loge),
            "diverged": (("c", "alpha", "seed"), np.zeros(loge.shape, bool)),
        },
        coords={"c": cs, "alpha": ALPHAS, "seed": SEEDS},
    )


def synthetic(
    shift: float = 1.0,
    *,
    chaos_lambda: float = 2e-3,
    cycles: bool = True,
    flat: float | None = None,
) -> xr.Dataset:
    """A dataset shaped like fig3.compute's, whose runs follow the analytic boundary
    c_crit(alpha) * shift exactly (log error a steep sigmoid in log c), or the constant
    boundary ``flat`` at every alpha > 0; finite-size band c_crit x [0.9, 1.1]."""
    cc = np.array([boundary.c_crit(a) * shift if flat is None or a == 0 else flat for a in ALPHAS])
    a = _grid(np.geomspace(0.1, 10.0, 61), cc)
    ins = _grid(np.linspace(0.1, 0.7, 20), cc)
    th = np.array([boundary.c_crit(a) if a > 0 else np.nan for a in ALPHAS[1:]])
    fs = xr.Dataset(
        {"low": ("alpha", 0.9 * th), "median": ("alpha", th), "high": ("alpha", 1.1 * th)},
        coords={"alpha": ALPHAS[1:]},
    )
    bcs = np.geomspace(0.1, 3.0, 9)
    balpha = np.array([0.4, 0.5, 0.6])
    qb = np.where(
        bcs[:, None] > np.array([boundary.c_crit(x) * shift for x in balpha])[None, :], 0.05, 1e-16
    )
    bc = xr.Dataset(
        {"q": (("c", "alpha", "seed"), np.repeat(qb[..., None], 3, -1))},
        coords={"c": bcs, "alpha": balpha, "seed": SEEDS},
    )
    # Lyapunov grid: c = 0.1 converged, c = 3 chaotic (alpha > 0)
    lc = np.array([0.1, 3.0])
    chaotic = (lc[:, None] > 1.0) & (ALPHAS[None, :] > 0)
    rep = lambda v: np.repeat(v[..., None], 2, -1)  # noqa: E731
    ly = xr.Dataset(
        {
            "lyapunov": (("c", "alpha", "seed"), rep(np.where(chaotic, chaos_lambda, 1e-7))),
            "q": (("c", "alpha", "seed"), rep(np.where(chaotic, 0.02, 1e-16))),
            "window_test_error": (("c", "alpha", "seed"), rep(np.where(chaotic, 0.05, 1e-25))),
            "period": (("c", "alpha", "seed"), rep(np.where(chaotic, 0, 1))),
        },
        coords={"c": lc, "alpha": ALPHAS, "seed": np.arange(2)},
    )
    # slice at c = 0.4 (alpha_crit ~ 0.18): map in period-2 cycles at alpha = 0.5, flow chaotic beyond
    sa = np.array([0.0, 0.1, 0.5, 1.0])
    beyond = sa > boundary.alpha_crit("hidden", 0.4)
    fin_flow = np.where(beyond, -1.4, -15.0)
    fin_map = np.where(sa == 0.5, 1.5, fin_flow) if cycles else fin_flow
    per = np.where(sa == 0.5, 2, np.where(beyond, 0, 1)) if cycles else np.where(beyond, 0, 1)
    sl = xr.Dataset(
        {
            "final_log10_test_error": (
                ("scheme", "alpha", "seed"),
                np.stack([rep(fin_map), rep(fin_flow)]),
            ),
            "peak_log10_test_error": (
                ("scheme", "alpha", "seed"),
                np.stack([rep(fin_map), rep(fin_flow)]),
            ),
            "q": (
                ("scheme", "alpha", "seed"),
                np.stack([rep(np.where(beyond, 0.3, 1e-16)), rep(np.where(beyond, 0.02, 1e-16))]),
            ),
            "period": (
                ("scheme", "alpha", "seed"),
                np.stack([rep(per.astype(float)), rep(np.full(4, np.nan))]),
            ),
            "test_error": (("scheme", "alpha", "seed", "epoch"), np.full((2, 4, 2, 3), 0.1)),
        },
        coords={
            "scheme": ["map_full_batch", "flow"],
            "alpha": sa,
            "seed": np.arange(2),
            "epoch": [0, 1, 2],
        },
    )
    data = xr.merge(
        [
            assembly.prefixed(a, "a"),
            assembly.prefixed(ins, "in"),
            assembly.prefixed(fs, "fs"),
            assembly.prefixed(bc, "bc"),
            assembly.prefixed(ly, "ly"),
            assembly.prefixed(sl, "sl"),
        ]
    )
    data.attrs.update(
        {
            "slice_c": 0.4,
            "total": 220,
            "epochs_a": 100_000,
            "epochs_b": 100_000,
            "epochs_inset": 20_000,
            "epochs_slice": 1000,
            "fs_draws": 16,
            "lyapunov": json.dumps(
                {"n_lyap": 500, "c": [0.1, 3.0], "seeds": [0, 1], "transient": 10}
            ),
            "method_labels": json.dumps(fig3.METHOD_LABELS),
        }
    )
    return data


# ----------------------------------------------------------------------------- claims on known answers


def test_claim_stability_known_answer():
    good = fig3.claim_stability(synthetic())
    assert good.verdict == "reproduced"
    assert (
        good.value["fraction_low_error_inside"] == 1.0
        and good.value["fraction_high_error_beyond"] == 1.0
    )
    assert good.value["median_q_beyond"] == pytest.approx(0.05)
    # runs that fail inside the stable region (boundary 3x lower than theory) are caught
    assert fig3.claim_stability(synthetic(shift=1 / 3)).verdict == "not reproduced"


def test_claim_boundary_recovers_the_synthetic_boundary():
    c = fig3.claim_boundary(synthetic())
    assert c.verdict == "reproduced" and c.uncertainty["n_inside"] == 3
    step = 0.6 / 19  # the inset's c step: the step fit resolves the cell
    for alpha, row in c.value.items():
        assert abs(row["c_sim"] - row["c_crit"]) <= 0.55 * step, alpha
        assert row["log10_c_sim_sd"] == pytest.approx(0.0, abs=1e-9)  # identical seeds
        assert row["tolerance_low"] < row["c_crit"] < row["tolerance_high"]
    assert "M+N=220, 2e4 epochs, 3 seeds, batch 10" in c.setting and "c step" in c.setting
    # a boundary 1.25x off theory is outside the finite-size band (x 1.1) plus half a step
    shifted = fig3.claim_boundary(synthetic(shift=1.25))
    assert shifted.verdict == "not reproduced"
    row = shifted.value["0.5"]
    assert abs(row["c_sim"] - 1.25 * row["c_crit"]) <= 0.55 * step
    assert row["c_sim"] > row["tolerance_high"]


def test_claim_trend_sees_the_alpha_dependence():
    assert fig3.claim_trend(synthetic()).verdict == "reproduced"
    assert fig3.claim_trend(synthetic(shift=1.25)).verdict == "reproduced"  # offset, same shape
    flat = fig3.claim_trend(synthetic(flat=0.33))  # inside 1.6x of theory, but no trend
    assert flat.verdict == "not reproduced"
    assert flat.value["weighted_slope"] == pytest.approx(0.0, abs=0.05)


def test_stability_rule_both_sides():
    """Fractions near the 0.9 threshold and q on both sides of its rule."""
    rule = fig3.stability_rule
    assert rule([0.95, 0.9], [0.92, 0.9], 1e-12, 1e-2)[0] == "reproduced"
    assert rule([0.85, 0.9], [0.92, 0.9], 1e-12, 1e-2)[0] == "not reproduced"  # mean 0.875
    assert rule([0.95, 0.9], [0.8, 0.9], 1e-12, 1e-2)[0] == "not reproduced"
    assert rule([0.95, 0.9], [0.92, 0.9], 1e-12, 5e-5)[0] == "not reproduced"  # q < Q_CHAOS
    assert rule([0.95, 0.9], [0.92, 0.9], 1e-6, 1e-4 * 5)[0] == "not reproduced"  # < 1e3 x inside
    assert rule([np.nan], [0.92], 1e-12, 1e-2)[0] == "not tested"


def test_claim_lyapunov_known_answer():
    assert phase_claims.claim_lyapunov(synthetic(), "hidden").verdict == "reproduced"
    bad = phase_claims.claim_lyapunov(synthetic(chaos_lambda=-1e-3), "hidden")
    assert bad.verdict == "not reproduced" and bad.value["fraction_chaotic_positive"] == 0.0


def test_claim_cycles_and_flow_chaos_known_answer():
    c = phase_claims.claim_cycles(synthetic(), "hidden")
    assert c.verdict == "reproduced"
    assert c.value["alphas_with_period_2"] == [0.5]
    assert c.value["log10_error_gap_map_minus_flow"] == pytest.approx(2.9)
    assert phase_claims.claim_cycles(synthetic(cycles=False), "hidden").verdict == "not reproduced"
    f = fig3.claim_flow_chaos(synthetic())
    assert f.verdict == "reproduced"
    assert (
        f.value["fraction_flow_chaotic_beyond"] == 1.0
        and f.value["fraction_flow_converged_inside"] == 1.0
    )


# ----------------------------------------------------------------------------- helpers


def test_midpoint_crossing_and_bootstrap():
    x = np.geomspace(0.1, 10, 41)
    y = _sigmoid_log_error(x, 0.7, width=0.1)
    assert midpoint_crossing(x, y) == pytest.approx(0.7, rel=1e-3)
    assert np.isnan(midpoint_crossing(x, np.full_like(x, -15.0)))  # no transition
    assert np.isnan(midpoint_crossing(x, y[::-1]))  # starts high: crossing below the grid
    lin = midpoint_crossing(
        np.linspace(0, 1, 11), np.where(np.linspace(0, 1, 11) > 0.35, 0.0, -15.0), log_x=False
    )
    assert 0.3 < lin < 0.4
    rng = np.random.default_rng(0)
    Y = y[:, None] + rng.normal(0, 0.3, (len(x), 8))
    est, sd = crossing_with_error(x, Y)
    assert abs(np.log10(est / 0.7)) < 3 * sd + 0.01 and 0 < sd < 0.05


def test_edges_panels_and_sem():
    e = drawing.edges(np.array([0.1, 1.0, 10.0]), log=True)
    np.testing.assert_allclose(e, [10**-1.5, 10**-0.5, 10**0.5, 10**1.5])
    ds = xr.Dataset({"v": (("c",), [1.0, 2.0])}, coords={"c": [0.1, 0.2]})
    back = assembly.panel(assembly.prefixed(ds, "a"), "a")
    xr.testing.assert_identical(back, ds)
    assert sem(np.array([1.0, 3.0])) == pytest.approx(1.0)
    assert np.isnan(sem(np.array([1.0])))


# ----------------------------------------------------------------------------- engine consistency


@pytest.mark.slow
def test_example_run_reproduces_the_engine_run():
    """The example panels' own loop is the engine's run: same errors at the engine's
    checkpoints, to rounding."""
    from curldescent.engine import simulate_batch
    from curldescent.presets import preset_spec

    spec = preset_spec(
        "fig3a",
        **{
            "network.M": 6,
            "network.N": 5,
            "rule.alpha_hidden": 0.5,
            "train.epochs": 30,
            "train.n_checkpoints": 6,
            "task.n_train": 40,
            "task.n_test": 10,
        },
    )
    ex = examples.example_run(spec, segment=10, stride=2, n_traces=4)
    res = simulate_batch([spec])
    common = np.intersect1d(ex.epoch.values, res.epochs)
    assert len(common) >= 4
    got = ex.test_error.sel(epoch=common).values
    want = res.test_error[0, np.searchsorted(res.epochs, common)]
    np.testing.assert_allclose(got, want, rtol=1e-10)
    assert ex.acf_mean.values[0] == pytest.approx(1.0)
    assert ex.pc.shape == (5, 2)


# ----------------------------------------------------------------------------- end to end


@pytest.mark.slow
def test_smoke_profile_end_to_end(smoke_figure, tmp_path):
    """The smoke profile computes, plots and checks; a second call resumes from the stores
    and caches (nothing recomputed: cached files untouched)."""
    _, entry = smoke_figure("fig3", tmp_path)
    assert entry.print_problems == []
    assert (tmp_path / "fig3.png").stat().st_size > 10_000
    claims = json.loads((tmp_path / "fig3.claims.json").read_text())
    assert len(claims) == 6 and all(c["verdict"] in VERDICTS for c in claims)
    assert all(c["setting"].startswith("M+N=24") for c in claims)
    data = xr.open_dataset(tmp_path / "fig3.nc")
    assert data.attrs["n_runs"] > 0 and "a_final_log10_test_error" in data and "ly_lyapunov" in data
    assert {"in_final_log10_test_error", "ba_q_std", "bc_q_std", "fs_median"} <= set(data.data_vars)
    assert set(data.sl_scheme.values) == {"map_full_batch", "flow"}
    cached = sorted((tmp_path / "derived").glob("*.nc"))
    # the folder holds every figure's smoke run: Fig. 3's derived results are among them
    assert {"cycles", "example", "finite", "flow", "lyapunov"} <= {
        p.name.split("-")[0] for p in cached
    }
    mtimes = [p.stat().st_mtime_ns for p in cached]
    again = fig3.compute("smoke", tmp_path)
    assert [p.stat().st_mtime_ns for p in cached] == mtimes
    xr.testing.assert_allclose(again.a_final_log10_test_error, data.a_final_log10_test_error)
    assert entry.png.name == "fig3.png"


# ----------------------------------------------------------------------------- shared verdict rules


def test_fraction_rule_threshold_both_sides():
    rule = phase_claims.fraction_rule
    assert rule([0.95, 0.9], 0.9) == ("reproduced", pytest.approx(0.925))
    assert rule([0.85, 0.9], 0.9)[0] == "not reproduced"
    assert rule([0.5, 0.5], 0.5, strict=True)[0] == "not reproduced"
    assert rule([0.55, 0.5], 0.5, strict=True)[0] == "reproduced"
    assert rule([np.nan], 0.5)[0] == "not tested"


def test_claim_lyapunov_threshold_is_constrained():
    """One chaotic run of six with lambda_1 <= 0 (fraction 0.83 < 0.9) fails the claim."""
    data = synthetic()
    lam = data.ly_lyapunov.values.copy()
    lam[1, 1, 0] = -1e-3  # c = 3, alpha = 0.2: a chaotic run
    data["ly_lyapunov"] = (data.ly_lyapunov.dims, lam)
    c = phase_claims.claim_lyapunov(data, "hidden")
    assert c.value["fraction_chaotic_positive"] == pytest.approx(5 / 6)
    assert c.verdict == "not reproduced"
    assert phase_claims.LYAPUNOV_FRACTION > 5 / 6
    assert "lambda_1 over 500 epochs" in c.setting


def test_boundary_rule_and_tolerance_interval():
    lo, hi = phase_claims.tolerance_interval(0.3, (0.28, 0.31, 0.34), 0.1, log_x=True)
    assert lo == pytest.approx(0.28 * 10**-0.05) and hi == pytest.approx(0.34 * 10**0.05)
    lo, hi = phase_claims.tolerance_interval(0.05, (0.06, 0.08, 0.1), 0.05, log_x=False)
    assert (lo, hi) == (pytest.approx(0.025), pytest.approx(0.125))  # hull with the analytic value
    assert np.isnan(phase_claims.tolerance_interval(0.3, (np.nan,) * 3, 0.1, log_x=True)[0])
    rule = phase_claims.boundary_rule
    assert rule([0.3, 0.4], [0.25, 0.35], [0.35, 0.45]) == (
        "reproduced",
        {"n_tested": 2, "n_inside": 2},
    )
    assert rule([0.3, 0.46], [0.25, 0.35], [0.35, 0.45])[0] == "not reproduced"
    assert rule([0.3, np.nan], [0.25, 0.35], [0.35, 0.45])[0] == "reproduced"  # NaN: untested point
    assert rule([np.nan], [0.25], [0.35])[0] == "not tested"


def test_trend_rule_both_sides():
    theory = np.array([0.45, 0.36, 0.31, 0.28, 0.25])
    tol = np.full(5, 0.03)
    rule = phase_claims.trend_rule
    assert rule(theory * 1.1, theory, tol, log_x=True)[0] == "reproduced"
    # slope 0.6 of the analytic variation (> 1/2) passes, 0.4 fails
    t = np.log10(theory)
    part = lambda k: 10 ** (t.mean() + k * (t - t.mean()))  # noqa: E731
    assert rule(part(0.6), theory, tol, log_x=True)[0] == "reproduced"
    v, value = rule(part(0.4), theory, tol, log_x=True)
    assert v == "not reproduced" and value["weighted_slope"] == pytest.approx(0.4)
    assert rule(theory[::-1], theory, tol, log_x=True)[0] == "not reproduced"  # rises instead
    assert rule(theory[:2], theory[:2], tol[:2], log_x=True)[0] == "not tested"
    assert rule([0.1, 0.2, 0.3], [0.2, 0.2, 0.2], [0.05] * 3, log_x=False)[0] == "not tested"


def test_level_crossing_and_local_step():
    from curldescent.analysis.statistics import level_crossing, local_step

    x = np.array([0.1, 0.2, 0.4])
    assert level_crossing(x, np.array([0.0, 0.5, 1.0]), 0.75, log_x=True) == pytest.approx(
        10 ** (0.5 * (np.log10(0.2) + np.log10(0.4)))
    )
    assert level_crossing(x, np.array([0.6, 0.8, 1.0]), 0.5) == 0.1
    assert np.isnan(level_crossing(x, np.array([0.0, 0.1, 0.2]), 0.5))
    assert local_step(np.linspace(0.1, 0.7, 7), 0.33) == pytest.approx(0.1)
    assert local_step(np.array([0.1, 1.0, 10.0]), 3.0, log_x=True) == pytest.approx(1.0)


def test_finite_size_band_brackets_the_large_n_value():
    """At M + N = 60 the finite-size critical c of alpha_h = 0.5 sits near the analytic
    0.31, with a spread that shrinks the band to a fraction of a decade."""
    from curldescent.theory.finite_size import finite_size_band

    cc = boundary.c_crit(0.5)
    lo, med, hi = finite_size_band("hidden", 60, 0.5, np.geomspace(0.4 * cc, 2.5 * cc, 9), range(8))
    assert lo < med < hi and 0.5 * cc < med < 2 * cc and np.log10(hi / lo) < 1.0


def test_order_parameter_variants():
    from curldescent.analysis.order_parameter import (
        order_parameter_from_moments,
        order_parameter_variants,
    )

    rng = np.random.default_rng(1)
    m, v = rng.normal(0, 2, 50), rng.uniform(0, 1, 50)
    q, q_std = order_parameter_variants(np.append(m, np.nan), np.append(v, np.nan))
    assert q == pytest.approx(float(order_parameter_from_moments(m, v)))
    assert q_std == pytest.approx(np.mean(v) / np.std(m)) and q_std == pytest.approx(q * np.std(m))


def test_step_crossing_ignores_a_stray_value():
    from curldescent.analysis.statistics import bootstrap_crossing, step_crossing

    x = np.linspace(0.1, 0.7, 20)
    y = np.where(x > 0.31, -1.5, -15.0)
    y[4] = -1.5  # one run inside that has not converged
    assert midpoint_crossing(x, y) < 0.23  # the first crossing goes to the stray value
    assert step_crossing(x, y) == pytest.approx(np.sqrt(x[6] * x[7]))
    assert step_crossing(x, y, log_x=False) == pytest.approx(0.5 * (x[6] + x[7]))
    assert np.isnan(step_crossing(x, np.full(20, -15.0)))  # no rise of 3 decades
    assert np.isnan(step_crossing(x, -y - 16.5))  # a step down is not a transition
    Y = np.stack([y, np.where(x > 0.34, -1.5, -15.0)], axis=1)
    est, sd = bootstrap_crossing(x, Y, step_crossing)
    assert x[6] < est < x[8] and 0 < sd < 0.05
