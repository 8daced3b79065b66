r"""Convergence epochs with explicit censoring, and paired comparisons of two rules.

**Convergence speed** (Figs. 5c–f, 10; ``docs/protocol.md``) is the epoch of the first
checkpoint at which the test error falls strictly below a threshold (1e-3):

.. math:: \tau = \min\{\,t_c : \mathcal L_{\text{test}}(t_c) < \theta\,\}.

A run that never gets there is **censored**: its convergence epoch is only known to exceed
the last checkpoint. It is returned as NaN with ``censored = True`` and is never replaced by
the last epoch (which would bias the means towards equality).

**Paired comparison.** Runs of two rules that share teacher, data and initial weights
(one pair per seed) are compared with

* a paired t-test (``scipy.stats.ttest_rel``) on the pairs where both runs converged, with
  the number of pairs used and of censored runs per arm reported;
* a censoring-aware **sign test**: in every pair, the run that converged earlier is faster;
  a converged run is faster than a censored one; two censored runs (or equal epochs) tie
  and carry no information. Under the null (exchangeable arms) the number of pairs won by
  A among the untied ones is Binomial(n, ½) (``scipy.stats.binomtest``);
* a censoring-aware **Wilcoxon signed-rank test** ("worst-rank" imputation, after Lachin
  1999): the difference of a pair with one censored run is given a magnitude larger than
  every observed difference (these pairs tie at the top ranks), with the sign of the
  ordering above; pairs with two censored runs are zero differences and dropped.

Differences are A − B throughout: negative means A converges earlier (is faster).
``alternative`` follows SciPy: ``"less"`` tests that A is faster.

Examples:
    >>> import numpy as np
    >>> epochs = np.array([1, 10, 100, 1000])
    >>> err = np.array([[1.0, 1e-2, 1e-4, 1e-6], [1.0, 1.0, 1.0, 1.0]])
    >>> res = convergence_epoch(err, epochs)
    >>> res.epoch.tolist(), res.censored.tolist()
    ([100.0, nan], [False, True])
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from scipy import stats

__all__ = [
    "ConvergenceEpoch",
    "PairedComparison",
    "convergence_epoch",
    "crossing_point",
    "detectable_effect",
    "holm",
    "max_rise",
    "paired_comparison",
    "trend_test",
]


class ConvergenceEpoch(NamedTuple):
    """Convergence epochs of a set of runs: ``epoch`` (float, NaN where censored) and
    ``censored`` (bool), both with the shape of the runs."""

    epoch: Any
    censored: Any


def convergence_epoch(
    test_error: Any,
    epochs: Any = None,
    *,
    threshold: float = 1e-3,
    axis: int = -1,
    dim: str = "epoch",
) -> ConvergenceEpoch:
    r"""Epoch of the first checkpoint with test error strictly below ``threshold``.

    Args:
        test_error: test errors at the checkpoints, checkpoints along ``axis``; any
            leading/trailing axes are runs. An ``xarray.DataArray`` with a ``dim``
            dimension is accepted too (its ``dim`` coordinate gives the epochs).
            NaN errors (diverged runs) never count as converged.
        epochs: (C,) checkpoint epochs; required for arrays, optional for DataArrays.
        threshold: error threshold θ (1e-3 in the protocol).
        axis: checkpoint axis of an array input.
        dim: checkpoint dimension of a DataArray input.

    Returns:
        :class:`ConvergenceEpoch` with ``epoch`` (float; NaN where censored) and
        ``censored`` (bool), shaped like ``test_error`` without the checkpoint axis
        (DataArrays for a DataArray input).
    """
    if hasattr(test_error, "dims") and hasattr(test_error, "coords"):  # xarray.DataArray
        da = test_error.transpose(..., dim)
        ep = np.asarray(da[dim].values if epochs is None else epochs)
        res = convergence_epoch(np.asarray(da.values), ep, threshold=threshold, axis=-1)
        template = da.isel({dim: 0}, drop=True)
        epoch = template.copy(data=res.epoch).rename("convergence_epoch")
        epoch.attrs = {
            "long_name": f"first epoch with test error < {threshold:g}",
            "units": "epochs",
        }
        censored = template.copy(data=res.censored).rename("censored")
        censored.attrs = {"long_name": f"test error never < {threshold:g}", "units": "1"}
        return ConvergenceEpoch(epoch, censored)
    if epochs is None:
        raise ValueError("epochs are required for array input")
    err = np.moveaxis(np.asarray(test_error, dtype=float), axis, -1)
    ep = np.asarray(epochs, dtype=float)
    if ep.shape != (err.shape[-1],):
        raise ValueError(f"epochs must have shape ({err.shape[-1]},) (got {ep.shape})")
    below = err < threshold  # NaN compares False
    converged = below.any(axis=-1)
    first = np.argmax(below, axis=-1)
    return ConvergenceEpoch(np.where(converged, ep[first], np.nan), ~converged)


@dataclass(frozen=True)
class PairedComparison:
    r"""Result of :func:`paired_comparison` (arms A and B; differences A − B).

    Attributes:
        names: labels of the arms (A, B).
        n_pairs: number of pairs (seeds).
        n_used: pairs where both runs converged (used by the t-test).
        n_censored_a, n_censored_b: censored runs in each arm.
        n_censored_both: pairs where both runs are censored.
        n_converged_a, mean_a, sem_a: converged runs of A, their mean epoch and its
            standard error (std with ddof = 1 over √n; NaN for n < 2).
        n_converged_b, mean_b, sem_b: the same for B.
        mean_diff, sem_diff: mean and SEM of A − B over the ``n_used`` pairs.
        t_statistic, p_ttest: paired t-test on the ``n_used`` pairs (NaN if n_used < 2).
        n_a_faster, n_b_faster, n_ties: censoring-aware ordering of all pairs.
        p_sign: sign test on the untied pairs.
        w_statistic, p_wilcoxon: censoring-aware Wilcoxon signed-rank test.
        alternative: the alternative hypothesis used by all three tests.
    """

    names: tuple[str, str]
    n_pairs: int
    n_used: int
    n_censored_a: int
    n_censored_b: int
    n_censored_both: int
    n_converged_a: int
    mean_a: float
    sem_a: float
    n_converged_b: int
    mean_b: float
    sem_b: float
    mean_diff: float
    sem_diff: float
    t_statistic: float
    p_ttest: float
    n_a_faster: int
    n_b_faster: int
    n_ties: int
    p_sign: float
    w_statistic: float
    p_wilcoxon: float
    alternative: str

    def to_dict(self) -> dict[str, Any]:
        """Plain dictionary (JSON-serialisable; NaN stays NaN)."""
        return dataclasses.asdict(self)


def _mean_sem(x: np.ndarray) -> tuple[float, float]:
    n = x.size
    mean = float(np.mean(x)) if n else math.nan
    sem = float(np.std(x, ddof=1) / math.sqrt(n)) if n >= 2 else math.nan
    return mean, sem


def _unpack(arm: Any, censored: Any) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(arm, ConvergenceEpoch):
        arm, censored = arm.epoch, (arm.censored if censored is None else censored)
    e = np.asarray(arm, dtype=float).ravel()
    c = (
        np.isnan(e)
        if censored is None
        else (np.asarray(censored, dtype=bool).ravel() | np.isnan(e))
    )
    return e, c


def paired_comparison(
    a: Any,
    b: Any,
    *,
    censored_a: Any = None,
    censored_b: Any = None,
    names: tuple[str, str] = ("a", "b"),
    alternative: str = "two-sided",
    wilcoxon_method: str = "auto",
) -> PairedComparison:
    r"""Compare the convergence epochs of two rules over paired seeds.

    Args:
        a, b: convergence epochs of arms A and B, one entry per seed in the same order
            (arrays, NaN = censored), or :class:`ConvergenceEpoch` results.
        censored_a, censored_b: optional explicit censoring flags (a NaN epoch always
            counts as censored).
        names: labels of the two arms, kept in the result.
        alternative: ``two-sided``, ``less`` (A faster: A − B < 0) or ``greater``.
        wilcoxon_method: passed to ``scipy.stats.wilcoxon`` (``auto``: exact or
            permutation null distribution for small samples, normal approximation for
            large ones; imputed pairs create ties, for which SciPy's small-sample route
            enumerates all 2^n sign flips for n <= 13 nonzero pairs, up to ~3 s per call; ``approx`` is fast).

    Returns:
        :class:`PairedComparison`. Edge cases: with fewer than two complete pairs the
        t-test is NaN; when every paired difference is exactly zero (identical arms) the
        tests find no evidence of a difference and report p = 1 (statistic 0).
    """
    if alternative not in ("two-sided", "less", "greater"):
        raise ValueError(f"alternative must be two-sided, less or greater (got {alternative!r})")
    ea, ca = _unpack(a, censored_a)
    eb, cb = _unpack(b, censored_b)
    if ea.shape != eb.shape:
        raise ValueError(f"arms must have the same number of seeds ({ea.size} vs {eb.size})")
    both = ~ca & ~cb
    d = ea[both] - eb[both]
    mean_a, sem_a = _mean_sem(ea[~ca])
    mean_b, sem_b = _mean_sem(eb[~cb])
    mean_diff, sem_diff = _mean_sem(d)

    # paired t-test on complete pairs
    if d.size < 2:
        t_stat, p_t = math.nan, math.nan
    elif np.all(d == 0):
        t_stat, p_t = 0.0, 1.0
    else:
        with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            tt = stats.ttest_rel(ea[both], eb[both], alternative=alternative)
        t_stat, p_t = float(tt.statistic), float(tt.pvalue)

    # censoring-aware ordering: sign of A - B, censored = slower than any converged run
    sign = np.zeros(ea.shape)
    sign[both] = np.sign(d)
    sign[ca & ~cb] = 1.0  # A censored, B converged: A slower
    sign[~ca & cb] = -1.0
    n_a_faster, n_b_faster = int(np.sum(sign < 0)), int(np.sum(sign > 0))
    n_ties = int(ea.size - n_a_faster - n_b_faster)
    n_untied = n_a_faster + n_b_faster
    p_sign = (
        float(stats.binomtest(n_b_faster, n_untied, 0.5, alternative=alternative).pvalue)
        if n_untied
        else 1.0
    )

    # Wilcoxon signed-rank with worst-rank imputation for half-censored pairs
    magnitude = np.zeros(ea.shape)
    magnitude[both] = np.abs(d)
    top = 2.0 * (float(np.max(np.abs(d))) if d.size else 1.0) + 1.0
    magnitude[ca ^ cb] = top
    dw = sign * magnitude
    if np.all(dw == 0):
        w_stat, p_w = 0.0, 1.0
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            wt = stats.wilcoxon(
                dw, zero_method="wilcox", alternative=alternative, method=wilcoxon_method
            )
        w_stat, p_w = float(wt.statistic), float(wt.pvalue)

    return PairedComparison(
        names=(str(names[0]), str(names[1])),
        n_pairs=int(ea.size),
        n_used=int(d.size),
        n_censored_a=int(ca.sum()),
        n_censored_b=int(cb.sum()),
        n_censored_both=int((ca & cb).sum()),
        n_converged_a=int((~ca).sum()),
        mean_a=mean_a,
        sem_a=sem_a,
        n_converged_b=int((~cb).sum()),
        mean_b=mean_b,
        sem_b=sem_b,
        mean_diff=mean_diff,
        sem_diff=sem_diff,
        t_statistic=t_stat,
        p_ttest=p_t,
        n_a_faster=n_a_faster,
        n_b_faster=n_b_faster,
        n_ties=n_ties,
        p_sign=p_sign,
        w_statistic=w_stat,
        p_wilcoxon=p_w,
        alternative=alternative,
    )


def holm(pvalues: Any) -> np.ndarray:
    r"""Holm–Bonferroni adjusted p-values (step-down; family-wise error rate).

    The k-th smallest of the m finite p-values is multiplied by m − k + 1, the running
    maximum is taken and the result capped at 1. NaN p-values (tests that could not be
    run) stay NaN and do not count in m.

    Examples:
        >>> holm([0.01, 0.04, 0.03]).round(3).tolist()
        [0.03, 0.06, 0.06]
    """
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    order = ok[np.argsort(p[ok], kind="stable")]
    m = order.size
    adjusted = np.maximum.accumulate(p[order] * (m - np.arange(m)))
    out[order] = np.minimum(adjusted, 1.0)
    return out


def trend_test(x: Any, y: Any, alternative: str = "greater") -> tuple[float, float]:
    """Kendall's rank correlation of ``y`` with ``x`` and its p-value (SciPy; exact null
    distribution for small samples without ties): ``greater`` tests that ``y`` grows with
    ``x``, ``less`` that it falls. Returns ``(tau, p)``; NaN for fewer than 2 points or a
    constant ``y``."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.size < 2 or np.all(y == y[0]):
        return math.nan, math.nan
    res = stats.kendalltau(x, y, alternative=alternative)
    return float(res.statistic), float(res.pvalue)


