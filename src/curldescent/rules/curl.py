r"""Curl descent (eq. 5): sign-flipped plasticity for chosen neurons or synapses.

.. math:: \Delta W_1 = -W_2^\top e\,x^\top D_1,\qquad \Delta W_2 = -e\,h^\top D_2 .

Flips can be given as sign vectors, as fractions :math:`\alpha_h, \alpha_r` (eq. 10) of
flipped presynaptic neurons, or as counts; presynaptic (column, eq. 5) or postsynaptic
(row) flips; or as arbitrary per-synapse masks (the paper's Discussion).

Examples:
    >>> from curldescent.specs import NetworkSpec
    >>> net = NetworkSpec(M=10, N=4)
    >>> rule = Curl.from_fractions(net, alpha_hidden=0.3)
    >>> [float(v) for v in rule.plasticity(net).d1[:4]]
    [-1.0, -1.0, -1.0, 1.0]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jax.numpy as jnp
import jax.random as jr
import numpy as np

from curldescent.rules.base import LearningRule, Plasticity
from curldescent.specs import NetworkSpec, SpecError, flip_count


def flip_vector(size: int, k: int, *, selection: str = "first", key: Any = None) -> np.ndarray:
    """A ±1 vector of length ``size`` with ``k`` entries equal to −1.

    ``selection = first`` flips entries 0..k−1 (the authors' protocol); ``random`` flips a
    uniformly random subset drawn from ``key``.
    """
    if not 0 <= k <= size:
        raise SpecError(f"number of flipped neurons must lie in [0, {size}] (got {k})")
    d = np.ones(size)
    if selection == "first":
        d[:k] = -1.0
    elif selection == "random":
        if key is None:
            raise SpecError("selection = random needs a PRNG key")
        d[np.asarray(jr.permutation(key, size))[:k]] = -1.0
    else:
        raise SpecError(f"selection must be one of first, random (got {selection!r})")
    return d


def _vec(v, n: int, name: str) -> jnp.ndarray:
    if v is None:
        return jnp.ones((n,), jnp.float64)
    arr = jnp.asarray(v, jnp.float64)
    if arr.shape != (n,):
        raise SpecError(f"{name} must have shape ({n},) (got {tuple(arr.shape)})")
    return arr


@dataclass(frozen=True, eq=False)
class Curl(LearningRule):
    """Curl descent with explicit sign structure.

    Args:
        d1: (M,) presynaptic signs of the hidden layer (D1); default all +1.
        d2: (N,) presynaptic signs of the readout layer (D2); default all +1.
        r1, r2: (N,) and (K,) postsynaptic (row) signs; default all +1.
        mask1, mask2: (N, M) and (K, N) per-synapse factors (±1, or 0 to freeze a synapse).
    """

    d1: Any = None
    d2: Any = None
    r1: Any = None
    r2: Any = None
    mask1: Any = None
    mask2: Any = None

    @classmethod
    def from_counts(
        cls,
        network: NetworkSpec,
        hidden: int = 0,
        readout: int = 0,
        *,
        selection: str = "first",
        side: str = "pre",
        key: Any = None,
    ) -> Curl:
        """Flip ``hidden`` neurons of the hidden layer's rule and ``readout`` of the readout's.

        ``side = pre`` flips presynaptic neurons (inputs for W1, hidden units for W2; eq. 5);
        ``side = post`` flips postsynaptic rows (hidden units for W1, outputs for W2).
        """
        k1, k2 = jr.split(key) if key is not None else (None, None)
        if side == "pre":
            return cls(
                d1=flip_vector(network.M, hidden, selection=selection, key=k1),
                d2=flip_vector(network.N, readout, selection=selection, key=k2),
            )
        if side == "post":
            return cls(
                r1=flip_vector(network.N, hidden, selection=selection, key=k1),
                r2=flip_vector(network.K, readout, selection=selection, key=k2),
            )
        raise SpecError(f"side must be one of pre, post (got {side!r})")

    @classmethod
    def from_fractions(
        cls,
        network: NetworkSpec,
        alpha_hidden: float = 0.0,
        alpha_readout: float = 0.0,
        **kwargs: Any,
    ) -> Curl:
        """Flip the fractions α_h and α_r (eq. 10), k = ⌊α·size⌋ neurons per layer."""
        for name, a in (("alpha_hidden", alpha_hidden), ("alpha_readout", alpha_readout)):
            if not 0.0 <= a <= 1.0:
                raise SpecError(f"{name} must lie in [0, 1] (got {a!r})")
        side = kwargs.get("side", "pre")
        size1, size2 = (network.M, network.N) if side == "pre" else (network.N, network.K)
        return cls.from_counts(
            network, flip_count(alpha_hidden, size1), flip_count(alpha_readout, size2), **kwargs
        )

    def plasticity(self, network: NetworkSpec) -> Plasticity:
        def mask(m, shape, name):
            if m is None:
                return None
            arr = jnp.asarray(m, jnp.float64)
            if arr.shape != shape:
                raise SpecError(f"{name} must have shape {shape} (got {tuple(arr.shape)})")
            return arr

        return Plasticity(
            _vec(self.d1, network.M, "d1"),
            _vec(self.d2, network.N, "d2"),
            _vec(self.r1, network.N, "r1"),
            _vec(self.r2, network.K, "r2"),
            mask(self.mask1, (network.N, network.M), "mask1"),
            mask(self.mask2, (network.K, network.N), "mask2"),
        )
