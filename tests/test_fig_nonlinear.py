"""Figs. 6-9 (tanh phase diagrams, example runs): smoke profiles end to
end, the data each figure's claims read, and the pure helpers on known answers."""

import json

import numpy as np
import pytest
import xarray as xr

from curldescent.figures import _tanh_phase as tp
from curldescent.figures import fig6, fig7, fig8, fig9
from curldescent.figures._linear import assembly, boundary
from curldescent.figures.base import PROFILE_NAMES, VERDICTS, store_path


def _run(name, smoke_figure, tmp_path_factory):
    out, res = smoke_figure(name, tmp_path_factory.mktemp(name))
    assert res.print_problems == []
    for ext in ("png", "pdf", "nc", "claims.json"):
        assert (out / f"{name}.{ext}").stat().st_size > 0
    claims = json.loads((out / f"{name}.claims.json").read_text())
    assert claims and all(c["verdict"] in VERDICTS for c in claims)
    with xr.open_dataset(out / f"{name}.nc") as ds:
        return out, res, ds.load(), claims


@pytest.mark.slow
def test_fig7_example_smoke(smoke_figure, tmp_path_factory):
    out, _, data, claims = _run("fig7", smoke_figure, tmp_path_factory)
    store = store_path(out, fig7.sweeps("smoke")["example"])
    assert store.exists()  # the runs live in the figure's sweep store
    again = fig7.compute("smoke", out)  # resumes from the store
    xr.testing.assert_equal(again, data)
    assert len(claims) == 2
    np.testing.assert_allclose(data.curl_acf_mean.values[0], 1.0)
    assert data.curl_pc.shape == (fig7.SETTINGS["smoke"].window, 2)
    assert np.isfinite(float(data.curl_q)) and np.isfinite(float(data.gradient_q))
    specs = json.loads(data.attrs["specs"])
    assert (
        specs["curl"]["rule"]["alpha_hidden"] == fig7.ALPHA_H
        and specs["gradient"]["rule"]["kind"] == "gradient"
    )
    assert (specs["curl"]["network"]["M"], specs["curl"]["network"]["N"]) == (
        48,
        61,
    )  # M + N = 110, c = 0.8
    assert (
        specs["curl"]["seed"] == specs["gradient"]["seed"]
    )  # same teacher, data and initial weights


@pytest.mark.slow
def test_fig9_starts_on_the_manifold(smoke_figure, tmp_path_factory):
    _, _, data, claims = _run("fig9", smoke_figure, tmp_path_factory)
    assert len(claims) == 3
    assert float(data.curl_test_error[0]) < 1e-20  # teacher + 1e-15 on W1: error ~ 1e-30
    assert float(data.gradient_test_error[0]) > 1e-4  # random start
    specs = json.loads(data.attrs["specs"])
    assert (
        specs["curl"]["task"]["start"] == "teacher" and specs["curl"]["task"]["perturb_W1"] == 1e-15
    )
    assert specs["curl"]["rule"]["alpha_readout"] == fig9.ALPHA_R
    assert data.curl_pc_run.shape == (data.sizes["epoch"], 2)


@pytest.mark.slow
def test_fig6_fig8_phase_diagram_smoke(smoke_figure, tmp_path_factory):
    from curldescent.figures.base import figure_sweep

    out, _, d6, c6 = _run("fig6", smoke_figure, tmp_path_factory)
    assert sum(c["claim"].startswith("(6)") for c in c6) == 3
    assert all(c["setting"].startswith("M+N=20, 3e+01 epochs") for c in c6)
    for key in ("main", "zoom", "linear"):
        p = assembly.panel(d6, key)
        assert p.log10_error.dims == ("c", "alpha") and np.all(np.isfinite(p.log10_error.values))
    assert figure_sweep("fig6-smoke").sweep == fig6.sweeps("smoke")["main"]
    lin = fig6.sweeps("smoke")["linear"].point_specs()
    tanh = fig6.sweeps("smoke")["zoom"].point_specs()
    for a, b in zip(lin, tanh, strict=True):  # same seeds, sizes, task and schedule
        assert a.network.activation == "linear" and b.network.activation == "tanh"
        assert (a.seed, a.task_seed, a.data_seed, a.task, a.train) == (
            b.seed,
            b.task_seed,
            b.data_seed,
            b.task,
            b.train,
        )
        assert (a.network.M, a.network.N) == (b.network.M, b.network.N)
    again = fig6.compute("smoke", out)  # resumes from the stores
    xr.testing.assert_allclose(again.drop_attrs(), d6.drop_attrs())
    _, _, d8, c8 = _run("fig8", smoke_figure, tmp_path_factory)
    assert sum(c["claim"].startswith("(7)") for c in c8) == 3
    assert any(c["claim"].startswith("Beyond the paper") for c in c8)  # the random-start row
    assert all(c["setting"] for c in c8)
    a = assembly.panel(d8, "main")
    # the authors' start: the teacher + 1e-15; the peak train error starts at the 1e-15 floor
    assert np.all(a.peak_log10_error.values >= -15.0 - 1e-9)
    assert figure_sweep("fig8-smoke").sweep == fig8.sweeps("smoke")["main"]
    for s in fig8.sweeps("smoke")["linear"].point_specs():
        assert s.network.activation == "linear" and s.task.start == "teacher"


