r"""The sweep store: one zarr (v3) store per sweep, holding one xarray Dataset.

Layout::

    STORE/                        a zarr group with consolidated metadata
      zarr.json                   root attrs: sweep spec (JSON), versions, device, times
      train_error/ test_error/    (swept dims..., epoch)   float64, NaN until written
      diverged/ done/             (swept dims...)          bool
      final_test_error/ ...       (swept dims...)          derived metrics
      c/ alpha_hidden/ seed/ ...  coordinates
      _sweep/                     bookkeeping (not part of the dataset)
        done/b000012.json         batch 12 is complete (written after its data)
        failed/b000013.json       last error of batch 13 (removed once it succeeds)
        invocations/<id>.json     start, end and executor of each run
        lock                      pid and host of the driver while one runs

The arrays' chunks over the swept dimensions are exactly the plan's batches
(:mod:`curldescent.sweeps.plan`), so a batch writes its own chunk files and nothing else.
A batch counts as done only when its marker exists, and the marker is written (atomically:
temporary file, then rename) only after all of the batch's data. A driver killed at any
moment therefore leaves either a done batch or one that the next run recomputes.

Opening an existing path never modifies it unless it is this sweep's store: a file, a
foreign folder, a zarr store that is not a sweep store, a corrupt store or a store of a
different spec is refused with a one-line :class:`StoreError`.
"""

from __future__ import annotations

import contextlib
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

FORMAT = 1
META = "_sweep"

VARIABLES: dict[str, dict[str, str]] = {
    "train_error": {"long_name": "train error (1/2 MSE)", "units": "1"},
    "test_error": {"long_name": "test error (1/2 MSE)", "units": "1"},
    "diverged": {"long_name": "weights became non-finite", "units": "1"},
    "done": {"long_name": "point computed and stored", "units": "1"},
    "stop_epoch": {
        "long_name": "last simulated epoch (train.stop_below, divergence)",
        "units": "epochs",
    },
    "final_train_error": {
        "long_name": "train error at the last simulated checkpoint",
        "units": "1",
    },
    "final_test_error": {"long_name": "test error at the last simulated checkpoint", "units": "1"},
    "final_log10_test_error": {"long_name": "log10(final test error + 1e-15)", "units": "1"},
    "peak_log10_test_error": {
        "long_name": "max over checkpoints of log10(test error + 1e-15)",
        "units": "1",
    },
    "convergence_epoch": {
        "long_name": "first checkpoint with test error below the threshold (NaN: censored)",
        "units": "epochs",
    },
    "q": {"long_name": "order parameter q over the final window (eq. 15)", "units": "1"},
    "final_W1": {"long_name": "final W1 (NaN-padded)", "units": "1"},
    "final_W2": {"long_name": "final W2 (NaN-padded)", "units": "1"},
    "W1": {"long_name": "hidden-layer weights W1 (NaN-padded)", "units": "1"},
    "W2": {"long_name": "readout weights W2 (NaN-padded)", "units": "1"},
    "window_mean_W1": {"long_name": "temporal mean of W1 over the final window", "units": "1"},
    "window_mean_W2": {"long_name": "temporal mean of W2 over the final window", "units": "1"},
    "window_var_W1": {"long_name": "temporal variance of W1 over the final window", "units": "1"},
    "window_var_W2": {"long_name": "temporal variance of W2 over the final window", "units": "1"},
}


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


