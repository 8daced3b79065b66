"""Order parameter q (eq. 15): closed forms, sampled processes with known moments, and the
agreement of its two entry points (trajectory vs accumulated window statistics)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.signal import lfilter

from curldescent.analysis import (
    order_parameter,
    order_parameter_from_moments,
    stack_weights,
    window_moments,
    window_moments_init,
    window_moments_result,
    window_moments_update,
)
from curldescent.network import Params


def test_constant_trajectory_gives_zero():
    rng = np.random.default_rng(0)
    means = rng.normal(size=(7, 5))
    traj = np.broadcast_to(0.1 * means, (300, 7, 5)).copy()  # values not exactly representable
    q = order_parameter(traj)
    assert q == 0.0  # exactly: the shifted-data centring leaves exact zeros
    # all weights frozen at the same value: 0/0 is still q = 0
    assert order_parameter(np.full((50, 4), 0.3)) == 0.0


def test_fluctuations_with_equal_means_give_inf():
    rng = np.random.default_rng(1)
    x = rng.normal(size=100)
    assert np.isinf(order_parameter(np.stack([x, x, x], axis=1)))  # identical weights
    traj = rng.normal(size=(100, 2))
    traj -= traj.mean(axis=0)  # equal means up to rounding: q is huge
    assert order_parameter(traj) > 1e20


def test_small_exact_example():
    t = np.arange(4.0)[:, None]
    # temporal variances 1.25 each, temporal means 1.5 and 11.5 (variance over weights 25)
    assert order_parameter(np.hstack([t, t + 10.0])) == pytest.approx(0.05, rel=1e-14)
    # ddof = 1 on both: (5/3) / 50
    assert order_parameter(np.hstack([t, t + 10.0]), ddof=1) == pytest.approx(5 / 3 / 50, rel=1e-14)


def test_iid_noise_matches_analytic_ratio():
    """w_{p,t} = mu_p + sqrt(v_p) xi: E[temporal var] = v_p (1 - 1/T) and the temporal means
    scatter by v_p/T around mu_p, so q -> mean(v)(1 - 1/T) / (Var_p(mu) + mean(v)/T)."""
    rng = np.random.default_rng(2)
    T, P = 1000, 500
    mu = rng.normal(size=P)
    v = rng.uniform(0.1, 0.5, size=P)
    traj = mu + np.sqrt(v) * rng.normal(size=(T, P))
    expected = v.mean() * (1 - 1 / T) / (mu.var() + v.mean() / T)
    # relative sampling error: numerator ~ sqrt(2/(T P)) ~ 2e-3, denominator cross term
    # 2 cov(mu, noise) ~ 2 sqrt(Var(mu) mean(v)/(T P)) ~ 1.6e-3: 1.5 % is > 5 sigma
    assert order_parameter(traj) == pytest.approx(expected, rel=0.015)
    # and it is not trivially close to something else
    assert abs(order_parameter(traj) - 2 * expected) > 0.1 * expected


def _ou(rng, T, mu, theta, sigma, dt):
    """Exact discretisation of dX = -theta (X - mu) dt + sigma dW, started stationary."""
    phi = np.exp(-theta * dt)
    v_stat = sigma**2 / (2 * theta)
    noise = np.sqrt(v_stat * (1 - phi**2)) * rng.normal(size=(T, mu.size))
    noise[0] = np.sqrt(v_stat) * rng.normal(size=mu.size)  # stationary start
    fluct = lfilter([1.0], [1.0, -phi], noise, axis=0)  # AR(1) with coefficient phi
    return mu + fluct, v_stat, phi


def test_ornstein_uhlenbeck_stationary_variance():
    """OU weights with stationary variance sigma^2/(2 theta) around fixed random means:
    q -> (sigma^2/2theta) / Var_p(mu), corrected for the correlation time
    g = (1 + phi)/(1 - phi) of the window averages (effective sample size T/g)."""
    rng = np.random.default_rng(3)
    T, P = 20000, 200
    mu = rng.normal(size=P)
    sigma = np.full(P, 0.5)
    sigma[: P // 2] = 0.8  # two groups of stationary variances
    traj, v_stat, phi = _ou(rng, T, mu, theta=0.5, sigma=sigma, dt=0.2)
    g = (1 + phi) / (1 - phi)
    expected = v_stat.mean() * (1 - g / T) / (mu.var() + v_stat.mean() * g / T)
    # numerator: relative error ~ sqrt(2 g /(T P)) ~ 2.2e-3; denominator cross term
    # ~ 2 sqrt(Var(mu) mean(v) g/(T P)) ~ 4e-3 relative: 3 % is > 5 sigma
    q = order_parameter(traj)
    assert q == pytest.approx(expected, rel=0.03)
    assert v_stat.mean() / mu.var() == pytest.approx(expected, rel=0.01)  # correction is small
    # only the window counts: a wild transient before it is ignored
    wild = np.concatenate([100.0 * rng.normal(size=(500, P)), traj])
    assert order_parameter(wild, window=T) == pytest.approx(q, rel=1e-12)


def test_params_pytree_pools_both_layers():
    rng = np.random.default_rng(4)
    W1 = rng.normal(size=(60, 3, 4))
    W2 = rng.normal(size=(60, 1, 3)) + 5.0
    pooled = np.concatenate([W1.reshape(60, -1), W2.reshape(60, -1)], axis=1)
    np.testing.assert_array_equal(stack_weights(Params(W1, W2)), pooled)
    assert order_parameter(Params(W1, W2)) == pytest.approx(order_parameter(pooled), rel=1e-14)
    # pooling matters: q of W1 alone differs
    assert abs(order_parameter(W1) - order_parameter(pooled)) > 0.1


def test_two_entry_points_agree():
    rng = np.random.default_rng(5)
    W1 = rng.normal(size=(200, 5, 6)) * 0.3 + rng.normal(size=(5, 6))
    W2 = rng.normal(size=(200, 1, 5)) * 0.1 + rng.normal(size=(1, 5))
    traj = Params(W1, W2)
    q = order_parameter(traj)
    # batch moments
    mean, var = window_moments(traj)
    assert isinstance(mean, Params) and mean.W1.shape == (5, 6)
    assert order_parameter_from_moments(mean, var) == pytest.approx(q, rel=1e-12)
    # streaming (Welford) accumulator inside lax.scan, as an engine would use it
    jtraj = Params(jnp.asarray(W1), jnp.asarray(W2))
    init = window_moments_init(Params(jtraj.W1[0], jtraj.W2[0]))

    def body(state, w):
        return window_moments_update(state, w), None

    state, _ = jax.lax.scan(body, init, jtraj)
    assert int(state.count) == 200
    m, v = window_moments_result(state)
    np.testing.assert_allclose(m.W1, mean.W1, rtol=1e-12)
    np.testing.assert_allclose(v.W2, var.W2, rtol=1e-10)
    assert float(order_parameter_from_moments(m, v)) == pytest.approx(q, rel=1e-10)


def test_welford_is_stable_for_tiny_fluctuations():
    """Fluctuations of 1e-9 on weights of order 1: sum-of-squares would lose everything."""
    rng = np.random.default_rng(6)
    traj = 1.0 + rng.normal(size=(1, 50)) + 1e-9 * rng.normal(size=(400, 50))
    state = window_moments_init(traj[0])
    for w in traj:
        state = window_moments_update(state, w)
    _, v = window_moments_result(state)
    np.testing.assert_allclose(v, traj.var(axis=0), rtol=1e-6)
    assert order_parameter(traj) == pytest.approx(
        order_parameter_from_moments(traj.mean(0), traj.var(0)), rel=1e-6
    )


def test_jax_jit_vmap_and_xarray_inputs():
    rng = np.random.default_rng(7)
    batch = rng.normal(size=(3, 100, 8)) * np.array([0.1, 1.0, 3.0])[:, None, None] + rng.normal(
        size=(3, 1, 8)
    )
    expected = [order_parameter(b) for b in batch]
    got = jax.jit(jax.vmap(order_parameter))(jnp.asarray(batch))
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    da = xr.DataArray(batch[0], dims=("epoch", "weight"))
    assert order_parameter(da) == pytest.approx(expected[0], rel=1e-14)


@settings(max_examples=25, deadline=None)
@given(
    scale=st.floats(1e-3, 1e3),
    shift=st.floats(-1e3, 1e3),
    seed=st.integers(0, 2**16),
)
def test_invariant_under_affine_maps_and_time_permutation(scale, shift, seed):
    rng = np.random.default_rng(seed)
    traj = rng.normal(size=(30, 6)) + 3 * rng.normal(size=6)
    q = order_parameter(traj)
    assert order_parameter(scale * traj + shift) == pytest.approx(q, rel=1e-8)
    assert order_parameter(traj[rng.permutation(30)]) == pytest.approx(q, rel=1e-10)


def test_bad_window_raises():
    with pytest.raises(ValueError, match="window"):
        order_parameter(np.zeros((10, 2)), window=11)


def _raw_sums_var(traj):
    """The raw-sum formula <w^2> - <w>^2, accumulated in time order (what the engine used)."""
    s1 = np.zeros(traj.shape[1:])
    s2 = np.zeros(traj.shape[1:])
    for w in traj:
        s1 = s1 + w
        s2 = s2 + w * w
    n = len(traj)
    return s2 / n - (s1 / n) ** 2


def _accumulate(traj):
    state = window_moments_init(jnp.asarray(traj[0]))
    state, _ = jax.lax.scan(lambda s, w: (window_moments_update(s, w), None), state, traj)
    return state


def test_window_moments_are_accurate_with_a_large_mean_offset():
    """Fluctuations of 0.1 around 1e4 (mean² / var = 1e10): the accumulator matches numpy's
    two-pass variance to 1e-12, the raw-sum formula does not (the test can fail)."""
    rng = np.random.default_rng(8)
    traj = 1e4 + rng.normal(size=(1, 40)) + 0.1 * rng.normal(size=(1000, 40))
    two_pass = ((traj - traj.mean(axis=0)) ** 2).mean(axis=0)
    mean, var = window_moments_result(_accumulate(jnp.asarray(traj)))
    np.testing.assert_allclose(var, two_pass, rtol=1e-12)
    np.testing.assert_allclose(mean, traj.mean(axis=0), rtol=1e-14)  # numpy's own rounding
    raw_error = np.max(np.abs(_raw_sums_var(traj) - two_pass) / two_pass)
    assert raw_error > 1e-9, raw_error


def test_window_moments_of_two_halves_merge_to_the_whole():
    """Chan et al.'s merge of the halves' (n, mean, M2) gives the whole window's moments."""
    rng = np.random.default_rng(9)
    traj = jnp.asarray(-3e3 + 0.2 * np.cumsum(rng.normal(size=(600, 25)), axis=0))  # drifting
    (ma, va), (mb, vb) = (window_moments_result(_accumulate(h)) for h in (traj[:250], traj[250:]))
    na, nb = 250, 350
    delta = mb - ma
    merged_mean = ma + delta * nb / (na + nb)
    merged_var = (na * va + nb * vb + delta**2 * na * nb / (na + nb)) / (na + nb)
    mean, var = window_moments_result(_accumulate(traj))
    np.testing.assert_allclose(mean, merged_mean, rtol=1e-14)
    np.testing.assert_allclose(var, merged_var, rtol=1e-12)


