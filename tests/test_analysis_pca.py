"""PCA of weight trajectories: against numpy's eigendecomposition of the covariance, and on
a trajectory lying in a known 2-D plane."""

import jax.numpy as jnp
import numpy as np
import pytest

from curldescent.analysis import principal_components
from curldescent.network import Params


def test_matches_covariance_eigendecomposition():
    rng = np.random.default_rng(0)
    T, P = 300, 12
    X = rng.normal(size=(T, P)) @ rng.normal(size=(P, P)) + rng.normal(size=P)
    res = principal_components(X, n_components=4)
    evals, evecs = np.linalg.eigh(np.cov(X, rowvar=False))
    order = np.argsort(evals)[::-1]
    evals, evecs = evals[order], evecs[:, order]
    np.testing.assert_allclose(res.explained_variance, evals[:4], rtol=1e-10)
    np.testing.assert_allclose(res.explained_variance_ratio, evals[:4] / evals.sum(), rtol=1e-10)
    # same axes up to sign, orthonormal
    np.testing.assert_allclose(
        np.abs(np.sum(res.components * evecs[:, :4].T, axis=1)), 1.0, atol=1e-8
    )
    np.testing.assert_allclose(res.components @ res.components.T, np.eye(4), atol=1e-12)
    # projections are the centred trajectory on the axes, with the stated variances
    np.testing.assert_allclose(res.mean, X.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(res.projections, (X - X.mean(0)) @ res.components.T, atol=1e-10)
    np.testing.assert_allclose(res.projections.var(axis=0, ddof=1), evals[:4], rtol=1e-10)
    # deterministic signs: the largest |loading| is positive
    idx = np.argmax(np.abs(res.components), axis=1)
    assert np.all(res.components[np.arange(4), idx] > 0)


def test_trajectory_in_a_known_plane():
    rng = np.random.default_rng(1)
    T, P = 500, 40
    Q, _ = np.linalg.qr(rng.normal(size=(P, 2)))
    u, v = Q[:, 0], Q[:, 1]
    t = np.linspace(0, 20 * np.pi, T)
    a, b = 3.0 * np.cos(t) + 0.1 * t, np.sin(1.3 * t)
    centre = rng.normal(size=P)
    X = centre + np.outer(a, u) + np.outer(b, v)
    res = principal_components(X, n_components=3)
    # two components carry everything; the third is rounding noise
    assert res.explained_variance_ratio[:2].sum() == pytest.approx(1.0, abs=1e-12)
    assert res.explained_variance_ratio[2] < 1e-20
    # the first two axes span the plane, and the dominant direction is u
    span = Q.T @ res.components[:2].T
    np.testing.assert_allclose(np.linalg.norm(span, axis=0), 1.0, atol=1e-12)
    assert abs(res.components[0] @ u) > 0.99
    # the trajectory is reconstructed exactly from two components
    recon = res.mean + res.projections[:, :2] @ res.components[:2]
    np.testing.assert_allclose(recon, X, atol=1e-11)


def test_params_pytree_and_jax_input():
    rng = np.random.default_rng(2)
    W1 = rng.normal(size=(50, 3, 4))
    W2 = rng.normal(size=(50, 1, 3))
    pooled = np.concatenate([W1.reshape(50, -1), W2.reshape(50, -1)], axis=1)
    a = principal_components(Params(W1, W2))
    b = principal_components(pooled)
    np.testing.assert_allclose(a.projections, b.projections, atol=1e-12)
    c = principal_components(Params(jnp.asarray(W1), jnp.asarray(W2)))
    np.testing.assert_allclose(c.projections, b.projections, atol=1e-10)
    np.testing.assert_allclose(c.components, b.components, atol=1e-10)


def test_bad_n_components():
    with pytest.raises(ValueError, match="n_components"):
        principal_components(np.zeros((5, 3)), n_components=4)
