r"""What the tanh phase diagrams (Figs. 6 and 8) share: the simulated boundary as a midpoint
crossing with bootstrap errors, seed reductions of log errors, and the two-panel phase
figure drawn over the linear networks' analytic boundary."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import xarray as xr

from curldescent.analysis.statistics import crossing_with_error
from curldescent.figures._linear import assembly, drawing
from curldescent.plotting import PRINT_WIDTH

#: a transition must span at least this many decades of mean error to count.
MIN_SPAN = 1.0


def crossing_boundary(
    value: xr.DataArray, along: str, x: np.ndarray, names: dict[str, str]
) -> xr.Dataset:
    """Per point of the grid's other dimension (``c`` or ``alpha``), Fig. 3's midpoint
    crossing (:func:`~curldescent.analysis.statistics.crossing_with_error`: where the
    seed-mean of ``value`` crosses the midpoint of its range, interpolated in log10 ``x``;
    NaN when it changes by less than ``MIN_SPAN`` decades) along ``along`` at abscissae
    ``x``, and its bootstrap SD over seeds. Diverged (non-finite) runs count as +2.
    ``names``: long names of the estimate and of its SD, keyed by variable name."""
    other = "alpha" if along == "c" else "c"
    est, err = [], []
    for v in value[other].values:
        Y = value.sel({other: v}).transpose(along, "seed").values
        e, sd = crossing_with_error(x, np.where(np.isfinite(Y), Y, 2.0), min_span=MIN_SPAN)
        est.append(e)
        err.append(sd)
    return xr.Dataset(
        {
            name: ((other,), np.array(vals), {"long_name": long_name, "units": "1"})
            for (name, long_name), vals in zip(names.items(), (est, err), strict=True)
        },
        coords={other: value[other].values},
    )


def seed_reduce(z: xr.DataArray, how: str, what: str) -> xr.DataArray:
    """Mean or max over seeds of a log10 error (diverged runs count as +2)."""
    z = z.where(np.isfinite(z), 2.0)
    out = z.mean("seed") if how == "mean" else z.max("seed")
    out.attrs = {"long_name": f"{how} over seeds of {what} (diverged: +2)", "units": "1"}
    return out


def set_c_limits(ax, cs: np.ndarray) -> None:
    lo, hi = (cs[0], cs[-1]) if len(cs) > 1 else (cs[0] / 2, cs[0] * 2)
    ax.set_xlim(lo / 1.3, hi * 1.3)
    ax.set_ylim(-0.05, 1.05)


def phase_panel(
    fig,
    ax,
    p: xr.Dataset,
    var: str,
    bnd: xr.Dataset,
    layer: str,
    *,
    title: str,
    label: str,
    line: dict[str, Any],
    legend: str | None,
    marks: tuple | None = None,
    **heat: Any,
) -> None:
    """One tanh phase-diagram panel: ``p[var]`` over (c, alpha) (``heat``: more
    :func:`~curldescent.figures._linear.drawing.heatmap` options), the linear boundary
    (``line``: its style), the simulated tanh boundary ``marks = (c, alpha, {"xerr" or
    "yerr": bars})`` as white markers where finite, axes and legend (at ``legend``; none if
    None)."""
    drawing.heatmap(
        fig,
        ax,
        p.c.values,
        p.alpha.values,
        p[var].transpose("c", "alpha").values,
        label=label,
        **heat,
    )
    drawing.draw_boundary(ax, bnd, layer, **line)
    if marks is not None:
        x, y, bars = marks
        ok = np.isfinite(x) & np.isfinite(y)
        if ok.any():
            ax.errorbar(
                x[ok],
                y[ok],
                **{k: v[..., ok] for k, v in bars.items()},
                fmt="o--",
                color="w",
                mec="k",
                ms=5,
                lw=1,
                ecolor="w",
                label="tanh simulations (midpoint crossing)",
            )
    set_c_limits(ax, p.c.values)
    ax.set(
        xlabel="compression ratio c = M/N",
        ylabel=rf"flipped fraction $\alpha_{layer[0]}$",
        title=title,
    )
    if legend is not None:
        ax.legend(loc=legend, frameon=True, framealpha=0.85)


def phase_figure(data: xr.Dataset, details: str):
    """Two side-by-side panels titled ``<figure> (<profile>): tanh, M + N = <total>, <details>``
    (``details`` formatted with the profile's settings); returns the figure, the axes and the
    linear boundary."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(PRINT_WIDTH, 3.0))
    s = json.loads(data.attrs["settings"])
    fig.suptitle(
        f"{data.attrs['figure']} ({data.attrs['profile']}): tanh, M + N = {s['total']}, "
        + details.format(**s)
    )
    return fig, axes, assembly.panel(data, "bd")


def num(x: float, nd: int = 4) -> float | None:
    """``x`` rounded to ``nd`` digits for a claim's value; None if not finite."""
    return None if not np.isfinite(x) else round(float(x), nd)
