r"""Drawing the linear phase diagrams: heat maps over a log c axis, the analytic boundary,
and the panels Figs. 3 and 4 share (example run, Lyapunov map, scheme slice)."""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from curldescent.analysis.statistics import sem
from curldescent.figures._linear.assembly import panel
from curldescent.figures._linear.boundary import alpha_crit
from curldescent.figures._linear.claims import LAMBDA_TOL, Q_CHAOS
from curldescent.plotting import OKABE_ITO, PRINT_WIDTH, log_axis_ticks


def edges(values: np.ndarray, *, log: bool) -> np.ndarray:
    """Cell edges around sorted centres (geometric midpoints on a log axis)."""
    v = np.log10(values) if log else np.asarray(values, float)
    if len(v) == 1:
        e = np.array([v[0] - 0.5, v[0] + 0.5])
    else:
        mid = 0.5 * (v[1:] + v[:-1])
        e = np.concatenate([[2 * v[0] - mid[0]], mid, [2 * v[-1] - mid[-1]]])
    return 10**e if log else e


def heatmap(
    fig,
    ax,
    c,
    alpha,
    Z,
    *,
    label: str,
    cmap: str = "viridis",
    vmin=None,
    vmax=None,
    norm=None,
    colorbar=True,
):
    """Heat map of Z (len(c), len(alpha)) over a log c axis."""
    mesh = ax.pcolormesh(
        edges(np.asarray(c), log=True),
        edges(np.asarray(alpha), log=False),
        np.asarray(Z).T,
        cmap=cmap,
        vmin=None if norm else vmin,
        vmax=None if norm else vmax,
        norm=norm,
        rasterized=True,
    )
    ax.set_xscale("log")
    log_c_axis(ax)
    if colorbar:
        fig.colorbar(mesh, ax=ax, label=label, pad=0.02)
    return mesh


def mark_diverged(ax, c, alpha, diverged: np.ndarray) -> None:
    """Black '+' on the (c, alpha) cells where at least one seed diverged (non-finite weights)."""
    bad = np.asarray(diverged).any(axis=-1)
    if bad.any():
        cc, aa = np.meshgrid(np.asarray(c), np.asarray(alpha), indexing="ij")
        ax.scatter(cc[bad], aa[bad], marker="+", color="k", s=40, lw=1.2, label="a run diverged")


def log_c_axis(ax) -> None:
    """Readable ticks on a log c axis (:func:`curldescent.plotting.log_axis_ticks`)."""
    log_axis_ticks(ax.xaxis)


def draw_boundary(ax, bnd: xr.Dataset, layer: str, **kw) -> None:
    """The analytic boundary (black) on (c, α) axes."""
    style = {"color": "k", "lw": 1.6, "label": "analytic boundary"} | kw
    if layer == "hidden":
        ax.plot(bnd.c_crit.values, bnd.b_alpha.values, **style)
    else:
        ax.plot(bnd.b_c.values, bnd.alpha_crit.values, **style)


def panel_grid(layout: str):
    """A 3 x 3 figure whose axes are named by ``layout`` (rows separated by ``/``, e.g.
    ``"a b e / c d f / g h i"``); returns (figure, {name: axes})."""
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(PRINT_WIDTH, 7.6))
    gs = fig.add_gridspec(3, 3, width_ratios=[1.0, 1.0, 1.2])  # room for twin axes at right
    rows = [r.split() for r in layout.split("/")]
    ax = {k: fig.add_subplot(gs[i, j]) for i, row in enumerate(rows) for j, k in enumerate(row)}
    return fig, ax


def example_panels(ax_w, ax_acf, data: xr.Dataset, sym: str, acf_title: str) -> None:
    """The example run's panels: traced weights over learning (test error on a twin axis)
    on ``ax_w``; weight autocorrelations with the PCA trajectory as an inset on ``ax_acf``."""
    ex = panel(data, "ex")
    exc = json.loads(data.attrs["example"])
    ep = ex.epoch.values
    pos = ep > 0
    for t in ex.trace.values:
        ax_w.plot(ep[pos], ex.weights.sel(trace=t).values[pos], lw=0.8)
    ax_w.set(
        xscale="log",
        xlabel=f"epoch (c = {exc['c']:g}, {sym} = {exc['alpha']:g})",
        ylabel="weight",
        title="c  example weights",
    )
    twin = ax_w.twinx()
    twin.plot(ep[pos], ex.test_error.values[pos], color="k", lw=1.0, alpha=0.6)
    twin.set(yscale="log", ylabel="test error (black)")
    twin.spines["right"].set_visible(True)
    log_axis_ticks(twin.yaxis)
    for t in ex.trace.values:
        ax_acf.plot(ex.lag.values, ex.acf.sel(trace=t), lw=0.7, alpha=0.7)
    ax_acf.plot(ex.lag.values, ex.acf_mean, color="k", lw=2, label="mean over weights")
    ax_acf.set(xlabel="lag (epochs)", ylabel="autocorrelation", title=acf_title)
    ax_acf.legend(loc="lower left")
    ins = ax_acf.inset_axes([0.64, 0.62, 0.35, 0.36])
    ins.plot(ex.pc.sel(component=1), ex.pc.sel(component=2), lw=0.6, color="k")
    evr = data.attrs["example_explained_variance_ratio"]
    ins.set_xlabel(f"PC1 ({100 * float(evr[0]):.0f}%)", labelpad=1)
    ins.set_ylabel(f"PC2 ({100 * float(evr[1]):.0f}%)", labelpad=1)
    ins.set(xticks=[], yticks=[])


