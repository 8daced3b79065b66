r"""The learning field of a built-in rule on data: the update direction as a function of the
weights, with the linear fast paths (one implementation, used by the engine's maps and by
the continuous flow).

For a linear network the update needs only :math:`G = \langle e\,x^\top\rangle` (K×M)
(:func:`curldescent.rules.linear_direction`):

* full batch: :math:`G = W_2W_1C - b^\top` from the sufficient statistics
  :math:`C = X^\top X/n`, :math:`b = X^\top Y/n` (O(KM² + KNM) per evaluation, whatever n);
* a minibatch: :math:`G = e_b^\top X_b / B` without forming the hidden activity.
"""

from __future__ import annotations

from collections.abc import Callable

import jax.numpy as jnp

from curldescent.network import Params
from curldescent.rules import Plasticity, linear_direction, update_direction
from curldescent.specs import NetworkSpec

__all__ = ["batch_G", "full_batch_direction", "sufficient_statistics"]


def sufficient_statistics(x: jnp.ndarray, y: jnp.ndarray) -> tuple[jnp.ndarray, jnp.ndarray]:
    r"""``(C, bT)``: :math:`C = X^\top X/n` (M×M) and :math:`b^\top = (X^\top Y/n)^\top` (K×M)."""
    n = x.shape[0]
    return x.T @ x / n, (x.T @ y / n).T


def batch_G(params: Params, x: jnp.ndarray, y: jnp.ndarray, w: jnp.ndarray | None) -> jnp.ndarray:
    """G = <e x^T> (K×M) of a linear network on a batch (``w``: example weights summing to
    one, or None for the mean), without forming hidden activity."""
    u = params.W2 @ params.W1  # (K, M)
    e = x @ u.T - y  # (B, K)
    e = e / x.shape[0] if w is None else e * w[:, None]
    return e.T @ x


def full_batch_direction(
    network: NetworkSpec,
    plasticity: Plasticity,
    x: jnp.ndarray,
    y: jnp.ndarray,
    *,
    fast: bool = True,
) -> Callable[[Params], Params]:
    """``direction(params) -> Params``: the rule's update direction on all of ``(x, y)``;
    linear networks use the sufficient statistics (unless ``fast = False``)."""
    if fast and network.is_linear:
        C, bT = sufficient_statistics(x, y)

        def linear(params: Params) -> Params:
            return linear_direction(plasticity, params, (params.W2 @ params.W1) @ C - bT)

        return linear

    def direct(params: Params) -> Params:
        return update_direction(network, plasticity, params, x, y)

    return direct
