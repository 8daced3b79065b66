r"""The one schema of curldescent's datasets: every result variable and coordinate, by name.

A run's dataset (:func:`curldescent.results.batch_to_dataset`, ``curldescent train``), a
sweep store (:mod:`curldescent.sweeps.store`) and the figures' datasets take the
dimensions, units and long names of their variables from :data:`VARIABLES` and
:data:`COORDS`; nothing else spells them out. An :class:`Entry` gives a variable's
*per-point* dimensions (those after the leading ``run`` dimension of a run's dataset, or
after the swept dimensions of a sweep store), its dtype, ``units`` and ``long_name``.

Rules the datasets apply to every entry:

* a run's dataset holds the variable with dims ``("run", *entry.dims)`` and dtype
  ``entry.dtype``;
* a sweep store holds it with dims ``(*swept dims, *entry.dims)``, as boolean (False until
  written) if ``entry.dtype`` is ``bool`` and as float64 otherwise (NaN until written: a
  point not computed yet has no value), when the sweep meets the entry's ``requires``;
* the names of stored variables and their dimensions are reserved: no sweep axis may
  take them (:func:`reserved`).

Adding a per-run result is therefore one entry here plus its computation (``docs/concepts.md``,
"Adding a result variable"). This module imports nothing heavy (no JAX; xarray only inside
the functions that build variables).

Examples:
    >>> attrs("final_test_error")
    {'long_name': 'test error at the last simulated checkpoint', 'units': '1'}
    >>> VARIABLES["W1"].dims, attrs("W1", store=True)["long_name"]
    (('epoch', 'hidden', 'input'), 'hidden-layer weights W1 (NaN-padded)')
    >>> {"epoch", "q", "done"} <= reserved(), "seed" in reserved()
    (True, False)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "COORDS",
    "DATASETS",
    "Entry",
    "REQUIREMENTS",
    "VARIABLES",
    "attrs",
    "empty",
    "entry",
    "label",
    "reserved",
    "store_layout",
]

#: the datasets an entry can belong to: a run's dataset (``curldescent train``,
#: ``BatchResult.to_dataset``), a sweep store, and figure datasets
DATASETS = ("run", "sweep", "figure")
#: conditions a sweep must meet for its store to hold a variable: ``weights`` the sweep
#: stores weights (``SweepSpec.store_weights``), ``record`` some run records weights at its
#: checkpoints (``train.record_weights``), ``window`` some run has a final window
#: (``train.final_window > 0``)
REQUIREMENTS = ("weights", "record", "window")


@dataclass(frozen=True)
class Entry:
    """One variable or coordinate of the schema.

    Attributes:
        name: the variable's name in every dataset.
        long_name: what the values are (the ``long_name`` attribute; xarray labels plots
            with it).
        units: the ``units`` attribute (``"1"``: dimensionless); ``None``: none (labels,
            indices).
        description: one line on how the value is obtained (documentation only).
        dims: dimensions of one point's value, after the run or swept dimensions (``()``:
            one number per run; ``("epoch",)``: one per checkpoint); ``None`` for a
            coordinate, which labels whatever dimension it sits on.
        dtype: numpy dtype of the values in a run's dataset (``None``: coordinates of any
            dtype).
        datasets: which datasets hold it (of :data:`DATASETS`).
        requires: what a sweep must have for its store to hold it (of
            :data:`REQUIREMENTS`).
        store_long_name: the long name in a sweep store, where it differs (weights padded
            with NaN to the sweep's largest sizes).
    """

    name: str
    long_name: str
    units: str | None = "1"
    description: str = ""
    dims: tuple[str, ...] | None = ()
    dtype: str | None = "float64"
    datasets: frozenset[str] = frozenset({"run", "sweep"})
    requires: frozenset[str] = frozenset()
    store_long_name: str | None = None

    def __post_init__(self) -> None:
        for what, allowed in (("datasets", DATASETS), ("requires", REQUIREMENTS)):
            unknown = set(getattr(self, what)) - set(allowed)
            if unknown:
                raise ValueError(
                    f"schema entry {self.name}: {what} {sorted(unknown)} not among {allowed}"
                )

    @property
    def store_dtype(self) -> np.dtype:
        """dtype in a sweep store: bool stays bool, all else is float64 (NaN until written)."""
        return np.dtype(bool) if self.dtype == "bool" else np.dtype(np.float64)

    def attrs(self, *, store: bool = False) -> dict[str, str]:
        """``{"long_name": ..., "units": ...}`` (no ``units`` where it has none); ``store``:
        as a sweep store labels it."""
        name = self.store_long_name if store and self.store_long_name else self.long_name
        return {"long_name": name} | ({"units": self.units} if self.units is not None else {})


def _by_name(*entries: Entry) -> dict[str, Entry]:
    return {e.name: e for e in entries}


_SWEEP = frozenset({"sweep"})
_WEIGHTS = frozenset({"weights"})
_WINDOW_WEIGHTS = frozenset({"weights", "window"})
_W1, _W2 = ("hidden", "input"), ("output", "hidden")

#: every result variable, in the order a sweep store creates them
VARIABLES: dict[str, Entry] = _by_name(
    Entry(
        "train_error",
        "train error (1/2 MSE)",
        description="1/2 mean over the training set of |y_hat - y|^2 at each checkpoint",
        dims=("epoch",),
    ),
    Entry(
        "test_error",
        "test error (1/2 MSE)",
        description="1/2 mean over the test set of |y_hat - y|^2 at each checkpoint",
        dims=("epoch",),
    ),
    Entry(
        "diverged",
        "weights became non-finite",
        description="the run's weights became NaN or infinite (the run stopped there)",
        dtype="bool",
    ),
    Entry(
        "done",
        "point computed and stored",
        description="the sweep point's batch is written (False: its values are not there yet)",
        dtype="bool",
        datasets=_SWEEP,
    ),
    Entry(
        "stop_epoch",
        "last simulated epoch (train.stop_below, divergence)",
        units="epochs",
        description="the last checkpoint, unless the run stopped early or diverged",
        dtype="int64",
    ),
    Entry(
        "final_train_error",
        "train error at the last simulated checkpoint",
        description="train_error at stop_epoch",
        datasets=_SWEEP,
    ),
    Entry(
        "final_test_error",
        "test error at the last simulated checkpoint",
        description="test_error at stop_epoch",
        datasets=_SWEEP,
    ),
    Entry(
        "final_log10_test_error",
        "log10(final test error + 1e-15)",
        description="the heat maps of Figs. 3a and 4a (+inf for a diverged run)",
        datasets=_SWEEP,
    ),
    Entry(
        "peak_log10_test_error",
        "max over checkpoints of log10(test error + 1e-15)",
        description="Fig. 4b (+inf once a run diverged)",
        datasets=_SWEEP,
    ),
    Entry(
        "peak_log10_train_error",
        "max over checkpoints of log10(train error + 1e-15)",
        description="the authors' peak error of Figs. 4b and 8b (+inf once a run diverged)",
        datasets=_SWEEP,
    ),
    Entry(
        "convergence_epoch",
        "first checkpoint with test error below the threshold (NaN: censored)",
        units="epochs",
        description="SweepSpec.convergence_threshold crossed (Figs. 5 and 10)",
        datasets=_SWEEP,
    ),
    Entry(
        "q",
        "order parameter q over the final window (eq. 15)",
        description="from the temporal mean and variance of every weight over train.final_window",
        datasets=_SWEEP,
        requires=frozenset({"window"}),
    ),
    Entry(
        "final_W1",
        "final W1",
        description="hidden-layer weights at the end of the run",
        dims=_W1,
        requires=_WEIGHTS,
        store_long_name="final W1 (NaN-padded)",
    ),
    Entry(
        "final_W2",
        "final W2",
        description="readout weights at the end of the run",
        dims=_W2,
        requires=_WEIGHTS,
        store_long_name="final W2 (NaN-padded)",
    ),
    Entry(
        "W1",
        "hidden-layer weights W1",
        description="W1 at every checkpoint (train.record_weights)",
        dims=("epoch", *_W1),
        requires=frozenset({"weights", "record"}),
        store_long_name="hidden-layer weights W1 (NaN-padded)",
    ),
    Entry(
        "W2",
        "readout weights W2",
        description="W2 at every checkpoint (train.record_weights)",
        dims=("epoch", *_W2),
        requires=frozenset({"weights", "record"}),
        store_long_name="readout weights W2 (NaN-padded)",
    ),
    Entry(
        "window_mean_W1",
        "temporal mean of W1 over the final window",
        description="mean of every W1 entry over the last train.final_window epochs",
        dims=_W1,
        requires=_WINDOW_WEIGHTS,
    ),
    Entry(
        "window_mean_W2",
        "temporal mean of W2 over the final window",
        description="mean of every W2 entry over the last train.final_window epochs",
        dims=_W2,
        requires=_WINDOW_WEIGHTS,
    ),
    Entry(
        "window_var_W1",
        "temporal variance of W1 over the final window",
        description="variance of every W1 entry over the last train.final_window epochs",
        dims=_W1,
        requires=_WINDOW_WEIGHTS,
    ),
    Entry(
        "window_var_W2",
        "temporal variance of W2 over the final window",
        description="variance of every W2 entry over the last train.final_window epochs",
        dims=_W2,
        requires=_WINDOW_WEIGHTS,
    ),
)


def _coord(name: str, long_name: str, units: str | None = None, description: str = "") -> Entry:
    return Entry(
        name,
        long_name,
        units=units,
        description=description,
        dims=None,
        dtype=None,
        datasets=frozenset(DATASETS),
    )


_FLIP_H = "flipped fraction of input neurons (D1)"
_FLIP_R = "flipped fraction of hidden neurons (D2)"
_SIZE_TRAIN = "training-set size"

#: long names (and units where meaningful) of the coordinates: the engine's (run, epoch,
#: seed, ...), the neuron dimensions, and the sweeps' usual axes (c, alpha, M, N, lr, ...)
COORDS: dict[str, Entry] = _by_name(
    _coord("run", "run index"),
    _coord("epoch", "epoch", "epochs", "checkpoint epochs (0: the initial state)"),
    _coord("seed", "seed (student init, minibatch order, random flips)"),
    _coord("task_seed", "seed of the teacher (and of the data unless data_seed is set)"),
    _coord("data_seed", "seed of the train and test inputs"),
    _coord("rule", "learning rule"),
    _coord("kind", "learning rule"),
    _coord("c", "compression ratio c = M/N", "1"),
    _coord("alpha", "flipped fraction", "1"),
    _coord("alpha_h", _FLIP_H, "1"),
    _coord("alpha_hidden", _FLIP_H, "1"),
    _coord("alpha_r", _FLIP_R, "1"),
    _coord("alpha_readout", _FLIP_R, "1"),
    _coord("n_flip_hidden", "flipped input neurons", "neurons"),
    _coord("n_flip_readout", "flipped hidden neurons", "neurons"),
    _coord("M", "input size M", "neurons"),
    _coord("N", "hidden size N", "neurons"),
    _coord("K", "output size K", "neurons"),
    _coord("input", "input neuron"),
    _coord("hidden", "hidden neuron"),
    _coord("output", "output neuron"),
    _coord("lr", "learning rate (step on the batch-mean update)", "1"),
    _coord("batch_size", "minibatch size", "examples"),
    _coord("n_train", _SIZE_TRAIN, "examples"),
    _coord("N_train", _SIZE_TRAIN, "examples"),
    _coord("n_test", "test-set size", "examples"),
    _coord("init_scale", "student init scale a", "1"),
    _coord("teacher_scale", "teacher init scale", "1"),
    _coord("epochs", "training epochs", "epochs"),
)


def entry(name: str) -> Entry:
    """The schema entry of a variable or coordinate (variables first).

    Raises:
        KeyError: ``name`` is in neither :data:`VARIABLES` nor :data:`COORDS` (the message
            names the variables).
    """
    found = VARIABLES.get(name) or COORDS.get(name)
    if found is None:
        raise KeyError(
            f"{name!r} is not in the schema (curldescent.schema); variables: {', '.join(VARIABLES)}"
        )
    return found


def attrs(name: str, *, store: bool = False) -> dict[str, str]:
    """``{"long_name": ..., "units": ...}`` of a variable or coordinate (a fresh dict; no
    ``units`` key where it has none); ``store``: as a sweep store labels it.

    Raises:
        KeyError: ``name`` is not in the schema.
    """
    return entry(name).attrs(store=store)


def reserved() -> frozenset[str]:
    """The names a sweep axis may not take: every variable a sweep store can hold, and the
    dimensions of those variables (``epoch``, ``hidden``, ``input``, ``output``)."""
    stored = [e for e in VARIABLES.values() if "sweep" in e.datasets]
    return frozenset(e.name for e in stored) | {d for e in stored for d in e.dims or ()}


def store_layout(
    lead_dims: tuple[str, ...],
    lead_shape: tuple[int, ...],
    sizes: Mapping[str, int],
    requirements: Iterable[str],
) -> dict[str, tuple[tuple[str, ...], tuple[int, ...], np.dtype]]:
    """``{name: (dims, shape, dtype)}`` of the variables a sweep store holds.

    Args:
        lead_dims, lead_shape: the swept dimensions and their lengths.
        sizes: the length of every per-point dimension (``epoch``, ``hidden``, ``input``,
            ``output``).
        requirements: those of :data:`REQUIREMENTS` that the sweep meets.
    """
    met = set(requirements)
    return {
        e.name: (
            lead_dims + e.dims,
            lead_shape + tuple(sizes[d] for d in e.dims),
            e.store_dtype,
        )
        for e in VARIABLES.values()
        if "sweep" in e.datasets and e.requires <= met
    }


def empty(
    name: str,
    dims: tuple[str, ...],
    shape: tuple[int, ...],
    *,
    chunks: tuple[int, ...] | None = None,
) -> Any:
    """An ``xarray.Variable`` of a stored variable with nothing written yet: False
    (booleans) or NaN (float64) everywhere, labelled as a sweep store labels it; a lazy
    dask array with ``chunks`` when given (nothing is allocated).

    Examples:
        >>> v = empty("final_test_error", ("c",), (3,))
        >>> v.dims, v.dtype, bool(v.isnull().all()), v.attrs["units"]
        (('c',), dtype('float64'), True, '1')
    """
    import xarray as xr

    e = entry(name)
    dtype = e.store_dtype
    fill = False if dtype.kind == "b" else np.nan
    if chunks is None:
        data = np.full(shape, fill, dtype=dtype)
    else:
        import dask.array as da

        data = da.full(shape, fill, dtype=dtype, chunks=chunks)
    return xr.Variable(dims, data, e.attrs(store=True))


def label(ds: Any, *, variables: bool = True, store: bool = False) -> Any:
    """``ds`` (an ``xarray.Dataset``) with the schema's attributes on every coordinate
    and (with ``variables``) data variable the schema names; attributes already set win.
    Modifies ``ds`` in place and returns it; ``store``: as a sweep store labels them.

    Examples:
        >>> import xarray as xr
        >>> ds = label(xr.Dataset({"q": ("c", [0.1])}, coords={"c": [1.0]}))
        >>> ds.q.attrs["long_name"], ds.c.attrs["long_name"]
        ('order parameter q over the final window (eq. 15)', 'compression ratio c = M/N')
    """
    names = list(ds.coords) + (list(ds.data_vars) if variables else [])
    for name in names:
        known = COORDS.get(name) if name in ds.coords else VARIABLES.get(name)
        if known is None:
            continue
        for key, value in known.attrs(store=store).items():
            ds.variables[name].attrs.setdefault(key, value)
    return ds
