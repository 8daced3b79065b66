"""A sweep store never lies: damaged chunks and an edited spec are found by ``sweep status``,
refused by ``export`` and repaired (exactly the damaged batches) by a re-run; the store's
lock is a file lock (filelock) released by the operating system when its holder dies.

Same tiny network and chunk size as tests/test_sweep.py (one compiled program, cached).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import xarray as xr

from curldescent.cli.main import main
from curldescent.specs import NetworkSpec, RuleSpec, RunSpec, TaskSpec, TrainSpec
from curldescent.sweeps import (
    Axis,
    StoreError,
    SweepSpec,
    execute_sweep,
    export_netcdf,
    open_sweep,
    sweep_status,
)
from curldescent.sweeps.store import _chunk_coords, _chunk_key

BASE = RunSpec(
    network=NetworkSpec(M=6, N=4),
    task=TaskSpec(n_train=16, n_test=8),
    rule=RuleSpec(kind="curl"),
    train=TrainSpec(epochs=30, n_checkpoints=8, lr=0.1),
)
SWEEP = SweepSpec(
    name="small",
    base=BASE,
    axes=(
        Axis("rule", ["gradient", "curl"]),
        Axis("alpha_hidden", [0.0, 0.5]),
        Axis("seed", range(6)),
    ),
    max_batch=3,
    chunk_size=3,
)  # 24 runs in 8 batches of 3, box (1, 1, 3)
SHAPE, BOX = (2, 2, 6), (1, 1, 3)


@pytest.fixture(scope="module", autouse=True)
def _compile_cache(jax_compile_cache):
    return jax_compile_cache


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    store = tmp_path_factory.mktemp("ref") / "small.zarr"
    execute_sweep(SWEEP, store, progress=False)
    return store


@pytest.fixture
def store(finished, tmp_path) -> Path:
    """A fresh copy of the finished store."""
    return Path(shutil.copytree(finished, tmp_path / "s.zarr"))


def cli(capsys, *args) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main([str(a) for a in args])
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


def data_only(ds: xr.Dataset) -> xr.Dataset:
    out = ds.load().copy()
    out.attrs = {}
    return out


def chunk(store: Path, name: str, batch: int) -> Path:
    ndim = 4 if name in ("train_error", "test_error") else 3
    return store / _chunk_key(name, _chunk_coords(batch, SHAPE, BOX), ndim)


def markers(store: Path) -> dict[str, str]:
    return {f.name: f.read_text() for f in sorted((store / "_sweep" / "done").glob("*.json"))}


def test_damaged_chunks_are_reported_refused_and_repaired_exactly(
    finished, store, tmp_path, capsys
):
    deleted, truncated = chunk(store, "test_error", 1), chunk(store, "final_test_error", 5)
    deleted.unlink()
    with open(truncated, "r+b") as f:
        f.truncate(10)
    before = markers(store)

    status = sweep_status(store)
    assert sorted(status.damaged) == [1, 5] and not status.complete
    assert "test_error/c/0/0/1/0 is missing" in status.damaged[1]
    assert "final_test_error/c/1/0/1 has 10 bytes" in status.damaged[5]
    assert status.done_points == 18 and status.done_batches == 6
    summary = status.summary()
    assert "status:     DAMAGED" in summary and "status:     complete" not in summary
    assert "batch 1: chunk test_error/c/0/0/1/0 is missing" in summary

    code, out, err = cli(capsys, "sweep", "status", store, "--json")
    report = json.loads(out)
    assert code == 0 and report["complete"] is False
    assert [d["batch"] for d in report["damaged_batches"]] == [1, 5]

    code, out, err = cli(capsys, "export", store, "--netcdf", tmp_path / "x.nc")
    assert code == 2 and err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert "is damaged (2 batch(es); batch 1: chunk test_error" in err
    assert not (tmp_path / "x.nc").exists()
    code, out, err = cli(capsys, "export", store, "--netcdf", tmp_path / "p.nc", "--partial")
    assert code == 0 and "(18/24 points)" in out, err
    part = xr.open_dataset(tmp_path / "p.nc", engine="netcdf4").load()
    assert int(part.done.sum()) == 18 and int(part.final_test_error.isnull().sum()) == 6

    rerun = execute_sweep(SWEEP, store, progress=False)
    assert sorted(rerun.damaged) == [1, 5] and rerun.computed_batches == 2
    assert rerun.skipped_batches == 6
    after = markers(store)
    assert {k: v for k, v in after.items() if k not in ("b000001.json", "b000005.json")} == {
        k: v for k, v in before.items() if k not in ("b000001.json", "b000005.json")
    }
    xr.testing.assert_identical(data_only(open_sweep(store)), data_only(open_sweep(finished)))
    assert sweep_status(store).complete and not sweep_status(store).damaged
    code, out, err = cli(capsys, "export", store, "--netcdf", tmp_path / "x.nc")
    assert code == 0 and "(24/24 points)" in out


def test_an_edited_chunk_and_a_stray_chunk_are_damage(store):
    f = chunk(store, "train_error", 2)
    data = bytearray(f.read_bytes())
    data[-1] ^= 0xFF
    f.write_bytes(bytes(data))
    stray = chunk(store, "convergence_epoch", 3)  # censored: the batch wrote no chunk
    assert not stray.exists()
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"x")
    damaged = sweep_status(store).damaged
    assert "does not match its recorded sha256" in damaged[2]
    assert "exists but the batch wrote none" in damaged[3]
    with pytest.raises(StoreError, match="is damaged"):
        export_netcdf(store, store.parent / "x.nc")
    assert execute_sweep(SWEEP, store, progress=False).computed_batches == 2
    assert not sweep_status(store).damaged and not stray.exists()


def test_an_edited_spec_is_caught_on_every_open_and_restored_by_a_rerun(store, tmp_path, capsys):
    meta = json.loads((store / "zarr.json").read_text())
    spec = json.loads(meta["attributes"]["sweep_spec"])
    spec["base"]["train"]["epochs"] = 3000
    meta["attributes"]["sweep_spec"] = json.dumps(spec)
    (store / "zarr.json").write_text(json.dumps(meta))
    before = markers(store)

    for args in (("sweep", "status", store), ("export", store, "--netcdf", tmp_path / "x.nc")):
        code, out, err = cli(capsys, *args)
        assert code == 2 and "is damaged: its stored sweep spec does not match" in err
        assert len(err.strip().splitlines()) == 1
    with pytest.raises(StoreError, match="stored sweep spec does not match"):
        open_sweep(store)
    edited = SweepSpec.from_dict(spec)  # the edited spec is not accepted either
    with pytest.raises(StoreError, match="this spec does not match it either"):
        execute_sweep(edited, store, progress=False)

    rerun = execute_sweep(SWEEP, store, progress=False)
    assert rerun.computed_batches == 0 and not rerun.damaged
    assert markers(store) == before
    assert json.loads(open_sweep(store).attrs["sweep_spec"]) == json.loads(SWEEP.to_json())
    assert sweep_status(store).complete


def test_diverged_points_are_counted(tmp_path, capsys):
    sweep = SweepSpec(
        name="div",
        base=BASE.replace(**{"train.lr": 1e6, "train.renormalize": False}),
        axes=(Axis("rule", ["gradient", "curl"]), Axis("seed", range(3))),
        max_batch=3,
        chunk_size=3,
    )
    store = tmp_path / "d.zarr"
    execute_sweep(sweep, store, progress=False)
    ds = open_sweep(store).load()
    n = int(ds.diverged.sum())
    assert n == 6
    status = sweep_status(store)
    assert status.diverged_points == n and "6 diverged" in status.summary()
    code, out, err = cli(capsys, "sweep", "status", store, "--json")
    assert json.loads(out)["diverged_points"] == n


HOLD = """
import sys, time
from filelock import FileLock
lock = FileLock(sys.argv[1], timeout=0)
lock.acquire()
print("held", flush=True)
time.sleep(120)
"""


def test_the_lock_is_a_file_lock_released_when_its_holder_dies(store):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(store / "_sweep" / "lock")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(StoreError, match="is in use by another process"):
            execute_sweep(SWEEP, store, progress=False)
        assert sweep_status(store).in_use_by == "another process"
    finally:
        holder.kill()
        holder.wait(timeout=30)
    t0 = time.monotonic()
    assert execute_sweep(SWEEP, store, progress=False).computed_batches == 0
    assert time.monotonic() - t0 < 30
    status = sweep_status(store)
    assert status.in_use_by is None and status.complete
    assert not (store / "_sweep" / "lock.json").exists()
