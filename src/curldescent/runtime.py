"""Process-level runtime settings, applied at the edges (CLI, tests, benchmarks, workers).

The library never changes global JAX state on import; entry points call
:func:`configure_runtime` **before** JAX is first imported.

Why these settings (measured in ``benchmarks/README.md``):

* one XLA and BLAS thread per process: the matrices are small, so multithreading only adds
  synchronisation (up to 7× slower per epoch on 2 cores); parallelism comes from batching
  runs and from one worker process per core;
* ``--xla_cpu_use_thunk_runtime=false``: XLA's older CPU runtime runs our loops of small
  operations about 2× faster and compiles them about 2× faster;
* float64 (``jax_enable_x64``): the paper's 1e-15 perturbations and spectra need it.
"""

from __future__ import annotations

import os
import sys

XLA_CPU_FLAGS = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1 --xla_cpu_use_thunk_runtime=false"
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def runtime_environment() -> dict[str, str]:
    """Environment variables for a process that will run the engine (e.g. a dask worker)."""
    env = {"XLA_FLAGS": XLA_CPU_FLAGS, "MPLBACKEND": "Agg", "JAX_ENABLE_X64": "1"}
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
