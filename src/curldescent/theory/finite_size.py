r"""Finite-size Jacobian spectra on the solution manifold, from sampled matrices.

A manifold point is drawn with the paper's statistics (eq. 14, :func:`sample_manifold_point`),
the first :math:`\lfloor\alpha M\rfloor` inputs and :math:`\lfloor\alpha N\rfloor` hidden units are
flipped, and the non-structural Jacobian eigenvalues are :math:`-\operatorname{eig}(X)` with the
symmetric matrix :math:`X = \lVert W_2\rVert^2D_1 + W_1^\top D_2W_1` (eq. 12; ``numpy.linalg.eigvalsh``).
The MN + N − M structural zeros are not computed (they are exact, see
:mod:`curldescent.theory.jacobian`).

Finite-size corrections to the large-N edges (:mod:`curldescent.theory.edges`) come from

* the factor :math:`\lVert W_2\rVert^2 = 1 + O(N^{-1/2})`, which the large-N theory sets to 1. Its
  effect on any eigenvalue of :math:`X` is at most :math:`|\lVert W_2\rVert^2 - 1|` (Weyl's
  inequality, :math:`\lVert D_1\rVert = 1`), and it is an exact shift when :math:`D_1 = I`;
* the soft-edge fluctuations of the smallest eigenvalue, of the order of the spacing
  :math:`\delta_M` defined by :math:`M\int_{x_-}^{x_-+\delta_M}\rho = 1`, where :math:`\rho` is the
  large-N density (:func:`edge_spacing`; :math:`\delta_M\propto M^{-2/3}` at a square-root edge,
  the Tracy–Widom scale up to an O(1) factor).

Examples:
    >>> import jax.random as jr
    >>> spec = manifold_spectrum(jr.PRNGKey(0), M=20, N=40, alpha_hidden=0.5)
    >>> spec.eigenvalues.shape, spec.n_structural, spec.k_hidden
    ((20,), 820, 10)
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax.random as jr
import numpy as np

from curldescent.specs import SpecError
from curldescent.theory.freeprob import density, fold_edges
from curldescent.theory.jacobian import manifold_matrix, structural_zero_count
from curldescent.theory.manifold import flip_signs, sample_manifold_point

__all__ = [
    "ManifoldSpectrum",
    "edge_spacing",
    "finite_size_band",
    "instability_fraction",
    "manifold_spectrum",
    "sampled_lower_edges",
    "split_sizes",
]


class ManifoldSpectrum(NamedTuple):
    """Non-structural Jacobian spectrum at one sampled manifold point."""

    eigenvalues: np.ndarray  # (M,) real, decreasing: -eig(||W2||^2 D1 + W1^T D2 W1)
    w2_norm_sq: float  # ||W2||^2 of the sample (1 in the large-N limit)
    n_structural: int  # MN + N - M structural zeros (not listed)
    k_hidden: int  # number of flipped inputs (D1)
    k_readout: int  # number of flipped hidden units (D2)


def _sample(key: Any, M: int, N: int, alpha_hidden: float, alpha_readout: float):
    params, _ = sample_manifold_point(key, M, N)
    d1, d2 = flip_signs(M, N, alpha_hidden, alpha_readout)
    return params, d1, d2


def manifold_spectrum(
    key: Any, M: int, N: int, alpha_hidden: float = 0.0, alpha_readout: float = 0.0
) -> ManifoldSpectrum:
    r"""Sample a manifold point (eq. 14) and return its non-structural Jacobian eigenvalues (eq. 12).

    Args:
        key: JAX PRNG key for :func:`~curldescent.theory.manifold.sample_manifold_point`.
        M, N: input and hidden sizes (K = 1).
        alpha_hidden, alpha_readout: flipped fractions (first ⌊αM⌋, ⌊αN⌋ neurons).
    """
    params, d1, d2 = _sample(key, M, N, alpha_hidden, alpha_readout)
    lam = -np.linalg.eigvalsh(manifold_matrix(params, d1, d2))
    return ManifoldSpectrum(
        lam,
        float(np.sum(np.asarray(params.W2) ** 2)),
        structural_zero_count(M, N),
        int(np.sum(d1 < 0)),
        int(np.sum(d2 < 0)),
    )


def split_sizes(total: int, c: float) -> tuple[int, int]:
    """``(M, N)`` for a total size and a compression ratio as in the authors' grids
    (docs/protocol.md): N = int(total/(1+c)), M = int(total/(1+1/c)), so M + N may be total − 1."""
    if isinstance(total, bool) or not isinstance(total, int) or total < 2:
        raise SpecError(f"total must be an integer >= 2 (got {total!r})")
    if not c > 0:
        raise SpecError(f"c must be a finite number > 0 (got {c!r})")
    N = max(1, int(total / (1.0 + c)))
    M = max(1, int(total / (1.0 + 1.0 / c)))
    return M, N


def sampled_lower_edges(
    M: int, N: int, alpha_hidden: float, alpha_readout: float, seeds
) -> np.ndarray:
    r"""Smallest eigenvalue of :math:`D_1 + W_1^\top D_2W_1` (the large-N matrix: :math:`\lVert W_2\rVert^2`
    set to 1) at sampled manifold points, one per seed (``jr.PRNGKey(seed)``)."""
    out = []
    for s in seeds:
        params, d1, d2 = _sample(jr.PRNGKey(int(s)), M, N, alpha_hidden, alpha_readout)
        unit = params._replace(W2=params.W2 / np.linalg.norm(np.asarray(params.W2)))
        out.append(np.linalg.eigvalsh(manifold_matrix(unit, d1, d2))[0])
    return np.array(out)


def edge_spacing(
    M: int, c: float, alpha_hidden: float = 0.0, alpha_readout: float = 0.0, *, n: int = 200
) -> float:
    r"""The spacing :math:`\delta_M` at the lower edge: :math:`M\int_{x_-}^{x_-+\delta_M}\rho(x)\,dx = 1`.

    :math:`\rho` is the large-N density (fixed-point route); the integral uses
    :math:`x = x_- + t^2` (smooth integrand at a square-root edge) on a grid over
    :math:`t\in[0, t_{max}]`, :math:`t_{max}` doubled until the mass reaches :math:`1/M`, and
    :math:`\delta_M` is interpolated on the cumulative integral.
    """
    lower, upper = fold_edges(c, alpha_hidden, alpha_readout)
    t_end = np.sqrt(upper - lower)
    t_max = t_end * min(
        1.0, (8.0 / M) ** (1.0 / 3.0)
    )  # the mass near a square-root edge grows like t³
    while True:
        t = np.linspace(0.0, t_max, n + 1)
        integrand = np.zeros_like(t)
        integrand[1:] = (
            2.0 * t[1:] * density(lower + t[1:] ** 2, c, alpha_hidden, alpha_readout, eta=1e-12)
        )
        integrand = np.nan_to_num(integrand)
        cum = np.concatenate(
            [[0.0], np.cumsum(0.5 * (integrand[1:] + integrand[:-1]) * np.diff(t))]
        )
        if cum[-1] >= 1.0 / M or t_max >= t_end:
            break
        t_max = min(2.0 * t_max, t_end)
    if cum[-1] < 1.0 / M:
        raise SpecError("edge_spacing: the continuous part carries less than 1/M of the mass")
    return float(np.interp(1.0 / M, cum, t) ** 2)


def instability_fraction(
    layer: str, total: int, cs, alphas, seeds, *, tol: float = 1e-12
) -> np.ndarray:
    r"""Fraction of sampled manifold points (M + N = ``total``) with a positive non-structural
    Jacobian eigenvalue, on the grid ``cs × alphas`` (shape ``(len(cs), len(alphas))``):
    the finite-size counterpart of the large-N phase diagram (finite-size smearing).

    Uses the full matrix :math:`\lVert W_2\rVert^2D_1 + W_1^\top D_2W_1` of each sample.
    """
    if layer not in ("hidden", "readout"):
        raise SpecError(f"layer must be one of hidden, readout (got {layer!r})")
    seeds = list(seeds)
    out = np.zeros((len(np.ravel(cs)), len(np.ravel(alphas))))
    for i, c in enumerate(np.ravel(cs)):
        M, N = split_sizes(total, float(c))
        for j, a in enumerate(np.ravel(alphas)):
            ah, ar = (float(a), 0.0) if layer == "hidden" else (0.0, float(a))
            unstable = [
                manifold_spectrum(jr.PRNGKey(int(s)), M, N, ah, ar).eigenvalues[0] > tol
                for s in seeds
            ]
            out[i, j] = float(np.mean(unstable))
    return out


def finite_size_band(
    layer: str, total: int, fixed: float, grid, seeds, *, n_sigma: float = 2.0
) -> tuple[float, float, float]:
    r"""The finite-size critical value of a phase boundary at ``M + N = total`` and its
    spread over random draws of the manifold point, from :func:`instability_fraction`.

    Along ``grid`` (ascending c at fixed α_h = ``fixed`` for ``hidden``; ascending α_r at
    fixed c = ``fixed`` for ``readout``) the fraction p of unstable draws is the cumulative
    distribution of the critical value over draws. Its median (p = 1/2) is the finite-size
    critical value; its 16 % and 84 % crossings give the standard deviation
    :math:`\sigma` of the critical value (half their distance; in :math:`\log_{10} c` for
    ``hidden``, in α for ``readout``).

    Returns:
        ``(low, median, high)`` = median ∓ ``n_sigma`` σ (c for ``hidden``, α for
        ``readout``); NaN entries when p does not cross all three levels on ``grid``.
    """
    from curldescent.analysis.statistics import level_crossing

    grid = np.asarray(grid, float)
    if layer == "hidden":
        p = instability_fraction(layer, total, grid, [fixed], seeds)[:, 0]
    else:
        p = instability_fraction(layer, total, [fixed], grid, seeds)[0]
    log_x = layer == "hidden"
    lo, med, hi = (level_crossing(grid, p, q, log_x=log_x) for q in (0.16, 0.5, 0.84))
    if not np.all(np.isfinite([lo, med, hi])):
        return (np.nan, np.nan, np.nan)
    if log_x:
        s = 0.5 * (np.log10(hi) - np.log10(lo))
        m = np.log10(med)
        return (float(10 ** (m - n_sigma * s)), float(med), float(10 ** (m + n_sigma * s)))
    s = 0.5 * (hi - lo)
    return (float(med - n_sigma * s), float(med), float(med + n_sigma * s))
