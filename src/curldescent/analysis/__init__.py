"""Analysis of learning dynamics: order parameter q (eq. 15), autocorrelations, PCA of
weight trajectories, Lyapunov exponents, convergence epochs with censoring and paired
statistics, and exact-cycle detection.

Pure functions on NumPy, JAX (and, where stated, xarray) arrays; see each module.
"""

from curldescent.analysis.autocorrelation import autocorrelation as autocorrelation
from curldescent.analysis.autocorrelation import mean_autocorrelation as mean_autocorrelation
from curldescent.analysis.convergence import ConvergenceEpoch as ConvergenceEpoch
from curldescent.analysis.convergence import PairedComparison as PairedComparison
from curldescent.analysis.convergence import convergence_epoch as convergence_epoch
from curldescent.analysis.convergence import paired_comparison as paired_comparison
from curldescent.analysis.cycles import CycleResult as CycleResult
from curldescent.analysis.cycles import detect_cycle as detect_cycle
from curldescent.analysis.lyapunov import LyapunovResult as LyapunovResult
from curldescent.analysis.lyapunov import lyapunov_exponents as lyapunov_exponents
from curldescent.analysis.order_parameter import WindowMoments as WindowMoments
from curldescent.analysis.order_parameter import order_parameter as order_parameter
from curldescent.analysis.order_parameter import (
    order_parameter_from_moments as order_parameter_from_moments,
)
from curldescent.analysis.order_parameter import stack_weights as stack_weights
from curldescent.analysis.order_parameter import window_moments as window_moments
from curldescent.analysis.order_parameter import window_moments_init as window_moments_init
from curldescent.analysis.order_parameter import window_moments_result as window_moments_result
from curldescent.analysis.order_parameter import window_moments_update as window_moments_update
from curldescent.analysis.pca import PCAResult as PCAResult
from curldescent.analysis.pca import principal_components as principal_components
