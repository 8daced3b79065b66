"""Outputs label their coordinates and carry provenance: git commit and command line."""

import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import xarray as xr

import curldescent.results as results
from curldescent import schema
from curldescent.results import git_commit, write_dataset
from curldescent.sweeps import Axis, SweepSpec, SweepStore, open_sweep, plan_sweep


def test_schema_label_fills_missing_attributes_only():
    ds = xr.Dataset(
        {"err": (("c", "alpha", "seed"), np.zeros((2, 1, 3)))},
        coords={"c": [0.5, 1.0], "alpha": [0.1], "seed": [0, 1, 2]},
    )
    ds.coords["alpha"].attrs["long_name"] = "flipped fraction alpha_r"
    schema.label(ds)
    assert ds.c.attrs == schema.attrs("c") and ds.c.attrs["units"] == "1"
    assert ds.alpha.attrs == {"long_name": "flipped fraction alpha_r", "units": "1"}
    assert "long_name" in ds.seed.attrs


def test_written_files_carry_provenance_and_labels(tmp_path):
    ds = xr.Dataset({"err": (("seed",), np.ones(2))}, coords={"seed": [0, 1]})
    path = write_dataset(ds, tmp_path / "x.nc")
    assert ds.attrs == {} and ds.seed.attrs == {}  # the caller's dataset is not modified
    with xr.open_dataset(path) as back:
        assert back.attrs["command_line"] == shlex.join(sys.argv)
        assert back.seed.attrs["long_name"].startswith("seed")
        commit = git_commit()
        if commit is None:
            assert "git_commit" not in back.attrs
        else:
            assert back.attrs["git_commit"] == commit
    # data made elsewhere keeps its own provenance
    made = ds.assign_attrs(curldescent_version="0.0.1", command_line="curldescent x")
    with xr.open_dataset(write_dataset(made, tmp_path / "y.nc")) as back:
        assert back.attrs["command_line"] == "curldescent x"


def test_git_commit_of_a_checkout_and_of_an_installed_copy(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    module = repo / "mod.py"
    module.write_text("x = 1\n")

    def git(*args):
        return subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
        ).stdout.strip()

    git("init", "-q")
    assert git_commit(module) is None  # untracked: as a wheel inside a repo's venv
    git("add", "mod.py")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one")
    sha = git("rev-parse", "HEAD")
    git_commit.cache_clear()
    assert git_commit(module) == sha
    module.write_text("x = 2\n")
    git_commit.cache_clear()
    assert git_commit(module) == sha + "-dirty"
    outside = tmp_path / "elsewhere" / "mod.py"
    outside.parent.mkdir()
    outside.write_text("")
    assert git_commit(outside) is None  # not in a checkout: absent, never a crash
    git_commit.cache_clear()


def test_this_package_reports_its_checkout():
    here = Path(results.__file__).resolve().parent
    proc = subprocess.run(
        ["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True, text=True
    )
    tracked = subprocess.run(
        ["git", "-C", str(here), "ls-files", "--error-unmatch", "results.py"],
        capture_output=True,
    )
    if proc.returncode != 0 or tracked.returncode != 0:
        assert git_commit() is None
    else:
        assert git_commit().split("-")[0] == proc.stdout.strip()


def test_sweep_store_coordinates_have_attributes(tmp_path):
    sweep = SweepSpec(
        base="demo",
        name="lab",
        axes=(Axis("alpha_r", [0.1, 0.2]), Axis("seed", [0, 1])),
    )
    plan = plan_sweep(sweep)
    SweepStore.open(tmp_path / "s.zarr", plan)  # the template only: nothing simulated
    ds = open_sweep(tmp_path / "s.zarr")
    assert ds.alpha_r.attrs["units"] == "1" and "hidden neurons" in ds.alpha_r.attrs["long_name"]
    assert ds.epoch.attrs["units"] == "epochs" and "long_name" in ds.seed.attrs
    assert ds.attrs["command_line"] == shlex.join(sys.argv) and "curldescent_version" in ds.attrs
