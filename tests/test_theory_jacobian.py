"""Jacobians of learning rules: autodiff through the engine's rule vs the closed forms of
eqs. (11)–(13), the discrete step with and without renormalisation, and finite differences.

Tolerances: eigenvalues of the small (MN + N ≤ 30) non-symmetric Jacobians are computed by
LAPACK to ~1e-14 relative; the structural zeros are semisimple (kernel dimension equals
their multiplicity), so 1e-10 leaves a margin of four orders of magnitude.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from curldescent.network import Params
from curldescent.rules import Curl, Gradient
from curldescent.specs import NetworkSpec, SpecError
from curldescent.theory.jacobian import (
    direction_jacobian,
    eigenvalues,
    flow_jacobian,
    is_stable,
    manifold_eigenvalues,
    manifold_matrix,
    nonstructural,
    origin_eigenvalues,
    step_jacobian,
    step_map,
    structural_zero_count,
)
from curldescent.theory.manifold import sample_manifold_point

CASES = [(3, 2, 0), (4, 3, 1), (2, 4, 2)]  # (M, N, seed)


def _mixed_signs(rng, M, N):
    d1 = np.where(rng.random(M) < 0.5, -1.0, 1.0)
    d2 = np.where(rng.random(N) < 0.5, -1.0, 1.0)
    d1[0], d2[0] = 1.0, -1.0  # always mixed in D2, at least one + in D1
    if M > 1:
        d1[1] = -1.0
    return d1, d2


def _match(a, b):
    """Max distance between two multisets of complex numbers (optimal matching)."""
    a, b = np.asarray(a, complex), np.asarray(b, complex)
    assert a.shape == b.shape
    cost = np.abs(a[:, None] - b[None, :])
    r, c = linear_sum_assignment(cost)
    return float(cost[r, c].max())


@pytest.mark.parametrize("M,N,seed", CASES)
@pytest.mark.parametrize("sigma_sign", [1, -1])
def test_origin_closed_form_matches_autodiff(M, N, seed, sigma_sign):
    """Eq. (11): ±sqrt(d2_i Σ) and MN − N zeros, for Σ > 0 (saddle planes) and Σ < 0 (centres)."""
    rng = np.random.default_rng(seed)
    d1, d2 = _mixed_signs(rng, M, N)
    s = rng.normal(size=(1, M))
    # make the sign of Σ = Σ_j d1_j s_j² the requested one
    j = 0 if sigma_sign > 0 else 1 if M > 1 else 0
    if M > 1:
        s[0, j] = 5.0
    sigma = float(np.sum(d1 * s[0] ** 2))
    if M > 1:
        assert np.sign(sigma) == sigma_sign
    net = NetworkSpec(M=M, N=N)
    p = Curl(d1=d1, d2=d2).plasticity(net)
    J = flow_jacobian(p, Params(jnp.zeros((N, M)), jnp.zeros((1, N))), jnp.asarray(s))
    auto = eigenvalues(J)
    closed = origin_eigenvalues(d1, d2, s)
    assert auto.shape == closed.shape == (M * N + N,)
    assert _match(auto, closed) < 1e-10
    assert np.sum(np.abs(auto) < 1e-9) == structural_zero_count(M, N, "origin") + (
        2 * N if sigma == 0 else 0
    )
    # d2_i Σ < 0 gives purely imaginary pairs (a centre in that plane)
    n_imag = int(np.sum(d2 * sigma < 0))
    assert np.sum((np.abs(auto.real) < 1e-9) & (np.abs(auto.imag) > 1e-6)) == 2 * n_imag


@pytest.mark.parametrize("M,N,seed", CASES)
def test_manifold_closed_form_matches_autodiff(M, N, seed):
    """Eq. (12): −eig(‖W2‖² D1 + W1ᵀ D2 W1) plus MN + N − M structural zeros (W1ᵀW1, not W1W1ᵀ)."""
    rng = np.random.default_rng(100 + seed)
    d1, d2 = _mixed_signs(rng, M, N)
    params = Params(jnp.asarray(rng.normal(size=(N, M))), jnp.asarray(rng.normal(size=(1, N))))
    s = params.W2 @ params.W1
    X = manifold_matrix(params, d1, d2)
    assert np.min(np.abs(np.linalg.eigvalsh(X))) > 1e-3  # non-structural eigenvalues away from 0
    net = NetworkSpec(M=M, N=N)
    J = flow_jacobian(Curl(d1=d1, d2=d2).plasticity(net), params, s)
    auto = eigenvalues(J)
    closed = manifold_eigenvalues(params, d1, d2)
    n0 = structural_zero_count(M, N)
    assert _match(auto, closed) < 1e-10
    assert np.sum(np.abs(auto) < 1e-9) == n0
    ns = nonstructural(auto, n0)
    assert ns.size == M
    assert np.max(np.abs(ns.imag)) < 1e-10  # X symmetric: real spectrum
    np.testing.assert_allclose(np.sort(ns.real), np.sort(-np.linalg.eigvalsh(X)), atol=1e-10)
    # the printed W1 W1ᵀ (N×N) would not even give M eigenvalues
    assert (params.W1 @ params.W1.T).shape != X.shape or M == N


def test_gradient_flow_manifold_is_stable_and_full_flip_reverses_spectrum():
    """Eq. (13): A = ‖W2‖²I + W1ᵀW1 is positive definite; α_h = α_r = 1 flips every eigenvalue."""
    rng = np.random.default_rng(7)
    M, N = 4, 3
    params = Params(jnp.asarray(rng.normal(size=(N, M))), jnp.asarray(rng.normal(size=(1, N))))
    s = params.W2 @ params.W1
    net = NetworkSpec(M=M, N=N)
    n0 = structural_zero_count(M, N)
    grad = nonstructural(eigenvalues(flow_jacobian(Gradient().plasticity(net), params, s)), n0)
    A = float(np.sum(np.asarray(params.W2) ** 2)) * np.eye(M) + np.asarray(params.W1.T @ params.W1)
    np.testing.assert_allclose(np.sort(grad.real), np.sort(-np.linalg.eigvalsh(A)), atol=1e-10)
    assert is_stable(grad)
    flipped = Curl.from_fractions(net, alpha_hidden=1.0, alpha_readout=1.0).plasticity(net)
    full = nonstructural(eigenvalues(flow_jacobian(flipped, params, s)), n0)
    np.testing.assert_allclose(np.sort(full.real), np.sort(-grad.real), atol=1e-10)
    assert not is_stable(full)


def _whitened_data(rng, n, M, s):
    q, _ = np.linalg.qr(rng.normal(size=(n, M)))
    x = np.sqrt(n) * q  # <x xᵀ> = XᵀX/n = I exactly
    return jnp.asarray(x), jnp.asarray(x @ np.asarray(s).T)


def test_step_jacobian_is_identity_plus_lr_flow_jacobian_on_whitened_data():
    """Discrete map without renormalisation: ∂W'/∂W = I + η J_flow when <xxᵀ> = I, y = s x."""
    rng = np.random.default_rng(3)
    M, N, n, lr = 4, 3, 16, 0.05
    net = NetworkSpec(M=M, N=N)
    d1, d2 = _mixed_signs(rng, M, N)
    p = Curl(d1=d1, d2=d2).plasticity(net)
    s = jnp.asarray(rng.normal(size=(1, M)))
    x, y = _whitened_data(rng, n, M, s)
    params = Params(jnp.asarray(rng.normal(size=(N, M))), jnp.asarray(rng.normal(size=(1, N))))
    Js = step_jacobian(net, p, params, x, y, lr)
    Jf = flow_jacobian(p, params, s)
    np.testing.assert_allclose(Js, np.eye(M * N + N) + lr * np.asarray(Jf), atol=1e-10)
    np.testing.assert_allclose(direction_jacobian(net, p, params, x, y), Jf, atol=1e-10)


