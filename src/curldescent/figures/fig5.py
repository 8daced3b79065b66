r"""Figure 5: curl descent converges faster than gradient descent in tanh networks (Section 5).

Student and teacher are tanh networks with M = 100 inputs and N = 10 hidden units and the
authors' output convention (:math:`\hat y = \tanh(W_2\tanh(W_1x))`, readout error
:math:`e = \hat y - y` with no :math:`\varphi'` at the output; ``presets.preset_spec("fig5")``).
Curl descent flips the plasticity sign of one readout neuron (the first hidden unit's
readout weight), one of the model's 1010 trainable weights.

- **a** the network (schematic; the rule-flipped readout weight highlighted);
- **b** test error against epochs, mean ± SEM over seeds (N_train = 2000, init scale 2);
  inset: the activation function;
- **c–f** convergence speed = the first checkpoint epoch with test error < 10⁻³
  (``docs/protocol.md``), against N_train (c), the student init scale (d, N_train = 10⁴), the
  teacher scale (e, N_train = 10⁴, 2·10⁵ epochs) and the number of flipped readout neurons
  (f). Mean ± SEM
  over the runs that converged; runs that never crossed the threshold are **censored**:
  drawn as open triangles above the axis cap and counted. Each point's test is the paired
  t-test (the paper's test) when every pair converged, else a censoring-aware Wilcoxon
  test. Every seed's gradient and curl runs share teacher, data, initial weights and
  minibatch order (they differ only in their rule); each seed has its own teacher and all
  share one set of inputs (``data_seed``), as in the authors' scripts;
- **g** (beyond the paper) the same comparison at the panel-b setting for three output
  conventions (the authors' raw readout error; the exact gradient of the same tanh-output
  loss, :math:`\varphi'` included; a linear output with the exact gradient) and three rules
  (gradient, curl with one flipped readout neuron, feedback alignment): does the speed-up
  belong to the curl terms or to the authors' non-gradient "gradient" baseline?

Each panel's runs are one sweep (:func:`sweeps`: ``fig5b-PROFILE`` ... ``fig5g-PROFILE``,
also runnable alone with ``curldescent sweep``), stored under ``out/data``; convergence runs
stop at their first checkpoint below the threshold, whole curves (panel b) run to the end
(:mod:`curldescent.figures._convergence`, shared with Fig. 10). A run is simulated once:
panel b's whole runs also give the points of c-g at panel b's setting, which those panels'
sweeps leave out (each sweep's description says which). The claims and their rules:
:func:`claims` (``docs/protocol.md``, Fig. 5).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from curldescent.analysis.convergence import bootstrap_crossing
from curldescent.figures import _convergence as cv
from curldescent.figures._convergence import (
    ALPHA,
    INIT_SCALE_GRID,
    N_TRAIN_GRID,
    TASK,
    TEACHER_SCALE_GRID,
    THRESHOLD,
    VARIANT_LABELS,
    Beyond,
    Panel,
    Settings,
    Setup,
    across_scales_verdict,
    all_faster_verdict,
    criterion,
    panel_table,
    short_rows,
)
from curldescent.figures.base import Claim, profile_settings
from curldescent.sweeps import SweepSpec

CAPTION = (
    "Nonlinear (tanh) networks: curl descent with one rule-flipped readout neuron converges faster than "
    "gradient descent. b) Test error vs epoch (mean ± SEM over seeds; N_train = 2000, init scale 2; inset: tanh). "
    "c-f) Convergence speed (first checkpoint epoch with test error < 1e-3; mean ± SEM over converged runs; "
    "open triangles: censored runs that never crossed) vs training-set size (c), student init scale (d, "
    "N_train = 1e4), teacher scale (e) and number of flipped readout neurons (f); curl vs GD p-values "
    "(same teacher, data and init per seed) at the foot of each x: the paired t-test when every pair "
    "converged (t), else the censoring-aware Wilcoxon test (W). "
    "g) Beyond the paper: the same comparison with the exact gradient and with feedback alignment. "
    "Reduced profiles use fewer seeds, epochs, grid points and smaller N_train (see PROFILES)."
)
PAPER_COMPUTE = "12 hours on 500 CPUs (6,000 CPU-hours; local cluster)"


SETTINGS: dict[str, Settings] = {
    "smoke": Settings(
        seeds=3,
        epochs=40,
        n_checkpoints=15,
        threshold=2e-2,
        base={"task.n_train": 40, "task.n_test": 40, "network.M": 20, "network.N": 4, **TASK},
        panels={
            "c": Panel("n_train", "task.n_train", (40,)),
            "d": Panel("init_scale", "task.init_scale", (1.0, 2.0)),
            "e": Panel("teacher_scale", "task.teacher_scale", (0.5, 3.0)),
            "f": Panel("n_flip", "rule.n_flip_readout", (1, 2)),
        },
        beyond=Beyond(("authors",), ("gradient", "curl", "feedback_alignment")),
    ),
    "quick": Settings(
        seeds=10,
        epochs=6000,
        n_checkpoints=60,
        threshold=THRESHOLD,
        base={"task.n_train": 1000, **TASK},
        panels={
            "c": Panel("n_train", "task.n_train", (500, 1000)),
            "d": Panel("init_scale", "task.init_scale", (0.5, 2.0)),
            "e": Panel("teacher_scale", "task.teacher_scale", (0.5, 3.0)),
            "f": Panel("n_flip", "rule.n_flip_readout", (1, 5)),
        },
        beyond=Beyond(("authors", "linear_out"), ("gradient", "curl", "feedback_alignment")),
    ),
    "paper": Settings(
        seeds=10,
        epochs=100_000,
        n_checkpoints=100,
        threshold=THRESHOLD,
        base={"task.n_train": 2000, **TASK},
        panels={
            "c": Panel("n_train", "task.n_train", N_TRAIN_GRID),
            "d": Panel("init_scale", "task.init_scale", INIT_SCALE_GRID, {"task.n_train": 10_000}),
            "e": Panel(
                "teacher_scale",
                "task.teacher_scale",
                TEACHER_SCALE_GRID,
                {"task.n_train": 10_000, "train.epochs": 200_000},
            ),
            "f": Panel("n_flip", "rule.n_flip_readout", tuple(range(1, 11))),
        },
        beyond=Beyond(
            ("authors", "exact", "linear_out"), ("gradient", "curl", "feedback_alignment")
        ),
    ),
    "decisive": Settings(
        seeds=10,
        epochs=10_000,
        n_checkpoints=100,
        threshold=THRESHOLD,
        base={"task.n_train": 2000, **TASK},
        panels={
            "c": Panel("n_train", "task.n_train", (100, 200, 500, 1000, 2000)),
            "d": Panel(
                "init_scale",
                "task.init_scale",
                (0.7, 2.0, 5.0),
                {"task.n_train": 10_000, "train.epochs": 4000},
            ),
            "e": Panel("teacher_scale", "task.teacher_scale", (0.5, 1.0, 1.5, 2.0, 3.0)),
            "f": Panel("n_flip", "rule.n_flip_readout", (1, 2, 3, 5, 7, 10)),
        },
        curves_stop=True,
    ),
}
PROFILES = {
    "smoke": (
        "tiny network (M = 20, N = 4), N_train 40, 40 epochs, threshold 2e-2, 3 seeds, 1-2 points per panel, "
        "g: authors' convention only (tests only)"
    ),
    "quick": (
        "10 seeds as in the paper; runs capped at 6000 epochs (paper 1e5; 2e5 for e), so slow gradient runs are "
        "censored; N_train = 1000 where the paper uses 2000 (b, f, g) and 1e4 (d, e); two points per panel: "
        "c: N_train 500, 1000; d: init scale 0.5, 2; e: teacher scale 0.5, 3; f: 1, 5 flipped neurons; g: authors' "
        "and linear-output conventions only; threshold 1e-3 as in the paper. Trend rows need >= 5 points and "
        "are not tested here"
    ),
    "paper": (
        "the authors' protocol: 10 seeds, 1e5 epochs (2e5 for e), N_train 2000 (1e4 for d and e), c: 19 values "
        "of N_train 100-2000, d: 17 init scales 0.01-10, e: 17 teacher scales 0.1-4 (step 0.25), f: 1-10 "
        "flipped readout neurons; threshold 1e-3"
    ),
    "decisive": (
        "the paper's network (M = 100, N = 10), batch 10, lr 0.1, 10 seeds, N_train 2000 (1e4 for d), every "
        "run stopped at test error 1e-3 (panel b too: its claim is the time to it); runs capped at 1e4 "
        "epochs (d: 4000), which the authors' gradient runs at N_train 2000 cross in 98 of 100 cases; "
        "c: N_train 100, 200, 500, 1000, 2000; d: init scale 0.7, 2, 5; e: teacher scale 0.5, 1, 1.5, "
        "2, 3 at N_train 2000 (paper 1e4, 2e5 epochs); f: 1, 2, 3, 5, 7, 10 flipped neurons; no g"
    ),
}
PANEL_TITLES = {
    "a": "a  network",
    "b": "b  test error (mean ± SEM)",
    "c": "c  vs training-set size",
    "d": "d  vs student init scale",
    "e": "e  vs teacher scale",
    "f": "f  vs flipped readout neurons",
    "g": "g  beyond the paper: output convention × rule",
}
SETUP = Setup("fig5", "fig5", PANEL_TITLES, {p: p for p in PANEL_TITLES})


def settings(profile: str) -> Settings:
    """The settings of ``profile``.

    Raises:
        SpecError: an unknown profile (the message names the allowed ones).
    """
    return profile_settings(SETTINGS, profile)


def sweeps(profile: str) -> dict[str, SweepSpec]:
    """The figure's runs as sweeps by name (``fig5b-quick`` ... ``fig5g-quick``), one per
    panel, each run in one sweep only (a panel's sweep leaves out the runs of the
    whole-curve panel, ``fig5b``; a panel with no other run has no sweep); nothing runs."""
    return cv.named_sweeps(SETUP, settings(profile), profile)


def planned_runs(profile: str) -> int:
    """Runs the profile simulates (for progress displays before computing)."""
    return cv.count_runs(sweeps(profile))


def compute(profile: str, out: Path, executor: Any = None) -> xr.Dataset:
    """Fig. 5 data for ``profile``: runs (or resumes) :func:`sweeps` into ``out/data`` and
    analyses the stored runs."""
    return cv.compute(SETUP, settings(profile), profile, out, executor)


def plot(data: xr.Dataset):
    """Panels a (schematic), b-f (and g, beyond the paper) from the stored data."""
    return cv.plot_setup(data, SETUP)


# --------------------------------------------------------------------------- claims

#: the paper's range of Fig. 5d: the authors plot (and judge) init scales from 0.7 up
#: (``Data_analysis/fig5d``: ``order[5:]`` of 17 scales).
INIT_SCALE_RANGE = 0.7
#: Fig. 5e: the authors test "curl faster below the critical scale" at teacher scales
#: 0.1-1 (``Data_analysis/fig5e``: ``order[:5]``) on a grid up to 4: the critical scale
#: the paper describes lies above 1 and inside the grid.
CRITICAL_RANGE = (1.0, 4.0)


def _claim(
    text: str, value: Any, v: str, detail: str, data: xr.Dataset, p: str, points: str = ""
) -> Claim:
    return Claim(text, value, v, detail=detail, setting=cv.setting(data, p, ALPHA, points))


def claims(data: xr.Dataset) -> list[Claim]:
    """Section 5's statements (panel b, (1)-(4) with the trends and the critical teacher
    scale), Section 6's loss curves, and the beyond-the-paper comparison."""
    out = [
        cv.threshold_claim(
            data,
            "(5b) A single flipped readout weight leads to faster convergence: curl reaches test error "
            f"{data.attrs['threshold']:g} before GD (paired over seeds, p < .01)",
            ALPHA,
        )
    ]
    # (1) N_train >= 500, and the growth with N_train
    rows = panel_table(data, "c")
    v, why = all_faster_verdict([r for r in rows if r["n_train"] >= 500], ALPHA)
    out.append(
        _claim(
            "(1) Curl descent converges faster than GD for N_train >= 500 (paired t-test p < .01)",
            short_rows(rows),
            v,
            f"{criterion(ALPHA)}, at every N_train >= 500 (no correction: the claim needs each); {why}",
            data,
            "c",
        )
    )
    out.append(trend_claim(data, "c", "greater"))
    # (2) init scales, judged where the authors plot them
    rows = [r for r in panel_table(data, "d") if r["init_scale"] >= INIT_SCALE_RANGE]
    v, why = across_scales_verdict(rows, ALPHA)
    out.append(
        _claim(
            "(2) The advantage is robust to a broad range of student init scales (curl ahead at most "
            f"scales >= {INIT_SCALE_RANGE}, the authors' plotted range)",
            short_rows(rows),
            v,
            f"{criterion(ALPHA)}; {why}",
            data,
            "d",
            f"; {len(rows)} init scales >= {INIT_SCALE_RANGE} (Holm over the testable ones)",
        )
    )
    # (3) teacher scale
    out.extend(teacher_claims(data))
    # (4) flipped neurons, and the decline with more of them
    rows = panel_table(data, "f")
    N = json.loads(data.attrs["base_spec"])["network"]["N"]
    v, why = all_faster_verdict([r for r in rows if r["n_flip"] <= N / 2], ALPHA)
    out.append(
        _claim(
            "(4) Curl stays faster than GD for <= 50% flipped readout neurons (paired t-test p < .01)",
            short_rows(rows),
            v,
            f"flips <= N/2 = {N / 2:g}; {criterion(ALPHA)}; {why}",
            data,
            "f",
        )
    )
    out.append(trend_claim(data, "f", "less"))
    out.append(loss_curve_claim(data))
    out.extend(beyond_claims(data))
    return out


