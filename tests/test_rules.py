"""Learning rules: exactness against autodiff, sign structure, non-gradient certificate."""

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jax.flatten_util import ravel_pytree

from curldescent.network import Params, mse
from curldescent.rules import Curl, FeedbackAlignment, Gradient, flow_field, update_direction
from curldescent.rules.base import effective_masks
from curldescent.specs import NetworkSpec


def _instance(seed, M=7, N=5, K=1, activation="linear", **net):
    spec = NetworkSpec(M=M, N=N, K=K, activation=activation, **net)
    k = jr.split(jr.PRNGKey(seed), 5)
    params = Params(jr.normal(k[0], (N, M)) / np.sqrt(M), jr.normal(k[1], (K, N)) / np.sqrt(N))
    x = jr.normal(k[2], (13, M))
    y = jr.normal(k[3], (13, K))
    return spec, params, x, y


@pytest.mark.parametrize("activation", ["linear", "tanh", "relu"])
@pytest.mark.parametrize("output_activation", ["identity", "hidden"])
@pytest.mark.parametrize("K", [1, 3])
def test_gradient_rule_is_minus_autodiff_gradient(activation, output_activation, K):
    spec, params, x, y = _instance(
        0, K=K, activation=activation, output_activation=output_activation
    )
    d = Gradient().field(spec, params, x, y)
    g = jax.grad(lambda p: mse(spec, p, x, y))(params)
    for a, b in zip(d, g, strict=True):
        np.testing.assert_allclose(a, -b, rtol=1e-12, atol=1e-14)


def test_raw_readout_error_is_not_the_gradient_for_nonlinear_output():
    spec, params, x, y = _instance(
        1, activation="tanh", output_activation="hidden", readout_error="raw"
    )
    d = Gradient().field(spec, params, x, y)
    g = jax.grad(lambda p: mse(spec, p, x, y))(params)
    assert np.max(np.abs(d.W2 + g.W2)) > 1e-3 * np.max(np.abs(g.W2))


def test_curl_without_flips_equals_gradient_exactly():
    spec, params, x, y = _instance(2, activation="tanh")
    a = Curl().field(spec, params, x, y)
    b = Gradient().field(spec, params, x, y)
    for u, v in zip(a, b, strict=True):
        assert np.array_equal(u, v)


def test_all_flips_ascend_the_loss():
    spec, params, x, y = _instance(3)
    rule = Curl(d1=-np.ones(spec.M), d2=-np.ones(spec.N))
    d = rule.field(spec, params, x, y)
    g = jax.grad(lambda p: mse(spec, p, x, y))(params)
    for u, v in zip(d, g, strict=True):
        np.testing.assert_allclose(u, v, rtol=1e-12)  # exactly +gradient
    lr = 1e-3
    loss0 = mse(spec, params, x, y)
    loss1 = mse(spec, Params(params.W1 + lr * d.W1, params.W2 + lr * d.W2), x, y)
    assert loss1 > loss0


def test_curl_matches_eq5_by_hand():
    spec, params, x, y = _instance(4, K=1)
    d1 = np.where(np.arange(spec.M) < 3, -1.0, 1.0)
    d2 = np.where(np.arange(spec.N) < 2, -1.0, 1.0)
    d = Curl(d1=d1, d2=d2).field(spec, params, x, y)
    W1, W2 = np.asarray(params.W1), np.asarray(params.W2)
    X, Y = np.asarray(x), np.asarray(y)
    dW1 = np.zeros_like(W1)
    dW2 = np.zeros_like(W2)
    for xn, yn in zip(X, Y, strict=True):
        h = W1 @ xn
        e = W2 @ h - yn
        dW1 += -np.outer(W2.T @ e, xn) @ np.diag(d1)  # eq. (5)
        dW2 += -np.outer(e, h) @ np.diag(d2)
    np.testing.assert_allclose(d.W1, dW1 / len(X), rtol=1e-12)
    np.testing.assert_allclose(d.W2, dW2 / len(X), rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    M=st.integers(1, 6),
    N=st.integers(1, 6),
    K=st.integers(1, 3),
    seed=st.integers(0, 2**31 - 1),
    kind=st.sampled_from(["pre", "post", "mask"]),
)
def test_masks_flip_exactly_the_intended_synapses(M, N, K, seed, kind):
    spec, params, x, y = _instance(seed % 1000, M=M, N=N, K=K, activation="tanh")
    rng = np.random.default_rng(seed)
    if kind == "pre":
        d1, d2 = rng.choice([-1.0, 1.0], M), rng.choice([-1.0, 1.0], N)
        rule = Curl(d1=d1, d2=d2)
        S1, S2 = np.outer(np.ones(N), d1), np.outer(np.ones(K), d2)
    elif kind == "post":
        r1, r2 = rng.choice([-1.0, 1.0], N), rng.choice([-1.0, 1.0], K)
        rule = Curl(r1=r1, r2=r2)
        S1, S2 = np.outer(r1, np.ones(M)), np.outer(r2, np.ones(N))
    else:
        S1, S2 = rng.choice([-1.0, 1.0], (N, M)), rng.choice([-1.0, 1.0], (K, N))
        rule = Curl(mask1=S1, mask2=S2)
    flipped = rule.field(spec, params, x, y)
    grad = Gradient().field(spec, params, x, y)
    # every synapse with sign -1 is exactly negated, every other synapse untouched
    np.testing.assert_array_equal(np.asarray(flipped.W1), S1 * np.asarray(grad.W1))
    np.testing.assert_array_equal(np.asarray(flipped.W2), S2 * np.asarray(grad.W2))
    e1, e2 = effective_masks(rule.plasticity(spec))
    np.testing.assert_array_equal(e1, S1)
    np.testing.assert_array_equal(e2, S2)


