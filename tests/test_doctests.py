"""The examples in the docstrings run, and print what they say they print.

Every module of ``src/curldescent`` whose source holds a ``>>>`` example is collected
here (found by reading the files, so a new example is tested without editing this file).
Examples marked ``# doctest: +SKIP`` (they write files or run for long) are not run.
"""

import doctest
import importlib
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
MODULES = sorted(
    ".".join(path.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__")
    for path in (SRC / "curldescent").rglob("*.py")
    if ">>> " in path.read_text(encoding="utf-8")
)


def test_examples_are_found():
    # the entry points documented with examples (a vanished example is a regression)
    for name in ("curldescent.engine", "curldescent.presets", "curldescent.theory.edges"):
        assert name in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    failures = []
    tests = [t for t in finder.find(module, name) if t.examples]
    for test in tests:  # DocTestFinder keeps the objects defined in this module
        runner.run(test, out=failures.append)
    assert tests, f"{name} has '>>> ' in its source but no docstring example"
    assert not failures, "".join(failures)