TREND_TEXT = {
    "c": "(1b) The improvement increases in the high data regime: the speed-up grows with N_train",
    "f": "(4b) The speed advantage diminishes as the fraction of rule-flipped readout neurons rises",
}


def trend_claim(data: xr.Dataset, p: str, alternative: str) -> Claim:
    """The advantage's trend along panel ``p``'s x: mean over seeds of log10(GD epochs /
    curl epochs) (censored runs at the run length) per x, Kendall's test
    (:func:`~curldescent.figures._convergence.trend_verdict`)."""
    dim = data[f"conv_{p}"].dims[0]
    xs = data[dim].values
    adv = cv.log_speedup(
        data[f"conv_{p}"].values, data[f"censored_{p}"].values, float(data[f"epochs_{p}"])
    ).mean(axis=-1)
    v, tau, pv, why = cv.trend_verdict(xs, adv, alternative, ALPHA)
    return _claim(
        TREND_TEXT[p],
        {"mean_log10_speedup": dict(zip(xs.tolist(), np.round(adv, 4).tolist(), strict=True))},
        v,
        f"per {dim}: mean over seeds of log10(GD epochs / curl epochs), censored runs at the run length; "
        f"{'increasing' if alternative == 'greater' else 'decreasing'} trend by Kendall's test, one-sided "
        f"p < {ALPHA}; {why}",
        data,
        p,
        f"; {len(xs)} values of {dim}",
    )


