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
``out/data``, any executor) with the phase-diagram helpers of Figs. 3 and 4
(:mod:`curldescent.figures._linear`) and :mod:`curldescent.figures._tanh_phase`; the sweeps
are ``fig6-<profile>`` and ``fig6-zoom-<profile>`` (:func:`sweeps`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from curldescent.figures._linear import assembly, boundary, grids
from curldescent.figures._tanh_phase import (
    MIN_SPAN,
    crossing_boundary,
    num,
    phase_figure,
    phase_panel,
    seed_reduce,
)
from curldescent.figures.base import Claim, profile_settings, verdict
from curldescent.plotting import shared_key
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


@dataclass(frozen=True)
class Settings:
    """What a profile sets for Fig. 6.

    Args:
        total: M + N of every network (c = M/N).
        epochs: length of every run.
        n_train: training examples.
        seeds: seeds per grid point (0, 1, ...).
        c: compression ratios of the whole grid (a).
        alpha: flipped fractions alpha_h (both grids).
        zoom_c: compression ratios of the close-up grid (b); None: the close-up shows the
            main grid's points with c <= ``ZOOM_MAX``.
        n_checkpoints: log-spaced checkpoints of every run.
    """

    total: int
    epochs: int
    n_train: int
    seeds: int
    c: tuple[float, ...]
    alpha: tuple[float, ...]
    zoom_c: tuple[float, ...] | None
    n_checkpoints: int


SETTINGS: dict[str, Settings] = {
    "smoke": Settings(
        total=20,
        epochs=30,
        n_train=40,
        seeds=2,
        c=(0.5,),
        alpha=(0.0, 1.0),
        zoom_c=None,
        n_checkpoints=10,
    ),
    "quick": Settings(
        total=60,
        epochs=1000,
        n_train=250,
        seeds=2,
        c=(0.1, 0.2, 0.4, 0.8, 3.0, 10.0),
        alpha=(0.0, 0.25, 0.5, 0.75, 1.0),
        zoom_c=None,
        n_checkpoints=40,
    ),
    "paper": Settings(
        total=220,
        epochs=100_000,
        n_train=250,
        seeds=10,
        c=tuple(np.logspace(-1, 2, 20).tolist()),
        alpha=tuple(np.linspace(0, 1, 21).tolist()),
        zoom_c=tuple(np.geomspace(0.1, 0.7, 12).tolist()),
        n_checkpoints=100,
    ),
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
LAYER = "hidden"


def settings(profile: str) -> Settings:
    """The grids and lengths of a profile (see :data:`PROFILES`).

    Raises:
        SpecError: an unknown profile.
    """
    return profile_settings(SETTINGS, profile)


def _base(profile: str) -> RunSpec:
    s = settings(profile)
    return preset_spec(
        "fig6",
        **{
            "train.epochs": s.epochs,
            "task.n_train": s.n_train,
            "train.n_checkpoints": s.n_checkpoints,
        },
    )


#: the grids of the figure: key in :func:`sweeps` -> sweep name (``<name>-<profile>``).
GRIDS = {"main": "fig6", "zoom": "fig6-zoom"}


def planned_runs(profile: str) -> int:
    """Runs the profile simulates (for progress displays before computing)."""
    return sum(sw.size for sw in sweeps(profile).values())


def sweeps(profile: str) -> dict[str, Any]:
    """The two grids of Fig. 6 (whole and close-up) for ``profile``."""
    s = settings(profile)
    layout = {
        "main": (s.c, "Fig. 6a: tanh hidden-flip phase diagram"),
        "zoom": (s.zoom_c, "Fig. 6b: close-up for c in [0.1, 0.7]"),
    }
    return {
        key: grids.grid_sweep(
            f"{GRIDS[key]}-{profile}",
            _base(profile),
            LAYER,
            cs,
            s.alpha,
            range(s.seeds),
            total=s.total,
            description=description,
        )
        for key, (cs, description) in layout.items()
        if cs is not None
    }


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


def compute(profile: str, out: Path, executor: Any = None) -> xr.Dataset:
    """Run (or resume) both grids (stores under ``out/data``), reduce them to mean log10
    errors, and evaluate the linear boundary and the simulated tanh boundary."""
    out = Path(out)
    parts = []
    wall = {}
    sw = sweeps(profile)
    for key in ("main", "zoom"):
        if key in sw:
            grid, _ = grids.run_grid(sw[key], out, executor)
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
            np.array([boundary.c_crit(float(a)) for a in grid.alpha.values]),
            {
                "long_name": "linear large-N c_crit at the grid's alpha_h (inf: stable for all c)",
                "units": "1",
            },
        )
        parts.append(assembly.prefixed(panel, key))
    ds = xr.merge([*parts, assembly.prefixed(boundary.boundary(LAYER), "bd")])
    ds.attrs.update(
        n_runs=planned_runs(profile),
        figure="fig6",
        profile=profile,
        settings=json.dumps(asdict(settings(profile))),
        base_spec=json.dumps(_base(profile).to_dict()),
        sweep_wall_time_s=json.dumps(wall),
    )
    return ds


def plot(data: xr.Dataset):
    fig, axes, bnd = phase_figure(data, "batch 10, {epochs} epochs, {seeds} seeds")
    panels = {k: assembly.panel(data, k) for k in ("main", "zoom")}
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


def claims(data: xr.Dataset) -> list[Claim]:
    """Claim (6): the tanh hidden phase diagram follows the linear trend, shifted to lower c."""
    p = assembly.panel(data, "main")
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
