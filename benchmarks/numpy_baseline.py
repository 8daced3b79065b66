r"""Plain-NumPy baseline of the authors' training protocol (``docs/protocol.md``).

This is the reference the package's JAX engine is benchmarked (and checked) against: one
run at a time, float64, per-step matrix products, exactly the way the authors' scripts
train (no sufficient-statistics shortcuts, no batching of runs).

Model and rule (paper Section 3, eq. 5; ``docs/protocol.md`` "Training"):

.. math::

    h = \varphi(W_1 x),\quad \hat y = \varphi_{out}(W_2 h),\quad e = \hat y - y,\quad
    \delta_1 = (W_2^\top e)\odot\varphi'(W_1 x),

    \Delta W_1 = -\eta\,\langle \delta_1 x^\top\rangle_{b}\,D_1,\qquad
    \Delta W_2 = -\eta\,\langle e\,h^\top\rangle_{b}\,D_2,

with :math:`W_1` (N×M), :math:`W_2` (K×N, K = 1), :math:`\langle\cdot\rangle_b` the mean over
the minibatch, :math:`D_1 = \mathrm{diag}(d_1)` and :math:`D_2 = \mathrm{diag}(d_2)` the
presynaptic (column) signs (−1 on the first k inputs / hidden units for curl descent, all
+1 for gradient descent). :math:`\varphi_{out}` is the identity, or — for nonlinear networks
in the authors' protocol (``output_activation=True``) — :math:`\varphi` itself, with **no**
:math:`\varphi'` factor at the output (so "GD" there is not the exact gradient of the MSE).

Conventions (keep them when comparing with the engine):

* error = ½·mean over examples of :math:`\lVert\hat y - y\rVert^2`;
* learning rate: with ``lr_scale="per_epoch"`` (default, the authors' protocol) each step
  applies :math:`\eta = \mathrm{lr}\cdot B/N_{train}` to the batch-**mean** update (B the
  nominal batch size), so one epoch ≈ lr × the full-batch mean update; full batch: η = lr.
  ``lr_scale="per_step"`` uses η = lr literally;
* minibatches: at the start of every epoch ``order = rng.permutation(N_train)``, batches
  are ``order[0:B], order[B:2B], ...``; a last partial batch (N_train % B ≠ 0) is used with
  its own mean and the same η. Full batch (``batch_size`` None or ≥ N_train) draws nothing
  from ``rng`` and uses the training set in its stored order;
* after **every** update, if ``renormalize``: :math:`W_l \leftarrow W_l\cdot(\lVert W_l^{(0)}
  \rVert_F/\lVert W_l\rVert_F)`, the Frobenius norms at the start of training;
* checkpoint epochs are counted after the epoch's last update; epoch 0 is the initial state.

Initialisation (``make_task``): fan-in uniform U(−a/√fan_in, a/√fan_in), inputs N(0, ½).

Threads: BLAS runs single-threaded so the baseline is "one CPU core" for every workload.
When this file is **run as a script** it sets ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``
and ``MKL_NUM_THREADS`` to 1 before NumPy is imported. When it is **imported**, NumPy may
already be loaded and its BLAS pool sized; set those variables in the environment of the
process (``tests/conftest.py`` does for OMP/OpenBLAS) before importing NumPy.

Usage::

    python benchmarks/numpy_baseline.py --workload fig4 --epochs 200
    python benchmarks/numpy_baseline.py --M 100 --N 10 --n-train 2000 --batch-size 10 \
        --activation tanh --output-activation --k-readout 1 --epochs 5
"""

from __future__ import annotations

import os

if __name__ == "__main__":  # before NumPy is imported: one BLAS thread
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = "1"

import argparse
import json
import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "WORKLOADS",
    "error",
    "flip_signs",
    "make_task",
    "time_epochs",
    "train_numpy",
]


