r"""The two-neuron toy model (Section 4.1, Fig. 1): :math:`M = N = K = 1`, scalar weights
:math:`w_1, w_2`, teacher map :math:`s = w_1^\star w_2^\star`, loss
:math:`\mathcal L = \tfrac12(s - w_1w_2)^2` (whitened input).

.. math::
    \text{gradient flow (eq. 7):}\quad \dot w_1 = w_2(s - w_2w_1),\quad \dot w_2 = w_1(s-w_2w_1);

    \text{curl flow (eq. 8):}\quad \dot w_1 = w_2(s - w_2w_1),\quad \dot w_2 = -w_1(s-w_2w_1),

i.e. curl descent with the hidden neuron's (presynaptic to :math:`w_2`) rule flipped,
:math:`D_2 = -1` (:func:`toy_plasticity`). Facts (checked in the tests by autodiff and by
integration):

* Jacobian of the curl flow, eq. (9): :math:`J = \begin{pmatrix}-w_2^2 & s - 2w_1w_2\\
  2w_1w_2 - s & w_1^2\end{pmatrix}`. On the solution hyperbola :math:`w_1w_2 = s` its
  eigenvalues are :math:`0` and :math:`w_1^2 - w_2^2`: the half with :math:`|w_2| > |w_1|` is
  (neutrally) stable, the other half unstable. Gradient flow: :math:`0` and
  :math:`-(w_1^2+w_2^2)`.
* At the origin: :math:`\pm i s` for curl flow (a centre), :math:`\pm s` for gradient flow (a saddle).
* Curl flow conserves :math:`w_1^2 + w_2^2` (:math:`\tfrac{d}{dt}(w_1^2+w_2^2) = 2E(w_1w_2 - w_2w_1) = 0`);
  gradient flow conserves :math:`w_1^2 - w_2^2`. Curl orbits are therefore arcs of circles.
  A circle of radius :math:`R` meets the hyperbola iff :math:`R^2 \ge 2|s|`; the separatrix is
  the circle **tangent** to it, :math:`w_1^2 + w_2^2 = 2|s|` (the paper prints ":math:`= s`":
  see ``docs/protocol.md``, known slips). Inside it, :math:`E = s - w_1w_2 \ge s - R^2/2 > 0`
  never vanishes and the orbit circles the origin forever (loss bounded below by
  :math:`\tfrac12(|s| - R^2/2)^2`); outside, the orbit converges to a stable crossing
  point, where :math:`\{w_1^2, w_2^2\} = \{t_-, t_+\}`, :math:`t_\pm = (R^2 \pm \sqrt{R^4-4s^2})/2`,
  with :math:`w_2^2 = t_+` (:func:`curl_limit`). On the separatrix the two tangent points
  :math:`\pm(\sqrt s, \sqrt s)` are joined by two heteroclinic arcs (:func:`heteroclinic_orbits`).

Examples:
    >>> round(separatrix_radius(1.0) ** 2, 12)
    2.0
    >>> toy_origin_eigenvalues(2.0, "curl").imag   # ±i s at the origin
    array([ 2., -2.])
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np
from scipy.integrate import solve_ivp

from curldescent.rules.base import Plasticity
from curldescent.specs import SpecError

__all__ = [
    "TOY_RULES",
    "ToyTrajectory",
    "conserved_quantity",
    "curl_limit",
    "heteroclinic_orbits",
    "integrate",
    "separatrix_radius",
    "solution_hyperbola",
    "toy_field",
    "toy_jacobian",
    "toy_loss",
    "toy_manifold_eigenvalues",
    "toy_origin_eigenvalues",
    "toy_plasticity",
]

TOY_RULES = ("gradient", "curl")


def _sign(rule: str) -> float:
    if rule not in TOY_RULES:
        raise SpecError(f"rule must be one of {', '.join(TOY_RULES)} (got {rule!r})")
    return 1.0 if rule == "gradient" else -1.0


def toy_plasticity(rule: str) -> Plasticity:
    """The rule as the engine's :class:`~curldescent.rules.Plasticity` for M = N = K = 1
    (curl: the readout rule's presynaptic sign D2 = −1, eq. 8)."""
    one = jnp.ones((1,), jnp.float64)
    return Plasticity(one, _sign(rule) * one, one, one)


def toy_field(w1, w2, s: float, rule: str):
    """The flow ``(dw1/dt, dw2/dt)`` of eqs. (7)/(8); broadcasts over arrays (phase-plane grids)."""
    sign = _sign(rule)
    E = s - w1 * w2
    return w2 * E, sign * w1 * E


def toy_loss(w1, w2, s: float):
    r""":math:`\mathcal L = \tfrac12(s - w_1w_2)^2`."""
    return 0.5 * (s - w1 * w2) ** 2


def toy_jacobian(w1: float, w2: float, s: float, rule: str) -> np.ndarray:
    """Closed-form 2×2 Jacobian; eq. (9) for the curl flow."""
    sign = _sign(rule)
    return np.array([[-(w2**2), s - 2 * w1 * w2], [sign * (s - 2 * w1 * w2), -sign * w1**2]])


def toy_manifold_eigenvalues(w1: float, w2: float, rule: str) -> np.ndarray:
    r"""Eigenvalues on the hyperbola :math:`w_1w_2 = s`: ``[0, w1² − w2²]`` (curl), ``[0, −(w1² + w2²)]`` (gradient)."""
    sign = _sign(rule)
    return np.array([0.0, -(w2**2) - sign * w1**2])


def toy_origin_eigenvalues(s: float, rule: str) -> np.ndarray:
    r"""Eigenvalues at the origin: :math:`\pm i s` (curl) or :math:`\pm s` (gradient)."""
    root = np.sqrt(complex(_sign(rule) * s * s))
    return np.array([root, -root])


def conserved_quantity(w1, w2, rule: str):
    """w1² + w2² (curl flow) or w1² − w2² (gradient flow)."""
    return w1**2 - _sign(rule) * w2**2


def separatrix_radius(s: float) -> float:
    r"""Radius :math:`\sqrt{2|s|}` of the separatrix circle, tangent to the hyperbola :math:`w_1w_2 = s`."""
    if s == 0:
        raise SpecError("s must be non-zero for the separatrix (got 0)")
    return math.sqrt(2.0 * abs(s))


def curl_limit(radius_sq: float, s: float) -> tuple[float, float]:
    r"""``(|w1|, |w2|)`` of the stable crossing point reached by a curl orbit with
    :math:`w_1^2 + w_2^2 = R^2 > 2|s|`: :math:`(\sqrt{t_-}, \sqrt{t_+})`."""
    disc = radius_sq**2 - 4.0 * s * s
    if disc < 0:
        raise SpecError(
            f"radius_sq must be >= 2|s| = {2 * abs(s)} for the orbit to reach the manifold (got {radius_sq})"
        )
    return math.sqrt((radius_sq - math.sqrt(disc)) / 2.0), math.sqrt(
        (radius_sq + math.sqrt(disc)) / 2.0
    )


def solution_hyperbola(s: float, w_max: float, n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """Two branches of w1·w2 = s inside the box |w1|, |w2| ≤ w_max, each an (n, 2) array."""
    w_min = abs(s) / w_max
    w1 = np.geomspace(w_min, w_max, n)
    branch = np.stack([w1, s / w1], axis=1)
    return branch, -branch


def heteroclinic_orbits(s: float, n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    r"""The two heteroclinic arcs of the curl flow on the separatrix circle, each an (n, 2) array
    ordered along the flow. On the circle :math:`E = s - w_1w_2 \ge 0` (:math:`s>0`), so the flow
    turns clockwise from one tangent point to the other: from :math:`(\sqrt s,\sqrt s)` to
    :math:`(-\sqrt s,-\sqrt s)` through :math:`w_1>0>w_2`, and back through :math:`w_1<0<w_2`.
    For :math:`s<0` the tangent points are :math:`\pm(\sqrt{|s|}, -\sqrt{|s|})` and the flow is counter-clockwise."""
    r = separatrix_radius(s)
    if s > 0:
        th = np.linspace(np.pi / 4, -3 * np.pi / 4, n)
        th2 = th - np.pi
    else:
        th = np.linspace(-np.pi / 4, 3 * np.pi / 4, n)
        th2 = th + np.pi
    return np.stack([r * np.cos(th), r * np.sin(th)], 1), np.stack(
        [r * np.cos(th2), r * np.sin(th2)], 1
    )


class ToyTrajectory(NamedTuple):
    t: np.ndarray  # (T,) times
    w1: np.ndarray  # (T,)
    w2: np.ndarray  # (T,)
    loss: np.ndarray  # (T,) 1/2 (s - w1 w2)^2


def integrate(
    w0: tuple[float, float],
    s: float,
    rule: str,
    t_max: float,
    *,
    t_eval=None,
    n_points: int = 2001,
    rtol: float = 1e-11,
    atol: float = 1e-13,
) -> ToyTrajectory:
    """Integrate the toy flow from ``w0`` over [0, t_max] (SciPy DOP853, tight tolerances).

    Args:
        w0: initial ``(w1, w2)``. s: teacher map. rule: ``gradient`` or ``curl``.
        t_eval: times to report (default: ``n_points`` equally spaced).
    """
    _sign(rule)
    if t_eval is None:
        t_eval = np.linspace(0.0, t_max, n_points)

    def rhs(_t, w):
        return toy_field(w[0], w[1], s, rule)

    sol = solve_ivp(
        rhs,
        (0.0, float(t_max)),
        [float(w0[0]), float(w0[1])],
        method="DOP853",
        t_eval=t_eval,
        rtol=rtol,
        atol=atol,
    )
    if not sol.success:  # pragma: no cover - DOP853 on a polynomial field
        raise RuntimeError(sol.message)
    w1, w2 = sol.y
    return ToyTrajectory(sol.t, w1, w2, toy_loss(w1, w2, s))
