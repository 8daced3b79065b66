r"""Figure 9: readout-layer curl terms in tanh networks still reach low error although the
solution manifold is unstable (Appendix C).

One tanh network (authors' output convention) with M + N = 110 neurons, c = 1 (M = N = 55)
and a fraction α_r = 0.6 of rule-flipped hidden neurons in the readout layer (D2), trained
full batch on 250 examples (``preset_spec("fig8")``). Curl descent starts on the solution
manifold, at the teacher plus 1e-15 added to every entry of W1 (float64); gradient descent
starts from a random initialisation (same seed, so same teacher and data).

a) train error and b) test error against epochs for both runs; c) the curl run's weight
trajectory on its first two principal components (log-spaced checkpoints over the whole
run: the excursion away from the manifold and back); d) example curl weights against
epochs; e) weight autocorrelations over the final window (every epoch).

The two runs are one sweep (``fig9-<profile>``, :func:`sweeps`), stored under ``out/data``;
the example-run code is shared with Fig. 7 (:mod:`curldescent.figures._tanh_example`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from curldescent.analysis import principal_components
from curldescent.figures._tanh_example import (
    COLORS,
    ExampleSettings,
    compute_example,
    example_specs,
    example_sweep,
    plot_acf,
    plot_errors,
    plot_weights,
    pooled,
)
from curldescent.figures.base import Claim, profile_settings, verdict
from curldescent.plotting import PRINT_WIDTH

CAPTION = (
    "Readout-layer curl terms in tanh networks result in low error even when the solution manifold is unstable. "
    "M + N = 110, c = 1, alpha_r = 0.6. a) Train error of curl descent started 1e-15 away from the solution manifold "
    "(light purple) and of gradient descent from a random initialisation (dark purple). b) Same for the test error. "
    "c) Curl weight trajectory on its first two principal components. d) Curl weights vs epoch. e) Weight "
    "autocorrelations over the final window. Reduced profiles run fewer epochs (see PROFILES)."
)
PAPER_COMPUTE = "one run (part of the Fig. 8 sweep, 6 hours on 500 CPUs for the whole sweep)"
#: the profile's settings (:class:`~curldescent.figures._tanh_example.ExampleSettings`:
#: epochs, final window, training examples).
Settings = ExampleSettings
SETTINGS: dict[str, Settings] = {
    "smoke": Settings(epochs=200, window=50, n_train=40),
    "quick": Settings(epochs=10_000, window=1000, n_train=250),
    "decisive": Settings(epochs=100_000, window=2000, n_train=250),
    "paper": Settings(epochs=100_000, window=2000, n_train=250),
}
PROFILES = {
    "smoke": "200 epochs, N_train = 40 (tests only)",
    "quick": "1e4 epochs (paper 1e5), final window of 1000 epochs",
    "decisive": "the authors' protocol: M + N = 110, 1e5 epochs, final window of 2000 epochs, full batch of 250",
    "paper": "1e5 epochs, final window of 2000 epochs, full batch of 250 examples (the authors' protocol)",
}
C, ALPHA_R, PERTURBATION = 1.0, 0.6, 1e-15
LABELS = {
    "curl": "curl (manifold + 1e-15)",
    "gradient": "GD (random start)",
}


def settings(profile: str) -> Settings:
    """The epochs, window and training-set size of a profile (see :data:`PROFILES`).

    Raises:
        SpecError: an unknown profile.
    """
    return profile_settings(SETTINGS, profile)


def sweeps(profile: str) -> dict[str, Any]:
    """The profile's runs as one sweep, ``example`` (``fig9-<profile>``): curl descent from
    1e-15 off the manifold (c = 1, alpha_r = 0.6) and gradient descent from a random start,
    weights recorded at 300 log-spaced checkpoints and every epoch of the final window."""
    start = {"task.start": "teacher", "task.perturb_W1": PERTURBATION}
    specs = example_specs(
        "fig8", settings(profile), C, {"rule.alpha_readout": ALPHA_R, **start}, n_points=300
    )
    return {
        "example": example_sweep(
            f"fig9-{profile}", specs, "Fig. 9: tanh readout example (curl) and gradient control"
        )
    }


def planned_runs(profile: str) -> int:
    """Runs the profile simulates (for progress displays before computing)."""
    return sum(sw.size for sw in sweeps(profile).values())


def compute(profile: str, out: Path, executor: Any = None) -> xr.Dataset:
    """Run (or resume) the two example runs (the sweep of :func:`sweeps`, stored under
    ``out/data``) and analyse them."""
    ds, runs = compute_example(
        "fig9",
        profile,
        settings(profile),
        sweeps(profile)["example"],
        Path(out),
        executor,
        c=C,
        alpha_r=ALPHA_R,
        perturbation=PERTURBATION,
    )
    # PCA over the whole run (log-spaced checkpoints): the excursion and the return
    pca = principal_components(pooled(runs["curl"]), n_components=2)
    ds["curl_pc_run"] = (
        ("epoch", "pc"),
        np.asarray(pca.projections),
        {"long_name": "projection on principal components (whole run)", "units": "1"},
    )
    ds["curl_pc_run_ratio"] = (
        ("pc",),
        np.asarray(pca.explained_variance_ratio),
        {"long_name": "explained variance ratio", "units": "1"},
    )
    return ds


def plot(data: xr.Dataset):
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    fig, axes = plt.subplots(2, 3, figsize=(PRINT_WIDTH, 4.8))
    a, b, c, d, e, f = axes.ravel()
    plot_errors(a, data, LABELS, COLORS, "train", "a  train error")
    plot_errors(b, data, LABELS, COLORS, "test", "b  test error")
    pc = data.curl_pc_run.values
    ep = np.maximum(data.epoch.values, 1)
    sc = c.scatter(pc[:, 0], pc[:, 1], c=ep, norm=LogNorm(), s=6, cmap="viridis")
    c.plot(pc[:, 0], pc[:, 1], color="0.6", lw=0.4)
    c.plot(pc[0, 0], pc[0, 1], "k*", ms=9, label="start (manifold + 1e-15)")
    c.legend(loc="lower right")
    fig.colorbar(sc, ax=c, label="epoch")
    r = data.curl_pc_run_ratio.values
    c.set(
        xlabel=f"PC 1 ({100 * r[0]:.0f}% var.)",
        ylabel=f"PC 2 ({100 * r[1]:.0f}% var.)",
        title="c  curl trajectory (PCA, whole run)",
    )
    plot_weights(d, data, "curl", window_only=False, title="d  curl weights")
    plot_acf(e, data, "curl", f"e  autocorrelations (last {data.attrs['window']} ep.)")
    key = [ax.get_legend_handles_labels() for ax in (a, c, e)]  # one key, in the free cell
    for ax in (a, b, c, e):
        ax.get_legend().remove()
    f.legend([h for hs, _ in key for h in hs], [t for _, ts in key for t in ts], loc="center left")
    f.axis("off")
    s = excursion_summary(data)
    fig.suptitle(
        f"fig9 ({data.attrs['profile']}): tanh, M = N = {data.attrs['N']}, alpha_r = {data.attrs['alpha_r']}; curl test error "
        f"{s['initial_test_error']:.1e} -> peak {s['peak_test_error']:.1e} (epoch {s['peak_epoch']:g}) -> final {s['final_test_error']:.1e}"
    )
    return fig


def excursion_summary(data: xr.Dataset) -> dict[str, float]:
    """Initial, peak and final test error of the curl run, and the gradient run's final error."""
    te = data.curl_test_error.values
    i = int(np.nanargmax(te))
    return {
        "initial_test_error": float(te[0]),
        "peak_test_error": float(te[i]),
        "peak_epoch": float(data.epoch.values[i]),
        "final_test_error": float(te[-1]),
        "min_after_peak": float(np.nanmin(te[i:])),
        "gradient_final_test_error": float(data.gradient_test_error.values[-1]),
    }


