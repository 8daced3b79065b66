"""The one progress display (rich.progress): rate of this invocation, caller's ETA, log
lines off a terminal, a live bar on one."""

import io
import re
import time

from curldescent.sweeps.progress import Progress


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_rate_counts_only_this_invocation_and_caller_eta_wins():
    out = io.StringIO()
    bar = Progress(100, done=50, label="sweep r", stream=out, line_interval=0.0)
    time.sleep(0.2)
    bar.update(2)
    elapsed = 0.2
    assert 0 < bar.rate <= 2 / elapsed * 1.01  # the 50 skipped runs do not count
    assert bar.line().startswith("sweep r ") and "52/100 runs" in bar.line()
    bar.update(1, eta=125.0)
    assert "ETA 2m05s" in bar.line()
    bar.close()
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 and "53/100 runs" in lines[-1] and "elapsed" in lines[-1]
    assert all(len(line) < 200 for line in lines)  # one line each, never wrapped


def test_log_lines_are_rate_limited_and_disabled_bars_are_silent():
    out = io.StringIO()
    bar = Progress(4, label="reproduce quick", unit="figures", stream=out, line_interval=3600)
    bar.update(1)  # first line right away
    bar.update(1)  # within the interval: no line
    bar.close()
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and "1/4 figures" in lines[0] and "2/4 figures" in lines[1]
    quiet = io.StringIO()
    bar = Progress(4, stream=quiet, enabled=False)
    bar.update(4)
    bar.close()
    assert quiet.getvalue() == ""


def test_live_bar_on_a_terminal():
    term = FakeTerminal()
    bar = Progress(3, label="sweep t", stream=term)
    assert bar.tty
    for _ in range(3):
        bar.update(1)
    bar.close()
    bar.close()  # idempotent
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", term.getvalue())  # colours, cursor
    assert "sweep t" in text and "3/3 runs" in text and "elapsed" in text
