"""Core commands: ``train``, ``demo``, ``figure``. Thin wrappers over library functions."""

from __future__ import annotations

import json
import math
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from curldescent.cli.options import (
    SchedulerFileOpt,
    SetOpt,
    check_executor_options,
    parse_set,
)
from curldescent.rule_registry import rule_names
from curldescent.specs import SpecError

#: exit code of ``train`` when its run diverged (weights became non-finite)
EXIT_DIVERGED = 3


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


#: the registered rule kinds (curldescent.rule_registry, no JAX import)
Rule = StrEnum("Rule", {name: name for name in rule_names()})


class Activation(StrEnum):
    linear = "linear"
    tanh = "tanh"
    relu = "relu"


class OutputActivation(StrEnum):
    identity = "identity"
    hidden = "hidden"


class ReadoutError(StrEnum):
    exact = "exact"
    raw = "raw"


class Profile(StrEnum):
    smoke = "smoke"
    quick = "quick"
    decisive = "decisive"
    paper = "paper"


def _batch_size(value: str | None) -> Any:
    if value is None:
        return None
    if value == "full":
        return "full"
    try:
        b = int(value)
    except ValueError:
        raise SpecError(
            f"--batch-size must be a positive integer or 'full' (got {value!r})"
        ) from None
    if b < 1:
        raise SpecError(f"--batch-size must be a positive integer or 'full' (got {value!r})")
    return b


def _check_out(out: Path | None, overwrite: bool) -> None:
    from curldescent.results import check_output_path

    if out is None:
        return
    if out.suffix not in (".nc", ".zarr"):
        raise SpecError(f"--out must end in .nc or .zarr (got {out})")
    check_output_path(out, overwrite)


