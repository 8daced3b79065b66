r"""Shared machinery of the convergence-speed figures (Figs. 5 and 10): their settings, their
runs as sweeps of the one sweep store, the analysis of the stored runs, the plots of the
panels and the claim logic.

**Convergence speed** (``docs/protocol.md``) is the epoch of the first checkpoint at which the
test error falls below :math:`\theta = 10^{-3}`, on the run's ~log-spaced checkpoint grid
(:func:`curldescent.engine.checkpoint_epochs`). Only that crossing epoch is needed, so the
convergence panels' runs carry the engine's ``train.stop_below = θ``: a run **stops at its
first checkpoint below the threshold** (or where it diverged). The trajectory up to the stop
is the full run's, bit for bit (same epoch function, shuffling keys and renormalisation;
``tests/test_engine.py``), so the crossing epoch equals the one a full-length run gives;
checkpoints after the stop are NaN and the store records where each run stopped
(``stop_epoch``). A run still above the threshold at the last checkpoint is **censored**
(never given the last epoch). The whole curves (Fig. 5b, 10a) have no stop.

Each panel is one :class:`~curldescent.sweeps.SweepSpec` (:func:`build_sweeps`), named
``figNx-PROFILE`` and stored in ``out/data/NAME-HASH.zarr``
(:func:`curldescent.figures.base.store_path`): resumable, runnable on any executor and
launchable alone with ``curldescent sweep``.

**Every run is simulated once.** A convergence panel's grid often holds the whole-curve
panel's setting (Fig. 5 quick: N_train = 1000 in c, init scale 2 in d, 0 and 1 flipped
neurons in f, the authors' convention's gradient and curl arms in g). A whole run of panel b
gives the same crossing epoch as the stopped run of the same spec (the trajectory up to the
stop is the same), so a panel's sweep leaves out every value of its first axis (x, flip
count or g's ``case`` = variant/arm) whose runs are all panel b's (:func:`run_key`: the
spec without ``train.stop_below``), and its description names them ("fig5 panel c (quick
profile) without n_train = 1000: those runs are panel b's (sweep fig5b-quick), which
completes this panel"); a panel all of whose runs are panel b's (the smoke profile's
c) has no sweep of its own. :func:`compute` lays each panel out on its whole grid
(:func:`full_sweeps`; same x order, arms and seeds) and takes each run from the store that
ran it. For a run taken from panel b, ``stop_P`` is b's last simulated epoch (the run
went on past its crossing) and ``whole_run_P`` is true; ``diverged_P`` counts only a
divergence before the crossing, as for a stopped run. The cost attributes count every
simulated run once. Gradient descent is simulated as curl descent
with zero flipped neurons (an ``arm`` axis, or the value 0 of the flip-count axis of Fig. 5f):
the plasticity arrays are then all ones, exactly those of ``kind = gradient``, so the update
is bit-for-bit the gradient rule (``tests/test_fig5.py``), while gradient and curl runs share
one compiled program. The runs of one seed differ only in their rule, and a run's keys
(teacher, data, initial weights, minibatch order) depend only on its seed and task seed
(:func:`curldescent.task.run_keys`), so every pair shares teacher, data, initial weights and
minibatch order.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from curldescent.analysis.convergence import (
    detectable_effect,
    holm,
    max_rise,
    paired_comparison,
    smallest_trend_p,
    trend_test,
)
from curldescent.analysis.statistics import sem
from curldescent.figures.base import Claim, store_path, verdict
from curldescent.plotting import OKABE_ITO, PRINT_WIDTH
from curldescent.presets import preset_spec
from curldescent.sweeps import Axis, SweepSpec

#: the authors' grids (``Data_generation/fig5c/argList.txt`` etc.; Figs. 5 and 10).
N_TRAIN_GRID = (100, 140, 180, 220, 260, 300, 340, 380, 420, 440, 500, 600, 800, 1000, 1200, 1400)
N_TRAIN_GRID += (1600, 1800, 2000)
INIT_SCALE_GRID = (0.01, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0)
INIT_SCALE_GRID += (9.0, 10.0)
TEACHER_SCALE_GRID = (0.1, *(0.25 * k for k in range(1, 17)))
#: as the authors: one teacher per seed (the run seed drives it) and one set of inputs
#: shared by every seed and rule (``RunSpec.data_seed``); the seed also varies the student's
#: initial weights and the minibatch order.
TASK = {"data_seed": 0}

THRESHOLD = 1e-3
#: runs per compiled engine call, at most (the engine's CPU default).
MAX_CHUNK = 32
RULES = ("gradient", "curl")
#: the rule fields of the two arms: gradient = curl with zero flips; curl keeps the preset's.
GRADIENT_FLIPS = {"rule.n_flip_hidden": 0, "rule.n_flip_readout": 0}
#: Output conventions of the beyond-the-paper comparison (Fig. 5g).
VARIANTS: dict[str, dict[str, str]] = {
    "authors": {"network.output_activation": "hidden", "network.readout_error": "raw"},
    "exact": {"network.output_activation": "hidden", "network.readout_error": "exact"},
    "linear_out": {"network.output_activation": "identity", "network.readout_error": "exact"},
}
VARIANT_LABELS = {
    "authors": "authors' rule\n(φ out, no φ′ at output)",
    "exact": "exact gradient\n(φ out, φ′ at output)",
    "linear_out": "linear output\n(exact gradient)",
}
PANEL_LABELS = {
    "n_train": ("training-set size $N_{train}$", True),
    "init_scale": ("student init scale", True),
    "teacher_scale": ("teacher init scale", False),
    "n_flip": ("flipped readout neurons", False),
}
COLORS = {"gradient": "#3b1f6e", "curl": "#b48ad6", "feedback_alignment": OKABE_ITO["orange"]}
LABELS = {
    "gradient": "gradient descent",
    "curl": "curl descent",
    "feedback_alignment": "feedback alignment",
}
ALPHA = 0.01


# --------------------------------------------------------------------------- settings


@dataclasses.dataclass(frozen=True)
class Panel:
    """One convergence panel: the convergence epoch against one spec field.

    Attributes:
        dim: the dimension in the figure's data (``n_train``, ``init_scale``, ...).
        field: the RunSpec field it sets (a ``rule.`` field is a flip count: gradient
            descent is its value 0).
        values: the x values.
        fixed: further RunSpec overrides of this panel's runs.
    """

    dim: str
    field: str
    values: tuple[Any, ...]
    fixed: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Beyond:
    """The beyond-the-paper comparison (Fig. 5g): output conventions × rules."""

    variants: tuple[str, ...]
    arms: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Settings:
    """What a profile sets for a convergence figure.

    Attributes:
        seeds: seeds per point (one gradient/curl pair each).
        epochs: run length (the censoring cap of the convergence panels).
        n_checkpoints: checkpoints per run (~log-spaced).
        threshold: test-error threshold θ of the convergence epoch.
        base: RunSpec overrides of every run (on the figure's preset).
        panels: the convergence panels by letter (``c``, ``d``, ...).
        curves: further overrides of the whole-curve panel's runs.
        beyond: the beyond-the-paper comparison (None: not drawn).
        curves_stop: the whole-curve panel's runs stop at the threshold too (their claim
            is the time to the threshold; the curves end there).
    """

    seeds: int
    epochs: int
    n_checkpoints: int
    threshold: float
    base: Mapping[str, Any]
    panels: Mapping[str, Panel]
    curves: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    beyond: Beyond | None = None
    curves_stop: bool = False


@dataclasses.dataclass(frozen=True)
class Setup:
    """What distinguishes the convergence figures: name, preset, panels and their titles.

    Attributes:
        name: figure name (``fig5``).
        preset: the RunSpec preset of its runs.
        titles: panel titles by internal letter (``a`` schematic, ``b`` curves, then the
            convergence panels, ``g`` beyond the paper).
        letters: the paper's panel letter of each internal letter (sweep names).
    """

    name: str
    preset: str
    titles: Mapping[str, str]
    letters: Mapping[str, str]


# --------------------------------------------------------------------------- sweeps


def chunk_length(n_runs: int, max_chunk: int = MAX_CHUNK) -> int:
    """Runs per compiled engine call for groups of ``n_runs`` similar runs (the seeds of
    one arm at one x, which tend to stop together): ``ceil(n_runs / max_chunk)`` near-equal
    chunks, so the engine pads few or no runs."""
    return math.ceil(n_runs / max(1, math.ceil(n_runs / max_chunk)))


def _arm_axis(base_rule: Any) -> Axis:
    """Gradient (curl with zero flips) and curl (the base's flips), one label per arm."""
    return Axis(
        "arm",
        RULES,
        zip=(
            ("rule.n_flip_hidden", (0, base_rule.n_flip_hidden)),
            ("rule.n_flip_readout", (0, base_rule.n_flip_readout)),
        ),
    )


def full_sweeps(setup: Setup, s: Settings, profile: str) -> dict[str, SweepSpec]:
    """Every panel's whole grid as a sweep, by internal panel letter (nothing runs): the
    grids the figure's data are laid out on, before :func:`build_sweeps` leaves out the
    runs that panel b already runs.

    ``b``: whole curves, arm × seed; each convergence panel: x × arm × seed (a flip-count
    panel: flips × seed, with 0 flips = gradient descent); ``g``: case × seed, one case per
    (variant, arm), variant-major (``authors/gradient``, ``authors/curl``, ...). Every sweep
    but ``b`` (unless ``curves_stop``) stops its runs at the threshold."""
    common = {
        "train.epochs": s.epochs,
        "train.n_checkpoints": s.n_checkpoints,
        **s.base,
        "rule.kind": "curl",
    }
    seed = Axis("seed", range(s.seeds))
    chunk = chunk_length(s.seeds)

    def sweep(letter: str, overrides: Mapping[str, Any], axes: Any, stop: bool) -> SweepSpec:
        """The sweep of panel ``letter``: ``axes(base)`` (then seeds) over the base spec."""
        base = preset_spec(
            setup.preset,
            **{**common, **overrides, "train.stop_below": s.threshold if stop else None},
        )
        return SweepSpec(
            base=base,
            axes=(*axes(base), seed),
            name=f"{setup.name}{setup.letters[letter]}-{profile}",
            chunk_size=chunk,
            convergence_threshold=s.threshold,
            description=f"{setup.name} panel {setup.letters[letter]} ({profile} profile)",
        )

    out = {"b": sweep("b", s.curves, lambda b: (_arm_axis(b.rule),), stop=s.curves_stop)}
    for p, panel in s.panels.items():
        if panel.field.startswith("rule."):

            def flips(b: Any, panel: Panel = panel) -> tuple[Axis]:
                values = (0, *panel.values)
                hidden = tuple(0 if v == 0 else b.rule.n_flip_hidden for v in values)
                return (
                    Axis(
                        panel.dim, values, field=panel.field, zip=(("rule.n_flip_hidden", hidden),)
                    ),
                )

            out[p] = sweep(p, panel.fixed, flips, stop=True)
        else:
            x = Axis(panel.dim, panel.values, field=panel.field)
            out[p] = sweep(p, panel.fixed, lambda b, x=x: (x, _arm_axis(b.rule)), stop=True)
    if s.beyond is not None:
        cases = list(itertools.product(s.beyond.variants, s.beyond.arms))

        def case(b: Any) -> tuple[Axis]:
            kinds = {"gradient": "curl", "curl": "curl", "feedback_alignment": "feedback_alignment"}
            flips = {
                "gradient": (0, 0),
                "curl": (b.rule.n_flip_hidden, b.rule.n_flip_readout),
                "feedback_alignment": (b.rule.n_flip_hidden, None),
            }
            return (
                Axis(
                    "case",
                    tuple(f"{v}/{a}" for v, a in cases),
                    zip=(
                        *(
                            (k, tuple(VARIANTS[v][k] for v, _ in cases))
                            for k in VARIANTS["authors"]
                        ),
                        ("rule.kind", tuple(kinds[a] for _, a in cases)),
                        ("rule.n_flip_hidden", tuple(flips[a][0] for _, a in cases)),
                        ("rule.n_flip_readout", tuple(flips[a][1] for _, a in cases)),
                    ),
                ),
            )

        out["g"] = sweep("g", {}, case, stop=True)
    return out


def run_key(spec: Any) -> str:
    """A run's identity up to where it stops: its spec without ``train.stop_below``. Two
    runs with one key have the same trajectory up to the earlier stop, hence the same
    crossing epoch (a whole run serves a stopped one)."""
    return json.dumps(spec.replace(**{"train.stop_below": None}).to_dict(), sort_keys=True)


def _subset(axis: Axis, keep: list[int]) -> Axis:
    """``axis`` with only the values at positions ``keep`` (zipped fields alike)."""
    return Axis(
        axis.name,
        tuple(axis.values[i] for i in keep),
        field=axis.field,
        zip=tuple((k, tuple(v[i] for i in keep)) for k, v in axis.zip),
    )


def _fmt_values(axis: Axis, idx: list[int]) -> str:
    """``name = v1, v2`` for the values of ``axis`` at positions ``idx``."""
    vals = [axis.values[i] for i in idx]
    return f"{axis.name} = " + ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in vals)


