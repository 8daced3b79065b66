"""Sweep throughput: a 400-run linear sweep in-process vs dask.distributed, and the
per-batch overhead of the store and the scheduler.

Workload (the Fig. 3a protocol, shortened): linear student-teacher, M = N = 20, N_train =
250, N_test = 100, batch size 10 with the per-epoch learning-rate convention (0.1),
renormalisation, curl descent with hidden-layer flips; 20 α_h × 20 seeds = 400 runs in 4
batches of 100 (``max_batch = 100``). Each executor runs the sweep twice into new stores:
"cold" includes compilation in fresh processes, "warm" reuses the compiled programs.

Overheads, per batch:

* store: the driver's time to write a batch's region and its done-marker (``write_s``);
* in-process: (wall − engine time) / batches — planning, store, bookkeeping;
* dask: (wall − engine time / workers) / batches — also submit, transfer, gather;
* a "null" sweep of 40 one-run batches (1 epoch, M = N = 2) gives the fixed cost of a
  batch through each executor directly.

Usage::

    .venv/bin/python benchmarks/bench_sweep.py [--workers 2] [--epochs 100] [--md benchmarks/SWEEP.md] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

from curldescent.runtime import configure_runtime

configure_runtime()  # one thread, x64, XLA flags: before JAX does any work

import jax  # noqa: E402
import numpy as np  # noqa: E402

from curldescent.specs import NetworkSpec, RuleSpec, RunSpec, TaskSpec, TrainSpec  # noqa: E402
from curldescent.sweeps import Axis, DaskExecutor, InProcessExecutor, SweepSpec, execute_sweep  # noqa: E402


def workload(epochs: int) -> SweepSpec:
    base = RunSpec(
        network=NetworkSpec(M=20, N=20),
        task=TaskSpec(n_train=250, n_test=100),
        rule=RuleSpec(kind="curl"),
        train=TrainSpec(
            lr=0.1, lr_scale="per_epoch", batch_size=10, epochs=epochs, n_checkpoints=100
        ),
    )
    return SweepSpec(
        name="bench400",
        base=base,
        axes=(Axis("alpha_hidden", np.linspace(0.0, 1.0, 20)), Axis("seed", range(20))),
        max_batch=100,
    )


def null_sweep() -> SweepSpec:
    base = RunSpec(
        network=NetworkSpec(M=2, N=2),
        task=TaskSpec(n_train=4, n_test=4),
        rule=RuleSpec(kind="curl"),
        train=TrainSpec(epochs=1, n_checkpoints=1),
    )
    return SweepSpec(
        name="null", base=base, axes=(Axis("seed", range(40)),), max_batch=1, chunk_size=1
    )


def measure(spec: SweepSpec, executor, root: Path, tag: str) -> dict:
    store = root / f"{tag}.zarr"
    t0 = time.perf_counter()
    rep = execute_sweep(spec, store, executor, progress=False)
    wall = time.perf_counter() - t0
    shutil.rmtree(store)
    return {
        "wall_s": wall,
        "runs": rep.computed_points,
        "batches": rep.computed_batches,
        "compute_s": rep.compute_s,
        "write_s": rep.write_s,
        "runs_per_s": rep.computed_points / wall,
    }


def _median(rows: list[dict]) -> dict:
    """The repeat with the median wall time."""
    return sorted(rows, key=lambda r: r["wall_s"])[len(rows) // 2]


def run(workers: int, epochs: int, repeat: int) -> dict:
    spec = workload(epochs)
    null = null_sweep()
    out: dict = {
        "workload": {
            "runs": spec.size,
            "epochs": epochs,
            "batches": 4,
            "M": 20,
            "N": 20,
            "n_train": 250,
            "batch_size": 10,
        },
        "machine": {
            "cpus": os.cpu_count(),
            "load_avg_start": os.getloadavg(),
            "python": platform.python_version(),
            "jax": jax.__version__,
            "device": str(jax.devices()[0].device_kind),
        },
    }
    root = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    try:
        ip = InProcessExecutor()
        ip_res: dict = {
            "cold": measure(spec, ip, root, "ip_cold"),
            "null_cold": measure(null, ip, root, "ip_null0"),
        }
        t0 = time.perf_counter()
        with DaskExecutor(workers=workers) as dex:
            dex.client.wait_for_workers(workers, timeout=120)
            dk_res: dict = {"workers": workers, "startup_s": time.perf_counter() - t0}
            dk_res["cold"] = measure(spec, dex, root, "dk_cold")
            dk_res["null_cold"] = measure(null, dex, root, "dk_null0")
            # warm runs alternate between the executors, so that a change in the load of
            # this shared machine hits both alike; the median of the repeats is reported
            warm: dict = {"ip": [], "dk": [], "ip_null": [], "dk_null": []}
            for i in range(repeat):
                warm["ip"].append(measure(spec, ip, root, f"ip_warm{i}"))
                warm["dk"].append(measure(spec, dex, root, f"dk_warm{i}"))
                warm["ip_null"].append(measure(null, ip, root, f"ip_null{i}"))
                warm["dk_null"].append(measure(null, dex, root, f"dk_null{i}"))
                print(
                    f"round {i}: in-process {warm['ip'][-1]['runs_per_s']:.1f} runs/s, "
                    f"dask {warm['dk'][-1]['runs_per_s']:.1f} runs/s",
                    file=sys.stderr,
                )
        ip_res.update(warm=_median(warm["ip"]), null=_median(warm["ip_null"]), repeats=warm["ip"])
        dk_res.update(warm=_median(warm["dk"]), null=_median(warm["dk_null"]), repeats=warm["dk"])
        out["in_process"], out["dask"] = ip_res, dk_res
    finally:
        shutil.rmtree(root, ignore_errors=True)
    out["machine"]["load_avg_end"] = os.getloadavg()
    return out


def table(res: dict) -> str:
    ip, dk = res["in_process"], res["dask"]
    w = dk["workers"]

    def per_batch(r: dict, parallel: int) -> float:
        return (r["wall_s"] - r["compute_s"] / parallel) / r["batches"]

    lines = [
        f"Workload: {res['workload']['runs']} runs (linear, M = N = 20, N_train = 250, batch 10, "
        f"{res['workload']['epochs']} epochs), 4 batches of 100 runs. Machine: {res['machine']['cpus']} CPUs, "
        f"load average {res['machine']['load_avg_start'][0]:.1f} at start, {res['machine']['load_avg_end'][0]:.1f} at end "
        f"(the machine is shared), JAX {res['machine']['jax']} on {res['machine']['device']}.",
        "",
        "| executor | cold: wall (s) | cold: runs/s | warm: wall (s) | warm: runs/s | engine time (s) | store per batch (ms) | overhead per batch (ms) | overhead / engine time per batch |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r, par in (("in-process", ip, 1), (f"dask, {w} workers", dk, w)):
        c, m = r["cold"], r["warm"]
        ov = per_batch(m, par)
        frac = ov / (m["compute_s"] / m["batches"])
        lines.append(
            f"| {name} | {c['wall_s']:.1f} | {c['runs_per_s']:.1f} | {m['wall_s']:.1f} | {m['runs_per_s']:.1f} | "
            f"{m['compute_s']:.1f} | {1e3 * m['write_s'] / m['batches']:.0f} | {1e3 * ov:.0f} | {100 * frac:.1f} % |"
        )
    lines += [
        "",
        f"Dask cluster start-up ({w} spawned worker processes): {dk['startup_s']:.1f} s. "
        f"Warm speed-up of dask over in-process: {dk['warm']['runs_per_s'] / ip['warm']['runs_per_s']:.2f}x "
        f"(medians of {len(ip['repeats'])} alternating repeats; in-process warm runs/s: "
        + ", ".join(f"{r['runs_per_s']:.1f}" for r in ip["repeats"])
        + "; dask: "
        + ", ".join(f"{r['runs_per_s']:.1f}" for r in dk["repeats"])
        + ").",
        "Cold = first sweep in fresh processes (includes compiling the sampling and training programs; "
        "each dask worker compiles its own). Overhead per batch = (wall - engine time / workers) / batches: "
        "store writes, planning, store creation and, for dask, submission, transfer and gathering.",
        "",
        "| null batch (1 run, 1 epoch, M = N = 2) | wall per batch, warm (ms) | of which store (ms) |",
        "|---|---|---|",
    ]
    for name, r in (("in-process", ip["null"]), (f"dask, {w} workers", dk["null"])):
        lines.append(
            f"| {name} | {1e3 * r['wall_s'] / r['batches']:.0f} | {1e3 * r['write_s'] / r['batches']:.0f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument(
        "--repeat", type=int, default=3, help="warm repeats per executor (median reported)"
    )
    p.add_argument("--md", type=Path, default=None, help="write the results table (markdown) here")
    p.add_argument("--json", type=Path, default=None, help="write the raw results (JSON) here")
    args = p.parse_args()
    res = run(args.workers, args.epochs, args.repeat)
    text = table(res)
    print(text)
    if args.json:
        args.json.write_text(json.dumps(res, indent=1))
    if args.md:
        args.md.write_text(
            "# Sweep benchmark\n\n"
            "Measured with `.venv/bin/python benchmarks/bench_sweep.py "
            f"--workers {args.workers} --epochs {args.epochs} --repeat {args.repeat} --md benchmarks/SWEEP.md` "
            f"on {time.strftime('%Y-%m-%d')}.\n\n" + text
        )


if __name__ == "__main__":
    main()
