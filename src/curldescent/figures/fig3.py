r"""Figure 3: hidden-layer curl terms lead to chaos (Section 5), with a Lyapunov certificate
and the discrete map set against its continuous-time flow.

Linear student–teacher networks with M + N = 220 and a fraction :math:`\alpha_h` of the
hidden layer's inputs obeying the flipped rule (eq. 5, :math:`D_2 = I`):

* **(a)** mean over seeds of :math:`\log_{10}(\text{test error} + 10^{-15})` at the last
  checkpoint over (c, α_h) (batch 10, random start), with the analytic boundary
  :math:`c_{crit}(\alpha_h)` (:mod:`curldescent.theory.edges`) and an inset on c ∈ [0.1, 0.7]
  from its own sweep (2e4 epochs, as the authors ran it);
* **(b)** the order parameter q against α_h at three c and against c at three α_h, full
  batch, from the normalised teacher with 1e-10 added to W2, in both readings: solid, the
  authors' plotted axis (mean temporal variance over the standard deviation of the temporal
  means); dotted, eq. 15 as printed (over their variance); dashed: the analytic transitions;
* **(c, d)** an example in the unstable regime (c = 0.8, α_h = 0.6): weights over learning,
  weight autocorrelations, and (inset) the trajectory on its first two principal components;
* **(e)** beyond the paper: the largest Lyapunov exponent of the learning map of (a)
  (batch 10), continued from each run's final weights (tangent dynamics by JVPs, renormalised
  every epoch), with the boundary; crosses where q over the same continuation exceeds
  ``Q_CHAOS``;
* **(f–h)** beyond the paper: on the slice c = 62/157 with the start of (b), the discrete
  full-batch map at lr = 0.1 (the map of b), the minibatch map (batch 10, the map of a) and
  the continuous-time flow (:mod:`curldescent.analysis.flow`, adaptive Tsit5) from identical
  starts: final error, q, exact cycles of the full-batch map (continued past the run's end),
  and error curves. Exact period-2 cycles with error ~30 appear in the full-batch map after
  ~10⁴ epochs at moderate α_h; the flow and the minibatch map fluctuate chaotically there.

The sweeps run through :mod:`curldescent.sweeps` (zarr stores under ``out/data``,
resumable, any executor); Lyapunov exponents, cycles, the flow and the example are derived
results, kept there by :func:`curldescent.figures.cache.derived`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from curldescent.analysis.statistics import bootstrap_crossing, local_step, sem, step_crossing
from curldescent.figures._linear import assembly, boundary, continuation, drawing, grids
from curldescent.figures._linear import claims as phase_claims
from curldescent.figures._linear.settings import (
    ExampleRunSettings,
    GridSettings,
    LyapunovSettings,
)
from curldescent.figures.base import Claim, profile_settings, verdict
from curldescent.figures.cache import derived
from curldescent.plotting import OKABE_ITO, shared_key

LAYER = "hidden"
CAPTION = (
    "Hidden layer curl terms lead to chaos. a) Mean over seeds of log10(test error + 1e-15) at the last "
    "checkpoint against the compression ratio c and the fraction alpha_h of rule-flipped inputs (batch 10); black: "
    "analytic stability boundary; inset: c in [0.1, 0.7] (own sweep). b) Order parameter q (mean over seeds) against "
    "alpha_h (three c) and c (three alpha_h), full batch from the teacher; solid: the paper's axis (mean temporal "
    "variance / SD of the temporal means), dotted: eq. 15 as printed (/ their variance); dashed: analytic transitions. c) Example weight "
    "dynamics in the unstable regime (c = 0.8, alpha_h = 0.6). d) Weight autocorrelations; inset: trajectory on its "
    "first two principal components. Beyond the paper: e) largest Lyapunov exponent of the learning map of (a); "
    "f-h) discrete maps (full batch lr 0.1; batch 10) against the continuous-time flow from the start of (b) on the "
    "slice c = 62/157 (vermillion squares: runs in exact period-2 cycles)."
)
PAPER_COMPUTE = "4 hours on 500 CPUs (local cluster), i.e. about 2,000 CPU-hours"
PROFILES = {
    "smoke": "tests only: M + N = 24, one c (= 1), alpha_h in {0, 0.5, 1}, 2 seeds, 40-60 epochs; inset 2 c x 2 "
    "alpha_h; Lyapunov 20 epochs; flow over 6 time units; no batch-10 slice scheme",
    "quick": "(a) 6 c in [0.1, 3] x 6 alpha_h x 2 seeds x 1,000 epochs; inset 7 c in [0.1, 0.7] x 3 alpha_h x 2 "
    "seeds x 1,000 epochs; (b) 7 alpha_h at the paper's three c and 5 c in [0.1, 0.7] at the three alpha_h, 2 "
    "seeds, 3,000 epochs, q over the last 300; example 1,000 epochs; Lyapunov at 3 c x 6 alpha_h x 2 seeds over "
    "300 epochs; slice 6 alpha_h x 2 seeds x 10,000 epochs; finite-size band from 12 draws",
    "decisive": "M + N = 220, N_train = 250: (a) 7 c of logspace(-1, 2, 20) x 6 alpha_h x 2 seeds x 1e4 epochs; "
    "inset c = linspace(0.1, 0.7, 20) x alpha_h in {0.1, 0.3, 0.5, 0.7, 1} x 2 seeds x 2e4 epochs (the "
    "boundary and its trend); (b) 13 alpha_h at the three c and 10 c at the three alpha_h, 2 seeds, 1e5 epochs, "
    "q over the last 1000; beyond the paper (example 2e4 epochs, Lyapunov, slice) as in quick; finite-size band "
    "from 32 draws",
    "paper": "the protocol (docs/protocol.md): (a) c = logspace(-1, 2, 20), alpha_h = linspace(0, 1, 21), 10 seeds, "
    "batch 10, 1e5 epochs, 100 log-spaced checkpoints; inset c = linspace(0.1, 0.7, 20), 21 alpha_h, 10 seeds, 2e4 "
    "epochs; (b) full batch, c in {50/169, 62/157, 73/146} x alpha_h = linspace(0, 1, 25) and c = linspace(0.1, "
    "0.7, 20) x alpha_h in {0.4, 0.5, 0.6}, 10 seeds, 1e5 epochs, q over the last 1000; example 1e5 epochs; "
    "Lyapunov on the grid of (a), 3 seeds, 2,000 epochs after 200 of alignment (its tangent map costs ~10 forward "
    "epochs); exact cycles of every run of (b) top; slice 21 alpha_h x 3 seeds x 1e5 epochs",
}

C_B = (50 / 169, 62 / 157, 73 / 146)

_PAPER_C = tuple(np.logspace(-1, 2, 20).tolist())
_PAPER_A = tuple(np.linspace(0, 1, 21).round(10).tolist())


@dataclass(frozen=True)
class QGridSettings:
    """The full-batch grids of Fig. 3b, from the normalised teacher (q against alpha_h at
    ``c_alpha`` and against ``c`` at ``alpha_c``).

    Args:
        c_alpha: the c values of the alpha_h sweep.
        alpha: its flipped fractions.
        c: the c values of the c sweep.
        alpha_c: its flipped fractions.
        seeds: seeds per grid point.
        epochs: length of every run.
        window: final epochs over which q is measured.
        n_checkpoints: log-spaced checkpoints of every run.
        chunk: runs per compiled engine call (None: the engine's default).
        cycles: store final weights and find the exact cycles of the alpha_h sweep.
    """

    c_alpha: tuple[float, ...]
    alpha: tuple[float, ...]
    c: tuple[float, ...]
    alpha_c: tuple[float, ...]
    seeds: tuple[int, ...]
    epochs: int
    window: int
    n_checkpoints: int
    chunk: int | None
    cycles: bool


@dataclass(frozen=True)
class SliceSettings:
    """The slice of Figs. 3f-h: one c from the start of (b) under several schemes.

    Args:
        c: its compression ratio.
        alpha: its flipped fractions.
        seeds: seeds per point.
        epochs: length of every run.
        window: final epochs over which q is measured.
        methods: the schemes (keys of :data:`METHOD_LABELS`).
    """

    c: float
    alpha: tuple[float, ...]
    seeds: tuple[int, ...]
    epochs: int
    window: int
    methods: tuple[str, ...]


@dataclass(frozen=True)
class Settings:
    """What a profile sets for Fig. 3.

    Args:
        total: M + N of every network.
        a: the grid of (a), batch 10 from a random start.
        inset: the close-up grid of (a)'s inset (its own sweep, c in [0.1, 0.7]), batch 10
            from a random start; it locates the simulated boundary.
        b: the full-batch grids of (b).
        example: the example run of (c, d).
        lyap: the map continuation of (e).
        slice: the slice of (f-h).
        fs_draws: draws of the manifold point per grid point of the finite-size band
            (:func:`curldescent.figures._linear.boundary.finite_size_bands`).
    """

    total: int
    a: GridSettings
    inset: GridSettings
    b: QGridSettings
    example: ExampleRunSettings
    lyap: LyapunovSettings
    slice: SliceSettings
    fs_draws: int


_INSET_C = tuple(np.linspace(0.1, 0.7, 20).tolist())
_B_ALPHA = tuple(np.linspace(0, 1, 25).round(10).tolist())

SETTINGS: dict[str, Settings] = {
    "smoke": Settings(
        total=24,
        a=GridSettings(c=(1.0,), alpha=(0.0, 0.5, 1.0), seeds=(0, 1), epochs=40, n_checkpoints=8),
        inset=GridSettings(
            c=(0.5, 1.0), alpha=(0.5, 1.0), seeds=(0, 1), epochs=40, n_checkpoints=8
        ),
        b=QGridSettings(
            c_alpha=(1.0,),
            alpha=(0.0, 0.5, 1.0),
            c=(1.0,),
            alpha_c=(0.5,),
            seeds=(0, 1),
            epochs=60,
            window=20,
            n_checkpoints=8,
            chunk=2,
            cycles=False,
        ),
        example=ExampleRunSettings(c=1.0, alpha=0.5, seed=0, epochs=40, segment=20, stride=1),
        lyap=LyapunovSettings(c=(1.0,), seeds=(0,), n_window=10, n_lyap=20, transient=5),
        slice=SliceSettings(
            c=1.0,
            alpha=(0.0, 0.5, 1.0),
            seeds=(0, 1),
            epochs=60,
            window=20,
            methods=("map_full_batch", "flow"),
        ),
        fs_draws=4,
    ),
    "quick": Settings(
        total=220,
        a=GridSettings(
            c=(0.1, 0.18, 0.3, 0.5, 1.0, 3.0),
            alpha=(0.0, 0.2, 0.4, 0.6, 0.8, 1.0),
            seeds=(0, 1),
            epochs=1000,
            n_checkpoints=30,
        ),
        inset=GridSettings(
            c=_INSET_C[::3], alpha=(0.2, 0.6, 1.0), seeds=(0, 1), epochs=1000, n_checkpoints=30
        ),
        b=QGridSettings(
            c_alpha=C_B,
            alpha=_B_ALPHA[::4],
            c=_INSET_C[::4],
            alpha_c=(0.4, 0.5, 0.6),
            seeds=(0, 1),
            epochs=3000,
            window=300,
            n_checkpoints=30,
            chunk=6,
            cycles=False,
        ),
        example=ExampleRunSettings(c=0.8, alpha=0.6, seed=0, epochs=1000, segment=500, stride=1),
        lyap=LyapunovSettings(
            c=(0.18, 0.5, 3.0), seeds=(0, 1), n_window=100, n_lyap=300, transient=50
        ),
        slice=SliceSettings(
            c=62 / 157,
            alpha=(0.0, 0.1, 0.3, 0.5, 0.7, 0.9),
            seeds=(0, 1),
            epochs=10_000,
            window=300,
            methods=("map_full_batch", "map_batch_10", "flow"),
        ),
        fs_draws=12,
    ),
    "decisive": Settings(
        total=220,
        a=GridSettings(
            c=_PAPER_C[::3], alpha=_PAPER_A[::4], seeds=(0, 1), epochs=10_000, n_checkpoints=100
        ),
        inset=GridSettings(
            c=_INSET_C,
            alpha=(0.1, 0.3, 0.5, 0.7, 1.0),
            seeds=(0, 1),
            epochs=20_000,
            n_checkpoints=100,
        ),
        b=QGridSettings(
            c_alpha=C_B,
            alpha=_B_ALPHA[::2],
            c=_INSET_C[::2],
            alpha_c=(0.4, 0.5, 0.6),
            seeds=(0, 1),
            epochs=100_000,
            window=1000,
            n_checkpoints=100,
            chunk=None,
            cycles=True,
        ),
        example=ExampleRunSettings(c=0.8, alpha=0.6, seed=0, epochs=20_000, segment=5000, stride=5),
        lyap=LyapunovSettings(
            c=(0.18, 0.5, 3.0), seeds=(0, 1), n_window=100, n_lyap=300, transient=50
        ),
        slice=SliceSettings(
            c=62 / 157,
            alpha=(0.0, 0.1, 0.3, 0.5, 0.7, 0.9),
            seeds=(0, 1),
            epochs=10_000,
            window=300,
            methods=("map_full_batch", "map_batch_10", "flow"),
        ),
        fs_draws=32,
    ),
    "paper": Settings(
        total=220,
        a=GridSettings(
            c=_PAPER_C, alpha=_PAPER_A, seeds=tuple(range(10)), epochs=100_000, n_checkpoints=100
        ),
        inset=GridSettings(
            c=_INSET_C, alpha=_PAPER_A, seeds=tuple(range(10)), epochs=20_000, n_checkpoints=100
        ),
        b=QGridSettings(
            c_alpha=C_B,
            alpha=_B_ALPHA,
            c=_INSET_C,
            alpha_c=(0.4, 0.5, 0.6),
            seeds=tuple(range(10)),
            epochs=100_000,
            window=1000,
            n_checkpoints=100,
            chunk=None,
            cycles=True,
        ),
        example=ExampleRunSettings(
            c=0.8, alpha=0.6, seed=0, epochs=100_000, segment=10_000, stride=10
        ),
        lyap=LyapunovSettings(
            c=_PAPER_C, seeds=(0, 1, 2), n_window=1000, n_lyap=2000, transient=200
        ),
        slice=SliceSettings(
            c=62 / 157,
            alpha=_PAPER_A,
            seeds=(0, 1, 2),
            epochs=100_000,
            window=1000,
            methods=("map_full_batch", "map_batch_10", "flow"),
        ),
        fs_draws=48,
    ),
}
#: the seed of the inputs, shared by every seed of a grid point while each seed draws its
#: own teacher, as in the authors' scripts (docs/protocol.md, Fig. 3).
DATA_SEED = 0
METHOD_LABELS = {
    "map_full_batch": "map, full batch, lr 0.1",
    "map_batch_10": "map, batch 10",
    "flow": "continuous flow (diffrax)",
}


def settings(profile: str) -> Settings:
    """The grids and lengths of a profile (see :data:`PROFILES`).

    Raises:
        SpecError: an unknown profile.
    """
    return profile_settings(SETTINGS, profile)


def sweeps(profile: str) -> dict[str, Any]:
    """The profile's sweeps: ``a`` (Fig. 3a), ``inset`` (its inset), ``b_alpha`` and ``b_c``
    (Fig. 3b; window moments stored for both readings of q) and, for the
    slice (the Fig. 3b start at one c), ``slice_fb`` (full-batch map) and ``slice_b10``
    (minibatch map, batch 10)."""
    from curldescent.presets import preset_spec

    g = settings(profile)
    a, ins, b, sl = g.a, g.inset, g.b, g.slice
    base_a, base_inset = (
        preset_spec(
            "fig3a",
            **{"train.epochs": x.epochs, "train.n_checkpoints": x.n_checkpoints},
        ).replace(data_seed=DATA_SEED)
        for x in (a, ins)
    )
    base_b = preset_spec(
        "fig3b",
        **{
            "train.epochs": b.epochs,
            "train.n_checkpoints": b.n_checkpoints,
            "train.final_window": b.window,
        },
    ).replace(data_seed=DATA_SEED)
    base_sl = base_b.replace(**{"train.epochs": sl.epochs, "train.final_window": sl.window})
    total = g.total
    out = {
        "a": grids.grid_sweep(
            f"fig3a-{profile}",
            base_a,
            LAYER,
            a.c,
            a.alpha,
            a.seeds,
            total=total,
            store_weights=True,
            description="Fig. 3a: batch 10, random start",
        ),
        "inset": grids.grid_sweep(
            f"fig3a-inset-{profile}",
            base_inset,
            LAYER,
            ins.c,
            ins.alpha,
            ins.seeds,
            total=total,
            description="Fig. 3a inset: its own sweep over c in [0.1, 0.7], batch 10, random start",
        ),
        "b_alpha": grids.grid_sweep(
            f"fig3b-alpha-{profile}",
            base_b,
            LAYER,
            b.c_alpha,
            b.alpha,
            b.seeds,
            total=total,
            store_weights=True,
            chunk_size=b.chunk,
            description="Fig. 3b top: full batch from the normalised teacher + 1e-10 on W2",
        ),
        "b_c": grids.grid_sweep(
            f"fig3b-c-{profile}",
            base_b,
            LAYER,
            b.c,
            b.alpha_c,
            b.seeds,
            total=total,
            store_weights=True,
            chunk_size=b.chunk,
            description="Fig. 3b bottom",
        ),
        "slice_fb": grids.grid_sweep(
            f"fig3-slice-fb-{profile}",
            base_sl,
            LAYER,
            [sl.c],
            sl.alpha,
            sl.seeds,
            total=total,
            store_weights=True,
            description="slice: the full-batch map (lr 0.1) from the Fig. 3b start",
        ),
    }
    if "map_batch_10" in sl.methods:
        out["slice_b10"] = grids.grid_sweep(
            f"fig3-slice-b10-{profile}",
            base_sl.replace(**{"train.batch_size": 10}),
            LAYER,
            [sl.c],
            sl.alpha,
            sl.seeds,
            total=total,
            description="slice: the minibatch map (batch 10) from the Fig. 3b start",
        )
    return out


def planned_runs(profile: str) -> int:
    """Runs the profile simulates (for progress displays before computing); the flow
    repeats the runs of the ``slice_fb`` sweep."""
    return assembly.planned_runs(sweeps(profile), "slice_fb")


def compute(profile: str, out: Path, executor: Any = None) -> xr.Dataset:
    """Run (or resume) the sweeps, the map continuations (Lyapunov, q, cycles), the example
    run and the flow slice of a profile; return the figure's data (panels prefixed ``a_``,
    ``ba_``, ``bc_``, ``ex_``, ``ly_``, ``sl_``, ``bd_``)."""

    g = settings(profile)
    out = Path(out)
    sw = sweeps(profile)
    times: dict[str, float] = {}

    t0 = time.time()
    a, store_a = grids.run_grid(sw["a"], out, executor)
    assembly.timing("sweep_a", t0, times)
    t0 = time.time()
    ins, _ = grids.run_grid(sw["inset"], out, executor)
    assembly.timing("sweep_inset", t0, times)
    t0 = time.time()
    ba, store_ba = grids.run_grid(sw["b_alpha"], out, executor, curves=True)
    bc, store_bc = grids.run_grid(sw["b_c"], out, executor)
    for ds, store in ((ba, store_ba), (bc, store_bc)):
        ds["q_std"] = grids.window_q(store).q_std
    assembly.timing("sweeps_b", t0, times)
    t0 = time.time()
    fs_alpha = sorted({float(x) for x in (*g.a.alpha, *g.inset.alpha) if x > 0})
    fs = derived(
        out,
        f"finite-size-{sw['inset'].name}",
        {"total": g.total, "alpha": fs_alpha, "draws": g.fs_draws},
        lambda: boundary.finite_size_bands(LAYER, g.total, fs_alpha, range(g.fs_draws)),
    )
    assembly.timing("finite_size_bands", t0, times)

    ex, ly = assembly.example_and_lyapunov(
        "fig3a", LAYER, g, sw["a"], store_a, out, executor, times
    )

    parts = {}
    if g.b.cycles:
        t0 = time.time()
        cyb = derived(
            out,
            f"cycles-{sw['b_alpha'].name}",
            {"sweep": sw["b_alpha"].to_dict()},
            lambda: continuation.cycle_periods(
                sw["b_alpha"], store_ba, g.b.c_alpha, g.b.seeds, executor
            ),
        )
        parts["cy"] = cyb[["period"]]
        assembly.timing("cycles_b", t0, times)
    sl = assembly.scheme_slice(
        sw["slice_fb"],
        g.slice.seeds,
        out,
        executor,
        times,
        other_maps={"map_batch_10": sw["slice_b10"]} if "slice_b10" in sw else None,
    )

    panels = {
        "a": a,
        "in": ins,
        "fs": fs,
        "ba": ba.drop_vars(["test_error", "epoch"]),
        "bc": bc,
        "ex": ex,
        "ly": ly,
        "sl": sl,
        **parts,
    }
    return assembly.assemble(
        "fig3",
        LAYER,
        profile,
        g,
        sw,
        out,
        times,
        panels,
        method_labels=METHOD_LABELS,
        attrs={
            "epochs_slice": g.slice.epochs,
            "epochs_a": g.a.epochs,
            "epochs_inset": g.inset.epochs,
            "fs_draws": g.fs_draws,
            "epochs_b": g.b.epochs,
            "window_b": g.b.window,
        },
    )


# ----------------------------------------------------------------------------- plot


def plot(data: xr.Dataset):
    """Panels a–h (see the module docstring); reads ``data`` only."""
    fig, ax = drawing.panel_grid("a b1 b2 / c d e / f g h")
    bnd = assembly.panel(data, "bd")

    # (a) phase diagram
    a = assembly.panel(data, "a")
    Z = grids.finite(a.final_log10_test_error).mean("seed")
    vmax = max(0.0, float(np.nanmax(Z)))
    drawing.heatmap(
        fig,
        ax["a"],
        a.c.values,
        a.alpha.values,
        Z.values,
        label=r"$\log_{10}$(test error $+10^{-15}$)",
        vmin=-15,
        vmax=vmax,
    )
    drawing.draw_boundary(ax["a"], bnd, LAYER)
    drawing.mark_diverged(ax["a"], a.c.values, a.alpha.values, a.diverged.values)
    ax["a"].set(
        xlabel="compression ratio $c=M/N$",
        ylabel=r"flipped fraction $\alpha_h$",
        ylim=(float(a.alpha.min()) - 0.05, float(a.alpha.max()) + 0.05),
        xlim=(drawing.edges(a.c.values, log=True)[0], drawing.edges(a.c.values, log=True)[-1]),
        title=f"a  final test error ({a.sizes['seed']} seeds)",
    )
    ia = assembly.panel(data, "in")
    Zi = grids.finite(ia.final_log10_test_error).mean("seed")
    if ia.sizes["c"] >= 2:
        ins = ax["a"].inset_axes([0.55, 0.47, 0.42, 0.42])
        drawing.heatmap(
            fig,
            ins,
            ia.c.values,
            ia.alpha.values,
            Zi.values,
            label="",
            vmin=-15,
            vmax=vmax,
            colorbar=False,
        )
        drawing.draw_boundary(ins, bnd, LAYER)
        ce = drawing.edges(ia.c.values, log=True)
        ins.set_xlim(ce[0], ce[-1])
        ins.set_ylim(float(ia.alpha.min()) - 0.05, float(ia.alpha.max()) + 0.05)
        ins.set_xticks([0.1, 0.4, 0.7], ["0.1", "0.4", "0.7"])
        ins.set_yticks([0, 0.5, 1], ["0", "0.5", "1"])
        ins.tick_params(pad=1)
        ins.set_title(rf"$c\in[0.1, 0.7]$, {int(data.attrs['epochs_inset']):.0e} epochs", pad=2)

    # (b) q
    ba = assembly.panel(data, "ba")
    bc = assembly.panel(data, "bc")
    floor = 1e-17
    lines = []
    for c in ba.c.values:
        q = ba.q_std.sel(c=c).clip(min=floor)
        line = ax["b1"].errorbar(
            ba.alpha.values,
            q.mean("seed"),
            yerr=sem(q.values, axis=-1),
            marker="o",
            ms=3,
            capsize=2,
            label=f"c = {c:.3f}",
        )
        ax["b1"].plot(
            ba.alpha.values,
            ba.q.sel(c=c).clip(min=floor).mean("seed"),
            ls=":",
            lw=1,
            color=line[0].get_color(),
        )
        lines.append(line)
        ac = boundary.alpha_crit(LAYER, float(c))
        if 0 < ac < 1:
            ax["b1"].axvline(ac, ls="--", color=line[0].get_color(), lw=1)
    if "cy_period" in data:
        cy = assembly.panel(data, "cy")
        boxed = False
        for c in cy.c.values:
            two = (cy.period.sel(c=c) == 2).values
            if two.any():
                q = ba.q_std.sel(c=c, method="nearest").clip(min=floor).values
                aa = np.broadcast_to(ba.alpha.values[:, None], q.shape)
                ax["b1"].scatter(
                    aa[two],
                    q[two],
                    marker="s",
                    s=30,
                    facecolors="none",
                    edgecolors=OKABE_ITO["vermillion"],
                    zorder=5,
                    label=None if boxed else "run in an exact period-2 cycle",
                )
                boxed = True
    ax["b1"].set(
        yscale="log",
        xlabel=r"$\alpha_h$",
        ylabel=r"$q$: solid $\mathbb{E}[\mathrm{var}]/\mathrm{SD}[\mathrm{mean}]$ (paper's axis); dotted eq. 15",
        title="b  $q$ against $\\alpha_h$ (full batch)",
    )
    ax["b1"].legend(handles=lines)
    for alpha in bc.alpha.values:
        q = bc.q_std.sel(alpha=alpha).clip(min=floor)
        line = ax["b2"].errorbar(
            bc.c.values,
            q.mean("seed"),
            yerr=sem(q.values, axis=-1),
            marker="o",
            ms=3,
            capsize=2,
            label=rf"$\alpha_h$ = {alpha:g}",
        )
        ax["b2"].plot(
            bc.c.values,
            bc.q.sel(alpha=alpha).clip(min=floor).mean("seed"),
            ls=":",
            lw=1,
            color=line[0].get_color(),
        )
        ax["b2"].axvline(boundary.c_crit(float(alpha)), ls="--", color=line[0].get_color(), lw=1)
    ax["b2"].set(
        yscale="log", xlabel="$c$", ylabel="$q$ (as in b, top)", title="b  $q$ against $c$"
    )
    ax["b2"].legend()

    # (c, d) example
    drawing.example_panels(ax["c"], ax["d"], data, r"$\alpha_h$", "d  weight autocorrelations")

    # (e) Lyapunov map
    drawing.lyapunov_panel(fig, ax["e"], assembly.panel(data, "ly"), bnd, LAYER, r"$\alpha_h$", "e")

    # (f-h) slice
    drawing.slice_panels(
        (ax["f"], ax["g"], ax["h"]), assembly.panel(data, "sl"), data.attrs, LAYER, r"$\alpha_h$"
    )
    shared_key(fig)
    return fig


# ----------------------------------------------------------------------------- claims


def _tolerance(data: xr.Dataset, alpha: float, grid: np.ndarray | None) -> tuple[float, float]:
    """The tolerance interval in c of the boundary at ``alpha``: the analytic c_crit with the
    finite-size band (panel ``fs``), widened by half the local step of ``grid`` (None: not
    widened)."""
    fs = assembly.panel(data, "fs")
    if not np.any(np.isclose(fs.alpha.values, alpha)):
        return (math.nan, math.nan)
    row = fs.sel(alpha=alpha, method="nearest")
    band = (float(row["low"]), float(row["median"]), float(row["high"]))
    cc = boundary.c_crit(float(alpha))
    step = 0.0 if grid is None else local_step(grid, cc, log_x=True)
    return phase_claims.tolerance_interval(cc, band, step, log_x=True)


def stability_rule(f_in, f_out, q_in: float, q_out: float) -> tuple[str, dict]:
    """Verdict of claim (1) from per-seed fractions of runs at low error inside the
    tolerance band (``f_in``) and at high error beyond it (``f_out``) and the median q either
    side of the boundary: reproduced if both mean fractions are at least
    ``STABLE_FRACTION`` and q beyond exceeds max(``Q_CHAOS``, 1e3 x q inside); not tested
    when a side has no runs."""
    v_in, m_in = phase_claims.fraction_rule(f_in, STABLE_FRACTION)
    v_out, m_out = phase_claims.fraction_rule(f_out, STABLE_FRACTION)
    value = {"mean_fraction_inside": m_in, "mean_fraction_beyond": m_out}
    if "not tested" in (v_in, v_out) or not (np.isfinite(q_in) and np.isfinite(q_out)):
        return "not tested", value
    q_ok = q_out > max(phase_claims.Q_CHAOS, 1e3 * q_in)
    return verdict(v_in == v_out == "reproduced" and bool(q_ok)), value


#: fraction of runs that must be on the side the boundary predicts (claim 1).
STABLE_FRACTION = 0.9


def _step_text(grid, alphas) -> str:
    steps = [local_step(grid, boundary.c_crit(float(a)), log_x=False) for a in alphas if a > 0]
    steps = [x for x in steps if np.isfinite(x)]
    if not steps:
        return "no c step at the boundary"
    lo, hi = min(steps), max(steps)
    return f"c step {lo:.3g}" + ("" if np.isclose(lo, hi) else f"-{hi:.3g}") + " at c_crit"


def claim_stability(data: xr.Dataset) -> Claim:
    r"""(1) For α_h > 0: runs inside the finite-size tolerance band of the analytic boundary
    (c below it) reach low test error (< ``LOW_ERROR``), runs beyond it do not
    (> ``HIGH_ERROR``), and q rises across the boundary (Fig. 3b, c sweep)."""
    a = assembly.panel(data, "a")
    tol = np.array([_tolerance(data, float(al), None) for al in a.alpha.values])  # (alpha, 2)
    c = a.c.values[:, None]
    pos = (a.alpha.values > 0)[None, :]
    inside = pos & (c < tol[None, :, 0])
    beyond = pos & (c > tol[None, :, 1])
    err = grids.failed_error(a.final_test_error.values)  # (c, alpha, seed); diverged = failed
    S = err.shape[-1]
    f_in = (
        np.mean(err[inside] < phase_claims.LOW_ERROR, axis=0)
        if inside.any()
        else np.full(S, np.nan)
    )
    f_out = (
        np.mean(err[beyond] > phase_claims.HIGH_ERROR, axis=0)
        if beyond.any()
        else np.full(S, np.nan)
    )
    bc = assembly.panel(data, "bc")
    ccb = np.array([boundary.c_crit(al) for al in bc.alpha.values])
    q = bc.q.values  # (c, alpha, seed)
    qin = q[(bc.c.values[:, None] < ccb[None, :])]
    qout = q[(bc.c.values[:, None] > ccb[None, :])]
    q_in = float(np.nanmedian(qin)) if qin.size else math.nan
    q_out = float(np.nanmedian(qout)) if qout.size else math.nan
    v, rule = stability_rule(f_in, f_out, q_in, q_out)
    value = {
        "fraction_low_error_inside": rule["mean_fraction_inside"],
        "fraction_high_error_beyond": rule["mean_fraction_beyond"],
        "median_q_inside": q_in,
        "median_q_beyond": q_out,
        "n_points_inside": int(inside.sum()),
        "n_points_beyond": int(beyond.sum()),
        "n_diverged_runs": int(np.sum(a.diverged.values)),
    }
    unc = {
        "fraction_low_error_inside": float(sem(f_in)),
        "fraction_high_error_beyond": float(sem(f_out)),
    }
    return Claim(
        "Hidden-layer flips (alpha_h > 0) induce chaotic learning dynamics when the solution manifold loses "
        "stability: runs inside the analytic stable region reach low test error, runs beyond it do not, and the "
        "order parameter q rises across the boundary",
        value,
        v,
        uncertainty=unc,
        detail=f"fractions over runs of (a) at grid points below / above the tolerance band of c_crit(alpha_h) "
        f"(analytic value with the finite-size band, median +- {phase_claims.N_SIGMA:g} SD of the critical c over "
        f"draws of the manifold point at this M+N): error < {phase_claims.LOW_ERROR:g} inside, > "
        f"{phase_claims.HIGH_ERROR:g} beyond; uncertainty: SEM over seeds; q: median over the c sweep of (b) either "
        f"side of c_crit(alpha_h); 'rises' = beyond > max({phase_claims.Q_CHAOS:g}, 1e3 x inside); reproduced if "
        f"both fractions >= {STABLE_FRACTION:g} and q rises",
        setting=phase_claims.run_setting(
            int(data.attrs["total"]),
            int(data.attrs["epochs_a"]),
            a.sizes["seed"],
            10,
            f"{a.sizes['c']} c x {a.sizes['alpha']} alpha_h (random start); q: "
            f"{bc.sizes['c']} c x {bc.sizes['alpha']} alpha_h x {bc.sizes['seed']} seeds, full batch, "
            f"{phase_claims.epochs_text(data.attrs['epochs_b'])} epochs",
        ),
    )


def boundary_rows(data: xr.Dataset) -> dict[str, dict]:
    """Per α_h > 0 of the inset sweep: the simulated boundary (the step up of the seed-mean
    log error along c, :func:`~curldescent.analysis.statistics.step_crossing`; bootstrap SD
    over seeds), the analytic c_crit and the
    tolerance interval (finite-size band, widened by half the c step at c_crit)."""
    ins = assembly.panel(data, "in")
    rows = {}
    for al in ins.alpha.values:
        if al <= 0:
            continue
        Y = grids.finite(ins.final_log10_test_error.sel(alpha=al)).values  # (c, seed)
        c_sim, err = bootstrap_crossing(ins.c.values, Y, step_crossing)
        lo, hi = _tolerance(data, float(al), ins.c.values)
        rows[f"{al:g}"] = {
            "alpha_h": float(al),
            "c_sim": c_sim,
            "log10_c_sim_sd": err,
            "c_crit": boundary.c_crit(float(al)),
            "tolerance_low": lo,
            "tolerance_high": hi,
        }
    return rows


def _inset_setting(data: xr.Dataset) -> str:
    ins = assembly.panel(data, "in")
    return phase_claims.run_setting(
        int(data.attrs["total"]),
        int(data.attrs["epochs_inset"]),
        ins.sizes["seed"],
        10,
        f"inset sweep, {ins.sizes['c']} c in [{float(ins.c.min()):.2g}, {float(ins.c.max()):.2g}] x "
        f"{int((ins.alpha > 0).sum())} alpha_h > 0; {_step_text(ins.c.values, ins.alpha.values)}; "
        f"finite-size band from {data.attrs['fs_draws']} draws per c",
    )


def claim_boundary(data: xr.Dataset) -> Claim:
    r"""(2) The simulated boundary per α_h (inset sweep) lies within the tolerance interval
    of the analytic c_crit(α_h) at every α_h > 0 tested."""
    rows = boundary_rows(data)
    rule, counts = phase_claims.boundary_rule(
        [r["c_sim"] for r in rows.values()],
        [r["tolerance_low"] for r in rows.values()],
        [r["tolerance_high"] for r in rows.values()],
    )
    return Claim(
        "The simulated hidden-flip stability boundary (Fig. 3a and inset) follows the analytic c_crit(alpha_h) "
        "at every alpha_h > 0",
        rows,
        rule,
        uncertainty=counts,
        detail="per alpha_h > 0 of the inset sweep: c where the seed-mean log10 error steps up (least-squares "
        "two-level step fit, a rise of >= 3 decades, midpoint of the grid cell; bootstrap SD over seeds); tolerance: the hull of the analytic c_crit and "
        f"the finite-size band (median +- {phase_claims.N_SIGMA:g} SD of the critical c over draws of the manifold "
        "point at this M+N, theory/finite_size.py), widened by half the c step at c_crit; reproduced if every "
        "crossing lies inside its interval; not tested without a crossing",
        setting=_inset_setting(data),
    )


def claim_trend(data: xr.Dataset) -> Claim:
    r"""(3) The simulated boundary falls with α_h as the analytic c_crit(α_h) does
    (:func:`curldescent.figures._linear.claims.trend_rule`)."""
    rows = boundary_rows(data)
    r = list(rows.values())
    tol = [
        0.5 * (math.log10(x["tolerance_high"]) - math.log10(x["tolerance_low"]))
        if np.isfinite(x["tolerance_low"])
        else math.nan
        for x in r
    ]
    rule, value = phase_claims.trend_rule(
        [x["c_sim"] for x in r], [x["c_crit"] for x in r], tol, log_x=True
    )
    value["c_sim_by_alpha_h"] = {k: x["c_sim"] for k, x in rows.items()}
    return Claim(
        "The hidden-flip boundary c_crit falls with alpha_h (from 2/3 at alpha_h -> 0 to 1/4 at alpha_h = 1) as the "
        "analytic curve does",
        value,
        rule,
        detail="log10 of the simulated crossings (claim 2) against log10 c_crit(alpha_h), residuals weighted by the "
        "tolerance half-widths: reproduced if the analytic shape with a free offset fits better than a constant "
        "(weighted slope > 1/2); not tested with fewer than 3 crossings",
        setting=_inset_setting(data),
    )


def claim_flow_chaos(data: xr.Dataset) -> Claim:
    """Beyond the paper: the chaos beyond the hidden boundary belongs to the flow (q > Q_CHAOS
    and high error in the flow beyond the boundary, convergence inside it)."""
    sl = assembly.panel(data, "sl")
    c = float(data.attrs["slice_c"])
    ac = boundary.alpha_crit(LAYER, c)
    al = sl.alpha.values
    beyond = al > ac + 0.05
    inside = al < ac - 0.05
    q = sl.q.sel(scheme="flow").values
    err = sl.final_log10_test_error.sel(scheme="flow").values
    value = {
        "alpha_crit": ac,
        "fraction_flow_chaotic_beyond": float(
            np.mean(
                (q[beyond] > phase_claims.Q_CHAOS)
                & (err[beyond] > np.log10(phase_claims.HIGH_ERROR))
            )
        )
        if beyond.any()
        else math.nan,
        "fraction_flow_converged_inside": float(
            np.mean(err[inside] < np.log10(phase_claims.LOW_ERROR))
        )
        if inside.any()
        else math.nan,
        "median_q_flow_beyond": float(np.median(q[beyond])) if beyond.any() else math.nan,
    }
    text = (
        "Beyond the paper: the hidden-flip chaos belongs to the continuous flow itself (it fluctuates with high "
        "error beyond the boundary and converges inside it)"
    )
    if not (beyond.any() and inside.any()):
        return Claim(
            text,
            value,
            "not tested",
            detail="the slice does not cross the boundary",
            setting=phase_claims.slice_setting(data),
        )
    ok = (
        value["fraction_flow_chaotic_beyond"] >= 0.8
        and value["fraction_flow_converged_inside"] >= 0.8
    )
    return Claim(
        text,
        value,
        verdict(ok),
        detail=f"slice c = {c:.3f}: beyond = alpha > alpha_crit + 0.05, inside = alpha < alpha_crit - 0.05; "
        f"chaotic = q > {phase_claims.Q_CHAOS:g} and error > {phase_claims.HIGH_ERROR:g}; reproduced if both fractions >= 0.8",
        setting=phase_claims.slice_setting(data),
    )


def claims(data: xr.Dataset) -> list[Claim]:
    """Hidden flips: stability either side of the boundary (1), the boundary's place (2) and
    trend (3), the Lyapunov certificate, and the discrete-vs-continuous checks."""
    return [
        claim_stability(data),
        claim_boundary(data),
        claim_trend(data),
        phase_claims.claim_lyapunov(data, LAYER),
        phase_claims.claim_cycles(data, LAYER),
        claim_flow_chaos(data),
    ]
