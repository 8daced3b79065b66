"""Run a curldescent sweep on a SLURM or PBS cluster through dask-jobqueue.

Run it on a login node (or in a small, long-running job) inside the environment where
curldescent is installed, with dask-jobqueue as well (``pip install "curldescent[cluster]"``):

    python cluster_sweep.py SWEEP STORE [--pbs] [--jobs 8] [--cores 16] [--memory 32GB]
                            [--walltime 04:00:00] [--queue NAME] [--account NAME]

SWEEP is a TOML sweep file or a built-in sweep name (``curldescent sweep list``); STORE is
the zarr store to write, on a file system the driver can reach (workers never touch it).
Batch jobs start the workers: ``--cores`` single-threaded worker processes per job, up to
``--jobs`` jobs; they run the same Python (``sys.executable``), so the environment must sit
on a file system shared with the compute nodes. The script is the sweep's driver: it
must live until the sweep ends (run it under ``nohup``, ``tmux`` or ``screen``, or as a job
itself). If it dies, the batches already stored are kept: run the same command again to
resume.
"""

from __future__ import annotations

import argparse
import shlex
import sys


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep", help="TOML sweep file or built-in sweep name")
    parser.add_argument("store", help="zarr store to create or resume")
    parser.add_argument("--pbs", action="store_true", help="PBS instead of SLURM")
    parser.add_argument("--jobs", type=int, default=8, help="most batch jobs at once")
    parser.add_argument("--cores", type=int, default=16, help="cores (= workers) per job")
    parser.add_argument("--memory", default="32GB", help="memory per job")
    parser.add_argument("--walltime", default="04:00:00", help="walltime per job")
    parser.add_argument("--queue", default=None, help="queue / partition")
    parser.add_argument("--account", default=None, help="account / project to charge")
    parser.add_argument("--local-directory", default="/tmp", help="node-local scratch")
    args = parser.parse_args(argv)

    from dask_jobqueue import PBSCluster, SLURMCluster
    from distributed import Client

    from curldescent.runtime import runtime_environment
    from curldescent.sweeps import DaskExecutor, run_sweep

    # float64, one XLA/BLAS thread per worker process: set before the worker imports JAX
    prologue = [f"export {k}={shlex.quote(v)}" for k, v in runtime_environment().items()]
    options = dict(
        cores=args.cores,
        processes=args.cores,  # one single-threaded worker process per core
        memory=args.memory,
        walltime=args.walltime,
        queue=args.queue,
        account=args.account,
        python=sys.executable,
        job_script_prologue=prologue,
        local_directory=args.local_directory,
        log_directory="dask-logs",
    )
    if args.pbs:
        cluster = PBSCluster(
            resource_spec=f"select=1:ncpus={args.cores}:mem={args.memory}", **options
        )
    else:
        cluster = SLURMCluster(**options)
    cluster.adapt(minimum_jobs=1, maximum_jobs=args.jobs)
    print(cluster.job_script(), file=sys.stderr)

    with cluster, Client(cluster) as client, DaskExecutor(client=client) as executor:
        ds = run_sweep(args.sweep, args.store, executor=executor)
    print(f"{args.store}: {int(ds.done.sum())} of {ds.done.size} points done")


if __name__ == "__main__":
    main()
