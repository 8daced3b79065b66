"""The command line: a thin Typer layer over the library (no numerics here)."""
