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

The example-run machinery here (simulate, record, analyse, draw) is shared with
:mod:`curldescent.figures.fig9`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from curldescent.analysis import mean_autocorrelation, order_parameter, principal_components
from curldescent.analysis.autocorrelation import autocorrelation
from curldescent.figures.base import Claim, verdict
from curldescent.plotting import PRINT_WIDTH
from curldescent.presets import preset_spec, sizes_for_c
from curldescent.specs import RunSpec

CAPTION = (
    "Hidden-layer curl terms lead to chaos in tanh networks. Example run with M + N = 110, c = 0.8, "
    "alpha_h = 0.6 (curl descent; gradient descent from the same initial weights as control). a) Weights over "
    "the final window (every epoch). b) Weight autocorrelation functions (thin: examples, thick: mean over all "
    "weights). c) Trajectory projected on its first two principal components. d) Test error vs epoch. "
    "Reduced profiles run fewer epochs and a shorter final window (see PROFILES)."
)
PAPER_COMPUTE = "one run (part of the Fig. 6 sweep, 6 hours on 500 CPUs for the whole sweep)"
SETTINGS = {
    "smoke": {"epochs": 60, "window": 40, "n_train": 40},
    "quick": {"epochs": 4000, "window": 1000, "n_train": 250},
    "paper": {"epochs": 100_000, "window": 2000, "n_train": 250},
}
PROFILES = {
    "smoke": "60 epochs, 40-epoch window, N_train = 40 (tests only)",
    "quick": "4000 epochs (paper 1e5), final window of 1000 epochs",
    "paper": "1e5 epochs, final window of 2000 epochs, N_train = 250, batch 10 (the authors' protocol)",
}
TOTAL, C, ALPHA_H, SEED = 110, 0.8, 0.6, 0
#: example weights drawn in panels a and b (pooled index into [W1.ravel(), W2.ravel()]).
N_EXAMPLES = 12
COLORS = {"gradient": "#3b1f6e", "curl": "#b48ad6"}
LABELS = {"gradient": "gradient descent", "curl": "curl descent"}


# --------------------------------------------------------------------------- shared example code


def example_spec(
    preset: str, *, epochs: int, window: int, n_points: int = 150, **overrides: Any
) -> RunSpec:
    """A recorded example run: weights at every checkpoint (``n_points`` log-spaced) and at
    every epoch of the final ``window``."""
    return preset_spec(
        preset,
        **{
            "train.epochs": epochs,
            "train.final_window": window,
            "train.record_weights": True,
            "train.n_checkpoints": n_points,
            **overrides,
        },
    )


def simulate_examples(specs: dict[str, RunSpec], out: Path, name: str) -> dict[str, xr.Dataset]:
    """Simulate (or load ``out/<name>_runs/<label>-<digest>.nc``) one recorded run per label."""
    import hashlib

    from curldescent.engine import simulate_batch
    from curldescent.results import write_dataset

    folder = Path(out) / f"{name}_runs"
    res = {}
    for label, spec in specs.items():
        digest = hashlib.sha256(json.dumps(spec.to_dict(), sort_keys=True).encode()).hexdigest()[
            :16
        ]
        path = folder / f"{label}-{digest}.nc"
        if path.exists():
            with xr.open_dataset(path) as ds:
                res[label] = ds.load()
            continue
        ds = simulate_batch([spec]).to_dataset().isel(run=0)
        write_dataset(ds, path)
        res[label] = ds
    return res


def example_specs(
    preset: str, s: dict[str, Any], c: float, curl: dict[str, Any], **kw: Any
) -> dict[str, RunSpec]:
    """The curl example run (``curl``: its own overrides) and its gradient-descent control,
    both with M + N = ``TOTAL`` at ``c = M/N``, seed ``SEED`` (same teacher and data) and the
    profile's settings ``s``; ``kw``: more :func:`example_spec` arguments for both."""
    M, N = sizes_for_c(c, TOTAL)
    common = {"network.M": M, "network.N": N, "task.n_train": s["n_train"], "seed": SEED, **kw}
    return {
        label: example_spec(preset, epochs=s["epochs"], window=s["window"], **common, **over)
        for label, over in (("curl", curl), ("gradient", {"rule.kind": "gradient"}))
    }


