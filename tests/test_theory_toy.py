"""Two-neuron toy model (Section 4.1): field and Jacobian against the engine (autodiff),
eigenvalues on the manifold and at the origin, conservation laws, the separatrix
w1² + w2² = 2s (the paper prints s) and the Fig. 1 trajectory, by integration.

Integration tolerances: DOP853 with rtol 1e-11, atol 1e-13, so invariants drift by < 1e-8
over the spans used; "converged" means loss < 1e-12 (the loss decays exponentially at rate
|w1² − w2²| near a stable point, far below this within the spans used).
"""

import jax.numpy as jnp
import numpy as np
import pytest

from curldescent.network import Params
from curldescent.rules import flow_field
from curldescent.specs import SpecError
from curldescent.theory.jacobian import eigenvalues, flow_jacobian
from curldescent.theory.toy import (
    conserved_quantity,
    curl_limit,
    heteroclinic_orbits,
    integrate,
    separatrix_radius,
    solution_hyperbola,
    toy_field,
    toy_jacobian,
    toy_loss,
    toy_manifold_eigenvalues,
    toy_origin_eigenvalues,
    toy_plasticity,
)

S = 1.0


def _params(w1, w2):
    return Params(jnp.full((1, 1), w1), jnp.full((1, 1), w2))


@pytest.mark.parametrize("rule", ["gradient", "curl"])
def test_field_and_jacobian_match_the_engine(rule):
    """Eqs. (7)/(8) equal the engine's flow (curl = D2 = −1); eq. (9) equals autodiff."""
    rng = np.random.default_rng(0)
    p = toy_plasticity(rule)
    for w1, w2 in rng.normal(size=(5, 2)) * 1.5:
        f = flow_field(p, _params(w1, w2), jnp.full((1, 1), S))
        np.testing.assert_allclose(
            [float(f.W1[0, 0]), float(f.W2[0, 0])], toy_field(w1, w2, S, rule), atol=1e-14
        )
        J = np.asarray(flow_jacobian(p, _params(w1, w2), jnp.full((1, 1), S)))
        np.testing.assert_allclose(J, toy_jacobian(w1, w2, S, rule), atol=1e-13)


def test_eigenvalues_on_the_manifold_and_at_the_origin():
    """Manifold: {0, w1² − w2²} (curl), {0, −(w1²+w2²)} (gradient); origin: ±is, ±s."""
    for w1 in (-2.0, -0.7, 0.4, 1.0, 1.8):
        w2 = S / w1
        for rule in ("curl", "gradient"):
            auto = np.sort(
                eigenvalues(
                    flow_jacobian(toy_plasticity(rule), _params(w1, w2), jnp.full((1, 1), S))
                ).real
            )
            np.testing.assert_allclose(
                auto, np.sort(toy_manifold_eigenvalues(w1, w2, rule)), atol=1e-12
            )
        lam = toy_manifold_eigenvalues(w1, w2, "curl")[1]
        assert (lam < 0) == (abs(w2) > abs(w1)) or abs(w1) == abs(
            w2
        )  # half the manifold is unstable
    for rule, expected in (("curl", [1j * S, -1j * S]), ("gradient", [S, -S])):
        auto = eigenvalues(
            flow_jacobian(toy_plasticity(rule), _params(0.0, 0.0), jnp.full((1, 1), S))
        )
        np.testing.assert_allclose(np.sort_complex(auto), np.sort_complex(expected), atol=1e-14)
        np.testing.assert_allclose(
            np.sort_complex(toy_origin_eigenvalues(S, rule)), np.sort_complex(expected), atol=1e-14
        )


@pytest.mark.parametrize("rule", ["gradient", "curl"])
def test_conservation_laws(rule):
    """Curl flow conserves w1² + w2² (circles), gradient flow w1² − w2² (hyperbolas)."""
    tr = integrate((1.5, -1.2), S, rule, 30.0)
    q = conserved_quantity(tr.w1, tr.w2, rule)
    assert np.max(np.abs(q - q[0])) < 1e-8
    other = conserved_quantity(tr.w1, tr.w2, "gradient" if rule == "curl" else "curl")
    assert np.ptp(other) > 0.1  # the other quantity does change: the test can fail


