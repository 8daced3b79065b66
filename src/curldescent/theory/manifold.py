r"""Points on the solution manifold with the paper's statistics, eq. (14), and flip signs.

The large-N analysis (Section 4.2) assumes that a student on the solution manifold
:math:`W_2W_1 = s` has teacher-like statistics,

.. math:: (W_1)_{ij} \sim \mathcal N(0, 1/M),\qquad (W_2)_{ij}\sim\mathcal N(0, 1/N)
    \quad\text{i.i.d.} \qquad\text{(eq. 14)}.

:func:`sample_manifold_point` draws such a pair and returns it with its own teacher map
:math:`s = W_2W_1`, so the point lies exactly on the manifold (E = 0). (The paper prints
the manifold as "W1W2 = s" after eq. 11; with W1 of shape N×M the product is W2W1: see
``docs/protocol.md``.)

Examples:
    >>> import jax.random as jr
    >>> params, s = sample_manifold_point(jr.PRNGKey(0), M=6, N=4)
    >>> params.W1.shape, params.W2.shape, s.shape
    ((4, 6), (1, 4), (1, 6))
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import jax.random as jr
import numpy as np

from curldescent.network import Params
from curldescent.rules.curl import Curl
from curldescent.specs import NetworkSpec, SpecError

__all__ = ["flip_signs", "sample_manifold_point"]


def sample_manifold_point(
    key: Any, M: int, N: int, *, K: int = 1, dtype=jnp.float64
) -> tuple[Params, jnp.ndarray]:
    r"""Draw :math:`(W_1, W_2)` from eq. (14) and return them with :math:`s = W_2W_1`.

    Args:
        key: a JAX PRNG key; it is split into ``(w1_key, w2_key)``.
        M, N: input and hidden sizes; K: output size (the paper's closed forms need K = 1).
        dtype: floating dtype of the arrays (float64 needs ``jax_enable_x64``).

    Returns:
        ``(Params(W1, W2), s)`` with W1 (N, M), W2 (K, N) and s = W2 W1 of shape (K, M).
    """
    for name, v in (("M", M), ("N", N), ("K", K)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 1:
            raise SpecError(f"{name} must be an integer >= 1 (got {v!r})")
    w1_key, w2_key = jr.split(key)
    W1 = _standard_normal(w1_key, (N, M)) / np.sqrt(M)
    W2 = _standard_normal(w2_key, (K, N)) / np.sqrt(N)
    return Params(jnp.asarray(W1, dtype), jnp.asarray(W2, dtype)), jnp.asarray(W2 @ W1, dtype)


def _standard_normal(key: Any, shape: tuple[int, ...]) -> np.ndarray:
    """i.i.d. N(0, 1) of the given shape, a deterministic function of ``key``: NumPy's
    generator seeded with the key's data (no JAX compilation per shape, which dominates the
    cost of sweeping many matrix sizes)."""
    seed = np.asarray(jr.key_data(key), dtype=np.uint32).ravel().tolist()
    return np.random.default_rng(seed).standard_normal(shape)


def flip_signs(
    M: int, N: int, alpha_hidden: float = 0.0, alpha_readout: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    r"""Presynaptic signs ``(d1, d2)`` with fractions :math:`\alpha_h, \alpha_r` flipped (eq. 10).

    The first :math:`\lfloor\alpha M\rfloor` (resp. :math:`\lfloor\alpha N\rfloor`) neurons are
    flipped, as in the authors' protocol (:meth:`curldescent.rules.Curl.from_fractions`).
    """
    rule = Curl.from_fractions(NetworkSpec(M=M, N=N), alpha_hidden, alpha_readout)
    return np.asarray(rule.d1, float), np.asarray(rule.d2, float)