def compute_example(
    name: str, profile: str, s: dict[str, Any], specs: dict[str, RunSpec], out: Path, **attrs: Any
) -> tuple[xr.Dataset, dict[str, xr.Dataset]]:
    """Simulate (or load) the example runs of figure ``name`` and analyse them
    (:func:`example_dataset`, with the figure, profile, window, network sizes and ``attrs``
    as attributes); returns the dataset and the recorded runs."""
    runs = simulate_examples(specs, out, name)
    net = specs["curl"].network
    meta = {"figure": name, "profile": profile, "window": s["window"], "M": net.M, "N": net.N}
    return example_dataset(runs, s["window"], meta | attrs), runs


def pooled(ds: xr.Dataset) -> np.ndarray:
    """Recorded weights as (T, P): W1 then W2 entries."""
    W1 = ds.W1.values.reshape(ds.sizes["epoch"], -1)
    W2 = ds.W2.values.reshape(ds.sizes["epoch"], -1)
    return np.concatenate([W1, W2], axis=1)


def analyse_example(ds: xr.Dataset, window: int, prefix: str, *, seed: int = 0) -> dict[str, Any]:
    """Analysis variables of one recorded run: example weights over the run and over the
    final window, autocorrelations (examples and population mean) and the PCA projection
    of the final window, and the order parameter q (eq. 15) of the window."""
    ep = ds.epoch.values
    X = pooled(ds)
    n_w1 = ds.W1.values[0].size
    win = ep > ep[-1] - window
    rng = np.random.default_rng(seed)
    P = X.shape[1]
    examples = np.sort(
        np.concatenate(
            [
                rng.choice(n_w1, size=min(N_EXAMPLES - 4, n_w1), replace=False),
                n_w1 + rng.choice(P - n_w1, size=min(4, P - n_w1), replace=False),
            ]
        )
    )
    Xw = X[win]
    max_lag = int(win.sum()) // 2
    rho_mean = np.asarray(mean_autocorrelation(Xw, max_lag=max_lag))
    rho_ex = np.asarray(autocorrelation(Xw[:, examples], max_lag=max_lag))
    pca = principal_components(Xw, n_components=2)
    q = float(order_parameter(Xw))
    d = f"{prefix}_"
    return {
        "data": {
            f"{d}weights": (
                ("epoch", "example"),
                X[:, examples],
                {"long_name": "example weights", "units": "1"},
            ),
            f"{d}acf_mean": (
                ("lag",),
                rho_mean,
                {"long_name": "mean weight autocorrelation (final window)", "units": "1"},
            ),
            f"{d}acf_examples": (
                ("lag", "example"),
                rho_ex,
                {"long_name": "autocorrelation of example weights", "units": "1"},
            ),
            f"{d}pc": (
                ("window_epoch", "pc"),
                np.asarray(pca.projections),
                {"long_name": "projection on principal components", "units": "1"},
            ),
            f"{d}pc_ratio": (
                ("pc",),
                np.asarray(pca.explained_variance_ratio),
                {"long_name": "explained variance ratio", "units": "1"},
            ),
            f"{d}q": (
                (),
                q,
                {"long_name": "order parameter q over the final window (eq. 15)", "units": "1"},
            ),
            f"{d}test_error": (
                ("epoch",),
                ds.test_error.values,
                {"long_name": "test error (1/2 MSE)", "units": "1"},
            ),
            f"{d}train_error": (
                ("epoch",),
                ds.train_error.values,
                {"long_name": "train error (1/2 MSE)", "units": "1"},
            ),
            f"{d}example_index": (
                ("example",),
                examples,
                {"long_name": "pooled weight index (W1 then W2)", "units": "1"},
            ),
        },
        "coords": {
            "epoch": ("epoch", ep, {"long_name": "epoch", "units": "epochs"}),
            "window_epoch": (
                "window_epoch",
                ep[win],
                {"long_name": "epoch (final window)", "units": "epochs"},
            ),
            "lag": ("lag", np.arange(max_lag + 1), {"long_name": "lag", "units": "epochs"}),
            "pc": ("pc", [1, 2]),
        },
    }


def example_dataset(runs: dict[str, xr.Dataset], window: int, attrs: dict[str, Any]) -> xr.Dataset:
    """One dataset from the recorded runs (variables prefixed by the run's label)."""
    data: dict[str, Any] = {}
    coords: dict[str, Any] = {}
    for label, ds in runs.items():
        a = analyse_example(ds, window, label)
        data.update(a["data"])
        for k, v in a["coords"].items():
            if k in coords and not np.array_equal(np.asarray(coords[k][1]), np.asarray(v[1])):
                raise ValueError(f"runs disagree on coordinate {k}")
            coords[k] = v
    out = xr.Dataset({k: xr.Variable(*v) for k, v in data.items()}, coords=coords)
    out.attrs.update(attrs)
    out.attrs["n_runs"] = len(runs)
    out.attrs["specs"] = json.dumps({k: json.loads(ds.attrs["specs"])[0] for k, ds in runs.items()})
    out.attrs["wall_time_s"] = float(sum(ds.attrs.get("wall_time_s", 0.0) for ds in runs.values()))
    return out