def test_window_moments_of_a_linear_ramp_have_the_closed_form():
    """w_t = a + b t, t = 0..n-1: mean a + b (n-1)/2, variance b² (n² - 1)/12."""
    n, a, b = 2000, np.array([1e6, -5e5, 3.0]), np.array([0.5, 1e-3, -2.0])
    traj = a + b * np.arange(n)[:, None]
    mean, var = window_moments_result(_accumulate(jnp.asarray(traj)))
    np.testing.assert_allclose(mean, a + b * (n - 1) / 2, rtol=1e-14)
    np.testing.assert_allclose(var, b**2 * (n**2 - 1) / 12, rtol=1e-12)
    assert np.max(np.abs(_raw_sums_var(traj) / (b**2 * (n**2 - 1) / 12) - 1)) > 1e-9


def test_the_engine_moments_observer_is_the_accumulator_over_its_window():
    """engine.Moments (masked to its checkpoints) gives the two-pass moments of the window
    epochs only, to 1e-12, whatever the weights outside the window."""
    from curldescent.engine import Moments

    rng = np.random.default_rng(10)
    T = 300
    traj = Params(
        jnp.asarray(50.0 + 0.01 * rng.normal(size=(T, 3, 4))),
        jnp.asarray(-7.0 + 0.01 * rng.normal(size=(T, 1, 3))),
    )
    ck = np.arange(T)
    obs = Moments(tuple(range(100, T)))  # the first 100 checkpoints lie outside the window

    def run(traj):
        first = jax.tree_util.tree_map(lambda a: a[0], traj)
        state = obs.init(ck, first)

        def body(state, i):
            return obs.update(ck, state, i, jax.tree_util.tree_map(lambda a: a[i], traj)), None

        return obs.result(jax.lax.scan(body, state, jnp.arange(1, T))[0])

    mean, var = jax.jit(run)(traj)
    for got_m, got_v, w in zip(mean, var, traj, strict=True):
        w = np.asarray(w)[100:]
        np.testing.assert_allclose(got_m, w.mean(axis=0), rtol=1e-14)
        np.testing.assert_allclose(got_v, ((w - w.mean(axis=0)) ** 2).mean(axis=0), rtol=1e-12)
    # a window the run never reached: NaN moments
    empty = Moments((T + 5,))
    m, v = empty.result(empty.init(ck, jax.tree_util.tree_map(lambda a: a[0], traj)))
    assert np.all(np.isnan(m.W1)) and np.all(np.isnan(v.W2))
