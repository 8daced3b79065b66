"""The accelerator plan of ``reproduce`` and ``sweep``, exercised on the CPU by forcing it."""

import os
import queue

import pytest

from curldescent.runtime import (
    CPU_PLAN,
    FORCE_ACCELERATOR_VAR,
    device_plan,
    pin_device,
    runtime_environment,
)
from curldescent.sweeps import Axis, SweepSpec, plan_sweep


def test_forced_plans_without_asking_jax(monkeypatch):
    monkeypatch.delenv(FORCE_ACCELERATOR_VAR, raising=False)
    assert device_plan("cpu") == CPU_PLAN and CPU_PLAN.devices == 0
    gpu = device_plan("gpu")
    assert (gpu.platform, gpu.devices, gpu.max_batch) == ("gpu", 1, 4096)
    monkeypatch.setenv(FORCE_ACCELERATOR_VAR, "gpu:4")
    four = device_plan()
    assert four.devices == 4
    # one figure process per accelerator, at most one per figure
    assert four.processes(11) == 4 and four.processes(2) == 2 and gpu.processes(11) == 1
    assert 1 <= CPU_PLAN.processes(11) <= 11
    for bad in ("tpu", "gpu:0", "gpu:x", "gpu:-1"):
        with pytest.raises(ValueError, match=FORCE_ACCELERATOR_VAR):
            device_plan(bad)


def test_this_machine_without_gpu_keeps_the_cpu_plan(monkeypatch):
    import jax

    monkeypatch.delenv(FORCE_ACCELERATOR_VAR, raising=False)
    if jax.default_backend() == "cpu":
        assert device_plan() == CPU_PLAN
    else:  # pragma: no cover - on an accelerator
        assert device_plan().devices == jax.local_device_count()


def test_gpu_plan_makes_gpu_sized_batches_and_leaves_cpu_unchanged():
    sweep = SweepSpec(base="demo", axes=(Axis("seed", range(300)),), name="wide")
    assert device_plan("cpu").sized(sweep) is sweep
    cpu = plan_sweep(sweep)
    gpu_spec = device_plan("gpu").sized(sweep)
    gpu = plan_sweep(gpu_spec)
    assert len(cpu.batches) == 3 and max(b.size for b in cpu.batches) <= 128
    assert [b.size for b in gpu.batches] == [300]
    assert gpu_spec.memory_budget_mb >= 8192 and gpu_spec.replace(max_batch=128) != sweep
    # a sweep asking for more than the plan keeps its own size
    big = sweep.replace(max_batch=10_000, memory_budget_mb=20_000.0)
    assert device_plan("gpu").sized(big) == big


def test_figure_sweeps_follow_the_plan(monkeypatch):
    from curldescent.figures._linear import grids
    from curldescent.presets import preset_spec

    def grid():
        return grids.grid_sweep(
            "g", preset_spec("fig4a"), "readout", [0.5], [0.1], [0, 1], total=30
        )

    monkeypatch.setenv(FORCE_ACCELERATOR_VAR, "cpu")
    assert grid().max_batch == 128
    monkeypatch.setenv(FORCE_ACCELERATOR_VAR, "gpu")
    assert grid().max_batch == 4096


def test_each_figure_process_sees_one_device(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,5,7")
    plan = device_plan("gpu:2")
    assert plan.device_ids() == ["2", "5"]
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES")
    assert device_plan("gpu:3").device_ids() == ["0", "1", "2"]
    slots = queue.Queue()
    slots.put("5")
    pin_device(slots)
    assert os.environ["CUDA_VISIBLE_DEVICES"] == "5"


def test_processes_do_not_preallocate_gpu_memory():
    assert runtime_environment()["XLA_PYTHON_CLIENT_PREALLOCATE"] == "false"
