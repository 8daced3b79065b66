r"""The sweep store: one zarr (v3) store per sweep, holding one xarray Dataset.

Layout::

    STORE/                        a zarr group with consolidated metadata
      zarr.json                   root attrs: sweep spec (JSON) and its hash, versions, times
      train_error/ test_error/    (swept dims..., epoch)   float64, NaN until written
      diverged/ done/             (swept dims...)          bool
      final_test_error/ ...       (swept dims...)          derived metrics
      c/ alpha_hidden/ seed/ ...  coordinates
      _sweep/                     bookkeeping (not part of the dataset)
        done/b000012.json         batch 12 is complete (written after its data), with the
                                  size and sha256 of every chunk file it wrote
        failed/b000013.json       last error of batch 13 (removed once it succeeds)
        invocations/<id>.json     start, end and executor of each run
        lock, lock.json           the driver's file lock (filelock) and its pid and host

The variables, their dimensions, dtypes and attributes are those of
:mod:`curldescent.schema` that the sweep needs (:func:`curldescent.schema.store_layout`).
The arrays' chunks over the swept dimensions are exactly the plan's batches
(:mod:`curldescent.sweeps.plan`), so a batch writes its own chunk files and nothing else.
A batch counts as done only when its marker exists, and the marker is written (atomically:
temporary file, then rename) only after all of the batch's data. A driver killed at any
moment therefore leaves either a done batch or one that the next run recomputes.

Nothing stored is trusted unchecked: a batch counts as done only while its chunk files
match the sizes and hashes in its marker (a deleted, truncated or edited chunk makes it
*damaged*: reported by :func:`sweep_status`, recomputed by the next run, refused by
:func:`export_netcdf`), and the sweep spec in the root attributes is checked against the
hash recorded when the store was created every time the store is opened.

Opening an existing path never modifies it unless it is this sweep's store: a file, a
foreign folder, a zarr store that is not a sweep store, a corrupt store or a store of a
different spec is refused with a one-line :class:`StoreError`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import socket
import time
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from curldescent import schema
from curldescent.specs import SpecError
from curldescent.sweeps.plan import Batch, Plan

__all__ = [
    "FORMAT",
    "StoreError",
    "SweepStatus",
    "SweepStore",
    "export_netcdf",
    "inspect_store",
    "open_sweep",
    "sweep_status",
]

FORMAT = 2
META = "_sweep"
#: the root attributes that identify a sweep; their hash is recorded as ``sweep_spec_sha256``
IDENTITY = ("sweep_spec", "sweep_shape", "sweep_batch_shape", "sweep_n_points", "sweep_n_batches")


class StoreError(SpecError):
    """A store path that cannot be used: foreign, corrupt, of another spec, or in use."""


# --------------------------------------------------------------------------- helpers


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def _write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to ``path`` through a temporary sibling and a rename (never torn)."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text())


def _schema(plan: Plan) -> dict[str, tuple[tuple[str, ...], tuple[int, ...], np.dtype]]:
    """``{variable: (dims, shape, dtype)}`` of a plan's dataset (:func:`curldescent.schema.store_layout`)."""
    spec = plan.spec
    M, N, K = plan.sizes
    sizes = {"epoch": len(plan.epochs), "hidden": N, "input": M, "output": K}
    met = {
        "weights": spec.store_weights,
        "record": any(s.train.record_weights for s in plan.specs),
        "window": any(s.train.final_window > 0 for s in plan.specs),
    }
    return schema.store_layout(spec.dims, plan.shape, sizes, [k for k, v in met.items() if v])


def _coord_array(values: tuple[Any, ...]) -> np.ndarray:
    if all(isinstance(v, bool) for v in values):
        return np.array(values, dtype=bool)
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return np.array(values, dtype=np.int64)
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return np.array(values, dtype=np.float64)
    return np.array([str(v) if v is not None else "none" for v in values], dtype=object)


