r"""The (c, α, seed) grids of the linear phase diagrams, as sweeps.

A grid is a :class:`curldescent.sweeps.SweepSpec` over the compression ratio c (sizes
from :func:`~curldescent.presets.sizes_for_c` at fixed ``M + N``), the flipped fraction of
one layer and the seed (:func:`grid_sweep`); it runs (or resumes) into its zarr store
(:func:`curldescent.figures.base.store_path`) and is read back as seed-resolved arrays
(:func:`run_grid`), with its final weights for the map continuation (:func:`final_weights`).
Diverged runs carry a +inf log error in the store: :func:`finite` and :func:`failed_error`
read that convention.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from curldescent.figures.base import store_path
from curldescent.specs import RunSpec


def alpha_field(layer: str) -> str:
    """The RunSpec field of the flipped fraction of ``layer`` (``hidden`` or ``readout``)."""
    return {"hidden": "rule.alpha_hidden", "readout": "rule.alpha_readout"}[layer]


def grid_sweep(
    name: str,
    base: RunSpec,
    layer: str,
    cs: Sequence[float],
    alphas: Sequence[float],
    seeds: Sequence[int],
    *,
    total: int,
    store_weights: bool = False,
    chunk_size: int | None = None,
    description: str = "",
):
    r"""The sweep ``c × alpha × seed`` over ``base`` (sizes from
    :func:`~curldescent.presets.sizes_for_c` at ``M + N = total``; ``alpha`` sets the flipped
    fraction of ``layer``; GPU-sized batches when JAX sees a GPU,
    :func:`curldescent.runtime.device_plan`)."""
    from curldescent.runtime import device_plan
    from curldescent.sweeps import Axis, SweepSpec, c_axis

    sweep = SweepSpec(
        name=name,
        description=description,
        base=base,
        axes=(
            c_axis([float(c) for c in cs], total=total),
            Axis("alpha", [float(a) for a in alphas], field=alpha_field(layer)),
            Axis("seed", [int(s) for s in seeds]),
        ),
        store_weights=store_weights,
        chunk_size=chunk_size,
    )
    return device_plan().sized(sweep)


GRID_VARS = (
    "final_log10_test_error",
    "peak_log10_test_error",
    "peak_log10_train_error",
    "final_test_error",
    "diverged",
    "convergence_epoch",
    "q",
)


def run_grid(
    sweep, out: Path, executor: Any = None, *, curves: bool = False
) -> tuple[xr.Dataset, Path]:
    """Run (or resume) ``sweep`` into its store under ``out`` with
    :func:`curldescent.sweeps.run_sweep` and return ``(summary, store)``: the per-run
    metrics (``GRID_VARS`` present in the store; ``test_error`` at the checkpoints too when
    ``curves``), loaded in memory, with dims ``(c, alpha, seed[, epoch])``."""
    from curldescent.sweeps import run_sweep

    path = store_path(out, sweep)
    path.parent.mkdir(parents=True, exist_ok=True)
    ds = run_sweep(sweep, path, executor=executor, progress=False)
    keep = [v for v in GRID_VARS if v in ds] + (["test_error"] if curves else [])
    summary = ds[keep].load()
    summary.attrs = {
        "sweep_name": sweep.name,
        "sweep_spec": sweep.to_json(),
        "sweep_store": str(path),
        "sweep_wall_time_s": float(ds.attrs.get("wall_time_s", np.nan)),
    }
    ds.close()
    return summary, path


def final_weights(
    store: Path, c_index: int, seeds: Sequence[int] | None = None
) -> tuple[np.ndarray, np.ndarray, list]:
    """Final weights of the runs at ``c`` index ``c_index`` of a grid store (unpadded to the
    point's M, N): ``(W1 (A, S, N, M), W2 (A, S, K, N), seeds)``."""
    from curldescent.sweeps import open_sweep

    ds = open_sweep(store)
    try:
        sub = ds.isel(c=c_index)
        if seeds is not None:
            sub = sub.sel(seed=list(seeds))
        M, N = int(sub.M), int(sub.N)
        W1 = np.asarray(sub.final_W1.values)[..., :N, :M]
        W2 = np.asarray(sub.final_W2.values)[..., :, :N]
        return W1, W2, [int(s) for s in sub.seed.values]
    finally:
        ds.close()


def finite(da: xr.DataArray) -> xr.DataArray:
    """``da`` with non-finite entries (diverged runs: the sweeps store their log error as
    +inf) set to NaN, so seed means run over the runs that stayed finite."""
    return da.where(np.isfinite(da))


def failed_error(err: np.ndarray) -> np.ndarray:
    """Test errors with non-finite values (diverged runs) as +inf: a diverged run has not
    reached low error and counts as failed."""
    err = np.asarray(err, float)
    return np.where(np.isfinite(err), err, np.inf)


def window_q(store: Path) -> xr.Dataset:
    """Both readings of the order parameter per run of a grid store that kept its window
    moments (``store_weights`` and ``train.final_window``):
    ``q`` (eq. 15 as printed) and ``q_std`` (the authors' plotted axis: mean temporal variance
    over the standard deviation of the temporal means,
    :func:`curldescent.analysis.order_parameter.order_parameter_variants`); dims
    ``(c, alpha, seed)``."""
    from curldescent.analysis.order_parameter import order_parameter_variants
    from curldescent.sweeps import open_sweep

    ds = open_sweep(store)
    try:
        m1, m2 = (np.asarray(ds[f"window_mean_{w}"].values) for w in ("W1", "W2"))
        v1, v2 = (np.asarray(ds[f"window_var_{w}"].values) for w in ("W1", "W2"))
        shape = tuple(ds.sizes[d] for d in ("c", "alpha", "seed"))
        coords = {d: ds[d].values for d in ("c", "alpha", "seed")}
    finally:
        ds.close()
    out = np.full(shape + (2,), np.nan)
    for idx in np.ndindex(shape):
        mean = np.concatenate([m1[idx].ravel(), m2[idx].ravel()])
        var = np.concatenate([v1[idx].ravel(), v2[idx].ravel()])
        out[idx] = order_parameter_variants(mean, var)
    dims = ("c", "alpha", "seed")
    return xr.Dataset(
        {
            "q": (dims, out[..., 0], {"long_name": "q, eq. 15 as printed (/ variance of means)"}),
            "q_std": (dims, out[..., 1], {"long_name": "q, the authors' axis (/ SD of means)"}),
        },
        coords=coords,
    )


#: the colour cap of the peak error (log10 of an error of 1), as in the authors' Figs. 4b, 8b.
PEAK_CAP = 0.0


def peak_map(d: xr.Dataset) -> xr.DataArray:
    """The authors' peak error (Figs. 4b, 8b): per grid point the max over seeds of the
    peak log10 train error (max over the checkpoints, ``peak_log10_train_error``), capped
    at ``PEAK_CAP`` (an error of 1); diverged runs (+inf) count at the cap, all-NaN cells
    stay NaN."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return d.peak_log10_train_error.clip(max=PEAK_CAP).max("seed")
