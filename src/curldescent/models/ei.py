r"""Excitatory–inhibitory (E–I) recurrent networks with Hebbian plasticity (eqs. 1–2, A.3).

The network :math:`\tau_y\dot{\mathbf y} = -\mathbf y + WD\mathbf y + \mathbf f` with
non-negative weight magnitudes W and Dale signs :math:`D = \mathrm{diag}(d)`, Hebbian
plasticity with weight decay :math:`\tau_W\dot W = \langle\mathbf y\mathbf y^\top\rangle -
\gamma W`, to first order (eq. 2)

.. math:: \tau_W\dot W \approx \Sigma + WD\Sigma + \Sigma DW^\top - \gamma W .

Because the Hebbian term is symmetric, :math:`\frac{d}{dt}(W - W^\top) = -\gamma(W-W^\top)`
(exactly, at every order): the symmetric matrices are an invariant, attracting subspace, and
A.3 restricts to it. There, with :math:`P = D\Sigma`, the Jacobian of eq. (2) is
:math:`H \mapsto HP + P^\top H - \gamma H`, whose antisymmetric part (Frobenius metric) is
:math:`H \mapsto [H, (P - P^\top)/2]`: the field is a gradient flow if and only if
:math:`D\Sigma = \Sigma D`, i.e. :math:`d_\ell\Sigma_{\ell j} = d_j\Sigma_{\ell j}` for all
:math:`j, \ell` (eq. 37) — which holds when inhibitory neurons receive no input (A.3
remark), or more generally when E and I inputs are uncorrelated. On all :math:`N^2` synapses
(non-symmetric W) the transpose term makes it non-gradient unless :math:`D\Sigma \propto
\mathbb I`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from curldescent.analysis.curl_meter import numpy_rng
from curldescent.models.recurrent import (
    HebbianRecurrent,
    input_correlation,
    input_correlation_from_samples,
)
from curldescent.specs import SpecError

INPUTS = ("all", "excitatory", "uncorrelated")


def ei_signs(n: int, n_inh: int) -> np.ndarray:
    """Dale signs: the first ``n - n_inh`` neurons excitatory (+1), the last ``n_inh`` inhibitory (−1)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise SpecError(f"n must be an integer >= 1 (got {n!r})")
    if isinstance(n_inh, bool) or not isinstance(n_inh, int) or not 0 <= n_inh <= n:
        raise SpecError(f"n_inh must be an integer in [0, {n}] (got {n_inh!r})")
    d = np.ones(n)
    d[n - n_inh :] = -1.0
    return d


def ei_input_correlation(
    key: Any, d: Any, *, inputs: str = "all", n_samples: int | None = None
) -> np.ndarray:
    r"""Input second moment Σ for an E–I network with signs ``d``.

    ``inputs``: ``all`` — every neuron receives a correlated drive; ``excitatory`` — the
    inhibitory neurons receive none (their rows and columns of Σ vanish; A.3 remark);
    ``uncorrelated`` — both populations receive input but E and I drives are uncorrelated
    (:math:`\Sigma_{\ell j} = 0` whenever :math:`d_\ell\ne d_j`; eq. 37 holds). With
    ``n_samples = None`` the drive is constant (Σ = ffᵀ, rank one, built per population
    and summed for ``uncorrelated``); otherwise Σ = ⟨ffᵀ⟩ over ``n_samples`` Gaussian drives
    with a random mixing (full rank), from separate sample sets per population for
    ``uncorrelated``.
    """
    if inputs not in INPUTS:
        raise SpecError(f"inputs must be one of {', '.join(INPUTS)} (got {inputs!r})")
    d = np.asarray(d, np.float64)
    n = d.size
    exc, inh = (d > 0).astype(np.float64), (d < 0).astype(np.float64)
    rng = numpy_rng(key)
    if n_samples is None:
        f = rng.standard_normal(n)
        if inputs == "all":
            return input_correlation(f)
        if inputs == "excitatory":
            return input_correlation(f * exc)
        return input_correlation(f * exc) + input_correlation(f * inh)
    mix = rng.standard_normal((n, n)) / np.sqrt(n)
    F = rng.standard_normal((n_samples, n)) @ mix.T
    if inputs == "excitatory":
        return input_correlation_from_samples(F * exc[None, :])
    if inputs == "uncorrelated":
        # independent sample sets per population: population-level uncorrelated drives, so
        # the E-I blocks of Sigma vanish exactly (finite joint samples would correlate them)
        G = rng.standard_normal((n_samples, n)) @ mix.T
        return input_correlation_from_samples(F * exc[None, :]) + input_correlation_from_samples(
            G * inh[None, :]
        )
    return input_correlation_from_samples(F)


def ei_network(
    d: Any, sigma: Any, *, gamma: float = 0.1, order: int | None = 1
) -> HebbianRecurrent:
    """The E–I Hebbian network (eq. 2 for ``order = 1``; exact steady state for ``None``)."""
    return HebbianRecurrent(d=np.asarray(d, np.float64), sigma=sigma, gamma=gamma, order=order)


def sample_ei_weights(
    key: Any, n: int, *, scale: float = 0.5, symmetric: bool = True
) -> np.ndarray:
    r"""Non-negative weight magnitudes :math:`W_{ij} = \mathrm{scale}\,|Z_{ij}|/N`
    (symmetrised when ``symmetric``), so that the row sums — and the spectral radius of WD —
    are about ``0.8·scale`` and the steady state is stable for scale < 1."""
    W = scale * np.abs(numpy_rng(key).standard_normal((n, n))) / n
    return 0.5 * (W + W.T) if symmetric else W
