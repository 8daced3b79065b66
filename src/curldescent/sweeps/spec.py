r"""Declarative sweep grids: a base :class:`~curldescent.specs.RunSpec` plus axes over its fields.

A sweep is the outer product of its axes. Each :class:`Axis` is one dimension of the
resulting dataset; it sets one field of the base spec (``field``), several fields together
(``zip``: zipped axes), or the compression ratio ``c = M/N`` (with ``M + N = total`` fixed,
through :func:`curldescent.presets.sizes_for_c`, or with ``M`` and ``N`` given). Grid
point :math:`(i_1,\dots,i_d)` is the base spec with every axis' settings applied:

.. math:: \text{spec}(i_1,\dots,i_d) = \text{base} \oplus \text{axis}_1[i_1] \oplus\cdots\oplus \text{axis}_d[i_d].

Seeds are coordinates like any other: the ``seed`` axis sets ``RunSpec.seed`` to the
coordinate value itself (never to a position), so points that differ only in their rule
share teacher, data, initial weights and minibatch order (the paired design), whatever
the rest of the grid. A point whose ``rule`` axis value is ``gradient`` has its flip
settings cleared (gradient descent has no flips), so a ``rule × α`` grid pairs every curl
run with the gradient run of the same seed.

Sweeps round-trip through dictionaries and TOML files (:func:`load_sweep`); built-in
sweeps live in :data:`SWEEPS`; the paper figures' grids are listed by
:func:`curldescent.figures.base.figure_sweeps` (``curldescent sweep list``).

TOML layout::

    name = "demo"
    preset = "fig3a"              # optional: start from a preset
    max_batch = 128               # optional settings (see SweepSpec)

    [base]                        # RunSpec overrides: seed, [base.network], [base.train], ...
    [base.train]
    epochs = 200

    [[axes]]
    name = "c"
    values = [0.5, 1.0, 2.0]
    total = 30                    # M + N fixed

    [[axes]]
    name = "alpha_hidden"         # field inferred from the name (or: field = "rule.alpha_hidden")
    values = {linspace = [0, 1, 5]}

    [[axes]]
    name = "seed"
    values = {range = 4}

    [[axes]]                      # a zipped axis: labels + fields set together
    name = "size"
    values = ["small", "large"]
    zip = {"network.M" = [10, 20], "network.N" = [5, 10]}

Examples:
    >>> from curldescent.specs import RunSpec, NetworkSpec, RuleSpec
    >>> sweep = SweepSpec(
    ...     base=RunSpec(network=NetworkSpec(M=8, N=4), rule=RuleSpec(kind="curl")),
    ...     axes=(Axis("alpha_hidden", [0.0, 0.5]), Axis("seed", range(3))),
    ... )
    >>> sweep.shape, sweep.point_spec((1, 2)).rule.alpha_hidden, sweep.point_spec((1, 2)).seed
    ((2, 3), 0.5, 2)
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from curldescent import schema
from curldescent.limits import MAX_SWEEP_POINTS
from curldescent.specs import (
    ALIASES,
    FIELD_PATHS,
    RunSpec,
    SpecError,
    apply_overrides,
    field_path,
)

__all__ = [
    "Axis",
    "SWEEPS",
    "SweepSpec",
    "c_axis",
    "load_sweep",
    "resolve_sweep",
    "sweep_from_dict",
]


#: coordinate name of a field set through ``zip`` (its last component; rule.kind -> "rule").
def _short(path: str) -> str:
    return "rule" if path == "rule.kind" else path.rsplit(".", 1)[-1]


_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _scalar(value: Any, where: str) -> Any:
    """A plain Python scalar (numpy scalars unwrapped); lists/tables are refused."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, bool | int | float | str):
        if isinstance(value, float) and not math.isfinite(value):
            raise SpecError(f"{where} must be finite (got {value!r})")
        return value
    raise SpecError(f"{where} must be a number, string or boolean (got {value!r})")


def _check_axis_length(n: int, where: str) -> None:
    if n > MAX_SWEEP_POINTS:
        raise SpecError(
            f"{where} would generate {n} values; a sweep holds at most {MAX_SWEEP_POINTS} points"
        )


