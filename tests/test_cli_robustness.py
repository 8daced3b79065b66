"""The CLI never crashes and never destroys what it did not write: every bad input found so
far has a regression test here (one-line error, exit code 2, nothing touched), plus the
documented limits (docs/limits.md), the divergence exit code and strict JSON.

Runs go through ``curldescent.cli.main.main`` in-process; the few real trainings are tiny.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from curldescent.cli.main import main
from curldescent.specs import SpecError

TINY = ["--M", "4", "--N", "3", "--n-train", "8", "--n-test", "4", "--epochs", "5"]
TINY += ["--checkpoints", "3"]


@pytest.fixture(scope="module", autouse=True)
def _compile_cache(jax_compile_cache):
    return jax_compile_cache


def run(capsys, *args) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main([str(a) for a in args])
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


def refused(capsys, *args, match: str) -> str:
    code, out, err = run(capsys, *args)
    assert code == 2, (args, code, err)
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err and match in err, err
    return err


def npz(path: Path, **changes) -> Path:
    arrays = {
        "teacher_W1": np.ones((3, 4)),
        "teacher_W2": np.ones((1, 3)),
        "student_W1": np.ones((3, 4)),
        "student_W2": np.ones((1, 3)),
        "x_train": np.ones((8, 4)),
        "x_test": np.ones((4, 4)),
    }
    arrays.update(changes)
    np.savez(path, **arrays)
    return path


# --------------------------------------------------------------------------- --overwrite


def test_overwrite_refuses_a_foreign_folder_and_file_leaving_them_intact(tmp_path, capsys):
    foreign = tmp_path / "foreign.zarr"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("my notes")
    refused(capsys, "train", *TINY, "--out", foreign, "--overwrite", match="did not write")
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]
    assert (foreign / "notes.txt").read_text() == "my notes"
    other = tmp_path / "data.nc"
    other.write_bytes(b"not netcdf")
    refused(capsys, "train", *TINY, "--out", other, "--overwrite", match="did not write")
    assert other.read_bytes() == b"not netcdf"


def test_overwrite_replaces_our_own_result_and_zarr_warnings_stay_quiet(tmp_path, capsys):
    out = tmp_path / "run.zarr"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code, _, err = run(capsys, "train", *TINY, "--out", out)
        assert code == 0, err
        refused(capsys, "train", *TINY, "--out", out, match="exists; pass --overwrite")
        code, _, err = run(capsys, "train", *TINY, "--seed", "1", "--out", out, "--overwrite")
        assert code == 0, err
    assert not [w for w in caught if "zarr" in str(w.filename) + str(w.message).lower()]
    assert err == ""
    import xarray as xr

    assert json.loads(xr.open_zarr(out).attrs["specs"])[0]["seed"] == 1


def test_overwrite_refuses_a_sweep_store(tmp_path, capsys):
    store = tmp_path / "s.zarr"
    store.mkdir()
    (store / "zarr.json").write_text(
        json.dumps(
            {
                "node_type": "group",
                "attributes": {"curldescent_version": "x", "curldescent_sweep_format": 2},
            }
        )
    )
    refused(capsys, "train", *TINY, "--out", store, "--overwrite", match="is a sweep store")
    assert (store / "zarr.json").exists()


# --------------------------------------------------------------------------- bounded inputs


@pytest.mark.parametrize(
    "args, match",
    [
        (["--M", "100000000000000000000"], "network.M must be an integer <= 2**63 - 1"),
        (["--seed", str(2**63)], "seed must be an integer <= 2**63 - 1"),
        (["--N", "1000000000", "--M", "1000000000"], "PB of memory (M=1000000000, N=1000000000"),
        (["--checkpoints", "100000000000"], "TB of memory"),
        (["--epochs", "1000000000000"], "pass --yes to run it anyway"),
        (["--record-weights", "--M", "100000", "--N", "100000"], "TB of memory"),
    ],
)
def test_runs_beyond_the_limits_are_refused_with_the_estimate(args, match, capsys):
    err = refused(capsys, "train", *args, match=match)
    if "memory" in match:
        assert "the limit is" in err and "of this machine's memory" in err


def test_memory_limit_scales_with_the_machine(monkeypatch):
    from curldescent import limits
    from curldescent.specs import NetworkSpec, RunSpec

    spec = RunSpec(network=NetworkSpec(M=20, N=10))
    need = limits.run_bytes(spec, 200)
    monkeypatch.setattr(limits, "memory_limit", lambda: need // 2)
    with pytest.raises(SpecError, match="this run would need about"):
        RunSpec(network=NetworkSpec(M=20, N=10))
    monkeypatch.setattr(limits, "memory_limit", lambda: 10 * need)
    assert RunSpec(network=NetworkSpec(M=20, N=10)) == spec


def test_duration_warning_and_confirmation(monkeypatch, capsys):
    from curldescent import limits

    monkeypatch.setattr(limits, "WARN_S", 0.0)
    code, out, err = run(capsys, "train", *TINY)
    assert code == 0 and err.startswith("warning: this run is estimated to take about")
    monkeypatch.setattr(limits, "CONFIRM_S", 0.0)
    refused(capsys, "train", *TINY, match="over a day")
    code, out, err = run(capsys, "train", *TINY, "--yes")
    assert code == 0 and "after 5 epochs" in out


def test_duration_estimate_grows_with_the_work():
    from curldescent.limits import CONFIRM_S, run_seconds
    from curldescent.specs import RunSpec, TrainSpec

    default = run_seconds(RunSpec())
    assert 0.5 < default < 120  # 110 x 110, 250 examples, 1000 epochs: seconds
    assert run_seconds(RunSpec(train=TrainSpec(epochs=10**12))) > CONFIRM_S
    assert run_seconds(RunSpec(train=TrainSpec(batch_size=1))) > default


def test_sweep_sizes_are_bounded(tmp_path, capsys):
    spec = tmp_path / "big.toml"
    spec.write_text('name = "big"\n[[axes]]\nname = "seed"\nvalues = {range = 1000000000000}\n')
    refused(capsys, "sweep", spec, "--dry-run", match="would generate 1000000000000 values")
    spec.write_text(
        'name = "big"\n[[axes]]\nname = "alpha_hidden"\nvalues = {linspace = [0, 1, 2000000]}\n'
    )
    refused(capsys, "sweep", spec, "--dry-run", match="would generate 2000000 values")
    spec.write_text(
        'name = "big"\n[[axes]]\nname = "seed"\nvalues = {range = 2000}\n'
        '[[axes]]\nname = "alpha_hidden"\nvalues = {linspace = [0, 1, 1000]}\n'
    )
    refused(capsys, "sweep", spec, "--dry-run", match="this sweep has 2000000 points")


# --------------------------------------------------------------------------- no tracebacks


def test_unreadable_config_and_initial_conditions(tmp_path, capsys):
    binary = tmp_path / "b.toml"
    binary.write_bytes(bytes(range(256)))
    refused(capsys, "train", "--config", binary, match="is not a text (UTF-8 TOML) file")
    refused(capsys, "train", "--config", tmp_path, match="is a folder; give a TOML file")
    refused(capsys, "train", "--init-from", tmp_path, match="is a folder; give an .npz file")
    zero_d = npz(tmp_path / "z.npz", teacher_W2=np.array(1.0), student_W2=np.array(1.0))
    refused(capsys, "train", "--init-from", zero_d, match="teacher_W2 must be a 1-D (N,) or 2-D")
    three_d = npz(tmp_path / "t.npz", teacher_W2=np.ones((1, 1, 3)))
    refused(capsys, "train", "--init-from", three_d, match="teacher_W2 must be a 1-D")


def test_bad_scheduler_and_netcdf_under_a_file(tmp_path, capsys):
    refused(
        capsys,
        "sweep",
        "demo",
        "--out",
        tmp_path / "s.zarr",
        "--scheduler",
        "bogus://nowhere",
        match="cannot reach the dask scheduler at bogus://nowhere",
    )
    assert not (tmp_path / "s.zarr").exists()
    blocker = tmp_path / "FILE"
    blocker.write_text("keep")
    store = tmp_path / "none.zarr"
    refused(capsys, "export", store, "--netcdf", blocker / "o.nc", match="no sweep store")
    err = refused(capsys, "train", *TINY, "--out", blocker / "o.nc", match="is not a folder")
    assert str(blocker) in err and blocker.read_text() == "keep"


# --------------------------------------------------------------------------- divergence


def test_a_diverged_run_exits_3_with_strict_json(tmp_path, capsys):
    args = ["train", *TINY, "--lr", "1e6", "--no-renormalize", "--json"]
    code, out, err = run(capsys, *args)
    assert code == 3 and "the run diverged" in err and len(err.strip().splitlines()) == 1

    def reject(name):
        raise ValueError(f"non-strict JSON constant {name}")

    summary = json.loads(out, parse_constant=reject)
    assert summary["diverged"] is True and summary["non_finite"] is True
    assert summary["final_test_error"] is None and None in summary["test_error"]
    code, out, err = run(capsys, *args[:-1])
    assert code == 3 and "(DIVERGED)" in out
    code, out, err = run(capsys, "train", *TINY, "--json")
    summary = json.loads(out, parse_constant=reject)
    assert code == 0 and summary["diverged"] is False and summary["non_finite"] is False


def test_the_report_counts_diverged_runs(tmp_path):
    import xarray as xr

    from curldescent.figures.base import n_diverged
    from curldescent.report import FigureEntry, load_entries, save_entry, write_report

    data = xr.Dataset(
        {
            "diverged": ("run", np.array([True, False, True])),
            "diverged_b": ("run_b", np.array([False, True])),
            "test_error": ("run", np.zeros(3)),
        }
    )
    assert n_diverged(data) == 3 and n_diverged(data.drop_vars(["diverged", "diverged_b"])) is None
    entry = FigureEntry(name="fig3", n_runs=5, n_diverged=3)
    save_entry(tmp_path, entry)
    assert load_entries(tmp_path, ["fig3"])[0].n_diverged == 3
    html = write_report(tmp_path, [entry], profile="smoke", command="x", wall_time_s=1.0)
    assert "5 runs (3 diverged)" in html.read_text()


def test_other_commands_refuse_files_as_folders_and_huge_ratios(tmp_path, capsys):
    blocker = tmp_path / "f.nc"
    blocker.write_text("keep")
    refused(capsys, "demo", "--out", blocker, "--seeds", 1, match="--out must be a folder")
    refused(capsys, "figure", "fig1", "--out", blocker / "x", match="is a file")
    assert blocker.read_text() == "keep" and list(tmp_path.iterdir()) == [blocker]
    refused(capsys, "theory", "boundary", "--layer", "hidden", "--c", "1e308", match="at most 1e6")
    refused(capsys, "theory", "edges", "--c", "1e30", "--alpha-hidden", "0.5", match="at most 1e6")
