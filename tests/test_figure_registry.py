"""The figure registry: every figure's sweeps listed and launchable by name from the real
``curldescent`` application, a figure reading the store such a sweep wrote, and the one
shape of every figure module (:mod:`curldescent.figures.base`)."""

from __future__ import annotations

import ast
import dataclasses
import json
import re
from pathlib import Path

import pytest

from curldescent.figures.base import (
    FIGURES,
    PROFILE_NAMES,
    figure_module,
    figure_sweep,
    figure_sweeps,
    profile_settings,
)
from curldescent.specs import SpecError
from curldescent.sweeps import sweep_status

FIGURE_FILES = sorted(
    (Path(__file__).resolve().parents[1] / "src/curldescent/figures").glob("fig*.py")
)


@pytest.fixture
def cli(capsys):
    """Run the real ``curldescent`` application through main() (error mapping)."""
    import curldescent.cli.main as main_mod

    def run(*args):
        with pytest.raises(SystemExit) as exc:
            main_mod.main([str(a) for a in args])
        out = capsys.readouterr()
        return exc.value.code, out.out, out.err

    return run


# --------------------------------------------------------------------------- the registry


def test_sweep_list_shows_every_figure_sweep_with_its_run_count(cli):
    code, out, err = cli("sweep", "list")
    assert code == 0, err
    listed = dict(re.findall(r"^(\S+): (\d+) runs", out, flags=re.M))
    assert listed["demo"] == "48"
    found = figure_sweeps()
    assert len({s.name for s in found}) == len(found), "two figure sweeps share a name"
    for s in found:
        assert s.name.endswith(f"-{s.profile}") and re.match(rf"{s.figure}\D", s.name), s.name
        assert int(listed[s.name]) == s.sweep.size == s.runs, s.name
    for name in ("fig3a-paper", "fig4a-paper", "fig4-random-paper", "fig6-paper", "fig8-paper"):
        assert name in listed
    # an independent count of the runs: the specs of every point of a smoke grid
    for s in figure_sweeps("smoke"):
        assert len(s.sweep.point_specs()) == int(listed[s.name])

    code, out, err = cli("sweep", "list", "--profile", "paper")
    assert code == 0, err
    names = re.findall(r"^(\S+): \d+ runs", out, flags=re.M)
    assert names == [s.name for s in figure_sweeps("paper")] and "fig4a-paper" in names
    line = next(ln for ln in out.splitlines() if ln.startswith("fig4a-paper:"))
    assert str(figure_sweep("fig4a-paper").store("FOLDER")) in line


def test_lookup_by_name():
    s = figure_sweep("fig4a-paper")
    assert (s.figure, s.profile, s.key) == ("fig4", "paper", "a")
    assert s.sweep == figure_module("fig4").sweeps("paper")["a"]
    assert s.store("R").parent == Path("R/data") and s.store("R").name.startswith("fig4a-paper-")
    assert figure_sweep("fig4a-nosuch") is None and figure_sweep("fig99-paper") is None
    with pytest.raises(SpecError, match="allowed: " + ", ".join(PROFILE_NAMES)):
        figure_sweeps("huge")


def test_dry_run_prints_the_plan_and_creates_nothing(cli, tmp_path):
    store = tmp_path / "S"
    code, out, err = cli("sweep", "fig4a-paper", "--out", store, "--dry-run")
    assert code == 0, err
    assert f"sweep fig4a-paper: {figure_sweep('fig4a-paper').runs} runs = c 20 x alpha 21" in out
    assert "batches:" in out and "epochs:" in out
    assert not store.exists()
    folder = tmp_path / "R"
    code, out, err = cli("sweep", "fig4a-paper", "--figure-out", folder, "--dry-run")
    assert code == 0, err
    assert f"store: {figure_sweep('fig4a-paper').store(folder)}" in out
    assert f"curldescent figure fig4 --profile paper --out {folder}" in out
    assert not folder.exists()


def test_bad_names_and_options_are_one_line_errors(cli, tmp_path):
    for args, match in [
        (("sweep", "fig3a-huge", "--out", tmp_path / "x"), "`curldescent sweep list`"),
        (("sweep", "nosuch-paper", "--dry-run"), "unknown sweep spec 'nosuch-paper'"),
        (("sweep", "demo", "--figure-out", tmp_path), "--figure-out applies to a figure's sweep"),
        (("sweep", "fig4a-smoke", "--set", "train.epochs=3", "--dry-run"), "--set does not apply"),
        (
            ("sweep", "fig4a-smoke", "--out", tmp_path / "s", "--figure-out", tmp_path),
            "either --out STORE or --figure-out FOLDER",
        ),
        (("sweep", "list", "--profile", "huge"), "allowed: " + ", ".join(PROFILE_NAMES)),
        (("sweep", "demo", "--profile", "paper", "--dry-run"), "--profile applies to 'sweep list'"),
    ]:
        code, out, err = cli(*args)
        assert code == 2 and err.startswith("error: ") and match in err, (args, err)
        assert len(err.strip().splitlines()) == 1
    assert not any(tmp_path.iterdir())


def _chunks(store: Path) -> dict[str, tuple[int, bytes]]:
    """Every stored chunk of the store (the data and the done markers) with its mtime."""
    return {
        str(p.relative_to(store)): (p.stat().st_mtime_ns, p.read_bytes())
        for p in store.rglob("*")
        if p.is_file() and "c" in p.relative_to(store).parts[1:-1]
    }


def _invocations(store: Path) -> dict[str, dict]:
    return {
        p.name: json.loads(p.read_text()) for p in (store / "_sweep/invocations").glob("*.json")
    }


