"""Results do not change: a fixed set of small runs through every public route that runs the
learning dynamics (``simulate``/``simulate_batch``, the flow, the map continuation and the
example run of the linear-phase figures) is compared with reference arrays saved from the
code before the integrator refactor (``tests/data/integrator_pin.npz``).

The comparison is bitwise (``np.array_equal``, NaNs equal) on the CPU where a route kept its
arithmetic, and to a stated tolerance where it changed (:data:`ROUNDED`). Regenerate the
reference only for a change that is meant to alter results, and only the arrays it alters:
``python tests/test_integrator_pin.py 'PATTERN' ...`` (fnmatch patterns of array names; it
prints how much each one changed; without patterns it rewrites every array).

Regenerated since the refactor: the window moments (``*/window_mean*``, ``*/window_var*``)
and q (``map/q``, ``map_mb/q``), when the ``Moments`` observer changed from raw sums of w
and w² to the shifted Welford accumulator (variances changed by up to 2.7e-6 relative,
4.9e-17 absolute; means and q by rounding, <= 3.1e-16 and 8.4e-13 relative).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

REF = Path(__file__).parent / "data" / "integrator_pin.npz"


def _specs():
    from curldescent.specs import NetworkSpec, RuleSpec, RunSpec, TaskSpec, TrainSpec

    lin = NetworkSpec(M=10, N=8)
    task = TaskSpec(n_train=40, n_test=20)
    fb = TrainSpec(lr=0.1, epochs=60, n_checkpoints=10, final_window=5)
    mb = TrainSpec(lr=0.1, lr_scale="per_epoch", batch_size=12, epochs=30, n_checkpoints=8)
    return {
        "linear_fb": RunSpec(network=lin, task=task, train=fb, seed=1),
        "linear_mb": RunSpec(network=lin, task=task, train=mb, seed=2),
        "tanh_mb": RunSpec(
            network=NetworkSpec(
                M=9, N=7, activation="tanh", output_activation="hidden", readout_error="raw"
            ),
            task=task,
            train=TrainSpec(
                lr=0.1,
                lr_scale="per_epoch",
                batch_size=10,
                epochs=20,
                n_checkpoints=6,
                final_window=3,
            ),
            seed=4,
        ),
        "curl_hidden": RunSpec(
            network=lin,
            task=task,
            rule=RuleSpec(kind="curl", alpha_hidden=0.3),
            train=TrainSpec(lr=0.1, epochs=60, n_checkpoints=10, final_window=5),
            seed=6,
        ),
        "curl_readout": RunSpec(
            network=lin,
            task=task,
            rule=RuleSpec(kind="curl", alpha_readout=0.5),
            train=mb,
            seed=7,
        ),
        "curl_post_random": RunSpec(
            network=lin,
            task=task,
            rule=RuleSpec(kind="curl", alpha_hidden=0.25, selection="random", side="post"),
            train=fb,
            seed=8,
        ),
        "feedback_alignment": RunSpec(
            network=lin, task=task, rule=RuleSpec(kind="feedback_alignment"), train=fb, seed=9
        ),
        "early_stop": RunSpec(
            network=lin,
            task=task,
            train=dataclasses.replace(fb, stop_below=1e-2),
            seed=10,
        ),
    }


#: arrays whose arithmetic changed in the refactor, with a tolerance (rtol 1e-12; weights,
#: solver steps, cycles, Lyapunov exponents and segment statistics stay bitwise):
#: the errors of the flow, of the example run and of the map continuation's window are
#: now the integrator's (linear network: e = x (W2 W1)^T - y, one product with the
#: end-to-end map, instead of x W1^T W2^T), a rounding-level change (~4e-16).
ROUNDED = (
    "flow/train_error",
    "flow/test_error",
    "example/train_error",
    "example/test_error",
    "map/window_test_error",
)

_FIELDS = ("train_error", "test_error", "diverged", "final_W1", "final_W2", "stop_epoch")


def compute() -> dict[str, np.ndarray]:
    """Every pinned array, by name."""
    from curldescent.analysis.flow import simulate_flow_batch
    from curldescent.engine import simulate, simulate_batch
    from curldescent.figures._linear.continuation import MapTask, run_map_task
    from curldescent.figures._linear.examples import example_run
    from curldescent.rules import Curl

    specs = _specs()
    out: dict[str, np.ndarray] = {}

    def put(prefix, res, r=0):
        for f in _FIELDS:
            if getattr(res, f) is not None:
                out[f"{prefix}/{f}"] = np.asarray(getattr(res, f))[r]
        if res.window_mean is not None:
            for i in (0, 1):
                out[f"{prefix}/window_mean{i}"] = np.asarray(res.window_mean[i])[r]
                out[f"{prefix}/window_var{i}"] = np.asarray(res.window_var[i])[r]

    for name, spec in specs.items():
        put(name, simulate(spec))
    put("linear_mb_direct", simulate(specs["linear_mb"], fast=False))
    put("curl_hidden_direct", simulate(specs["curl_hidden"], fast=False))
    # a batch of three (seeds), one chunk padded
    batch = [specs["curl_hidden"].replace(seed=s) for s in (11, 12, 13)]
    res = simulate_batch(batch, chunk_size=2)
    for r in range(3):
        put(f"batch{r}", res, r)
    # a user rule object: per-synapse mask
    net = specs["linear_fb"].network
    mask = np.ones((net.N, net.M))
    mask[::2, 1::3] = -1.0
    put("mask_rule", simulate(specs["linear_fb"], rule=Curl(mask1=mask)))
    # the continuous flow
    flow = simulate_flow_batch([specs["curl_hidden"]])
    put("flow", flow)
    out["flow/n_steps"] = np.asarray(flow.n_steps)
    # the map continuation (q, cycles, Lyapunov) from the end of two runs
    two = [specs["curl_hidden"], specs["curl_hidden"].replace(seed=15)]
    ends = simulate_batch(two)
    task = MapTask(
        index=3,
        specs=tuple(two),
        W1=ends.final_W1,
        W2=ends.final_W2,
        start_epoch=60,
        n_window=6,
        n_cycle=24,
        n_lyap=8,
        transient=2,
    )
    for k, v in run_map_task(task).items():
        out[f"map/{k}"] = np.asarray(v)
    mb_task = MapTask(
        index=4,
        specs=(specs["linear_mb"],),
        W1=simulate(specs["linear_mb"]).final_W1,
        W2=simulate(specs["linear_mb"]).final_W2,
        start_epoch=30,
        n_window=4,
        n_cycle=0,
        n_lyap=0,
        transient=0,
    )
    for k, v in run_map_task(mb_task).items():
        out[f"map_mb/{k}"] = np.asarray(v)
    # an example run (errors every epoch, traced weights, segment statistics)
    ex = example_run(specs["curl_hidden"].replace(**{"train.epochs": 40}), segment=20, stride=2)
    for k in ("train_error", "test_error", "weights", "acf_mean", "pc"):
        out[f"example/{k}"] = ex[k].values
    return out


def test_results_unchanged(jax_compile_cache):
    ref = np.load(REF)
    new = compute()
    assert ref["early_stop/stop_epoch"] < 60  # the stop event is exercised
    assert set(ref.files) <= set(new)  # the flow now also reports where it stopped
    assert new["flow/stop_epoch"] == new["linear_fb/stop_epoch"]  # at the last epoch
    bad = [
        k
        for k in ref.files
        if k not in ROUNDED and not np.array_equal(ref[k], new[k], equal_nan=True)
    ]
    assert not bad, f"changed: {bad}"
    for k in ROUNDED:
        np.testing.assert_allclose(new[k], ref[k], rtol=1e-12, atol=0, err_msg=k)


if __name__ == "__main__":
    import fnmatch
    import sys

    from curldescent.runtime import configure_runtime

    configure_runtime()
    REF.parent.mkdir(exist_ok=True)
    arrays = compute()
    if sys.argv[1:]:  # only the arrays matching these patterns; the others stay as stored
        old = dict(np.load(REF))
        for k in sorted(k for k in arrays if any(fnmatch.fnmatch(k, p) for p in sys.argv[1:])):
            if k in old and not np.array_equal(old[k], arrays[k], equal_nan=True):
                d = np.abs(arrays[k] - old[k])
                rel = np.nanmax(d / np.abs(old[k]))
                print(f"{k}: max abs difference {np.nanmax(d):.3e}, max relative {rel:.3e}")
            old[k] = arrays[k]
        arrays = old
    np.savez_compressed(REF, **arrays)
    print(f"{len(arrays)} arrays, {REF.stat().st_size} bytes -> {REF}")