def build_sweeps(setup: Setup, s: Settings, profile: str) -> dict[str, SweepSpec]:
    """The figure's runs as sweeps, by internal panel letter (nothing runs): the
    :func:`full_sweeps` with every run simulated once.

    A value of a panel's first axis (its x, flip count or case) all of whose runs are
    runs of panel b (same spec but ``train.stop_below``; :func:`run_key`) is left out of
    that panel's sweep: the analysis takes those runs from panel b's store
    (:func:`compute`). A panel all of whose runs are panel b's has no sweep of its own.
    The sweeps' descriptions say which values each one leaves out."""
    full = full_sweeps(setup, s, profile)
    b = full["b"]
    shared = {run_key(x) for x in b.point_specs()}
    out = {"b": b}  # (its description, part of its store's name, stays as it is)
    for p, sw in full.items():
        if p == "b":
            continue
        axis, rest = sw.axes[0], math.prod(sw.shape[1:])
        keys = [run_key(x) for x in sw.point_specs()]  # C order: axis 0 outermost
        dropped = [
            i for i in range(len(axis)) if shared.issuperset(keys[i * rest : (i + 1) * rest])
        ]
        keep = [i for i in range(len(axis)) if i not in dropped]
        if not dropped:
            out[p] = sw
        elif keep:
            out[p] = sw.replace(
                axes=(_subset(axis, keep), *sw.axes[1:]),
                description=(
                    f"{sw.description} without {_fmt_values(axis, dropped)}: those runs are "
                    f"panel {setup.letters['b']}'s (sweep {b.name}), which completes this panel"
                ),
            )
    return out


