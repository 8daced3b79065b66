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


def _sigmoid_log_error(c, c_crit, width=0.1):
    """log10 error: -15 well below c_crit, -1 well above, midpoint -8 exactly at c_crit."""
    z = (np.log10(c) - np.log10(c_crit)) / width
    return -15.0 + 14.0 / (1.0 + np.exp(-z))


def synthetic(shift: float = 1.0, *, chaos_lambda: float = 2e-3, cycles: bool = True) -> xr.Dataset:
    """A dataset shaped like fig3.compute's, whose runs follow the analytic boundary
    c_crit(alpha) * shift exactly (log error a steep sigmoid in log c)."""
    cs = np.geomspace(0.1, 10.0, 61)
    cc = np.array([boundary.c_crit(a) * shift for a in ALPHAS])
    loge = np.stack([[_sigmoid_log_error(c, k) for k in cc] for c in cs])  # (c, alpha)
    loge = np.repeat(loge[..., None], len(SEEDS), axis=-1)
    a = xr.Dataset(
        {
            "final_log10_test_error": (("c", "alpha", "seed"), loge),
            "final_test_error": (("c", "alpha", "seed"), 10.0**loge),
            "diverged": (("c", "alpha", "seed"), np.zeros(loge.shape, bool)),
        },
        coords={"c": cs, "alpha": ALPHAS, "seed": SEEDS},
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
            assembly.prefixed(bc, "bc"),
            assembly.prefixed(ly, "ly"),
            assembly.prefixed(sl, "sl"),
        ]
    )
    data.attrs.update(
        {
            "slice_c": 0.4,
            "lyapunov": json.dumps({"n_lyap": 500}),
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
    assert c.verdict == "reproduced"
    for alpha, row in c.value.items():
        assert row["c_sim"] == pytest.approx(row["c_crit"], rel=0.02), alpha
        assert row["log10_c_sim_sd"] == pytest.approx(0.0, abs=1e-9)  # identical seeds
    shifted = fig3.claim_boundary(synthetic(shift=2.0))
    assert shifted.verdict == "not reproduced"
    row = shifted.value["0.5"]
    assert row["c_sim"] == pytest.approx(2 * row["c_crit"], rel=0.02)


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
    y = _sigmoid_log_error(x, 0.7)
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
def test_smoke_profile_end_to_end(tmp_path):
    """The smoke profile computes, plots and checks; a second call resumes from the stores
    and caches (nothing recomputed: cached files untouched)."""
    from curldescent.figures.base import run_figure

    res = run_figure("fig3", profile="smoke", out=tmp_path)
    assert res.extra["print_problems"] == []
    assert (tmp_path / "fig3.png").stat().st_size > 10_000
    claims = json.loads((tmp_path / "fig3.claims.json").read_text())
    assert len(claims) == 5 and all(c["verdict"] in VERDICTS for c in claims)
    data = xr.open_dataset(tmp_path / "fig3.nc")
    assert data.attrs["n_runs"] > 0 and "a_final_log10_test_error" in data and "ly_lyapunov" in data
    assert set(data.sl_scheme.values) == {"map_full_batch", "flow"}
    cached = sorted((tmp_path / "derived").glob("*.nc"))
    assert [p.name.split("-")[0] for p in cached] == ["cycles", "example", "flow", "lyapunov"]
    mtimes = [p.stat().st_mtime_ns for p in cached]
    again = fig3.compute("smoke", tmp_path)
    assert [p.stat().st_mtime_ns for p in cached] == mtimes
    xr.testing.assert_allclose(again.a_final_log10_test_error, data.a_final_log10_test_error)
    assert res.files["png"].endswith("fig3.png")
