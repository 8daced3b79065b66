r"""Feedback alignment: a fixed random matrix B replaces :math:`W_2^\top` in the backward pass
(Lillicrap et al. 2016; the paper's Related work): :math:`\Delta W_1 = -(B^\top e \odot \varphi')\,x^\top`.
It combines with curl flips (``flips``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jax.numpy as jnp
import jax.random as jr

from curldescent.rules.base import LearningRule, Plasticity, identity_plasticity
from curldescent.rules.curl import Curl
from curldescent.specs import NetworkSpec, SpecError


def sample_feedback(key: Any, network: NetworkSpec, scale: float = 1.0) -> jnp.ndarray:
    """B (K×N) with i.i.d. entries U(−scale/√N, scale/√N) (the authors' protocol)."""
    bound = scale / jnp.sqrt(network.N)
    return jr.uniform(key, (network.K, network.N), jnp.float64, -bound, bound)


@dataclass(frozen=True, eq=False)
class FeedbackAlignment(LearningRule):
    """Feedback alignment with fixed feedback ``B`` (K×N), optionally with curl ``flips``."""

    B: Any
    flips: Curl | None = None

    @classmethod
    def sample(cls, key: Any, network: NetworkSpec, scale: float = 1.0, flips: Curl | None = None):
        return cls(sample_feedback(key, network, scale), flips)

    def plasticity(self, network: NetworkSpec) -> Plasticity:
        B = jnp.asarray(self.B, jnp.float64)
        if B.shape != (network.K, network.N):
            raise SpecError(
                f"feedback matrix B must have shape {(network.K, network.N)} (got {tuple(B.shape)})"
            )
        base = (
            identity_plasticity(network) if self.flips is None else self.flips.plasticity(network)
        )
        return base._replace(feedback=B)
