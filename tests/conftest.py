"""Test configuration: float64, one XLA/BLAS thread per process, XLA's faster CPU runtime for
small loops, non-interactive matplotlib (see curldescent.runtime)."""

from curldescent.runtime import configure_runtime

configure_runtime()


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
