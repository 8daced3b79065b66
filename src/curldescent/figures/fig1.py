"""Figure 1: the two-neuron toy model (Section 4.1).

(a) Phase plane of :math:`(w_1, w_2)` with the log-loss heat map, the solution hyperbola
:math:`w_1w_2 = s`, the curl-flow field, the separatrix circle :math:`w_1^2+w_2^2 = 2s` and one
gradient-flow and one curl-flow trajectory from the same start; (c) log error against time
for both, with an inset on the first time units showing that curl flow first ascends the
loss. (Panel b of the paper is a schematic of the network and is not drawn.)

Everything is computed from the toy model (:mod:`curldescent.theory.toy`): the flows are
integrated with DOP853 at tight tolerances, the eigenvalues come from the autodiff Jacobian
of the engine's rule (:func:`curldescent.theory.flow_jacobian`). Time is the continuous time
of the flow (epochs × learning rate).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import jax.numpy as jnp
import numpy as np
import xarray as xr

from curldescent import __version__
from curldescent.figures.base import Claim, profile_settings, verdict
from curldescent.network import Params
from curldescent.plotting import PRINT_WIDTH
from curldescent.theory.jacobian import eigenvalues, flow_jacobian
from curldescent.theory.toy import (
    conserved_quantity,
    integrate,
    separatrix_radius,
    solution_hyperbola,
    toy_field,
    toy_loss,
    toy_manifold_eigenvalues,
    toy_origin_eigenvalues,
    toy_plasticity,
)

CAPTION = (
    "Toy model analysis. a) Learning trajectories in weight space for gradient flow and curl flow "
    "over the log loss; the hyperbolic solution manifold w1*w2 = s is a global minimum; curl descent adds "
    "a rotational field (flow field overlain). Dashed: the separatrix circle w1^2 + w2^2 = 2s. "
    "c) Log error vs time for the same trajectories; inset: the first time units, where curl descent "
    "ascends the loss. (Panel b, a schematic, is not drawn.)"
)
PAPER_COMPUTE = (
    "analytic / ODE integration of a 2-d system (seconds on a laptop; no compute reported)"
)
PROFILES = {
    "smoke": "coarse heat map (81^2) and flow grid (15^2), 801 time points, separatrix integrations over t <= 40",
    "quick": "heat map 201^2, flow grid 25^2, 2001 time points",
    "decisive": "as paper (seconds): heat map 401^2, flow grid 31^2, 4001 time points, separatrix integrations over t <= 200",
    "paper": "heat map 401^2, flow grid 31^2, 4001 time points, longer separatrix integrations",
}


@dataclass(frozen=True)
class Settings:
    """The grids and lengths of one profile, and the model settings shared by every profile.

    Args:
        n_heat: points per axis of the log-loss heat map.
        n_flow: points per axis of the curl-flow field.
        n_t: time points of the two trajectories (panel c).
        t_sep: length of the separatrix-test integrations (time units).
        s: the teacher map s (solutions w1 w2 = s).
        w0: the start of both trajectories, chosen near the stable manifold w1 = -w2 of the
            gradient-flow saddle, outside the separatrix, at an angle in (-45°, 0°) so that
            the clockwise curl rotation first increases |w1 w2 - s|.
        t_max: length of the trajectories (time units).
        box: half-width of the phase plane drawn (both axes).
        t_zoom: time span of panel c's inset.
        conv_threshold: the loss below which a trajectory counts as converged.
    """

    n_heat: int
    n_flow: int
    n_t: int
    t_sep: float
    s: float = 1.0
    w0: tuple[float, float] = (1.5, -1.2)
    t_max: float = 12.0
    box: float = 2.5
    t_zoom: float = 0.3
    conv_threshold: float = 1e-6


SETTINGS: dict[str, Settings] = {
    "smoke": Settings(n_heat=81, n_flow=15, n_t=801, t_sep=40.0),
    "quick": Settings(n_heat=201, n_flow=25, n_t=2001, t_sep=100.0),
    "decisive": Settings(n_heat=401, n_flow=31, n_t=4001, t_sep=200.0),
    "paper": Settings(n_heat=401, n_flow=31, n_t=4001, t_sep=200.0),
}

#: Separatrix test: orbits started on circles of radius^2 = ratio * 2s (ratio 0.5 is the
#: paper's printed circle w1^2 + w2^2 = s).
SEP_RATIOS = (0.5, 0.75, 0.95, 1.05, 1.5)
MANIFOLD_W1 = (-2.0, -1.2, -0.6, 0.5, 0.9, 1.0, 1.3, 2.0)


def settings(profile: str) -> Settings:
    """The settings of a profile (see :data:`PROFILES`)."""
    return profile_settings(SETTINGS, profile)


def _autodiff_eigs(w1: float, w2: float, s: float, rule: str) -> np.ndarray:
    J = flow_jacobian(
        toy_plasticity(rule),
        Params(jnp.full((1, 1), w1), jnp.full((1, 1), w2)),
        jnp.full((1, 1), s),
    )
    return np.sort_complex(eigenvalues(J))


def compute(profile: str, out: Path, executor: Any = None) -> xr.Dataset:
    """Integrate the toy flows and evaluate the phase plane (no simulations to resume:
    seconds for every profile; ``executor`` is unused)."""
    g = settings(profile)
    s, w0, t_max, box = g.s, g.w0, g.t_max, g.box
    w_heat = np.linspace(-box, box, g.n_heat)
    W1, W2 = np.meshgrid(w_heat, w_heat)
    logloss = np.log10(toy_loss(W1, W2, s) + 1e-12)
    w_flow = np.linspace(-box, box, g.n_flow)
    F1, F2 = np.meshgrid(w_flow, w_flow)
    U, V = toy_field(F1, F2, s, "curl")
    t = np.linspace(0.0, t_max, g.n_t)
    trajs = {rule: integrate(w0, s, rule, t_max, t_eval=t) for rule in ("gradient", "curl")}
    b1, b2 = solution_hyperbola(s, box, 200)
    theta = np.linspace(0, 2 * np.pi, 361)
    r_sep = separatrix_radius(s)

    # eigenvalue checks (autodiff through the engine's rule vs closed forms)
    origin = np.stack([_autodiff_eigs(0.0, 0.0, s, rule) for rule in ("gradient", "curl")])
    origin_closed = np.stack(
        [np.sort_complex(toy_origin_eigenvalues(s, rule)) for rule in ("gradient", "curl")]
    )
    man_auto = np.stack([np.sort(_autodiff_eigs(w, s / w, s, "curl").real) for w in MANIFOLD_W1])
    man_closed = np.stack(
        [np.sort(toy_manifold_eigenvalues(w, s / w, "curl")) for w in MANIFOLD_W1]
    )

    # separatrix test: orbits on circles inside/outside radius^2 = 2s, started at angle -60°
    t_sep = np.linspace(0.0, g.t_sep, 4 * int(g.t_sep) + 1)
    sep_min, sep_final, sep_tail = [], [], []
    for ratio in SEP_RATIOS:
        R = np.sqrt(ratio) * r_sep
        tr = integrate(
            (R * np.cos(-np.pi / 3), R * np.sin(-np.pi / 3)), s, "curl", g.t_sep, t_eval=t_sep
        )
        sep_min.append(tr.loss.min())
        sep_final.append(tr.loss[-1])
        sep_tail.append(tr.loss[len(t_sep) // 2 :].min())
    sep_bound = [0.5 * max(s - ratio * s, 0.0) ** 2 for ratio in SEP_RATIOS]  # 1/2 (s - R^2/2)^2

    ds = xr.Dataset(
        {
            "log10_loss": (
                ("w2_grid", "w1_grid"),
                logloss,
                {"long_name": "log10 loss 1/2 (s - w1 w2)^2", "units": "1"},
            ),
            "flow_w1": (
                ("w2_flow", "w1_flow"),
                U,
                {"long_name": "curl flow dw1/dt", "units": "1/time"},
            ),
            "flow_w2": (
                ("w2_flow", "w1_flow"),
                V,
                {"long_name": "curl flow dw2/dt", "units": "1/time"},
            ),
            "traj_w1": (
                ("rule", "t"),
                np.stack([trajs[r].w1 for r in ("gradient", "curl")]),
                {"long_name": "w1", "units": "1"},
            ),
            "traj_w2": (
                ("rule", "t"),
                np.stack([trajs[r].w2 for r in ("gradient", "curl")]),
                {"long_name": "w2", "units": "1"},
            ),
            "traj_loss": (
                ("rule", "t"),
                np.stack([trajs[r].loss for r in ("gradient", "curl")]),
                {"long_name": "error 1/2 (s - w1 w2)^2", "units": "1"},
            ),
            "traj_invariant": (
                ("rule", "t"),
                np.stack(
                    [conserved_quantity(trajs[r].w1, trajs[r].w2, r) for r in ("gradient", "curl")]
                ),
                {"long_name": "w1^2 - w2^2 (gradient) / w1^2 + w2^2 (curl)", "units": "1"},
            ),
            "hyperbola_w1": (
                ("branch", "hyp_point"),
                np.stack([b1[:, 0], b2[:, 0]]),
                {"long_name": "w1 on w1 w2 = s", "units": "1"},
            ),
            "hyperbola_w2": (
                ("branch", "hyp_point"),
                np.stack([b1[:, 1], b2[:, 1]]),
                {"long_name": "w2 on w1 w2 = s", "units": "1"},
            ),
            "separatrix_w1": (
                ("angle",),
                r_sep * np.cos(theta),
                {"long_name": "w1 on w1^2 + w2^2 = 2s", "units": "1"},
            ),
            "separatrix_w2": (
                ("angle",),
                r_sep * np.sin(theta),
                {"long_name": "w2 on w1^2 + w2^2 = 2s", "units": "1"},
            ),
            "origin_eig_re": (
                ("rule", "k"),
                origin.real,
                {"long_name": "origin eigenvalue (autodiff), real part", "units": "1/time"},
            ),
            "origin_eig_im": (
                ("rule", "k"),
                origin.imag,
                {"long_name": "origin eigenvalue (autodiff), imaginary part", "units": "1/time"},
            ),
            "origin_closed_re": (
                ("rule", "k"),
                origin_closed.real,
                {"long_name": "origin eigenvalue (closed form), real", "units": "1/time"},
            ),
            "origin_closed_im": (
                ("rule", "k"),
                origin_closed.imag,
                {"long_name": "origin eigenvalue (closed form), imag", "units": "1/time"},
            ),
            "manifold_eig_autodiff": (
                ("manifold_w1", "k"),
                man_auto,
                {"long_name": "curl eigenvalue on w1 w2 = s (autodiff)", "units": "1/time"},
            ),
            "manifold_eig_closed": (
                ("manifold_w1", "k"),
                man_closed,
                {"long_name": "curl eigenvalue on w1 w2 = s, {0, w1^2 - w2^2}", "units": "1/time"},
            ),
            "sep_min_loss": (
                ("sep_ratio",),
                np.array(sep_min),
                {"long_name": "minimum loss along the curl orbit", "units": "1"},
            ),
            "sep_tail_min_loss": (
                ("sep_ratio",),
                np.array(sep_tail),
                {"long_name": "minimum loss over the second half", "units": "1"},
            ),
            "sep_final_loss": (
                ("sep_ratio",),
                np.array(sep_final),
                {"long_name": "final loss of the curl orbit", "units": "1"},
            ),
            "sep_bound": (
                ("sep_ratio",),
                np.array(sep_bound),
                {"long_name": "lower bound 1/2 (s - R^2/2)^2 inside the separatrix", "units": "1"},
            ),
        },
        coords={
            "w1_grid": ("w1_grid", w_heat, {"long_name": "w1", "units": "1"}),
            "w2_grid": ("w2_grid", w_heat, {"long_name": "w2", "units": "1"}),
            "w1_flow": ("w1_flow", w_flow, {"long_name": "w1", "units": "1"}),
            "w2_flow": ("w2_flow", w_flow, {"long_name": "w2", "units": "1"}),
            "rule": ("rule", ["gradient", "curl"]),
            "t": ("t", t, {"long_name": "time (epochs x learning rate)", "units": "1"}),
            "manifold_w1": (
                "manifold_w1",
                np.array(MANIFOLD_W1),
                {"long_name": "w1 of the manifold point (w2 = s/w1)", "units": "1"},
            ),
            "sep_ratio": (
                "sep_ratio",
                np.array(SEP_RATIOS),
                {"long_name": "(w1^2 + w2^2) / (2s) of the start", "units": "1"},
            ),
        },
        attrs={
            "curldescent_version": __version__,
            "figure": "fig1",
            "profile": profile,
            "settings": json.dumps(asdict(g)),
            "t_sep": g.t_sep,
        },
    )
    return ds


def plot(data: xr.Dataset):
    """Panels a (phase plane) and c (log error vs time, with inset)."""
    import matplotlib.pyplot as plt

    settings = json.loads(data.attrs["settings"])
    fig, (ax, axc) = plt.subplots(
        1, 2, figsize=(PRINT_WIDTH, 3.3), gridspec_kw={"width_ratios": [1.15, 1.0]}
    )
    mesh = ax.pcolormesh(
        data.w1_grid,
        data.w2_grid,
        data.log10_loss,
        shading="auto",
        cmap="Greys_r",
        vmin=-4,
        rasterized=True,
    )
    fig.colorbar(mesh, ax=ax, label=r"$\log_{10}\,\mathcal{L}$ (clipped at $-4$)")
    ax.streamplot(
        data.w1_flow.values,
        data.w2_flow.values,
        data.flow_w1.values,
        data.flow_w2.values,
        color="#b48ad6",
        density=0.8,
        linewidth=0.6,
        arrowsize=0.7,
    )
    for b in range(2):
        ax.plot(
            data.hyperbola_w1[b],
            data.hyperbola_w2[b],
            color="#8b0000",
            lw=2,
            label="solution manifold $w_1w_2=s$" if b == 0 else None,
        )
    ax.plot(
        data.separatrix_w1, data.separatrix_w2, "k--", lw=1, label=r"separatrix $w_1^2+w_2^2=2s$"
    )
    colors = {"gradient": "#3b1f6e", "curl": "#b48ad6"}
    for rule in ("gradient", "curl"):
        ax.plot(
            data.traj_w1.sel(rule=rule),
            data.traj_w2.sel(rule=rule),
            color=colors[rule],
            lw=2.2,
            label=f"{rule} flow",
        )
    ax.plot(*settings["w0"], "o", color="k", ms=4, label="start")
    box = settings["box"]
    ax.set(
        xlim=(-box, box),
        ylim=(-box, box),
        xlabel="$w_1$",
        ylabel="$w_2$",
        aspect="equal",
        title="a  phase plane (curl flow field)",
    )
    ax.legend(loc="upper left", framealpha=0.85, frameon=True, borderpad=0.3, handlelength=1.5)
    floor = (
        1e-24  # DOP853 with atol 1e-13 resolves s - w1 w2 to ~1e-12: below this the curve is noise
    )
    for rule in ("gradient", "curl"):
        axc.plot(
            data.t,
            np.log10(np.maximum(data.traj_loss.sel(rule=rule), floor)),
            color=colors[rule],
            label=f"{rule} flow",
        )
    axc.set(
        xlabel="time (epochs × learning rate)",
        ylabel=r"$\log_{10}$ error",
        title="c  log error vs time",
        ylim=(np.log10(floor) - 1, None),
    )
    axc.legend(loc="lower left")
    ins = axc.inset_axes([0.62, 0.63, 0.36, 0.28])
    zoom = data.t <= settings["t_zoom"]
    for rule in ("gradient", "curl"):
        ins.plot(data.t[zoom], np.log10(data.traj_loss.sel(rule=rule)[zoom]), color=colors[rule])
    ins.set_title(f"zoom: time $\\leq$ {settings['t_zoom']:g}")
    return fig


# ---- verdict rules: pure functions of arrays, each tested on both sides of its threshold ----

#: round-off level of the autodiff and closed-form eigenvalues (2×2 matrices, entries O(1))
EIG_TOL = 1e-10


def rule_pair(eigs, expected, tol: float = EIG_TOL) -> tuple[str, dict]:
    """Two eigenvalues equal the expected pair (sorted, complex), each within ``tol``; the
    value holds their real and imaginary parts."""
    got = np.sort_complex(np.asarray(eigs, complex))
    want = np.sort_complex(np.asarray(expected, complex))
    ok = got.shape == want.shape and bool(np.all(np.abs(got - want) < tol))
    return verdict(ok), {"re": got.real.tolist(), "im": got.imag.tolist()}


def rule_manifold(
    w1, eig_autodiff, eig_closed, s: float, tol: float = EIG_TOL
) -> tuple[str, float]:
    """Curl-flow eigenvalues on w1·w2 = s: the autodiff ones equal {0, w1² − w2²} (within
    ``tol``) and the non-zero one has the sign of w1² − w2² (stable iff |w2| > |w1|)."""
    w1 = np.asarray(w1, float)
    eig = np.asarray(eig_autodiff, float)
    diff = float(np.max(np.abs(eig - np.asarray(eig_closed, float))))
    nonzero = eig[np.arange(len(w1)), np.argmax(np.abs(eig), axis=1)]
    observed = np.where(np.abs(nonzero) < tol, 0.0, np.sign(nonzero))
    predicted = np.sign(np.round(w1**2 - (s / w1) ** 2, 12))  # 0 at the tangent points
    return verdict(diff < tol and bool(np.all(observed == predicted))), diff


def rule_converges(final_loss: float, floor: float = 1e-12) -> tuple[str, float]:
    """An orbit converges to the manifold: its final loss is below ``floor`` (the integrator's
    resolution of s − w1w2 is ~1e-12 with atol 1e-13)."""
    return verdict(bool(float(final_loss) < floor)), float(final_loss)


def rule_separatrix(ratios, tail_min, final, bound, floor: float = 1e-12) -> tuple[str, dict]:
    """Orbits started inside the circle w1² + w2² = 2s (ratio < 1) keep their loss above the
    bound 1/2 (s − R²/2)² (to 0.1%, bound > 1e-4) over the second half of the run; orbits
    outside (ratio > 1) converge (final loss < ``floor``). Needs starts on both sides."""
    ratios = np.asarray(ratios, float)
    tail, final, bound = (np.asarray(x, float) for x in (tail_min, final, bound))
    inside = ratios < 1
    value = {
        "ratios": ratios.tolist(),
        "tail_min_loss": tail.tolist(),
        "final_loss": final.tolist(),
    }
    if not inside.any() or inside.all():
        return "not tested", value
    osc = bool(np.all(tail[inside] >= 0.999 * bound[inside])) and bool(np.all(bound[inside] > 1e-4))
    conv = bool(np.all(final[~inside] < floor))
    return verdict(osc and conv), value


def rule_conserved(invariant, tol: float = 1e-8) -> tuple[str, float]:
    """w1² + w2² stays at its initial value along the integrated curl orbit (drift < ``tol``,
    the integrator's rtol 1e-11 accumulated over the run)."""
    inv = np.asarray(invariant, float)
    drift = float(np.max(np.abs(inv - inv[0])))
    return verdict(drift < tol), drift


def rule_ascends_then_converges(t, loss, floor: float = 1e-10) -> tuple[str, dict]:
    """The curl loss rises on its first step and above its start, then ends below ``floor``."""
    loss = np.asarray(loss, float)
    ascends = bool(loss[1] > loss[0]) and float(loss.max()) > loss[0]
    value = {
        "initial": float(loss[0]),
        "peak": float(loss.max()),
        "t_peak": float(np.asarray(t)[np.argmax(loss)]),
        "final": float(loss[-1]),
    }
    return verdict(ascends and bool(loss[-1] < floor)), value


def first_time_below(t, loss, threshold: float) -> float:
    """The first time the loss is below ``threshold`` (inf if never)."""
    idx = np.nonzero(np.asarray(loss) < threshold)[0]
    return float(np.asarray(t)[idx[0]]) if idx.size else float("inf")


def rule_faster(t, loss_curl, loss_gradient, threshold: float) -> tuple[str, dict]:
    """Curl flow reaches ``threshold`` before gradient flow ("not tested" if neither does)."""
    tc = first_time_below(t, loss_curl, threshold)
    tg = first_time_below(t, loss_gradient, threshold)
    value = {"t_curl": tc, "t_gradient": tg, "threshold": threshold}
    if not (np.isfinite(tc) or np.isfinite(tg)):
        return "not tested", value
    return verdict(tc < tg), value


def claims(data: xr.Dataset) -> list[Claim]:
    """Section 4.1's statements, checked on the stored data."""
    g = json.loads(data.attrs["settings"])
    s, thr = g["s"], g["conv_threshold"]
    curl = dict(rule="curl")
    grad = dict(rule="gradient")
    eig = (data.origin_eig_re + 1j * data.origin_eig_im).values
    rules = list(data.rule.values)
    origin_setting = (
        f"two-neuron model, s = {s:g}: autodiff Jacobian of the engine's rule at the origin (2×2)"
    )
    traj = (
        f"two-neuron model, s = {s:g}: DOP853 (rtol 1e-11, atol 1e-13) from w0 = {tuple(g['w0'])}, "
        f"t ≤ {g['t_max']:g}, {g['n_t']} time points"
    )
    sep = (
        f"two-neuron model, s = {s:g}: {data.sizes['sep_ratio']} curl orbits started at (w1² + w2²)/2s = "
        f"{', '.join(f'{r:g}' for r in data.sep_ratio.values)}, t ≤ {data.attrs['t_sep']:g}"
    )
    out = []
    v, val = rule_pair(eig[rules.index("curl")], [1j * s, -1j * s])
    v_closed, _ = rule_pair(
        eig[rules.index("curl")],
        (data.origin_closed_re + 1j * data.origin_closed_im).sel(**curl).values,
    )
    out.append(
        Claim(
            "Under curl flow the origin becomes a centre with eigenvalues ±i·s",
            val,
            verdict(v == v_closed == "reproduced"),
            detail=f"autodiff eigenvalues equal ±i·s and the closed form within {EIG_TOL:g}",
            setting=origin_setting,
        )
    )
    v, val = rule_pair(eig[rules.index("gradient")], [s, -s])
    out.append(
        Claim(
            "Under gradient flow the origin is a saddle (eigenvalues ±s)",
            val,
            v,
            detail=f"autodiff eigenvalues equal ±s within {EIG_TOL:g}",
            setting=origin_setting,
        )
    )
    w1 = data.manifold_w1.values
    v, val = rule_manifold(
        w1, data.manifold_eig_autodiff.values, data.manifold_eig_closed.values, s
    )
    out.append(
        Claim(
            "On the solution manifold the curl-flow eigenvalues are 0 and w1² − w2²: only |w2| > |w1| is (neutrally) stable",
            val,
            v,
            detail=f"max |autodiff − closed form| over {len(w1)} manifold points < {EIG_TOL:g}, and the sign of the non-zero eigenvalue as predicted",
            setting=f"two-neuron model, s = {s:g}: autodiff Jacobian at {len(w1)} points of w1·w2 = s",
        )
    )
    ratios = data.sep_ratio.values
    final = data.sep_final_loss.values
    printed = int(np.argmin(np.abs(ratios - 0.5)))
    v, val = rule_converges(final[printed])
    out.append(
        Claim(
            "Regimes are separated by heteroclinic orbits on the circle w1² + w2² = s (as printed)",
            {"ratio_to_2s": float(ratios[printed]), "final_loss": val},
            v,
            detail="an orbit started on the printed circle w1² + w2² = s (ratio 0.5 to 2s) would converge (final loss < 1e-12) "
            "if it were the separatrix; it keeps oscillating: the printed circle is a typo for 2s (docs/protocol.md)",
            setting=sep,
        )
    )
    v, val = rule_separatrix(ratios, data.sep_tail_min_loss.values, final, data.sep_bound.values)
    out.append(
        Claim(
            "The separatrix is the circle w1² + w2² = 2s, tangent to w1·w2 = s: orbits inside oscillate forever, outside converge",
            val,
            v,
            detail=f"inside: loss stays ≥ 1/2 (s − R²/2)² over the second half of t ≤ {data.attrs['t_sep']}; outside: final loss < 1e-12",
            setting=sep,
        )
    )
    v, val = rule_conserved(data.traj_invariant.sel(**curl).values)
    out.append(
        Claim(
            "Curl flow conserves w1² + w2² (orbits are circles)",
            val,
            v,
            detail="max drift along the integrated trajectory < 1e-8",
            setting=traj,
        )
    )
    t = data.t.values
    lc = data.traj_loss.sel(**curl).values
    v, val = rule_ascends_then_converges(t, lc)
    out.append(
        Claim(
            "Curl descent initially ascends the loss function, then converges (Fig. 1c inset)",
            val,
            v,
            detail="loss rises from its initial value before decreasing to < 1e-10",
            setting=traj,
        )
    )
    v, val = rule_faster(t, lc, data.traj_loss.sel(**grad).values, thr)
    out.append(
        Claim(
            "In some cases curl flow converges faster than gradient flow (Fig. 1, start near the saddle's stable manifold)",
            val,
            v,
            detail=f"time of first loss < {thr:g} from w0 = {g['w0']}",
            setting=traj,
        )
    )
    return out
