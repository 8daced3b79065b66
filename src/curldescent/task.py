r"""Student–teacher tasks: teacher, data and initial student weights from explicit keys,
or explicit initial conditions read from an ``.npz`` file.

Keys are split by purpose from the run's seeds (never from a position in a batch):
``task_seed`` → teacher; ``data_seed`` (default: the task seed) → (train inputs, test
inputs); ``seed`` → (student, minibatch order, rule). Runs that differ only in their
learning rule therefore share teacher, data, initial weights and minibatch order.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import NamedTuple

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from curldescent.network import Params, predict
from curldescent.specs import NetworkSpec, RunSpec, SpecError, TaskSpec

# fold_in tags, one per purpose
TEACHER, X_TRAIN, X_TEST, STUDENT, SHUFFLE, RULE = range(6)


class InitialState(NamedTuple):
    """Everything a run starts from: student weights, teacher and data."""

    params: Params
    teacher: Params
    x_train: jnp.ndarray  # (n_train, M)
    y_train: jnp.ndarray  # (n_train, K)
    x_test: jnp.ndarray  # (n_test, M)
    y_test: jnp.ndarray  # (n_test, K)


@jax.jit
def _keys_from_seeds(
    seeds: jnp.ndarray, task_seeds: jnp.ndarray, data_seeds: jnp.ndarray
) -> dict[str, jnp.ndarray]:
    def one(seed, task_seed, data_seed):
        run_key = jr.PRNGKey(seed)
        return {
            "task": jr.PRNGKey(task_seed),
            "data": jr.PRNGKey(data_seed),
            "student": jr.fold_in(run_key, STUDENT),
            "shuffle": jr.fold_in(run_key, SHUFFLE),
            "rule": jr.fold_in(run_key, RULE),
        }

    return jax.vmap(one)(seeds, task_seeds, data_seeds)


def batch_run_keys(specs: list[RunSpec]) -> dict[str, jnp.ndarray]:
    """Purpose-split PRNG keys of many runs, stacked (R, 2): ``task`` from ``task_seed``,
    ``data`` from ``data_seed``; ``student``, ``shuffle`` and ``rule`` folded from ``seed``.
    One vectorised call."""
    seeds = np.asarray([s.seed for s in specs])
    task_seeds = np.asarray([s.effective_task_seed for s in specs])
    data_seeds = np.asarray([s.effective_data_seed for s in specs])
    return _keys_from_seeds(seeds, task_seeds, data_seeds)


def run_keys(spec: RunSpec) -> dict[str, jnp.ndarray]:
    """Purpose-split PRNG keys of one run (raw uint32 keys, stackable across runs)."""
    return {k: v[0] for k, v in batch_run_keys([spec]).items()}


def _weights(key, family: str, shape: tuple[int, int], scale, dtype) -> jnp.ndarray:
    """Fan-in scaled weights: U(−a/√fan_in, a/√fan_in) or N(0, (a/√fan_in)²)."""
    bound = scale / jnp.sqrt(shape[1])
    if family == "uniform":
        return jr.uniform(key, shape, dtype, -1.0, 1.0) * bound
    return jr.normal(key, shape, dtype) * bound


def sample_initial_state(
    network: NetworkSpec,
    task: TaskSpec,
    task_key: jnp.ndarray,
    data_key: jnp.ndarray,
    student_key: jnp.ndarray,
    *,
    teacher_scale,
    init_scale,
    input_std,
    perturb_W1,
    perturb_W2,
    dtype=jnp.float64,
) -> InitialState:
    """Sample teacher, data and student for one run (pure; vmappable over keys and scales).

    The teacher comes from ``task_key``, the inputs from ``data_key`` (the same key as
    ``task_key`` unless the run sets ``data_seed``), the student from ``student_key``.

    ``network`` and ``task`` supply the static structure (sizes, families, start mode);
    the scalar keyword arguments are array leaves so runs with different scales batch.
    """
    M, N, K = network.M, network.N, network.K
    kt1, kt2 = jr.split(jr.fold_in(task_key, TEACHER))
    W1t = _weights(kt1, task.teacher_init, (N, M), teacher_scale, dtype)
    W2t = _weights(kt2, task.teacher_init, (K, N), teacher_scale, dtype)
    if task.normalize_teacher:
        W1t = W1t * jnp.sqrt(N) / jnp.linalg.norm(W1t)
        W2t = W2t / jnp.linalg.norm(W2t)
    teacher = Params(W1t, W2t)
    x_train = jr.normal(jr.fold_in(data_key, X_TRAIN), (task.n_train, M), dtype) * input_std
    x_test = jr.normal(jr.fold_in(data_key, X_TEST), (task.n_test, M), dtype) * input_std
    if task.start == "teacher":
        student = Params(W1t + perturb_W1, W2t + perturb_W2)
    else:
        ks1, ks2 = jr.split(student_key)
        student = Params(
            _weights(ks1, task.init, (N, M), init_scale, dtype),
            _weights(ks2, task.init, (K, N), init_scale, dtype),
        )
    return InitialState(
        student,
        teacher,
        x_train,
        predict(network, teacher, x_train),
        x_test,
        predict(network, teacher, x_test),
    )


NPZ_ARRAYS = ("teacher_W1", "teacher_W2", "student_W1", "student_W2", "x_train", "x_test")


def file_digest(path: str | Path) -> str:
    """sha256 of a file (provenance of explicit initial conditions)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_initial_conditions(
    path: str | Path,
) -> tuple[dict[str, np.ndarray], np.ndarray | None, np.ndarray | None]:
    """Read and validate an ``.npz`` of explicit initial conditions.

    Required arrays: ``teacher_W1`` (N, M), ``teacher_W2`` (K, N) or (N,), ``student_W1``
    (N, M), ``student_W2`` like ``teacher_W2``, ``x_train`` (n_train, M), ``x_test``
    (n_test, M). Optional: ``d1`` (M,), ``d2`` (N,) presynaptic signs (default all +1).

    Returns:
        (arrays, d1, d2) with W2 arrays reshaped to (K, N).

    Raises:
        SpecError: missing file or arrays, inconsistent shapes, non-finite values, signs
            other than ±1.
    """
    path = Path(path)
    if path.is_dir():
        raise SpecError(f"initial-conditions file {path} is a folder; give an .npz file")
    if not path.is_file():
        raise SpecError(f"initial-conditions file not found: {path}")
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: np.asarray(z[k], dtype=np.float64) for k in z.files}
    except Exception as exc:  # zip/format errors of a foreign file
        raise SpecError(f"{path} is not a readable .npz file ({type(exc).__name__})") from None
    missing = [k for k in NPZ_ARRAYS if k not in data]
    if missing:
        raise SpecError(
            f"{path} is missing arrays: {', '.join(missing)} (required: {', '.join(NPZ_ARRAYS)})"
        )
    for k in ("teacher_W2", "student_W2"):
        if data[k].ndim not in (1, 2):
            raise SpecError(
                f"{k} must be a 1-D (N,) or 2-D (K, N) array (got shape {data[k].shape})"
            )
        if data[k].ndim == 1:
            data[k] = data[k][None, :]
    N, M = data["teacher_W1"].shape if data["teacher_W1"].ndim == 2 else (None, None)
    if N is None:
        raise SpecError(
            f"teacher_W1 must be a 2-D array (N, M) (got shape {data['teacher_W1'].shape})"
        )
    K = data["teacher_W2"].shape[0]
    expected = {
        "teacher_W1": (N, M),
        "student_W1": (N, M),
        "teacher_W2": (K, N),
        "student_W2": (K, N),
    }
    for k, shape in expected.items():
        if data[k].shape != shape:
            raise SpecError(
                f"{k} must have shape {shape} to match teacher_W1 {(N, M)} (got {data[k].shape})"
            )
    for k in ("x_train", "x_test"):
        if data[k].ndim != 2 or data[k].shape[1] != M or data[k].shape[0] < 1:
            raise SpecError(f"{k} must have shape (n, {M}) with n >= 1 (got {data[k].shape})")
    for k, v in data.items():
        if not np.all(np.isfinite(v)):
            raise SpecError(f"{k} contains non-finite values")
    signs = []
    for k, n in (("d1", M), ("d2", N)):
        v = data.get(k)
        if v is not None:
            v = v.reshape(-1)
            if v.shape != (n,) or not np.all(np.isin(v, (-1.0, 1.0))):
                raise SpecError(f"{k} must be a vector of {n} entries, each +1 or -1")
        signs.append(v)
    return data, signs[0], signs[1]


def initial_state_from_arrays(network: NetworkSpec, data: dict[str, np.ndarray]) -> InitialState:
    """Build the initial state from validated explicit arrays (targets from the teacher)."""
    teacher = Params(jnp.asarray(data["teacher_W1"]), jnp.asarray(data["teacher_W2"]))
    x_train, x_test = jnp.asarray(data["x_train"]), jnp.asarray(data["x_test"])
    student = Params(jnp.asarray(data["student_W1"]), jnp.asarray(data["student_W2"]))
    return InitialState(
        student,
        teacher,
        x_train,
        predict(network, teacher, x_train),
        x_test,
        predict(network, teacher, x_test),
    )


def network_from_arrays(data: dict[str, np.ndarray], **kwargs) -> NetworkSpec:
    """The NetworkSpec implied by explicit arrays (sizes), with other fields from kwargs."""
    N, M = data["teacher_W1"].shape
    return NetworkSpec(M=M, N=N, K=data["teacher_W2"].shape[0], **kwargs)


def stack(states: list) -> object:
    """Stack a list of equal-structure pytrees along a new leading axis."""
    return jax.tree_util.tree_map(lambda *xs: jnp.stack(xs), *states)
