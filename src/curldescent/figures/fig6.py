r"""Figure 6: the hidden-layer phase transition in tanh networks (Appendix C).

Test error of tanh networks (authors' output convention, minibatches of 10, 250 examples;
``preset_spec("fig6")``) trained by curl descent from a random start, against the
compression ratio :math:`c = M/N` (``M + N`` fixed, ``presets.sizes_for_c``) and the
fraction :math:`\alpha_h` of rule-flipped input neurons (D1). a) the whole grid (profiles
that run it), b) the close-up for :math:`c\in[0.1, 0.7]`, its own sweep as in the authors'
scripts, and c) (beyond the paper) the close-up run with **linear** networks of the same
size, seeds, task, start and length: the control against which "the boundary lies at lower
c than in linear networks" is judged. Colour: mean over seeds of
:math:`\log_{10}(\text{test error} + 10^{-15})` at the last epoch. Black curve: the analytic
large-N stability boundary of linear networks, :math:`c_{crit}(\alpha_h)` (stable for
:math:`c < c_{crit}`; :func:`curldescent.theory.boundary_curve`). White markers: the simulated
boundary, where the seed-mean log error crosses the midpoint of its range along c (the
definition Fig. 3 uses for linear networks), with bootstrap error bars over seeds.

The grids run through :mod:`curldescent.sweeps` (one resumable zarr store per grid under
``out/data``, any executor) with the phase-diagram helpers of Figs. 3 and 4
(:mod:`curldescent.figures._linear`) and :mod:`curldescent.figures._tanh_phase`; the sweeps
are ``fig6-<profile>``, ``fig6-zoom-<profile>`` and ``fig6-zoom-linear-<profile>``
(:func:`sweeps`).
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
    below_curve_verdict,
    crossing_boundary,
    finite_size_tolerance,
    grid_step_at,
    num,
    paired_shift,
    phase_figure,
    phase_panel,
    seed_reduce,
    shift_verdict,
)
from curldescent.figures.base import Claim, profile_settings, verdict
from curldescent.plotting import shared_key
from curldescent.presets import preset_spec
from curldescent.specs import RunSpec

CAPTION = (
    "Hidden-layer phase transition for tanh networks. a) Mean log10 test error as a function of the compression "
    "ratio c and the fraction of rule-flipped input neurons alpha_h. Black curve: analytical stability boundary "
    "derived for linear networks (stable for c < c_crit). White markers: simulated tanh boundary (midpoint "
    "crossing of the mean log error along c, bootstrap error bars). b) Close-up for c in [0.1, 0.7]. c) Beyond the "
    "paper: the close-up with linear networks of the same size (control). Reduced profiles use smaller networks, "
    "fewer epochs, seeds and grid points and may leave out panel a (see PROFILES)."
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
        c: compression ratios of the whole grid (a); empty: no whole grid.
        alpha: flipped fractions alpha_h of the whole grid.
        zoom_c: compression ratios of the close-up grid (b), its own sweep, and of the
            same-size linear control.
        zoom_alpha: flipped fractions alpha_h of the close-up and of its control.
        n_checkpoints: log-spaced checkpoints of every run.
    """

    total: int
    epochs: int
    n_train: int
    seeds: int
    c: tuple[float, ...]
    alpha: tuple[float, ...]
    zoom_c: tuple[float, ...]
    zoom_alpha: tuple[float, ...]
    n_checkpoints: int


