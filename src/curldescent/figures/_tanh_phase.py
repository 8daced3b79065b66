r"""What the tanh phase diagrams (Figs. 6 and 8) share: the simulated boundary as a midpoint
crossing with bootstrap errors, the paired (tanh vs same-size linear) boundary shift with a
bootstrap interval over seeds, the finite-size tolerance of a comparison with the large-N
linear curve, the verdict rules of both figures as small pure functions, seed reductions of
log errors, and the two-panel phase figure drawn over the linear networks' analytic
boundary."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import xarray as xr

from curldescent.analysis.statistics import crossing_with_error, midpoint_crossing
from curldescent.figures._linear import assembly, drawing
from curldescent.plotting import PRINT_WIDTH

#: a transition must span at least this many decades of mean error to count.
MIN_SPAN = 1.0
#: central probability of the bootstrap intervals.
LEVEL = 0.95
#: stored log errors of diverged runs count as this (an error of 100).
DIVERGED = 2.0


def read_var(store, var: str) -> xr.DataArray:
    """Variable ``var`` of a sweep store (dims ``(c, alpha, seed)``), loaded in memory:
    e.g. ``peak_log10_train_error``, which the grid summaries do not carry."""
    from curldescent.sweeps import open_sweep

    ds = open_sweep(store)
    try:
        return ds[var].load()
    finally:
        ds.close()


def _line_crossings(Y: np.ndarray, x: np.ndarray, log_x: bool) -> np.ndarray:
    """Midpoint crossing along axis 0 of the seed mean of ``Y`` (x, line, seed), per line;
    in log10 x when ``log_x``. Non-finite entries count as ``DIVERGED``."""
    Y = np.where(np.isfinite(Y), Y, DIVERGED)
    m = Y.mean(axis=2)
    out = np.array(
        [midpoint_crossing(x, m[:, j], min_span=MIN_SPAN, log_x=log_x) for j in range(m.shape[1])]
    )
    return np.log10(out) if log_x else out


def paired_shift(
    x: np.ndarray,
    Y_tanh: np.ndarray,
    Y_linear: np.ndarray,
    *,
    log_x: bool,
    n_boot: int = 400,
    seed: int = 0,
) -> dict[str, Any]:
    r"""The boundary of tanh minus that of the same-size linear control, per line and on
    average, with a bootstrap interval over seeds.

    ``Y_tanh`` and ``Y_linear``: log10 errors of shape ``(len(x), lines, seeds)``, the same
    seeds (paired: a resample takes the same seeds from both). Per line, each boundary is
    the midpoint crossing along ``x`` of the seed mean (:func:`midpoint_crossing`; in
    :math:`\log_{10} x` when ``log_x``). The shift is the mean over the lines where both
    boundaries exist of tanh minus linear; the interval holds the central ``LEVEL`` of the
    resamples' shifts (the lines of each resample: those where both exist in it).

    Returns:
        ``shift`` (NaN if no line has both), ``lo``, ``hi`` (NaN with fewer than two
        seeds or two finite resamples), ``per_line`` (tanh minus linear, NaN where either is
        missing), ``n_lines`` (lines with both) and ``n_seeds``.
    """

    def shift(pick):
        d = _line_crossings(Y_tanh[..., pick], x, log_x) - _line_crossings(
            Y_linear[..., pick], x, log_x
        )
        return d, (float(np.nanmean(d)) if np.isfinite(d).any() else np.nan)

    S = Y_tanh.shape[2]
    per_line, est = shift(np.arange(S))
    rng = np.random.default_rng(seed)
    boots = np.array([shift(rng.integers(0, S, S))[1] for _ in range(n_boot if S > 1 else 0)])
    boots = boots[np.isfinite(boots)]
    q = (1 - LEVEL) / 2
    lo, hi = np.quantile(boots, [q, 1 - q]) if len(boots) > 1 else (np.nan, np.nan)
    return {
        "shift": est,
        "lo": float(lo),
        "hi": float(hi),
        "per_line": per_line,
        "n_lines": int(np.isfinite(per_line).sum()),
        "n_seeds": S,
    }


def shift_verdict(shift: float, lo: float, hi: float, n_lines: int, n_needed: int) -> str:
    """Verdict of "the tanh boundary lies lower than the same-size linear one": ``not
    tested`` when fewer than ``n_needed`` lines have both boundaries or the interval is
    undefined; ``reproduced`` when the whole bootstrap interval ``[lo, hi]`` of the shift
    lies below 0; ``not reproduced`` otherwise."""
    if n_lines < max(1, n_needed) or not (np.isfinite(lo) and np.isfinite(hi)):
        return "not tested"
    return "reproduced" if hi < 0 and np.isfinite(shift) else "not reproduced"


def below_curve_verdict(
    offsets: np.ndarray, tol: np.ndarray, n_needed: int, share: float = 0.75
) -> tuple[str, float]:
    """Verdict of "the simulated boundary lies below the large-N linear curve": per line
    the offset (simulated minus large-N, NaN where no boundary was found) and a tolerance;
    a line counts as below when its offset < -tol. ``not tested`` when fewer than
    ``n_needed`` lines have a boundary; ``reproduced`` when at least ``share`` of them lie
    below. Returns the verdict and the share below."""
    offsets, tol = np.asarray(offsets, float), np.asarray(tol, float)
    ok = np.isfinite(offsets)
    if ok.sum() < max(1, n_needed):
        return "not tested", float("nan")
    frac = float(np.mean(offsets[ok] < -tol[ok]))
    return ("reproduced" if frac >= share else "not reproduced"), frac


def finite_size_tolerance(
    layer: str,
    total: int,
    along: np.ndarray,
    lines: np.ndarray,
    large_n: np.ndarray,
    seeds=range(8),
) -> np.ndarray:
    r"""Per line, the tolerance of a comparison with the large-N linear boundary at
    ``M + N = total``: the distance between the large-N boundary ``large_n`` and the
    finite-size one (where the fraction of sampled manifold points with an unstable
    direction, :func:`curldescent.theory.finite_size.instability_fraction`, crosses 1/2
    along the grid axis ``along``), plus the grid step at the large-N boundary. Hidden
    layer: lines are alpha_h values, the axis is c, and distances are in log10 c; readout:
    lines are c values, the axis is alpha_r. A line where the finite-size fraction never
    crosses 1/2 on the grid gets the whole axis range."""
    from curldescent.theory.finite_size import instability_fraction

    hidden = layer == "hidden"
    cs, alphas = (along, lines) if hidden else (lines, along)
    f = instability_fraction(layer, total, cs, alphas, seeds)  # (c, alpha)
    f = f if hidden else f.T  # (along, line)
    ax = np.log10(along) if hidden else np.asarray(along, float)
    big = np.log10(large_n) if hidden else np.asarray(large_n, float)
    tol = []
    for j in range(len(lines)):
        up = np.nonzero(f[:, j] >= 0.5)[0]
        if not len(up) or not np.isfinite(big[j]):
            tol.append(float(ax[-1] - ax[0]))
            continue
        i = int(up[0])
        fs = (
            ax[0]
            if i == 0
            else ax[i - 1] + (0.5 - f[i - 1, j]) / (f[i, j] - f[i - 1, j]) * (ax[i] - ax[i - 1])
        )
        k = int(np.clip(np.searchsorted(ax, big[j]), 1, len(ax) - 1))
        tol.append(float(abs(fs - big[j]) + (ax[k] - ax[k - 1])))
    return np.array(tol)


def redescent_verdict(
    peak: np.ndarray, final: np.ndarray, start: float, *, leave: float = 3.0, drop: float = 2.0
) -> tuple[str, float, int]:
    """Verdict of "runs started next to an unstable manifold still reach low error" over
    grid cells: ``peak`` and ``final`` are per-cell log10 errors (seed means), ``start``
    the log10 error of the start. A cell *left* the manifold when its peak lies at least
    ``leave`` decades above the start; it *re-descended* when its final error lies at least
    ``drop`` decades below its peak. ``not tested`` when no cell left; ``reproduced`` when
    at least half of the cells that left re-descended. Returns the verdict, the share and
    the number of cells that left."""
    peak, final = np.asarray(peak, float).ravel(), np.asarray(final, float).ravel()
    left = np.isfinite(peak) & (peak >= start + leave)
    if not left.any():
        return "not tested", float("nan"), 0
    back = np.where(np.isfinite(final), final, DIVERGED) <= peak - drop
    share = float(np.mean(back[left]))
    return ("reproduced" if share >= 0.5 else "not reproduced"), share, int(left.sum())


def grid_step_at(x: np.ndarray, at: np.ndarray, *, log_x: bool) -> float:
    """The largest grid step of ``x`` (in log10 x when ``log_x``) at the points ``at``
    (the step of the interval holding each; NaN if none is finite)."""
    ax = np.log10(x) if log_x else np.asarray(x, float)
    at = np.asarray(at, float)
    at = at[np.isfinite(at)]
    if not len(at) or len(ax) < 2:
        return float("nan")
    k = np.clip(np.searchsorted(ax, at), 1, len(ax) - 1)
    return float(np.max(ax[k] - ax[k - 1]))


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
                label="simulations (midpoint crossing)",
            )
    set_c_limits(ax, p.c.values)
    ax.set(
        xlabel="compression ratio c = M/N",
        ylabel=rf"flipped fraction $\alpha_{layer[0]}$",
        title=title,
    )
    if legend is not None:
        ax.legend(loc=legend, frameon=True, framealpha=0.85)


def phase_figure(data: xr.Dataset, details: str, n: int = 2):
    """``n`` panels (two per row) titled ``<figure> (<profile>): tanh, M + N = <total>,
    <details>`` (``details`` formatted with the profile's settings); returns the figure, the
    axes and the linear boundary."""
    import matplotlib.pyplot as plt

    rows = (n + 1) // 2
    fig, axes = plt.subplots(rows, min(n, 2), figsize=(PRINT_WIDTH, 3.0 * rows), squeeze=False)
    axes = axes.ravel()
    for ax in axes[n:]:
        ax.axis("off")
    axes = axes[:n]
    s = json.loads(data.attrs["settings"])
    fig.suptitle(
        f"{data.attrs['figure']} ({data.attrs['profile']}): tanh, M + N = {s['total']}, "
        + details.format(**s)
    )
    return fig, axes, assembly.panel(data, "bd")


def num(x: float, nd: int = 4) -> float | None:
    """``x`` rounded to ``nd`` digits for a claim's value; None if not finite."""
    return None if not np.isfinite(x) else round(float(x), nd)
