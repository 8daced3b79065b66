"""``curldescent reproduce``: run every figure pipeline and write the HTML report.

Figures run one after another (each resumes its stored sweeps); a figure that fails is
shown as a failure in the report and the others still run. Bad input (unknown figure
names, an unwritable output folder, a folder holding a reproduction with another profile,
a store from another spec) stops before anything existing is overwritten.
"""

from __future__ import annotations

import json
import resource
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from curldescent.figures.base import FIGURES, PROFILE_NAMES, figure_module, run_figure
from curldescent.report import FigureEntry, write_report
from curldescent.specs import SpecError

MARKER = "reproduce.json"


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def check_output_folder(out: Path, profile: str) -> None:
    """Refuse a file, an unwritable folder, or a folder holding another profile's run."""
    if out.exists() and not out.is_dir():
        raise SpecError(f"--out must be a folder (got the file {out})")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-probe"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise SpecError(
            f"cannot write to the output folder {out} ({exc.strerror or exc})"
        ) from None
    marker = out / MARKER
    if marker.exists():
        try:
            previous = json.loads(marker.read_text()).get("profile")
        except (ValueError, OSError):
            raise SpecError(
                f"{marker} is not a curldescent reproduction marker; choose another --out"
            ) from None
        if previous != profile:
            raise SpecError(
                f"{out} holds a reproduction with profile {previous!r}; use another --out for profile {profile!r}"
            )


def parse_only(only: str | None) -> list[str]:
    """Figure names from ``--only fig3,fig4`` (all figures when None)."""
    if not only:
        return list(FIGURES)
    names = [n.strip() for n in only.split(",") if n.strip()]
    unknown = [n for n in names if n not in FIGURES]
    if unknown or not names:
        raise SpecError(
            f"unknown figure {', '.join(unknown) or repr(only)}; allowed: {', '.join(FIGURES)}"
        )
    return names


def reproduce(
    *,
    profile: str = "quick",
    out: str | Path = "results/reproduce",
    only: Sequence[str] | None = None,
    executor: Any = None,
    command: str | None = None,
    log: Callable[[str], None] = print,
) -> tuple[Path, list[FigureEntry]]:
    """Run the figure pipelines of ``only`` (default: all) and write ``out/index.html``.

    Returns the report's path and one entry per figure (``entry.error`` is set for a
    figure that failed)."""
    if profile not in PROFILE_NAMES:
        raise SpecError(f"unknown profile {profile!r}; allowed: {', '.join(PROFILE_NAMES)}")
    names = list(only) if only else list(FIGURES)
    parse_only(",".join(names))
    out = Path(out)
    check_output_folder(out, profile)
    if command is None:
        command = f"curldescent reproduce --profile {profile} --out {out}"
        command += f" --only {','.join(names)}" if only else ""
    (out / MARKER).write_text(json.dumps({"profile": profile, "figures": names}))
    entries: list[FigureEntry] = []
    t_start = time.time()
    for i, name in enumerate(names):
        mod = figure_module(name)
        elapsed = time.time() - t_start
        eta = "" if i == 0 else f", ETA {elapsed / i * (len(names) - i) / 60:.1f} min"
        log(f"[{i + 1}/{len(names)}] {name} ({profile}) — elapsed {elapsed / 60:.1f} min{eta}")
        entry = FigureEntry(
            name=name,
            caption=getattr(mod, "CAPTION", ""),
            paper_compute=getattr(mod, "PAPER_COMPUTE", ""),
            profile_note=getattr(mod, "PROFILES", {}).get(profile, ""),
        )
        t0, c0 = time.time(), _cpu_seconds()
        try:
            res = run_figure(name, profile=profile, out=out, executor=executor)
            entry.png = Path(res.files["png"])
            entry.claims = res.claims
            entry.n_runs = res.extra.get("n_runs")
        except SpecError:
            raise
        except Exception as exc:  # a failing figure is reported, the others still run
            entry.error = f"{type(exc).__name__}: {exc}"
            (out / f"{name}.error.txt").write_text(traceback.format_exc())
            log(f"    {name} FAILED: {entry.error}")
        entry.wall_time_s, entry.cpu_time_s = time.time() - t0, _cpu_seconds() - c0
        entries.append(entry)
        verdicts = ", ".join(
            f"{sum(c.verdict == v for c in entry.claims)} {v}"
            for v in ("reproduced", "not reproduced", "not tested")
        )
        log(f"    {name}: {verdicts} [{entry.wall_time_s:.0f} s]")
    path = write_report(
        out, entries, profile=profile, command=command, wall_time_s=time.time() - t_start
    )
    log(f"report: {path}")
    return path, entries