def test_renormalised_step_jacobian_at_a_fixed_point_is_projected():
    """With W_l → n_l W_l/‖W_l‖ at a manifold point: J = P (I + η J_flow), P the per-layer
    projector orthogonal to W_l (derivative of the normalisation at ‖W_l‖ = n_l)."""
    rng = np.random.default_rng(4)
    M, N, n, lr = 4, 3, 16, 0.1
    net = NetworkSpec(M=M, N=N)
    d1, d2 = _mixed_signs(rng, M, N)
    p = Curl(d1=d1, d2=d2).plasticity(net)
    params = Params(jnp.asarray(rng.normal(size=(N, M))), jnp.asarray(rng.normal(size=(1, N))))
    s = params.W2 @ params.W1
    x, y = _whitened_data(rng, n, M, s)
    J = np.asarray(step_jacobian(net, p, params, x, y, lr, renormalize=True))
    w1 = np.asarray(params.W1).ravel() / np.linalg.norm(params.W1)
    w2 = np.asarray(params.W2).ravel() / np.linalg.norm(params.W2)
    P = np.zeros((M * N + N, M * N + N))
    P[: M * N, : M * N] = np.eye(M * N) - np.outer(w1, w1)
    P[M * N :, M * N :] = np.eye(N) - np.outer(w2, w2)
    expected = P @ (np.eye(M * N + N) + lr * np.asarray(flow_jacobian(p, params, s)))
    np.testing.assert_allclose(J, expected, atol=1e-10)


