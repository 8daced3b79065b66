"""``curldescent curl-index``: how far is a learning rule from a gradient flow?

A thin layer over :func:`curldescent.models.catalog.build_case` and
:func:`curldescent.models.catalog.measure_case` (the curl meter of
:mod:`curldescent.analysis.curl_meter`). Bad values raise
:class:`~curldescent.specs.SpecError` from the spec.
"""

from __future__ import annotations

import json

import typer

from curldescent.models.names import MODEL_CASES, ORDERS
from curldescent.rule_registry import rule_names


def _stats(values) -> dict:
    import numpy as np

    v = np.asarray(values, float)
    return {
        "mean": float(np.mean(v)),
        "min": float(np.min(v)),
        "max": float(np.max(v)),
        "values": [float(x) for x in v],
    }


def curl_index(
    rule: str = typer.Option(
        "gradient", "--rule", help=f"Learning field: {', '.join(rule_names() + MODEL_CASES)}."
    ),
    M: int = typer.Option(8, "--M", help="Input size (rules); feed-forward population (pehlevan)."),
    N: int = typer.Option(
        6,
        "--N",
        help="Hidden size (rules); recurrent neurons (ei*, hebbian*); excitatory population (pehlevan).",
    ),
    K: int = typer.Option(1, "--K", help="Output size (rules)."),
    n_inh: int = typer.Option(2, "--n-inh", help="Inhibitory neurons (ei*, pehlevan)."),
    alpha_hidden: float = typer.Option(
        0.0,
        "--alpha-hidden",
        help="Flipped fraction of input neurons, alpha_h (curl); 0 = no hidden-layer flips.",
    ),
    alpha_readout: float = typer.Option(
        0.0,
        "--alpha-readout",
        help="Flipped fraction of hidden neurons, alpha_r (curl); 0 = no readout flips.",
    ),
    feedback_scale: float = typer.Option(
        1.0, "--feedback-scale", help="Feedback matrix scale (feedback_alignment)."
    ),
    gamma: float = typer.Option(0.1, "--gamma", help="Weight decay (ei*, eq. 2)."),
    order: str = typer.Option(
        "1",
        "--order",
        help=f"Steady-state expansion order: {', '.join(ORDERS)} (recurrent models).",
    ),
    weight_scale: float = typer.Option(0.5, "--weight-scale", help="Scale of the sampled weights."),
    input_samples: int | None = typer.Option(
        None,
        "--input-samples",
        help="Sigma from this many sampled drives (default: constant drive, Sigma = f f^T).",
    ),
    anti_fraction: float = typer.Option(
        0.5,
        "--anti-fraction",
        help="Fraction of anti-Hebbian synapses (hebbian-mixed; 1 = pure anti-Hebbian for hebbian-pure).",
    ),
    all_synapses: bool = typer.Option(
        False, "--all-synapses", help="ei*/hebbian*: all N^2 synapses instead of symmetric W."
    ),
    loop: str = typer.Option(
        "hebbian", "--loop", help="pehlevan: plasticity of the E<->I synapses, hebbian or anti."
    ),
    inhibitory_input: bool = typer.Option(
        False, "--inhibitory-input", help="pehlevan: drive the inhibitory neurons too."
    ),
    lateral: bool = typer.Option(False, "--lateral", help="pehlevan: add E->E and I->I synapses."),
    tied: bool = typer.Option(
        False, "--tied", help="pehlevan: on the manifold W_I->E = W_E->I^T, coordinates (A, C)."
    ),
    saddle_metric: bool = typer.Option(
        False, "--saddle-metric", help="pehlevan --tied: indefinite metric diag(+1 on A, -1 on C)."
    ),
    samples: int = typer.Option(4, "--samples", help="Number of sampled points."),
    seed: int = typer.Option(0, "--seed", help="Random seed (model and points)."),
    radius: float = typer.Option(1e-3, "--radius", help="Loop radius r."),
    loop_points: int = typer.Option(16, "--loop-points", help="Trapezoidal points per loop."),
    planes: int | None = typer.Option(
        None, "--planes", help="Loop planes per point (default: all, up to 2048)."
    ),
    zero_tol: float = typer.Option(
        1e-8, "--zero-tol", help="Below this (both measures, every point): a gradient flow."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Measure how far a learning rule is from a gradient flow (Jacobian asymmetry and loop circulation)."""
    from curldescent.analysis.curl_meter import classify
    from curldescent.models.catalog import CaseSpec, build_case, measure_case
    from curldescent.specs import SpecError

    if not zero_tol > 0:
        raise SpecError(f"zero_tol must be > 0 (got {zero_tol!r})")
    spec = CaseSpec(
        rule=rule,
        M=M,
        N=N,
        K=K,
        n_inh=n_inh,
        alpha_hidden=alpha_hidden,
        alpha_readout=alpha_readout,
        feedback_scale=feedback_scale,
        gamma=gamma,
        order=order,
        weight_scale=weight_scale,
        n_input_samples=input_samples,
        anti_fraction=anti_fraction,
        all_synapses=all_synapses,
        loop=loop,
        inhibitory_input=inhibitory_input,
        lateral=lateral,
        tied=tied,
        saddle_metric=saddle_metric,
        samples=samples,
        seed=seed,
    )
    case = build_case(spec)
    res = measure_case(case, radius=radius, n_loop_points=loop_points, n_planes=planes)
    verdict = classify(res, zero_tol)
    out = {
        "rule": rule,
        "description": case.description,
        "spec": spec.to_dict(),
        "dimension": res.dimension,
        "radius": res.radius,
        "n_loop_points": res.n_loop_points,
        "n_planes": res.n_planes,
        "jacobian_asymmetry": _stats(res.jacobian_asymmetry),
        "circulation_index": _stats(res.circulation_index),
        "circulation_stderr": [float(x) for x in res.circulation_stderr],
        "jacobian_norm": [float(x) for x in res.jacobian_norm],
        "zero_tol": zero_tol,
        "verdict": verdict,
    }
    if as_json:
        typer.echo(json.dumps(out))
        return
    typer.echo(f"{rule}: {case.description}")
    typer.echo(
        f"  measured dimension {res.dimension}, {samples} point(s), loops r = {res.radius:g} ({res.n_planes} planes x {res.n_loop_points} points)"
    )
    typer.echo(
        f"  Jacobian asymmetry ||J-J^T||/||J||: mean {out['jacobian_asymmetry']['mean']:.3e}, max {out['jacobian_asymmetry']['max']:.3e}"
    )
    typer.echo(
        f"  circulation index:                 mean {out['circulation_index']['mean']:.3e}, max {out['circulation_index']['max']:.3e}"
    )
    typer.echo(f"  verdict: {verdict} (threshold {zero_tol:g})")
