r"""Summary statistics shared by the figures: the standard error of the mean (NaN-aware)
and the midpoint crossing that locates a transition on a grid, with its bootstrap error.

Examples:
    >>> import numpy as np
    >>> from curldescent.analysis.statistics import midpoint_crossing, sem
    >>> float(sem(np.array([1.0, 2.0, 3.0, np.nan])))
    0.5773502691896258
    >>> c = np.array([0.1, 1.0, 10.0])
    >>> round(midpoint_crossing(c, np.array([-15.0, -15.0, 0.0])), 6)  # half-way in log10 c
    3.162278
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np


def sem(values: np.ndarray, axis: int | None = None) -> Any:
    """Standard error of the mean over ``axis`` (NaN-aware, ddof = 1; NaN with fewer than
    two finite values)."""
    v = np.asarray(values, float)
    n = np.sum(np.isfinite(v), axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = np.nanstd(v, axis=axis, ddof=1) / np.sqrt(n)
    return np.where(n > 1, out, np.nan)[()]


def midpoint_crossing(
    x: np.ndarray, y: np.ndarray, *, min_span: float = 3.0, log_x: bool = True
) -> float:
    r"""Where ``y(x)`` first crosses the midpoint of its range going up.

    With :math:`m = (\max y + \min y)/2` over the finite ``y``, the crossing is the first
    grid interval :math:`[x_{i-1}, x_i]` with :math:`y_{i-1} < m \le y_i`, interpolated
    linearly in :math:`\log_{10} x` (``log_x``) or in x. Figs. 3, 4, 6 and 8 read their
    simulated boundaries this way (``y``: a seed-mean log10 error along c or α).

    Args:
        x: ascending abscissae.
        y: values at ``x`` (non-finite entries are left out).
        min_span: the smallest range of ``y`` that counts as a transition.
        log_x: interpolate in :math:`\log_{10} x` (else in x).

    Returns:
        The crossing, or NaN when ``y``'s range is below ``min_span`` (no transition) or
        ``y`` starts at or above the midpoint (the crossing lies below the grid).
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    ok = np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(y) < 2 or np.max(y) - np.min(y) < min_span:
        return math.nan
    mid = 0.5 * (np.max(y) + np.min(y))
    if y[0] >= mid:
        return math.nan
    i = int(np.argmax(y >= mid))
    lx = np.log10(x) if log_x else x
    t = (mid - y[i - 1]) / (y[i] - y[i - 1])
    v = lx[i - 1] + t * (lx[i] - lx[i - 1])
    return float(10**v if log_x else v)


def crossing_with_error(
    x: np.ndarray, Y: np.ndarray, *, n_boot: int = 200, seed: int = 0, min_span: float = 3.0
) -> tuple[float, float]:
    r"""The :func:`midpoint_crossing` (in :math:`\log_{10} x`) of the seed mean of ``Y`` and
    its bootstrap error over seeds.

    Args:
        x: ascending abscissae (positive).
        Y: values, shape ``(len(x), n_seeds)``; NaN entries are left out of the means.
        n_boot: bootstrap resamples of the seeds (with replacement).
        seed: seed of the resampling (the result is deterministic).
        min_span: as in :func:`midpoint_crossing`.

    Returns:
        ``(crossing, sd)``: the crossing of the seed mean (NaN if none) and the standard
        deviation of :math:`\log_{10}` of the resamples' crossings (NaN with fewer than two
        finite ones).
    """
    est = midpoint_crossing(x, np.nanmean(Y, axis=1), min_span=min_span)
    rng = np.random.default_rng(seed)
    S = Y.shape[1]
    boots = []
    for _ in range(n_boot):
        pick = rng.integers(0, S, S)
        v = midpoint_crossing(x, np.nanmean(Y[:, pick], axis=1), min_span=min_span)
        if np.isfinite(v):
            boots.append(np.log10(v))
    err = float(np.std(boots)) if len(boots) > 1 else math.nan
    return est, err


