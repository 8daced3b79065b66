"""Train a two-layer network on your own data (X, y) and report its held-out error.

    python examples/own_data.py [data.npz]

The file holds arrays ``X`` (examples, features) and ``y`` (examples[, outputs]); a quarter
of the examples is held out for testing. Without a file, the example writes one: a
nonlinear regression problem no teacher network of the package generates. Prints one JSON
line: ``{"final_test_error": ..., "initial_test_error": ..., "n_train": ...}``.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np

import curldescent
from curldescent.data import Dataset
from curldescent.engine import simulate
from curldescent.specs import NetworkSpec, RunSpec, TrainSpec


def write_example_data(path: Path) -> None:
    """600 examples of y = tanh(x1 + x2) + x3·x4/2 + noise, 8 inputs."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 8)) / np.sqrt(2)
    y = np.tanh(X[:, 0] + X[:, 1]) + 0.5 * X[:, 2] * X[:, 3] + 0.05 * rng.normal(size=600)
    np.savez(path, X=X, y=y)


def main(argv: list[str]) -> dict:
    curldescent.enable_float64()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(argv[0]) if argv else Path(tmp) / "data.npz"
        if not argv:
            write_example_data(path)
        data = Dataset.load(path, test_fraction=0.25, seed=0)
    spec = RunSpec(
        network=NetworkSpec(M=data.n_inputs, N=32, K=data.n_outputs, activation="tanh"),
        task=data.task(init_scale=1.0),
        train=TrainSpec(lr=0.05, batch_size=15, epochs=150, n_checkpoints=20, renormalize=False),
        seed=0,
    )
    res = simulate(spec, data=data)
    out = {
        "final_test_error": float(res.test_error[0, -1]),
        "initial_test_error": float(res.test_error[0, 0]),
        "n_train": data.n_train,
    }
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main(sys.argv[1:])
