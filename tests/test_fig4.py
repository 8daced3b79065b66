"""Figure 4 (readout flips): every claim function on synthetic data with a known answer,
and the smoke profile end to end (plot, claims)."""

import json

import numpy as np
import pytest
import xarray as xr

from curldescent.figures import fig4
from curldescent.figures._linear import assembly, boundary
from curldescent.figures.base import VERDICTS

CS = np.array([0.01, 0.1, 1.0])
ALPHAS = np.linspace(0, 1, 11)
SEEDS = np.arange(4)


def synthetic(*, redescend: bool = True, spike: bool = True, chaos: bool = False) -> xr.Dataset:
    """A dataset shaped like fig4.compute's: beyond alpha_crit(c), runs of (a) end at 1e-8
    (or stay at 1e-1 when not ``redescend``); runs of (b) spike to 1e-1 (or stay at 1e-15)."""
    ac = np.array([boundary.alpha_crit("readout", c) for c in CS])
    beyond = ALPHAS[None, :] > ac[:, None]
    rep = lambda v, n=len(SEEDS): np.repeat(np.asarray(v)[..., None], n, -1)  # noqa: E731
    final = np.where(beyond, 1e-8 if redescend else 1e-1, 1e-20)
    a = xr.Dataset(
        {
            "final_test_error": (("c", "alpha", "seed"), rep(final)),
            "final_log10_test_error": (("c", "alpha", "seed"), rep(np.log10(final + 1e-15))),
            "diverged": (("c", "alpha", "seed"), rep(np.zeros(final.shape, bool))),
        },
        coords={"c": CS, "alpha": ALPHAS, "seed": SEEDS},
    )
    peak = np.where(beyond & spike, -1.0, -15.0)
    b = xr.Dataset(
        {
            "peak_log10_test_error": (("c", "alpha", "seed"), rep(peak)),
            "diverged": (("c", "alpha", "seed"), rep(np.zeros(peak.shape, bool))),
        },
        coords={"c": CS, "alpha": ALPHAS, "seed": SEEDS},
    )
    lam = np.where(beyond, 2e-3 if chaos else 1e-7, 1e-7)
    ly = xr.Dataset(
        {
            "lyapunov": (("c", "alpha", "seed"), rep(lam, 2)),
            "q": (("c", "alpha", "seed"), rep(np.full(lam.shape, 1e-16), 2)),
            "window_test_error": (("c", "alpha", "seed"), rep(final, 2)),
            "period": (("c", "alpha", "seed"), rep(np.ones(lam.shape), 2)),
        },
        coords={"c": CS, "alpha": ALPHAS, "seed": np.arange(2)},
    )
    sb = ALPHAS > boundary.alpha_crit("readout", 0.1)
    fpk = np.where(sb & spike, -1.0, -15.0)
    ffin = np.where(sb, -8.0 if redescend else -1.0, -15.0)
    sl = xr.Dataset(
        {
            "final_log10_test_error": (("scheme", "alpha", "seed"), np.stack([rep(ffin, 2)] * 2)),
            "peak_log10_test_error": (("scheme", "alpha", "seed"), np.stack([rep(fpk, 2)] * 2)),
            "q": (("scheme", "alpha", "seed"), np.full((2, len(ALPHAS), 2), 1e-16)),
            "period": (
                ("scheme", "alpha", "seed"),
                np.stack([np.ones((len(ALPHAS), 2)), np.full((len(ALPHAS), 2), np.nan)]),
            ),
        },
        coords={"scheme": ["map_full_batch", "flow"], "alpha": ALPHAS, "seed": np.arange(2)},
    )
    data = xr.merge(
        [
            assembly.prefixed(a, "a"),
            assembly.prefixed(b, "b"),
            assembly.prefixed(ly, "ly"),
            assembly.prefixed(sl, "sl"),
        ]
    )
    data.attrs.update(
        {
            "slice_c": 0.1,
            "lyapunov": json.dumps({"n_lyap": 1000}),
            "method_labels": json.dumps(fig4.METHOD_LABELS),
        }
    )
    return data