def expand_values(values: Any, where: str) -> tuple[Any, ...]:
    """Axis values from a sequence, a numpy array, a ``range`` or a generator table
    ``{linspace = [start, stop, num]}``, ``{logspace = [start_exp, stop_exp, num]}``,
    ``{geomspace = [start, stop, num]}`` or ``{range = stop | [start, stop[, step]]}``."""
    if isinstance(values, Mapping):
        if len(values) != 1:
            raise SpecError(
                f"{where} must be a list or one of linspace, logspace, geomspace, range (got {dict(values)!r})"
            )
        ((kind, args),) = values.items()
        args = [args] if not isinstance(args, list | tuple) else list(args)
        if kind not in ("range", "linspace", "logspace", "geomspace"):
            raise SpecError(
                f"{where} generator must be one of linspace, logspace, geomspace, range (got {kind!r})"
            )
        try:
            if kind == "range":
                if (
                    not all(isinstance(a, int) and not isinstance(a, bool) for a in args)
                    or not 1 <= len(args) <= 3
                ):
                    raise ValueError
                generated = range(*args)
                _check_axis_length(len(generated), where)
                out = list(generated)
            elif kind in ("linspace", "logspace", "geomspace"):
                if len(args) != 3 or not isinstance(args[2], int) or isinstance(args[2], bool):
                    raise ValueError
                _check_axis_length(args[2], where)
                out = getattr(np, kind)(float(args[0]), float(args[1]), args[2]).tolist()
        except SpecError:
            raise
        except (ValueError, TypeError):
            raise SpecError(
                f"{where}: {kind} takes [start, stop, num]"
                + (" or stop or [start, stop[, step]] (integers)" if kind == "range" else "")
                + f" (got {args!r})"
            ) from None
        values = out
    elif isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise SpecError(f"{where} must be a list of values (got {values!r})")
    out = tuple(
        _scalar(v, f"{where}[{i}]")
        for i, v in enumerate(
            np.asarray(values, dtype=object).ravel().tolist()
            if isinstance(values, np.ndarray)
            else values
        )
    )
    if not out:
        raise SpecError(f"{where} must hold at least one value")
    return out