def teacher_claims(data: xr.Dataset) -> list[Claim]:
    """(3) and (3b): the critical teacher scale (where fewer than half of the runs, both
    rules pooled, reach the threshold), curl faster below it, both rules similarly poor
    above it; and where it lies, with a bootstrap interval over seeds."""
    rows = panel_table(data, "e")
    xs = data.teacher_scale.values
    converged = ~data.censored_e.values  # (x, rule, seed)
    est, lo, hi = bootstrap_crossing(xs, converged)
    below = [r for r in rows if r["teacher_scale"] < est]
    above_i = [i for i, x in enumerate(xs) if x > est]
    thr = float(data.attrs["threshold"])
    best = data.best_test_error_e.values
    similar = {
        float(xs[i]): cv.similar_verdict(best[i, 0], best[i, 1], thr, ALPHA) for i in above_i
    }
    v = teacher_verdict(est, all_faster_verdict(below, ALPHA)[0], [s[0] for s in similar.values()])
    frac = converged.mean(axis=(1, 2))
    text = (
        "(3) Above a critical teacher scale both rules perform similarly poorly; below it curl is "
        "faster (p < .01)"
    )
    detail = (
        f"critical scale: where the fraction of runs reaching {thr:g} (both rules) falls below 1/2 = "
        f"{est:.3g}; below it {criterion(ALPHA)} at every scale: {all_faster_verdict(below, ALPHA)[1]}; "
        f"above it 'similarly poor' = no difference in the lowest log10 test error reached (paired t-test, "
        f"p >= {ALPHA}; floored at the threshold), which compares pairs of censored runs too"
    )
    out = [
        _claim(
            text,
            {
                "per_teacher_scale": short_rows(rows),
                "converged_fraction": dict(zip(xs.tolist(), frac.round(3).tolist(), strict=True)),
                "above_similar": {
                    k: [x[0], round(x[1], 3), round(x[2], 4)] for k, x in similar.items()
                },
            },
            v,
            detail,
            data,
            "e",
        )
    ]
    lower, upper = CRITICAL_RANGE
    out.append(
        _claim(
            "(3b) The critical teacher scale lies inside the tested range, above the scales (0.1-1) where the "
            "authors test curl's advantage",
            {"critical_teacher_scale": est, "bootstrap_95": [lo, hi]},
            cv.critical_location_verdict(est, lo, hi, lower, upper),
            f"paper: no number; the authors test the advantage at teacher scales 0.1-1 and plot up to 4, so "
            f"the critical scale is in ({lower:g}, {upper:g}]; measured {est:.3g} [{lo:.3g}, {hi:.3g}] (95% "
            "bootstrap over seeds); reproduced if the estimate is in that range with a finite interval",
            data,
            "e",
            f"; teacher scale step {np.min(np.diff(xs)):g}, 2000 bootstrap resamples",
        )
    )
    return out


