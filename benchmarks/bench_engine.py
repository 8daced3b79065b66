"""Engine throughput vs the plain-NumPy protocol baseline, in one process, one core.

Measures run-epochs per second of ``curldescent.engine.simulate_batch`` (after
compilation; compile time reported separately) and of ``numpy_baseline.train_numpy`` (one
run at a time, per-step matrix products, float64) on the three workloads of issue 2:

  (a) linear, M = N = 110, N_train = 250, full batch, 128 runs batched (Fig. 4 workload);
  (b) linear, same sizes, batch size 10 (Fig. 3a workload);
  (c) tanh, M = 100, N = 10, N_train = 2000, batch size 10 (Fig. 5 workload),

and the fraction of this core's float64 peak (a single-threaded 1500×1500 DGEMM) that the
engine's useful floating-point work reaches, and the share of the engine's time spent
sampling the initial states (tasks, students; the baseline's timing excludes its own).
Everything runs with one XLA/BLAS thread.

Usage::

    .venv/bin/python benchmarks/bench_engine.py [--scale 1.0] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

from curldescent.runtime import configure_runtime

configure_runtime()  # one thread, x64, XLA flags — before NumPy/JAX do any work

import jax  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
import numpy_baseline as nb  # noqa: E402

from curldescent.engine import initial_states, simulate_batch  # noqa: E402
from curldescent.presets import preset_spec  # noqa: E402


def _flops_per_run_epoch(name: str, M: int, N: int, n: int, B: int) -> float:
    """Useful floating-point operations of the engine's path per run and epoch (model)."""
    if name == "a":  # u = W2 W1, u C, W1 [G; b]^T, rank-1 update + rescale
        return 2 * N * M + 2 * M * M + 4 * N * M + 3 * N * M
    steps = n / B
    if name == "b":  # per step: u, e, G, W1 [G; b]^T, rank-1 update + rescale
        return steps * (2 * N * M + 4 * B * M + 4 * N * M + 3 * N * M)
    # (c) direct path per step: W1 x, W2 h, backprop, two weight gradients, update
    return steps * (4 * B * M * N + 8 * B * N + 6 * N * M)


WORKLOADS = {
    "a": dict(
        label="(a) linear 110×110, N_train 250, full batch",
        preset="fig4a",
        changes={"rule.alpha_readout": 0.3},
        runs=128,
        epochs=2000,
        base_epochs=300,
        baseline="fig4",
        M=110,
        N=110,
        n=250,
        B=250,
        target=25,
    ),
    "b": dict(
        label="(b) linear 110×110, N_train 250, batch 10",
        preset="fig3a",
        changes={"rule.alpha_hidden": 0.3},
        runs=64,
        epochs=200,
        base_epochs=40,
        baseline="fig3a",
        M=110,
        N=110,
        n=250,
        B=10,
        target=10,
    ),
    "c": dict(
        label="(c) tanh 100→10, N_train 2000, batch 10",
        preset="fig5",
        changes={},
        runs=32,
        epochs=20,
        base_epochs=4,
        baseline="fig5",
        M=100,
        N=10,
        n=2000,
        B=10,
        target=10,
    ),
}


def peak_gflops() -> float:
    a = np.random.default_rng(0).standard_normal((1500, 1500))
    a @ a
    t = time.perf_counter()
    for _ in range(3):
        a @ a
    return 3 * 2 * 1500**3 / (time.perf_counter() - t) / 1e9


def bench(name: str, scale: float) -> dict:
    w = WORKLOADS[name]
    runs, epochs = w["runs"], max(2, int(w["epochs"] * scale))
    base = preset_spec(
        w["preset"],
        **{
            "network.M": w["M"],
            "network.N": w["N"],
            "train.epochs": epochs,
            "train.n_checkpoints": 20,
            **w["changes"],
        },
    )
    specs = [base.replace(seed=s) for s in range(runs)]
    t = time.perf_counter()
    simulate_batch(specs)
    first = time.perf_counter() - t
    t = time.perf_counter()
    simulate_batch(specs)
    steady = time.perf_counter() - t
    engine = runs * epochs / steady
    initial_states(specs)  # compile the sampler for this batch shape
    t = time.perf_counter()
    jax.block_until_ready(initial_states(specs))
    # drawing tasks and students: inside `steady`, outside NumPy's timing
    sampling = time.perf_counter() - t
    bw = dict(nb.WORKLOADS[w["baseline"]])
    bw.update(M=w["M"], N=w["N"])
    baseline = nb.time_epochs(**bw, epochs=max(1, int(w["base_epochs"] * scale)))
    gflops = engine * _flops_per_run_epoch(name, w["M"], w["N"], w["n"], w["B"]) / 1e9
    return dict(
        workload=w["label"],
        runs=runs,
        epochs=epochs,
        engine_run_epochs_per_s=engine,
        sampling_share=min(sampling / steady, 1.0),
        baseline_run_epochs_per_s=baseline,
        speedup=engine / baseline,
        target=w["target"],
        compile_s=max(first - steady, 0.0),
        engine_gflops=gflops,
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="scale the epoch counts (e.g. 0.2 for a quick check)",
    )
    p.add_argument("--only", default="abc", help="workloads to run, e.g. 'ac'")
    p.add_argument("--json", type=Path, help="write the results as JSON here")
    args = p.parse_args()
    peak = peak_gflops()
    rows = [bench(k, args.scale) for k in args.only]
    info = dict(
        machine=platform.processor() or platform.machine(),
        python=platform.python_version(),
        jax=jax.__version__,
        numpy=np.__version__,
        backend=jax.default_backend(),
        device=str(jax.devices()[0].device_kind),
        peak_gflops_1core=peak,
    )
    print(
        f"machine: {info['device']} ({info['backend']}), JAX {info['jax']}, NumPy {info['numpy']}; "
        f"single-core float64 DGEMM peak {peak:.1f} GFLOP/s"
    )
    print(
        "| workload | runs × epochs | engine run-epochs/s | NumPy run-epochs/s | speed-up (target) | compile s | engine GFLOP/s (% of peak) | sampling share |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['workload']} | {r['runs']} × {r['epochs']} | {r['engine_run_epochs_per_s']:,.0f} | "
            f"{r['baseline_run_epochs_per_s']:,.1f} | **{r['speedup']:.1f}×** (≥ {r['target']}×) | "
            f"{r['compile_s']:.1f} | {r['engine_gflops']:.2f} ({100 * r['engine_gflops'] / peak:.0f}%) | "
            f"{100 * r['sampling_share']:.0f}% |"
        )
    if args.json:
        args.json.write_text(json.dumps(dict(info=info, rows=rows), indent=2))


if __name__ == "__main__":
    main()
