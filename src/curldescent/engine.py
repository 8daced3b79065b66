r"""The simulation engine: one run is a pure function of its spec and seeds; runs with equal
shapes are vmapped and jitted together.

A run trains a two-layer student on a student–teacher task with a learning rule (the
update field of :mod:`curldescent.rules`) by minibatch or full-batch steps

.. math:: W_l \leftarrow W_l + \eta\,\Delta W_l, \qquad
          W_l \leftarrow W_l\,\lVert W_l^{(0)}\rVert_F / \lVert W_l\rVert_F \ \ (\text{renormalisation, optional}),

and records train and test error (½·MSE) on a checkpoint grid (epoch 0, ~log-spaced
epochs, and optionally every epoch of a final window). Divergence (non-finite weights) is
returned as a flag, never raised.

Fast paths (proven equal to the direct path in ``tests/test_engine.py``):

* **full-batch linear**: the update needs only :math:`G=\langle e x^\top\rangle = W_2W_1C - b^\top`
  with the sufficient statistics :math:`C = X^\top X/n`, :math:`b = X^\top Y/n`, so an epoch
  costs O(KM² + KNM), independent of N_train;
* **minibatch linear**: :math:`G = e_b^\top X_b / B` (K×M) and the updates are rank-K outer
  products (:func:`curldescent.rules.linear_direction`); no B×N×M products.

Examples:
    >>> import curldescent; curldescent.enable_float64()
    >>> from curldescent.specs import RunSpec, NetworkSpec, TrainSpec
    >>> res = simulate(RunSpec(network=NetworkSpec(M=8, N=4), train=TrainSpec(epochs=50)))
    >>> bool(res.test_error[0, -1] < res.test_error[0, 0])
    True
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from curldescent.field import batch_G, full_batch_direction
from curldescent.network import Params, mse
from curldescent.rule_registry import rule_entry
from curldescent.rules import (
    LearningRule,
    Plasticity,
    linear_direction,
    rule_from_spec,
    update_direction,
)
from curldescent.specs import NetworkSpec, RunSpec, SpecError, TaskSpec
from curldescent.task import (
    InitialState,
    batch_run_keys,
    initial_state_from_arrays,
    load_initial_conditions,
    sample_initial_state,
    stack,
)
from curldescent.tuning import (
    ORDER_BLOCK,
    PAIR_LINEAR_EPOCHS,
    default_chunk_size,
    vmap_width,
)


def checkpoint_epochs(epochs: int, n_checkpoints: int = 100, final_window: int = 0) -> np.ndarray:
    """Checkpoint grid: epoch 0, ``n_checkpoints`` geometric epochs from 1 to ``epochs``
    (rounded, duplicates removed) and every epoch of the last ``final_window`` epochs."""
    grid = np.unique(np.round(np.geomspace(1, epochs, n_checkpoints)).astype(np.int64))
    window = np.arange(epochs - final_window + 1, epochs + 1, dtype=np.int64)
    return np.unique(np.concatenate([[0], grid, window, [epochs]]))


def permutation(key, n: int) -> jnp.ndarray:
    """Exactly ``jax.random.permutation(key, n)``, ~5x faster on the CPU.

    JAX shuffles by stable key-value sorts on fresh 32-bit random keys; a key-value sort
    costs ~380 us for n = 2000 on XLA:CPU, a one-operand sort of the packed
    ``key << 32 | position`` (same order: ties keep their positions) ~67 us. The per-epoch
    permutation was half of workload (c)'s time (benchmarks/README.md).
    """
    assert n < 2**32
    x = jnp.arange(n)
    pos = jnp.arange(n, dtype=jnp.uint64)
    rounds = math.ceil(3 * math.log(max(1, n)) / math.log(np.iinfo(np.uint32).max))  # as JAX
    for _ in range(rounds):
        key, subkey = jr.split(key)
        bits = jr.bits(subkey, (n,), jnp.uint32).astype(jnp.uint64)
        order = jnp.sort((bits << 32) | pos) & 0xFFFFFFFF
        x = x[order.astype(x.dtype)]
    return x


def epoch_order(shuffle_key, epoch, n: int) -> jnp.ndarray:
    """The minibatch order of ``epoch``: a permutation of the ``n`` training examples."""
    return permutation(jr.fold_in(shuffle_key, epoch), n)


def epoch_orders(shuffle_key, epochs: jnp.ndarray, n: int) -> jnp.ndarray:
    """:func:`epoch_order` of each of ``epochs``, one per row, drawn together (vmapped)."""
    return jax.vmap(lambda e: epoch_order(shuffle_key, e, n))(epochs)


class Static(NamedTuple):
    """Everything that fixes shapes or code paths (hashable: the jit cache key)."""

    network: NetworkSpec
    n_train: int
    n_test: int
    batch_size: int
    full_batch: bool
    checkpoints: tuple[int, ...]
    renormalize: bool
    window: int
    record_weights: bool
    has_mask1: bool
    has_mask2: bool
    has_feedback: bool
    fast: bool
    custom: Any = None  # static part of a rule with its own field (None: built-in Plasticity)


def rule_parts(rule: LearningRule, network: NetworkSpec) -> tuple[Any, Any]:
    """``(dynamic, static)``: how a rule object enters the compiled program.

    A built-in rule (no own :meth:`~curldescent.rules.LearningRule.field`) is its canonical
    :class:`Plasticity` (all leaves dynamic, static part ``None``: fast paths apply). A rule
    with its own field is split into its array leaves (dynamic, batched across runs) and the
    rest (static, part of the compiled program), as ``equinox.partition`` does."""
    if not rule.has_custom_field:
        return rule.plasticity(network), None
    import equinox as eqx

    return eqx.partition(rule, eqx.is_array)


def static_of(spec: RunSpec, plasticity: Any, *, fast: bool = True, custom: Any = None) -> Static:
    t = spec.train
    plain = isinstance(plasticity, Plasticity)
    return Static(
        network=spec.network,
        n_train=spec.task.n_train,
        n_test=spec.task.n_test,
        batch_size=spec.batch_size,
        full_batch=spec.batch_size == spec.task.n_train,
        checkpoints=tuple(
            int(e) for e in checkpoint_epochs(t.epochs, t.n_checkpoints, t.final_window)
        ),
        renormalize=t.renormalize,
        window=t.final_window,
        record_weights=t.record_weights,
        has_mask1=plain and plasticity.mask1 is not None,
        has_mask2=plain and plasticity.mask2 is not None,
        has_feedback=plain and plasticity.feedback is not None,
        fast=fast,
        custom=custom,
    )


def _norm(a: jnp.ndarray) -> jnp.ndarray:
    return jnp.sqrt(jnp.sum(a * a))


def make_step(st: Static, plast: Plasticity, lr, norms0) -> Callable[[Params, Any], Params]:
    """``step(params, direction) -> params``: apply one update and the optional renormalisation."""

    def step(params: Params, direction: Params) -> Params:
        W1 = params.W1 + lr * direction.W1
        W2 = params.W2 + lr * direction.W2
        if st.renormalize:
            # measured, not inferred: inferring ||W1 + lr d||^2 from ||W1^(0)||^2 and
            # <W1, d> cancels catastrophically when an update is as large as the weights
            W1 = W1 * (norms0[0] / _norm(W1))
            W2 = W2 * (norms0[1] / _norm(W2))
        return Params(W1, W2)

    return step


def _errors(st: Static, params: Params, x, y) -> jnp.ndarray:
    if st.network.is_linear:
        e = x @ (params.W2 @ params.W1).T - y
        return 0.5 * jnp.mean(jnp.sum(e * e, axis=-1))
    return mse(st.network, params, x, y)


def make_epoch(st: Static, init: InitialState, plast: Plasticity, lr, shuffle_key) -> Callable:
    """``epoch(params, epoch_index) -> params``: one pass over the training set."""
    net = st.network
    X, Y = init.x_train, init.y_train
    norms0 = (_norm(init.params.W1), _norm(init.params.W2))
    step = make_step(st, plast, lr, norms0)
    if st.custom is not None:  # the rule's own field, called exactly as written
        import equinox as eqx

        rule = eqx.combine(plast, st.custom)

        def direction(params, x, y, w=None):
            if w is None:
                return rule.field(net, params, x, y)
            return rule.field(net, params, x, y, weights=w)
    else:

        def direction(params, x, y, w=None):
            return update_direction(net, plast, params, x, y, w)

    linear_fast = st.fast and net.is_linear and st.custom is None

    if st.full_batch:
        if st.custom is None:
            full_direction = full_batch_direction(net, plast, X, Y, fast=st.fast)
        else:

            def full_direction(params):
                return direction(params, X, Y)

        def full_epoch(params, _):
            return step(params, full_direction(params))

        return full_epoch

    n, B = st.n_train, st.batch_size
    n_steps = math.ceil(n / B)
    padded = n_steps * B != n
    if padded:
        valid = (np.arange(n_steps * B) < n).reshape(n_steps, B)
        counts = valid.sum(axis=1, keepdims=True)
        weights = jnp.asarray(valid / counts)  # each row sums to one over its real examples

    def minibatch_epoch(params, epoch, perm=None):
        if perm is None:  # else drawn beforehand by epoch_orders
            perm = epoch_order(shuffle_key, epoch, n)
        if padded:
            perm = jnp.concatenate([perm, jnp.zeros(n_steps * B - n, perm.dtype)])
        # one gather per epoch, then the scan slices contiguous (B, M) batches: per-step
        # gathers cost ~20% of workload (c) (benchmarks/README.md)
        xs = (
            X[perm].reshape(n_steps, B, X.shape[1]),
            Y[perm].reshape(n_steps, B, Y.shape[1]),
            weights if padded else None,
        )

        def body(p, batch):
            xb, yb, w_b = batch
            if linear_fast:
                return step(p, linear_direction(plast, p, batch_G(p, xb, yb, w_b))), None
            return step(p, direction(p, xb, yb, w_b)), None

        params, _ = jax.lax.scan(body, params, xs)
        return params

    return minibatch_epoch


class RunOutput(NamedTuple):
    train_error: jnp.ndarray  # (T,)
    test_error: jnp.ndarray  # (T,) NaN after the run stopped
    diverged: jnp.ndarray  # ()
    stop_epoch: jnp.ndarray  # () the last simulated epoch
    final: Params
    weights: Params | None  # (T, ...) when recorded
    window_mean: Params | None
    window_var: Params | None
    observed: tuple = ()  # the results of integrate's extra observers, in their order


@dataclasses.dataclass(frozen=True, eq=False)
class Record:
    """Observer for :func:`integrate`: ``fn(params)`` (any pytree of floating arrays) at the
    checkpoint epochs ``at``, stacked along a new leading axis (NaN where the run stopped
    before). With ``fn`` the identity and ``at`` every checkpoint: the recorded weights."""

    fn: Callable[[Params], Any]
    at: tuple[int, ...]

    def _slots(self, ck: np.ndarray) -> np.ndarray:  # per checkpoint: its row, or len(at)
        where = {int(e): i for i, e in enumerate(ck)}
        if any(int(e) not in where for e in self.at):
            raise ValueError(f"observed epochs {list(self.at)} must be checkpoints")
        slots = np.full(len(ck), len(self.at), np.int64)
        slots[[where[int(e)] for e in self.at]] = np.arange(len(self.at))
        return slots

    def init(self, ck: np.ndarray, params: Params) -> Any:
        first, row = self.fn(params), int(self._slots(ck)[0])
        n = len(self.at)

        def buffer(a):
            b = jnp.full((n, *jnp.shape(a)), jnp.nan, jnp.result_type(a))
            return b.at[row].set(a) if row < n else b

        return jax.tree_util.tree_map(buffer, first)

    def update(self, ck: np.ndarray, state: Any, i, params: Params) -> Any:
        if not self.at:
            return state
        row = jnp.asarray(self._slots(ck))[i]
        return jax.tree_util.tree_map(
            lambda b, a: b.at[row].set(a, mode="drop"), state, self.fn(params)
        )

    def result(self, state: Any) -> Any:
        return state


@dataclasses.dataclass(frozen=True, eq=False)
class Moments:
    """Observer for :func:`integrate`: the per-weight temporal ``(mean, var)`` (population
    variance) over the checkpoint epochs ``at`` that the run reached (the window moments
    of q, eq. 15; NaN when it reached none), accumulated with
    :func:`curldescent.analysis.order_parameter.window_moments_update` (shifted Welford)."""

    at: tuple[int, ...]

    def _mask(self, ck: np.ndarray) -> np.ndarray:
        return np.isin(ck, np.asarray(self.at, np.int64))

    def init(self, ck: np.ndarray, params: Params) -> Any:
        from curldescent.analysis.order_parameter import window_moments_init

        state = window_moments_init(params)
        return self.update(ck, state, 0, params) if self._mask(ck)[0] else state

    def update(self, ck: np.ndarray, state: Any, i, params: Params) -> Any:
        from curldescent.analysis.order_parameter import window_moments_update

        inw = jnp.asarray(self._mask(ck))[i]
        new = window_moments_update(state, params)
        return jax.tree_util.tree_map(lambda a, b: jnp.where(inw, a, b), new, state)

    def result(self, state: Any) -> tuple[Params, Params]:
        from curldescent.analysis.order_parameter import window_moments_result

        return window_moments_result(state)


def map_stepper(
    st: Static, init: InitialState, plast: Plasticity, lr, shuffle_key
) -> Callable[..., tuple[Params, Any, jnp.ndarray]]:
    """The learning map as a stepper for :func:`integrate`: ``advance(params, aux, start,
    count) -> (params, aux, failed)`` runs epochs ``start .. start + count - 1`` (full-batch
    or minibatch, :func:`make_epoch`); it never fails and carries no state."""
    epoch_fn = make_epoch(st, init, plast, lr, shuffle_key)

    def epochs(params, start, count):  # epochs start, ..., start + count - 1, in order
        def single(j, p):
            return epoch_fn(p, start + j)

        if not st.full_batch:  # the minibatch orders of ORDER_BLOCK epochs drawn together
            k = ORDER_BLOCK

            def several(j, p):
                e0 = start + k * j
                perms = epoch_orders(shuffle_key, e0 + jnp.arange(k), st.n_train)
                return jax.lax.fori_loop(0, k, lambda m, q: epoch_fn(q, e0 + m, perms[m]), p)
        elif st.network.is_linear and PAIR_LINEAR_EPOCHS:  # two epochs per iteration
            k = 2

            def several(j, p):
                return single(2 * j + 1, single(2 * j, p))
        else:  # full-batch tanh/ReLU: pairs gained nothing measurable
            return jax.lax.fori_loop(0, count, single, params)

        params = jax.lax.fori_loop(0, count // k, several, params)
        return jax.lax.fori_loop(count - count % k, count, single, params)

    def advance(params, aux, start, count):
        return epochs(params, start, count), aux, jnp.asarray(False)

    return advance


def integrate(
    st: Static,
    init: InitialState,
    advance: Callable,
    stop_below,
    aux: Any = None,
    observers: Sequence[Any] = (),
) -> tuple[RunOutput, Any]:
    """The run loop every stepper shares (pure; vmapped and jitted by the callers).

    Starts from ``init.params`` at the first checkpoint (``st.checkpoints[0]``, usually
    epoch 0) and advances checkpoint interval by checkpoint interval with ``advance(params,
    aux, start, count) -> (params, aux, failed)`` (the learning map, :func:`map_stepper`, or
    the continuous flow, :func:`curldescent.analysis.flow.flow_stepper`). At every
    checkpoint it observes train and test error and non-finite weights, and updates the
    observers: the weights (:class:`Record`, with ``record_weights``), their moments over
    the final window (:class:`Moments`, with ``st.window``) and ``observers`` (each with
    ``init(ck, params)``, ``update(ck, state, i, params)`` at checkpoint ``i`` and
    ``result(state)``; results in ``RunOutput.observed``). Stop events: the test error below
    ``stop_below`` (``-inf``: never), non-finite weights, or a failed step; checkpoints
    after the stop hold NaN. Returns the run's output and the stepper's final ``aux``."""
    ck = np.asarray(st.checkpoints)
    T, W = len(ck), st.window
    starts, counts = (jnp.asarray(v) for v in (ck[:-1], np.diff(ck)))
    own = (
        Moments(tuple(int(e) for e in ck[T - W :])) if W else None,
        Record(lambda p: p, tuple(int(e) for e in ck)) if st.record_weights else None,
    )
    obs = [o for o in own if o is not None] + list(observers)

    def observe(params):
        return (
            _errors(st, params, init.x_train, init.y_train),
            _errors(st, params, init.x_test, init.y_test),
            ~(jnp.all(jnp.isfinite(params.W1)) & jnp.all(jnp.isfinite(params.W2))),
        )

    def buffer(first):  # (T,) filled with NaN, `first` at checkpoint 0
        return jnp.full((T, *jnp.shape(first)), jnp.nan, jnp.result_type(first)).at[0].set(first)

    def interval(carry):
        i, params, bad, _, tr_b, te_b, states, aux = carry
        params, aux, failed = advance(params, aux, starts[i], counts[i])
        tr, te, nonfinite = observe(params)
        states = tuple(o.update(ck, s, i + 1, params) for o, s in zip(obs, states, strict=True))
        bad = bad | nonfinite | failed
        done = bad | (te < stop_below)
        return (
            i + 1,
            params,
            bad,
            done,
            tr_b.at[i + 1].set(tr),
            te_b.at[i + 1].set(te),
            states,
            aux,
        )

    tr0, te0, bad0 = observe(init.params)
    carry0 = (
        jnp.asarray(0, jnp.int64 if jax.config.jax_enable_x64 else jnp.int32),
        init.params,
        bad0,
        bad0 | (te0 < stop_below),
        buffer(tr0),
        buffer(te0),
        tuple(o.init(ck, init.params) for o in obs),
        aux,
    )
    i, final, bad, _, tr, te, states, aux = jax.lax.while_loop(
        lambda c: (c[0] < T - 1) & ~c[3], interval, carry0
    )
    results = [o.result(s) for o, s in zip(obs, states, strict=True)]
    mean = var = weights = None
    if W:  # moments over the window epochs actually simulated (all of them, unless stopped)
        mean, var = results.pop(0)
    if st.record_weights:
        weights = results.pop(0)
    out = RunOutput(tr, te, bad, jnp.asarray(ck)[i], final, weights, mean, var, tuple(results))
    return out, aux


def lyapunov_tangent(
    advance: Callable, params: Params, epoch, *, n_steps: int, transient: int, key
):
    """The largest Lyapunov exponent of a stepper's map, one epoch per step, from ``params``
    at ``epoch`` (:func:`curldescent.analysis.lyapunov_exponents`: state and tangent evolve
    together; ``transient`` epochs of alignment first). The state is ``(weights, epoch)``;
    the epoch (it sets the minibatch order) carries no tangent."""
    from curldescent.analysis.lyapunov import lyapunov_exponents

    def f(state):
        w, e = state
        e = jax.lax.stop_gradient(e)
        return (tuple(advance(Params(*w), None, e.astype(jnp.int64), 1)[0]), e + 1.0)

    start = (tuple(params), jnp.asarray(epoch).astype(params.W1.dtype))
    return lyapunov_exponents(f, start, n_steps=n_steps, key=key, transient=transient)


def train_one(
    st: Static, init: InitialState, plast: Plasticity, lr, shuffle_key, stop_below
) -> RunOutput:
    """Train one run from its initial state with the learning map (:func:`integrate`)."""
    return integrate(st, init, map_stepper(st, init, plast, lr, shuffle_key), stop_below)[0]


@partial(jax.jit, static_argnums=(0, 1))
def _train_batch(
    st: Static, width: int, init: InitialState, plast: Plasticity, lr, shuffle_keys, stop_below
) -> RunOutput:
    def one(args):
        return train_one(st, *args)

    xs = (init, plast, lr, shuffle_keys, stop_below)
    if width == 1 and st.network.is_linear:
        # a plain loop over runs: 1.1x faster than a vmap one run wide for minibatch linear
        # runs, but 1.6x slower for full-batch tanh (110x110, CPU), so only here
        return jax.lax.map(one, xs)
    return jax.lax.map(one, xs, batch_size=width)


def _structural_task(task: TaskSpec) -> TaskSpec:
    """The static part of a TaskSpec (scales become array leaves)."""
    return dataclasses.replace(
        task,
        teacher_scale=1.0,
        init_scale=1.0,
        input_std=1.0,
        perturb_W1=0.0,
        perturb_W2=0.0,
        init_from=None,
    )


@partial(jax.jit, static_argnums=(0, 1))
def _sample_batch(
    network: NetworkSpec, task: TaskSpec, task_keys, data_keys, student_keys, scales
) -> InitialState:
    def one(tk, dk, sk, sc):
        return sample_initial_state(
            network,
            task,
            tk,
            dk,
            sk,
            teacher_scale=sc[0],
            init_scale=sc[1],
            input_std=sc[2],
            perturb_W1=sc[3],
            perturb_W2=sc[4],
        )

    return jax.vmap(one)(task_keys, data_keys, student_keys, scales)


@dataclasses.dataclass
class BatchResult:
    """Results of a batch of runs (numpy arrays, leading axis = run)."""

    specs: list[RunSpec]
    epochs: np.ndarray  # (T,)
    train_error: np.ndarray  # (R, T)
    test_error: np.ndarray  # (R, T)
    diverged: np.ndarray  # (R,)
    final_W1: np.ndarray  # (R, N, M)
    final_W2: np.ndarray  # (R, K, N)
    W1: np.ndarray | None = None  # (R, T, N, M)
    W2: np.ndarray | None = None  # (R, T, K, N)
    window_mean: tuple[np.ndarray, np.ndarray] | None = None
    window_var: tuple[np.ndarray, np.ndarray] | None = None
    wall_time_s: float = 0.0
    stop_epoch: np.ndarray | None = None  # (R,) last simulated epoch

    @classmethod
    def from_output(cls, specs, epochs, out, wall_time_s: float) -> BatchResult:
        """From a stacked :class:`RunOutput` (or any output with the same fields)."""
        return cls(
            specs=list(specs),
            epochs=np.asarray(epochs),
            train_error=out.train_error,
            test_error=out.test_error,
            diverged=out.diverged,
            final_W1=out.final.W1,
            final_W2=out.final.W2,
            W1=None if out.weights is None else out.weights.W1,
            W2=None if out.weights is None else out.weights.W2,
            window_mean=None if out.window_mean is None else tuple(out.window_mean),
            window_var=None if out.window_var is None else tuple(out.window_var),
            wall_time_s=wall_time_s,
            stop_epoch=getattr(out, "stop_epoch", None),
        )

    def to_dataset(self):
        """An xarray Dataset with dims (run, epoch), labelled variables and provenance attrs."""
        from curldescent.results import batch_to_dataset

        return batch_to_dataset(self)


def shape_key(spec: RunSpec) -> tuple:
    """Runs with equal shape keys can share one compiled, vmapped program."""
    return (
        spec.network,
        _structural_task(spec.task),
        spec.batch_size,
        spec.train.epochs,
        spec.train.n_checkpoints,
        spec.train.final_window,
        spec.train.renormalize,
        spec.train.record_weights,
        spec.rule.kind,
        spec.task.init_from,
    )


def require_float64() -> None:
    """Fail, before anything runs, when JAX computes in float32: the library's runs are
    float64 by construction (the protocol's 1e-15 perturbations vanish in float32).

    Raises:
        SpecError: float64 is off (call :func:`curldescent.enable_float64` first).
    """
    if not jax.config.jax_enable_x64:
        raise SpecError(
            "float64 is off: call curldescent.enable_float64() before simulating "
            "(runs are float64 by construction; float32 loses the protocol's 1e-15 perturbations)"
        )


def initial_states(specs: Sequence[RunSpec]) -> tuple[InitialState, list[Plasticity]]:
    """Initial states (stacked) and rules (list) of runs with equal shape keys (every route
    that runs the dynamics starts here, so it checks for float64 first)."""
    require_float64()
    s0 = specs[0]
    if s0.task.init_from is not None:
        data, d1, d2 = load_initial_conditions(s0.task.init_from)
        net = s0.network
        if (data["teacher_W1"].shape, data["teacher_W2"].shape[0]) != ((net.N, net.M), net.K):
            raise SpecError(
                f"network sizes M={net.M}, N={net.N}, K={net.K} do not match the arrays in {s0.task.init_from}"
            )
        one = initial_state_from_arrays(net, data)
        states = stack([one] * len(specs))
        rule_keys = batch_run_keys(specs)["rule"]
        rules = []
        for i, spec in enumerate(specs):
            p = rule_from_spec(spec.rule, net, rule_keys[i]).plasticity(net)
            if spec.rule.kind != "gradient":  # the file's signs apply to non-gradient rules only
                if d1 is not None:
                    p = p._replace(d1=p.d1 * jnp.asarray(d1))
                if d2 is not None:
                    p = p._replace(d2=p.d2 * jnp.asarray(d2))
            rules.append(p)
        return states, rules
    keys = batch_run_keys(specs)
    scales = jnp.asarray(
        [
            [
                s.task.teacher_scale,
                s.task.init_scale,
                s.task.input_std,
                s.task.perturb_W1,
                s.task.perturb_W2,
            ]
            for s in specs
        ]
    )
    states = _sample_batch(
        s0.network,
        _structural_task(s0.task),
        keys["task"],
        keys["data"],
        keys["student"],
        scales,
    )
    rules = [
        rule_parts(rule_from_spec(s.rule, s.network, keys["rule"][i]), s.network)[0]
        for i, s in enumerate(specs)
    ]
    return states, rules


def with_data(states: InitialState, data: Any) -> InitialState:
    """Stacked initial states whose examples are ``data``'s (a
    :class:`curldescent.data.Dataset`); the teacher, which no longer exists, is NaN."""
    R = states.params.W1.shape[0]

    def rows(a):
        return jnp.broadcast_to(jnp.asarray(a), (R, *a.shape))

    nan = jax.tree_util.tree_map(lambda a: jnp.full_like(a, jnp.nan), states.teacher)
    return InitialState(
        states.params,
        nan,
        rows(data.x_train),
        rows(data.y_train),
        rows(data.x_test),
        rows(data.y_test),
    )


def run_setup(specs: Sequence[RunSpec], *, fast: bool = True):
    """``(static, initial states, plasticities, step lrs, shuffle keys)`` of runs with one
    shape key (states and rules sampled one run at a time, stacked); the arguments of
    :func:`map_stepper` and :func:`integrate` for routes that observe more than
    :func:`simulate_batch` (e.g. continuations, example runs). ``fast = False`` selects
    the direct route."""
    from curldescent.analysis.flow import initial_states_per_run
    from curldescent.task import run_keys

    states, plasts = initial_states_per_run(specs)
    st = static_of(specs[0], plasts[0], fast=fast)
    lrs = jnp.asarray([s.step_lr for s in specs])
    keys = jnp.stack([run_keys(s)["shuffle"] for s in specs])
    return st, states, stack(plasts), lrs, keys


def _first(a, n):
    return np.asarray(a)[:n]


def simulate_batch(
    specs: Sequence[RunSpec],
    *,
    rules: Sequence[LearningRule] | None = None,
    chunk_size: int | None = None,
    fast: bool = True,
    progress: Callable[[int, int], None] | None = None,
    data: Any = None,
) -> BatchResult:
    """Simulate runs with equal shape keys as vmapped, jitted chunks.

    Args:
        specs: run specs; all must share :func:`shape_key` (sizes, schedule, rule kind).
        rules: optional learning-rule objects overriding ``spec.rule`` (e.g. custom masks).
        chunk_size: runs per compiled call (default :func:`default_chunk_size`); the last
            chunk is padded by repeating its final run, so every chunk runs one program.
        fast: use the linear fast paths (set False to force the direct path, for tests).
        progress: called as ``progress(runs_done, runs_total)`` after each chunk.
        data: a :class:`curldescent.data.Dataset`: train and test on these examples instead
            of a teacher's (the spec's sizes must match it; the student's initial weights,
            the minibatch order and the rule still come from each spec's seed).

    Returns:
        A :class:`BatchResult`. A run's result depends only on its spec and seeds.
    """
    specs = list(specs)
    if not specs:
        raise SpecError("simulate_batch needs at least one run spec")
    key0 = shape_key(specs[0])
    for s in specs[1:]:
        if shape_key(s) != key0:
            raise SpecError(
                "all runs of a batch must share sizes, schedule and rule kind (see engine.shape_key)"
            )
    t0 = time.time()
    if rules is not None and len(rules) != len(specs):
        raise SpecError(f"rules must have one entry per spec ({len(specs)}) (got {len(rules)})")
    if data is not None:
        for s in specs:
            data.check_matches(s)
    if rules is None and not rule_entry(specs[0].rule.kind).builtin:  # a registered user rule
        rule_keys = batch_run_keys(specs)["rule"]
        rules = [rule_from_spec(s.rule, s.network, rule_keys[i]) for i, s in enumerate(specs)]
    R = len(specs)
    chunk = min(R, chunk_size or default_chunk_size())
    outs, st = [], None
    for start in range(0, R, chunk):
        idx = np.arange(start, start + chunk).clip(max=R - 1)  # last chunk padded: one program
        chunk_specs = [specs[i] for i in idx]
        states, plasts = initial_states(chunk_specs)  # sampled per chunk: compiled for `chunk` runs
        if data is not None:
            states = with_data(states, data)
        custom = None
        if rules is not None:
            parts = [rule_parts(rules[i], specs[i].network) for i in idx]
            plasts = [dyn for dyn, _ in parts]
            try:
                kinds = {c for _, c in parts}
            except TypeError:
                raise SpecError(
                    "a rule object must be hashable (a frozen dataclass or an equinox Module)"
                ) from None
            if len(kinds) != 1:
                raise SpecError(
                    "all rules of a batch must be of one kind (same class and settings)"
                )
            custom = parts[0][1]
        if len({jax.tree_util.tree_structure(p) for p in plasts}) != 1:
            raise SpecError("all rules of a batch must share their structure (masks, feedback)")
        st_chunk = static_of(specs[0], plasts[0], fast=fast, custom=custom)
        if st is not None and st_chunk != st:
            raise SpecError("all rules of a batch must share their structure (masks, feedback)")
        st = st_chunk
        lrs = jnp.asarray([s.step_lr for s in chunk_specs])
        shuffle = batch_run_keys(chunk_specs)["shuffle"]
        stop = jnp.asarray(
            [-math.inf if s.train.stop_below is None else s.train.stop_below for s in chunk_specs]
        )
        out = _train_batch(st, vmap_width(st, chunk), states, stack(plasts), lrs, shuffle, stop)
        n_real = min(chunk, R - start)
        outs.append(jax.tree_util.tree_map(partial(_first, n=n_real), out))
        if progress is not None:
            progress(start + n_real, R)
    cat = lambda *xs: np.concatenate(xs)  # noqa: E731
    out = jax.tree_util.tree_map(cat, *outs) if len(outs) > 1 else outs[0]
    return BatchResult.from_output(specs, st.checkpoints, out, time.time() - t0)


def simulate(
    spec: RunSpec, *, rule: LearningRule | None = None, fast: bool = True, data: Any = None
) -> BatchResult:
    """Simulate one run (a batch of one); ``rule`` and ``data`` as in :func:`simulate_batch`."""
    return simulate_batch([spec], rules=None if rule is None else [rule], fast=fast, data=data)