def train(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="TOML spec file ([network] [task] [rule] [train], seed; optional preset = NAME).",
        ),
    ] = None,
    preset: Annotated[
        str | None,
        typer.Option(
            help="Start from a preset: default, demo, fig3a, fig3b, fig4, fig4a, fig5, fig6, fig8, fig10."
        ),
    ] = None,
    init_from: Annotated[
        Path | None,
        typer.Option(
            "--init-from",
            help="npz with teacher_W1, teacher_W2, student_W1, student_W2, x_train, x_test [, d1, d2].",
        ),
    ] = None,
    data_file: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="Train on your own examples: .npz or netCDF (.nc) with arrays X, y [, X_test, y_test]; M, K, n_train, n_test come from them.",
        ),
    ] = None,
    test_fraction: Annotated[
        float | None,
        typer.Option(
            help="With --data without X_test, y_test: the fraction of X, y held out for testing, split with the task seed (default 0.2).",
        ),
    ] = None,
    rule: Annotated[Rule | None, typer.Option(help="Learning rule.")] = None,
    activation: Annotated[Activation | None, typer.Option(help="Hidden activation.")] = None,
    output_activation: Annotated[
        OutputActivation | None,
        typer.Option(help="identity (paper eqs., default) or hidden (phi at the output too)."),
    ] = None,
    readout_error: Annotated[
        ReadoutError | None,
        typer.Option(
            help="exact (true gradient) or raw (authors' e = y_hat - y, no phi' at the output)."
        ),
    ] = None,
    M: Annotated[int | None, typer.Option("--M", help="Input size.")] = None,
    N: Annotated[int | None, typer.Option("--N", help="Hidden size.")] = None,
    K: Annotated[int | None, typer.Option("--K", help="Output size.")] = None,
    alpha_hidden: Annotated[
        float | None, typer.Option(help="Fraction of flipped input neurons (D1).")
    ] = None,
    alpha_readout: Annotated[
        float | None, typer.Option(help="Fraction of flipped hidden neurons (D2).")
    ] = None,
    n_flip_readout: Annotated[
        int | None,
        typer.Option(help="Number of flipped readout neurons (overrides --alpha-readout)."),
    ] = None,
    n_train: Annotated[int | None, typer.Option(help="Training-set size.")] = None,
    n_test: Annotated[int | None, typer.Option(help="Test-set size.")] = None,
    init_scale: Annotated[
        float | None, typer.Option(help="Student init scale a (fan-in scaled).")
    ] = None,
    teacher_scale: Annotated[float | None, typer.Option(help="Teacher init scale.")] = None,
    epochs: Annotated[int | None, typer.Option(help="Number of epochs.")] = None,
    batch_size: Annotated[str | None, typer.Option(help="Minibatch size, or 'full'.")] = None,
    lr: Annotated[
        float | None,
        typer.Option(
            help="Step size on the batch-MEAN update (full batch 0.1 = the paper's 0.1/N_train on sums)."
        ),
    ] = None,
    lr_scale: Annotated[
        str | None,
        typer.Option(
            help="per_step (lr is the step size) or per_epoch (step = lr*B/N_train, the authors' minibatch convention)."
        ),
    ] = None,
    renormalize: Annotated[
        bool | None,
        typer.Option(
            "--renormalize/--no-renormalize",
            help="Rescale W1, W2 to their initial norms after every update (default on).",
        ),
    ] = None,
    checkpoints: Annotated[
        int | None, typer.Option(help="Number of log-spaced checkpoints.")
    ] = None,
    final_window: Annotated[
        int | None, typer.Option(help="Also record every epoch of the last W epochs.")
    ] = None,
    record_weights: Annotated[
        bool, typer.Option("--record-weights", help="Store the weights at every checkpoint.")
    ] = False,
    seed: Annotated[
        int | None, typer.Option(help="Seed (student init, minibatch order, random flips).")
    ] = None,
    task_seed: Annotated[
        int | None, typer.Option(help="Seed of teacher and data (default: --seed).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write the results dataset here (.nc or .zarr).")
    ] = None,
    overwrite: Annotated[
        bool,
        typer.Option(help="Allow --out to replace an existing result that curldescent wrote."),
    ] = False,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print one strict JSON object with the results on stdout (non-finite numbers as null).",
        ),
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", help="Run even if the run is estimated to take over a day.")
    ] = False,
    overrides: SetOpt = None,
) -> None:
    """Train one student network and report its train/test error on the checkpoint grid.

    Exit codes: 0 done; 2 bad input; 3 the run diverged (weights became non-finite)."""
    from curldescent.data import Dataset
    from curldescent.engine import simulate
    from curldescent.limits import CONFIRM_S, WARN_S, format_seconds, run_seconds
    from curldescent.presets import preset_spec
    from curldescent.results import write_dataset
    from curldescent.specs import apply_overrides, load_spec
    from curldescent.task import file_digest, load_initial_conditions

    for name, v in (("--lr", lr), ("--init-scale", init_scale), ("--teacher-scale", teacher_scale)):
        if v is not None and not (math.isfinite(v) and v > 0):
            raise SpecError(f"{name} must be a finite number > 0 (got {v})")
    bs = _batch_size(batch_size)
    _check_out(out, overwrite)
    if config is not None and preset is not None:
        raise SpecError("give either --config or --preset, not both")
    if data_file is not None and init_from is not None:
        raise SpecError("give either --data or --init-from, not both")
    if test_fraction is not None and data_file is None:
        raise SpecError("--test-fraction needs --data")
    if test_fraction is not None and not 0.0 < test_fraction < 1.0:
        raise SpecError(f"--test-fraction must lie in (0, 1) (got {test_fraction})")
    spec = load_spec(config) if config is not None else preset_spec(preset or "default")
    changes: dict[str, Any] = {}
    if init_from is not None:
        data, _, _ = load_initial_conditions(init_from)
        N_, M_ = data["teacher_W1"].shape
        changes.update(
            {
                "network.M": M_,
                "network.N": N_,
                "network.K": data["teacher_W2"].shape[0],
                "task.n_train": data["x_train"].shape[0],
                "task.n_test": data["x_test"].shape[0],
                "task.init_from": str(init_from),
                "rule.alpha_hidden": 0.0,
                "rule.alpha_readout": 0.0,
                "rule.n_flip_hidden": None,
                "rule.n_flip_readout": None,
            }
        )
    flags = {
        "rule.kind": rule.value if rule else None,
        "network.activation": activation.value if activation else None,
        "network.output_activation": output_activation.value if output_activation else None,
        "network.readout_error": readout_error.value if readout_error else None,
        "network.M": M,
        "network.N": N,
        "network.K": K,
        "rule.alpha_hidden": alpha_hidden,
        "rule.alpha_readout": alpha_readout,
        "rule.n_flip_readout": n_flip_readout,
        "task.n_train": n_train,
        "task.n_test": n_test,
        "task.init_scale": init_scale,
        "task.teacher_scale": teacher_scale,
        "train.epochs": epochs,
        "train.lr": lr,
        "train.lr_scale": lr_scale,
        "train.renormalize": renormalize,
        "train.n_checkpoints": checkpoints,
        "train.final_window": final_window,
        "train.record_weights": record_weights or None,
        "seed": seed,
        "task_seed": task_seed,
    }
    if init_from is not None:
        for key in ("network.M", "network.N", "network.K", "task.n_train", "task.n_test"):
            if flags[key] is not None and flags[key] != changes[key]:
                raise SpecError(
                    f"--{key.split('.')[1].replace('_', '-')} = {flags[key]} contradicts the arrays in {init_from} ({changes[key]})"
                )
    changes.update({k: v for k, v in flags.items() if v is not None})
    if bs is not None:
        changes["train.batch_size"] = None if bs == "full" else bs
    changes.update(parse_set(overrides))
    spec = apply_overrides(spec, changes)
    dataset = data_info = None
    if data_file is not None:  # split with the task seed, as a teacher's data would be drawn
        dataset = Dataset.load(
            data_file, test_fraction=test_fraction, seed=spec.effective_task_seed
        )
        data_info = {  # provenance: the file, and the exact train/test arrays
            "path": str(data_file.resolve()),
            "sha256": file_digest(data_file),
            "arrays_sha256": dataset.digest(),
            "n_train": dataset.n_train,
            "n_test": dataset.n_test,
        }
        sizes = {
            "network.M": (dataset.n_inputs, "--M", "columns of X"),
            "network.K": (dataset.n_outputs, "--K", "columns of y"),
            "task.n_train": (dataset.n_train, "--n-train", "training examples"),
            "task.n_test": (dataset.n_test, "--n-test", "test examples"),
        }
        for key, (want, flag, what) in sizes.items():
            if key in changes and changes[key] != want:
                raise SpecError(
                    f"{flag} = {changes[key]} contradicts the data in {data_file} ({want} {what}); "
                    f"leave it out to take it from the data"
                )
        taken = {key: want for key, (want, _, _) in sizes.items()}
        if "task.start" not in changes:  # a teacher start (some presets) needs a teacher
            taken["task.start"] = "random"
        spec = apply_overrides(spec, taken)
    seconds = run_seconds(spec)
    if seconds > CONFIRM_S and not yes:
        raise SpecError(
            f"this run is estimated to take about {format_seconds(seconds)} (over a day: "
            f"train.epochs = {spec.train.epochs}); pass --yes to run it anyway"
        )
    if seconds > WARN_S:
        typer.echo(
            f"warning: this run is estimated to take about {format_seconds(seconds)}", err=True
        )
    result = simulate(spec, data=dataset)
    ds = result.to_dataset()
    if init_from is not None:
        ds.attrs["init_from_sha256"] = file_digest(init_from)
    if data_info is not None:
        ds.attrs.update({f"data_{k}": v for k, v in data_info.items()})
    if out is not None:
        write_dataset(ds, out)
    train_error = [float(v) for v in result.train_error[0]]
    test_error = [float(v) for v in result.test_error[0]]
    diverged = bool(result.diverged[0])
    summary = {
        "final_train_error": _finite_or_none(train_error[-1]),
        "final_test_error": _finite_or_none(test_error[-1]),
        "diverged": diverged,
        "non_finite": not all(map(math.isfinite, train_error + test_error)),
        "epochs": [int(e) for e in result.epochs],
        "train_error": [_finite_or_none(v) for v in train_error],
        "test_error": [_finite_or_none(v) for v in test_error],
        "wall_time_s": result.wall_time_s,
        "spec": spec.to_dict(),
        "data": data_info,
        "out": None if out is None else str(out),
    }
    if as_json:
        typer.echo(json.dumps(summary, allow_nan=False))
    else:
        typer.echo(
            f"{spec.rule.kind}: train error {train_error[-1]:.3e}, test error "
            f"{test_error[-1]:.3e} after {spec.train.epochs} epochs"
            f"{' (DIVERGED)' if summary['diverged'] else ''} [{result.wall_time_s:.1f} s]"
            + (f" on {data_file}" if data_file else "")
            + (f"; wrote {out}" if out else "")
        )
    if diverged:
        typer.echo(
            f"error: the run diverged (its weights became non-finite); exit code {EXIT_DIVERGED}",
            err=True,
        )
        raise typer.Exit(EXIT_DIVERGED)


