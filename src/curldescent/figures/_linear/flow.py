r"""The continuous-time learning flow on a slice of a grid, next to the discrete maps.

The flow (:func:`curldescent.analysis.flow.simulate_flow_batch`, adaptive Tsit5) starts
from the same initial states as the grid's runs; :func:`method_slice` stacks it with the
maps' runs along a ``scheme`` dimension.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from curldescent.figures._linear.tasks import run_tasks
from curldescent.specs import RunSpec


def log10_error(err: np.ndarray) -> np.ndarray:
    """log10(error + 1e-15), non-finite errors (diverged runs) as +inf (the sweeps' metric)."""
    from curldescent.sweeps.executors import LOG10_FLOOR

    err = np.where(np.isfinite(err), err, np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log10(err + LOG10_FLOOR)


@dataclass(frozen=True)
class FlowTask:
    """Integrate the learning flow of runs with one shape key (picklable, for executors)."""

    index: int
    specs: tuple[RunSpec, ...]
    rtol: float = 1e-8
    atol: float = 1e-10


def run_flow_task(task: FlowTask) -> dict[str, np.ndarray]:
    """Run a :class:`FlowTask` with :func:`~curldescent.analysis.flow.simulate_flow_batch`;
    per run: test errors at the checkpoints, final and peak log10 errors, q over the final
    window (NaN without one), solver steps."""
    from curldescent.sweeps.executors import configure_worker_runtime

    configure_worker_runtime()
    from curldescent.analysis.flow import simulate_flow_batch
    from curldescent.analysis.order_parameter import order_parameter_from_moments

    res = simulate_flow_batch(list(task.specs), rtol=task.rtol, atol=task.atol)
    R = len(task.specs)
    q = np.full(R, np.nan)
    if res.window_mean is not None:
        q = np.array(
            [
                float(
                    order_parameter_from_moments(
                        (res.window_mean[0][r], res.window_mean[1][r]),
                        (res.window_var[0][r], res.window_var[1][r]),
                    )
                )
                for r in range(R)
            ]
        )
    logs = log10_error(res.test_error)
    return {
        "epochs": np.asarray(res.epochs),
        "test_error": np.asarray(res.test_error),
        "final_log10_test_error": logs[:, -1],
        "peak_log10_test_error": np.max(logs, axis=1),
        "q": q,
        "diverged": np.asarray(res.diverged, bool),
        "n_steps": np.asarray(res.n_steps),
        "wall_time_s": np.asarray(res.wall_time_s),
    }


def flow_grid(
    specs_by_alpha_seed: list[list[RunSpec]],
    alphas,
    seeds,
    *,
    executor: Any = None,
    rtol=1e-8,
    atol=1e-10,
) -> xr.Dataset:
    """The flow of every ``specs_by_alpha_seed[a][s]`` (one shape key), dims (alpha, seed[, epoch])."""
    flat = [s for row in specs_by_alpha_seed for s in row]
    out = run_tasks(run_flow_task, [FlowTask(0, tuple(flat), rtol, atol)], executor)[0]
    A, S = len(alphas), len(seeds)
    ds = xr.Dataset(
        {
            "final_log10_test_error": (
                ("alpha", "seed"),
                out["final_log10_test_error"].reshape(A, S),
            ),
            "peak_log10_test_error": (
                ("alpha", "seed"),
                out["peak_log10_test_error"].reshape(A, S),
            ),
            "q": (("alpha", "seed"), out["q"].reshape(A, S)),
            "diverged": (("alpha", "seed"), out["diverged"].reshape(A, S)),
            "solver_steps": (("alpha", "seed"), out["n_steps"].reshape(A, S)),
            "test_error": (("alpha", "seed", "epoch"), out["test_error"].reshape(A, S, -1)),
        },
        coords={
            "alpha": np.asarray(alphas, float),
            "seed": np.asarray(seeds, int),
            "epoch": out["epochs"],
        },
        attrs={
            "rtol": rtol,
            "atol": atol,
            "solver": "diffrax Tsit5 + PID controller",
            "wall_time_s": float(out["wall_time_s"]),
        },
    )
    return ds


def method_slice(methods: dict[str, xr.Dataset]) -> xr.Dataset:
    """Stack per-method slice datasets (dims alpha, seed[, epoch]) along a ``scheme`` dim
    (not ``method``, which ``.sel`` would read as its own keyword)."""
    keep = ("final_log10_test_error", "peak_log10_test_error", "q", "period", "test_error")
    parts = []
    for label, ds in methods.items():
        sub = xr.Dataset({k: ds[k] for k in keep if k in ds})
        if "period" not in sub:
            sub["period"] = xr.full_like(sub["final_log10_test_error"], np.nan)
        sub["period"] = sub["period"].astype(float)
        parts.append(sub.expand_dims(scheme=[label]))
    return xr.concat(parts, dim="scheme", join="outer", combine_attrs="drop_conflicts")
