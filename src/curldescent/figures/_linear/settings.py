"""The parts of a linear phase-diagram profile that Figs. 3 and 4 share: a (c, α, seed)
grid, the example run and the map continuation (profiles in each figure's ``SETTINGS``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GridSettings:
    """A (c, α, seed) grid.

    Args:
        c: compression ratios c = M/N (M + N fixed by the figure).
        alpha: flipped fractions of the figure's layer.
        seeds: seeds per grid point.
        epochs: length of every run.
        n_checkpoints: log-spaced checkpoints of every run.
    """

    c: tuple[float, ...]
    alpha: tuple[float, ...]
    seeds: tuple[int, ...]
    epochs: int
    n_checkpoints: int


@dataclass(frozen=True)
class ExampleRunSettings:
    """The example run (:func:`curldescent.figures._linear.examples.example_run`).

    Args:
        c: its compression ratio.
        alpha: its flipped fraction.
        seed: its seed.
        epochs: its length.
        segment: the final epochs whose weights give the autocorrelations and the PCA.
        stride: epochs between those weight samples.
    """

    c: float
    alpha: float
    seed: int
    epochs: int
    segment: int
    stride: int


@dataclass(frozen=True)
class LyapunovSettings:
    """The map continuation of the main grid
    (:func:`curldescent.figures._linear.continuation.map_measurements`).

    Args:
        c: the grid's c values continued.
        seeds: the seeds continued.
        n_window: epochs over which q and the mean test error are measured.
        n_lyap: epochs of the Lyapunov measurement.
        transient: epochs of tangent alignment before it.
    """

    c: tuple[float, ...]
    seeds: tuple[int, ...]
    n_window: int
    n_lyap: int
    transient: int