def test_step_jacobian_matches_finite_differences_off_the_manifold_with_tanh():
    """Independent route for any activation and the renormalised map: central differences
    (h = 1e-6, truncation O(h²) ≈ 1e-12, rounding ≈ 1e-16/h = 1e-10; tolerance 1e-7)."""
    rng = np.random.default_rng(5)
    M, N, n, lr = 4, 3, 16, 0.2
    net = NetworkSpec(M=M, N=N, activation="tanh")
    d1, d2 = _mixed_signs(rng, M, N)
    p = Curl(d1=d1, d2=d2).plasticity(net)
    x = jnp.asarray(rng.normal(size=(n, M)))
    y = jnp.asarray(rng.normal(size=(n, 1)))
    params = Params(jnp.asarray(rng.normal(size=(N, M))), jnp.asarray(rng.normal(size=(1, N))))
    norms = (1.3, 0.7)
    J = np.asarray(step_jacobian(net, p, params, x, y, lr, renormalize=True, norms=norms))
    theta = np.concatenate([np.asarray(params.W1).ravel(), np.asarray(params.W2).ravel()])

    @jax.jit
    def f(th):
        q = Params(th[: N * M].reshape(N, M), th[N * M :].reshape(1, N))
        out = step_map(net, p, q, x, y, lr, renormalize_to=norms)
        return jnp.concatenate([out.W1.ravel(), out.W2.ravel()])

    h = 1e-6
    fd = np.stack(
        [
            (np.asarray(f(theta + h * e)) - np.asarray(f(theta - h * e))) / (2 * h)
            for e in np.eye(theta.size)
        ],
        axis=1,
    )
    np.testing.assert_allclose(J, fd, atol=1e-7)


def test_closed_form_on_sampled_manifold_point_and_helpers():
    """Eq. (14) sample → autodiff Jacobian's non-structural part equals eq. (12) exactly."""
    import jax.random as jr

    M, N = 4, 3
    params, s = sample_manifold_point(jr.PRNGKey(11), M, N)
    d1 = np.array([-1.0, -1, 1, 1])
    d2 = np.array([-1.0, 1, 1])
    net = NetworkSpec(M=M, N=N)
    J = flow_jacobian(Curl(d1=d1, d2=d2).plasticity(net), params, s)
    ns = nonstructural(eigenvalues(J), structural_zero_count(M, N))
    np.testing.assert_allclose(
        np.sort(ns.real),
        np.sort(manifold_eigenvalues(params, d1, d2, include_structural=False)),
        atol=1e-10,
    )
    assert is_stable(np.array([-1.0, -0.5])) and not is_stable(np.array([-1.0, 0.0]))
    assert is_stable(np.array([0.5, -0.9j]), discrete=True) and not is_stable(
        np.array([1.0]), discrete=True
    )
    with pytest.raises(SpecError, match="where must be one of"):
        structural_zero_count(3, 2, "saddle")
    with pytest.raises(SpecError, match="scalar output"):
        manifold_matrix(Params(jnp.ones((2, 3)), jnp.ones((2, 2))), np.ones(3), np.ones(2))
    with pytest.raises(SpecError, match="n_structural"):
        nonstructural(np.ones(3), 4)