def _schema(plan: Plan) -> dict[str, tuple[tuple[str, ...], tuple[int, ...], str]]:
    """``{variable: (dims, shape, dtype)}`` of a plan's dataset."""
    spec = plan.spec
    dims, shape = spec.dims, plan.shape
    E = len(plan.epochs)
    M, N, K = plan.sizes
    specs = plan.specs
    window = any(s.train.final_window > 0 for s in specs)
    record = any(s.train.record_weights for s in specs)
    out: dict[str, tuple[tuple[str, ...], tuple[int, ...], str]] = {
        "train_error": (dims + ("epoch",), shape + (E,), "f8"),
        "test_error": (dims + ("epoch",), shape + (E,), "f8"),
        "diverged": (dims, shape, "bool"),
        "done": (dims, shape, "bool"),
    }
    for name in (
        "stop_epoch",
        "final_train_error",
        "final_test_error",
        "final_log10_test_error",
        "peak_log10_test_error",
        "convergence_epoch",
    ):
        out[name] = (dims, shape, "f8")
    if window:
        out["q"] = (dims, shape, "f8")
    if spec.store_weights:
        out["final_W1"] = (dims + ("hidden", "input"), shape + (N, M), "f8")
        out["final_W2"] = (dims + ("output", "hidden"), shape + (K, N), "f8")
        if record:
            out["W1"] = (dims + ("epoch", "hidden", "input"), shape + (E, N, M), "f8")
            out["W2"] = (dims + ("epoch", "output", "hidden"), shape + (E, K, N), "f8")
        if window:
            for stat in ("mean", "var"):
                out[f"window_{stat}_W1"] = (dims + ("hidden", "input"), shape + (N, M), "f8")
                out[f"window_{stat}_W2"] = (dims + ("output", "hidden"), shape + (K, N), "f8")
    return out


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
    import dask.array as da
    import xarray as xr

    chunks = plan.batch_shape
    data_vars = {}
    encoding: dict[str, dict[str, Any]] = {}
    for name, (dims, shape, dtype) in _schema(plan).items():
        trailing = shape[len(chunks) :]
        ch = chunks + trailing
        if dtype == "bool":
            arr = da.zeros(shape, dtype=bool, chunks=ch)
            encoding[name] = {"chunks": ch, "_FillValue": None}
        else:
            arr = da.full(shape, np.nan, dtype=np.float64, chunks=ch)
            encoding[name] = {"chunks": ch}
        data_vars[name] = xr.Variable(dims, arr, VARIABLES[name])
    coords: dict[str, Any] = {}
    for name, (dim, values) in plan.spec.coords().items():
        coords[name] = xr.Variable((dim,), _coord_array(values))
    coords["epoch"] = xr.Variable(
        ("epoch",),
        np.asarray(plan.epochs, dtype=np.int64),
        {"long_name": "epoch", "units": "epochs"},
    )
    ds = xr.Dataset(data_vars, coords=coords, attrs=attrs)
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


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (killed, not yet reaped) is not running
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[-1].split()[0] == "Z":
            return False
    except OSError:
        pass
    return True


# --------------------------------------------------------------------------- read-only inspection


def inspect_store(path: str | Path) -> dict[str, Any]:
    """The root attributes of a sweep store, after checking that ``path`` is one.

    Never writes. Raises:
        StoreError: ``path`` is missing, a file, a foreign folder, a zarr store that is not
            a sweep store, or a corrupt sweep store.
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
            f"{p} has sweep store format {attrs['curldescent_sweep_format']!r}; this curldescent reads format {FORMAT}"
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
    return attrs


def _check_arrays(p: Path, plan: Plan) -> None:
    """Every variable of the plan's schema exists with the planned shape and chunks."""
    for name, (_, shape, _) in _schema(plan).items():
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
        self._locked = False

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
        attrs = inspect_store(p)
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
        return cls(p, plan, created=False)

    @classmethod
    def _create(cls, p: Path, plan: Plan) -> SweepStore:
        from curldescent.results import label_coords, provenance

        spec = plan.spec
        attrs = {
            "curldescent_sweep_format": FORMAT,
            "sweep_name": spec.name,
            "sweep_description": spec.description,
            "sweep_spec": spec.to_json(),
            "sweep_shape": json.dumps(list(plan.shape)),
            "sweep_batch_shape": json.dumps(list(plan.batch_shape)),
            "sweep_n_points": int(plan.n_points),
            "sweep_n_batches": len(plan.batches),
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
        label_coords(ds)
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
        """Take the store's lock (one driver at a time); a stale lock of a dead process on
        this host is taken over.

        Raises:
            StoreError: another live driver holds it.
        """
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": _now(),
            "invocation": self.invocation,
        }
        for _ in range(3):
            try:
                fd = os.open(self.lock_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                try:
                    other = _read_json(self.lock_path)
                    pid, host = int(other["pid"]), str(other["host"])
                except (OSError, ValueError, KeyError, TypeError):
                    other, pid, host = {}, -1, ""
                    try:
                        stale = time.time() - self.lock_path.stat().st_mtime > 60
                    except OSError:
                        continue
                    if not stale:
                        raise StoreError(
                            f"{self.path} is being opened by another sweep (unreadable fresh lock {self.lock_path})"
                        ) from None
                if pid == -1 or (host == socket.gethostname() and not _pid_alive(pid)):
                    with contextlib.suppress(FileNotFoundError):
                        self.lock_path.unlink()
                    continue
                raise StoreError(
                    f"{self.path} is in use by process {pid} on {host} (since {other.get('since', '?')}); "
                    f"if no sweep is running there, delete {self.lock_path}"
                ) from None
            with os.fdopen(fd, "w") as f:
                json.dump(info, f)
            self._locked = True
            return
        raise StoreError(f"cannot take the lock {self.lock_path}")  # pragma: no cover

    def release(self) -> None:
        if self._locked:
            with contextlib.suppress(FileNotFoundError):
                self.lock_path.unlink()
            self._locked = False

    @contextlib.contextmanager
    def locked(self) -> Iterator[SweepStore]:
        self.acquire()
        try:
            yield self
        finally:
            self.release()

    # -- state
    def done_batches(self) -> set[int]:
        """Indices of the batches whose done-marker exists."""
        return _done_indices(self.path, len(self.plan.batches))

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
            **info,
        }
        _write_json_atomic(self.path / META / "done" / f"b{batch.index:06d}.json", marker)
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
    """What ``curldescent sweep status`` reports."""

    path: str
    name: str
    n_points: int
    n_batches: int
    done_points: int
    done_batches: int
    failed: dict[int, str] = field(default_factory=dict)
    wall_time_s: float = 0.0
    invocations: int = 0
    in_use_by: str | None = None
    start_time: str = ""
    end_time: str = ""

    @property
    def complete(self) -> bool:
        return self.done_batches == self.n_batches

    def to_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["failed"] = {str(k): v for k, v in self.failed.items()}
        out["complete"] = self.complete
        return out

    def summary(self) -> str:
        lines = [
            f"store:      {self.path}",
            f"sweep:      {self.name}",
            f"points:     {self.done_points}/{self.n_points} done ({self.done_batches}/{self.n_batches} batches)",
            f"failures:   {len(self.failed)}"
            + "".join(f"\n  batch {b}: {e}" for b, e in sorted(self.failed.items())),
            f"wall time:  {self.wall_time_s:.1f} s over {self.invocations} run(s)",
            f"status:     {'complete' if self.complete else 'incomplete'}"
            + (f" (in use by {self.in_use_by})" if self.in_use_by else ""),
        ]
        return "\n".join(lines)