@dataclass(frozen=True)
class Axis:
    r"""One swept dimension of a sweep.

    Args:
        name: dimension name in the dataset (an identifier, not ``epoch``). When ``field``
            is not given it is inferred from the name: a dotted path (``rule.alpha_hidden``),
            a field name (``alpha_hidden``, ``n_train``, ``init_scale``, ``seed``, ...) or an
            alias (``alpha_h``, ``alpha_r``, ``rule`` for ``rule.kind``, ``N_train``). The name
            ``c`` sweeps the compression ratio (see ``total``).
        values: coordinate values (numbers, strings or booleans; no duplicates).
        field: dotted RunSpec path set to the values (default: inferred from ``name``).
        zip: further fields set together with this axis, ``{path: values}`` with one value
            per coordinate (a zipped axis). An axis with only ``zip`` and an unknown name is
            a label axis (the values are labels).
        total: for ``name = "c"``: fixed ``M + N``; point c gets ``(M, N) =
            sizes_for_c(c, total)`` (the authors' rounding). Without ``total`` the ``c``
            axis needs ``zip`` with ``network.M`` and ``network.N``.

    Raises:
        SpecError: bad name, unknown field, lengths that differ, duplicate values.
    """

    name: str
    values: tuple[Any, ...]
    field: str | None = None
    zip: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    total: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise SpecError(
                f"axis name must be an identifier such as alpha_hidden (got {self.name!r})"
            )
        where = f"axis {self.name}"
        if self.name in schema.reserved():
            raise SpecError(
                f"{where}: the name {self.name!r} is reserved (a variable or dimension of the "
                "sweep's dataset, curldescent.schema); choose another axis name"
            )
        values = expand_values(self.values, f"{where}.values")
        if len(set(map(_key, values))) != len(values):
            raise SpecError(f"{where}.values must not repeat a value (got {list(values)!r})")
        object.__setattr__(self, "values", values)
        zipped = self.zip.items() if isinstance(self.zip, Mapping) else self.zip
        zip_t = []
        for item in zipped:
            if not isinstance(item, tuple | list) or len(item) != 2:
                raise SpecError(
                    f"{where}.zip must map field paths to lists of values (got {self.zip!r})"
                )
            path = field_path(str(item[0]))
            vals = expand_values(item[1], f"{where}.zip.{item[0]}")
            if len(vals) != len(values):
                raise SpecError(
                    f"{where}.zip.{item[0]} must have one value per axis value ({len(values)}) (got {len(vals)})"
                )
            zip_t.append((path, vals))
        object.__setattr__(self, "zip", tuple(zip_t))
        zip_paths = [p for p, _ in zip_t]
        fld = self.field
        if self.name == "c" and fld is None:
            if any(
                not isinstance(v, int | float) or isinstance(v, bool) or not v > 0 for v in values
            ):
                raise SpecError(f"{where}.values must be numbers > 0 (got {list(values)!r})")
            if self.total is not None:
                if (
                    isinstance(self.total, bool)
                    or not isinstance(self.total, int)
                    or self.total < 2
                ):
                    raise SpecError(
                        f"{where}.total (M + N) must be an integer >= 2 (got {self.total!r})"
                    )
                if {"network.M", "network.N"} & set(zip_paths):
                    raise SpecError(
                        f"{where}: give either total = M + N or zipped network.M and network.N, not both"
                    )
                for v in values:
                    M, N = self._sizes(v)
                    if M < 1 or N < 1:
                        raise SpecError(
                            f"{where}: c = {v} with total = {self.total} gives M = {M}, N = {N}; both must be >= 1"
                        )
            elif not {"network.M", "network.N"} <= set(zip_paths):
                raise SpecError(
                    f"{where} needs total = M + N (sizes from sizes_for_c) or zip with network.M and network.N"
                )
        else:
            if self.total is not None:
                raise SpecError(f"{where}.total is only allowed on the c axis")
            if fld is None:
                if self.name in ALIASES or self.name in FIELD_PATHS:
                    fld = field_path(self.name)
                elif not zip_t:
                    raise SpecError(
                        f'{where}: cannot infer the field from the name; give field = "section.name" '
                        f"({', '.join(FIELD_PATHS)}) or zip"
                    )
            else:
                fld = field_path(fld)
        object.__setattr__(self, "field", fld)
        paths = (
            ([fld] if fld else [])
            + zip_paths
            + (["network.M", "network.N"] if self.is_c and self.total else [])
        )
        dup = {p for p in paths if paths.count(p) > 1}
        if dup:
            raise SpecError(f"{where} sets {sorted(dup)[0]} twice")

    @property
    def is_c(self) -> bool:
        """True for the compression-ratio axis (sizes derived from c)."""
        return self.name == "c" and self.field is None

    def __len__(self) -> int:
        return len(self.values)

    def _sizes(self, c: float) -> tuple[int, int]:
        from curldescent.presets import sizes_for_c

        return sizes_for_c(float(c), self.total)

    def paths(self) -> tuple[str, ...]:
        """Every RunSpec field this axis sets."""
        out = ([self.field] if self.field else []) + [p for p, _ in self.zip]
        if self.is_c and self.total is not None:
            out += ["network.M", "network.N"]
        return tuple(out)

    def settings(self, i: int) -> dict[str, Any]:
        """``{dotted path: value}`` set by the ``i``-th value of this axis."""
        out: dict[str, Any] = {}
        if self.field:
            out[self.field] = self.values[i]
        for path, vals in self.zip:
            out[path] = vals[i]
        if self.is_c and self.total is not None:
            out["network.M"], out["network.N"] = self._sizes(self.values[i])
        return out

    def coords(self) -> dict[str, tuple[Any, ...]]:
        """Coordinates along this dimension: the values, plus one per zipped field (and
        ``M``, ``N`` for a c axis with ``total``)."""
        out: dict[str, tuple[Any, ...]] = {self.name: self.values}
        for path, vals in self.zip:
            out[_short(path)] = vals
        if self.is_c and self.total is not None:
            sizes = [self._sizes(v) for v in self.values]
            out["M"] = tuple(m for m, _ in sizes)
            out["N"] = tuple(n for _, n in sizes)
        return out

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "values": list(self.values)}
        if self.field is not None:
            out["field"] = self.field
        if self.zip:
            out["zip"] = {p: list(v) for p, v in self.zip}
        if self.total is not None:
            out["total"] = self.total
        return out

    @classmethod
    def from_dict(cls, data: Any, where: str = "axis") -> Axis:
        if not isinstance(data, Mapping):
            raise SpecError(f"{where} must be a table with name and values (got {data!r})")
        allowed = {"name", "values", "field", "zip", "total"}
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise SpecError(
                f"unknown key {unknown[0]!r} in {where}; allowed: {', '.join(sorted(allowed))}"
            )
        for key in ("name", "values"):
            if key not in data:
                raise SpecError(f"{where} needs {key}")
        return cls(
            name=data["name"],
            values=data["values"],
            field=data.get("field"),
            zip=data.get("zip", ()),
            total=data.get("total"),
        )


