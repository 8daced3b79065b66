"""A plasticity rule that is not in the paper, trained against gradient descent, and its
curl index.

    python examples/custom_rule.py

The rule, "activity-gated sign": each hidden neuron's incoming synapses follow the
backpropagated error when the neuron's mean activity on the batch is below a threshold θ = 0,
and the opposite sign when it is above (an anti-Hebbian switch for strongly driven
neurons). The readout follows the gradient. It is an Equinox module, so θ is an array leaf
and the rule plugs into the engine and the curl meter as it is written. Both rules train on
the same task, from the same initial weights, with the same minibatch order. Prints one
JSON line: ``{"rule": ..., "final_test_error": ..., "gd_final_test_error": ...,
"curl_index": ..., "gd_curl_index": ...}`` (the curl index is the circulation index of the
full-batch learning field, mean over sampled weights; 0 for a gradient flow).
"""

from __future__ import annotations

import json

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

import curldescent
from curldescent.analysis.curl_meter import curl_index
from curldescent.engine import initial_states, simulate
from curldescent.network import Params, activation
from curldescent.rule_registry import register_rule
from curldescent.rules import Gradient, LearningRule, learning_field
from curldescent.specs import NetworkSpec, RuleSpec, RunSpec, TaskSpec, TrainSpec


class ActivityGatedSign(LearningRule, eqx.Module):
    """Gradient descent, except that hidden neurons whose mean activity exceeds ``theta``
    flip the sign of their incoming plasticity."""

    theta: jax.Array

    def field(self, network, params, x, y, weights=None):
        d = Gradient().field(network, params, x, y, weights)
        h = activation(network.activation)[0](x @ params.W1.T)  # (B, N) postsynaptic activity
        mean_h = jnp.mean(h, axis=0) if weights is None else weights @ h
        sign = jnp.where(mean_h > self.theta, -1.0, 1.0)
        return Params(sign[:, None] * d.W1, d.W2)


# registered once: the name is then valid in specs, sweeps and the curl meter's catalogue
register_rule(
    "activity_gated_sign",
    lambda rule_spec, network, key: ActivityGatedSign(theta=jnp.asarray(0.0)),
    description="hidden synapses flip their plasticity sign when the neuron's mean activity > 0",
    replace=True,
)


def main() -> dict:
    curldescent.enable_float64()
    spec = RunSpec(
        network=NetworkSpec(M=12, N=8, activation="tanh"),
        task=TaskSpec(n_train=120, n_test=60, init_scale=0.5),
        rule=RuleSpec(kind="activity_gated_sign"),
        train=TrainSpec(lr=0.1, lr_scale="per_epoch", batch_size=20, epochs=300),
        seed=3,
    )
    res = simulate(spec)
    gd = simulate(spec.replace(**{"rule.kind": "gradient"}))

    # the curl meter on both full-batch learning fields, at weights sampled around the start
    states, _ = initial_states([spec])
    x, y = states.x_train[0], states.y_train[0]
    w0 = Params(states.params.W1[0], states.params.W2[0])
    rng = np.random.default_rng(0)
    points = Params(
        *(np.stack([np.asarray(w) + 0.3 * rng.normal(size=w.shape) for _ in range(3)]) for w in w0)
    )

    def index(rule):
        ci = curl_index(learning_field(rule, spec.network, x, y), points, key=0)
        return float(np.mean(ci.circulation_index))

    out = {
        "rule": spec.rule.kind,
        "final_test_error": float(res.test_error[0, -1]),
        "gd_final_test_error": float(gd.test_error[0, -1]),
        "curl_index": index(ActivityGatedSign(theta=jnp.asarray(0.0))),
        "gd_curl_index": index(Gradient()),
    }
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
