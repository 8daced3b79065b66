r"""Jacobians of learning rules and their spectra at the fixed points (Section 4.2, App. B.1–B.3).

Two families of routes:

* **Autodiff** through the rule of the core engine, for any :class:`~curldescent.rules.Plasticity`
  (signs, masks, feedback matrices):

  - :func:`flow_jacobian`: Jacobian of the continuous-time flow of eq. (6) with whitened
    inputs, :math:`\dot W = F(W)` with :math:`F` = :func:`~curldescent.rules.flow_field`;
  - :func:`direction_jacobian`: Jacobian of the batch-mean update direction on data
    :math:`(x, y)` (any activation), :func:`~curldescent.rules.update_direction`;
  - :func:`step_jacobian`: Jacobian of one discrete full-batch step
    :math:`W \mapsto W + \eta\,F_{\mathrm{data}}(W)`, optionally followed by the per-layer
    renormalisation :math:`W_l \mapsto n_l\,W_l/\lVert W_l\rVert_F` of the simulations.

  Parameters are flattened with :func:`jax.flatten_util.ravel_pytree` on ``Params(W1, W2)``:
  the first ``N*M`` coordinates are ``W1`` row-major, then the ``K*N`` entries of ``W2``.

* **Closed forms** for a scalar output (``K = 1``) and presynaptic signs :math:`D_1, D_2`:

  - at the origin, eq. (11)/(75): :math:`\det(J-\lambda) = (-\lambda)^{MN-N}\prod_i
    (\lambda^2 - d_{2,i}\Sigma)`, :math:`\Sigma = \sum_j d_{1,j}s_j^2`, so the eigenvalues
    are :math:`\pm\sqrt{d_{2,i}\Sigma}` (purely imaginary where :math:`d_{2,i}\Sigma<0`) plus
    :math:`MN-N` structural zeros (:func:`origin_eigenvalues`);
  - on the solution manifold :math:`W_2W_1 = s`, eq. (12)/(98): the non-zero eigenvalues
    are :math:`-\operatorname{eig}(X)`, :math:`X = \lVert W_2\rVert^2 D_1 + W_1^\top D_2 W_1`
    (a symmetric :math:`M\times M` matrix, so they are real), plus :math:`MN+N-M`
    structural zeros (:func:`manifold_eigenvalues`, :func:`manifold_matrix`). The paper's
    appendix writes :math:`W_1W_1^\top` where the :math:`M\times M` object is
    :math:`W_1^\top W_1` (see ``docs/protocol.md``, known slips); for gradient flow this is
    eq. (13), :math:`A = \lVert W_2\rVert^2 I_M + W_1^\top W_1`, positive definite.

Stability of a fixed point is judged on the **non-structural** eigenvalues only
(:func:`nonstructural`): the structural zeros are the tangent directions of the manifold
(or the null directions at the origin), present for every rule.

Examples:
    >>> import jax.numpy as jnp
    >>> from curldescent.network import Params
    >>> from curldescent.rules import Curl
    >>> from curldescent.specs import NetworkSpec
    >>> net = NetworkSpec(M=1, N=1)
    >>> p = Curl(d2=[-1.0]).plasticity(net)       # the two-neuron curl flow, eq. (8)
    >>> J = flow_jacobian(p, Params(jnp.zeros((1, 1)), jnp.zeros((1, 1))), jnp.ones((1, 1)))
    >>> sorted(complex(v).imag for v in eigenvalues(J))   # ±i s at the origin
    [-1.0, 1.0]
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from curldescent.network import Params
from curldescent.rules.base import Plasticity, flow_field, update_direction
from curldescent.specs import NetworkSpec, SpecError

__all__ = [
    "direction_jacobian",
    "eigenvalues",
    "flow_jacobian",
    "is_stable",
    "manifold_eigenvalues",
    "manifold_matrix",
    "nonstructural",
    "origin_eigenvalues",
    "renormalize",
    "step_jacobian",
    "step_map",
    "structural_zero_count",
]


def _jacobian_of(fun, params: Params) -> jnp.ndarray:
    """Dense Jacobian of ``fun: Params -> Params`` in flattened coordinates."""
    flat, unravel = ravel_pytree(params)

    def flat_fun(theta):
        return ravel_pytree(fun(unravel(theta)))[0]

    return jax.jacfwd(flat_fun)(flat)


@jax.jit
def flow_jacobian(p: Plasticity, params: Params, s: jnp.ndarray) -> jnp.ndarray:
    r"""Jacobian of the continuous-time flow of eq. (6) at ``params`` (autodiff).

    .. math:: J = \frac{\partial\,\mathrm{vec}(\dot W_1, \dot W_2)}{\partial\,\mathrm{vec}(W_1, W_2)},
        \qquad \dot W_1 = W_2^\top(s - W_2W_1)D_1,\quad \dot W_2 = (s-W_2W_1)W_1^\top D_2,

    generalised to every sign structure the engine supports (App. B.1, eqs. 48–60).
    Jitted here, at the entry point (one compilation per shape, instead of one per
    primitive in eager mode); it can be called inside a user's ``jit``/``vmap``.

    Args:
        p: the rule in canonical form (``rule.plasticity(network)``).
        params: the point ``Params(W1, W2)`` (N×M and K×N).
        s: the teacher map :math:`s = W_2^\star W_1^\star` (K×M).

    Returns:
        The (NM+KN)×(NM+KN) Jacobian, coordinates ordered as ``ravel_pytree(params)``.
    """
    return _jacobian_of(lambda q: flow_field(p, q, s), params)


@partial(jax.jit, static_argnums=0)
def direction_jacobian(
    network: NetworkSpec, p: Plasticity, params: Params, x: jnp.ndarray, y: jnp.ndarray
) -> jnp.ndarray:
    r"""Jacobian of the batch-mean update direction on the data ``(x, y)`` (autodiff, jitted).

    For a linear network with :math:`\langle xx^\top\rangle = I` and :math:`y = s\,x` this
    equals :func:`flow_jacobian`; in general it uses the empirical input covariance and any
    activation of ``network``.
    """
    return _jacobian_of(lambda q: update_direction(network, p, q, x, y), params)


def renormalize(params: Params, norms: tuple[float, float]) -> Params:
    r"""Per-layer renormalisation :math:`W_l \mapsto n_l\,W_l/\lVert W_l\rVert_F` (Section 5)."""
    n1, n2 = norms
    return Params(
        params.W1 * (n1 / jnp.linalg.norm(params.W1)), params.W2 * (n2 / jnp.linalg.norm(params.W2))
    )


def step_map(
    network: NetworkSpec,
    p: Plasticity,
    params: Params,
    x: jnp.ndarray,
    y: jnp.ndarray,
    lr: float,
    *,
    renormalize_to: tuple[float, float] | None = None,
) -> Params:
    r"""One full-batch step :math:`W' = W + \eta\,\Delta W`, then optionally
    :math:`W'_l \mapsto n_l W'_l/\lVert W'_l\rVert_F` with ``renormalize_to = (n_1, n_2)``."""
    d = update_direction(network, p, params, x, y)
    new = Params(params.W1 + lr * d.W1, params.W2 + lr * d.W2)
    return new if renormalize_to is None else renormalize(new, renormalize_to)


def step_jacobian(
    network: NetworkSpec,
    p: Plasticity,
    params: Params,
    x: jnp.ndarray,
    y: jnp.ndarray,
    lr: float,
    *,
    renormalize: bool = False,
    norms: tuple[float, float] | None = None,
) -> jnp.ndarray:
    r"""Jacobian of the discrete map of one full-batch step (autodiff, jitted).

    Without renormalisation :math:`\partial W'/\partial W = I + \eta\,J_{\mathrm{data}}`.
    With ``renormalize=True`` the map is :math:`W \mapsto R(W + \eta\Delta W)` with
    :math:`R(W)_l = n_l W_l/\lVert W_l\rVert_F`; ``norms = (n_1, n_2)`` are the initial norms
    the engine rescales to (default: the norms of ``params``, so that a fixed point of the
    step stays a fixed point). At such a fixed point the Jacobian is
    :math:`P\,(I + \eta J_{\mathrm{data}})` with :math:`P` the per-layer projector orthogonal to
    :math:`W_l` (a closed form checked in the tests). Stability of the discrete map: all
    non-structural eigenvalues inside the unit circle.
    """
    if renormalize and norms is None:
        norms = (jnp.linalg.norm(params.W1), jnp.linalg.norm(params.W2))
    return _step_jacobian(network, renormalize, p, params, x, y, lr, norms if renormalize else None)


@partial(jax.jit, static_argnums=(0, 1))
def _step_jacobian(network, renormalize, p, params, x, y, lr, norms):
    target = norms if renormalize else None
    return _jacobian_of(lambda q: step_map(network, p, q, x, y, lr, renormalize_to=target), params)


def eigenvalues(J) -> np.ndarray:
    """All eigenvalues of a (non-symmetric) Jacobian, complex, via LAPACK ``geev``."""
    return np.linalg.eigvals(np.asarray(J))


def _scalar_output(W2: np.ndarray) -> np.ndarray:
    W2 = np.asarray(W2)
    if W2.ndim == 2:
        if W2.shape[0] != 1:
            raise SpecError(
                f"closed forms need a scalar output: W2 must have shape (1, N) (got {W2.shape})"
            )
        W2 = W2[0]
    return W2


def origin_eigenvalues(d1, d2, s) -> np.ndarray:
    r"""Eigenvalues of the flow Jacobian at the origin, eq. (11) (App. B.2, eqs. 75–76).

    .. math:: \lambda = \pm\sqrt{d_{2,i}\,\Sigma}\ (i = 1..N),\qquad
        \Sigma = \sum_j d_{1,j}s_j^2,\qquad\text{plus } MN - N \text{ zeros}.

    The square root is complex: for :math:`d_{2,i}\Sigma < 0` the pair is :math:`\pm i\sqrt{|\Sigma|}`
    (a centre). (Eq. 76 is printed for :math:`\Sigma>0`; the formula above covers both signs.)

    Args:
        d1: (M,) presynaptic signs of the hidden layer. d2: (N,) of the readout layer.
        s: teacher map, shape (M,) or (1, M).

    Returns:
        Complex array of length MN + N: the 2N non-zero eigenvalues first, then the zeros.
    """
    d1 = np.asarray(d1, float)
    d2 = np.asarray(d2, float)
    s = np.asarray(s, float).reshape(-1)
    if s.shape != d1.shape:
        raise SpecError(f"s must have M = {d1.size} entries (got {s.size})")
    M, N = d1.size, d2.size
    sigma = float(np.sum(d1 * s**2))
    root = np.sqrt((d2 * sigma).astype(complex))
    return np.concatenate([root, -root, np.zeros(M * N - N, complex)])


def manifold_matrix(params: Params, d1, d2) -> np.ndarray:
    r"""The symmetric M×M matrix :math:`X = \lVert W_2\rVert^2 D_1 + W_1^\top D_2 W_1` of eq. (12).

    On the solution manifold the non-structural Jacobian eigenvalues are :math:`-\operatorname{eig}(X)`;
    the manifold point is stable iff :math:`X` is positive definite.
    """
    W1 = np.asarray(params.W1, float)
    W2 = _scalar_output(params.W2)
    d1 = np.asarray(d1, float)
    d2 = np.asarray(d2, float)
    X = (W1.T * d2[None, :]) @ W1
    X[np.diag_indices_from(X)] += float(W2 @ W2) * d1
    return 0.5 * (X + X.T)


def manifold_eigenvalues(params: Params, d1, d2, *, include_structural: bool = True) -> np.ndarray:
    r"""Eigenvalues of the flow Jacobian on the solution manifold, eq. (12) (App. B.3, eq. 98).

    .. math:: \det(J-\lambda I) = (-1)^{NM+N}\lambda^{MN+N-M}
        \det\bigl(\lambda I_M + \lVert W_2\rVert^2 D_1 + W_1^\top D_2 W_1\bigr).

    Valid where :math:`E = s - W_2W_1 = 0` (``params`` on the manifold of its own
    :math:`s = W_2W_1`) and the output is scalar.

    Returns:
        Real array: the M non-structural eigenvalues :math:`-\operatorname{eig}(X)` in
        decreasing order, followed (if ``include_structural``) by MN + N − M zeros.
    """
    lam = -np.linalg.eigvalsh(manifold_matrix(params, d1, d2))
    if not include_structural:
        return lam
    N, M = np.shape(params.W1)
    return np.concatenate([lam, np.zeros(M * N + N - M)])


def structural_zero_count(M: int, N: int, where: str = "manifold") -> int:
    """Number of structural zero eigenvalues: MN + N − M on the manifold, MN − N at the origin."""
    if where == "manifold":
        return M * N + N - M
    if where == "origin":
        return M * N - N
    raise SpecError(f"where must be one of manifold, origin (got {where!r})")


def nonstructural(eigs, n_structural: int) -> np.ndarray:
    """Drop the ``n_structural`` eigenvalues of smallest modulus (the structural zeros)."""
    eigs = np.asarray(eigs)
    if not 0 <= n_structural <= eigs.size:
        raise SpecError(f"n_structural must lie in [0, {eigs.size}] (got {n_structural})")
    order = np.argsort(np.abs(eigs), kind="stable")
    return eigs[np.sort(order[n_structural:])]


def is_stable(eigs, *, tol: float = 1e-12, discrete: bool = False) -> bool:
    """Linear stability from non-structural eigenvalues: all real parts < −tol (flow) or all
    moduli < 1 − tol (discrete map). Marginal eigenvalues count as not stable."""
    eigs = np.asarray(eigs)
    if discrete:
        return bool(np.all(np.abs(eigs) < 1.0 - tol))
    return bool(np.all(eigs.real < -tol))
