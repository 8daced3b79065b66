r"""Figure 6: the hidden-layer phase transition in tanh networks (Appendix C).

Test error of tanh networks (authors' output convention, minibatches of 10, 250 examples;
``preset_spec("fig6")``) trained by curl descent from a random start, against the
compression ratio :math:`c = M/N` (``M + N`` fixed, ``presets.sizes_for_c``) and the
fraction :math:`\alpha_h` of rule-flipped input neurons (D1). a) the whole grid, b) a
close-up for :math:`c\in[0.1, 0.7]`. Colour: mean over seeds of
:math:`\log_{10}(\text{test error} + 10^{-15})` at the last epoch. Black curve: the analytic
large-N stability boundary of **linear** networks, :math:`c_{crit}(\alpha_h)` (stable for
:math:`c < c_{crit}`; :func:`curldescent.theory.boundary_curve`). White markers: the simulated
tanh boundary, where the seed-mean log error crosses the midpoint of its range along c (the
definition Fig. 3 uses for linear networks), with bootstrap error bars over seeds.

The grids run through :mod:`curldescent.sweeps` (one resumable zarr store per grid under
``out/fig6-data``, any executor) with the phase-diagram helpers of Figs. 3 and 4
(:mod:`curldescent.figures._linear_phase`); the sweep specs are registered in
:data:`curldescent.sweeps.SWEEPS` as ``fig6-<profile>`` and ``fig6-zoom-<profile>``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from curldescent.figures import _linear_phase as lp
from curldescent.figures.base import Claim, verdict
from curldescent.plotting import PRINT_WIDTH, shared_key
from curldescent.presets import preset_spec
from curldescent.specs import RunSpec

CAPTION = (
    "Hidden-layer phase transition for tanh networks. a) Mean log10 test error as a function of the compression "
    "ratio c and the fraction of rule-flipped input neurons alpha_h. Black curve: analytical stability boundary "
    "derived for linear networks (stable for c < c_crit). White markers: simulated tanh boundary (midpoint "
    "crossing of the mean log error along c, bootstrap error bars). b) Close-up for c in [0.1, 0.7]. Reduced profiles use smaller networks, "
    "fewer epochs, seeds and grid points (see PROFILES)."
)
PAPER_COMPUTE = "6 hours on 500 CPUs (3,000 CPU-hours; local cluster)"
SETTINGS: dict[str, dict[str, Any]] = {
    "smoke": {
        "total": 20,
        "epochs": 30,
        "n_train": 40,
        "seeds": 2,
        "c": [0.5],
        "alpha": [0.0, 1.0],
        "zoom_c": None,
        "n_checkpoints": 10,
    },
    "quick": {
        "total": 60,
        "epochs": 1000,
        "n_train": 250,
        "seeds": 2,
        "c": [0.1, 0.2, 0.4, 0.8, 3.0, 10.0],
        "alpha": [0.0, 0.25, 0.5, 0.75, 1.0],
        "zoom_c": None,
        "n_checkpoints": 40,
    },
    "paper": {
        "total": 220,
        "epochs": 100_000,
        "n_train": 250,
        "seeds": 10,
        "c": np.logspace(-1, 2, 20).tolist(),
        "alpha": np.linspace(0, 1, 21).tolist(),
        "zoom_c": np.geomspace(0.1, 0.7, 12).tolist(),
        "n_checkpoints": 100,
    },
}
PROFILES = {
    "smoke": "M + N = 20, 30 epochs, N_train 40, 1 c x 2 alpha_h x 2 seeds (tests only)",
    "quick": (
        "M + N = 60 (paper 220), 1000 epochs (paper 1e5), 2 seeds (paper 10), 6 c x 5 alpha_h (paper 20 x 21); "
        "the close-up shows the main grid's points with c <= 0.7 (paper: a finer sweep of 12 c in [0.1, 0.7])"
    ),
    "paper": (
        "the authors' grid: M + N = 220, c = logspace(-1, 2, 20), alpha_h = linspace(0, 1, 21), 10 seeds, "
        "1e5 epochs, batch 10, N_train 250; close-up: a second sweep of 12 c in [0.1, 0.7]"
    ),
}
#: upper end of the close-up's c range (Fig. 6b).
ZOOM_MAX = 0.7
#: a transition along c must span at least this many decades of mean error to count.
MIN_SPAN = 1.0
LAYER = "hidden"


def _base(profile: str) -> RunSpec:
    s = SETTINGS[profile]
    return preset_spec(
        "fig6",
        **{
            "train.epochs": s["epochs"],
            "task.n_train": s["n_train"],
            "train.n_checkpoints": s["n_checkpoints"],
        },
    )


#: the grids of the figure: key in :func:`sweeps` -> sweep name (``<name>-<profile>``).
GRIDS = {"main": "fig6", "zoom": "fig6-zoom"}


def planned_runs(profile: str) -> int:
    """Runs the profile simulates (for progress displays before computing)."""
    return sum(sw.size for sw in sweeps(profile).values())


def sweeps(profile: str) -> dict[str, Any]:
    """The two grids of Fig. 6 (whole and close-up) for ``profile``."""
    s = SETTINGS[profile]
    grids = {
        "main": (s["c"], "Fig. 6a: tanh hidden-flip phase diagram"),
        "zoom": (s["zoom_c"], "Fig. 6b: close-up for c in [0.1, 0.7]"),
    }
    return {
        key: lp.grid_sweep(
            f"{GRIDS[key]}-{profile}",
            _base(profile),
            LAYER,
            cs,
            s["alpha"],
            range(s["seeds"]),
            total=s["total"],
            description=description,
        )
        for key, (cs, description) in grids.items()
        if cs is not None
    }


def crossing_boundary(
    value: xr.DataArray, along: str, x: np.ndarray, names: dict[str, str]
) -> xr.Dataset:
    """Per point of the grid's other dimension (``c`` or ``alpha``), Fig. 3's midpoint
    crossing (:func:`~curldescent.figures._linear_phase.crossing_with_error`: where the
    seed-mean of ``value`` crosses the midpoint of its range, interpolated in log10 ``x``;
    NaN when it changes by less than ``MIN_SPAN`` decades) along ``along`` at abscissae
    ``x``, and its bootstrap SD over seeds. Diverged (non-finite) runs count as +2.
    ``names``: long names of the estimate and of its SD, keyed by variable name."""
    other = "alpha" if along == "c" else "c"
    est, err = [], []
    for v in value[other].values:
        Y = value.sel({other: v}).transpose(along, "seed").values
        e, sd = lp.crossing_with_error(x, np.where(np.isfinite(Y), Y, 2.0), min_span=MIN_SPAN)
        est.append(e)
        err.append(sd)
    return xr.Dataset(
        {
            name: ((other,), np.array(vals), {"long_name": long_name, "units": "1"})
            for (name, long_name), vals in zip(names.items(), (est, err), strict=True)
        },
        coords={other: value[other].values},
    )


def tanh_boundary(grid: xr.Dataset) -> xr.Dataset:
    r"""Per flipped fraction, the c at which the seed-mean log10 error crosses the midpoint of
    its range along c (:func:`crossing_boundary`), with the bootstrap SD of its log10 over
    seeds. ``grid`` holds ``final_log10_test_error`` or ``peak_log10_test_error`` as
    ``value`` with dims (c, alpha, seed)."""
    return crossing_boundary(
        grid.value,
        "c",
        grid.c.values,
        {
            "c_tanh": "simulated tanh boundary (midpoint crossing along c)",
            "log10_c_tanh_sd": "bootstrap SD of log10 c_tanh over seeds",
        },
    )


def seed_reduce(z: xr.DataArray, how: str, what: str) -> xr.DataArray:
    """Mean or max over seeds of a log10 error (diverged runs count as +2)."""
    z = z.where(np.isfinite(z), 2.0)
    out = z.mean("seed") if how == "mean" else z.max("seed")
    out.attrs = {"long_name": f"{how} over seeds of {what} (diverged: +2)", "units": "1"}
    return out


def compute(profile: str, out: Path, executor: Any = None) -> xr.Dataset:
    """Run (or resume) both grids (stores under ``out/fig6-data``), reduce them to mean log10
    errors, and evaluate the linear boundary and the simulated tanh boundary."""
    root = Path(out) / "fig6-data"
    root.mkdir(parents=True, exist_ok=True)
    parts = []
    wall = {}
    sw = sweeps(profile)
    for key in ("main", "zoom"):
        if key in sw:
            grid, _ = lp.run_grid(sw[key], root, executor)
            wall[key] = grid.attrs.get("sweep_wall_time_s")
        else:  # the close-up from the main grid's points with c <= ZOOM_MAX (at least one)
            keep = grid.c.values <= ZOOM_MAX * (1 + 1e-9)
            keep[0] = True
            grid = grid.isel(c=np.nonzero(keep)[0])
        panel = xr.Dataset(
            {
                "log10_error": seed_reduce(
                    grid.final_log10_test_error,
                    "mean",
                    "log10(test error + 1e-15) at the last epoch",
                ),
                "diverged": grid.diverged.sum("seed"),
            }
        )
        panel = panel.merge(tanh_boundary(grid.assign(value=grid.final_log10_test_error)))
        panel["c_crit_linear"] = (
            ("alpha",),
            np.array([lp.c_crit(float(a)) for a in grid.alpha.values]),
            {
                "long_name": "linear large-N c_crit at the grid's alpha_h (inf: stable for all c)",
                "units": "1",
            },
        )
        parts.append(lp.prefixed(panel, key))
    ds = xr.merge([*parts, lp.prefixed(lp.boundary(LAYER), "bd")])
    ds.attrs.update(
        n_runs=planned_runs(profile),
        figure="fig6",
        profile=profile,
        settings=json.dumps(SETTINGS[profile]),
        base_spec=json.dumps(_base(profile).to_dict()),
        sweep_wall_time_s=json.dumps(wall),
    )
    return ds


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
    :func:`~curldescent.figures._linear_phase.heatmap` options), the linear boundary
    (``line``: its style), the simulated tanh boundary ``marks = (c, alpha, {"xerr" or
    "yerr": bars})`` as white markers where finite, axes and legend (at ``legend``; none if
    None)."""
    lp.heatmap(
        fig,
        ax,
        p.c.values,
        p.alpha.values,
        p[var].transpose("c", "alpha").values,
        label=label,
        **heat,
    )
    lp.draw_boundary(ax, bnd, layer, **line)
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
    return fig, axes, lp.panel(data, "bd")


