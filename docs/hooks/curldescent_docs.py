"""MkDocs hooks: the API reference and the CLI reference are generated at build time.

* **API reference**: one page per subpackage (or top-level module) of ``curldescent``, each
  rendering the package docstring and every public module in it through mkdocstrings; the
  pages are added to the navigation under "API reference". A module added to the package
  appears without editing ``mkdocs.yml``.
* **CLI reference**: the marker ``<!-- cli-reference -->`` in a page is replaced by the
  ``--help`` text of every ``curldescent`` command, so the page always matches the code.
"""

from __future__ import annotations

import os
import pkgutil
from pathlib import Path

from mkdocs.structure.files import File

PACKAGE = "curldescent"
SRC = Path(__file__).resolve().parents[2] / "src" / PACKAGE
#: subpackages that are documented elsewhere (the CLI has its own page)
SKIP = {"cli"}
MARKER = "<!-- cli-reference -->"


def _public(name: str) -> bool:
    return not any(part.startswith("_") for part in name.split("."))


def _api_pages() -> dict[str, str]:
    """``{"api/NAME.md": markdown}`` for the package's top-level modules and subpackages."""
    pages = {}
    for info in sorted(pkgutil.iter_modules([str(SRC)]), key=lambda m: m.name):
        if not _public(info.name) or info.name in SKIP:
            continue
        full = f"{PACKAGE}.{info.name}"
        blocks = [f"# `{full}`\n", f"::: {full}\n"]
        if info.ispkg:
            blocks[1] = f"::: {full}\n    options:\n      members: false\n"
            for sub in sorted(pkgutil.iter_modules([str(SRC / info.name)]), key=lambda m: m.name):
                if _public(sub.name):
                    blocks.append(f"::: {full}.{sub.name}\n")
        pages[f"api/{info.name}.md"] = "\n".join(blocks)
    index = ["# API reference\n", f"::: {PACKAGE}\n"]
    index += [f"- [`{PACKAGE}.{Path(p).stem}`]({Path(p).name})" for p in pages]
    pages["api/index.md"] = "\n".join(index) + "\n"
    return pages


def on_config(config):
    """Fill the "API reference" section of the navigation with the generated pages."""
    pages = _api_pages()
    for i, entry in enumerate(config.nav or []):
        if isinstance(entry, dict) and "API reference" in entry:
            config.nav[i] = {
                "API reference": ["api/index.md"] + [p for p in pages if p != "api/index.md"]
            }
    return config


def on_files(files, config):
    for path, content in _api_pages().items():
        files.append(File.generated(config, path, content=content))
    return files


def _help_texts() -> list[tuple[str, str]]:
    """``[(command line, help text)]`` for ``curldescent`` and every subcommand."""
    import typer
    from typer.testing import CliRunner

    from curldescent.cli.main import app

    runner = CliRunner()
    env = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
    out: list[tuple[str, str]] = []

    def walk(command, path: list[str]) -> None:
        result = runner.invoke(app, [*path, "--help"], env=env)
        if result.exit_code != 0:
            raise RuntimeError(f"curldescent {' '.join(path)} --help failed: {result.output}")
        out.append((" ".join([PACKAGE, *path]), result.output.strip("\n")))
        for name in sorted(getattr(command, "commands", {})):
            walk(command.commands[name], [*path, name])

    walk(typer.main.get_command(app), [])
    return out


def on_page_markdown(markdown, page, config, files):
    if MARKER not in markdown:
        return markdown
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    sections = []
    for line, text in _help_texts():
        level = "###" if line.count(" ") <= 1 else "####"
        sections.append(f"{level} `{line}`\n\n```text\n{text}\n```\n")
    return markdown.replace(MARKER, "\n".join(sections))
