"""The contract every figure module follows, the registry of figure sweeps, and the runner
behind ``curldescent figure``.

Every figure module ``curldescent.figures.figN`` has one shape:

- ``CAPTION`` (the paper's caption, shortened) and ``PAPER_COMPUTE`` (the compute the
  paper reports for it, a string);
- ``PROFILES``: a dict ``{profile: description of what it reduces versus the paper}`` for
  the profiles ``smoke``, ``quick`` and ``paper``;
- ``Settings``: a frozen dataclass with one documented field per grid or length that a
  profile sets, ``SETTINGS: dict[str, Settings]`` with the keys ``smoke``, ``quick`` and
  ``paper``, and ``settings(profile) -> Settings`` (:func:`profile_settings`: an unknown
  profile raises :class:`~curldescent.specs.SpecError` naming the allowed ones);
- ``sweeps(profile) -> dict[str, SweepSpec]`` (simulating figures): the figure's runs as
  sweep specs named ``figNx-PROFILE``, built without running anything; ``compute`` runs
  exactly these sweeps, each into :func:`store_path` ``(out, sweep)``, so that
  ``curldescent sweep figNx-PROFILE`` (on a cluster, say) fills the store the figure reads;
- ``planned_runs(profile: str) -> int`` (simulating figures): the number of runs, from the
  profile's plan alone, for progress displays before anything runs;
- ``compute(profile: str, out: Path, executor=None) -> xarray.Dataset``: runs (or resumes)
  the simulations/theory for a profile and returns the figure's data (stored under ``out``);
  it sets ``data.attrs["n_runs"]`` to the number of simulated runs (0 for pure theory);
- ``plot(data) -> matplotlib.figure.Figure``: draws from the data only, never simulates;
- ``claims(data) -> list[Claim]``: the paper's statements checked against the data.

No figure module imports another figure module: shared code lives in non-figure modules
with public names, shared statistics in :mod:`curldescent.analysis`.

:func:`figure_sweeps` lists every figure's sweeps per profile (what ``curldescent sweep
list`` shows) and :func:`figure_sweep` finds one by name. :func:`run_figure` calls
``compute``, ``plot`` and ``claims`` and writes ``figN.png``, ``figN.pdf``, ``figN.nc``
(the data) and ``figN.claims.json`` into the output folder; the figure's departures from
print standards (:func:`curldescent.plotting.journal_problems`) go into the result's
``extra``.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import math
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

VERDICTS = ("reproduced", "not reproduced", "not tested")

#: figure name -> module path. Later figures register here.
FIGURES: dict[str, str] = {
    "fig1": "curldescent.figures.fig1",
    "fig2": "curldescent.figures.fig2",
    "fig3": "curldescent.figures.fig3",
    "fig4": "curldescent.figures.fig4",
    "figA": "curldescent.figures.figA",
    "fig5": "curldescent.figures.fig5",
    "fig6": "curldescent.figures.fig6",
    "fig7": "curldescent.figures.fig7",
    "fig8": "curldescent.figures.fig8",
    "fig9": "curldescent.figures.fig9",
    "fig10": "curldescent.figures.fig10",
}
PROFILE_NAMES = ("smoke", "quick", "decisive", "paper")

#: figure -> the figures whose sweeps it reads (and runs itself when they are missing):
#: ``reproduce`` starts it only after those have finished, so two processes never drive one
#: store. Fig. 10 compares its ReLU speed-ups with Fig. 5's tanh ones.
NEEDS: dict[str, tuple[str, ...]] = {"fig10": ("fig5",)}

_S = TypeVar("_S")


@dataclass
class Claim:
    """One paper statement checked against data.

    Args:
        claim: the paper's sentence (or our precise reading of it).
        value: the measured quantity (number, list or short string).
        verdict: ``reproduced``, ``not reproduced`` or ``not tested``.
        uncertainty: spread of the measured value (e.g. SEM over seeds), if any.
        detail: how the verdict was decided (thresholds, test, numbers).
        setting: the experiment behind the verdict at this profile: network size, run
            length, seeds, and the resolution (grid step at the boundary) or statistical
            power it had, e.g. ``"M+N=220, 1e5 epochs, 10 seeds; c step 0.03 at c_crit"``.
    """

    claim: str
    value: Any
    verdict: str
    uncertainty: Any = None
    detail: str = ""
    setting: str = ""

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS} (got {self.verdict!r})")


def planned_runs(name: str, profile: str) -> int:
    """How many runs figure ``name`` simulates under ``profile`` (0 for pure theory), from
    its ``planned_runs`` function, before anything is computed."""
    count = getattr(figure_module(name), "planned_runs", None)
    return 0 if count is None else int(count(profile))


def verdict(ok: bool) -> str:
    return "reproduced" if ok else "not reproduced"


def _jsonable(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return _jsonable(obj.item())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


@dataclass
class FigureResult:
    name: str
    profile: str
    files: dict[str, str]
    claims: list[Claim]
    wall_time_s: float
    extra: dict[str, Any] = field(default_factory=dict)


def figure_module(name: str):
    if name not in FIGURES:
        from curldescent.specs import SpecError

        raise SpecError(f"unknown figure {name!r}; allowed: {', '.join(FIGURES)}")
    return importlib.import_module(FIGURES[name])


def n_diverged(data) -> int | None:
    """Diverged runs in a figure's data: the sum of its boolean ``*diverged*`` variables
    (``None`` when it has none)."""
    flags = [v for k, v in data.data_vars.items() if "diverged" in str(k) and v.dtype == bool]
    return int(sum(int(v.sum()) for v in flags)) if flags else None


def run_figure(
    name: str, *, profile: str = "quick", out: str | Path = "results", executor: Any = None
) -> FigureResult:
    """Compute, plot and check one figure; write its files into ``out``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from curldescent.plotting import journal_problems, letter_panels, use_style
    from curldescent.results import write_dataset
    from curldescent.specs import SpecError

    if profile not in PROFILE_NAMES:
        raise SpecError(f"unknown profile {profile!r}; allowed: {', '.join(PROFILE_NAMES)}")
    mod = figure_module(name)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    data = mod.compute(profile, out, executor=executor)
    use_style()
    fig = letter_panels(mod.plot(data))
    print_problems = journal_problems(fig)
    files = {}
    for ext in ("png", "pdf"):
        path = out / f"{name}.{ext}"
        fig.savefig(path, dpi=150 if ext == "png" else None)
        files[ext] = str(path)
    plt.close(fig)
    files["data"] = str(write_dataset(data, out / f"{name}.nc"))
    found = mod.claims(data)
    claims_path = out / f"{name}.claims.json"
    claims_path.write_text(json.dumps(_jsonable([asdict(c) for c in found]), indent=2))
    files["claims"] = str(claims_path)
    n_runs = data.attrs.get("n_runs")
    extra = {
        "n_runs": None if n_runs is None else int(n_runs),
        "n_diverged": n_diverged(data),
        "print_problems": print_problems,
    }
    return FigureResult(name, profile, files, found, time.time() - t0, extra)


