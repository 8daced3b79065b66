"""Limits on what a run or a sweep may ask for, derived from memory and time.

* **Integers** in a spec (sizes, epochs, checkpoints, seeds) are at most
  :data:`MAX_INT` = 2**63 - 1, the largest int64.
* **Memory**: a run's state and outputs (data, weights with their accumulators, the
  checkpoint grid, error trajectories, recorded weights, minibatch activations;
  :func:`run_bytes`) must fit in :data:`MEMORY_FRACTION` of this machine's physical memory.
  A larger run is refused when its spec is made, with the estimate in the message.
* **Time**: ``curldescent train`` estimates a run's duration (:func:`run_seconds`: about
  :data:`FLOPS_PER_S` floating-point operations per second plus :data:`STEP_S` per update),
  warns above :data:`WARN_S` and refuses above :data:`CONFIRM_S` unless given ``--yes``.
* **Sweeps**: at most :data:`MAX_SWEEP_POINTS` points, and a generated axis at most as many
  values (planning holds and validates every point's spec, about 2 kB each).

See ``docs/limits.md``.
"""

from __future__ import annotations

import functools
import math
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from curldescent.specs import RunSpec

__all__ = [
    "CONFIRM_S",
    "MAX_INT",
    "MAX_SWEEP_POINTS",
    "MEMORY_FRACTION",
    "WARN_S",
    "check_run_memory",
    "format_bytes",
    "format_seconds",
    "memory_limit",
    "run_bytes",
    "run_seconds",
]

MAX_INT = 2**63 - 1
MEMORY_FRACTION = 0.5
MAX_SWEEP_POINTS = 1_000_000
FLOPS_PER_S = 2e9
STEP_S = 2e-6
WARN_S = 3600.0
CONFIRM_S = 86400.0


@functools.cache
def physical_memory() -> int:
    """This machine's physical memory in bytes (8 GiB where the OS does not say)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return 8 * 2**30


def memory_limit() -> int:
    """The most memory one run may need, in bytes."""
    return int(MEMORY_FRACTION * physical_memory())


def format_bytes(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if n < 1000 or unit == "PB":
            return f"{n:.3g} {unit}"
        n /= 1000
    raise AssertionError  # pragma: no cover


def format_seconds(s: float) -> str:
    for unit, size in (("years", 365.25 * 86400), ("days", 86400), ("h", 3600), ("min", 60)):
        if s >= size:
            return f"{s / size:.3g} {unit}"
    return f"{s:.3g} s"


def _checkpoint_bound(spec: RunSpec) -> int:
    """At least the number of checkpoint epochs (computed without building the grid)."""
    t = spec.train
    return min(t.n_checkpoints, t.epochs) + t.final_window + 2


def run_bytes(spec: RunSpec, n_checkpoints: int | None = None) -> int:
    """Estimated host memory of one run in a batch (float64): training and test data,
    teacher and student weights with their update and window accumulators, the error
    trajectories, recorded weights, and the minibatch activations. ``n_checkpoints``
    defaults to the run's number of checkpoint epochs."""
    if n_checkpoints is None:
        from curldescent.sweeps.plan import checkpoint_grid

        n_checkpoints = len(checkpoint_grid(spec))
    net = spec.network
    n_w = net.N * net.M + net.K * net.N
    T = n_checkpoints
    data = (spec.task.n_train + spec.task.n_test) * (net.M + net.K)
    state = 8 * n_w
    traj = 2 * T + (T * n_w if spec.train.record_weights else 0)
    work = 4 * spec.batch_size * (net.M + net.N + net.K)
    return 8 * (data + state + traj + work)


def check_run_memory(spec: RunSpec) -> None:
    """Refuse a run whose state and outputs would not fit in memory (see module docs).

    Raises:
        SpecError: naming the estimate and the limit.
    """
    from curldescent.specs import SpecError

    need = run_bytes(spec, _checkpoint_bound(spec)) + 3 * 8 * spec.train.n_checkpoints
    limit = memory_limit()
    if need > limit:
        n, t = spec.network, spec.task
        raise SpecError(
            f"this run would need about {format_bytes(need)} of memory (M={n.M}, N={n.N}, K={n.K}, "
            f"n_train={t.n_train}, n_test={t.n_test}, n_checkpoints={spec.train.n_checkpoints}"
            f"{', record_weights' if spec.train.record_weights else ''}); the limit is "
            f"{format_bytes(limit)} ({MEMORY_FRACTION:.0%} of this machine's memory)"
        )


def run_seconds(spec: RunSpec) -> float:
    """Rough single-core duration of one run in seconds: ``epochs`` times (updates per epoch
    x :data:`STEP_S` + about 6 flops per weight and training example / :data:`FLOPS_PER_S`),
    plus the error evaluations at the checkpoints."""
    net, t = spec.network, spec.task
    n_w = net.N * net.M + net.K * net.N
    steps = math.ceil(t.n_train / spec.batch_size)
    per_epoch = steps * STEP_S + 6 * t.n_train * n_w / FLOPS_PER_S
    evals = _checkpoint_bound(spec) * 2 * (t.n_train + t.n_test) * n_w / FLOPS_PER_S
    return spec.train.epochs * per_epoch + evals
