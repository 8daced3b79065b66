"""Lyapunov exponents by tangent dynamics, on maps with known exponents: linear maps
(log |eigenvalues|), the logistic map at r = 4 (ln 2) and a contracting nonlinear map on a
pytree (log of the Jacobian's eigenvalues at its fixed point)."""

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from curldescent.analysis import lyapunov_exponents


def _jitted(f, state, *, key, **static):
    """One compilation per call (eager lax.scan would compile its pieces separately)."""
    return jax.jit(lambda s, k: lyapunov_exponents(f, s, key=k, **static))(state, key)


def _linear_map(eigs, seed=0):
    rng = np.random.default_rng(seed)
    S = rng.normal(size=(len(eigs), len(eigs)))
    return jnp.asarray(S @ np.diag(eigs) @ np.linalg.inv(S))


def test_linear_map_full_spectrum():
    """x -> A x, A = S diag(lambda) S^-1: exponents log|lambda_i|, descending. After a
    transient the QR basis is aligned with A's invariant flag and every block's |R_ii| is
    |lambda_i| to rounding, so the estimate is exact to ~1e-12."""
    eigs = np.array([1.2, 0.9, -0.5, 0.3])
    A = _linear_map(eigs)
    res = _jitted(
        lambda x: A @ x,
        jnp.ones(4) * 1e-3,
        n_steps=300,
        key=jr.PRNGKey(0),
        n_exponents=4,
        transient=100,
    )
    np.testing.assert_allclose(res.exponents, np.log(np.abs(eigs)), atol=1e-10)
    assert res.running.shape == (300, 4)
    np.testing.assert_allclose(res.tangents.T @ res.tangents, np.eye(4), atol=1e-12)


def test_no_transient_converges_as_one_over_n_with_reorth_blocks():
    """Without a transient, the initial misalignment adds O(log(cond S)/n) to the estimate:
    the running error times n stays bounded (here checked at n = 100 and n = 1500)."""
    eigs = np.array([1.2, 0.9, -0.5, 0.3])
    A = _linear_map(eigs, seed=1)
    res = _jitted(
        lambda x: A @ x,
        jnp.zeros(4),
        n_steps=1500,
        key=jr.PRNGKey(1),
        reorth_every=5,
        n_exponents=2,
        steps_per_epoch=7,
    )
    assert res.running.shape == (300, 2)
    err = np.abs(np.asarray(res.running) - np.log([1.2, 0.9]))
    n = 5 * np.arange(1, 301)[:, None]
    np.testing.assert_allclose(res.exponents, np.log([1.2, 0.9]), atol=5e-3)
    assert np.max(err[-1] * n[-1]) < 2 * np.max(err[19] * n[19]) + 1e-9  # O(1/n), not O(1/sqrt n)
    assert np.max(err[-1]) < np.max(err[19])
    # per-epoch exponents: the map is one step and an epoch has 7 steps
    np.testing.assert_allclose(res.exponents_per_epoch, 7 * res.exponents, rtol=1e-14)


def test_rotation_scaling_complex_pair():
    """A = r R(theta): complex eigenvalues r e^{+-i theta}, both exponents log r; the largest
    singular value of A^n is r^n too (no transient growth)."""
    r, th = 1.1, 0.7
    A = r * jnp.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    res = _jitted(lambda x: A @ x, jnp.zeros(2), n_steps=200, key=jr.PRNGKey(2), n_exponents=2)
    np.testing.assert_allclose(res.exponents, np.log(r), atol=1e-12)


def test_logistic_map_r4_is_ln2():
    """At r = 4 the logistic map is conjugate to the tent map (|slope| 2), so the finite-time
    exponent of an orbit is ln 2 + O(1/n) (the observable is a coboundary plus ln 2); with
    n = 10^4 steps, 2e-3 is ample. Eight orbits are run at once with vmap under jit."""

    def logistic(x):
        return 4.0 * x * (1.0 - x)

    def one(x0, key):
        return lyapunov_exponents(logistic, x0, n_steps=10_000, key=key, transient=100)

    x0 = jr.uniform(jr.PRNGKey(3), (8,), minval=0.05, maxval=0.95)
    res = jax.jit(jax.vmap(one))(x0, jr.split(jr.PRNGKey(4), 8))
    assert res.exponents.shape == (8, 1)
    np.testing.assert_allclose(res.exponents[:, 0], np.log(2.0), atol=2e-3)
    assert np.all((res.state > 0) & (res.state < 1))


def test_contracting_pytree_map():
    """f(a, b) = (0.5 tanh(a) + 0.1 b, 0.3 b) converges to 0, where its Jacobian has
    eigenvalues 0.5 (three times) and 0.3: exponents ln 0.5 (x3), ln 0.3."""

    def f(state):
        return {"a": 0.5 * jnp.tanh(state["a"]) + 0.1 * state["b"], "b": 0.3 * state["b"]}

    state = {"a": jnp.array([0.8, -0.4, 0.3]), "b": jnp.array(1.0)}
    res = _jitted(f, state, n_steps=400, key=jr.PRNGKey(5), transient=100, n_exponents=4)
    assert float(res.exponents[0]) < 0
    np.testing.assert_allclose(res.exponents, np.log([0.5, 0.5, 0.5, 0.3]), atol=1e-9)
    assert set(res.state) == {"a", "b"} and res.state["a"].shape == (3,)
    assert float(jnp.max(jnp.abs(res.state["a"]))) < 1e-100  # it did converge


def test_singular_jacobian_gives_minus_inf_not_nan():
    """f(x) = (0.5 x0, 0): the second direction is annihilated (as renormalisation does to
    radial directions): exponents ln 0.5 and -inf; a map killing everything gives -inf."""
    f = lambda x: x * jnp.array([0.5, 0.0])  # noqa: E731
    res = _jitted(f, jnp.ones(2), n_steps=20, key=jr.PRNGKey(6), n_exponents=2, transient=1)
    assert float(res.exponents[0]) == pytest.approx(np.log(0.5), abs=1e-12)
    assert float(res.exponents[1]) == -np.inf
    dead = _jitted(lambda x: 0.0 * x, jnp.ones(2), n_steps=5, key=jr.PRNGKey(6))
    assert float(dead.exponents[0]) == -np.inf and not np.any(np.isnan(dead.tangents))


def test_bad_static_arguments():
    f = lambda x: x  # noqa: E731
    with pytest.raises(ValueError, match="multiple"):
        lyapunov_exponents(f, jnp.zeros(2), n_steps=10, reorth_every=3, key=jr.PRNGKey(0))
    with pytest.raises(ValueError, match="n_exponents"):
        lyapunov_exponents(f, jnp.zeros(2), n_steps=10, n_exponents=3, key=jr.PRNGKey(0))
