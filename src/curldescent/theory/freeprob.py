r"""Free-probability fixed-point route to the large-N spectrum on the solution manifold.

On the manifold the non-structural Jacobian eigenvalues are :math:`-\operatorname{eig}(X)`
with :math:`X = \lVert W_2\rVert^2 D_1 + W_1^\top D_2 W_1` (eq. 12). In the large-N limit
with :math:`c = M/N` fixed and eq. (14) statistics, :math:`\lVert W_2\rVert^2 \to 1` (App.
B.4.1 drops this factor silently) and :math:`X = D_1 + B` is the free additive convolution
of

* :math:`D_1`: atoms at :math:`+1` (weight :math:`1-\alpha_h`) and :math:`-1` (weight
  :math:`\alpha_h`), Cauchy transform eq. (105)
  :math:`G_{D_1}(u) = \frac{1-\alpha_h}{u-1} + \frac{\alpha_h}{u+1} = \frac{u+\Delta}{u^2-1}`,
  :math:`\Delta = 1-2\alpha_h`;
* :math:`B = W_1^\top D_2 W_1 = W_+ - W_-`, a difference of two independent Wishart
  matrices (Kumar & Sai Charan 2020): :math:`W_\pm = \sum_{i:\,d_{2,i}=\pm1} w_iw_i^\top`
  with rows :math:`w_i\sim\mathcal N(0, I_M/M)`, of :math:`(1-\alpha_r)N` and
  :math:`\alpha_rN` rows. Its R-transform is rational,

  .. math:: R_B(g) = \frac1c\Bigl[\frac{1-\alpha_r}{1-g} - \frac{\alpha_r}{1+g}\Bigr],

  which for :math:`\alpha_r = 0` is eq. (110), :math:`R_S(g) = 1/(c(1-g))` (with the
  rescaling factor :math:`a = 1/c`: the paper's eq. 110 prints :math:`a = c`; the stated
  result is right, see ``PROTOCOL.md``).

The Cauchy transform :math:`g = G_X(z)` solves the subordination (Pastur) fixed point

.. math:: g = G_{D_1}\bigl(z - R_B(g)\bigr),

whose solution with :math:`\operatorname{Im} g < 0` is unique for :math:`\operatorname{Im}z>0`
(the map is a holomorphic self-map of the lower half-plane, a strict contraction there).
:func:`stieltjes` solves it (damped iteration, then Newton along a path
:math:`\eta\downarrow\eta_{\min}`); :func:`density` is :math:`-\operatorname{Im} g/\pi`.

**Spectral edges by the fold of the fixed point** (:func:`fold_edges`): for real :math:`x`
below the spectrum the fixed point is real, and the subordination variable
:math:`u = x - R_B(g)` lies below the spectrum of :math:`D_1`. Solving the fixed-point
relation for :math:`x` with :math:`u` as the parameter gives the branch

.. math:: x(u) = u + R_B\bigl(G_{D_1}(u)\bigr),\qquad u < \min\operatorname{spec}(D_1),

and the lower edge of the support is its first local maximum as :math:`u` increases from
:math:`-\infty` (where :math:`\partial_u x = 0`, i.e. where the fixed point folds: the
real solution disappears into a complex pair, the density turns on). The upper edge is the
first local minimum coming down from :math:`u=+\infty`. No polynomial and no square-root
branch enters: this route is independent of the hard-coded quartic/discriminant of
:mod:`curldescent.theory.edges`, and it also covers flips in both layers at once.

Example:
    >>> lo, hi = fold_edges(c=1.0, alpha_hidden=1.0)   # X = -I + W1^T W1: MP(1) - 1
    >>> round(lo, 12), round(hi, 12)
    (-1.0, 3.0)
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq, minimize_scalar

from curldescent.specs import SpecError

__all__ = [
    "cauchy_d1",
    "check_model",
    "density",
    "density_onset",
    "fold_edges",
    "r_transform_b",
    "stieltjes",
]


def check_model(c: float, alpha_hidden: float = 0.0, alpha_readout: float = 0.0) -> None:
    """Validate the large-N model parameters; raise :class:`SpecError` naming the field."""
    if (
        isinstance(c, bool)
        or not isinstance(c, int | float | np.floating | np.integer)
        or not math.isfinite(c)
        or c <= 0
    ):
        raise SpecError(f"c must be a finite number > 0 (got {c!r})")
    for name, a in (("alpha_hidden", alpha_hidden), ("alpha_readout", alpha_readout)):
        if (
            isinstance(a, bool)
            or not isinstance(a, int | float | np.floating | np.integer)
            or not 0.0 <= a <= 1.0
        ):
            raise SpecError(f"{name} must lie in [0, 1] (got {a!r})")


def cauchy_d1(u, alpha_hidden: float):
    r"""Cauchy transform of :math:`D_1`, eq. (105): :math:`(1-\alpha_h)/(u-1) + \alpha_h/(u+1)`."""
    return (1.0 - alpha_hidden) / (u - 1.0) + alpha_hidden / (u + 1.0)


def _cauchy_d1_prime(u, alpha_hidden: float):
    return -(1.0 - alpha_hidden) / (u - 1.0) ** 2 - alpha_hidden / (u + 1.0) ** 2


def r_transform_b(g, c: float, alpha_readout: float):
    r"""R-transform of :math:`B = W_1^\top D_2 W_1`: :math:`[(1-\alpha_r)/(1-g) - \alpha_r/(1+g)]/c`."""
    return ((1.0 - alpha_readout) / (1.0 - g) - alpha_readout / (1.0 + g)) / c


def _r_prime(g, c: float, alpha_readout: float):
    return ((1.0 - alpha_readout) / (1.0 - g) ** 2 + alpha_readout / (1.0 + g) ** 2) / c


def stieltjes(
    z,
    c: float,
    alpha_hidden: float = 0.0,
    alpha_readout: float = 0.0,
    *,
    n_path: int = 40,
    n_iter: int = 400,
    tol: float = 1e-13,
) -> np.ndarray:
    r"""Cauchy (Stieltjes) transform :math:`G_X(z)` of the large-N law of :math:`X = D_1 + W_1^\top D_2W_1`.

    Solves :math:`g = G_{D_1}(z - R_B(g))` for every ``z`` (array, :math:`\operatorname{Im}z>0`):
    damped fixed-point iteration at :math:`\operatorname{Im}z' = \max(1, \operatorname{Im} z)`
    (a holomorphic self-map of the lower half-plane, so the iteration converges to the unique
    physical solution, quickly this far from the axis), then Newton's method on
    :math:`h(g) = g - G_{D_1}(z' - R_B(g))` along a geometric path of
    :math:`\operatorname{Im}z'` down to :math:`\operatorname{Im}z`, each step started from the
    previous solution (the physical solution is analytic in :math:`z`, so continuation stays on
    its branch; a Newton step leaving the lower half-plane is halved).

    Returns:
        Complex array of the shape of ``z``; NaN where Newton did not reach ``tol``.
    """
    check_model(c, alpha_hidden, alpha_readout)
    z = np.asarray(z, complex)
    shape = z.shape
    z = z.reshape(-1)
    if np.any(z.imag <= 0):
        raise SpecError("stieltjes needs Im z > 0 (use density() on the real axis)")
    x, eta = z.real, z.imag
    eta0 = np.maximum(eta, 1.0)
    zz = x + 1j * eta0
    g = 1.0 / zz
    for _ in range(n_iter):
        g = 0.5 * g + 0.5 * cauchy_d1(zz - r_transform_b(g, c, alpha_readout), alpha_hidden)
    path = np.exp(np.linspace(np.log(eta0), np.log(eta), n_path))  # (n_path, n)
    ok = np.ones(z.shape, bool)
    for e in path:
        zz = x + 1j * e
        for _ in range(60):
            u = zz - r_transform_b(g, c, alpha_readout)
            h = g - cauchy_d1(u, alpha_hidden)
            dh = 1.0 + _cauchy_d1_prime(u, alpha_hidden) * _r_prime(g, c, alpha_readout)
            step = h / dh
            new = g - step
            # stay in the lower half-plane (the physical solution has Im g < 0)
            for _ in range(30):
                bad = new.imag > 0
                if not np.any(bad):
                    break
                step = np.where(bad, 0.5 * step, step)
                new = g - step
            g = new
            if np.all(np.abs(step) <= tol * (1.0 + np.abs(g))):
                break
        res = np.abs(g - cauchy_d1(zz - r_transform_b(g, c, alpha_readout), alpha_hidden))
        ok = res <= 1e3 * tol * (1.0 + np.abs(g))
    return np.where(ok, g, np.nan + 0j).reshape(shape)


def density(
    x, c: float, alpha_hidden: float = 0.0, alpha_readout: float = 0.0, *, eta: float = 1e-10
) -> np.ndarray:
    r"""Large-N spectral density of :math:`X` at real ``x``: :math:`\rho(x) = -\operatorname{Im}G_X(x+i\eta)/\pi`.

    Atoms (e.g. at :math:`\pm1` when :math:`c>1`) are not resolved; the density of the
    continuous part is accurate to :math:`O(\eta)` away from the edges.
    """
    x = np.asarray(x, float)
    g = stieltjes(x + 1j * eta, c, alpha_hidden, alpha_readout)
    return np.maximum(-g.imag / np.pi, 0.0)


def _first_extremum(fun, u: np.ndarray, vals: np.ndarray, kind: str) -> float | None:
    """Refine the first local max (``kind='max'``) of ``fun`` on the ordered grid ``u``."""
    d = np.diff(vals)
    if kind == "max":
        turn = np.nonzero((d[:-1] > 0) & (d[1:] <= 0))[0]
    else:
        turn = np.nonzero((d[:-1] < 0) & (d[1:] >= 0))[0]
    if turn.size == 0:
        return None
    i = turn[0] + 1
    a, b = sorted((u[i - 1], u[i + 1]))
    sign = -1.0 if kind == "max" else 1.0
    res = minimize_scalar(
        lambda t: sign * fun(t),
        bounds=(a, b),
        method="bounded",
        options={"xatol": 1e-15 * max(1.0, abs(a), abs(b))},
    )
    best = min(sign * fun(u[i]), res.fun)
    return sign * best


def _branch_end(f, pole: float, side: float) -> float:
    """Root of ``f`` (monotone between its pole and infinity) on the side ``side`` (−1 below,
    +1 above) of ``pole``: bracket by decades towards infinity and towards the pole, then Brent."""
    sign_far = np.sign(f(pole + side * 1e300))
    far = pole + side
    while np.sign(f(far)) != sign_far:
        far = pole + 10.0 * (far - pole)
    near = pole + 0.1 * side
    while np.sign(f(near)) == sign_far and abs(near - pole) > 1e-290:
        near = pole + 0.1 * (near - pole)
    a, b = sorted((far, near))
    return brentq(f, a, b, xtol=1e-300, rtol=1e-15)


def fold_edges(
    c: float, alpha_hidden: float = 0.0, alpha_readout: float = 0.0
) -> tuple[float, float]:
    r"""Outer edges ``(lower, upper)`` of the large-N spectrum of :math:`X = D_1 + W_1^\top D_2 W_1`,
    from the fold of the subordination fixed point (see the module docstring).

    :math:`x(u) = u + R_B(G_{D_1}(u))` is scanned on a geometric grid of :math:`u` approaching
    the spectrum of :math:`D_1` (down to distances of :math:`10^{-14}`, which resolves the
    small component of width :math:`O(\alpha_h)` near :math:`-1` as :math:`\alpha_h\to0^+`),
    and the first extremum is refined by bounded Brent. Where :math:`x(u)` has no extremum
    (an atom ends the spectrum, e.g. :math:`-1` with weight :math:`\alpha_h - 1/c` when
    :math:`c\alpha_h>1`), the edge is the limit :math:`x(u\to\min\operatorname{spec}D_1)`.

    Returns:
        ``(lower, upper)``; the Jacobian's non-structural eigenvalues fill
        :math:`[-\mathrm{upper}, -\mathrm{lower}]`, so the manifold is stable iff lower > 0.
    """
    check_model(c, alpha_hidden, alpha_readout)
    ah, ar = float(alpha_hidden), float(alpha_readout)
    c = float(c)

    def xu(u):
        return u + r_transform_b(cauchy_d1(u, ah), c, ar)

    scale = 1.0 + 1.0 / c
    taus = np.geomspace(1e8 * scale, 1e-14, 6000)
    # lower edge: u increases from -inf to the end of the branch
    dmin = -1.0 if ah > 0 else 1.0
    if ar > 0:  # R_B has a pole at g = -1: the branch ends where G_D1(u) = -1
        u_end = _branch_end(lambda u: cauchy_d1(u, ah) + 1.0, dmin, -1.0)
    else:
        u_end = dmin
    u = u_end - taus * max(1.0, abs(u_end))
    u = u[u < u_end]
    lower = _first_extremum(xu, u, xu(u), "max")
    if lower is None:
        lower = dmin if ar == 0 else float(np.max(xu(u)))
    # upper edge: u decreases from +inf to the end of the branch
    dmax = 1.0 if ah < 1 else -1.0
    if ar < 1:  # pole of R_B at g = +1
        u_end = _branch_end(lambda u: cauchy_d1(u, ah) - 1.0, dmax, +1.0)
    else:
        u_end = dmax
    u = u_end + taus * max(1.0, abs(u_end))
    u = u[u > u_end]
    upper = _first_extremum(xu, u, xu(u), "min")
    if upper is None:
        upper = dmax if ar == 1 else float(np.min(xu(u)))
    return float(lower), float(upper)


def density_onset(
    a: float,
    b: float,
    c: float,
    alpha_hidden: float = 0.0,
    alpha_readout: float = 0.0,
    *,
    threshold: float = 1e-7,
    tol: float = 1e-10,
    n: int = 65,
) -> float:
    r"""Where the density turns on inside ``[a, b]`` (:math:`
    ho(a) = 0 <
    ho(b)`), by refining a
        grid: the first grid point with :math:`
    ho > ` ``threshold`` brackets the onset, and the bracket
        is shrunk ``n - 1``-fold per round until it is narrower than ``tol``.

        Uses only the complex fixed-point solver (:func:`stieltjes`), so it is a third, independent
        route to an edge. At a square-root edge, :math:`
    ho(x_- + \delta)pprox A\sqrt\delta`, the
        threshold biases the onset by :math:`(\mathrm{threshold}/A)^2`, negligible here.
    """
    lo, hi = float(a), float(b)
    if density(np.array([lo]), c, alpha_hidden, alpha_readout)[0] > threshold:
        raise SpecError(f"density_onset: the density is already positive at a = {a}")
    while hi - lo > tol:
        x = np.linspace(lo, hi, n)
        on = density(x, c, alpha_hidden, alpha_readout, eta=1e-13) > threshold
        if not on[-1]:
            raise SpecError(f"density_onset: the density is zero at b = {b}")
        k = int(np.argmax(on))
        lo, hi = x[k - 1], x[k]
    return 0.5 * (lo + hi)
