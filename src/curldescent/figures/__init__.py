"""One module per paper figure (``compute`` / ``plot`` / ``claims``); see :mod:`curldescent.figures.base`."""

from curldescent.figures.base import FIGURES as FIGURES
from curldescent.figures.base import Claim as Claim
from curldescent.figures.base import run_figure as run_figure