def teacher_verdict(crit: float, below: str, above: list[str]) -> str:
    """(3): a critical scale inside the grid with grid points on both sides; curl
    significantly faster at every scale below it (``below``: that verdict) and the rules
    similar at every scale above it (``above``: one :func:`similar_verdict` per scale)."""
    if not np.isfinite(crit) or not above:
        return "not reproduced"
    parts = [below, *above]
    if "not reproduced" in parts:
        return "not reproduced"
    return "not tested" if "not tested" in parts else "reproduced"


def loss_curve_claim(data: xr.Dataset) -> Claim:
    """Section 6: with a minority of rule-flipped readout neurons, no loss curve fails to
    decrease. Judged on every curl run of the figure with fewer than N/2 flipped readout
    neurons: its train loss must not climb more than a factor 2 above its earlier minimum
    before it reaches the threshold (:func:`~curldescent.figures._convergence.monotone_verdict`)."""
    N = json.loads(data.attrs["base_spec"])["network"]["N"]
    rises = [data.loss_rise_b.sel(rule="curl").values.ravel()]
    for p in ("c", "d", "e", "f"):
        curl = data[[f"loss_rise_{p}", f"whole_run_{p}"]].sel(rule="curl")
        if p == "f":
            curl = curl.sel(n_flip=[k for k in data.n_flip.values if k < N / 2])
        own = ~curl[f"whole_run_{p}"].values  # (panel b's runs are counted once, above)
        rises.append(curl[f"loss_rise_{p}"].values[own])
    r = np.concatenate(rises)
    v, n_up = cv.monotone_verdict(r)
    return Claim(
        "(Sec. 6) In larger networks no loss curve failed to decrease while only a minority of readout "
        "neurons were flipped",
        {
            "curves": int(r.size),
            "rising": n_up,
            "largest_rise_decades": float(np.max(r, initial=0.0)),
        },
        v,
        detail=(
            "every curl run with < N/2 flipped readout neurons (panels b-f): a curve fails if its train "
            f"loss climbs more than {cv.RISE_TOLERANCE:.2f} decades (a factor 2, a rise visible on a "
            "log-scale loss plot) above its earlier minimum before reaching the threshold; "
            "'did not observe' = none of them"
        ),
        setting=f"{r.size} curl runs of panels b-f; {data.attrs['setting_b']}",
    )


