"""The subordination fixed-point route: Stieltjes transform against the Marchenko–Pastur
closed form, normalisation and first moment of the density, fold edges against closed forms.

Tolerances: Newton is run to 1e-13 relative, so transforms agree with closed forms to 1e-10.
The density integrals use x = (a+b)/2 − (b−a)/2·cos θ on each support interval (the sin θ
Jacobian cancels the square-root edges) with 1500 trapezoid nodes: error < 1e-5.
"""

import numpy as np
import pytest

from curldescent.specs import SpecError
from curldescent.theory.edges import support_intervals
from curldescent.theory.freeprob import density, fold_edges, stieltjes


def _mp_cauchy(w, c):
    """Cauchy transform of S = W1ᵀW1 (entries N(0, 1/M), c = M/N): root of c w g² − (c w + c − 1) g + c = 0
    (from B_S(g) = 1/g + 1/(c(1 − g)), eq. 110) with Im g < 0 for Im w > 0."""
    a, b, cc = c * w, -(c * w + c - 1), c
    disc = np.sqrt(b * b - 4 * a * cc + 0j)
    r1, r2 = (-b + disc) / (2 * a), (-b - disc) / (2 * a)
    return np.where(r1.imag < 0, r1, r2)


@pytest.mark.parametrize("c", [0.3, 1.0, 2.5])
def test_stieltjes_matches_marchenko_pastur_closed_forms(c):
    rng = np.random.default_rng(0)
    z = rng.normal(size=30) * 3 + 1j * np.exp(rng.uniform(np.log(1e-3), np.log(3), 30))
    # X = I + S (no flips), X = −I + S (all inputs flipped), X = I − S (all hidden units flipped)
    np.testing.assert_allclose(stieltjes(z, c), _mp_cauchy(z - 1, c), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        stieltjes(z, c, alpha_hidden=1.0), _mp_cauchy(z + 1, c), rtol=1e-10, atol=1e-12
    )
    g_minus = -np.conj(_mp_cauchy(1 - np.conj(z), c))  # G_{I-S}(z) = -G_S(1 - z), G(w̄) = conj G(w)
    np.testing.assert_allclose(stieltjes(z, c, alpha_readout=1.0), g_minus, rtol=1e-10, atol=1e-12)
    assert np.all(stieltjes(z, c, 0.3, 0.2).imag < 0)


def _integrate(f, a, b, n=1500):
    th = np.linspace(0, np.pi, n)
    x = 0.5 * (a + b) - 0.5 * (b - a) * np.cos(th)
    y = f(x) * 0.5 * (b - a) * np.sin(th)
    return float(np.sum(0.5 * (y[1:] + y[:-1]) * np.diff(th)))


@pytest.mark.parametrize(
    "layer,c,alpha",
    [("hidden", 0.4, 0.3), ("hidden", 0.2, 0.5), ("readout", 0.5, 0.2), ("readout", 0.7, 0.3)],
)
def test_density_is_normalised_and_has_the_right_mean(layer, c, alpha):
    """∫ρ = 1 (no atoms for c ≤ 1) and ∫xρ = tr X / M = (1 − 2α_h) + 1/c (hidden) or
    1 + (1 − 2α_r)/c (readout): E‖w_i‖² = 1 for each of the N rows, M·c⁻¹ … per input."""
    ah, ar = (alpha, 0.0) if layer == "hidden" else (0.0, alpha)
    mass = mean = 0.0
    for a, b in support_intervals(layer, c, alpha):
        mass += _integrate(lambda x: density(x, c, ah, ar, eta=1e-12), a, b)
        mean += _integrate(lambda x: x * density(x, c, ah, ar, eta=1e-12), a, b)
    expected_mean = (1 - 2 * ah) + 1 / c if layer == "hidden" else 1 + (1 - 2 * ar) / c
    assert mass == pytest.approx(1.0, abs=1e-5)
    assert mean == pytest.approx(expected_mean, abs=1e-4)


def test_fold_edges_mixed_flips_and_errors():
    """Both layers flipped: the fold route still gives edges where the density turns on."""
    lo, hi = fold_edges(1.0, 0.2, 0.1)
    rho = density(np.array([lo - 1e-3, lo + 1e-3, hi - 1e-3, hi + 1e-3]), 1.0, 0.2, 0.1, eta=1e-13)
    assert rho[0] < 1e-9 and rho[1] > 1e-3 and rho[2] > 1e-3 and rho[3] < 1e-9
    with pytest.raises(SpecError, match="Im z > 0"):
        stieltjes(np.array([1.0 + 0j]), 1.0)
    with pytest.raises(SpecError, match="alpha_readout must lie"):
        fold_edges(1.0, 0.0, 2.0)