def named_sweeps(setup: Setup, s: Settings, profile: str) -> dict[str, SweepSpec]:
    """:func:`build_sweeps` keyed by sweep name (``fig5c-quick``)."""
    return {sw.name: sw for sw in build_sweeps(setup, s, profile).values()}


def count_runs(sweeps: Mapping[str, SweepSpec]) -> int:
    """Runs the sweeps simulate (every grid point once)."""
    return sum(sw.size for sw in sweeps.values())


# --------------------------------------------------------------------------- analysis


def paired_arms(conv: np.ndarray, cens: np.ndarray, i_a: int, i_b: int, names: tuple[str, str]):
    """Paired comparison of arms ``i_a`` and ``i_b`` (axis -2 = arm, axis -1 = seed)."""
    return paired_comparison(
        conv[i_a],
        conv[i_b],
        censored_a=cens[i_a],
        censored_b=cens[i_b],
        names=names,
        alternative="two-sided",
    )


_STAT_FIELDS = {
    "p_ttest": ("paired t-test p (complete pairs)", "1"),
    "p_sign": ("censoring-aware sign-test p", "1"),
    "p_wilcoxon": ("censoring-aware Wilcoxon p", "1"),
    "mean_diff": ("mean paired difference (A - B, complete pairs)", "epochs"),
    "sem_diff": ("SEM of the paired difference", "epochs"),
    "n_used": ("complete pairs (t-test)", "1"),
    "n_a_faster": ("pairs where A converged first", "1"),
    "n_b_faster": ("pairs where B converged first", "1"),
    "n_ties": ("tied pairs (both censored or equal)", "1"),
    "n_pairs": ("pairs (seeds)", "1"),
}


def _stats_vars(prefix: str, dims: tuple[str, ...], comps: np.ndarray, note: str) -> dict[str, Any]:
    """Dataset variables from an array of PairedComparison objects with shape of ``dims``."""
    out = {}
    for name, (long_name, units) in _STAT_FIELDS.items():
        arr = np.vectorize(lambda c, f=name: float(getattr(c, f)), otypes=[float])(comps)
        out[f"{prefix}_{name}"] = (dims, arr, {"long_name": f"{long_name}, {note}", "units": units})
    return out


RUN_ARRAYS = ("conv", "cens", "stop", "div", "init", "best", "rise")


def _runs(store: xr.Dataset, dims: tuple[str, ...], threshold: float) -> dict[str, np.ndarray]:
    """Per-run arrays of a store, axes in ``dims`` order: convergence epoch, censoring,
    last simulated epoch, divergence, initial test error, lowest test error reached and
    the train loss's largest climb before the threshold (:func:`max_rise`, decades)."""
    ds = store.reset_coords(drop=True)
    conv = ds.convergence_epoch.transpose(*dims).values
    te = ds.test_error.transpose(*dims, "epoch").values
    with np.errstate(all="ignore"):
        best = np.nanmin(np.where(np.isfinite(te), te, np.nan), axis=-1)
    div = ds.diverged.transpose(*dims).values.astype(bool)
    rise = max_rise(ds.train_error.transpose(*dims, "epoch").values, threshold)
    return {
        "conv": conv,
        "cens": np.isnan(conv),
        "stop": ds.stop_epoch.transpose(*dims).values,
        "div": div,
        "init": te[..., 0],
        "best": best,
        "rise": np.where(div & np.isnan(conv), np.inf, rise),  # blew up before the threshold
    }


def _grid_runs(
    full: SweepSpec, stored: list[tuple[SweepSpec, xr.Dataset, bool]], threshold: float
) -> dict[str, np.ndarray]:
    """Per-run arrays on the grid of ``full`` (a :func:`full_sweeps` sweep), each run read
    from whichever of the ``stored`` (sweep, store, whole) ran it (:func:`run_key`), plus
    ``whole``: the run is a whole run (panel b's). A whole run's divergence counts only
    before its crossing (as in a run stopped there); its ``stop`` is its last epoch."""
    source: dict[str, tuple[dict[str, np.ndarray], int, bool]] = {}
    for sweep, store, whole in stored:
        flat = {k: v.ravel() for k, v in _runs(store, sweep.dims, threshold).items()}
        for j, spec in enumerate(sweep.point_specs()):
            source.setdefault(run_key(spec), (flat, j, whole))
    runs = [source[run_key(spec)] for spec in full.point_specs()]
    out = {k: np.array([flat[k][j] for flat, j, _ in runs]).reshape(full.shape) for k in RUN_ARRAYS}
    out["whole"] = np.array([whole for _, _, whole in runs]).reshape(full.shape)
    out["div"] &= ~out["whole"] | out["cens"]
    return out


def _panel_runs(a: dict[str, np.ndarray], full: SweepSpec, panel: Panel) -> dict[str, np.ndarray]:
    """A convergence panel's runs (:func:`_grid_runs` on its full sweep) with axes (x, rule,
    seed); on a flip-count axis the gradient run of a seed (0 flips) is paired with the
    curl run at every x."""
    if not panel.field.startswith("rule."):
        return a  # (x, arm, seed)
    i = list(full.axes[0].values)
    gd, xs = i.index(0), [i.index(v) for v in panel.values]
    return {k: np.stack([np.stack([v[gd], v[j]]) for j in xs]) for k, v in a.items()}