def config_hash(config: Any) -> str:
    """A short, stable hash of a JSON-serialisable configuration."""
    text = json.dumps(config, sort_keys=True, default=_json_default)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _json_default(obj: Any) -> Any:
    import numpy as np

    from curldescent.specs import RunSpec

    if isinstance(obj, RunSpec):
        return obj.to_dict()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, tuple | set):
        return list(obj)
    raise TypeError(f"not serialisable: {type(obj).__name__}")


def store_path(out: Path, sweep) -> Path:
    """Where a sweep's zarr store lives: ``out/data/NAME-HASH.zarr``, the hash of the spec
    without its free-text description (so a changed grid never collides with an old store,
    and a reworded description does not orphan one)."""
    spec = {k: v for k, v in sweep.to_dict().items() if k != "description"}
    return Path(out) / "data" / f"{sweep.name}-{config_hash(spec)}.zarr"


def profile_settings(settings: Mapping[str, _S], profile: str) -> _S:
    """``settings[profile]``: a figure module's ``settings(profile)``.

    Raises:
        SpecError: ``profile`` is not a key of ``settings`` (the message names the keys).

    Examples:
        >>> profile_settings({"smoke": 1, "quick": 2, "decisive": 3, "paper": 4}, "quick")
        2
    """
    if profile not in settings:
        from curldescent.specs import SpecError

        names = [p for p in PROFILE_NAMES if p in settings]
        names += [p for p in settings if p not in names]
        raise SpecError(f"unknown profile {profile!r}; allowed: {', '.join(names)}")
    return settings[profile]


@dataclass(frozen=True)
class FigureSweep:
    """One sweep of a figure under one profile, as ``curldescent sweep list`` shows it.

    Args:
        figure: the figure's name (a key of :data:`FIGURES`).
        profile: the profile whose sweep this is.
        key: the sweep's key in the figure's ``sweeps(profile)``.
        sweep: the :class:`~curldescent.sweeps.SweepSpec`.
    """

    figure: str
    profile: str
    key: str
    sweep: Any

    @property
    def name(self) -> str:
        """The sweep's name (``figNx-PROFILE``), the name ``curldescent sweep`` takes."""
        return self.sweep.name

    @property
    def runs(self) -> int:
        """The number of runs in the sweep."""
        return int(self.sweep.size)

    def store(self, out: str | Path) -> Path:
        """Where the figure, computed with output folder ``out``, reads this sweep's store."""
        return store_path(Path(out), self.sweep)


def figure_sweeps(profile: str | None = None) -> list[FigureSweep]:
    """Every sweep of every simulating figure (its module's ``sweeps(profile)``), in the
    order of :data:`FIGURES`, for ``profile`` or for every profile of
    :data:`PROFILE_NAMES`; builds the specs without running anything.

    Raises:
        SpecError: an unknown ``profile``.

    Examples:
        >>> [s.name for s in figure_sweeps("paper") if s.figure == "fig4"]
        ['fig4a-paper', 'fig4-random-paper', 'fig4-slice-paper']
    """
    if profile is not None and profile not in PROFILE_NAMES:
        from curldescent.specs import SpecError

        raise SpecError(f"unknown profile {profile!r}; allowed: {', '.join(PROFILE_NAMES)}")
    profiles = PROFILE_NAMES if profile is None else (profile,)
    found = []
    for name in FIGURES:
        make = getattr(figure_module(name), "sweeps", None)
        if make is None:
            continue
        for p in profiles:
            found += [FigureSweep(name, p, key, sweep) for key, sweep in make(p).items()]
    return found


def figure_sweep(name: str) -> FigureSweep | None:
    """The figure sweep called ``name`` (``fig3a-paper``), or None when no figure has one.

    Only the profile that ends the name (``-PROFILE``) is built.

    Examples:
        >>> figure_sweep("fig4a-paper").runs
        8400
    """
    profile = name.rsplit("-", 1)[-1]
    if profile not in PROFILE_NAMES:
        return None
    return next((s for s in figure_sweeps(profile) if s.name == name), None)