def _check_folder(out: Path) -> None:
    """Refuse an output folder that is a file or lies below one."""
    for p in (out.absolute(), *out.absolute().parents):
        if p.exists():
            if not p.is_dir():
                raise SpecError(f"--out must be a folder ({p} is a file)")
            return


def demo(
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("results/demo"),
    seeds: Annotated[int, typer.Option(help="Number of seeds.")] = 3,
    epochs: Annotated[int | None, typer.Option(help="Epochs (default: the demo preset's).")] = None,
) -> None:
    """Train gradient descent and curl descent (one flipped readout neuron, tanh network) on
    the same teachers; write demo.nc and demo.png (train/test error vs epoch, log-log)."""
    from curldescent.demo import run_demo

    if seeds < 1:
        raise SpecError(f"--seeds must be >= 1 (got {seeds})")
    if epochs is not None and epochs < 1:
        raise SpecError(f"--epochs must be >= 1 (got {epochs})")
    _check_folder(out)
    files = run_demo(out, seeds=seeds, epochs=epochs, log=typer.echo)
    typer.echo(f"wrote {files['data']} and {files['png']}")


WorkersOpt = Annotated[
    int | None, typer.Option(help="Run sweeps on a local dask cluster of N worker processes.")
]
SchedulerOpt = Annotated[
    str | None, typer.Option(help="Run sweeps on an existing dask scheduler (tcp://host:port).")
]


