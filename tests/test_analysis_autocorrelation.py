"""Weight autocorrelations: FFT route against literal sums, AR(1)/OU closed form
rho(k) = phi^k, periodic and constant signals, pooling and JAX inputs."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.signal import lfilter

from curldescent.analysis import autocorrelation, mean_autocorrelation
from curldescent.network import Params


def _ar1(rng, T, P, phi):
    """Stationary AR(1) chains x_{t+1} = phi x_t + xi_t (unit stationary variance)."""
    xi = np.sqrt(1 - phi**2) * rng.normal(size=(T, P))
    xi[0] = rng.normal(size=P)
    return lfilter([1.0], [1.0, -phi], xi, axis=0)


@pytest.mark.parametrize("estimator", ["biased", "unbiased"])
def test_fft_equals_direct_sum(estimator):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(301, 4, 3)) + np.linspace(0, 5, 301)[:, None, None]  # odd T, trend
    fft = autocorrelation(x, max_lag=120, estimator=estimator)
    direct = autocorrelation(x, max_lag=120, method="direct", estimator=estimator)
    assert fft.shape == (121, 4, 3)
    np.testing.assert_allclose(fft, direct, rtol=0, atol=1e-12)
    np.testing.assert_allclose(fft[0], 1.0, rtol=1e-14)
    # hand-written biased estimator for one weight
    w = x[:, 1, 2] - x[:, 1, 2].mean()
    k = 37
    ref = np.sum(w[:-k] * w[k:]) / np.sum(w * w)
    if estimator == "unbiased":
        ref *= 301 / (301 - k)
    assert fft[k, 1, 2] == pytest.approx(ref, rel=1e-12)


def test_ar1_gives_geometric_decay():
    """rho(k) = phi^k. Per chain, Bartlett's formula gives sd(rho_hat(k)) <= sqrt((1+phi^2)/
    ((1-phi^2) T)) ~ 0.034; averaged over P = 100 chains ~ 0.0034. Biases (finite window,
    mean subtraction) are O(k/T + (1+phi)/((1-phi) T)) ~ 3e-3. Tolerance 0.025."""
    rng = np.random.default_rng(1)
    phi, T, P = 0.8, 4000, 100
    x = _ar1(rng, T, P, phi)
    rho = mean_autocorrelation(x, max_lag=15)
    k = np.arange(16)
    np.testing.assert_allclose(rho, phi**k, atol=0.025)
    # a wrong decay rate is excluded
    assert np.max(np.abs(rho - 0.7**k)) > 0.05
    # per-weight functions average to the population curve
    np.testing.assert_allclose(autocorrelation(x, max_lag=15).mean(axis=1), rho, rtol=1e-12)


def test_periodic_signal():
    """cos(2 pi t / p) over whole periods: the unbiased estimator is exactly +-1 at multiples
    of p/2, the biased one (1 - k/T)(+-1)."""
    p, T = 20, 400
    t = np.arange(T)
    x = np.stack([np.cos(2 * np.pi * t / p), 2.0 + 3.0 * np.sin(2 * np.pi * t / p)], axis=1)
    ub = autocorrelation(x, max_lag=200, estimator="unbiased")
    b = autocorrelation(x, max_lag=200)
    for k in range(0, 201, p // 2):
        sign = (-1) ** (k // (p // 2))
        np.testing.assert_allclose(ub[k], sign, atol=1e-12)
        np.testing.assert_allclose(b[k], sign * (1 - k / T), atol=1e-12)
    # in between, |rho| < 1 (e.g. about cos(2 pi k / p) = 0 at a quarter period)
    np.testing.assert_allclose(ub[p // 4], 0.0, atol=0.01)


def test_constant_weights_are_nan_and_skipped():
    rng = np.random.default_rng(2)
    moving = _ar1(rng, 500, 3, 0.5)
    frozen = np.full((500, 2), 0.1)  # 0.1 is not exactly representable
    x = np.concatenate([moving, frozen], axis=1)
    rho = autocorrelation(x, max_lag=10)
    assert np.all(np.isnan(rho[:, 3:]))
    assert np.all(np.isfinite(rho[:, :3]))
    np.testing.assert_allclose(
        mean_autocorrelation(x, max_lag=10), rho[:, :3].mean(axis=1), rtol=1e-12
    )
    assert np.all(np.isnan(mean_autocorrelation(frozen, max_lag=4)))


def test_params_pytree_and_pooling():
    rng = np.random.default_rng(3)
    W1 = _ar1(rng, 256, 6, 0.9).reshape(256, 2, 3)
    W2 = _ar1(rng, 256, 2, 0.1).reshape(256, 1, 2)
    per = autocorrelation(Params(W1, W2), max_lag=8)
    assert isinstance(per, Params) and per.W1.shape == (9, 2, 3) and per.W2.shape == (9, 1, 2)
    pooled = mean_autocorrelation(Params(W1, W2), max_lag=8)
    expected = np.concatenate([per.W1.reshape(9, -1), per.W2.reshape(9, -1)], axis=1).mean(axis=1)
    np.testing.assert_allclose(pooled, expected, rtol=1e-12)


def test_jax_input_jit_matches_numpy():
    rng = np.random.default_rng(4)
    x = _ar1(rng, 200, 5, 0.6)
    f = jax.jit(lambda a: mean_autocorrelation(a, max_lag=30))
    np.testing.assert_allclose(f(jnp.asarray(x)), mean_autocorrelation(x, max_lag=30), atol=1e-12)
    np.testing.assert_allclose(
        autocorrelation(jnp.asarray(x), max_lag=30),
        autocorrelation(x, max_lag=30, method="direct"),
        atol=1e-12,
    )


def test_bad_arguments():
    with pytest.raises(ValueError, match="max_lag"):
        autocorrelation(np.zeros((10, 2)), max_lag=10)
    with pytest.raises(ValueError, match="method"):
        autocorrelation(np.zeros((10, 2)), method="slow")