def sweep_status(path: str | Path) -> SweepStatus:
    """Done/total, failures and wall time of a sweep store (read-only).

    Raises:
        StoreError: ``path`` is not a readable sweep store.
    """
    p = Path(path)
    attrs = inspect_store(p)
    shape = tuple(json.loads(attrs["sweep_shape"]))
    bshape = tuple(json.loads(attrs["sweep_batch_shape"]))
    n_batches = int(attrs["sweep_n_batches"])
    done = _done_indices(p, n_batches)
    failed = {}
    for f in (p / META / "failed").glob("b*.json"):
        try:
            m = _read_json(f)
            if int(m["batch"]) not in done:
                failed[int(m["batch"])] = str(m.get("error", "?"))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    in_use = None
    lock = p / META / "lock"
    if lock.exists():
        try:
            other = _read_json(lock)
            alive = other["host"] != socket.gethostname() or _pid_alive(int(other["pid"]))
            in_use = f"process {other['pid']} on {other['host']}" if alive else None
        except (OSError, ValueError, KeyError, TypeError):
            in_use = "an unknown process"
    return SweepStatus(
        path=str(p),
        name=str(attrs.get("sweep_name", "?")),
        n_points=int(attrs["sweep_n_points"]),
        n_batches=n_batches,
        done_points=sum(_batch_size(i, shape, bshape) for i in done),
        done_batches=len(done),
        failed=failed,
        wall_time_s=_wall_time(p),
        invocations=len(list((p / META / "invocations").glob("*.json"))),
        in_use_by=in_use,
        start_time=str(attrs.get("start_time", "")),
        end_time=str(attrs.get("end_time", "")),
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
        partial: allow exporting an incomplete sweep (missing points are NaN, ``done`` False).
        overwrite: replace an existing ``out``.

    Raises:
        StoreError/SpecError: not a sweep store, incomplete without ``partial``, ``out``
            exists without ``overwrite`` or does not end in ``.nc``.
    """
    from curldescent.results import write_dataset

    out = Path(out)
    if out.suffix not in (".nc", ".nc4"):
        raise SpecError(f"--netcdf must end in .nc (got {out})")
    status = sweep_status(path)
    if not status.complete and not partial:
        raise StoreError(
            f"{path} is incomplete ({status.done_points}/{status.n_points} points); "
            "finish it (re-run the sweep) or pass --partial"
        )
    if out.exists() and not overwrite:
        raise SpecError(f"{out} exists; pass --overwrite to replace it")
    if out.resolve() == Path(path).resolve():
        raise SpecError("--netcdf must not be the store itself")
    ds = open_sweep(path).load()
    for name in list(ds.variables):  # netCDF has no variable-length string dtype of numpy 2
        if ds[name].dtype.kind == "T":
            ds[name] = ds[name].astype(object)
    ds.attrs["exported_from"] = str(Path(path).resolve())
    return write_dataset(ds, out)
