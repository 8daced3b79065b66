r"""Presets: the authors' numerical protocol (``docs/protocol.md``) for each figure, as RunSpecs.

The library defaults follow the paper's equations; every protocol detail that the paper
text leaves out (input variance ½, uniform fan-in init, batch sizes, the per-epoch
learning-rate convention, renormalisation, output nonlinearity without φ' at the output,
checkpoint grids) is set here, never hard-coded elsewhere.

Examples:
    >>> spec = preset_spec("fig5")
    >>> (spec.network.M, spec.network.N, spec.task.n_train, spec.train.batch_size)
    (100, 10, 2000, 10)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any

from curldescent.specs import (
    NetworkSpec,
    RuleSpec,
    RunSpec,
    SpecError,
    TaskSpec,
    TrainSpec,
    apply_overrides,
)


def sizes_for_c(c: float, total: int = 220) -> tuple[int, int]:
    """(M, N) for compression ratio c = M/N at fixed M + N = total, as the authors did:
    N = int(total/(1 + c)), M = int(total/(1 + 1/c)).

    Examples:
        >>> sizes_for_c(1.0), sizes_for_c(0.8, total=110)
        ((110, 110), (48, 61))
    """
    if not c > 0:
        raise SpecError(f"c must be > 0 (got {c!r})")
    return int(total / (1.0 + 1.0 / c)), int(total / (1.0 + c))


def _linear(M: int, N: int) -> NetworkSpec:
    return NetworkSpec(M=M, N=N, activation="linear")


def _protocol_train(**kw: Any) -> TrainSpec:
    base = dict(lr=0.1, lr_scale="per_epoch", renormalize=True, n_checkpoints=100)
    base.update(kw)
    return TrainSpec(**base)


def _fig3a() -> RunSpec:
    M, N = sizes_for_c(1.0)
    return RunSpec(
        network=_linear(M, N),
        task=TaskSpec(n_train=250),
        rule=RuleSpec(kind="curl"),
        train=_protocol_train(batch_size=10, epochs=100_000),
    )


def _fig3b() -> RunSpec:
    M, N = sizes_for_c(50 / 169)
    return RunSpec(
        network=_linear(M, N),
        task=TaskSpec(n_train=250, start="teacher", perturb_W2=1e-10, normalize_teacher=True),
        rule=RuleSpec(kind="curl"),
        train=_protocol_train(epochs=100_000, final_window=1000),
    )


def _fig4() -> RunSpec:
    M, N = sizes_for_c(1.0)
    return RunSpec(
        network=_linear(M, N),
        task=TaskSpec(n_train=250, start="teacher", perturb_W1=1e-15),
        rule=RuleSpec(kind="curl"),
        train=_protocol_train(epochs=100_000),
    )


def _fig4a() -> RunSpec:
    M, N = sizes_for_c(1.0)
    return RunSpec(
        network=_linear(M, N),
        task=TaskSpec(n_train=250),
        rule=RuleSpec(kind="curl"),
        train=_protocol_train(epochs=100_000),
    )


def _nonlinear(activation: str) -> RunSpec:
    return RunSpec(
        network=NetworkSpec(
            M=100, N=10, activation=activation, output_activation="hidden", readout_error="raw"
        ),
        task=TaskSpec(n_train=2000, init_scale=2.0),
        rule=RuleSpec(kind="curl", n_flip_readout=1),
        train=_protocol_train(batch_size=10, epochs=100_000),
    )


def _demo() -> RunSpec:
    spec = _nonlinear("tanh")
    return apply_overrides(
        spec, {"task.n_train": 500, "train.epochs": 300, "train.n_checkpoints": 60}
    )


PRESETS = {
    "default": RunSpec,
    "demo": _demo,
    "fig3a": _fig3a,
    "fig3b": _fig3b,
    "fig4": _fig4,
    "fig4a": _fig4a,
    "fig5": lambda: _nonlinear("tanh"),
    "fig6": lambda: apply_overrides(
        _fig3a(),
        {
            "network.activation": "tanh",
            "network.output_activation": "hidden",
            "network.readout_error": "raw",
        },
    ),
    "fig8": lambda: apply_overrides(
        _fig4a(),
        {
            "network.activation": "tanh",
            "network.output_activation": "hidden",
            "network.readout_error": "raw",
        },
    ),
    "fig10": lambda: _nonlinear("relu"),
}


_OVERRIDES: ContextVar[Mapping[str, Any]] = ContextVar(
    "preset_overrides", default=MappingProxyType({})
)


@contextlib.contextmanager
def preset_overrides(changes: Mapping[str, Any]) -> Iterator[None]:
    """Inside the block, every :func:`preset_spec` applies the dotted-path ``changes`` last
    (``curldescent figure --set``: every run a figure simulates starts from a preset; the
    fields the figure sweeps keep their swept values)."""
    token = _OVERRIDES.set({**_OVERRIDES.get(), **changes})
    try:
        yield
    finally:
        _OVERRIDES.reset(token)


def preset_spec(name: str, **overrides: Any) -> RunSpec:
    """The preset RunSpec ``name`` with dotted-path overrides, e.g.
    ``preset_spec("fig3a", **{"rule.alpha_hidden": 0.5})`` (then those of an enclosing
    :func:`preset_overrides`), applied by :func:`curldescent.specs.apply_overrides`."""
    if name not in PRESETS:
        raise SpecError(f"unknown preset {name!r}; allowed: {', '.join(PRESETS)}")
    overrides = {**overrides, **_OVERRIDES.get()}
    spec = PRESETS[name]()
    return apply_overrides(spec, overrides) if overrides else spec
