"""Fig. 5 (convergence speed, tanh): its runs are sweeps in the sweep store, early stopping
equals the engine's full run, the paired design holds, censoring is explicit, a rerun
resumes from the stores, and the claim logic decides as documented."""

import json

import numpy as np
import pytest
import xarray as xr

from curldescent.analysis import convergence_epoch
from curldescent.engine import simulate_batch
from curldescent.figures import _convergence as cv
from curldescent.figures import fig5, fig10
from curldescent.figures._convergence import chunk_length
from curldescent.figures.base import VERDICTS, store_path
from curldescent.specs import SpecError
from curldescent.sweeps import SweepSpec
from curldescent.task import batch_run_keys


@pytest.fixture(scope="module")
def smoke(smoke_figure, tmp_path_factory):
    out, res = smoke_figure("fig5", tmp_path_factory.mktemp("fig5"))
    assert res.print_problems == []
    with xr.open_dataset(out / "fig5.nc") as ds:
        data = ds.load()
    return out, res, data


def test_files_claims_and_labels(smoke):
    out, res, data = smoke
    for name in ("fig5.png", "fig5.pdf", "fig5.nc", "fig5.claims.json"):
        assert (out / name).stat().st_size > 0
    claims = json.loads((out / "fig5.claims.json").read_text())
    texts = [c["claim"] for c in claims]
    for tag in ("(1)", "(2)", "(3)", "(4)"):
        assert any(t.startswith(tag) for t in texts)
    assert any("beyond the paper" in t and "feedback alignment" in t for t in texts)
    assert all(c["verdict"] in VERDICTS for c in claims)
    for name in ("conv_c", "censored_d", "stat_e_p_ttest", "test_error_b", "conv_g"):
        assert data[name].attrs.get("long_name"), name


def test_sweeps_are_named_grids_built_without_running(tmp_path):
    sw = fig5.sweeps("quick")
    assert list(sw) == [f"fig5{p}-quick" for p in "bcdefg"]
    assert all(isinstance(x, SweepSpec) and x.name == n for n, x in sw.items())
    assert fig5.planned_runs("quick") == sum(x.size for x in sw.values()) == 150
    assert sw["fig5b-quick"].base.train.stop_below is None  # whole curves
    thr = fig5.settings("quick").threshold
    for name in ("fig5c-quick", "fig5d-quick", "fig5e-quick", "fig5f-quick", "fig5g-quick"):
        assert sw[name].base.train.stop_below == thr == sw[name].convergence_threshold
    assert sw["fig5c-quick"].dims == ("n_train", "arm", "seed")
    assert sw["fig5f-quick"].dims == ("n_flip", "seed")  # 0 flips = gradient descent
    assert sw["fig5g-quick"].dims == ("case", "seed")  # variant/arm
    # panel b's runs are left out of the other panels' sweeps, which say so
    assert sw["fig5c-quick"].axes[0].values == (500,)
    assert sw["fig5d-quick"].axes[0].values == (0.5,)
    assert sw["fig5e-quick"].axes[0].values == (0.5, 3.0)
    assert sw["fig5f-quick"].axes[0].values == (5,)
    assert "authors/gradient" not in sw["fig5g-quick"].axes[0].values
    assert len(sw["fig5g-quick"].axes[0].values) == 4
    assert "without n_train = 1000" in sw["fig5c-quick"].description
    assert "sweep fig5b-quick" in sw["fig5c-quick"].description
    assert store_path(tmp_path, sw["fig5c-quick"]).parent == tmp_path / "data"
    with pytest.raises(SpecError, match="allowed: smoke, quick, decisive, paper"):
        fig5.sweeps("huge")


