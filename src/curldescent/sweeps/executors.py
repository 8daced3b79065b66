r"""Executors: where a sweep's batches run, behind one small interface.

An :class:`Executor` takes a function and a list of tasks and yields ``(task, result)``
pairs as the tasks finish, in any order; a task that raised yields its exception instead
of a result (the sweep records it and goes on). Two executors ship:

* :class:`InProcessExecutor` (the default): runs the batches one after another in the
  calling process; nothing to start.
* :class:`DaskExecutor`: dask.distributed. ``DaskExecutor(workers=N)`` starts a
  ``LocalCluster`` of N single-threaded worker **processes** on 127.0.0.1, started with
  ``spawn`` (never ``fork``: JAX's threads do not survive a fork), with float64 and
  single-threaded XLA set in the workers' environment before they import JAX;
  ``DaskExecutor(scheduler="tcp://host:8786")`` joins an existing cluster (e.g. one from
  dask-jobqueue on SLURM/PBS, see ``docs/sweeps.md``), as does
  ``DaskExecutor(scheduler_file="sched.json")`` (the file ``dask scheduler
  --scheduler-file`` writes); ``DaskExecutor(client=client)``
  uses a client you made. A :class:`JaxWorkerSetup` plugin enables float64 on every worker.

The function that runs a batch on any executor is :func:`compute_batch`; it calls the
engine (:func:`curldescent.engine.simulate_batch`) and computes the derived metrics, so
every executor returns the same numbers, bit for bit, on one backend.
"""

from __future__ import annotations

import abc
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from distributed.diagnostics.plugin import WorkerPlugin

from curldescent import schema
from curldescent.runtime import configure_runtime, runtime_environment
from curldescent.specs import RunSpec, SpecError

__all__ = [
    "BatchOutput",
    "BatchTask",
    "DaskExecutor",
    "Executor",
    "InProcessExecutor",
    "JaxWorkerSetup",
    "LOG10_FLOOR",
    "WORKER_ENV",
    "compilation_cache_env",
    "compute_batch",
    "configure_worker_runtime",
    "make_executor",
    "worker_env",
]

#: Environment of worker processes (:func:`curldescent.runtime.runtime_environment`):
#: float64, one XLA/BLAS thread (parallelism comes from running batches side by side),
#: XLA's faster CPU runtime for small loops, non-interactive matplotlib.
WORKER_ENV: dict[str, str] = runtime_environment()

#: floor added to errors before log10 (the authors' heat maps: log10(error + 1e-15)).
LOG10_FLOOR = 1e-15


def configure_worker_runtime() -> None:
    """Set :data:`WORKER_ENV` (where unset) and enable float64 in JAX
    (:func:`curldescent.runtime.configure_runtime`).

    Environment variables only take effect if JAX is not imported yet (true in a freshly
    spawned worker); float64 is switched on in any case.
    """
    configure_runtime()


# --------------------------------------------------------------------------- the work


@dataclass(frozen=True)
class BatchTask:
    """Everything a worker needs to run one batch (picklable, no store access).

    Attributes:
        index: the batch's index in the plan.
        specs: the batch's RunSpecs (C order of its box); all share one shape key.
        epochs: the sweep's epoch axis (union of all checkpoint grids).
        sizes: the largest (M, N, K) of the sweep (stored weights are padded to them).
        store_weights: also return weights (see :class:`~curldescent.sweeps.SweepSpec`).
        chunk_size: runs per compiled engine call (None: engine default).
        fast: use the engine's fast paths.
        threshold: convergence threshold of the ``convergence_epoch`` metric.
        largest_batch: the plan's largest batch (caps the engine chunk, see
            :func:`compute_batch`).
    """

    index: int
    specs: tuple[RunSpec, ...]
    epochs: np.ndarray
    sizes: tuple[int, int, int]
    store_weights: bool = False
    chunk_size: int | None = None
    fast: bool = True
    threshold: float = 1e-3
    largest_batch: int | None = None


@dataclass
class BatchOutput:
    """A batch's results: ``data`` maps variable names to arrays whose leading axis is the
    batch's points (C order of its box); ``compute_s`` is the worker's wall time."""

    index: int
    data: dict[str, np.ndarray]
    compute_s: float
    worker: str