# ------------------------------------------------------------------ pure helpers (no simulation)


def test_readout_boundary_along_alpha_finds_a_planted_step():
    """Peak error at the floor up to alpha_r = 0.3 and high from 0.4: the crossing lies between
    0.3 and 0.4 (linear interpolation along alpha_r), none where flat."""
    alphas = np.linspace(0.0, 1.0, 11)
    step = np.where(alphas > 0.35, -1.0, -15.0)
    peak = np.stack([np.full(11, -15.0), step])[:, :, None] * np.ones((1, 1, 3))  # (c, alpha, seed)
    da = xr.DataArray(
        peak,
        dims=("c", "alpha", "seed"),
        coords={"c": [0.1, 1.0], "alpha": alphas, "seed": [0, 1, 2]},
    )
    b = fig8.alpha_boundary(da)
    assert np.isnan(float(b.alpha_tanh.sel(c=0.1)))
    assert 0.3 < float(b.alpha_tanh.sel(c=1.0)) < 0.4
    assert float(b.alpha_tanh_sd.sel(c=1.0)) == pytest.approx(0.0, abs=1e-12)


def test_tanh_boundary_finds_a_planted_step():
    cs = np.geomspace(0.1, 10, 9)
    alphas = np.array([0.0, 0.5])
    step = np.where(cs[:, None] > 1.0, -1.0, -6.0) * np.ones((1, 3))  # (c, seed)
    value = np.stack(
        [np.full((9, 3), -6.0), step], axis=1
    )  # alpha 0 flat, alpha 0.5 steps at c = 1
    grid = xr.Dataset(
        {"value": (("c", "alpha", "seed"), value)},
        coords={"c": cs, "alpha": alphas, "seed": [0, 1, 2]},
    )
    b = fig6.tanh_boundary(grid)
    assert np.isnan(float(b.c_tanh.sel(alpha=0.0)))
    assert 0.8 < float(b.c_tanh.sel(alpha=0.5)) < 1.4


def test_phase_panel_draws_only_finite_simulated_boundary_points():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cs, alphas = np.array([0.1, 1.0, 10.0]), np.array([0.0, 0.5, 1.0])
    p = xr.Dataset({"z": (("c", "alpha"), np.zeros((3, 3)))}, coords={"c": cs, "alpha": alphas})
    fig, ax = plt.subplots()
    x = np.array([np.nan, 0.5, 2.0])
    fig6.phase_panel(
        fig,
        ax,
        p,
        "z",
        boundary.boundary("hidden"),
        "hidden",
        title="t",
        label="z",
        line={},
        legend="lower left",
        marks=(x, alphas, {"xerr": np.stack([0.1 * x, 0.2 * x])}),
    )
    (bars,) = ax.containers
    np.testing.assert_array_equal(bars.lines[0].get_xdata(), [0.5, 2.0])
    assert ax.get_ylabel() == r"flipped fraction $\alpha_h$"
    plt.close(fig)


