"""Finite-size spectra from sampled matrices against the large-N edges, and the sampler.

Tolerance for the smallest eigenvalue: the soft-edge fluctuations are of the order of the
spacing δ_M defined by M∫_{x₋}^{x₋+δ_M}ρ = 1 (the classical position of the smallest of M
eigenvalues; δ_M ∝ M^{-2/3}, the Tracy–Widom scale up to an O(1) factor). Over many seeds at
M + N = 220 and 2000 we measured |λ_min − x₋| ≤ 1.6 δ_M; we allow 4 δ_M, ≈ 0.08–0.3 at
M ≈ 460, far below the distance to e.g. the α-shifted edge (the test can fail).
"""

import jax.random as jr
import numpy as np
import pytest
from scipy.stats import linregress

from curldescent.network import Params
from curldescent.specs import SpecError
from curldescent.theory.edges import lower_edge
from curldescent.theory.finite_size import (
    edge_spacing,
    instability_fraction,
    manifold_spectrum,
    sampled_lower_edges,
    split_sizes,
)
from curldescent.theory.freeprob import fold_edges
from curldescent.theory.manifold import flip_signs, sample_manifold_point


@pytest.mark.parametrize("layer,c,alpha", [("hidden", 0.3, 0.5), ("readout", 0.3, 0.2)])
def test_sampled_smallest_eigenvalue_matches_large_n_edge(layer, c, alpha):
    """M + N = 2000, three seeds: |λ_min − x₋| ≤ 4 δ_M; and the edge of a nearby wrong model is
    excluded (so the tolerance is tight enough to detect a wrong edge)."""
    M, N = split_sizes(2000, c)
    ah, ar = (alpha, 0.0) if layer == "hidden" else (0.0, alpha)
    # use the realised fractions ⌊αM⌋/M, ⌊αN⌋/N and c = M/N for the large-N prediction
    k1, k2 = (np.sum(d < 0) for d in flip_signs(M, N, ah, ar))
    a_real = k1 / M if layer == "hidden" else k2 / N
    edge = lower_edge(layer, M / N, a_real)
    delta = edge_spacing(M, M / N, *((a_real, 0.0) if layer == "hidden" else (0.0, a_real)))
    lam = sampled_lower_edges(M, N, ah, ar, seeds=range(3))
    assert np.all(np.abs(lam - edge) <= 4 * delta), (lam, edge, delta)
    # a wrong large-N model is excluded: c off by 50 % (hidden) or α off by 0.1 (readout)
    wrong = (
        lower_edge(layer, 1.5 * M / N, a_real)
        if layer == "hidden"
        else lower_edge(layer, M / N, a_real + 0.1)
    )
    assert np.all(np.abs(lam - wrong) > 4 * delta)


def test_both_layers_flipped_fixed_point_edge_matches_samples():
    """With flips in both layers only the fixed-point route applies; M = N = 500, 3 seeds."""
    edge = fold_edges(1.0, 0.2, 0.1)[0]
    delta = edge_spacing(500, 1.0, 0.2, 0.1)
    lam = sampled_lower_edges(500, 500, 0.2, 0.1, seeds=range(3))
    assert np.all(np.abs(lam - edge) <= 4 * delta)
    assert np.all(np.abs(lam - fold_edges(1.0, 0.2, 0.0)[0]) > 4 * delta)  # readout flips matter


def test_finite_size_smearing_shrinks_like_m_to_the_minus_two_thirds():
    """δ_M ∝ M^(-2/3) at a square-root edge (scaling law, from the fixed-point density); at the
    simulations' size M + N = 220 the sampled λ_min scatter on that (larger) scale."""
    Ms = np.array([1000, 10000, 100000])
    d = [edge_spacing(int(M), 1.0, 0.0, 0.2) for M in Ms]
    assert linregress(np.log(Ms), np.log(d)).slope == pytest.approx(-2 / 3, abs=0.03)
    edge = lower_edge("readout", 1.0, 0.2)
    d220 = edge_spacing(110, 1.0, 0.0, 0.2)
    small = sampled_lower_edges(110, 110, 0.0, 0.2, seeds=range(12))
    assert np.all(np.abs(small - edge) <= 4 * d220)
    assert np.std(small) > 0.1 * d220  # genuinely smeared, not a degenerate sample


