"""The package's one matplotlib style, and small shared plotting helpers."""

from __future__ import annotations

import re
from pathlib import Path

STYLE = Path(__file__).with_name("curldescent.mplstyle")

#: Printed width of a two-column-wide figure, inches. Figures are drawn and saved at this
#: width, so the style's font sizes (>= 7 pt) are the printed sizes.
PRINT_WIDTH = 7.0

#: Colour-blind safe colours (Okabe & Ito) for lines beyond the paper's two purples.
OKABE_ITO = {
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}

_LETTERED = re.compile(r"([a-z])\s{2,}(.*)", re.S)


def use_style() -> None:
    """Activate the package style (font sizes, colours, no grid) for the figures."""
    import matplotlib.pyplot as plt

    plt.style.use(str(STYLE))


def letter_panels(fig):
    """Typeset every axes title written ``"x  text"`` (a panel letter, two spaces, the
    title) as a journal panel label: bold letter, title left-aligned beside it. Returns
    ``fig``."""
    for ax in fig.axes:
        m = _LETTERED.fullmatch(ax.get_title())
        if m:
            ax.set_title("")
            ax.set_title(rf"$\mathbf{{{m[1]}}}$  {m[2]}", loc="left")
    return fig


def journal_problems(fig, min_pt: float = 7.0) -> list[str]:
    """What keeps ``fig`` from print: wider than :data:`PRINT_WIDTH`, visible text under
    ``min_pt`` points, grid lines over a heat map. Empty when it is fit for print."""
    from matplotlib.collections import QuadMesh
    from matplotlib.text import Text

    fig.canvas.draw()  # creates the tick labels
    problems = []
    width = max(fig.get_figwidth(), fig.get_tightbbox().width)
    if width > PRINT_WIDTH + 0.01:
        problems.append(f"figure is {width:.2f} in wide (print width {PRINT_WIDTH:g} in)")
    for t in fig.findobj(Text):
        if t.get_visible() and t.get_text().strip() and t.get_fontsize() < min_pt:
            problems.append(f"{t.get_fontsize():g} pt text {t.get_text()!r}")
    for ax in fig.axes:
        heat = any(isinstance(a, QuadMesh) for a in ax.get_children())
        grid = any(g.get_visible() for g in ax.get_xgridlines() + ax.get_ygridlines())
        if heat and grid:
            problems.append(f"grid lines over the heat map {ax.get_title()!r}")
    return problems


def log_axis_ticks(axis) -> None:
    """Readable ticks on a log ``axis`` (e.g. ``ax.xaxis``) whatever its range: decades
    over wide ranges, 1-2-3-5 steps where fewer than two decades would show; labelled as
    plain numbers from 0.001 to 1000 (0.1, 0.3, 1, 10), as powers of ten beyond; no minor
    labels."""
    import numpy as np
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    class ShortRangeLogLocator(LogLocator):
        def tick_values(self, vmin, vmax):
            lo, hi = sorted((vmin, vmax))
            if lo > 0 and hi / lo < 30:
                decades = range(int(np.floor(np.log10(lo))), int(np.ceil(np.log10(hi))) + 1)
                return np.array([m * 10.0**e for e in decades for m in (1, 2, 3, 5)])
            return super().tick_values(vmin, vmax)

    def label(v, _):
        if 1e-3 <= v <= 1e3:
            return f"{v:g}"
        return f"$10^{{{np.log10(v):.0f}}}$"

    axis.set_major_locator(ShortRangeLogLocator(base=10, numticks=6))
    axis.set_major_formatter(FuncFormatter(label))
    axis.set_minor_formatter(NullFormatter())


def shared_key(fig, ncol: int = 4) -> None:
    """One key under ``fig`` for every labelled artist that no axes legend shows, each
    label once (keeps crowded panels free of legends)."""
    key: dict[str, object] = {}
    for ax in fig.axes:
        own = ax.get_legend()
        shown = {t.get_text() for t in own.get_texts()} if own else set()
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            if label not in shown:
                key.setdefault(label, handle)
    if key:
        fig.legend(key.values(), key.keys(), loc="outside lower center", ncol=ncol)
