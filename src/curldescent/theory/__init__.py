"""Theory: Jacobian spectra of learning rules, the two-neuron toy model and the large-N
stability boundaries of the solution manifold (paper Sections 4.1–4.2, Appendix B).

- :mod:`~curldescent.theory.jacobian`: autodiff Jacobians (flow of eq. 6, update direction,
  discrete step with or without renormalisation) and the closed forms at the origin (eq. 11)
  and on the solution manifold (eq. 12);
- :mod:`~curldescent.theory.manifold`: solution-manifold points with eq. (14) statistics;
- :mod:`~curldescent.theory.toy`: the two-neuron model (eqs. 7–9, Fig. 1);
- :mod:`~curldescent.theory.edges`: large-N spectral edges and stability boundaries from the
  quartic (hidden flips, eqs. 117–125) and the difference-of-Wisharts discriminant (readout);
- :mod:`~curldescent.theory.freeprob`: the independent subordination fixed-point route
  (Stieltjes transform, density, fold edges);
- :mod:`~curldescent.theory.finite_size`: spectra of sampled matrices.
"""

from curldescent.theory.edges import LAYERS as LAYERS
from curldescent.theory.edges import AlphaBoundary as AlphaBoundary
from curldescent.theory.edges import Boundary as Boundary
from curldescent.theory.edges import LargeNEdges as LargeNEdges
from curldescent.theory.edges import boundary_curve as boundary_curve
from curldescent.theory.edges import critical_alpha as critical_alpha
from curldescent.theory.edges import critical_alpha_curve as critical_alpha_curve
from curldescent.theory.edges import critical_c as critical_c
from curldescent.theory.edges import edge_candidates as edge_candidates
from curldescent.theory.edges import large_n_edges as large_n_edges
from curldescent.theory.edges import lower_edge as lower_edge
from curldescent.theory.edges import spectral_edges as spectral_edges
from curldescent.theory.edges import stability_map as stability_map
from curldescent.theory.edges import support_intervals as support_intervals
from curldescent.theory.edges import wishart_edges as wishart_edges
from curldescent.theory.finite_size import ManifoldSpectrum as ManifoldSpectrum
from curldescent.theory.finite_size import edge_spacing as edge_spacing
from curldescent.theory.finite_size import instability_fraction as instability_fraction
from curldescent.theory.finite_size import manifold_spectrum as manifold_spectrum
from curldescent.theory.finite_size import sampled_lower_edges as sampled_lower_edges
from curldescent.theory.finite_size import split_sizes as split_sizes
from curldescent.theory.freeprob import density as density
from curldescent.theory.freeprob import fold_edges as fold_edges
from curldescent.theory.freeprob import stieltjes as stieltjes
from curldescent.theory.jacobian import direction_jacobian as direction_jacobian
from curldescent.theory.jacobian import eigenvalues as eigenvalues
from curldescent.theory.jacobian import flow_jacobian as flow_jacobian
from curldescent.theory.jacobian import is_stable as is_stable
from curldescent.theory.jacobian import manifold_eigenvalues as manifold_eigenvalues
from curldescent.theory.jacobian import manifold_matrix as manifold_matrix
from curldescent.theory.jacobian import nonstructural as nonstructural
from curldescent.theory.jacobian import origin_eigenvalues as origin_eigenvalues
from curldescent.theory.jacobian import step_jacobian as step_jacobian
from curldescent.theory.jacobian import step_map as step_map
from curldescent.theory.jacobian import structural_zero_count as structural_zero_count
from curldescent.theory.manifold import flip_signs as flip_signs
from curldescent.theory.manifold import sample_manifold_point as sample_manifold_point
from curldescent.theory.toy import ToyTrajectory as ToyTrajectory
from curldescent.theory.toy import curl_limit as curl_limit
from curldescent.theory.toy import heteroclinic_orbits as heteroclinic_orbits
from curldescent.theory.toy import separatrix_radius as separatrix_radius
from curldescent.theory.toy import toy_field as toy_field
from curldescent.theory.toy import toy_jacobian as toy_jacobian
