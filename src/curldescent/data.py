r"""The user's own data as a task: examples :math:`(X, y)` with a held-out test split.

A task is usually a teacher network (:mod:`curldescent.task`); a :class:`Dataset` replaces
the teacher and its sampled inputs with given arrays. The student's initial weights, the
minibatch order and the rule still come from the run's spec and seed, so runs on the same
data pair exactly like runs on the same teacher. Pass it to
:func:`curldescent.engine.simulate` / :func:`~curldescent.engine.simulate_batch` as
``data=``; :meth:`Dataset.task` gives the matching :class:`~curldescent.specs.TaskSpec`.

Examples:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(50, 3)); y = X @ np.array([1.0, -2.0, 0.5])
    >>> ds = Dataset.from_arrays(X, y, test_fraction=0.2, seed=1)
    >>> (ds.n_train, ds.n_test, ds.n_inputs, ds.n_outputs)
    (40, 10, 3, 1)
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from curldescent.specs import SpecError, TaskSpec

__all__ = ["Dataset"]


def _matrix(name: str, a: Any) -> np.ndarray:
    try:
        arr = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        raise SpecError(f"{name} must hold real numbers (got {np.asarray(a).dtype})") from None
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] == 0:
        raise SpecError(f"{name} must be a 2-D array (examples, features) (got shape {arr.shape})")
    if not np.all(np.isfinite(arr)):
        raise SpecError(f"{name} must hold finite numbers only")
    return arr


def _read_arrays(path: Path) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` file or the variables of a netCDF file, by name."""
    try:
        if path.suffix == ".npz":
            if not zipfile.is_zipfile(path):
                raise ValueError("not an .npz archive of named arrays (numpy.savez)")
            with np.load(path, allow_pickle=False) as f:
                return {k: np.asarray(f[k]) for k in f.files}
        import xarray as xr

        with xr.open_dataset(path) as ds:
            return {str(k): np.asarray(ds[k].values) for k in ds.data_vars}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:
        reason = str(exc).split(". ")[0]  # xarray appends installation advice
        raise SpecError(f"cannot read data file {path}: {reason}") from None


