r"""Weight autocorrelation functions (Figs. 3d, 4d, 7b, 9e).

For one weight's time series :math:`w_0, \dots, w_{T-1}` with temporal mean
:math:`\bar w`, the normalised, mean-subtracted autocorrelation at lag k is

.. math::

    \rho(k) = \frac{\hat C(k)}{\hat C(0)},\qquad
    \hat C(k) = \frac{1}{T}\sum_{t=0}^{T-1-k} (w_t - \bar w)(w_{t+k} - \bar w)
    \quad\text{(``biased``)},

or with :math:`1/(T-k)` instead of :math:`1/T` for :math:`k > 0` (``unbiased``; noisier at
large lags, but exact for periodic signals). The ``biased`` estimator is the standard one
(a positive-definite sequence, :math:`|\rho(k)| \le 1`). :math:`\rho(0) = 1`; a weight that
does not move (:math:`\hat C(0) = 0`) has an undefined autocorrelation, returned as NaN and
skipped by the population average :func:`mean_autocorrelation`.

The sums are computed with a zero-padded FFT (Wiener–Khinchin,
:math:`\hat C(k) \propto \mathcal F^{-1}|\mathcal F(w - \bar w)|^2`, padding to at least
:math:`2T - 1` so the circular correlation equals the linear one), O(T log T) per weight;
``method="direct"`` evaluates the sums literally, O(T·max_lag), as a check.

For an AR(1) process :math:`w_{t+1} = \varphi w_t + \sigma\xi_t` (an Ornstein–Uhlenbeck
process sampled at fixed steps) :math:`\rho(k) = \varphi^k`.

Examples:
    >>> import numpy as np
    >>> w = np.cos(2 * np.pi * np.arange(400) / 20)[:, None]
    >>> rho = autocorrelation(w, max_lag=20, estimator="unbiased")
    >>> round(float(rho[20, 0]), 6), round(float(rho[10, 0]), 6)
    (1.0, -1.0)
"""

from __future__ import annotations

from typing import Any

import jax.tree_util as jtu
import numpy as np

from curldescent.analysis.order_parameter import _as_float, _centre, _namespace, stack_weights

__all__ = ["autocorrelation", "mean_autocorrelation"]


def _fft_length(n: int) -> int:
    """Smallest power of two >= n (fast for both NumPy and XLA FFTs)."""
    return 1 << max(0, (n - 1).bit_length())


def _autocovariance_sums(xc: Any, max_lag: int, method: str, xp) -> Any:
    r""":math:`S(k) = \sum_{t=0}^{T-1-k} x_t x_{t+k}` for k = 0..max_lag along axis 0."""
    T = xc.shape[0]
    if method == "fft":
        n = _fft_length(2 * T - 1)
        f = xp.fft.rfft(xc, n=n, axis=0)
        s = xp.fft.irfft(f * xp.conj(f), n=n, axis=0)
        return xp.real(s[: max_lag + 1])
    if method == "direct":
        return xp.stack([xp.sum(xc[: T - k] * xc[k:], axis=0) for k in range(max_lag + 1)])
    raise ValueError(f"method must be 'fft' or 'direct' (got {method!r})")


def _acf_array(x: Any, max_lag: int | None, method: str, estimator: str, xp) -> Any:
    x = _as_float(x, xp)
    T = x.shape[0]
    if T < 2:
        raise ValueError(f"need at least 2 time points (got {T})")
    L = T - 1 if max_lag is None else int(max_lag)
    if not 0 <= L <= T - 1:
        raise ValueError(f"max_lag must lie in [0, {T - 1}] (got {max_lag})")
    _, xc = _centre(x, xp, axis=0)
    s = _autocovariance_sums(xc, L, method, xp)
    if estimator == "biased":
        c = s
    elif estimator == "unbiased":
        counts = T - xp.arange(L + 1, dtype=s.dtype)
        c = s * (T / counts).reshape((L + 1,) + (1,) * (s.ndim - 1))
    else:
        raise ValueError(f"estimator must be 'biased' or 'unbiased' (got {estimator!r})")
    c0 = s[:1]
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = c / c0
    # a weight that never moves has no autocorrelation (0/0): NaN at every lag
    return xp.where(c0 == 0, xp.full_like(rho, xp.nan), rho)


def autocorrelation(
    trajectory: Any,
    *,
    max_lag: int | None = None,
    method: str = "fft",
    estimator: str = "biased",
) -> Any:
    r"""Normalised, mean-subtracted autocorrelation :math:`\rho(k)` of every weight.

    Args:
        trajectory: time on axis 0: an array (T,), (T, P) or (T, ...), or a pytree such
            as ``Params(W1, W2)`` of such arrays.
        max_lag: largest lag (default T − 1).
        method: ``fft`` (default) or ``direct`` (literal sums, a check).
        estimator: ``biased`` (1/T normalisation, default) or ``unbiased`` (1/(T−k)).

    Returns:
        Same structure as ``trajectory`` with axis 0 of length ``max_lag + 1`` holding
        :math:`\rho(0..\mathrm{max\_lag})` per weight; NaN for weights that do not move.
    """
    xp = _namespace(trajectory)
    return jtu.tree_map(lambda a: _acf_array(a, max_lag, method, estimator, xp), trajectory)


def mean_autocorrelation(
    trajectory: Any,
    *,
    max_lag: int | None = None,
    method: str = "fft",
    estimator: str = "biased",
) -> Any:
    r"""Population-averaged autocorrelation :math:`\bar\rho(k) = \mathbb E_p[\rho_p(k)]`.

    The mean runs over all weights of all leaves (W1 and W2 pooled), ignoring weights that
    do not move (NaN).

    Args:
        trajectory: as in :func:`autocorrelation`.
        max_lag, method, estimator: as in :func:`autocorrelation`.

    Returns:
        Array (max_lag + 1,); all NaN when no weight moves.
    """
    xp = _namespace(trajectory)
    rho = _acf_array(stack_weights(trajectory), max_lag, method, estimator, xp)
    moving = ~xp.isnan(rho[0])
    n = xp.sum(moving)
    total = xp.sum(xp.where(moving[None, :], rho, 0.0), axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return xp.where(n > 0, total / n, xp.nan)
