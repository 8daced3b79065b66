"""Test configuration: float64, one XLA/BLAS thread per process, XLA's faster CPU runtime for
small loops, non-interactive matplotlib (see curldescent.runtime)."""

from curldescent.runtime import configure_runtime

configure_runtime()
