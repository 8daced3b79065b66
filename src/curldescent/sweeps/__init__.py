"""Sweeps at scale: declarative grids, a resumable xarray/zarr store, dask execution.

A :class:`SweepSpec` (a base RunSpec or preset plus :class:`Axis` objects, or a TOML file)
is planned into shape-compatible batches (:func:`plan_sweep`), run by an executor
(:class:`InProcessExecutor` by default, :class:`DaskExecutor` for many cores or a cluster),
and written batch by batch into one zarr store (:class:`SweepStore`) that a re-run
resumes. See ``docs/sweeps.md``.

Examples:
    >>> from curldescent.sweeps import run_sweep
    >>> ds = run_sweep("demo", "demo.zarr", progress=False)  # doctest: +SKIP
"""

from curldescent.sweeps.executors import BatchOutput as BatchOutput
from curldescent.sweeps.executors import BatchTask as BatchTask
from curldescent.sweeps.executors import DaskExecutor as DaskExecutor
from curldescent.sweeps.executors import Executor as Executor
from curldescent.sweeps.executors import InProcessExecutor as InProcessExecutor
from curldescent.sweeps.executors import JaxWorkerSetup as JaxWorkerSetup
from curldescent.sweeps.executors import compute_batch as compute_batch
from curldescent.sweeps.executors import make_executor as make_executor
from curldescent.sweeps.plan import Batch as Batch
from curldescent.sweeps.plan import Plan as Plan
from curldescent.sweeps.plan import plan_sweep as plan_sweep
from curldescent.sweeps.progress import Progress as Progress
from curldescent.sweeps.run import SweepFailed as SweepFailed
from curldescent.sweeps.run import SweepReport as SweepReport
from curldescent.sweeps.run import execute_sweep as execute_sweep
from curldescent.sweeps.run import run_sweep as run_sweep
from curldescent.sweeps.spec import SWEEPS as SWEEPS
from curldescent.sweeps.spec import Axis as Axis
from curldescent.sweeps.spec import SweepSpec as SweepSpec
from curldescent.sweeps.spec import c_axis as c_axis
from curldescent.sweeps.spec import load_sweep as load_sweep
from curldescent.sweeps.spec import resolve_sweep as resolve_sweep
from curldescent.sweeps.spec import sweep_from_dict as sweep_from_dict
from curldescent.sweeps.store import StoreError as StoreError
from curldescent.sweeps.store import SweepStatus as SweepStatus
from curldescent.sweeps.store import SweepStore as SweepStore
from curldescent.sweeps.store import export_netcdf as export_netcdf
from curldescent.sweeps.store import inspect_store as inspect_store
from curldescent.sweeps.store import open_sweep as open_sweep
from curldescent.sweeps.store import sweep_status as sweep_status
