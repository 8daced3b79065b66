"""``curldescent reproduce``: run every figure pipeline and write the HTML report.

Without an executor, figures run ``jobs`` at a time, each in its own freshly spawned,
single-threaded process (default: one per CPU core, or one per GPU, each process seeing
only its own device, when JAX sees GPUs: :func:`curldescent.runtime.device_plan`), longest
first; with an executor
(``--workers`` / ``--scheduler``) they run one after another and spread their runs over it.
Each figure resumes its stored sweeps, and its results depend only on its specs and seeds,
never on how figures or runs were scheduled. A figure that fails is shown as a failure in
the report and the others still run. Bad input (unknown figure
names, an unwritable output folder, a folder holding a reproduction with another profile,
a store from another spec) stops before anything existing is overwritten. One folder holds
one profile; :func:`curldescent.report.write_comparison` (``curldescent report``) shows
several folders' verdicts side by side.
"""

from __future__ import annotations

import json
import multiprocessing
import resource
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

from curldescent.figures.base import (
    FIGURES,
    NEEDS,
    PROFILE_NAMES,
    figure_module,
    planned_runs,
    run_figure,
)
from curldescent.report import FigureEntry, load_entries, save_entry, write_report
from curldescent.runtime import device_plan, pin_device
from curldescent.specs import SpecError
from curldescent.sweeps.progress import Progress

MARKER = "reproduce.json"
#: wall seconds per figure, quick profile, 2 figure processes on a quiet 2-core machine
#: (benchmarks/README.md). Relative costs only: the longest figures start first, so that
#: parallel jobs finish together, and the ETA scales them by the speed observed so far.
QUICK_SECONDS = {
    "fig5": 769,
    "fig3": 529,
    "fig10": 184,
    "fig6": 153,
    "fig4": 130,
    "fig8": 75,
    "fig9": 30,
    "fig7": 20,
    "fig2": 11,
    "figA": 10,
    "fig1": 4,
}

#: estimated CPU seconds per figure of the decisive profile, from timed short runs at its
#: sizes (docs/protocol.md, "The decisive profile")
DECISIVE_SECONDS = {
    "fig5": 4800,
    "fig3": 3000,
    "fig8": 1900,
    "fig6": 1600,
    "fig4": 1300,
    "fig9": 720,
    "fig10": 580,
    "fig7": 420,
    "figA": 70,
    "fig2": 40,
    "fig1": 5,
}

#: estimated core-hours per figure of the paper profile (README, benchmarks/paper_costs.py)
PAPER_CORE_HOURS = {
    "fig8": 120,
    "fig6": 110,
    "fig10": 60,
    "fig3": 34,
    "fig5": 22,
    "fig4": 3.7,
    "fig9": 0.3,
    "fig7": 0.3,
    "fig2": 0.01,
    "figA": 0.01,
    "fig1": 0.01,
}
#: relative cost of each figure per profile (smoke: like quick)
RELATIVE_COST = {
    "smoke": QUICK_SECONDS,
    "quick": QUICK_SECONDS,
    "decisive": DECISIVE_SECONDS,
    "paper": PAPER_CORE_HOURS,
}


def eta_seconds(
    names: Sequence[str],
    done: dict[str, float],
    elapsed: float,
    jobs: int,
    costs: dict[str, float] = QUICK_SECONDS,
) -> float:
    """Seconds left: the figures' relative ``costs`` packed on ``jobs`` processes (never
    less than the longest figure), scaled by the wall time the finished figures took."""
    default = max(costs.values()) / 10
    cost = {n: costs.get(n, default) for n in names}
    speed = sum(done.values()) / max(sum(cost[n] for n in done), 1e-9)
    total = max(sum(cost.values()) / jobs, max(cost.values()))
    return max(0.0, total * speed - elapsed)


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
                f"{out} holds a reproduction with profile {previous!r}; use another --out for profile "
                f"{profile!r} (then `curldescent report {out} OTHER_OUT --out compare.html` shows both side by side)"
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


