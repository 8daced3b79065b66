"""The ``paper`` profiles build the authors' grids (docs/protocol.md) and every run spec validates.

Nothing is simulated here: a paper-profile run takes hours, so a wrong grid, seed count
or schedule would otherwise surface only at the end of it."""

import numpy as np
import pytest

from curldescent.figures import _convergence as cv
from curldescent.figures import fig3, fig4, fig5, fig6, fig8, fig10
from curldescent.presets import sizes_for_c

HIDDEN_C = np.logspace(-1, 2, 20)
READOUT_C = np.logspace(-2, 1, 20)
ALPHAS = np.linspace(0, 1, 21)


def _axis(sweep, name):
    return np.asarray([a.values for a in sweep.axes if a.name == name][0])


def _check_grid(sweep, cs, n_seeds, *, batch, epochs=100_000, alphas=ALPHAS):
    assert sweep.dims == ("c", "alpha", "seed")
    np.testing.assert_allclose(_axis(sweep, "c"), cs, rtol=1e-12)
    np.testing.assert_allclose(_axis(sweep, "alpha"), alphas, atol=1e-12)
    assert len(_axis(sweep, "seed")) == n_seeds
    specs = sweep.point_specs()  # validates every run
    assert len(specs) == len(cs) * len(alphas) * n_seeds
    per_c = len(alphas) * n_seeds
    for i in range(0, len(specs), max(1, len(specs) // 50)):
        s, c = specs[i], cs[i // per_c]
        assert (s.network.M, s.network.N) == sizes_for_c(c)  # N = int(220/(1+c)), M = ...
        assert s.task.n_train == 250 and s.train.epochs == epochs
        assert s.train.lr == 0.1 and s.train.renormalize and s.train.n_checkpoints == 100
        assert s.train.batch_size == batch
    return specs


def test_fig3_paper_grids():
    sw = fig3.sweeps("paper")
    _check_grid(sw["a"], HIDDEN_C, 10, batch=10)
    # the inset: its own sweep over c = linspace(0.1, 0.7, 20), 2e4 epochs, batch 10
    _check_grid(sw["inset"], np.linspace(0.1, 0.7, 20), 10, batch=10, epochs=20_000)
    np.testing.assert_allclose(_axis(sw["b_alpha"], "c"), [50 / 169, 62 / 157, 73 / 146])
    np.testing.assert_allclose(_axis(sw["b_alpha"], "alpha"), np.linspace(0, 1, 25), atol=1e-12)
    np.testing.assert_allclose(_axis(sw["b_c"], "c"), np.linspace(0.1, 0.7, 20))
    np.testing.assert_allclose(_axis(sw["b_c"], "alpha"), [0.4, 0.5, 0.6])
    assert sw["b_alpha"].store_weights and sw["b_c"].store_weights  # both readings of q
    for b in sw["b_alpha"].point_specs()[:3] + sw["b_c"].point_specs()[:3]:
        # full batch; at the teacher with 1e-10 on W2; q over the last 1000 epochs
        assert b.train.batch_size is None and b.train.final_window == 1000
        assert (b.task.start, b.task.perturb_W1, b.task.perturb_W2) == ("teacher", 0.0, 1e-10)
        assert b.task.normalize_teacher and b.train.epochs == 100_000
        # a teacher per seed (a shared one would make the seeds identical), shared inputs
        assert (b.task_seed, b.data_seed) == (None, fig3.DATA_SEED)
    assert {(s.task_seed, s.data_seed) for s in sw["a"].point_specs()[:30]} == {(None, 0)}


def _check_readout(sweep, cs, alphas, n_seeds, n_checkpoints, start, epochs=100_000):
    assert sweep.dims == ("c", "alpha", "seed")
    np.testing.assert_allclose(_axis(sweep, "c"), cs, rtol=1e-12)
    np.testing.assert_allclose(_axis(sweep, "alpha"), alphas, atol=1e-12)
    assert len(_axis(sweep, "seed")) == n_seeds
    specs = sweep.point_specs()
    per_c = len(alphas) * n_seeds
    for i in range(0, len(specs), max(1, len(specs) // 50)):
        s, c = specs[i], cs[i // per_c]
        assert (s.network.M, s.network.N) == sizes_for_c(c)
        assert s.task.n_train == 250 and s.train.epochs == epochs and s.train.batch_size is None
        assert s.train.lr == 0.1 and s.train.renormalize
        assert s.train.n_checkpoints == n_checkpoints and s.task_seed is None
        assert (s.task.start, s.task.perturb_W1, s.task.perturb_W2) == start


@pytest.mark.parametrize("profile", ["paper", "decisive"])
def test_fig4_grids(profile):
    """(a) and (b) are one sweep from the teacher + 1e-15 on W1 with 200 checkpoints; the
    random start is a separate sweep (beyond the paper)."""
    sw = fig4.sweeps(profile)
    cs = READOUT_C if profile == "paper" else READOUT_C[::2]
    seeds = 20 if profile == "paper" else 4
    _check_readout(sw["a"], cs, ALPHAS, seeds, 200, ("teacher", 1e-15, 0.0))
    alphas_r = ALPHAS if profile == "paper" else ALPHAS[::2]
    paper = profile == "paper"
    _check_readout(
        sw["random"],
        cs,
        alphas_r,
        20 if paper else 2,
        100,
        ("random", 0.0, 0.0),
        epochs=100_000 if paper else 20_000,
    )


def test_fig3_decisive_plan():
    """Paper size, N_train and schedules; grids at the boundary (the inset's c grid)."""
    sw = fig3.sweeps("decisive")
    _check_grid(sw["a"], HIDDEN_C[::3], 2, batch=10, epochs=10_000, alphas=ALPHAS[::4])
    _check_grid(
        sw["inset"],
        np.linspace(0.1, 0.7, 20),
        2,
        batch=10,
        epochs=20_000,
        alphas=[0.1, 0.3, 0.5, 0.7, 1.0],
    )
    np.testing.assert_allclose(
        _axis(sw["b_alpha"], "alpha"), np.linspace(0, 1, 25)[::2], atol=1e-12
    )
    np.testing.assert_allclose(_axis(sw["b_c"], "c"), np.linspace(0.1, 0.7, 20)[::2])
    for b in sw["b_alpha"].point_specs()[:3]:
        assert b.train.epochs == 100_000 and b.train.final_window == 1000


def _check_readout_grid(sweep, n_seeds):
    """A Fig. 8 grid: Fig. 4's grid (_check_grid) with 200 checkpoints (the authors')."""
    import dataclasses

    assert sweep.base.train.n_checkpoints == 200
    fixed = dataclasses.replace(sweep, base=sweep.base.replace(**{"train.n_checkpoints": 100}))
    specs = _check_grid(fixed, READOUT_C, n_seeds, batch=None)
    return [s.replace(**{"train.n_checkpoints": 200}) for s in specs]


def test_fig6_and_fig8_paper_grids():
    sw6 = fig6.sweeps("paper")
    assert set(sw6) == {"main", "zoom", "linear"}
    _check_grid(sw6["main"], HIDDEN_C, 10, batch=10)
    zoom_c = np.linspace(0.1, 0.7, 20)  # Fig. 6b: its own sweep, 1e5 epochs
    _check_grid(sw6["zoom"], zoom_c, 10, batch=10)
    _check_grid(sw6["linear"], zoom_c, 10, batch=10)
    sw8 = fig8.sweeps("paper")
    assert set(sw8) == {"main", "linear", "random"}
    for key in ("main", "linear"):  # panels a and b: one sweep from 1e-15 off the manifold
        specs = _check_readout_grid(sw8[key], 20)
        assert {(s.task.start, s.task.perturb_W1) for s in specs} == {("teacher", 1e-15)}
    random = _check_readout_grid(sw8["random"], 10)
    assert {s.task.start for s in random} == {"random"}  # beyond the paper
    for key, sw in (("fig6", sw6), ("fig8", sw8)):
        acts = {k: {s.network.activation for s in x.point_specs()[:5]} for k, x in sw.items()}
        assert acts == {k: {"linear" if k == "linear" else "tanh"} for k in sw}, key
        # a teacher per seed, the inputs shared by the seeds; the linear control draws the same
        specs = [s for x in sw.values() for s in x.point_specs()[:50]]
        assert {(s.task_seed, s.data_seed) for s in specs} == {(None, 0)}


@pytest.mark.parametrize(
    ("module", "seeds", "activation"), [(fig5, 10, "tanh"), (fig10, 40, "relu")]
)
def test_fig5_and_fig10_paper_plans(module, seeds, activation):
    """The authors' grids (``Data_generation/fig5c``, ``fig5d``, ``fig5e``, ``fig5f``,
    ``fig10ab``, ``fig10c`` argList.txt): 19 N_train values, 17 init scales at N_train 1e4,
    17 teacher scales in steps of 0.25 at N_train 1e4 with 2e5 epochs, 1-10 flipped readout
    neurons; 10 (tanh) or 40 (ReLU) seeds; one task shared by every seed and rule."""
    n_train = [100, 140, 180, 220, 260, 300, 340, 380, 420, 440, 500, 600, 800, 1000]
    n_train += [1200, 1400, 1600, 1800, 2000]
    scales = [0.01, 0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    sw = module.sweeps("paper")
    name = module.SETUP.name
    letters = ("a", "b", "c") if module is fig10 else ("b", "c", "d")
    b = sw[f"{name}{letters[0]}-paper"].point_specs()
    assert {s.seed for s in b} == set(range(seeds))
    assert {s.network.activation for s in b} == {activation}
    assert {(s.network.M, s.network.N) for s in b} == {(100, 10)}
    assert all(s.train.epochs == 100_000 and s.train.batch_size == 10 for s in b)
    assert {s.task.n_train for s in b} == {2000 if module is fig5 else 1400}
    # the panels' whole grids (the sweeps leave out the runs of the whole-curve panel)
    full = cv.full_sweeps(module.SETUP, module.settings("paper"), "paper")
    c, d = full["c"], full["d"]
    assert list(c.axes[0].values) == n_train
    np.testing.assert_allclose(d.axes[0].values, scales)
    assert d.base.task.n_train == 10_000
    assert {s.task.init_scale for s in c.point_specs()} == {2.0}
    if module is fig5:
        e, f = sw["fig5e-paper"], full["f"]
        np.testing.assert_allclose(e.axes[0].values, [0.1, *np.arange(1, 17) * 0.25])
        assert e.base.train.epochs == 200_000 and e.base.task.n_train == 10_000
        assert f.axes[0].values == (0, *range(1, 11))  # 0 flips: gradient descent
        assert f.base.task.n_train == 2000
        # panel b's runs (N_train 2000, 0 and 1 flips) are in its sweep only
        assert sw["fig5c-paper"].axes[0].values == tuple(n_train[:-1])
        assert sw["fig5f-paper"].axes[0].values == tuple(range(2, 11))
        assert sw["fig5d-paper"] == d  # N_train 1e4: no run of panel b
    # a teacher per seed (the run seed), one set of inputs for every seed, rule and grid point
    every = [s for x in full.values() for s in x.point_specs()]
    assert {(s.task_seed, s.data_seed) for s in every} == {(None, 0)}
    # paired design: the GD and curl runs of a seed share teacher, data and initial weights
    specs = c.point_specs()
    for i in range(0, len(specs), 2 * seeds):
        for k in range(seeds):
            gd, curl = specs[i + k], specs[i + seeds + k]
            assert (gd.seed, gd.task_seed, gd.data_seed, gd.task) == (
                curl.seed,
                curl.task_seed,
                curl.data_seed,
                curl.task,
            )
            assert gd.rule.flip_counts(gd.network) == (0, 0)
            assert curl.rule.flip_counts(curl.network) == (0, 1)