def plot(data: xr.Dataset):
    fig, axes, bnd = phase_figure(data, "batch 10, {epochs} epochs, {seeds} seeds")
    panels = {k: lp.panel(data, k) for k in ("main", "zoom")}
    vmin = float(min(p.log10_error.min() for p in panels.values()))
    vmax = float(max(p.log10_error.max() for p in panels.values()))
    for ax, p, title in zip(
        axes, panels.values(), ("a  tanh, hidden flips", "b  close-up"), strict=True
    ):
        c, sd = p.c_tanh.values, np.nan_to_num(p.log10_c_tanh_sd.values)
        phase_panel(
            fig,
            ax,
            p,
            "log10_error",
            bnd,
            LAYER,
            title=title,
            label=r"mean $\log_{10}$(test error $+10^{-15}$)",
            line={"label": r"linear theory $c_{crit}(\alpha_h)$"},
            legend=None,
            marks=(c, p.alpha.values, {"xerr": np.stack([c - c / 10**sd, c * 10**sd - c])}),
            vmin=vmin,
            vmax=vmax,
        )
    shared_key(fig, ncol=2)
    return fig


def num(x: float, nd: int = 4) -> float | None:
    """``x`` rounded to ``nd`` digits for a claim's value; None if not finite."""
    return None if not np.isfinite(x) else round(float(x), nd)


