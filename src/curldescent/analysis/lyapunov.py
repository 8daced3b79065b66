r"""Lyapunov exponents of a discrete map by tangent dynamics (a certificate of chaos).

For a map :math:`x_{n+1} = f(x_n)` on :math:`\mathbb R^D` (here: any JAX pytree, e.g.
the weights ``Params(W1, W2)`` with ``f`` one epoch of learning), the Lyapunov exponents
are the growth rates of tangent vectors :math:`v_{n+1} = Df(x_n)\,v_n`:

.. math::

    \lambda_1 = \lim_{n\to\infty}\frac1n \log\frac{\lVert Df(x_{n-1})\cdots Df(x_0)\,v_0\rVert}{\lVert v_0\rVert},

and :math:`\lambda_1 \ge \dots \ge \lambda_k` for the growth rates of k-dimensional volumes
(Benettin et al. 1980; Shimada & Nagashima 1979). The tangent vectors are propagated with
Jacobian–vector products (``jax.linearize``: the map is evaluated once per step, its
linearisation applied to the k vectors under ``vmap``), and every ``reorth_every`` steps
re-orthonormalised by a QR decomposition :math:`V = QR`; the exponents are the time
averages

.. math:: \lambda_i \approx \frac{1}{n}\sum_{\text{blocks } b} \log |R^{(b)}_{ii}| .

A ``transient`` of steps is run first (state and tangent vectors both evolve, so the
vectors align with the Lyapunov directions) and discarded. Positive :math:`\lambda_1`
means chaos; negative means convergence to a stable fixed point or cycle. On a map with
exact symmetries (e.g. the :math:`W_1 \to G W_1, W_2 \to W_2 G^{-1}` rescalings of linear
networks) the corresponding exponents are 0; with renormalisation of the weights the
radial directions are projected out (the map's Jacobian is singular there), so the
smallest exponents are :math:`-\infty` (``-inf``, or a large negative number after rounding).

Everything is a ``lax.scan``: wrap the call in ``jax.jit`` (with ``f`` closed over) and
``jax.vmap`` over initial states, keys or the parameters ``f`` closes over.

Examples:
    >>> import jax.numpy as jnp, jax.random as jr
    >>> A = jnp.array([[0.5, 1.0], [0.0, 0.25]])  # eigenvalues 1/2 and 1/4
    >>> res = lyapunov_exponents(lambda x: A @ x, jnp.ones(2), n_steps=500, key=jr.PRNGKey(0),
    ...                          n_exponents=2, transient=20)
    >>> [round(float(v), 3) for v in res.exponents]  # log 1/2, log 1/4
    [-0.693, -1.386]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import jax.random as jr
from jax import lax
from jax.flatten_util import ravel_pytree

__all__ = ["LyapunovResult", "lyapunov_exponents"]


class LyapunovResult(NamedTuple):
    """Lyapunov exponents of a map (k exponents, n_steps // reorth_every blocks)."""

    exponents: jax.Array  # (k,) per application of the map, descending
    exponents_per_epoch: jax.Array  # (k,) exponents * steps_per_epoch
    running: jax.Array  # (n_blocks, k) running estimate (per step) after each block
    state: Any  # final state (same pytree structure as the initial state)
    tangents: jax.Array  # (D, k) final orthonormal tangent vectors, flattened state space


def _orthonormalise(V: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``(Q, log|diag R|)`` of V = QR, with Q's columns signed so that diag R >= 0."""
    if V.shape[1] == 1:
        norm = jnp.linalg.norm(V[:, 0])
        # a tangent vector mapped to exactly 0 stays 0: log-growth -inf, not NaN
        return V / jnp.where(norm > 0, norm, 1.0), jnp.log(norm)[None]
    Q, R = jnp.linalg.qr(V)
    d = jnp.diagonal(R)
    return Q * jnp.where(d < 0, -1.0, 1.0).astype(Q.dtype)[None, :], jnp.log(jnp.abs(d))


def lyapunov_exponents(
    f: Callable[[Any], Any],
    state: Any,
    *,
    n_steps: int,
    key: jax.Array,
    n_exponents: int = 1,
    transient: int = 0,
    reorth_every: int = 1,
    steps_per_epoch: float = 1.0,
) -> LyapunovResult:
    r"""The k largest Lyapunov exponents of the map ``state -> f(state)``.

    Args:
        f: the map; a pure JAX function from a pytree of floating arrays to a pytree of
            the same structure, shapes and dtypes.
        state: initial state.
        n_steps: number of measured steps (a multiple of ``reorth_every``); static.
        key: PRNG key for the random orthonormal initial tangent vectors.
        n_exponents: number k of exponents (1 ≤ k ≤ D); static.
        transient: steps run and discarded before measuring (tangent vectors evolve and
            are re-orthonormalised every step during it); static.
        reorth_every: steps between re-orthonormalisations. 1 is always safe; larger values
            save QR decompositions but must keep :math:`e^{\lambda_1\cdot\text{reorth\_every}}`
            far from overflow and the vectors from collapsing onto one direction; static.
        steps_per_epoch: applications of ``f`` per epoch, used for
            ``exponents_per_epoch`` (1 when ``f`` is one epoch of learning; the number of
            minibatch steps in an epoch when ``f`` is one step).

    Returns:
        :class:`LyapunovResult`: ``exponents`` (k,) per step (natural log, descending for
        a generic map), ``exponents_per_epoch``, the ``running`` estimate after each block
        (n_steps // reorth_every, k), the final ``state`` and ``tangents``. A NaN
        exponent means the state or tangents became non-finite (data, not an exception).

    Raises:
        ValueError: on inconsistent static arguments (outside traced code).
    """
    if n_steps < 1 or reorth_every < 1 or n_steps % reorth_every:
        raise ValueError(
            f"n_steps ({n_steps}) must be a positive multiple of reorth_every ({reorth_every})"
        )
    if transient < 0:
        raise ValueError(f"transient must be >= 0 (got {transient})")
    x0, unravel = ravel_pytree(state)
    D = x0.shape[0]
    k = int(n_exponents)
    if not 1 <= k <= D:
        raise ValueError(f"n_exponents must lie in [1, {D}] (got {n_exponents})")

    def f_flat(v: jax.Array) -> jax.Array:
        return ravel_pytree(f(unravel(v)))[0].astype(v.dtype)

    def step(carry, _):
        x, V = carry
        y, lin = jax.linearize(f_flat, x)
        return (y, jax.vmap(lin, in_axes=1, out_axes=1)(V)), None

    def block(length: int):
        def body(carry, _):
            (x, V), _ = lax.scan(step, carry, None, length=length)
            Q, logs = _orthonormalise(V)
            return (x, Q), logs

        return body

    Q0, _ = jnp.linalg.qr(jr.normal(key, (D, k), dtype=x0.dtype))
    carry = (x0, Q0)
    if transient:
        carry, _ = lax.scan(block(1), carry, None, length=transient)
    n_blocks = n_steps // reorth_every
    (x, Q), logs = lax.scan(block(reorth_every), carry, None, length=n_blocks)
    elapsed = reorth_every * jnp.arange(1, n_blocks + 1, dtype=logs.dtype)[:, None]
    running = jnp.cumsum(logs, axis=0) / elapsed
    exponents = running[-1]
    return LyapunovResult(exponents, exponents * steps_per_epoch, running, unravel(x), Q)