SETTINGS: dict[str, Settings] = {
    "smoke": Settings(
        total=20,
        epochs=30,
        n_train=40,
        seeds=2,
        c=(0.5,),
        alpha=(0.0, 1.0),
        zoom_c=(0.2, 0.6),
        zoom_alpha=(0.0, 1.0),
        n_checkpoints=10,
    ),
    "quick": Settings(
        total=60,
        epochs=1000,
        n_train=250,
        seeds=3,
        c=(),
        alpha=(),
        zoom_c=(0.1, 0.2, 0.3, 0.4, 0.55, 0.7),
        zoom_alpha=(0.0, 0.5, 1.0),
        n_checkpoints=40,
    ),
    "decisive": Settings(
        total=220,
        epochs=2000,
        n_train=250,
        seeds=4,
        c=(),
        alpha=(),
        zoom_c=tuple(np.linspace(0.1, 0.7, 7).tolist()),
        zoom_alpha=(0.0, 0.5, 1.0),
        n_checkpoints=100,
    ),
    "paper": Settings(
        total=220,
        epochs=100_000,
        n_train=250,
        seeds=10,
        c=tuple(np.logspace(-1, 2, 20).tolist()),
        alpha=tuple(np.linspace(0, 1, 21).tolist()),
        zoom_c=tuple(np.linspace(0.1, 0.7, 20).tolist()),
        zoom_alpha=tuple(np.linspace(0, 1, 21).tolist()),
        n_checkpoints=100,
    ),
}
PROFILES = {
    "smoke": "M + N = 20, 30 epochs, N_train 40, 1-2 c x 2 alpha_h x 2 seeds (tests only)",
    "quick": (
        "M + N = 60 (paper 220), 1000 epochs (paper 1e5), 3 seeds (paper 10); no whole grid (a); the close-up (b) "
        "over 6 c in [0.1, 0.7] x alpha_h in {0, 0.5, 1} (paper 20 x 21) and its same-size linear control"
    ),
    "decisive": (
        "M + N = 220, N_train 250, batch 10, 2000 epochs (paper 1e5), 4 seeds (paper 10); no whole grid (a); the "
        "close-up (b) over c = linspace(0.1, 0.7, 7) (step 0.1) x alpha_h in {0, 0.5, 1} and its same-size linear "
        "control"
    ),
    "paper": (
        "the authors' grids: M + N = 220, c = logspace(-1, 2, 20), alpha_h = linspace(0, 1, 21), 10 seeds, "
        "1e5 epochs, batch 10, N_train 250; close-up: a second sweep over c = linspace(0.1, 0.7, 20); the "
        "close-up's same-size linear control (beyond the paper)"
    ),
}
LAYER = "hidden"
#: network fields of the same-size linear control (the linear networks of Fig. 3).
LINEAR = {
    "network.activation": "linear",
    "network.output_activation": "identity",
    "network.readout_error": "exact",
}


def settings(profile: str) -> Settings:
    """The grids and lengths of a profile (see :data:`PROFILES`).

    Raises:
        SpecError: an unknown profile.
    """
    return profile_settings(SETTINGS, profile)


def _base(profile: str, *, linear: bool = False) -> RunSpec:
    s = settings(profile)
    return preset_spec(
        "fig6",
        **{
            "train.epochs": s.epochs,
            "task.n_train": s.n_train,
            "train.n_checkpoints": s.n_checkpoints,
            # as the authors: a teacher per seed, inputs shared by the seeds of a grid point
            "data_seed": 0,
            **(LINEAR if linear else {}),
        },
    )


#: the grids of the figure: key in :func:`sweeps` -> sweep name (``<name>-<profile>``).
GRIDS = {"main": "fig6", "zoom": "fig6-zoom", "linear": "fig6-zoom-linear"}


def planned_runs(profile: str) -> int:
    """Runs the profile simulates (for progress displays before computing)."""
    return sum(sw.size for sw in sweeps(profile).values())


def sweeps(profile: str) -> dict[str, Any]:
    """The grids of Fig. 6: ``main`` (a; when the profile has one), ``zoom`` (b, its own
    sweep) and ``linear`` (the close-up's same-size linear control: same seeds, sizes,
    start and epochs)."""
    s = settings(profile)
    layout = {
        "main": (s.c, s.alpha, False, "Fig. 6a: tanh hidden-flip phase diagram"),
        "zoom": (s.zoom_c, s.zoom_alpha, False, "Fig. 6b: close-up for c in [0.1, 0.7]"),
        "linear": (
            s.zoom_c,
            s.zoom_alpha,
            True,
            "Fig. 6 control: the close-up with a linear network of the same size",
        ),
    }
    return {
        key: grids.grid_sweep(
            f"{GRIDS[key]}-{profile}",
            _base(profile, linear=linear),
            LAYER,
            cs,
            alphas,
            range(s.seeds),
            total=s.total,
            description=description,
        )
        for key, (cs, alphas, linear, description) in layout.items()
        if cs
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
            "c_tanh": "simulated boundary (midpoint crossing along c)",
            "log10_c_tanh_sd": "bootstrap SD of log10 c_tanh over seeds",
        },
    )


