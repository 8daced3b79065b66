r"""The update field shared by every learning rule.

Every rule in this package is a sign-structured variant of backpropagation in a
two-layer network. Its canonical, array-valued form is :class:`Plasticity`:

.. math::

    \Delta W_2 = -\,S_2 \odot \bigl(R_2\,\langle \delta_2 h^\top\rangle\,D_2\bigr), \qquad
    \Delta W_1 = -\,S_1 \odot \bigl(R_1\,\langle \delta_1 x^\top\rangle\,D_1\bigr),

with :math:`\delta_2 = e\,[\odot\varphi_{out}'(a_2)]`, :math:`\delta_1 = (F^\top\delta_2)\odot\varphi'(a_1)`,
:math:`e = \hat y - y`, :math:`F = W_2` (backpropagation) or a fixed matrix B (feedback
alignment), :math:`D_l` the presynaptic (column) signs of eq. (5), :math:`R_l` postsynaptic
(row) signs, :math:`S_l` arbitrary per-synapse masks and ⟨·⟩ the mean over the batch.
Gradient descent is :math:`D=R=S=1, F=W_2`; curl descent (eq. 5) has mixed-sign
:math:`D_1, D_2`.

All arrays are leaves of the pytree, so rules with different flips batch under ``vmap``;
``None`` entries (no mask, backprop feedback) are static structure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax.numpy as jnp

from curldescent.network import Params, activation, output_activation
from curldescent.specs import NetworkSpec


class Plasticity(NamedTuple):
    """Canonical array form of a learning rule (see module docstring)."""

    d1: jnp.ndarray  # (M,) presynaptic signs of the hidden layer, D1
    d2: jnp.ndarray  # (N,) presynaptic signs of the readout layer, D2
    r1: jnp.ndarray  # (N,) postsynaptic signs of the hidden layer
    r2: jnp.ndarray  # (K,) postsynaptic signs of the readout layer
    mask1: jnp.ndarray | None = None  # (N, M) per-synapse factors of W1 updates
    mask2: jnp.ndarray | None = None  # (K, N) per-synapse factors of W2 updates
    feedback: jnp.ndarray | None = None  # (K, N) fixed feedback matrix replacing W2


def identity_plasticity(network: NetworkSpec, dtype=jnp.float64) -> Plasticity:
    """All-plus signs: gradient descent."""
    ones = lambda n: jnp.ones((n,), dtype)  # noqa: E731
    return Plasticity(ones(network.M), ones(network.N), ones(network.N), ones(network.K))


def effective_masks(p: Plasticity) -> tuple[jnp.ndarray, jnp.ndarray]:
    """Dense per-synapse sign matrices ``(S1, S2)`` equivalent to ``p`` (N×M and K×N)."""
    s1 = p.r1[:, None] * p.d1[None, :]
    s2 = p.r2[:, None] * p.d2[None, :]
    if p.mask1 is not None:
        s1 = s1 * p.mask1
    if p.mask2 is not None:
        s2 = s2 * p.mask2
    return s1, s2


def _signed(
    g: jnp.ndarray, rows: jnp.ndarray, cols: jnp.ndarray, mask: jnp.ndarray | None
) -> jnp.ndarray:
    out = (rows[:, None] * g) * cols[None, :]
    return out if mask is None else out * mask


def update_direction(
    network: NetworkSpec,
    p: Plasticity,
    params: Params,
    x: jnp.ndarray,
    y: jnp.ndarray,
    weights: jnp.ndarray | None = None,
) -> Params:
    r"""The update direction (to be multiplied by the learning rate and added), direct route.

    Args:
        network: network structure (activations, readout error convention).
        p: the rule in canonical form.
        params: current weights.
        x: inputs (B, M); y: targets (B, K).
        weights: optional (B,) example weights summing to one (used for a padded last
            minibatch); default is the plain mean over the batch.

    Returns:
        ``Params(dW1, dW2)``; for gradient descent with ``readout_error = exact`` this is
        exactly :math:`-\nabla \tfrac12\langle\lVert e\rVert^2\rangle`.
    """
    _, dphi = activation(network.activation)
    _, dphi_out = output_activation(network)
    a1 = x @ params.W1.T
    h = activation(network.activation)[0](a1)
    a2 = h @ params.W2.T
    e = output_activation(network)[0](a2) - y
    delta2 = e * dphi_out(a2) if network.readout_error == "exact" else e
    wdelta2 = delta2 / x.shape[0] if weights is None else delta2 * weights[:, None]
    back = params.W2 if p.feedback is None else p.feedback
    if network.activation == "linear":
        wdelta1 = wdelta2 @ back
    else:
        wdelta1 = (wdelta2 @ back) * dphi(a1)
    g2 = wdelta2.T @ h  # (K, N) = <delta2 h^T>
    g1 = wdelta1.T @ x  # (N, M) = <delta1 x^T>
    return Params(-_signed(g1, p.r1, p.d1, p.mask1), -_signed(g2, p.r2, p.d2, p.mask2))


def linear_direction(p: Plasticity, params: Params, G: jnp.ndarray) -> Params:
    r"""Update direction of a **linear** network from :math:`G = \langle e\,x^\top\rangle` (K×M).

    For a linear network :math:`\langle e h^\top\rangle = G W_1^\top` and
    :math:`\langle \delta_1 x^\top\rangle = F^\top G`, so the whole update needs only the
    K×M matrix G: O(KNM) work, independent of the number of examples. ``G`` comes from
    sufficient statistics (full batch: :math:`G = W_2W_1C - b^\top` with
    :math:`C=\langle xx^\top\rangle`, :math:`b=\langle xy^\top\rangle`) or from a minibatch.
    """
    back = params.W2 if p.feedback is None else p.feedback
    g2 = G @ params.W1.T  # (K, N)
    if p.mask1 is None:
        # column signs act on the K x M factor b, row signs on the N x K factor a: the
        # rank-K product a b, formed in one fused loop (the engine's training step)
        a = p.r1[:, None] * back.T  # (N, K)
        b = G * p.d1[None, :]  # (K, M)
        dW1 = -jnp.sum(a[:, :, None] * b[None, :, :], axis=1)
    else:
        dW1 = -_signed(back.T @ G, p.r1, p.d1, p.mask1)
    return Params(dW1, -_signed(g2, p.r2, p.d2, p.mask2))


def flow_field(p: Plasticity, params: Params, s: jnp.ndarray) -> Params:
    r"""Continuous-time learning flow of a linear network with whitened inputs, eq. (6):

    .. math:: \dot W_1 = W_2^\top (s - W_2W_1) D_1,\qquad \dot W_2 = (s - W_2 W_1) W_1^\top D_2,

    (generalised to row signs, masks and feedback matrices), with ``s`` = W2*W1* (K×M).
    """
    return linear_direction(p, params, params.W2 @ params.W1 - s)


class LearningRule:
    r"""A learning rule: an update field on the parameters of a two-layer network.

    The interface (parameters and a batch in, an update out) is :meth:`field`:
    ``field(network, params, x, y, weights=None) -> Params``, the update direction
    :math:`\Delta W` (the engine applies :math:`W \leftarrow W + \eta\,\Delta W`) as the
    mean over the batch ``(x, y)`` or, with ``weights`` (B,) summing to one, the weighted
    mean (the engine passes ``weights`` only for a padded last minibatch). A rule is used
    exactly as written: the engine calls :meth:`field` of any rule that overrides it.

    Built-in rules are sign-structured backpropagation: they only say how they sign and
    route the error (:meth:`plasticity`, the canonical array form :class:`Plasticity`), the
    shared field is :func:`update_direction`, and the engine uses the linear fast paths
    (sufficient statistics, rank-K updates) for them.

    A rule with array parameters is best written as an Equinox module (``eqx.Module``): its
    arrays are then pytree leaves, so runs with different parameters batch under ``vmap``
    and compile once; any other object is static (compiled per distinct rule).

    Example (a rule not in the paper: plasticity gated by the sign of the postsynaptic
    activity)::

        class SignGated(LearningRule):
            def field(self, network, params, x, y, weights=None):
                d = Gradient().field(network, params, x, y, weights)
                gate = jnp.sign(jnp.mean(x @ params.W1.T, axis=0))  # (N,)
                return Params(gate[:, None] * d.W1, d.W2)
    """

    def plasticity(self, network: NetworkSpec) -> Plasticity:
        """The rule's canonical array form, for sign-structured backpropagation rules.

        Raises:
            NotImplementedError: the rule is a general field (it overrides :meth:`field`).
        """
        raise NotImplementedError(f"{type(self).__name__} has no canonical Plasticity form")

    def field(
        self,
        network: NetworkSpec,
        params: Params,
        x: jnp.ndarray,
        y: jnp.ndarray,
        weights: jnp.ndarray | None = None,
    ) -> Params:
        """Update direction at ``params`` on the batch ``(x, y)`` (mean over the batch, or
        the ``weights``-weighted mean)."""
        return update_direction(network, self.plasticity(network), params, x, y, weights)

    @property
    def has_custom_field(self) -> bool:
        """True when the rule overrides :meth:`field` (the engine then calls it as written)."""
        return type(self).field is not LearningRule.field


def learning_field(
    rule: LearningRule, network: NetworkSpec, x: jnp.ndarray, y: jnp.ndarray
) -> Callable[[Params], Params]:
    """The full-batch learning field ``params -> rule.field(network, params, x, y)`` of any
    rule on the data ``(x, y)``: the vector field the curl meter
    (:func:`curldescent.analysis.curl_meter.curl_index`) measures."""

    def field(params: Params) -> Params:
        return rule.field(network, params, x, y)

    return field
