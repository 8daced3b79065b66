r"""Large-N stability boundaries of the solution manifold (Section 4.2, Appendix B.4).

On the manifold the non-structural Jacobian eigenvalues are :math:`-\operatorname{eig}(X)`,
:math:`X = D_1 + W_1^\top D_2 W_1` in the large-N limit (eq. 12 with
:math:`\lVert W_2\rVert^2\to1`). The manifold is stable iff the **lower edge** :math:`x_-` of the
limiting spectrum of :math:`X` is positive. Two polynomial routes, one per flipped layer,
with coefficients derived once (symbolically, with sympy, at development time) and
hard-coded below as formulas in :math:`c`, :math:`\alpha` and the spectral variable:

**Hidden flips** (:math:`D_2 = I`, App. B.4.1; the heading there says :math:`D_2 = I_M`, read
:math:`I_N`). With :math:`\Delta = 1-2\alpha_h`, the Blue-function equation
:math:`x = B_X(\omega)` (eqs. 113–116) squared and multiplied by :math:`(1-\omega)^2` gives the
quartic :math:`P_x(\omega)` of eqs. (117)–(122), with :math:`a_0 = 0`: :math:`P_x = \omega\,Q_x`
with the cubic (:func:`hidden_cubic`)

.. math:: Q_x(\omega) = 4(x^2-1)\,\omega^3 - \tfrac4c(\Delta c + 2cx^2 + cx - 2c - 2x)\,\omega^2
    + \tfrac4{c^2}(2\Delta c^2 + c^2x^2 + 2c^2x - c^2 - 2cx - c + 1)\,\omega
    - \tfrac4c(\Delta c + cx - 1).

An edge of the support is a double root (eq. 125). Eliminating :math:`\omega`
(:math:`\operatorname{Res}_\omega(P_x, P_x')`) gives a degree-8 polynomial in :math:`x`
equal, up to a constant, to :math:`(x^2-1)(x - 1/c + \Delta)^2\,q(x)`: the factor
:math:`x^2-1` is the vanishing leading coefficient, :math:`(x-1/c+\Delta)^2` is the spurious
root :math:`\omega = 0` (:math:`Q_x(0) = 0`), and the physical **quartic** :math:`q(x)`
(:func:`hidden_edge_quartic`) is the discriminant of :math:`Q_x` (eq. 125's "quartic in
x"; see ``docs/protocol.md``, known slips).

**Readout flips** (:math:`D_1 = I`, App. B.4.2): :math:`X = I + W_+ - W_-`, a shifted
difference of two Wishart matrices (Kumar & Sai Charan 2020) whose Blue function is
rational, :math:`B_X(g) = 1/g + 1 + \frac{1-\alpha_r}{c(1-g)} - \frac{\alpha_r}{c(1+g)}`.
Clearing denominators, :math:`z = B_X(g)` is the cubic (:func:`readout_cubic`)

.. math:: -c(z-1)\,g^3 + (c-1)\,g^2 + (2\alpha_r + cz - c - 1)\,g - c = 0,

and the edges are real roots of its discriminant (:func:`readout_discriminant`). In these
variables (the M×M Cauchy transform and its Blue function) the cubic's coefficients are
affine in :math:`z` and the discriminant is a **quartic** in :math:`z` (the resultant with
the derivative adds only the spurious factor :math:`z-1`). The issue and ``docs/protocol.md``
describe a "sextic in z": that degree belongs to another choice of variables for the same
equation (we did not reconstruct it); whatever the variables, the physical edges are the
same real roots, and the tests check this quartic against the numerical discriminant of
the cubic, against the fixed-point route and against sampled matrices.

**Filtering** (:func:`edge_candidates`): not every real root is an edge. For each real root
:math:`x_k` the double root :math:`\omega_k` is computed from :math:`Q'` (well conditioned)
and classified by the subordination (branch) condition: below the support the Cauchy
transform is real, negative and the analytic continuation of :math:`G\sim1/x` from
:math:`x=-\infty`, i.e. the branch of :math:`B_X` on :math:`\omega\in(\omega_{end}, 0)` with
the subordination variable :math:`u = x - R_B(\omega)` below the spectrum of :math:`D_1`; the
lower edge is the first critical point of that branch, i.e. the valid double root with the
**largest** :math:`\omega<0`. Symmetrically, the upper edge is the valid double root with the
smallest :math:`\omega\in(0,1)`. Roots whose double root is complex or on the other branch of
:math:`B_{D_1}` are spurious; valid roots between the outer edges bound inner gaps
(classified with the fixed-point density in :func:`support_intervals`). Where the branch
has no critical point, an atom ends the spectrum (at :math:`-1`, weight
:math:`\alpha_h - 1/c`, when :math:`c\alpha_h > 1`).

**Boundaries**: :math:`x_- = 0` turns the quartic at :math:`x = 0` into a polynomial in
:math:`c` (hidden: quartic, :func:`_hidden_c_poly`; readout: cubic) or in :math:`\Delta`
(hidden, cubic) and :math:`\alpha_r` (readout, cubic): :func:`critical_c` and
:func:`critical_alpha` take its positive real roots and keep the one where the physical
lower edge actually crosses zero. Results (checked in the tests against the fixed-point
route, bisection and sampled matrices):

* hidden: :math:`c_{crit}(\alpha_h)` decreases from :math:`2/3` as :math:`\alpha_h\to0^+`
  (:math:`2/3 - c_{crit}\propto\sqrt{\alpha_h}`) to :math:`1/4` at :math:`\alpha_h = 1`;
  :math:`\alpha_h = 0` is stable for every :math:`c`. The paper's "c ≈ 0.3, weakly dependent
  on :math:`\alpha_h`" holds for moderate and large :math:`\alpha_h` only (``docs/protocol.md``).
* readout: :math:`\alpha_r \ge 1/2` is unstable for every :math:`c`; :math:`c_{crit}(\alpha_r)`
  decreases with :math:`\alpha_r` (from :math:`\infty` at :math:`0^+` to :math:`0` at :math:`1/2`);
  :math:`\alpha_r^{crit}(c)` decreases from :math:`1/2` (:math:`c\to0`) to a few percent at
  :math:`c = 1` and below one percent at :math:`c = 10`.

Every function is plain NumPy (``numpy.roots`` on 4×4 companion matrices): a boundary
curve of 50 points takes milliseconds.

Examples:
    >>> b = critical_c("hidden", 1.0)
    >>> round(b.c_crit, 12), b.regime
    (0.25, 'stable for c < c_crit')
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from curldescent.specs import SpecError
from curldescent.theory.freeprob import cauchy_d1, check_model, density, fold_edges, r_transform_b

__all__ = [
    "LAYERS",
    "AlphaBoundary",
    "Boundary",
    "EdgeCandidate",
    "boundary_curve",
    "critical_alpha",
    "critical_alpha_curve",
    "critical_c",
    "edge_candidates",
    "hidden_cubic",
    "hidden_edge_quartic",
    "large_n_edges",
    "LargeNEdges",
    "lower_edge",
    "readout_cubic",
    "readout_discriminant",
    "spectral_edges",
    "stability_map",
    "support_intervals",
    "wishart_edges",
]

LAYERS = ("hidden", "readout")


def _check_layer(layer: str) -> None:
    if layer not in LAYERS:
        raise SpecError(f"layer must be one of {', '.join(LAYERS)} (got {layer!r})")


def _check_alpha(alpha: float) -> None:
    if (
        isinstance(alpha, bool)
        or not isinstance(alpha, int | float | np.floating | np.integer)
        or not 0.0 <= alpha <= 1.0
    ):
        raise SpecError(f"alpha must lie in [0, 1] (got {alpha!r})")


def _split(layer: str, alpha: float) -> tuple[float, float]:
    return (alpha, 0.0) if layer == "hidden" else (0.0, alpha)


# ----------------------------------------------------------------------------- polynomials
# Derived with sympy (development time, not at run time):
#   hidden:  P = expand(((2w(x - 1/(c(1-w))) - 1)^2 - (1 + 4w(w+D))) (1-w)^2)  -> eqs. 117-122,
#            Q = P/w; q(x) = discriminant(Q, w) * c^6/256; the resultant of P and P' factors
#            as 16384 c^-8 (x-1)(x+1)(D c + c x - 1)^2 q(x).
#   readout: cubic = expand((z - B_X(g)) g (1-g)(1+g) c); discriminant(cubic, g) exactly.
# The tests recompute both discriminants numerically from the cubics (Sylvester route).


def hidden_cubic(x: float, c: float, alpha: float) -> np.ndarray:
    r"""Coefficients (highest first) of :math:`Q_x(\omega) = P_x(\omega)/\omega`, eqs. (117)–(121)."""
    D = 1.0 - 2.0 * alpha
    return np.array(
        [
            4.0 * (x * x - 1.0),
            -4.0 * (D * c + 2.0 * c * x * x + c * x - 2.0 * c - 2.0 * x) / c,
            4.0
            * (2.0 * D * c * c + c * c * x * x + 2.0 * c * c * x - c * c - 2.0 * c * x - c + 1.0)
            / (c * c),
            -4.0 * (D * c + c * x - 1.0) / c,
        ]
    )


def hidden_edge_quartic(c: float, alpha: float) -> np.ndarray:
    r"""Coefficients (highest first) of the physical quartic :math:`q(x)` whose real roots
    contain the support edges of :math:`D_1 + W_1^\top W_1` (eq. 125, spurious factors removed).

    :math:`q(x) = c^6\,\mathrm{disc}_\omega(Q_x)/256`, with :math:`\Delta = 1-2\alpha_h`:

    - :math:`x^4`: :math:`c^4(4\Delta+5)`
    - :math:`x^3`: :math:`-2c^3(4\Delta c + 6\Delta + 5c + 9)`
    - :math:`x^2`: :math:`-c^2(8\Delta^2c^2 + 14\Delta c^2 + 2\Delta c - 12\Delta + 5c^2 - 2c - 25)`
    - :math:`x^1`: :math:`2c(4\Delta^2c^3 - 10\Delta^2c^2 + 9\Delta c^3 - 6\Delta c^2 + 5\Delta c - 2\Delta + 5c^3 + 7c^2 + 8c - 8)`
    - :math:`x^0`: :func:`_hidden_c_poly` evaluated at :math:`c`.
    """
    D = 1.0 - 2.0 * alpha
    c2, c3, c4 = c * c, c**3, c**4
    return np.array(
        [
            c4 * (4 * D + 5),
            -2 * c3 * (4 * D * c + 6 * D + 5 * c + 9),
            -c2 * (8 * D * D * c2 + 14 * D * c2 + 2 * D * c - 12 * D + 5 * c2 - 2 * c - 25),
            2
            * c
            * (
                4 * D * D * c3
                - 10 * D * D * c2
                + 9 * D * c3
                - 6 * D * c2
                + 5 * D * c
                - 2 * D
                + 5 * c3
                + 7 * c2
                + 8 * c
                - 8
            ),
            np.polyval(_hidden_c_poly(alpha), c),
        ]
    )


def _hidden_c_poly(alpha: float) -> np.ndarray:
    r""":math:`q(0)` as a quartic in :math:`c`: :math:`(\Delta+1)^2(4\Delta+5)c^4 - 2(\Delta^2+11\Delta+12)c^3
    + (\Delta^2+20\Delta+4)c^2 - 12c + 4`."""
    D = 1.0 - 2.0 * alpha
    return np.array(
        [(D + 1) ** 2 * (4 * D + 5), -2 * (D * D + 11 * D + 12), D * D + 20 * D + 4, -12.0, 4.0]
    )


def _hidden_delta_poly(c: float) -> np.ndarray:
    r""":math:`q(0)` as a cubic in :math:`\Delta`: :math:`4c^4\Delta^3 + (13c^4-2c^3+c^2)\Delta^2
    + (14c^4-22c^3+20c^2)\Delta + 5c^4-24c^3+4c^2-12c+4`."""
    c2, c3, c4 = c * c, c**3, c**4
    return np.array(
        [
            4 * c4,
            13 * c4 - 2 * c3 + c2,
            14 * c4 - 22 * c3 + 20 * c2,
            5 * c4 - 24 * c3 + 4 * c2 - 12 * c + 4,
        ]
    )


def readout_cubic(z: float, c: float, alpha: float) -> np.ndarray:
    r"""Coefficients (highest first) of the cubic in :math:`g = G_X(z)` for :math:`X = I + W_1^\top D_2W_1`:
    :math:`-c(z-1)g^3 + (c-1)g^2 + (2\alpha_r + cz - c - 1)g - c`."""
    return np.array([-c * (z - 1.0), c - 1.0, 2.0 * alpha + c * z - c - 1.0, -c])


def readout_discriminant(c: float, alpha: float) -> np.ndarray:
    r"""Coefficients (highest first) of the discriminant of :func:`readout_cubic`, a quartic in :math:`z`:

    - :math:`z^4`: :math:`4c^4`
    - :math:`z^3`: :math:`-4c^3(4c + 3 - 6\alpha)`
    - :math:`z^2`: :math:`c^2(48\alpha^2 - 72\alpha c - 48\alpha + 16c^2 + 16c + 13)`
    - :math:`z^1`: :math:`2c(16\alpha^3 - 48\alpha^2c - 24\alpha^2 + 56\alpha c^2 + 26\alpha c + 14\alpha - 8c^2 - 2c - 3)`
    - :math:`z^0`: :func:`_readout_c_poly` evaluated at :math:`c`.
    """
    a = alpha
    return np.array(
        [
            4 * c**4,
            -4 * c**3 * (4 * c + 3 - 6 * a),
            c * c * (48 * a * a - 72 * a * c - 48 * a + 16 * c * c + 16 * c + 13),
            2
            * c
            * (
                16 * a**3
                - 48 * a * a * c
                - 24 * a * a
                + 56 * a * c * c
                + 26 * a * c
                + 14 * a
                - 8 * c * c
                - 2 * c
                - 3
            ),
            np.polyval(_readout_c_poly(alpha), c),
        ]
    )


def _readout_c_poly(alpha: float) -> np.ndarray:
    r"""Discriminant at :math:`z = 0` as a cubic in :math:`c`:
    :math:`-64\alpha c^3 + 4(13\alpha^2-2\alpha+1)c^2 - 4\alpha(8\alpha^2-10\alpha+5)c + (2\alpha-1)^2`."""
    a = alpha
    return np.array(
        [-64 * a, 4 * (13 * a * a - 2 * a + 1), -4 * a * (8 * a * a - 10 * a + 5), (2 * a - 1) ** 2]
    )


def _readout_alpha_poly(c: float) -> np.ndarray:
    r"""Discriminant at :math:`z = 0` as a cubic in :math:`\alpha_r`:
    :math:`-32c\alpha^3 + 4(13c^2+10c+1)\alpha^2 - 4(16c^3+2c^2+5c+1)\alpha + 4c^2+1`."""
    return np.array(
        [
            -32 * c,
            4 * (13 * c * c + 10 * c + 1),
            -4 * (16 * c**3 + 2 * c * c + 5 * c + 1),
            4 * c * c + 1,
        ]
    )


def _real_roots(coeffs: np.ndarray, rel: float = 1e-7) -> np.ndarray:
    coeffs = np.trim_zeros(np.asarray(coeffs, float), "f")
    if coeffs.size < 2:
        return np.empty(0)
    r = np.roots(coeffs)
    keep = np.abs(r.imag) <= rel * (1.0 + np.abs(r.real))
    return np.sort(r[keep].real)


# ----------------------------------------------------------------------------- candidates


@dataclass(frozen=True)
class EdgeCandidate:
    """A real root ``x`` of the edge polynomial with its double root ``omega`` and its class:
    ``lower``/``upper`` (on the physical branch below/above the spectrum), ``inner`` (valid
    double root elsewhere: possible inner-gap edge) or ``spurious``."""

    x: float
    omega: complex
    kind: str


def _double_root(cubic: np.ndarray) -> complex:
    """The double root of a cubic with a (near-)zero discriminant, from the roots of its
    derivative (simple roots, well conditioned): the one where the cubic is smallest relative to
    the size of its terms. NaN when no derivative root is a root of the cubic (to 1e-6), e.g.
    when the double root has gone to infinity (vanishing leading coefficient)."""
    cubic = np.asarray(cubic, float)
    deriv = np.trim_zeros(np.polyder(cubic), "f")
    if deriv.size < 2:
        return complex(np.nan, np.nan)
    r = np.roots(deriv)
    powers = np.abs(r)[:, None] ** np.arange(cubic.size - 1, -1, -1)[None, :]
    rel = np.abs(np.polyval(cubic, r)) / np.maximum(
        (np.abs(cubic)[None, :] * powers).sum(axis=1), 1e-300
    )
    i = int(np.argmin(rel))
    return complex(r[i]) if rel[i] < 1e-6 else complex(np.nan, np.nan)


def _branch_ends(layer: str, alpha: float) -> tuple[float, float]:
    """Ends of the g-range of the physical branch below (``lo``) and above (``hi``) the spectrum."""
    if layer == "hidden":
        return -np.inf, 1.0
    return (-1.0 if alpha > 0 else -np.inf), (1.0 if alpha < 1 else np.inf)


def edge_candidates(layer: str, c: float, alpha: float) -> list[EdgeCandidate]:
    r"""Real roots of the edge polynomial, each with its double root and its class (see module docstring)."""
    _check_layer(layer)
    _check_alpha(alpha)
    check_model(c)
    c, alpha = float(c), float(alpha)
    lo, hi = _branch_ends(layer, alpha)
    out = []
    if layer == "hidden":
        xs = _real_roots(hidden_edge_quartic(c, alpha))
        dmin = -1.0 if alpha > 0 else 1.0
        dmax = 1.0 if alpha < 1 else -1.0
    else:
        xs = _real_roots(readout_discriminant(c, alpha))
    for x in xs:
        cubic = hidden_cubic(x, c, alpha) if layer == "hidden" else readout_cubic(x, c, alpha)
        w = _double_root(cubic)
        kind = "spurious"
        if np.isfinite(w.real) and abs(w.imag) <= 1e-7 * (1.0 + abs(w.real)):
            g = w.real
            if layer == "hidden":
                u = x - r_transform_b(g, c, 0.0)  # subordination variable of D1
                # every root solves g (u^2 - 1) = u + Delta; G_D1(u) = g excludes the
                # removable 0/0 solutions u = -1 (alpha = 0) and u = +1 (alpha = 1)
                if abs(cauchy_d1(u, alpha) - g) > 1e-6 * (1.0 + abs(g)):
                    kind = "spurious"
                elif lo < g < 0 and u < dmin:
                    kind = "lower"
                elif 0 < g < hi and u > dmax:
                    kind = "upper"
                else:
                    kind = "inner"
            else:
                if lo < g < 0:
                    kind = "lower"
                elif 0 < g < hi:
                    kind = "upper"
                else:
                    kind = "inner"
        out.append(EdgeCandidate(float(x), w, kind))
    return out


def wishart_edges(c: float) -> tuple[float, float]:
    r"""Support ``(lower, upper)`` of :math:`S = W_1^\top W_1` with eq. (14) entries, eq. (109):
    :math:`[(1-\sqrt c)^2/c,\ (1+\sqrt c)^2/c]` for :math:`c<1`; for :math:`c\ge1` the lower end is
    0 (an atom of weight :math:`1-1/c` for :math:`c>1`, a hard edge at :math:`c=1`)."""
    check_model(c)
    r = math.sqrt(c)
    return ((1.0 - r) ** 2 / c if c < 1 else 0.0), (1.0 + r) ** 2 / c


def _pure_wishart_edges(layer: str, c: float, alpha: float) -> tuple[float, float]:
    """Closed forms for no or all flips: X = ±I + S (hidden) or I ± S (readout). At these
    points the cubics acquire spurious factors (u = ∓1, g = ∓1) and are not used."""
    lo, hi = wishart_edges(c)
    if layer == "hidden":
        shift = 1.0 if alpha == 0.0 else -1.0
        return shift + lo, shift + hi
    if alpha == 0.0:
        return 1.0 + lo, 1.0 + hi
    return 1.0 - hi, 1.0 - lo


def spectral_edges(layer: str, c: float, alpha: float) -> tuple[float, float]:
    r"""Outer edges ``(lower, upper)`` of the large-N spectrum of :math:`X` (polynomial route).

    Lower: the valid candidate with the largest :math:`\omega<0` (first critical point of the
    physical branch of :math:`B_X` coming from :math:`\omega = 0^-`); upper: the valid candidate
    with the smallest :math:`\omega>0`. Without a valid candidate the spectrum ends in an atom:
    at :math:`\min\operatorname{spec}D_1` (hidden). For :math:`\alpha\in\{0,1\}` the closed forms of
    :func:`wishart_edges` are used (:math:`X = \pm I + S` or :math:`I\pm S`).
    """
    _check_layer(layer)
    _check_alpha(alpha)
    check_model(c)
    if alpha in (0.0, 1.0):
        return _pure_wishart_edges(layer, float(c), float(alpha))
    cands = edge_candidates(layer, c, alpha)
    lows = [k for k in cands if k.kind == "lower"]
    ups = [k for k in cands if k.kind == "upper"]
    if lows:
        lower = max(lows, key=lambda k: k.omega.real).x
    else:
        lower = (-1.0 if alpha > 0 else 1.0) if layer == "hidden" else 1.0
    if ups:
        upper = min(ups, key=lambda k: k.omega.real).x
    else:
        upper = (1.0 if alpha < 1 else -1.0) if layer == "hidden" else 1.0
    return float(lower), float(upper)


def lower_edge(layer: str, c: float, alpha: float) -> float:
    r"""Lower edge :math:`x_-` of the large-N spectrum of :math:`X`; the largest non-structural
    Jacobian eigenvalue on the manifold is :math:`-x_-` (stable iff :math:`x_->0`)."""
    return spectral_edges(layer, c, alpha)[0]


@dataclass(frozen=True)
class LargeNEdges:
    """Outer edges of the large-N spectrum of X = D1 + W1ᵀD2W1 and what they imply for the
    Jacobian on the manifold (eigenvalues in [jacobian_min, jacobian_max] = [−upper, −lower])."""

    c: float
    alpha_hidden: float
    alpha_readout: float
    lower_edge: float
    upper_edge: float
    method: str

    @property
    def jacobian_max(self) -> float:
        return -self.lower_edge

    @property
    def jacobian_min(self) -> float:
        return -self.upper_edge

    @property
    def stable(self) -> bool:
        return self.lower_edge > 0

    def to_dict(self) -> dict:
        return {
            **asdict(self),
            "jacobian_max": self.jacobian_max,
            "jacobian_min": self.jacobian_min,
            "stable": self.stable,
        }


def large_n_edges(c: float, alpha_hidden: float = 0.0, alpha_readout: float = 0.0) -> LargeNEdges:
    r"""Large-N edges for any flips: the quartic route (hidden flips only), the discriminant
    route (readout flips only), or the subordination fixed point
    (:func:`~curldescent.theory.freeprob.fold_edges`) when both layers are flipped."""
    check_model(c, alpha_hidden, alpha_readout)
    c, ah, ar = float(c), float(alpha_hidden), float(alpha_readout)
    if ar == 0.0:
        lo, hi = spectral_edges("hidden", c, ah)
        method = "quartic double roots (hidden flips, eqs. 117-125)"
    elif ah == 0.0:
        lo, hi = spectral_edges("readout", c, ar)
        method = "difference-of-Wisharts discriminant (readout flips)"
    else:
        lo, hi = fold_edges(c, ah, ar)
        method = "subordination fixed point (both layers flipped)"
    return LargeNEdges(c, ah, ar, lo, hi, method)


def support_intervals(layer: str, c: float, alpha: float) -> list[tuple[float, float]]:
    r"""The support of the continuous part of the large-N law of :math:`X` as a list of intervals.

    Candidate edges are the real roots of the edge polynomial between the outer edges
    (:func:`spectral_edges`); each sub-interval is kept if the fixed-point density
    (:func:`curldescent.theory.freeprob.density`) is positive at its midpoint. Inner-gap
    edges therefore appear as interval ends; spurious roots inside the bulk merge away.
    """
    lower, upper = spectral_edges(layer, c, alpha)
    xs = [lower] + [k.x for k in edge_candidates(layer, c, alpha) if lower < k.x < upper] + [upper]
    xs = sorted(set(xs))
    mids = np.array([(a + b) / 2 for a, b in zip(xs[:-1], xs[1:], strict=True)])
    if mids.size == 0:
        return [(lower, upper)]
    rho = density(mids, c, *_split(layer, alpha), eta=1e-13)
    out: list[tuple[float, float]] = []
    for (a, b), r in zip(zip(xs[:-1], xs[1:], strict=True), rho, strict=True):
        if r > 1e-8:
            if out and out[-1][1] == a:
                out[-1] = (out[-1][0], b)
            else:
                out.append((a, b))
    return out


# ----------------------------------------------------------------------------- boundaries


@dataclass(frozen=True)
class Boundary:
    """Stability boundary in ``c`` at fixed flipped fraction ``alpha`` of ``layer``.

    ``c_crit`` is ``None`` when no boundary exists; ``regime`` says which case:
    ``stable for c < c_crit``, ``stable for all c`` or ``unstable for all c``.
    """

    layer: str
    alpha: float
    c_crit: float | None
    regime: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class AlphaBoundary:
    """Critical flipped fraction at fixed ``c``: stable for ``alpha < alpha_crit``
    (``regime`` = ``stable for alpha < alpha_crit``, ``stable for all alpha`` or
    ``unstable for all alpha > 0``)."""

    layer: str
    c: float
    alpha_crit: float | None
    regime: str

    def to_dict(self) -> dict:
        return asdict(self)


def _crosses_zero(layer: str, c: float, alpha: float) -> bool:
    return abs(lower_edge(layer, c, alpha)) <= 1e-8 * (1.0 + 1.0 / c)


def critical_c(layer: str, alpha: float) -> Boundary:
    r"""Critical compression ratio :math:`c_{crit}(\alpha)`: the manifold is stable for
    :math:`c < c_{crit}` (:math:`x_-(c) > 0`) and unstable above.

    Candidates are the positive real roots of the edge polynomial at :math:`x = 0` viewed as a
    polynomial in :math:`c` (hidden: quartic :func:`_hidden_c_poly`; readout: cubic
    :func:`_readout_c_poly`); the smallest at which the physical lower edge is zero is
    :math:`c_{crit}`. Special cases: :math:`\alpha_h = 0` and :math:`\alpha_r = 0` are stable
    for every :math:`c` (:math:`X \succeq D_1 = I`); :math:`\alpha_r\ge1/2` is unstable for every
    :math:`c`. The limit :math:`\alpha_h\to0^+` is :math:`2/3`, not :math:`\infty`: the
    :math:`\alpha_hM` flipped inputs form a small separate component near
    :math:`-1 + R_S(G)` that crosses zero at :math:`c = 2/3` however small its weight.
    """
    _check_layer(layer)
    _check_alpha(alpha)
    alpha = float(alpha)
    poly = _hidden_c_poly(alpha) if layer == "hidden" else _readout_c_poly(alpha)
    roots = [r for r in _real_roots(poly, rel=1e-9) if r > 0]
    if alpha > 0:
        for r in roots:
            if _crosses_zero(layer, r, alpha):
                below = lower_edge(layer, r * (1 - 1e-6), alpha)
                above = lower_edge(layer, r * (1 + 1e-6), alpha)
                if below > 0 >= above:
                    return Boundary(layer, alpha, float(r), "stable for c < c_crit")
    stable = lower_edge(layer, 1.0, alpha) > 0
    return Boundary(layer, alpha, None, "stable for all c" if stable else "unstable for all c")


def critical_alpha(layer: str, c: float) -> AlphaBoundary:
    r"""Critical flipped fraction :math:`\alpha^{crit}(c)`: stable for :math:`\alpha<\alpha^{crit}`.

    Candidates are the real roots in :math:`[0, 1]` of the edge polynomial at :math:`x=0` viewed
    as a cubic in :math:`\Delta = 1-2\alpha_h` (hidden, :func:`_hidden_delta_poly`) or in
    :math:`\alpha_r` (readout, :func:`_readout_alpha_poly`). Hidden: stable for all
    :math:`\alpha_h` when :math:`c\le1/4`, unstable for all :math:`\alpha_h>0` when
    :math:`c\ge2/3`. Readout: :math:`\alpha_r^{crit}(c)\in(0, 1/2)` for every :math:`c>0`.

    Examples:
        >>> b = critical_alpha("readout", 1.0)
        >>> round(b.alpha_crit, 3), b.regime
        (0.055, 'stable for alpha < alpha_crit')
    """
    _check_layer(layer)
    check_model(c)
    c = float(c)
    if layer == "hidden":
        cands = sorted(
            (1.0 - d) / 2.0
            for d in _real_roots(_hidden_delta_poly(c), rel=1e-9)
            if -1 - 1e-12 <= d <= 1
        )
    else:
        cands = sorted(a for a in _real_roots(_readout_alpha_poly(c), rel=1e-9) if 0 <= a <= 1)
    for a in cands:
        a = min(max(a, 0.0), 1.0)
        if a > 0 and _crosses_zero(layer, c, a):
            below = lower_edge(layer, c, max(a * (1 - 1e-6), 0.0))
            above = lower_edge(layer, c, min(a * (1 + 1e-6), 1.0))
            if below > 0 >= above:
                return AlphaBoundary(layer, c, float(a), "stable for alpha < alpha_crit")
    if lower_edge(layer, c, 1.0) > 0:
        return AlphaBoundary(layer, c, None, "stable for all alpha")
    return AlphaBoundary(layer, c, None, "unstable for all alpha > 0")


def boundary_curve(layer: str, alphas) -> np.ndarray:
    r""":math:`c_{crit}(\alpha)` for every ``alpha`` (NaN where no boundary exists)."""
    return np.array(
        [
            np.nan if (b := critical_c(layer, float(a))).c_crit is None else b.c_crit
            for a in np.ravel(alphas)
        ]
    )


def critical_alpha_curve(layer: str, cs) -> np.ndarray:
    r""":math:`\alpha^{crit}(c)` for every ``c`` (NaN where no boundary exists)."""
    return np.array(
        [
            np.nan if (b := critical_alpha(layer, float(c))).alpha_crit is None else b.alpha_crit
            for c in np.ravel(cs)
        ]
    )


def stability_map(layer: str, cs, alphas) -> np.ndarray:
    r"""Lower edge :math:`x_-(c, \alpha)` on the grid ``cs × alphas`` (shape ``(len(cs), len(alphas))``);
    the manifold is stable where it is positive, and :math:`-x_-` is the largest Jacobian eigenvalue."""
    cs = np.ravel(cs)
    alphas = np.ravel(alphas)
    return np.array([[lower_edge(layer, float(c), float(a)) for a in alphas] for c in cs])
