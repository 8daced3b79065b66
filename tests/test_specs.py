"""specs.apply_overrides: the one function that overrides specs (--set, presets, TOML files
that start from a preset, sweep bases and points)."""

from __future__ import annotations

import pytest

from curldescent.presets import preset_overrides, preset_spec
from curldescent.specs import (
    RuleSpec,
    RunSpec,
    SpecError,
    TrainSpec,
    apply_overrides,
    field_path,
    load_spec,
)
from curldescent.sweeps import Axis, SweepSpec, sweep_from_dict


def test_dotted_paths_short_names_and_tables_are_one_override():
    base = preset_spec("fig3a")
    dotted = apply_overrides(base, {"train.epochs": 7, "rule.alpha_hidden": 0.25, "seed": 3})
    short = apply_overrides(base, {"epochs": 7, "alpha_h": 0.25, "seed": 3})
    table = apply_overrides(
        base, {"train": {"epochs": 7}, "rule": {"alpha_hidden": 0.25}, "seed": 3}
    )
    assert dotted == short == table == base.replace(**{"epochs": 7, "alpha_h": 0.25, "seed": 3})
    assert (dotted.train.epochs, dotted.rule.alpha_hidden, dotted.seed) == (7, 0.25, 3)
    assert dotted.network == base.network and dotted.task == base.task  # the rest is kept
    assert apply_overrides(base, {}) is base
    assert apply_overrides(base, {"rule": "gradient", "alpha_h": 0.0}).rule.kind == "gradient"


def test_full_batch_is_spelled_full_everywhere():
    spec = RunSpec(train=TrainSpec(batch_size=10))
    assert apply_overrides(spec, {"train.batch_size": "full"}).train.batch_size is None
    assert apply_overrides(spec, {"train": {"batch_size": "full"}}).train.batch_size is None
    sweep = SweepSpec(axes=(Axis("batch_size", ["full", 10]),))
    assert [sweep.point_spec((i,)).train.batch_size for i in range(2)] == [None, 10]


def test_rules_without_flips_clear_flips_only_when_asked():
    curl = RunSpec(rule=RuleSpec(kind="curl", alpha_hidden=0.5))
    with pytest.raises(SpecError, match="rule.kind = gradient takes no flips"):
        apply_overrides(curl, {"rule.kind": "gradient"})
    grad = apply_overrides(curl, {"rule.kind": "gradient", "alpha_h": 0.5}, clear_flips=True)
    assert grad.rule.kind == "gradient" and grad.rule.alpha_hidden == 0.0
    # a rule x alpha sweep pairs every curl point with the gradient point of its seed
    sweep = SweepSpec(base=curl, axes=(Axis("rule", ["gradient", "curl"]), Axis("alpha_h", [0.5])))
    assert sweep.point_spec((0, 0)).rule.alpha_hidden == 0.0
    assert sweep.point_spec((1, 0)).rule.alpha_hidden == 0.5


def test_presets_and_preset_tomls_go_through_apply_overrides(tmp_path):
    over = {"train.epochs": 9, "network.M": 12}
    assert preset_spec("fig5", **over) == apply_overrides(preset_spec("fig5"), over)
    with preset_overrides({"train.epochs": 4}):
        assert preset_spec("fig5", **over).train.epochs == 4  # --set of a figure wins
    toml = tmp_path / "run.toml"
    toml.write_text('preset = "fig5"\nseed = 2\n[train]\nepochs = 9\n[network]\nM = 12\n')
    assert load_spec(toml) == apply_overrides(preset_spec("fig5"), {**over, "seed": 2})
    sweep = sweep_from_dict(
        {"preset": "fig5", "base": {"train": {"epochs": 9}, "network": {"M": 12}}}
    )
    assert sweep.base == preset_spec("fig5", **over)


@pytest.mark.parametrize(
    ("changes", "where", "match"),
    [
        ({"train.epoch": 3}, "", "unknown spec field 'train.epoch'; allowed: "),
        ({"nosuch": 3}, "", "unknown spec field 'nosuch'"),
        (
            {"network": {"width": 3}},
            "",
            "unknown key network.width; allowed keys in [network]: K, M, N",
        ),
        ({"network": {"MM": 3}}, "base.", "unknown key base.network.MM; allowed keys in [network]"),
        ({"train.epochs": 0}, "", "train.epochs must be an integer >= 1 (got 0)"),
        ({"rule.kind": "nope"}, "", "rule.kind must be one of gradient, curl"),
        ({"seed": -1}, "", "seed must be an integer >= 0"),
    ],
)
def test_bad_overrides_are_one_line_errors_naming_the_allowed(changes, where, match):
    with pytest.raises(SpecError) as info:
        apply_overrides(RunSpec(), changes, where=where)
    message = str(info.value)
    assert match in message and "\n" not in message
    if "unknown spec field" in message:  # every allowed field is named
        assert all(path in message for path in ("train.epochs", "rule.alpha_hidden", "task_seed"))


def test_field_path_resolves_short_names():
    assert field_path("alpha_r") == "rule.alpha_readout"
    assert field_path("rule") == "rule.kind"
    assert field_path("N_train") == "task.n_train"
    with pytest.raises(SpecError, match="unknown spec field 'kind'"):
        field_path("kind")  # "rule" names the rule kind
