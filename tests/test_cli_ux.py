"""The CLI as a user meets it: fast --help/--version without JAX, help texts printed as
written, curl-index flips only what is asked, --set overrides, --scheduler-file."""

import json
import os
import re
import subprocess
import sys

import click
import pytest
import typer

from curldescent import __version__
from curldescent.cli.main import app, main
from curldescent.cli.options import parse_set
from curldescent.specs import SpecError


def run_cli(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main([str(a) for a in args])
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


def test_help_and_version_never_import_jax():
    """In a fresh interpreter: importing the CLI and printing --help/--version leave JAX,
    NumPy and xarray unimported (the test process itself has JAX loaded already)."""
    code = (
        "import sys\n"
        "from curldescent.cli.main import main\n"
        "heavy = lambda: sorted(m for m in ('jax', 'numpy', 'xarray') if m in sys.modules)\n"
        "assert heavy() == [], heavy()\n"
        "for argv in (['--help'], ['--version'], ['train', '--help'], ['curl-index', '--help'],\n"
        "             ['sweep', '--help'], ['theory', 'boundary', '--help']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit as exc:\n"
        "        assert exc.code == 0, (argv, exc.code)\n"
        "assert heavy() == [], heavy()\n"
        "print('ok')\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "JAX_PLATFORMS"}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("ok")


def test_console_script_help_and_version():
    exe = os.path.join(os.path.dirname(sys.executable), "curldescent")
    if not os.path.exists(exe):  # pragma: no cover - not installed as a console script
        exe = None
    cmd = [exe] if exe else [sys.executable, "-m", "curldescent.cli.main"]
    proc = subprocess.run([*cmd, "--help"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "curl-index" in proc.stdout and "reproduce" in proc.stdout
    proc = subprocess.run([*cmd, "--version"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == f"curldescent {__version__}"


def _commands(group: click.Command, path: tuple[str, ...] = ()):
    yield path, group
    for name, sub in getattr(group, "commands", {}).items():
        yield from _commands(sub, (*path, name))


def _flat(text: str) -> str:
    """Whitespace-insensitive (help is re-wrapped, also after hyphens)."""
    return re.sub(r"-\s+", "-", " ".join(text.split()))


def test_every_help_text_renders_as_written(capsys):
    """Every command's --help shows each option's help and the command's description
    verbatim (modulo line wrapping): no markup swallows [network] [task] [rule] [train]."""
    root = typer.main.get_command(app)
    seen = 0
    for path, cmd in _commands(root):
        code, out, err = run_cli([*path, "--help"], capsys)
        assert code == 0, (path, err)
        shown = _flat(out)
        texts = [p.help for p in cmd.params if getattr(p, "help", None)]
        if cmd.help:
            texts.append(cmd.help.split("\f")[0])
        for text in texts:
            assert _flat(text) in shown, (path, text)
            seen += len(re.findall(r"\[[^\]]*\]", text))
    assert seen >= 5  # bracketed texts exist and survived
    code, out, _ = run_cli(["train", "--help"], capsys)
    assert "([network] [task] [rule] [train], seed; optional preset = NAME)" in _flat(out)


def test_curl_index_flips_only_what_is_asked(capsys):
    code, out, err = run_cli(["curl-index", "--help"], capsys)
    assert code == 0 and "0 = no hidden-layer flips" in _flat(out)
    code, out, err = run_cli(
        ["curl-index", "--rule", "curl", "--alpha-readout", "0.5", "--M", "4", "--N", "4"]
        + ["--samples", "1", "--planes", "4", "--json"],
        capsys,
    )
    assert code == 0, err
    spec = json.loads(out)["spec"]
    assert spec["alpha_readout"] == 0.5 and spec["alpha_hidden"] == 0.0


def test_parse_set_values_are_toml_scalars_and_keys_are_checked():
    got = parse_set(
        ["train.epochs=1000", "alpha_h=0.25", "train.renormalize=false", "rule.kind=curl"]
        + ["train.lr=1e-3", 'network.activation="tanh"']
    )
    assert got == {
        "train.epochs": 1000,
        "rule.alpha_hidden": 0.25,
        "train.renormalize": False,
        "rule.kind": "curl",
        "train.lr": 1e-3,
        "network.activation": "tanh",
    }
    assert parse_set(None) == {}
    with pytest.raises(SpecError, match="unknown spec field 'train.epoch'"):
        parse_set(["train.epoch=3"])
    with pytest.raises(SpecError, match="KEY=VALUE"):
        parse_set(["train.epochs"])


@pytest.mark.parametrize(
    "args, match",
    [
        (["train", "--set", "train.epoch=3"], "unknown spec field 'train.epoch'"),
        (["train", "--set", "epochs"], "--set takes KEY=VALUE"),
        (["train", "--M", "6", "--N", "4", "--set", "network.N=0"], "network.N"),
        (["sweep", "demo", "--set", "seed=1", "--dry-run"], "axis 'seed' sets this field"),
        (["sweep", "demo", "--set", "nosuch=1", "--dry-run"], "unknown spec field 'nosuch'"),
        (["figure", "fig1", "--set", "train.epochs=3"], "fig1 is pure theory"),
        (["figure", "fig4", "--set", "x.y=3"], "unknown spec field 'x.y'"),
        (
            ["sweep", "demo", "--out", "x.zarr", "--workers", "1", "--scheduler-file", "s.json"],
            "either --workers or --scheduler or --scheduler-file",
        ),
        (
            ["reproduce", "--scheduler", "tcp://h:1", "--scheduler-file", "s.json"],
            "either --workers or --scheduler or --scheduler-file",
        ),
    ],
)
def test_bad_overrides_and_executor_options_are_one_line_errors(
    args, match, capsys, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(args, capsys)
    assert code == 2 and err.startswith("error: ") and match in err, err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "x.zarr").exists()


def test_set_overrides_train_and_sweep_base(capsys):
    code, out, err = run_cli(
        ["train", "--M", "6", "--N", "4", "--n-train", "20", "--n-test", "10", "--epochs", "5"]
        + ["--set", "train.epochs=3", "--set", "rule.kind=curl", "--set", "alpha_r=0.25"]
        + ["--json"],
        capsys,
    )
    assert code == 0, err
    spec = json.loads(out)["spec"]
    assert spec["train"]["epochs"] == 3  # --set is applied after --epochs
    assert spec["rule"]["kind"] == "curl" and spec["rule"]["alpha_readout"] == 0.25
    code, out, err = run_cli(["sweep", "demo", "--set", "train.epochs=30", "--dry-run"], capsys)
    assert code == 0, err
    assert "checkpoints from 0 to 30" in out


def test_figure_set_reaches_every_preset():
    from curldescent.presets import preset_overrides, preset_spec

    with preset_overrides({"train.epochs": 7}):
        assert preset_spec("fig4").train.epochs == 7
        assert preset_spec("fig5", **{"train.epochs": 9}).train.epochs == 7  # --set wins
    assert preset_spec("fig4").train.epochs != 7


def test_scheduler_file_joins_a_running_scheduler(tmp_path):
    from distributed import Client, LocalCluster

    from curldescent.sweeps.executors import DaskExecutor, make_executor

    with pytest.raises(SpecError, match="scheduler file .* not found"):
        DaskExecutor(scheduler_file=tmp_path / "none.json", timeout=0.3)
    with (
        LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        path = tmp_path / "sched.json"
        client.write_scheduler_file(str(path))
        ex = make_executor(scheduler_file=path)
        try:
            assert f"scheduler file {path}" in ex.describe()
            assert ex.client.scheduler.address == cluster.scheduler_address
        finally:
            ex.close()
