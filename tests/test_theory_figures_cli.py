"""Figures 1 and 2 through the figure contract (smoke profile), and the ``curldescent theory``
commands through the CLI entry point (JSON fields, null boundaries, one-line errors)."""

import json

import numpy as np
import pytest

from curldescent.cli.main import main
from curldescent.figures.base import VERDICTS, run_figure
from curldescent.theory.edges import critical_alpha, critical_c, spectral_edges


def _verdicts(result):
    return {c.claim: c.verdict for c in result.claims}


@pytest.mark.slow
def test_fig1_smoke(tmp_path):
    res = run_figure("fig1", profile="smoke", out=tmp_path)
    assert res.extra["print_problems"] == []
    for key in ("png", "pdf", "data", "claims"):
        assert (
            tmp_path
            / f"fig1.{'nc' if key == 'data' else 'claims.json' if key == 'claims' else key}"
        ).exists()
    stored = json.loads((tmp_path / "fig1.claims.json").read_text())
    assert all({"claim", "value", "verdict"} <= set(c) and c["verdict"] in VERDICTS for c in stored)
    v = _verdicts(res)
    printed = [k for k in v if "(as printed)" in k]
    assert len(printed) == 1 and v[printed[0]] == "not reproduced"  # w1² + w2² = s is a typo for 2s
    assert all(verdict == "reproduced" for k, verdict in v.items() if k not in printed), v
    assert any("ascends" in k for k in v) and any("±i·s" in k for k in v)
    assert all(c.setting for c in res.claims)


@pytest.mark.slow
def test_fig2_smoke(tmp_path):
    res = run_figure("fig2", profile="smoke", out=tmp_path)
    assert res.extra["print_problems"] == []
    assert (
        (tmp_path / "fig2.png").exists()
        and (tmp_path / "fig2.pdf").exists()
        and (tmp_path / "fig2.nc").exists()
    )
    v = _verdicts(res)
    whole = [k for k in v if "over the paper's range α_h ∈ (0, 1]" in k]
    assert len(whole) == 1 and v[whole[0]] == "not reproduced"  # c_crit → 2/3 as α_h → 0⁺
    assert all(verdict == "reproduced" for k, verdict in v.items() if k not in whole), v
    assert sum("(eq. 11)" in k for k in v) == 1 and any("roles swap" in k for k in v)
    assert all(c.setting for c in res.claims)
    import xarray as xr

    ds = xr.open_dataset(tmp_path / "fig2.nc")
    assert ds.sizes["alpha_curve"] >= 50
    reported = json.loads(ds.attrs["report_c_crit_hidden"])
    assert reported["0.5"] == pytest.approx(critical_c("hidden", 0.5).c_crit)
    for name in ("jac_max_hidden", "c_crit_hidden", "alpha_crit_readout", "fs_unstable_readout"):
        assert ds[name].attrs["long_name"] and "units" in ds[name].attrs
    ds.close()


def _run(capsys, argv):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


def test_cli_boundary(capsys):
    code, out, _ = _run(
        capsys, ["theory", "boundary", "--layer", "hidden", "--alpha", "0.5", "--json"]
    )
    d = json.loads(out)
    assert code == 0 and d["layer"] == "hidden" and d["regime"] == "stable for c < c_crit"
    assert d["c_crit"] == pytest.approx(critical_c("hidden", 0.5).c_crit, rel=1e-12)
    code, out, _ = _run(
        capsys, ["theory", "boundary", "--layer", "hidden", "--alpha", "0", "--json"]
    )
    d = json.loads(out)
    assert d["c_crit"] is None and d["regime"] == "stable for all c"
    code, out, _ = _run(
        capsys, ["theory", "boundary", "--layer", "readout", "--alpha", "0.5", "--json"]
    )
    d = json.loads(out)
    assert d["c_crit"] is None and d["regime"] == "unstable for all c"
    code, out, _ = _run(capsys, ["theory", "boundary", "--layer", "readout", "--c", "1", "--json"])
    d = json.loads(out)
    assert d["alpha_crit"] == pytest.approx(critical_alpha("readout", 1.0).alpha_crit)
    code, out, _ = _run(capsys, ["theory", "boundary", "--layer", "readout", "--alpha", "0.2"])
    assert code == 0 and "c_crit" in out


@pytest.mark.parametrize(
    "argv,match",
    [
        (
            ["theory", "boundary", "--layer", "middle", "--alpha", "0.5"],
            "layer must be one of hidden, readout",
        ),
        (["theory", "boundary", "--layer", "hidden", "--alpha", "1.5"], "alpha must lie in [0, 1]"),
        (
            ["theory", "boundary", "--layer", "hidden", "--alpha", "0.5", "--c", "1"],
            "exactly one of",
        ),
        (["theory", "spectrum", "--M", "0", "--N", "5"], "M must lie in"),
        (
            ["theory", "spectrum", "--M", "5", "--N", "5", "--alpha-readout", "2"],
            "alpha_readout must lie in [0, 1]",
        ),
    ],
)
def test_cli_errors_are_one_line(capsys, argv, match):
    code, out, err = _run(capsys, argv)
    assert code == 2 and err.startswith("error: ") and match in err and err.count("\n") == 1


def test_cli_spectrum(capsys):
    M, N = 30, 45
    code, out, _ = _run(
        capsys,
        [
            "theory",
            "spectrum",
            "--M",
            str(M),
            "--N",
            str(N),
            "--alpha-hidden",
            "0.3",
            "--alpha-readout",
            "0",
            "--seed",
            "3",
            "--json",
        ],
    )
    d = json.loads(out)
    assert code == 0 and len(d["eigenvalues"]) == M and d["n_structural_zeros"] == M * N + N - M
    eig = np.array(d["eigenvalues"])
    assert (
        np.all(np.diff(eig) <= 0) and d["max_eigenvalue"] == eig[0] and d["stable"] == (eig[0] < 0)
    )
    assert d["k_hidden"] == 9 and d["k_readout"] == 0
    ln = d["large_n"]
    lo, hi = spectral_edges("hidden", M / N, 9 / M)
    assert ln["lower_edge"] == pytest.approx(lo) and ln["upper_edge"] == pytest.approx(hi)
    assert ln["jacobian_max"] == pytest.approx(-lo) and ln["stable"] == (lo > 0)
    # the sampled spectrum lies roughly inside the large-N support (finite size, M = 30)
    assert -hi - 1.5 < eig[-1] and eig[0] < -lo + 1.5
    code, out, _ = _run(
        capsys,
        [
            "theory",
            "edges",
            "--c",
            "1",
            "--alpha-hidden",
            "0.2",
            "--alpha-readout",
            "0.1",
            "--json",
        ],
    )
    d = json.loads(out)
    assert code == 0 and d["lower_edge"] < d["upper_edge"] and "fixed point" in d["method"]