def claims(data: xr.Dataset) -> list[Claim]:
    """Claim (6): the tanh hidden phase diagram follows the linear trend, shifted to lower c."""
    p = lp.panel(data, "main")
    alphas = p.alpha.values
    rows = {
        f"{al:g}": {
            "c_tanh": num(float(p.c_tanh.sel(alpha=al))),
            "log10_sd": num(float(p.log10_c_tanh_sd.sel(alpha=al)), 3),
            "c_crit_linear": num(float(p.c_crit_linear.sel(alpha=al))),
        }
        for al in alphas
    }
    z = p.log10_error.transpose("c", "alpha").values
    flipped = alphas >= 0.2
    found = flipped & np.isfinite(p.c_tanh.values)
    lower = found & (p.c_tanh.values < p.c_crit_linear.values)
    zero = alphas == 0
    span0 = float(np.ptp(z[:, zero])) if zero.any() else float("nan")
    flat0 = bool(zero.any() and span0 < MIN_SPAN)
    ok = flat0 and found.sum() >= max(1, flipped.sum() // 2) and lower.sum() >= 0.75 * found.sum()
    return [
        Claim(
            "(6) The tanh hidden-flip phase diagram follows the linear boundary's trend (error rises above a c "
            "boundary for alpha_h > 0, not at alpha_h = 0), shifted to lower c",
            {"per_alpha_h": rows, "alpha0_error_span_decades": span0},
            verdict(bool(ok)),
            detail=(
                f"simulated boundary = midpoint crossing of the seed-mean log10 error along c (Fig. 3's definition, "
                f">= {MIN_SPAN:g} decade span); reproduced if the alpha_h = 0 column changes by < {MIN_SPAN:g} decade "
                f"({flat0}), a boundary is found for at least half of the alpha_h >= 0.2 ({int(found.sum())}/"
                f"{int(flipped.sum())}) and >= 75% of them lie below the linear c_crit ({int(lower.sum())})"
            ),
        )
    ]
