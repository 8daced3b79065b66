"""``curldescent theory ...`` (placeholder: being written in this session)."""

import typer

app = typer.Typer(help="Theory: stability boundaries and Jacobian spectra.", no_args_is_help=True)
