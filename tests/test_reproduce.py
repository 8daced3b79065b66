"""``curldescent reproduce``: the smoke-profile report, checked as a reader would see it."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from curldescent.cli.main import main
from curldescent.figures.base import FIGURES, planned_runs
from curldescent.reproduce import QUICK_SECONDS, eta_seconds, reproduce

SYSTEM_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


@pytest.fixture(scope="module")
def smoke_report(smoke_reproduction):
    """The shared smoke reproduction (conftest): its folder, report and entries."""
    import json

    from curldescent.report import load_entries

    out = smoke_reproduction
    lines = json.loads((out / "log.json").read_text())
    path, entries = out / "index.html", load_entries(out, list(FIGURES))
    total = sum(planned_runs(n, "smoke") for n in FIGURES)
    assert any(
        f"[{len(FIGURES)}/{len(FIGURES)} figures, {total}/{total} runs" in m for m in lines
    ), lines
    return out, path, entries


def test_figures_in_parallel_processes_equal_figures_run_here(tmp_path):
    """Scheduling never changes results: the same figures run in two spawned processes
    and here, one after another, give identical claims and data."""
    import json

    import xarray as xr

    names = ["fig1", "figA"]
    outs = {jobs: tmp_path / f"jobs{jobs}" for jobs in (1, 2)}
    for jobs, out in outs.items():
        _, entries = reproduce(profile="smoke", out=out, only=names, jobs=jobs, log=lambda m: None)
        assert [e.name for e in entries] == names and not any(e.error for e in entries)
    for name in names:
        a, b = (json.loads((o / f"{name}.claims.json").read_text()) for o in outs.values())
        assert a == b
        with (
            xr.open_dataset(outs[1] / f"{name}.nc") as da,
            xr.open_dataset(outs[2] / f"{name}.nc") as db,
        ):
            xr.testing.assert_equal(da, db)  # values, dims, coords (attrs hold timings)


def test_eta_packs_relative_costs_and_scales_by_observed_speed():
    names = list(QUICK_SECONDS)
    total = sum(QUICK_SECONDS.values())
    # one figure finished in twice its reference time: every estimate doubles
    slow = {"fig3": 2 * QUICK_SECONDS["fig3"]}
    assert eta_seconds(names, slow, 100.0, jobs=2) == pytest.approx(total - 100.0)
    assert eta_seconds(names, slow, 100.0, jobs=1) == pytest.approx(2 * total - 100.0)
    # many jobs: the longest figure bounds the wall time
    on_time = {"fig1": QUICK_SECONDS["fig1"]}  # finished in its reference time
    assert eta_seconds(names, on_time, 10.0, jobs=64) == pytest.approx(
        max(QUICK_SECONDS.values()) - 10.0
    )
    assert eta_seconds(names, on_time, 1e6, jobs=2) == 0.0
    # the paper profile's own relative costs: fig6 alone bounds two processes' wall time
    paper = {"fig6": 260.0, "fig8": 125.0, "fig1": 0.01}
    assert eta_seconds(list(paper), {"fig1": 36.0}, 36.0, jobs=2, costs=paper) == pytest.approx(
        260 * 3600 - 36.0
    )


def test_every_figure_ran_and_has_an_image_and_claims(smoke_report):
    out, path, entries = smoke_report
    assert [e.name for e in entries] == list(FIGURES)
    for e in entries:
        assert e.error is None, f"{e.name} failed: {e.error}"
        # the count announced before computing is the count the figure simulated
        assert planned_runs(e.name, "smoke") == (e.n_runs or 0), e.name
        with Image.open(out / f"{e.name}.png") as im:
            im.verify()
        with Image.open(out / f"{e.name}.png") as im:
            assert im.size[0] > 200 and im.size[1] > 100
        assert (out / f"{e.name}.claims.json").exists()
        assert e.claims, f"{e.name} has no claims"


def test_a_later_only_run_keeps_the_other_figures_in_the_report(smoke_report, tmp_path):
    import json

    out, _, entries = smoke_report
    again = tmp_path / "again"
    shutil.copytree(out, again)
    path, rerun = reproduce(profile="smoke", out=again, only=["fig1"], jobs=1, log=lambda m: None)
    assert [e.name for e in rerun] == ["fig1"]
    text = path.read_text()
    assert all(f"<section id='{name}'>" in text for name in FIGURES)
    summary = json.loads((again / "claims_summary.json").read_text())
    for verdict in ("reproduced", "not reproduced", "not tested"):
        assert summary[verdict] == sum(c.verdict == verdict for e in entries for c in e.claims)


def test_summary_counts_match_the_tables(smoke_report):
    _, path, entries = smoke_report
    text = path.read_text()
    cells = re.findall(r"<td class='verdict [a-z-]+'>([a-z ]+)</td>", text)
    assert len(cells) == sum(len(e.claims) for e in entries)
    for verdict, slug in (
        ("reproduced", "reproduced"),
        ("not reproduced", "not-reproduced"),
        ("not tested", "not-tested"),
    ):
        shown = int(re.search(rf"id='n-{slug}'>(\d+) ", text).group(1))
        assert shown == cells.count(verdict)
    assert text.count("<section") == len(entries) == text.count("<table class='claims'>")
    assert "Last command" in text and "curldescent reproduce --profile smoke" in text


def _chromium(playwright) -> str:
    """A headless Chromium: the system's (Debian's ``chromium``), else Playwright's own,
    downloaded once (``python -m playwright install chromium``) when missing. No browser is a
    failure, never a skip: the report is checked as a reader's browser shows it."""
    for name in SYSTEM_BROWSERS:
        if path := shutil.which(name):
            return path
    own = Path(playwright.chromium.executable_path)
    if not own.exists():
        cmd = [sys.executable, "-m", "playwright", "install", "chromium"]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
            why = f"exit {proc.returncode}: {(proc.stdout + proc.stderr).strip()[-300:]}"
        except (OSError, subprocess.TimeoutExpired) as exc:
            why = str(exc)
        if not own.exists():
            pytest.fail(
                "no headless Chromium for the report test: install Debian's chromium "
                "(apt-get install chromium), or let Playwright download its own "
                f"({' '.join(cmd[1:])} failed, {why})"
            )
    return str(own)


