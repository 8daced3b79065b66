"""Recurrent network models with Hebbian plasticity (paper Section 2, Appendix A).

One file per model: :mod:`~curldescent.models.recurrent` (the shared linear recurrent
network with signed, masked Hebbian plasticity), :mod:`~curldescent.models.ei` (E–I, eqs.
1–2, A.3), :mod:`~curldescent.models.hebbian` (Hebbian/anti-Hebbian, eqs. 23–24, A.2),
:mod:`~curldescent.models.pehlevan` (the A.4 architecture); :mod:`~curldescent.models.catalog`
lists the built-in learning fields for the curl meter.
"""

from curldescent.models.catalog import CASES as CASES
from curldescent.models.catalog import CaseSpec as CaseSpec
from curldescent.models.catalog import FieldCase as FieldCase
from curldescent.models.catalog import build_case as build_case
from curldescent.models.catalog import measure_case as measure_case
from curldescent.models.ei import ei_input_correlation as ei_input_correlation
from curldescent.models.ei import ei_network as ei_network
from curldescent.models.ei import ei_signs as ei_signs
from curldescent.models.ei import sample_ei_weights as sample_ei_weights
from curldescent.models.hebbian import hebbian_network as hebbian_network
from curldescent.models.hebbian import plasticity_mask as plasticity_mask
from curldescent.models.hebbian import sample_hebbian_weights as sample_hebbian_weights
from curldescent.models.pehlevan import Blocks as Blocks
from curldescent.models.pehlevan import PehlevanArchitecture as PehlevanArchitecture
from curldescent.models.pehlevan import TiedField as TiedField
from curldescent.models.pehlevan import TiedParams as TiedParams
from curldescent.models.recurrent import HebbianRecurrent as HebbianRecurrent
from curldescent.models.recurrent import input_correlation as input_correlation
from curldescent.models.recurrent import (
    input_correlation_from_samples as input_correlation_from_samples,
)