def _executor(workers: int | None, scheduler: str | None, scheduler_file: Path | None) -> Any:
    check_executor_options(workers, scheduler, scheduler_file)
    if workers is None and scheduler is None and scheduler_file is None:
        return None
    from curldescent.sweeps.executors import make_executor

    return make_executor(workers=workers, scheduler=scheduler, scheduler_file=scheduler_file)


def figure(
    name: Annotated[str, typer.Argument(help="Figure name: fig1 ... fig10, figA.")],
    profile: Annotated[
        Profile,
        typer.Option(
            help="smoke (seconds), quick (minutes), decisive (the paper's sizes, reduced grids), paper (full protocol)."
        ),
    ] = Profile.quick,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("results"),
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    scheduler_file: SchedulerFileOpt = None,
    overrides: SetOpt = None,
) -> None:
    """Compute, plot and check one figure: writes NAME.png, NAME.pdf, NAME.nc, NAME.claims.json.

    --set changes the preset that every simulated run of the figure starts from; the fields
    the figure sweeps keep their swept values."""
    from curldescent.figures.base import figure_module, planned_runs, run_figure
    from curldescent.presets import preset_overrides
    from curldescent.reproduce import check_output_folder

    figure_module(name)  # unknown names fail before anything is written
    changes = parse_set(overrides)
    if changes and planned_runs(name, profile.value) == 0:
        raise SpecError(f"--set applies to figures that simulate runs; {name} is pure theory")
    _check_folder(out)
    if (out / "reproduce.json").exists():  # a reproduce folder: same profile only
        check_output_folder(out, profile.value)
    executor = _executor(workers, scheduler, scheduler_file)
    with preset_overrides(changes):
        res = run_figure(name, profile=profile.value, out=out, executor=executor)
    counts: dict[str, int] = {}
    for c in res.claims:
        counts[c.verdict] = counts.get(c.verdict, 0) + 1
    typer.echo(
        f"{name} ({profile.value}): {', '.join(f'{v} {k}' for k, v in counts.items()) or 'no claims'}; "
        f"files in {out} [{res.wall_time_s:.1f} s]"
    )


