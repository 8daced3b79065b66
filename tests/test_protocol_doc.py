"""docs/protocol.md states every figure sweep of the ``paper`` and ``decisive`` profiles, and the
plans the package builds are the ones it states.

The document's fenced ``toml`` blocks that start with ``# sweep: NAME`` hold one table per
profile (``[paper]``, ``[decisive]``, optionally ``[quick]``). Each table is checked against the
sweep ``NAME-PROFILE`` of :func:`curldescent.figures.base.figure_sweeps`: its axes, seeds,
sizes, number of runs and any RunSpec field every run must have. Nothing is simulated.
"""

from __future__ import annotations

import ast
import operator
import re
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from curldescent.figures.base import PROFILE_NAMES, figure_sweep, figure_sweeps
from curldescent.presets import sizes_for_c

DOC = Path(__file__).resolve().parents[1] / "docs" / "protocol.md"
CHECKED = tuple(p for p in ("paper", "decisive") if p in PROFILE_NAMES)
_BLOCK = re.compile(r"```toml\n(# sweep: *([\w-]+) *\n.*?)```", re.S)
_SPACE = re.compile(r"^(linspace|logspace|geomspace)\((.*)\)$")
_OPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def protocol_blocks(text: str) -> dict[str, dict[str, Any]]:
    """``{sweep stem: {profile: table}}`` from the document's ``# sweep:`` blocks."""
    found: dict[str, dict[str, Any]] = {}
    for body, stem in _BLOCK.findall(text):
        if stem in found:
            raise ValueError(f"docs/protocol.md documents sweep {stem!r} twice")
        found[stem] = tomllib.loads(body)
    return found


def _number(text: str) -> float:
    """A number, or a simple arithmetic expression of numbers (``50/169``, ``-1``)."""

    def ev(node: ast.AST) -> float:
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return float(node.value)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.left), ev(node.right))
        raise ValueError(f"not a number: {text!r}")

    return ev(ast.parse(text.strip(), mode="eval").body)


def axis_values(expected: Any) -> list[Any]:
    """The values an ``axes.NAME`` entry stands for: a list, or ``"linspace(a, b, n)"``,
    ``"logspace(a, b, n)"``, ``"geomspace(a, b, n)"`` (numpy's meaning)."""
    if isinstance(expected, str):
        m = _SPACE.match(expected.replace(" ", ""))
        if not m:
            raise ValueError(f"cannot read axis values {expected!r}")
        a, b, n = m.group(2).split(",")
        return list(getattr(np, m.group(1))(_number(a), _number(b), int(n)))
    return [
        _number(v) if isinstance(v, str) and re.fullmatch(r"[-+*/.\d ()e]+", v) else v
        for v in expected
    ]


def _same(got: Any, want: Any) -> bool:
    if want == "full":
        want = None
    if isinstance(want, list):
        return (
            isinstance(got, list | tuple) and len(got) == len(want) and all(map(_same, got, want))
        )
    if isinstance(want, bool) or isinstance(got, bool) or want is None or got is None:
        return got is want or got == want
    if isinstance(want, int | float) and isinstance(got, int | float):
        return bool(np.isclose(got, want, rtol=1e-9, atol=1e-300))
    return got == want


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in table.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, path + "."))
        else:
            out[path] = value
    return out


def _field(spec: Any, path: str) -> Any:
    value = spec
    for part in path.split("."):
        value = getattr(value, part)
    return value


