"""Results as labelled arrays: the one dataset schema, provenance, and safe writing."""

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

ATTRS = {
    "train_error": {"long_name": "train error (1/2 MSE)", "units": "1"},
    "test_error": {"long_name": "test error (1/2 MSE)", "units": "1"},
    "diverged": {"long_name": "weights became non-finite", "units": "1"},
    "epoch": {"long_name": "epoch", "units": "epochs"},
    "W1": {"long_name": "hidden-layer weights W1", "units": "1"},
    "W2": {"long_name": "readout weights W2", "units": "1"},
}


_ALPHA = {"long_name": "flipped fraction", "units": "1"}
#: long names (and units where meaningful) of the coordinates the datasets carry: the
#: engine's (run, epoch, seed, ...) and the sweeps' axes (c, alpha, M, N, lr, ...)
COORD_ATTRS: dict[str, dict[str, str]] = {
    "run": {"long_name": "run index"},
    "epoch": ATTRS["epoch"],
    "seed": {"long_name": "seed (student init, minibatch order, random flips)"},
    "task_seed": {"long_name": "seed of teacher and data"},
    "rule": {"long_name": "learning rule"},
    "kind": {"long_name": "learning rule"},
    "c": {"long_name": "compression ratio c = M/N", "units": "1"},
    "alpha": _ALPHA,
    "alpha_h": {"long_name": "flipped fraction of input neurons (D1)", "units": "1"},
    "alpha_hidden": {"long_name": "flipped fraction of input neurons (D1)", "units": "1"},
    "alpha_r": {"long_name": "flipped fraction of hidden neurons (D2)", "units": "1"},
    "alpha_readout": {"long_name": "flipped fraction of hidden neurons (D2)", "units": "1"},
    "n_flip_hidden": {"long_name": "flipped input neurons", "units": "neurons"},
    "n_flip_readout": {"long_name": "flipped hidden neurons", "units": "neurons"},
    "M": {"long_name": "input size M", "units": "neurons"},
    "N": {"long_name": "hidden size N", "units": "neurons"},
    "K": {"long_name": "output size K", "units": "neurons"},
    "input": {"long_name": "input neuron"},
    "hidden": {"long_name": "hidden neuron"},
    "output": {"long_name": "output neuron"},
    "lr": {"long_name": "learning rate (step on the batch-mean update)", "units": "1"},
    "batch_size": {"long_name": "minibatch size", "units": "examples"},
    "n_train": {"long_name": "training-set size", "units": "examples"},
    "N_train": {"long_name": "training-set size", "units": "examples"},
    "n_test": {"long_name": "test-set size", "units": "examples"},
    "init_scale": {"long_name": "student init scale a", "units": "1"},
    "teacher_scale": {"long_name": "teacher init scale", "units": "1"},
    "epochs": {"long_name": "training epochs", "units": "epochs"},
}


def label_coords(ds: xr.Dataset) -> xr.Dataset:
    """``ds`` with :data:`COORD_ATTRS` on its coordinates (attributes already set win);
    modifies ``ds`` in place and returns it."""
    for name, attrs in COORD_ATTRS.items():
        if name in ds.coords:
            for key, value in attrs.items():
                ds.coords[name].attrs.setdefault(key, value)
    return ds


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
    label_coords(ds)
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
    never left at ``path`` (written to a temporary sibling, then renamed). The file gets
    :data:`COORD_ATTRS`, and :func:`provenance` unless ``ds`` carries it already."""
    path = Path(path)
    ds = label_coords(ds.copy(deep=False))
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
