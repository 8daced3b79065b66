"""The one schema (curldescent.schema): the sweep store, a run's dataset and the schema agree,
its names are reserved for sweep axes, and a new variable is one entry."""

from __future__ import annotations

import numpy as np
import pytest

from curldescent import schema
from curldescent.engine import simulate_batch
from curldescent.specs import NetworkSpec, RuleSpec, RunSpec, SpecError, TaskSpec, TrainSpec
from curldescent.sweeps import (
    Axis,
    StoreError,
    SweepSpec,
    SweepStore,
    open_sweep,
    plan_sweep,
    run_sweep,
)

BASE = RunSpec(
    network=NetworkSpec(M=6, N=4),
    task=TaskSpec(n_train=16, n_test=8),
    rule=RuleSpec(kind="curl", alpha_readout=0.5),
    train=TrainSpec(epochs=20, n_checkpoints=6, final_window=4, record_weights=True),
)


@pytest.fixture(scope="module", autouse=True)
def _compile_cache(jax_compile_cache):
    return jax_compile_cache


def test_sweep_store_holds_exactly_the_schema_variables(tmp_path):
    sweep = SweepSpec(
        name="schema",
        base=BASE,
        axes=(Axis("seed", range(2)),),
        max_batch=2,
        chunk_size=2,
        store_weights=True,
        convergence_threshold=10.0,  # crossed at once: no censored NaN
    )
    ds = run_sweep(sweep, tmp_path / "s.zarr", progress=False).load()
    stored = [e for e in schema.VARIABLES.values() if "sweep" in e.datasets]
    assert set(ds.data_vars) == {e.name for e in stored}  # all requirements are met here
    for e in stored:
        var = ds[e.name]
        assert var.dims == ("seed", *e.dims), e.name
        assert var.dtype == e.store_dtype, e.name
        assert var.attrs == schema.attrs(e.name, store=True), e.name
        assert bool(var.notnull().any()), e.name  # written, not left as the template's fill
    for name in ds.coords:
        assert ds[name].attrs == schema.attrs(name), name
    # a sweep that stores no weights and has no window holds only what needs neither
    plain = SweepSpec(base=BASE.replace(**{"train.final_window": 0}), axes=(Axis("seed", [0]),))
    SweepStore.open(tmp_path / "p.zarr", plan_sweep(plain))
    with open_sweep(tmp_path / "p.zarr") as empty:
        assert set(empty.data_vars) == {e.name for e in stored if not e.requires}
        assert not bool(empty.done.any()) and bool(empty.final_test_error.isnull().all())


def test_run_dataset_variables_match_the_schema():
    specs = [BASE, BASE.replace(seed=1)]
    ds = simulate_batch(specs).to_dataset()
    assert {"train_error", "W1", "window_var_W2", "stop_epoch"} <= set(ds.data_vars)
    for name, var in ds.data_vars.items():
        entry = schema.VARIABLES[name]
        assert "run" in entry.datasets, name
        assert var.dims == ("run", *entry.dims), name
        assert var.dtype == np.dtype(entry.dtype), name
        assert var.attrs == schema.attrs(name), name
    for name in ds.coords:
        assert ds[name].attrs == schema.attrs(name), name


@pytest.mark.parametrize("name", sorted(schema.reserved()))
def test_schema_names_cannot_be_sweep_axes(name):
    with pytest.raises(SpecError, match="reserved"):
        Axis(name, [1, 2])


def test_reserved_names_are_the_stored_variables_and_their_dims():
    assert {"epoch", "hidden", "input", "output", "done", "q", "W1"} <= schema.reserved()
    assert not {"seed", "rule", "c", "alpha_hidden", "run"} & schema.reserved()
    Axis("seed", [0, 1])  # coordinates are axis names, not reserved


def test_a_new_variable_is_one_schema_entry(monkeypatch, tmp_path):
    """One entry makes the store hold the variable (labelled, NaN until written), accept a
    batch's values of it, and refuse it as an axis name; a store made before the entry is
    refused for resuming, with a message that says why."""
    new = schema.Entry(
        "final_margin",
        "final test error over final train error",
        description="a variable added for this test",
        datasets=frozenset({"sweep"}),
    )
    sweep = SweepSpec(base=BASE, axes=(Axis("seed", range(3)),), max_batch=3)
    SweepStore.open(tmp_path / "old.zarr", plan_sweep(sweep))  # made before the entry
    monkeypatch.setitem(schema.VARIABLES, new.name, new)
    with pytest.raises(SpecError, match="reserved"):
        Axis("final_margin", [1])
    with pytest.raises(StoreError, match="has no array final_margin .* start a new store"):
        SweepStore.open(tmp_path / "old.zarr", plan_sweep(sweep))
    plan = plan_sweep(sweep)
    store = SweepStore.open(tmp_path / "n.zarr", plan)
    with open_sweep(store.path) as ds:
        assert ds.final_margin.dims == ("seed",) and ds.final_margin.attrs == schema.attrs(new.name)
        assert bool(ds.final_margin.isnull().all())
    with store.locked():
        store.write_batch(plan.batches[0], {"final_margin": np.array([1.0, 2.0, 3.0])}, {})
    with open_sweep(store.path) as ds:
        np.testing.assert_array_equal(ds.final_margin.values, [1.0, 2.0, 3.0])


def test_attrs_label_and_empty():
    assert schema.attrs("seed") == {
        "long_name": "seed (student init, minibatch order, random flips)"
    }
    assert schema.attrs("final_W1") == {"long_name": "final W1", "units": "1"}
    assert schema.attrs("final_W1", store=True)["long_name"] == "final W1 (NaN-padded)"
    assert schema.attrs("epoch") is not schema.attrs("epoch")  # callers may modify their copy
    with pytest.raises(KeyError, match="not in the schema"):
        schema.attrs("no_such_variable")
    done = schema.empty("done", ("c", "seed"), (2, 3), chunks=(1, 3))
    assert done.dtype == bool and not bool(done.values.any()) and done.chunks == ((1, 1), (3,))
    with pytest.raises(ValueError, match="requires"):
        schema.Entry("x", "x", requires=frozenset({"nonsense"}))
