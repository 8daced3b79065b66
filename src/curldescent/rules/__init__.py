"""Learning rules: interchangeable update fields on the parameters of a two-layer network.

One file per rule: :mod:`~curldescent.rules.gradient`, :mod:`~curldescent.rules.curl`,
:mod:`~curldescent.rules.feedback_alignment`; the shared field is in
:mod:`~curldescent.rules.base`. :func:`rule_from_spec` builds a rule from a
:class:`~curldescent.specs.RuleSpec`.
"""

from __future__ import annotations

from typing import Any

import jax.random as jr

from curldescent.rule_registry import rule_entry
from curldescent.rules.base import (
    LearningRule as LearningRule,
)
from curldescent.rules.base import (
    Plasticity as Plasticity,
)
from curldescent.rules.base import (
    flow_field as flow_field,
)
from curldescent.rules.base import (
    learning_field as learning_field,
)
from curldescent.rules.base import (
    linear_direction as linear_direction,
)
from curldescent.rules.base import (
    update_direction as update_direction,
)
from curldescent.rules.curl import Curl as Curl
from curldescent.rules.feedback_alignment import FeedbackAlignment as FeedbackAlignment
from curldescent.rules.gradient import Gradient as Gradient
from curldescent.specs import NetworkSpec, RuleSpec


def rule_from_spec(rule: RuleSpec, network: NetworkSpec, key: Any) -> LearningRule:
    """Build the learning rule described by ``rule`` with the factory registered for
    ``rule.kind`` (:mod:`curldescent.rule_registry`). ``key`` draws random flip subsets and
    the feedback matrix (split by purpose, so the same key gives the same flips whatever
    the rule kind)."""
    return rule_entry(rule.kind).build(rule, network, key)


def gradient_from_spec(rule: RuleSpec, network: NetworkSpec, key: Any) -> Gradient:
    """Factory of the built-in ``gradient`` rule."""
    return Gradient()


def _flips_and_feedback_key(rule: RuleSpec, network: NetworkSpec, key: Any):
    needs_keys = rule.selection == "random" or rule.kind == "feedback_alignment"
    flip_key, feedback_key = jr.split(key) if needs_keys else (None, None)  # eager splits cost ~ms
    k1, k2 = rule.flip_counts(network)
    flips = Curl.from_counts(
        network, k1, k2, selection=rule.selection, side=rule.side, key=flip_key
    )
    return flips, feedback_key


def curl_from_spec(rule: RuleSpec, network: NetworkSpec, key: Any) -> Curl:
    """Factory of the built-in ``curl`` rule (flips from ``rule.flip_counts``)."""
    return _flips_and_feedback_key(rule, network, key)[0]


def feedback_alignment_from_spec(
    rule: RuleSpec, network: NetworkSpec, key: Any
) -> FeedbackAlignment:
    """Factory of the built-in ``feedback_alignment`` rule (with optional flips)."""
    flips, feedback_key = _flips_and_feedback_key(rule, network, key)
    return FeedbackAlignment.sample(feedback_key, network, rule.feedback_scale, flips=flips)