@pytest.mark.parametrize("name", ["fig3", "fig4", "fig6", "fig7", "fig8", "fig9"])
def test_figure_module_shape(name):
    """Frozen settings per profile, an unknown profile named with the allowed ones, the
    runs as sweeps named after the figure and the profile, counted by planned_runs."""
    import dataclasses
    import importlib

    from curldescent.specs import SpecError

    fig = importlib.import_module(f"curldescent.figures.{name}")
    assert {"smoke", "quick", "paper"} <= set(fig.SETTINGS)
    if name in ("fig6", "fig7", "fig8", "fig9"):
        assert set(fig.SETTINGS) == set(PROFILE_NAMES) and set(fig.PROFILES) == set(PROFILE_NAMES)
    for profile in fig.SETTINGS:
        s = fig.settings(profile)
        assert s is fig.SETTINGS[profile] and dataclasses.is_dataclass(s)
        with pytest.raises(dataclasses.FrozenInstanceError):
            s.__setattr__(dataclasses.fields(s)[0].name, None)
        sw = fig.sweeps(profile)
        assert sw and all(
            x.name.startswith(name) and x.name.endswith(f"-{profile}") for x in sw.values()
        )
        assert fig.planned_runs(profile) >= sum(x.size for x in sw.values())
    with pytest.raises(SpecError, match="allowed: smoke, quick"):
        fig.settings("huge")


def test_example_runs_are_one_sweep_of_the_curl_run_and_its_control():
    for fig, field in ((fig7, "alpha_hidden"), (fig9, "alpha_readout")):
        sweep = fig.sweeps("paper")["example"]
        curl, grad = (sweep.point_spec((i,)) for i in range(2))
        assert sweep.store_weights and sweep.size == 2
        assert curl.rule.kind == "curl" and getattr(curl.rule, field) == 0.6
        assert grad.rule.kind == "gradient" and getattr(grad.rule, field) == 0.0
        assert curl.seed == grad.seed and curl.network == grad.network
        assert curl.train == grad.train and curl.train.record_weights
    curl, grad = (fig9.sweeps("quick")["example"].point_spec((i,)) for i in range(2))
    assert (curl.task.start, curl.task.perturb_W1) == ("teacher", 1e-15)
    assert (grad.task.start, grad.task.perturb_W1) == ("random", 0.0)


# ------------------------------------------------------------------ verdict rules, both sides


def _steps(x, at, seeds=4, lo=-8.0, hi=-1.0, noise=0.0):
    """Log errors (len(x), 1 line, seeds) stepping from lo to hi between x < at and x >= at."""
    rng = np.random.default_rng(0)
    y = np.where(np.asarray(x)[:, None, None] >= at, hi, lo) * np.ones((1, 1, seeds))
    return y + noise * rng.standard_normal(y.shape)


@pytest.mark.parametrize(("at_tanh", "want"), [(0.3, "reproduced"), (0.5, "not reproduced")])
def test_paired_shift_sees_which_boundary_is_lower(at_tanh, want):
    x = np.linspace(0.1, 0.7, 13)
    t, lin = _steps(x, at_tanh, noise=0.3), _steps(x, 0.42, noise=0.3)
    sh = tp.paired_shift(x, t, lin, log_x=True)
    assert sh["n_lines"] == 1 and sh["lo"] <= sh["shift"] <= sh["hi"]
    assert tp.shift_verdict(sh["shift"], sh["lo"], sh["hi"], sh["n_lines"], 1) == want


def test_shift_verdict_thresholds():
    assert tp.shift_verdict(-0.2, -0.3, -0.01, 3, 2) == "reproduced"
    assert tp.shift_verdict(-0.2, -0.3, 0.01, 3, 2) == "not reproduced"  # interval reaches 0
    assert tp.shift_verdict(0.2, 0.1, 0.3, 3, 2) == "not reproduced"
    assert tp.shift_verdict(-0.2, -0.3, -0.01, 1, 2) == "not tested"  # too few boundaries
    assert tp.shift_verdict(-0.2, np.nan, np.nan, 3, 2) == "not tested"  # one seed: no interval


def test_paired_shift_without_a_linear_boundary_is_not_tested():
    x = np.linspace(0.1, 0.7, 7)
    flat = np.full((7, 1, 3), -8.0)
    sh = tp.paired_shift(x, _steps(x, 0.3, seeds=3), flat, log_x=True)
    assert sh["n_lines"] == 0
    assert tp.shift_verdict(sh["shift"], sh["lo"], sh["hi"], sh["n_lines"], 1) == "not tested"


def test_below_curve_verdict_thresholds():
    tol = np.full(4, 0.1)
    assert tp.below_curve_verdict([-0.2, -0.2, -0.2, np.nan], tol, 2) == ("reproduced", 1.0)
    assert tp.below_curve_verdict([-0.2, -0.05, -0.2, -0.2], tol, 2)[0] == "reproduced"  # 3/4
    assert tp.below_curve_verdict([-0.2, -0.05, -0.05, -0.2], tol, 2)[0] == "not reproduced"
    assert tp.below_curve_verdict([-0.09, -0.09, -0.09, -0.09], tol, 2)[0] == "not reproduced"
    assert tp.below_curve_verdict([-0.2, np.nan, np.nan, np.nan], tol, 2)[0] == "not tested"