def _activation(name: str):
    """``(phi, phi_prime)`` for ``linear``, ``tanh`` or ``relu``."""
    if name == "linear":
        return (lambda a: a), None  # phi' = 1: no product needed
    if name == "tanh":
        return np.tanh, (lambda a: 1.0 - np.tanh(a) ** 2)
    if name == "relu":
        return (lambda a: np.maximum(a, 0.0)), (lambda a: (a > 0).astype(a.dtype))
    raise ValueError(f"activation must be linear, tanh or relu (got {name!r})")


def flip_signs(size: int, k: int) -> np.ndarray:
    """Diagonal of D: −1 on the first ``k`` of ``size`` neurons, +1 elsewhere (float64)."""
    if not 0 <= k <= size:
        raise ValueError(f"k must lie in [0, {size}] (got {k})")
    d = np.ones(size)
    d[:k] = -1.0
    return d


def _forward(W1, W2, x, phi, out_phi):
    a1 = x @ W1.T
    h = phi(a1)
    a2 = h @ W2.T
    return a1, h, out_phi(a2)


def error(
    W1: np.ndarray,
    W2: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    *,
    activation: str = "linear",
    output_activation: bool = False,
) -> float:
    r"""½·mean over examples of :math:`\lVert\hat y - y\rVert^2`."""
    phi, _ = _activation(activation)
    out_phi = phi if output_activation else (lambda a: a)
    _, _, yhat = _forward(W1, W2, x, phi, out_phi)
    e = yhat - y.reshape(yhat.shape)
    return float(0.5 * np.mean(np.sum(e * e, axis=1)))


def make_task(
    M: int,
    N: int,
    n_train: int,
    *,
    rng: np.random.Generator,
    n_test: int = 100,
    teacher_scale: float = 1.0,
    init_scale: float = 1.0,
    input_std: float = 1.0 / math.sqrt(2.0),
    activation: str = "linear",
    output_activation: bool = False,
) -> dict[str, np.ndarray]:
    r"""A student–teacher task of the protocol: teacher and student W1 ~ U(±a/√M),
    W2 ~ U(±a/√N) (a = ``teacher_scale`` / ``init_scale``), inputs N(0, ``input_std``²),
    targets from the teacher (same architecture). Draw order: teacher W1, W2, student W1, W2,
    x_train, x_test.

    Returns:
        dict with ``W1`` (N, M), ``W2`` (1, N) (student), ``teacher_W1``, ``teacher_W2``,
        ``x_train`` (n_train, M), ``y_train`` (n_train, 1), ``x_test``, ``y_test``.
    """

    def uniform(shape, a):
        bound = a / math.sqrt(shape[1])
        return rng.uniform(-bound, bound, size=shape)

    tW1, tW2 = uniform((N, M), teacher_scale), uniform((1, N), teacher_scale)
    W1, W2 = uniform((N, M), init_scale), uniform((1, N), init_scale)
    x_train = input_std * rng.standard_normal((n_train, M))
    x_test = input_std * rng.standard_normal((n_test, M))
    phi, _ = _activation(activation)
    out_phi = phi if output_activation else (lambda a: a)
    y_train = _forward(tW1, tW2, x_train, phi, out_phi)[2]
    y_test = _forward(tW1, tW2, x_test, phi, out_phi)[2]
    return dict(
        W1=W1,
        W2=W2,
        teacher_W1=tW1,
        teacher_W2=tW2,
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
    )