def _run_vars(
    p: str, dims: tuple[str, ...], a: dict[str, np.ndarray], threshold: float
) -> dict[str, Any]:
    return {
        f"conv_{p}": (
            dims,
            a["conv"],
            {
                "long_name": f"convergence epoch (first checkpoint with test error < {threshold:g})",
                "units": "epochs",
            },
        ),
        f"censored_{p}": (
            dims,
            a["cens"],
            {"long_name": "never crossed the threshold (censored)", "units": "1"},
        ),
        f"stop_{p}": (dims, a["stop"], {"long_name": "last simulated epoch", "units": "epochs"}),
        **(
            {
                f"whole_run_{p}": (
                    dims,
                    a["whole"],
                    {
                        "long_name": "run of the whole-curve panel (not stopped at the threshold)",
                        "units": "1",
                    },
                )
            }
            if "whole" in a
            else {}
        ),
        f"diverged_{p}": (
            dims,
            a["div"],
            {"long_name": "weights became non-finite before the threshold", "units": "1"},
        ),
        f"init_test_error_{p}": (
            dims,
            a["init"],
            {"long_name": "initial test error", "units": "1"},
        ),
        f"best_test_error_{p}": (
            dims,
            a["best"],
            {"long_name": "lowest test error over the simulated checkpoints", "units": "1"},
        ),
        f"loss_rise_{p}": (
            dims,
            a["rise"],
            {
                "long_name": "largest climb of the train loss above its earlier minimum "
                "before the threshold (log10)",
                "units": "decades",
            },
        ),
    }


def _cap(sweep: SweepSpec) -> tuple[tuple, int, dict]:
    return (
        (),
        int(sweep.base.train.epochs),
        {"long_name": "run length (censoring cap)", "units": "epochs"},
    )


def compute(setup: Setup, s: Settings, profile: str, out: Path, executor: Any = None) -> xr.Dataset:
    """Run (or resume) the figure's sweeps into ``out/data`` and assemble its data from
    the stores."""
    from curldescent.sweeps import execute_sweep, open_sweep

    sweeps = build_sweeps(setup, s, profile)
    full = full_sweeps(setup, s, profile)
    stores: dict[str, xr.Dataset] = {}
    computed = 0
    for p, sweep in sweeps.items():
        path = store_path(out, sweep)
        computed += execute_sweep(sweep, path, executor).computed_batches
        stores[p] = open_sweep(path).load()
    thr = s.threshold
    seeds = np.arange(s.seeds)
    data: dict[str, Any] = {}
    coords: dict[str, Any] = {
        "rule": ("rule", list(RULES)),
        "seed": ("seed", seeds, {"long_name": "seed (shared by the paired runs)", "units": "1"}),
    }
    # b: whole curves
    b = stores["b"].rename(arm="rule")
    coords["epoch_b"] = ("epoch_b", b.epoch.values, {"long_name": "epoch", "units": "epochs"})
    data["test_error_b"] = (
        ("rule", "seed", "epoch_b"),
        b.test_error.transpose("rule", "seed", "epoch").values,
        {"long_name": "test error (1/2 MSE)", "units": "1"},
    )
    a = _runs(b, ("rule", "seed"), thr)
    data.update(_run_vars("b", ("rule", "seed"), a, thr))
    comp = paired_arms(a["conv"], a["cens"], 1, 0, ("curl", "gradient"))
    data.update(_stats_vars("stat_b", (), np.array(comp, dtype=object), "curl vs gradient"))
    # convergence panels
    for p, panel in s.panels.items():
        vals = np.asarray(panel.values)
        coords[panel.dim] = (
            panel.dim,
            vals,
            {"long_name": PANEL_LABELS[panel.dim][0], "units": "1"},
        )
        a = _panel_runs(_grid_runs(full[p], _stored(sweeps, stores, p), thr), full[p], panel)
        data.update(_run_vars(p, (panel.dim, "rule", "seed"), a, thr))
        comps = np.empty(len(vals), dtype=object)
        for i in range(len(vals)):
            comps[i] = paired_arms(a["conv"][i], a["cens"][i], 1, 0, ("curl", "gradient"))
        data.update(_stats_vars(f"stat_{p}", (panel.dim,), comps, "curl (A) vs gradient (B)"))
        data[f"epochs_{p}"] = _cap(full[p])
    # g: beyond the paper
    if s.beyond is not None:
        variants, arms = list(s.beyond.variants), list(s.beyond.arms)
        coords["variant"] = ("variant", variants)
        coords["arm"] = ("arm", arms)
        a = _grid_runs(full["g"], _stored(sweeps, stores, "g"), thr)
        a = {k: v.reshape(len(variants), len(arms), s.seeds) for k, v in a.items()}
        data.update(_run_vars("g", ("variant", "arm", "seed"), a, thr))
        others = [x for x in arms if x != "gradient"]
        coords["versus"] = (
            "versus",
            others,
            {"long_name": "rule compared with gradient descent (A - B = rule - gradient)"},
        )
        comps = np.empty((len(variants), len(others)), dtype=object)
        ig = arms.index("gradient")
        for i in range(len(variants)):
            for j, o in enumerate(others):
                comps[i, j] = paired_arms(
                    a["conv"][i], a["cens"][i], arms.index(o), ig, (o, "gradient")
                )
        data.update(_stats_vars("stat_g", ("variant", "versus"), comps, "rule (A) vs gradient (B)"))
        data["epochs_g"] = _cap(full["g"])
    ds = xr.Dataset({k: xr.Variable(*v) for k, v in data.items()}, coords=coords)
    ds.attrs.update(
        figure=setup.name,
        profile=profile,
        activation=preset_spec(setup.preset).network.activation,
        threshold=thr,
        settings=json.dumps(dataclasses.asdict(s)),
        base_spec=json.dumps(sweeps["b"].point_spec((1, 0)).to_dict()),
        sweeps=json.dumps({sw.name: str(store_path(out, sw)) for sw in sweeps.values()}),
        **cost(sweeps, stores),
        computed_batches=computed,
        n_runs=count_runs(sweeps),
        **{f"setting_{p}": describe_sweep(sw, s.seeds) for p, sw in full.items()},
    )
    return ds


def panel_runs(
    setup: Setup, s: Settings, profile: str, out: Path, p: str, executor: Any = None
) -> dict[str, np.ndarray]:
    """Run (or resume) only the sweeps that hold convergence panel ``p``'s runs (its own
    and panel b's) into ``out/data`` and return its per-run arrays, axes (x, rule, seed),
    as :func:`compute` lays them out. Another figure reads a panel through the shared
    sweep store this way, whether or not this figure ran first."""
    from curldescent.sweeps import execute_sweep, open_sweep

    sweeps = build_sweeps(setup, s, profile)
    needed = {q: sweeps[q] for q in (p, "b") if q in sweeps}
    stores = {}
    for q, sweep in needed.items():
        path = store_path(out, sweep)
        execute_sweep(sweep, path, executor)
        stores[q] = open_sweep(path).load()
    full = full_sweeps(setup, s, profile)[p]
    return _panel_runs(_grid_runs(full, _stored(needed, stores, p), s.threshold), full, s.panels[p])


def _stored(
    sweeps: Mapping[str, SweepSpec], stores: Mapping[str, xr.Dataset], p: str
) -> list[tuple[SweepSpec, xr.Dataset, bool]]:
    """The stored sweeps that hold panel ``p``'s runs: its own (if it has one), then
    panel b's whole runs."""
    own = [(sweeps[p], stores[p], False)] if p in sweeps else []
    return [*own, (sweeps["b"], stores["b"], True)]


