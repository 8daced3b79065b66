"""The integrator's observers (engine.Record, engine.Moments, engine.lyapunov_tangent) give
what the run's own outputs and a hand computation give."""

import jax
import jax.numpy as jnp
import numpy as np

from curldescent.engine import (
    Moments,
    Record,
    integrate,
    lyapunov_tangent,
    map_stepper,
    run_setup,
    simulate,
)
from curldescent.specs import NetworkSpec, RuleSpec, RunSpec, TaskSpec, TrainSpec

SPEC = RunSpec(
    network=NetworkSpec(M=6, N=5),
    task=TaskSpec(n_train=20, n_test=10),
    rule=RuleSpec(kind="curl", alpha_hidden=0.4),
    train=TrainSpec(lr=0.1, epochs=12, n_checkpoints=4, final_window=3, record_weights=True),
    seed=3,
)


def _one(tree):
    return jax.tree_util.tree_map(lambda a: a[0], tree)


def test_record_and_moments_observers_match_the_run_outputs():
    st, states, plasts, lrs, keys = run_setup([SPEC])
    init, plast = _one(states), _one(plasts)
    advance = map_stepper(st, init, plast, lrs[0], keys[0])
    ck = st.checkpoints
    obs = (Record(lambda p: p.W2.sum(), ck[1::2]), Moments(ck[-3:]), Record(lambda p: p, ()))
    out = integrate(st, init, advance, -jnp.inf, observers=obs)[0]
    ref = simulate(SPEC)
    W2 = ref.W2[0]  # (T, K, N): every checkpoint
    np.testing.assert_allclose(out.weights.W2, W2, rtol=1e-12)  # another program
    np.testing.assert_allclose(out.observed[0], W2[1::2].sum(axis=(1, 2)), rtol=1e-12)
    mean, var = out.observed[1]
    np.testing.assert_allclose(mean.W1, ref.window_mean[0][0], rtol=1e-12)
    np.testing.assert_allclose(var.W2, W2[-3:].var(axis=0), rtol=1e-6, atol=1e-15)
    assert out.observed[2].W1.shape == (0, 5, 6)  # an observer with no epochs: empty


def test_lyapunov_tangent_follows_the_map_and_is_finite():
    spec = SPEC.replace(**{"train.epochs": 25})
    st, states, plasts, lrs, keys = run_setup([spec])
    init = _one(states)
    advance = map_stepper(st, init, _one(plasts), lrs[0], keys[0])
    res = lyapunov_tangent(
        advance, init.params, 0, n_steps=20, transient=5, key=jax.random.PRNGKey(0)
    )
    assert np.isfinite(float(res.exponents[0]))
    ref = simulate(spec)  # 25 epochs of the same map: the tangent's state is the run
    np.testing.assert_allclose(res.state[0][0], ref.final_W1[0], rtol=1e-12, atol=1e-15)
    assert float(res.state[1]) == 25.0
