r"""The example runs of Figs. 7 and 9: one tanh network trained by curl descent next to its
gradient-descent control, recorded and analysed (weights, autocorrelations, principal
components, the order parameter q).

**The runs are a sweep.** The two runs of a figure are the points of a one-axis sweep
(:func:`example_sweep`: axis ``rule`` = ``curl``, ``gradient``, zipped with the fields in
which the curl run differs from its control, e.g. its flipped fraction and start) with
``store_weights`` and ``train.record_weights``: the store holds every recorded checkpoint
of W1 and W2 (log-spaced over the run, every epoch over the final window), which is all
the analysis reads. So the runs go where every other run goes, into the figure's sweep
store (:func:`curldescent.figures.base.store_path`; resumable, any executor, and
``curldescent sweep fig7-paper`` can run them on a cluster); the analysis below is cheap
and recomputed from the store on every call. Each run is simulated alone (its rule kind
is its own shape key), exactly as a single :func:`~curldescent.engine.simulate_batch` call
would, so the data do not depend on the route.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from curldescent.analysis import mean_autocorrelation, order_parameter, principal_components
from curldescent.analysis.autocorrelation import autocorrelation
from curldescent.presets import preset_spec, sizes_for_c
from curldescent.specs import RunSpec

#: M + N of the example networks, and their seed (same teacher, data and initial weights
#: for the curl run and its control).
TOTAL, SEED = 110, 0
#: example weights drawn in the weight and autocorrelation panels (pooled index into
#: [W1.ravel(), W2.ravel()]).
N_EXAMPLES = 12
COLORS = {"gradient": "#3b1f6e", "curl": "#b48ad6"}
#: the runs of an example sweep, in order (the values of its ``rule`` axis).
RUNS = ("curl", "gradient")


@dataclass(frozen=True)
class ExampleSettings:
    """What a profile sets for an example figure.

    Args:
        epochs: length of both runs.
        window: the final window recorded every epoch (autocorrelations, q, PCA).
        n_train: training examples.
    """

    epochs: int
    window: int
    n_train: int


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


def example_specs(
    preset: str, s: ExampleSettings, c: float, curl: dict[str, Any], **kw: Any
) -> dict[str, RunSpec]:
    """The curl example run (``curl``: its own overrides) and its gradient-descent control,
    both with M + N = ``TOTAL`` at ``c = M/N``, seed ``SEED`` (same teacher and data) and the
    profile's settings ``s``; ``kw``: more :func:`example_spec` arguments for both."""
    M, N = sizes_for_c(c, TOTAL)
    common = {"network.M": M, "network.N": N, "task.n_train": s.n_train, "seed": SEED, **kw}
    return {
        label: example_spec(preset, epochs=s.epochs, window=s.window, **common, **over)
        for label, over in (("curl", curl), ("gradient", {"rule.kind": "gradient"}))
    }