def cost(sweeps: Mapping[str, SweepSpec], stores: Mapping[str, xr.Dataset]) -> dict[str, float]:
    """What the figure's runs cost, from the stores: ``compute_s`` (the sweeps' wall time,
    all invocations), ``run_epochs`` and ``run_steps`` (simulated epochs and minibatch
    updates, up to each run's stop), ``worst_case_run_steps`` (the updates if no run
    stopped early) and ``batches``; each simulated run counted once (a run that serves
    two panels is one of panel b's whole runs)."""
    out = {"compute_s": 0.0, "run_epochs": 0.0, "run_steps": 0.0, "worst_case_run_steps": 0.0}
    batches = 0
    for p, sweep in sweeps.items():
        specs = sweep.point_specs()
        steps = np.array([math.ceil(x.task.n_train / x.batch_size) for x in specs])
        stops = stores[p].stop_epoch.values.ravel()  # C order, like point_specs
        out["compute_s"] += float(stores[p].attrs.get("wall_time_s", 0.0))
        out["run_epochs"] += float(stops.sum())
        out["run_steps"] += float((stops * steps).sum())
        out["worst_case_run_steps"] += float(
            sum(x.train.epochs * n for x, n in zip(specs, steps, strict=True))
        )
        batches += int(stores[p].attrs["sweep_n_batches"])
    return {**out, "batches": batches}


# --------------------------------------------------------------------------- plot


#: the per-point tests' short names on the plots
TEST_TAGS = {"t-test": "t", "censored Wilcoxon": "W"}


def _fmt_p(p: float) -> str:
    if not np.isfinite(p):
        return "p=n/a"
    return "p<1e-4" if p < 1e-4 else f"p={p:.2g}"