def lyapunov_panel(
    fig, ax, ly: xr.Dataset, bnd: xr.Dataset, layer: str, sym: str, letter: str
) -> None:
    from matplotlib.colors import SymLogNorm

    lam = ly.lyapunov.mean("seed")
    vmax = max(float(np.nanmax(np.abs(lam))), 10 * LAMBDA_TOL)
    norm = SymLogNorm(linthresh=LAMBDA_TOL / 10, vmin=-vmax, vmax=vmax)
    heatmap(
        fig,
        ax,
        ly.c.values,
        ly.alpha.values,
        lam.values,
        label=r"$\lambda_1$ per epoch (seed mean)",
        cmap="RdBu_r",
        norm=norm,
    )
    draw_boundary(ax, bnd, layer)
    chaos = (ly.q.median("seed") > Q_CHAOS).values
    cc, aa = np.meshgrid(ly.c.values, ly.alpha.values, indexing="ij")
    ax.scatter(cc[chaos], aa[chaos], marker="x", color="k", s=18, label=f"q > {Q_CHAOS:g}")
    ax.set(
        xlabel="$c$",
        ylabel=sym,
        title=f"{letter}  Lyapunov exponent",
        xlim=(edges(ly.c.values, log=True)[0], edges(ly.c.values, log=True)[-1]),
        ylim=(float(ly.alpha.min()) - 0.05, float(ly.alpha.max()) + 0.05),
    )


def slice_panels(
    axes,
    sl: xr.Dataset,
    attrs: dict,
    layer: str,
    sym: str,
    *,
    second: str = "q",
    letters: str = "fgh",
    curve_alpha: float | None = None,
) -> None:
    """Discrete maps against the flow on a slice: final log error per α (exact period-2
    cycles of a map boxed), ``second`` (``q`` or ``peak`` error) per α, and error
    curves of one run per scheme at ``curve_alpha`` (default: where the full-batch map has
    most period-2 cycles, else the largest α)."""
    ax1, ax2, ax3 = axes
    labels = json.loads(attrs["method_labels"])
    c = float(attrs["slice_c"])
    ac = alpha_crit(layer, c)
    boxed = False
    for m in sl.scheme.values:
        label = labels.get(str(m), str(m))
        y = sl.final_log10_test_error.sel(scheme=m)
        line = ax1.errorbar(
            sl.alpha.values,
            y.mean("seed"),
            yerr=sem(y.values, axis=-1),
            marker="o",
            ms=3,
            capsize=2,
            label=label,
        )
        two = (sl.period.sel(scheme=m) == 2).values
        if two.any():
            aa = np.broadcast_to(sl.alpha.values[:, None], two.shape)
            ax1.scatter(
                aa[two],
                y.values[two],
                marker="s",
                s=40,
                facecolors="none",
                edgecolors=OKABE_ITO["vermillion"],
                zorder=5,
                label=None if boxed else "run in an exact period-2 cycle",
            )
            boxed = True
        if second == "q":
            v = sl.q.sel(scheme=m).clip(min=1e-17)
        else:
            v = sl.peak_log10_test_error.sel(scheme=m)
        ax2.errorbar(
            sl.alpha.values,
            v.mean("seed"),
            yerr=sem(v.values, axis=-1),
            marker="o",
            ms=3,
            capsize=2,
            color=line[0].get_color(),
            label=label,
        )
    for axx in (ax1, ax2):
        if 0 < ac < 1:
            axx.axvline(ac, color="k", ls="--", lw=1, label="analytic boundary on the slice")
    ax1.set(
        xlabel=sym,
        ylabel=r"final $\log_{10}$(test error $+10^{-15}$)",
        title=f"{letters[0]}  maps vs flow (c = {c:.3f})",
    )
    if second == "q":
        ax2.set(
            yscale="log",
            xlabel=sym,
            ylabel="$q$ (final window)",
            title=f"{letters[1]}  $q$ on the slice",
        )
    else:
        ax2.set(
            xlabel=sym,
            ylabel=r"peak $\log_{10}$ test error",
            title=f"{letters[1]}  peak error on the slice",
        )
    two = (sl.period.sel(scheme=sl.scheme.values[0]) == 2).values
    if curve_alpha is not None:
        ai = int(np.argmin(np.abs(sl.alpha.values - curve_alpha)))
    else:
        ai = int(np.argmax(two.sum(axis=1))) if two.any() else len(sl.alpha) - 1
    si = int(np.argmax(two[ai])) if two[ai].any() else 0
    alpha = float(sl.alpha.values[ai])
    for m in sl.scheme.values:
        err = sl.test_error.sel(scheme=m).isel(alpha=ai, seed=si)
        ok = np.isfinite(err.values) & (sl.epoch.values > 0)
        ax3.plot(sl.epoch.values[ok], err.values[ok], label=labels.get(str(m), str(m)), lw=1)
    ax3.set(
        xscale="log",
        yscale="log",
        xlabel="epoch (flow: time / 0.1)",
        ylabel=f"test error (seed {int(sl.seed.values[si])})",
        title=f"{letters[2]}  error curves, {sym} = {alpha:g}",
    )