def _flat(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def example_sweep(name: str, specs: dict[str, RunSpec], description: str = ""):
    """The runs ``specs`` (labels :data:`RUNS`) as one sweep: base = the curl run, axis
    ``rule`` over the labels, zipped with every field in which the runs differ.

    Raises:
        ValueError: the sweep's points are not exactly ``specs`` (a field the axis cannot
            set).
    """
    from curldescent.sweeps import Axis, SweepSpec

    flat = {label: _flat(specs[label].to_dict()) for label in RUNS}
    differ = sorted(
        k for k in flat["curl"] if k != "rule.kind" and flat["curl"][k] != flat["gradient"][k]
    )
    axis = Axis(
        "rule",
        tuple(specs[label].rule.kind for label in RUNS),
        zip=tuple((k, tuple(flat[label][k] for label in RUNS)) for k in differ),
    )
    sweep = SweepSpec(
        name=name, base=specs["curl"], axes=(axis,), store_weights=True, description=description
    )
    if [sweep.point_spec((i,)) for i in range(len(RUNS))] != [specs[k] for k in RUNS]:
        raise ValueError(f"sweep {name}: its points differ from the example runs")
    return sweep


def run_examples(sweep, out: Path, executor: Any = None) -> tuple[dict[str, xr.Dataset], dict]:
    """Run (or resume) an :func:`example_sweep` into its store under ``out``; return the
    recorded runs by label (``train_error``, ``test_error``, ``W1``, ``W2`` over ``epoch``)
    and the store's attributes (``wall_time_s``, provenance)."""
    from curldescent.figures.base import store_path
    from curldescent.sweeps import run_sweep

    path = store_path(out, sweep)
    path.parent.mkdir(parents=True, exist_ok=True)
    ds = run_sweep(sweep, path, executor=executor, progress=False)
    try:
        keep = ["train_error", "test_error", "W1", "W2"]
        runs = {label: ds[keep].isel(rule=i).load() for i, label in enumerate(RUNS)}
        attrs = dict(ds.attrs)
    finally:
        ds.close()
    return runs, attrs


def compute_example(
    name: str,
    profile: str,
    s: ExampleSettings,
    sweep,
    out: Path,
    executor: Any = None,
    **attrs: Any,
) -> tuple[xr.Dataset, dict[str, xr.Dataset]]:
    """Run (or resume) the example sweep of figure ``name`` and analyse its runs
    (:func:`example_dataset`, with the figure, profile, window, network sizes and ``attrs``
    as attributes); returns the dataset and the recorded runs."""
    runs, store_attrs = run_examples(sweep, out, executor)
    net = sweep.base.network
    meta = {"figure": name, "profile": profile, "window": s.window, "M": net.M, "N": net.N}
    specs = {label: sweep.point_spec((i,)) for i, label in enumerate(RUNS)}
    ds = example_dataset(runs, s.window, meta | attrs, specs)
    ds.attrs["wall_time_s"] = float(store_attrs.get("wall_time_s", np.nan))
    return ds, runs


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


def example_dataset(
    runs: dict[str, xr.Dataset],
    window: int,
    attrs: dict[str, Any],
    specs: dict[str, RunSpec],
) -> xr.Dataset:
    """One dataset from the recorded runs (variables prefixed by the run's label; the runs'
    specs as JSON in ``attrs["specs"]``)."""
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
    out.attrs["specs"] = json.dumps({k: specs[k].to_dict() for k in runs})
    return out


def plot_weights(ax, data: xr.Dataset, label: str, *, window_only: bool, title: str) -> None:
    """The example weights of run ``label`` against epochs (the final window only, linear
    axis; or the whole run, log axis)."""
    ep = data.epoch.values
    w = data[f"{label}_weights"].values
    sel = ep > ep[-1] - int(data.attrs["window"]) if window_only else slice(None)
    x = ep[sel] if window_only else np.maximum(ep, 1)
    ax.plot(x, w[sel], lw=0.7, alpha=0.85)
    if not window_only:
        ax.set_xscale("log")
    ax.set(xlabel="epoch", ylabel="weight", title=title)


def plot_acf(ax, data: xr.Dataset, label: str, title: str) -> None:
    """Autocorrelations of run ``label``'s example weights (thin) and their mean over all
    weights (thick)."""
    lag = data.lag.values
    ax.plot(lag, data[f"{label}_acf_examples"].values, lw=0.6, alpha=0.5)
    ax.plot(lag, data[f"{label}_acf_mean"].values, color="k", lw=2, label="mean over all weights")
    ax.axhline(0, color="0.5", lw=0.8)
    ax.set(xlabel="lag (epochs)", ylabel="autocorrelation", title=title, ylim=(-1.05, 1.05))
    ax.legend(loc="upper right")


def plot_pca(ax, data: xr.Dataset, label: str, title: str) -> None:
    """Run ``label``'s final window on its first two principal components, coloured by epoch."""
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
    """``kind`` (train or test) error of every run in ``labels`` against epochs, log axes."""
    ep = np.maximum(data.epoch.values, 1)
    for label, text in labels.items():
        ax.plot(ep, data[f"{label}_{kind}_error"].values, color=colors[label], label=text)
    ax.set(xscale="log", yscale="log", xlabel="epoch", ylabel=f"{kind} error", title=title)
    ax.legend()
