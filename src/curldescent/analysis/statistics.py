"""Summary statistics shared by the figures: the standard error of the mean, NaN-aware.

Examples:
    >>> import numpy as np
    >>> from curldescent.analysis.statistics import sem
    >>> float(sem(np.array([1.0, 2.0, 3.0, np.nan])))
    0.5773502691896258
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np


def sem(values: np.ndarray, axis: int | None = None) -> Any:
    """Standard error of the mean over ``axis`` (NaN-aware, ddof = 1; NaN with fewer than
    two finite values)."""
    v = np.asarray(values, float)
    n = np.sum(np.isfinite(v), axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = np.nanstd(v, axis=axis, ddof=1) / np.sqrt(n)
    return np.where(n > 1, out, np.nan)[()]
