r"""Shared machinery of the convergence-speed figures (Figs. 5, 10 and the beyond-the-paper
comparison): simulate runs only until they cross the error threshold, cache batches, and
compare rules over paired seeds.

**Convergence speed** (``docs/protocol.md``) is the epoch of the first checkpoint at which the
test error falls below :math:`\theta = 10^{-3}`, on the run's ~log-spaced checkpoint grid
(:func:`curldescent.engine.checkpoint_epochs`). Only that crossing epoch is needed, so
:func:`simulate_to_threshold` gives each run the engine's ``train.stop_below = θ``: the run
**stops at its first checkpoint below the threshold** (or where it diverged). The
trajectory up to the stop is the full run's, bit for bit (same epoch function, shuffling
keys and renormalisation; ``tests/test_engine.py``), so the crossing epoch equals the one a
full-length run gives; checkpoints after the stop are NaN and the epoch at which each run
stopped is recorded. A run still above the threshold at the last checkpoint is
**censored** (never given the last epoch). With ``threshold = -inf`` runs go to the end
(whole curves, Fig. 5b).

Gradient descent is simulated as curl descent with zero flipped neurons: the canonical
plasticity arrays are then all ones, exactly those of ``kind = gradient``, so the update is
bit-for-bit the gradient rule (``tests/test_fig5.py`` checks it), while gradient and curl runs
share one compiled program (a new shape group costs a compilation of several seconds).

Batches are cached as netCDF files named by a digest of their specs (resume: a cached
batch is never recomputed) and can run on any :mod:`curldescent.sweeps` executor (in-process
or dask).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from curldescent.specs import RunSpec

THRESHOLD = 1e-3
#: runs per batch (one cached file, one executor task); chunks inside follow the engine.
MAX_BATCH = 64


# --------------------------------------------------------------------------- one batch


def as_simulated(spec: RunSpec) -> RunSpec:
    """The spec actually simulated: ``kind = gradient`` becomes curl (or feedback alignment
    stays) with zero flips, which is the same update (see the module docstring)."""
    if spec.rule.kind == "gradient":
        return spec.replace(
            **{"rule.kind": "curl", "rule.n_flip_hidden": 0, "rule.n_flip_readout": 0}
        )
    return spec


def _digest_arrays(*arrays: Any) -> str:
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(np.asarray(a, dtype=np.float64)).tobytes())
    return h.hexdigest()[:16]


@dataclasses.dataclass
class ThresholdRuns:
    """Runs simulated until they crossed the threshold (leading axis = run).

    ``test_error``/``train_error`` are NaN at checkpoints after the run stopped;
    ``stop_epoch`` is the last simulated epoch; ``init_digest`` hashes the teacher, the data,
    the initial student weights and the shuffling key (equal digests = paired runs).
    """

    epochs: np.ndarray  # (T,)
    test_error: np.ndarray  # (R, T)
    train_error: np.ndarray  # (R, T)
    stop_epoch: np.ndarray  # (R,)
    diverged: np.ndarray  # (R,)
    init_digest: np.ndarray  # (R,) str
    compute_s: float = 0.0


def chunk_length(n_runs: int, max_chunk: int) -> int:
    """Runs per compiled chunk for a group of ``n_runs``: the group is cut into
    ``ceil(n_runs / max_chunk)`` near-equal chunks (the last one padded by repeating its
    final run), so every chunk of a group runs one compiled program."""
    n_chunks = max(1, math.ceil(n_runs / max_chunk))
    return math.ceil(n_runs / n_chunks)


def simulate_to_threshold(
    specs: Sequence[RunSpec],
    *,
    threshold: float | Sequence[float] = THRESHOLD,
    chunk_size: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ThresholdRuns:
    r"""Simulate runs with equal shape keys, each until it crossed its threshold.

    The engine does the stopping (``train.stop_below``, :func:`curldescent.engine.train_one`):
    a run ends at the first checkpoint with test error < θ, or where it diverged.

    Args:
        specs: run specs sharing :func:`curldescent.engine.shape_key` (pass them through
            :func:`as_simulated` first to batch gradient with curl runs).
        threshold: test-error threshold θ, one for all runs or one per run; ``-inf`` runs
            to the last epoch (whole curves).
        chunk_size: runs per compiled call (default :func:`chunk_length` of the engine's
            default chunk size).
        progress: called as ``progress(runs_done, runs_total)`` after each chunk.

    Returns:
        :class:`ThresholdRuns` (checkpoint errors are NaN after a run's stop).
    """
    from curldescent.engine import default_chunk_size, initial_states, simulate_batch
    from curldescent.specs import SpecError
    from curldescent.task import run_keys

    specs = list(specs)
    if not specs:
        raise SpecError("simulate_to_threshold needs at least one run spec")
    thr = np.broadcast_to(np.asarray(threshold, dtype=float), (len(specs),))
    stopping = [
        s.replace(**{"train.stop_below": float(t) if np.isfinite(t) else None})
        for s, t in zip(specs, thr, strict=True)
    ]
    chunk = chunk_size or chunk_length(len(specs), default_chunk_size())
    res = simulate_batch(stopping, chunk_size=chunk, progress=progress)
    digests = []
    for start in range(0, len(specs), chunk):  # the paired design, from the arrays themselves
        part = specs[start : start + chunk]
        cs, _ = initial_states(part)
        for r, s in enumerate(part):
            digests.append(
                _digest_arrays(
                    cs.params.W1[r],
                    cs.params.W2[r],
                    cs.teacher.W1[r],
                    cs.teacher.W2[r],
                    cs.x_train[r],
                    cs.x_test[r],
                    run_keys(s)["shuffle"],
                )
            )
    return ThresholdRuns(
        res.epochs,
        res.test_error,
        res.train_error,
        np.asarray(res.stop_epoch, dtype=np.int64),
        np.asarray(res.diverged, dtype=bool),
        np.asarray(digests, dtype=str),
        res.wall_time_s,
    )


# --------------------------------------------------------------------------- cached batches


@dataclasses.dataclass(frozen=True)
class ThresholdTask:
    """One cached batch: runs of one shape key, each simulated to the threshold or, where
    ``full``, to its last epoch. Picklable (runs on any :mod:`curldescent.sweeps` executor)."""

    index: int
    specs: tuple[RunSpec, ...]
    full: tuple[bool, ...]
    threshold: float = THRESHOLD
    chunk_size: int | None = None

    @property
    def digest(self) -> str:
        """Names the cached file: the specs, the modes and the threshold (not the chunking)."""
        text = json.dumps(
            {
                "specs": [s.to_dict() for s in self.specs],
                "full": list(self.full),
                "threshold": self.threshold,
            },
            sort_keys=True,
        )
        return hashlib.sha256(text.encode()).hexdigest()[:20]


def run_threshold_task(task: ThresholdTask) -> ThresholdRuns:
    """Executor entry point: configure the worker's runtime, then :func:`simulate_to_threshold`."""
    from curldescent.sweeps.executors import configure_worker_runtime

    configure_worker_runtime()
    thr = [-math.inf if f else task.threshold for f in task.full]
    return simulate_to_threshold(task.specs, threshold=thr, chunk_size=task.chunk_size)


def _to_dataset(task: ThresholdTask, runs: ThresholdRuns) -> xr.Dataset:
    from curldescent.results import provenance

    ds = xr.Dataset(
        {
            "test_error": (
                ("run", "epoch"),
                runs.test_error,
                {"long_name": "test error (1/2 MSE)", "units": "1"},
            ),
            "train_error": (
                ("run", "epoch"),
                runs.train_error,
                {"long_name": "train error (1/2 MSE)", "units": "1"},
            ),
            "stop_epoch": (
                ("run",),
                runs.stop_epoch,
                {"long_name": "last simulated epoch", "units": "epochs"},
            ),
            "diverged": (
                ("run",),
                runs.diverged,
                {"long_name": "weights became non-finite", "units": "1"},
            ),
            "init_digest": (
                ("run",),
                runs.init_digest.astype(str),
                {"long_name": "digest of teacher, data, initial weights, shuffling key"},
            ),
        },
        coords={"epoch": ("epoch", runs.epochs, {"long_name": "epoch", "units": "epochs"})},
    )
    ds.attrs.update(provenance())
    ds.attrs.update(
        specs=json.dumps([s.to_dict() for s in task.specs]),
        threshold=task.threshold,
        full_runs=json.dumps([bool(f) for f in task.full]),
        run_keys=json.dumps(
            [run_key(x, f, task.threshold) for x, f in zip(task.specs, task.full, strict=True)]
        ),
        compute_s=runs.compute_s,
    )
    return ds


@dataclasses.dataclass
class RunRecord:
    """One run's stored trajectory (its own checkpoint grid) and bookkeeping."""

    epochs: np.ndarray
    test_error: np.ndarray
    train_error: np.ndarray
    stop_epoch: int
    diverged: bool
    init_digest: str


def _group_key(spec: RunSpec) -> tuple:
    from curldescent.engine import shape_key

    return shape_key(spec)


def run_key(spec: RunSpec, full: bool, threshold: float) -> str:
    """Cache key of one simulated run: its spec, and the threshold it was stopped at (whole
    runs, ``full``, do not depend on the threshold)."""
    text = json.dumps(
        {"spec": spec.to_dict(), "full": bool(full), "threshold": None if full else threshold},
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _index(cache: Path) -> dict[str, tuple[Path, int]]:
    """``{run_key: (file, row)}`` over the cached batch files."""
    index: dict[str, tuple[Path, int]] = {}
    for path in sorted(cache.glob("*.nc")):
        try:
            with xr.open_dataset(path) as ds:
                keys = json.loads(ds.attrs.get("run_keys", "[]"))
        except (OSError, ValueError):
            continue
        for r, k in enumerate(keys):
            index.setdefault(k, (path, r))
    return index


def run_cached(
    requests: Sequence[tuple[RunSpec, bool]],
    cache: Path,
    *,
    executor: Any = None,
    threshold: float = THRESHOLD,
    max_batch: int = MAX_BATCH,
    label: str = "runs",
    progress: bool = True,
) -> tuple[dict[RunSpec, RunRecord], dict[str, float]]:
    """Simulate (or load from ``cache``) every requested run; return records by spec.

    Runs are looked up one by one in the cached batch files (``<digest>.nc``, each listing
    its runs' :func:`run_key`), so a re-run resumes after an interruption and a changed
    grid recomputes only its new runs. A run stopped at the threshold is valid whatever
    its batch: its crossing epoch (or censoring at its last epoch) does not depend on the
    other runs of its chunk, only how far past its crossing it was simulated.

    Args:
        requests: ``(spec, full)`` pairs; ``full`` runs to the last epoch (whole curves),
            otherwise the run's chunk stops once all its runs crossed ``threshold``. Specs
            are deduplicated after :func:`as_simulated` (a spec requested both ways runs
            in full; a cached whole run serves a threshold request too).
        cache: folder of the batch files.
        executor: None (in-process), a :class:`curldescent.sweeps.Executor` or a dask client.
        threshold, max_batch: convergence threshold; runs per batch (per cached file).
        label, progress: progress-bar label; show the bar on stderr.

    Returns:
        ``({requested spec: RunRecord}, cost)`` where ``cost`` sums, over the batch files
        that served the request, the engine's wall time ``compute_s`` and the simulated
        ``run_epochs`` and ``run_steps`` (minibatch updates), and counts ``batches`` (files
        used) and ``computed_batches`` (files written now).
    """
    from curldescent.engine import default_chunk_size
    from curldescent.results import write_dataset
    from curldescent.sweeps.executors import as_executor
    from curldescent.sweeps.progress import Progress

    cache = Path(cache)
    mode: dict[RunSpec, bool] = {}
    sim_of: dict[RunSpec, RunSpec] = {}
    for spec, full in requests:
        sim = as_simulated(spec)
        sim_of[spec] = sim
        mode[sim] = mode.get(sim, False) or bool(full)
    index = _index(cache) if cache.exists() else {}
    found: dict[RunSpec, tuple[Path, int]] = {}
    for sim, full in mode.items():
        hit = index.get(run_key(sim, True, threshold))
        if hit is None and not full:
            hit = index.get(run_key(sim, False, threshold))
        if hit is not None:
            found[sim] = hit

    groups: dict[tuple, list[RunSpec]] = {}
    for sim in mode:
        if sim not in found:
            groups.setdefault(_group_key(sim), []).append(sim)
    tasks: list[ThresholdTask] = []
    for sims in groups.values():
        # whole curves first, then curl before gradient (fewer flips last): chunks of
        # similar runs stop together
        order = sorted(
            range(len(sims)),
            key=lambda i: (not mode[sims[i]], -sum(sims[i].rule.flip_counts(sims[i].network)), i),
        )
        sims = [sims[i] for i in order]
        chunk = chunk_length(len(sims), default_chunk_size())
        per_task = max(chunk, (max_batch // chunk) * chunk)
        for i in range(0, len(sims), per_task):
            part = tuple(sims[i : i + per_task])
            tasks.append(
                ThresholdTask(len(tasks), part, tuple(mode[x] for x in part), threshold, chunk)
            )
    records: dict[RunSpec, RunRecord] = {}
    cost = {
        "compute_s": 0.0,
        "run_epochs": 0.0,
        "run_steps": 0.0,
        "batches": 0,
        "computed_batches": 0,
    }

    def account(ds: xr.Dataset) -> None:
        specs = [RunSpec.from_dict(d) for d in json.loads(ds.attrs["specs"])]
        stops = np.asarray(ds.stop_epoch.values, dtype=float)
        steps = np.array([math.ceil(x.task.n_train / x.batch_size) for x in specs])
        cost["compute_s"] += float(ds.attrs.get("compute_s", 0.0))
        cost["run_epochs"] += float(stops.sum())
        cost["run_steps"] += float((stops * steps).sum())
        cost["batches"] += 1

    def record(ds: xr.Dataset, r: int) -> RunRecord:
        return RunRecord(
            np.asarray(ds.epoch.values),
            np.asarray(ds.test_error.values[r]),
            np.asarray(ds.train_error.values[r]),
            int(ds.stop_epoch.values[r]),
            bool(ds.diverged.values[r]),
            str(ds.init_digest.values[r]),
        )

    by_file: dict[Path, list[tuple[RunSpec, int]]] = {}
    for sim, (path, r) in found.items():
        by_file.setdefault(path, []).append((sim, r))
    for path, rows in by_file.items():
        with xr.open_dataset(path) as ds:
            ds = ds.load()
        account(ds)
        for sim, r in rows:
            records[sim] = record(ds, r)
    if tasks:
        total = len(mode)
        bar = Progress(total, len(found), label=label, enabled=progress)
        ex, owned = as_executor(executor)
        try:
            for task, result in ex.map_unordered(run_threshold_task, tasks):
                if isinstance(result, BaseException):
                    raise result
                ds = _to_dataset(task, result)
                write_dataset(ds, cache / f"{task.digest}.nc")
                account(ds)
                cost["computed_batches"] += 1
                for r, sim in enumerate(task.specs):
                    records[sim] = record(ds, r)
                bar.update(len(task.specs))
        finally:
            bar.close()
            if owned:
                ex.close()
    return {spec: records[sim] for spec, sim in sim_of.items()}, cost
