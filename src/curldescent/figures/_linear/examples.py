r"""The example run of Figs. 3c, d and 4c, d: traced weights over the whole run, weight
autocorrelations and the trajectory on its first two principal components.

The run is the engine's learning map from the spec's initial state, recorded every epoch
by observers (:func:`curldescent.engine.integrate`): a sweep store records weights only at
its checkpoints, so this trace is derived data, cached by the figure.
"""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from curldescent.figures._linear.continuation import pooled_weights
from curldescent.specs import RunSpec


def _example_observed(st, E: int, segment: int, stride: int, trace_idx, init, plast, lr, key):
    """One run from its initial state with the engine's integrator, a checkpoint every
    epoch: errors and the weights ``trace_idx`` (pooled W1, W2) after every epoch, all
    (pooled) weights every ``stride`` epochs over the last ``segment`` epochs."""
    import jax.numpy as jnp

    from curldescent.engine import Record, integrate, map_stepper

    idx = jnp.asarray(trace_idx)
    run_st = st._replace(checkpoints=tuple(range(E + 1)), window=0, record_weights=False)
    obs = (
        Record(lambda p: pooled_weights(p)[idx], run_st.checkpoints),
        Record(pooled_weights, tuple(range(E - segment + stride, E + 1, stride))),
    )
    advance = map_stepper(st, init, plast, lr, key)
    res = integrate(run_st, init, advance, -jnp.inf, observers=obs)[0]
    return (res.train_error, res.test_error, res.observed[0]), res.observed[1]


def _log_linear_index(n: int, k: int) -> np.ndarray:
    """About ``2k`` indices of 0..n-1: geometric (for log axes) and uniform (linear axes)."""
    geo = np.round(np.geomspace(1, max(n - 1, 1), k)).astype(np.int64)
    lin = np.round(np.linspace(0, n - 1, k)).astype(np.int64)
    return np.unique(np.concatenate([[0], geo, lin, [n - 1]]))


def example_run(
    spec: RunSpec,
    *,
    segment: int,
    stride: int,
    n_traces: int = 8,
    max_lag: int | None = None,
    n_store: int = 1500,
) -> xr.Dataset:
    r"""An example run for the weight-dynamics panels (Figs. 3c, d and 4c, d).

    The run is the engine's learning map from the spec's initial state (the same run
    :func:`~curldescent.engine.simulate_batch` computes). Stored: train/test error and
    ``n_traces`` weights (evenly spaced over the pooled W1, W2 entries, so both layers
    appear) at ~``2 n_store`` epochs (log and uniform), and, from all weights sampled every
    ``stride`` epochs over the last ``segment`` epochs: the weights' autocorrelations
    (:func:`~curldescent.analysis.autocorrelation`; mean over the moving weights and the
    traced ones, lags in epochs) and the projection on the first two principal components
    (:func:`~curldescent.analysis.principal_components`).
    """
    from functools import partial

    import jax

    from curldescent.analysis.autocorrelation import autocorrelation, mean_autocorrelation
    from curldescent.analysis.pca import principal_components
    from curldescent.engine import run_setup

    if segment % stride or segment > spec.train.epochs:
        raise ValueError(
            f"segment ({segment}) must be a multiple of stride ({stride}) and <= epochs"
        )
    E = spec.train.epochs
    st, states, plasts, lrs, keys = run_setup([spec])
    net = spec.network
    P = net.N * net.M + net.K * net.N
    trace_idx = np.unique(np.round(np.linspace(0, P - 1, n_traces + 2)[1:-1]).astype(np.int64))
    fn = jax.jit(partial(_example_observed, st, E, segment, stride, trace_idx))
    take0 = lambda a: a[0]  # noqa: E731
    (tr, te, traces), seg = fn(
        jax.tree_util.tree_map(take0, states),
        jax.tree_util.tree_map(take0, plasts),
        lrs[0],
        keys[0],
    )
    tr, te, traces, seg = (np.asarray(a) for a in (tr, te, traces, seg))
    T = seg.shape[0]
    L = min(T - 1, max_lag if max_lag is not None else T // 2)
    acf_all = autocorrelation(seg, max_lag=L)
    acf_mean = mean_autocorrelation(seg, max_lag=L)
    pca = principal_components(seg, 2)
    keep = _log_linear_index(E + 1, n_store)
    seg_epochs = E - segment + stride * np.arange(1, T + 1)
    ds = xr.Dataset(
        {
            "train_error": (
                ("epoch",),
                tr[keep],
                {"long_name": "train error (1/2 MSE)", "units": "1"},
            ),
            "test_error": (
                ("epoch",),
                te[keep],
                {"long_name": "test error (1/2 MSE)", "units": "1"},
            ),
            "weights": (
                ("epoch", "trace"),
                traces[keep],
                {"long_name": "example weights", "units": "1"},
            ),
            "acf_mean": (
                ("lag",),
                acf_mean,
                {"long_name": "weight autocorrelation, mean over moving weights", "units": "1"},
            ),
            "acf": (
                ("lag", "trace"),
                acf_all[:, trace_idx],
                {"long_name": "weight autocorrelation", "units": "1"},
            ),
            "pc": (
                ("seg_epoch", "component"),
                np.asarray(pca.projections),
                {"long_name": "weights projected on principal components", "units": "1"},
            ),
        },
        coords={
            "epoch": ("epoch", keep, {"long_name": "epoch", "units": "epochs"}),
            "trace": (
                "trace",
                trace_idx,
                {"long_name": "index of the weight in (W1, W2) pooled", "units": "1"},
            ),
            "lag": ("lag", stride * np.arange(L + 1), {"long_name": "lag", "units": "epochs"}),
            "seg_epoch": ("seg_epoch", seg_epochs, {"long_name": "epoch", "units": "epochs"}),
            "component": ("component", [1, 2]),
        },
        attrs={
            "explained_variance_ratio": np.asarray(pca.explained_variance_ratio).tolist(),
            "segment": segment,
            "stride": stride,
            "spec": json.dumps(spec.to_dict()),
            "n_flipped_W1_cols": spec.rule.flip_counts(net)[0],
        },
    )
    return ds
