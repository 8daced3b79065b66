"""Process-level runtime settings, applied at the edges (CLI, tests, benchmarks, workers).

The library never changes global JAX state on import; entry points call
:func:`configure_runtime` **before** JAX is first imported.

Why these settings (measured in ``benchmarks/README.md``):

* one XLA and BLAS thread per process: the matrices are small, so multithreading only adds
  synchronisation (up to 7× slower per epoch on 2 cores); parallelism comes from batching
  runs and from one worker process per core;
* ``--xla_cpu_use_thunk_runtime=false``: XLA's older CPU runtime runs our loops of small
  operations about 2× faster and compiles them about 2× faster;
* float64 (``jax_enable_x64``): the paper's 1e-15 perturbations and spectra need it;
* ``XLA_PYTHON_CLIENT_PREALLOCATE=false``: on a GPU, JAX would otherwise reserve 75% of the
  device's memory in every process (the driver and each figure process).

:func:`device_plan` decides how ``reproduce`` and ``sweep`` use the machine: on the CPU one
process per core and CPU-sized batches; when JAX sees GPUs, one process per GPU and
GPU-sized batches. ``CURLDESCENT_FORCE_ACCELERATOR=gpu`` (or ``=gpu:4`` for four devices)
makes the plan believe GPUs are present without asking JAX (tests, dry runs);
``=cpu`` forces the CPU plan.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

XLA_CPU_FLAGS = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1 --xla_cpu_use_thunk_runtime=false"
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
FORCE_ACCELERATOR_VAR = "CURLDESCENT_FORCE_ACCELERATOR"


def runtime_environment() -> dict[str, str]:
    """Environment variables for a process that will run the engine (e.g. a dask worker)."""
    env = {
        "XLA_FLAGS": XLA_CPU_FLAGS,
        "MPLBACKEND": "Agg",
        "JAX_ENABLE_X64": "1",
        "XLA_PYTHON_CLIENT_PREALLOCATE": "false",
    }
    env.update({v: "1" for v in THREAD_VARS})
    return env


def configure_runtime(*, x64: bool = True) -> None:
    """Set the environment defaults above (without overriding what the user set) and, if
    ``x64``, switch JAX to float64. Call before importing JAX for the XLA flags to apply.

    Does not import JAX: before JAX starts, float64 is requested through
    ``JAX_ENABLE_X64=1`` (so ``curldescent --help`` stays fast)."""
    for key, value in runtime_environment().items():
        if key != "JAX_ENABLE_X64":
            os.environ.setdefault(key, value)
    if x64:
        if "jax" in sys.modules:
            sys.modules["jax"].config.update("jax_enable_x64", True)
        else:
            os.environ["JAX_ENABLE_X64"] = "1"


@dataclass(frozen=True)
class DevicePlan:
    """How to use this machine (see :func:`device_plan`).

    Attributes:
        platform: JAX's backend name: ``"cpu"``, ``"gpu"`` (CUDA or ROCm), ...
        devices: accelerators to use (0 on the CPU).
        max_batch: least runs per sweep batch (one store region, one engine call); the
            sweeps' own ``max_batch`` (128) is kept on the CPU.
        memory_budget_mb: least memory one sweep batch may use.
    """

    platform: str
    devices: int
    max_batch: int
    memory_budget_mb: float

    def processes(self, tasks: int) -> int:
        """Processes to run ``tasks`` independent jobs (figures) side by side: one per CPU
        core, or one per accelerator; at most one per task."""
        if self.platform == "cpu":
            try:
                cores = len(os.sched_getaffinity(0))
            except AttributeError:  # not on Linux
                cores = os.cpu_count() or 1
        else:
            cores = self.devices
        return max(1, min(cores, tasks))

    def device_ids(self) -> list[str]:
        """The accelerators' ids as ``CUDA_VISIBLE_DEVICES`` names them (``0 .. devices-1``
        unless that variable already selects some)."""
        visible = os.environ.get("CUDA_VISIBLE_DEVICES", "")
        ids = [d.strip() for d in visible.split(",") if d.strip()]
        return (ids or [str(i) for i in range(self.devices)])[: self.devices]

    def sized(self, sweep):
        """``sweep`` (a :class:`~curldescent.sweeps.SweepSpec`) with batches at least this
        plan's size: unchanged on the CPU; on a GPU, ``max_batch`` and ``memory_budget_mb``
        raised so that one engine call vectorises 512 runs (the engine's accelerator chunk).
        The partition is part of the spec, so a store started on one platform resumes only
        there; the numbers do not depend on it."""
        if self.platform == "cpu":
            return sweep
        return sweep.replace(
            max_batch=max(sweep.max_batch, self.max_batch),
            memory_budget_mb=max(sweep.memory_budget_mb, self.memory_budget_mb),
        )


CPU_PLAN = DevicePlan("cpu", 0, max_batch=128, memory_budget_mb=1024.0)


def device_plan(force: str | None = None) -> DevicePlan:
    """The plan for this machine: :data:`CPU_PLAN`, or one process per GPU with batches
    of up to 4096 runs in 8 GiB when JAX's default backend is a GPU.

    Args:
        force: ``"cpu"``, ``"gpu"`` or ``"gpu:N"`` (N devices) instead of asking JAX;
            default: the environment variable ``CURLDESCENT_FORCE_ACCELERATOR``, if set.

    Raises:
        SpecError: ``force`` is not one of these forms.
    """
    force = force if force is not None else os.environ.get(FORCE_ACCELERATOR_VAR) or None
    if force is None:
        import jax

        platform = jax.default_backend()
        devices = jax.local_device_count() if platform != "cpu" else 0
    else:
        platform, _, count = force.strip().lower().partition(":")
        if platform not in ("cpu", "gpu") or (count and not count.isdigit()) or count == "0":
            from curldescent.specs import SpecError

            raise SpecError(
                f"{FORCE_ACCELERATOR_VAR} must be cpu, gpu or gpu:N with N >= 1 (got {force!r})"
            )
        devices = int(count or 1) if platform == "gpu" else 0
    if platform == "cpu":
        return CPU_PLAN
    return DevicePlan(platform, devices, max_batch=4096, memory_budget_mb=8192.0)


def pin_device(slots) -> None:
    """Process-pool initializer: take one accelerator index from the queue ``slots`` and
    make it this process's only visible device (before JAX starts)."""
    os.environ["CUDA_VISIBLE_DEVICES"] = str(slots.get())
