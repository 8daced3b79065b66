r"""The order parameter :math:`q` of weight fluctuations, eq. (15).

.. math::

    q = \frac{\mathbb E\bigl[\langle (w - \langle w\rangle)^2\rangle\bigr]}
             {\mathbb V\bigl[\langle w\rangle\bigr]},
    \qquad w := (W_l)_{ij},

where :math:`\langle\cdot\rangle` averages over the epochs of a window (the protocol uses
the last ~1000 epochs, recorded every epoch) and :math:`\mathbb E, \mathbb V` are the mean
and the variance over all weights :math:`(l, i, j)`, with the entries of :math:`W_1` and
:math:`W_2` pooled. :math:`q = 0` for a run that has settled on a fixed point; :math:`q`
is of order one or larger when the weights keep fluctuating by as much as they differ from
one another (chaos, Fig. 3b).

Two routes give the same number:

* :func:`order_parameter` from a recorded trajectory (an array of shape (T, ...), or a
  pytree such as ``Params(W1, W2)`` whose leaves all have time on axis 0);
* :func:`order_parameter_from_moments` from per-weight temporal means and variances
  accumulated during the run (e.g. with :func:`window_moments_init` /
  :func:`window_moments_update` / :func:`window_moments_result`, a shifted Welford
  accumulator that works inside ``lax.scan``, the one the engine's
  :class:`~curldescent.engine.Moments` observer uses), so a long window never has to be
  stored.

Variances are population variances (``ddof = 0``) by default, both over time and over
weights, as in eq. (15). All functions accept NumPy arrays (computed in NumPy, dtype
kept) or JAX arrays (computed with ``jax.numpy``; jit- and vmap-friendly).

Examples:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> traj = np.repeat(rng.normal(size=(1, 50)), 200, axis=0)  # frozen weights
    >>> float(order_parameter(traj))
    0.0
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import jax.tree_util as jtu
import numpy as np

__all__ = [
    "WindowMoments",
    "order_parameter",
    "order_parameter_from_moments",
    "stack_weights",
    "window_moments",
    "window_moments_init",
    "window_moments_result",
    "window_moments_update",
]


# --------------------------------------------------------------------------- helpers
# (shared with the other analysis modules)


def _namespace(*trees: Any):
    """``jax.numpy`` if any leaf is a JAX array (or tracer), else ``numpy``."""
    for tree in trees:
        for leaf in jtu.tree_leaves(tree):
            if isinstance(leaf, jax.Array):
                return jnp
    return np


def _as_float(x: Any, xp) -> Any:
    """``x`` as an array of ``xp``, integers and booleans promoted to floating point."""
    a = xp.asarray(x)
    if not xp.issubdtype(a.dtype, xp.floating) and not xp.issubdtype(a.dtype, xp.complexfloating):
        a = a.astype(np.float64 if xp is np else jnp.result_type(float))
    return a


def _centre(x: Any, xp, axis: int = 0) -> tuple[Any, Any]:
    r"""Mean along ``axis`` and the centred array, by the shifted-data algorithm.

    The mean is :math:`x_0 + \mathrm{mean}(x - x_0)`, so a constant series is centred to
    exact zeros (its variance is exactly 0, not rounding noise) and cancellation is small
    when the fluctuations are tiny compared with the mean (weights near a fixed point).
    """
    x0 = xp.take(x, xp.asarray([0]), axis=axis)
    shifted = x - x0
    mean_shift = xp.mean(shifted, axis=axis, keepdims=True)
    return xp.squeeze(x0 + mean_shift, axis=axis), shifted - mean_shift


def stack_weights(trajectory: Any) -> Any:
    r"""Pool the weights of a trajectory into one (T, P) array.

    Args:
        trajectory: an array of shape (T,), (T, P) or (T, d1, d2, ...), or a pytree of
            such arrays with a common length T on axis 0 (e.g. ``Params(W1, W2)`` with
            leaves of shapes (T, N, M) and (T, K, N)).

    Returns:
        Array of shape (T, P) with all non-time axes of all leaves flattened and
        concatenated in leaf order (for ``Params``: W1 entries row-major, then W2).
    """
    xp = _namespace(trajectory)
    leaves = [_as_float(leaf, xp) for leaf in jtu.tree_leaves(trajectory)]
    if not leaves:
        raise ValueError("trajectory has no arrays")
    T = leaves[0].shape[0]
    for leaf in leaves:
        if leaf.ndim == 0 or leaf.shape[0] != T:
            raise ValueError(
                f"every leaf needs time on axis 0 with length {T} (got shape {leaf.shape})"
            )
    flat = [xp.reshape(leaf, (T, -1)) for leaf in leaves]
    return flat[0] if len(flat) == 1 else xp.concatenate(flat, axis=1)


def _pool(tree: Any, xp) -> Any:
    """All leaves of a pytree of per-weight arrays, flattened and concatenated (P,)."""
    leaves = [xp.reshape(_as_float(leaf, xp), (-1,)) for leaf in jtu.tree_leaves(tree)]
    if not leaves:
        raise ValueError("no arrays given")
    return leaves[0] if len(leaves) == 1 else xp.concatenate(leaves)


# --------------------------------------------------------------------------- q


def _ratio(mean_var: Any, var_mean: Any, xp) -> Any:
    # q = 0 exactly when nothing fluctuates, even if the means are all equal (0/0);
    # a positive numerator over a zero denominator is +inf.
    with np.errstate(divide="ignore", invalid="ignore"):
        q = mean_var / var_mean
    return xp.where(mean_var == 0, xp.zeros_like(q), q)[()]


def order_parameter(trajectory: Any, *, window: int | None = None, ddof: int = 0) -> Any:
    r"""Order parameter :math:`q` of eq. (15) from a recorded trajectory.

    .. math::

        q = \frac{\frac1P\sum_p \widehat{\mathrm{Var}}_t(w_p)}
                 {\widehat{\mathrm{Var}}_p\bigl(\bar w_p\bigr)}, \qquad
        \bar w_p = \frac1T\sum_t w_{p,t},

    with both variances taken with ``ddof`` (0: population variances, as in eq. 15).

    Args:
        trajectory: weights at consecutive epochs, time on axis 0: an array (T, P) or
            (T, ...), or a pytree such as ``Params(W1, W2)`` of such arrays (entries of all
            leaves pooled, see :func:`stack_weights`).
        window: use only the last ``window`` time points (default: all).
        ddof: delta degrees of freedom of both variances.

    Returns:
        Scalar :math:`q` (NumPy float for NumPy input, JAX scalar for JAX input).
        :math:`q = 0` when no weight fluctuates (whatever the means); ``inf`` when weights
        fluctuate but all temporal means are equal.

    Examples:
        >>> import numpy as np
        >>> t = np.arange(4.0)[:, None]
        >>> float(order_parameter(np.hstack([t, t + 10.0])))  # var 1.25 / var of means 25
        0.05
    """
    xp = _namespace(trajectory)
    X = stack_weights(trajectory)
    if window is not None:
        if window < 1 or window > X.shape[0]:
            raise ValueError(f"window must lie in [1, {X.shape[0]}] (got {window})")
        X = X[X.shape[0] - window :]
    mean, centred = _centre(X, xp, axis=0)
    T = X.shape[0]
    var_t = xp.sum(centred * centred, axis=0) / (T - ddof)
    return order_parameter_from_moments(mean, var_t, ddof=ddof)


def order_parameter_from_moments(mean: Any, var: Any, *, ddof: int = 0) -> Any:
    r"""Order parameter :math:`q` of eq. (15) from per-weight window statistics.

    .. math:: q = \frac{\mathbb E_p[\,v_p\,]}{\mathbb V_p[\,m_p\,]}

    with :math:`m_p` the temporal mean and :math:`v_p` the temporal variance of weight p
    over the window (as accumulated by the engine).

    Args:
        mean: temporal means, an array or a pytree (e.g. ``Params``) of arrays; all
            entries are pooled.
        var: temporal variances, same structure and shapes as ``mean``.
        ddof: delta degrees of freedom of the variance **over weights** of the means.

    Returns:
        Scalar :math:`q` (0 when every variance is 0).
    """
    xp = _namespace(mean, var)
    m = _pool(mean, xp)
    v = _pool(var, xp)
    if m.shape != v.shape:
        raise ValueError(
            f"mean and var must hold the same number of weights ({m.shape} vs {v.shape})"
        )
    _, mc = _centre(m, xp, axis=0)
    var_mean = xp.sum(mc * mc) / (m.shape[0] - ddof)
    return _ratio(xp.mean(v), var_mean, xp)


# --------------------------------------------------------------------------- accumulator


class WindowMoments(NamedTuple):
    r"""Running per-weight temporal statistics: count n, the shift :math:`s` (the first time
    point added), and Welford's mean and :math:`M_2` of the shifted values :math:`w - s`
    (``mean`` :math:`= \bar w_n - s`, ``m2`` :math:`= \sum_t (w_t - \bar w_n)^2`).
    ``shift``, ``mean`` and ``m2`` have the structure of the weights (any pytree)."""

    count: Any
    shift: Any
    mean: Any
    m2: Any


def window_moments_init(params: Any) -> WindowMoments:
    """Empty accumulator shaped like ``params`` (any pytree of arrays)."""
    xp = _namespace(params)
    zeros = jtu.tree_map(lambda a: xp.zeros_like(_as_float(a, xp)), params)
    return WindowMoments(xp.zeros((), dtype=jtu.tree_leaves(zeros)[0].dtype), zeros, zeros, zeros)


def window_moments_update(state: WindowMoments, params: Any) -> WindowMoments:
    r"""Add one time point :math:`w`: the first one becomes the shift :math:`s`, then
    Welford's update of the shifted value :math:`x = w - s`,

    .. math::
        n \leftarrow n + 1,\quad \delta = x - \bar x,\quad
        \bar x \leftarrow \bar x + \delta/n,\quad M_2 \leftarrow M_2 + \delta\,(x - \bar x).

    The shift keeps the rounding errors relative to the fluctuations rather than to the
    weights themselves (exact differences for a series that barely moves), and Welford's
    form never subtracts two large sums. Pure and jit/scan-friendly.

    Examples:
        >>> import numpy as np
        >>> state = window_moments_init(np.zeros(2))
        >>> for w in ([1e8 + 1.0, 0.0], [1e8 + 2.0, 1.0], [1e8 + 3.0, 2.0]):
        ...     state = window_moments_update(state, np.array(w))
        >>> mean, var = window_moments_result(state)
        >>> mean.tolist(), var.tolist()
        ([100000002.0, 1.0], [0.6666666666666666, 0.6666666666666666])
    """
    xp = _namespace(state, params)
    first = state.count == 0
    count = state.count + 1
    shift = jtu.tree_map(lambda s, w: xp.where(first, w, s), state.shift, params)
    x = jtu.tree_map(lambda w, s: w - s, params, shift)
    delta = jtu.tree_map(lambda v, m: v - m, x, state.mean)
    mean = jtu.tree_map(lambda m, d: m + d / count, state.mean, delta)
    m2 = jtu.tree_map(lambda a, d, v, m: a + d * (v - m), state.m2, delta, x, mean)
    return WindowMoments(count, shift, mean, m2)


def window_moments_result(state: WindowMoments, *, ddof: int = 0) -> tuple[Any, Any]:
    """``(mean, var)`` pytrees from an accumulator, ``var = M2 / (n - ddof)``; both NaN
    when no time point was added."""
    xp = _namespace(state)
    mean = jtu.tree_map(
        lambda s, m: xp.where(state.count > 0, s + m, xp.nan), state.shift, state.mean
    )
    var = jtu.tree_map(lambda a: a / (state.count - ddof), state.m2)
    return mean, var


def window_moments(trajectory: Any, *, ddof: int = 0) -> tuple[Any, Any]:
    """Per-weight temporal ``(mean, var)`` of a trajectory (time on axis 0 of every leaf),
    with the structure of one time slice. The batch counterpart of the accumulator."""
    xp = _namespace(trajectory)

    def one(leaf):
        a = _as_float(leaf, xp)
        mean, centred = _centre(a, xp, axis=0)
        return mean, xp.sum(centred * centred, axis=0) / (a.shape[0] - ddof)

    leaves, treedef = jtu.tree_flatten(trajectory)
    pairs = [one(leaf) for leaf in leaves]
    return (
        jtu.tree_unflatten(treedef, [m for m, _ in pairs]),
        jtu.tree_unflatten(treedef, [v for _, v in pairs]),
    )


def order_parameter_variants(mean: np.ndarray, var: np.ndarray) -> tuple[float, float]:
    r"""Both readings of q from per-weight temporal means and variances (NumPy arrays of
    the same shape; NaN entries, e.g. a store's padding, are left out):

    * eq. (15) as printed: :math:`\mathbb E[\text{var}] / \mathbb V[\text{mean}]`
      (:func:`order_parameter_from_moments`);
    * the authors' plotted axis (Fig. 3b, their analysis notebook):
      :math:`\mathbb E[\text{var}] / \sqrt{\mathbb V[\text{mean}]}`, the mean temporal
      variance over the **standard deviation** of the temporal means.

    Both are 0 when nothing fluctuates. Population variances throughout.

    Examples:
        >>> m, v = np.array([0.0, 2.0]), np.array([0.5, 0.5])  # V[mean] = 1, E[var] = 0.5
        >>> order_parameter_variants(m, v)
        (0.5, 0.5)
        >>> order_parameter_variants(2 * m, v)  # V[mean] = 4: 0.5/4 and 0.5/2
        (0.125, 0.25)
    """
    m = np.asarray(mean, float).ravel()
    v = np.asarray(var, float).ravel()
    ok = np.isfinite(m) & np.isfinite(v)
    m, v = m[ok], v[ok]
    q = float(_ratio(np.mean(v), np.var(m), np))
    q_std = float(_ratio(np.mean(v), np.std(m), np))
    return q, q_std
