"""Sweeps: grid specs, planning, the zarr store (resume, refusals), export, the CLI.

All simulations use one tiny network and one chunk size, so the process compiles one
sampling and one training program (kept in a persistent JAX cache under .pytest_cache).
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curldescent.engine import shape_key, simulate_batch
from curldescent.presets import sizes_for_c
from curldescent.specs import NetworkSpec, RuleSpec, RunSpec, SpecError, TaskSpec, TrainSpec
from curldescent.sweeps import (
    SWEEPS,
    Axis,
    StoreError,
    SweepFailed,
    SweepSpec,
    c_axis,
    execute_sweep,
    export_netcdf,
    load_sweep,
    open_sweep,
    plan_sweep,
    resolve_sweep,
    run_sweep,
    sweep_from_dict,
    sweep_status,
)
from curldescent.sweeps.progress import Progress, format_duration

BASE = RunSpec(
    network=NetworkSpec(M=6, N=4),
    task=TaskSpec(n_train=16, n_test=8),
    rule=RuleSpec(kind="curl"),
    train=TrainSpec(epochs=30, n_checkpoints=8, lr=0.1),
)


def small_sweep(**changes) -> SweepSpec:
    """rule (shape axis) x alpha_hidden x seed = 24 runs in 8 batches of 3."""
    spec = SweepSpec(
        name="small",
        base=BASE,
        axes=(
            Axis("rule", ["gradient", "curl"]),
            Axis("alpha_hidden", [0.0, 0.5]),
            Axis("seed", range(6)),
        ),
        max_batch=3,
        chunk_size=3,
    )
    return spec.replace(**changes) if changes else spec


def tree_digest(path: Path) -> str:
    """Hash of every path, size, mtime and content under ``path`` (detects any change)."""
    h = hashlib.sha256()
    path = Path(path)
    items = [path] + sorted(path.rglob("*")) if path.is_dir() else [path]
    for p in items:
        st_ = p.lstat()
        h.update(
            f"{p.relative_to(path.parent)}|{st_.st_size}|{st_.st_mtime_ns}|{p.is_dir()}".encode()
        )
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


def data_only(ds: xr.Dataset) -> xr.Dataset:
    out = ds.load().copy()
    out.attrs = {}
    return out


@pytest.fixture(scope="module", autouse=True)
def _compile_cache(jax_compile_cache):
    """Every test of this module uses the persistent compilation cache (tests/conftest.py)."""
    return jax_compile_cache


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> xr.Dataset:
    """The small sweep, run once in-process."""
    store = tmp_path_factory.mktemp("ref") / "small.zarr"
    return run_sweep(small_sweep(), store, progress=False).load()


# --------------------------------------------------------------------------- specs


def test_axis_fields_are_inferred_from_names_and_aliases():
    assert Axis("alpha_h", [0.1]).field == "rule.alpha_hidden"
    assert Axis("alpha_readout", [0.1]).field == "rule.alpha_readout"
    assert Axis("rule", ["curl"]).field == "rule.kind"
    assert Axis("N_train", [10]).field == "task.n_train"
    assert Axis("init_scale", [2.0]).field == "task.init_scale"
    assert Axis("seed", [0]).field == "seed"
    assert Axis("lr_x", [0.1], field="train.lr").field == "train.lr"
    full = SweepSpec(axes=(Axis("batch_size", ["full", 10]),))
    assert full.point_spec((0,)).train.batch_size is None  # TOML's spelling of full batch


def test_c_axis_uses_sizes_for_c_or_given_sizes():
    cs = np.logspace(-1, 2, 20)
    ax = c_axis(cs, total=220)
    for i, c in enumerate(cs):
        assert ax.settings(i) == dict(
            zip(("network.M", "network.N"), sizes_for_c(float(c), 220), strict=True)
        )
    assert ax.coords()["M"][0] == sizes_for_c(float(cs[0]), 220)[0]
    given_ = c_axis([0.5, 2.0], M=[5, 20], N=[10, 10])
    assert given_.settings(1) == {"network.M": 20, "network.N": 10}
    assert given_.coords() == {"c": (0.5, 2.0), "M": (5, 20), "N": (10, 10)}


def test_value_generators_and_zipped_axes():
    assert Axis("alpha_hidden", {"linspace": [0, 1, 5]}).values == (0.0, 0.25, 0.5, 0.75, 1.0)
    assert Axis("seed", {"range": [2, 5]}).values == (2, 3, 4)
    assert np.allclose(Axis("c", {"logspace": [-1, 1, 3]}, total=30).values, [0.1, 1.0, 10.0])
    size = Axis("size", ["s", "l"], zip={"network.M": [4, 8], "N": [2, 4]})
    assert size.field is None and size.settings(1) == {"network.M": 8, "network.N": 4}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": "foo", "values": [1]}, "cannot infer the field"),
        ({"name": "x", "values": [1], "field": "rule.nonsense"}, "unknown spec field"),
        ({"name": "alpha_h", "values": [0.1, 0.1]}, "must not repeat"),
        ({"name": "epoch", "values": [1]}, "reserved"),
        ({"name": "1x", "values": [1]}, "identifier"),
        ({"name": "seed", "values": []}, "at least one value"),
        ({"name": "seed", "values": [[1, 2]]}, "number, string or boolean"),
        ({"name": "size", "values": [1, 2], "zip": {"network.M": [3]}}, "one value per axis value"),
        ({"name": "c", "values": [1.0]}, "needs total"),
        ({"name": "c", "values": [-1.0], "total": 20}, "> 0"),
        ({"name": "c", "values": [100.0], "total": 20}, "both must be >= 1"),
        ({"name": "seed", "values": {"linspace": [0, 1]}}, "linspace takes"),
        ({"name": "seed", "values": [1], "total": 3}, "only allowed on the c axis"),
    ],
)
def test_bad_axes_are_refused_with_a_message(kwargs, match):
    with pytest.raises(SpecError, match=match):
        Axis(**kwargs)


def test_bad_sweeps_are_refused_with_a_message():
    with pytest.raises(SpecError, match="both set rule.alpha_hidden"):
        SweepSpec(base=BASE, axes=(Axis("alpha_h", [0.1]), Axis("alpha_hidden", [0.2])))
    with pytest.raises(SpecError, match="coordinate name 'M'"):
        SweepSpec(
            base=BASE, axes=(c_axis([1.0], total=10), Axis("size", [1], zip={"network.M": [3]}))
        )
    with pytest.raises(SpecError, match="max_batch"):
        SweepSpec(base=BASE, max_batch=0)
    with pytest.raises(SpecError, match="unknown preset"):
        SweepSpec(base="nope")


def test_invalid_points_fail_before_any_work(tmp_path):
    bad = SweepSpec(base=BASE, axes=(Axis("alpha_hidden", [0.5, 1.5]),))
    with pytest.raises(
        SpecError, match=r"alpha_hidden=1\.5.*rule\.alpha_hidden must lie in \[0, 1\]"
    ):
        run_sweep(bad, tmp_path / "s.zarr", progress=False)
    assert not (tmp_path / "s.zarr").exists()
    too_big = SweepSpec(base=BASE, axes=(Axis("batch_size", [8, 32]),))
    with pytest.raises(SpecError, match="train.batch_size must be <= task.n_train"):
        plan_sweep(too_big)


def test_points_pair_rules_by_seed_and_gradient_clears_flips():
    sweep = SweepSpec(
        base=BASE.replace(**{"rule.n_flip_readout": 1}),
        axes=(
            Axis("rule", ["gradient", "curl"]),
            Axis("alpha_hidden", [0.0, 0.5]),
            Axis("seed", [3, 7]),
        ),
    )
    g = sweep.point_spec((0, 1, 1))
    c = sweep.point_spec((1, 1, 1))
    assert (
        g.rule.kind == "gradient" and g.rule.alpha_hidden == 0.0 and g.rule.n_flip_readout is None
    )
    assert c.rule.kind == "curl" and c.rule.alpha_hidden == 0.5 and c.rule.n_flip_readout == 1
    assert g.seed == c.seed == 7 and g.task == c.task  # seed = the coordinate, shared by the pair
    assert sweep.point_spec((0, 0, 1)) == g  # gradient runs at every alpha are one run


def test_toml_file_equals_python_spec_and_round_trips(tmp_path):
    toml = tmp_path / "s.toml"
    toml.write_text(
        """
