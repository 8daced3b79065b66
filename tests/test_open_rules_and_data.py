"""Open rules (the registry feeds specs, the engine and the curl meter) and the user's own
data (a Dataset is a task like a teacher); the two examples run and print their JSON line."""

import json
import subprocess
import sys
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pytest

from curldescent.data import Dataset
from curldescent.engine import initial_states, simulate
from curldescent.network import Params
from curldescent.rule_registry import register_rule, rule_names, unregister_rule
from curldescent.rules import Gradient, LearningRule
from curldescent.specs import NetworkSpec, RuleSpec, RunSpec, SpecError, TaskSpec, TrainSpec

ROOT = Path(__file__).resolve().parents[1]


def _spec(**kw):
    return RunSpec(
        network=NetworkSpec(M=6, N=5),
        task=TaskSpec(n_train=30, n_test=10),
        train=TrainSpec(epochs=20, batch_size=kw.pop("batch_size", None), n_checkpoints=5),
        seed=2,
        **kw,
    )


class Halved(Gradient):
    """Half the gradient: trains like gradient descent at half the learning rate."""

    def field(self, network, params, x, y, weights=None):
        d = Gradient().field(network, params, x, y, weights)
        return Params(0.5 * d.W1, 0.5 * d.W2)


@pytest.fixture
def halved():
    register_rule("halved", lambda spec, net, key: Halved(), description="half the gradient")
    yield
    unregister_rule("halved")


def test_a_registered_rule_is_valid_in_specs_and_runs_as_written(halved):
    assert "halved" in rule_names()
    spec = _spec(rule=RuleSpec(kind="halved"))
    with pytest.raises(SpecError, match="takes no flips"):
        RuleSpec(kind="halved", alpha_hidden=0.5)
    spec = spec.replace(**{"train.renormalize": False})
    half = simulate(spec)
    gd = simulate(spec.replace(**{"rule.kind": "gradient", "train.lr": 0.05}), fast=False)
    np.testing.assert_allclose(half.final_W1, gd.final_W1, rtol=1e-12, atol=1e-14)


def test_unknown_rule_names_the_registered_ones():
    with pytest.raises(
        SpecError, match="rule.kind must be one of gradient, curl, feedback_alignment"
    ):
        RuleSpec(kind="nope")


def test_the_curl_meter_measures_any_registered_rule(halved):
    from curldescent.models.catalog import CaseSpec, build_case, measure_case

    res = measure_case(build_case(CaseSpec("halved", M=4, N=3, samples=2)))
    assert np.all(res.jacobian_asymmetry < 1e-10)  # half a gradient field is a gradient field


def test_given_data_is_a_task_like_a_teacher():
    """The teacher's own examples, given as a Dataset, reproduce the teacher run bitwise;
    other data changes the run; sizes are checked."""
    for batch_size in (None, 7):
        spec = _spec(batch_size=batch_size)
        states, _ = initial_states([spec])
        ds = Dataset(*(np.asarray(a[0]) for a in states[2:]))
        assert (ds.n_train, ds.n_test, ds.n_inputs, ds.n_outputs) == (30, 10, 6, 1)
        ref, own = simulate(spec), simulate(spec, data=ds)
        np.testing.assert_array_equal(ref.test_error, own.test_error)
        np.testing.assert_array_equal(ref.final_W1, own.final_W1)
    other = Dataset(ds.x_train, -ds.y_train, ds.x_test, -ds.y_test)
    assert not np.array_equal(simulate(spec, data=other).final_W1, ref.final_W1)
    with pytest.raises(SpecError, match="task.n_train must be 30"):
        simulate(spec.replace(**{"task.n_train": 40}), data=ds)


def test_dataset_split_and_files(tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 3)), rng.normal(size=20)
    ds = Dataset.from_arrays(X, y, test_fraction=0.25, seed=1)
    assert (ds.n_train, ds.n_test) == (15, 5)
    rows = np.concatenate([ds.x_train, ds.x_test])  # a split: every example exactly once
    assert sorted(map(tuple, rows)) == sorted(map(tuple, X))
    np.savez(tmp_path / "a.npz", X=X, y=y)
    assert np.array_equal(
        Dataset.load(tmp_path / "a.npz", test_fraction=0.25, seed=1).x_test, ds.x_test
    )
    np.savez(tmp_path / "b.npz", x_train=X[:12], y_train=y[:12], x_test=X[12:], y_test=y[12:])
    assert Dataset.load(tmp_path / "b.npz").n_test == 8
    import xarray as xr

    xr.Dataset({"X": (("n", "m"), X), "y": (("n",), y)}).to_netcdf(tmp_path / "c.nc")
    assert Dataset.load(tmp_path / "c.nc", test_fraction=0.25, seed=1).n_train == 15
    np.savez(tmp_path / "d.npz", inputs=X)
    with pytest.raises(SpecError, match="must hold arrays X and y"):
        Dataset.load(tmp_path / "d.npz")
    with pytest.raises(SpecError, match="same number of examples"):
        Dataset.from_arrays(X, y[:10])
    with pytest.raises(SpecError, match="finite"):
        Dataset.from_arrays(np.full((4, 2), np.nan), np.zeros(4))


def _run_example(name):
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / name)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1, out.stdout
    return json.loads(lines[0])


def test_example_own_data():
    out = _run_example("own_data.py")
    assert out["n_train"] == 450
    assert out["final_test_error"] < 0.2 * out["initial_test_error"]


def test_example_custom_rule():
    out = _run_example("custom_rule.py")
    assert out["rule"] == "activity_gated_sign"
    assert np.isfinite(out["final_test_error"]) and np.isfinite(out["gd_final_test_error"])
    assert out["gd_curl_index"] < 1e-8 < 1e-2 < out["curl_index"]  # not a gradient flow


def test_equinox_rule_leaves_batch_and_compile_once():
    """An Equinox rule's arrays are leaves: two runs with different thresholds batch."""
    import equinox as eqx

    from curldescent.engine import simulate_batch

    class Scaled(LearningRule, eqx.Module):
        scale: jnp.ndarray

        def field(self, network, params, x, y, weights=None):
            d = Gradient().field(network, params, x, y, weights)
            return Params(self.scale * d.W1, self.scale * d.W2)

    spec = _spec().replace(**{"train.renormalize": False})
    res = simulate_batch([spec, spec], rules=[Scaled(jnp.asarray(0.0)), Scaled(jnp.asarray(1.0))])
    assert np.array_equal(
        res.train_error[0], np.full(res.train_error.shape[1], res.train_error[0, 0])
    )
    np.testing.assert_allclose(res.final_W1[1], simulate(spec, fast=False).final_W1[0], rtol=1e-12)
