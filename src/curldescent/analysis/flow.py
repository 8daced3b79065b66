r"""The continuous-time learning flow on the training data, integrated with an adaptive
ODE solver (diffrax): the :math:`\eta \to 0` limit of the discrete learning map.

Full-batch training with step :math:`\eta` is the Euler discretisation, with time step
:math:`\eta` per update, of the flow

.. math::

    \dot W_l = \Delta_l(W), \qquad \Delta = \text{rule's update direction on the whole
    training set}

(for a linear network and whitened inputs, :math:`\Delta` is eq. (6); in general
:math:`\Delta = ` :func:`curldescent.rules.linear_direction` with
:math:`G = W_2W_1C - b^\top`, :math:`C = X^\top X/n`, :math:`b = X^\top Y/n`, or
:func:`curldescent.rules.update_direction` for nonlinear networks). Minibatch training
with per-step rate :math:`\eta B/n` follows the same flow on average. The simulations
rescale every :math:`W_l` to its initial Frobenius norm after each update; to first order
in :math:`\eta`, "step, then rescale" is the **projected** flow

.. math::

    \dot W_l = \Delta_l - \frac{\langle \Delta_l, W_l\rangle_F}{\lVert W_l\rVert_F^2}\,W_l,

which keeps :math:`\lVert W_l\rVert_F` constant (used when ``train.renormalize``).

Time: one epoch of a run is :math:`\tau = \eta_{step}\lceil n/B\rceil` time units
(:math:`\tau = 0.1` for the authors' per-epoch learning rate 0.1, full batch or
minibatch), so checkpoint epoch :math:`k` of a spec is flow time :math:`k\tau`.
:func:`simulate_flow_batch` integrates a batch of runs between the same checkpoints as
the engine (:func:`curldescent.engine.checkpoint_epochs`) and returns an engine
:class:`~curldescent.engine.BatchResult`, so every downstream analysis (errors, q over the
final window, peaks) treats discrete and continuous runs alike.

Phenomena that belong to the flow appear for every small enough :math:`\eta`; phenomena of
the map only (e.g. exact period-2 cycles of a full-batch map whose Jacobian has an
eigenvalue below −1) vanish from it.

Examples:
    >>> import curldescent; curldescent.enable_float64()
    >>> from curldescent.specs import RunSpec, NetworkSpec, TaskSpec, TrainSpec
    >>> spec = RunSpec(network=NetworkSpec(M=6, N=4), task=TaskSpec(n_train=40),
    ...                train=TrainSpec(epochs=300, n_checkpoints=10))
    >>> res = simulate_flow_batch([spec])
    >>> bool(res.test_error[0, -1] < 1e-2 * res.test_error[0, 0])
    True
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import diffrax as dfx
import jax
import jax.numpy as jnp
import jax.tree_util as jtu
import numpy as np

from curldescent.field import full_batch_direction
from curldescent.network import Params
from curldescent.rules import Plasticity
from curldescent.specs import NetworkSpec, RunSpec, SpecError
from curldescent.tuning import FLOW_CHUNK

__all__ = [
    "flow_stepper",
    "epoch_time",
    "integrate_between",
    "learning_flow",
    "simulate_flow_batch",
]


def learning_flow(
    network: NetworkSpec,
    plasticity: Plasticity,
    x: jnp.ndarray,
    y: jnp.ndarray,
    *,
    renormalize: bool = True,
) -> Callable[[Params], Params]:
    r"""The vector field :math:`W \mapsto \dot W` of the learning flow on the data ``(x, y)``.

    Args:
        network: network structure (linear networks use the sufficient statistics
            :math:`C, b`, so one evaluation costs O(KM² + KNM) whatever n).
        plasticity: the rule in canonical form.
        x: training inputs (n, M); y: targets (n, K).
        renormalize: project each layer's velocity on the tangent space of its
            Frobenius-norm sphere (the limit of the per-update rescaling).

    Returns:
        ``field(params) -> Params`` (pure; jit/vmap at the caller).
    """
    direction = full_batch_direction(network, plasticity, x, y)

    if not renormalize:
        return direction

    def projected(params: Params) -> Params:
        d = direction(params)

        def proj(v, w):
            return v - (jnp.sum(v * w) / jnp.sum(w * w)) * w

        return Params(proj(d.W1, params.W1), proj(d.W2, params.W2))

    return projected


def integrate_between(
    field: Callable[[Any], Any],
    y0: Any,
    t0,
    t1,
    *,
    rtol: float = 1e-8,
    atol: float = 1e-10,
    max_steps: int = 100_000,
) -> tuple[Any, jnp.ndarray, jnp.ndarray]:
    r"""Integrate :math:`\dot y = f(y)` from ``t0`` to ``t1`` with Tsit5 (5th order,
    embedded 4th-order error estimate) and a PID step-size controller.

    Returns:
        ``(y1, n_steps, ok)``: the state at ``t1``, the number of accepted steps and whether
        the solver succeeded (never raises in traced code: a failure is data).
    """
    sol = dfx.diffeqsolve(
        dfx.ODETerm(lambda t, y, args: field(y)),
        dfx.Tsit5(),
        t0,
        t1,
        None,
        y0,
        stepsize_controller=dfx.PIDController(rtol=rtol, atol=atol),
        saveat=dfx.SaveAt(t1=True),
        max_steps=max_steps,
        throw=False,
    )
    y1 = jtu.tree_map(lambda a: a[-1], sol.ys)
    return y1, sol.stats["num_accepted_steps"], sol.result == dfx.RESULTS.successful


def initial_states_per_run(specs: Sequence[RunSpec]):
    """:func:`curldescent.engine.initial_states`, sampled one run at a time and stacked.

    The engine's batched sampler compiles once per batch *size*; sampling runs one by one
    compiles once per network structure and reuses that program for any number of runs
    (the results are identical: a run's initial state depends only on its spec)."""
    from curldescent.engine import initial_states
    from curldescent.task import stack

    pairs = [initial_states([s]) for s in specs]
    states = stack([jtu.tree_map(lambda a: a[0], st) for st, _ in pairs])
    return states, [pl[0] for _, pl in pairs]


def epoch_time(spec: RunSpec) -> float:
    r"""Flow time of one epoch of ``spec``: :math:`\eta_{step}\lceil n/B\rceil`."""
    return spec.step_lr * math.ceil(spec.task.n_train / spec.batch_size)


def flow_stepper(
    field: Callable[[Params], Params], tau, solver: tuple[float, float, int]
) -> Callable[..., tuple[Params, Any, jnp.ndarray]]:
    """The continuous flow as a stepper for :func:`curldescent.engine.integrate`: epochs
    ``start .. start + count`` are flow times ``start·tau .. (start + count)·tau``; ``aux`` =
    (every interval solved, accepted solver steps); a failed solve is a stop event."""
    rtol, atol, max_steps = solver

    def advance(params, aux, start, count):
        ok, steps = aux
        t0 = start.astype(tau.dtype) * tau
        t1 = (start + count).astype(tau.dtype) * tau
        params, n, good = integrate_between(
            field, params, t0, t1, rtol=rtol, atol=atol, max_steps=max_steps
        )
        return params, (ok & good, steps + n.astype(steps.dtype)), ~good

    return advance


@partial(jax.jit, static_argnums=(0, 1))
def _flow_batch(st, solver, init, plast, tau):
    from curldescent.engine import integrate

    def one(init, plast, tau):
        field = learning_flow(
            st.network, plast, init.x_train, init.y_train, renormalize=st.renormalize
        )
        aux0 = (jnp.asarray(True), jnp.asarray(0))
        out, (_, steps) = integrate(st, init, flow_stepper(field, tau, solver), -jnp.inf, aux0)
        return out, steps

    return jax.vmap(one)(init, plast, tau)


def simulate_flow_batch(
    specs: Sequence[RunSpec],
    *,
    rtol: float = 1e-8,
    atol: float = 1e-10,
    max_steps: int = 100_000,
    chunk_size: int | None = None,
):
    r"""Integrate the learning flow of runs with equal shape keys, between the checkpoints
    their discrete counterparts would record.

    Each run starts from exactly the initial state (teacher, data, student, perturbation)
    that :func:`curldescent.engine.simulate_batch` would use for the same spec, and
    checkpoint epoch :math:`k` is flow time :math:`k\,\tau` (:func:`epoch_time`). The
    batch size and learning rate of a spec only set :math:`\tau`: the flow is the common
    :math:`\eta\to0` limit of its full-batch and minibatch maps.

    Args:
        specs: run specs sharing :func:`curldescent.engine.shape_key`.
        rtol, atol: tolerances of the adaptive Tsit5 solver (PID controller, RMS norm).
        max_steps: most accepted steps per checkpoint interval; a run that needs more is
            flagged ``diverged`` (the solver's failure is data, never an exception).
        chunk_size: runs per compiled call (default: all, at most 32).

    Returns:
        A :class:`~curldescent.engine.BatchResult` (``epochs`` are the checkpoint epochs;
        the flow times are ``epochs * tau``); its ``wall_time_s`` covers the integration.
        The attribute ``n_steps`` (R,) holds the accepted solver steps per run.

    Raises:
        SpecError: specs with different shape keys.
    """
    from curldescent.engine import BatchResult, shape_key, static_of
    from curldescent.task import stack

    specs = list(specs)
    if not specs:
        raise SpecError("simulate_flow_batch needs at least one run spec")
    key0 = shape_key(specs[0])
    if any(shape_key(s) != key0 for s in specs[1:]):
        raise SpecError(
            "all runs of a batch must share sizes, schedule and rule kind (see engine.shape_key)"
        )
    t0 = time.time()
    states, plasts = initial_states_per_run(specs)
    st = static_of(specs[0], plasts[0])
    taus = jnp.asarray([epoch_time(s) for s in specs])
    R = len(specs)
    chunk = min(R, chunk_size or FLOW_CHUNK)
    solver = (float(rtol), float(atol), int(max_steps))
    outs = []
    for start in range(0, R, chunk):
        idx = np.arange(start, start + chunk).clip(max=R - 1)
        out = _flow_batch(
            st,
            solver,
            jtu.tree_map(lambda a, idx=idx: a[idx], states),
            stack([plasts[i] for i in idx]),
            taus[idx],
        )
        n_real = min(chunk, R - start)
        outs.append(jtu.tree_map(lambda a, n=n_real: np.asarray(a)[:n], out))
    out, steps = jtu.tree_map(lambda *xs: np.concatenate(xs), *outs) if len(outs) > 1 else outs[0]
    res = BatchResult.from_output(specs, st.checkpoints, out, time.time() - t0)
    res.n_steps = steps  # type: ignore[attr-defined]
    return res