def plan_mismatches(sweep: Any, table: dict[str, Any], *, max_points: int = 300) -> list[str]:
    """Every way ``sweep`` differs from a protocol table (empty when it matches)."""
    wrong: list[str] = []
    table = dict(table)
    axes = {a.name: a for a in sweep.axes}
    for name, expected in table.pop("axes", {}).items():
        if name not in axes:
            wrong.append(f"no axis {name!r} (axes: {', '.join(axes) or 'none'})")
        elif not _same(list(axes[name].values), axis_values(expected)):
            wrong.append(f"axis {name}: plan {list(axes[name].values)} != document {expected}")
    if "runs" in table and sweep.size != table.pop("runs"):
        wrong.append(f"runs: plan {sweep.size}")
    if "seeds" in table:
        want = table.pop("seeds")
        seeds = {
            sweep.point_settings(idx).get("seed", sweep.base.seed)
            for idx in np.ndindex(*sweep.shape)
        }
        if len(seeds) != want:
            wrong.append(f"seeds: plan {len(seeds)} != document {want}")
    size = table.pop("size", None)
    c_axis = next((i for i, a in enumerate(sweep.axes) if a.is_c), None)
    flat = _flatten(table)
    picks = np.unique(
        np.linspace(0, sweep.size - 1, min(sweep.size, max_points)).round().astype(int)
    )
    for flat_index in picks:
        index = np.unravel_index(flat_index, sweep.shape)
        spec = sweep.point_spec(index)
        where = sweep.point_label(index)
        if size is not None:
            M, N = spec.network.M, spec.network.N
            if c_axis is not None:
                c = sweep.axes[c_axis].values[index[c_axis]]
                if (M, N) != sizes_for_c(float(c), size):
                    wrong.append(f"({where}): (M, N) = {(M, N)} != sizes_for_c(c, {size})")
            elif M + N != size:
                wrong.append(f"({where}): M + N = {M + N} != {size}")
        for path, want in flat.items():
            try:
                got = _field(spec, path)
            except AttributeError:
                wrong.append(f"unknown field {path!r}")
                continue
            if not _same(got, want):
                wrong.append(f"({where}): {path} = {got!r} != document {want!r}")
        if len(wrong) > 20:
            break
    return wrong


BLOCKS = protocol_blocks(DOC.read_text())
CASES = [(stem, p) for stem, tables in BLOCKS.items() for p in tables if p in PROFILE_NAMES]


@pytest.mark.parametrize("profile", CHECKED)
def test_every_figure_sweep_is_documented(profile):
    missing = [
        s.name
        for s in figure_sweeps(profile)
        if profile not in BLOCKS.get(s.name.removesuffix(f"-{profile}"), {})
    ]
    assert not missing, f"docs/protocol.md has no '# sweep:' table for {missing}"


@pytest.mark.parametrize(("stem", "profile"), CASES, ids=[f"{s}-{p}" for s, p in CASES])
def test_plan_matches_the_document(stem, profile):
    sweep = figure_sweep(f"{stem}-{profile}")
    assert sweep is not None, f"docs/protocol.md documents {stem}-{profile}, which no figure builds"
    wrong = plan_mismatches(sweep.sweep, BLOCKS[stem][profile])
    assert not wrong, f"{stem}-{profile} differs from docs/protocol.md:\n" + "\n".join(wrong)


def test_the_checker_sees_a_wrong_document():
    from curldescent.specs import RunSpec
    from curldescent.sweeps import Axis, SweepSpec, c_axis

    base = RunSpec().replace(
        **{"rule.kind": "curl", "train.epochs": 50, "train.batch_size": None, "task.n_train": 40}
    )
    cs = list(np.logspace(-2, 1, 5))
    sweep = SweepSpec(
        base,
        (c_axis(cs, total=220), Axis("alpha_r", (0.0, 0.5)), Axis("seed", (0, 1, 2))),
        name="x",
    )
    right = {
        "axes": {"c": "logspace(-2, 1, 5)", "alpha_r": [0, 0.5]},
        "runs": 30,
        "seeds": 3,
        "size": 220,
        "train": {"epochs": 50, "batch_size": "full"},
        "task": {"n_train": 40},
    }
    assert plan_mismatches(sweep, right) == []
    for change in (
        {"axes": {"c": "logspace(-2, 1, 6)"}},
        {"axes": {"alpha_typo": [0.0]}},
        {"runs": 31},
        {"seeds": 2},
        {"size": 110},
        {"train": {"epochs": 51, "batch_size": "full"}},
        {"train": {"batch_size": 10}},
        {"task": {"no_such_field": 1}},
    ):
        assert plan_mismatches(sweep, {**right, **change}), change


def test_block_parsing():
    text = '```toml\n# sweep: figX\n[paper]\nseeds = 3\naxes.c = "logspace(-1, 2, 4)"\n```\n'
    blocks = protocol_blocks(text)
    assert blocks == {"figX": {"paper": {"seeds": 3, "axes": {"c": "logspace(-1, 2, 4)"}}}}
    np.testing.assert_allclose(axis_values("logspace(-1, 2, 4)"), [0.1, 1, 10, 100])
    np.testing.assert_allclose(axis_values(["50/169", 0.5]), [50 / 169, 0.5])
    with pytest.raises(ValueError, match="twice"):
        protocol_blocks(text + text)