def _key(v: Any) -> tuple[str, Any]:
    return (type(v).__name__ if not isinstance(v, int | float) or isinstance(v, bool) else "num", v)


def c_axis(values: Any, *, total: int | None = None, M: Any = None, N: Any = None) -> Axis:
    """The compression-ratio axis: ``c_axis(cs, total=220)`` (sizes from
    :func:`~curldescent.presets.sizes_for_c`) or ``c_axis(cs, M=[...], N=[...])``."""
    if total is not None:
        return Axis("c", values, total=total)
    if M is None or N is None:
        raise SpecError("c_axis needs total = M + N, or both M and N")
    return Axis("c", values, zip=(("network.M", M), ("network.N", N)))


def _base_from(value: Any) -> RunSpec:
    """The base RunSpec of a sweep: a RunSpec, a preset name or a full RunSpec table."""
    from curldescent.presets import preset_spec

    if isinstance(value, RunSpec):
        return value
    if isinstance(value, str):
        return preset_spec(value)
    if isinstance(value, Mapping):
        return RunSpec.from_dict(dict(value))
    raise SpecError(f"sweep base must be a RunSpec, a preset name or a table (got {value!r})")


@dataclass(frozen=True)
class SweepSpec:
    r"""A sweep: a base RunSpec (or preset name) and the axes crossed over it.

    Args:
        base: the RunSpec every point starts from, or a preset name (``"fig3a"``).
        axes: the swept dimensions, outermost first (the dataset's dimension order).
        name: a short label (stored in the dataset).
        max_batch: the most runs in one batch (one engine call, one store region).
        memory_budget_mb: host memory one batch may use (inputs, weights, recorded
            trajectories); with :attr:`max_batch` it fixes the batch size. Both are part of
            the spec, so the partition never depends on the machine.
        chunk_size: runs per compiled engine call inside a batch (default: the engine's,
            32 on CPU and 512 on accelerators).
        store_weights: also store final weights (padded with NaN to the largest sizes), the
            recorded trajectories when ``base.train.record_weights``, and the per-weight
            window statistics when ``train.final_window > 0``.
        convergence_threshold: test-error threshold of the ``convergence_epoch`` metric
            (1e-3 in the authors' protocol).
        fast: use the engine's linear fast paths.
        description: free text.

    Raises:
        SpecError: a bad setting, two axes with one name or one field.
    """

    base: RunSpec = field(default_factory=RunSpec)
    axes: tuple[Axis, ...] = ()
    name: str = "sweep"
    max_batch: int = 128
    memory_budget_mb: float = 1024.0
    chunk_size: int | None = None
    store_weights: bool = False
    convergence_threshold: float = 1e-3
    fast: bool = True
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "base", _base_from(self.base))
        if isinstance(self.axes, Axis):
            raise SpecError("axes must be a sequence of Axis (got a single Axis)")
        axes = tuple(
            a if isinstance(a, Axis) else Axis.from_dict(a, f"axes[{i}]")
            for i, a in enumerate(self.axes)
        )
        object.__setattr__(self, "axes", axes)
        if not isinstance(self.name, str) or not self.name:
            raise SpecError(f"sweep name must be a non-empty string (got {self.name!r})")
        for attr in ("max_batch",):
            v = getattr(self, attr)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise SpecError(f"{attr} must be an integer >= 1 (got {v!r})")
        if self.chunk_size is not None and (
            isinstance(self.chunk_size, bool)
            or not isinstance(self.chunk_size, int)
            or self.chunk_size < 1
        ):
            raise SpecError(f"chunk_size must be an integer >= 1 (got {self.chunk_size!r})")
        for attr in ("memory_budget_mb", "convergence_threshold"):
            v = getattr(self, attr)
            if (
                isinstance(v, bool)
                or not isinstance(v, int | float)
                or not math.isfinite(v)
                or v <= 0
            ):
                raise SpecError(f"{attr} must be a number > 0 (got {v!r})")
        for attr in ("store_weights", "fast"):
            if not isinstance(getattr(self, attr), bool):
                raise SpecError(f"{attr} must be true or false (got {getattr(self, attr)!r})")
        if not isinstance(self.description, str):
            raise SpecError(f"description must be a string (got {self.description!r})")
        size = math.prod(len(a) for a in axes)
        if size > MAX_SWEEP_POINTS:
            raise SpecError(
                f"this sweep has {size} points ({' x '.join(str(len(a)) for a in axes)}); a sweep "
                f"holds at most {MAX_SWEEP_POINTS} (planning validates every point's spec, "
                "about 2 kB of memory each): split it into several sweeps"
            )
        seen_names: dict[str, str] = {}
        seen_paths: dict[str, str] = {}
        for axis in axes:
            for coord in axis.coords():
                if coord in seen_names:
                    raise SpecError(
                        f"axis {axis.name}: coordinate name {coord!r} is already used by axis {seen_names[coord]}"
                    )
                seen_names[coord] = axis.name
            for path in axis.paths():
                if path in seen_paths:
                    raise SpecError(f"axes {seen_paths[path]} and {axis.name} both set {path}")
                seen_paths[path] = axis.name

    # ------------------------------------------------------------------ grid
    @property
    def dims(self) -> tuple[str, ...]:
        """Dimension names of the swept axes (outermost first)."""
        return tuple(a.name for a in self.axes)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(a) for a in self.axes)

    @property
    def size(self) -> int:
        """Number of grid points (runs)."""
        return math.prod(self.shape)

    def point_settings(self, index: Sequence[int]) -> dict[str, Any]:
        """``{dotted path: value}`` of grid point ``index`` (one integer per axis)."""
        if len(index) != len(self.axes):
            raise SpecError(f"a grid index needs {len(self.axes)} entries (got {len(index)})")
        changes: dict[str, Any] = {}
        for axis, i in zip(self.axes, index, strict=True):
            changes.update(axis.settings(int(i)))
        return changes

    def point_label(self, index: Sequence[int]) -> str:
        return (
            ", ".join(
                f"{a.name}={a.values[int(i)]!r}" for a, i in zip(self.axes, index, strict=True)
            )
            or "(single point)"
        )

    def point_spec(self, index: Sequence[int]) -> RunSpec:
        """The RunSpec of grid point ``index``.

        Raises:
            SpecError: the point's settings are invalid (the message names the point).
        """
        try:
            return apply_overrides(self.base, self.point_settings(index), clear_flips=True)
        except SpecError as exc:
            raise SpecError(
                f"sweep {self.name}, point ({self.point_label(index)}): {exc}"
            ) from None
        except TypeError as exc:
            raise SpecError(
                f"sweep {self.name}, point ({self.point_label(index)}): {exc}"
            ) from None

    def point_specs(self) -> list[RunSpec]:
        """All grid points' RunSpecs in C order (last axis fastest); validates the grid."""
        return [self.point_spec(idx) for idx in np.ndindex(*self.shape)]

    def coords(self) -> dict[str, tuple[str, tuple[Any, ...]]]:
        """``{name: (dim, values)}`` of every coordinate of the swept dimensions."""
        return {name: (a.name, vals) for a in self.axes for name, vals in a.coords().items()}

    # ------------------------------------------------------------------ serialisation
    def to_dict(self) -> dict[str, Any]:
        """A JSON/TOML-friendly dictionary (the base is stored fully resolved)."""
        out: dict[str, Any] = {"name": self.name}
        if self.description:
            out["description"] = self.description
        out.update(
            max_batch=self.max_batch,
            memory_budget_mb=float(self.memory_budget_mb),
            store_weights=self.store_weights,
            convergence_threshold=float(self.convergence_threshold),
            fast=self.fast,
        )
        if self.chunk_size is not None:
            out["chunk_size"] = self.chunk_size
        out["base"] = self.base.to_dict()
        out["axes"] = [a.to_dict() for a in self.axes]
        return out

    def to_json(self) -> str:
        """Canonical JSON (sorted keys): equal specs give equal strings."""
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SweepSpec:
        return sweep_from_dict(data)

    def replace(self, **changes: Any) -> SweepSpec:
        """A copy with top-level fields replaced (``max_batch=4``, ``axes=...``)."""
        return dataclasses.replace(self, **changes)


