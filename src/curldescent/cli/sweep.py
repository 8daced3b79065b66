"""``curldescent sweep`` and ``curldescent export``: thin wrappers over :mod:`curldescent.sweeps`.

Usage::

    curldescent sweep SPEC --out STORE [--set KEY=VALUE ...]
                      [--workers N | --scheduler ADDR | --scheduler-file PATH] [--dry-run]
    curldescent sweep FIGURE-SWEEP --figure-out FOLDER [--workers N | ...] [--dry-run]
    curldescent sweep status STORE [--json]
    curldescent sweep list [--profile PROFILE]
    curldescent export STORE --netcdf FILE [--partial] [--overwrite]

SPEC is a TOML sweep file, the name of a built-in sweep, or the name of one of a figure's
sweeps (``fig3a-paper``: :func:`curldescent.figures.base.figure_sweeps`); ``curldescent
sweep list`` shows the names. ``--figure-out FOLDER`` writes a figure sweep's store where
``curldescent figure FIG --profile PROFILE --out FOLDER`` reads it. A spec file literally
named ``status`` or ``list`` can be given as ``./status``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from curldescent.cli.options import (
    SchedulerFileOpt,
    SetOpt,
    check_executor_options,
    parse_set,
)
from curldescent.specs import SpecError

__all__ = ["export", "register", "sweep"]


def _plan_summary(plan) -> str:
    spec = plan.spec
    grid = " x ".join(f"{a.name} {len(a)}" for a in spec.axes) or "a single point"
    shape_axes = [a.name for a, s in zip(spec.axes, plan.shape_axes, strict=True) if s]
    sizes = sorted({b.size for b in plan.batches})
    return "\n".join(
        [
            f"sweep {spec.name}: {plan.n_points} runs = {grid}",
            f"batches: {len(plan.batches)} of {sizes[0]}"
            + (f" to {sizes[-1]}" if len(sizes) > 1 else "")
            + f" runs (box {' x '.join(map(str, plan.batch_shape)) or '1'}); "
            + f"shape axes: {', '.join(shape_axes) or 'none'}",
            f"epochs: {len(plan.epochs)} checkpoints from {int(plan.epochs[0])} to {int(plan.epochs[-1])}",
        ]
    )


def _grid(spec) -> str:
    return " x ".join(f"{a.name} {len(a)}" for a in spec.axes) or "a single point"


def _list(profile: str | None) -> None:
    """Print the built-in sweeps (without ``profile``) and the figures' sweeps."""
    from curldescent.figures.base import figure_sweeps
    from curldescent.sweeps import SWEEPS

    found = figure_sweeps(profile)  # checks the profile
    lines = []
    if profile is None:
        for name in sorted(SWEEPS):
            s = SWEEPS[name]()
            lines.append(
                f"{name}: {s.size} runs ({_grid(s)})"
                + (f" - {s.description}" if s.description else "")
            )
    for f in found:
        lines.append(
            f"{f.name}: {f.runs} runs ({_grid(f.sweep)}) - {f.figure}, profile {f.profile}"
            + (f": {f.sweep.description}" if f.sweep.description else "")
            + f"; read from {f.store('FOLDER')}"
        )
    lines.append(
        "Run a figure's sweep with `curldescent sweep NAME --figure-out FOLDER`; "
        "`curldescent figure FIG --profile PROFILE --out FOLDER` then reads its store."
    )
    typer.echo("\n".join(lines))


def _resolve(spec: str):
    """``(sweep spec, figure sweep or None)`` for a TOML path, a built-in sweep's name or a
    figure sweep's name (the figures are imported only for a name of neither kind)."""
    from curldescent.figures.base import figure_sweep
    from curldescent.sweeps import SWEEPS, resolve_sweep

    if Path(spec).is_file() or spec.endswith(".toml") or spec in SWEEPS:
        return resolve_sweep(spec), None
    found = figure_sweep(spec)
    if found is None:
        raise SpecError(
            f"unknown sweep spec {spec!r}: not a TOML file, a built-in sweep or a figure's sweep "
            "(`curldescent sweep list` shows the names)"
        )
    return found.sweep, found


def with_overrides(sweep_spec, changes: dict):
    """``sweep_spec`` with ``--set`` changes applied to its base RunSpec; a field that an axis
    sweeps cannot be overridden (the axis would win)."""
    if not changes:
        return sweep_spec
    from curldescent.specs import apply_overrides

    for axis in sweep_spec.axes:
        swept = sorted(set(changes) & set(axis.paths()))
        if swept:
            raise SpecError(f"--set {swept[0]}: the sweep's axis {axis.name!r} sets this field")
    return sweep_spec.replace(base=apply_overrides(sweep_spec.base, changes))