def _pad(a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Pad the trailing axes of ``a`` with NaN to ``shape``."""
    if a.shape[-len(shape) :] == shape:
        return a
    out = np.full(a.shape[: a.ndim - len(shape)] + shape, np.nan, dtype=np.float64)
    out[(...,) + tuple(slice(0, n) for n in a.shape[-len(shape) :])] = a
    return out


def _on_store_grid(
    name: str, values: np.ndarray, pos: np.ndarray, n_epochs: int, sizes: dict[str, int]
) -> np.ndarray:
    """A batch's values of variable ``name`` (leading axis: runs) laid out as the store
    holds them (:mod:`curldescent.schema`): neuron dimensions padded with NaN to ``sizes``,
    and an ``epoch`` dimension spread onto the sweep's epoch axis at ``pos`` (NaN at the
    epochs these runs do not record)."""
    dims = schema.VARIABLES[name].dims
    neurons = tuple(sizes[d] for d in dims if d != "epoch")
    if neurons:
        values = _pad(values, neurons)
    if "epoch" not in dims:
        return values
    full = np.full((values.shape[0], n_epochs) + values.shape[2:], np.nan)
    full[:, pos] = values
    return full


def _log10_error(err: np.ndarray) -> np.ndarray:
    """log10(error + 1e-15), with non-finite errors (diverged runs) as +inf."""
    err = np.where(np.isfinite(err), err, np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log10(err + LOG10_FLOOR)


def _chunk(task: BatchTask) -> int:
    from curldescent.engine import default_chunk_size

    chunk = task.chunk_size or default_chunk_size()
    return max(1, min(chunk, task.largest_batch or chunk))


def _simulate_chunked(specs: list[RunSpec], task: BatchTask):
    """:func:`~curldescent.engine.simulate_batch` in groups of exactly ``chunk`` runs (the
    last group padded by repeating its final run), so that every batch of one shape key
    runs the same two compiled programs (sampling and training) whatever its size."""
    from curldescent.engine import BatchResult, simulate_batch

    chunk = _chunk(task)
    parts = []
    for start in range(0, len(specs), chunk):
        group = specs[start : start + chunk]
        n = len(group)
        group = group + [group[-1]] * (chunk - n)
        res = simulate_batch(group, chunk_size=chunk, fast=task.fast)
        parts.append((res, n))
    if len(parts) == 1 and parts[0][1] == chunk:
        return parts[0][0]

    def cat(name: str):
        first = getattr(parts[0][0], name)
        if first is None:
            return None
        if isinstance(first, tuple):
            return tuple(
                np.concatenate([getattr(r, name)[i][:n] for r, n in parts])
                for i in range(len(first))
            )
        return np.concatenate([getattr(r, name)[:n] for r, n in parts])

    return BatchResult(
        specs=list(specs),
        epochs=parts[0][0].epochs,
        train_error=cat("train_error"),
        test_error=cat("test_error"),
        diverged=cat("diverged"),
        final_W1=cat("final_W1"),
        final_W2=cat("final_W2"),
        W1=cat("W1"),
        W2=cat("W2"),
        window_mean=cat("window_mean"),
        window_var=cat("window_var"),
        wall_time_s=sum(r.wall_time_s for r, _ in parts),
        stop_epoch=cat("stop_epoch"),
    )


def compute_batch(task: BatchTask) -> BatchOutput:
    r"""Run one batch with the engine and compute its derived metrics.

    Identical specs in a batch (e.g. the gradient runs of a ``rule × α`` grid, whose flips
    are cleared) are simulated once. The engine is called on groups of exactly
    ``min(chunk_size, largest batch)`` runs, so a process compiles one sampling and one
    training program per shape key, whatever the batch sizes. Per point it returns:

    * ``train_error``, ``test_error`` on the sweep's epoch axis (NaN at epochs that this
      point does not record), ``diverged``;
    * ``stop_epoch`` (the last simulated epoch: the last checkpoint unless the run stopped
      early, ``train.stop_below``, or diverged), ``final_train_error``, ``final_test_error``
      (at the last simulated checkpoint),
      ``final_log10_test_error`` = log10(final test error + 1e-15) (the heat maps of
      Figs. 3a, 4a), ``peak_log10_test_error`` = max over checkpoints of
      log10(test error + 1e-15), ``peak_log10_train_error`` the same for the train error
      (the authors' Figs. 4b, 8b; +inf once a run diverged),
      ``convergence_epoch`` (first checkpoint with test error < threshold, NaN when
      censored; Figs. 5, 10);
    * ``q``, the order parameter of eq. (15), when ``train.final_window > 0``;
    * with ``store_weights``: ``final_W1``, ``final_W2``, the recorded ``W1``, ``W2`` and the
      window statistics, padded with NaN to the sweep's largest sizes.

    Every variable is laid out by its entry in :mod:`curldescent.schema` (an ``epoch``
    dimension spread onto the sweep's epoch axis, neuron dimensions NaN-padded), so a new
    result is its computation here plus one schema entry.
    """
    configure_worker_runtime()
    from curldescent.analysis.convergence import convergence_epoch
    from curldescent.analysis.order_parameter import order_parameter_from_moments

    t0 = time.perf_counter()
    unique: dict[RunSpec, int] = {}
    take = np.array([unique.setdefault(s, len(unique)) for s in task.specs], dtype=np.int64)
    res = _simulate_chunked(list(unique), task)
    epochs = np.asarray(task.epochs)
    pos = np.searchsorted(epochs, res.epochs)
    if np.any(pos >= len(epochs)) or np.any(epochs[np.minimum(pos, len(epochs) - 1)] != res.epochs):
        raise SpecError(f"batch {task.index}: checkpoint epochs are not on the sweep's epoch axis")
    R = len(unique)
    # per-run values: on the runs' own checkpoint grid, at the runs' own sizes
    values: dict[str, np.ndarray] = {
        "train_error": res.train_error,
        "test_error": res.test_error,
        "diverged": np.asarray(res.diverged, dtype=bool),
    }
    # a run that stopped early holds NaN after its stop: "final" means its last checkpoint
    last = np.searchsorted(res.epochs, res.stop_epoch)
    simulated = np.arange(len(res.epochs))[None, :] <= last[:, None]
    values["stop_epoch"] = np.asarray(res.stop_epoch, dtype=np.float64)
    values["final_train_error"] = res.train_error[np.arange(R), last].astype(np.float64)
    values["final_test_error"] = res.test_error[np.arange(R), last].astype(np.float64)
    values["final_log10_test_error"] = _log10_error(values["final_test_error"])
    for split, curve in (("test", res.test_error), ("train", res.train_error)):
        values[f"peak_log10_{split}_error"] = np.max(
            np.where(simulated, _log10_error(curve), -np.inf), axis=1
        )
    conv = convergence_epoch(res.test_error, res.epochs, threshold=task.threshold)
    values["convergence_epoch"] = np.asarray(conv.epoch, dtype=np.float64)
    if res.window_mean is not None:
        values["q"] = np.array(
            [
                float(
                    order_parameter_from_moments(
                        (res.window_mean[0][r], res.window_mean[1][r]),
                        (res.window_var[0][r], res.window_var[1][r]),
                    )
                )
                for r in range(R)
            ]
        )
    if task.store_weights:
        values["final_W1"], values["final_W2"] = res.final_W1, res.final_W2
        if res.W1 is not None:
            values["W1"], values["W2"] = res.W1, res.W2
        if res.window_mean is not None:
            for i, layer in enumerate(("W1", "W2")):
                values[f"window_mean_{layer}"] = res.window_mean[i]
                values[f"window_var_{layer}"] = res.window_var[i]
    M, N, K = task.sizes
    sizes = {"hidden": N, "input": M, "output": K}
    data = {name: _on_store_grid(name, v, pos, len(epochs), sizes) for name, v in values.items()}
    data = {k: np.ascontiguousarray(v[take]) for k, v in data.items()}
    worker = f"{socket.gethostname()}:{os.getpid()}"
    return BatchOutput(task.index, data, time.perf_counter() - t0, worker)


# --------------------------------------------------------------------------- executors


class Executor(abc.ABC):
    """Runs tasks and yields ``(task, result or exception)`` as they finish (any order).

    Executors are context managers; :meth:`close` releases what the executor started (a
    client passed in by the caller is left open).
    """

    name: str = "executor"

    @abc.abstractmethod
    def map_unordered(
        self, fn: Callable[[Any], Any], tasks: Sequence[Any]
    ) -> Iterator[tuple[Any, Any | BaseException]]:
        """Run ``fn(task)`` for every task; yield ``(task, result)`` or ``(task, exception)``."""

    def describe(self) -> str:
        """A one-line description (stored with each sweep invocation)."""
        return self.name

    def close(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Release resources this executor started."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def worker_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment of local worker processes: :data:`WORKER_ENV`, with this process's
    ``XLA_FLAGS`` if set (driver and workers then compile identical programs, so results
    agree bit for bit), its JAX compilation cache (:func:`compilation_cache_env`), and
    ``extra``."""
    env = dict(WORKER_ENV)
    if os.environ.get("XLA_FLAGS"):
        env["XLA_FLAGS"] = os.environ["XLA_FLAGS"]
    env.update(compilation_cache_env())
    env.update(extra or {})
    return env


def compilation_cache_env() -> dict[str, str]:
    """Environment variables that give a worker this process's JAX persistent compilation
    cache (empty when none is configured)."""
    import jax

    cache = jax.config.jax_compilation_cache_dir
    if not cache:
        return {}
    return {
        "JAX_COMPILATION_CACHE_DIR": str(cache),
        "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": str(
            jax.config.jax_persistent_cache_min_compile_time_secs
        ),
        "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": str(
            jax.config.jax_persistent_cache_min_entry_size_bytes
        ),
    }


class InProcessExecutor(Executor):
    """Run the batches one after another in this process (the default)."""

    name = "in-process"

    def map_unordered(self, fn, tasks):
        for task in tasks:
            try:
                result = fn(task)
            except Exception as exc:  # recorded by the sweep as a failed batch
                yield task, exc
            else:
                yield task, result


class JaxWorkerSetup(WorkerPlugin):
    """A dask ``WorkerPlugin`` that calls :func:`configure_worker_runtime` on every worker:
    float64 always, single-threaded XLA if JAX is not imported yet. :class:`DaskExecutor`
    registers it; register it yourself with ``client.register_plugin(JaxWorkerSetup())``."""

    name = "curldescent-jax-setup"
    idempotent = True

    def setup(self, worker: Any) -> None:
        configure_worker_runtime()


class DaskExecutor(Executor):
    """Run batches on dask.distributed workers.

    Give exactly one of:

    Args:
        client: an existing ``distributed.Client`` (not closed by :meth:`close`).
        workers: start a ``LocalCluster`` with this many single-threaded worker processes
            (spawned, listening on 127.0.0.1 over TCP, no dashboard).
        scheduler: address of a running scheduler to join, e.g. ``tcp://10.0.0.5:8786``.
        scheduler_file: the JSON file a running scheduler wrote (``dask scheduler
            --scheduler-file PATH``); waits up to ``timeout`` seconds for it to appear.
        timeout: seconds to wait for the scheduler (and for local workers to start).
        memory_limit: per-worker memory limit for a local cluster (dask syntax, e.g.
            ``"4GiB"``; default: dask's, the machine's memory shared among the workers).
        env: extra environment variables for local workers (over :data:`WORKER_ENV`). The
            driver's JAX persistent compilation cache settings, if any, are passed on, so
            the workers share compiled programs.

    Raises:
        SpecError: none or several of client/workers/scheduler/scheduler_file, or a bad
            worker count; an unreachable scheduler or a scheduler file that never appears.
    """

    name = "dask"

    def __init__(
        self,
        client: Any = None,
        *,
        workers: int | None = None,
        scheduler: str | None = None,
        scheduler_file: str | os.PathLike | None = None,
        timeout: float = 60.0,
        memory_limit: str | int | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        given = [x is not None for x in (client, workers, scheduler, scheduler_file)]
        if sum(given) != 1:
            raise SpecError(
                "DaskExecutor needs exactly one of client, workers, scheduler or scheduler_file"
            )
        if workers is not None and (
            isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
        ):
            raise SpecError(f"--workers must be an integer >= 1 (got {workers!r})")
        import dask
        from distributed import Client, LocalCluster

        self._cluster = None
        self._own_client = client is None
        if client is not None:
            self.client = client
            where = getattr(client.scheduler, "address", "?")
        elif workers is not None:
            kwargs: dict[str, Any] = {}
            if memory_limit is not None:
                kwargs["memory_limit"] = memory_limit
            with dask.config.set({"distributed.worker.multiprocessing-method": "spawn"}):
                self._cluster = LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                    # the scheduler's plain HTTP routes on a free loopback port (not 8787)
                    scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                    env=worker_env(env),
                    silence_logs=logging.ERROR,
                    **kwargs,
                )
            self.client = Client(self._cluster, timeout=timeout, set_as_default=False)
            where = f"LocalCluster({workers} workers, {self._cluster.scheduler_address})"
        else:
            where = scheduler if scheduler is not None else f"scheduler file {scheduler_file}"
            if scheduler_file is not None:
                _wait_for_file(os.fspath(scheduler_file), timeout)
            try:
                if scheduler is not None:
                    self.client = Client(scheduler, timeout=timeout, set_as_default=False)
                else:
                    self.client = Client(
                        scheduler_file=os.fspath(scheduler_file),
                        timeout=timeout,
                        set_as_default=False,
                    )
            except (OSError, TimeoutError, ValueError, KeyError) as exc:
                hint = "; give an address like tcp://host:8786" if scheduler is not None else ""
                raise SpecError(
                    f"cannot reach the dask scheduler at {where} ({type(exc).__name__}: {exc}){hint}"
                ) from None
        self.client.register_plugin(JaxWorkerSetup())
        self._where = where

    def describe(self) -> str:
        return f"dask ({self._where})"

    def map_unordered(self, fn, tasks):
        from distributed import as_completed

        token = uuid.uuid4().hex[:12]
        by_key = {}
        futures = []
        for task in tasks:
            key = f"curldescent-batch-{token}-{getattr(task, 'index', len(futures))}"
            fut = self.client.submit(fn, task, key=key, pure=False)
            by_key[fut.key] = task
            futures.append(fut)
        try:
            for fut in as_completed(futures, loop=self.client.loop):
                task = by_key[fut.key]
                if fut.status == "error":
                    exc = fut.exception()
                    fut.release()
                    yield task, exc
                elif fut.status == "cancelled":
                    fut.release()
                    yield task, RuntimeError("task was cancelled (lost by the cluster)")
                else:
                    result = fut.result()
                    fut.release()
                    yield task, result
        finally:
            pending = [f for f in futures if f.status == "pending"]
            if pending:
                self.client.cancel(pending)

    def close(self) -> None:
        if self._own_client:
            self.client.close()
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


def _wait_for_file(path: str, timeout: float) -> None:
    """Wait up to ``timeout`` seconds for a scheduler file (the scheduler may still be starting)."""
    deadline = time.monotonic() + timeout
    while not os.path.isfile(path):
        if time.monotonic() > deadline:
            raise SpecError(
                f"scheduler file {path} not found (waited {timeout:g} s); start the scheduler "
                "with 'dask scheduler --scheduler-file PATH' first"
            )
        time.sleep(0.2)


def make_executor(
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    scheduler_file: str | os.PathLike | None = None,
) -> Executor:
    """The executor for the CLI options ``--workers N`` / ``--scheduler ADDR`` /
    ``--scheduler-file PATH`` (none: in-process)."""
    given = [x is not None for x in (workers, scheduler, scheduler_file)]
    if sum(given) > 1:
        raise SpecError("give either --workers or --scheduler or --scheduler-file, not several")
    if not any(given):
        return InProcessExecutor()
    return DaskExecutor(workers=workers, scheduler=scheduler, scheduler_file=scheduler_file)


def as_executor(executor: Any) -> tuple[Executor, bool]:
    """``(executor, owned)`` from None (in-process), an Executor or a dask Client."""
    if executor is None:
        return InProcessExecutor(), True
    if isinstance(executor, Executor):
        return executor, False
    if hasattr(executor, "submit") and hasattr(executor, "scheduler_info"):
        return DaskExecutor(client=executor), True
    raise SpecError(
        f"executor must be an Executor, a dask Client or None (got {type(executor).__name__})"
    )
