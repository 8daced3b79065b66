"""The package's one matplotlib style, and small shared plotting helpers."""

from __future__ import annotations

from pathlib import Path

STYLE = Path(__file__).with_name("curldescent.mplstyle")


def use_style() -> None:
    """Activate the package style (font sizes, colours, grid) for the figures."""
    import matplotlib.pyplot as plt

    plt.style.use(str(STYLE))
