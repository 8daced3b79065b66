r"""The learning map continued past a run's end: Lyapunov exponents, q and exact cycles.

A grid's runs stop at their last epoch; their final weights (stored by the sweep with
``store_weights``) are continued here by the engine's integrator
(:func:`curldescent.engine.integrate`, the run's own learning map and minibatch order) and
measured along the way: the order parameter q over a window, exact cycles
(:func:`curldescent.analysis.detect_cycle`) and the largest Lyapunov exponent by tangent
dynamics (:func:`curldescent.engine.lyapunov_tangent`). One :class:`MapTask` per c (one
compiled program), run on any sweeps executor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from curldescent.figures._linear.grids import final_weights
from curldescent.figures._linear.tasks import run_tasks
from curldescent.specs import RunSpec

#: epochs of the continued map checked for exact cycles (periods up to 8).
N_CYCLE = 24


# ----------------------------------------------------------------------------- the learning map


def _params(W1: np.ndarray, W2: np.ndarray):
    import jax.numpy as jnp

    from curldescent.network import Params

    return Params(jnp.asarray(W1), jnp.asarray(W2))


def pooled_weights(p):
    import jax.numpy as jnp

    return jnp.concatenate([p.W1.ravel(), p.W2.ravel()])


def _continuation(st, start_epoch: int, opts: tuple, init, plast, lr, shuffle_key, params, key):
    r"""Continue one run from ``params`` at ``start_epoch`` with the engine's integrator
    (:func:`curldescent.engine.integrate`, the learning map) and measure it:

    1. over ``n_window`` epochs the per-weight temporal moments (q, eq. 15; observer
       :class:`~curldescent.engine.Moments`) and the mean test error (NaN when 0);
    2. over ``n_cycle`` more epochs the pooled weights (observer
       :class:`~curldescent.engine.Record`), for exact-cycle detection;
    3. the largest Lyapunov exponent over ``n_lyap`` epochs (skipped when 0) after
       ``transient`` epochs of tangent alignment
       (:func:`~curldescent.engine.lyapunov_tangent`); its estimate over the second half of
       the blocks is returned too, as a convergence check.
    """
    import jax.numpy as jnp

    from curldescent.analysis.order_parameter import order_parameter_from_moments
    from curldescent.engine import Moments, Record, integrate, lyapunov_tangent, map_stepper

    n_window, n_cycle, n_lyap, transient = opts
    ck = tuple(range(start_epoch, start_epoch + n_window + n_cycle + 1))
    window, cycle = ck[1 : n_window + 1], ck[n_window + 1 :]
    advance = map_stepper(st, init, plast, lr, shuffle_key)  # norms of the run's own start
    run_st = st._replace(checkpoints=ck, window=0, record_weights=False)
    obs = (
        (Moments(window), Record(pooled_weights, cycle))
        if n_window
        else (Record(pooled_weights, cycle),)
    )
    res = integrate(run_st, init._replace(params=params), advance, -jnp.inf, observers=obs)[0]
    nan = jnp.full((), jnp.nan, params.W1.dtype)
    out = {"q": nan, "window_test_error": nan}
    if n_window:
        out["q"] = order_parameter_from_moments(*res.observed[0])
        err = jnp.zeros((), params.W1.dtype)
        for e in range(1, n_window + 1):  # in epoch order
            err = err + res.test_error[e]
        out["window_test_error"] = err / n_window
    out["cycle_traj"] = res.observed[-1]
    if n_lyap:
        ly = lyapunov_tangent(
            advance, res.final, ck[-1], n_steps=n_lyap, transient=transient, key=key
        )
        run = ly.running[:, 0]
        half = n_lyap // 2
        out["lyapunov"] = ly.exponents[0]
        out["lyapunov_second_half"] = (n_lyap * run[-1] - half * run[half - 1]) / (n_lyap - half)
    else:
        out["lyapunov"] = out["lyapunov_second_half"] = nan
    out["finite"] = ~res.diverged
    return out


@dataclass(frozen=True)
class MapTask:
    """Continue runs of one shape key from their final weights (picklable, for executors).

    ``W1`` (R, N, M) and ``W2`` (R, K, N) are the runs' final weights, ``start_epoch`` the
    epoch they were reached at (the minibatch order continues from there).
    """

    index: int
    specs: tuple[RunSpec, ...]
    W1: np.ndarray
    W2: np.ndarray
    start_epoch: int
    n_window: int
    n_cycle: int
    n_lyap: int
    transient: int
    max_period: int = 8
    cycle_rtol: float = 1e-8
    fast: bool = True


_MAP_CACHE: dict = {}


def run_map_task(task: MapTask) -> dict[str, np.ndarray]:
    r"""Run a :class:`MapTask`: per run the order parameter q over ``n_window`` epochs of
    the continuation, the mean test error there, the smallest exact period of the last
    epochs (0 = none up to ``max_period``), and the largest Lyapunov exponent per epoch
    (with its estimate over the second half of the measurement, a convergence check)."""
    from curldescent.sweeps.executors import configure_worker_runtime

    configure_worker_runtime()
    from functools import partial

    import jax
    import jax.random as jr

    from curldescent.analysis.cycles import detect_cycle
    from curldescent.engine import run_setup

    specs = list(task.specs)
    st, states, plasts, lrs, keys = run_setup(specs, fast=task.fast)
    opts = (task.n_window, task.n_cycle, task.n_lyap, task.transient)
    ck = (st, task.start_epoch, opts)
    if ck not in _MAP_CACHE:
        _MAP_CACHE[ck] = jax.jit(jax.vmap(partial(_continuation, st, task.start_epoch, opts)))
    fn = _MAP_CACHE[ck]
    tkeys = jr.split(jr.PRNGKey(task.index), len(specs))
    out = fn(states, plasts, lrs, keys, _params(task.W1, task.W2), tkeys)
    out = {k: np.asarray(v) for k, v in out.items()}
    traj = out.pop("cycle_traj")
    periods = np.zeros(len(specs), dtype=np.int64)
    for r in range(len(specs)):
        if task.n_cycle >= 3 * task.max_period and out["finite"][r]:
            periods[r] = int(
                detect_cycle(traj[r], max_period=task.max_period, rtol=task.cycle_rtol).period
            )
    out["period"] = periods
    return out


def map_measurements(
    sweep,
    store: Path,
    *,
    c_values: Sequence[float],
    seeds: Sequence[int],
    n_window: int,
    n_cycle: int,
    n_lyap: int,
    transient: int,
    executor: Any = None,
) -> xr.Dataset:
    r"""Continue the grid's runs at ``c_values`` (a subset of the sweep's c axis) and
    ``seeds`` from their final weights with their own learning map (:func:`run_map_task`):
    q over ``n_window`` epochs, exact period over ``n_cycle`` epochs, largest Lyapunov
    exponent over ``n_lyap`` epochs. One task per c (one compiled program), run on
    ``executor``. Returns dims ``(c, alpha, seed)``."""
    c_axis_values = np.asarray(sweep.axes[0].values, dtype=float)
    alphas = np.asarray(sweep.axes[1].values, dtype=float)
    tasks = []
    for i, c in enumerate(c_values):
        ci = int(np.argmin(np.abs(c_axis_values - c)))
        if not np.isclose(c_axis_values[ci], c):
            raise ValueError(f"c = {c} is not on the sweep's c axis {c_axis_values.tolist()}")
        W1, W2, got = final_weights(store, ci, seeds)
        specs = [
            sweep.point_spec((ci, ai, sweep.axes[2].values.index(s)))
            for ai in range(len(alphas))
            for s in got
        ]
        tasks.append(
            MapTask(
                index=i,
                specs=tuple(specs),
                W1=W1.reshape((-1,) + W1.shape[2:]),
                W2=W2.reshape((-1,) + W2.shape[2:]),
                start_epoch=sweep.base.train.epochs,
                n_window=n_window,
                n_cycle=n_cycle,
                n_lyap=n_lyap,
                transient=transient,
            )
        )
    results = run_tasks(run_map_task, tasks, executor)
    shape = (len(c_values), len(alphas), len(seeds))
    names = {
        "q": ("order parameter q over a window of the continued run (eq. 15)", "1"),
        "window_test_error": ("mean test error over that window", "1"),
        "period": ("smallest exact period of the continued map (0: none up to 8)", "epochs"),
        "lyapunov": ("largest Lyapunov exponent of the learning map", "1/epoch"),
        "lyapunov_second_half": (
            "largest Lyapunov exponent, second half of the measurement",
            "1/epoch",
        ),
    }
    data = {
        k: (
            ("c", "alpha", "seed"),
            np.stack([r[k] for r in results]).reshape(shape),
            {"long_name": ln, "units": u},
        )
        for k, (ln, u) in names.items()
    }
    return xr.Dataset(
        data,
        coords={"c": np.asarray(c_values, float), "alpha": alphas, "seed": np.asarray(seeds, int)},
        attrs={"n_window": n_window, "n_cycle": n_cycle, "n_lyap": n_lyap, "transient": transient},
    )


def cycle_periods(sweep, store: Path, c_values, seeds, executor: Any = None) -> xr.Dataset:
    """Exact periods of the runs of ``sweep`` at ``c_values`` and ``seeds``, continued
    ``N_CYCLE`` epochs past their end (:func:`map_measurements` without q or Lyapunov)."""
    return map_measurements(
        sweep,
        store,
        c_values=c_values,
        seeds=seeds,
        n_window=0,
        n_cycle=N_CYCLE,
        n_lyap=0,
        transient=0,
        executor=executor,
    )
