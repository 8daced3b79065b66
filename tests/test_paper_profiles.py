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
        assert b.task_seed is None  # a teacher per seed (a shared one would make seeds identical)
    # random starts: one task shared by the seeds of a grid point
    assert {s.task_seed for s in sw["a"].point_specs()[:30]} == {fig3.TASK_SEED}


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


def test_fig6_and_fig8_paper_grids():
    sw6 = fig6.sweeps("paper")
    _check_grid(sw6["main"], HIDDEN_C, 10, batch=10)
    zoom = _axis(sw6["zoom"], "c")
    assert len(zoom) == 12 and zoom.min() == pytest.approx(0.1) and zoom.max() == pytest.approx(0.7)
    sw8 = fig8.sweeps("paper")
    _check_grid(sw8["final"], READOUT_C, 10, batch=None)
    _check_grid(sw8["peak"], READOUT_C, 20, batch=None)
    for s in sw6["main"].point_specs()[:3] + sw8["final"].point_specs()[:3]:
        assert s.network.activation == "tanh"


@pytest.mark.parametrize(
    ("module", "seeds", "activation"), [(fig5, 10, "tanh"), (fig10, 40, "relu")]
)
def test_fig5_and_fig10_paper_plans(module, seeds, activation):
    sw = module.sweeps("paper")
    name = module.SETUP.name
    letters = ("a", "b", "c") if module is fig10 else ("b", "c", "d")
    b = sw[f"{name}{letters[0]}-paper"].point_specs()
    assert {s.seed for s in b} == set(range(seeds))
    assert {s.network.activation for s in b} == {activation}
    assert all(s.train.epochs == 100_000 and s.train.batch_size == 10 for s in b)
    # the panels' whole grids (the sweeps leave out the runs of the whole-curve panel)
    full = cv.full_sweeps(module.SETUP, module.settings("paper"), "paper")
    c, d = full["c"], full["d"]
    xs_c, xs_d = c.axes[0].values, d.axes[0].values
    assert xs_c[0] == 100 and xs_c[-1] == 2000
    assert xs_d[0] == 0.01 and xs_d[-1] == 10
    assert d.base.task.n_train == 10_000
    if module is fig5:
        e, f = sw["fig5e-paper"], full["f"]
        assert e.axes[0].values[0] == 0.1 and e.axes[0].values[-1] == 4
        assert e.base.train.epochs == 200_000
        assert f.axes[0].values == (0, *range(1, 11))  # 0 flips: gradient descent
        # panel b's runs (N_train 2000, 0 and 1 flips) are in its sweep only
        assert sw["fig5c-paper"].axes[0].values == xs_c[:-1]
        assert sw["fig5f-paper"].axes[0].values == tuple(range(2, 11))
        assert sw["fig5d-paper"] == d  # N_train 1e4: no run of panel b
    # paired design: the GD and curl runs of a seed share teacher, data and initial weights
    specs = c.point_specs()
    for i in range(0, len(specs), 2 * seeds):
        for k in range(seeds):
            gd, curl = specs[i + k], specs[i + seeds + k]
            assert (gd.seed, gd.task_seed, gd.task) == (curl.seed, curl.task_seed, curl.task)