def sweep(
    spec: Annotated[
        str,
        typer.Argument(
            metavar="SPEC",
            help="A TOML sweep file, or the name of a built-in or figure sweep ('sweep list' shows "
            "them); or the word 'status' (then STORE) or 'list'.",
        ),
    ],
    store: Annotated[
        Path | None,
        typer.Argument(metavar="[STORE]", help="With 'status': the sweep store to describe."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="The sweep's zarr store: created, or resumed if it holds this sweep."
        ),
    ] = None,
    figure_out: Annotated[
        Path | None,
        typer.Option(
            "--figure-out",
            help="For a figure's sweep instead of --out: the output folder of 'curldescent "
            "figure'; the store goes where the figure reads it (FOLDER/data/NAME-HASH.zarr).",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", help="Run on a local dask cluster of N single-threaded worker processes."
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Run on an existing dask cluster (scheduler address, e.g. tcp://host:8786).",
        ),
    ] = None,
    scheduler_file: SchedulerFileOpt = None,
    overrides: SetOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the plan (runs, batches) and stop.")
    ] = False,
    progress: Annotated[
        bool,
        typer.Option(
            "--progress/--no-progress", help="Progress bar with ETA on stderr (default on)."
        ),
    ] = True,
    as_json: Annotated[
        bool, typer.Option("--json", help="With 'status': print one JSON object.")
    ] = False,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            help="With 'list': only the figures' sweeps of this profile (smoke, quick, decisive, paper).",
        ),
    ] = None,
) -> None:
    """Run (or resume) a sweep into a zarr store: sweep SPEC --out STORE [--set KEY=VALUE]
    [--workers N | --scheduler ADDR | --scheduler-file PATH]; for a figure's sweep,
    --figure-out FOLDER puts the store where 'curldescent figure ... --out FOLDER' reads it.
    Also: sweep status STORE; sweep list [--profile P] (built-in and figure sweeps).
    --set changes the sweep's base run spec."""
    from curldescent.sweeps import plan_sweep, sweep_status
    from curldescent.sweeps.executors import make_executor
    from curldescent.sweeps.run import SweepFailed, execute_sweep

    run_options = (
        workers is not None
        or scheduler is not None
        or scheduler_file is not None
        or dry_run
        or bool(overrides)
        or figure_out is not None
    )
    if profile is not None and spec != "list":
        raise SpecError("--profile applies to 'sweep list' only")
    if spec == "status":
        target = store if store is not None else out
        if target is None:
            raise SpecError("usage: curldescent sweep status STORE")
        if store is not None and out is not None:
            raise SpecError("give the store once: curldescent sweep status STORE")
        if run_options:
            raise SpecError(
                "--workers, --scheduler, --scheduler-file, --set, --figure-out and --dry-run "
                "do not apply to 'sweep status'"
            )
        status = sweep_status(target)
        typer.echo(json.dumps(status.to_dict(), sort_keys=True) if as_json else status.summary())
        return
    if spec == "list":
        if run_options or out is not None or store is not None or as_json:
            raise SpecError("'sweep list' takes only --profile")
        _list(profile)
        return
    if store is not None:
        raise SpecError(f"unexpected argument {store}; give the store with --out STORE")
    if as_json:
        raise SpecError("--json applies to 'sweep status' only")
    if out is not None and figure_out is not None:
        raise SpecError("give either --out STORE or --figure-out FOLDER, not both")
    check_executor_options(workers, scheduler, scheduler_file)
    from curldescent.runtime import device_plan

    base_spec, figure = _resolve(spec)
    if figure_out is not None and figure is None:
        raise SpecError(
            f"--figure-out applies to a figure's sweep (`curldescent sweep list`); {spec} is not one"
        )
    changes = parse_set(overrides)
    if changes and figure is not None:
        raise SpecError(
            f"--set does not apply to a figure's sweep: {figure.figure} would not read the "
            "changed grid (use 'curldescent figure --set')"
        )
    sweep_spec = device_plan().sized(with_overrides(base_spec, changes))
    plan = plan_sweep(sweep_spec)  # validates every point before anything starts
    if figure_out is not None:
        out = figure.store(figure_out)
    if dry_run:
        lines = [_plan_summary(plan)]
        if out is not None:
            lines.append(f"store: {out}")
        if figure is not None:
            lines.append(
                f"figure: `curldescent figure {figure.figure} --profile {figure.profile} --out "
                f"{figure_out or 'FOLDER'}` reads this sweep from "
                f"{figure.store(figure_out or 'FOLDER')}"
                + ("" if figure_out else " (run with --figure-out FOLDER to write it there)")
            )
        typer.echo("\n".join(lines))
        return
    if out is None:
        raise SpecError(
            "missing --out STORE (the sweep's zarr store)"
            + (" or --figure-out FOLDER" if figure is not None else "")
        )
    if figure_out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
    executor = make_executor(workers=workers, scheduler=scheduler, scheduler_file=scheduler_file)
    try:
        report = execute_sweep(sweep_spec, out, executor, progress=None if progress else False)
    except SweepFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(1) from None
    finally:
        executor.close()
    typer.echo(report.summary())


def export(
    store: Annotated[Path, typer.Argument(help="The sweep store (zarr).")],
    netcdf: Annotated[Path, typer.Option("--netcdf", help="The netCDF file to write (.nc).")],
    partial: Annotated[
        bool,
        typer.Option(
            "--partial",
            help="Export the sound part of an incomplete or damaged sweep (other points are NaN, done = False).",
        ),
    ] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing file.")
    ] = False,
) -> None:
    """Export a sweep store to one netCDF file (written atomically)."""
    import xarray as xr

    from curldescent.sweeps import export_netcdf

    path = export_netcdf(store, netcdf, partial=partial, overwrite=overwrite)
    with xr.open_dataset(path, engine="netcdf4") as ds:  # count what was written
        done, total = int(ds["done"].sum()), int(ds["done"].size)
    typer.echo(f"wrote {path} ({done}/{total} points)")


def register(app: typer.Typer) -> None:
    """Add ``sweep`` and ``export`` to the ``curldescent`` Typer app."""
    app.command("sweep", no_args_is_help=True)(sweep)
    app.command("export", no_args_is_help=True)(export)
