"""Sweeps on dask.distributed and under faults: a LocalCluster of 2 worker processes over
TCP on 127.0.0.1 gives the in-process dataset bit for bit; a worker killed mid-sweep and a
driver SIGKILLed mid-sweep both end in the uninterrupted dataset."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import xarray as xr

from curldescent.specs import NetworkSpec, RuleSpec, RunSpec, TaskSpec, TrainSpec
from curldescent.sweeps import (
    Axis,
    DaskExecutor,
    SweepSpec,
    execute_sweep,
    make_executor,
    open_sweep,
    run_sweep,
)
from curldescent.sweeps.executors import compilation_cache_env

BASE = RunSpec(
    network=NetworkSpec(M=6, N=4),
    task=TaskSpec(n_train=16, n_test=8),
    rule=RuleSpec(kind="curl"),
    train=TrainSpec(epochs=30, n_checkpoints=8, lr=0.1),
)


def small_sweep() -> SweepSpec:
    """24 runs in 8 batches of 3 (as in test_sweep.py, whose compiled programs it shares)."""
    return SweepSpec(
        name="small",
        base=BASE,
        axes=(
            Axis("rule", ["gradient", "curl"]),
            Axis("alpha_hidden", [0.0, 0.5]),
            Axis("seed", range(6)),
        ),
        max_batch=3,
        chunk_size=3,
    )


def data_only(ds: xr.Dataset) -> xr.Dataset:
    out = ds.load().copy()
    out.attrs = {}
    return out


def markers(store: Path) -> dict[str, bytes]:
    return {
        p.name: p.read_bytes() for p in sorted((Path(store) / "_sweep" / "done").glob("b*.json"))
    }


@pytest.fixture(scope="module")
def reference(jax_compile_cache, tmp_path_factory) -> xr.Dataset:
    return run_sweep(
        small_sweep(), tmp_path_factory.mktemp("ref") / "s.zarr", progress=False
    ).load()


@pytest.fixture(scope="module")
def cluster(jax_compile_cache):
    """DaskExecutor(workers=2): LocalCluster(n_workers=2, threads_per_worker=1,
    processes=True (spawned), host=127.0.0.1, dashboard_address=None)."""
    ex = DaskExecutor(workers=2, timeout=60)
    try:
        ex.client.wait_for_workers(2, timeout=120)
        yield ex
    finally:
        ex.close()


@pytest.mark.timeout(300)
def test_local_cluster_gives_the_in_process_dataset_bit_for_bit(cluster, reference, tmp_path):
    assert cluster.client.scheduler.address.startswith("tcp://127.0.0.1:")
    store = tmp_path / "dask.zarr"
    report = execute_sweep(small_sweep(), store, cluster, progress=False)
    assert report.computed_batches == 8 and report.executor.startswith("dask")
    xr.testing.assert_identical(data_only(open_sweep(store)), data_only(reference))
    workers = {json.loads(m)["worker"] for m in markers(store).values()}
    assert all(not w.endswith(f":{os.getpid()}") for w in workers)  # ran in the workers
    # joining the running cluster by address (--scheduler) gives the same data again
    store2 = tmp_path / "joined.zarr"
    with make_executor(scheduler=cluster.client.scheduler.address) as ex:
        execute_sweep(small_sweep(), store2, ex, progress=False)
    xr.testing.assert_identical(data_only(open_sweep(store2)), data_only(reference))


@pytest.mark.timeout(300)
def test_a_worker_killed_mid_sweep_still_completes_every_point_once(cluster, reference, tmp_path):
    client = cluster.client
    client.wait_for_workers(2, timeout=120)
    killed: dict = {}

    def kill_a_busy_worker(done: int, total: int) -> None:
        if killed:
            return
        pids = client.run(os.getpid)
        busy = [w for w, keys in client.processing().items() if keys and w in pids]
        target = busy[0] if busy else sorted(pids)[0]
        os.kill(pids[target], signal.SIGKILL)
        killed.update(worker=target, done=done, total=total)

    store = tmp_path / "killed.zarr"
    report = execute_sweep(small_sweep(), store, cluster, progress=kill_a_busy_worker)
    assert killed and killed["done"] < killed["total"]
    assert report.computed_batches == 8 and not report.failed
    assert len(markers(store)) == 8
    ds = open_sweep(store)
    assert bool(ds.done.all())
    xr.testing.assert_identical(data_only(ds), data_only(reference))


@pytest.mark.timeout(300)
def test_a_sigkilled_driver_resumes_with_only_the_missing_points(
    jax_compile_cache, reference, tmp_path
):
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(small_sweep().to_json())
    store = tmp_path / "s.zarr"
    script = (
        "import json, sys, time\n"
        "import jax\n"
        "jax.config.update('jax_enable_x64', True)\n"
        "from curldescent.sweeps import SweepSpec, execute_sweep\n"
        "spec = SweepSpec.from_dict(json.loads(open(sys.argv[1]).read()))\n"
        "execute_sweep(spec, sys.argv[2], progress=lambda done, total: time.sleep(0.5))\n"
    )
    env = {**os.environ, **compilation_cache_env()}
    proc = subprocess.Popen([sys.executable, "-c", script, str(spec_file), str(store)], env=env)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and proc.poll() is None:
            if (store / "_sweep" / "done").is_dir() and len(markers(store)) >= 2:
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the driver ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    before = markers(store)
    assert 2 <= len(before) < 8
    assert (store / "_sweep" / "lock").exists()  # left behind by the killed driver

    report = execute_sweep(small_sweep(), store, progress=False)
    assert report.skipped_batches == len(before)
    assert report.computed_batches == 8 - len(before)
    assert report.computed_points == 3 * (8 - len(before))
    after = markers(store)
    assert {k: after[k] for k in before} == before  # done batches untouched
    xr.testing.assert_identical(data_only(open_sweep(store)), data_only(reference))