def test_pairs_differ_only_in_the_rule():
    """The runs of one seed share teacher, data, initial weights and minibatch order: their
    specs differ only in the rule, and a run's keys do not depend on the rule."""
    full = cv.full_sweeps(fig5.SETUP, fig5.settings("smoke"), "smoke")  # the panels' grids
    for sweep in full.values():
        specs = sweep.point_specs()
        by_seed: dict = {}
        for s in specs:
            d = s.to_dict()
            d.pop("rule")
            for k in ("output_activation", "readout_error"):  # panel g's variant axis
                d["network"].pop(k)
            d["task"].pop("init_scale"), d["task"].pop("teacher_scale"), d["task"].pop("n_train")
            by_seed.setdefault(s.seed, set()).add(json.dumps(d, sort_keys=True))
        assert all(len(v) == 1 for v in by_seed.values()), sweep.name
        keys = batch_run_keys(specs)
        for r, s in enumerate(specs):
            first = next(i for i, t in enumerate(specs) if t.seed == s.seed)
            for k in ("task", "student", "shuffle"):
                np.testing.assert_array_equal(keys[k][r], keys[k][first])
    g = full["g"].point_specs()
    assert len({s.rule for s in g if s.seed == 0}) == 3  # GD, curl and FA runs of a seed


@pytest.mark.parametrize("module", [fig5, fig10])
@pytest.mark.parametrize("profile", ["smoke", "quick", "paper", "decisive"])
def test_every_run_is_simulated_once(module, profile):
    """No two runs of a figure's sweeps share a spec (up to ``train.stop_below``), and the
    sweeps hold every run of the panels' whole grids (counted without running)."""
    keys = [cv.run_key(s) for sw in module.sweeps(profile).values() for s in sw.point_specs()]
    assert len(keys) == len(set(keys)) == module.planned_runs(profile)
    full = cv.full_sweeps(module.SETUP, module.settings(profile), profile)
    assert set(keys) == {cv.run_key(s) for sw in full.values() for s in sw.point_specs()}
    # with early stopping the panels' grids would hold 230 (Fig. 5) and 80 (Fig. 10) quick runs
    counts = {(fig5, "quick"): (150, 230), (fig10, "quick"): (48, 80)}
    if (module, profile) in counts:
        assert (len(keys), sum(sw.size for sw in full.values())) == counts[module, profile]


def test_panels_take_panel_b_runs_from_its_store(smoke):
    """The points at panel b's setting are its whole runs, in the panels' own layout: same
    crossing epochs, the stop at b's last epoch, and divergence only before the crossing."""
    _, _, data = smoke
    assert "fig5c-smoke" not in fig5.sweeps("smoke")  # c (N_train 40) is all panel b's
    assert data.whole_run_c.values.all() and not data.whole_run_e.values.any()
    b = {v: data[f"{v}_b"].values for v in ("conv", "stop", "init_test_error")}
    np.testing.assert_array_equal(data.conv_c.values[0], b["conv"])
    np.testing.assert_array_equal(data.stop_c.values[0], b["stop"])
    at_b = data.sel(init_scale=2.0)
    assert at_b.whole_run_d.values.all() and not data.sel(init_scale=1.0).whole_run_d.any()
    np.testing.assert_array_equal(at_b.conv_d.values, b["conv"])
    np.testing.assert_array_equal(at_b.init_test_error_d.values, b["init_test_error"])
    # f: 0 flips (gradient) and 1 flip (curl) are b's arms
    np.testing.assert_array_equal(data.conv_f.sel(n_flip=1).values, b["conv"])
    assert data.whole_run_f.sel(rule="gradient").values.all()
    assert not data.whole_run_f.sel(n_flip=2, rule="curl").any()
    g = data.sel(variant="authors")
    np.testing.assert_array_equal(g.conv_g.sel(arm=list(cv.RULES)).values, b["conv"])
    assert not g.whole_run_g.sel(arm="feedback_alignment").any()
    for p in ("c", "d", "f", "g"):
        whole = data[f"whole_run_{p}"].values
        assert np.all(data[f"stop_{p}"].values[whole] == fig5.settings("smoke").epochs)
        assert not (data[f"diverged_{p}"].values & ~data[f"censored_{p}"].values).any()


