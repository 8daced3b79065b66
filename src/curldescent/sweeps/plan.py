r"""Planning: partition a sweep's grid into batches of shape-compatible runs.

The engine runs a batch as one vmapped, jitted program, so every run of a batch must share
:func:`curldescent.engine.shape_key` (sizes, schedule, rule kind). The plan

1. classifies each axis as a **shape axis** (moving along it changes the shape key
   somewhere in the grid: ``c``, ``n_train``, ``rule``, ``batch_size``, ...) or a **value
   axis** (only array leaves change: α, seeds, scales, learning rate, ...);
2. chooses a batch extent per axis: 1 along shape axes; along value axes, from the
   innermost outwards, as many points as fit in ``B`` runs, where

   .. math:: B = \min\bigl(\texttt{max\_batch},\ \lfloor \texttt{memory\_budget} / \max_p \text{bytes}(p)\rfloor\bigr)

   and bytes(p) estimates one run's host memory (data, weights, recorded trajectories);
   an axis longer than what is left is split into near-equal pieces;
3. tiles the grid with these boxes: batch ``b`` is the ``b``-th box in C order.

Every box is a hyperrectangle of the grid that holds runs of one shape key, and the boxes
are exactly the chunks of the store's arrays, so each batch writes its own chunks and no
two batches ever touch the same file. The partition is a deterministic function of the
spec alone (never of the machine, executor or worker count).

Examples:
    >>> from curldescent.sweeps.spec import SweepSpec, Axis
    >>> from curldescent.specs import RunSpec, NetworkSpec, RuleSpec
    >>> sweep = SweepSpec(base=RunSpec(network=NetworkSpec(M=8, N=4), rule=RuleSpec(kind="curl")),
    ...                   axes=(Axis("rule", ["gradient", "curl"]), Axis("seed", range(10))), max_batch=4)
    >>> plan = plan_sweep(sweep)
    >>> plan.shape_axes, plan.batch_shape, len(plan.batches)
    ((True, False), (1, 4), 6)
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from curldescent.limits import run_bytes
from curldescent.specs import RunSpec, SpecError
from curldescent.sweeps.spec import SweepSpec

__all__ = ["Batch", "Plan", "plan_sweep", "run_bytes"]


@dataclass(frozen=True)
class Batch:
    """One batch: the box ``[start, stop)`` of the grid (one pair per axis)."""

    index: int
    start: tuple[int, ...]
    stop: tuple[int, ...]

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(b - a for a, b in zip(self.start, self.stop, strict=True))

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def slices(self) -> tuple[slice, ...]:
        return tuple(slice(a, b) for a, b in zip(self.start, self.stop, strict=True))

    def indices(self) -> Iterator[tuple[int, ...]]:
        """Grid indices of the batch's points, in C order."""
        for local in np.ndindex(*self.shape):
            yield tuple(a + i for a, i in zip(self.start, local, strict=True))


def checkpoint_grid(spec: RunSpec) -> np.ndarray:
    """The checkpoint epochs of one run (see :func:`curldescent.engine.checkpoint_epochs`)."""
    from curldescent.engine import checkpoint_epochs

    t = spec.train
    return checkpoint_epochs(t.epochs, t.n_checkpoints, t.final_window)