def level_crossing(x: np.ndarray, p: np.ndarray, level: float, *, log_x: bool = False) -> float:
    r"""Where a rising curve ``p(x)`` first reaches ``level``: the first grid interval with
    :math:`p_{i-1} < \text{level} \le p_i`, interpolated linearly in x (or in
    :math:`\log_{10} x` with ``log_x``).

    Returns:
        The crossing; ``x[0]`` when ``p[0] >= level``; NaN when ``p`` never reaches it.

    Examples:
        >>> level_crossing(np.array([0.0, 1.0, 2.0]), np.array([0.0, 0.2, 1.0]), 0.6)
        1.5
    """
    x = np.asarray(x, float)
    p = np.asarray(p, float)
    hit = np.nonzero(p >= level)[0]
    if not len(hit):
        return math.nan
    i = int(hit[0])
    if i == 0:
        return float(x[0])
    lx = np.log10(x) if log_x else x
    t = (level - p[i - 1]) / (p[i] - p[i - 1])
    v = lx[i - 1] + t * (lx[i] - lx[i - 1])
    return float(10**v if log_x else v)


def local_step(grid: np.ndarray, x: float, *, log_x: bool = False) -> float:
    """The spacing of the ascending ``grid`` in the cell that holds ``x`` (in
    :math:`\\log_{10}` units with ``log_x``); the nearest end cell when ``x`` lies outside;
    NaN for a grid of fewer than two points or a non-finite ``x``."""
    g = np.log10(np.asarray(grid, float)) if log_x else np.asarray(grid, float)
    if len(g) < 2 or not np.isfinite(x):
        return math.nan
    v = math.log10(x) if log_x else x
    i = int(np.clip(np.searchsorted(g, v), 1, len(g) - 1))
    return float(g[i] - g[i - 1])


def step_crossing(
    x: np.ndarray, y: np.ndarray, *, min_span: float = 3.0, log_x: bool = True
) -> float:
    r"""Where ``y(x)`` steps up: the least-squares fit of a two-level step function.

    Every split between consecutive finite points is tried; each side gets its mean, and
    the split with the smallest sum of squared residuals whose right level exceeds the left
    by at least ``min_span`` wins. The crossing is the midpoint of that grid interval (in
    :math:`\log_{10} x` with ``log_x``), so its resolution is the grid step. Unlike
    :func:`midpoint_crossing`, one stray high value below the transition (a run that has
    not converged yet) does not move the estimate to it.

    Returns:
        The crossing, or NaN when no split rises by ``min_span``.

    Examples:
        >>> x = np.array([0.1, 0.2, 0.3, 0.4, 0.5])
        >>> step_crossing(x, np.array([-15.0, -1.0, -15.0, -1.0, -1.0]), log_x=False)
        0.35
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    ok = np.isfinite(y)
    x, y = x[ok], y[ok]
    best, where = math.inf, math.nan
    for i in range(1, len(y)):
        lo, hi = y[:i], y[i:]
        if hi.mean() - lo.mean() < min_span:
            continue
        sse = float(np.sum((lo - lo.mean()) ** 2) + np.sum((hi - hi.mean()) ** 2))
        if sse < best:
            best = sse
            where = (
                10 ** (0.5 * (math.log10(x[i - 1]) + math.log10(x[i])))
                if log_x
                else 0.5 * (x[i - 1] + x[i])
            )
    return float(where)


def bootstrap_crossing(
    x: np.ndarray,
    Y: np.ndarray,
    crossing,
    *,
    n_boot: int = 200,
    seed: int = 0,
    log_x: bool = True,
) -> tuple[float, float]:
    r"""A crossing estimator applied to the seed mean of ``Y`` (shape ``(len(x), n_seeds)``,
    NaN left out of the means) and its bootstrap spread over seeds.

    Args:
        crossing: ``crossing(x, y) -> float`` (e.g. :func:`step_crossing`).
        log_x: report the spread in :math:`\log_{10} x` (else in x).

    Returns:
        ``(estimate, sd)``; sd is NaN with fewer than two finite resampled crossings.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        est = crossing(x, np.nanmean(Y, axis=1))
        rng = np.random.default_rng(seed)
        S = Y.shape[1]
        boots = []
        for _ in range(n_boot):
            v = crossing(x, np.nanmean(Y[:, rng.integers(0, S, S)], axis=1))
            if np.isfinite(v):
                boots.append(np.log10(v) if log_x else v)
    return est, (float(np.std(boots)) if len(boots) > 1 else math.nan)
