r"""Principal components of a weight trajectory (insets of Figs. 3d, 4d; Figs. 7c, 9c).

With the trajectory stacked as :math:`X \in \mathbb R^{T\times P}` (time × pooled
weights), centred :math:`X_c = X - \mathbf 1\bar x^\top`, and its thin SVD
:math:`X_c = U S V^\top`, the principal axes are the rows of :math:`V^\top`, the
explained variances are

.. math:: \lambda_i = \frac{s_i^2}{T - \mathrm{ddof}},

the eigenvalues of the sample covariance :math:`X_c^\top X_c/(T-\mathrm{ddof})`, and the
projection of the trajectory on the first k axes is :math:`X_c V_{:,1:k} = U_{:,1:k}S_{1:k}`.
The SVD avoids forming the P×P covariance (P = MN + N can be ~10⁴). Signs are fixed so that
each axis' largest-magnitude loading is positive, which makes the result deterministic.

Examples:
    >>> import numpy as np
    >>> t = np.linspace(0, 2 * np.pi, 100, endpoint=False)
    >>> X = np.stack([3 * np.cos(t), np.sin(t), np.zeros_like(t)], axis=1)
    >>> res = principal_components(X, n_components=2)
    >>> np.round(res.explained_variance_ratio, 3).tolist()
    [0.9, 0.1]
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from curldescent.analysis.order_parameter import _centre, _namespace, stack_weights

__all__ = ["PCAResult", "principal_components"]


class PCAResult(NamedTuple):
    """Principal components of a trajectory (T time points, P pooled weights, k components)."""

    projections: Any  # (T, k) trajectory coordinates on the principal axes
    components: Any  # (k, P) principal axes (orthonormal rows)
    explained_variance: Any  # (k,) variance along each axis, s_i^2 / (T - ddof)
    explained_variance_ratio: Any  # (k,) fraction of the total variance
    mean: Any  # (P,) temporal mean (the centre of the projection)


def principal_components(trajectory: Any, n_components: int = 2, *, ddof: int = 1) -> PCAResult:
    r"""Project a weight trajectory on its first principal components.

    Args:
        trajectory: time on axis 0: an array (T, P) or (T, ...), or a pytree such as
            ``Params(W1, W2)`` of such arrays (weights pooled, see
            :func:`~curldescent.analysis.order_parameter.stack_weights`).
        n_components: number of components k (at most min(T, P)).
        ddof: delta degrees of freedom of the variances (1: the sample covariance, as
            ``numpy.cov``).

    Returns:
        :class:`PCAResult` with ``projections`` (T, k), ``components`` (k, P),
        ``explained_variance`` (k,), ``explained_variance_ratio`` (k,) and ``mean`` (P,).
        Ratios are NaN for a trajectory that does not move.
    """
    xp = _namespace(trajectory)
    X = stack_weights(trajectory)
    T, P = X.shape
    if not 1 <= n_components <= min(T, P):
        raise ValueError(f"n_components must lie in [1, {min(T, P)}] (got {n_components})")
    mean, Xc = _centre(X, xp, axis=0)
    U, s, Vt = xp.linalg.svd(Xc, full_matrices=False)
    k = n_components
    U, s, Vt = U[:, :k], s, Vt[:k]
    # deterministic signs: the largest |loading| of each axis is positive
    pivot = xp.argmax(xp.abs(Vt), axis=1)
    signs = xp.sign(xp.take_along_axis(Vt, pivot[:, None], axis=1))[:, 0]
    signs = xp.where(signs == 0, 1.0, signs)
    Vt = Vt * signs[:, None]
    projections = U * (s[:k] * signs)[None, :]
    var = s * s / (T - ddof)
    total = xp.sum(var)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = var[:k] / total
    return PCAResult(projections, Vt, var[:k], ratio, mean)