name = "t"
preset = "fig3a"
max_batch = 7

[base]
seed = 1
[base.train]
epochs = 50
batch_size = 10

[[axes]]
name = "c"
values = {logspace = [-1, 1, 3]}
total = 30

[[axes]]
name = "alpha_h"
values = [0.0, 0.5]

[[axes]]
name = "seed"
values = {range = 3}

[[axes]]
name = "size"
values = ["a", "b"]
zip = {"task.n_train" = [100, 200]}
"""
    )
    loaded = load_sweep(toml)
    from curldescent.presets import preset_spec

    py = SweepSpec(
        name="t",
        base=preset_spec("fig3a").replace(
            **{"seed": 1, "train.epochs": 50, "train.batch_size": 10}
        ),
        axes=(
            c_axis(np.logspace(-1, 1, 3), total=30),
            Axis("alpha_h", [0.0, 0.5]),
            Axis("seed", range(3)),
            Axis("size", ["a", "b"], zip={"task.n_train": [100, 200]}),
        ),
        max_batch=7,
    )
    assert loaded == py
    assert sweep_from_dict(json.loads(py.to_json())) == py
    assert resolve_sweep(str(toml)) == py


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("name = ", "not valid TOML"),
        ("nme = 'x'", "unknown sweep key 'nme'"),
        ("[base.network]\nMM = 3", "unknown key base.network.MM"),
        ("[[axes]]\nname = 'seed'", "needs values"),
        ("[[axes]]\nname = 'seed'\nvalues = [1]\nstep = 2", "unknown key 'step'"),
        ("[[axes]]\nname = 'alpha_h'\nvalues = {squares = 3}", "generator must be one of"),
    ],
)
def test_bad_toml_is_refused_with_a_message(tmp_path, text, match):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(SpecError, match=match):
        load_sweep(path)


def test_resolve_sweep_by_name_and_unknown_names():
    demo = resolve_sweep("demo")
    assert demo == SWEEPS["demo"]() and demo.size == 48
    with pytest.raises(SpecError, match="unknown sweep spec 'nosuch'.*demo"):
        resolve_sweep("nosuch")
    with pytest.raises(SpecError, match="not found"):
        resolve_sweep("missing.toml")


# --------------------------------------------------------------------------- planning

AXIS_POOL = {
    "rule": ["gradient", "curl", "feedback_alignment"],
    "alpha_hidden": [0.0, 0.25, 0.5],
    "seed": [0, 1, 2, 3, 4],
    "n_train": [16, 24],
    "init_scale": [0.5, 1.0, 2.0],
    "lr": [0.05, 0.1],
}


@st.composite
def grids(draw):
    names = draw(st.lists(st.sampled_from(sorted(AXIS_POOL)), min_size=0, max_size=4, unique=True))
    axes = []
    for name in names:
        pool = AXIS_POOL[name]
        n = draw(st.integers(1, len(pool)))
        axes.append(Axis(name, pool[:n]))
    if draw(st.booleans()):
        axes.insert(
            draw(st.integers(0, len(axes))),
            c_axis([0.5, 1.0, 2.0][: draw(st.integers(1, 3))], total=12),
        )
    return SweepSpec(base=BASE, axes=tuple(axes), max_batch=draw(st.integers(1, 20)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grids())
def test_plan_is_a_deterministic_partition_into_shape_compatible_boxes(sweep):
    plan = plan_sweep(sweep)
    seen = sorted(i for batch in plan.partition() for i in batch)
    assert seen == list(range(sweep.size))  # every point exactly once
    for batch in plan.batches:
        assert 1 <= batch.size <= sweep.max_batch
        assert len({shape_key(s) for s in plan.batch_specs(batch)}) == 1
    for axis, is_shape, extent in zip(sweep.axes, plan.shape_axes, plan.batch_shape, strict=True):
        if is_shape:
            assert extent == 1
        if axis.name in ("alpha_hidden", "seed", "init_scale", "lr"):
            assert not is_shape
    again = plan_sweep(sweep_from_dict(json.loads(sweep.to_json())))
    assert again.partition() == plan.partition() and again.batch_shape == plan.batch_shape


def test_batch_size_adapts_to_the_memory_budget():
    sweep = SweepSpec(
        base=BASE.replace(
            **{"train.record_weights": True, "train.n_checkpoints": 100, "train.epochs": 1000}
        ),
        axes=(Axis("seed", range(64)),),
        max_batch=64,
    )
    assert plan_sweep(sweep).batch_shape == (64,)
    from curldescent.sweeps.plan import run_bytes

    per_run = run_bytes(sweep.point_spec((0,)))
    small = sweep.replace(memory_budget_mb=10 * per_run / 2**20)
    assert max(b.size for b in plan_sweep(small).batches) <= 10
    assert plan_sweep(sweep.replace(memory_budget_mb=1e-6)).batch_shape == (1,)


def test_protocol_grid_plans_quickly_into_slabs():
    from curldescent.presets import preset_spec

    sweep = SweepSpec(
        base=preset_spec("fig3a"),
        axes=(
            c_axis(np.logspace(-1, 2, 20), total=220),
            Axis("alpha_hidden", np.linspace(0, 1, 21)),
            Axis("seed", range(10)),
        ),
    )
    plan = plan_sweep(sweep)
    assert plan.shape_axes == (True, False, False)
    assert plan.n_points == 4200 and all(b.size <= 128 for b in plan.batches)
    assert len(plan.batches) == 40


# --------------------------------------------------------------------------- running and the store


def test_sweep_dataset_layout_values_and_provenance(reference, tmp_path):
    ds = reference
    assert dict(ds.sizes) == {"rule": 2, "alpha_hidden": 2, "seed": 6, "epoch": len(ds.epoch)}
    assert ds.train_error.dims == ("rule", "alpha_hidden", "seed", "epoch")
    assert list(ds.rule.values) == ["gradient", "curl"] and list(ds.seed.values) == list(range(6))
    for name in (
        "train_error",
        "test_error",
        "diverged",
        "final_log10_test_error",
        "peak_log10_test_error",
        "peak_log10_train_error",
        "convergence_epoch",
    ):
        assert {"long_name", "units"} <= set(ds[name].attrs), name
    assert bool(ds.done.all()) and not bool(ds.diverged.any())
    assert SweepSpec.from_dict(json.loads(ds.attrs["sweep_spec"])) == small_sweep()
    for key in ("curldescent_version", "jax_version", "device", "start_time", "end_time"):
        assert ds.attrs[key], key
    assert ds.attrs["status"] == "complete"
    # each point equals the engine run of its own spec, alone
    sweep = small_sweep()
    picks = [(1, 1, 4), (1, 0, 0), (1, 1, 5)]  # one shape key (curl)
    res = simulate_batch([sweep.point_spec(idx) for idx in picks])  # another grouping of runs
    for r, idx in enumerate(picks):
        point = ds.isel(rule=idx[0], alpha_hidden=idx[1], seed=idx[2])
        np.testing.assert_allclose(
            point.test_error.values, res.test_error[r], rtol=1e-12, atol=1e-15
        )
        assert np.isclose(
            point.final_log10_test_error, np.log10(res.test_error[r, -1] + 1e-15), rtol=1e-12
        )
        assert np.isclose(
            point.peak_log10_test_error, np.log10(res.test_error[r] + 1e-15).max(), rtol=1e-12
        )
        assert np.isclose(
            point.peak_log10_train_error, np.log10(res.train_error[r] + 1e-15).max(), rtol=1e-12
        )
    # gradient runs do not depend on alpha (flips cleared); curl runs do
    g = ds.test_error.sel(rule="gradient")
    xr.testing.assert_equal(g.isel(alpha_hidden=0, drop=True), g.isel(alpha_hidden=1, drop=True))
    c = ds.final_test_error.sel(rule="curl")
    assert not np.allclose(c.isel(alpha_hidden=0), c.isel(alpha_hidden=1))


def test_window_order_parameter_and_stored_weights(tmp_path):
    W = 5
    sweep = SweepSpec(
        name="window",
        base=BASE.replace(
            **{"train.final_window": W, "train.record_weights": True, "rule.alpha_readout": 0.5}
        ),
        axes=(Axis("seed", range(3)),),
        max_batch=3,
        chunk_size=3,
        store_weights=True,
    )
    ds = run_sweep(sweep, tmp_path / "w.zarr", progress=False).load()
    assert ds.W1.dims == ("seed", "epoch", "hidden", "input") and ds.final_W2.shape == (3, 1, 4)
    E = BASE.train.epochs
    last = ds.isel(epoch=slice(-W, None))
    assert list(last.epoch.values) == list(range(E - W + 1, E + 1))
    from curldescent.analysis.order_parameter import order_parameter

    for s in range(3):  # q from the accumulated moments = q from the stored trajectory
        traj = (last.W1.values[s], last.W2.values[s])
        assert np.isclose(ds.q.values[s], order_parameter(traj), rtol=1e-8, atol=1e-14)
        np.testing.assert_allclose(ds.window_mean_W1.values[s], traj[0].mean(axis=0), rtol=1e-10)
        np.testing.assert_array_equal(ds.final_W1.values[s], ds.W1.values[s, -1])


def test_weights_of_smaller_networks_are_nan_padded():
    from curldescent.sweeps.executors import _pad

    a = np.arange(6.0).reshape(1, 2, 3)
    out = _pad(a, (4, 5))
    assert out.shape == (1, 4, 5) and np.array_equal(out[0, :2, :3], a[0])
    assert np.isnan(out[0, 2:]).all() and np.isnan(out[0, :, 3:]).all()
    assert _pad(a, (2, 3)) is a


@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(max_batch=st.integers(3, 12), order=st.permutations([0, 1, 2]))
def test_different_partitions_give_the_same_per_point_results(
    reference, tmp_path_factory, max_batch, order
):
    axes = small_sweep().axes
    sweep = small_sweep(max_batch=max_batch, axes=tuple(axes[i] for i in order))
    ds = run_sweep(sweep, tmp_path_factory.mktemp("part") / "s.zarr", progress=False).load()
    ref = reference.transpose(*[axes[i].name for i in order], "epoch")
    for name in ("train_error", "test_error", "final_log10_test_error", "convergence_epoch"):
        np.testing.assert_allclose(
            ds[name].values, ref[name].values, rtol=1e-12, atol=1e-15, equal_nan=True
        )


def test_rerun_skips_done_batches_and_recomputes_only_missing_ones(reference, tmp_path):
    store = tmp_path / "s.zarr"
    first = execute_sweep(small_sweep(), store, progress=False)
    assert (first.computed_batches, first.skipped_batches) == (8, 0)
    again = execute_sweep(small_sweep(), store, progress=False)
    assert (again.computed_batches, again.skipped_points) == (0, 24)
    # a batch whose marker is missing (killed before its marker) is recomputed, alone
    markers = sorted((store / "_sweep" / "done").glob("b*.json"))
    keep = {m.name: m.read_bytes() for m in markers}
    markers[5].unlink()
    third = execute_sweep(small_sweep(), store, progress=False)
    assert (third.computed_batches, third.computed_points) == (1, 3)
    for m in sorted((store / "_sweep" / "done").glob("b*.json")):
        if m.name != markers[5].name:
            assert m.read_bytes() == keep[m.name]
    xr.testing.assert_identical(data_only(open_sweep(store)), data_only(reference))
    status = sweep_status(store)
    assert status.complete and status.invocations == 3 and status.wall_time_s > 0


def test_a_store_of_another_spec_is_refused_unmodified(reference, tmp_path):
    store = tmp_path / "s.zarr"
    run_sweep(small_sweep(), store, progress=False)
    before = tree_digest(store)
    other = small_sweep(
        axes=(
            Axis("rule", ["gradient", "curl"]),
            Axis("alpha_hidden", [0.0, 0.25]),
            Axis("seed", range(6)),
        )
    )
    with pytest.raises(
        StoreError,
        match=r"different spec \(axes\[1\]\.values\[1\]: 0\.5 in the store vs 0\.25 now\)",
    ):
        run_sweep(other, store, progress=False)
    with pytest.raises(StoreError, match="different spec"):
        run_sweep(small_sweep(max_batch=4), store, progress=False)
    assert tree_digest(store) == before


def _foreign_dir(p: Path) -> None:
    p.mkdir()
    (p / "notes.txt").write_text("my data")


def _file(p: Path) -> None:
    p.write_text("not a store")


def _other_zarr(p: Path) -> None:
    xr.Dataset({"x": ("a", np.arange(3.0))}).to_zarr(p, zarr_format=3, consolidated=False)


def _corrupt_root(p: Path, reference_store: Path) -> None:
    import shutil

    shutil.copytree(reference_store, p)
    (p / "zarr.json").write_text((p / "zarr.json").read_text()[:50])


def _missing_array(p: Path, reference_store: Path) -> None:
    import shutil

    shutil.copytree(reference_store, p)
    shutil.rmtree(p / "test_error")


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (_foreign_dir, "foreign folder"),
        (_file, "it is a file"),
        (_other_zarr, "not a curldescent sweep store"),
        (_corrupt_root, "corrupt: its zarr.json"),
        (_missing_array, "has no array test_error"),
    ],
)
def test_foreign_or_corrupt_paths_are_refused_unmodified(tmp_path_factory, make, match):
    tmp = tmp_path_factory.mktemp("bad")
    target = tmp / "target"
    if make in (_corrupt_root, _missing_array):
        src = tmp / "src.zarr"
        run_sweep(small_sweep(), src, progress=False)
        make(target, src)
    else:
        make(target)
    before = tree_digest(target)
    with pytest.raises(StoreError, match=match):
        run_sweep(small_sweep(), target, progress=False)
    assert tree_digest(target) == before
    if make not in (_missing_array,):
        with pytest.raises(StoreError):
            sweep_status(target)
    assert tree_digest(target) == before


def test_failing_batches_are_recorded_and_the_rest_kept(tmp_path):
    store = tmp_path / "s.zarr"
    sweep = SweepSpec(
        name="fails",
        base=BASE.replace(**{"task.init_from": str(tmp_path / "missing.npz")}),
        axes=(Axis("seed", range(3)),),
        max_batch=3,
        chunk_size=3,
    )
    with pytest.raises(
        SweepFailed, match="1 of 1 batches failed.*initial-conditions file not found"
    ):
        run_sweep(sweep, store, progress=False)
    status = sweep_status(store)
    assert not status.complete and list(status.failed) == [0]
    assert "not found" in status.failed[0] and "failures:   1" in status.summary()


def test_export_to_netcdf_equals_the_store(reference, tmp_path):
    store = tmp_path / "s.zarr"
    run_sweep(small_sweep(), store, progress=False)
    nc = export_netcdf(store, tmp_path / "s.nc")
    back = xr.open_dataset(nc, engine="netcdf4").load()
    for name in reference.data_vars:
        np.testing.assert_array_equal(back[name].values, reference[name].values)
    assert back.attrs["sweep_spec"] == reference.attrs["sweep_spec"]
    with pytest.raises(SpecError, match="exists"):
        export_netcdf(store, nc)
    (store / "_sweep" / "done" / "b000000.json").unlink()
    with pytest.raises(StoreError, match=r"incomplete \(21/24 points\).*--partial"):
        export_netcdf(store, tmp_path / "p.nc")
    export_netcdf(store, tmp_path / "p.nc", partial=True)


def test_progress_bar_reports_rate_and_eta():
    out = io.StringIO()
    bar = Progress(10, done=2, label="sweep x", stream=out, line_interval=0.0)
    bar.update(4)
    bar.close()
    text = out.getvalue()
    assert "sweep x " in text and "6/10 runs" in text and "runs/s" in text and "ETA" in text
    assert "elapsed" in text.splitlines()[-1]
    assert format_duration(65) == "1m05s" and format_duration(float("nan")) == "?"


# --------------------------------------------------------------------------- CLI


@pytest.fixture
def cli(capsys):
    """Run the real ``curldescent`` application through main() (error mapping)."""
    import curldescent.cli.main as main_mod

    def run(*args):
        with pytest.raises(SystemExit) as exc:
            main_mod.main([str(a) for a in args])
        out = capsys.readouterr()
        return exc.value.code, out.out, out.err

    return run


def test_cli_sweep_status_export_and_errors(cli, reference, tmp_path):
    spec_file = tmp_path / "small.toml"
    d = small_sweep().to_dict()
    import tomllib  # noqa: F401  (the file below is written by hand, read by tomllib)

    spec_file.write_text(_to_toml(d))
    assert load_sweep(spec_file) == small_sweep()
    store = tmp_path / "s.zarr"
    code, out, err = cli("sweep", spec_file, "--dry-run")
    assert (
        code == 0 and "24 runs = rule 2 x alpha_hidden 2 x seed 6" in out and "8 of 3 runs" in out
    )
    code, out, err = cli("sweep", spec_file, "--out", store)
    assert code == 0, err
    assert "24 runs in 8 batches computed" in out and "sweep small " in err and "24/24 runs" in err
    xr.testing.assert_identical(data_only(open_sweep(store)), data_only(reference))
    code, out, err = cli("sweep", "status", store)
    assert code == 0 and "24/24 done (8/8 batches)" in out and "complete" in out
    code, out, err = cli("sweep", "status", store, "--json")
    assert code == 0 and json.loads(out)["complete"] is True
    code, out, err = cli("export", store, "--netcdf", tmp_path / "s.nc")
    assert code == 0 and (tmp_path / "s.nc").exists() and "24/24 points" in out
    code, out, err = cli("sweep", "list")
    assert code == 0 and "demo: 48 runs" in out
    for args, match in [
        (("sweep", "nosuch", "--out", tmp_path / "x.zarr"), "unknown sweep spec 'nosuch'"),
        (("sweep", spec_file), "missing --out"),
        (
            ("sweep", spec_file, "--out", store, "--workers", 2, "--scheduler", "tcp://x:1"),
            "either --workers or --scheduler",
        ),
        (("sweep", "status"), "usage: curldescent sweep status STORE"),
        (("sweep", "status", tmp_path), "not a sweep store"),
        (("export", tmp_path / "nope.zarr", "--netcdf", tmp_path / "n.nc"), "no sweep store at"),
        (("export", store, "--netcdf", tmp_path / "n.txt"), "must end in .nc"),
    ]:
        code, out, err = cli(*args)
        assert code == 2 and err.startswith("error: ") and match in err, (args, err)
        assert len(err.strip().splitlines()) == 1


def _to_toml(d: dict) -> str:
    """A minimal TOML writer for a SweepSpec dict (tables, arrays of tables, scalars, lists)."""

    def val(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, list):
            return "[" + ", ".join(val(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{json.dumps(k)} = {val(x)}" for k, x in v.items()) + "}"
        return repr(v)

    lines = [f"{k} = {val(v)}" for k, v in d.items() if k not in ("base", "axes")]
    base = d["base"]
    lines += [
        "[base]",
        *(f"{k} = {val(v)}" for k, v in base.items() if not isinstance(v, dict) and v is not None),
    ]
    for section, table in base.items():
        if isinstance(table, dict):
            lines.append(f"[base.{section}]")
            lines += [f"{k} = {val(v)}" for k, v in table.items() if v is not None]
    for axis in d["axes"]:
        lines.append("[[axes]]")
        lines += [f"{k} = {val(v)}" for k, v in axis.items()]
    return "\n".join(lines) + "\n"
