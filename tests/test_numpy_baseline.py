"""The NumPy baseline of the authors' protocol (benchmarks/numpy_baseline.py): against a
literal per-example computation, against the package's update field, and gradient descent
at small learning rate decreasing the loss."""

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

from curldescent.network import Params
from curldescent.rules.base import Plasticity, update_direction
from curldescent.specs import NetworkSpec

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "numpy_baseline.py"
_spec = importlib.util.spec_from_file_location("numpy_baseline", _PATH)
nb = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(nb)


def _reference(W1, W2, x, y, xt, yt, d1, d2, *, lr, B, epochs, act, out_act, seed):
    """Scalar loops over examples, synapses and minibatches: the protocol written out."""
    W1 = [list(r) for r in W1]
    W2 = list(W2[0])
    N, M = len(W1), len(W1[0])
    n = len(x)
    phi = (lambda a: a) if act == "linear" else math.tanh
    dphi = (lambda a: 1.0) if act == "linear" else (lambda a: 1.0 - math.tanh(a) ** 2)
    out = phi if out_act else (lambda a: a)
    n1 = math.sqrt(sum(w * w for r in W1 for w in r))
    n2 = math.sqrt(sum(w * w for w in W2))
    eta = lr * B / n
    rng = np.random.default_rng(seed)

    def predict(xi):
        a1 = [sum(W1[i][j] * xi[j] for j in range(M)) for i in range(N)]
        return a1, out(sum(W2[i] * phi(a1[i]) for i in range(N)))

    def err(xs, ys):
        return (
            0.5 * sum((predict(xi)[1] - yi) ** 2 for xi, yi in zip(xs, ys, strict=True)) / len(xs)
        )

    errs = [(err(x, y), err(xt, yt))]
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, B):
            batch = order[start : start + B]
            g1 = [[0.0] * M for _ in range(N)]
            g2 = [0.0] * N
            for k in batch:
                a1, yhat = predict(x[k])
                e = yhat - y[k]
                for i in range(N):
                    g2[i] += e * phi(a1[i]) / len(batch)
                    for j in range(M):
                        g1[i][j] += W2[i] * e * dphi(a1[i]) * x[k][j] / len(batch)
            W1 = [[W1[i][j] - eta * g1[i][j] * d1[j] for j in range(M)] for i in range(N)]
            W2 = [W2[i] - eta * g2[i] * d2[i] for i in range(N)]
            s1 = n1 / math.sqrt(sum(w * w for r in W1 for w in r))
            s2 = n2 / math.sqrt(sum(w * w for w in W2))
            W1 = [[w * s1 for w in r] for r in W1]
            W2 = [w * s2 for w in W2]
        errs.append((err(x, y), err(xt, yt)))
    return np.array(W1), np.array([W2]), np.array(errs)


