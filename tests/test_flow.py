"""The continuous-time learning flow (curldescent.analysis.flow): exact invariants of linear
learning flows, the renormalised (projected) flow, and first-order convergence of the
discrete map to the flow as the learning rate shrinks."""

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from curldescent.analysis.flow import (
    epoch_time,
    integrate_between,
    learning_flow,
    simulate_flow_batch,
)
from curldescent.engine import simulate_batch
from curldescent.network import Params
from curldescent.rules import Curl
from curldescent.rules.base import identity_plasticity
from curldescent.specs import NetworkSpec, RuleSpec, RunSpec, TaskSpec, TrainSpec

NET = NetworkSpec(M=5, N=4)


def _data(seed=0, n=30):
    k1, k2, k3, k4 = jr.split(jr.PRNGKey(seed), 4)
    x = jr.normal(k1, (n, NET.M)) / np.sqrt(2)
    teacher = Params(
        jr.normal(k2, (NET.N, NET.M)) / np.sqrt(NET.M), jr.normal(k3, (1, NET.N)) / np.sqrt(NET.N)
    )
    y = x @ (teacher.W2 @ teacher.W1).T
    p0 = Params(jr.normal(k4, (NET.N, NET.M)) * 0.5, jr.normal(jr.fold_in(k4, 1), (1, NET.N)) * 0.5)
    return x, y, p0


def _solve(field, p0, t1):
    return jax.jit(lambda p: integrate_between(field, p, 0.0, t1, rtol=1e-10, atol=1e-12))(p0)


def test_gradient_flow_conserves_balancedness():
    r"""Gradient flow of a linear network conserves W1 W1^T - W2^T W2 (no renormalisation):
    d(W1W1^T)/dt = d(W2^T W2)/dt = -(W2^T G W1^T + W1 G^T W2)."""
    x, y, p0 = _data()
    field = learning_flow(NET, identity_plasticity(NET), x, y, renormalize=False)
    p1, n, ok = _solve(field, p0, 5.0)
    assert bool(ok) and int(n) > 5
    inv = lambda p: p.W1 @ p.W1.T - p.W2.T @ p.W2  # noqa: E731
    np.testing.assert_allclose(inv(p1), inv(p0), atol=1e-8)
    # and the flow really moved (the error fell)
    err = lambda p: float(jnp.mean((x @ (p.W2 @ p.W1).T - y) ** 2))  # noqa: E731
    assert err(p1) < 0.5 * err(p0)


def test_all_flipped_hidden_flow_conserves_sum():
    r"""With every hidden-layer input flipped (D1 = -I, D2 = I) the flow conserves
    W1 W1^T + W2^T W2 (the N-dimensional version of the toy model's circle)."""
    x, y, p0 = _data(1)
    plast = Curl.from_fractions(NET, alpha_hidden=1.0).plasticity(NET)
    field = learning_flow(NET, plast, x, y, renormalize=False)
    p1, _, ok = _solve(field, p0, 3.0)
    assert bool(ok)
    inv = lambda p: p.W1 @ p.W1.T + p.W2.T @ p.W2  # noqa: E731
    np.testing.assert_allclose(inv(p1), inv(p0), atol=1e-8)


def test_renormalised_flow_keeps_norms_and_is_tangent():
    x, y, p0 = _data(2)
    plast = Curl.from_fractions(NET, alpha_hidden=0.4, alpha_readout=0.5).plasticity(NET)
    field = learning_flow(NET, plast, x, y, renormalize=True)
    v = field(p0)
    assert abs(float(jnp.sum(v.W1 * p0.W1))) < 1e-12 and abs(float(jnp.sum(v.W2 * p0.W2))) < 1e-12
    p1, _, ok = _solve(field, p0, 4.0)
    assert bool(ok)
    for a, b in zip(p1, p0, strict=True):
        assert float(jnp.linalg.norm(a)) == pytest.approx(float(jnp.linalg.norm(b)), rel=1e-8)


def test_discrete_map_converges_to_flow_at_first_order():
    r"""Full-batch steps of size eta are the Euler scheme of the (projected) flow: the gap
    between the map's and the flow's weights at a fixed time shrinks like eta (ratio 2 when
    eta halves), and both start from the identical initial state."""
    spec = RunSpec(
        network=NET,
        task=TaskSpec(n_train=40, n_test=20),
        rule=RuleSpec(kind="curl", alpha_hidden=0.4),
        train=TrainSpec(lr=0.04, epochs=50, n_checkpoints=5),
    )
    flow = simulate_flow_batch([spec])
    assert epoch_time(spec) == pytest.approx(0.04)
    gaps = []
    for k in (1, 2):
        d = simulate_batch([spec.replace(**{"train.lr": 0.04 / 2**k, "train.epochs": 50 * 2**k})])
        assert d.test_error[0, 0] == pytest.approx(flow.test_error[0, 0], rel=1e-12)
        gaps.append(np.max(np.abs(d.final_W1 - flow.final_W1)))
    assert 1.6 < gaps[0] / gaps[1] < 2.4
    assert flow.n_steps[0] > 0 and not flow.diverged[0]
