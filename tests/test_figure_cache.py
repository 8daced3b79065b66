"""The figures' derived-results cache: computed once per configuration, a damaged or foreign
file recomputed (never trusted), provenance on every file."""

import numpy as np
import pytest
import xarray as xr

from curldescent.figures.cache import content_digest, derived, derived_path


def _make(calls, value=1.0):
    def make():
        calls.append(1)
        return xr.Dataset(
            {
                "x": (("i",), np.array([value, np.nan, 3.0])),
                "ok": (("i",), np.array([True, False, True])),
            },
            coords={"i": [0, 1, 2], "label": ("i", ["a", "b", "c"])},
        )

    return make


def _never():
    raise AssertionError("recomputed although a sound file exists")


def test_computed_once_per_config(tmp_path):
    calls = []
    first = derived(tmp_path, "demo", {"n": 3}, _make(calls))
    again = derived(tmp_path, "demo", {"n": 3}, _never)
    xr.testing.assert_identical(first.drop_attrs(), again.drop_attrs())
    path = derived_path(tmp_path, "demo", {"n": 3})
    assert path.parent.name == "derived" and path.name.startswith("demo-") and path.exists()
    assert {"curldescent_version", "derived_config_hash", "derived_sha256"} <= set(again.attrs)
    other = derived(tmp_path, "demo", {"n": 4}, _make(calls, 2.0))  # another config: new file
    assert len(calls) == 2 and float(other.x[0]) == 2.0
    assert len(list((tmp_path / "derived").glob("demo-*.nc"))) == 2


@pytest.mark.parametrize("damage", ["truncate", "garbage", "edit", "foreign"])
def test_damaged_file_is_recomputed(tmp_path, damage):
    calls = []
    derived(tmp_path, "demo", {"n": 3}, _make(calls))
    path = derived_path(tmp_path, "demo", {"n": 3})
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif damage == "garbage":
        path.write_bytes(b"not a netCDF file")
    else:
        with xr.open_dataset(path) as ds:
            ds = ds.load()
        if damage == "edit":  # values changed, attributes (with the old digest) kept
            ds["x"] = ds.x.copy(data=ds.x.values + 1.0)
        else:  # a file of another configuration at this path
            ds.attrs["derived_config_hash"] = "0" * 16
        path.unlink()
        ds.to_netcdf(path)
    out = derived(tmp_path, "demo", {"n": 3}, _make(calls))
    assert len(calls) == 2 and float(out.x[0]) == 1.0
    derived(tmp_path, "demo", {"n": 3}, _never)  # the replacement is sound


def test_content_digest_survives_the_netcdf_round_trip(tmp_path):
    ds = _make([])()
    ds.to_netcdf(tmp_path / "d.nc")
    with xr.open_dataset(tmp_path / "d.nc") as back:
        assert content_digest(back.load()) == content_digest(ds)
    assert content_digest(ds.assign(x=ds.x * 2)) != content_digest(ds)
