r"""Hebbian/anti-Hebbian recurrent networks (Appendix A.2, eqs. 23–24).

The network :math:`\tau_y\dot{\mathbf y} = -\mathbf y + W\mathbf y + \mathbf f` (no Dale
signs) with a per-synapse plasticity sign :math:`M_{ij}\in\{+1,-1\}` (eq. 23):

.. math:: \tau_W\dot W = \mathbf y\mathbf y^\top\odot M
          \approx (\Sigma + \Sigma W^\top + W\Sigma)\odot M \quad\text{(eq. 24)}.

On all :math:`N^2` synapses the Jacobian of eq. (24) is
:math:`H\mapsto(\Sigma H^\top + H\Sigma)\odot M`; symmetry needs (eq. 28–29)
:math:`\Sigma_{\ell i} = 0` for :math:`\ell\ne i` — uncorrelated inputs — and then, in
addition, :math:`\Sigma_{ii}M_{ij} = \Sigma_{jj}M_{ji}` (from the transpose term), e.g.
:math:`\Sigma = s\,\mathbb I` with M symmetric. On symmetric W with symmetric M (A.2.1) the
Jacobian is :math:`H\mapsto(\Sigma H + H\Sigma)\odot M`; the field is a gradient flow when M
is constant on the blocks of correlated inputs, in particular for purely Hebbian
:math:`M = \mathbf 1\mathbf 1^\top` or purely anti-Hebbian :math:`M = -\mathbf 1\mathbf 1^\top`
(eq. 32), and generically not for mixed M.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from curldescent.analysis.curl_meter import numpy_rng
from curldescent.models.recurrent import HebbianRecurrent
from curldescent.specs import SpecError


def plasticity_mask(
    key: Any, n: int, *, anti_fraction: float = 0.5, symmetric: bool = True
) -> np.ndarray:
    r"""A ±1 mask M (eq. 23): each synapse anti-Hebbian (−1) with probability
    ``anti_fraction``; ``symmetric`` draws the upper triangle and mirrors it (A.2.1).
    ``anti_fraction = 0`` is purely Hebbian (:math:`\mathbf 1\mathbf 1^\top`), 1 purely
    anti-Hebbian."""
    if (
        isinstance(anti_fraction, bool)
        or not isinstance(anti_fraction, int | float)
        or not 0 <= anti_fraction <= 1
    ):
        raise SpecError(f"anti_fraction must lie in [0, 1] (got {anti_fraction!r})")
    anti = numpy_rng(key).random((n, n)) < anti_fraction
    M = np.where(anti, -1.0, 1.0)
    if symmetric:
        M = np.triu(M) + np.triu(M, 1).T
    return M


def hebbian_network(
    M: Any, sigma: Any, *, gamma: float = 0.0, order: int | None = 1
) -> HebbianRecurrent:
    """The Hebbian/anti-Hebbian network with mask ``M`` (eq. 24 for ``order = 1``)."""
    M = np.asarray(M, np.float64)
    if M.ndim != 2 or M.shape[0] != M.shape[1] or not np.all(np.isin(M, (-1.0, 1.0))):
        raise SpecError("M must be a square matrix of +1 (Hebbian) and -1 (anti-Hebbian) entries")
    return HebbianRecurrent(
        d=np.ones(M.shape[0]), sigma=sigma, plasticity=M, gamma=gamma, order=order
    )


def sample_hebbian_weights(
    key: Any, n: int, *, scale: float = 0.5, symmetric: bool = True
) -> np.ndarray:
    r"""Weights :math:`W_{ij} = \mathrm{scale}\,Z_{ij}/\sqrt N` (symmetrised when
    ``symmetric``): entries of order :math:`1/\sqrt N` (A.2), spectral radius ≈ √2·scale
    (symmetric, a GOE-like matrix) or scale (not)."""
    W = scale * numpy_rng(key).standard_normal((n, n)) / np.sqrt(n)
    return (W + W.T) / 2.0 if symmetric else W
