"""Options shared by several commands: ``--set KEY=VALUE`` spec overrides and
``--scheduler-file``. Imports nothing heavy (the CLI's ``--help`` must stay fast)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any

import typer

from curldescent.specs import SpecError

SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="KEY=VALUE",
        help="Override a run-spec field, e.g. --set train.epochs=1000 (repeatable; KEY a dotted "
        "path such as rule.alpha_hidden, or a short name such as alpha_h; VALUE a TOML scalar "
        "such as 3, 1e-3, true or curl). Applied after the other options.",
    ),
]

SchedulerFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--scheduler-file",
        help="Run on an existing dask cluster whose scheduler wrote this file "
        "(dask scheduler --scheduler-file PATH).",
    ),
]


def _value(text: str) -> Any:
    """A TOML scalar (``3``, ``1e-3``, ``true``, ``"x"``), or the text itself (``curl``)."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_set(items: list[str] | None) -> dict[str, Any]:
    """``["train.epochs=1000", "alpha_h=0.2"]`` -> ``{"train.epochs": 1000,
    "rule.alpha_hidden": 0.2}`` (short names resolved to dotted RunSpec paths).

    Raises:
        SpecError: an item without ``=``, or an unknown field (the message lists the allowed).
    """
    from curldescent.specs import field_path

    out: dict[str, Any] = {}
    for item in items or ():
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise SpecError(f"--set takes KEY=VALUE, e.g. --set train.epochs=1000 (got {item!r})")
        out[field_path(key.strip())] = _value(text.strip())
    return out


def check_executor_options(
    workers: int | None, scheduler: str | None, scheduler_file: Path | None
) -> None:
    """At most one of ``--workers``, ``--scheduler``, ``--scheduler-file``; workers >= 1."""
    if sum(x is not None for x in (workers, scheduler, scheduler_file)) > 1:
        raise SpecError("give either --workers or --scheduler or --scheduler-file, not several")
    if workers is not None and workers < 1:
        raise SpecError(f"--workers must be an integer >= 1 (got {workers})")