def run_entry(name: str, profile: str, out: Path, executor: Any = None) -> FigureEntry:
    """Run one figure and describe it for the report (failures are caught and recorded)."""
    mod = figure_module(name)
    entry = FigureEntry(
        name=name,
        profile=profile,
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
        entry.n_diverged = res.extra.get("n_diverged")
        entry.print_problems = list(res.extra.get("print_problems", []))
    except SpecError:
        raise
    except Exception as exc:  # a failing figure is reported, the others still run
        entry.error = f"{type(exc).__name__}: {exc}"
        (out / f"{name}.error.txt").write_text(traceback.format_exc())
    entry.wall_time_s, entry.cpu_time_s = time.time() - t0, _cpu_seconds() - c0
    return entry


def _run_entry_in_worker(name: str, profile: str, out: Path) -> FigureEntry:
    """Entry point of a spawned figure process: runtime settings first, then the figure."""
    from curldescent.runtime import configure_runtime

    configure_runtime()
    return run_entry(name, profile, out)


def _summary(entry: FigureEntry) -> str:
    if entry.error:
        return f"{entry.name} FAILED: {entry.error}"
    verdicts = ", ".join(
        f"{sum(c.verdict == v for c in entry.claims)} {v}"
        for v in ("reproduced", "not reproduced", "not tested")
    )
    runs = f", {entry.n_runs} runs" if entry.n_runs else ""
    runs += f" ({entry.n_diverged} diverged)" if entry.n_diverged else ""
    return f"{entry.name}: {verdicts} [{entry.wall_time_s:.0f} s{runs}]"


def reproduce(
    *,
    profile: str = "quick",
    out: str | Path = "results/reproduce",
    only: Sequence[str] | None = None,
    executor: Any = None,
    jobs: int | None = None,
    command: str | None = None,
    log: Callable[[str], None] = print,
    progress: bool = True,
) -> tuple[Path, list[FigureEntry]]:
    """Run the figure pipelines of ``only`` (default: all) and write ``out/index.html``,
    which reports every figure computed in ``out`` (earlier ``--only`` runs included).

    Args:
        executor: spread each figure's runs over it (figures then run one at a time).
        jobs: without an executor, how many figures run at once, each in a spawned
            process (default: one per CPU core, or per GPU, at most one per figure;
            :meth:`curldescent.runtime.DevicePlan.processes`); 1 runs them here, one after
            another.
        log: called with one line per finished figure (its verdicts and what is left).
        progress: a progress bar over the figures on stderr, with an ETA from the
            figures' relative costs (:func:`eta_seconds`).

    Returns the report's path and one entry per figure, in the order asked for
    (``entry.error`` is set for a figure that failed)."""
    if profile not in PROFILE_NAMES:
        raise SpecError(f"unknown profile {profile!r}; allowed: {', '.join(PROFILE_NAMES)}")
    names = list(only) if only else list(FIGURES)
    parse_only(",".join(names))
    if jobs is not None and jobs < 1:
        raise SpecError(f"jobs must be >= 1 (got {jobs})")
    out = Path(out)
    check_output_folder(out, profile)
    if command is None:
        command = f"curldescent reproduce --profile {profile} --out {out}"
        command += f" --only {','.join(names)}" if only else ""
    (out / MARKER).write_text(json.dumps({"profile": profile}))
    plan = device_plan()
    jobs = 1 if executor is not None else (jobs or plan.processes(len(names)))
    total_runs = sum(planned_runs(n, profile) for n in names)
    t_start = time.time()
    done: dict[str, FigureEntry] = {}
    bar = Progress(len(names), label=f"reproduce {profile}", unit="figures", enabled=progress)

    def record(entry: FigureEntry) -> None:
        done[entry.name] = entry
        save_entry(out, entry)
        walls = {n: e.wall_time_s for n, e in done.items()}
        left_s = eta_seconds(names, walls, time.time() - t_start, jobs, RELATIVE_COST[profile])
        runs = sum(e.n_runs or 0 for e in done.values())
        left = [n for n in names if n not in done]
        todo = f"; to do: {', '.join(left)}" if left else ""
        log(f"[{len(done)}/{len(names)} figures, {runs}/{total_runs} runs] {_summary(entry)}{todo}")
        bar.update(1, eta=left_s)

    try:
        if jobs == 1:
            for name in names:
                log(f"{name} ({profile}) ...")
                record(run_entry(name, profile, out, executor))
        else:
            order = sorted(names, key=lambda n: -RELATIVE_COST[profile].get(n, 0))
            spawn = multiprocessing.get_context("spawn")  # never fork after JAX started threads
            pinning: dict[str, Any] = {}
            if plan.platform == "gpu":  # each figure process sees one GPU (round robin)
                slots = spawn.Queue()
                ids = plan.device_ids()
                for i in range(jobs):
                    slots.put(ids[i % len(ids)])
                pinning = {"initializer": pin_device, "initargs": (slots,)}
            pool = ProcessPoolExecutor(max_workers=jobs, mp_context=spawn, **pinning)
            try:
                # a figure starts once the figures it reads (NEEDS) have finished
                waiting = list(order)
                pending: set[Any] = set()

                def submit_ready() -> None:
                    for n in [
                        n for n in waiting if all(m in done for m in NEEDS.get(n, ()) if m in names)
                    ]:
                        waiting.remove(n)
                        pending.add(pool.submit(_run_entry_in_worker, n, profile, out))

                submit_ready()
                log(f"{len(names)} figures ({profile}), {jobs} at a time in separate processes")
                while pending:
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in finished:
                        record(fut.result())
                    submit_ready()
            except BaseException:
                # interrupted (Ctrl-C, SIGTERM): stop the figure processes too, instead of
                # waiting for them; their stores resume on the next run
                pool.shutdown(wait=False, cancel_futures=True)
                for child in multiprocessing.active_children():
                    child.terminate()
                raise
            pool.shutdown()
    finally:
        bar.close()
    entries = [done[n] for n in names]
    # the report covers every figure computed in this folder, earlier commands' included
    path = write_report(
        out,
        load_entries(out, list(FIGURES)),
        profile=profile,
        command=command,
        wall_time_s=time.time() - t_start,
    )
    log(f"report: {path}")
    return path, entries
