"""The registry of learning rules a :class:`~curldescent.specs.RuleSpec` can name.

One registration feeds everything that lists rules: spec validation (``rule.kind``), the
CLI's choices, sweeps over ``rule.kind``, the curl meter's catalogue
(:mod:`curldescent.models.catalog`) and :func:`curldescent.rules.rule_from_spec`. This
module imports no JAX (the CLI reads the names before JAX loads): a factory is a callable
or a ``"module:function"`` string imported when a rule is built.

A factory is called as ``factory(rule_spec, network, key)`` and returns a
:class:`~curldescent.rules.LearningRule`; ``key`` is the run's rule key (for random
flips or feedback matrices).

Examples:
    >>> from curldescent.rules import Gradient
    >>> class Frozen(Gradient):
    ...     def field(self, network, params, x, y, weights=None):
    ...         return params._replace(W1=0 * params.W1, W2=0 * params.W2)
    >>> entry = register_rule("frozen", lambda spec, net, key: Frozen(), description="no learning")
    >>> "frozen" in rule_names()
    True
    >>> unregister_rule("frozen")
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["RuleEntry", "register_rule", "rule_entry", "rule_names", "unregister_rule"]


@dataclass(frozen=True)
class RuleEntry:
    """One registered rule: its name, factory, a one-line description, whether it takes
    flips (``alpha_*``/``n_flip_*`` of the RuleSpec), and whether it is built in."""

    name: str
    factory: Callable[..., Any] | str
    description: str
    takes_flips: bool = False
    builtin: bool = False

    def build(self, rule_spec: Any, network: Any, key: Any) -> Any:
        """The rule object for ``rule_spec`` on ``network``."""
        factory = self.factory
        if isinstance(factory, str):
            module, _, name = factory.partition(":")
            factory = getattr(importlib.import_module(module), name)
        return factory(rule_spec, network, key)


_RULES: dict[str, RuleEntry] = {}


def register_rule(
    name: str,
    factory: Callable[..., Any] | str,
    *,
    description: str,
    takes_flips: bool = False,
    replace: bool = False,
    builtin: bool = False,
) -> RuleEntry:
    """Register a rule under ``name`` (a new name, unless ``replace``)."""
    if not isinstance(name, str) or not name.replace("_", "").replace("-", "").isalnum():
        raise ValueError(f"a rule name is letters, digits, - and _ (got {name!r})")
    if name in _RULES and not replace:
        raise ValueError(f"rule {name!r} is already registered (pass replace=True)")
    entry = RuleEntry(name, factory, description, takes_flips, builtin)
    _RULES[name] = entry
    return entry


def unregister_rule(name: str) -> None:
    """Remove a rule registered by the user (built-ins stay)."""
    if name in _RULES and not _RULES[name].builtin:
        del _RULES[name]


def rule_names() -> tuple[str, ...]:
    """Registered names, built-ins first, in registration order."""
    return tuple(_RULES)


def rule_entry(name: str) -> RuleEntry:
    """The entry of ``name``; ``KeyError`` names the registered rules."""
    try:
        return _RULES[name]
    except KeyError:
        raise KeyError(f"no rule {name!r}; registered: {', '.join(_RULES)}") from None


register_rule(
    "gradient",
    "curldescent.rules:gradient_from_spec",
    description="gradient descent, the exact gradient of 1/2 MSE (eqs. 3-4)",
    builtin=True,
)
register_rule(
    "curl",
    "curldescent.rules:curl_from_spec",
    description="curl descent: sign-flipped presynaptic (eq. 5) or postsynaptic plasticity",
    takes_flips=True,
    builtin=True,
)
register_rule(
    "feedback_alignment",
    "curldescent.rules:feedback_alignment_from_spec",
    description="feedback alignment: a fixed random feedback matrix B replaces W2 (with flips)",
    takes_flips=True,
    builtin=True,
)