def train_numpy(
    W1: np.ndarray,
    W2: np.ndarray,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    d1: np.ndarray | None = None,
    d2: np.ndarray | None = None,
    *,
    lr: float = 0.1,
    lr_scale: str = "per_epoch",
    batch_size: int | None = None,
    epochs: int,
    activation: str = "linear",
    output_activation: bool = False,
    renormalize: bool = True,
    rng: np.random.Generator | None = None,
    checkpoints: Sequence[int] | None = None,
) -> dict[str, Any]:
    r"""Train one student with the authors' protocol (see the module docstring).

    Args:
        W1, W2: initial student weights, (N, M) and (K, N); copied, never modified.
        x_train, y_train: training inputs (n, M) and targets (n, K) or (n,).
        x_test, y_test: test inputs and targets.
        d1, d2: presynaptic signs, (M,) and (N,) (default all +1: gradient descent);
            see :func:`flip_signs`.
        lr: learning rate (0.1 in the protocol); see ``lr_scale``.
        lr_scale: ``per_epoch`` (step η = lr·B/N_train, default) or ``per_step`` (η = lr).
        batch_size: minibatch size B; ``None`` (or ≥ N_train) for full batch.
        epochs: number of epochs.
        activation: hidden nonlinearity (``linear``, ``tanh``, ``relu``).
        output_activation: apply the nonlinearity at the output too (authors' nonlinear
            protocol; the error signal has no φ′ at the output).
        renormalize: rescale W1 and W2 to their initial Frobenius norms after every update.
        rng: NumPy generator for the minibatch order (default ``np.random.default_rng(0)``).
        checkpoints: epochs (0..epochs) at which to record the errors; default
            ``[epochs]``; ``[]`` records nothing (timing).

    Returns:
        dict with ``epochs`` (the checkpoint epochs, int array), ``train_error`` and
        ``test_error`` (float arrays at those epochs), and the final ``W1``, ``W2``.
    """
    if lr_scale not in ("per_epoch", "per_step"):
        raise ValueError(f"lr_scale must be per_epoch or per_step (got {lr_scale!r})")
    W1 = np.array(W1, dtype=np.float64, copy=True)
    W2 = np.array(W2, dtype=np.float64, copy=True)
    x = np.asarray(x_train, dtype=np.float64)
    n = x.shape[0]
    K = W2.shape[0]
    y = np.asarray(y_train, dtype=np.float64).reshape(n, K)
    xt = np.asarray(x_test, dtype=np.float64)
    yt = np.asarray(y_test, dtype=np.float64).reshape(xt.shape[0], K)
    d1 = np.ones(W1.shape[1]) if d1 is None else np.asarray(d1, dtype=np.float64)
    d2 = np.ones(W2.shape[1]) if d2 is None else np.asarray(d2, dtype=np.float64)
    rng = np.random.default_rng(0) if rng is None else rng
    full = batch_size is None or batch_size >= n
    B = n if full else int(batch_size)
    eta = lr * B / n if lr_scale == "per_epoch" else lr
    phi, dphi = _activation(activation)
    out_phi = phi if output_activation else (lambda a: a)
    norm1, norm2 = np.linalg.norm(W1), np.linalg.norm(W2)

    ckpts = np.asarray(
        sorted(set(int(c) for c in ([epochs] if checkpoints is None else checkpoints))), dtype=int
    )
    if ckpts.size and (ckpts[0] < 0 or ckpts[-1] > epochs):
        raise ValueError(f"checkpoints must lie in [0, {epochs}]")
    train_err = np.full(ckpts.size, np.nan)
    test_err = np.full(ckpts.size, np.nan)
    slot = {int(c): i for i, c in enumerate(ckpts)}

    def record(epoch: int) -> None:
        i = slot.get(epoch)
        if i is not None:
            for xs, ys, out in ((x, y, train_err), (xt, yt, test_err)):
                e = _forward(W1, W2, xs, phi, out_phi)[2] - ys
                out[i] = 0.5 * np.mean(np.sum(e * e, axis=1))

    with np.errstate(over="ignore", invalid="ignore"):
        record(0)
        for epoch in range(1, epochs + 1):
            order = None if full else rng.permutation(n)
            for start in range(0, n, B):
                if full:
                    xb, yb = x, y
                else:
                    idx = order[start : start + B]
                    xb, yb = x[idx], y[idx]
                b = xb.shape[0]
                a1 = xb @ W1.T  # (b, N)
                h = phi(a1)
                e = out_phi(h @ W2.T) - yb  # (b, K): no phi' at the output
                delta1 = e @ W2  # (b, N)
                if dphi is not None:
                    delta1 = delta1 * dphi(a1)
                gW2 = (e.T @ h) / b  # <e h^T>
                gW1 = (delta1.T @ xb) / b  # <delta1 x^T>
                W1 -= eta * (gW1 * d1[None, :])
                W2 -= eta * (gW2 * d2[None, :])
                if renormalize:
                    W1 *= norm1 / np.linalg.norm(W1)
                    W2 *= norm2 / np.linalg.norm(W2)
            record(epoch)
    return dict(epochs=ckpts, train_error=train_err, test_error=test_err, W1=W1, W2=W2)


