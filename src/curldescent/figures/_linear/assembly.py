r"""Assembling a linear phase-diagram figure (Figs. 3 and 4) from its parts.

A figure's data is one Dataset whose panels, each with its own grid, carry a prefix
(:func:`prefixed`, read back by :func:`panel`). This module runs the parts that are not
plain grids (:func:`example_and_lyapunov`: the example run and the map continuation of the
main grid; :func:`scheme_slice`: one c under the discrete maps and the flow) and merges
everything with the analytic boundary (:func:`assemble`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import xarray as xr

from curldescent.figures._linear.boundary import boundary
from curldescent.figures._linear.continuation import N_CYCLE, cycle_periods, map_measurements
from curldescent.figures._linear.examples import example_run
from curldescent.figures._linear.flow import flow_grid, method_slice
from curldescent.figures._linear.grids import alpha_field, run_grid
from curldescent.figures.base import store_path
from curldescent.figures.cache import derived


def example_and_lyapunov(
    preset: str,
    layer: str,
    g: Any,
    sweep_a,
    store_a: Path,
    out: Path,
    executor: Any,
    times: dict,
) -> tuple[xr.Dataset, xr.Dataset]:
    """The example run of the profile settings ``g`` (``g.example``, preset ``preset``) and
    the map continuation of the grid ``sweep_a`` (q, cycles, Lyapunov) of ``g.lyap``, each
    a derived result kept under ``out`` (:func:`curldescent.figures.cache.derived`)."""
    import time

    from curldescent.presets import preset_spec, sizes_for_c

    ex_cfg, ly_cfg = asdict(g.example), asdict(g.lyap)
    M, N = sizes_for_c(ex_cfg["c"], g.total)
    ex_spec = preset_spec(
        preset,
        **{
            "network.M": M,
            "network.N": N,
            alpha_field(layer): ex_cfg["alpha"],
            "train.epochs": ex_cfg["epochs"],
            "seed": ex_cfg["seed"],
        },
    )
    t0 = time.time()
    ex = derived(
        out,
        f"example-{sweep_a.name}",
        {"spec": ex_spec, **ex_cfg},
        lambda: example_run(ex_spec, segment=ex_cfg["segment"], stride=ex_cfg["stride"]),
    )
    timing("example", t0, times)
    t0 = time.time()
    ly = derived(
        out,
        f"lyapunov-{sweep_a.name}",
        {"sweep": sweep_a.to_dict(), **ly_cfg},
        lambda: map_measurements(
            sweep_a,
            store_a,
            c_values=ly_cfg["c"],
            seeds=ly_cfg["seeds"],
            n_window=ly_cfg["n_window"],
            n_cycle=N_CYCLE,
            n_lyap=ly_cfg["n_lyap"],
            transient=ly_cfg["transient"],
            executor=executor,
        ),
    )
    timing("lyapunov", t0, times)
    return ex, ly


def scheme_slice(
    sweep_fb,
    seeds: Sequence[int],
    out: Path,
    executor: Any,
    times: dict,
    *,
    other_maps: dict[str, Any] | None = None,
) -> xr.Dataset:
    """One c of the grid from identical starts under several schemes: the full-batch map
    ``sweep_fb`` (with the exact periods of its continuation), the maps of ``other_maps``
    (label -> sweep with the same axes) and the continuous-time flow; dims
    (scheme, alpha, seed[, epoch])."""
    import time

    seeds = list(seeds)
    t0 = time.time()
    fb, store = run_grid(sweep_fb, out, executor, curves=True)
    cyc = derived(
        out,
        f"cycles-{sweep_fb.name}",
        {"sweep": sweep_fb.to_dict()},
        lambda: cycle_periods(sweep_fb, store, [sweep_fb.axes[0].values[0]], seeds, executor),
    )
    fb = fb.isel(c=0).drop_vars(["M", "N", "c"], errors="ignore")
    fb["period"] = cyc.period.isel(c=0).drop_vars("c")
    methods: dict[str, xr.Dataset] = {"map_full_batch": fb}
    timing("slice_map_full_batch", t0, times)
    for label, sweep in (other_maps or {}).items():
        t0 = time.time()
        ds, _ = run_grid(sweep, out, executor, curves=True)
        methods[label] = ds.isel(c=0).drop_vars(["M", "N", "c"], errors="ignore")
        timing(f"slice_{label}", t0, times)
    specs = [
        [sweep_fb.point_spec((0, ai, si)) for si in range(len(seeds))]
        for ai in range(len(sweep_fb.axes[1].values))
    ]
    t0 = time.time()
    methods["flow"] = derived(
        out,
        f"flow-{sweep_fb.name}",
        {"specs": specs},
        lambda: flow_grid(specs, sweep_fb.axes[1].values, seeds, executor=executor),
    )
    timing("slice_flow", t0, times)
    return method_slice(methods)


def prefixed(ds: xr.Dataset, prefix: str) -> xr.Dataset:
    """Every dimension, coordinate and variable of ``ds`` renamed ``prefix_name`` (so the
    panels of a figure, each with its own grid, live in one Dataset); attrs dropped."""
    names = {n: f"{prefix}_{n}" for n in list(ds.variables) + list(ds.dims)}
    out = ds.rename(names)
    out.attrs = {}
    return out


def panel(data: xr.Dataset, prefix: str) -> xr.Dataset:
    """The inverse of :func:`prefixed`: the variables of ``data`` named ``prefix_*``, unprefixed."""
    p = f"{prefix}_"
    keep = [v for v in data.data_vars if v.startswith(p)]
    sub = data[keep]
    drop = [c for c in sub.coords if not str(c).startswith(p)]
    sub = sub.drop_vars(drop)
    return sub.rename(
        {n: n[len(p) :] for n in list(sub.variables) + list(sub.dims) if n.startswith(p)}
    )


def planned_runs(sw: dict, slice_key: str) -> int:
    """Runs a linear-phase figure simulates: its sweeps, the example, and one flow per run
    of the slice sweep ``sw[slice_key]``."""
    return sum(s.size for s in sw.values()) + 1 + sw[slice_key].size


def assemble(
    figure: str,
    layer: str,
    profile: str,
    g: Any,
    sw: dict,
    out: Path,
    times: dict,
    panels: dict[str, xr.Dataset],
    *,
    method_labels: dict[str, str],
    attrs: dict[str, Any] | None = None,
) -> xr.Dataset:
    """One figure Dataset from its panels (prefix -> dataset; ``ex`` the example, ``sl`` the
    scheme slice), the analytic boundary (``bd``) and the attributes both figures share."""
    ex, sl = panels["ex"], panels["sl"]
    data = xr.merge(
        [prefixed(ds.drop_vars(["M", "N"], errors="ignore"), k) for k, ds in panels.items()]
        + [prefixed(boundary(layer), "bd")],
        combine_attrs="drop",
    )
    data.attrs.update(
        {
            "figure": figure,
            "profile": profile,
            "total": g.total,
            "slice_c": float(g.slice.c),
            "example": json.dumps(asdict(g.example)),
            "lyapunov": json.dumps(asdict(g.lyap)),
            "example_explained_variance_ratio": ex.attrs["explained_variance_ratio"],
            "timing_s": json.dumps(times),
            # what was simulated: the sweeps, the example, one flow per slice run (tests
            # compare it with planned_runs, the count announced before computing)
            "n_runs": int(
                sum(s.size for s in sw.values()) + 1 + sl.sizes["alpha"] * sl.sizes["seed"]
            ),
            "method_labels": json.dumps(method_labels),
            "sweep_stores": json.dumps({k: str(store_path(out, s)) for k, s in sw.items()}),
            **(attrs or {}),
        }
    )
    return data


def timing(label: str, t0: float, log: dict) -> None:
    """Record in ``log`` the seconds since ``t0`` under ``label`` (the figure's ``timing_s``)."""
    import time

    log[label] = round(time.time() - t0, 2)
