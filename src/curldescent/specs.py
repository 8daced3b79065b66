r"""Frozen, validated, serialisable descriptions of a training run.

A run is fully described by a :class:`RunSpec`: the network (sizes and nonlinearities),
the student–teacher task (initialisation families and scales, inputs, start near the
solution manifold or explicit initial conditions), the learning rule (gradient descent,
curl descent with sign flips, feedback alignment) and the training schedule (learning
rate, batch size, epochs, renormalisation, checkpoints), plus a seed.

Every field is checked in ``__post_init__``; a bad value raises :class:`SpecError` whose
message names the field, the value and the allowed values. Specs round-trip through
plain dictionaries (``to_dict``/``from_dict``) and TOML files (:func:`load_spec`).

Examples:
    >>> spec = RunSpec(network=NetworkSpec(M=20, N=10), rule=RuleSpec(kind="curl", alpha_readout=0.3))
    >>> RunSpec.from_dict(spec.to_dict()) == spec
    True
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from curldescent.limits import MAX_INT, check_run_memory
from curldescent.rule_registry import rule_entry, rule_names

ACTIVATIONS = ("linear", "tanh", "relu")
OUTPUT_ACTIVATIONS = ("identity", "hidden")
READOUT_ERRORS = ("exact", "raw")
INIT_FAMILIES = ("uniform", "normal")
STARTS = ("random", "teacher")
#: the built-in rule kinds; every registered kind is valid (:mod:`curldescent.rule_registry`)
RULE_KINDS = ("gradient", "curl", "feedback_alignment")
SELECTIONS = ("first", "random")
SIDES = ("pre", "post")
LR_SCALES = ("per_step", "per_epoch")


class SpecError(ValueError):
    """A specification value is invalid. The message names the field and the allowed values."""


def _check_int(name: str, value: Any, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise SpecError(f"{name} must be an integer >= {minimum} (got {value!r})")
    if value > MAX_INT:
        raise SpecError(f"{name} must be an integer <= 2**63 - 1 = {MAX_INT} (got {value!r})")


def _check_float(name: str, value: Any, *, positive: bool = False, nonneg: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SpecError(f"{name} must be a finite number (got {value!r})")
    if positive and value <= 0:
        raise SpecError(f"{name} must be > 0 (got {value!r})")
    if nonneg and value < 0:
        raise SpecError(f"{name} must be >= 0 (got {value!r})")


def _check_choice(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise SpecError(f"{name} must be one of {', '.join(allowed)} (got {value!r})")


def _check_fraction(name: str, value: Any) -> None:
    _check_float(name, value)
    if not 0.0 <= value <= 1.0:
        raise SpecError(f"{name} must lie in [0, 1] (got {value!r})")


def flip_count(alpha: float, size: int) -> int:
    r"""Number of flipped neurons for a fraction ``alpha`` of ``size``: :math:`\lfloor\alpha\cdot
    \text{size}\rfloor` (the first ones are flipped, as the authors do). A slack of
    1e-9 keeps whole products whole despite rounding (0.3·10 = 2.9999999999999996 -> 3).

    Examples:
        >>> flip_count(0.3, 7), flip_count(0.3, 10), flip_count(1.0, 5)
        (2, 3, 5)
    """
    return int(math.floor(alpha * size + 1e-9))


@dataclass(frozen=True)
class NetworkSpec:
    r"""Two-layer network :math:`\hat y = \varphi_{out}(W_2\,\varphi(W_1 x))`.

    Args:
        M: input size (columns of ``W1``).
        N: hidden size (rows of ``W1``, columns of ``W2``).
        K: output size (rows of ``W2``); the paper uses ``K = 1``.
        activation: hidden nonlinearity :math:`\varphi` (``linear``, ``tanh``, ``relu``).
        output_activation: ``identity`` (the paper's equations) or ``hidden`` (apply
            :math:`\varphi` at the output too, the authors' nonlinear protocol).
        readout_error: ``exact`` multiplies the output error by
            :math:`\varphi_{out}'` (the exact gradient of ½·MSE); ``raw`` uses
            :math:`e = \hat y - y` with no :math:`\varphi'` factor at the output, the
            authors' nonlinear protocol. ``raw`` is **not** the exact gradient unless the
            output is linear.
    """

    M: int = 110
    N: int = 110
    K: int = 1
    activation: str = "linear"
    output_activation: str = "identity"
    readout_error: str = "exact"

    def __post_init__(self) -> None:
        _check_int("network.M", self.M)
        _check_int("network.N", self.N)
        _check_int("network.K", self.K)
        _check_choice("network.activation", self.activation, ACTIVATIONS)
        _check_choice("network.output_activation", self.output_activation, OUTPUT_ACTIVATIONS)
        _check_choice("network.readout_error", self.readout_error, READOUT_ERRORS)

    @property
    def is_linear(self) -> bool:
        """True when the whole network is linear (fast paths apply)."""
        return self.activation == "linear"

    @property
    def c(self) -> float:
        """Compression ratio c = M / N."""
        return self.M / self.N


@dataclass(frozen=True)
class TaskSpec:
    r"""Student–teacher task.

    Weights are drawn fan-in scaled: ``uniform`` means U(−a/√fan_in, a/√fan_in), ``normal``
    means N(0, (a/√fan_in)²), with a = ``teacher_scale`` for the teacher and a =
    ``init_scale`` for the student. Inputs are i.i.d. N(0, ``input_std``²); the default
    ``input_std = 1/√2`` is the paper's "N(0, 1/√2)" (variance ½).

    Args:
        teacher_scale, teacher_init: teacher weight scale and family.
        init_scale, init: student weight scale and family (used when ``start = random``).
        input_std: standard deviation of each input component.
        n_train, n_test: training and test set sizes.
        start: ``random`` (student drawn independently) or ``teacher`` (student = teacher
            plus the scalars ``perturb_W1``/``perturb_W2`` added to every entry; Figs. 3b, 4).
        perturb_W1, perturb_W2: perturbations for ``start = teacher``.
        normalize_teacher: rescale the teacher as W1* ← W1*·√N/‖W1*‖_F and
            W2* ← W2*/‖W2*‖_F (the authors' Fig. 3b protocol).
        init_from: path to an ``.npz`` with explicit initial conditions (arrays
            ``teacher_W1``, ``teacher_W2``, ``student_W1``, ``student_W2``, ``x_train``,
            ``x_test``; optional ``d1``, ``d2``). Overrides all sampling above.
    """

    teacher_scale: float = 1.0
    teacher_init: str = "uniform"
    init_scale: float = 1.0
    init: str = "uniform"
    input_std: float = 1.0 / math.sqrt(2.0)
    n_train: int = 250
    n_test: int = 100
    start: str = "random"
    perturb_W1: float = 0.0
    perturb_W2: float = 0.0
    normalize_teacher: bool = False
    init_from: str | None = None

    def __post_init__(self) -> None:
        _check_float("task.teacher_scale", self.teacher_scale, positive=True)
        _check_choice("task.teacher_init", self.teacher_init, INIT_FAMILIES)
        _check_float("task.init_scale", self.init_scale, positive=True)
        _check_choice("task.init", self.init, INIT_FAMILIES)
        _check_float("task.input_std", self.input_std, positive=True)
        _check_int("task.n_train", self.n_train)
        _check_int("task.n_test", self.n_test)
        _check_choice("task.start", self.start, STARTS)
        _check_float("task.perturb_W1", self.perturb_W1)
        _check_float("task.perturb_W2", self.perturb_W2)
        if not isinstance(self.normalize_teacher, bool):
            raise SpecError(
                f"task.normalize_teacher must be true or false (got {self.normalize_teacher!r})"
            )
        if self.init_from is not None and not isinstance(self.init_from, str):
            raise SpecError(f"task.init_from must be a path string (got {self.init_from!r})")


@dataclass(frozen=True)
class RuleSpec:
    r"""Learning rule.

    ``kind`` names a registered rule (:mod:`curldescent.rule_registry`; a user's rule
    registered there takes no flips unless registered with ``takes_flips``). Built-ins:
    ``gradient``: exact gradient descent. ``curl``: eq. (5), presynaptic sign flips
    :math:`D_1, D_2`; the flipped neurons are given as fractions (``alpha_hidden`` =
    :math:`\alpha_h` of the M input neurons, ``alpha_readout`` = :math:`\alpha_r` of the N
    hidden neurons; k = ⌊α·size⌋) or as counts (``n_flip_hidden``/``n_flip_readout``, which
    take precedence). ``selection = first`` flips the first k neurons (the authors'
    protocol), ``random`` a random subset drawn from the run's seed. ``side = post`` flips
    postsynaptic rows instead of presynaptic columns. ``feedback_alignment`` replaces
    :math:`W_2^\top` in the backward pass with a fixed random matrix B with entries
    U(−s/√N, s/√N), s = ``feedback_scale``; it can be combined with flips.
    """

    kind: str = "gradient"
    alpha_hidden: float = 0.0
    alpha_readout: float = 0.0
    n_flip_hidden: int | None = None
    n_flip_readout: int | None = None
    selection: str = "first"
    side: str = "pre"
    feedback_scale: float = 1.0

    def __post_init__(self) -> None:
        _check_choice("rule.kind", self.kind, rule_names())
        _check_fraction("rule.alpha_hidden", self.alpha_hidden)
        _check_fraction("rule.alpha_readout", self.alpha_readout)
        if self.n_flip_hidden is not None:
            _check_int("rule.n_flip_hidden", self.n_flip_hidden, minimum=0)
        if self.n_flip_readout is not None:
            _check_int("rule.n_flip_readout", self.n_flip_readout, minimum=0)
        _check_choice("rule.selection", self.selection, SELECTIONS)
        _check_choice("rule.side", self.side, SIDES)
        _check_float("rule.feedback_scale", self.feedback_scale, positive=True)
        if not rule_entry(self.kind).takes_flips and (
            self.alpha_hidden or self.alpha_readout or self.n_flip_hidden or self.n_flip_readout
        ):
            raise SpecError(
                f"rule.kind = {self.kind} takes no flips; use kind = curl to flip neurons"
            )

    def flip_counts(self, network: NetworkSpec) -> tuple[int, int]:
        """Number of flipped (hidden-layer, readout-layer) neurons for ``network``.

        Presynaptic flips count input neurons (size M) for the hidden layer and hidden
        neurons (size N) for the readout layer; postsynaptic flips count rows (N and K).
        """
        size1, size2 = (network.M, network.N) if self.side == "pre" else (network.N, network.K)
        k1 = (
            self.n_flip_hidden
            if self.n_flip_hidden is not None
            else flip_count(self.alpha_hidden, size1)
        )
        k2 = (
            self.n_flip_readout
            if self.n_flip_readout is not None
            else flip_count(self.alpha_readout, size2)
        )
        if k1 > size1:
            raise SpecError(f"rule.n_flip_hidden must be <= {size1} for this network (got {k1})")
        if k2 > size2:
            raise SpecError(f"rule.n_flip_readout must be <= {size2} for this network (got {k2})")
        return k1, k2


@dataclass(frozen=True)
class TrainSpec:
    r"""Training schedule.

    Learning-rate convention: ``lr`` multiplies the **batch-mean** update. With
    ``lr_scale = per_step`` it is the literal step size. With ``lr_scale = per_epoch`` the
    step size is ``lr·B/N_train``, so that one epoch moves the weights by about ``lr`` times
    the full-batch mean update whatever the batch size: the authors' protocol
    ("0.1/N_train on summed gradients" for full batch, 0.1·B/N_train per minibatch step).
    The two conventions coincide for full batch.

    Args:
        lr: learning rate (see above).
        lr_scale: ``per_step`` or ``per_epoch``.
        batch_size: minibatch size B, or ``None`` for full batch (no shuffling needed).
            Minibatch training reshuffles the training set at the start of every epoch; a
            last partial batch is used (its mean over its own examples).
        epochs: number of epochs.
        renormalize: rescale W1 and W2 to their initial Frobenius norms after every
            update (the paper's simulations, Section 5).
        n_checkpoints: number of log-spaced checkpoint epochs between 1 and ``epochs``
            (epoch 0, the initial state, is always recorded too).
        final_window: also record every epoch of the last ``final_window`` epochs, and
            accumulate the temporal mean and variance of every weight over that window
            (for the order parameter q, eq. 15).
        record_weights: store the weights at every checkpoint.
        stop_below: stop a run at the first checkpoint whose test error is below this
            value (``None``: run every epoch). Later checkpoints hold NaN and the result's
            ``stop_epoch`` says where the run stopped. A run whose weights become
            non-finite always stops there. Safe only where nothing after the crossing is
            needed (e.g. convergence speed), never for runs that may leave a solution.
    """

    lr: float = 0.1
    lr_scale: str = "per_step"
    batch_size: int | None = None
    epochs: int = 1000
    renormalize: bool = True
    n_checkpoints: int = 100
    final_window: int = 0
    record_weights: bool = False
    stop_below: float | None = None

    def __post_init__(self) -> None:
        _check_float("train.lr", self.lr, positive=True)
        if self.stop_below is not None:
            _check_float("train.stop_below", self.stop_below, positive=True)
        _check_choice("train.lr_scale", self.lr_scale, LR_SCALES)
        if self.batch_size is not None:
            _check_int("train.batch_size", self.batch_size)
        _check_int("train.epochs", self.epochs)
        if not isinstance(self.renormalize, bool):
            raise SpecError(f"train.renormalize must be true or false (got {self.renormalize!r})")
        _check_int("train.n_checkpoints", self.n_checkpoints)
        _check_int("train.final_window", self.final_window, minimum=0)
        if self.final_window > self.epochs:
            raise SpecError(
                f"train.final_window must be <= train.epochs = {self.epochs} (got {self.final_window})"
            )
        if not isinstance(self.record_weights, bool):
            raise SpecError(
                f"train.record_weights must be true or false (got {self.record_weights!r})"
            )


@dataclass(frozen=True)
class RunSpec:
    """One training run: network, task, rule, training schedule and seeds.

    ``seed`` drives the student initialisation, the minibatch order, random flip subsets
    and the feedback matrix; ``task_seed`` (default: ``seed``) drives the teacher, and
    ``data_seed`` (default: the task seed) the train and test inputs. Runs that differ only
    in their rule therefore share teacher, data, initial weights and minibatch order (a
    paired design). The authors' protocol gives every seed its own teacher but shares the
    inputs of a grid point: ``task_seed`` unset, ``data_seed`` fixed.
    """

    network: NetworkSpec = field(default_factory=NetworkSpec)
    task: TaskSpec = field(default_factory=TaskSpec)
    rule: RuleSpec = field(default_factory=RuleSpec)
    train: TrainSpec = field(default_factory=TrainSpec)
    seed: int = 0
    task_seed: int | None = None
    data_seed: int | None = None

    def __post_init__(self) -> None:
        _check_int("seed", self.seed, minimum=0)
        for name in ("task_seed", "data_seed"):
            if getattr(self, name) is not None:
                _check_int(name, getattr(self, name), minimum=0)
        if self.train.batch_size is not None and self.train.batch_size > self.task.n_train:
            raise SpecError(
                f"train.batch_size must be <= task.n_train = {self.task.n_train} (got {self.train.batch_size})"
            )
        self.rule.flip_counts(self.network)  # validates counts against sizes
        check_run_memory(self)  # state and outputs must fit in memory

    @property
    def effective_task_seed(self) -> int:
        """The seed of the teacher: ``task_seed``, or ``seed`` when unset."""
        return self.seed if self.task_seed is None else self.task_seed

    @property
    def effective_data_seed(self) -> int:
        """The seed of the inputs: ``data_seed``, or the task seed when unset."""
        return self.effective_task_seed if self.data_seed is None else self.data_seed

    @property
    def batch_size(self) -> int:
        """The minibatch size actually used (N_train for full batch)."""
        return self.task.n_train if self.train.batch_size is None else self.train.batch_size

    @property
    def step_lr(self) -> float:
        """Step size applied to the batch-mean update (see :class:`TrainSpec`)."""
        if self.train.lr_scale == "per_epoch":
            return self.train.lr * self.batch_size / self.task.n_train
        return self.train.lr

    def replace(self, **changes: Any) -> RunSpec:
        """Return a copy with dotted-path fields replaced, e.g. ``replace(**{"rule.alpha_hidden": 0.2})``
        (:func:`apply_overrides`)."""
        return apply_overrides(self, changes)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunSpec:
        return _from_dict(cls, data, "")


_SECTIONS = {"network": NetworkSpec, "task": TaskSpec, "rule": RuleSpec, "train": TrainSpec}


def _from_dict(cls: type, data: Any, prefix: str) -> Any:
    if not isinstance(data, dict):
        raise SpecError(
            f"{prefix.rstrip('.') or 'spec'} must be a table of settings (got {data!r})"
        )
    allowed = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise SpecError(
            f"unknown key {prefix}{unknown[0]!s}; allowed keys{' in [' + prefix.rstrip('.') + ']' if prefix else ''}: "
            + ", ".join(sorted(allowed))
        )
    kwargs = {}
    for key, value in data.items():
        sub = _SECTIONS.get(key) if cls is RunSpec else None
        kwargs[key] = _from_dict(sub, value, f"{key}.") if sub is not None else value
    try:
        return cls(**kwargs)
    except TypeError as exc:  # pragma: no cover - defensive, unknown keys are caught above
        raise SpecError(str(exc)) from None


#: dotted RunSpec field paths, and the short names (aliases) that resolve to them.
FIELD_PATHS: tuple[str, ...] = tuple(
    f"{section}.{f.name}" for section, cls in _SECTIONS.items() for f in fields(cls)
) + ("seed", "task_seed", "data_seed")

ALIASES: dict[str, str] = {path.rsplit(".", 1)[-1]: path for path in FIELD_PATHS}
ALIASES.update(
    {
        "rule": "rule.kind",
        "alpha_h": "rule.alpha_hidden",
        "alpha_r": "rule.alpha_readout",
        "N_train": "task.n_train",
        "N_test": "task.n_test",
    }
)
ALIASES.pop("kind", None)  # "rule" is the name of the rule-kind axis


def field_path(name: str) -> str:
    """The dotted RunSpec path of a field name or alias (``alpha_h`` → ``rule.alpha_hidden``).

    Raises:
        SpecError: the name is neither a dotted path nor a known short name.

    Examples:
        >>> field_path("alpha_h"), field_path("epochs"), field_path("seed")
        ('rule.alpha_hidden', 'train.epochs', 'seed')
    """
    if name in FIELD_PATHS:
        return name
    if name in ALIASES:
        return ALIASES[name]
    raise SpecError(
        f"unknown spec field {name!r}; allowed: a dotted path such as rule.alpha_hidden "
        f"({', '.join(FIELD_PATHS)}) or a short name ({', '.join(sorted(ALIASES))})"
    )


def _dotted(changes: Mapping[str, Any], where: str) -> dict[str, Any]:
    """``changes`` as ``{dotted path: value}``: tables by section (``{"train": {"epochs":
    3}}``, the TOML form) flattened, short names resolved (``rule`` with a value that is
    not a table is ``rule.kind``), ``train.batch_size = "full"``
    (TOML has no null) read as full batch (None)."""
    if not isinstance(changes, Mapping):
        raise SpecError(
            f"{where.rstrip('.') or 'overrides'} must be a table of settings (got {changes!r})"
        )
    flat: dict[str, Any] = {}
    for key, value in changes.items():
        if key in _SECTIONS and isinstance(value, Mapping):
            allowed = sorted(f.name for f in fields(_SECTIONS[key]))
            for name, v in value.items():
                if name not in allowed:
                    raise SpecError(
                        f"unknown key {where}{key}.{name}; allowed keys in [{key}]: {', '.join(allowed)}"
                    )
                flat[f"{key}.{name}"] = v
        else:
            flat[field_path(str(key))] = value
    if flat.get("train.batch_size", None) == "full":
        flat["train.batch_size"] = None
    return flat


def apply_overrides(
    spec: RunSpec,
    changes: Mapping[str, Any],
    *,
    clear_flips: bool = False,
    where: str = "",
) -> RunSpec:
    """``spec`` with ``changes`` applied: the one place where specs are overridden (``--set``,
    presets, TOML files that start from a preset, sweep bases and sweep points).

    Args:
        spec: the spec to start from.
        changes: ``{"train.epochs": 10, "alpha_h": 0.2, "seed": 3}`` (dotted paths or the
            short names of :data:`ALIASES`) and/or tables by section (``{"train": {"epochs":
            10}}``); ``train.batch_size = "full"`` means full batch.
        clear_flips: when ``changes`` set the rule kind to one that takes no flips
            (``gradient``, or a registered rule without flips), clear every flip setting
            too, including those ``changes`` set (a sweep point of a ``rule × α`` grid).
            Without it such a combination is refused.
        where: prefix of the key names in error messages (``"base."``).

    Raises:
        SpecError: an unknown field (the message lists the allowed ones) or an invalid
            value (the message names the field and the allowed values).

    Examples:
        >>> spec = apply_overrides(RunSpec(), {"train.epochs": 10, "alpha_r": 0.5, "rule": "curl"})
        >>> spec.train.epochs, spec.rule.alpha_readout
        (10, 0.5)
        >>> apply_overrides(spec, {"rule.kind": "gradient"}, clear_flips=True).rule.alpha_readout
        0.0
        >>> apply_overrides(spec, {"train": {"batch_size": 5}}).train.batch_size
        5
    """
    sections: dict[str, dict[str, Any]] = {}
    top: dict[str, Any] = {}
    for path, value in _dotted(changes, where).items():
        if "." in path:
            section, name = path.split(".", 1)
            sections.setdefault(section, {})[name] = value
        else:
            top[path] = value
    kind = sections.get("rule", {}).get("kind")
    if clear_flips and kind in rule_names() and not rule_entry(kind).takes_flips:
        sections["rule"].update(
            alpha_hidden=0.0, alpha_readout=0.0, n_flip_hidden=None, n_flip_readout=None
        )
    if not sections and not top:
        return spec
    parts = {
        name: dataclasses.replace(getattr(spec, name), **sections[name])
        if name in sections
        else getattr(spec, name)
        for name in _SECTIONS
    }
    return RunSpec(
        **parts,
        seed=top.get("seed", spec.seed),
        task_seed=top.get("task_seed", spec.task_seed),
        data_seed=top.get("data_seed", spec.data_seed),
    )


def load_spec(path: str | Path) -> RunSpec:
    """Read a RunSpec from a TOML file with sections ``[network] [task] [rule] [train]``
    and optional top-level ``seed``/``task_seed``/``data_seed``; a ``preset = "name"`` key starts from a
    preset (see :mod:`curldescent.presets`) and the sections override it."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise SpecError(f"spec file not found: {path}") from None
    except IsADirectoryError:
        raise SpecError(f"spec file {path} is a folder; give a TOML file") from None
    except UnicodeDecodeError:
        raise SpecError(f"spec file {path} is not a text (UTF-8 TOML) file") from None
    except OSError as exc:
        raise SpecError(f"cannot read spec file {path} ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"spec file {path} is not valid TOML: {exc}") from None
    preset = data.pop("preset", None)
    if preset is None:
        return RunSpec.from_dict(data)
    from curldescent.presets import preset_spec

    return apply_overrides(preset_spec(preset), data)
