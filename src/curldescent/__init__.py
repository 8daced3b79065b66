"""curldescent: non-gradient learning dynamics with sign-diverse plasticity.

Simulate, analyse and reproduce "Curl Descent: Non-Gradient Learning Dynamics with
Sign-Diverse Plasticity" (Ninou, Kadmon & Cayco-Gajic, NeurIPS 2025).

The library does not change global JAX flags on import; call
:func:`curldescent.enable_float64` (the CLI and the tests do) for double precision.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("curldescent")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"


def enable_float64() -> None:
    """Switch JAX to float64 (x64) mode. The paper's 1e-15 perturbations need it."""
    import jax

    jax.config.update("jax_enable_x64", True)
