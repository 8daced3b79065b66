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
setting, which their sweeps leave out. The ReLU-vs-tanh row compares panel b with Fig. 5c of
the same profile, read (and if need be run) through the same sweep store, so its value does
not depend on which figure ran first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from curldescent.figures import _convergence as cv
from curldescent.figures._convergence import (
    INIT_SCALE_GRID,
    N_TRAIN_GRID,
    TASK,
    Panel,
    Settings,
    Setup,
    across_scales_verdict,
    all_faster_verdict,
    criterion,
    panel_table,
    short_rows,
)
from curldescent.figures.base import Claim, figure_module, profile_settings
from curldescent.sweeps import SweepSpec

CAPTION = (
    "ReLU networks: curl descent (one rule-flipped readout neuron) converges faster than gradient descent, by "
    "a smaller margin than tanh networks. a) Test error vs epoch (mean ± SEM; N_train = 1400, init scale 2). "
    "b) Convergence speed (first checkpoint epoch with test error < 1e-3; open triangles: censored runs) vs "
    "training-set size; c) vs student init scale (N_train = 1e4). Paired t-test (t) or censoring-aware Wilcoxon (W) "
    "p-values per point. Reduced profiles use fewer seeds, epochs, grid points and smaller N_train (see PROFILES)."
)
PAPER_COMPUTE = "24 hours on 500 CPUs (12,000 CPU-hours; local cluster)"


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
        },
    ),
    "quick": Settings(
        seeds=8,
        epochs=6000,
        n_checkpoints=60,
        threshold=cv.THRESHOLD,
        base={"task.n_train": 1000, **TASK},
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
        base={"task.n_train": 2000, **TASK},
        panels={
            "c": Panel("n_train", "task.n_train", N_TRAIN_GRID),
            "d": Panel("init_scale", "task.init_scale", INIT_SCALE_GRID, {"task.n_train": 10_000}),
        },
        curves={"task.n_train": 1400},
    ),
    "decisive": Settings(
        seeds=10,
        epochs=10_000,
        n_checkpoints=100,
        threshold=cv.THRESHOLD,
        base={"task.n_train": 1400, **TASK},
        panels={
            "c": Panel("n_train", "task.n_train", (1000, 1400)),
            "d": Panel("init_scale", "task.init_scale", (2.0,)),
        },
        curves_stop=True,
    ),
}
PROFILES = {
    "smoke": "tiny network (M = 20, N = 4), N_train 40, 40 epochs, threshold 2e-2, 3 seeds (tests only)",
    "quick": (
        "8 seeds (paper 40); runs capped at 6000 epochs (paper 1e5), so slow runs are censored; N_train = 1000 "
        "where the paper uses 1400 (a) and 1e4 (c); b: N_train 500, 1000; c: init scale 0.5, 2; threshold 1e-3"
    ),
    "paper": (
        "the authors' protocol: 40 seeds, 1e5 epochs, a: N_train 1400; b: 19 values of N_train 100-2000; "
        "c: 17 init scales 0.01-10 with N_train 1e4; threshold 1e-3"
    ),
    "decisive": (
        "the paper's network, batch and lr; 10 seeds (paper 40) and runs capped at 1e4 epochs (paper 1e5), "
        "stopped at test error 1e-3: ReLU runs at N_train 1400 do not reach 1e-3 within 2e4 epochs, and 40 "
        "seeds x 1e5 epochs cost about 1e4 CPU-seconds per grid point, beyond the budget, so this profile "
        "records whether runs reach 1e-3 within 1e4 epochs and its rows are expected not tested; a: N_train "
        "1400; b: N_train 1000, 1400; c: init scale 2 only, at N_train 1400 (panel a's runs)"
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
    """Fig. 10 data: runs (or resumes) :func:`sweeps` into ``out/data``, and Fig. 5's
    training-set panel (its sweeps ``fig5b``/``fig5c`` of the same profile, through the
    same sweep store: run here if Fig. 5 has not run them yet; ``reproduce`` starts Fig. 10
    after Fig. 5, :data:`~curldescent.figures.base.NEEDS`) for the ReLU-vs-tanh row."""
    fig5 = figure_module("fig5")  # Fig. 5's data, through the registry

    ds = cv.compute(SETUP, settings(profile), profile, out, executor)
    s5 = fig5.settings(profile)
    tanh = cv.panel_runs(fig5.SETUP, s5, profile, out, "c", executor)
    speed = cv.log_speedup(tanh["conv"], tanh["cens"], float(s5.epochs))
    ds["tanh_log10_speedup_c"] = (
        ("n_train_tanh", "seed_tanh"),
        np.where(tanh["cens"].all(axis=1), np.nan, speed),  # both censored: unknown
        {
            "long_name": "tanh (Fig. 5c): log10(GD epochs / curl epochs), a censored run at the "
            "run length (NaN: both censored)",
            "units": "1",
        },
    )
    ds = ds.assign_coords(n_train_tanh=("n_train_tanh", np.asarray(s5.panels["c"].values)))
    ds.attrs["setting_tanh"] = cv.describe_sweep(
        cv.full_sweeps(fig5.SETUP, s5, profile)["c"], s5.seeds
    )
    return ds


def plot(data: xr.Dataset):
    """Panels a-c from the stored data."""
    return cv.plot_setup(data, SETUP)


#: the authors' range of Fig. 10c: init scales from 0.7 up (``Data_analysis/fig10c``:
#: ``order[5:]``), where they report p < .05 at 3, 4, 6, 7 and 8.
INIT_SCALE_RANGE = 0.7


def claims(data: xr.Dataset) -> list[Claim]:
    """Appendix D: faster convergence in ReLU networks (10a), significant for N_train >=
    1000 (10b), smaller than in tanh networks, and across init scales (10c)."""
    out = [
        cv.threshold_claim(
            data,
            "(10a) ReLU: curl reaches test error "
            f"{data.attrs['threshold']:g} before GD (paired over seeds, p < .05)",
            ALPHA,
        )
    ]
    rows = panel_table(data, "c")
    v, why = all_faster_verdict([r for r in rows if r["n_train"] >= 1000], ALPHA)
    out.append(
        Claim(
            "(5) In ReLU networks the effect is significant for N_train >= 1000 (p < .05)",
            short_rows(rows),
            v,
            detail=f"{criterion(ALPHA)}, at every N_train >= 1000; {why}",
            setting=cv.setting(data, "c", ALPHA),
        )
    )
    out.append(smaller_claim(data))
    rows = [r for r in panel_table(data, "d") if r["init_scale"] >= INIT_SCALE_RANGE]
    v, why = across_scales_verdict(rows, ALPHA)
    out.append(
        Claim(
            "(10c) ReLU: curl faster across student init scales (paper: 'p<0.05 for weight "
            "initialization scales 3,4,6,7 and 8'; curl ahead at most scales >= 0.7)",
            short_rows(rows),
            v,
            detail=f"{criterion(ALPHA)}; {why}",
            setting=cv.setting(
                data, "d", ALPHA, f"; {len(rows)} init scales >= {INIT_SCALE_RANGE} (Holm)"
            ),
        )
    )
    return out


def smaller_claim(data: xr.Dataset) -> Claim:
    """ReLU's speed-up is smaller than tanh's (Fig. 5c, same profile) at the training-set
    sizes of the claim (N_train >= 1000, on both grids): per-pair log10(GD / curl epochs),
    one-sided Mann–Whitney (:func:`~curldescent.figures._convergence.smaller_verdict`)."""
    relu_x = data.n_train.values
    tanh_x = data.n_train_tanh.values
    common = sorted(set(relu_x[relu_x >= 1000].tolist()) & set(tanh_x.tolist()))
    relu = cv.log_speedup(data.conv_c.values, data.censored_c.values, float(data.epochs_c))
    relu = np.where(data.censored_c.values.all(axis=1), np.nan, relu)  # both censored
    tanh = data.tanh_log10_speedup_c.values
    a = relu[np.isin(relu_x, common)]
    b = tanh[np.isin(tanh_x, common)]
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    v, p = cv.smaller_verdict(a, b, ALPHA)
    return Claim(
        "(5') The effect is smaller in ReLU than in tanh networks",
        {
            "n_train": common,
            "mean_log10_speedup_relu": float(np.mean(a)) if a.size else None,
            "mean_log10_speedup_tanh": float(np.mean(b)) if b.size else None,
            "p_mannwhitney": p,
        },
        v,
        detail=(
            "per pair: log10(GD epochs / curl epochs), a censored run at the run length, a pair of "
            "censored runs left out (its speed-up is unknown); ReLU (this "
            "figure) vs tanh (Fig. 5c, same profile, read through the sweep store) at the N_train "
            f">= 1000 both grids hold; one-sided Mann-Whitney p < {ALPHA}"
        ),
        setting=f"ReLU: {data.attrs['setting_c']}; tanh: {data.attrs['setting_tanh']}",
    )
