"""Run a sweep: plan it, open (or resume) its store, run the missing batches, write each.

:func:`run_sweep` is the entry point that the CLI and the figure modules call::

    from curldescent.sweeps import run_sweep, DaskExecutor
    ds = run_sweep("demo", "demo.zarr")                                 # in-process
    with DaskExecutor(workers=4) as ex:
        ds = run_sweep("sweep.toml", "big.zarr", executor=ex)           # local cluster

Re-running the same call resumes: batches whose done-marker exists (and whose chunk files
match it) are skipped, so an interrupted sweep (Ctrl-C, a killed driver, a lost worker) or
a damaged store (a deleted or truncated chunk) finishes with exactly the numbers an
uninterrupted run gives.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curldescent.sweeps.executors import BatchTask, Executor, as_executor, compute_batch
from curldescent.sweeps.plan import Plan, plan_sweep
from curldescent.sweeps.progress import Progress, format_duration
from curldescent.sweeps.spec import SweepSpec, resolve_sweep
from curldescent.sweeps.store import SweepStore, open_sweep

__all__ = ["SweepFailed", "SweepReport", "execute_sweep", "run_sweep"]


class SweepFailed(RuntimeError):
    """Some batches raised; the others are stored and a re-run retries the failed ones."""


@dataclass
class SweepReport:
    """What one :func:`execute_sweep` call did.

    ``compute_s`` sums the workers' engine time over the computed batches, ``write_s``
    the driver's store time; ``wall_time_s`` is this call's wall time.
    """

    store: Path
    name: str
    executor: str
    invocation: str
    n_points: int
    n_batches: int
    skipped_batches: int = 0
    skipped_points: int = 0
    computed_batches: int = 0
    computed_points: int = 0
    failed: dict[int, str] = field(default_factory=dict)
    damaged: dict[int, str] = field(default_factory=dict)
    wall_time_s: float = 0.0
    compute_s: float = 0.0
    write_s: float = 0.0

    def summary(self) -> str:
        rate = self.computed_points / self.wall_time_s if self.wall_time_s > 0 else 0.0
        text = (
            f"sweep {self.name}: {self.computed_points} runs in {self.computed_batches} batches computed, "
            f"{self.skipped_points} already done, "
            + (f"{len(self.damaged)} damaged batches redone, " if self.damaged else "")
            + f"{len(self.failed)} batches failed; "
            f"{format_duration(self.wall_time_s)} ({rate:.1f} runs/s, {self.executor}) -> {self.store}"
        )
        return text


def _task(plan: Plan, index: int) -> BatchTask:
    spec = plan.spec
    batch = plan.batches[index]
    return BatchTask(
        index=index,
        specs=tuple(plan.batch_specs(batch)),
        epochs=plan.epochs,
        sizes=plan.sizes,
        store_weights=spec.store_weights,
        chunk_size=spec.chunk_size,
        fast=spec.fast,
        threshold=spec.convergence_threshold,
        largest_batch=max(b.size for b in plan.batches),
    )


def execute_sweep(
    spec: SweepSpec | str | Path,
    store: str | Path,
    executor: Executor | Any = None,
    *,
    progress: bool | Callable[[int, int], None] | None = None,
) -> SweepReport:
    """Run the batches of ``spec`` that ``store`` does not hold yet; return a report.

    Args:
        spec: a :class:`~curldescent.sweeps.SweepSpec`, a TOML path or a built-in name.
        store: the zarr store's path (created if absent or an empty folder).
        executor: None (in-process), an :class:`~curldescent.sweeps.Executor`, or a dask
            ``Client``. An executor passed in is not closed.
        progress: None or True: progress bar with ETA on stderr (a line every 10 s when
            stderr is not a terminal); False: silent; a callable: called as
            ``progress(runs_done, runs_total)`` after every stored batch.

    Returns:
        A :class:`SweepReport`.

    Raises:
        SpecError: an invalid spec or grid point (before any work or store change).
        StoreError: ``store`` is foreign, corrupt, of another spec, or in use.
        SweepFailed: some batches raised (the rest are stored; re-run to retry).
    """
    t0 = time.perf_counter()
    sweep = resolve_sweep(spec)
    plan = plan_sweep(sweep)
    ex, owned = as_executor(executor)
    try:
        st = SweepStore.open(store, plan)
        report = SweepReport(
            store=Path(store),
            name=sweep.name,
            executor=ex.describe(),
            invocation=st.invocation,
            n_points=plan.n_points,
            n_batches=len(plan.batches),
        )
        with st.locked():
            done, report.damaged = st.batch_states()
            todo = [b.index for b in plan.batches if b.index not in done]
            report.skipped_batches = len(done)
            report.skipped_points = sum(plan.batches[i].size for i in done)
            callback = progress if callable(progress) else None
            bar = Progress(
                plan.n_points,
                report.skipped_points,
                label=f"sweep {sweep.name}",
                enabled=progress is None or progress is True,
            )
            st.begin(ex.describe(), len(todo))
            try:
                if todo:
                    tasks = [_task(plan, i) for i in todo]
                    for task, result in ex.map_unordered(compute_batch, tasks):
                        batch = plan.batches[task.index]
                        if isinstance(result, BaseException):
                            st.mark_failed(batch, result)
                            report.failed[batch.index] = f"{type(result).__name__}: {result}"
                            continue
                        report.write_s += st.write_batch(
                            batch,
                            result.data,
                            {"compute_s": result.compute_s, "worker": result.worker},
                        )
                        report.compute_s += result.compute_s
                        report.computed_batches += 1
                        report.computed_points += batch.size
                        bar.update(batch.size)
                        if callback is not None:
                            callback(bar.done, plan.n_points)
            finally:
                bar.close()
                st.end(report.computed_batches, len(report.failed))
    finally:
        if owned:
            ex.close()
    report.wall_time_s = time.perf_counter() - t0
    if report.failed:
        first = min(report.failed)
        raise SweepFailed(
            f"sweep {sweep.name}: {len(report.failed)} of {len(plan.batches)} batches failed "
            f"(batch {first}: {report.failed[first]}); the other batches are stored in {store}; "
            "re-run the same command to retry"
        )
    return report


def run_sweep(
    spec: SweepSpec | str | Path,
    store: str | Path,
    executor: Executor | Any = None,
    *,
    progress: bool | Callable[[int, int], None] | None = None,
):
    """Run (or resume) a sweep and return its Dataset (see :func:`execute_sweep`).

    The Dataset has one dimension per swept axis plus ``epoch``; variables
    ``train_error``, ``test_error`` (swept dims × epoch), ``diverged``, ``done`` and the
    derived metrics ``final_train_error``, ``final_test_error``,
    ``final_log10_test_error``, ``peak_log10_test_error``, ``convergence_epoch`` (and ``q``
    with a final window; weights with ``store_weights``); attrs hold the spec as JSON,
    versions, device and times. It is read lazily from the store.

    Switches JAX to float64 in the calling process (the stores are float64).

    Examples:
        >>> ds = run_sweep("demo", "demo.zarr", progress=False)  # doctest: +SKIP
        >>> ds.final_log10_test_error.mean("seed").sel(rule="curl")  # doctest: +SKIP
    """
    execute_sweep(spec, store, executor, progress=progress)
    return open_sweep(store)
