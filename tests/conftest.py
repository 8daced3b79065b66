"""Test configuration: float64, one XLA/BLAS thread per process, XLA's faster CPU runtime for
small loops, non-interactive matplotlib (see curldescent.runtime)."""

from curldescent.runtime import configure_runtime

configure_runtime()


import json  # noqa: E402
import shutil  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402


@pytest.fixture(scope="module")
def jax_compile_cache(request, tmp_path_factory):
    """A persistent JAX compilation cache for one test module, shared with the dask workers
    and subprocesses it starts (restored afterwards)."""
    import jax
    from jax.experimental.compilation_cache import compilation_cache as cc

    cache = getattr(request.config, "cache", None)
    path = (
        cache.mkdir("curldescent_jax_cache")
        if cache is not None
        else tmp_path_factory.mktemp("jaxcache")
    )
    keys = {
        "jax_compilation_cache_dir": str(path),
        "jax_persistent_cache_min_compile_time_secs": 0.0,
        "jax_persistent_cache_min_entry_size_bytes": 0,
    }
    old = {k: getattr(jax.config, k) for k in keys}
    for k, v in keys.items():
        jax.config.update(k, v)
    cc.reset_cache()
    yield path
    for k, v in old.items():
        jax.config.update(k, v)
    cc.reset_cache()


@pytest.fixture(scope="session")
def smoke_reproduction(tmp_path_factory, worker_id) -> Path:
    """Every figure at the smoke profile, computed once per test run by ``reproduce`` into a
    folder shared by the xdist workers: the first worker to ask computes it under a file
    lock, the others wait and read it. Its ``log.json`` holds reproduce's log lines.
    Read only: tests that write use a private copy (:func:`smoke_figure`)."""
    from filelock import FileLock

    from curldescent.reproduce import reproduce

    base = tmp_path_factory.getbasetemp()
    root = base if worker_id == "master" else base.parent  # one folder per test run
    out = root / "smoke-reproduction"
    with FileLock(str(root / "smoke-reproduction.lock")):
        if not (out / "log.json").exists():
            shutil.rmtree(out, ignore_errors=True)
            lines: list[str] = []
            reproduce(profile="smoke", out=out, jobs=2, log=lines.append, progress=False)
            (out / "log.json").write_text(json.dumps(lines))
    return out


@pytest.fixture(scope="session")
def smoke_figure(smoke_reproduction):
    """``get(name, folder) -> (folder, entry)``: a private copy of the smoke reproduction in
    ``folder`` (made once per folder; stores, caches and figure files with their mtimes)
    and the figure's report entry (it must have run without error)."""
    from curldescent.report import load_entries

    def get(name: str, folder: Path):
        folder = Path(folder)
        if not (folder / "log.json").exists():
            shutil.copytree(smoke_reproduction, folder, dirs_exist_ok=True)
        [entry] = load_entries(folder, [name])
        assert entry.error is None, f"{name} failed: {entry.error}"
        return folder, entry

    return get
