r"""Two-layer networks :math:`\hat y = \varphi_{out}(W_2\,\varphi(W_1 x))` (paper Section 3).

Parameters are a :class:`Params` pytree ``(W1, W2)`` with ``W1`` of shape (N, M) and
``W2`` of shape (K, N). Inputs are row-stacked: ``x`` has shape (B, M), outputs (B, K).
"""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp

from curldescent.specs import NetworkSpec


class Params(NamedTuple):
    """Network weights: ``W1`` (N, M) hidden layer, ``W2`` (K, N) readout layer."""

    W1: jnp.ndarray
    W2: jnp.ndarray


def _relu_prime(a):
    return (a > 0).astype(a.dtype)


# name -> (phi, phi')
_ACTIVATIONS = {
    "linear": (lambda a: a, lambda a: jnp.ones_like(a)),
    "tanh": (jnp.tanh, lambda a: 1.0 - jnp.tanh(a) ** 2),
    "relu": (lambda a: jnp.maximum(a, 0.0), _relu_prime),
}


def activation(name: str):
    """Return ``(phi, phi_prime)`` for an activation name (``linear``, ``tanh``, ``relu``)."""
    return _ACTIVATIONS[name]


def output_activation(spec: NetworkSpec):
    """``(phi_out, phi_out_prime)``: identity, or the hidden activation when ``output_activation = hidden``."""
    return _ACTIVATIONS["linear" if spec.output_activation == "identity" else spec.activation]


class Forward(NamedTuple):
    """Intermediate values of a forward pass (all row-stacked over the batch)."""

    a1: jnp.ndarray  # (B, N) hidden pre-activations W1 x
    h: jnp.ndarray  # (B, N) hidden activity phi(a1)
    a2: jnp.ndarray  # (B, K) output pre-activations W2 h
    y: jnp.ndarray  # (B, K) output phi_out(a2)


def forward(spec: NetworkSpec, params: Params, x: jnp.ndarray) -> Forward:
    """Forward pass for a batch ``x`` of shape (B, M)."""
    phi, _ = activation(spec.activation)
    phi_out, _ = output_activation(spec)
    a1 = x @ params.W1.T
    h = phi(a1)
    a2 = h @ params.W2.T
    return Forward(a1, h, a2, phi_out(a2))


def predict(spec: NetworkSpec, params: Params, x: jnp.ndarray) -> jnp.ndarray:
    """Network output (B, K)."""
    return forward(spec, params, x).y


def mse(spec: NetworkSpec, params: Params, x: jnp.ndarray, y: jnp.ndarray) -> jnp.ndarray:
    r"""Error :math:`\tfrac12\,\mathrm{mean}_n \lVert \hat y_n - y_n\rVert^2` (½·MSE; for K = 1 the paper's
    :math:`\mathcal L = \tfrac12\langle e^2\rangle`)."""
    e = predict(spec, params, x) - y
    return 0.5 * jnp.mean(jnp.sum(e * e, axis=-1))
