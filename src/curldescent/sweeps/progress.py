"""The package's one progress display (sweeps, convergence runs, ``reproduce``), on
:mod:`rich.progress`, on stderr.

On a terminal it is a live bar::

    sweep demo ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━ 36/72 runs  12.4 runs/s  ETA 3s

elsewhere (logs, CI) the same line is printed at most every ``line_interval`` seconds,
and once at the end. The rate counts the units computed by this invocation only (units
found done, e.g. runs already in the store, count towards done/total, not towards the
rate); a caller with a better model of what is left (``reproduce``: relative figure costs)
passes its own ETA to :meth:`Progress.update`.
"""

from __future__ import annotations

import time
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, ProgressColumn, Task, TextColumn
from rich.progress import Progress as RichProgress
from rich.text import Text

__all__ = ["Progress", "format_duration"]

#: width of the lines written when not on a terminal (never wrapped)
LINE_WIDTH = 240
_STDERR = Console(stderr=True)
_STDERR_LINES = Console(stderr=True, width=LINE_WIDTH)


def format_duration(seconds: float) -> str:
    """``42s``, ``3m05s``, ``2h07m``."""
    if seconds != seconds or seconds == float("inf"):
        return "?"
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{(s % 3600) // 60:02d}m"


def _rate(task: Task) -> float:
    elapsed = task.elapsed or 0.0
    return (task.completed - task.fields["start_done"]) / elapsed if elapsed > 0 else 0.0


class _RateColumn(ProgressColumn):
    """Units per second computed by this invocation."""

    def render(self, task: Task) -> Text:
        return Text(f"{_rate(task):.1f} {task.fields['unit']}/s")


class _EtaColumn(ProgressColumn):
    """``ETA 3m05s`` (the caller's estimate if given, else from the rate), and
    ``12s elapsed`` once closed."""

    def render(self, task: Task) -> Text:
        if task.fields["closed"]:
            return Text(f"{format_duration(task.elapsed or 0.0)} elapsed")
        eta = task.fields["eta"]
        if eta is None:
            left, rate = task.remaining or 0.0, _rate(task)
            eta = 0.0 if left <= 0 else (left / rate if rate > 0 else float("nan"))
        return Text(f"ETA {format_duration(eta)}")


class Progress:
    """Done/total, rate and ETA.

    Args:
        total: units (runs, figures) to do.
        done: units already done before this invocation (skipped).
        label: text before the bar.
        unit: what is counted (``runs``, ``figures``).
        stream: where to write (default ``sys.stderr``).
        enabled: write nothing when False.
        line_interval: least seconds between lines when not on a terminal.
    """

    def __init__(
        self,
        total: int,
        done: int = 0,
        *,
        label: str = "sweep",
        unit: str = "runs",
        stream: TextIO | None = None,
        enabled: bool = True,
        line_interval: float = 10.0,
    ) -> None:
        self.total = int(total)
        self.done = int(done)
        self.enabled = enabled
        self.line_interval = line_interval
        self._last = -float("inf")
        self._closed = False
        # one console for stderr, so that bars inside a bar (a figure's runs inside
        # ``reproduce``) nest instead of fighting over the terminal
        self._console = _STDERR if stream is None else Console(file=stream)
        self.tty = self._console.is_terminal and not self._console.is_dumb_terminal
        if not self.tty:
            self._console = (
                _STDERR_LINES if stream is None else Console(file=stream, width=LINE_WIDTH)
            )
        self._bar = RichProgress(
            TextColumn(label),
            BarColumn(bar_width=20),
            MofNCompleteColumn(),
            TextColumn(unit),
            _RateColumn(),
            _EtaColumn(),
            console=self._console,
            auto_refresh=self.tty,
            refresh_per_second=5,
        )
        self._task = self._bar.add_task(
            label,
            total=self.total,
            completed=self.done,
            start_done=self.done,
            unit=unit,
            eta=None,
            closed=False,
        )
        if self.enabled and self.tty:
            self._bar.start()

    @property
    def rate(self) -> float:
        """Units per second computed by this invocation."""
        return _rate(self._bar.tasks[0])

    def line(self) -> str:
        """The current progress line, as plain text."""
        with self._console.capture() as capture:
            self._console.print(self._bar.get_renderable())
        return capture.get().rstrip("\n")

    def update(self, n: int, *, eta: float | None = None) -> None:
        """``n`` more units are done; ``eta``: the caller's estimate of the seconds left."""
        self.done += int(n)
        self._bar.update(self._task, advance=int(n), eta=eta)
        if self.enabled and not self.tty and time.monotonic() - self._last >= self.line_interval:
            self._last = time.monotonic()
            self._console.print(self._bar.get_renderable())

    def close(self) -> None:
        """Draw the final state (``... 12s elapsed``) and release the terminal."""
        if self._closed:
            return
        self._closed = True
        self._bar.update(self._task, closed=True)
        self._bar.stop_task(self._task)
        if not self.enabled:
            return
        if self.tty:
            self._bar.refresh()
            self._bar.stop()
        else:
            self._console.print(self._bar.get_renderable())
