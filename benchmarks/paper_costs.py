"""Estimated cost of the ``paper`` profiles of the phase-diagram figures on this machine.

Measures, in one process with one thread, the engine's throughput (run-epochs per CPU
second, after compilation, ``simulate_batch``) on each figure's paper workload at three
compression ratios of its grid, and multiplies the mean time per run-epoch by the number
of runs and epochs of the figure's paper sweeps (taken from the figure modules, so the
counts are the ones ``reproduce --profile paper`` would run). The main grids only: Fig. 3's
(b), Lyapunov and slice pieces and Fig. 4's Lyapunov and slice add ~10%.

Usage::

    .venv/bin/python benchmarks/paper_costs.py [--epochs-scale 1.0]
"""

from __future__ import annotations

import argparse
import time

from curldescent.runtime import configure_runtime

configure_runtime()

from curldescent.engine import simulate_batch  # noqa: E402
from curldescent.figures import fig3, fig4, fig6, fig8  # noqa: E402
from curldescent.presets import preset_spec, sizes_for_c  # noqa: E402

#: figure -> (preset, flipped layer, c values measured, epochs measured, paper sweeps)
WORKLOADS = {
    "fig3a (linear, batch 10)": (
        "fig3a",
        "hidden",
        (0.1, 1.0, 10.0),
        400,
        lambda: [fig3.sweeps("paper")["a"]],
    ),
    "fig4a+b (linear, full batch)": (
        "fig4a",
        "readout",
        (0.01, 1.0, 10.0),
        2000,
        lambda: [fig4.sweeps("paper")[k] for k in ("a", "b")],
    ),
    "fig6 (tanh, batch 10)": (
        "fig6",
        "hidden",
        (0.1, 1.0, 10.0),
        200,
        lambda: list(fig6.sweeps("paper").values()),
    ),
    "fig8 (tanh, full batch)": (
        "fig8",
        "readout",
        (0.01, 1.0, 10.0),
        1000,
        lambda: list(fig8.sweeps("paper").values()),
    ),
}


def rate(preset: str, layer: str, c: float, epochs: int, runs: int = 8) -> float:
    """Run-epochs per CPU second at compression ratio ``c`` (compiled beforehand)."""
    M, N = sizes_for_c(c)
    over = {
        "network.M": M,
        "network.N": N,
        "train.epochs": epochs,
        "train.n_checkpoints": 5,
        f"rule.alpha_{layer}": 0.3,
    }
    simulate_batch([preset_spec(preset, seed=s, **over) for s in range(runs)])  # compile
    specs = [preset_spec(preset, seed=100 + s, **over) for s in range(runs)]
    t = time.process_time()
    simulate_batch(specs)
    return runs * epochs / (time.process_time() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs-scale", type=float, default=1.0, help="scale the measured epochs")
    args = ap.parse_args()
    print("| workload | run-epochs/s at each c | runs × epochs (paper) | core-hours | on 2 cores |")
    print("|---|---|---|---|---|")
    for name, (preset, layer, cs, epochs, sweeps) in WORKLOADS.items():
        rates = {c: rate(preset, layer, c, max(1, round(epochs * args.epochs_scale))) for c in cs}
        sec_per_run_epoch = sum(1 / r for r in rates.values()) / len(rates)
        work = sum(sw.size * sw.base.train.epochs for sw in sweeps())
        core_h = work * sec_per_run_epoch / 3600
        shown = ", ".join(f"c={c:g}: {r:,.0f}" for c, r in rates.items())
        print(
            f"| {name} | {shown} | {work:.3g} | {core_h:,.0f} | {core_h / 2:,.0f} h |", flush=True
        )


if __name__ == "__main__":
    main()
