"""The command line: the replay contract, outputs, and one-line errors with exit code 2."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from curldescent.cli.main import main


def run_cli(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main([str(a) for a in args])
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


def _write_npz(path, M=12, N=8, n_train=40, n_test=15, seed=0, signs=True, **drop):
    rng = np.random.default_rng(seed)
    arrays = {
        "teacher_W1": rng.uniform(-1, 1, (N, M)) / np.sqrt(M),
        "teacher_W2": rng.uniform(-1, 1, (N,)) / np.sqrt(N),
        "student_W1": rng.uniform(-1, 1, (N, M)) / np.sqrt(M),
        "student_W2": rng.uniform(-1, 1, (1, N)) / np.sqrt(N),
        "x_train": rng.normal(0, np.sqrt(0.5), (n_train, M)),
        "x_test": rng.normal(0, np.sqrt(0.5), (n_test, M)),
    }
    if signs:
        arrays["d1"] = np.where(np.arange(M) < 3, -1.0, 1.0)
        arrays["d2"] = np.where(np.arange(N) < 2, -1.0, 1.0)
    for k in drop:
        arrays.pop(k)
    np.savez(path, **arrays)
    return arrays


def _numpy_reference(a, epochs, lr, checkpoints):
    """Plain NumPy full-batch curl descent (eq. 5) with renormalisation after every step."""
    W1, W2 = a["student_W1"].copy(), a["student_W2"].reshape(1, -1).copy()
    n1, n2 = np.linalg.norm(W1), np.linalg.norm(W2)
    tW1, tW2 = a["teacher_W1"], a["teacher_W2"].reshape(1, -1)
    X, Xt = a["x_train"], a["x_test"]
    Y, Yt = X @ tW1.T @ tW2.T, Xt @ tW1.T @ tW2.T
    D1, D2 = np.diag(a["d1"]), np.diag(a["d2"])
    test = {}
    for epoch in range(epochs + 1):
        if epoch in checkpoints:
            test[epoch] = 0.5 * np.mean((Xt @ W1.T @ W2.T - Yt) ** 2)
        if epoch == epochs:
            break
        H = X @ W1.T
        e = H @ W2.T - Y
        dW1 = -(W2.T @ e.T @ X) / len(X) @ D1
        dW2 = -(e.T @ H) / len(X) @ D2
        W1, W2 = W1 + lr * dW1, W2 + lr * dW2
        W1 *= n1 / np.linalg.norm(W1)
        W2 *= n2 / np.linalg.norm(W2)
    return test


def test_replay_matches_numpy_reference(tmp_path, capsys):
    f = tmp_path / "init.npz"
    a = _write_npz(f)
    code, out, err = run_cli(
        [
            "train",
            "--init-from",
            f,
            "--rule",
            "curl",
            "--activation",
            "linear",
            "--epochs",
            500,
            "--batch-size",
            "full",
            "--lr",
            0.1,
            "--json",
        ],
        capsys,
    )
    assert code == 0, err
    res = json.loads(out)
    for key in ("final_train_error", "final_test_error", "diverged", "epochs", "test_error"):
        assert key in res
    ref = _numpy_reference(a, 500, 0.1, set(res["epochs"]))
    got = dict(zip(res["epochs"], res["test_error"], strict=True))
    assert res["diverged"] is False
    for epoch, value in ref.items():
        assert got[epoch] == pytest.approx(value, rel=1e-10)
    assert res["final_test_error"] == pytest.approx(ref[500], rel=1e-10)


def test_replay_gradient_ignores_the_file_signs(tmp_path, capsys):
    f = tmp_path / "init.npz"
    a = _write_npz(f)
    a_plus = dict(a, d1=np.ones_like(a["d1"]), d2=np.ones_like(a["d2"]))
    code, out, _ = run_cli(
        [
            "train",
            "--init-from",
            f,
            "--rule",
            "gradient",
            "--epochs",
            50,
            "--batch-size",
            "full",
            "--lr",
            0.1,
            "--json",
        ],
        capsys,
    )
    assert code == 0
    ref = _numpy_reference(a_plus, 50, 0.1, {50})
    assert json.loads(out)["final_test_error"] == pytest.approx(ref[50], rel=1e-10)


def test_train_writes_dataset_with_provenance(tmp_path, capsys):
    out = tmp_path / "run.nc"
    code, _, err = run_cli(
        [
            "train",
            "--M",
            10,
            "--N",
            5,
            "--epochs",
            20,
            "--rule",
            "curl",
            "--alpha-readout",
            0.4,
            "--batch-size",
            5,
            "--out",
            out,
        ],
        capsys,
    )
    assert code == 0, err
    ds = xr.open_dataset(out)
    assert ds.attrs["curldescent_version"]
    spec = json.loads(ds.attrs["specs"])[0]
    assert spec["rule"]["alpha_readout"] == 0.4 and spec["train"]["batch_size"] == 5
    assert ds.test_error.attrs["long_name"]
    ds.close()
    # an existing file is never overwritten without --overwrite
    before = out.read_bytes()
    code, _, err = run_cli(["train", "--M", 10, "--N", 5, "--epochs", 5, "--out", out], capsys)
    assert code == 2 and "exists" in err
    assert out.read_bytes() == before


def test_toml_config(tmp_path, capsys):
    cfg = tmp_path / "spec.toml"
    cfg.write_text(
        'seed = 3\n[network]\nM = 9\nN = 4\n[train]\nepochs = 10\n[rule]\nkind = "curl"\nalpha_hidden = 0.5\n'
    )
    code, out, err = run_cli(["train", "--config", cfg, "--json"], capsys)
    assert code == 0, err
    spec = json.loads(out)["spec"]
    assert spec["network"]["M"] == 9 and spec["seed"] == 3 and spec["rule"]["alpha_hidden"] == 0.5


BAD = [
    (["--M", 0], "network.M must be an integer >= 1"),
    (["--N", -3], "network.N must be an integer >= 1"),
    (["--epochs", 0], "train.epochs must be an integer >= 1"),
    (["--alpha-hidden", 1.5], "rule.alpha_hidden must lie in [0, 1]"),
    (["--rule", "curl", "--alpha-readout", -0.1], "rule.alpha_readout must lie in [0, 1]"),
    (["--activation", "sigmoid"], "'sigmoid' is not one of"),
    (["--rule", "hebb"], "'hebb' is not one of"),
    (["--lr", "nan"], "--lr must be a finite number > 0"),
    (["--lr", "inf"], "--lr must be a finite number > 0"),
    (["--lr", -1], "--lr must be a finite number > 0"),
    (["--batch-size", "abc"], "--batch-size must be a positive integer or 'full'"),
    (["--batch-size", 0], "--batch-size must be a positive integer or 'full'"),
    (["--n-train", 0], "task.n_train must be an integer >= 1"),
    (["--lr-scale", "weird"], "train.lr_scale must be one of per_step, per_epoch"),
]


@pytest.mark.parametrize(("args", "message"), BAD)
def test_bad_flags(args, message, tmp_path, capsys):
    out = tmp_path / "never.nc"
    code, stdout, err = run_cli(
        ["train", "--epochs", 2, "--M", 4, "--N", 3, *args, "--out", out], capsys
    )
    assert code == 2
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("drop", "shape_change", "message"),
    [
        ({"x_test": True}, None, "missing arrays: x_test"),
        ({}, ("student_W1", (5, 5)), "student_W1 must have shape"),
        ({}, ("x_train", (10, 3)), "x_train must have shape"),
        ({}, ("d1", "bad"), "d1 must be a vector of 12 entries, each +1 or -1"),
    ],
)
def test_bad_npz(tmp_path, capsys, drop, shape_change, message):
    f = tmp_path / "init.npz"
    a = _write_npz(f, **drop)
    if shape_change:
        name, shape = shape_change
        a[name] = np.full(12, 0.5) if shape == "bad" else np.zeros(shape)
        np.savez(f, **a)
    code, _, err = run_cli(["train", "--init-from", f, "--epochs", 2], capsys)
    assert code == 2 and message in err, err


def test_bad_npz_file_and_toml(tmp_path, capsys):
    junk = tmp_path / "junk.npz"
    junk.write_text("not a zip")
    code, _, err = run_cli(["train", "--init-from", junk], capsys)
    assert code == 2 and "not a readable .npz" in err
    code, _, err = run_cli(["train", "--init-from", tmp_path / "missing.npz"], capsys)
    assert code == 2 and "not found" in err
    cfg = tmp_path / "spec.toml"
    cfg.write_text("[network]\nM = 9\nwidth = 4\n")
    code, _, err = run_cli(["train", "--config", cfg], capsys)
    assert code == 2 and "unknown key network.width" in err and "allowed keys" in err
    cfg.write_text("[netwrk]\nM = 9\n")
    code, _, err = run_cli(["train", "--config", cfg], capsys)
    assert code == 2 and "unknown key netwrk" in err


def test_real_entry_point_one_line_error():
    exe = Path(sys.executable).with_name("curldescent")
    proc = subprocess.run(
        [str(exe), "train", "--alpha-hidden", "2"],
        capture_output=True,
        text=True,
        env={**os.environ},
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == "error: rule.alpha_hidden must lie in [0, 1] (got 2.0)"
    assert proc.stdout == ""