@dataclass(frozen=True, eq=False)
class Plan:
    """A sweep's partition into batches, and what the store needs to know about it.

    Attributes:
        spec: the sweep.
        shape_axes: per axis, whether moving along it changes the shape key.
        batch_shape: the batch (= store chunk) extent per axis.
        batches: the batches, in C order of the chunk grid.
        epochs: the union of all points' checkpoint epochs (the dataset's epoch axis).
        sizes: the largest (M, N, K) over the grid (weights are padded to these).
        specs: every point's RunSpec, flat in C order.
    """

    spec: SweepSpec
    shape_axes: tuple[bool, ...]
    batch_shape: tuple[int, ...]
    batches: tuple[Batch, ...]
    epochs: np.ndarray
    sizes: tuple[int, int, int]
    specs: tuple[RunSpec, ...] = field(repr=False)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.spec.shape

    @property
    def n_points(self) -> int:
        return self.spec.size

    def flat(self, index: tuple[int, ...]) -> int:
        return int(np.ravel_multi_index(index, self.shape)) if self.shape else 0

    def batch_specs(self, batch: Batch) -> list[RunSpec]:
        """The RunSpecs of a batch's points, in C order of its box."""
        return [self.specs[self.flat(idx)] for idx in batch.indices()]

    def partition(self) -> tuple[tuple[int, ...], ...]:
        """The batches as tuples of flat point indices (for comparing partitions)."""
        return tuple(tuple(self.flat(idx) for idx in b.indices()) for b in self.batches)


def _batch_shape(shape: tuple[int, ...], shape_axes: tuple[bool, ...], B: int) -> tuple[int, ...]:
    out = [1] * len(shape)
    remaining = B
    for a in reversed(range(len(shape))):
        if shape_axes[a] or remaining <= 1:
            continue
        n = shape[a]
        if n <= remaining:
            out[a] = n
            remaining //= n
        else:
            pieces = math.ceil(n / remaining)
            out[a] = math.ceil(n / pieces)
            remaining = 1
    return tuple(out)


def plan_sweep(spec: SweepSpec) -> Plan:
    """Partition ``spec``'s grid into batches (see the module docstring).

    Validates every grid point first: an invalid point raises before any work starts.

    Raises:
        SpecError: an invalid grid point (the message names the point and the field).
    """
    from curldescent.engine import shape_key

    specs = spec.point_specs()
    shape = spec.shape
    key_ids: dict[tuple, int] = {}
    ids = np.array(
        [key_ids.setdefault(shape_key(s), len(key_ids)) for s in specs], dtype=np.int64
    ).reshape(shape)
    shape_axes = tuple(bool(np.any(np.diff(ids, axis=a) != 0)) for a in range(len(shape)))

    grids: dict[tuple[int, int, int], np.ndarray] = {}
    for s in specs:
        t = s.train
        k = (t.epochs, t.n_checkpoints, t.final_window)
        if k not in grids:
            grids[k] = checkpoint_grid(s)
    epochs = np.unique(np.concatenate(list(grids.values())))
    max_T = max(len(g) for g in grids.values())
    per_run = max(run_bytes(s, max_T) for s in _representatives(specs, ids))
    B = max(1, min(spec.max_batch, int(spec.memory_budget_mb * 2**20 // per_run)))
    bshape = _batch_shape(shape, shape_axes, B)

    n_chunks = tuple(math.ceil(n / b) for n, b in zip(shape, bshape, strict=True))
    batches = []
    for b, ci in enumerate(np.ndindex(*n_chunks)):
        start = tuple(int(i * s) for i, s in zip(ci, bshape, strict=True))
        stop = tuple(min(a + s, n) for a, s, n in zip(start, bshape, shape, strict=True))
        batches.append(Batch(b, start, stop))
    for batch in batches:  # by construction; cheap insurance for the engine's contract
        if len({int(ids[idx]) for idx in batch.indices()}) != 1:  # pragma: no cover
            raise SpecError(f"internal error: batch {batch.index} mixes shape keys")
    sizes = (
        max(s.network.M for s in specs),
        max(s.network.N for s in specs),
        max(s.network.K for s in specs),
    )
    return Plan(spec, shape_axes, bshape, tuple(batches), epochs, sizes, tuple(specs))


def _representatives(specs: list[RunSpec], ids: np.ndarray) -> list[RunSpec]:
    """One spec per shape key (memory depends only on shapes)."""
    first: dict[int, RunSpec] = {}
    for s, i in zip(specs, ids.ravel().tolist(), strict=True):
        first.setdefault(i, s)
    return list(first.values())
