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
  teacher scale (e, 2·10⁵ epochs) and the number of flipped readout neurons (f). Mean ± SEM
  over the runs that converged; runs that never crossed the threshold are **censored**:
  drawn as open triangles above the axis cap, counted, and compared by a censoring-aware
  sign test and Wilcoxon test next to the paired t-test on complete pairs (the paper's
  test). Every seed's gradient and curl runs share teacher, data, initial weights and
  minibatch order (they differ only in their rule; a run's keys come from its seed);
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
sweeps leave out (each sweep's description says which).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from curldescent.figures import _convergence as cv
from curldescent.figures._convergence import (
    ALPHA,
    THRESHOLD,
    VARIANT_LABELS,
    Beyond,
    Panel,
    Settings,
    Setup,
    all_faster_verdict,
    criterion,
    curl_ahead,
    curl_faster,
    curve_claim,
    panel_table,
    short_rows,
    testable,
)
from curldescent.figures.base import Claim, profile_settings, verdict
from curldescent.sweeps import SweepSpec

CAPTION = (
    "Nonlinear (tanh) networks: curl descent with one rule-flipped readout neuron converges faster than "
    "gradient descent. b) Test error vs epoch (mean ± SEM over seeds; N_train = 2000, init scale 2; inset: tanh). "
    "c-f) Convergence speed (first checkpoint epoch with test error < 1e-3; mean ± SEM over converged runs; "
    "open triangles: censored runs that never crossed) vs training-set size (c), student init scale (d, "
    "N_train = 1e4), teacher scale (e) and number of flipped readout neurons (f); curl vs GD p-values "
    "(same teacher, data and init per seed) at the foot of each x: paired t-test on complete pairs (t) and "
    "censoring-aware sign test (sign). "
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
        base={"task.n_train": 40, "task.n_test": 40, "network.M": 20, "network.N": 4},
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
        base={"task.n_train": 1000},
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
        base={"task.n_train": 2000},
        panels={
            "c": Panel("n_train", "task.n_train", (100, 250, 500, 750, 1000, 1500, 2000)),
            "d": Panel(
                "init_scale",
                "task.init_scale",
                (0.01, 0.1, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0),
                {"task.n_train": 10_000},
            ),
            "e": Panel(
                "teacher_scale",
                "task.teacher_scale",
                (0.1, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0),
                {"train.epochs": 200_000},
            ),
            "f": Panel("n_flip", "rule.n_flip_readout", tuple(range(1, 11))),
        },
        beyond=Beyond(
            ("authors", "exact", "linear_out"), ("gradient", "curl", "feedback_alignment")
        ),
    ),
}
PROFILES = {
    "smoke": (
        "tiny network (M = 20, N = 4), N_train 40, 40 epochs, threshold 2e-2, 3 seeds, 1-2 points per panel, "
        "g: authors' convention only (tests only)"
    ),
    "quick": (
        "10 seeds as in the paper; runs capped at 6000 epochs (paper 1e5; 2e5 for e), so slow gradient runs are "
        "censored; N_train = 1000 where the paper uses 2000 (b, e, f, g) and 1e4 (d); two points per panel: "
        "c: N_train 500, 1000; d: init scale 0.5, 2; e: teacher scale 0.5, 3; f: 1, 5 flipped neurons; g: authors' "
        "and linear-output conventions only; threshold 1e-3 as in the paper. Claims whose "
        "test cannot reach p < .01 with the complete or decided pairs available are reported as not tested"
    ),
    "paper": (
        "the authors' protocol: 10 seeds, 1e5 epochs (2e5 for e), N_train 2000 (1e4 for d), c: N_train 100-2000, "
        "d: init scale 0.01-10, e: teacher scale 0.1-4, f: 1-10 flipped readout neurons; threshold 1e-3"
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


def _faster_claim(
    text: str, rows: list[dict[str, Any]], sel: list[dict[str, Any]], seeds: int, note: str = ""
) -> Claim:
    """Claim ``text`` on a panel's ``rows``: reproduced if curl is significantly faster at
    every x of ``sel`` (:func:`all_faster_verdict`)."""
    v, why = all_faster_verdict(sel)
    return Claim(text, short_rows(rows), v, detail=f"{note}{criterion(seeds)}; {why}")


def claims(data: xr.Dataset) -> list[Claim]:
    """Claims (1)-(4) of Section 5, and the beyond-the-paper comparison."""
    seeds = data.sizes["seed"]
    out = [curve_claim(data, "5b")]
    # (1) N_train >= 500
    rows = panel_table(data, "c")
    out.append(
        _faster_claim(
            "(1) Curl descent converges faster than GD for N_train >= 500 (paired t-test p < .01)",
            rows,
            [r for r in rows if r["n_train"] >= 500],
            seeds,
        )
    )
    # (2) init scales
    rows = panel_table(data, "d")
    ahead = [curl_ahead(r) for r in rows]
    v, why = all_faster_verdict(rows)
    if v == "not reproduced" and all(ahead):
        sig = sum(curl_faster(r) for r in rows)
        v = verdict(sig >= math.ceil(len(rows) / 2))
        why = f"curl ahead at every scale, significant at {sig}/{len(rows)} (reproduced if at a majority)"
    elif not all(ahead):
        v = "not reproduced" if all(testable(r) for r in rows) else v
        why = f"curl ahead at {sum(ahead)}/{len(rows)} scales; {why}"
    out.append(
        Claim(
            "(2) The advantage is robust across student init scales",
            short_rows(rows),
            v,
            detail=f"{criterion(seeds)}; reproduced if curl is ahead at every scale and significant at a majority; {why}",
        )
    )
    # (3) teacher scale
    out.append(teacher_claim(panel_table(data, "e"), seeds))
    # (4) flipped neurons
    rows = panel_table(data, "f")
    N = json.loads(data.attrs["base_spec"])["network"]["N"]
    out.append(
        _faster_claim(
            "(4) Curl stays faster than GD for <= 50% flipped readout neurons (p < .01)",
            rows,
            [r for r in rows if r["n_flip"] <= N / 2],
            seeds,
            f"flips <= N/2 = {N / 2:g}; ",
        )
    )
    out.extend(beyond_claims(data))
    return out


def teacher_claim(rows: list[dict[str, Any]], seeds: int) -> Claim:
    """(3): above a critical teacher scale both rules mostly fail (>= half the runs of each
    censored) with no significant difference; below it curl is significantly faster."""
    poor = [r["censored_gradient"] >= seeds / 2 and r["censored_curl"] >= seeds / 2 for r in rows]
    crit = next((i for i in range(len(rows)) if all(poor[i:])), None)
    if crit is None:
        return Claim(
            "(3) Above a critical teacher scale both rules perform similarly poorly; below it curl is faster (p < .01)",
            short_rows(rows),
            "not reproduced",
            detail="no teacher scale above which both rules mostly fail to converge",
        )
    if crit == 0:
        return Claim(
            "(3) Above a critical teacher scale both rules perform similarly poorly; below it curl is faster (p < .01)",
            short_rows(rows),
            "not reproduced",
            detail="both rules mostly fail already at the smallest teacher scale",
        )
    above, below = rows[crit:], rows[:crit]
    similar = all(r["p_sign"] >= ALPHA for r in above)
    v, why = all_faster_verdict(below)
    if not similar:
        v = "not reproduced"
    return Claim(
        "(3) Above a critical teacher scale both rules perform similarly poorly; below it curl is faster (p < .01)",
        short_rows(rows),
        v,
        detail=(
            f"critical teacher scale between {rows[crit - 1]['teacher_scale']} and {rows[crit]['teacher_scale']}: above it >= half "
            f"of each rule's runs are censored and the sign test finds no difference (p >= {ALPHA}): {similar}; below it: {why}"
        ),
    )


def beyond_claims(data: xr.Dataset) -> list[Claim]:
    """Beyond the paper: is the speed-up a curl effect or a property of the authors' rule?"""
    if "conv_g" not in data:
        return []
    out = []
    for v in data.variant.values:
        for o in data.versus.values:
            st = {
                f: float(data[f"stat_g_{f}"].sel(variant=v, versus=o))
                for f in (
                    "mean_diff",
                    "p_ttest",
                    "p_sign",
                    "p_wilcoxon",
                    "n_used",
                    "n_a_faster",
                    "n_b_faster",
                )
            }
            cen = {
                str(a): int(data.censored_g.sel(variant=v, arm=a).sum()) for a in data.arm.values
            }
            means = {}
            for a in data.arm.values:
                c = data.conv_g.sel(variant=v, arm=a).values
                k = data.censored_g.sel(variant=v, arm=a).values
                means[str(a)] = float(np.mean(c[~k])) if (~k).any() else None
            vd, why = all_faster_verdict([{"variant": str(v), **st}])
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
                    detail=f"A = {o}, B = gradient, paired over {data.sizes['seed']} seeds; {criterion(data.sizes['seed'])}; {why}",
                )
            )
    return out