def smallest_trend_p(n: int) -> float:
    """The smallest one-sided p-value Kendall's test can give with ``n`` distinct points:
    1/n! (every ordering equally likely under no trend)."""
    return 1.0 / math.factorial(n) if n >= 1 else 1.0


def detectable_effect(n: int, alpha: float, power: float = 0.8) -> float:
    """The smallest standardised mean paired difference (mean / SD of the differences) a
    two-sided paired t-test with ``n`` pairs detects at level ``alpha`` with probability
    ``power`` (noncentral t; NaN for n < 2)."""
    if n < 2:
        return math.nan
    from scipy.optimize import brentq

    df = n - 1
    crit = stats.t.ppf(1 - alpha / 2, df)

    def miss(d: float) -> float:
        nc = d * math.sqrt(n)
        lower = float(np.nan_to_num(stats.nct.cdf(-crit, df, nc)))  # (NaN far out: 0)
        return float(stats.nct.sf(crit, df, nc)) + lower - power

    return float(brentq(miss, 1e-6, 200.0))


def crossing_point(x: Any, fraction: Any, level: float = 0.5) -> float:
    """Where a fraction that falls with ``x`` (increasing ``x``) crosses ``level``: linear
    interpolation between the last grid point at or above ``level`` and the next one.
    ``-inf`` if the fraction is below ``level`` at every point, ``+inf`` if it never falls
    below it after its last point at or above ``level`` (no crossing inside the grid)."""
    x, f = np.asarray(x, float), np.asarray(fraction, float)
    above = np.flatnonzero(f >= level)
    if above.size == 0:
        return -math.inf
    i = int(above[-1])
    if i == x.size - 1:
        return math.inf
    return float(x[i] + (f[i] - level) / (f[i] - f[i + 1]) * (x[i + 1] - x[i]))