def beyond_claims(data: xr.Dataset) -> list[Claim]:
    """Beyond the paper: is the speed-up a curl effect or a property of the authors' rule?"""
    if "conv_g" not in data:
        return []
    out = []
    for v in data.variant.values:
        for o in data.versus.values:
            st = {f: float(data[f"stat_g_{f}"].sel(variant=v, versus=o)) for f in cv.ROW_FIELDS}
            cen = {
                str(a): int(data.censored_g.sel(variant=v, arm=a).sum()) for a in data.arm.values
            }
            means = {}
            for a in data.arm.values:
                c = data.conv_g.sel(variant=v, arm=a).values
                k = data.censored_g.sel(variant=v, arm=a).values
                means[str(a)] = float(np.mean(c[~k])) if (~k).any() else None
            vd, why = all_faster_verdict([{"variant": str(v), **st}], ALPHA)
            name = "curl descent" if o == "curl" else "feedback alignment"
            out.append(
                Claim(
                    f"(beyond the paper) {name} converges faster than gradient descent with the {VARIANT_LABELS[str(v)].replace(chr(10), ' ')} convention",
                    {
                        "mean_epochs_converged": means,
                        "censored": cen,
                        **{k: round(x, 5) for k, x in st.items()},
                    },
                    vd,
                    detail=f"A = {o}, B = gradient; {criterion(ALPHA)}; {why}",
                    setting=cv.setting(data, "g", ALPHA),
                )
            )
    return out
