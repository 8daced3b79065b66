r"""The analytic large-N stability boundaries of the linear phase diagrams
(:mod:`curldescent.theory.edges`), in the forms the figures draw and test against."""

from __future__ import annotations

import math

import numpy as np
import xarray as xr


def boundary(layer: str, *, n: int = 120) -> xr.Dataset:
    r"""The analytic large-N boundary of ``layer``: hidden, :math:`c_{crit}(\alpha_h)` on an
    α grid (stable for c < c_crit); readout, :math:`\alpha_r^{crit}(c)` on a c grid
    (stable for α_r < α_crit). From :mod:`curldescent.theory.edges`."""
    from curldescent.theory.edges import boundary_curve, critical_alpha_curve

    if layer == "hidden":
        a = np.concatenate([np.geomspace(1e-4, 1e-2, 10), np.linspace(0.0125, 1.0, n)])
        return xr.Dataset(
            {
                "c_crit": (
                    ("b_alpha",),
                    boundary_curve("hidden", a),
                    {"long_name": "analytic c_crit(alpha_h)", "units": "1"},
                )
            },
            coords={"b_alpha": a},
        )
    c = np.geomspace(1e-3, 1e3, n)
    return xr.Dataset(
        {
            "alpha_crit": (
                ("b_c",),
                critical_alpha_curve("readout", c),
                {"long_name": "analytic alpha_r^crit(c)", "units": "1"},
            )
        },
        coords={"b_c": c},
    )


def c_crit(alpha: float) -> float:
    """Hidden flips: analytic c_crit(α_h) (inf for α_h = 0: stable for every c)."""
    from curldescent.theory.edges import critical_c

    b = critical_c("hidden", float(alpha))
    if b.c_crit is not None:
        return float(b.c_crit)
    return math.inf if b.regime == "stable for all c" else 0.0


def alpha_crit(layer: str, c: float) -> float:
    """Analytic α^crit(c) of ``layer`` (1 when stable for every α; 0 when unstable for every α > 0)."""
    from curldescent.theory.edges import critical_alpha

    b = critical_alpha(layer, float(c))
    if b.alpha_crit is not None:
        return float(b.alpha_crit)
    return 1.0 if b.regime == "stable for all alpha" else 0.0


def stable_mask(layer: str, cs, alphas) -> np.ndarray:
    """(len(cs), len(alphas)) True where the large-N manifold is stable (α^crit(c) > α)."""
    ac = np.array([alpha_crit(layer, c) for c in cs])
    return np.asarray(alphas)[None, :] < ac[:, None]


def finite_size_bands(layer: str, total: int, values, seeds) -> xr.Dataset:
    r"""The finite-size band of the boundary at ``M + N = total``
    (:func:`curldescent.theory.finite_size.finite_size_band`, median ± 2 SD of the critical
    value over the draws ``seeds`` of the manifold point), at each α_h of ``values``
    (``hidden``: bands in c, dim ``alpha``) or each c (``readout``: bands in α_r, dim ``c``).

    The search grids bracket the analytic value: c ∈ [0.4, 2.5] × c_crit(α_h) (17 points,
    geometric) or α_r ∈ [0, 1] (26 points: at large c the few hidden units make the
    finite-size band wide). α_h = 0 (stable for every c) gets NaN.
    """
    from curldescent.figures._linear.claims import N_SIGMA
    from curldescent.theory.finite_size import finite_size_band

    rows = []
    for v in values:
        if layer == "hidden":
            cc = c_crit(float(v))
            if not (np.isfinite(cc) and cc > 0):
                rows.append((np.nan, np.nan, np.nan))
                continue
            grid = np.geomspace(0.4 * cc, 2.5 * cc, 17)
        else:
            grid = np.linspace(0.0, 1.0, 26)
        rows.append(finite_size_band(layer, total, float(v), grid, seeds, n_sigma=N_SIGMA))
    arr = np.asarray(rows, float).reshape(-1, 3)
    dim = "alpha" if layer == "hidden" else "c"
    unit = "c" if layer == "hidden" else "alpha_r"
    return xr.Dataset(
        {
            name: ((dim,), arr[:, i], {"long_name": f"finite-size {name} of the critical {unit}"})
            for i, name in enumerate(("low", "median", "high"))
        },
        coords={dim: np.asarray(values, float)},
        attrs={"total": int(total), "n_draws": len(list(seeds)), "n_sigma": N_SIGMA},
    )
