"""Results as labelled arrays: the one dataset schema, provenance, and safe writing."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

import curldescent

ATTRS = {
    "train_error": {"long_name": "train error (1/2 MSE)", "units": "1"},
    "test_error": {"long_name": "test error (1/2 MSE)", "units": "1"},
    "diverged": {"long_name": "weights became non-finite", "units": "1"},
    "epoch": {"long_name": "epoch", "units": "epochs"},
    "W1": {"long_name": "hidden-layer weights W1", "units": "1"},
    "W2": {"long_name": "readout weights W2", "units": "1"},
}


def provenance() -> dict[str, str]:
    """Package, JAX and machine versions for ``Dataset.attrs``."""
    import jax

    return {
        "curldescent_version": curldescent.__version__,
        "jax_version": jax.__version__,
        "numpy_version": np.__version__,
        "device": str(jax.devices()[0].device_kind) + f" ({jax.default_backend()})",
        "python": platform.python_version(),
        "host": platform.node(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def batch_to_dataset(result: Any) -> xr.Dataset:
    """Dataset with dims (run, epoch[, layer dims]) from a :class:`~curldescent.engine.BatchResult`."""
    specs = result.specs
    R = len(specs)
    data = {
        "train_error": (("run", "epoch"), result.train_error, ATTRS["train_error"]),
        "test_error": (("run", "epoch"), result.test_error, ATTRS["test_error"]),
        "diverged": (("run",), result.diverged.astype(bool), ATTRS["diverged"]),
        "stop_epoch": (
            ("run",),
            np.full(R, result.epochs[-1]) if result.stop_epoch is None else result.stop_epoch,
            {"long_name": "last simulated epoch (train.stop_below, divergence)", "units": "epochs"},
        ),
        "final_W1": (
            ("run", "hidden", "input"),
            result.final_W1,
            {"long_name": "final W1", "units": "1"},
        ),
        "final_W2": (
            ("run", "output", "hidden"),
            result.final_W2,
            {"long_name": "final W2", "units": "1"},
        ),
    }
    if result.W1 is not None:
        data["W1"] = (("run", "epoch", "hidden", "input"), result.W1, ATTRS["W1"])
        data["W2"] = (("run", "epoch", "output", "hidden"), result.W2, ATTRS["W2"])
    if result.window_mean is not None:
        for layer, m, v, dims in (
            ("W1", result.window_mean[0], result.window_var[0], ("hidden", "input")),
            ("W2", result.window_mean[1], result.window_var[1], ("output", "hidden")),
        ):
            data[f"window_mean_{layer}"] = (
                ("run", *dims),
                m,
                {"long_name": f"temporal mean of {layer} over the final window", "units": "1"},
            )
            data[f"window_var_{layer}"] = (
                ("run", *dims),
                v,
                {"long_name": f"temporal variance of {layer} over the final window", "units": "1"},
            )
    coords = {
        "run": np.arange(R),
        "epoch": ("epoch", result.epochs, ATTRS["epoch"]),
        "seed": ("run", np.array([s.seed for s in specs])),
        "rule": ("run", np.array([s.rule.kind for s in specs])),
        "alpha_hidden": ("run", np.array([s.rule.alpha_hidden for s in specs])),
        "alpha_readout": ("run", np.array([s.rule.alpha_readout for s in specs])),
    }
    ds = xr.Dataset({k: xr.Variable(d, v, a) for k, (d, v, a) in data.items()}, coords=coords)
    ds.attrs.update(provenance())
    ds.attrs["specs"] = json.dumps([s.to_dict() for s in specs])
    ds.attrs["wall_time_s"] = float(result.wall_time_s)
    return ds


def _ours(path: Path) -> str | None:
    """Why ``path`` may not be replaced by a results file (``None``: curldescent wrote it)."""
    if path.is_symlink():
        return "it is a symbolic link"
    if path.is_dir():
        attrs: dict[str, Any] = {}
        for meta, key in (("zarr.json", "attributes"), (".zattrs", None)):
            try:
                data = json.loads((path / meta).read_text())
                attrs = data.get(key, {}) if key else data
                break
            except (OSError, ValueError, UnicodeDecodeError, AttributeError):
                continue
        if not isinstance(attrs, dict) or "curldescent_version" not in attrs:
            return "it is a folder that curldescent did not write"
        if "curldescent_sweep_format" in attrs:
            return "it is a sweep store (delete it yourself if you mean to)"
        return None
    try:
        import netCDF4

        with netCDF4.Dataset(path, "r") as nc:
            if "curldescent_version" in nc.ncattrs():
                return None
    except Exception:  # noqa: BLE001 - any unreadable file is simply not ours
        pass
    return "it is a file that curldescent did not write"


def check_output_path(out: Path, overwrite: bool, option: str = "--out") -> None:
    """Refuse an output path that cannot be written, or that exists and is not a results
    file or store curldescent wrote (``overwrite`` replaces only those).

    Raises:
        SpecError: with a one-line message naming the problem.
    """
    from curldescent.specs import SpecError

    for anc in out.absolute().parents:
        if anc.exists():
            if not anc.is_dir():
                raise SpecError(f"cannot write {out}: {anc} is not a folder")
            break
    if out.exists() or out.is_symlink():
        if not overwrite:
            raise SpecError(f"{out} exists; pass --overwrite to replace it")
        why = _ours(out)
        if why is not None:
            raise SpecError(
                f"{option} {out} exists and {why}; --overwrite replaces only curldescent's own results"
            )


def write_dataset(ds: xr.Dataset, path: str | Path) -> Path:
    """Write ``ds`` to ``.nc`` (netCDF4 via h5netcdf) or ``.zarr`` atomically: a partial file is
    never left at ``path`` (written to a temporary sibling, then renamed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        if path.suffix == ".zarr":
            import warnings

            with warnings.catch_warnings():  # zarr's notes on v3 string dtypes: nothing to act on
                warnings.simplefilter("ignore", UserWarning)
                warnings.simplefilter("ignore", FutureWarning)
                ds.to_zarr(tmp, mode="w")
        else:
            ds.to_netcdf(tmp, engine="netcdf4")
        if path.exists() and path.is_dir():
            import shutil

            shutil.rmtree(path)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            import shutil

            shutil.rmtree(tmp) if tmp.is_dir() else tmp.unlink()
    return path
