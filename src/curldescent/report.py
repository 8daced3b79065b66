"""The self-contained HTML report of ``curldescent reproduce``: every figure (embedded as a
PNG data URI) with the paper's caption, its claims table (each row with its profile and
the experiment behind it, :attr:`~curldescent.figures.base.Claim.setting`), the profile's
reductions and the compute used next to the paper's, and a summary of verdicts at the top.

:func:`write_comparison` (``curldescent report DIR1 DIR2 ...``) puts the verdicts of several
reproduction folders, one profile each, side by side."""

from __future__ import annotations

import base64
import html
import json
import os
import platform
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import curldescent
from curldescent.figures.base import VERDICTS, Claim, _jsonable

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1200px;color:#222;line-height:1.4}
h1{margin-bottom:.2rem} .meta{color:#555;font-size:.9rem}
.summary{display:flex;gap:1rem;margin:1rem 0}
.pill{padding:.5rem 1rem;border-radius:.5rem;font-weight:600}
.reproduced{background:#d4efdf;color:#145a32} .not-reproduced{background:#fadbd8;color:#78281f}
.not-tested{background:#eaecee;color:#424949} .failed{background:#78281f;color:#fff}
section{border-top:1px solid #ddd;padding-top:1rem;margin-top:2rem}
.fig{display:flex;gap:1.5rem;align-items:flex-start;flex-wrap:wrap}
.fig img{max-width:720px;width:100%;border:1px solid #eee}
.caption{flex:1;min-width:260px;font-size:.9rem}
table{border-collapse:collapse;width:100%;font-size:.85rem;margin-top:.8rem}
th,td{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f6f7} td.verdict{font-weight:600;white-space:nowrap}
code{background:#f4f6f7;padding:.1rem .3rem;border-radius:.2rem}
.error{background:#fadbd8;border:1px solid #78281f;padding:.6rem;border-radius:.3rem;white-space:pre-wrap}
"""


@dataclass
class FigureEntry:
    """What the report shows for one figure."""

    name: str
    profile: str = ""
    caption: str = ""
    paper_compute: str = ""
    profile_note: str = ""
    png: Path | None = None
    claims: list[Claim] = field(default_factory=list)
    n_runs: int | None = None
    n_diverged: int | None = None
    wall_time_s: float = 0.0
    cpu_time_s: float = 0.0
    error: str | None = None
    #: the figure's departures from print standards (:func:`curldescent.plotting.journal_problems`)
    print_problems: list[str] = field(default_factory=list)


ENTRY_SUFFIX = ".entry.json"


def save_entry(out: Path, entry: FigureEntry) -> Path:
    """Store ``entry`` as ``out/<name>.entry.json``, so that a later ``reproduce --only``
    in the same folder reports every figure computed there, not just its own."""
    data = _jsonable(asdict(entry))
    data["png"] = None if entry.png is None else str(entry.png)
    path = Path(out) / f"{entry.name}{ENTRY_SUFFIX}"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    tmp.replace(path)
    return path


def load_entries(out: Path, names: list[str]) -> list[FigureEntry]:
    """The stored entries of ``names`` (in that order) that exist in ``out``."""
    entries = []
    for name in names:
        path = Path(out) / f"{name}{ENTRY_SUFFIX}"
        if path.exists():
            data = json.loads(path.read_text())
            data["claims"] = [Claim(**c) for c in data["claims"]]
            data["png"] = None if data["png"] is None else Path(data["png"])
            entries.append(FigureEntry(**data))
    return entries


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list | tuple):
        inner = ", ".join(_fmt(v) for v in value[:12])
        return f"[{inner}{', …' if len(value) > 12 else ''}]"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_fmt(v)}" for k, v in value.items())
    return str(value)


def _duration(s: float) -> str:
    if s < 120:
        return f"{s:.1f} s"
    if s < 7200:
        return f"{s / 60:.1f} min"
    return f"{s / 3600:.2f} h"


def verdict_counts(entries: list[FigureEntry]) -> Counter:
    counts: Counter = Counter({v: 0 for v in VERDICTS})
    for e in entries:
        counts.update(c.verdict for c in e.claims)
    return counts


def machine_description() -> str:
    import jax

    dev = jax.devices()[0]
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.system()} {platform.release()}; JAX {jax.__version__} on {dev.device_kind} ({jax.default_backend()})"
    )


def _experiment(profile: str, setting: str) -> str:
    """The experiment cell of a claims row: the profile in bold, then the row's setting."""
    text = f"<b>{html.escape(profile or '?')}</b>"
    return text + (f": {html.escape(setting)}" if setting else "")


def _claims_table(claims: list[Claim], profile: str) -> str:
    if not claims:
        return "<p><em>No claims.</em></p>"
    rows = []
    for c in claims:
        unc = "" if c.uncertainty is None else f" ± {html.escape(_fmt(c.uncertainty))}"
        cls = c.verdict.replace(" ", "-")
        rows.append(
            f"<tr><td>{html.escape(c.claim)}</td><td>{html.escape(_fmt(c.value))}{unc}</td>"
            f"<td class='verdict {cls}'>{html.escape(c.verdict)}</td>"
            f"<td class='setting'>{_experiment(profile, c.setting)}</td><td>{html.escape(c.detail)}</td></tr>"
        )
    return (
        "<table class='claims'><thead><tr><th>paper statement</th><th>measured</th><th>verdict</th>"
        "<th>experiment (profile: size, length, resolution)</th><th>how decided</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


def summary_rows(entries: list[FigureEntry]) -> list[dict[str, str]]:
    """One record per claims row: figure, profile, claim, verdict, setting (the rows of
    ``claims_summary.json``)."""
    return [
        {
            "figure": e.name,
            "profile": e.profile,
            "claim": c.claim,
            "verdict": c.verdict,
            "setting": c.setting,
        }
        for e in entries
        for c in e.claims
    ]


def write_report(
    out: str | Path, entries: list[FigureEntry], *, profile: str, command: str, wall_time_s: float
) -> Path:
    """Write ``out/index.html`` (self-contained: images are embedded) and return its path."""
    out = Path(out)
    counts = verdict_counts(entries)
    failed = [e.name for e in entries if e.error]
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<title>curldescent: reproduction of Curl Descent (NeurIPS 2025)</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>Curl Descent — reproduction report</h1>",
        "<p class='meta'>Ninou, Kadmon &amp; Cayco-Gajic, “Curl Descent: Non-Gradient Learning Dynamics with "
        "Sign-Diverse Plasticity”, NeurIPS 2025. Every figure below was recomputed by "
        f"<code>curldescent {html.escape(curldescent.__version__)}</code>; each claim was checked against the "
        "recomputed data.</p>",
        "<div class='summary'>",
        f"<span class='pill reproduced' id='n-reproduced'>{counts['reproduced']} reproduced</span>",
        f"<span class='pill not-reproduced' id='n-not-reproduced'>{counts['not reproduced']} not reproduced</span>",
        f"<span class='pill not-tested' id='n-not-tested'>{counts['not tested']} not tested</span>",
        (
            f"<span class='pill failed'>{len(failed)} figure(s) failed: {html.escape(', '.join(failed))}</span>"
            if failed
            else ""
        ),
        "</div>",
        f"<p class='meta'>Profile <b>{html.escape(profile)}</b> · {len(entries)} figures · wall time of the "
        f"last command {_duration(wall_time_s)} (figures: {_duration(sum(e.wall_time_s for e in entries))}, "
        f"per figure below) · machine: {html.escape(machine_description())} · "
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}</p>",
        f"<p class='meta'>Last command (rerunning it resumes from the stored results): "
        f"<code>{html.escape(command)}</code></p>",
    ]
    for e in entries:
        parts.append(f"<section id='{html.escape(e.name)}'><h2>{html.escape(e.name)}</h2>")
        if e.error:
            parts.append(f"<div class='error'>This figure failed: {html.escape(e.error)}</div>")
        parts.append("<div class='fig'>")
        if e.png is not None and Path(e.png).exists():
            data = base64.b64encode(Path(e.png).read_bytes()).decode()
            parts.append(f"<img alt='{html.escape(e.name)}' src='data:image/png;base64,{data}'>")
        cpu = _duration(e.cpu_time_s)
        runs = ("—" if e.n_runs is None else f"{e.n_runs:,}") + " runs"
        runs += "" if e.n_diverged is None else f" ({e.n_diverged:,} diverged)"
        parts.append(
            "<div class='caption'>"
            f"<p><b>Paper caption.</b> {html.escape(e.caption)}</p>"
            f"<p><b>Profile “{html.escape(profile)}”.</b> {html.escape(e.profile_note)}</p>"
            f"<p><b>Compute.</b> {runs}; wall time {_duration(e.wall_time_s)}, CPU time {cpu} "
            "(the last command that ran this figure; a resumed figure only re-reads its stored runs). "
            f"Paper: {html.escape(e.paper_compute or 'not reported')}.</p></div></div>"
        )
        parts.append(_claims_table(e.claims, e.profile or profile))
        parts.append("</section>")
    parts.append("</body></html>")
    path = out / "index.html"
    tmp = out / ".index.html.tmp"
    tmp.write_text("\n".join(parts), encoding="utf-8")
    tmp.replace(path)
    summary = {**dict(counts), "failed_figures": failed, "profile": profile}
    summary["rows"] = summary_rows(entries)
    (out / "claims_summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    return path


# ---- several reproduction folders side by side ---------------------------------------


@dataclass
class FolderReport:
    """The stored reproduction in one folder: its profile and its figures' entries."""

    folder: Path
    profile: str
    entries: list[FigureEntry]

    @property
    def label(self) -> str:
        """The column heading: the profile and the folder."""
        return f"{self.profile} ({self.folder})"


def load_folder(folder: str | Path) -> FolderReport:
    """The reproduction stored in ``folder`` by ``curldescent reproduce`` (its
    ``reproduce.json`` marker and ``*.entry.json`` files).

    Raises:
        SpecError: not a folder, no reproduction marker, or no figure computed there.
    """
    from curldescent.figures.base import FIGURES
    from curldescent.specs import SpecError

    folder = Path(folder)
    marker = folder / "reproduce.json"
    if not folder.is_dir():
        raise SpecError(f"{folder} is not a folder")
    try:
        profile = json.loads(marker.read_text())["profile"]
    except (OSError, ValueError, KeyError, TypeError):
        raise SpecError(
            f"{folder} holds no curldescent reproduction (no readable {marker.name}); "
            "give folders written by curldescent reproduce"
        ) from None
    entries = load_entries(folder, list(FIGURES))
    if not entries:
        raise SpecError(f"{folder} holds no computed figure yet (no *{ENTRY_SUFFIX})")
    return FolderReport(folder, str(profile), entries)


def comparison_rows(reports: list[FolderReport]) -> list[tuple[str, str, list[Claim | None]]]:
    """``(figure, claim, [the claim in each report or None])``, rows matched by figure and
    claim text, in the order of first appearance (figures in :data:`FIGURES` order)."""
    from curldescent.figures.base import FIGURES

    keys: list[tuple[str, str]] = []
    found: list[dict[tuple[str, str], Claim]] = []
    for r in reports:
        own = {(e.name, c.claim): c for e in r.entries for c in e.claims}
        found.append(own)
        keys += [k for k in own if k not in keys]
    order = {name: i for i, name in enumerate(FIGURES)}
    keys.sort(key=lambda k: order.get(k[0], len(order)))  # stable: claim order kept
    return [(fig, claim, [f.get((fig, claim)) for f in found]) for fig, claim in keys]


def write_comparison(
    folders: list[str | Path], out: str | Path, *, overwrite: bool = False
) -> Path:
    """Write ``out`` (an HTML file): the verdicts of every claims row of the reproductions in
    ``folders`` side by side, one column per folder (its profile), each cell with the
    verdict, the measured value and the experiment (:attr:`Claim.setting`).

    Nothing stored in the folders is changed.

    Raises:
        SpecError: no folder, a folder twice, a folder that holds no reproduction, ``out``
            not ending in ``.html``, an existing ``out`` without ``overwrite``, or an existing
            ``out`` inside a reproduction folder (its files are never replaced).
    """
    from curldescent.specs import SpecError

    if not folders:
        raise SpecError("give at least one reproduction folder")
    resolved = [Path(f).resolve() for f in folders]
    if len(set(resolved)) != len(resolved):
        raise SpecError("a folder is given twice")
    out = Path(out)
    if out.suffix != ".html":
        raise SpecError(f"--out must end in .html (got {out})")
    if out.exists():
        if not out.is_file():
            raise SpecError(f"--out must be a file (got the folder {out})")
        if (out.parent / "reproduce.json").exists():
            raise SpecError(f"{out} belongs to a reproduction folder; choose another --out")
        if not overwrite:
            raise SpecError(f"{out} exists; pass --overwrite to replace it")
    reports = [load_folder(f) for f in folders]
    rows = comparison_rows(reports)
    head = "".join(f"<th>{html.escape(r.label)}</th>" for r in reports)
    pills = []
    for r in reports:
        counts = verdict_counts(r.entries)
        pills.append(
            f"<p class='meta'><b>{html.escape(r.label)}</b>: "
            + ", ".join(f"{counts[v]} {v}" for v in VERDICTS)
            + f" ({len(r.entries)} figures)</p>"
        )
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<title>curldescent: verdicts side by side</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>Curl Descent — verdicts side by side</h1>",
        *pills,
    ]
    figure = None
    for fig, claim, cells in rows:
        if fig != figure:
            if figure is not None:
                parts.append("</tbody></table></section>")
            figure = fig
            parts.append(
                f"<section id='{html.escape(fig)}'><h2>{html.escape(fig)}</h2>"
                f"<table class='compare'><thead><tr><th>paper statement</th>{head}</tr></thead><tbody>"
            )
        tds = []
        for c in cells:
            if c is None:
                tds.append("<td class='verdict'>—</td>")
                continue
            cls = c.verdict.replace(" ", "-")
            tds.append(
                f"<td class='verdict {cls}'>{html.escape(c.verdict)}<br><small>{html.escape(_fmt(c.value))}"
                f"</small><br><small>{html.escape(c.setting)}</small></td>"
            )
        parts.append(f"<tr><td>{html.escape(claim)}</td>{''.join(tds)}</tr>")
    if figure is not None:
        parts.append("</tbody></table></section>")
    parts.append("</body></html>")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text("\n".join(parts), encoding="utf-8")
    tmp.replace(out)
    return out