_SWEEP_KEYS = {
    "name",
    "description",
    "preset",
    "base",
    "axes",
    "max_batch",
    "memory_budget_mb",
    "chunk_size",
    "store_weights",
    "convergence_threshold",
    "fast",
}


def sweep_from_dict(data: Mapping[str, Any]) -> SweepSpec:
    """A SweepSpec from a dictionary (the TOML layout; ``base`` may be a full RunSpec
    table, and ``preset`` names a preset that ``base`` then overrides)."""
    if not isinstance(data, Mapping):
        raise SpecError(f"a sweep spec must be a table (got {data!r})")
    data = dict(data)
    unknown = sorted(set(data) - _SWEEP_KEYS)
    if unknown:
        raise SpecError(
            f"unknown sweep key {unknown[0]!r}; allowed: {', '.join(sorted(_SWEEP_KEYS))}"
        )
    preset = data.pop("preset", None)
    base = data.pop("base", None)
    if base is not None and not isinstance(base, Mapping):
        raise SpecError(f"base must be a table of RunSpec settings (got {base!r})")
    base_spec = apply_overrides(
        _base_from(preset) if preset is not None else RunSpec(), base or {}, where="base."
    )
    axes = data.pop("axes", [])
    if not isinstance(axes, list | tuple):
        raise SpecError(f"axes must be a list of tables ([[axes]] in TOML) (got {axes!r})")
    axes = tuple(Axis.from_dict(a, f"axes[{i}]") for i, a in enumerate(axes))
    return SweepSpec(base=base_spec, axes=axes, **data)