def _sem_band(ax, x, y, color, label):
    """Mean ± SEM over runs (axis 0) of the runs still simulated at each checkpoint (runs
    stopped at the threshold end there: the band then follows the slower runs)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # checkpoints after every stop
        m = np.nanmean(y, axis=0)
    e = np.nan_to_num(sem(y, axis=0))  # one finite value: no band
    ax.plot(x, m, color=color, label=label)
    ax.fill_between(x, np.maximum(m - e, 1e-300), m + e, color=color, alpha=0.25, lw=0)


def plot_schematic(ax, data: xr.Dataset, title: str) -> None:
    """The network: M inputs, N hidden units, one output; the rule-flipped readout weight
    in the curl colour."""
    net = json.loads(data.attrs["base_spec"])["network"]
    layers = {0.0: np.linspace(-1, 1, 6), 1.0: np.linspace(-0.6, 0.6, 4), 2.0: np.zeros(1)}
    for (x0, y0s), (x1, y1s) in itertools.pairwise(layers.items()):
        for y0 in y0s:
            for y1 in y1s:
                ax.plot([x0, x1], [y0, y1], color="0.75", lw=0.5, zorder=1)
    for i, y in enumerate(layers[1.0]):
        flipped = i == 0
        ax.plot(
            [1.0, 2.0],
            [y, 0.0],
            color=COLORS["curl"] if flipped else COLORS["gradient"],
            lw=2.2 if flipped else 1.0,
            zorder=2,
        )
    for x, ys in layers.items():
        ax.scatter(np.full(len(ys), x), ys, s=60, color="w", edgecolors="k", lw=0.8, zorder=3)
    ax.annotate(
        "flipped\nreadout\nweight",
        (1.5, 0.3 * layers[1.0][0]),
        xytext=(1.55, -1.25),
        ha="center",
        va="center",
        color=COLORS["curl"],
        arrowprops={"arrowstyle": "-", "color": COLORS["curl"], "lw": 0.8},
    )
    for x, text in (
        (0.0, f"input\nM = {net['M']}"),
        (1.0, f"hidden\nN = {net['N']}"),
        (2.0, f"output\n{data.attrs['activation']}"),
    ):
        ax.text(x, 1.25, text, ha="center", va="bottom")
    ax.set(xlim=(-0.3, 2.3), ylim=(-1.6, 1.8), title=title)
    ax.axis("off")


def plot_curves(ax, data: xr.Dataset, activation: str, title: str) -> None:
    ep = data.epoch_b.values
    x = np.maximum(ep, 1)
    for r in RULES:
        y = data.test_error_b.sel(rule=r).values
        _sem_band(ax, x, y, COLORS[r], LABELS[r])
    ax.axhline(
        float(data.attrs["threshold"]),
        color="0.5",
        ls=":",
        lw=1,
        label=f"threshold {data.attrs['threshold']:g}",
    )
    ax.set(xscale="log", yscale="log", xlabel="epoch", ylabel="test error", title=title)
    ins = ax.inset_axes([0.7, 0.68, 0.27, 0.27])
    u = np.linspace(-3, 3, 101)
    ins.axhline(0, color="0.6", lw=0.5)
    ins.axvline(0, color="0.6", lw=0.5)
    ins.plot(u, np.tanh(u) if activation == "tanh" else np.maximum(u, 0), color="k", lw=1)
    ins.set(xticks=[], yticks=[])
    ins.set_title(activation, pad=2)


def _log_errorbar(ax, x, mean, sem, **kw) -> None:
    """Mean ± SEM on a log axis: runs converged at epoch 0 (already below the threshold
    at the start) are shown at 1, and error bars are clipped at 1."""
    mean = np.asarray(mean, float)
    shown = np.maximum(mean, 1.0)
    lower = shown - np.maximum(mean - np.asarray(sem, float), 1.0)
    ax.errorbar(x, shown, yerr=[np.maximum(lower, 0.0), sem], **kw)


def _dodge(ax, points: float):
    """Data coordinates shifted ``points`` to the right (side-by-side rules at one x)."""
    from matplotlib.transforms import ScaledTranslation

    return ax.transData + ScaledTranslation(points / 72, 0, ax.figure.dpi_scale_trans)


def _draw_runs(ax, x: float, c: np.ndarray, cen: np.ndarray, cap: float, color: str, dx: float):
    """The runs at one x, drawn ``dx`` points to the right of it: faint dots at the
    converged runs' epochs (epoch 0 drawn at 1) and, if any run is censored, an open
    triangle above the cap with their count above it."""
    shift = _dodge(ax, dx)
    if (~cen).any():  # (an empty scatter off the data transform breaks the layout)
        ax.scatter(
            np.full((~cen).sum(), x),
            np.maximum(c[~cen], 1.0),
            color=color,
            s=6,
            alpha=0.35,
            lw=0,
            transform=shift,
        )
    if cen.any():
        ax.scatter(
            [x], [cap * 1.4], marker="^", facecolors="none", edgecolors=color, s=22, transform=shift
        )
        ax.annotate(
            str(int(cen.sum())),
            (x, cap * 1.4),
            xycoords=shift,
            textcoords="offset points",
            xytext=(0, 4),
            ha="center",
            va="bottom",
            color=color,
        )


def _top_cap(ax, cap: float, bottom: float) -> None:
    """Log y limits from ``bottom`` to room above the cap for the censored triangles and
    their counts."""
    ax.set_yscale("log")
    ax.set_ylim(bottom, cap * 5)


def plot_convergence(ax, data: xr.Dataset, p: str, title: str) -> None:
    """Convergence epoch against the panel's x: mean ± SEM of converged runs, faint dots per
    run, open triangles above the cap for censored runs; p-values under each x tick."""
    conv = data[f"conv_{p}"]
    dim = conv.dims[0]
    xs = data[dim].values.astype(float)
    label, logx = PANEL_LABELS[dim]
    cap = float(data[f"epochs_{p}"])
    n_x = len(xs)
    for r, dx in zip(RULES, (-7.5, 7.5), strict=True):
        c = conv.sel(rule=r).values
        cen = data[f"censored_{p}"].sel(rule=r).values
        n_conv = np.sum(~cen, axis=1)
        mean = np.array([np.nanmean(c[i]) if n_conv[i] else np.nan for i in range(n_x)])
        _log_errorbar(
            ax,
            xs,
            mean,
            np.nan_to_num(sem(c, axis=1)),  # censored runs are NaN: SEM of the converged
            color=COLORS[r],
            marker="o",
            ms=4,
            capsize=2,
            label=LABELS[r],
            transform=_dodge(ax, dx),
        )
        for i in range(n_x):
            _draw_runs(ax, xs[i], c[i], cen[i], cap, COLORS[r], dx)
    ax.axhline(cap, color="0.6", ls="--", lw=0.8)
    tests = [pair_test(r) for r in panel_table(data, p)]
    lo = np.nanmin(np.maximum(conv.values, 1.0)) if np.isfinite(conv.values).any() else cap / 10
    _top_cap(ax, cap, max(lo / 3, 0.5))
    if np.nanmin(conv.values, initial=np.inf) == 0:
        ax.text(
            0.5,
            0.03,
            "epoch 0 drawn at 1",
            transform=ax.transAxes,
            ha="center",
            color="0.4",
        )
    if logx:
        ax.set_xscale("log")
    if n_x > 1:
        pad = 0.25 * (np.log10(xs[-1] / xs[0]) if logx else xs[-1] - xs[0])
    else:
        pad = 0.3 if logx else 0.5
    ax.set_xlim((xs[0] / 10**pad, xs[-1] * 10**pad) if logx else (xs[0] - pad, xs[-1] + pad))
    ax.set_xticks(xs)
    ax.set_xticklabels(
        [f"{v:g}\n{TEST_TAGS[tests[i][0]]}: {_fmt_p(tests[i][1])}" for i, v in enumerate(xs)]
    )
    ax.minorticks_off() if logx else None
    ax.set(
        xlabel=label, ylabel="epochs to test error < " + f"{data.attrs['threshold']:g}", title=title
    )


def plot_beyond(ax, data: xr.Dataset, title: str) -> None:
    variants = list(data.variant.values)
    arms = list(data.arm.values)
    cap = float(data.epochs_g)
    width = 0.6 / len(arms)
    for j, a in enumerate(arms):
        for i, v in enumerate(variants):
            c = data.conv_g.sel(variant=v, arm=a).values
            cen = data.censored_g.sel(variant=v, arm=a).values
            x = i + (j - (len(arms) - 1) / 2) * width
            ok = ~cen
            if ok.any():
                m = np.mean(c[ok])
                e = float(np.nan_to_num(sem(c[ok])))
                _log_errorbar(
                    ax,
                    [x],
                    [m],
                    [e],
                    color=COLORS[a],
                    marker="o",
                    ms=4,
                    capsize=2,
                    label=LABELS[a] if i == 0 else None,
                )
            _draw_runs(ax, x, c, cen, cap, COLORS[a], 0.0)
    ax.axhline(cap, color="0.6", ls="--", lw=0.8)
    ticks = []
    for v in variants:
        lines = [VARIANT_LABELS[v]]
        for o in data.versus.values:
            row = {f: float(data[f"stat_g_{f}"].sel(variant=v, versus=o)) for f in ROW_FIELDS}
            test, pv = pair_test(row)
            short = "curl" if o == "curl" else "FA"
            lines.append(f"{short}: {TEST_TAGS[test]} {_fmt_p(pv)}")
        ticks.append("\n".join(lines))
    ax.set_xticks(range(len(variants)), ticks)
    ax.set_xlim(-0.6, len(variants) - 0.4)
    lo = np.nanmin(data.conv_g.values) if np.isfinite(data.conv_g.values).any() else cap / 10
    _top_cap(ax, cap, max(lo / 4, 0.5))
    ax.set(ylabel=f"epochs to test error < {data.attrs['threshold']:g}", title=title)


def _legend(ax, data: xr.Dataset, arms: list[str], curves: str) -> None:
    """The figure's key, drawn in the free grid cell ``ax``."""
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=COLORS[a], marker="o", ms=4, label=LABELS[a]) for a in arms]
    handles += [
        Line2D([], [], color="0.3", marker="o", ms=4, label="mean ± SEM of converged runs"),
        Line2D([], [], ls="none", marker="o", ms=3, color="0.3", alpha=0.4, label="single runs"),
        Line2D(
            [],
            [],
            ls="none",
            marker="^",
            mfc="none",
            mec="0.3",
            ms=5,
            label="censored runs (count):\nnever below the threshold",
        ),
        Line2D([], [], color="0.6", ls="--", lw=0.8, label="run length (censoring cap)"),
        Line2D(
            [],
            [],
            color="0.5",
            ls=":",
            lw=1,
            label=f"threshold {data.attrs['threshold']:g} (panel {curves})",
        ),
        Line2D([], [], ls="none", label="p vs GD: paired t-test (t) or\ncensored Wilcoxon (W)"),
    ]
    ax.legend(handles=handles, loc="center left", handlelength=1.8, borderaxespad=0)
    ax.axis("off")