def compute(profile: str, out: Path, executor: Any = None) -> xr.Dataset:
    """Run (or resume) the grids (stores under ``out/data``), reduce them to mean log10
    errors, and evaluate the linear boundary, the simulated boundaries, the paired
    tanh-minus-linear shift of the close-up and the finite-size tolerance of the large-N
    comparison."""
    out = Path(out)
    s = settings(profile)
    parts, wall, values = [], {}, {}
    for key, sweep in sweeps(profile).items():
        grid, _ = grids.run_grid(sweep, out, executor)
        wall[key] = grid.attrs.get("sweep_wall_time_s")
        values[key] = grid.final_log10_test_error.transpose("c", "alpha", "seed").values
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
        crit = np.array([boundary.c_crit(float(a)) for a in grid.alpha.values])
        panel["c_crit_linear"] = (
            ("alpha",),
            crit,
            {
                "long_name": "linear large-N c_crit at the grid's alpha_h (inf: stable for all c)",
                "units": "1",
            },
        )
        if key != "linear":
            tol = finite_size_tolerance(LAYER, s.total, grid.c.values, grid.alpha.values, crit)
            panel["finite_size_tol"] = (
                ("alpha",),
                tol,
                {
                    "long_name": "tolerance of the large-N comparison, log10 c "
                    "(finite-size theory + grid step)",
                    "units": "1",
                },
            )
        parts.append(assembly.prefixed(panel, key))
    shift = paired_shift(np.array(s.zoom_c), values["zoom"], values["linear"], log_x=True)
    ds = xr.merge([*parts, assembly.prefixed(boundary.boundary(LAYER), "bd")])
    ds["cmp_shift_per_alpha"] = (
        ("zoom_alpha",),
        shift["per_line"],
        {"long_name": "log10 c boundary: tanh minus same-size linear", "units": "1"},
    )
    ds.attrs.update(
        n_runs=planned_runs(profile),
        figure="fig6",
        profile=profile,
        settings=json.dumps(asdict(s)),
        base_spec=json.dumps(_base(profile).to_dict()),
        sweep_wall_time_s=json.dumps(wall),
        shift=json.dumps({k: v for k, v in shift.items() if k != "per_line"}),
    )
    return ds


def plot(data: xr.Dataset):
    keys = [k for k in ("main", "zoom", "linear") if f"{k}_log10_error" in data]
    fig, axes, bnd = phase_figure(data, "batch 10, {epochs} epochs, {seeds} seeds", len(keys))
    panels = {k: assembly.panel(data, k) for k in keys}
    vmin = float(min(p.log10_error.min() for p in panels.values()))
    vmax = float(max(p.log10_error.max() for p in panels.values()))
    titles = {
        "main": "tanh, hidden flips",
        "zoom": "tanh, close-up",
        "linear": "linear control, same size (beyond the paper)",
    }
    for i, (ax, (key, p)) in enumerate(zip(axes, panels.items(), strict=True)):
        c, sd = p.c_tanh.values, np.nan_to_num(p.log10_c_tanh_sd.values)
        phase_panel(
            fig,
            ax,
            p,
            "log10_error",
            bnd,
            LAYER,
            title=f"{'abc'[i]}  {titles[key]}",
            label=r"mean $\log_{10}$(test error $+10^{-15}$)",
            line={"label": r"linear theory $c_{crit}(\alpha_h)$"},
            legend=None,
            marks=(c, p.alpha.values, {"xerr": np.stack([c - c / 10**sd, c * 10**sd - c])}),
            vmin=vmin,
            vmax=vmax,
        )
    shared_key(fig, ncol=2)
    return fig


