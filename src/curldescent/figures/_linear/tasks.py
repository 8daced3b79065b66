"""Running picklable tasks (map continuations, flows) on a sweeps executor."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


def run_tasks(fn: Callable, tasks: Sequence[Any], executor: Any = None) -> list[Any]:
    """Run ``fn`` over ``tasks`` (each with a distinct ``.index``) on a sweeps executor
    (None: in-process); results in task order; the first task that raised re-raises."""
    from curldescent.sweeps.executors import as_executor

    tasks = list(tasks)
    position = {task.index: i for i, task in enumerate(tasks)}
    if len(position) != len(tasks):
        raise ValueError("tasks need distinct .index attributes")
    ex, owned = as_executor(executor)
    results: dict[int, Any] = {}
    try:
        for task, res in ex.map_unordered(fn, tasks):
            if isinstance(res, BaseException):
                raise res
            results[position[task.index]] = res
    finally:
        if owned:
            ex.close()
    return [results[i] for i in range(len(tasks))]
