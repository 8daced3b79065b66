"""Gradient descent: the exact gradient of ½·MSE (eqs. 3–4)."""

from __future__ import annotations

from dataclasses import dataclass

from curldescent.rules.base import LearningRule, Plasticity, identity_plasticity
from curldescent.specs import NetworkSpec


@dataclass(frozen=True)
class Gradient(LearningRule):
    """Plain gradient descent: all signs +1, backpropagated error through W2."""

    def plasticity(self, network: NetworkSpec) -> Plasticity:
        return identity_plasticity(network)
