r"""Figure A: where curl comes from — the curl meter on every built-in learning field.

Not a figure of the paper: a table and figure for its Section 2 and Appendix A, whose
statements are analytic. For each field the curl meter
(:mod:`curldescent.analysis.curl_meter`) reports two independent indices at sampled
points — the Jacobian asymmetry :math:`\lVert J-J^\top\rVert_F/\lVert J\rVert_F` and the
circulation index from small loops — next to what the paper says (gradient or not).

Panels: (a) the table as a dot plot; (b) the circulation around a fixed loop versus its
radius (∝ r² for a smooth non-gradient field, round-off for a gradient field); (c) the
Jacobian asymmetry of exact-steady-state models versus the weight scale w (curl appears at
order w in E–I networks, at order w² in the A.4 architecture, and again at order w when E→E
and I→I synapses are added).

Data schema: dims ``case`` (table rows), ``sample`` (points), ``loop_case``/``radius``
(panel b), ``order_case``/``weight_scale`` (panel c).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax
import numpy as np
import xarray as xr

from curldescent.analysis.curl_meter import ZERO_TOL, CurlIndex, CurlMeter, classify, numpy_rng
from curldescent.figures.base import Claim, profile_settings, verdict
from curldescent.models.catalog import CaseSpec, build_case
from curldescent.plotting import OKABE_ITO, PRINT_WIDTH
from curldescent.results import provenance

CAPTION = (
    "Curl meter for every built-in learning field: Jacobian asymmetry ‖J−Jᵀ‖/‖J‖ and "
    "loop-circulation index at sampled points, next to the paper's statement (Section 2, "
    "Appendix A); circulation versus loop radius; curl index versus weight scale."
)
PAPER_COMPUTE = "None: the paper's statements in Section 2 and Appendix A are analytic (no simulation reported)."
PROFILES = {
    "smoke": "1 point per field; two-layer M=5, N=3; recurrent models with 5 neurons (E-I 3E+2I; A.4 2 FF, 2 E, 1 I); 5 radii, 3 weight scales",
    "quick": "3 points per field; two-layer M=8, N=4; recurrent models with 6 neurons (E-I 4E+2I; A.4 3 FF, 2 E, 1 I); 7 radii, 4 weight scales",
    "decisive": "as paper (theory, seconds to minutes): 8 points per field; two-layer M=20, N=10 (2048 random loop planes); recurrent models with 10 neurons (E-I 7E+3I; A.4 5 FF, 3 E, 2 I); 9 radii, 6 weight scales",
    "paper": "8 points per field; two-layer M=20, N=10 (2048 random loop planes); recurrent models with 10 neurons (E-I 7E+3I; A.4 5 FF, 3 E, 2 I); 9 radii, 6 weight scales",
}


@dataclass(frozen=True)
class Settings:
    """The model sizes and grids of one profile. The recurrent models of one profile share
    a size, so that their meters share compilations.

    Args:
        rules: sizes (``M``, ``N``) of the two-layer networks (:class:`CaseSpec` fields).
        ei: sizes (``N`` neurons, ``n_inh`` inhibitory) of the E-I networks.
        heb: size (``N`` neurons) of the Hebbian networks.
        a4: sizes (``M`` feed-forward, ``N`` excitatory, ``n_inh`` inhibitory) of the A.4
            architecture.
        samples: sampled points per field.
        n_radii: loop radii of panel (b).
        n_scales: weight scales of panel (c).
    """

    rules: dict[str, int]
    ei: dict[str, int]
    heb: dict[str, int]
    a4: dict[str, int]
    samples: int
    n_radii: int
    n_scales: int


SETTINGS: dict[str, Settings] = {
    "smoke": Settings(
        rules=dict(M=5, N=3),
        ei=dict(N=5, n_inh=2),
        heb=dict(N=5),
        a4=dict(M=2, N=2, n_inh=1),
        samples=1,
        n_radii=5,
        n_scales=3,
    ),
    "quick": Settings(
        rules=dict(M=8, N=4),
        ei=dict(N=6, n_inh=2),
        heb=dict(N=6),
        a4=dict(M=3, N=2, n_inh=1),
        samples=3,
        n_radii=7,
        n_scales=4,
    ),
    "decisive": Settings(
        rules=dict(M=20, N=10),
        ei=dict(N=10, n_inh=3),
        heb=dict(N=10),
        a4=dict(M=5, N=3, n_inh=2),
        samples=8,
        n_radii=9,
        n_scales=6,
    ),
    "paper": Settings(
        rules=dict(M=20, N=10),
        ei=dict(N=10, n_inh=3),
        heb=dict(N=10),
        a4=dict(M=5, N=3, n_inh=2),
        samples=8,
        n_radii=9,
        n_scales=6,
    ),
}
RADIUS = 1e-3
SCALE_RADIUS = 1e-4
JIT = True
N_LOOP_POINTS = 16
SEED = 0
SLOPE_TOL = 0.15
#: Panel a's colours (colour-blind safe): the measured class agrees with the paper, or not.
AGREES, DISAGREES = OKABE_ITO["blue"], OKABE_ITO["vermillion"]

# (id, label, family, options, statement, what it says). Statements not in the paper are
# prefixed "Our reading" and labelled as such in the plot.
_ROWS: list[tuple[str, str, str, dict[str, Any], str, str]] = [
    (
        "gd",
        "GD",
        "rules",
        dict(rule="gradient"),
        "Gradient descent (eqs. 3-4) is a gradient flow.",
        "gradient",
    ),
    (
        "curl-h",
        "curl a_h=0.2",
        "rules",
        dict(rule="curl", alpha_hidden=0.2, alpha_readout=0.0),
        "Curl descent with sign-diverse D1 is not a gradient flow (A.1).",
        "non-gradient",
    ),
    (
        "curl-r",
        "curl a_r=0.5",
        "rules",
        dict(rule="curl", alpha_hidden=0.0, alpha_readout=0.5),
        "Curl descent with sign-diverse D2 is not a gradient flow (A.1, eqs. 16-22).",
        "non-gradient",
    ),
    (
        "curl-hr",
        "curl a_h=0.4, a_r=0.5",
        "rules",
        dict(rule="curl", alpha_hidden=0.4, alpha_readout=0.5),
        "Curl descent with both layers flipped is not a gradient flow (A.1).",
        "non-gradient",
    ),
    (
        "fa",
        "feedback alignment",
        "rules",
        dict(rule="feedback_alignment"),
        "Feedback alignment cannot be expressed as a gradient unless B W2 is symmetric (Related work).",
        "non-gradient",
    ),
    (
        "ei-all",
        "E-I, input to I (eq. 2)",
        "ei",
        dict(rule="ei"),
        "E-I Hebbian learning (eq. 2) with input to inhibitory neurons is non-gradient (Section 2, A.3).",
        "non-gradient",
    ),
    (
        "ei-noinh",
        "E-I, no input to I (eq. 2)",
        "ei",
        dict(rule="ei-no-inhibitory-input"),
        "E-I Hebbian learning (eq. 2) with no input to inhibitory neurons: eq. 37 holds and the curl terms vanish (A.3 remark).",
        "gradient",
    ),
    (
        "ei-uncorr",
        "E-I, uncorrelated E/I input",
        "ei",
        dict(rule="ei-uncorrelated-input"),
        "Our reading of A.3: eq. 37 (d_l S_lj = d_j S_lj) also holds for uncorrelated E and I inputs, so eq. 2 is then a gradient flow.",
        "gradient",
    ),
    (
        "ei-nonsym",
        "E-I, no input to I, all N^2 synapses",
        "ei",
        dict(rule="ei-no-inhibitory-input", all_synapses=True),
        "Without W = W^T the Jacobian symmetry of eq. 2 would force S = 0 (A.3): non-gradient on all N^2 synapses.",
        "non-gradient",
    ),
    (
        "heb-mixed",
        "Hebbian/anti-Hebbian mixed M",
        "heb",
        dict(rule="hebbian-mixed"),
        "Mixed Hebbian/anti-Hebbian plasticity (eq. 24) on symmetric W is non-gradient for correlated inputs (A.2.1).",
        "non-gradient",
    ),
    (
        "heb-pure",
        "pure Hebbian M=11^T",
        "heb",
        dict(rule="hebbian-pure"),
        "Purely Hebbian plasticity on symmetric W is a gradient flow (A.2.1, eq. 32).",
        "gradient",
    ),
    (
        "heb-anti",
        "pure anti-Hebbian M=-11^T",
        "heb",
        dict(rule="hebbian-pure", anti_fraction=1.0),
        "Purely anti-Hebbian plasticity on symmetric W is a gradient flow, with the sign flipped (A.2.1).",
        "gradient",
    ),
    (
        "heb-general",
        "pure Hebbian, all N^2 synapses",
        "heb",
        dict(rule="hebbian-pure", all_synapses=True),
        "On general (non-symmetric) W no mask M makes eq. 24 a gradient flow for correlated inputs (A.2, eq. 29).",
        "non-gradient",
    ),
    (
        "a4-1",
        "A.4, first order",
        "a4",
        dict(rule="pehlevan", order="1"),
        "A.4 architecture: with input only to the feed-forward population the curl terms of eq. 2 are nullified on the existing synapses.",
        "gradient",
    ),
    (
        "a4-inh",
        "A.4 + input to I, first order",
        "a4",
        dict(rule="pehlevan", order="1", inhibitory_input=True),
        "Input-to-inhibitory synapses would introduce curl terms into the A.4 learning dynamics (A.4, last paragraph).",
        "non-gradient",
    ),
    (
        "a4-3",
        "A.4, third order (eq. 44)",
        "a4",
        dict(rule="pehlevan", order="3"),
        "A.4: the Hebbian dynamics of the existing synapses (eq. 44) is a gradient flow (eq. 45).",
        "gradient",
    ),
    (
        "a4-tied",
        "A.4 exact, B=C^T",
        "a4",
        dict(rule="pehlevan", order="exact", tied=True),
        "A.4 with W_I->E = W_E->I^T (assumed before eq. 45): the learning dynamics is a gradient flow.",
        "gradient",
    ),
    (
        "a4-tied-saddle",
        "A.4 exact, B=C^T, metric (+A, -C)",
        "a4",
        dict(rule="pehlevan", order="exact", tied=True, saddle_metric=True),
        "Our reading of eq. 45: on B = C^T the Hebbian A.4 flow is gradient ascent on V = Tr(A^T (I+C^T C)^-1 A S_FF)/2 in A and descent in C (a gradient flow for the metric diag(+1, -1)).",
        "gradient",
    ),
    (
        "a4-anti-tied",
        "A.4 exact, anti-Hebbian E<->I, B=C^T",
        "a4",
        dict(rule="pehlevan", order="exact", tied=True, loop="anti"),
        "Our reading of Related work: with rule-flipped (anti-Hebbian) E<->I plasticity, as in Pehlevan et al. 2015, and B = C^T, the A.4 flow is a gradient flow.",
        "gradient",
    ),
]

# panel (b): table rows whose circulation is also measured against the loop radius
_LOOP_CASES = ("gd", "curl-hr", "fa", "ei-all", "heb-mixed", "a4-3")
# panel (c): (id, label, family, options, expected slope, statement)
_ORDER_CASES = [
    (
        "ei-noinh-exact",
        "E-I, no input to I (exact)",
        "ei",
        dict(rule="ei-no-inhibitory-input", order="exact"),
        1.0,
        "E-I with no input to inhibitory neurons is a gradient flow to first order only (eq. 2): with the exact steady state the curl index grows as w.",
    ),
    (
        "a4-exact",
        "A.4 (exact)",
        "a4",
        dict(rule="pehlevan", order="exact"),
        2.0,
        "A.4: the order-0 and order-2 terms are nullified (A.4), so the curl enters only through the order-3 terms: curl index ~ w^2.",
    ),
    (
        "a4-lateral-exact",
        "A.4 + E->E, I->I (exact)",
        "a4",
        dict(rule="pehlevan", order="exact", lateral=True),
        1.0,
        "Adding E->E and I->I synapses brings curl terms back (A.4, last paragraph): at order 2, curl index ~ w.",
    ),
]


def settings(profile: str) -> Settings:
    """The model sizes and grids of a profile (see :data:`PROFILES`)."""
    return profile_settings(SETTINGS, profile)


def _spec(profile: str, family: str, options: dict[str, Any], **extra: Any) -> CaseSpec:
    s = settings(profile)
    return CaseSpec(
        **{**getattr(s, family), **options, "samples": s.samples, "seed": SEED, **extra}
    )


def _first(points: Any) -> Any:
    return jax.tree.map(lambda a: np.asarray(a)[0], points)


def compute(profile: str, out: Path, executor: Any = None) -> xr.Dataset:
    """Measure every table row, the loop-size scaling and the weight-scale scaling.

    Small and in-process (``executor`` is accepted for the common contract and ignored);
    the result is not cached (a smoke run takes seconds).
    """
    g = settings(profile)
    t0 = time.time()

    # --- table, and panel (b) on the same compiled meters ----------------------------
    radii = np.logspace(-4, -2, g.n_radii)
    asym, circ, circ_err, jnorm, dims, planes, specs = [], [], [], [], [], [], []
    loop_c, loop_norm = [], []
    for i, (row_id, _, family, options, _, _) in enumerate(_ROWS):
        spec = _spec(profile, family, options)
        case = build_case(spec)
        meter = CurlMeter(
            case.field, _first(case.points), subspace=case.subspace, metric=case.metric, jit=JIT
        )
        res = meter.index(case.points, key=(SEED, i), radius=RADIUS, n_loop_points=N_LOOP_POINTS)
        asym.append(res.jacobian_asymmetry)
        circ.append(res.circulation_index)
        circ_err.append(res.circulation_stderr)
        jnorm.append(res.jacobian_norm)
        dims.append(res.dimension)
        planes.append(res.n_planes)
        specs.append(json.dumps(spec.to_dict()))
        if row_id in _LOOP_CASES:
            u, v = numpy_rng((SEED, 200 + i)).standard_normal((2, res.dimension))
            loop_c.append(
                meter.circulation(_first(case.points), u, v, radii, n_points=N_LOOP_POINTS)
            )
            loop_norm.append(float(res.jacobian_norm[0]))

    # --- panel (c): index vs weight scale (one meter per model, points at every scale) ---
    scales = np.logspace(-2.5, -1.0, g.n_scales)
    sc_asym, sc_circ = [], []
    for i, (_, _, family, options, _, _) in enumerate(_ORDER_CASES):
        cases = [build_case(_spec(profile, family, options, weight_scale=float(w))) for w in scales]
        points = jax.tree.map(lambda *xs: np.concatenate(xs), *[c.points for c in cases])
        meter = CurlMeter(
            cases[0].field,
            _first(points),
            subspace=cases[0].subspace,
            metric=cases[0].metric,
            jit=JIT,
        )
        res = meter.index(
            points, key=(SEED, 300 + i), radius=SCALE_RADIUS, n_loop_points=N_LOOP_POINTS
        )
        sc_asym.append(res.jacobian_asymmetry.reshape(scales.size, -1).mean(axis=1))
        sc_circ.append(res.circulation_index.reshape(scales.size, -1).mean(axis=1))

    ids = [r[0] for r in _ROWS]
    one = {"long_name": "", "units": "1"}
    ds = xr.Dataset(
        {
            "jacobian_asymmetry": (
                ("case", "sample"),
                np.array(asym),
                {**one, "long_name": "Jacobian asymmetry ||J - J^T||_F / ||J||_F"},
            ),
            "circulation_index": (
                ("case", "sample"),
                np.array(circ),
                {**one, "long_name": "circulation index (loops, derivative-free)"},
            ),
            "circulation_stderr": (
                ("case", "sample"),
                np.array(circ_err),
                {
                    **one,
                    "long_name": "sampling standard error of the circulation index (0: all planes)",
                },
            ),
            "jacobian_norm": (
                ("case", "sample"),
                np.array(jnorm),
                {"long_name": "||J||_F of the restricted field", "units": "1/time"},
            ),
            "circulation": (
                ("loop_case", "radius"),
                np.array(loop_c),
                {"long_name": "circulation around a circle of radius r", "units": "param^2/time"},
            ),
            "loop_jacobian_norm": (
                ("loop_case",),
                np.array(loop_norm),
                {"long_name": "||J||_F at the loop centre", "units": "1/time"},
            ),
            "scale_asymmetry": (
                ("order_case", "weight_scale"),
                np.array(sc_asym),
                {**one, "long_name": "mean Jacobian asymmetry"},
            ),
            "scale_circulation_index": (
                ("order_case", "weight_scale"),
                np.array(sc_circ),
                {**one, "long_name": "mean circulation index"},
            ),
        },
        coords={
            "case": ("case", ids),
            "sample": ("sample", np.arange(g.samples)),
            "label": ("case", [r[1] for r in _ROWS]),
            "statement": ("case", [r[4] for r in _ROWS]),
            "paper_says": ("case", [r[5] for r in _ROWS]),
            "dimension": (
                "case",
                np.array(dims),
                {
                    "long_name": "dimension of the measured (restricted) parameter space",
                    "units": "1",
                },
            ),
            "n_planes": (
                "case",
                np.array(planes),
                {"long_name": "loop planes per point (all m(m-1)/2 up to 2048)", "units": "1"},
            ),
            "spec": ("case", specs),
            "loop_case": ("loop_case", list(_LOOP_CASES)),
            "loop_label": ("loop_case", [r[1] for c in _LOOP_CASES for r in _ROWS if r[0] == c]),
            "radius": ("radius", radii, {"long_name": "loop radius r", "units": "param"}),
            "order_case": ("order_case", [c[0] for c in _ORDER_CASES]),
            "order_label": ("order_case", [c[1] for c in _ORDER_CASES]),
            "expected_slope": ("order_case", np.array([c[4] for c in _ORDER_CASES])),
            "order_statement": ("order_case", [c[5] for c in _ORDER_CASES]),
            "weight_scale": ("weight_scale", scales, {"long_name": "weight scale w", "units": "1"}),
        },
        attrs={
            "figure": "figA",
            "profile": profile,
            "radius": RADIUS,
            "n_loop_points": N_LOOP_POINTS,
            "zero_tol": ZERO_TOL,
            "seed": SEED,
            "n_runs": 0,  # no training run: the meter evaluates learning fields only
            **provenance(),
            "wall_time_s": time.time() - t0,
        },
    )
    return ds


def _measured(data: xr.Dataset, case: str) -> str:
    a = data["jacobian_asymmetry"].sel(case=case).values
    c = data["circulation_index"].sel(case=case).values
    tol = float(data.attrs.get("zero_tol", ZERO_TOL))
    return classify(CurlIndex(a, c, a, 0, 0.0, 0, 0), tol)


def _slope(x: np.ndarray, y: np.ndarray) -> float:
    from scipy.stats import linregress

    return float(linregress(np.log(x), np.log(np.abs(y))).slope)


# ---- verdict rules: pure functions of arrays, each tested on both sides of its threshold ----


def rule_class(asymmetry, circulation, says: str, tol: float = ZERO_TOL) -> tuple[str, str]:
    """The measured class (gradient: both indices < ``tol`` at every point; non-gradient:
    both exceed it somewhere; else inconclusive) equals what the paper ``says``."""
    a, c = np.asarray(asymmetry, float), np.asarray(circulation, float)
    measured = classify(CurlIndex(a, c, a, 0, 0.0, 0, 0), tol)
    return verdict(measured == says), measured


def rule_zero_circulation(
    radii, circulation, jacobian_norm: float, tol: float = 1e-8
) -> tuple[str, float]:
    """A gradient field: |circulation| / (π r² ‖J‖) < ``tol`` (round-off) at every radius."""
    r = np.asarray(radii, float)
    rel = float(np.max(np.abs(np.asarray(circulation, float)) / (np.pi * r**2 * jacobian_norm)))
    return verdict(rel < tol), rel


def rule_area_scaling(radii, circulation, tol: float = 0.05) -> tuple[str, float]:
    """A smooth non-gradient field: the circulation scales as r² (log-log slope within
    ``tol`` of 2; the next order of the loop integral is r⁴, so the slope is 2 + O(r²))."""
    slope = _slope(np.asarray(radii, float), np.asarray(circulation, float))
    return verdict(abs(slope - 2.0) < tol), slope


def rule_measures_agree(asymmetry, circulation, stderr) -> tuple[str, dict]:
    """The Jacobian asymmetry a and the loop index c agree where a > 1e-3: |a − c| < 1e-3 a
    (the O(r²) truncation of the loops) + 4 sampling standard errors of c. "not tested"
    without non-gradient points."""
    a, c, err = (np.asarray(x, float) for x in (asymmetry, circulation, stderr))
    big = a > 1e-3
    if not np.any(big):
        return "not tested", {"max_rel_diff": None, "worst_ratio": None}
    worst = float(np.max(np.abs(a - c)[big] / (1e-3 * a + 4.0 * err)[big]))
    rel = float(np.max(np.abs(a[big] - c[big]) / a[big]))
    return verdict(worst < 1.0), {"max_rel_diff": rel, "worst_ratio": worst}


def rule_order(
    weight_scale, asymmetry, expected: float, tol: float = ZERO_TOL
) -> tuple[str, float]:
    """The curl enters at order ``expected`` in the weight scale: the asymmetry is non-zero
    (> ``tol``) at every scale and its log-log slope is within :data:`SLOPE_TOL` of ``expected``."""
    y = np.asarray(asymmetry, float)
    if not np.all(y > tol):
        return verdict(False), float("nan")
    slope = _slope(np.asarray(weight_scale, float), y)
    return verdict(abs(slope - expected) < SLOPE_TOL), slope


def claims(data: xr.Dataset) -> list[Claim]:
    """One claim per table row (paper statement vs measured class), plus the loop-area
    scaling, the agreement of the two measures and the weight-scale orders."""
    found: list[Claim] = []
    tol = float(data.attrs.get("zero_tol", ZERO_TOL))
    n_points = data.sizes["sample"]
    for case in data["case"].values:
        row = data.sel(case=case)
        says = str(row["paper_says"].values)
        v, measured = rule_class(
            row["jacobian_asymmetry"].values, row["circulation_index"].values, says, tol
        )
        found.append(
            Claim(
                claim=str(row["statement"].values),
                value={
                    "jacobian_asymmetry_max": float(row["jacobian_asymmetry"].max()),
                    "circulation_index_max": float(row["circulation_index"].max()),
                    "measured": measured,
                    "paper_says": says,
                },
                verdict=v,
                detail=(
                    f"{row['label'].values}: gradient if both indices < {tol:g} at every sampled point; "
                    f"measured {measured}, paper says {says}"
                ),
                setting=(
                    f"{n_points} sampled points, parameter dimension {int(row['dimension'])}, "
                    f"{int(row['n_planes'])} loop planes per point, loop radius {data.attrs['radius']:g}"
                ),
            )
        )

    radii = data["radius"].values
    loops = f"{radii.size} loop radii in [{radii[0]:.0e}, {radii[-1]:.0e}], {data.attrs['n_loop_points']} points per loop"
    for lc in data["loop_case"].values:
        circ = data["circulation"].sel(loop_case=lc).values
        if lc == "gd":
            v, val = rule_zero_circulation(
                radii, circ, float(data["loop_jacobian_norm"].sel(loop_case=lc))
            )
            found.append(
                Claim(
                    claim="A gradient field has zero circulation around every closed loop (GD, any radius).",
                    value=val,
                    verdict=v,
                    detail="max |circulation| / (pi r^2 ||J||) over the radii; threshold 1e-8 (round-off)",
                    setting=loops,
                )
            )
            continue
        v, val = rule_area_scaling(radii, circ)
        found.append(
            Claim(
                claim=f"The circulation of a smooth non-gradient field scales with the loop area, ~ r^2 ({data['loop_label'].sel(loop_case=lc).values}).",
                value=val,
                verdict=v,
                detail="log-log slope of |circulation| vs r; |slope - 2| < 0.05 required",
                setting=loops,
            )
        )

    err = data["circulation_stderr"].values
    v, val = rule_measures_agree(
        data["jacobian_asymmetry"].values, data["circulation_index"].values, err
    )
    found.append(
        Claim(
            claim="Meter self-check: the Jacobian asymmetry and the loop-circulation index agree (two independent routes).",
            value=val,
            verdict=v,
            detail=(
                f"every non-gradient row and point (r = {data.attrs['radius']:g}); required |a - c| < 1e-3 a + 4 stderr "
                f"(stderr from sampled loop planes, {int(np.sum(err > 0))} sampled points)"
            ),
            setting=f"{data.sizes['case']} fields × {n_points} points",
        )
    )

    w = data["weight_scale"].values
    for oc in data["order_case"].values:
        expected = float(data["expected_slope"].sel(order_case=oc))
        v, val = rule_order(w, data["scale_asymmetry"].sel(order_case=oc).values, expected, tol)
        found.append(
            Claim(
                claim=str(data["order_statement"].sel(order_case=oc).values),
                value=val,
                verdict=v,
                detail=f"log-log slope of the Jacobian asymmetry vs w; expected {expected:g} +- {SLOPE_TOL}",
                setting=f"{w.size} weight scales w in [{w[0]:.2g}, {w[-1]:.2g}], {n_points} points each",
            )
        )
    return found


def plot(data: xr.Dataset):
    """(a) indices per field, (b) circulation vs loop radius, (c) index vs weight scale."""
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(PRINT_WIDTH, 7.0))
    grid = fig.add_gridspec(2, 1, height_ratios=[1.5, 1.0])
    bottom = grid[1].subgridspec(1, 3, width_ratios=[1.0, 0.8, 1.0])
    ax_a = fig.add_subplot(grid[0])
    ax_b = fig.add_subplot(bottom[0])
    key_b = fig.add_subplot(bottom[1])
    ax_c = fig.add_subplot(bottom[2])
    floor = 1e-17

    cases = list(data["case"].values)
    ypos = np.arange(len(cases))[::-1]
    for y, case in zip(ypos, cases, strict=True):
        row = data.sel(case=case)
        says = str(row["paper_says"].values)
        measured = _measured(data, case)
        colour = AGREES if measured == says else DISAGREES
        a = np.maximum(row["jacobian_asymmetry"].values, floor)
        c = np.maximum(row["circulation_index"].values, floor)
        ax_a.scatter(a, np.full(a.shape, y + 0.12), marker="o", s=18, color=colour, zorder=3)
        ax_a.scatter(c, np.full(c.shape, y - 0.12), marker="x", s=18, color=colour, zorder=3)
        source = "reading" if str(row["statement"].values).startswith("Our reading") else "paper"
        ax_a.text(
            1.01,
            y,
            f"{source}: " + ("gradient" if says == "gradient" else "curl"),
            va="center",
            transform=ax_a.get_yaxis_transform(),
        )
    ax_a.set_xscale("log")
    ax_a.set_xlim(floor / 3, 30.0)
    ax_a.set_yticks(ypos)
    ax_a.set_yticklabels([str(v) for v in data["label"].values], fontsize=7)
    ax_a.axvline(float(data.attrs.get("zero_tol", ZERO_TOL)), color="0.5", ls=":", lw=1)
    ax_a.set_xlabel(
        "index (o: Jacobian asymmetry, x: circulation index)\n"
        "blue: agrees with the paper, vermillion: does not"
    )
    ax_a.set_title("a  curl index per field")

    radii = data["radius"].values
    for lc in data["loop_case"].values:
        y = np.maximum(np.abs(data["circulation"].sel(loop_case=lc).values), floor)
        ax_b.loglog(
            radii, y, marker="o", ms=3, label=str(data["loop_label"].sel(loop_case=lc).values)
        )
    ref = 3.0 * np.abs(data["circulation"].values).max() * (radii / radii[-1]) ** 2
    ax_b.loglog(radii, ref, color="0.5", ls="--", lw=1, label="∝ r²")
    ax_b.set_xlabel("loop radius r")
    ax_b.set_ylabel("|circulation|")
    ax_b.set_title("b  circulation vs loop size")
    key_b.legend(*ax_b.get_legend_handles_labels(), loc="center left", borderaxespad=0)
    key_b.axis("off")

    w = data["weight_scale"].values
    for oc in data["order_case"].values:
        y = np.maximum(data["scale_asymmetry"].sel(order_case=oc).values, floor)
        ax_c.loglog(
            w, y, marker="o", ms=3, label=str(data["order_label"].sel(order_case=oc).values)
        )
    ax_c.set_xlabel("weight scale w")
    ax_c.set_ylabel("Jacobian asymmetry")
    ax_c.set_title("c  order of the curl in w")
    ax_c.legend(loc="lower right")
    return fig
