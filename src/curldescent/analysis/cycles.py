r"""Exact period-p cycles at the end of a trajectory (fixed points, period-2 oscillations).

With full-batch steps at lr = 0.1 the discrete learning map can settle into exact
period-2 cycles with large error: a step-size artifact, not a curl effect (issue on
Figs. 3–4). A run recorded every epoch over its last epochs
:math:`x_{T-W}, \dots, x_{T-1}` (pooled weights) is in a **period-p cycle** when

.. math::

    \max_{t \in [T-n,\,T)}\ \max_i\ |x_{t,i} - x_{t-p,i}| \;\le\; \mathrm{atol} + \mathrm{rtol}\cdot s,
    \qquad s = \max_{t,i} |x_{t,i}|,

i.e. the last n states repeat the states p epochs earlier to within a tolerance relative
to the weights' scale s. The reported period is the **smallest** such p in
1..``max_period`` (p = 1 is a fixed point; a period-2 cycle also satisfies p = 4, 6, ...),
or 0 when there is none. The default ``n_check = 2·max_period`` compares at least two full
repetitions of every candidate period.

Works on NumPy or JAX arrays (jit-friendly: ``max_period`` and ``n_check`` are static), so
an engine can use it for early stopping on a buffer of recent states.

Examples:
    >>> import numpy as np
    >>> a, b = np.array([1.0, -2.0]), np.array([0.5, 3.0])
    >>> traj = np.stack([a, b] * 20)
    >>> int(detect_cycle(traj).period)
    2
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from curldescent.analysis.order_parameter import _namespace, stack_weights

__all__ = ["CycleResult", "detect_cycle"]


class CycleResult(NamedTuple):
    """Outcome of :func:`detect_cycle`."""

    period: Any  # int: smallest period p <= max_period that fits, 0 if none
    residual: Any  # (max_period,) relative mismatch max|x_t - x_{t-p}| / s for p = 1..max_period


def detect_cycle(
    trajectory: Any,
    *,
    max_period: int = 8,
    rtol: float = 1e-10,
    atol: float = 0.0,
    n_check: int | None = None,
) -> CycleResult:
    r"""Smallest exact period of the end of a trajectory recorded every epoch.

    Args:
        trajectory: consecutive states, time on axis 0: an array (T,), (T, P) or (T, ...),
            or a pytree such as ``Params(W1, W2)`` (weights pooled).
        max_period: largest period tested; static.
        rtol: tolerance relative to the largest |weight| in the checked window.
        atol: absolute tolerance.
        n_check: number of final states each compared with the state p epochs before
            (default ``2 * max_period``); needs ``T >= n_check + max_period``; static.

    Returns:
        :class:`CycleResult` with ``period`` (0 = no cycle up to ``max_period``) and the
        relative ``residual`` of every tested period.
    """
    xp = _namespace(trajectory)
    X = stack_weights(trajectory)
    T = X.shape[0]
    n = 2 * max_period if n_check is None else int(n_check)
    if max_period < 1 or n < 1:
        raise ValueError(f"max_period and n_check must be >= 1 (got {max_period}, {n})")
    if T < n + max_period:
        raise ValueError(f"need at least n_check + max_period = {n + max_period} states (got {T})")
    window = X[T - n - max_period :]
    scale = xp.max(xp.abs(window))
    tail = window[max_period:]
    mismatch = xp.stack(
        [
            xp.max(xp.abs(tail - window[max_period - p : max_period - p + n]))
            for p in range(1, max_period + 1)
        ]
    )
    fits = mismatch <= atol + rtol * scale
    period = xp.where(xp.any(fits), xp.argmax(fits) + 1, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        residual = xp.where(scale > 0, mismatch / scale, xp.where(mismatch > 0, xp.inf, 0.0))
    return CycleResult(period, residual)
