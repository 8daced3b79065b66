"""The curl meter (two independent measures), figure A and ``curldescent curl-index``."""

import json
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import linregress

from curldescent.analysis.curl_meter import (
    CurlIndex,
    CurlMeter,
    Subspace,
    circulation_index,
    classify,
    curl_index,
    jacobian,
    jacobian_asymmetry,
    jacobian_asymmetry_probe,
    loop_circulation,
)
from curldescent.models.catalog import CaseSpec, build_case, measure_case
from curldescent.specs import SpecError


@dataclass(frozen=True, eq=False)
class Linear:
    """f(θ) = Aθ + b as a pytree callable (A, b are leaves: one compilation per size)."""

    A: Any
    b: Any

    def __call__(self, theta):
        return self.A @ theta + self.b


jax.tree_util.register_pytree_node(Linear, lambda f: ((f.A, f.b), None), lambda _, ch: Linear(*ch))


def _closed(A):
    return np.linalg.norm(A - A.T) / np.linalg.norm(A)


# --------------------------------------------------------------------------------------
# closed forms
# --------------------------------------------------------------------------------------


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), mix=st.sampled_from([0.0, 0.3, 1.0]))
def test_linear_fields_match_closed_forms(seed, mix):
    """J = A: asymmetry ||A - A^T||/||A||, both routes; the loop circulation is exactly
    pi r^2 v^T (A - A^T) u for every radius (trapezoid exact on a quadratic trig polynomial)."""
    rng = np.random.default_rng(seed)
    m = 5
    G = rng.standard_normal((m, m))
    A = (G + G.T) / 2 + mix * (G - G.T) / 2
    f = Linear(A, rng.standard_normal(m))
    pts = rng.standard_normal((2, m))
    res = curl_index(f, pts, key=seed)
    expected = _closed(A)
    np.testing.assert_allclose(res.jacobian_asymmetry, expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(res.circulation_index, expected, rtol=1e-7, atol=1e-11)
    assert (classify(res) == "gradient") == (mix == 0.0)
    assert np.all(res.circulation_stderr == 0)  # every plane used
    u, v = rng.standard_normal((2, m))
    u = u / np.linalg.norm(u)
    v = v - (u @ v) * u
    v = v / np.linalg.norm(v)
    radii = np.array([1e-3, 0.1, 10.0])
    circ = CurlMeter(f, pts[0]).circulation(pts[0], u, v, radii, n_points=4)
    np.testing.assert_allclose(
        circ,
        np.pi * radii**2 * (v @ (A - A.T) @ u),
        rtol=1e-9,
        atol=1e-12 * radii.max() ** 2 * np.abs(A).max(),
    )


def test_sampled_loop_planes_are_unbiased_within_their_standard_error():
    """With n of the m(m-1)/2 planes sampled, the circulation index is a Monte Carlo estimate
    whose reported standard error covers its deviation from the exhaustive value."""
    rng = np.random.default_rng(7)
    m = 12
    G = rng.standard_normal((m, m))
    f = Linear(G, np.zeros(m))
    pts = rng.standard_normal((8, m))
    res = curl_index(f, pts, key=1, n_planes=20)  # 20 of 66 planes
    assert res.n_planes == 20 and np.all(res.circulation_stderr > 0)
    z = (res.circulation_index - _closed(G)) / res.circulation_stderr
    assert np.all(np.abs(z) < 4.0) and abs(np.mean(z)) < 2.0


def test_rotation_field_exact_values():
    rot = lambda th: jnp.stack([-th[1], th[0]])  # noqa: E731
    res = curl_index(rot, np.zeros((1, 2)), key=0)
    np.testing.assert_allclose(
        [res.jacobian_asymmetry[0], res.circulation_index[0]], [2.0, 2.0], rtol=1e-12
    )
    c = jax.jit(
        lambda th: loop_circulation(
            rot, th, jnp.array([1.0, 0.0]), jnp.array([0.0, 1.0]), radius=0.7, n_points=5
        )
    )(jnp.zeros(2))
    np.testing.assert_allclose(c, 2 * np.pi * 0.7**2, rtol=1e-14)


# --------------------------------------------------------------------------------------
# gradient fields are zero; non-gradient fields are not; scaling laws
# --------------------------------------------------------------------------------------


def _potential(th):
    x, w = th["x"], th["w"]
    return (
        jnp.sum(jnp.cos(x[:-1] * x[1:])) + jnp.sum(jnp.exp(0.3 * x)) + jnp.sum(jnp.tanh(w @ x) ** 2)
    )


GRAD_V = lambda th: jax.tree.map(jnp.negative, jax.grad(_potential)(th))  # noqa: E731


def test_gradient_fields_have_zero_asymmetry_and_circulation():
    gd = build_case(CaseSpec("gradient", M=4, N=3, samples=2))
    res = measure_case(gd)
    assert res.dimension == 4 * 3 + 3
    assert np.all(res.jacobian_asymmetry < 1e-14) and np.all(res.circulation_index < 1e-10)
    rng = np.random.default_rng(0)
    pts = {"x": rng.standard_normal((2, 4)), "w": rng.standard_normal((2, 3, 4))}
    res = curl_index(GRAD_V, pts, key=1)
    assert np.all(res.jacobian_asymmetry < 1e-14) and np.all(res.circulation_index < 1e-9)
    assert classify(res) == "gradient"


def test_gradient_field_circulation_on_large_loops_converges_geometrically_in_loop_points():
    """Stokes: zero for any radius; the trapezoidal rule on a periodic analytic integrand
    converges geometrically in the number of loop points."""
    th = {"x": np.array([0.3, -0.2, 0.5, 0.1]), "w": np.zeros((3, 4))}
    meter = CurlMeter(GRAD_V, th)
    rng = np.random.default_rng(2)
    u, v = rng.standard_normal((2, meter.dim))
    errs = [abs(meter.circulation(th, u, v, [0.8], n_points=n)[0]) for n in (6, 12, 48)]
    assert errs[0] > 1e-4 and errs[1] < errs[0] * 1e-2 and errs[2] < 1e-12


def _swirl(th):
    x, y, z = th
    return jnp.stack([-jnp.sin(y) * jnp.exp(0.5 * x), jnp.sin(x) + 0.3 * z**2, jnp.cos(x * y)])


def test_circulation_scales_with_loop_area_and_converges_to_stokes_at_order_r2():
    """Non-gradient smooth field: |C| ~ r^2 (slope 2), and C/(pi r^2) -> v^T (J - J^T) u with
    error ~ r^2 (the truncation order of Stokes' expansion on a circle)."""
    th = jnp.array([0.2, -0.4, 0.3])
    u, v = jnp.array([1.0, 0.0, 0.0]), jnp.array([0.0, 0.6, 0.8])
    J = np.asarray(jax.jit(lambda p: jacobian(_swirl, p))(th))
    target = float(v @ (J - J.T) @ u)
    radii = np.logspace(-2.5, -1, 5)
    circ = CurlMeter(_swirl, th).circulation(th, u, v, radii, n_points=32)
    assert abs(linregress(np.log(radii), np.log(np.abs(circ))).slope - 2.0) < 1e-3
    err = np.abs(circ / (np.pi * radii**2) - target)
    assert abs(linregress(np.log(radii), np.log(err)).slope - 2.0) < 0.05
    # the traceable single-loop route gives the same numbers
    single = jax.jit(
        lambda p: loop_circulation(_swirl, p, u, v, radius=float(radii[-1]), n_points=32)
    )(th)
    np.testing.assert_allclose(single, circ[-1], rtol=1e-12)


@pytest.mark.parametrize(
    "rule, options",
    [("curl", dict(alpha_hidden=0.5, alpha_readout=0.34)), ("feedback_alignment", {})],
)
def test_known_non_gradient_rules_are_bounded_away_from_zero(rule, options):
    res = measure_case(build_case(CaseSpec(rule, M=4, N=3, samples=2, **options)))
    assert np.all(res.jacobian_asymmetry > 0.05)
    np.testing.assert_allclose(res.circulation_index, res.jacobian_asymmetry, rtol=1e-4)
    assert classify(res) == "non-gradient"


def test_traceable_jacobian_and_probe_routes():
    case = build_case(CaseSpec("curl", M=4, N=3, samples=1, alpha_hidden=0.5))
    th = jax.tree.map(lambda a: jnp.asarray(a[0]), case.points)
    res = measure_case(case)
    exact = jax.jit(lambda p: jacobian_asymmetry(case.field, p))(th)
    np.testing.assert_allclose(exact, res.jacobian_asymmetry[0], rtol=1e-12)
    probe = jax.jit(
        lambda p: jacobian_asymmetry_probe(case.field, p, key=jax.random.key(0), n_probes=400)
    )(th)
    assert abs(float(probe) / float(exact) - 1.0) < 0.12  # ~sqrt(2/400) per mean
    np.testing.assert_allclose(
        circulation_index(case.field, th, key=3), res.circulation_index[0], rtol=1e-6
    )


# --------------------------------------------------------------------------------------
# subspaces and metrics
# --------------------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(st.lists(st.booleans(), min_size=6, max_size=6))
def test_mask_subspace_selects_exactly_the_existing_synapses(flags):
    mask = {"a": np.array(flags[:4]).reshape(2, 2), "b": np.array(flags[4:])}
    if not any(flags):
        with pytest.raises(SpecError, match="mask"):
            Subspace.from_mask(mask)
        return
    sub = Subspace.from_mask(mask)
    np.testing.assert_array_equal(sub.indices, np.flatnonzero(flags))
    z = np.arange(1.0, sub.dim + 1)
    x = sub.embed(z)
    assert np.all(x[~np.array(flags)] == 0) and np.array_equal(x[np.array(flags)], z)
    np.testing.assert_array_equal(sub.project(x), z)


def test_symmetric_subspace_and_restricted_jacobian():
    n = 3
    sub = Subspace.symmetric(n)
    U = sub.basis
    assert U.shape == (9, 6)
    np.testing.assert_allclose(U.T @ U, np.eye(6), atol=1e-15)
    assert all(np.allclose(c.reshape(n, n), c.reshape(n, n).T) for c in U.T)
    rng = np.random.default_rng(0)
    A = rng.standard_normal((9, 9))
    W = rng.standard_normal((n, n))
    f = lambda X: (A @ X.ravel()).reshape(n, n)  # noqa: E731
    Jr = CurlMeter(f, W, subspace=sub).jacobian(W + W.T)
    np.testing.assert_allclose(Jr, U.T @ A @ U, atol=1e-13)
    np.testing.assert_allclose(
        jax.jit(lambda X: jacobian(f, X, subspace=sub))(W), U.T @ A @ U, atol=1e-13
    )
    mask = np.array([[1, 1, 0], [1, 0, 0], [0, 0, 1]])
    assert Subspace.symmetric(n, mask).dim == 3


def test_metric_turns_natural_gradient_and_saddle_flows_into_gradient_flows():
    """f = -G^-1 grad V is non-gradient for the Euclidean metric but gradient for G; a
    descent-ascent flow is gradient for the indefinite metric diag(+1, -1)."""
    g = np.array([1.0, 4.0, 0.5])
    V = lambda th: jnp.sum(jnp.sin(th) * jnp.roll(th, 1)) + jnp.sum(th**4)  # noqa: E731
    natural = lambda th: -jax.grad(V)(th) / g  # noqa: E731
    pts = np.random.default_rng(1).standard_normal((2, 3))
    assert classify(curl_index(natural, pts, key=0)) == "non-gradient"
    assert classify(curl_index(natural, pts, key=0, metric=g)) == "gradient"
    W = lambda p: p[0] * p[1] ** 2 + jnp.cos(p[0])  # noqa: E731
    saddle = lambda p: jax.grad(W)(p) * jnp.array([1.0, -1.0])  # noqa: E731
    pts2 = np.random.default_rng(2).standard_normal((2, 2))
    assert classify(curl_index(saddle, pts2, key=0)) == "non-gradient"
    assert classify(curl_index(saddle, pts2, key=0, metric=np.array([1.0, -1.0]))) == "gradient"


def test_bad_meter_input_raises_spec_error():
    f = lambda th: -th  # noqa: E731
    with pytest.raises(SpecError, match="radius"):
        curl_index(f, np.zeros((1, 3)), key=0, radius=0.0)
    with pytest.raises(SpecError, match="n_loop_points"):
        curl_index(f, np.zeros((1, 3)), key=0, n_loop_points=2)
    with pytest.raises(SpecError, match="metric"):
        curl_index(f, np.zeros((1, 3)), key=0, metric=np.ones(2))
    with pytest.raises(SpecError, match="subspace"):
        curl_index(f, np.zeros((1, 3)), key=0, subspace=Subspace.symmetric(2))
    with pytest.raises(SpecError, match="points"):
        curl_index(f, 0.0, key=0)
    with pytest.raises(SpecError, match="jacobian_method"):
        curl_index(f, np.zeros((1, 3)), key=0, jacobian_method="fd")
    with pytest.raises(SpecError, match="rule must be one of"):
        CaseSpec("oja")
    with pytest.raises(SpecError, match="order must be one of"):
        CaseSpec("ei", order="2")
    with pytest.raises(SpecError, match="tied"):
        CaseSpec("pehlevan", tied=True, order="1")
    with pytest.raises(SpecError, match="alpha_hidden"):
        CaseSpec("curl", alpha_hidden=1.5)
    res = CurlIndex(np.array([0.0]), np.array([0.5]), np.array([1.0]), 2, 1e-3, 16, 1)
    assert classify(res) == "inconclusive"


# --------------------------------------------------------------------------------------
# figure A and the CLI
# --------------------------------------------------------------------------------------


def test_fig_a_smoke(tmp_path):
    from curldescent.figures.base import run_figure

    result = run_figure("figA", profile="smoke", out=tmp_path)
    assert result.extra["print_problems"] == []
    for key in ("png", "pdf", "data", "claims"):
        assert (
            tmp_path
            / f"figA.{'nc' if key == 'data' else 'claims.json' if key == 'claims' else key}"
        ).exists()
    data = xr.open_dataset(tmp_path / "figA.nc")
    for name, var in data.data_vars.items():
        assert var.attrs.get("long_name") and "units" in var.attrs, name
    claims = {c.claim: c for c in result.claims}
    assert (
        len(result.claims)
        == data.sizes["case"] + data.sizes["loop_case"] + 1 + data.sizes["order_case"]
    )
    rows = {
        str(c): str(s) for c, s in zip(data["case"].values, data["statement"].values, strict=True)
    }
    # the honest verdicts: everything reproduced except the A.4 gradient claims (eqs. 44-45)
    failed = {case for case, statement in rows.items() if claims[statement].verdict != "reproduced"}
    assert failed == {"a4-3", "a4-tied"}
    assert all(c.verdict == "reproduced" for c in result.claims if c.claim not in rows.values())
    gd = claims[rows["gd"]].value
    assert gd["jacobian_asymmetry_max"] < 1e-12 and gd["measured"] == "gradient"
    assert result.extra["n_runs"] == 0
    assert all(c.setting for c in result.claims)
    saved = json.loads((tmp_path / "figA.claims.json").read_text())
    assert len(saved) == len(result.claims)


def test_cli_curl_index_json_and_errors(capsys):
    from curldescent.cli.main import main

    with pytest.raises(SystemExit) as exc:
        main(["curl-index", "--rule", "hebbian-pure", "--N", "3", "--samples", "1", "--json"])
    assert exc.value.code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["verdict"] == "gradient" and out["dimension"] == 6
    assert out["jacobian_asymmetry"]["max"] < 1e-12 and len(out["circulation_index"]["values"]) == 1
    assert set(out) >= {
        "rule",
        "spec",
        "description",
        "radius",
        "n_planes",
        "jacobian_norm",
        "zero_tol",
        "circulation_stderr",
    }
    for argv, msg in (
        (["--rule", "oja"], "rule must be one of"),
        (["--order", "2"], "order must be one of"),
        (["--radius", "-1"], "radius"),
    ):
        with pytest.raises(SystemExit) as exc:
            main(["curl-index", *argv])
        assert exc.value.code == 2
        err = capsys.readouterr().err
        assert err.startswith("error:") and msg in err and "Traceback" not in err
