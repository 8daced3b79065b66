"""Entry point of the ``curldescent`` command.

Every command is a thin wrapper over one library function. Bad input raises
:class:`~curldescent.specs.SpecError` (or a Typer/Click usage error); :func:`main` turns it
into one line on stderr, ``error: ...``, and exit code 2, without a traceback.
"""

from __future__ import annotations

import sys
from typing import Annotated

import click
import typer

from curldescent.cli import commands, curl_index, sweep, theory
from curldescent.runtime import configure_runtime
from curldescent.specs import SpecError

try:  # Typer >= 0.20 vendors its own copy of Click
    from typer._click import exceptions as _typer_click
except ImportError:  # pragma: no cover
    _typer_click = click.exceptions

_USAGE_ERRORS = (click.exceptions.UsageError, _typer_click.UsageError)
_EXITS = tuple({click.exceptions.Exit, typer.Exit})
_ABORTS = tuple({click.exceptions.Abort, typer.Abort})

app = typer.Typer(
    name="curldescent",
    help="Curl descent: simulate, analyse and reproduce non-gradient learning dynamics.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,  # help texts print as written ("[network] [task]" stays)
)


def _print_version(value: bool) -> None:
    if value:
        from curldescent import __version__

        typer.echo(f"curldescent {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    pass


commands.register(app)
sweep.register(app)
app.add_typer(theory.app, name="theory")
app.command("curl-index")(curl_index.curl_index)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; bad input → one-line error on stderr and exit code 2."""
    configure_runtime()
    command = typer.main.get_command(app)
    try:
        rc = command.main(args=argv, prog_name="curldescent", standalone_mode=False)
    except SpecError as exc:
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)  # one line
        sys.exit(2)
    except _USAGE_ERRORS as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":
            typer.echo(exc.ctx.get_help() if exc.ctx else "", err=True)
            sys.exit(2)
        message = " ".join(exc.format_message().split())
        print(f"error: {message}", file=sys.stderr)
        sys.exit(2)
    except _ABORTS:
        print("error: aborted", file=sys.stderr)
        sys.exit(130)
    except _EXITS as exc:
        sys.exit(getattr(exc, "exit_code", 0))
    sys.exit(rc if isinstance(rc, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