# Named workloads of the paper's figures (docs/protocol.md): sizes, batch, nonlinearity, flips.
WORKLOADS: dict[str, dict[str, Any]] = {
    # Fig. 4 / 8 (readout flips, full batch): c = 1, alpha_r = 0.6
    "fig4": dict(
        M=110, N=110, n_train=250, batch_size=None, activation="linear", k_hidden=0, k_readout=66
    ),
    # Fig. 3a / 6 (hidden flips, batch 10): c = 0.8, alpha_h = 0.6
    "fig3a": dict(
        M=97, N=122, n_train=250, batch_size=10, activation="linear", k_hidden=58, k_readout=0
    ),
    # Fig. 5 (tanh, one flipped readout neuron, N_train = 2000, batch 10)
    "fig5": dict(
        M=100,
        N=10,
        n_train=2000,
        batch_size=10,
        activation="tanh",
        output_activation=True,
        k_hidden=0,
        k_readout=1,
        init_scale=2.0,
    ),
}


def time_epochs(
    M: int = 110,
    N: int = 110,
    n_train: int = 250,
    *,
    batch_size: int | None = None,
    epochs: int = 100,
    activation: str = "linear",
    output_activation: bool = False,
    k_hidden: int = 0,
    k_readout: int = 0,
    init_scale: float = 1.0,
    seed: int = 0,
) -> float:
    """Throughput of the baseline on one workload, in run-epochs per second.

    Builds a protocol task (:func:`make_task`) and times :func:`train_numpy` over
    ``epochs`` epochs (no checkpoints recorded) with ``time.perf_counter``.
    """
    rng = np.random.default_rng(seed)
    task = make_task(
        M,
        N,
        n_train,
        rng=rng,
        init_scale=init_scale,
        activation=activation,
        output_activation=output_activation,
    )
    args = (
        task["W1"],
        task["W2"],
        task["x_train"],
        task["y_train"],
        task["x_test"],
        task["y_test"],
        flip_signs(M, k_hidden),
        flip_signs(N, k_readout),
    )
    kwargs = dict(
        batch_size=batch_size,
        activation=activation,
        output_activation=output_activation,
        rng=rng,
        checkpoints=[],
    )
    train_numpy(*args, epochs=1, **kwargs)  # warm caches
    t0 = time.perf_counter()
    train_numpy(*args, epochs=epochs, **kwargs)
    return epochs / (time.perf_counter() - t0)


def _main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workload", choices=sorted(WORKLOADS), help="a named paper workload")
    p.add_argument("--M", type=int, default=110)
    p.add_argument("--N", type=int, default=110)
    p.add_argument("--n-train", type=int, default=250)
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--activation", default="linear", choices=("linear", "tanh", "relu"))
    p.add_argument("--output-activation", action="store_true")
    p.add_argument("--k-hidden", type=int, default=0)
    p.add_argument("--k-readout", type=int, default=0)
    p.add_argument("--init-scale", type=float, default=1.0)
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    work = dict(
        M=a.M,
        N=a.N,
        n_train=a.n_train,
        batch_size=a.batch_size,
        activation=a.activation,
        output_activation=a.output_activation,
        k_hidden=a.k_hidden,
        k_readout=a.k_readout,
        init_scale=a.init_scale,
    )
    if a.workload:
        work.update(WORKLOADS[a.workload])
    rate = time_epochs(**work, epochs=a.epochs, seed=a.seed)
    threads = {
        v: os.environ.get(v) for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    }
    print(
        json.dumps(
            dict(
                workload=a.workload,
                **work,
                epochs=a.epochs,
                epochs_per_second=rate,
                numpy=np.__version__,
                blas_threads=threads,
            )
        )
    )


if __name__ == "__main__":
    _main()
