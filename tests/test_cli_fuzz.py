"""Property-based test of the CLI: random argument lists and random file contents (binary,
empty, truncated TOML and npz, folders) given to ``train``, ``sweep``, ``sweep status``,
``export``, ``demo``, ``figure`` and ``theory boundary`` end with exit code 0 or 2, never a traceback, and touch no file outside the
output folder.

To stay cheap, the simulations themselves are replaced by a marker exception raised once an
input has passed every check (the runs are what the other tests cover); ``sweep status``
and ``export`` work on a real (tiny) sweep store. Bounded to about a minute.
"""

from __future__ import annotations

import hashlib
import io
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curldescent.cli.main import main
from curldescent.specs import NetworkSpec, RuleSpec, RunSpec, TaskSpec, TrainSpec
from curldescent.sweeps import Axis, SweepSpec, execute_sweep

GOOD_TOML = """seed = 1
[network]
M = 4
N = 3
[train]
epochs = 5
n_checkpoints = 3
"""
SWEEP_TOML = """name = "tiny"
[base.network]
M = 4
N = 3
[base.train]
epochs = 5
n_checkpoints = 3
[[axes]]
name = "seed"
values = {range = 2}
"""


class WouldRun(Exception):
    """Raised instead of simulating: the input passed every check."""


def _npz_bytes(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


GOOD_NPZ = _npz_bytes(
    teacher_W1=np.ones((3, 4)),
    teacher_W2=np.ones(3),
    student_W1=np.ones((3, 4)),
    student_W2=np.ones(3),
    x_train=np.ones((8, 4)),
    x_test=np.ones((4, 4)),
)


@pytest.fixture(scope="module", autouse=True)
def _compile_cache(jax_compile_cache):
    return jax_compile_cache


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory) -> Path:
    """Fixed inputs of every kind, a real sweep store, and the folders fuzz/ (this example's
    random files) and out/ (the only place the CLI may write)."""
    root = tmp_path_factory.mktemp("sandbox")
    (root / "good.toml").write_text(GOOD_TOML)
    (root / "sweep.toml").write_text(SWEEP_TOML)
    (root / "empty.toml").write_text("")
    (root / "binary.toml").write_bytes(bytes(range(256)))
    (root / "trunc.toml").write_text(GOOD_TOML[:25])
    (root / "good.npz").write_bytes(GOOD_NPZ)
    (root / "trunc.npz").write_bytes(GOOD_NPZ[: len(GOOD_NPZ) // 2])
    (root / "notes.txt").write_text("keep me")
    (root / "folder.toml").mkdir()
    (root / "foreign.zarr").mkdir()
    (root / "foreign.zarr" / "notes.txt").write_text("keep me too")
    (root / "fuzz").mkdir()
    (root / "out").mkdir()
    execute_sweep(
        SweepSpec(
            name="tiny",
            base=RunSpec(
                network=NetworkSpec(M=4, N=3),
                task=TaskSpec(n_train=8, n_test=4),
                rule=RuleSpec(kind="curl"),
                train=TrainSpec(epochs=5, n_checkpoints=3),
            ),
            axes=(Axis("seed", range(2)),),
        ),
        root / "store.zarr",
        progress=False,
    )
    return root


def digest(root: Path) -> str:
    """Hash of every path and content under ``root`` except fuzz/ and out/."""
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if rel.parts[0] in ("fuzz", "out"):
            continue
        h.update(f"{rel}|{p.is_dir()}".encode())
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


INPUTS = [
    "good.toml",
    "sweep.toml",
    "empty.toml",
    "binary.toml",
    "trunc.toml",
    "folder.toml",
    "good.npz",
    "trunc.npz",
    "notes.txt",
    "foreign.zarr",
    "store.zarr",
    "missing.toml",
    "fuzz/f.toml",
    "fuzz/f.npz",
    "fuzz/dir",
    "notes.txt/below.nc",
    "",
]
OUTPUTS = ["out/r.nc", "out/r.zarr", "out/e.nc", "out/x.txt", "notes.txt", "foreign.zarr"]
OUTPUTS += ["store.zarr", "good.npz", "notes.txt/o.nc", "out"]

numbers = st.one_of(
    st.integers(-3, 6),
    st.sampled_from([0, 2**31, 2**63 - 1, 2**63, 10**20, 10**12]),
    st.integers(-(2**70), 2**70),
).map(str)
floats = st.one_of(
    st.sampled_from(["nan", "inf", "-inf", "0", "1e308", "-1", "0.5", "1e6"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
junk = st.text(max_size=12)
paths = st.sampled_from(INPUTS)
outs = st.sampled_from(OUTPUTS)

TRAIN_OPTIONS = {
    "--config": paths,
    "--init-from": paths,
    "--data": paths,
    "--test-fraction": floats,
    "--preset": st.sampled_from(["default", "demo", "fig3a", "nope", ""]),
    "--rule": st.sampled_from(["curl", "gradient", "feedback_alignment", "bogus"]),
    "--activation": st.sampled_from(["linear", "tanh", "x"]),
    "--M": numbers,
    "--N": numbers,
    "--K": numbers,
    "--n-train": numbers,
    "--n-test": numbers,
    "--epochs": numbers,
    "--checkpoints": numbers,
    "--final-window": numbers,
    "--seed": numbers,
    "--lr": floats,
    "--alpha-readout": floats,
    "--batch-size": st.one_of(numbers, st.sampled_from(["full", "half"])),
    "--out": outs,
    "--overwrite": None,
    "--json": None,
    "--yes": None,
    "--bogus-flag": None,
}


@st.composite
def option_list(draw, options: dict) -> list[str]:
    names = draw(st.lists(st.sampled_from(sorted(options)), max_size=6, unique=True))
    argv: list[str] = []
    for name in names:
        argv.append(name)
        if options[name] is not None:
            argv.append(draw(options[name]))
    if draw(st.booleans()):
        argv.insert(draw(st.integers(0, len(argv))), draw(junk))
    return argv


@st.composite
def command_lines(draw) -> list[str]:
    kind = draw(st.sampled_from(["train", "sweep", "status", "export", "other"]))
    if kind == "train":
        return ["train", *draw(option_list(TRAIN_OPTIONS))]
    if kind == "sweep":
        spec = draw(st.one_of(paths, st.sampled_from(["demo", "list", "nosuch"]), junk))
        return [
            "sweep",
            spec,
            *draw(
                option_list(
                    {
                        "--out": outs,
                        "--dry-run": None,
                        "--no-progress": None,
                        "--json": None,
                        "--workers": st.sampled_from(["0", "-1", "x", ""]),
                    }
                )
            ),
        ]
    if kind == "status":
        return ["sweep", "status", draw(paths), *draw(option_list({"--json": None}))]
    if kind == "other":
        return draw(
            st.one_of(
                st.tuples(st.just("demo"), option_list({"--out": outs, "--seeds": numbers})),
                st.tuples(
                    st.just("figure"),
                    st.sampled_from(["fig1", "fig3", "nope"]).map(lambda n: [n]),
                    option_list({"--out": outs, "--profile": st.sampled_from(["smoke", "x"])}),
                ),
                st.tuples(
                    st.just("theory"),
                    st.sampled_from([["boundary"], ["edges"]]),
                    option_list(
                        {
                            "--layer": st.sampled_from(["hidden", "readout", "x"]),
                            "--c": floats,
                            "--alpha": floats,
                            "--alpha-hidden": floats,
                            "--alpha-readout": floats,
                            "--json": None,
                        }
                    ),
                ),
            ).map(lambda parts: [parts[0]] + [a for part in parts[1:] for a in part])
        )
    return [
        "export",
        draw(paths),
        *draw(option_list({"--netcdf": outs, "--partial": None, "--overwrite": None})),
    ]


fuzz_bytes = st.one_of(
    st.binary(max_size=200),
    st.integers(0, len(GOOD_TOML)).map(lambda k: GOOD_TOML[:k].encode()),
    st.integers(0, len(SWEEP_TOML)).map(lambda k: SWEEP_TOML[:k].encode()),
    st.integers(0, len(GOOD_NPZ)).map(lambda k: GOOD_NPZ[:k]),
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(argv=command_lines(), toml=fuzz_bytes, npz=fuzz_bytes, make_dir=st.booleans())
def test_random_command_lines_end_in_0_or_2_without_traceback_or_damage(
    sandbox, monkeypatch, capsys, argv, toml, npz, make_dir
):
    import curldescent.demo
    import curldescent.engine
    import curldescent.figures.base
    import curldescent.sweeps.run

    def would_run(*args, **kwargs):
        raise WouldRun

    monkeypatch.setattr(curldescent.engine, "simulate", would_run)
    monkeypatch.setattr(curldescent.sweeps.run, "execute_sweep", would_run)
    monkeypatch.setattr(curldescent.demo, "run_demo", would_run)
    monkeypatch.setattr(curldescent.figures.base, "run_figure", would_run)
    monkeypatch.chdir(sandbox)
    for sub in ("fuzz", "out"):
        shutil.rmtree(sandbox / sub)
        (sandbox / sub).mkdir()
    (sandbox / "fuzz" / "f.toml").write_bytes(toml)
    (sandbox / "fuzz" / "f.npz").write_bytes(npz)
    if make_dir:
        (sandbox / "fuzz" / "dir").mkdir()
    before = digest(sandbox)
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code
    except WouldRun:
        code = 0
    out, err = capsys.readouterr()
    assert code in (0, 2), (argv, code, err)
    assert "Traceback" not in err + out, (argv, err)
    if code == 2 and err.startswith("error: "):
        assert len(err.strip().splitlines()) == 1, (argv, err)
    assert digest(sandbox) == before, argv