#: "leaves the manifold": the peak test error at least this multiple of the initial one.
LEAVE_RATIO = 1e6
#: "re-descends": the final error below this fraction of the peak ...
DROP_RATIO = 0.1
#: ... and within this multiple of the gradient run's final error (the "low error" level).
LOW_RATIO = 10.0
#: gradient descent "reaches low error": final test error below this (Figs. 5, 10 threshold).
LOW_ERROR = 1e-3


def leave_verdict(initial: float, peak: float) -> str:
    """Verdict of "the manifold is unstable": peak test error > ``LEAVE_RATIO`` x initial."""
    return verdict(bool(peak > LEAVE_RATIO * max(initial, 1e-300)))


def redescent_verdict(initial: float, peak: float, final: float, gradient_final: float) -> str:
    """Verdict of "ascend, then re-descend to low error": it left (:func:`leave_verdict`),
    its final test error is below ``DROP_RATIO`` x its peak and below ``LOW_RATIO`` x the
    gradient run's final test error."""
    back = final < DROP_RATIO * peak and final < LOW_RATIO * gradient_final
    return verdict(leave_verdict(initial, peak) == "reproduced" and bool(back))


def setting(data: xr.Dataset) -> str:
    """The experiment behind the rows: size, run length, one seed, starts."""
    return (
        f"M=N={data.attrs['N']} (M+N=110), alpha_r={data.attrs['alpha_r']}, {int(data.epoch.values[-1]):.0e} "
        "epochs, full batch, 1 seed; curl from 1e-15 off the manifold, GD from a random start"
    )


def claims(data: xr.Dataset) -> list[Claim]:
    s = excursion_summary(data)
    return [
        Claim(
            "Started 1e-15 from the solution manifold, curl descent (c = 1, alpha_r = 0.6) leaves it: the manifold is unstable",
            s,
            leave_verdict(s["initial_test_error"], s["peak_test_error"]),
            detail=f"peak test error > {LEAVE_RATIO:g} x the initial one",
            setting=setting(data),
        ),
        Claim(
            "... and re-descends to low error (ascend then re-descend, as in linear networks, Fig. 9a-b)",
            s,
            redescent_verdict(
                s["initial_test_error"],
                s["peak_test_error"],
                s["final_test_error"],
                s["gradient_final_test_error"],
            ),
            detail=(
                "low error = the level gradient descent reaches in the same setting: the final curl test error is "
                f"< {DROP_RATIO:g} x its peak and < {LOW_RATIO:g}x the gradient run's final test error"
            ),
            setting=setting(data),
        ),
        Claim(
            "Gradient descent from a random initialisation reaches low error in the same setting",
            {
                "gradient_final_test_error": s["gradient_final_test_error"],
                "curl_final_test_error": s["final_test_error"],
            },
            verdict(s["gradient_final_test_error"] < LOW_ERROR),
            detail=f"final test error of the gradient run < {LOW_ERROR:g}",
            setting=setting(data),
        ),
    ]