def test_separatrix_is_the_circle_of_radius_sqrt_2s():
    """Inside w1² + w2² = 2s the curl orbit never reaches the manifold (loss ≥ ½(s − R²/2)²);
    outside it converges to the stable crossing (|w1|, |w2|) = (√t−, √t+); the paper's printed
    circle w1² + w2² = s lies inside, so orbits started on it oscillate forever."""
    r2 = separatrix_radius(S) ** 2
    assert r2 == pytest.approx(2 * S)
    # tangency: the circle meets w1 w2 = s only at (√s, √s)
    assert curl_limit(r2, S) == pytest.approx((np.sqrt(S), np.sqrt(S)))
    for ratio in (0.5, 0.9):  # 0.5: the printed circle R² = s
        R = np.sqrt(ratio * r2)
        tr = integrate((R * np.cos(-1.0), R * np.sin(-1.0)), S, "curl", 100.0, n_points=4001)
        bound = 0.5 * (S - ratio * r2 / 2) ** 2
        assert tr.loss.min() >= bound * (1 - 1e-9)
        assert tr.loss[2000:].min() <= bound * 1.01  # it keeps coming back to the closest approach
    for ratio in (1.1, 2.0):
        R2 = ratio * r2
        R = np.sqrt(R2)
        tr = integrate((R * np.cos(-1.0), R * np.sin(-1.0)), S, "curl", 60.0)
        assert tr.loss[-1] < 1e-12
        np.testing.assert_allclose([abs(tr.w1[-1]), abs(tr.w2[-1])], curl_limit(R2, S), atol=1e-6)
        assert abs(tr.w2[-1]) > abs(tr.w1[-1])  # the stable half
    with pytest.raises(SpecError, match="radius_sq"):
        curl_limit(1.9 * S, S)


def test_heteroclinic_orbits_lie_on_the_separatrix_and_follow_the_flow():
    a1, a2 = heteroclinic_orbits(S, 101)
    for arc in (a1, a2):
        np.testing.assert_allclose(arc[:, 0] ** 2 + arc[:, 1] ** 2, 2 * S, atol=1e-12)
        tangent = np.gradient(arc, axis=0)
        f = np.stack(toy_field(arc[:, 0], arc[:, 1], S, "curl"), axis=1)
        assert np.all(np.sum(tangent * f, axis=1) >= -1e-12)  # ordered along the flow
        assert np.all(toy_loss(arc[:, 0], arc[:, 1], S) <= 2 * S**2 + 1e-12)
    np.testing.assert_allclose(a1[0], [np.sqrt(S), np.sqrt(S)], atol=1e-12)
    np.testing.assert_allclose(a1[-1], [-np.sqrt(S), -np.sqrt(S)], atol=1e-12)
    # integration from just past a tangent point follows the arc towards the other one
    th = np.pi / 4 - 0.05
    r = separatrix_radius(S)
    tr = integrate((r * np.cos(th), r * np.sin(th)), S, "curl", 400.0)
    assert np.hypot(tr.w1[-1] + np.sqrt(S), tr.w2[-1] + np.sqrt(S)) < 0.05
    b1, b2 = solution_hyperbola(S, 3.0, 50)
    np.testing.assert_allclose(b1[:, 0] * b1[:, 1], S)
    np.testing.assert_allclose(b2, -b1)


def test_fig1_start_curl_ascends_first_then_converges_faster_than_gradient():
    w0 = (1.5, -1.2)
    curl = integrate(w0, S, "curl", 20.0)
    grad = integrate(w0, S, "gradient", 20.0)
    assert curl.loss[1] > curl.loss[0]  # initial ascent (inset of Fig. 1c)
    assert curl.loss.max() > 1.02 * curl.loss[0]
    assert curl.loss[-1] < 1e-12
    t_c = curl.t[np.argmax(curl.loss < 1e-6)]
    t_g = grad.t[np.argmax(grad.loss < 1e-6)]
    assert grad.loss[-1] < 1e-6 and t_c < t_g
    assert np.all(np.diff(grad.loss) <= 1e-15)  # gradient flow never ascends


def test_bad_rule_is_rejected():
    with pytest.raises(SpecError, match="rule must be one of"):
        toy_field(1.0, 1.0, S, "hebbian")
    with pytest.raises(SpecError, match="non-zero"):
        separatrix_radius(0.0)