def _template(plan: Plan, attrs: dict[str, Any]):
    """The lazy (dask-backed) template Dataset and its zarr encoding."""
    import xarray as xr

    chunks = plan.batch_shape
    data_vars = {}
    encoding: dict[str, dict[str, Any]] = {}
    for name, (dims, shape, dtype) in _schema(plan).items():
        ch = chunks + shape[len(chunks) :]
        data_vars[name] = schema.empty(name, dims, shape, chunks=ch)
        encoding[name] = {"chunks": ch} | ({"_FillValue": None} if dtype.kind == "b" else {})
    coords: dict[str, Any] = {}
    for name, (dim, values) in plan.spec.coords().items():
        coords[name] = xr.Variable((dim,), _coord_array(values))
    coords["epoch"] = xr.Variable(("epoch",), np.asarray(plan.epochs, dtype=np.int64))
    ds = xr.Dataset(data_vars, coords=coords, attrs=attrs)
    schema.label(ds, variables=False)
    return ds, encoding


def _spec_diff(a: Any, b: Any, where: str = "") -> str | None:
    """Where two JSON-like values first differ (``None`` when equal)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if key not in a or key not in b:
                return f"{where + '.' if where else ''}{key} is set in only one of them"
            d = _spec_diff(a[key], b[key], f"{where + '.' if where else ''}{key}")
            if d:
                return d
        return None
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            d = _spec_diff(x, y, f"{where}[{i}]")
            if d:
                return d
        return None
    if a == b and isinstance(a, bool) == isinstance(b, bool):
        return None

    def short(v: Any) -> str:
        text = json.dumps(v)
        return text if len(text) <= 60 else text[:57] + "..."

    return f"{where or 'spec'}: {short(a)} in the store vs {short(b)} now"


def _comparable(spec: dict[str, Any]) -> dict[str, Any]:
    """The parts of a spec's dictionary that determine the data (not name, description)."""
    return {k: v for k, v in spec.items() if k not in ("name", "description")}


def _identity_hash(attrs: dict[str, Any]) -> str:
    """sha256 of the attributes that identify a sweep (:data:`IDENTITY`)."""
    text = json.dumps([attrs.get(k) for k in IDENTITY], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _identity_attrs(plan: Plan) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "sweep_spec": plan.spec.to_json(),
        "sweep_shape": json.dumps(list(plan.shape)),
        "sweep_batch_shape": json.dumps(list(plan.batch_shape)),
        "sweep_n_points": int(plan.n_points),
        "sweep_n_batches": len(plan.batches),
    }
    attrs["sweep_spec_sha256"] = _identity_hash(attrs)
    return attrs


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _chunk_coords(index: int, shape: tuple[int, ...], bshape: tuple[int, ...]) -> tuple[int, ...]:
    """Chunk grid coordinates (over the swept dims) of batch ``index`` (C order)."""
    if not shape:
        return ()
    return tuple(int(i) for i in np.unravel_index(index, _n_chunks(shape, bshape)))


def _chunk_key(name: str, coords: tuple[int, ...], ndim: int) -> str:
    """Path (in the store) of the chunk file of array ``name`` at swept-dims ``coords``
    (zarr v3 default key encoding; trailing dims are one chunk)."""
    parts = coords + (0,) * (ndim - len(coords))
    return name + "/c" + "".join(f"/{i}" for i in parts)


def _check_chunks(p: Path, marker: Any) -> str | None:
    """What is wrong with the chunk files recorded in a done-marker (``None``: sound)."""
    chunks = marker.get("chunks") if isinstance(marker, dict) else None
    if not isinstance(chunks, dict) or not chunks:
        return "its done-marker records no chunk checksums"
    for key, rec in sorted(chunks.items()):
        f = p / key
        try:
            if rec is None:
                if f.exists():
                    return f"chunk {key} exists but the batch wrote none there"
                continue
            size = f.stat().st_size
            if size != rec["size"]:
                return f"chunk {key} has {size} bytes (written: {rec['size']})"
            if _file_sha256(f) != rec["sha256"]:
                return f"chunk {key} does not match its recorded sha256"
        except FileNotFoundError:
            return f"chunk {key} is missing"
        except (OSError, KeyError, TypeError) as exc:
            return f"chunk {key} cannot be checked ({type(exc).__name__})"
    return None


