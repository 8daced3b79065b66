"""``curldescent sweep`` and ``curldescent export``: thin wrappers over :mod:`curldescent.sweeps`.

Usage::

    curldescent sweep SPEC --out STORE [--set KEY=VALUE ...]
                      [--workers N | --scheduler ADDR | --scheduler-file PATH] [--dry-run]
    curldescent sweep status STORE [--json]
    curldescent sweep list
    curldescent export STORE --netcdf FILE [--partial] [--overwrite]

SPEC is a TOML sweep file or the name of a built-in sweep (``curldescent sweep list``).
A spec file literally named ``status`` or ``list`` can be given as ``./status``.
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
            help="A TOML sweep file or a built-in sweep name; or the word 'status' (then STORE) or 'list'.",
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
) -> None:
    """Run (or resume) a sweep into a zarr store: sweep SPEC --out STORE [--set KEY=VALUE]
    [--workers N | --scheduler ADDR | --scheduler-file PATH]. Also: sweep status STORE;
    sweep list (built-in sweeps). --set changes the sweep's base run spec."""
    from curldescent.sweeps import SWEEPS, plan_sweep, resolve_sweep, sweep_status
    from curldescent.sweeps.executors import make_executor
    from curldescent.sweeps.run import SweepFailed, execute_sweep

    run_options = (
        workers is not None
        or scheduler is not None
        or scheduler_file is not None
        or dry_run
        or bool(overrides)
    )
    if spec == "status":
        target = store if store is not None else out
        if target is None:
            raise SpecError("usage: curldescent sweep status STORE")
        if store is not None and out is not None:
            raise SpecError("give the store once: curldescent sweep status STORE")
        if run_options:
            raise SpecError(
                "--workers, --scheduler, --scheduler-file, --set and --dry-run do not apply to "
                "'sweep status'"
            )
        status = sweep_status(target)
        typer.echo(json.dumps(status.to_dict(), sort_keys=True) if as_json else status.summary())
        return
    if spec == "list":
        for name in sorted(SWEEPS):
            s = SWEEPS[name]()
            typer.echo(
                f"{name}: {s.size} runs ({' x '.join(f'{a.name} {len(a)}' for a in s.axes)})"
                + (f" - {s.description}" if s.description else "")
            )
        return
    if store is not None:
        raise SpecError(f"unexpected argument {store}; give the store with --out STORE")
    if as_json:
        raise SpecError("--json applies to 'sweep status' only")
    check_executor_options(workers, scheduler, scheduler_file)
    from curldescent.runtime import device_plan

    sweep_spec = device_plan().sized(with_overrides(resolve_sweep(spec), parse_set(overrides)))
    plan = plan_sweep(sweep_spec)  # validates every point before anything starts
    if dry_run:
        typer.echo(_plan_summary(plan))
        return
    if out is None:
        raise SpecError("missing --out STORE (the sweep's zarr store)")
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