def test_no_browser_is_a_failure_not_a_skip(tmp_path, monkeypatch):
    from types import SimpleNamespace

    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path))
    monkeypatch.setenv("PLAYWRIGHT_DOWNLOAD_HOST", "http://127.0.0.1:9")  # nothing listens
    fake = SimpleNamespace(chromium=SimpleNamespace(executable_path=str(tmp_path / "chrome")))
    with pytest.raises(pytest.fail.Exception, match="no headless Chromium"):
        _chromium(fake)


def test_report_loads_in_headless_chromium(smoke_report):
    """Every figure's section shows its image in a real browser, without console errors,
    for a report whose figures ran simulations (not only theory figures)."""
    from playwright.sync_api import sync_playwright

    _, path, entries = smoke_report
    simulated = [e.name for e in entries if e.n_runs]
    assert {"fig3", "fig4", "fig5"} <= set(simulated), simulated
    errors = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=_chromium(p),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-sync",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        page = browser.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(Path(path).resolve().as_uri())
        page.wait_for_load_state("load")
        widths = dict(
            page.eval_on_selector_all(
                "section",
                "els => els.map(s => [s.id, Array.from(s.querySelectorAll('img'),"
                " i => i.complete ? i.naturalWidth : -1)])",
            )
        )
        browser.close()
    assert list(widths) == [e.name for e in entries]
    for name, ws in widths.items():
        assert len(ws) == 1 and ws[0] > 200, (name, ws)
    assert errors == []


def _run(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main([str(a) for a in args])
    return exc.value.code, capsys.readouterr().err


def test_bad_input(tmp_path, capsys):
    code, err = _run(
        ["reproduce", "--profile", "smoke", "--only", "fig1,figZ", "--out", tmp_path / "a"], capsys
    )
    assert code == 2 and "unknown figure figZ" in err and "allowed:" in err
    assert not (tmp_path / "a").exists()
    # a repeated --only keeps every value (click would otherwise keep only the last)
    code, err = _run(
        [
            "reproduce",
            "--profile",
            "smoke",
            "--only",
            "figZ",
            "--only",
            "fig1",
            "--out",
            tmp_path / "a",
        ],
        capsys,
    )
    assert code == 2 and "unknown figure figZ" in err
    blocker = tmp_path / "file.txt"
    blocker.write_text("keep me")
    code, err = _run(["reproduce", "--profile", "smoke", "--out", blocker], capsys)
    assert code == 2 and "must be a folder" in err
    code, err = _run(["reproduce", "--profile", "smoke", "--out", blocker / "sub"], capsys)
    assert code == 2 and "cannot write to the output folder" in err
    assert blocker.read_text() == "keep me"
    other = tmp_path / "other"
    other.mkdir()
    (other / "reproduce.json").write_text('{"profile": "paper"}')
    (other / "fig1.png").write_bytes(b"precious")
    code, err = _run(["reproduce", "--profile", "smoke", "--out", other], capsys)
    assert code == 2 and "holds a reproduction with profile 'paper'" in err
    assert (other / "fig1.png").read_bytes() == b"precious"
    code, err = _run(
        ["reproduce", "--profile", "smoke", "--jobs", "0", "--out", tmp_path / "j"], capsys
    )
    assert code == 2 and "--jobs must be >= 1" in err and not (tmp_path / "j").exists()
    code, err = _run(["reproduce", "--profile", "fast"], capsys)
    assert code == 2 and "'fast' is not one of" in err


def _children(pid: int) -> set[int]:
    """Live child processes of ``pid`` (Linux /proc)."""
    found = set()
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":\t", 1) for line in text.splitlines() if ":\t" in line)
        if fields.get("PPid", "").strip() == str(pid) and not fields.get("State", "").startswith(
            "Z"
        ):
            found.add(int(status.parent.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_sigterm_stops_the_figure_processes(tmp_path):
    import os
    import signal
    import time

    script = "from curldescent.cli.main import main; main()"
    args = ["reproduce", "--profile", "smoke", "--only", "fig3,fig4", "--jobs", "2"]
    proc = subprocess.Popen(
        [sys.executable, "-c", script, *args, "--out", str(tmp_path / "r")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 120
    workers: set[int] = set()
    while time.time() < deadline and len(workers) < 2 and proc.poll() is None:
        # the pool's spawned figure processes (a resource tracker may be a child too)
        workers = {
            c for c in _children(proc.pid) if "spawn_main" in Path(f"/proc/{c}/cmdline").read_text()
        }
        time.sleep(0.2)
    assert len(workers) == 2, "the figure processes did not start"
    time.sleep(2)  # inside the figures' work
    os.kill(proc.pid, signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "error: interrupted" in err and "Traceback" not in err, err
    time.sleep(1)
    alive = [
        w
        for w in workers
        if Path(f"/proc/{w}").exists() and "Z" not in Path(f"/proc/{w}/stat").read_text().split()[2]
    ]
    assert not alive, f"figure processes still running after SIGTERM: {alive}"