def _batch_states(p: Path, n_batches: int) -> tuple[dict[int, dict[str, Any]], dict[int, str]]:
    """``(sound, damaged)``: the done-markers whose chunks match their record, and what is
    wrong with the others (by batch index)."""
    sound: dict[int, dict[str, Any]] = {}
    damaged: dict[int, str] = {}
    for i in _done_indices(p, n_batches):
        try:
            marker = _read_json(p / META / "done" / f"b{i:06d}.json")
        except (OSError, ValueError, UnicodeDecodeError):
            damaged[i] = "its done-marker is unreadable"
            continue
        problem = _check_chunks(p, marker)
        if problem is None:
            sound[i] = marker
        else:
            damaged[i] = problem
    return sound, damaged


# --------------------------------------------------------------------------- read-only inspection


def inspect_store(path: str | Path, *, verify_spec: bool = True) -> dict[str, Any]:
    """The root attributes of a sweep store, after checking that ``path`` is one and (with
    ``verify_spec``) that its sweep spec matches the hash recorded at its creation.

    Never writes. Raises:
        StoreError: ``path`` is missing, a file, a foreign folder, a zarr store that is not
            a sweep store, a corrupt sweep store, or one whose spec was edited.
    """
    p = Path(path)
    if not p.exists():
        raise StoreError(f"no sweep store at {p}")
    if not p.is_dir():
        raise StoreError(f"{p} is not a sweep store (it is a file); refusing to touch it")
    meta_file = p / "zarr.json"
    if not meta_file.is_file():
        kind = (
            "a zarr v2 store"
            if (p / ".zgroup").exists() or (p / ".zarray").exists()
            else "a foreign folder"
        )
        raise StoreError(f"{p} is not a sweep store ({kind}, no zarr.json); refusing to touch it")
    try:
        meta = _read_json(meta_file)
    except (ValueError, UnicodeDecodeError, OSError):
        raise StoreError(
            f"{p} is corrupt: its zarr.json is not readable JSON; refusing to touch it"
        ) from None
    if not isinstance(meta, dict) or meta.get("node_type") != "group":
        raise StoreError(
            f"{p} is not a sweep store (its zarr.json is not a zarr group); refusing to touch it"
        )
    attrs = meta.get("attributes")
    if not isinstance(attrs, dict) or "curldescent_sweep_format" not in attrs:
        raise StoreError(
            f"{p} is a zarr store but not a curldescent sweep store; refusing to touch it"
        )
    if attrs["curldescent_sweep_format"] != FORMAT:
        raise StoreError(
            f"{p} has sweep store format {attrs['curldescent_sweep_format']!r}; this curldescent "
            f"reads format {FORMAT} (start a new store with another --out path)"
        )
    try:
        json.loads(attrs["sweep_spec"])
        json.loads(attrs["sweep_shape"])
        json.loads(attrs["sweep_batch_shape"])
    except (KeyError, TypeError, ValueError):
        raise StoreError(
            f"{p} is corrupt: its sweep spec attributes are missing or unreadable"
        ) from None
    if not (p / META / "done").is_dir():
        raise StoreError(f"{p} is corrupt: its {META}/done folder is missing")
    if verify_spec and not _spec_intact(attrs):
        raise StoreError(_spec_damage(p))
    return attrs


def _spec_intact(attrs: dict[str, Any]) -> bool:
    return _identity_hash(attrs) == attrs.get("sweep_spec_sha256")


def _spec_damage(p: Path, note: str = "") -> str:
    return (
        f"{p} is damaged: its stored sweep spec does not match the hash recorded when the "
        f"store was created (zarr.json was edited); {note}re-run the sweep with its original "
        "spec to restore it, or start a new store"
    )


def _check_arrays(p: Path, plan: Plan) -> None:
    """Every variable of the plan's schema exists with the planned shape and chunks."""
    for name, (_, shape, _) in _schema(plan).items():
        if not (p / name).exists():
            raise StoreError(
                f"{p} has no array {name} (deleted, or the store was created before "
                "curldescent.schema had this variable); refusing to touch it: start a new store "
                "with another --out path"
            )
        try:
            meta = _read_json(p / name / "zarr.json")
            ok = (
                meta.get("node_type") == "array"
                and tuple(meta["shape"]) == shape
                and tuple(meta["chunk_grid"]["configuration"]["chunk_shape"])[
                    : len(plan.batch_shape)
                ]
                == plan.batch_shape
            )
        except (OSError, ValueError, KeyError, TypeError):
            ok = False
        if not ok:
            raise StoreError(
                f"{p} is corrupt: array {name} is missing or has the wrong shape; refusing to touch it"
            )