def load_sweep(path: str | Path) -> SweepSpec:
    """Read a SweepSpec from a TOML file (layout in the module docstring).

    Raises:
        SpecError: missing or invalid file, unknown keys, bad values.
    """
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise SpecError(f"sweep spec file not found: {path}") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot read sweep spec file {path} ({type(exc).__name__})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"sweep spec file {path} is not valid TOML: {exc}") from None
    return sweep_from_dict(data)


def _demo_sweep() -> SweepSpec:
    """A small linear phase-diagram sweep: 2 c × 3 α_h × 2 rules × 4 seeds = 48 runs
    (compiling its 2 shapes takes most of its ~20 s on an idle laptop core)."""
    base = apply_overrides(
        RunSpec(),
        {
            "network.M": 20,
            "network.N": 10,
            "rule.kind": "curl",
            "task.n_train": 100,
            "task.n_test": 50,
            "train.lr": 0.1,
            "train.lr_scale": "per_epoch",
            "train.batch_size": 10,
            "train.epochs": 200,
            "train.n_checkpoints": 30,
        },
    )
    return SweepSpec(
        name="demo",
        description="linear student-teacher, hidden-layer flips: c x alpha_hidden x rule x seed",
        base=base,
        axes=(
            c_axis([0.5, 2.0], total=30),
            Axis("alpha_hidden", [0.0, 0.5, 1.0]),
            Axis("rule", ["gradient", "curl"]),
            Axis("seed", range(4)),
        ),
    )


#: Built-in sweeps by name (``curldescent sweep NAME --out STORE``); the figures' grids
#: are found through :func:`curldescent.figures.base.figure_sweep` by the CLI.
SWEEPS: dict[str, Callable[[], SweepSpec]] = {"demo": _demo_sweep}


def resolve_sweep(spec: SweepSpec | str | Path) -> SweepSpec:
    """A SweepSpec from a SweepSpec, a TOML path or the name of a built-in sweep.

    A string that names an existing file (or ends in ``.toml``) is read as TOML; otherwise
    it must be a key of :data:`SWEEPS`.
    """
    if isinstance(spec, SweepSpec):
        return spec
    if isinstance(spec, Mapping):
        return sweep_from_dict(spec)
    p = Path(spec)
    if p.is_file() or str(spec).endswith(".toml"):
        return load_sweep(p)
    if str(spec) in SWEEPS:
        made = SWEEPS[str(spec)]()
        if not isinstance(made, SweepSpec):
            raise SpecError(f"built-in sweep {spec!r} did not return a SweepSpec")
        return made
    raise SpecError(
        f"unknown sweep spec {str(spec)!r}: not a TOML file and not a built-in sweep ({', '.join(sorted(SWEEPS))})"
    )
