r"""Figure 10: curl descent converges faster in ReLU networks too (Appendix D).

Fig. 5's experiment (:mod:`curldescent.figures.fig5`, whose code this module reuses) with
ReLU units (``preset_spec("fig10")``: :math:`\hat y = \mathrm{relu}(W_2\,\mathrm{relu}(W_1 x))`,
raw readout error), 40 seeds because the effect is smaller:

- **a** test error against epochs, mean ± SEM (N_train = 1400, init scale 2);
- **b** convergence speed against N_train (init scale 2); the paper reports p < .05 for
  N_train >= 1000;
- **c** convergence speed against the student init scale (N_train = 10⁴; p < .05 at
  scales 3, 4, 6, 7 and 8 in the paper).

When ``fig5.nc`` lies in the same output folder, the tanh speed-up is copied into the data
so that claim (5) can compare the two effect sizes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from curldescent.figures import fig5
from curldescent.figures.base import Claim
from curldescent.figures.fig5 import Setup

CAPTION = (
    "ReLU networks: curl descent (one rule-flipped readout neuron) converges faster than gradient descent, by "
    "a smaller margin than tanh networks. a) Test error vs epoch (mean ± SEM; N_train = 1400, init scale 2). "
    "b) Convergence speed (first checkpoint epoch with test error < 1e-3; open triangles: censored runs) vs "
    "training-set size; c) vs student init scale (N_train = 1e4). Paired t-test and censoring-aware sign-test "
    "p-values per point. Reduced profiles use fewer seeds, epochs, grid points and smaller N_train (see PROFILES)."
)
PAPER_COMPUTE = "24 hours on 500 CPUs (12,000 CPU-hours; local cluster)"
#: Fig. 5's panels b-d (the paper's 10a-c).
PANELS = ("c", "d")


def _settings(profile: str, seeds: int, **extra: Any) -> dict[str, Any]:
    """Fig. 5's settings of ``profile`` with ``seeds`` seeds, ``extra`` and only ``PANELS``."""
    s = fig5.SETTINGS[profile]
    rest = {k: v for k, v in s.items() if k not in ("panels", "beyond")}
    return {**rest, "seeds": seeds, **extra, "panels": {p: s["panels"][p] for p in PANELS}}


SETTINGS: dict[str, dict[str, Any]] = {
    "smoke": _settings("smoke", 3),
    "quick": _settings("quick", 8),
    "paper": _settings("paper", 40, b={"task.n_train": 1400}),
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
SETUP = Setup(
    "fig10",
    "fig10",
    SETTINGS,
    PANELS,
    False,
    {
        "b": "a  test error (mean ± SEM)",
        "c": "b  vs training-set size",
        "d": "c  vs student init scale",
    },
)
ALPHA = 0.05


def planned_runs(profile: str) -> int:
    """Runs the profile simulates (for progress displays before computing)."""
    return fig5.distinct_runs(fig5.plan(SETUP, profile))


def compute(profile: str, out: Path, executor: Any = None) -> xr.Dataset:
    """Fig. 10 data (cached per batch under ``out/fig10_runs``), plus the tanh speed-up
    from ``out/fig5.nc`` when present."""
    ds = fig5.compute_setup(SETUP, profile, out, executor)
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
    return fig5.plot_setup(data, SETUP)


def claims(data: xr.Dataset) -> list[Claim]:
    """Claim (5): in ReLU networks the effect is smaller but significant (p < .05) for N_train >= 1000."""
    seeds = data.sizes["seed"]
    out = [fig5.curve_claim(data, "10a")]
    rows = fig5.panel_table(data, "c")
    sel = [r for r in rows if r["n_train"] >= 1000]
    v, why = fig5.all_faster_verdict(sel, ALPHA)
    relu = speedup(data, "c")
    value: dict[str, Any] = {
        "per_n_train": fig5._short_rows(rows),
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
            detail=f"{fig5._criterion(seeds, ALPHA)}; {why}; {smaller}",
        )
    )
    rows = fig5.panel_table(data, "d")
    sig = [r["init_scale"] for r in rows if fig5.curl_faster(r, ALPHA)]
    out.append(
        Claim(
            "(10c) ReLU: curl faster at several student init scales (paper: p < .05 at scales 3, 4, 6, 7, 8)",
            fig5._short_rows(rows),
            "reproduced"
            if sig
            else (
                "not tested" if not any(fig5.testable(r, ALPHA) for r in rows) else "not reproduced"
            ),
            detail=f"significantly faster (p < {ALPHA}) at init scales {sig} of {[r['init_scale'] for r in rows]}",
        )
    )
    return out
