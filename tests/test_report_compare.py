"""The report's claims rows (profile and experiment on every row, ``claims_summary.json``)
and ``curldescent report``: several reproduction folders side by side, on synthetic entries
(no figure is computed here)."""

import json
import re

import pytest

from curldescent.cli.main import main
from curldescent.figures.base import Claim
from curldescent.report import (
    FigureEntry,
    comparison_rows,
    load_entries,
    load_folder,
    save_entry,
    write_comparison,
    write_report,
)

SETTING = {"quick": "M+N=60, 2e3 epochs, 4 seeds", "decisive": "M+N=220, 1e5 epochs, 10 seeds"}


def _entries(profile, verdicts):
    claims = [
        Claim(f"statement {i}", 0.5 + i, v, detail="rule", setting=f"{SETTING[profile]} #{i}")
        for i, v in enumerate(verdicts)
    ]
    return [FigureEntry(name="fig2", profile=profile, claims=claims)]


def _folder(path, profile, verdicts):
    path.mkdir()
    (path / "reproduce.json").write_text(json.dumps({"profile": profile}))
    for e in _entries(profile, verdicts):
        save_entry(path, e)
    return path


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_every_row_shows_profile_and_setting_and_summary_lists_rows(tmp_path):
    entries = _entries("decisive", ["reproduced", "not reproduced", "not tested"])
    path = write_report(tmp_path, entries, profile="decisive", command="c", wall_time_s=1.0)
    text = path.read_text()
    cells = re.findall(r"<td class='setting'>(.*?)</td>", text)
    assert len(cells) == 3
    assert all(c.startswith("<b>decisive</b>: M+N=220, 1e5 epochs, 10 seeds") for c in cells)
    summary = json.loads((tmp_path / "claims_summary.json").read_text())
    assert (summary["reproduced"], summary["not reproduced"], summary["not tested"]) == (1, 1, 1)
    assert summary["failed_figures"] == [] and summary["profile"] == "decisive"
    assert summary["rows"][1] == {
        "figure": "fig2",
        "profile": "decisive",
        "claim": "statement 1",
        "verdict": "not reproduced",
        "setting": "M+N=220, 1e5 epochs, 10 seeds #1",
    }


def test_entries_stored_before_profiles_and_settings_still_load(tmp_path):
    old = {
        "name": "fig1",
        "caption": "",
        "paper_compute": "",
        "profile_note": "",
        "png": None,
        "claims": [{"claim": "x", "value": 1, "verdict": "reproduced", "detail": ""}],
        "n_runs": 0,
        "n_diverged": None,
        "wall_time_s": 1.0,
        "cpu_time_s": 1.0,
        "error": None,
    }
    (tmp_path / "fig1.entry.json").write_text(json.dumps(old))
    (entry,) = load_entries(tmp_path, ["fig1"])
    assert entry.profile == "" and entry.claims[0].setting == ""


def test_entry_round_trip_keeps_profile(tmp_path):
    save_entry(tmp_path, _entries("quick", ["reproduced"])[0])
    (entry,) = load_entries(tmp_path, ["fig2"])
    assert entry.profile == "quick" and entry.claims[0].setting == "M+N=60, 2e3 epochs, 4 seeds #0"


def test_comparison_puts_verdicts_side_by_side_and_leaves_folders_alone(tmp_path):
    quick = _folder(tmp_path / "quick", "quick", ["reproduced", "not reproduced"])
    decisive = _folder(tmp_path / "decisive", "decisive", ["not reproduced", "not reproduced"])
    # a row only one profile has
    extra = _entries("decisive", ["reproduced"] * 3)[0]
    save_entry(decisive, extra)
    before = {f: _snapshot(f) for f in (quick, decisive)}
    reports = [load_folder(quick), load_folder(decisive)]
    rows = comparison_rows(reports)
    assert [(fig, claim) for fig, claim, _ in rows] == [
        ("fig2", "statement 0"),
        ("fig2", "statement 1"),
        ("fig2", "statement 2"),
    ]
    assert [c.verdict if c else None for c in rows[0][2]] == ["reproduced", "reproduced"]
    assert [c.verdict if c else None for c in rows[1][2]] == ["not reproduced", "reproduced"]
    assert rows[2][2][0] is None
    out = write_comparison([quick, decisive], tmp_path / "cmp.html")
    text = out.read_text()
    assert f"quick ({quick})" in text and f"decisive ({decisive})" in text
    row = re.search(r"<tr><td>statement 1</td>(.*?)</tr>", text).group(1)
    assert re.findall(r"class='verdict ([a-z-]+)'", row) == ["not-reproduced", "reproduced"]
    assert "M+N=60, 2e3 epochs, 4 seeds #1" in row and "M+N=220, 1e5 epochs, 10 seeds #1" in row
    assert "—" in re.search(r"<tr><td>statement 2</td>(.*?)</tr>", text).group(1)
    assert {f: _snapshot(f) for f in (quick, decisive)} == before


def _cli(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main([str(a) for a in args])
    return exc.value.code, capsys.readouterr()


def test_cli_report(tmp_path, capsys):
    quick = _folder(tmp_path / "quick", "quick", ["reproduced"])
    decisive = _folder(tmp_path / "decisive", "decisive", ["not reproduced"])
    (quick / "index.html").write_text("precious")
    before = {f: _snapshot(f) for f in (quick, decisive)}
    out = tmp_path / "cmp.html"
    code, io = _cli(["report", quick, decisive, "--out", out], capsys)
    assert code == 0 and f"wrote {out}" in io.out and out.exists()
    bad = [
        ([quick, decisive, "--out", out], "exists; pass --overwrite"),
        ([quick, quick, "--out", tmp_path / "b.html"], "given twice"),
        ([quick, tmp_path / "nowhere", "--out", tmp_path / "b.html"], "is not a folder"),
        ([quick, tmp_path, "--out", tmp_path / "b.html"], "holds no curldescent reproduction"),
        ([quick, decisive, "--out", tmp_path / "b.txt"], "must end in .html"),
        (
            [quick, decisive, "--out", quick / "index.html", "--overwrite"],
            "belongs to a reproduction folder",
        ),
    ]
    for args, message in bad:
        code, io = _cli(["report", *args], capsys)
        assert code == 2 and message in io.err and io.err.count("\n") == 1, (args, io.err)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "reproduce.json").write_text('{"profile": "quick"}')
    code, io = _cli(["report", empty, "--out", tmp_path / "c.html"], capsys)
    assert code == 2 and "holds no computed figure" in io.err
    code, io = _cli(["report", quick, decisive, "--out", out, "--overwrite"], capsys)
    assert code == 0
    assert {f: _snapshot(f) for f in (quick, decisive)} == before
    assert not (tmp_path / "b.html").exists() and not (tmp_path / "c.html").exists()


def test_reproduce_refusal_points_to_the_comparison(tmp_path, capsys):
    other = _folder(tmp_path / "other", "quick", ["reproduced"])
    code, io = _cli(
        ["reproduce", "--profile", "decisive", "--out", other, "--only", "fig1"], capsys
    )
    assert code == 2 and "holds a reproduction with profile 'quick'" in io.err
    assert "curldescent report" in io.err
