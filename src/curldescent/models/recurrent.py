r"""Linear recurrent rate networks with Hebbian plasticity (paper Section 2, Appendix A).

Neural dynamics (eq. 1; eq. 38; A.2 with D = I):

.. math:: \tau_y \dot{\mathbf y} = -\mathbf y + W D \mathbf y + \mathbf f,

with :math:`W` the recurrent weights (magnitudes when Dale's law holds), :math:`D =
\mathrm{diag}(d)` the presynaptic signs (:math:`d_i = +1` excitatory, −1 inhibitory) and
:math:`\mathbf f` an external drive. When the rates are fast compared with plasticity they
sit at the steady state

.. math:: \mathbf y^* = (\mathbb I - WD)^{-1}\mathbf f
          = \bigl(\mathbb I + WD + (WD)^2 + \dots\bigr)\mathbf f,

which exists and is stable when every eigenvalue of WD has real part < 1 (the series
converges when its spectral radius is < 1). Plasticity is Hebbian with a per-synapse sign
(Hebbian +1, anti-Hebbian −1, or 0 for a synapse that does not exist) and weight decay:

.. math:: \tau_W \dot W = P \odot \langle \mathbf y^*\mathbf y^{*\top}\rangle - \gamma W,
          \qquad \langle \mathbf y^*\mathbf y^{*\top}\rangle = R\,\Sigma\,R^\top,\quad
          R = (\mathbb I - WD)^{-1},\quad \Sigma = \langle \mathbf f\mathbf f^\top\rangle,

with ⟨·⟩ over constant (Σ = ffᵀ) or time-varying/sampled inputs (eq. 26). The field is
reported in units of :math:`1/\tau_W` (:math:`\tau_W = 1`). Truncating the Neumann series
at total order k in W gives

.. math:: \langle \mathbf y\mathbf y^\top\rangle_k = \sum_{a+b\le k} (WD)^a\,\Sigma\,(DW^\top)^b,

so ``order = 1`` is eq. (2) :math:`\Sigma + WD\Sigma + \Sigma DW^\top` (E–I) and eq. (24)
(Hebbian/anti-Hebbian), ``order = 3`` is eqs. (42)–(43), and ``order = None`` is exact.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from curldescent.specs import SpecError


def input_correlation(f: Any) -> np.ndarray:
    r""":math:`\Sigma = \mathbf f\mathbf f^\top` for a constant drive ``f`` (N,)."""
    xp = jnp if isinstance(f, jax.core.Tracer) else np
    f = xp.asarray(f, xp.float64)
    if f.ndim != 1:
        raise SpecError(f"f must be a vector (N,) (got shape {tuple(f.shape)})")
    return xp.outer(f, f)


def input_correlation_from_samples(F: Any) -> np.ndarray:
    r""":math:`\Sigma = \langle \mathbf f\mathbf f^\top\rangle = F^\top F / B` for B sampled
    drives, the rows of ``F`` (B, N) (eq. 26, time-varying inputs)."""
    xp = jnp if isinstance(F, jax.core.Tracer) else np
    F = xp.asarray(F, xp.float64)
    if F.ndim != 2:
        raise SpecError(f"F must be a (B, N) array of sampled drives (got shape {tuple(F.shape)})")
    return F.T @ F / F.shape[0]


@dataclass(frozen=True, eq=False)
class HebbianRecurrent:
    r"""A linear recurrent network with (signed, masked) Hebbian plasticity and weight decay.

    Args:
        d: (N,) presynaptic signs, ±1 (D in eq. 1; all +1 for A.2).
        sigma: (N, N) input second moment :math:`\Sigma = \langle\mathbf f\mathbf f^\top\rangle`.
        plasticity: (N, N) per-synapse factors P: +1 Hebbian, −1 anti-Hebbian (the mask
            M of eq. 23), 0 for a synapse that does not exist (A.4); default all +1.
        gamma: weight decay γ ≥ 0 (eq. 2).
        order: total order in W kept in :math:`\langle yy^\top\rangle` (1 = eqs. 2, 24;
            3 = eqs. 42–43), or ``None`` for the exact steady state.

    The model is a pytree (d, Σ, P and γ are leaves; the order is static) and a
    callable (``model(W)`` is :meth:`field`), so it can be passed to the curl meter as is.

    Examples:
        >>> import jax.numpy as jnp
        >>> net = HebbianRecurrent(d=jnp.array([1.0, -1.0]), sigma=jnp.eye(2), gamma=0.5)
        >>> net.field(jnp.zeros((2, 2))).tolist()
        [[1.0, 0.0], [0.0, 1.0]]
    """

    d: Any
    sigma: Any
    plasticity: Any = None
    gamma: float = 0.0
    order: int | None = None

    def __post_init__(self) -> None:
        # arrays are leaves of the pytree (one compilation serves models of equal shapes)
        for name in ("d", "sigma", "plasticity"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, jax.Array):
                object.__setattr__(self, name, np.asarray(value, np.float64))
        d = np.asarray(self.d, np.float64)
        if self.plasticity is None and d.ndim == 1:
            object.__setattr__(self, "plasticity", np.ones((d.size, d.size)))
        if d.ndim != 1 or not np.all(np.isin(d, (-1.0, 1.0))):
            raise SpecError("d must be a vector of +1 (excitatory) and -1 (inhibitory) entries")
        n = d.size
        if np.shape(self.sigma) != (n, n):
            raise SpecError(f"sigma must have shape ({n}, {n}) (got {np.shape(self.sigma)})")
        if self.plasticity is not None and np.shape(self.plasticity) != (n, n):
            raise SpecError(
                f"plasticity must have shape ({n}, {n}) (got {np.shape(self.plasticity)})"
            )
        if (
            isinstance(self.gamma, bool)
            or not isinstance(self.gamma, int | float | np.ndarray)
            or not np.all(np.asarray(self.gamma) >= 0)
        ):
            raise SpecError(f"gamma must be a number >= 0 (got {self.gamma!r})")
        object.__setattr__(self, "gamma", np.asarray(self.gamma, np.float64))
        if self.order is not None and (
            isinstance(self.order, bool) or not isinstance(self.order, int) or self.order < 0
        ):
            raise SpecError(
                f"order must be an integer >= 0 or None for the exact steady state (got {self.order!r})"
            )

    @property
    def n(self) -> int:
        return int(np.size(self.d))

    def _wd(self, W: jnp.ndarray) -> jnp.ndarray:
        return W * jnp.asarray(self.d, W.dtype)[None, :]

    def steady_state(self, W: jnp.ndarray, f: jnp.ndarray) -> jnp.ndarray:
        r"""Steady-state rates :math:`\mathbf y^*` for drive(s) ``f`` ((N,) or (B, N) rows):
        exact :math:`(\mathbb I - WD)^{-1}\mathbf f`, or the Neumann series to ``order``."""
        f = jnp.asarray(f, W.dtype)
        WD = self._wd(W)
        cols = f.T
        if self.order is None:
            out = jnp.linalg.solve(jnp.eye(self.n, dtype=W.dtype) - WD, cols)
        else:
            term, out = cols, cols
            for _ in range(self.order):
                term = WD @ term
                out = out + term
        return out.T

    def correlation(self, W: jnp.ndarray) -> jnp.ndarray:
        r""":math:`\langle \mathbf y^*\mathbf y^{*\top}\rangle`: exact :math:`R\Sigma R^\top`, or
        the terms of total order ≤ ``order`` in W (module docstring)."""
        sigma = jnp.asarray(self.sigma, W.dtype)
        WD = self._wd(W)
        if self.order is None:
            R = jnp.linalg.solve(
                jnp.eye(self.n, dtype=W.dtype) - WD, jnp.eye(self.n, dtype=W.dtype)
            )
            return R @ sigma @ R.T
        left = [sigma]  # (WD)^a Σ
        for _ in range(self.order):
            left.append(WD @ left[-1])
        out = jnp.zeros_like(sigma)
        for a in range(self.order + 1):
            right = left[a]  # (WD)^a Σ (DW^T)^b, b = 0..order-a
            for _b in range(self.order - a + 1):
                out = out + right
                right = right @ WD.T
        return out

    def field(self, W: jnp.ndarray) -> jnp.ndarray:
        r"""The learning field :math:`\tau_W\dot W = P\odot\langle yy^\top\rangle - \gamma W`."""
        corr = jnp.asarray(self.plasticity, W.dtype) * self.correlation(W)
        return corr - jnp.asarray(self.gamma, W.dtype) * W

    __call__ = field

    def field_from_samples(self, W: jnp.ndarray, F: jnp.ndarray) -> jnp.ndarray:
        r"""The same field from sampled drives (rows of ``F``): :math:`P\odot\frac1B\sum_n
        \mathbf y^*(\mathbf f_n)\mathbf y^*(\mathbf f_n)^\top - \gamma W`. Equals
        :meth:`field` with ``sigma = input_correlation_from_samples(F)`` (a second route)."""
        Y = self.steady_state(W, F)
        corr = jnp.asarray(self.plasticity, W.dtype) * (Y.T @ Y / Y.shape[0])
        return corr - jnp.asarray(self.gamma, W.dtype) * W

    def relax(
        self,
        W: jnp.ndarray,
        f: jnp.ndarray,
        *,
        t_max: float = 50.0,
        dt: float = 0.01,
        tau_y: float = 1.0,
    ) -> jnp.ndarray:
        r"""Integrate the rate dynamics (eq. 1) from y = 0 for ``t_max`` with forward Euler
        steps ``dt`` (a route to :math:`\mathbf y^*` that does not invert a matrix)."""
        WD = self._wd(jnp.asarray(W))
        return _relax(
            WD, jnp.asarray(f, WD.dtype), jnp.asarray(dt / tau_y, WD.dtype), int(round(t_max / dt))
        )

    def stable(self, W: jnp.ndarray) -> jnp.ndarray:
        """True if every eigenvalue of WD has real part < 1 (the steady state is an attractor)."""
        return jnp.max(jnp.real(jnp.linalg.eigvals(self._wd(W)))) < 1.0


@functools.partial(jax.jit, static_argnums=3)
def _relax(WD: jnp.ndarray, f: jnp.ndarray, h: jnp.ndarray, n_steps: int) -> jnp.ndarray:
    def step(y, _):
        return y + h * (-y + WD @ y + f), None

    y, _ = jax.lax.scan(step, jnp.zeros_like(f), None, length=n_steps)
    return y


_LEAVES = ("d", "sigma", "plasticity", "gamma")


def _flatten(model: HebbianRecurrent):
    return tuple(getattr(model, name) for name in _LEAVES), model.order


def _unflatten(order, children) -> HebbianRecurrent:
    model = object.__new__(HebbianRecurrent)  # no validation: children may be tracers
    for name, value in zip(_LEAVES, children, strict=True):
        object.__setattr__(model, name, value)
    object.__setattr__(model, "order", order)
    return model


jax.tree_util.register_pytree_node(HebbianRecurrent, _flatten, _unflatten)
