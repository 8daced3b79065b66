"""Recurrent network models with Hebbian plasticity (paper Section 2, Appendix A).

One file per model: :mod:`~curldescent.models.recurrent` (the shared linear recurrent
network with signed, masked Hebbian plasticity), :mod:`~curldescent.models.ei` (E–I, eqs.
1–2, A.3), :mod:`~curldescent.models.hebbian` (Hebbian/anti-Hebbian, eqs. 23–24, A.2),
:mod:`~curldescent.models.pehlevan` (the A.4 architecture); :mod:`~curldescent.models.catalog`
lists the built-in learning fields for the curl meter.

Imports are lazy (PEP 562), so that ``import curldescent.models.names`` (the CLI's help)
does not start JAX.
"""

import importlib
from typing import Any

#: public name -> the submodule that defines it
_EXPORTS = {
    "CASES": "names",
    "CaseSpec": "catalog",
    "FieldCase": "catalog",
    "build_case": "catalog",
    "measure_case": "catalog",
    "ei_input_correlation": "ei",
    "ei_network": "ei",
    "ei_signs": "ei",
    "sample_ei_weights": "ei",
    "hebbian_network": "hebbian",
    "plasticity_mask": "hebbian",
    "sample_hebbian_weights": "hebbian",
    "Blocks": "pehlevan",
    "PehlevanArchitecture": "pehlevan",
    "TiedField": "pehlevan",
    "TiedParams": "pehlevan",
    "HebbianRecurrent": "recurrent",
    "input_correlation": "recurrent",
    "input_correlation_from_samples": "recurrent",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"curldescent.models.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