def test_a_figure_sweep_run_by_name_is_the_store_the_figure_reads(cli, tmp_path):
    """``curldescent sweep fig7-smoke --figure-out R`` (Fig. 7's only sweep at smoke size,
    2 runs) writes a complete store; Fig. 7 computed into R then reads it without running
    a batch and without writing any other store."""
    folder = tmp_path / "R"
    sweep = figure_sweep("fig7-smoke")
    assert sweep.runs == figure_module("fig7").planned_runs("smoke")  # all of the figure's runs
    code, out, err = cli("sweep", "fig7-smoke", "--figure-out", folder, "--no-progress")
    assert code == 0, err
    store = sweep.store(folder)
    assert f"{sweep.runs} runs in " in out and "0 batches failed" in out and str(store) in out
    status = sweep_status(store)
    assert status.complete and status.done_points == sweep.runs
    chunks, runs = _chunks(store), _invocations(store)
    assert chunks and len(runs) == 1

    data = figure_module("fig7").compute("smoke", folder)

    assert sorted(folder.rglob("*.zarr")) == [store], "the figure wrote a store of its own"
    new = [v for k, v in _invocations(store).items() if k not in runs]
    assert new and all(v["batches_computed"] == 0 for v in new)
    assert _chunks(store) == chunks
    assert int(data.attrs["n_runs"]) == sweep.runs


# --------------------------------------------------------------------------- figure shape


def test_profile_settings():
    table = {p: i for i, p in enumerate(reversed(PROFILE_NAMES))}
    assert [profile_settings(table, p) for p in PROFILE_NAMES] == list(range(len(PROFILE_NAMES)))[
        ::-1
    ]
    with pytest.raises(
        SpecError, match="unknown profile 'huge'; allowed: " + ", ".join(PROFILE_NAMES)
    ):
        profile_settings(table, "huge")


def _shape_problems(mod) -> list[str]:
    """What ``mod`` lacks of the figure shape (:mod:`curldescent.figures.base`)."""
    problems = []
    for attr in ("CAPTION", "PAPER_COMPUTE"):
        if not isinstance(getattr(mod, attr, None), str) or not getattr(mod, attr):
            problems.append(f"{attr} is not a non-empty string")
    if set(getattr(mod, "PROFILES", {})) != set(PROFILE_NAMES):
        problems.append(f"PROFILES lacks keys {', '.join(PROFILE_NAMES)}")
    cls = getattr(mod, "Settings", None)
    if not (dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen):
        problems.append("Settings is not a frozen dataclass")
        cls = None
    table = getattr(mod, "SETTINGS", None)
    if not isinstance(table, dict) or set(table) != set(PROFILE_NAMES):
        problems.append(f"SETTINGS is not a dict with keys {', '.join(PROFILE_NAMES)}")
    elif cls is not None and not all(isinstance(v, cls) for v in table.values()):
        problems.append("SETTINGS values are not Settings")
    elif not callable(getattr(mod, "settings", None)):
        problems.append("no settings(profile)")
    else:
        if any(mod.settings(p) is not table[p] for p in PROFILE_NAMES):
            problems.append("settings(profile) is not SETTINGS[profile]")
        try:
            mod.settings("huge")
            problems.append("settings('huge') does not raise")
        except SpecError as exc:
            if "allowed: " + ", ".join(PROFILE_NAMES) not in str(exc):
                problems.append("settings('huge') does not name the allowed profiles")
    problems += [
        f"no {fn}()" for fn in ("compute", "plot", "claims") if not callable(getattr(mod, fn, None))
    ]
    simulating = hasattr(mod, "sweeps") or hasattr(mod, "planned_runs")
    if simulating and not (hasattr(mod, "sweeps") and hasattr(mod, "planned_runs")):
        problems.append("a simulating figure without sweeps(profile) or planned_runs(profile)")
    elif simulating:
        for profile in PROFILE_NAMES:
            sweeps = mod.sweeps(profile)
            if not sweeps or not all(s.name.endswith(f"-{profile}") for s in sweeps.values()):
                problems.append(f"sweeps({profile!r}) is empty or misnamed")
            if not mod.planned_runs(profile) >= sum(s.size for s in sweeps.values()) > 0:
                problems.append(f"planned_runs({profile!r}) counts fewer runs than the sweeps")
    return problems


@pytest.mark.parametrize("name", list(FIGURES))
def test_every_figure_module_has_the_one_shape(name):
    assert _shape_problems(figure_module(name)) == []


def _imported_figures(path: Path) -> list[str]:
    """The figure modules (keys of ``FIGURES``) that the file imports, in any import form."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[-1] in FIGURES]
        elif isinstance(node, ast.ImportFrom):
            module = ("." * node.level) + (node.module or "")
            if module.split(".")[-1] in FIGURES:
                found.append(module)
            elif module in ("curldescent.figures", "."):
                found += [a.name for a in node.names if a.name in FIGURES]
    return found


def test_the_import_check_sees_every_form(tmp_path):
    src = tmp_path / "figX.py"
    src.write_text(
        "import curldescent.figures.fig5\nfrom curldescent.figures.fig6 import a\n"
        "from curldescent.figures import fig7, base\nfrom . import fig8\nfrom .fig9 import b\n"
        "from curldescent.figures import _linear_phase\nfrom curldescent.figures.base import c\n"
    )
    assert _imported_figures(src) == [
        "curldescent.figures.fig5",
        "curldescent.figures.fig6",
        "fig7",
        "fig8",
        ".fig9",
    ]


@pytest.mark.parametrize("path", FIGURE_FILES, ids=lambda p: p.stem)
def test_no_figure_imports_another_figure(path):
    assert FIGURE_FILES and path.stem in FIGURES
    assert _imported_figures(path) == []
