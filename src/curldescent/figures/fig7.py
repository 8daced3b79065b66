r"""Figure 7: hidden-layer curl terms lead to chaos in tanh networks (Appendix C).

One tanh network (authors' output convention) with M + N = 110 neurons, c = M/N = 0.8
(M = 48, N = 61, ``presets.sizes_for_c``) and a fraction α_h = 0.6 of rule-flipped input
neurons (D1), trained by curl descent with minibatches of 10 on 250 examples
(``preset_spec("fig6")``). A gradient-descent run of the same seed (same teacher, data and
initial weights) is the control.

a) weight dynamics over the final window (every epoch recorded); b) weight
autocorrelation functions over that window (thin: example weights, thick: the population
mean); c) the window's trajectory projected on its first two principal components;
d) test error against epochs for both rules (log axes).

The two runs are one sweep (``fig7-<profile>``, :func:`sweeps`), stored under
``out/data`` like every figure's runs; the example-run machinery (record, analyse,
draw) is shared with Fig. 9 in :mod:`curldescent.figures._tanh_example`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from curldescent.figures._tanh_example import (
    COLORS,
    ExampleSettings,
    compute_example,
    example_specs,
    example_sweep,
    plot_acf,
    plot_errors,
    plot_pca,
    plot_weights,
)
from curldescent.figures.base import Claim, profile_settings, verdict
from curldescent.plotting import PRINT_WIDTH

CAPTION = (
    "Hidden-layer curl terms lead to chaos in tanh networks. Example run with M + N = 110, c = 0.8, "
    "alpha_h = 0.6 (curl descent; gradient descent from the same initial weights as control). a) Weights over "
    "the final window (every epoch). b) Weight autocorrelation functions (thin: examples, thick: mean over all "
    "weights). c) Trajectory projected on its first two principal components. d) Test error vs epoch. "
    "Reduced profiles run fewer epochs and a shorter final window (see PROFILES)."
)
PAPER_COMPUTE = "one run (part of the Fig. 6 sweep, 6 hours on 500 CPUs for the whole sweep)"
#: the profile's settings (:class:`~curldescent.figures._tanh_example.ExampleSettings`:
#: epochs, final window, training examples).
Settings = ExampleSettings
SETTINGS: dict[str, Settings] = {
    "smoke": Settings(epochs=60, window=40, n_train=40),
    "quick": Settings(epochs=4000, window=1000, n_train=250),
    "decisive": Settings(epochs=10_000, window=2000, n_train=250),
    "paper": Settings(epochs=100_000, window=2000, n_train=250),
}
PROFILES = {
    "smoke": "60 epochs, 40-epoch window, N_train = 40 (tests only)",
    "quick": "4000 epochs (paper 1e5), final window of 1000 epochs",
    "decisive": "the authors' size (M + N = 110), batch 10, N_train = 250; 1e4 epochs (paper 1e5), final window of 2000 epochs",
    "paper": "1e5 epochs, final window of 2000 epochs, N_train = 250, batch 10 (the authors' protocol)",
}
C, ALPHA_H = 0.8, 0.6
LABELS = {"gradient": "gradient descent", "curl": "curl descent"}


def settings(profile: str) -> Settings:
    """The epochs, window and training-set size of a profile (see :data:`PROFILES`).

    Raises:
        SpecError: an unknown profile.
    """
    return profile_settings(SETTINGS, profile)


def sweeps(profile: str) -> dict[str, Any]:
    """The profile's runs as one sweep, ``example`` (``fig7-<profile>``): the curl run
    (c = 0.8, alpha_h = 0.6) and its gradient-descent control, weights recorded."""
    specs = example_specs("fig6", settings(profile), C, {"rule.alpha_hidden": ALPHA_H})
    return {
        "example": example_sweep(
            f"fig7-{profile}", specs, "Fig. 7: tanh example run (curl) and gradient control"
        )
    }


def planned_runs(profile: str) -> int:
    """Runs the profile simulates (for progress displays before computing)."""
    return sum(sw.size for sw in sweeps(profile).values())


def compute(profile: str, out: Path, executor: Any = None) -> xr.Dataset:
    """Run (or resume) the example run and its gradient control (the sweep of
    :func:`sweeps`, stored under ``out/data``) and analyse them."""
    ds, _ = compute_example(
        "fig7",
        profile,
        settings(profile),
        sweeps(profile)["example"],
        Path(out),
        executor,
        c=C,
        alpha_h=ALPHA_H,
    )
    return ds


def plot(data: xr.Dataset):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(PRINT_WIDTH, 5.2))
    a, b, c, d = axes.ravel()
    plot_weights(
        a,
        data,
        "curl",
        window_only=True,
        title=f"a  curl weights (last {data.attrs['window']} epochs)",
    )
    plot_acf(b, data, "curl", "b  weight autocorrelations (curl)")
    plot_pca(c, data, "curl", "c  weight trajectory, PCA (curl)")
    plot_errors(d, data, LABELS, COLORS, "test", "d  test error")
    fig.suptitle(
        f"fig7 ({data.attrs['profile']}): tanh, M = {data.attrs['M']}, N = {data.attrs['N']} (c = {data.attrs['c']}), "
        f"alpha_h = {data.attrs['alpha_h']}; q(curl) = {float(data.curl_q):.3g}, q(GD) = {float(data.gradient_q):.2g}"
    )
    return fig


def chaos_summary(data: xr.Dataset, label: str) -> dict[str, float]:
    """Numbers behind the chaos claim: q, the mean autocorrelation at a quarter of the window,
    the first lag at which it falls below 1/e, and the final and minimum test errors."""
    rho = data[f"{label}_acf_mean"].values
    below = np.nonzero(rho < np.exp(-1))[0]
    te = data[f"{label}_test_error"].values
    return {
        "q": float(data[f"{label}_q"]),
        "acf_at_quarter_window": float(rho[min(len(rho) - 1, int(data.attrs["window"]) // 4)]),
        "decorrelation_lag": float(below[0]) if below.size else float("nan"),
        "final_test_error": float(te[-1]),
        "min_test_error": float(np.nanmin(te)),
    }


#: chaos: q over the final window above this and above ``Q_RATIO`` times the gradient run's.
Q_MIN, Q_RATIO = 1e-2, 100.0
#: "destroys performance": the curl run's final test error above this multiple of GD's.
POOR_RATIO = 10.0


def chaos_verdict(q_curl: float, q_gradient: float, decorrelation_lag: float) -> str:
    """Verdict of "chaotic weight dynamics": sustained fluctuations over the final window
    (``q_curl`` > ``Q_MIN`` and > ``Q_RATIO`` x the gradient control's q) whose mean
    autocorrelation falls below 1/e within the computed lags (half the window; NaN: it
    never does)."""
    fluct = q_curl > Q_MIN and q_curl > Q_RATIO * max(q_gradient, 1e-300)
    return verdict(bool(fluct and np.isfinite(decorrelation_lag)))


def poor_verdict(final_curl: float, final_gradient: float) -> str:
    """Verdict of "chaos destroys performance": the curl run's final test error above
    ``POOR_RATIO`` x the gradient run's."""
    return verdict(bool(final_curl > POOR_RATIO * final_gradient))


def setting(data: xr.Dataset) -> str:
    """The experiment behind the rows: size, run length, window, one seed."""
    return (
        f"M={data.attrs['M']}, N={data.attrs['N']} (M+N=110), c={data.attrs['c']}, alpha_h={data.attrs['alpha_h']}, "
        f"{int(data.epoch.values[-1]):.0e} epochs, batch 10, final window {data.attrs['window']} epochs, "
        "1 seed (curl and its GD control)"
    )


def claims(data: xr.Dataset) -> list[Claim]:
    cu, gd = chaos_summary(data, "curl"), chaos_summary(data, "gradient")
    return [
        Claim(
            "Hidden-layer curl terms (c = 0.8, alpha_h = 0.6) lead to chaotic weight dynamics in tanh networks (Fig. 7)",
            {"curl": cu, "gradient": gd},
            chaos_verdict(cu["q"], gd["q"], cu["decorrelation_lag"]),
            detail=(
                f"chaos read as: sustained weight fluctuations over the final window (order parameter q > {Q_MIN:g} and "
                f"> {Q_RATIO:g}x the gradient control's) whose mean autocorrelation decays below 1/e within half the window"
            ),
            setting=setting(data),
        ),
        Claim(
            "Chaos destroys performance: curl test error stays far above gradient descent's (as in linear networks)",
            {
                "final_test_error_curl": cu["final_test_error"],
                "final_test_error_gd": gd["final_test_error"],
            },
            poor_verdict(cu["final_test_error"], gd["final_test_error"]),
            detail=f"final test error of curl > {POOR_RATIO:g}x that of the gradient run from the same initial weights",
            setting=setting(data),
        ),
    ]
