"""A progress bar with ETA for sweeps, on stderr.

On a terminal it redraws one line (at most every ``min_interval`` seconds)::

    sweep demo [##########----------] 36/72 runs  12.4 runs/s  ETA 3s

elsewhere (logs, CI) it prints such a line at most every ``line_interval`` seconds, and
once at the end. The rate counts the runs computed by this invocation only (runs found
done in the store count towards done/total, not towards the rate).
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Progress", "format_duration"]


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


class Progress:
    """Runs done/total, runs per second and ETA.

    Args:
        total: runs in the sweep.
        done: runs already done before this invocation (skipped).
        label: text before the bar.
        stream: where to write (default ``sys.stderr``).
        enabled: write nothing when False.
        min_interval: least seconds between redraws on a terminal.
        line_interval: least seconds between lines when not on a terminal.
    """

    def __init__(
        self,
        total: int,
        done: int = 0,
        *,
        label: str = "sweep",
        stream: TextIO | None = None,
        enabled: bool = True,
        min_interval: float = 0.2,
        line_interval: float = 10.0,
        width: int = 20,
    ) -> None:
        self.total = int(total)
        self.done = int(done)
        self.start_done = int(done)
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.min_interval = min_interval
        self.line_interval = line_interval
        self.width = width
        self.t0 = time.perf_counter()
        self._last = -float("inf")
        self._closed = False

    @property
    def rate(self) -> float:
        """Runs per second computed by this invocation."""
        elapsed = time.perf_counter() - self.t0
        return (self.done - self.start_done) / elapsed if elapsed > 0 else 0.0

    @property
    def eta(self) -> float:
        rate = self.rate
        left = self.total - self.done
        if left <= 0:
            return 0.0
        return left / rate if rate > 0 else float("nan")

    def _bar(self) -> str:
        frac = self.done / self.total if self.total else 1.0
        filled = min(self.width, int(round(frac * self.width)))
        return f"{self.label} [{'#' * filled}{'-' * (self.width - filled)}] {self.done}/{self.total} runs"

    def line(self) -> str:
        """The current progress line."""
        return f"{self._bar()}  {self.rate:.1f} runs/s  ETA {format_duration(self.eta)}"

    def update(self, n: int) -> None:
        """``n`` more runs are done."""
        self.done += int(n)
        self._draw()

    def _draw(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        interval = self.min_interval if self.tty else self.line_interval
        if not force and now - self._last < interval:
            return
        self._last = now
        if self.tty:
            self.stream.write("\r" + self.line() + "\033[K")
        else:
            self.stream.write(self.line() + "\n")
        self.stream.flush()

    def close(self) -> None:
        """Draw the final state (and end the line on a terminal)."""
        if self._closed:
            return
        self._closed = True
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.t0
        text = f"{self._bar()}  {self.rate:.1f} runs/s  {format_duration(elapsed)} elapsed"
        self.stream.write(("\r" + text + "\033[K\n") if self.tty else text + "\n")
        self.stream.flush()