def test_manifold_spectrum_includes_w2_norm_exactly():
    """Eigenvalues are −eig(‖W2‖²D1 + W1ᵀD2W1); with D1 = I the factor is an exact shift,
    otherwise Weyl bounds its effect by |‖W2‖² − 1|."""
    M, N = 40, 60
    for seed in range(3):
        spec = manifold_spectrum(jr.PRNGKey(seed), M, N, 0.0, 0.3)
        unit = sampled_lower_edges(M, N, 0.0, 0.3, [seed])[0]
        assert -spec.eigenvalues[0] == pytest.approx(unit + spec.w2_norm_sq - 1.0, abs=1e-12)
        spec_h = manifold_spectrum(jr.PRNGKey(seed), M, N, 0.4, 0.0)
        unit_h = sampled_lower_edges(M, N, 0.4, 0.0, [seed])[0]
        assert abs(-spec_h.eigenvalues[0] - unit_h) <= abs(spec_h.w2_norm_sq - 1.0) + 1e-12
        assert np.all(np.diff(spec.eigenvalues) <= 0)  # decreasing
    assert spec.n_structural == M * N + N - M and spec.k_readout == 18 and spec_h.k_hidden == 16


def test_sample_manifold_point_statistics_and_determinism():
    """Eq. (14): W1 ~ N(0, 1/M), W2 ~ N(0, 1/N), and the point lies on the manifold (E = 0).
    Sample variances of n entries have relative s.d. √(2/n); we allow 5 s.d."""
    M, N = 300, 200
    params, s = sample_manifold_point(jr.PRNGKey(0), M, N)
    v1 = float(np.var(np.asarray(params.W1))) * M
    v2 = float(np.var(np.asarray(params.W2))) * N
    assert abs(v1 - 1) < 5 * np.sqrt(2 / (M * N))
    assert abs(v2 - 1) < 5 * np.sqrt(2 / N)
    np.testing.assert_allclose(
        np.asarray(s), np.asarray(params.W2 @ params.W1), rtol=0, atol=1e-14
    )  # E = 0
    again, _ = sample_manifold_point(jr.PRNGKey(0), M, N)
    other, _ = sample_manifold_point(jr.PRNGKey(1), M, N)
    assert np.array_equal(np.asarray(params.W1), np.asarray(again.W1))
    assert not np.allclose(np.asarray(params.W1), np.asarray(other.W1))
    assert isinstance(params, Params) and params.W2.shape == (1, N) and s.shape == (1, M)
    d1, d2 = flip_signs(10, 7, 0.35, 0.5)
    assert np.sum(d1 < 0) == 3 and np.all(d1[:3] == -1) and np.sum(d2 < 0) == 3
    with pytest.raises(SpecError, match="M must be an integer"):
        sample_manifold_point(jr.PRNGKey(0), 0, 3)


def test_instability_fraction_far_from_the_boundary():
    frac = instability_fraction("hidden", 220, [0.1, 5.0], [0.5], seeds=range(3))
    assert frac[0, 0] == 0.0 and frac[1, 0] == 1.0
    frac = instability_fraction("readout", 220, [0.02, 5.0], [0.2, 0.8], seeds=range(2))
    assert frac[0, 0] == 0.0 and frac[1, 1] == 1.0
    assert split_sizes(220, 1.0) == (110, 110) and split_sizes(220, 0.1) == (
        20,
        199,
    )  # the authors' int() grid
    with pytest.raises(SpecError, match="layer must be one of"):
        instability_fraction("both", 220, [1.0], [0.5], seeds=[0])
