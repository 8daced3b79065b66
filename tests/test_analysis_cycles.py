"""Exact-cycle detection at the end of a trajectory: constructed fixed points and period-2,
-3 and -4 cycles, aperiodic sequences, tolerances and JAX inputs."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from curldescent.analysis import detect_cycle
from curldescent.network import Params


def _cycle(period, reps, P=6, seed=0, noise=0.0):
    rng = np.random.default_rng(seed)
    states = rng.normal(size=(period, P))
    traj = np.tile(states, (reps, 1))
    return traj + noise * rng.normal(size=traj.shape)


@pytest.mark.parametrize("period", [1, 2, 3, 4])
def test_constructed_cycles(period):
    traj = _cycle(period, 24, noise=1e-14)
    res = detect_cycle(traj, max_period=6)
    assert int(res.period) == period
    assert res.residual.shape == (6,)
    assert float(res.residual[period - 1]) < 1e-12
    # multiples of the period fit too, others do not
    for p in range(1, 7):
        assert (float(res.residual[p - 1]) < 1e-10) == (p % period == 0)


def test_cycle_after_transient_and_tolerances():
    rng = np.random.default_rng(1)
    transient = rng.normal(size=(100, 6))
    traj = np.concatenate([transient, _cycle(2, 10, seed=2)])
    assert int(detect_cycle(traj).period) == 2  # only the end matters (default n_check 16)
    noisy = _cycle(2, 20, seed=3, noise=1e-6)
    assert int(detect_cycle(noisy).period) == 0  # not exact at rtol 1e-10
    assert int(detect_cycle(noisy, rtol=1e-4).period) == 2
    assert int(detect_cycle(noisy, atol=1e-4, rtol=0).period) == 2
    # relative tolerance: scaling the weights does not change the verdict
    assert int(detect_cycle(1e8 * _cycle(2, 20, seed=4, noise=1e-14)).period) == 2


def test_aperiodic_sequences():
    rng = np.random.default_rng(5)
    assert int(detect_cycle(rng.normal(size=(200, 4))).period) == 0
    # quasi-periodic rotation by an irrational angle
    t = np.arange(300)
    rot = np.stack([np.cos(np.sqrt(2) * t), np.sin(np.sqrt(2) * t)], axis=1)
    res = detect_cycle(rot, max_period=10)
    assert int(res.period) == 0 and float(res.residual.min()) > 1e-3
    # the logistic map at r = 4 (chaotic)
    x = np.empty(300)
    x[0] = 0.3
    for i in range(299):
        x[i + 1] = 4 * x[i] * (1 - x[i])
    assert int(detect_cycle(x).period) == 0
    # a slowly converging sequence is not (yet) a fixed point
    assert int(detect_cycle(1.0 + 0.9 ** np.arange(100.0)).period) == 0
    # a period longer than max_period is not reported
    assert int(detect_cycle(_cycle(5, 20), max_period=4).period) == 0


def test_params_and_jax_jit():
    traj = _cycle(2, 20, P=8, seed=6)
    params = Params(traj[:, :6].reshape(-1, 2, 3), traj[:, 6:].reshape(-1, 1, 2))
    assert int(detect_cycle(params).period) == 2
    f = jax.jit(lambda x: detect_cycle(x, max_period=5))
    assert int(f(jnp.asarray(traj)).period) == 2
    assert int(f(jnp.asarray(np.random.default_rng(7).normal(size=(40, 8)))).period) == 0
    frozen = np.zeros((30, 3))
    res = detect_cycle(frozen)
    assert int(res.period) == 1 and float(res.residual[0]) == 0.0


def test_too_short_raises():
    with pytest.raises(ValueError, match="states"):
        detect_cycle(np.zeros((10, 2)), max_period=8)