def test_paired_design_from_stored_data(smoke):
    """Every seed's gradient and curl runs start from the same test error (same teacher,
    data and initial weights); different seeds differ."""
    _, _, data = smoke
    for p in ("b", "c", "d", "e", "f"):
        init = data[f"init_test_error_{p}"]
        np.testing.assert_array_equal(
            init.sel(rule="gradient").values, init.sel(rule="curl").values
        )
        flat = init.sel(rule="curl").values.reshape(-1, data.sizes["seed"])
        for row in flat:
            assert len(set(row)) == data.sizes["seed"]
    init = data.init_test_error_g
    for arm in data.arm.values:
        np.testing.assert_array_equal(init.sel(arm=arm).values, init.sel(arm="gradient").values)


def test_censoring_is_explicit(smoke):
    _, _, data = smoke
    for p in ("c", "d", "e", "f", "g"):
        conv, cens, stop = (
            data[f"conv_{p}"].values,
            data[f"censored_{p}"].values,
            data[f"stop_{p}"].values,
        )
        np.testing.assert_array_equal(np.isnan(conv), cens)
        cap = float(data[f"epochs_{p}"])
        diverged = data[f"diverged_{p}"].values
        assert np.all(stop[cens & ~diverged] == cap)  # a censored run ran to the end
        assert np.all(conv[~cens] <= stop[~cens])
    assert data.censored_c.values.any() and (~data.censored_d.values).any()  # both kinds occur


def test_resume_reads_the_stores(smoke):
    out, _, data = smoke
    stores = json.loads(data.attrs["sweeps"])
    assert sorted(stores) == sorted(fig5.sweeps("smoke"))
    assert all((out / "data").joinpath(p.split("/")[-1]).is_dir() for p in stores.values())
    again = fig5.compute("smoke", out)
    assert again.attrs["computed_batches"] == 0 and again.attrs["batches"] > 0
    assert again.attrs["run_steps"] <= again.attrs["worst_case_run_steps"]
    xr.testing.assert_identical(again.drop_attrs(), data.drop_attrs())


def test_early_stopping_equals_the_engine_and_gradient_is_curl_without_flips(smoke):
    """The stored (early-stopped) runs equal the engine's full-length runs up to their stop,
    with the same crossing epochs; kind = gradient and curl with zero flips are identical."""
    _, _, data = smoke
    sweep = fig5.sweeps("smoke")["fig5d-smoke"]
    thr = data.attrs["threshold"]
    for i, r in enumerate(cv.RULES):
        specs = [sweep.point_spec((0, i, k)).replace(**{"train.stop_below": None}) for k in (0, 1)]
        x = float(data.init_scale.values[0])
        assert specs[0].task.init_scale == x
        full = simulate_batch(specs)
        ce = convergence_epoch(full.test_error, full.epochs, threshold=thr)
        np.testing.assert_array_equal(ce.epoch, data.conv_d.sel(init_scale=x, rule=r).values[:2])
        np.testing.assert_allclose(
            full.test_error[:, 0],
            data.init_test_error_d.sel(init_scale=x, rule=r).values[:2],
            rtol=1e-12,
        )
        if r == "gradient":
            assert specs[0].rule.kind == "curl" and specs[0].rule.flip_counts(specs[0].network) == (
                0,
                0,
            )
            gd = [
                s.replace(
                    **{
                        "rule.kind": "gradient",
                        "rule.n_flip_hidden": None,
                        "rule.n_flip_readout": None,
                    }
                )
                for s in specs
            ]
            exact = simulate_batch(gd)
            np.testing.assert_array_equal(exact.test_error, full.test_error)
            np.testing.assert_array_equal(exact.final_W1, full.final_W1)


def test_curves_run_to_the_end(smoke):
    _, _, data = smoke
    assert np.all(np.isfinite(data.test_error_b.values))
    assert int(data.epoch_b.values[-1]) == fig5.settings("smoke").epochs


# ------------------------------------------------------------------ pure logic (no simulation)