def plot_weights(ax, data: xr.Dataset, label: str, *, window_only: bool, title: str) -> None:
    ep = data.epoch.values
    w = data[f"{label}_weights"].values
    sel = ep > ep[-1] - int(data.attrs["window"]) if window_only else slice(None)
    x = ep[sel] if window_only else np.maximum(ep, 1)
    ax.plot(x, w[sel], lw=0.7, alpha=0.85)
    if not window_only:
        ax.set_xscale("log")
    ax.set(xlabel="epoch", ylabel="weight", title=title)


def plot_acf(ax, data: xr.Dataset, label: str, title: str) -> None:
    lag = data.lag.values
    ax.plot(lag, data[f"{label}_acf_examples"].values, lw=0.6, alpha=0.5)
    ax.plot(lag, data[f"{label}_acf_mean"].values, color="k", lw=2, label="mean over all weights")
    ax.axhline(0, color="0.5", lw=0.8)
    ax.set(xlabel="lag (epochs)", ylabel="autocorrelation", title=title, ylim=(-1.05, 1.05))
    ax.legend(loc="upper right")


def plot_pca(ax, data: xr.Dataset, label: str, title: str) -> None:
    pc = data[f"{label}_pc"].values
    ratio = data[f"{label}_pc_ratio"].values
    t = data.window_epoch.values
    sc = ax.scatter(pc[:, 0], pc[:, 1], c=t, s=3, cmap="viridis")
    ax.plot(pc[:, 0], pc[:, 1], color="0.6", lw=0.3)
    ax.figure.colorbar(sc, ax=ax, label="epoch")
    ax.set(
        xlabel=f"PC 1 ({100 * ratio[0]:.0f}% var.)",
        ylabel=f"PC 2 ({100 * ratio[1]:.0f}% var.)",
        title=title,
    )


def plot_errors(
    ax, data: xr.Dataset, labels: dict[str, str], colors: dict[str, str], kind: str, title: str
) -> None:
    ep = np.maximum(data.epoch.values, 1)
    for label, text in labels.items():
        ax.plot(ep, data[f"{label}_{kind}_error"].values, color=colors[label], label=text)
    ax.set(xscale="log", yscale="log", xlabel="epoch", ylabel=f"{kind} error", title=title)
    ax.legend()


# --------------------------------------------------------------------------- figure 7


def _specs(profile: str) -> dict[str, Any]:
    return example_specs("fig6", SETTINGS[profile], C, {"rule.alpha_hidden": ALPHA_H})


def planned_runs(profile: str) -> int:
    """Runs the profile simulates (for progress displays before computing)."""
    return len(_specs(profile))


def compute(profile: str, out: Path, executor: Any = None) -> xr.Dataset:
    """Simulate the example run and its gradient control (cached under ``out/fig7_runs``;
    ``executor`` is unused: two runs)."""
    s = SETTINGS[profile]
    return compute_example("fig7", profile, s, _specs(profile), out, c=C, alpha_h=ALPHA_H)[0]


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


def claims(data: xr.Dataset) -> list[Claim]:
    cu, gd = chaos_summary(data, "curl"), chaos_summary(data, "gradient")
    fluct = cu["q"] > 1e-2 and cu["q"] > 100 * max(gd["q"], 1e-300)
    decor = np.isfinite(cu["decorrelation_lag"])
    poor = cu["final_test_error"] > 10 * gd["final_test_error"]
    return [
        Claim(
            "Hidden-layer curl terms (c = 0.8, alpha_h = 0.6) lead to chaotic weight dynamics in tanh networks (Fig. 7)",
            {"curl": cu, "gradient": gd},
            verdict(bool(fluct and decor)),
            detail=(
                "chaos read as: sustained weight fluctuations over the final window (order parameter q > 0.01 and "
                "> 100x the gradient control's) whose mean autocorrelation decays below 1/e within half the window"
            ),
        ),
        Claim(
            "Chaos destroys performance: curl test error stays far above gradient descent's (as in linear networks)",
            {
                "final_test_error_curl": cu["final_test_error"],
                "final_test_error_gd": gd["final_test_error"],
            },
            verdict(bool(poor)),
            detail="final test error of curl > 10x that of the gradient run from the same initial weights",
        ),
    ]
