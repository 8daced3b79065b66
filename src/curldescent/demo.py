"""The demo job: gradient descent vs curl descent on the same teachers (tanh network, one
flipped readout neuron, the authors' Fig. 5 protocol at reduced size)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import xarray as xr

from curldescent.engine import simulate_batch
from curldescent.presets import preset_spec
from curldescent.results import write_dataset


def run_demo(
    out: str | Path,
    *,
    seeds: int = 3,
    epochs: int | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, str]:
    """Train GD and curl descent over ``seeds`` paired seeds; write ``demo.nc`` and ``demo.png``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from curldescent.plotting import use_style

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    base = preset_spec("demo")
    if epochs is not None:
        base = base.replace(**{"train.epochs": epochs})
    parts = []
    for kind in ("gradient", "curl"):
        flips = {"rule.n_flip_readout": 1} if kind == "curl" else {"rule.n_flip_readout": None}
        specs = [base.replace(**{"rule.kind": kind, "seed": s, **flips}) for s in range(seeds)]
        log(f"training {kind}: {seeds} seeds x {base.train.epochs} epochs ...")
        res = simulate_batch(specs)
        ds = res.to_dataset().drop_vars(["final_W1", "final_W2"])
        parts.append(ds.assign_coords(run=[f"{kind}-{s}" for s in range(seeds)]))
    ds = xr.concat(parts, dim="run", combine_attrs="drop_conflicts")
    ds.attrs["description"] = (
        "GD vs curl descent (one flipped readout neuron), tanh network, demo preset"
    )
    data_path = write_dataset(ds, out / "demo.nc")

    use_style()
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.4), sharey=True)
    epochs_ = ds.epoch.values
    keep = epochs_ > 0
    for ax, var in zip(axes, ("train_error", "test_error"), strict=True):
        for kind, color in (("gradient", "C0"), ("curl", "C1")):
            sel = ds[var].where(ds.rule == kind, drop=True).values[:, keep]
            mean = sel.mean(axis=0)
            sem = sel.std(axis=0, ddof=1) / np.sqrt(sel.shape[0]) if sel.shape[0] > 1 else 0 * mean
            label = (
                "gradient descent"
                if kind == "gradient"
                else "curl descent (1 flipped readout neuron)"
            )
            ax.plot(epochs_[keep], mean, color=color, label=label)
            ax.fill_between(
                epochs_[keep], np.maximum(mean - sem, 1e-300), mean + sem, color=color, alpha=0.25
            )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_title(var.replace("_", " ") + f" (mean ± SEM, {seeds} seeds)")
    axes[0].set_ylabel("error (½·MSE)")
    axes[0].legend()
    png = out / "demo.png"
    fig.savefig(png, dpi=150)
    plt.close(fig)
    return {"data": str(data_path), "png": str(png)}