@pytest.mark.parametrize(
    ("n", "full", "expected"),
    [(1, 32, 1), (32, 32, 32), (33, 32, 17), (40, 32, 20), (64, 32, 32), (65, 32, 22)],
)
def test_chunk_length_cuts_groups_into_near_equal_chunks(n, full, expected):
    c = chunk_length(n, full)
    assert c == expected and c <= full
    assert -(-n // c) == -(-n // full)  # as many chunks as the engine's default would need


def _row(**kw):
    base = {
        "n_train": 1000,
        "n_used": 0.0,
        "n_pairs": 10.0,
        "mean_diff": float("nan"),
        "p_ttest": float("nan"),
        "p_wilcoxon": 1.0,
        "n_a_faster": 0.0,
        "n_b_faster": 0.0,
        "p_sign": 1.0,
    }
    base.update(kw)
    return base


def _complete(p, diff=-500.0, n=10.0):
    """A point where every pair converged: the t-test decides."""
    return _row(n_used=n, n_pairs=n, mean_diff=diff, p_ttest=p)


def _censored(wins, losses, p, n=10.0):
    """A point with censored runs: the censoring-aware Wilcoxon test decides."""
    return _row(n_used=0.0, n_pairs=n, n_a_faster=wins, n_b_faster=losses, p_wilcoxon=p)


def test_point_test_is_the_t_test_only_when_every_pair_converged():
    assert cv.pair_test(_complete(0.003)) == ("t-test", 0.003)
    assert cv.pair_test(_censored(9, 0, 0.004)) == ("censored Wilcoxon", 0.004)
    # t-test: significant with curl ahead, not significant, or significant the wrong way
    assert cv.curl_faster(_complete(0.009), 0.01) and not cv.curl_faster(_complete(0.011), 0.01)
    assert cv.curl_slower(_complete(0.001, diff=300.0), 0.01)
    assert not cv.curl_faster(_complete(0.001, diff=300.0), 0.01)
    # censored test: 7 decided pairs can reach p = 2^-6 < .05 but not < .01
    assert cv.testable(_censored(7, 0, 0.016), 0.05) and not cv.testable(
        _censored(7, 0, 0.016), 0.01
    )
    assert cv.testable(_censored(8, 0, 0.008), 0.01)
    # ties of censored runs: no decided pair, nothing testable
    assert not cv.testable(_censored(0, 0, 1.0), 0.05) and cv.direction(_censored(0, 0, 1.0)) == 0


def test_all_faster_needs_every_point_and_ties_of_censored_runs_are_not_tested():
    fast, slow = _complete(1e-4), _complete(0.2)
    tied = _censored(0, 0, 1.0)  # both runs censored in every pair
    assert cv.all_faster_verdict([fast, _censored(10, 0, 0.002)], 0.01)[0] == "reproduced"
    assert cv.all_faster_verdict([fast, slow], 0.01)[0] == "not reproduced"
    assert cv.all_faster_verdict([fast, tied], 0.01)[0] == "not tested"
    assert cv.all_faster_verdict([tied], 0.05)[0] == "not tested"
    assert cv.all_faster_verdict([], 0.01)[0] == "not tested"


def test_across_scales_holm_majority_and_no_significant_loss():
    def scales(ps, diffs):
        return [
            {"init_scale": float(i), **_complete(p, d)}
            for i, (p, d) in enumerate(zip(ps, diffs, strict=True))
        ]

    ahead = [-1.0] * 4 + [1.0]
    # one strong point survives Holm over 5 (0.001 * 5 < .01); curl ahead at 4/5
    assert (
        cv.across_scales_verdict(scales([0.001, 0.3, 0.4, 0.5, 0.6], ahead), 0.01)[0]
        == "reproduced"
    )
    # p = 0.003 at each of 5 points: 0.003 * 5 = 0.015 fails Holm though each is < .01 alone
    assert cv.across_scales_verdict(scales([0.003] * 5, [-1.0] * 5), 0.01)[0] == "not reproduced"
    # ahead at only 2/5
    assert (
        cv.across_scales_verdict(scales([0.001, 0.3, 0.4, 0.5, 0.6], [-1, -1, 1, 1, 1]), 0.01)[0]
        == "not reproduced"
    )
    # significantly slower at one point
    assert (
        cv.across_scales_verdict(scales([0.001, 0.3, 0.4, 0.5, 0.0001], ahead), 0.01)[0]
        == "not reproduced"
    )
    # most points untestable (ties of censored runs)
    rows = scales([0.001], [-1.0]) + [{"init_scale": 9.0, **_censored(0, 0, 1.0)}] * 2
    assert cv.across_scales_verdict(rows, 0.01)[0] == "not tested"
    assert cv.across_scales_verdict(scales([0.001] * 2, [-1.0] * 2), 0.01)[0] == "not tested"


def test_trend_rule_on_both_sides_and_too_few_points():
    xs = [100, 200, 500, 1000, 2000, 4000]
    rising = [0.0, 0.0, 0.1, 0.3, 0.5, 0.6]
    v, tau, p, _ = cv.trend_verdict(xs, rising, "greater", 0.01)
    assert v == "reproduced" and tau > 0.8 and p < 0.01
    assert cv.trend_verdict(xs, rising[::-1], "greater", 0.01)[0] == "not reproduced"
    assert cv.trend_verdict(xs, rising[::-1], "less", 0.01)[0] == "reproduced"
    assert (
        cv.trend_verdict(xs, [0.3, 0.1, 0.5, 0.0, 0.6, 0.2], "greater", 0.01)[0] == "not reproduced"
    )
    assert cv.trend_verdict(xs[:4], rising[:4], "greater", 0.01)[0] == "not tested"  # 1/4! > .01
    assert cv.trend_verdict(xs, [0.2] * 6, "greater", 0.01)[0] == "not reproduced"  # flat


def test_log_speedup_counts_censored_runs_at_the_cap():
    conv = np.array([[1000.0, np.nan], [500.0, 250.0]])  # (rule, seed)
    s = cv.log_speedup(conv, np.isnan(conv), 2000.0)
    np.testing.assert_allclose(s, [np.log10(2.0), np.log10(8.0)])
    assert cv.log_speedup(np.array([[0.0], [0.0]]), np.zeros((2, 1), bool), 10.0)[0] == 0.0


def test_similar_poor_compares_censored_pairs_on_their_lowest_error():
    rng = np.random.default_rng(0)
    gd = 10 ** rng.uniform(-2, -1, 10)  # neither rule reaches 1e-3: all censored
    assert cv.similar_verdict(gd, gd * 10 ** rng.normal(0, 0.05, 10), 1e-3, 0.01)[0] == "reproduced"
    assert cv.similar_verdict(gd, gd / 30, 1e-3, 0.01)[0] == "not reproduced"  # curl far better
    # runs below the threshold all count as the threshold
    assert cv.similar_verdict(np.full(5, 1e-5), np.full(5, 1e-7), 1e-3, 0.01)[0] == "reproduced"
    assert cv.similar_verdict(gd[:2], gd[:2], 1e-3, 0.01)[0] == "not tested"


def test_teacher_rule_combines_the_parts():
    assert fig5.teacher_verdict(2.0, "reproduced", ["reproduced", "reproduced"]) == "reproduced"
    assert (
        fig5.teacher_verdict(2.0, "reproduced", ["reproduced", "not reproduced"])
        == "not reproduced"
    )
    assert fig5.teacher_verdict(2.0, "not reproduced", ["reproduced"]) == "not reproduced"
    assert fig5.teacher_verdict(2.0, "not tested", ["reproduced"]) == "not tested"
    assert fig5.teacher_verdict(np.inf, "reproduced", []) == "not reproduced"  # never poor
    assert fig5.teacher_verdict(2.0, "reproduced", []) == "not reproduced"  # no scale above


def test_critical_location_rule():
    lo, hi = fig5.CRITICAL_RANGE
    assert cv.critical_location_verdict(2.2, 1.8, 2.6, lo, hi) == "reproduced"
    assert cv.critical_location_verdict(0.6, 0.4, 0.8, lo, hi) == "not reproduced"  # below 1
    assert cv.critical_location_verdict(np.inf, 3.0, np.inf, lo, hi) == "not reproduced"
    assert cv.critical_location_verdict(3.5, 2.0, np.inf, lo, hi) == "not tested"


def test_loss_curve_rule_tolerates_jitter_not_a_rise():
    assert cv.monotone_verdict([0.0, 0.1, 0.29]) == ("reproduced", 0)
    assert cv.monotone_verdict([0.0, 0.1, 0.31]) == ("not reproduced", 1)
    assert cv.monotone_verdict([0.0, np.inf]) == ("not reproduced", 1)  # diverged
    assert cv.monotone_verdict([])[0] == "not tested"


def test_smaller_effect_rule():
    rng = np.random.default_rng(2)
    relu, tanh = rng.normal(0.1, 0.1, 40), rng.normal(0.5, 0.1, 10)
    assert cv.smaller_verdict(relu, tanh, 0.05)[0] == "reproduced"
    assert cv.smaller_verdict(tanh, relu, 0.05)[0] == "not reproduced"
    assert cv.smaller_verdict(relu, tanh[:2], 0.05)[0] == "not tested"


def test_paired_statistics_have_the_known_answer():
    """8 seeds, curl crosses first in every pair by a noisy margin: t-test and sign test agree
    with closed forms; a censored GD run counts as a curl win in the sign test."""
    from scipy import stats

    rng = np.random.default_rng(1)
    gd = rng.uniform(2000, 4000, 8)
    curl = gd - rng.uniform(200, 800, 8)
    conv = np.stack([gd, curl])
    cens = np.zeros_like(conv, bool)
    c = cv.paired_arms(conv, cens, 1, 0, ("curl", "gradient"))
    assert c.p_ttest == pytest.approx(stats.ttest_rel(curl, gd).pvalue)
    assert c.n_a_faster == 8 and c.p_sign == pytest.approx(2 * 0.5**8)
    conv[0, :3], cens[0, :3] = np.nan, True
    c = cv.paired_arms(conv, cens, 1, 0, ("curl", "gradient"))
    assert c.n_used == 5 and c.n_censored_b == 3 and c.n_a_faster == 8


def test_gradient_arm_is_curl_without_flips_and_flip_panel_pairs_with_zero():
    sw = cv.full_sweeps(fig5.SETUP, fig5.settings("smoke"), "smoke")  # the panels' grids
    c = sw["c"]
    gd, curl = c.point_spec((0, 0, 0)), c.point_spec((0, 1, 0))
    assert gd.rule.kind == curl.rule.kind == "curl"
    assert gd.rule.flip_counts(gd.network) == (0, 0)
    assert curl.rule.flip_counts(curl.network) == (0, 1)
    f = sw["f"]
    assert f.axes[0].values == (0, 1, 2)
    assert fig5.sweeps("smoke")["fig5f-smoke"].axes[0].values == (2,)  # 0, 1: panel b's
    assert [f.point_spec((i, 0)).rule.flip_counts(gd.network) for i in range(3)] == [
        (0, 0),
        (0, 1),
        (0, 2),
    ]


def test_whole_curves_can_stop_at_the_threshold(tmp_path):
    """With ``curves_stop`` (the decisive profile), panel b's runs stop at the threshold
    too; its convergence epochs, the panels built on them and the plot still come out."""
    import dataclasses

    import matplotlib

    matplotlib.use("Agg")
    s = dataclasses.replace(
        fig5.settings("smoke"), curves_stop=True, curves={"task.init_scale": 1.0}
    )
    sw = cv.build_sweeps(fig5.SETUP, s, "smoke")
    assert sw["b"].base.train.stop_below == s.threshold
    data = cv.compute(fig5.SETUP, s, "smoke", tmp_path)
    stopped = data.stop_b.values < s.epochs
    assert stopped.any() and np.all(np.isnan(data.test_error_b.values[:, :, -1][stopped]))
    assert np.all(~data.censored_b.values[stopped] | data.diverged_b.values[stopped])
    fig = fig5.plot(data)
    assert fig.axes
    assert all(c.setting for c in fig5.claims(data))
