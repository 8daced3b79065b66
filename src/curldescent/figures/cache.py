r"""The figures' one cache for derived results: data computed from stored runs, not runs.

Every simulation a sweep store can hold runs through :func:`curldescent.sweeps.run_sweep`
into :func:`curldescent.figures.base.store_path`. What a figure derives from those runs and
the store cannot hold (the map continued from stored final weights, Lyapunov exponents,
exact cycles, the continuous flow, example traces recorded every epoch) goes through
:func:`derived`: a netCDF file named by the hash of everything that determines it, so a
changed configuration never reads an old file and a re-run skips what is there.

A file is trusted only if it opens, names the same configuration hash and its variables
hash to the digest written with them; anything else (a truncated file, edited values, a
foreign file at that path) is recomputed and replaced. Writes are atomic
(:func:`curldescent.results.write_dataset`) and carry the package's provenance.

Examples:
    >>> import tempfile, xarray as xr
    >>> from curldescent.figures.cache import derived
    >>> out = tempfile.mkdtemp()
    >>> make = lambda: xr.Dataset({"x": ("i", [1.0, 2.0])})
    >>> float(derived(out, "demo", {"n": 2}, make).x.sum())
    3.0
    >>> float(derived(out, "demo", {"n": 2}, lambda: 1 / 0).x.sum())  # from the file
    3.0
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from curldescent.figures.base import config_hash

#: the folder under a figure's data folder that holds its derived results.
FOLDER = "derived"


def derived_path(out: str | Path, name: str, config: Any) -> Path:
    """Where :func:`derived` keeps ``name`` computed with ``config``:
    ``out/derived/NAME-HASH.nc`` (:func:`curldescent.figures.base.config_hash`)."""
    return Path(out) / FOLDER / f"{name}-{config_hash(config)}.nc"


def content_digest(ds: xr.Dataset) -> str:
    """SHA-256 of a dataset's variables and coordinates (names, dims, shapes, values),
    invariant under a netCDF round trip (numbers compared as float64, text as strings)."""
    h = hashlib.sha256()
    for name in sorted(map(str, ds.variables)):
        var = ds.variables[name]
        values = np.asarray(var.values)
        h.update(json.dumps([name, list(map(str, var.dims)), list(values.shape)]).encode())
        if values.dtype.kind in "biuf":
            h.update(np.ascontiguousarray(values, dtype=np.float64).tobytes())
        else:
            h.update(json.dumps([str(v) for v in values.ravel().tolist()]).encode())
    return h.hexdigest()


def derived(out: str | Path, name: str, config: Any, make: Callable[[], xr.Dataset]) -> xr.Dataset:
    """``make()``, computed once per ``config`` and kept under ``out`` (:func:`derived_path`).

    Args:
        out: the figure's data folder.
        name: what is derived (``lyapunov-fig3a-quick``), the file name's stem.
        config: everything ``make`` depends on (JSON-serialisable: run specs, sweep specs,
            numbers); its hash names the file.
        make: computes the dataset.

    Returns:
        The dataset (from the file when a sound one exists). Its attrs carry
        ``derived_name``, ``derived_config_hash``, ``derived_sha256`` and the provenance.
    """
    from curldescent.results import write_dataset

    path = derived_path(out, name, config)
    h = config_hash(config)
    if path.exists():
        try:
            with xr.open_dataset(path) as old:
                ds = old.load()
            if ds.attrs.get("derived_config_hash") == h and ds.attrs.get(
                "derived_sha256"
            ) == content_digest(ds):
                return ds
        except (OSError, ValueError, RuntimeError, KeyError):
            pass  # unreadable: recomputed below and replaced
    ds = make()
    ds.attrs.update(derived_name=name, derived_config_hash=h, derived_sha256=content_digest(ds))
    write_dataset(ds, path)
    return ds
