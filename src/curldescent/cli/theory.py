"""``curldescent theory ...``: large-N stability boundaries and Jacobian spectra.

Thin wrappers over :mod:`curldescent.theory` (no numerics here):

- ``boundary --layer {hidden,readout} --alpha A [--json]``: c_crit(alpha), or
  ``--c C``: the critical flipped fraction alpha_crit(c);
- ``spectrum --M M --N N --alpha-hidden A --alpha-readout B --seed S [--json]``: the
  non-structural Jacobian eigenvalues at a sampled solution point with the large-N edges;
- ``edges --c C --alpha-hidden A --alpha-readout B [--json]``: the large-N spectral edges.
"""

from __future__ import annotations

import json

import typer

from curldescent.specs import SpecError

app = typer.Typer(
    help="Theory: stability boundaries and Jacobian spectra.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _emit(payload: dict, as_json: bool, lines: list[str]) -> None:
    if as_json:
        typer.echo(json.dumps(payload))
    else:
        for line in lines:
            typer.echo(line)


@app.command()
def boundary(
    layer: str = typer.Option(..., "--layer", help="Flipped layer: hidden (D1) or readout (D2)."),
    alpha: float | None = typer.Option(
        None, "--alpha", help="Flipped fraction; prints c_crit(alpha)."
    ),
    c: float | None = typer.Option(
        None, "--c", help="Compression ratio M/N; prints alpha_crit(c)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Large-N stability boundary of the solution manifold (Appendix B.4).

    JSON with --alpha: {layer, alpha, c_crit, regime, method}; c_crit is null when the
    manifold is stable (or unstable) for every c, and regime says which.
    JSON with --c: {layer, c, alpha_crit, regime, method}.
    """
    from curldescent.theory.edges import critical_alpha, critical_c

    if (alpha is None) == (c is None):
        raise SpecError("give exactly one of --alpha (for c_crit) or --c (for alpha_crit)")
    if c is not None:
        _check_c(c)
    method = (
        "double roots of the quartic, eqs. 117-125"
        if layer == "hidden"
        else "discriminant of the difference-of-Wisharts cubic (Kumar & Sai Charan 2020)"
    )
    if alpha is not None:
        b = critical_c(layer, alpha)
        payload = {**b.to_dict(), "method": method}
        value = "none" if b.c_crit is None else f"{b.c_crit:.10g}"
        lines = [f"layer {b.layer}, alpha = {b.alpha:g}: c_crit = {value} ({b.regime})"]
    else:
        a = critical_alpha(layer, c)
        payload = {**a.to_dict(), "method": method}
        value = "none" if a.alpha_crit is None else f"{a.alpha_crit:.10g}"
        lines = [f"layer {a.layer}, c = {a.c:g}: alpha_crit = {value} ({a.regime})"]
    _emit(payload, as_json, lines)


def _check_c(c: float) -> None:
    if not 0 < c <= 1e6:  # larger ratios overflow the edge polynomials
        raise SpecError(f"--c must be a number > 0 and at most 1e6 (got {c:g})")


@app.command()
def spectrum(
    M: int = typer.Option(..., "--M", help="Input size M."),
    N: int = typer.Option(..., "--N", help="Hidden size N."),
    alpha_hidden: float = typer.Option(
        0.0, "--alpha-hidden", help="Flipped fraction of inputs (D1)."
    ),
    alpha_readout: float = typer.Option(
        0.0, "--alpha-readout", help="Flipped fraction of hidden units (D2)."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the sampled solution point (eq. 14)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Non-structural Jacobian eigenvalues at a sampled solution-manifold point (eqs. 12, 14).

    JSON: {M, N, c, alpha_hidden, alpha_readout, seed, k_hidden, k_readout, w2_norm_sq,
    n_structural_zeros, eigenvalues (decreasing), max_eigenvalue, stable, large_n:
    {c, alpha_hidden, alpha_readout (the realised fractions k/M, k/N), lower_edge,
    upper_edge (of X = D1 + W1^T D2 W1), jacobian_max, jacobian_min, stable, method}}.
    """
    import jax.random as jr

    from curldescent.theory.edges import large_n_edges
    from curldescent.theory.finite_size import manifold_spectrum

    for name, v in (("M", M), ("N", N)):
        if v < 1 or v > 10000:
            raise SpecError(f"{name} must lie in [1, 10000] (got {v})")
    if seed < 0:
        raise SpecError(f"seed must be an integer >= 0 (got {seed})")
    spec = manifold_spectrum(jr.PRNGKey(seed), M, N, alpha_hidden, alpha_readout)
    theory = large_n_edges(M / N, spec.k_hidden / M, spec.k_readout / N).to_dict()
    eig = [float(v) for v in spec.eigenvalues]
    payload = {
        "M": M,
        "N": N,
        "c": M / N,
        "alpha_hidden": alpha_hidden,
        "alpha_readout": alpha_readout,
        "seed": seed,
        "k_hidden": spec.k_hidden,
        "k_readout": spec.k_readout,
        "w2_norm_sq": spec.w2_norm_sq,
        "n_structural_zeros": spec.n_structural,
        "eigenvalues": eig,
        "max_eigenvalue": eig[0],
        "stable": eig[0] < 0,
        "large_n": theory,
    }
    lines = [
        f"M = {M}, N = {N} (c = {M / N:.4g}), flipped: {spec.k_hidden} inputs, {spec.k_readout} hidden units, seed {seed}",
        f"non-structural eigenvalues (M = {M}): max {eig[0]:.6g}, min {eig[-1]:.6g}"
        f" -> {'stable' if eig[0] < 0 else 'unstable'}; plus {spec.n_structural} structural zeros",
        f"large-N ({theory['method']}): eigenvalues in [{theory['jacobian_min']:.6g}, {theory['jacobian_max']:.6g}]"
        f" -> {'stable' if theory['stable'] else 'unstable'}",
    ]
    _emit(payload, as_json, lines)


@app.command()
def edges(
    c: float = typer.Option(..., "--c", help="Compression ratio M/N."),
    alpha_hidden: float = typer.Option(
        0.0, "--alpha-hidden", help="Flipped fraction of inputs (D1)."
    ),
    alpha_readout: float = typer.Option(
        0.0, "--alpha-readout", help="Flipped fraction of hidden units (D2)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Large-N spectral edges of X = D1 + W1^T D2 W1 (Jacobian eigenvalues are -eig X).

    JSON: {c, alpha_hidden, alpha_readout, lower_edge, upper_edge, jacobian_max, jacobian_min, stable, method}.
    """
    from curldescent.theory.edges import large_n_edges

    _check_c(c)
    theory = large_n_edges(c, alpha_hidden, alpha_readout).to_dict()
    lines = [
        f"c = {c:g}, alpha_hidden = {alpha_hidden:g}, alpha_readout = {alpha_readout:g}: "
        f"spectrum of X in [{theory['lower_edge']:.10g}, {theory['upper_edge']:.10g}] "
        f"-> {'stable' if theory['stable'] else 'unstable'} ({theory['method']})"
    ]
    _emit(theory, as_json, lines)
