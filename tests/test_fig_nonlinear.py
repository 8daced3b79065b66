"""Figs. 6-9 (tanh phase diagrams, example runs): smoke profiles end to
end, the data each figure's claims read, and the pure helpers on known answers."""

import json

import numpy as np
import pytest
import xarray as xr

from curldescent.figures import fig6, fig7, fig8, fig9
from curldescent.figures._linear import assembly, boundary
from curldescent.figures.base import VERDICTS, run_figure, store_path


def _run(name, tmp_path_factory):
    out = tmp_path_factory.mktemp(name)
    res = run_figure(name, profile="smoke", out=out)
    assert res.extra["print_problems"] == []
    for ext in ("png", "pdf", "nc", "claims.json"):
        assert (out / f"{name}.{ext}").stat().st_size > 0
    claims = json.loads((out / f"{name}.claims.json").read_text())
    assert claims and all(c["verdict"] in VERDICTS for c in claims)
    with xr.open_dataset(out / f"{name}.nc") as ds:
        return out, res, ds.load(), claims


@pytest.mark.slow
def test_fig7_example_smoke(tmp_path_factory):
    out, _, data, claims = _run("fig7", tmp_path_factory)
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
def test_fig9_starts_on_the_manifold(tmp_path_factory):
    _, _, data, claims = _run("fig9", tmp_path_factory)
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
def test_fig6_fig8_phase_diagram_smoke(tmp_path_factory):
    from curldescent.figures.base import figure_sweep

    out, _, d6, c6 = _run("fig6", tmp_path_factory)
    assert any(c["claim"].startswith("(6)") for c in c6)
    main = assembly.panel(d6, "main")
    assert main.log10_error.dims == ("c", "alpha") and np.all(np.isfinite(main.log10_error.values))
    assert figure_sweep("fig6-smoke").sweep == fig6.sweeps("smoke")["main"]
    again = fig6.compute("smoke", out)  # resumes from the stores
    xr.testing.assert_allclose(again.drop_attrs(), d6.drop_attrs())
    _, _, d8, c8 = _run("fig8", tmp_path_factory)
    assert any(c["claim"].startswith("(7)") for c in c8)
    b = assembly.panel(d8, "b")
    assert np.all(
        b.peak_log10_error.values >= assembly.panel(d8, "a").log10_error.values.min() - 50
    )
    assert figure_sweep("fig8-peak-smoke").sweep == fig8.sweeps("smoke")["peak"]


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
    assert set(fig.SETTINGS) == {"smoke", "quick", "paper"}
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
    with pytest.raises(SpecError, match="allowed: smoke, quick, paper"):
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
