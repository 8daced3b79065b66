"""``curldescent train --data``: the user's own (X, y) from .npz or netCDF, the same run as
the library's ``simulate(spec, data=Dataset(...))``, provenance, and one-line errors."""

import hashlib
import json

import numpy as np
import pytest
import xarray as xr

from curldescent.cli.main import main
from curldescent.data import Dataset
from curldescent.engine import simulate
from curldescent.presets import preset_spec

ARGS = ["--N", "5", "--epochs", "30", "--checkpoints", "5", "--seed", "3", "--json"]


def run_cli(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main([str(a) for a in args])
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


def _arrays(n=40, M=4):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, M))
    return X, np.stack([np.tanh(X[:, 0] + X[:, 1]), X[:, 2] * X[:, 3]], axis=1)


def _library_run(x_train, y_train, x_test, y_test):
    """The same run through the library: the default preset with the CLI's settings."""
    data = Dataset(x_train, y_train, x_test, y_test)
    spec = preset_spec("default").replace(
        **{
            "network.M": 4,
            "network.N": 5,
            "network.K": 2,
            "task.n_train": data.n_train,
            "task.n_test": data.n_test,
            "train.epochs": 30,
            "train.n_checkpoints": 5,
            "seed": 3,
        }
    )
    return spec, simulate(spec, data=data)


def test_npz_trains_like_the_library_and_records_the_file(tmp_path, capsys):
    X, y = _arrays()
    path = tmp_path / "mine.npz"
    np.savez(path, X=X, y=y)
    out = tmp_path / "run.nc"
    code, stdout, err = run_cli(["train", "--data", path, *ARGS, "--out", out], capsys)
    assert code == 0, err
    got = json.loads(stdout)
    # the split: 20 % held out at random with the task seed (= --seed)
    order = np.random.default_rng(3).permutation(40)
    test, train = order[:8], order[8:]
    spec, ref = _library_run(X[train], y[train], X[test], y[test])
    assert got["spec"] == spec.to_dict()  # M, K, n_train, n_test taken from the data
    assert got["test_error"] == [float(v) for v in ref.test_error[0]]  # bitwise
    assert got["final_train_error"] == float(ref.train_error[0, -1])
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    assert got["data"]["sha256"] == sha and got["data"]["path"] == str(path.resolve())
    assert (got["data"]["n_train"], got["data"]["n_test"]) == (32, 8)
    with xr.open_dataset(out) as ds:
        assert ds.attrs["data_sha256"] == sha and ds.attrs["data_path"] == str(path.resolve())
        np.testing.assert_array_equal(ds.test_error.values[0], ref.test_error[0])


def test_a_given_test_split_and_netcdf(tmp_path, capsys):
    X, y = _arrays()
    np.savez(tmp_path / "split.npz", X=X[:30], y=y[:30], X_test=X[30:], y_test=y[30:])
    xr.Dataset(
        {
            "X": (("example", "input"), X[:30]),
            "y": (("example", "output"), y[:30]),
            "X_test": (("test_example", "input"), X[30:]),
            "y_test": (("test_example", "output"), y[30:]),
        }
    ).to_netcdf(tmp_path / "split.nc")
    _, ref = _library_run(X[:30], y[:30], X[30:], y[30:])
    for name in ("split.npz", "split.nc"):
        code, stdout, err = run_cli(["train", "--data", tmp_path / name, *ARGS], capsys)
        assert code == 0, err
        got = json.loads(stdout)
        assert (got["data"]["n_train"], got["data"]["n_test"]) == (30, 10)
        assert got["test_error"] == [float(v) for v in ref.test_error[0]], name


def _bad_files(tmp_path):
    X, y = _arrays()
    nan = X.copy()
    nan[3, 1] = np.nan
    files = {
        "nan.npz": dict(X=nan, y=y),
        "no_y.npz": dict(X=X),
        "three_d.npz": dict(X=X.reshape(40, 2, 2), y=y),
        "rows.npz": dict(X=X, y=y[:30]),
        "half_split.npz": dict(X=X, y=y, X_test=X[:5]),
        "test_columns.npz": dict(X=X, y=y, X_test=X[:5, :3], y_test=y[:5]),
        "text.npz": dict(X=np.array([["1", "a"]]), y=np.zeros(1)),
    }
    for name, arrays in files.items():
        np.savez(tmp_path / name, **arrays)
    (tmp_path / "junk.npz").write_text("not a zip")
    (tmp_path / "junk.nc").write_text("not netCDF")
    (tmp_path / "data.csv").write_text("1,2\n")
    np.savez(tmp_path / "good.npz", X=X, y=y)
    np.savez(tmp_path / "split.npz", X=X[:30], y=y[:30], X_test=X[30:], y_test=y[30:])


BAD = {
    "missing file": (["--data", "nowhere.npz"], "data file not found"),
    "wrong extension": (["--data", "data.csv"], "must end in .npz or .nc"),
    "NaN": (["--data", "nan.npz"], "X must hold finite numbers"),
    "missing array": (["--data", "no_y.npz"], "must hold arrays X and y"),
    "3-D X": (["--data", "three_d.npz"], "X must be a 2-D array"),
    "rows differ": (["--data", "rows.npz"], "same number of examples"),
    "half a split": (["--data", "half_split.npz"], "both X_test and y_test"),
    "test columns": (["--data", "test_columns.npz"], "same numbers of columns"),
    "text": (["--data", "text.npz"], "X must hold real numbers"),
    "not a zip": (["--data", "junk.npz"], "not an .npz archive"),
    "not netCDF": (["--data", "junk.nc"], "cannot read data file"),
    "--M disagrees": (["--data", "good.npz", "--M", "3"], "--M = 3 contradicts"),
    "--K disagrees": (["--data", "good.npz", "--K", "1"], "--K = 1 contradicts"),
    "--n-train disagrees": (["--data", "good.npz", "--n-train", "40"], "--n-train = 40"),
    "fraction with a split": (["--data", "split.npz", "--test-fraction", "0.3"], "test split"),
    "fraction out of range": (["--data", "good.npz", "--test-fraction", "1"], "(0, 1)"),
    "fraction without data": (["--test-fraction", "0.3"], "--test-fraction needs --data"),
    "with --init-from": (["--data", "good.npz", "--init-from", "good.npz"], "not both"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_data_is_one_line_and_exit_2(case, tmp_path, capsys, monkeypatch):
    _bad_files(tmp_path)
    monkeypatch.chdir(tmp_path)
    args, message = BAD[case]
    code, stdout, err = run_cli(["train", *args, "--epochs", "5"], capsys)
    assert code == 2
    assert stdout == ""
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert message in err, err
