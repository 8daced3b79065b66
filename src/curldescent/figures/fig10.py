r"""Figure 10: curl descent converges faster in ReLU networks too (Appendix D).

Fig. 5's experiment (:mod:`curldescent.figures.fig5`; shared code in
:mod:`curldescent.figures._convergence`) with ReLU units (``preset_spec("fig10")``: :math:`\hat y = \mathrm{relu}(W_2\,\mathrm{relu}(W_1 x))`,
raw readout error), 40 seeds because the effect is smaller:

- **a** test error against epochs, mean ± SEM (N_train = 1400, init scale 2);
- **b** convergence speed against N_train (init scale 2); the paper reports p < .05 for
  N_train >= 1000;
- **c** convergence speed against the student init scale (N_train = 10⁴; p < .05 at
  scales 3, 4, 6, 7 and 8 in the paper).

Each panel's runs are one sweep (:func:`sweeps`: ``fig10a-PROFILE`` ... ``fig10c-PROFILE``),
stored under ``out/data``; panel a's whole runs also give the points of b and c at its
setting, which their sweeps leave out. When ``fig5.nc`` lies in the same output folder, the tanh
speed-up is copied into the data so that claim (5) can compare the two effect sizes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from curldescent.figures import _convergence as cv
from curldescent.figures._convergence import (
    Panel,
    Settings,
    Setup,
    all_faster_verdict,
    criterion,
    curl_faster,
    curve_claim,
    panel_table,
    short_rows,
    testable,
)
from curldescent.figures.base import Claim, profile_settings
from curldescent.sweeps import SweepSpec

CAPTION = (
    "ReLU networks: curl descent (one rule-flipped readout neuron) converges faster than gradient descent, by "
    "a smaller margin than tanh networks. a) Test error vs epoch (mean ± SEM; N_train = 1400, init scale 2). "
    "b) Convergence speed (first checkpoint epoch with test error < 1e-3; open triangles: censored runs) vs "
    "training-set size; c) vs student init scale (N_train = 1e4). Paired t-test and censoring-aware sign-test "
    "p-values per point. Reduced profiles use fewer seeds, epochs, grid points and smaller N_train (see PROFILES)."
)
PAPER_COMPUTE = "24 hours on 500 CPUs (12,000 CPU-hours; local cluster)"


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
        },
    ),
    "quick": Settings(
        seeds=8,
        epochs=6000,
        n_checkpoints=60,
        threshold=cv.THRESHOLD,
        base={"task.n_train": 1000},
        panels={
            "c": Panel("n_train", "task.n_train", (500, 1000)),
            "d": Panel("init_scale", "task.init_scale", (0.5, 2.0)),
        },
    ),
    "paper": Settings(
        seeds=40,
        epochs=100_000,
        n_checkpoints=100,
        threshold=cv.THRESHOLD,
        base={"task.n_train": 2000},
        panels={
            "c": Panel("n_train", "task.n_train", (100, 250, 500, 750, 1000, 1500, 2000)),
            "d": Panel(
                "init_scale",
                "task.init_scale",
                (0.01, 0.1, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0),
                {"task.n_train": 10_000},
            ),
        },
        curves={"task.n_train": 1400},
    ),
}
PROFILES = {
    "smoke": "tiny network (M = 20, N = 4), N_train 40, 40 epochs, threshold 2e-2, 3 seeds (tests only)",
    "quick": (
        "8 seeds (paper 40); runs capped at 6000 epochs (paper 1e5), so slow runs are censored; N_train = 1000 "
        "where the paper uses 1400 (a) and 1e4 (c); b: N_train 500, 1000; c: init scale 0.5, 2; threshold 1e-3"
    ),
    "paper": (
        "the authors' protocol: 40 seeds, 1e5 epochs, a: N_train 1400; b: N_train 100-2000; "
        "c: init scale 0.01-10 with N_train 1e4; threshold 1e-3"
    ),
}
#: the internal panels b-d are the paper's 10a-c.
SETUP = Setup(
    "fig10",
    "fig10",
    {
        "b": "a  test error (mean ± SEM)",
        "c": "b  vs training-set size",
        "d": "c  vs student init scale",
    },
    {"b": "a", "c": "b", "d": "c"},
)
ALPHA = 0.05


def settings(profile: str) -> Settings:
    """The settings of ``profile``.

    Raises:
        SpecError: an unknown profile (the message names the allowed ones).
    """
    return profile_settings(SETTINGS, profile)


def sweeps(profile: str) -> dict[str, SweepSpec]:
    """The figure's runs as sweeps by name (``fig10a-quick`` ... ``fig10c-quick``), one per
    panel, each run in one sweep only (a panel's sweep leaves out the runs of the
    whole-curve panel, ``fig10a``; a panel with no other run has no sweep); nothing runs."""
    return cv.named_sweeps(SETUP, settings(profile), profile)


def planned_runs(profile: str) -> int:
    """Runs the profile simulates (for progress displays before computing)."""
    return cv.count_runs(sweeps(profile))


def compute(profile: str, out: Path, executor: Any = None) -> xr.Dataset:
    """Fig. 10 data: runs (or resumes) :func:`sweeps` into ``out/data``, plus the tanh
    speed-up from ``out/fig5.nc`` when present."""
    ds = cv.compute(SETUP, settings(profile), profile, out, executor)
    tanh = Path(out) / "fig5.nc"
    if tanh.exists():
        with xr.open_dataset(tanh) as t5:
            if t5.attrs.get("profile") == profile and "conv_c" in t5:
                ds["tanh_speedup_c"] = speedup(t5, "c").rename({"n_train": "n_train_tanh"})
    return ds


def speedup(data: xr.Dataset, p: str) -> xr.DataArray:
    """Mean over seeds of log10(GD epochs / curl epochs), a censored run counted at its
    run length (a lower bound on the speed-up when GD is censored)."""
    conv = data[f"conv_{p}"]
    cap = float(data[f"epochs_{p}"])
    filled = conv.where(~data[f"censored_{p}"], cap)
    out = np.log10(filled.sel(rule="gradient") / filled.sel(rule="curl")).mean("seed")
    out.attrs = {
        "long_name": "mean log10(GD epochs / curl epochs) (censored at the run length)",
        "units": "1",
    }
    return out


def plot(data: xr.Dataset):
    """Panels a-c from the stored data."""
    return cv.plot_setup(data, SETUP)


def claims(data: xr.Dataset) -> list[Claim]:
    """Claim (5): in ReLU networks the effect is smaller but significant (p < .05) for N_train >= 1000."""
    seeds = data.sizes["seed"]
    out = [curve_claim(data, "10a")]
    rows = panel_table(data, "c")
    sel = [r for r in rows if r["n_train"] >= 1000]
    v, why = all_faster_verdict(sel, ALPHA)
    relu = speedup(data, "c")
    value: dict[str, Any] = {
        "per_n_train": short_rows(rows),
        "relu_log10_speedup": dict(
            zip(relu.n_train.values.tolist(), relu.values.tolist(), strict=True)
        ),
    }
    smaller = "tanh comparison not available (no fig5.nc of the same profile in the output folder)"
    if "tanh_speedup_c" in data:
        t = data.tanh_speedup_c
        value["tanh_log10_speedup"] = dict(
            zip(t.n_train_tanh.values.tolist(), t.values.tolist(), strict=True)
        )
        common = sorted(set(relu.n_train.values.tolist()) & set(t.n_train_tanh.values.tolist()))
        is_smaller = [float(relu.sel(n_train=n)) < float(t.sel(n_train_tanh=n)) for n in common]
        smaller = f"ReLU speed-up smaller than tanh at N_train = {[n for n, s in zip(common, is_smaller, strict=True) if s]} of {common}"
        if v == "reproduced" and not all(is_smaller):
            v = "not reproduced"
    out.append(
        Claim(
            "(5) In ReLU networks the effect is smaller than in tanh networks but significant for N_train >= 1000 (p < .05)",
            value,
            v,
            detail=f"{criterion(seeds, ALPHA)}; {why}; {smaller}",
        )
    )
    rows = panel_table(data, "d")
    sig = [r["init_scale"] for r in rows if curl_faster(r, ALPHA)]
    out.append(
        Claim(
            "(10c) ReLU: curl faster at several student init scales (paper: p < .05 at scales 3, 4, 6, 7, 8)",
            short_rows(rows),
            "reproduced"
            if sig
            else ("not tested" if not any(testable(r, ALPHA) for r in rows) else "not reproduced"),
            detail=f"significantly faster (p < {ALPHA}) at init scales {sig} of {[r['init_scale'] for r in rows]}",
        )
    )
    return out