def reproduce(
    profile: Annotated[
        Profile,
        typer.Option(
            help="smoke (seconds), quick (~17 min on 2 cores), decisive (the paper's sizes, reduced "
            "grids; hours), paper (full protocol)."
        ),
    ] = Profile.quick,
    out: Annotated[
        Path, typer.Option(help="Output folder for figures, data and index.html.")
    ] = Path("results/reproduce"),
    only: Annotated[
        list[str] | None,
        typer.Option(
            help="Figure names, comma-separated or repeated: --only fig3,fig4 or --only fig3 --only fig4."
        ),
    ] = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    scheduler_file: SchedulerFileOpt = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            help="Figures run at once, each in its own process (default: one per CPU core, or "
            "one per accelerator when JAX sees a GPU); ignored with --workers/--scheduler/"
            "--scheduler-file, where figures run one at a time."
        ),
    ] = None,
) -> None:
    """Reproduce every figure and claim of the paper; write OUT/index.html."""
    import signal

    from curldescent.reproduce import parse_only
    from curldescent.reproduce import reproduce as run

    only = ",".join(only) if only else None
    names = parse_only(only)
    command = f"curldescent reproduce --profile {profile.value} --out {out}"
    command += f" --only {only}" if only else ""
    command += f" --workers {workers}" if workers else ""
    command += f" --scheduler {scheduler}" if scheduler else ""
    command += f" --scheduler-file {scheduler_file}" if scheduler_file else ""
    command += f" --jobs {jobs}" if jobs else ""
    if jobs is not None and jobs < 1:
        raise SpecError(f"--jobs must be >= 1 (got {jobs})")
    # SIGTERM stops the figure processes as Ctrl-C does (they would run on otherwise)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        path, entries = run(
            profile=profile.value,
            out=out,
            only=names,
            executor=_executor(workers, scheduler, scheduler_file),
            jobs=jobs,
            command=command,
            log=lambda m: typer.echo(m, err=True),
        )
    except KeyboardInterrupt:
        typer.echo(
            f"\nerror: interrupted; run the same command again to resume ({command})", err=True
        )
        raise typer.Exit(130) from None
    failed = [e.name for e in entries if e.error]
    typer.echo(f"wrote {path}" + (f"; FAILED figures: {', '.join(failed)}" if failed else ""))
    if failed:
        raise typer.Exit(1)


def report(
    folders: Annotated[
        list[Path],
        typer.Argument(help="Folders written by curldescent reproduce (one profile each)."),
    ],
    out: Annotated[
        Path, typer.Option(help="The HTML file to write (never a file of a reproduction folder).")
    ] = Path("compare.html"),
    overwrite: Annotated[bool, typer.Option(help="Replace an existing OUT.")] = False,
) -> None:
    """Put the verdicts of several reproductions side by side (one column per folder and
    profile); the folders are only read."""
    from curldescent.report import write_comparison

    path = write_comparison(folders, out, overwrite=overwrite)
    typer.echo(f"wrote {path}")


def register(app: typer.Typer) -> None:
    app.command()(train)
    app.command()(demo)
    app.command()(figure)
    app.command()(reproduce)
    app.command()(report)
