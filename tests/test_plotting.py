"""The print standards every figure is held to (``curldescent.plotting``): the style's text
sizes, bold panel letters, readable log ticks, and the checker that finds departures."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from curldescent.plotting import (  # noqa: E402
    PRINT_WIDTH,
    journal_problems,
    letter_panels,
    log_axis_ticks,
    shared_key,
    use_style,
)


@pytest.fixture(autouse=True)
def style():
    with plt.rc_context():
        use_style()
        yield
    plt.close("all")


def test_style_prints_at_least_7pt_without_grid():
    from matplotlib.font_manager import FontProperties

    keys = ["font.size", "axes.titlesize", "axes.labelsize", "legend.fontsize"]
    keys += ["xtick.labelsize", "ytick.labelsize", "figure.titlesize"]
    points = [FontProperties(size=plt.rcParams[k]).get_size_in_points() for k in keys]
    assert min(points) >= 7
    assert not plt.rcParams["axes.grid"]
    assert plt.rcParams["figure.figsize"][0] <= PRINT_WIDTH


def test_letter_panels_sets_a_bold_left_letter():
    fig, (a, b) = plt.subplots(1, 2)
    a.set_title("b  test error")
    b.set_title("no letter here")
    letter_panels(fig)
    assert a.get_title() == "" and a.get_title(loc="left") == r"$\mathbf{b}$  test error"
    assert b.get_title() == "no letter here" and b.get_title(loc="left") == ""


@pytest.mark.parametrize(
    ("lim", "expected"),
    [
        ((0.08, 0.9), ["0.1", "0.2", "0.3", "0.5"]),
        ((0.01, 100.0), ["0.01", "0.1", "1", "10", "100"]),
    ],
)
def test_log_axis_ticks_label_short_and_long_ranges(lim, expected):
    fig, ax = plt.subplots()
    ax.set_xscale("log")
    log_axis_ticks(ax.xaxis)
    ax.set_xlim(*lim)
    fig.canvas.draw()
    shown = [t.get_text() for t in ax.get_xticklabels() if lim[0] <= t.get_position()[0] <= lim[1]]
    assert shown == expected


def test_journal_problems_finds_small_text_grid_on_heat_maps_and_width():
    fig, (a, b) = plt.subplots(1, 2, figsize=(PRINT_WIDTH, 3))
    a.pcolormesh(np.zeros((2, 2)))
    b.plot([0, 1])
    assert journal_problems(fig) == []
    a.grid(True)
    b.text(0.5, 0.5, "tiny", fontsize=6)
    b.legend(["line"], loc="upper left", bbox_to_anchor=(1.0, 1.0))
    found = journal_problems(fig)
    assert any("grid lines over the heat map" in p for p in found)
    assert any("6 pt text 'tiny'" in p for p in found)
    wide = plt.figure(figsize=(PRINT_WIDTH + 1, 3))
    assert any("in wide" in p for p in journal_problems(wide))


def test_shared_key_collects_labels_no_axes_legend_shows():
    fig, (a, b) = plt.subplots(1, 2)
    a.plot([0, 1], label="boundary")
    b.plot([0, 1], label="boundary")
    b.plot([1, 0], label="c = 0.1")
    b.legend(handles=b.get_lines()[1:])
    shared_key(fig)
    (key,) = fig.legends
    assert [t.get_text() for t in key.get_texts()] == ["boundary"]