def trend_verdict(span0: float, n_found: int, n_flipped: int) -> str:
    """Verdict of "the tanh hidden diagram follows the linear trend": ``span0`` the range (in
    decades) of the seed-mean log error along c at alpha_h = 0 (NaN: no alpha_h = 0
    column, ``not tested``), ``n_found`` of the ``n_flipped`` columns with alpha_h >= 0.2
    have a boundary. Reproduced when the alpha_h = 0 column changes by less than
    ``MIN_SPAN`` decades and a boundary is found for at least half of the flipped ones."""
    if not np.isfinite(span0) or n_flipped == 0:
        return "not tested"
    return verdict(bool(span0 < MIN_SPAN and n_found >= max(1, n_flipped // 2 + n_flipped % 2)))


def setting(data: xr.Dataset, key: str, at=None, interval: float | None = None) -> str:
    """The experiment behind a row: size, length, seeds, the grid of panel ``key``, and the
    log10 c step at the boundaries ``at`` (or the width of the bootstrap ``interval``)."""
    s = json.loads(data.attrs["settings"])
    cs, al = (s["c"], s["alpha"]) if key == "main" else (s["zoom_c"], s["zoom_alpha"])
    out = (
        f"M+N={s['total']}, {s['epochs']:.0e} epochs, batch 10, {s['seeds']} seeds, random start, "
        f"{len(cs)} c x {len(al)} alpha_h"
    )
    if at is not None:
        out += f"; log10 c step {grid_step_at(np.array(cs), at, log_x=True):.2g} at the boundary"
    if interval is not None:
        out += f"; 95% bootstrap interval width {interval:.2g} (log10 c)"
    return out


def claims(data: xr.Dataset) -> list[Claim]:
    """Claim (6) in three rows: the tanh trend (whole grid, else the close-up), tanh vs the
    same-size linear control (close-up), and the separate large-N comparison."""
    key = "main" if "main_log10_error" in data else "zoom"
    p = assembly.panel(data, key)
    alphas = p.alpha.values
    ct, cl = p.c_tanh.values, p.c_crit_linear.values
    rows = {
        f"{al:g}": {
            "c_tanh": num(float(ct[i])),
            "log10_sd": num(float(p.log10_c_tanh_sd.values[i]), 3),
            "c_crit_linear_large_N": num(float(cl[i])),
            "tolerance_log10": num(float(p.finite_size_tol.values[i]), 3),
        }
        for i, al in enumerate(alphas)
    }
    z = p.log10_error.transpose("c", "alpha").values
    flipped = alphas >= 0.2
    found = flipped & np.isfinite(ct)
    zero = alphas == 0
    span0 = float(np.ptp(z[:, zero])) if zero.any() else float("nan")
    sh = json.loads(data.attrs["shift"])
    zoom = assembly.panel(data, "zoom")
    n_lines = int((zoom.alpha.values >= 0.2).sum())
    shift = shift_verdict(sh["shift"], sh["lo"], sh["hi"], sh["n_lines"], max(1, n_lines // 2))
    width = sh["hi"] - sh["lo"] if sh["hi"] is not None else float("nan")
    with np.errstate(divide="ignore", invalid="ignore"):
        offsets = np.where(flipped, np.log10(ct) - np.log10(cl), np.nan)
    big, frac = below_curve_verdict(
        offsets, p.finite_size_tol.values, max(1, int(flipped.sum()) // 2)
    )
    return [
        Claim(
            "(6) The tanh hidden-flip phase diagram follows the linear trend: error rises above a c boundary for "
            "alpha_h > 0, not at alpha_h = 0",
            {"per_alpha_h": rows, "alpha0_error_span_decades": span0},
            trend_verdict(span0, int(found.sum()), int(flipped.sum())),
            detail=(
                f"simulated boundary = midpoint crossing of the seed-mean log10 error along c (>= {MIN_SPAN:g} decade "
                f"span). Reproduced if the alpha_h = 0 column changes by < {MIN_SPAN:g} decade and a boundary is found "
                f"for at least half of the alpha_h >= 0.2 ({int(found.sum())}/{int(flipped.sum())}); panel {key}"
            ),
            setting=setting(data, key, ct[found]),
        ),
        Claim(
            "(6) ... with the boundary shifted to lower c than in linear networks: tanh vs a linear network of the "
            "same size, seeds, start and length (close-up grid)",
            {k: sh[k] for k in ("shift", "lo", "hi", "n_lines")},
            shift,
            uncertainty=[sh["lo"], sh["hi"]],
            detail=(
                "shift = mean over alpha_h of log10 c boundary (tanh minus linear), both midpoint crossings of the "
                "seed-mean final log10 test error along c; paired bootstrap over seeds. Reproduced if the whole 95% "
                "interval lies below 0; not tested if fewer than half of the alpha_h >= 0.2 have both boundaries"
            ),
            setting=setting(data, "zoom", zoom.c_tanh.values, width),
        ),
        Claim(
            "(6) Separate comparison: the tanh c boundary lies below the large-N linear c_crit(alpha_h) (the "
            "paper's black curve)",
            {"share_below": frac, "offsets_log10": [num(v, 3) for v in offsets]},
            big,
            detail=(
                "per alpha_h >= 0.2, log10 of tanh boundary / large-N c_crit; below when < -tolerance, the tolerance "
                "= distance between the large-N and the finite-size boundary at this M+N (where half of sampled "
                "manifold points have an unstable direction, theory.finite_size.instability_fraction, 8 samples) "
                f"plus the log10 c grid step. Reproduced if >= 75% of the alpha_h with a boundary lie below; panel {key}"
            ),
            setting=setting(data, key, ct[found]),
        ),
    ]