def plot_setup(data: xr.Dataset, setup: Setup):
    """The panels in reading order on a grid of 2 or 3 columns; the last panel takes the
    rest of its row but one cell, which holds the key."""
    import matplotlib.pyplot as plt

    names = [p for p in setup.titles if p in ("a", "b") or f"conv_{p}" in data]
    ncol = 3 if len(names) > 4 else 2
    nrow = math.ceil((len(names) + 1) / ncol)
    fig = plt.figure(figsize=(PRINT_WIDTH, 2.65 * nrow))
    grid = fig.add_gridspec(nrow, ncol)
    for k, name in enumerate(names):
        row, col = divmod(k, ncol)
        last = k == len(names) - 1
        end = (ncol - 1 if row == nrow - 1 else ncol) if last else col + 1
        ax = fig.add_subplot(grid[row, col:end])
        if name == "a":
            plot_schematic(ax, data, setup.titles["a"])
        elif name == "b":
            plot_curves(ax, data, data.attrs["activation"], setup.titles["b"])
        elif name == "g":
            plot_beyond(ax, data, setup.titles["g"])
        else:
            plot_convergence(ax, data, name, setup.titles[name])
    arms = list(data.arm.values) if "g" in names else list(RULES)
    _legend(fig.add_subplot(grid[nrow - 1, ncol - 1]), data, arms, setup.titles["b"][0])
    fig.suptitle(
        f"{data.attrs['figure']} ({data.attrs['activation']}, profile {data.attrs['profile']}): "
        "curl descent (1 flipped readout neuron) vs gradient descent"
    )
    return fig


# --------------------------------------------------------------------------- claims
#
# Every verdict below comes from a small pure rule (numbers or rows in, verdict out), each
# tested on synthetic data on both sides of its threshold (tests/test_fig5.py).

#: a loss curve "rises" when it climbs more than this many decades (a factor 2) above its
#: earlier minimum before reaching the threshold: a rise readable on the paper's log-scale
#: loss plots, as opposed to the jitter of minibatch noise.
RISE_TOLERANCE = math.log10(2.0)


def panel_table(data: xr.Dataset, p: str) -> list[dict[str, Any]]:
    """Per x value: mean (converged) epochs per rule, censored counts and the paired
    statistics (curl = A, gradient = B)."""
    conv = data[f"conv_{p}"]
    dim = conv.dims[0]
    rows = []
    for x in data[dim].values:
        row: dict[str, Any] = {dim: x.item()}
        for r in RULES:
            c = conv.sel({dim: x, "rule": r}).values
            cen = data[f"censored_{p}"].sel({dim: x, "rule": r}).values
            row[f"mean_{r}"] = float(np.mean(c[~cen])) if (~cen).any() else None
            row[f"censored_{r}"] = int(cen.sum())
        row.update({f: float(data[f"stat_{p}_{f}"].sel({dim: x})) for f in ROW_FIELDS})
        rows.append(row)
    return rows


ROW_FIELDS = (
    "p_ttest",
    "p_sign",
    "p_wilcoxon",
    "mean_diff",
    "n_used",
    "n_a_faster",
    "n_b_faster",
    "n_pairs",
)


def scalar_row(data: xr.Dataset, p: str) -> dict[str, Any]:
    """The paired statistics of a panel without an x axis (panel b) as one row."""
    return {"point": p, **{f: float(data[f"stat_{p}_{f}"]) for f in ROW_FIELDS}}


def pair_test(row: dict[str, Any]) -> tuple[str, float]:
    """The test of one grid point, curl vs gradient: the paper's paired t-test on the
    convergence epochs when every pair is complete, else the censoring-aware Wilcoxon
    signed-rank test (a censored run is slower than any converged one; pairs with both
    runs censored are ties and drop out). Returns (name, two-sided p)."""
    if row["n_used"] == row["n_pairs"]:
        return "t-test", row["p_ttest"]
    return "censored Wilcoxon", row["p_wilcoxon"]


def testable(row: dict[str, Any], alpha: float = ALPHA) -> bool:
    """Can the point's test reach ``alpha`` at all? The t-test needs >= 3 pairs; the
    signed-rank test's smallest two-sided p with n untied pairs is 2^(1-n)."""
    if pair_test(row)[0] == "t-test":
        return bool(row["n_used"] >= 3)
    untied = row["n_a_faster"] + row["n_b_faster"]
    return bool(2.0 ** (1 - untied) < alpha)


def direction(row: dict[str, Any]) -> int:
    """-1: curl ahead (negative mean paired difference for the t-test, more pairs won by
    curl for the censored test); +1: gradient ahead; 0: neither."""
    if pair_test(row)[0] == "t-test":
        v = row["mean_diff"]
    else:
        v = row["n_b_faster"] - row["n_a_faster"]
    return int(np.sign(v)) if np.isfinite(v) else 0


def curl_faster(row: dict[str, Any], alpha: float = ALPHA, p: float | None = None) -> bool:
    """Curl significantly faster at one point: testable, p < ``alpha`` (``p``: an adjusted
    p-value instead of the point's own) and curl ahead."""
    p = pair_test(row)[1] if p is None else p
    return bool(testable(row, alpha) and p < alpha and direction(row) < 0)


def curl_slower(row: dict[str, Any], alpha: float = ALPHA, p: float | None = None) -> bool:
    """Gradient descent significantly faster at one point (as :func:`curl_faster`)."""
    p = pair_test(row)[1] if p is None else p
    return bool(testable(row, alpha) and p < alpha and direction(row) > 0)


def _at(rows: list[dict[str, Any]]) -> str:
    dim = next(iter(rows[0]))
    return f"{dim} = {[r[dim] for r in rows]}"


def all_faster_verdict(rows: list[dict[str, Any]], alpha: float = ALPHA) -> tuple[str, str]:
    """ "Curl significantly faster at every point of ``rows``" (each point its own test, no
    correction: the claim needs every one): reproduced if so; not reproduced if a testable
    point is not; not tested if every testable point agrees but some point cannot reach
    ``alpha`` (e.g. both runs censored in most pairs)."""
    if not rows:
        return "not tested", "no grid point in range"
    bad = [r for r in rows if testable(r, alpha) and not curl_faster(r, alpha)]
    weak = [r for r in rows if not testable(r, alpha)]
    if bad:
        return "not reproduced", f"not significantly faster at {_at(bad)}"
    if weak:
        return "not tested", (
            f"cannot reach p < {alpha} at {_at(weak)} (too few complete or decided pairs; "
            f"curl ahead at {sum(direction(r) < 0 for r in weak)}/{len(weak)} of them)"
        )
    return "reproduced", f"significantly faster at every {_at(rows)}"


#: "across scales" needs at least this many scales in the paper's range.
MIN_SCALES = 3


def across_scales_verdict(rows: list[dict[str, Any]], alpha: float) -> tuple[str, str]:
    """ "Curl ahead across scales": over the testable points of ``rows`` (the paper's range),
    curl ahead in direction at a majority, significantly faster at one or more after a
    Holm correction over those points (level ``alpha``), and significantly slower at none.
    Not tested with fewer than :data:`MIN_SCALES` points in range or when fewer than half
    of them are testable."""
    if len(rows) < MIN_SCALES:
        return "not tested", f"{len(rows)} scale(s) in range: too few to judge 'across scales'"
    tested = [r for r in rows if testable(r, alpha)]
    if 2 * len(tested) < len(rows):
        return "not tested", f"only {len(tested)} of {len(rows)} points can reach p < {alpha}"
    adj = holm([pair_test(r)[1] for r in tested])
    fast = [r for r, q in zip(tested, adj, strict=True) if curl_faster(r, alpha, q)]
    slow = [r for r, q in zip(tested, adj, strict=True) if curl_slower(r, alpha, q)]
    ahead = [r for r in tested if direction(r) < 0]
    ok = 2 * len(ahead) > len(tested) and bool(fast) and not slow
    dim = next(iter(rows[0]))
    return verdict(ok), (
        f"curl ahead at {len(ahead)}/{len(tested)} testable points; significantly faster after "
        f"Holm (p < {alpha}) at {dim} = {[r[dim] for r in fast]}, slower at "
        f"{[r[dim] for r in slow]}"
    )


