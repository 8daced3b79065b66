"""Estimated cost of the ``paper`` profiles of the phase-diagram figures on this machine.

Measures, in one process with one thread, the engine's throughput (run-epochs per CPU
second, after compilation, ``simulate_batch`` of 8 runs) on each figure's paper workload at
every network shape (M, N) of its grid, and adds up, over the runs of the figure's paper
sweeps (taken from the figure modules, so the counts are the ones ``reproduce --profile
paper`` would run), each run's epochs divided by the rate of its shape. The main grids
only: Fig. 3's (b), Lyapunov and slice pieces and Fig. 4's Lyapunov and slice add ~10%.
Takes a few minutes (``--epochs-scale 0.2`` for a rougher, faster estimate).

Usage::

    .venv/bin/python benchmarks/paper_costs.py [--epochs-scale 1.0] [--only fig4]
"""

from __future__ import annotations

import argparse
import collections
import time

from curldescent.runtime import configure_runtime

configure_runtime()

from curldescent.engine import simulate_batch  # noqa: E402
from curldescent.figures import fig3, fig4, fig6, fig8  # noqa: E402
from curldescent.presets import preset_spec  # noqa: E402

#: figure -> (preset, flipped layer, epochs measured, paper sweeps)
WORKLOADS = {
    "fig3a (linear, batch 10)": (
        "fig3a",
        "hidden",
        400,
        lambda: [fig3.sweeps("paper")["a"]],
    ),
    "fig4a+b (linear, full batch)": (
        "fig4a",
        "readout",
        10000,
        lambda: [fig4.sweeps("paper")[k] for k in ("a", "b")],
    ),
    "fig6 (tanh, batch 10)": (
        "fig6",
        "hidden",
        200,
        lambda: list(fig6.sweeps("paper").values()),
    ),
    "fig8 (tanh, full batch)": (
        "fig8",
        "readout",
        1000,
        lambda: list(fig8.sweeps("paper").values()),
    ),
}


def rate(preset: str, layer: str, M: int, N: int, epochs: int, runs: int = 8) -> float:
    """Run-epochs per CPU second of an M-input, N-hidden network (compiled beforehand)."""
    over = {
        "network.M": M,
        "network.N": N,
        "train.epochs": epochs,
        "train.n_checkpoints": 5,
        f"rule.alpha_{layer}": 0.3,
    }
    simulate_batch([preset_spec(preset, seed=s, **over) for s in range(runs)])  # compile
    best = float("inf")
    for rep in range(2):  # the faster of two timings: less noise from other processes
        specs = [preset_spec(preset, seed=100 + 10 * rep + s, **over) for s in range(runs)]
        t = time.process_time()
        simulate_batch(specs)
        best = min(best, time.process_time() - t)
    return runs * epochs / best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs-scale", type=float, default=1.0, help="scale the measured epochs")
    ap.add_argument("--only", default="", help="measure only workloads whose name contains this")
    args = ap.parse_args()
    print(
        "| workload | shapes | run-epochs/s (slowest, median, fastest shape) "
        "| runs × epochs (paper) | core-hours | on 2 cores |"
    )
    print("|---|---|---|---|---|---|")
    for name, (preset, layer, epochs, sweeps) in WORKLOADS.items():
        if args.only not in name:
            continue
        work: collections.Counter = collections.Counter()  # (M, N) -> run-epochs
        for sw in sweeps():
            for spec in sw.point_specs():
                work[(spec.network.M, spec.network.N)] += spec.train.epochs
        n_ep = max(1, round(epochs * args.epochs_scale))
        rates = {shape: rate(preset, layer, *shape, n_ep) for shape in sorted(work)}
        core_h = sum(w / rates[shape] for shape, w in work.items()) / 3600
        r = sorted(rates.values())
        shown = f"{r[0]:,.0f}, {r[len(r) // 2]:,.0f}, {r[-1]:,.0f}"
        total = sum(work.values())
        print(
            f"| {name} | {len(rates)} | {shown} | {total:.3g} | {core_h:,.1f} | {core_h / 2:,.1f} h |",
            flush=True,
        )


if __name__ == "__main__":
    main()
