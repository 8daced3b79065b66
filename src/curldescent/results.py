"""Results as labelled arrays: a run's dataset (labelled by :mod:`curldescent.schema`),
provenance, and safe writing."""

from __future__ import annotations

import functools
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

import curldescent
from curldescent import schema


@functools.cache
def git_commit(module: str | Path = __file__) -> str | None:
    """The commit of the git checkout this package (the file ``module``) runs from
    (``-dirty`` appended when tracked files differ from it), or None (an installed package,
    no git, any failure)."""
    module = Path(module).resolve()

    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["git", "-C", str(module.parent), *args], capture_output=True, text=True, timeout=10
        )

    try:
        if git("ls-files", "--error-unmatch", module.name).returncode != 0:
            return None  # not a tracked file of a checkout (e.g. a wheel inside a repo's venv)
        head = git("rev-parse", "HEAD")
        if head.returncode != 0:
            return None
        dirty = git("diff", "--quiet", "HEAD", "--").returncode != 0
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("-dirty" if dirty else "")


def provenance() -> dict[str, str]:
    """Package, JAX and machine versions, the command line (``sys.argv``) and, when the
    package runs from a git checkout, its commit (``git_commit``), for ``Dataset.attrs``."""
    import jax

    commit = git_commit()
    return {
        **({"git_commit": commit} if commit else {}),
        "command_line": shlex.join(sys.argv),
        "curldescent_version": curldescent.__version__,
        "jax_version": jax.__version__,
        "numpy_version": np.__version__,
        "device": str(jax.devices()[0].device_kind) + f" ({jax.default_backend()})",
        "python": platform.python_version(),
        "host": platform.node(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def batch_to_dataset(result: Any) -> xr.Dataset:
    """Dataset with dims (run, epoch[, layer dims]) from a :class:`~curldescent.engine.BatchResult`;
    every variable's dims after ``run`` and its attributes come from :mod:`curldescent.schema`."""
    specs = result.specs
    R = len(specs)
    values = {
        "train_error": result.train_error,
        "test_error": result.test_error,
        "diverged": result.diverged.astype(bool),
        "stop_epoch": np.full(R, result.epochs[-1])
        if result.stop_epoch is None
        else result.stop_epoch,
        "final_W1": result.final_W1,
        "final_W2": result.final_W2,
    }
    if result.W1 is not None:
        values["W1"] = result.W1
        values["W2"] = result.W2
    if result.window_mean is not None:
        for i, layer in enumerate(("W1", "W2")):
            values[f"window_mean_{layer}"] = result.window_mean[i]
            values[f"window_var_{layer}"] = result.window_var[i]
    data = {}
    for name, v in values.items():
        entry = schema.VARIABLES[name]
        data[name] = xr.Variable(("run", *entry.dims), v, entry.attrs())
    coords = {
        "run": np.arange(R),
        "epoch": ("epoch", result.epochs),
        "seed": ("run", np.array([s.seed for s in specs])),
        "rule": ("run", np.array([s.rule.kind for s in specs])),
        "alpha_hidden": ("run", np.array([s.rule.alpha_hidden for s in specs])),
        "alpha_readout": ("run", np.array([s.rule.alpha_readout for s in specs])),
    }
    ds = xr.Dataset(data, coords=coords)
    schema.label(ds, variables=False)
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
    never left at ``path`` (written to a temporary sibling, then renamed). Its coordinates
    get their attributes from :mod:`curldescent.schema`, and the file gets :func:`provenance`
    unless ``ds`` carries it already."""
    path = Path(path)
    ds = schema.label(ds.copy(deep=False), variables=False)
    if "curldescent_version" not in ds.attrs:  # provenance of data made elsewhere stays
        ds.attrs.update(provenance())
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
