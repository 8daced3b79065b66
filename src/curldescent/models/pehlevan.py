r"""The A.4 architecture (after Pehlevan et al. 2015): feed-forward → recurrent E ↔ recurrent I.

Neurons are grouped as :math:`\mathbf y = [\mathbf y_{FF}, \mathbf y_{E}, \mathbf y_{I}]`
with signs :math:`D = \mathrm{diag}(\mathbb I, \mathbb I, -\mathbb I)` (eq. 41) and only
three blocks of synapses (eq. 39):

.. math:: W = \begin{pmatrix}0&0&0\\ A&0&B\\ 0&C&0\end{pmatrix},\qquad
          A = W_{FF\to E},\; B = W_{I\to E},\; C = W_{E\to I},

all magnitudes ≥ 0. Only the feed-forward population receives input, so
:math:`\Sigma = \mathrm{diag}(\Sigma_{FF}, 0, 0)` (eq. 40) and :math:`D\Sigma = \Sigma D`:
the A.3 condition (eq. 37) holds. Only existing synapses are plastic.

**Exact steady state.** :math:`\mathbf y_{FF} = \mathbf f`,
:math:`\mathbf y_E = K A\mathbf f` with :math:`K = (\mathbb I + BC)^{-1}`,
:math:`\mathbf y_I = C\mathbf y_E`, so with :math:`S_E = \langle\mathbf y_E\mathbf y_E^\top\rangle
= KA\Sigma_{FF}A^\top K^\top` the Hebbian field on the existing synapses is

.. math:: \dot A = KA\Sigma_{FF},\qquad \dot B = s\,S_E C^\top,\qquad \dot C = s\,C S_E,

with s = +1 (Hebbian everywhere, as in eqs. 42–44) or s = −1 (anti-Hebbian synapses in
the E↔I loop, the "rule-flipped" inhibitory plasticity of Pehlevan et al. as described in
the paper's Related work). To third order (eq. 44): :math:`\dot A = (\mathbb I - BC)A\Sigma_{FF}`,
:math:`\dot B = s\,A\Sigma_{FF}A^\top C^\top`, :math:`\dot C = s\,CA\Sigma_{FF}A^\top`; to first
order only :math:`\dot A = A\Sigma_{FF}` survives (a gradient field).

**Gradient structure (measured by the curl meter, see figure A).** On the three blocks as
independent synapses the field is *not* a gradient flow beyond first order: at third order
:math:`\partial\dot C/\partial B = 0` while :math:`\partial\dot B/\partial C \ne 0`, so no
block-diagonal metric symmetrises the Jacobian. On the invariant manifold
:math:`B = C^\top` (``Ḃ = Ċᵀ``, the paper's assumption before eq. 45), in coordinates (A, C),

.. math:: V(A, C) = \tfrac12\operatorname{Tr}\bigl(A^\top(\mathbb I + C^\top C)^{-1}A\,\Sigma_{FF}\bigr),
          \qquad \dot A = \partial V/\partial A,\qquad \dot C = -s\,\partial V/\partial C

exactly: with an anti-Hebbian loop (s = −1) the flow is gradient ascent on V (a gradient
flow); with Hebbian plasticity everywhere (s = +1) it is a gradient ascent–descent (saddle)
flow — a gradient flow only for the indefinite metric diag(+1 on A, −1 on C). Eq. (45)
:math:`-\tfrac12\nabla\operatorname{Tr}((M-\mathbb I)\Sigma_{rec})` matches the A block of
eq. (44) but has the opposite sign to eq. (44) on the B and C blocks.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from curldescent.analysis.curl_meter import Subspace, numpy_rng
from curldescent.models.recurrent import (
    HebbianRecurrent,
    input_correlation,
    input_correlation_from_samples,
)
from curldescent.specs import SpecError

LOOPS = ("hebbian", "anti")


class Blocks(NamedTuple):
    """The existing synapses: ``A`` (n_exc, n_ff), ``B`` (n_exc, n_inh), ``C`` (n_inh, n_exc)."""

    A: jnp.ndarray
    B: jnp.ndarray
    C: jnp.ndarray


class TiedParams(NamedTuple):
    """Coordinates on the manifold B = Cᵀ: ``A`` (n_exc, n_ff) and ``C`` (n_inh, n_exc)."""

    A: jnp.ndarray
    C: jnp.ndarray


def _check_size(name: str, v: Any, minimum: int) -> None:
    if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
        raise SpecError(f"{name} must be an integer >= {minimum} (got {v!r})")


@dataclass(frozen=True)
class PehlevanArchitecture:
    r"""Sizes and options of the A.4 circuit.

    Args:
        n_ff: feed-forward (input) neurons.
        n_exc: recurrent excitatory neurons.
        n_inh: inhibitory interneurons.
        loop: ``hebbian`` (s = +1, eqs. 42–44) or ``anti`` (s = −1 on the E↔I synapses).
        lateral: add E→E and I→I synapses (the paper's last paragraph of A.4: they should
            bring curl back).
    """

    n_ff: int = 4
    n_exc: int = 3
    n_inh: int = 2
    loop: str = "hebbian"
    lateral: bool = False

    def __post_init__(self) -> None:
        _check_size("n_ff", self.n_ff, 1)
        _check_size("n_exc", self.n_exc, 1)
        _check_size("n_inh", self.n_inh, 1)
        if self.loop not in LOOPS:
            raise SpecError(f"loop must be one of {', '.join(LOOPS)} (got {self.loop!r})")
        if not isinstance(self.lateral, bool):
            raise SpecError(f"lateral must be true or false (got {self.lateral!r})")

    @property
    def n(self) -> int:
        return self.n_ff + self.n_exc + self.n_inh

    @property
    def slices(self) -> tuple[slice, slice, slice]:
        f, e = self.n_ff, self.n_exc
        return slice(0, f), slice(f, f + e), slice(f + e, self.n)

    @property
    def loop_sign(self) -> float:
        return 1.0 if self.loop == "hebbian" else -1.0

    def signs(self) -> np.ndarray:
        """D of eq. (41)."""
        return np.concatenate([np.ones(self.n_ff + self.n_exc), -np.ones(self.n_inh)])

    def existence(self) -> np.ndarray:
        """0/1 matrix of existing synapses (eq. 39; plus E→E, I→I when ``lateral``)."""
        F, E, I = self.slices
        m = np.zeros((self.n, self.n))
        m[E, F] = m[E, I] = m[I, E] = 1.0
        if self.lateral:
            m[E, E] = m[I, I] = 1.0
        return m

    def plasticity(self) -> np.ndarray:
        """Per-synapse plasticity factors: existence × (+1, or s on the E↔I loop)."""
        E, I = self.slices[1], self.slices[2]
        p = self.existence()
        p[E, I] *= self.loop_sign
        p[I, E] *= self.loop_sign
        return p

    def subspace(self) -> Subspace:
        """The existing synapses, for the curl meter."""
        return Subspace.from_mask(self.existence())

    def input_correlation(
        self, key: Any, *, inhibitory_input: bool = False, n_samples: int | None = None
    ) -> np.ndarray:
        r"""Σ (eq. 40): a drive to the feed-forward population only — or, with
        ``inhibitory_input``, also a drive to the inhibitory neurons correlated with it.
        Constant drive (Σ = ffᵀ) when ``n_samples`` is None, else ⟨ffᵀ⟩ over Gaussian samples
        with a random mixing."""
        F, _, I = self.slices
        target = np.zeros(self.n, bool)
        target[F] = True
        if inhibitory_input:
            target[I] = True
        mask = target.astype(np.float64)
        rng = numpy_rng(key)
        if n_samples is None:
            return input_correlation(rng.standard_normal(self.n) * mask)
        mix = rng.standard_normal((self.n, self.n)) / np.sqrt(self.n)
        samples = (rng.standard_normal((n_samples, self.n)) @ mix.T) * mask[None, :]
        return input_correlation_from_samples(samples)

    def network(
        self, sigma: Any, *, order: int | None = None, gamma: float = 0.0
    ) -> HebbianRecurrent:
        """The circuit as a masked :class:`HebbianRecurrent` on the full N×N matrix W."""
        return HebbianRecurrent(
            d=self.signs(), sigma=sigma, plasticity=self.plasticity(), gamma=gamma, order=order
        )

    # ---- blocks ----------------------------------------------------------------------

    def assemble(self, blocks: Blocks) -> jnp.ndarray:
        """The full W of eq. (39) from its blocks (lateral blocks, if any, set to zero)."""
        xp = np if all(isinstance(b, np.ndarray) for b in blocks) else jnp
        A, B, C = (xp.asarray(b) for b in blocks)
        z = lambda r, c: xp.zeros((r, c), A.dtype)  # noqa: E731
        return xp.concatenate(
            [
                z(self.n_ff, self.n),
                xp.concatenate([A, z(self.n_exc, self.n_exc), B], axis=1),
                xp.concatenate([z(self.n_inh, self.n_ff), C, z(self.n_inh, self.n_inh)], axis=1),
            ],
            axis=0,
        )

    def split(self, W: jnp.ndarray) -> Blocks:
        F, E, I = self.slices
        return Blocks(W[E, F], W[E, I], W[I, E])

    def sample_blocks(self, key: Any, *, scale: float = 0.5) -> Blocks:
        r"""Non-negative magnitudes with entries ``scale·|Z|/√fan_in``."""
        return self._sample_blocks(numpy_rng(key), scale)

    def _sample_blocks(self, rng: np.random.Generator, scale: float) -> Blocks:
        def draw(shape, fan_in):
            return scale * np.abs(rng.standard_normal(shape)) / np.sqrt(fan_in)

        return Blocks(
            draw((self.n_exc, self.n_ff), self.n_ff),
            draw((self.n_exc, self.n_inh), self.n_inh),
            draw((self.n_inh, self.n_exc), self.n_exc),
        )

    def sample_weights(self, key: Any, *, scale: float = 0.5) -> np.ndarray:
        """A full W with the block structure of eq. (39) (lateral blocks drawn too when present)."""
        rng = numpy_rng(key)
        W = self.assemble(self._sample_blocks(rng, scale))
        if self.lateral:
            _, E, I = self.slices
            lat = scale * np.abs(rng.standard_normal((self.n, self.n))) / np.sqrt(self.n)
            keep = np.zeros((self.n, self.n))
            keep[E, E] = keep[I, I] = 1.0
            W = W + keep * lat
        return W

    def block_field(
        self, blocks: Blocks, sigma_ff: Any, *, order: int | None = None, loop_sign: Any = None
    ) -> Blocks:
        r"""Closed-form field on the existing synapses (module docstring): exact steady state
        (``order = None``), eq. (44) (``order = 3``) or first order (``order = 1``). Input
        to the feed-forward population only; no lateral synapses. ``loop_sign`` overrides
        s (default: from ``loop``)."""
        if self.lateral:
            raise SpecError(
                "block_field has no closed form with lateral synapses; use network().field"
            )
        A, B, C = blocks
        sig = jnp.asarray(sigma_ff, A.dtype)
        s = self.loop_sign if loop_sign is None else loop_sign
        if order is None:
            K = jnp.linalg.inv(jnp.eye(self.n_exc, dtype=A.dtype) + B @ C)
            S = K @ A @ sig @ A.T @ K.T
            return Blocks(K @ A @ sig, s * S @ C.T, s * C @ S)
        if order == 3:
            S = A @ sig @ A.T
            return Blocks(A @ sig - B @ C @ A @ sig, s * S @ C.T, s * C @ S)
        if order == 1:
            return Blocks(A @ sig, jnp.zeros_like(B), jnp.zeros_like(C))
        raise SpecError(f"block_field order must be 1, 3 or None (got {order!r})")

    def tied_field(
        self, params: TiedParams, sigma_ff: Any, *, order: int | None = None, loop_sign: Any = None
    ) -> TiedParams:
        r"""The field on the manifold B = Cᵀ in coordinates (A, C): :math:`(\dot A, \dot C)`."""
        out = self.block_field(
            Blocks(params.A, params.C.T, params.C), sigma_ff, order=order, loop_sign=loop_sign
        )
        return TiedParams(out.A, out.C)

    def tied_potential(self, params: TiedParams, sigma_ff: Any) -> jnp.ndarray:
        r""":math:`V = \tfrac12\operatorname{Tr}(A^\top(\mathbb I + C^\top C)^{-1}A\Sigma_{FF})`;
        exact field on B = Cᵀ: :math:`\dot A = \partial_A V`, :math:`\dot C = -s\,\partial_C V`."""
        A, C = params
        K = jnp.linalg.inv(jnp.eye(self.n_exc, dtype=A.dtype) + C.T @ C)
        return 0.5 * jnp.trace(A.T @ K @ A @ jnp.asarray(sigma_ff, A.dtype))


@dataclass(frozen=True, eq=False)
class TiedField:
    r"""The A.4 field on B = Cᵀ as a callable pytree ``(A, C) ↦ (Ȧ, Ċ)`` (Σ_FF is a leaf;
    the architecture and the order are static), for the curl meter."""

    arch: PehlevanArchitecture
    sigma_ff: Any
    order: int | None = None

    loop_sign: Any = None

    def __call__(self, params: TiedParams) -> TiedParams:
        return self.arch.tied_field(
            params, self.sigma_ff, order=self.order, loop_sign=self.loop_sign
        )


def _tied_flatten(t: TiedField):
    # the loop sign is a leaf and the architecture is stored without it: Hebbian and
    # anti-Hebbian loops of one size share one compiled meter
    sign = np.asarray(t.arch.loop_sign, np.float64) if t.loop_sign is None else t.loop_sign
    return (t.sigma_ff, sign), (replace(t.arch, loop="hebbian"), t.order)


jax.tree_util.register_pytree_node(
    TiedField, _tied_flatten, lambda aux, ch: TiedField(aux[0], ch[0], aux[1], ch[1])
)