def log_speedup(conv: np.ndarray, cens: np.ndarray, cap: float) -> np.ndarray:
    """log10(gradient epochs / curl epochs) per pair (axis -2: gradient, curl), a censored
    run counted at the run length ``cap`` (a bound, not the true speed-up) and epoch 0 as
    1. Shape: ``conv`` without the rule axis."""
    e = np.maximum(np.where(cens, cap, conv), 1.0)
    return np.log10(np.take(e, 0, axis=-2) / np.take(e, 1, axis=-2))


def trend_verdict(
    xs: Any, advantage: Any, alternative: str, alpha: float
) -> tuple[str, float, float, str]:
    """Does the advantage (mean log speed-up per x) grow (``greater``) or shrink (``less``)
    with x? Kendall's rank test over the grid points (one-sided, level ``alpha``). Not
    tested when the grid has too few points for any ordering to reach ``alpha``.
    Returns (verdict, tau, p, why)."""
    n = len(xs)
    if smallest_trend_p(n) >= alpha:
        return "not tested", math.nan, math.nan, f"{n} grid points cannot reach p < {alpha}"
    tau, p = trend_test(xs, advantage, alternative)
    ok = np.isfinite(p) and p < alpha
    return verdict(bool(ok)), tau, p, f"Kendall tau = {tau:.2f}, one-sided p = {p:.2g}"


def similar_verdict(
    best_a: Any, best_b: Any, threshold: float, alpha: float
) -> tuple[str, float, float]:
    """Two rules "perform similarly" at one point: the paired t-test on log10 of the lowest
    test error each run reached (floored at the threshold: a run that crossed counts as
    the threshold) finds no difference at level ``alpha``. This compares pairs whose runs
    are both censored too (their lowest errors differ), so two never-converging rules do
    not pass by construction. Not tested with fewer than 3 pairs. Returns (verdict,
    mean difference in decades, p)."""
    a, b = (np.log10(np.maximum(np.asarray(x, float), threshold)) for x in (best_a, best_b))
    d = (a - b)[np.isfinite(a - b)]
    if d.size < 3:
        return "not tested", math.nan, math.nan
    if np.all(d == 0):
        return "reproduced", 0.0, 1.0
    from scipy import stats

    p = float(stats.ttest_1samp(d, 0.0).pvalue)
    return verdict(p >= alpha), float(d.mean()), p


def critical_location_verdict(
    estimate: float, low: float, high: float, lower: float, upper: float
) -> str:
    """The critical scale found where the paper puts it: the estimate inside (``lower``,
    ``upper``] with a finite interval: reproduced; outside it (or no crossing at all): not
    reproduced; inside but with an interval reaching past the grid: not tested."""
    if not lower < estimate <= upper:
        return "not reproduced"
    return "reproduced" if np.isfinite(low) and np.isfinite(high) else "not tested"


def monotone_verdict(rises: Any, tolerance: float = RISE_TOLERANCE) -> tuple[str, int]:
    """ "No loss curve that fails to decrease": reproduced if no run's train loss climbs more
    than ``tolerance`` decades above its earlier minimum before reaching the threshold
    (:func:`curldescent.analysis.convergence.max_rise`); not tested without runs. Returns
    (verdict, number of rising curves)."""
    r = np.asarray(rises, float).ravel()
    if r.size == 0:
        return "not tested", 0
    n_up = int(np.sum(~(r <= tolerance)))
    return verdict(n_up == 0), n_up


def smaller_verdict(small: Any, large: Any, alpha: float) -> tuple[str, float]:
    """ "The effect ``small`` is smaller than ``large``": one-sided Mann–Whitney test on
    the per-pair log speed-ups (independent samples), level ``alpha``. Not tested with
    fewer than 3 pairs in either sample. Returns (verdict, p)."""
    from scipy import stats

    a, b = np.ravel(small), np.ravel(large)
    if a.size < 3 or b.size < 3:
        return "not tested", math.nan
    if np.all(np.concatenate([a, b]) == a[0]):
        return "not reproduced", 1.0
    p = float(stats.mannwhitneyu(a, b, alternative="less").pvalue)
    return verdict(p < alpha), p


def short_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: (round(v, 5) if isinstance(v, float) else v) for k, v in r.items()} for r in rows]


def criterion(alpha: float) -> str:
    return (
        f"per point: epochs to test error < threshold, curl vs GD paired over seeds; paired t-test when "
        f"every pair converged (the paper's test), else the censoring-aware Wilcoxon test (a censored run "
        f"is the slower; both censored = tie); significant if p < {alpha} with curl ahead"
    )


def setting(data: xr.Dataset, p: str, alpha: float, points: str = "") -> str:
    """The experiment behind a panel's verdicts (:attr:`Claim.setting`): size, training
    set, run length, seeds, and the power of the paired test."""
    d = detectable_effect(data.sizes["seed"], alpha)
    return (
        f"{data.attrs[f'setting_{p}']}{points}; the paired t-test at alpha = {alpha} detects a mean "
        f"difference >= {d:.2f} SD of the paired differences (80% power)"
    )


def describe_sweep(sweep: SweepSpec, seeds: int) -> str:
    """Size, training set(s), run length and seeds of a (full) panel sweep, from its runs."""
    specs = sweep.point_specs()
    net = specs[0].network
    n_train = sorted({x.task.n_train for x in specs})
    nt = f"N_train = {n_train[0]}" if len(n_train) == 1 else f"N_train {n_train[0]}-{n_train[-1]}"
    stop = specs[0].train.stop_below
    return (
        f"M+N = {net.M + net.N} (M = {net.M}, N = {net.N}), {nt}, batch {specs[0].batch_size}, "
        f"{specs[0].train.epochs:g} epochs{' (stopped at the threshold)' if stop else ''}, "
        f"{seeds} seeds"
    )


def threshold_claim(data: xr.Dataset, text: str, alpha: float) -> Claim:
    """Panel b (Figs. 5b, 10a): curl reaches the threshold first, paired over seeds
    (:func:`all_faster_verdict` on the whole-curve runs' convergence epochs)."""
    row = scalar_row(data, "b")
    v, why = all_faster_verdict([row], alpha)
    return Claim(
        text,
        short_rows([row])[0],
        v,
        detail=f"{criterion(alpha)}; {why}",
        setting=setting(data, "b", alpha),
    )