def bootstrap_crossing(
    x: Any, converged: Any, level: float = 0.5, n_boot: int = 2000, seed: int = 0
) -> tuple[float, float, float]:
    """:func:`crossing_point` of the converged fraction, with a percentile bootstrap over
    seeds. ``converged``: bool array (x, ..., seed); the fraction at each x pools every
    axis but the first; seeds (the last axis) are resampled together across x (their runs
    share the seed's initial weights). Returns ``(estimate, low, high)``, the 95%
    percentile interval (infinite ends where resamples have no crossing inside the grid)."""
    c = np.asarray(converged, dtype=float)
    n = c.shape[-1]
    flat = c.reshape(c.shape[0], -1, n)
    est = crossing_point(x, flat.mean(axis=(1, 2)), level)
    rng = np.random.default_rng(seed)
    boots = np.array(
        [
            crossing_point(x, flat[:, :, rng.integers(0, n, n)].mean(axis=(1, 2)), level)
            for _ in range(n_boot)
        ]
    )
    lo, hi = (
        np.percentile(boots, [2.5, 97.5], method="lower"),
        np.percentile(boots, 97.5, method="higher"),
    )
    return est, float(lo[0]), float(hi)


def max_rise(loss: Any, threshold: float, axis: int = -1) -> np.ndarray:
    """How far a loss curve climbs back up before it first drops below ``threshold``: the
    largest log10(loss / lowest earlier loss) over the checkpoints up to that point (0 for a
    curve that never rises). NaN checkpoints (not simulated: after a stop) are skipped; a
    curve that becomes infinite before the threshold gets +inf.

    Examples:
        >>> max_rise([[1.0, 0.5, 2.0, 1e-4], [1.0, 0.5, 0.2, np.nan]], 1e-3).round(3).tolist()
        [0.602, 0.0]
    """
    L = np.moveaxis(np.asarray(loss, dtype=float), axis, -1)
    below = L < threshold
    first = np.where(below.any(-1), np.argmax(below, -1), L.shape[-1] - 1)
    upto = np.arange(L.shape[-1]) <= first[..., None]
    blown = (np.isinf(L) & upto).any(-1)
    with np.errstate(divide="ignore"):
        logs = np.where(upto & np.isfinite(L) & (L > 0), np.log10(np.where(L > 0, L, 1.0)), np.nan)
    low = np.fmin.accumulate(np.where(np.isnan(logs), np.inf, logs), axis=-1)
    prev = np.concatenate([np.full((*low.shape[:-1], 1), np.inf), low[..., :-1]], -1)
    rise = np.where(np.isfinite(prev) & ~np.isnan(logs), logs - prev, 0.0)
    return np.where(blown, np.inf, np.maximum(rise.max(-1), 0.0))