def test_claim_low_error_known_answer():
    c = fig4.claim_low_error(synthetic())
    assert c.verdict == "reproduced"
    assert c.value["fraction_below_1e-3"] == 1.0 and c.value["fraction_below_1e-5"] == 1.0
    assert c.uncertainty["sem_fraction_below_1e-3"] == pytest.approx(0.0)
    bad = fig4.claim_low_error(synthetic(redescend=False))
    assert bad.verdict == "not reproduced" and bad.value["fraction_below_1e-3"] == 0.0


def test_claim_peak_known_answer():
    c = fig4.claim_peak(synthetic())
    assert c.verdict == "reproduced"
    assert c.value["mean_max_peak_inside"] == -15.0 and c.value["mean_max_peak_well_beyond"] == -1.0
    assert c.value["mean_per_seed_rise_decades"] == pytest.approx(14.0)
    # the simulated boundary: the peak jumps between the two grid points around alpha_crit
    for row in c.value["boundary_by_c"].values():
        assert abs(row["alpha_sim"] - row["alpha_crit"]) <= 0.1
    assert fig4.claim_peak(synthetic(spike=False)).verdict == "not reproduced"


def test_claim_lyapunov_readout_known_answer():
    assert fig4.claim_lyapunov(synthetic()).verdict == "reproduced"
    bad = fig4.claim_lyapunov(synthetic(chaos=True))
    assert (
        bad.verdict == "not reproduced"
        and bad.value["fraction_nonpositive_low_error_beyond"] == 0.0
    )


def test_claims_count_diverged_runs_as_failed():
    """A diverged run (non-finite error, log error +inf) is a failed run in (3) and is left
    out of the peak means of (4), which stay finite."""
    data = synthetic()
    err = data.a_final_test_error.values.copy()
    err[-1, -1, 0] = np.nan
    div = data.a_diverged.values.copy()
    div[-1, -1, 0] = True
    data["a_final_test_error"] = (data.a_final_test_error.dims, err)
    data["a_diverged"] = (data.a_diverged.dims, div)
    c = fig4.claim_low_error(data)
    assert c.value["n_diverged_runs_beyond"] == 1 and c.value["fraction_below_1e-3"] < 1.0
    pk = data.b_peak_log10_test_error.values.copy()
    pk[-1, -1, 0] = np.inf
    data["b_peak_log10_test_error"] = (data.b_peak_log10_test_error.dims, pk)
    p = fig4.claim_peak(data)
    assert np.isfinite(p.value["mean_max_peak_well_beyond"]) and p.verdict == "reproduced"


def test_claim_map_follows_flow_known_answer():
    assert fig4.claim_map_follows_flow(synthetic()).verdict == "reproduced"
    data = synthetic()
    pk = data.sl_peak_log10_test_error.values.copy()
    pk[0] = -15.0  # the map never leaves the manifold, the flow spikes
    data["sl_peak_log10_test_error"] = (data.sl_peak_log10_test_error.dims, pk)
    bad = fig4.claim_map_follows_flow(data)
    assert bad.verdict == "not reproduced" and bad.value["fraction_runs_agreeing"] < 0.8


def test_claim_flow_redescent_known_answer():
    c = fig4.claim_flow_redescent(synthetic())
    assert c.verdict == "reproduced"
    assert (
        c.value["fraction_flow_spike_well_beyond"] == 1.0
        and c.value["fraction_flow_stays_inside"] == 1.0
    )
    assert fig4.claim_flow_redescent(synthetic(redescend=False)).verdict == "not reproduced"
    assert fig4.claim_flow_redescent(synthetic(spike=False)).verdict == "not reproduced"
    # no period-2 cycles in this synthetic map
    assert fig4.claim_map_follows_flow(synthetic()).value["n_period_2_map"] == 0


@pytest.mark.slow
def test_smoke_profile_end_to_end(tmp_path):
    from curldescent.figures.base import run_figure

    res = run_figure("fig4", profile="smoke", out=tmp_path)
    assert res.extra["print_problems"] == []
    assert (tmp_path / "fig4.png").stat().st_size > 10_000
    claims = json.loads((tmp_path / "fig4.claims.json").read_text())
    assert len(claims) == 5 and all(c["verdict"] in VERDICTS for c in claims)
    data = xr.open_dataset(tmp_path / "fig4.nc")
    assert {
        "a_final_log10_test_error",
        "b_peak_log10_test_error",
        "ly_lyapunov",
        "ex_acf_mean",
    } <= set(data.data_vars)
    assert data.attrs["n_runs"] > 0