def test_redescent_verdict_thresholds():
    start = -15.0
    peak = np.array([-1.0, -1.0, -14.0])  # the third cell never left
    assert tp.redescent_verdict(peak, [-3.5, -3.0, -14.0], start)[:2] == ("reproduced", 1.0)
    assert tp.redescent_verdict(peak, [-2.5, -2.5, -14.0], start)[0] == "not reproduced"
    assert tp.redescent_verdict(peak, [-3.5, np.inf, -14.0], start)[0] == "reproduced"  # 1/2
    assert tp.redescent_verdict([-13.0, -14.0], [-14.0, -15.0], start)[0] == "not tested"
    # the start's error matters: the same peaks count as left only above start + 3
    assert tp.redescent_verdict(peak, [-3.5, -3.0, -14.0], -3.5)[0] == "not tested"


def test_grid_step_at():
    x = np.array([0.1, 0.2, 0.4, 0.8])
    assert tp.grid_step_at(x, [0.3], log_x=True) == pytest.approx(np.log10(2))
    assert tp.grid_step_at(x, [0.15, 0.5], log_x=False) == pytest.approx(0.4)
    assert np.isnan(tp.grid_step_at(x, [np.nan], log_x=False))


def test_finite_size_tolerance_covers_at_least_the_grid_step():
    alphas = np.array([0.0, 0.2, 0.4, 0.6])
    cs = np.array([0.2, 1.0])
    big = np.array([fig8.boundary.alpha_crit("readout", c) for c in cs])
    tol = tp.finite_size_tolerance("readout", 40, alphas, cs, big, seeds=range(2))
    assert tol.shape == (2,) and np.all(tol >= 0.2 - 1e-12) and np.all(tol <= 0.6 + 0.2)


def test_fig6_trend_verdict_thresholds():
    assert fig6.trend_verdict(0.5, 3, 4) == "reproduced"
    assert fig6.trend_verdict(1.5, 3, 4) == "not reproduced"  # alpha_h = 0 has a transition
    assert fig6.trend_verdict(0.5, 1, 4) == "not reproduced"  # too few boundaries
    assert fig6.trend_verdict(np.nan, 3, 4) == "not tested"  # no alpha_h = 0 column


def test_fig8_trend_verdict_thresholds():
    quiet = [-14.0, -14.0, -14.0]
    assert fig8.trend_verdict(quiet, [0.4, 0.2, 0.1]) == "reproduced"
    assert fig8.trend_verdict([-14.0, -5.0, -14.0], [0.4, 0.2, 0.1]) == "not reproduced"
    assert fig8.trend_verdict(quiet, [0.1, 0.2, 0.4]) == "not reproduced"  # rises with c
    assert fig8.trend_verdict(quiet, [0.4, np.nan, np.nan]) == "not reproduced"  # 1 of 3
    assert fig8.trend_verdict([], [0.4, 0.2, 0.1]) == "not tested"


def test_fig7_verdict_thresholds():
    assert fig7.chaos_verdict(0.5, 1e-4, 30.0) == "reproduced"
    assert fig7.chaos_verdict(0.5, 1e-2, 30.0) == "not reproduced"  # < 100x the control
    assert fig7.chaos_verdict(5e-3, 1e-8, 30.0) == "not reproduced"  # q too small
    assert fig7.chaos_verdict(0.5, 1e-4, np.nan) == "not reproduced"  # never decorrelates
    assert fig7.poor_verdict(0.2, 0.01) == "reproduced"
    assert fig7.poor_verdict(0.05, 0.01) == "not reproduced"


def test_fig9_verdict_thresholds():
    assert fig9.leave_verdict(1e-30, 1e-2) == "reproduced"
    assert fig9.leave_verdict(1e-30, 1e-25) == "not reproduced"
    assert fig9.redescent_verdict(1e-30, 1e-1, 1e-5, 1e-5) == "reproduced"
    assert fig9.redescent_verdict(1e-30, 1e-1, 5e-2, 1e-5) == "not reproduced"  # stays high
    assert fig9.redescent_verdict(1e-30, 1e-1, 2e-4, 1e-5) == "not reproduced"  # > 10x GD
    assert fig9.redescent_verdict(1e-30, 1e-25, 1e-28, 1e-5) == "not reproduced"  # never left