def _n_chunks(shape: tuple[int, ...], bshape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(-(-n // b) for n, b in zip(shape, bshape, strict=True))


def _batch_size(index: int, shape: tuple[int, ...], bshape: tuple[int, ...]) -> int:
    if not shape:
        return 1
    ci = np.unravel_index(index, _n_chunks(shape, bshape))
    return int(np.prod([min(b, n - i * b) for i, b, n in zip(ci, bshape, shape, strict=True)]))


def _done_indices(p: Path, n_batches: int) -> set[int]:
    out = set()
    for f in (p / META / "done").glob("b*.json"):
        try:
            i = int(f.stem[1:])
        except ValueError:
            continue
        if 0 <= i < n_batches:
            out.add(i)
    return out


# --------------------------------------------------------------------------- the store


class SweepStore:
    """A sweep store opened for writing by one driver (see the module docstring).

    Use :meth:`open` (never the constructor): it creates the store, or checks that the
    existing one holds this sweep, without modifying anything it refuses.
    """

    def __init__(self, path: Path, plan: Plan, *, created: bool) -> None:
        self.path = path
        self.plan = plan
        self.created = created
        self.invocation = f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._arrays: dict[str, Any] | None = None
        self._lock: Any = None
        self._restore: dict[str, Any] = {}

    # -- opening
    @classmethod
    def open(cls, path: str | Path, plan: Plan) -> SweepStore:
        """Create the store for ``plan`` at ``path``, or open the existing one.

        ``path`` may be absent or an empty folder (created), or this sweep's store
        (resumed). Anything else is refused without being modified.

        Raises:
            StoreError: a file, a foreign folder or zarr store, a corrupt store, or a store
                whose sweep spec differs (the message names the first difference).
        """
        p = Path(path)
        if p.exists() and p.is_dir() and not any(p.iterdir()):
            return cls._create(p, plan)
        if not p.exists() and not p.is_symlink():
            parent = p.parent
            for anc in (parent, *parent.parents):
                if anc.exists():
                    if not anc.is_dir():
                        raise StoreError(f"cannot create {p}: {anc} is not a folder")
                    break
            parent.mkdir(parents=True, exist_ok=True)
            return cls._create(p, plan)
        attrs = inspect_store(p, verify_spec=False)
        identity = _identity_attrs(plan)
        restore: dict[str, Any] = {}
        if not _spec_intact(attrs):
            if identity["sweep_spec_sha256"] != attrs.get("sweep_spec_sha256"):
                raise StoreError(_spec_damage(p, "this spec does not match it either; "))
            restore = {k: identity[k] for k in IDENTITY}  # written back under the lock
            attrs = {**attrs, **restore}
        stored = _comparable(json.loads(attrs["sweep_spec"]))
        wanted = _comparable(json.loads(plan.spec.to_json()))
        diff = _spec_diff(stored, wanted)
        if diff is not None:
            raise StoreError(
                f"{p} holds sweep {attrs.get('sweep_name', '?')!r} with a different spec ({diff}); "
                "use a new --out path, or delete the store to start over"
            )
        _check_arrays(p, plan)
        version = attrs.get("curldescent_version")
        import curldescent

        if version != curldescent.__version__:
            warnings.warn(
                f"{p} was started with curldescent {version}; resuming with {curldescent.__version__}",
                stacklevel=2,
            )
        store = cls(p, plan, created=False)
        store._restore = restore
        return store

    @classmethod
    def _create(cls, p: Path, plan: Plan) -> SweepStore:
        from curldescent.results import provenance

        spec = plan.spec
        attrs = {
            "curldescent_sweep_format": FORMAT,
            "sweep_name": spec.name,
            "sweep_description": spec.description,
            **_identity_attrs(plan),
            "sweep_shape_axes": json.dumps(
                [a for a, s in zip(spec.dims, plan.shape_axes, strict=True) if s]
            ),
            **provenance(),
            "start_time": "",
            "end_time": "",
            "wall_time_s": 0.0,
            "status": "incomplete",
        }
        ds, encoding = _template(plan, attrs)
        tmp = p.parent / f".{p.name}.creating-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ds.to_zarr(
                    tmp,
                    mode="w-",
                    compute=False,
                    consolidated=True,
                    encoding=encoding,
                    zarr_format=3,
                )
            for sub in ("done", "failed", "invocations"):
                (tmp / META / sub).mkdir(parents=True)
            try:
                os.rename(tmp, p)
            except OSError as exc:
                raise StoreError(
                    f"cannot create {p}: it appeared while the store was being made ({exc.strerror})"
                ) from None
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        return cls(p, plan, created=True)

    # -- locking
    @property
    def lock_path(self) -> Path:
        return self.path / META / "lock"

    def acquire(self) -> None:
        """Take the store's file lock (one driver at a time). The operating system releases
        it when its process ends, however it ends.

        Raises:
            StoreError: another driver holds it.
        """
        from filelock import FileLock, Timeout

        lock = FileLock(self.lock_path, timeout=0)
        try:
            lock.acquire()
        except Timeout:
            raise StoreError(
                f"{self.path} is in use by {_lock_holder(self.path) or 'another process'}; "
                "wait for that sweep to finish"
            ) from None
        self._lock = lock
        info = {"pid": os.getpid(), "host": socket.gethostname(), "since": _now()}
        _write_json_atomic(self.lock_path.with_suffix(".json"), info)

    def release(self) -> None:
        if self._lock is not None:
            with contextlib.suppress(FileNotFoundError):
                self.lock_path.with_suffix(".json").unlink()
            self._lock.release()
            self._lock = None

    @contextlib.contextmanager
    def locked(self) -> Iterator[SweepStore]:
        self.acquire()
        try:
            yield self
        finally:
            self.release()

    # -- state
    def batch_states(self) -> tuple[set[int], dict[int, str]]:
        """``(done, damaged)``: the batches whose marker exists and whose chunk files match
        it, and what is wrong with the batches whose marker exists but whose files do not."""
        sound, damaged = _batch_states(self.path, len(self.plan.batches))
        return set(sound), damaged

    def done_batches(self) -> set[int]:
        """Indices of the done batches whose chunk files match their markers."""
        return self.batch_states()[0]

    def _arrays_for_write(self) -> dict[str, Any]:
        if self._arrays is None:
            import zarr

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                group = zarr.open_group(self.path, mode="r+", use_consolidated=True)
                self._arrays = {name: group[name] for name in _schema(self.plan)}
        return self._arrays

    def write_batch(self, batch: Batch, data: dict[str, np.ndarray], info: dict[str, Any]) -> float:
        """Write a batch's region, then its done-marker. Returns the seconds it took.

        ``data`` maps variable names to arrays with one leading entry per point of the
        batch (C order of its box); variables the store does not hold are refused.
        """
        t0 = time.perf_counter()
        arrays = self._arrays_for_write()
        region = batch.slices
        coords = _chunk_coords(batch.index, self.plan.shape, self.plan.batch_shape)
        keys = {name: _chunk_key(name, coords, arr.ndim) for name, arr in arrays.items()}
        marker_path = self.path / META / "done" / f"b{batch.index:06d}.json"
        with contextlib.suppress(FileNotFoundError):  # a damaged batch: not done while rewritten
            marker_path.unlink()
        for key in keys.values():  # a damaged chunk is replaced, never read
            with contextlib.suppress(FileNotFoundError):
                (self.path / key).unlink()
        for name, values in data.items():
            if name not in arrays:
                raise StoreError(
                    f"batch {batch.index} returned {name!r}, which the store does not hold"
                )
            values = np.asarray(values)
            if values.shape[0] != batch.size:
                raise StoreError(
                    f"batch {batch.index} returned {values.shape[0]} points for {name} (expected {batch.size})"
                )
            arrays[name][region] = values.reshape(batch.shape + values.shape[1:])
        arrays["done"][region] = True
        chunks: dict[str, dict[str, Any] | None] = {}
        for key in keys.values():
            f = self.path / key
            chunks[key] = (
                {"size": f.stat().st_size, "sha256": _file_sha256(f)} if f.exists() else None
            )
        write_s = time.perf_counter() - t0
        marker = {
            "batch": batch.index,
            "start": list(batch.start),
            "stop": list(batch.stop),
            "points": batch.size,
            "invocation": self.invocation,
            "finished": _now(),
            "finished_unix": time.time(),
            "write_s": write_s,
            "chunks": chunks,
            **info,
        }
        _write_json_atomic(marker_path, marker)
        with contextlib.suppress(FileNotFoundError):
            (self.path / META / "failed" / f"b{batch.index:06d}.json").unlink()
        return time.perf_counter() - t0

    def mark_failed(self, batch: Batch, error: BaseException) -> None:
        """Record a batch's error (the batch stays not done and is retried next run)."""
        _write_json_atomic(
            self.path / META / "failed" / f"b{batch.index:06d}.json",
            {
                "batch": batch.index,
                "invocation": self.invocation,
                "error": f"{type(error).__name__}: {error}",
                "time": _now(),
            },
        )

    # -- invocations and root attributes
    def _invocation_path(self) -> Path:
        return self.path / META / "invocations" / f"{self.invocation}.json"

    def begin(self, executor: str, todo: int) -> None:
        """Record the start of this invocation (and the sweep's start time if first)."""
        self._inv = {
            "invocation": self.invocation,
            "start": _now(),
            "start_unix": time.time(),
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "executor": executor,
            "batches_todo": todo,
        }
        _write_json_atomic(self._invocation_path(), self._inv)
        if self._restore:  # the spec was edited: put back the one its hash was made of
            update_root_attrs(self.path, self._restore)
            self._restore = {}
        if not _root_attrs(self.path).get("start_time"):
            update_root_attrs(self.path, {"start_time": self._inv["start"]})

    def end(self, computed: int, failed: int) -> None:
        """Record the end of this invocation; mark the sweep complete when all is done."""
        self._inv.update(
            end=_now(), end_unix=time.time(), batches_computed=computed, batches_failed=failed
        )
        _write_json_atomic(self._invocation_path(), self._inv)
        changes: dict[str, Any] = {"wall_time_s": _wall_time(self.path)}
        complete = len(self.done_batches()) == len(self.plan.batches)
        if complete and _root_attrs(self.path).get("status") != "complete":
            changes.update(status="complete", end_time=self._inv["end"])
        elif not complete:
            changes.update(status="incomplete")
        update_root_attrs(self.path, changes)


def _root_attrs(p: Path) -> dict[str, Any]:
    return _read_json(p / "zarr.json").get("attributes", {})


def update_root_attrs(path: str | Path, changes: dict[str, Any]) -> None:
    """Update the root attributes of a zarr v3 store in place, atomically (the root
    ``zarr.json`` is rewritten through a temporary file and a rename)."""
    p = Path(path)
    meta = _read_json(p / "zarr.json")
    meta.setdefault("attributes", {}).update(changes)
    _write_json_atomic(p / "zarr.json", meta)


def _wall_time(p: Path) -> float:
    """Seconds spent by all invocations (an interrupted one counts until its last batch)."""
    last: dict[str, float] = {}
    for f in (p / META / "done").glob("b*.json"):
        try:
            m = _read_json(f)
            last[m["invocation"]] = max(last.get(m["invocation"], 0.0), float(m["finished_unix"]))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    total = 0.0
    for f in (p / META / "invocations").glob("*.json"):
        try:
            inv = _read_json(f)
            end = inv.get("end_unix", last.get(inv["invocation"], inv["start_unix"]))
            total += max(0.0, float(end) - float(inv["start_unix"]))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return total


# --------------------------------------------------------------------------- status, reading, export


@dataclass
class SweepStatus:
    """What ``curldescent sweep status`` reports.

    ``done_points``/``done_batches`` count only sound batches (chunk files matching their
    markers); ``damaged`` maps each damaged batch to what is wrong with it;
    ``diverged_points`` counts the done points whose run diverged.
    """

    path: str
    name: str
    n_points: int
    n_batches: int
    done_points: int
    done_batches: int
    failed: dict[int, str] = field(default_factory=dict)
    damaged: dict[int, str] = field(default_factory=dict)
    diverged_points: int = 0
    wall_time_s: float = 0.0
    invocations: int = 0
    in_use_by: str | None = None
    start_time: str = ""
    end_time: str = ""
    sound: set[int] = field(default_factory=set, repr=False)

    @property
    def complete(self) -> bool:
        """All batches done and sound."""
        return self.done_batches == self.n_batches

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k not in ("sound", "damaged")}
        out["failed"] = {str(k): v for k, v in self.failed.items()}
        out["damaged_batches"] = [
            {"batch": b, "problem": e} for b, e in sorted(self.damaged.items())
        ]
        out["complete"] = self.complete
        return out

    def summary(self) -> str:
        state = "complete" if self.complete else "incomplete"
        if self.damaged:
            state = "DAMAGED (re-run the sweep to recompute the damaged batches)"
        lines = [
            f"store:      {self.path}",
            f"sweep:      {self.name}",
            f"points:     {self.done_points}/{self.n_points} done ({self.done_batches}/{self.n_batches} batches), "
            f"{self.diverged_points} diverged",
            f"failures:   {len(self.failed)}"
            + "".join(f"\n  batch {b}: {e}" for b, e in sorted(self.failed.items())),
            f"damaged:    {len(self.damaged)}"
            + "".join(f"\n  batch {b}: {e}" for b, e in sorted(self.damaged.items())),
            f"wall time:  {self.wall_time_s:.1f} s over {self.invocations} run(s)",
            f"status:     {state}" + (f" (in use by {self.in_use_by})" if self.in_use_by else ""),
        ]
        return "\n".join(lines)


def _lock_holder(p: Path) -> str | None:
    """Who holds the store's lock (``None``: nobody). Never blocks."""
    from filelock import FileLock, Timeout

    lock_file = p / META / "lock"
    if not lock_file.exists():
        return None
    try:
        with FileLock(lock_file, timeout=0):
            return None
    except Timeout:
        pass
    except OSError:  # a read-only store: nobody can be writing it
        return None
    try:
        info = _read_json(lock_file.with_suffix(".json"))
        return f"process {int(info['pid'])} on {info['host']} (since {info.get('since', '?')})"
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"


def _batch_slices(index: int, shape: tuple[int, ...], bshape: tuple[int, ...]) -> tuple[slice, ...]:
    coords = _chunk_coords(index, shape, bshape)
    return tuple(
        slice(c * b, min((c + 1) * b, n)) for c, b, n in zip(coords, bshape, shape, strict=True)
    )


def _diverged_points(p: Path, sound: dict[int, dict[str, Any]], shape, bshape) -> int:
    """Diverged points of the sound batches (an absent chunk holds only False)."""
    import zarr

    total = 0
    arr = None
    for i, marker in sound.items():
        key = _chunk_key("diverged", _chunk_coords(i, shape, bshape), len(shape))
        if marker["chunks"].get(key) is None:
            continue
        if arr is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                arr = zarr.open_array(p / "diverged", mode="r")
        total += int(np.count_nonzero(arr[_batch_slices(i, shape, bshape)]))
    return total


def sweep_status(path: str | Path) -> SweepStatus:
    """Done/total, damage, failures, diverged points and wall time of a sweep store
    (read-only; every done batch's chunk files are checked against their recorded hashes).

    Raises:
        StoreError: ``path`` is not a readable sweep store, or its spec was edited.
    """
    p = Path(path)
    attrs = inspect_store(p)
    shape = tuple(json.loads(attrs["sweep_shape"]))
    bshape = tuple(json.loads(attrs["sweep_batch_shape"]))
    n_batches = int(attrs["sweep_n_batches"])
    sound, damaged = _batch_states(p, n_batches)
    failed = {}
    for f in (p / META / "failed").glob("b*.json"):
        try:
            m = _read_json(f)
            if int(m["batch"]) not in sound:
                failed[int(m["batch"])] = str(m.get("error", "?"))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    try:
        diverged = _diverged_points(p, sound, shape, bshape)
    except Exception as exc:  # sound chunks that zarr cannot read: report, do not crash
        raise StoreError(f"{p} is corrupt: cannot read its diverged array ({exc})") from None
    return SweepStatus(
        path=str(p),
        name=str(attrs.get("sweep_name", "?")),
        n_points=int(attrs["sweep_n_points"]),
        n_batches=n_batches,
        done_points=sum(_batch_size(i, shape, bshape) for i in sound),
        done_batches=len(sound),
        failed=failed,
        damaged=damaged,
        diverged_points=diverged,
        wall_time_s=_wall_time(p),
        invocations=len(list((p / META / "invocations").glob("*.json"))),
        in_use_by=_lock_holder(p),
        start_time=str(attrs.get("start_time", "")),
        end_time=str(attrs.get("end_time", "")),
        sound=set(sound),
    )


def open_sweep(path: str | Path):
    """The sweep's Dataset, lazily loaded (numpy-backed, no dask): dims = swept axes +
    ``epoch``. Points not computed yet hold NaN (``done`` is False there).

    Raises:
        StoreError: ``path`` is not a sweep store.
    """
    import xarray as xr

    inspect_store(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return xr.open_zarr(path, chunks=None, consolidated=True)


def export_netcdf(
    path: str | Path, out: str | Path, *, partial: bool = False, overwrite: bool = False
) -> Path:
    """Write the sweep's Dataset to a netCDF file (atomically).

    Args:
        path: the sweep store.
        out: the ``.nc`` file to write.
        partial: allow exporting an incomplete or damaged sweep: only its sound done
            batches are exported (other points are NaN, ``done`` False).
        overwrite: replace an existing ``out`` (only a file curldescent wrote).

    Raises:
        StoreError/SpecError: not a sweep store, incomplete or damaged without ``partial``,
            ``out`` exists without ``overwrite`` (or was not written by curldescent), cannot
            be created, or does not end in ``.nc``.
    """
    from curldescent.results import check_output_path, write_dataset

    out = Path(out)
    if out.suffix not in (".nc", ".nc4"):
        raise SpecError(f"--netcdf must end in .nc (got {out})")
    status = sweep_status(path)
    if status.damaged and not partial:
        first = min(status.damaged)
        raise StoreError(
            f"{path} is damaged ({len(status.damaged)} batch(es); batch {first}: "
            f"{status.damaged[first]}); re-run the sweep to repair it, or pass --partial to "
            "export only the sound batches"
        )
    if not status.complete and not partial:
        raise StoreError(
            f"{path} is incomplete ({status.done_points}/{status.n_points} points); "
            "finish it (re-run the sweep) or pass --partial"
        )
    if out.resolve() == Path(path).resolve():
        raise SpecError("--netcdf must not be the store itself")
    check_output_path(out, overwrite, option="--netcdf")
    ds = open_sweep(path)
    try:
        if not status.complete:  # read only the sound batches: a damaged chunk may not decompress
            shape = tuple(json.loads(ds.attrs["sweep_shape"]))
            bshape = tuple(json.loads(ds.attrs["sweep_batch_shape"]))
            for name, var in list(ds.data_vars.items()):
                values = np.full(var.shape, False if var.dtype == bool else np.nan, var.dtype)
                for i in sorted(status.sound):
                    region = _batch_slices(i, shape, bshape)
                    values[region] = var[region].values
                ds[name] = (var.dims, values, var.attrs)
        ds = ds.load()
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        raise StoreError(f"{path} is corrupt: {type(exc).__name__}: {exc}") from None
    for name in list(ds.variables):  # netCDF has no variable-length string dtype of numpy 2
        if ds[name].dtype.kind == "T":
            ds[name] = ds[name].astype(object)
    ds.attrs["exported_from"] = str(Path(path).resolve())
    return write_dataset(ds, out)
