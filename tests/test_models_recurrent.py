"""Recurrent Hebbian models (eqs. 1-2, 23-24, A.2-A.4) and their algebraic gradient
conditions checked against the curl meter, on cases where they hold and where they fail."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import linregress

from curldescent.analysis.curl_meter import Subspace, curl_index
from curldescent.models import (
    Blocks,
    HebbianRecurrent,
    PehlevanArchitecture,
    TiedField,
    TiedParams,
    ei_input_correlation,
    ei_network,
    ei_signs,
    hebbian_network,
    input_correlation,
    input_correlation_from_samples,
    plasticity_mask,
    sample_ei_weights,
    sample_hebbian_weights,
)
from curldescent.specs import SpecError

ZERO = 1e-9  # "gradient": both indices below this (they are ~1e-13 for gradient fields)


def _meter(field, points, subspace=None, metric=None):
    return curl_index(field, np.asarray(points), key=0, subspace=subspace, metric=metric)


def _is_gradient(res):
    a, c = res.jacobian_asymmetry.max(), res.circulation_index.max()
    assert (a < ZERO) == (c < ZERO), (a, c)  # the two independent measures agree
    return bool(a < ZERO)


def _sym_operator(op, n):
    """Matrix of a linear map on symmetric n×n matrices in the orthonormal (Frobenius) basis (NumPy)."""
    basis = Subspace.symmetric(n).basis.T.reshape(-1, n, n)
    return np.array([[np.sum(a * op(b)) for b in basis] for a in basis])


def _full_operator(op, n):
    basis = np.eye(n * n).reshape(-1, n, n)
    return np.array([[np.sum(a * op(b)) for b in basis] for a in basis])


def _asym(L):
    return np.linalg.norm(L - L.T) / np.linalg.norm(L)


# --------------------------------------------------------------------------------------
# Steady state and expansion (eq. 1, A.2, A.4)
# --------------------------------------------------------------------------------------


def test_steady_state_solve_matches_relaxed_rate_dynamics():
    d = ei_signs(5, 2)
    W = sample_ei_weights(1, 5, scale=0.6, symmetric=False)
    f = np.random.default_rng(2).standard_normal(5)
    net = HebbianRecurrent(d=d, sigma=np.eye(5), order=None)
    assert bool(net.stable(jnp.asarray(W)))
    y_solve = net.steady_state(jnp.asarray(W), f)
    y_relax = net.relax(jnp.asarray(W), f, t_max=60.0, dt=0.01)
    np.testing.assert_allclose(y_relax, y_solve, rtol=1e-10, atol=1e-12)
    # the fixed point of eq. (1): y = WDy + f
    np.testing.assert_allclose(W @ (d * y_solve) + f, y_solve, atol=1e-13)


def test_truncated_correlation_error_scales_as_next_order():
    """<yy^T>_k (terms of total order <= k in W) differs from the exact one by O(w^{k+1})."""
    d = ei_signs(5, 2)
    sigma = input_correlation_from_samples(np.random.default_rng(3).standard_normal((20, 5)))
    W0 = sample_ei_weights(4, 5, scale=1.0, symmetric=False)
    exact = HebbianRecurrent(d=d, sigma=sigma, order=None)
    orders = (1, 2, 3)
    truncs = [HebbianRecurrent(d=d, sigma=sigma, order=k) for k in orders]
    ws = np.logspace(-3, -1.5, 4)
    diff = jax.jit(
        jax.vmap(
            lambda W: jnp.stack(
                [jnp.linalg.norm(exact.correlation(W) - t.correlation(W)) for t in truncs]
            )
        )
    )
    err = np.asarray(diff(jnp.asarray(ws[:, None, None] * W0)))
    for k, e in zip(orders, err.T, strict=True):
        assert abs(linregress(np.log(ws), np.log(e)).slope - (k + 1)) < 0.05


def test_first_order_field_is_eq2_and_exact_rates_to_second_order():
    d = ei_signs(5, 2)
    f = np.random.default_rng(4).standard_normal(5)
    sigma = input_correlation(f)
    np.testing.assert_allclose(sigma, np.outer(f, f))
    W = sample_ei_weights(5, 5, symmetric=False)
    D = np.diag(d)
    eq2 = sigma + W @ D @ sigma + sigma @ D @ W.T - 0.3 * W
    np.testing.assert_allclose(
        ei_network(d, sigma, gamma=0.3, order=1).field(jnp.asarray(W)), eq2, atol=1e-14
    )
    # y* ~ (I + WD) f up to O(w^2)
    ws = np.logspace(-3, -1.5, 4)
    exact = HebbianRecurrent(d=d, sigma=sigma, order=None)
    first = HebbianRecurrent(d=d, sigma=sigma, order=1)
    err = [
        float(
            np.linalg.norm(
                exact.steady_state(jnp.asarray(w * W), f)
                - first.steady_state(jnp.asarray(w * W), f)
            )
        )
        for w in ws
    ]
    np.testing.assert_allclose(first.steady_state(jnp.asarray(W), f), f + W @ (d * f), atol=1e-14)
    assert abs(linregress(np.log(ws), np.log(err)).slope - 2.0) < 0.05


def test_sampled_inputs_route_equals_sigma_route():
    """Mean of y*(f) y*(f)^T over sampled drives = R Sigma R^T with Sigma = <ff^T> (eq. 26)."""
    F = np.random.default_rng(5).standard_normal((50, 5))
    d = ei_signs(5, 2)
    net = ei_network(d, input_correlation_from_samples(F), gamma=0.2, order=None)
    W = jnp.asarray(sample_ei_weights(6, 5, symmetric=False))
    np.testing.assert_allclose(
        net.field_from_samples(W, jnp.asarray(F)), net.field(W), rtol=1e-12, atol=1e-13
    )


@pytest.mark.parametrize("order", [1, None])
def test_hebbian_term_is_symmetric_so_asymmetry_of_w_decays_at_rate_gamma(order):
    d = ei_signs(5, 2)
    sigma = ei_input_correlation(7, d, inputs="all", n_samples=30)
    W = jnp.asarray(sample_ei_weights(8, 5, symmetric=False))
    F = ei_network(d, sigma, gamma=0.4, order=order).field(W)
    np.testing.assert_allclose(F - F.T, -0.4 * (W - W.T), atol=1e-14)


def test_bad_model_inputs_raise_spec_error():
    with pytest.raises(SpecError, match="d must"):
        HebbianRecurrent(d=np.array([1.0, 0.5]), sigma=np.eye(2))
    with pytest.raises(SpecError, match="sigma"):
        HebbianRecurrent(d=np.ones(3), sigma=np.eye(2))
    with pytest.raises(SpecError, match="order"):
        HebbianRecurrent(d=np.ones(2), sigma=np.eye(2), order=-1)
    with pytest.raises(SpecError, match="n_inh"):
        ei_signs(3, 4)
    with pytest.raises(SpecError, match="inputs"):
        ei_input_correlation(0, np.ones(3), inputs="some")
    with pytest.raises(SpecError, match="M must"):
        hebbian_network(np.array([[1.0, 0.0], [1.0, 1.0]]), np.eye(2))
    with pytest.raises(SpecError, match="loop"):
        PehlevanArchitecture(loop="mixed")


# --------------------------------------------------------------------------------------
# A.3: E-I networks, eq. (37)
# --------------------------------------------------------------------------------------


def _ei_sigma(rng, d, holds):
    """Sigma (full rank) with Sigma_lj = 0 whenever d_l != d_j (eq. 37 holds) or generic."""
    n = d.size
    X = rng.standard_normal((3 * n, n))
    S = X.T @ X / (3 * n)
    if holds:
        S = S * (d[:, None] == d[None, :])
    return S


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10_000), n_inh=st.integers(1, 3), holds=st.booleans())
def test_eq37_against_meter_and_closed_form(seed, n_inh, holds):
    """E-I eq. (2) on symmetric W: gradient iff d_l S_lj = d_j S_lj (eq. 37), i.e. D S = S D.

    Closed form: on symmetric H the Jacobian is H -> H P + P^T H - gamma H with P = D S, whose
    antisymmetric part is H -> [H, (P - P^T)/2] (twice, in J - J^T)."""
    n = 5
    rng = np.random.default_rng(seed)
    d = ei_signs(n, n_inh)
    S = _ei_sigma(rng, d, holds)
    D = np.diag(d)
    P = D @ S
    commutes = np.allclose(D @ S, S @ D, atol=1e-14)
    assert commutes == holds
    res = _meter(
        ei_network(d, S, gamma=0.1), [sample_ei_weights(seed, n)], subspace=Subspace.symmetric(n)
    )
    assert _is_gradient(res) == holds
    L = _sym_operator(lambda H: H @ P + P.T @ H - 0.1 * H, n)
    np.testing.assert_allclose(res.jacobian_asymmetry[0], _asym(L), rtol=1e-9, atol=1e-13)
    A = (P - P.T) / 2
    np.testing.assert_allclose(L - L.T, 2 * _sym_operator(lambda H: H @ A - A @ H, n), atol=1e-13)


def test_ei_without_inhibitory_input_is_gradient_only_on_symmetric_w():
    n, d = 5, ei_signs(5, 2)
    W = [sample_ei_weights(k, n) for k in range(2)]
    S_exc = ei_input_correlation(1, d, inputs="excitatory", n_samples=20)
    assert np.all(S_exc[d < 0] == 0) and np.all(S_exc[:, d < 0] == 0)
    S_all = ei_input_correlation(1, d, inputs="all", n_samples=20)
    S_unc = ei_input_correlation(1, d, inputs="uncorrelated", n_samples=20)
    assert np.all(S_unc[np.ix_(d > 0, d < 0)] == 0) and np.any(S_unc[np.ix_(d < 0, d < 0)] != 0)
    sym = Subspace.symmetric(n)
    assert _is_gradient(_meter(ei_network(d, S_exc), W, subspace=sym))
    assert _is_gradient(_meter(ei_network(d, S_unc), W, subspace=sym))
    assert not _is_gradient(_meter(ei_network(d, S_all), W, subspace=sym))
    # all N^2 synapses: the transpose term is non-gradient unless D S is a multiple of I
    assert not _is_gradient(_meter(ei_network(d, S_exc), W))
    assert _is_gradient(_meter(ei_network(np.ones(n), 2.0 * np.eye(n)), W))


# --------------------------------------------------------------------------------------
# A.2: Hebbian/anti-Hebbian networks, eqs. (24), (28)-(32)
# --------------------------------------------------------------------------------------


def test_plasticity_mask_flips_exactly_the_drawn_synapses():
    n = 5
    M = plasticity_mask(3, n, anti_fraction=0.4)
    assert set(np.unique(M)) <= {-1.0, 1.0} and np.array_equal(M, M.T) and np.any(M < 0)
    assert np.all(plasticity_mask(3, n, anti_fraction=0.0) == 1) and np.all(
        plasticity_mask(3, n, anti_fraction=1.0) == -1
    )
    S = input_correlation_from_samples(np.random.default_rng(0).standard_normal((12, n)))
    W = sample_hebbian_weights(1, n)
    signed, unsigned = (
        np.asarray(hebbian_network(m, S, order=1)(jnp.asarray(W))) for m in (M, np.ones((n, n)))
    )
    np.testing.assert_array_equal(
        signed, M * unsigned
    )  # eq. (23): the mask flips exactly its synapses


@pytest.mark.parametrize("order", [1, None])
def test_pure_hebbian_and_anti_hebbian_are_gradient_on_symmetric_w(order):
    """A.2.1, eq. (32) (and, exactly, V = -Tr(S (I - W)^-1))."""
    n = 5
    S = input_correlation_from_samples(np.random.default_rng(0).standard_normal((12, n)))
    W = [sample_hebbian_weights(k, n) for k in range(2)]
    sym = Subspace.symmetric(n)
    for sign in (1.0, -1.0):
        assert _is_gradient(
            _meter(hebbian_network(sign * np.ones((n, n)), S, order=order), W, subspace=sym)
        )
    mixed = plasticity_mask(5, n, anti_fraction=0.5)
    assert not _is_gradient(_meter(hebbian_network(mixed, S, order=order), W, subspace=sym))
    if (
        order is None
    ):  # second route: the exact field is the gradient of -Tr(S (I - W)^-1) (Frobenius)
        net = hebbian_network(np.ones((n, n)), S, order=None)
        both = jax.jit(
            lambda X: (
                net.field(X),
                jax.grad(lambda Y: jnp.trace(S @ jnp.linalg.inv(jnp.eye(n) - (Y + Y.T) / 2)))(X),
            )
        )
        field, g = both(jnp.asarray(W[0]))
        np.testing.assert_allclose(field, g, rtol=1e-10)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), perturb=st.booleans())
def test_a21_block_conditions_against_meter(seed, perturb):
    """A.2.1: with S block diagonal (two uncorrelated input groups), symmetric W and M, eq. (24)
    is a gradient flow iff M is constant on each pair of groups."""
    n = 5
    rng = np.random.default_rng(seed)
    g = np.array([0, 0, 1, 1, 1])
    X = rng.standard_normal((3 * n, n))
    S = (X.T @ X / (3 * n)) * (g[:, None] == g[None, :])
    signs = rng.choice([-1.0, 1.0], size=(2, 2))
    signs = np.triu(signs) + np.triu(signs, 1).T
    M = signs[g][:, g]
    if perturb:  # break block constancy inside a correlated block
        M[0, 1] = M[1, 0] = -M[0, 1]
    res = _meter(
        hebbian_network(M, S), [sample_hebbian_weights(seed, n)], subspace=Subspace.symmetric(n)
    )
    assert _is_gradient(res) == (not perturb)
    L = _sym_operator(lambda H: (S @ H + H @ S) * M, n)
    np.testing.assert_allclose(res.jacobian_asymmetry[0], _asym(L), rtol=1e-9, atol=1e-13)


def test_a2_general_w_eq29_and_transpose_condition():
    """All N^2 synapses: eq. (29) needs uncorrelated inputs (S diagonal); the transpose term
    further needs S_ii M_ij = S_jj M_ji (e.g. S = s I with M symmetric)."""
    n = 5
    W = [sample_hebbian_weights(1, n, symmetric=False)]
    Msym = plasticity_mask(2, n)
    correlated = input_correlation_from_samples(np.random.default_rng(1).standard_normal((10, n)))
    for M in (np.ones((n, n)), Msym):
        assert not _is_gradient(_meter(hebbian_network(M, correlated), W))
    assert _is_gradient(_meter(hebbian_network(Msym, 2.0 * np.eye(n)), W))
    diag = np.diag([1.0, 2.0, 3.0, 4.0, 5.0])
    res = _meter(hebbian_network(Msym, diag), W)
    assert not _is_gradient(res)  # eq. (29) holds but the transpose condition fails
    L = _full_operator(lambda H: (diag @ H.T + H @ diag) * Msym, n)
    np.testing.assert_allclose(res.jacobian_asymmetry[0], _asym(L), rtol=1e-9)


# --------------------------------------------------------------------------------------
# A.4: the Pehlevan et al. architecture
# --------------------------------------------------------------------------------------

ARCH = PehlevanArchitecture(n_ff=2, n_exc=2, n_inh=1)  # 5 neurons: meters shared with the E-I tests


def _a4_sigma(arch=ARCH, **kw):
    return arch.input_correlation(11, n_samples=20, **kw)


def test_a4_block_structure_and_masked_model_match_closed_forms():
    S = _a4_sigma()
    ff = ARCH.slices[0]
    assert np.all(S[2:] == 0) and np.all(S[:, 2:] == 0)  # eq. (40): input to FF only
    np.testing.assert_array_equal(ARCH.signs(), [1, 1, 1, 1, -1])
    W = ARCH.sample_weights(3)
    assert np.all(W[ARCH.existence() == 0] == 0) and np.all(W >= 0)
    blocks = ARCH.split(W)
    np.testing.assert_array_equal(ARCH.assemble(blocks), W)
    orders = (1, 3, None)
    both = jax.jit(
        lambda W, b: [
            (ARCH.network(S, order=o).field(W), ARCH.block_field(b, S[ff, ff], order=o))
            for o in orders
        ]
    )
    for full, closed in both(jnp.asarray(W), Blocks(*(jnp.asarray(x) for x in blocks))):
        assert np.all(
            np.asarray(full)[ARCH.existence() == 0] == 0
        )  # only existing synapses are plastic
        np.testing.assert_allclose(
            full, ARCH.assemble(Blocks(*(np.asarray(x) for x in closed))), atol=1e-14
        )


def test_a4_exact_field_from_relaxed_rates():
    """Third route: integrate eq. (38) to steady state for sampled drives, average yy^T."""
    F = np.random.default_rng(0).standard_normal((6, ARCH.n)) * (np.arange(ARCH.n) < ARCH.n_ff)
    S = input_correlation_from_samples(F)
    W = jnp.asarray(ARCH.sample_weights(4, scale=0.8))
    net = ARCH.network(S, order=None)
    Y = np.stack([np.asarray(net.relax(W, f, t_max=80.0, dt=0.02)) for f in F])
    hebb = ARCH.plasticity() * (Y.T @ Y / len(F))
    np.testing.assert_allclose(net.field(W), hebb, atol=1e-10)


def test_a4_gradient_structure_on_existing_synapses():
    """First order: gradient (curl terms of eq. 2 nullified); input to I: curl at first order;
    eq. (44) on the three blocks as independent synapses: not a gradient flow."""
    S, S_inh = _a4_sigma(), _a4_sigma(inhibitory_input=True)
    W = [ARCH.sample_weights(k) for k in range(2)]
    sub = ARCH.subspace()
    assert sub.dim == 2 * 2 + 2 * 1 + 1 * 2
    assert _is_gradient(_meter(ARCH.network(S, order=1), W, subspace=sub))
    assert not _is_gradient(_meter(ARCH.network(S_inh, order=1), W, subspace=sub))
    assert not _is_gradient(_meter(ARCH.network(S, order=3), W, subspace=sub))


@pytest.mark.parametrize("loop", ["hebbian", "anti"])
def test_a4_tied_flow_is_ascent_descent_or_ascent_on_closed_form_potential(loop):
    """On B = C^T: A' = dV/dA, C' = -s dV/dC with V = Tr(A^T (I + C^T C)^-1 A S_FF)/2 (autodiff
    of V vs the field), and the meter: Hebbian loop (s=+1) gradient only for metric (+1, -1);
    anti-Hebbian loop (s=-1) gradient for the Euclidean metric."""
    arch = PehlevanArchitecture(n_ff=2, n_exc=2, n_inh=1, loop=loop)
    S = _a4_sigma(arch)[:2, :2]
    pts = [arch.sample_blocks(k) for k in range(2)]
    p0 = TiedParams(jnp.asarray(pts[0].A), jnp.asarray(pts[0].C))
    both = jax.jit(
        lambda p: (
            jax.grad(lambda q: arch.tied_potential(q, S))(p),
            arch.tied_field(p, S, order=None),
        )
    )
    grad, field = both(p0)
    np.testing.assert_allclose(field.A, grad.A, rtol=1e-12)
    np.testing.assert_allclose(field.C, -arch.loop_sign * grad.C, rtol=1e-12)
    points = TiedParams(np.stack([b.A for b in pts]), np.stack([b.C for b in pts]))
    f = TiedField(arch, S, None)
    saddle = TiedParams(np.ones((2, 2)), -np.ones((1, 2)))
    euclid = _is_gradient(curl_index(f, points, key=0))
    with_saddle = _is_gradient(curl_index(f, points, key=0, metric=saddle))
    assert (euclid, with_saddle) == ((False, True) if loop == "hebbian" else (True, False))


def test_a4_inhibitory_pair_updates_are_transposes():
    """Exact Hebbian A.4: dB/dt = (dC/dt)^T, so B - C^T is conserved (the tie of eq. 45)."""
    S = _a4_sigma()
    out = ARCH.block_field(ARCH.split(ARCH.sample_weights(6)), S[:2, :2], order=None)
    np.testing.assert_allclose(out.B, out.C.T, atol=1e-15)
