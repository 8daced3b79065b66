r"""Learning fields built into the package, ready for the curl meter.

A :class:`CaseSpec` names one field — a learning rule of the two-layer network (gradient
descent, curl descent, feedback alignment; whitened-input flow of eq. 6) or one of the
recurrent Hebbian models (E–I, Hebbian/anti-Hebbian, the A.4 architecture) — with its sizes
and options; :func:`build_case` turns it into a :class:`FieldCase` (the field, sampled
points, and the subspace/metric the meter should use); :func:`measure_case` runs
:func:`~curldescent.analysis.curl_meter.curl_index` on it. ``curldescent curl-index`` and
figure A are thin layers over these.

Examples:
    >>> res = measure_case(build_case(CaseSpec("gradient", M=4, N=3, samples=1)))
    >>> bool(res.jacobian_asymmetry[0] < 1e-12)
    True
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import jax
import numpy as np

from curldescent.analysis.curl_meter import CurlIndex, Subspace, curl_index, numpy_rng
from curldescent.models.ei import ei_input_correlation, ei_network, ei_signs, sample_ei_weights
from curldescent.models.hebbian import hebbian_network, plasticity_mask, sample_hebbian_weights
from curldescent.models.names import MODEL_CASES, ORDERS, RULE_CASES
from curldescent.models.pehlevan import LOOPS, PehlevanArchitecture, TiedField, TiedParams
from curldescent.network import Params
from curldescent.rule_registry import rule_entry, rule_names
from curldescent.rules import Curl, Plasticity, flow_field, learning_field
from curldescent.specs import NetworkSpec, RuleSpec, SpecError

DESCRIPTIONS = {
    "gradient": "gradient descent, two-layer linear network, whitened inputs (eqs. 3-4, 6)",
    "curl": "curl descent with flipped fractions alpha_h, alpha_r (eqs. 5-6, 10)",
    "feedback_alignment": "feedback alignment, fixed random feedback B (Related work)",
    "ei": "E-I Hebbian network, correlated input to all neurons (eq. 2, A.3)",
    "ei-no-inhibitory-input": "E-I Hebbian network, no input to inhibitory neurons (A.3 remark)",
    "ei-uncorrelated-input": "E-I Hebbian network, uncorrelated E and I inputs (eq. 37 holds)",
    "hebbian-mixed": "Hebbian/anti-Hebbian network, mixed +-1 mask M (eqs. 23-24, A.2)",
    "hebbian-pure": "purely Hebbian network, M = 11^T (or -11^T) (A.2.1, eq. 32)",
    "pehlevan": "A.4 architecture: feed-forward -> E <-> I, existing synapses only (eqs. 39-44)",
}


def cases() -> tuple[str, ...]:
    """Every case the meter can build: the registered rules
    (:mod:`curldescent.rule_registry`) and the recurrent models."""
    return rule_names() + MODEL_CASES


def _int(name: str, v: Any, minimum: int) -> None:
    if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
        raise SpecError(f"{name} must be an integer >= {minimum} (got {v!r})")


def _num(
    name: str, v: Any, lo: float | None = None, hi: float | None = None, *, open_lo: bool = False
) -> None:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise SpecError(f"{name} must be a finite number (got {v!r})")
    if lo is not None and (v < lo or (open_lo and v == lo)):
        raise SpecError(f"{name} must be {'>' if open_lo else '>='} {lo} (got {v!r})")
    if hi is not None and v > hi:
        raise SpecError(f"{name} must be <= {hi} (got {v!r})")


@dataclass(frozen=True)
class CaseSpec:
    r"""One learning field for the curl meter.

    Args:
        rule: one of :func:`cases`.
        M, N, K: two-layer sizes (rules). For ``ei*``/``hebbian*`` N is the number of
            recurrent neurons; for ``pehlevan`` M is the feed-forward population, N the
            excitatory one.
        n_inh: inhibitory neurons (``ei*``, ``pehlevan``).
        alpha_hidden, alpha_readout: flipped fractions (``curl`` only).
        feedback_scale: B entries U(−s/√N, s/√N) (``feedback_alignment``).
        gamma: weight decay γ (``ei*``; eq. 2).
        order: ``1`` (eqs. 2, 24), ``3`` (eq. 44) or ``exact`` steady state.
        weight_scale: scale of the sampled weights (rules: entries N(0, scale²/fan_in);
            recurrent models: see their samplers; small weights: the expansion is accurate).
        n_input_samples: Σ from this many sampled drives (full rank), or ``None`` for a
            constant drive (Σ = ffᵀ, rank one).
        anti_fraction: fraction of anti-Hebbian synapses (``hebbian-mixed``); for
            ``hebbian-pure``, 1 gives the purely anti-Hebbian :math:`M = -\mathbf 1\mathbf 1^\top`
            and any other value :math:`M = \mathbf 1\mathbf 1^\top`.
        all_synapses: ``ei*``/``hebbian*`` on all N² synapses (non-symmetric W) instead of
            the invariant symmetric subspace of A.2.1/A.3.
        loop: ``hebbian`` or ``anti`` plasticity on the E↔I loop (``pehlevan``).
        inhibitory_input: drive the inhibitory neurons too (``pehlevan``).
        lateral: add E→E and I→I synapses (``pehlevan``).
        tied: ``pehlevan`` on the manifold B = Cᵀ, coordinates (A, C) (exact or order 3).
        saddle_metric: measure with the indefinite metric diag(+1 on A, −1 on C) (``tied``).
        samples: number of sampled points.
        seed: PRNG seed (model randomness and points, split by purpose).
    """

    rule: str = "gradient"
    M: int = 8
    N: int = 6
    K: int = 1
    n_inh: int = 2
    alpha_hidden: float = 0.25
    alpha_readout: float = 0.0
    feedback_scale: float = 1.0
    gamma: float = 0.1
    order: str = "1"
    weight_scale: float = 0.5
    n_input_samples: int | None = None
    anti_fraction: float = 0.5
    all_synapses: bool = False
    loop: str = "hebbian"
    inhibitory_input: bool = False
    lateral: bool = False
    tied: bool = False
    saddle_metric: bool = False
    samples: int = 4
    seed: int = 0

    def __post_init__(self) -> None:
        if self.rule not in cases():
            raise SpecError(f"rule must be one of {', '.join(cases())} (got {self.rule!r})")
        _int("M", self.M, 1)
        _int("N", self.N, 1)
        _int("K", self.K, 1)
        _int("n_inh", self.n_inh, 0)
        _num("alpha_hidden", self.alpha_hidden, 0.0, 1.0)
        _num("alpha_readout", self.alpha_readout, 0.0, 1.0)
        _num("feedback_scale", self.feedback_scale, 0.0, open_lo=True)
        _num("gamma", self.gamma, 0.0)
        if self.order not in ORDERS:
            raise SpecError(f"order must be one of {', '.join(ORDERS)} (got {self.order!r})")
        _num("weight_scale", self.weight_scale, 0.0, open_lo=True)
        if self.n_input_samples is not None:
            _int("n_input_samples", self.n_input_samples, 1)
        _num("anti_fraction", self.anti_fraction, 0.0, 1.0)
        if self.loop not in LOOPS:
            raise SpecError(f"loop must be one of {', '.join(LOOPS)} (got {self.loop!r})")
        for name in ("all_synapses", "inhibitory_input", "lateral", "tied", "saddle_metric"):
            if not isinstance(getattr(self, name), bool):
                raise SpecError(f"{name} must be true or false (got {getattr(self, name)!r})")
        _int("samples", self.samples, 1)
        _int("seed", self.seed, 0)
        if self.rule.startswith("ei") and self.n_inh > self.N:
            raise SpecError(f"n_inh must be <= N = {self.N} (got {self.n_inh})")
        if self.rule == "pehlevan" and self.n_inh < 1:
            raise SpecError(f"n_inh must be >= 1 for pehlevan (got {self.n_inh})")
        if self.tied and (self.inhibitory_input or self.lateral or self.order == "1"):
            raise SpecError(
                "tied requires order = 3 or exact, no inhibitory_input and no lateral synapses"
            )
        if self.saddle_metric and not self.tied:
            raise SpecError("saddle_metric applies only with tied = true")

    @property
    def order_value(self) -> int | None:
        return None if self.order == "exact" else int(self.order)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, eq=False)
class FieldCase:
    """A field ready for the meter: ``field`` (θ ↦ θ̇), stacked ``points``, and the
    ``subspace``/``metric`` to measure it in."""

    spec: CaseSpec
    field: Callable[[Any], Any]
    points: Any
    subspace: Subspace | None
    metric: Any
    description: str


@dataclass(frozen=True, eq=False)
class RuleFlow:
    r"""The whitened-input flow of a two-layer linear network (eq. 6) for a rule in canonical
    form, as a callable pytree ``Params ↦ Params`` (the plasticity arrays and the teacher
    map s = W2*W1* are leaves)."""

    plasticity: Plasticity
    s: Any

    def __call__(self, params: Params) -> Params:
        return flow_field(self.plasticity, params, self.s)


jax.tree_util.register_pytree_node(
    RuleFlow, lambda r: ((r.plasticity, r.s), None), lambda _, ch: RuleFlow(*ch)
)


def _rule_case(spec: CaseSpec, rng: np.random.Generator) -> tuple[Callable, Any]:
    net = NetworkSpec(M=spec.M, N=spec.N, K=spec.K)
    ones = np.ones
    if spec.rule == "gradient":
        p = Plasticity(ones(spec.M), ones(spec.N), ones(spec.N), ones(spec.K))
    elif spec.rule == "curl":
        flips = Curl.from_fractions(net, spec.alpha_hidden, spec.alpha_readout)
        p = Plasticity(
            np.asarray(flips.d1, float), np.asarray(flips.d2, float), ones(spec.N), ones(spec.K)
        )
    else:  # B with entries U(-s/sqrt(N), s/sqrt(N)), as FeedbackAlignment.sample
        bound = spec.feedback_scale / math.sqrt(spec.N)
        B = rng.uniform(-bound, bound, (spec.K, spec.N))
        p = Plasticity(ones(spec.M), ones(spec.N), ones(spec.N), ones(spec.K), feedback=B)
    teacher = (rng.standard_normal((spec.K, spec.N)) / math.sqrt(spec.N)) @ (
        rng.standard_normal((spec.N, spec.M)) / math.sqrt(spec.M)
    )
    W1 = spec.weight_scale * rng.standard_normal((spec.samples, spec.N, spec.M)) / math.sqrt(spec.M)
    W2 = spec.weight_scale * rng.standard_normal((spec.samples, spec.K, spec.N)) / math.sqrt(spec.N)
    return RuleFlow(p, teacher), Params(W1, W2)


def _registered_rule_case(spec: CaseSpec, rng: np.random.Generator) -> tuple[Callable, Any]:
    """Any registered rule: its own field (:func:`~curldescent.rules.learning_field`) on
    ``n_input_samples`` (default 20·M) white inputs labelled by a random linear teacher."""
    net = NetworkSpec(M=spec.M, N=spec.N, K=spec.K)
    entry = rule_entry(spec.rule)
    flips = {"alpha_hidden": spec.alpha_hidden, "alpha_readout": spec.alpha_readout}
    rule_spec = RuleSpec(kind=spec.rule, **(flips if entry.takes_flips else {}))
    rule = entry.build(rule_spec, net, jax.random.PRNGKey(int(rng.integers(2**31))))
    n = spec.n_input_samples or 20 * spec.M
    teacher = (rng.standard_normal((spec.K, spec.N)) / math.sqrt(spec.N)) @ (
        rng.standard_normal((spec.N, spec.M)) / math.sqrt(spec.M)
    )
    x = rng.standard_normal((n, spec.M))
    field = learning_field(rule, net, x, x @ teacher.T)
    W1 = spec.weight_scale * rng.standard_normal((spec.samples, spec.N, spec.M)) / math.sqrt(spec.M)
    W2 = spec.weight_scale * rng.standard_normal((spec.samples, spec.K, spec.N)) / math.sqrt(spec.N)
    return field, Params(W1, W2)


def _stack(arrays: list[Any]) -> np.ndarray:
    """Stack on the host: points are NumPy arrays (eager JAX ops would compile once per shape)."""
    return np.stack([np.asarray(a, np.float64) for a in arrays])


def build_case(spec: CaseSpec) -> FieldCase:
    """Build the field, sampled points, subspace and metric described by ``spec``.

    All randomness comes from NumPy generators seeded by ``(seed, purpose)``: the model
    (teacher, Σ, masks, feedback) and the sampled points are drawn independently.
    """
    model_rng = numpy_rng((spec.seed, 0))
    point_keys = [(spec.seed, 1, i) for i in range(spec.samples)]
    subspace, metric = None, None
    order = spec.order_value
    if spec.rule in RULE_CASES:
        field, points = _rule_case(spec, model_rng)
    elif spec.rule in rule_names():
        field, points = _registered_rule_case(spec, model_rng)
    elif spec.rule.startswith("ei"):
        inputs = {
            "ei": "all",
            "ei-no-inhibitory-input": "excitatory",
            "ei-uncorrelated-input": "uncorrelated",
        }[spec.rule]
        d = ei_signs(spec.N, spec.n_inh)
        sigma = ei_input_correlation(
            model_rng.integers(2**63), d, inputs=inputs, n_samples=spec.n_input_samples
        )
        field = ei_network(d, sigma, gamma=spec.gamma, order=order)
        symmetric = not spec.all_synapses
        points = _stack(
            [
                sample_ei_weights(k, spec.N, scale=spec.weight_scale, symmetric=symmetric)
                for k in point_keys
            ]
        )
        subspace = Subspace.symmetric(spec.N) if symmetric else None
    elif spec.rule.startswith("hebbian"):
        symmetric = not spec.all_synapses
        mask_seed, sigma_seed = model_rng.integers(2**63, size=2)
        if spec.rule == "hebbian-pure":
            M = (-1.0 if spec.anti_fraction == 1.0 else 1.0) * np.ones((spec.N, spec.N))
        else:
            M = np.asarray(
                plasticity_mask(
                    int(mask_seed), spec.N, anti_fraction=spec.anti_fraction, symmetric=symmetric
                )
            )
        sigma = ei_input_correlation(
            int(sigma_seed), np.ones(spec.N), inputs="all", n_samples=spec.n_input_samples
        )
        field = hebbian_network(M, sigma, gamma=0.0, order=order)
        points = _stack(
            [
                sample_hebbian_weights(k, spec.N, scale=spec.weight_scale, symmetric=symmetric)
                for k in point_keys
            ]
        )
        subspace = Subspace.symmetric(spec.N) if symmetric else None
    else:  # pehlevan
        arch = PehlevanArchitecture(
            n_ff=spec.M, n_exc=spec.N, n_inh=spec.n_inh, loop=spec.loop, lateral=spec.lateral
        )
        sigma = arch.input_correlation(
            int(model_rng.integers(2**63)),
            inhibitory_input=spec.inhibitory_input,
            n_samples=spec.n_input_samples,
        )
        if spec.tied:
            ff = arch.slices[0]
            sigma_ff = np.asarray(sigma)[ff, ff]

            field = TiedField(arch, sigma_ff, order)
            blocks = [arch.sample_blocks(k, scale=spec.weight_scale) for k in point_keys]
            points = TiedParams(_stack([b.A for b in blocks]), _stack([b.C for b in blocks]))
            if spec.saddle_metric:
                metric = TiedParams(np.ones((spec.N, spec.M)), -np.ones((spec.n_inh, spec.N)))
        else:
            field = arch.network(sigma, order=order)
            points = _stack([arch.sample_weights(k, scale=spec.weight_scale) for k in point_keys])
            subspace = arch.subspace()
    description = DESCRIPTIONS.get(spec.rule) or rule_entry(spec.rule).description
    return FieldCase(spec, field, points, subspace, metric, description)


def measure_case(
    case: FieldCase,
    *,
    key: Any = None,
    radius: float = 1e-3,
    n_loop_points: int = 16,
    n_planes: int | None = None,
    jit: bool = True,
) -> CurlIndex:
    """Run the curl meter on a built case (key default: derived from the case's seed)."""
    _num("radius", radius, 0.0, open_lo=True)
    _int("n_loop_points", n_loop_points, 3)
    if n_planes is not None:
        _int("n_planes", n_planes, 1)
    if key is None:
        key = (case.spec.seed, 2)
    return curl_index(
        case.field,
        case.points,
        key=key,
        radius=radius,
        n_loop_points=n_loop_points,
        n_planes=n_planes,
        subspace=case.subspace,
        metric=case.metric,
        jit=jit,
    )