@dataclass(frozen=True, eq=False)
class Dataset:
    """Training and held-out test examples (float64; a 1-D ``y`` becomes one output).

    Args:
        x_train: (n_train, M) inputs; y_train: (n_train, K) targets.
        x_test: (n_test, M) inputs; y_test: (n_test, K) targets.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    def __post_init__(self) -> None:
        for name in ("x_train", "y_train", "x_test", "y_test"):
            object.__setattr__(self, name, _matrix(name, getattr(self, name)))
        if self.x_train.shape[0] != self.y_train.shape[0]:
            raise SpecError(
                f"x_train and y_train must hold the same number of examples "
                f"(got {self.x_train.shape[0]} and {self.y_train.shape[0]})"
            )
        if self.x_test.shape[0] != self.y_test.shape[0]:
            raise SpecError(
                f"x_test and y_test must hold the same number of examples "
                f"(got {self.x_test.shape[0]} and {self.y_test.shape[0]})"
            )
        if self.x_test.shape[1] != self.n_inputs or self.y_test.shape[1] != self.n_outputs:
            raise SpecError("test and training examples must have the same numbers of columns")

    @classmethod
    def from_arrays(cls, X: Any, y: Any, *, test_fraction: float = 0.2, seed: int = 0) -> Dataset:
        """Split ``(X, y)`` at random into training and held-out test examples
        (``round(test_fraction * n)`` test examples, at least one of each)."""
        X, y = _matrix("X", X), _matrix("y", y)
        n = X.shape[0]
        if y.shape[0] != n:
            raise SpecError(
                f"X and y must hold the same number of examples (got {n} and {y.shape[0]})"
            )
        if not 0.0 < test_fraction < 1.0:
            raise SpecError(f"test_fraction must lie in (0, 1) (got {test_fraction!r})")
        n_test = int(round(test_fraction * n))
        if not 0 < n_test < n:
            raise SpecError(f"{n} examples cannot be split with test_fraction = {test_fraction}")
        order = np.random.default_rng(seed).permutation(n)
        test, train = order[:n_test], order[n_test:]
        return cls(X[train], y[train], X[test], y[test])

    @classmethod
    def load(
        cls, path: str | Path, *, test_fraction: float | None = None, seed: int = 0
    ) -> Dataset:
        """Read a data set from ``.npz`` or netCDF ``.nc`` (variables, examples on the
        first dimension) holding ``X`` and ``y`` (training examples), with the held-out
        test examples ``X_test`` and ``y_test`` or, without them, ``test_fraction``
        (default 0.2) of ``X, y`` held out at random (:meth:`from_arrays` with ``seed``).
        The names ``x_train``, ``y_train`` and ``x_test`` are read as ``X``, ``y`` and
        ``X_test``.

        Raises:
            SpecError: the file is missing, unreadable or not ``.npz``/``.nc``; arrays are
                missing, mis-shaped or not finite; ``test_fraction`` is given for a file
                that holds its own test examples.
        """
        path = Path(path)
        if path.suffix not in (".npz", ".nc"):
            raise SpecError(f"data file must end in .npz or .nc (got {path.name})")
        if not path.is_file():
            raise SpecError(f"data file not found (or not a file): {path}")
        found = _read_arrays(path)
        arrays = {}  # X, y, X_test, y_test, checked under the file's own names
        for name, a in found.items():
            key = {"x_train": "X", "y_train": "y", "x_test": "X_test"}.get(name, name)
            if key in ("X", "y", "X_test", "y_test"):
                arrays[key] = _matrix(name, a)
        if "X" not in arrays or "y" not in arrays:
            raise SpecError(
                f"{path} must hold arrays X and y (and optionally X_test, y_test) "
                f"(found: {', '.join(sorted(found)) or 'none'})"
            )
        if "X_test" in arrays or "y_test" in arrays:
            if "X_test" not in arrays or "y_test" not in arrays:
                raise SpecError(
                    f"{path} must hold both X_test and y_test, or neither (then "
                    f"test_fraction of X, y is held out)"
                )
            if test_fraction is not None:
                raise SpecError(
                    f"test_fraction applies only to data without a test split ({path} "
                    f"holds X_test and y_test)"
                )
            return cls(arrays["X"], arrays["y"], arrays["X_test"], arrays["y_test"])
        fraction = 0.2 if test_fraction is None else test_fraction
        return cls.from_arrays(arrays["X"], arrays["y"], test_fraction=fraction, seed=seed)

    @property
    def n_train(self) -> int:
        return self.x_train.shape[0]

    @property
    def n_test(self) -> int:
        return self.x_test.shape[0]

    @property
    def n_inputs(self) -> int:
        return self.x_train.shape[1]

    @property
    def n_outputs(self) -> int:
        return self.y_train.shape[1]

    def task(self, **kwargs: Any) -> TaskSpec:
        """The :class:`TaskSpec` whose sizes match this data (other fields from ``kwargs``,
        e.g. the student's ``init_scale``)."""
        return TaskSpec(n_train=self.n_train, n_test=self.n_test, **kwargs)

    def digest(self) -> str:
        """sha256 of the four arrays (provenance)."""
        h = hashlib.sha256()
        for a in (self.x_train, self.y_train, self.x_test, self.y_test):
            h.update(np.ascontiguousarray(a).tobytes())
        return h.hexdigest()

    def check_matches(self, spec: Any) -> None:
        """Raise :class:`SpecError` unless the run spec's sizes fit this data."""
        net, task = spec.network, spec.task
        got = {
            "network.M": (net.M, self.n_inputs),
            "network.K": (net.K, self.n_outputs),
            "task.n_train": (task.n_train, self.n_train),
            "task.n_test": (task.n_test, self.n_test),
        }
        for name, (have, want) in got.items():
            if have != want:
                raise SpecError(f"{name} must be {want} to match the data (got {have})")
        if task.start != "random" or task.init_from is not None:
            raise SpecError("a run on given data starts from random weights (task.start = random)")