@pytest.mark.parametrize("act,out_act", [("linear", False), ("tanh", True)])
def test_matches_per_example_computation(act, out_act):
    """2 epochs, N_train = 5 with B = 2 (batches 2, 2 and a partial 1), curl flips in both
    layers, renormalisation after every step."""
    rng = np.random.default_rng(0)
    M, N = 3, 2
    task = nb.make_task(
        M, N, 5, n_test=4, rng=rng, init_scale=2.0, activation=act, output_activation=out_act
    )
    x, y = task["x_train"], task["y_train"][:, 0] + 0.1 * rng.normal(size=5)  # not realisable
    d1, d2 = nb.flip_signs(M, 1), nb.flip_signs(N, 1)
    res = nb.train_numpy(
        task["W1"],
        task["W2"],
        x,
        y,
        task["x_test"],
        task["y_test"],
        d1,
        d2,
        lr=0.5,
        batch_size=2,
        epochs=2,
        activation=act,
        output_activation=out_act,
        rng=np.random.default_rng(7),
        checkpoints=[0, 1, 2],
    )
    W1, W2, errs = _reference(
        task["W1"],
        task["W2"],
        x,
        y,
        task["x_test"],
        task["y_test"][:, 0],
        d1,
        d2,
        lr=0.5,
        B=2,
        epochs=2,
        act=act,
        out_act=out_act,
        seed=7,
    )
    np.testing.assert_allclose(res["W1"], W1, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(res["W2"], W2, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(res["train_error"], errs[:, 0], rtol=1e-12)
    np.testing.assert_allclose(res["test_error"], errs[:, 1], rtol=1e-12)
    np.testing.assert_array_equal(res["epochs"], [0, 1, 2])
    # the weights moved, norms were kept, and the inputs were not modified
    assert np.max(np.abs(res["W1"] - task["W1"])) > 1e-3
    assert np.linalg.norm(res["W1"]) == pytest.approx(np.linalg.norm(task["W1"]), rel=1e-13)
    assert res["train_error"][0] == pytest.approx(
        nb.error(task["W1"], task["W2"], x, y, activation=act, output_activation=out_act), rel=1e-14
    )


@pytest.mark.parametrize("act,out_act", [("linear", False), ("tanh", True)])
def test_full_batch_step_matches_package_update_field(act, out_act):
    """One full-batch step equals renorm(W + lr * update_direction) of the package's rule."""
    rng = np.random.default_rng(1)
    M, N = 6, 4
    task = nb.make_task(M, N, 20, rng=rng, activation=act, output_activation=out_act)
    d1, d2 = nb.flip_signs(M, 2), nb.flip_signs(N, 1)
    res = nb.train_numpy(
        task["W1"],
        task["W2"],
        task["x_train"],
        task["y_train"],
        task["x_test"],
        task["y_test"],
        d1,
        d2,
        lr=0.1,
        epochs=1,
        activation=act,
        output_activation=out_act,
    )
    net = NetworkSpec(
        M=M,
        N=N,
        activation=act,
        output_activation="hidden" if out_act else "identity",
        readout_error="raw",
    )
    p = Plasticity(np.asarray(d1), np.asarray(d2), np.ones(N), np.ones(1))
    dW = update_direction(net, p, Params(task["W1"], task["W2"]), task["x_train"], task["y_train"])
    W1 = task["W1"] + 0.1 * np.asarray(dW.W1)
    W2 = task["W2"] + 0.1 * np.asarray(dW.W2)
    W1 *= np.linalg.norm(task["W1"]) / np.linalg.norm(W1)
    W2 *= np.linalg.norm(task["W2"]) / np.linalg.norm(W2)
    np.testing.assert_allclose(res["W1"], W1, rtol=1e-12)
    np.testing.assert_allclose(res["W2"], W2, rtol=1e-12)


def test_gradient_descent_at_small_lr_decreases_loss():
    rng = np.random.default_rng(2)
    task = nb.make_task(10, 5, 50, rng=rng)
    res = nb.train_numpy(
        task["W1"],
        task["W2"],
        task["x_train"],
        task["y_train"],
        task["x_test"],
        task["y_test"],
        lr=0.05,
        epochs=60,
        renormalize=False,
        checkpoints=range(61),
    )
    tr = res["train_error"]
    assert np.all(np.diff(tr) < 0)  # monotone: exact gradient flow at a small step
    assert tr[-1] < 0.5 * tr[0]
    # minibatch SGD (reshuffled) also makes progress on average
    sgd = nb.train_numpy(
        task["W1"],
        task["W2"],
        task["x_train"],
        task["y_train"],
        task["x_test"],
        task["y_test"],
        lr=0.05,
        batch_size=10,
        epochs=60,
        renormalize=False,
        rng=np.random.default_rng(3),
        checkpoints=[0, 60],
    )
    assert sgd["train_error"][1] < 0.5 * sgd["train_error"][0]


def test_time_epochs_and_validation():
    rate = nb.time_epochs(8, 4, 30, batch_size=10, epochs=5)
    assert rate > 0 and math.isfinite(rate)
    with pytest.raises(ValueError, match="checkpoints"):
        nb.train_numpy(
            np.ones((2, 3)),
            np.ones((1, 2)),
            np.ones((4, 3)),
            np.ones(4),
            np.ones((2, 3)),
            np.ones(2),
            epochs=2,
            checkpoints=[3],
        )