def test_flip_fractions_follow_the_protocol():
    net = NetworkSpec(M=50, N=20)
    p = Curl.from_fractions(net, alpha_hidden=0.33, alpha_readout=0.5).plasticity(net)
    assert np.array_equal(
        np.asarray(p.d1), np.where(np.arange(50) < 16, -1.0, 1.0)
    )  # k = floor(0.33*50)
    assert np.array_equal(np.asarray(p.d2), np.where(np.arange(20) < 10, -1.0, 1.0))
    pr = Curl.from_fractions(
        net, alpha_hidden=0.2, selection="random", key=jr.PRNGKey(3)
    ).plasticity(net)
    assert int(np.sum(np.asarray(pr.d1) < 0)) == 10
    assert not np.array_equal(
        np.asarray(pr.d1), np.asarray(Curl.from_counts(net, 10).plasticity(net).d1)
    )


@pytest.mark.parametrize(
    ("alpha", "M", "k"),
    [(0.3, 7, 2), (0.65, 4, 2), (0.5, 5, 2), (0.3, 10, 3), (0.99, 3, 2)],  # ceil/round fail
)
def test_fractional_alpha_flips_the_first_floor_alpha_m_neurons(alpha, M, k):
    """k = floor(alpha*M), the first k neurons, on every route that turns a fraction into
    flips: the spec (engine, sweeps, CLI), Curl.from_fractions, and the engine's own rule."""
    from curldescent.engine import initial_states
    from curldescent.specs import RuleSpec, RunSpec, TaskSpec, TrainSpec, flip_count

    assert flip_count(alpha, M) == k
    net = NetworkSpec(M=M, N=M)
    want = np.where(np.arange(M) < k, -1.0, 1.0)
    rule = RuleSpec(kind="curl", alpha_hidden=alpha, alpha_readout=alpha)
    assert rule.flip_counts(net) == (k, k)
    p = Curl.from_fractions(net, alpha, alpha).plasticity(net)
    assert np.array_equal(np.asarray(p.d1), want) and np.array_equal(np.asarray(p.d2), want)
    spec = RunSpec(
        network=net, task=TaskSpec(n_train=4, n_test=2), rule=rule, train=TrainSpec(epochs=1)
    )
    _, (pe,) = initial_states([spec])
    assert np.array_equal(np.asarray(pe.d1), want) and np.array_equal(np.asarray(pe.d2), want)


def _field_jacobian(rule, spec, params, x, y):
    flat, unravel = ravel_pytree(params)
    f = lambda v: ravel_pytree(rule.field(spec, unravel(v), x, y))[0]  # noqa: E731
    return np.asarray(jax.jacfwd(f)(flat))


@pytest.mark.parametrize("activation", ["linear", "tanh"])
def test_nongradient_certificate(activation):
    """Appendix A.1: a field is a gradient iff its Jacobian is symmetric."""
    spec, params, x, y = _instance(5, M=6, N=4, activation=activation)
    J = _field_jacobian(Gradient(), spec, params, x, y)
    assert np.max(np.abs(J - J.T)) < 1e-12 * np.max(np.abs(J))
    for rule in (
        Curl(d1=np.where(np.arange(6) < 3, -1.0, 1.0)),
        Curl(d2=np.where(np.arange(4) < 1, -1.0, 1.0)),
    ):
        J = _field_jacobian(rule, spec, params, x, y)
        asym = np.linalg.norm(J - J.T) / np.linalg.norm(J)
        assert asym > 0.05


def test_feedback_alignment_uses_B_and_combines_with_flips():
    spec, params, x, y = _instance(6, K=2)
    B = np.asarray(jr.normal(jr.PRNGKey(9), (2, spec.N)))
    fa = FeedbackAlignment(B).field(spec, params, x, y)
    # same as backprop through a network whose W2 equals B in the backward pass only
    e = x @ params.W1.T @ params.W2.T - y
    np.testing.assert_allclose(fa.W1, -((e @ B).T @ x) / x.shape[0], rtol=1e-12)
    np.testing.assert_allclose(fa.W2, Gradient().field(spec, params, x, y).W2, rtol=1e-12)
    d1 = np.where(np.arange(spec.M) < 2, -1.0, 1.0)
    fac = FeedbackAlignment(B, flips=Curl(d1=d1)).field(spec, params, x, y)
    np.testing.assert_allclose(fac.W1, fa.W1 * d1[None, :], rtol=1e-12)


def test_flow_field_is_eq6():
    spec, params, _, _ = _instance(7, K=1)
    s = jr.normal(jr.PRNGKey(1), (1, spec.M))
    d1 = np.where(np.arange(spec.M) < 3, -1.0, 1.0)
    d2 = np.where(np.arange(spec.N) < 2, -1.0, 1.0)
    p = Curl(d1=d1, d2=d2).plasticity(spec)
    f = flow_field(p, params, s)
    W1, W2, S = np.asarray(params.W1), np.asarray(params.W2), np.asarray(s)
    np.testing.assert_allclose(f.W1, W2.T @ (S - W2 @ W1) @ np.diag(d1), rtol=1e-12)
    np.testing.assert_allclose(f.W2, (S - W2 @ W1) @ W1.T @ np.diag(d2), rtol=1e-12)
    # whitened-data limit of the sampled field: E[x x^T] = I  =>  same field
    X = jnp.eye(spec.M) * np.sqrt(spec.M)
    g = update_direction(spec, p, params, X, X @ S.T)
    np.testing.assert_allclose(g.W1, f.W1, rtol=1e-10, atol=1e-14)
