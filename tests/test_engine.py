"""The engine: fast paths equal the direct path, batch independence, schedule conventions,
divergence as data, sampling statistics."""

import jax
import numpy as np
import pytest

from curldescent.engine import checkpoint_epochs, simulate, simulate_batch
from curldescent.network import Params, mse
from curldescent.presets import preset_spec, sizes_for_c
from curldescent.rules import Curl
from curldescent.specs import NetworkSpec, RuleSpec, RunSpec, SpecError, TaskSpec, TrainSpec


def _spec(M=30, N=20, epochs=100, batch_size=None, rule=None, **kw):
    return RunSpec(
        network=NetworkSpec(M=M, N=N, **kw.pop("net", {})),
        task=TaskSpec(n_train=kw.pop("n_train", 60), **kw.pop("task", {})),
        rule=rule or RuleSpec(),
        train=TrainSpec(
            epochs=epochs,
            batch_size=batch_size,
            lr_scale="per_epoch",
            n_checkpoints=30,
            **kw.pop("train", {}),
        ),
        **kw,
    )


def _rel(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


@pytest.mark.parametrize(
    "batch_size", [None, 10, 7]
)  # full batch, minibatch, padded last minibatch
def test_linear_fast_path_equals_direct_path_converging(batch_size):
    spec = _spec(epochs=1000, batch_size=batch_size, rule=RuleSpec(kind="curl", alpha_readout=0.1))
    fast, direct = simulate(spec), simulate(spec, fast=False)
    assert fast.test_error[0, -1] < 0.05 * fast.test_error[0, 0]  # a converging setting
    assert _rel(fast.final_W1, direct.final_W1) <= 1e-10
    assert _rel(fast.final_W2, direct.final_W2) <= 1e-10
    np.testing.assert_allclose(fast.test_error, direct.test_error, rtol=1e-10)


def test_linear_fast_path_equals_direct_path_chaotic_short_horizon():
    """Hidden flips beyond the boundary (c = 0.8, alpha_h = 0.6) are chaotic: compare 200 epochs."""
    M, N = sizes_for_c(0.8, total=110)
    spec = _spec(
        M=M,
        N=N,
        epochs=200,
        batch_size=10,
        n_train=250,
        rule=RuleSpec(kind="curl", alpha_hidden=0.6),
    )
    fast, direct = simulate(spec), simulate(spec, fast=False)
    assert _rel(fast.final_W1, direct.final_W1) <= 1e-10
    assert _rel(fast.final_W2, direct.final_W2) <= 1e-10


def test_batch_independence():
    """A run alone and inside a batch of 50 (different seeds and flips) agree."""
    specs = [
        _spec(epochs=200, batch_size=10, rule=RuleSpec(kind="curl", alpha_hidden=a), seed=s)
        for a in (0.0, 0.2, 0.4, 0.6, 0.8)
        for s in range(10)
    ]
    batch = simulate_batch(specs, chunk_size=50)
    for i in (0, 17, 49):
        alone = simulate(specs[i])
        assert _rel(alone.final_W1[0], batch.final_W1[i]) <= 1e-12
        np.testing.assert_allclose(alone.test_error[0], batch.test_error[i], rtol=1e-12)
    # chunking (the default chunk of 32 pads the last chunk) does not change results
    chunked = simulate_batch(specs)
    np.testing.assert_array_equal(
        chunked.final_W1, batch.final_W1
    ) if jax.default_backend() == "cpu" else None
    np.testing.assert_allclose(chunked.final_W1, batch.final_W1, rtol=1e-12)


def test_batch_independence_is_bitwise_on_cpu_for_equal_chunk_programs():
    specs = [_spec(epochs=50, batch_size=10, seed=s) for s in range(8)]
    a = simulate_batch(specs, chunk_size=4)
    b = simulate_batch(specs[::-1], chunk_size=4)
    np.testing.assert_array_equal(a.final_W1, b.final_W1[::-1])


def test_full_batch_step_matches_hand_computation():
    spec = _spec(epochs=1)
    res = simulate(spec, fast=False)
    # rebuild the initial state and take one renormalised GD step by hand
    from curldescent.engine import initial_states

    states, _ = initial_states([spec])
    W1, W2 = np.asarray(states.params.W1[0]), np.asarray(states.params.W2[0])
    X, Y = np.asarray(states.x_train[0]), np.asarray(states.y_train[0])
    e = X @ W1.T @ W2.T - Y
    W1n = W1 - 0.1 * (W2.T @ e.T @ X) / len(X)
    W2n = W2 - 0.1 * (e.T @ (X @ W1.T)) / len(X)
    W1n *= np.linalg.norm(W1) / np.linalg.norm(W1n)
    W2n *= np.linalg.norm(W2) / np.linalg.norm(W2n)
    np.testing.assert_allclose(res.final_W1[0], W1n, rtol=1e-12)
    np.testing.assert_allclose(res.final_W2[0], W2n, rtol=1e-12)


def test_gd_small_lr_decreases_loss_monotonically():
    spec = _spec(epochs=300, train={"renormalize": False}).replace(
        **{"train.lr": 0.05, "train.n_checkpoints": 300}
    )
    res = simulate(spec)
    assert np.all(np.diff(res.train_error[0]) < 0)


def test_learning_rate_conventions():
    base = _spec(epochs=3, batch_size=10, n_train=60)
    per_epoch = simulate(base)
    per_step = simulate(base.replace(**{"train.lr_scale": "per_step", "train.lr": 0.1 * 10 / 60}))
    np.testing.assert_array_equal(per_epoch.final_W1, per_step.final_W1)
    assert base.step_lr == pytest.approx(0.1 * 10 / 60)


def test_renormalisation_keeps_norms():
    spec = _spec(epochs=50, batch_size=10, rule=RuleSpec(kind="curl", alpha_hidden=0.7))
    from curldescent.engine import initial_states

    states, _ = initial_states([spec])
    res = simulate(spec)
    assert np.linalg.norm(res.final_W1[0]) == pytest.approx(
        float(np.linalg.norm(states.params.W1[0])), rel=1e-13
    )
    assert np.linalg.norm(res.final_W2[0]) == pytest.approx(
        float(np.linalg.norm(states.params.W2[0])), rel=1e-13
    )


def test_divergence_is_a_flag_not_an_exception():
    ok = _spec(epochs=20, seed=1, train={"renormalize": False})
    bad = ok.replace(**{"train.lr": 1e3, "train.lr_scale": "per_step"})
    res = simulate_batch([ok, bad])
    assert list(res.diverged) == [False, True]
    assert np.isfinite(res.test_error[0]).all()
    assert not np.isfinite(res.test_error[1, -1])
    assert res.stop_epoch[0] == 20 and res.stop_epoch[1] < 20  # a diverged run stops there


@pytest.mark.parametrize("activation", ["linear", "tanh"])
@pytest.mark.parametrize("batch_size", [None, 10])
def test_stop_below_ends_each_run_at_its_own_crossing(activation, batch_size):
    """A run with ``train.stop_below`` is the full run, bit for bit, up to the first
    checkpoint with test error below the threshold, and NaN after it; runs without a
    threshold in the same batch are untouched."""
    base = _spec(epochs=300, batch_size=batch_size, net={"activation": activation})
    specs = [base.replace(seed=s) for s in range(4)]
    full = simulate_batch(specs)
    theta = float(np.median(full.test_error[:, len(full.epochs) // 3]))
    stopped = [s.replace(**{"train.stop_below": theta}) for s in specs[:3]] + specs[3:]
    res = simulate_batch(stopped)
    for r in range(4):
        below = np.flatnonzero(full.test_error[r] < theta)
        if r == 3 or not below.size:  # no threshold, or never crossed: the whole run
            np.testing.assert_array_equal(res.test_error[r], full.test_error[r])
            assert res.stop_epoch[r] == full.epochs[-1]
            continue
        k = below[0]
        assert res.stop_epoch[r] == full.epochs[k]
        np.testing.assert_array_equal(res.test_error[r, : k + 1], full.test_error[r, : k + 1])
        np.testing.assert_array_equal(res.train_error[r, : k + 1], full.train_error[r, : k + 1])
        assert np.isnan(res.test_error[r, k + 1 :]).all()
    assert (res.stop_epoch[:3] < full.epochs[-1]).sum() >= 1  # the threshold bit somewhere


def test_stop_below_must_be_positive():
    with pytest.raises(SpecError, match="train.stop_below must be > 0"):
        TrainSpec(stop_below=0.0)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_nonlinear_minibatch_reduces_error_and_K_gt_1_works(activation):
    spec = _spec(M=12, N=6, epochs=200, batch_size=10, net={"activation": activation, "K": 3})
    res = simulate(spec)
    assert res.final_W2.shape == (1, 3, 6)
    assert res.test_error[0, -1] < 0.5 * res.test_error[0, 0]


def test_errors_are_half_mse_of_the_recorded_weights():
    spec = _spec(
        epochs=30,
        net={"activation": "tanh", "output_activation": "hidden"},
        train={"record_weights": True},
    )
    from curldescent.engine import initial_states

    res = simulate(spec)
    states, _ = initial_states([spec])
    x, y = states.x_test[0], states.y_test[0]
    for t in (0, 5, -1):
        p = Params(res.W1[0, t], res.W2[0, t])
        assert res.test_error[0, t] == pytest.approx(float(mse(spec.network, p, x, y)), rel=1e-12)


def test_window_statistics_match_recorded_weights():
    spec = _spec(
        epochs=40,
        batch_size=10,
        rule=RuleSpec(kind="curl", alpha_hidden=0.6),
        train={"final_window": 15, "record_weights": True},
    )
    res = simulate(spec)
    in_window = res.epochs > 40 - 15
    assert in_window.sum() == 15
    W = res.W1[0, in_window]
    np.testing.assert_allclose(res.window_mean[0][0], W.mean(axis=0), rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(res.window_var[0][0], W.var(axis=0), rtol=1e-12)  # shifted Welford


def test_checkpoint_grid():
    g = checkpoint_epochs(100_000, 100, 1000)
    assert g[0] == 0 and g[-1] == 100_000
    assert np.all(np.diff(g) > 0)
    assert set(range(99_001, 100_001)) <= set(g.tolist())
    assert 80 <= len(set(g.tolist()) - set(range(99_001, 100_001))) <= 101


def test_seeds_pair_gd_and_curl_task_seed_shares_the_task_data_seed_the_inputs():
    gd, curl = _spec(seed=4), _spec(seed=4, rule=RuleSpec(kind="curl", alpha_readout=0.5))
    from curldescent.engine import initial_states

    a, _ = initial_states([gd])
    b, _ = initial_states([curl])
    for u, v in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b), strict=True):
        np.testing.assert_array_equal(u, v)
    c, _ = initial_states([_spec(seed=5, task_seed=4)])
    np.testing.assert_array_equal(c.x_train, a.x_train)
    assert not np.array_equal(c.params.W1, a.params.W1)
    np.testing.assert_array_equal(c.teacher.W1, a.teacher.W1)
    # data_seed: the inputs of seed 4 with seed 5's own teacher (the authors' grid points)
    d, _ = initial_states([_spec(seed=5, data_seed=4)])
    np.testing.assert_array_equal(d.x_train, a.x_train)
    np.testing.assert_array_equal(d.x_test, a.x_test)
    assert not np.array_equal(d.teacher.W1, a.teacher.W1)
    assert not np.array_equal(d.y_train, a.y_train)  # labels come from each seed's teacher
    e, _ = initial_states([_spec(seed=5)])
    np.testing.assert_array_equal(d.teacher.W1, e.teacher.W1)
    np.testing.assert_array_equal(d.params.W1, e.params.W1)
    assert not np.array_equal(d.x_train, e.x_train)


def test_sampling_statistics():
    """Inputs N(0, 1/2) and fan-in uniform init U(-a/sqrt(M), a/sqrt(M)): moments within sampling error."""
    spec = _spec(M=200, N=100, n_train=400, task={"init_scale": 2.0})
    from curldescent.engine import initial_states

    s, _ = initial_states([spec])
    x = np.asarray(s.x_train[0])
    assert x.var() == pytest.approx(0.5, abs=4 * 0.5 * np.sqrt(2 / x.size))
    W1 = np.asarray(s.params.W1[0])
    bound = 2.0 / np.sqrt(200)
    assert W1.min() >= -bound and W1.max() <= bound
    assert W1.var() == pytest.approx(bound**2 / 3, rel=4 * np.sqrt(1.8 / W1.size))


def test_start_near_teacher():
    spec = preset_spec("fig4").replace(**{"train.epochs": 5, "network.M": 20, "network.N": 20})
    from curldescent.engine import initial_states

    s, _ = initial_states([spec])
    diff = np.asarray(s.params.W1 - s.teacher.W1)
    ulp = np.spacing(
        np.abs(np.asarray(s.teacher.W1))
    )  # 1e-15 added to O(0.1) entries is exact to an ulp
    assert np.all(np.abs(diff - 1e-15) <= ulp)
    np.testing.assert_array_equal(s.params.W2, s.teacher.W2)


def test_custom_rule_objects_override_the_spec():
    spec = _spec(epochs=20)
    d2 = np.where(np.arange(20) < 10, -1.0, 1.0)
    via_spec = simulate(spec.replace(**{"rule.kind": "curl", "rule.alpha_readout": 0.5}))
    via_obj = simulate(spec.replace(**{"rule.kind": "curl"}), rule=Curl(d2=d2))
    np.testing.assert_array_equal(via_spec.final_W1, via_obj.final_W1)


@pytest.mark.parametrize("batch_size", [None, 7])
def test_a_user_rule_is_used_exactly_as_written(batch_size):
    """A Gradient subclass whose field returns zeros leaves the weights unchanged (the
    engine calls the rule's own field, not its plasticity); a field that doubles the
    gradient trains like gradient descent at twice the learning rate."""
    import jax.numpy as jnp
    import jax.tree_util as jtu

    from curldescent.rules import Gradient

    class Frozen(Gradient):
        def field(self, network, params, x, y, weights=None):
            return jtu.tree_map(jnp.zeros_like, params)

    class Double(Gradient):
        def field(self, network, params, x, y, weights=None):
            d = Gradient().field(network, params, x, y, weights)
            return jtu.tree_map(lambda a: 2.0 * a, d)

    spec = _spec(
        M=6,
        N=5,
        epochs=5,
        batch_size=batch_size,
        n_train=20,
        train={"record_weights": True, "renormalize": False},  # no rescaling round-off
    )
    frozen = simulate(spec, rule=Frozen())
    np.testing.assert_array_equal(frozen.final_W1[0], frozen.W1[0, 0])
    np.testing.assert_array_equal(frozen.final_W2[0], frozen.W2[0, 0])
    assert np.all(frozen.test_error == frozen.test_error[:, :1])
    double = simulate(spec, rule=Double())
    gd2 = simulate(spec.replace(**{"train.lr": 0.2}), fast=False)
    np.testing.assert_allclose(double.final_W1, gd2.final_W1, rtol=1e-12, atol=1e-14)
    assert not np.allclose(double.final_W1, frozen.final_W1)


def test_without_float64_simulate_fails_before_running():
    """In a fresh interpreter without enable_float64(), simulate stops with a one-line
    message instead of silently running in float32."""
    import os
    import subprocess
    import sys

    code = (
        "from curldescent.engine import simulate\n"
        "from curldescent.specs import RunSpec, NetworkSpec, SpecError, TrainSpec\n"
        "try:\n"
        "    simulate(RunSpec(network=NetworkSpec(M=4, N=3), train=TrainSpec(epochs=2)))\n"
        "except SpecError as e:\n"
        "    print('ERR', e)\n"
        "else:\n"
        "    print('RAN')\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "JAX_ENABLE_X64"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ERR float64 is off"), out.stdout + out.stderr
    assert "enable_float64()" in lines[0]


def test_batch_requires_equal_shapes():
    with pytest.raises(SpecError, match="share"):
        simulate_batch([_spec(M=10), _spec(M=11)])


def test_renormalisation_stays_exact_when_updates_are_large():
    """Regression: at c = 0.01 (M = 2, N = 217) full-batch updates are as large as the weights;
    an algebraic norm shortcut let ||W1|| drift to 338 and NaN by epoch ~1950 (seed 1)."""
    M, N = sizes_for_c(0.01)
    spec = preset_spec("fig4a").replace(
        **{
            "network.M": M,
            "network.N": N,
            "train.epochs": 2000,
            "train.n_checkpoints": 10,
            "seed": 1,
        }
    )
    from curldescent.engine import initial_states

    states, _ = initial_states([spec])
    res = simulate(spec)
    assert not res.diverged[0]
    assert np.linalg.norm(res.final_W1[0]) == pytest.approx(
        float(np.linalg.norm(states.params.W1[0])), rel=1e-12
    )


@pytest.mark.parametrize("n", [1, 7, 250, 2000])  # 2,000 takes two sorting rounds
def test_permutation_and_epoch_orders_are_jax_random_permutation(n):
    from curldescent.engine import epoch_orders, permutation

    key = jax.random.PRNGKey(3)
    epochs = np.array([0, 1, 5, 99_999])
    rows = np.asarray(epoch_orders(key, jax.numpy.asarray(epochs), n))
    for row, e in zip(rows, epochs, strict=True):
        want = np.asarray(jax.random.permutation(jax.random.fold_in(key, int(e)), n))
        np.testing.assert_array_equal(
            np.asarray(permutation(jax.random.fold_in(key, int(e)), n)), want
        )
        np.testing.assert_array_equal(row, want)


@pytest.mark.parametrize("batch_size", [None, 10, 7])
def test_trajectory_does_not_depend_on_the_checkpoint_grid(batch_size):
    """Epochs advance in blocks (pairs for full batch, 8 minibatch orders drawn at once)
    between checkpoints; other grids split the same epochs differently."""
    spec = _spec(epochs=203, batch_size=batch_size, rule=RuleSpec(kind="curl", alpha_hidden=0.3))
    a = simulate(spec.replace(**{"train.n_checkpoints": 7}))
    b = simulate(spec.replace(**{"train.n_checkpoints": 40, "train.final_window": 5}))
    assert _rel(a.final_W1, b.final_W1) <= 1e-13
    assert _rel(a.final_W2, b.final_W2) <= 1e-13
    if batch_size is not None and jax.default_backend() == "cpu":
        np.testing.assert_array_equal(a.final_W1, b.final_W1)  # the same operations
