r"""A curl meter: how far is a learning field from a gradient flow?

A learning rule is a vector field :math:`\dot\theta = f(\theta)` on the parameters. It is a
gradient flow, :math:`f = -\nabla V` for some potential :math:`V`, if and only if (on a simply
connected domain) the 1-form :math:`f\cdot d\theta` is closed, i.e. its Jacobian
:math:`J = \partial f/\partial\theta` is symmetric at every point (Schwarz's theorem; the
paper's eqs. (20), (27)). The meter measures the violation of this condition in two
independent ways:

1. **Jacobian asymmetry** (automatic differentiation)

   .. math:: a(\theta) = \frac{\lVert J - J^\top\rVert_F}{\lVert J\rVert_F} \in [0, 2],

   zero for a gradient field, :math:`\approx\sqrt2` for a Jacobian with independent
   entries and 2 for a purely rotational field. ``jacobian_method="exact"`` builds
   :math:`U^\top J U` from m JVPs; ``jacobian_method="probe"`` estimates both norms from random probes
   :math:`z` (Hutchinson): :math:`\lVert A\rVert_F^2 = \mathbb E\lVert Az\rVert^2` with
   :math:`Jz` from a JVP and :math:`J^\top z` from a VJP, for fields too large for a dense
   Jacobian.

2. **Circulation around small loops** (field evaluations only). For the circle
   :math:`\gamma(t) = \theta + r(\cos t\,u + \sin t\,v)` in the plane of orthonormal
   :math:`u, v`, Stokes' theorem gives

   .. math:: \oint_\gamma f\cdot d\theta = \pi r^2\, v^\top (J - J^\top)\, u + O(r^4),

   exactly zero for a gradient field (for any r), and proportional to the loop area for a
   smooth non-gradient field. The integral is computed with the trapezoidal rule on
   ``n_loop_points`` equally spaced points, which converges geometrically for a periodic
   analytic integrand and is exact for polynomial fields of degree < ``n_loop_points`` − 1.
   Summing the squared circulation densities :math:`c_{ab} = \oint/(\pi r^2)` over all
   planes :math:`(q_a, q_b)` of a random orthonormal frame gives
   :math:`\sum_{a<b} c_{ab}^2 = \tfrac12\lVert J-J^\top\rVert_F^2`, and central differences
   along the frame give :math:`\lVert J\rVert_F^2 = \sum_a \lVert J q_a\rVert^2`; their
   ratio is the **circulation index**, a derivative-free estimate of the same
   :math:`a(\theta)`, equal to it up to :math:`O(r^2)` and quadrature error.

**Subspaces.** For an architecture in which only some synapses exist (a masked weight
matrix, paper A.4) or that keeps a symmetry (symmetric W, A.2.1 and A.3), the field is
restricted to a linear subspace with orthonormal basis U:
:math:`\theta = \theta_\perp + Uz`, :math:`g(z) = U^\top f(\theta_\perp + Uz)`, whose
Jacobian is :math:`U^\top J U`. The metric is the one induced by the Euclidean metric on
all parameters (for symmetric matrices: the Frobenius metric).

**Metrics.** Whether a flow is a gradient flow depends on the metric: :math:`\dot\theta =
-G^{-1}\nabla V` if and only if :math:`G f` is closed. ``metric`` gives the diagonal of G
(same shape as θ); an indefinite G (e.g. −1 on some blocks) tests for a gradient
descent–ascent (saddle) flow.

**Precision and cost.** Gradient fields give indices of order :math:`10^{-13}` in float64
(round-off over a loop of radius :math:`10^{-3}`), hence ``ZERO_TOL = 1e-8``; the meter is
meant for float64 (the CLI and the tests enable it). Field evaluations are batched JVPs in
fixed-size chunks, compiled once per kind of field and shape: a field that is a pytree
(e.g. :class:`~curldescent.models.recurrent.HebbianRecurrent`) passes its arrays as
arguments, so models that differ only in their arrays share one compilation. The loop
design (frames, planes) is drawn in NumPy from the key.

Examples:
    >>> import jax.numpy as jnp, jax.random as jr
    >>> rotation = lambda th: jnp.array([-th[1], th[0]])
    >>> res = curl_index(rotation, jnp.zeros((1, 2)), key=jr.key(0))
    >>> round(float(res.jacobian_asymmetry[0]), 6), round(float(res.circulation_index[0]), 6)
    (2.0, 2.0)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
from jax.flatten_util import ravel_pytree

from curldescent.specs import SpecError

Field = Callable[[Any], Any]

#: below this value (both measures) a field is reported as a gradient flow.
ZERO_TOL = 1e-8
#: default cap on the number of loop planes per point (above it, planes are sampled).
MAX_PLANES = 2048
#: largest number of floats (loops × loop points × dimension) evaluated in one vmapped batch.
_VMAP_LIMIT = 4_000_000
#: rows (points) per batched evaluation.
_CHUNK = 4096


# ---------------------------------------------------------------------------------------
# Subspaces
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Subspace:
    r"""A linear subspace of the flattened parameter space with an orthonormal basis.

    Either ``indices`` (the subspace of the coordinates listed: the existing synapses of a
    masked architecture) or a dense ``basis`` of shape (n, m) with orthonormal columns.
    Flattening follows :func:`jax.flatten_util.ravel_pytree` (row-major, leaves in pytree
    order).

    Args:
        size: n, the number of parameters of the full space.
        indices: (m,) integer coordinates spanning the subspace, or ``None``.
        basis: (n, m) orthonormal basis, or ``None``.
    """

    size: int
    indices: np.ndarray | None = None
    basis: np.ndarray | None = None

    @property
    def dim(self) -> int:
        return int(len(self.indices) if self.indices is not None else self.basis.shape[1])

    @classmethod
    def from_mask(cls, mask: Any) -> Subspace:
        """The coordinates where ``mask`` (a pytree shaped like θ, or an array) is nonzero."""
        flat = _flatten_np(mask)
        idx = np.flatnonzero(flat != 0)
        if idx.size == 0:
            raise SpecError(
                "subspace mask must select at least one parameter (got an all-zero mask)"
            )
        return cls(size=flat.size, indices=idx)

    @classmethod
    def symmetric(cls, n: int, mask: Any = None) -> Subspace:
        r"""Symmetric n×n matrices (θ a single n×n array), orthonormal basis
        :math:`E_{ii}` and :math:`(E_{ij}+E_{ji})/\sqrt2` (the Frobenius metric). ``mask``
        (symmetric n×n) optionally keeps only the pairs where it is nonzero."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise SpecError(f"n must be an integer >= 1 (got {n!r})")
        keep = np.ones((n, n), bool) if mask is None else np.asarray(mask) != 0
        if keep.shape != (n, n) or not np.array_equal(keep, keep.T):
            raise SpecError(f"mask must be a symmetric ({n}, {n}) array")
        cols = []
        for i in range(n):
            for j in range(i, n):
                if not keep[i, j]:
                    continue
                col = np.zeros((n, n))
                if i == j:
                    col[i, i] = 1.0
                else:
                    col[i, j] = col[j, i] = 1.0 / math.sqrt(2.0)
                cols.append(col.ravel())
        return cls(size=n * n, basis=np.stack(cols, axis=1))

    @classmethod
    def from_vectors(cls, vectors: np.ndarray) -> Subspace:
        """The span of the columns of ``vectors`` (n, k), orthonormalised (QR)."""
        v = np.asarray(vectors, np.float64)
        if v.ndim != 2:
            raise SpecError(f"vectors must be a 2-d (n, k) array (got shape {v.shape})")
        q, r = np.linalg.qr(v)
        rank = int(np.sum(np.abs(np.diag(r)) > 1e-12 * max(1.0, np.abs(r).max())))
        return cls(size=v.shape[0], basis=q[:, :rank])

    def project(self, x: Any) -> Any:
        """Coordinates :math:`U^\\top x` of a full vector x (NumPy in, NumPy out; JAX traceable)."""
        if isinstance(x, np.ndarray):
            return x[self.indices] if self.indices is not None else self.basis.T @ x
        if self.indices is not None:
            return x[jnp.asarray(self.indices)]
        return jnp.asarray(self.basis).T @ x

    def embed(self, z: Any) -> Any:
        """The full vector :math:`Uz` (NumPy in, NumPy out; JAX traceable)."""
        if isinstance(z, np.ndarray):
            if self.indices is None:
                return self.basis @ z
            out = np.zeros(self.size, z.dtype)
            out[self.indices] = z
            return out
        if self.indices is not None:
            return jnp.zeros((self.size,), z.dtype).at[jnp.asarray(self.indices)].set(z)
        return jnp.asarray(self.basis) @ z


def _flatten_np(tree: Any) -> np.ndarray:
    """Flatten a pytree of arrays to a float64 NumPy vector, in the order of
    :func:`jax.flatten_util.ravel_pytree` (no JAX operation, hence no compilation)."""
    leaves = jax.tree.leaves(tree)
    if not leaves:
        return np.zeros(0)
    return np.concatenate([np.ravel(np.asarray(leaf, np.float64)) for leaf in leaves])


def _unraveler(example: Any) -> Callable[[jnp.ndarray], Any]:
    """Traceable inverse of :func:`_flatten_np` for pytrees shaped like ``example``."""
    leaves, treedef = jax.tree.flatten(example)
    shapes = [np.shape(leaf) for leaf in leaves]
    sizes = [int(np.prod(sh)) for sh in shapes]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)

    def unravel(x):
        return treedef.unflatten(
            [x[offsets[i] : offsets[i + 1]].reshape(shapes[i]) for i in range(len(shapes))]
        )

    return unravel


def _flat_field(field: Field, theta: Any, subspace: Subspace | None, metric: Any):
    """Flatten ``field`` at ``theta`` and restrict it: returns ``(g, z0)`` with
    :math:`g(z) = U^\\top (G\\odot f(\\theta_\\perp + Uz))` and ``z0`` the point's coordinates."""
    x0, unravel = ravel_pytree(theta)
    if metric is None:
        weight = None
    else:
        weight, _ = ravel_pytree(jax.tree.map(lambda m: jnp.asarray(m, x0.dtype), metric))
        if weight.shape != x0.shape:
            raise SpecError(
                f"metric must have the shape of the parameters ({x0.size} entries, got {weight.size})"
            )

    def f(x):
        out, _ = ravel_pytree(field(unravel(x)))
        return out if weight is None else weight * out

    if subspace is None:
        return f, x0
    if subspace.size != x0.size:
        raise SpecError(
            f"subspace.size must equal the number of parameters {x0.size} (got {subspace.size})"
        )
    z0 = subspace.project(x0)
    x_perp = x0 - subspace.embed(z0)
    return (lambda z: subspace.project(f(x_perp + subspace.embed(z)))), z0


def _ratio(num: jnp.ndarray, den: jnp.ndarray) -> jnp.ndarray:
    """num/den, with 0/0 := 0 (a constant field is a gradient field)."""
    safe = jnp.where(den > 0, den, 1.0)
    return jnp.where(den > 0, num / safe, jnp.where(num > 0, jnp.inf, 0.0))


# ---------------------------------------------------------------------------------------
# Measure 1: Jacobian asymmetry
# ---------------------------------------------------------------------------------------


def jacobian(
    field: Field, theta: Any, *, subspace: Subspace | None = None, metric: Any = None
) -> jnp.ndarray:
    r"""Dense Jacobian :math:`U^\top G J U` (m×m) of the (restricted) field at ``theta``."""
    g, z0 = _flat_field(field, theta, subspace, metric)
    return jax.jacfwd(g)(z0)


def jacobian_asymmetry(
    field: Field, theta: Any, *, subspace: Subspace | None = None, metric: Any = None
) -> jnp.ndarray:
    r""":math:`\lVert J - J^\top\rVert_F / \lVert J\rVert_F` at ``theta`` (dense Jacobian).

    Zero if and only if the field is locally a gradient field (eq. 27); 0 for a constant
    field (0/0 := 0).
    """
    J = jacobian(field, theta, subspace=subspace, metric=metric)
    return _ratio(jnp.linalg.norm(J - J.T), jnp.linalg.norm(J))


def jacobian_asymmetry_probe(
    field: Field,
    theta: Any,
    *,
    key: Any,
    n_probes: int = 64,
    subspace: Subspace | None = None,
    metric: Any = None,
) -> jnp.ndarray:
    r"""Matrix-free estimate of :math:`\lVert J - J^\top\rVert_F / \lVert J\rVert_F`.

    With Rademacher probes z, :math:`\lVert J - J^\top\rVert_F^2 = \mathbb E\lVert Jz -
    J^\top z\rVert^2` and :math:`\lVert J\rVert_F^2 = \mathbb E\lVert Jz\rVert^2`; Jz is a
    JVP, :math:`J^\top z` a VJP. The relative error of each mean is about
    :math:`\sqrt{2/n_{probes}}`.
    """
    g, z0 = _flat_field(field, theta, subspace, metric)
    probes = jr.rademacher(key, (n_probes, z0.size), dtype=z0.dtype)
    jvp = jax.vmap(lambda p: jax.jvp(g, (z0,), (p,))[1])(probes)
    _, vjp_fun = jax.vjp(g, z0)
    vjp = jax.vmap(lambda p: vjp_fun(p)[0])(probes)
    num = jnp.sqrt(jnp.mean(jnp.sum((jvp - vjp) ** 2, axis=1)))
    den = jnp.sqrt(jnp.mean(jnp.sum(jvp**2, axis=1)))
    return _ratio(num, den)


# ---------------------------------------------------------------------------------------
# Measure 2: circulation around small loops
# ---------------------------------------------------------------------------------------


def _loop(
    g: Callable, z0: jnp.ndarray, g0: jnp.ndarray, u, v, radius, n_points: int
) -> jnp.ndarray:
    t = 2.0 * jnp.pi * jnp.arange(n_points, dtype=z0.dtype) / n_points
    c, s = jnp.cos(t)[:, None], jnp.sin(t)[:, None]
    pts = z0[None, :] + radius * (c * u[None, :] + s * v[None, :])
    tangent = radius * (-s * u[None, :] + c * v[None, :])
    vals = (
        jax.vmap(g)(pts) - g0[None, :]
    )  # subtracting f(θ) changes nothing exactly, reduces round-off
    return (2.0 * jnp.pi / n_points) * jnp.sum(vals * tangent)


def loop_circulation(
    field: Field,
    theta: Any,
    u: Any,
    v: Any,
    *,
    radius: float,
    n_points: int = 16,
    subspace: Subspace | None = None,
    metric: Any = None,
) -> jnp.ndarray:
    r"""Circulation :math:`\oint_\gamma f\cdot d\theta` around the circle
    :math:`\gamma(t) = \theta + r(\cos t\,\hat u + \sin t\,\hat v)`, counter-clockwise.

    ``u`` and ``v`` are directions in the (restricted) coordinates — flat vectors of length
    m, or pytrees shaped like θ when no subspace is given; they are orthonormalised
    (Gram–Schmidt). Trapezoidal rule on ``n_points`` points (see module docstring): for
    small r the result is :math:`\pi r^2\,\hat v^\top (J - J^\top)\hat u + O(r^4)`.
    """
    g, z0 = _flat_field(field, theta, subspace, metric)
    u = ravel_pytree(u)[0] if subspace is None else jnp.asarray(u)
    v = ravel_pytree(v)[0] if subspace is None else jnp.asarray(v)
    if u.shape != z0.shape or v.shape != z0.shape:
        raise SpecError(
            f"loop directions u, v must have {z0.size} entries (got {u.size}, {v.size})"
        )
    u = u / jnp.linalg.norm(u)
    v = v - jnp.dot(u, v) * u
    v = v / jnp.linalg.norm(v)
    return _loop(g, z0, g(z0), u, v, radius, n_points)


def numpy_rng(key: Any) -> np.random.Generator:
    """A NumPy generator seeded from a JAX PRNG key (typed or raw uint32), an int or a tuple
    of ints. Randomness that only designs a measurement (loop frames, sampled points) is
    drawn in NumPy, so that it costs no compilation; it is still fully determined by the key."""
    if isinstance(key, int | np.integer):
        return np.random.default_rng(int(key))
    if isinstance(key, tuple | list):
        return np.random.default_rng([int(k) for k in key])
    if jax.dtypes.issubdtype(
        jnp.asarray(key).dtype if not hasattr(key, "dtype") else key.dtype, jax.dtypes.prng_key
    ):
        key = jr.key_data(key)
    return np.random.default_rng(np.asarray(key).astype(np.uint64).ravel().tolist())


def _design(
    rng: np.random.Generator, m: int, radius: float, n_loop_points: int, n_planes: int | None
):
    r"""Evaluation offsets for the circulation index at one point (NumPy).

    A Haar-random orthonormal frame Q (m×m); the planes :math:`(q_a, q_b)`, a<b (all of
    them, or a random subset of ``n_planes``, default cap ``MAX_PLANES``); for each, the
    ``n_loop_points`` circle offsets and tangents; then ±r q_a for the central differences.

    Returns ``(offsets (L·n + 2m, m), tangents (L, n, m), L, scale)`` with ``scale`` the
    ratio of all planes to those sampled.
    """
    g = rng.standard_normal((m, m))
    q, r = np.linalg.qr(g)
    Q = q * np.sign(np.diag(r))[None, :]
    ia, ib = np.triu_indices(m, 1)
    total = ia.size
    cap = MAX_PLANES if n_planes is None else n_planes
    scale = 1.0
    if cap < total:
        pick = rng.choice(total, cap, replace=False)
        ia, ib, scale = ia[pick], ib[pick], total / cap
    t = 2.0 * np.pi * np.arange(n_loop_points) / n_loop_points
    c, s = np.cos(t)[None, :, None], np.sin(t)[None, :, None]
    u, v = Q[:, ia].T[:, None, :], Q[:, ib].T[:, None, :]
    offsets = radius * (c * u + s * v)  # (L, n, m)
    tangents = radius * (-s * u + c * v)
    fd = np.concatenate([radius * Q.T, -radius * Q.T])  # (2m, m)
    return np.concatenate([offsets.reshape(-1, m), fd]), tangents, ia.size, scale


def _index_from_values(
    vals: np.ndarray, g0: np.ndarray, tangents: np.ndarray, L: int, radius: float, scale: float
):
    r"""Circulation index and its sampling standard error from the field values at the
    design points (NumPy). With n of T planes sampled (without replacement), the estimate
    :math:`\hat S = (T/n)\sum c^2` of :math:`\sum_{all} c^2` has variance
    :math:`T^2(1 - n/T)\,s^2/n` (s² the sample variance of c²); exhaustive: 0."""
    n_pts, m = tangents.shape[1], tangents.shape[2]
    loops = vals[: L * n_pts].reshape(L, n_pts, m) - g0[None, None, :]
    circ = (2.0 * np.pi / n_pts) * np.sum(loops * tangents, axis=(1, 2))
    density = circ / (np.pi * radius**2)  # = q_b^T (J - J^T) q_a + O(r^2)
    c2 = density**2
    S = scale * float(np.sum(c2))
    asym = math.sqrt(2.0 * S)
    plus, minus = vals[L * n_pts : L * n_pts + m], vals[L * n_pts + m :]
    jnorm = math.sqrt(float(np.sum(((plus - minus) / (2.0 * radius)) ** 2)))
    if jnorm == 0:
        return (math.inf if asym > 0 else 0.0), 0.0
    index = asym / jnorm
    if scale <= 1.0 or L < 2 or S == 0:
        return index, 0.0
    total = scale * L
    sd_S = total * math.sqrt((1.0 - L / total) * float(np.var(c2, ddof=1)) / L)
    return index, index * sd_S / (2.0 * S)


def _check_loop_args(radius: float, n_loop_points: int, n_planes: int | None) -> None:
    if isinstance(n_loop_points, bool) or not isinstance(n_loop_points, int) or n_loop_points < 3:
        raise SpecError(f"n_loop_points must be an integer >= 3 (got {n_loop_points!r})")
    if (
        isinstance(radius, bool)
        or not isinstance(radius, int | float)
        or not radius > 0
        or not math.isfinite(radius)
    ):
        raise SpecError(f"radius must be a finite number > 0 (got {radius!r})")
    if n_planes is not None and (
        isinstance(n_planes, bool) or not isinstance(n_planes, int) or n_planes < 1
    ):
        raise SpecError(f"n_planes must be an integer >= 1 or None (got {n_planes!r})")


class CurlIndex(NamedTuple):
    """The two measures at each sampled point (arrays of shape (P,)) and the settings."""

    jacobian_asymmetry: np.ndarray
    circulation_index: np.ndarray
    jacobian_norm: np.ndarray
    dimension: int
    radius: float
    n_loop_points: int
    n_planes: int
    #: sampling standard error of the circulation index (0 when every plane is used)
    circulation_stderr: np.ndarray | None = None


class CurlMeter:
    r"""The curl meter for one field: compiled once, used at many points.

    The field is flattened once (all points share its pytree structure) and evaluated in
    fixed-size batches of JVPs :math:`(x, t) \mapsto (f(x), J(x)t)` — one compiled function
    serves the field values on loops (primal) and the Jacobian columns :math:`J u_a`
    (tangent) — while the subspace, the loop design and the contractions are NumPy.

    Args:
        field: θ ↦ θ̇ on a pytree, returning the same structure (traceable by JAX).
        example: one point θ (fixes the structure and dtype).
        subspace: restrict to a subspace (existing synapses, symmetric matrices).
        metric: diagonal of a (possibly indefinite) metric G, shaped like θ.
        jit: compile the batched evaluation (the outermost entry point; default).

    Examples:
        >>> import jax.numpy as jnp, jax.random as jr
        >>> meter = CurlMeter(lambda th: jnp.array([-th[1], th[0]]), jnp.zeros(2))
        >>> [round(float(c), 6) for c in meter.circulation(jnp.zeros(2), jnp.array([1.0, 0]), jnp.array([0, 1.0]), [0.5, 1.0])]
        [1.570796, 6.283185]
    """

    def __init__(
        self,
        field: Field,
        example: Any,
        *,
        subspace: Subspace | None = None,
        metric: Any = None,
        jit: bool = True,
    ):
        x0 = _flatten_np(example)
        self.n = int(x0.size)
        self.dtype = jnp.float64 if jax.config.read("jax_enable_x64") else jnp.float32
        self._weight = np.ones(self.n)  # always an array: metric or not, one compilation
        if metric is not None:
            self._weight = _flatten_np(metric)
            if self._weight.shape != x0.shape:
                raise SpecError(
                    f"metric must have the shape of the parameters ({self.n} entries, got {self._weight.size})"
                )
        if subspace is not None and subspace.size != self.n:
            raise SpecError(
                f"subspace.size must equal the number of parameters {self.n} (got {subspace.size})"
            )
        self.subspace = subspace
        if subspace is None:
            self.U = np.eye(self.n)
        elif subspace.indices is not None:
            self.U = np.zeros((self.n, subspace.dim))
            self.U[subspace.indices, np.arange(subspace.dim)] = 1.0
        else:
            self.U = np.asarray(subspace.basis)
        self.dim = self.U.shape[1]
        # The field is split into its array leaves (arguments) and the rest (static), so that
        # fields of one kind and shape share one compilation (e.g. the same model with
        # different input correlations); a plain function is static as a whole.
        leaves, treedef = jax.tree.flatten(field)
        dynamic = tuple(isinstance(leaf, np.ndarray | jax.Array) for leaf in leaves)
        theta_leaves, theta_def = jax.tree.flatten(example)
        self._static = (
            treedef,
            tuple(None if d else leaf for leaf, d in zip(leaves, dynamic, strict=True)),
            dynamic,
            theta_def,
            tuple(tuple(np.shape(leaf)) for leaf in theta_leaves),
        )
        self._leaves = tuple(leaf for leaf, d in zip(leaves, dynamic, strict=True) if d)
        self._jit = jit
        # one fixed batch shape, so that one compilation serves every call
        self._chunk = int(min(_CHUNK, max(1, _VMAP_LIMIT // max(self.n, 1))))

    def _batch(self, X: jnp.ndarray, T: jnp.ndarray):
        fn = _jvp_batch if self._jit else _jvp_batch_impl
        return fn(self._static, self._leaves, self._weight, X, T)

    # ---- coordinates -----------------------------------------------------------------

    def _project(self, V: np.ndarray) -> np.ndarray:
        if self.subspace is not None and self.subspace.indices is not None:
            return V[..., self.subspace.indices]
        return V @ self.U

    def _embed(self, Z: np.ndarray) -> np.ndarray:
        if self.subspace is not None and self.subspace.indices is not None:
            X = np.zeros(Z.shape[:-1] + (self.n,))
            X[..., self.subspace.indices] = Z
            return X
        return Z @ self.U.T

    def _flat(self, theta: Any) -> np.ndarray:
        x = _flatten_np(theta)
        if x.size != self.n:
            raise SpecError(f"point must have {self.n} parameters (got {x.size})")
        return x

    def _split(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        z = self._project(x)
        return z, x - self._embed(z)

    # ---- batched evaluation ------------------------------------------------------------

    def _run(self, X: np.ndarray, T: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(f(x), J(x) t) for the rows of X, T, in fixed-size padded chunks (one compile)."""
        R = X.shape[0]
        C = self._chunk
        pad = (-R) % C
        if pad:
            X = np.concatenate([X, np.repeat(X[-1:], pad, axis=0)])
            T = np.concatenate([T, np.zeros((pad, self.n))])
        prim, tang = [], []
        for i in range(0, X.shape[0], C):
            p, t = self._batch(
                jnp.asarray(X[i : i + C], self.dtype), jnp.asarray(T[i : i + C], self.dtype)
            )
            prim.append(np.asarray(p))
            tang.append(np.asarray(t))
        return np.concatenate(prim)[:R], np.concatenate(tang)[:R]

    def values(self, theta: Any, Z: np.ndarray) -> np.ndarray:
        r"""Restricted field :math:`U^\top G f(\theta_\perp + Uz)` at the rows of Z (R, m),
        with :math:`\theta_\perp` the part of ``theta`` outside the subspace."""
        _, x_perp = self._split(self._flat(theta))
        X = x_perp[None, :] + self._embed(np.asarray(Z, np.float64))
        return self._project(self._run(X, np.zeros_like(X))[0])

    def jacobian(self, theta: Any) -> np.ndarray:
        r"""Restricted Jacobian :math:`U^\top G J U` (m×m) at ``theta`` (m JVPs)."""
        return self.jacobians([theta])[0]

    def jacobians(self, thetas: list[Any]) -> np.ndarray:
        r"""Restricted Jacobians (P, m, m) at a list of points, in one batch of P·m JVPs."""
        X = np.stack([self._flat(th) for th in thetas])
        P, m = X.shape[0], self.dim
        _, JU = self._run(np.repeat(X, m, axis=0), np.tile(self.U.T, (P, 1)))
        return np.swapaxes(self._project(JU).reshape(P, m, m), 1, 2)

    def circulation(
        self, theta: Any, u: Any, v: Any, radii: Any, *, n_points: int = 16
    ) -> np.ndarray:
        r"""Circulation :math:`\oint f\cdot d\theta` around circles of each radius in
        ``radii``, in the plane of ``u, v`` (restricted coordinates, orthonormalised),
        centred at ``theta`` — the batched counterpart of :func:`loop_circulation`."""
        radii = np.atleast_1d(np.asarray(radii, np.float64))
        u, v = np.asarray(u, np.float64).ravel(), np.asarray(v, np.float64).ravel()
        if u.size != self.dim or v.size != self.dim:
            raise SpecError(
                f"loop directions u, v must have {self.dim} entries (got {u.size}, {v.size})"
            )
        u = u / np.linalg.norm(u)
        v = v - np.dot(u, v) * u
        v = v / np.linalg.norm(v)
        t = 2.0 * np.pi * np.arange(n_points) / n_points
        c, s = np.cos(t)[None, :, None], np.sin(t)[None, :, None]
        r = radii[:, None, None]
        offsets = r * (c * u + s * v)
        tangents = r * (-s * u + c * v)
        z0 = self._project(self._flat(theta))
        vals = self.values(
            theta, np.concatenate([z0[None, :], (z0 + offsets).reshape(-1, self.dim)])
        )
        loops = vals[1:].reshape(radii.size, n_points, self.dim) - vals[0]
        return (2.0 * np.pi / n_points) * np.sum(loops * tangents, axis=(1, 2))

    def circulation_index(
        self,
        theta: Any,
        *,
        key: Any,
        radius: float = 1e-3,
        n_loop_points: int = 16,
        n_planes: int | None = None,
    ) -> float:
        """The circulation index at one point (see :func:`circulation_index`)."""
        return self._circulation(theta, key, radius, n_loop_points, n_planes)[0]

    def _circulation(self, theta, key, radius, n_loop_points, n_planes) -> tuple[float, float]:
        _check_loop_args(radius, n_loop_points, n_planes)
        if self.dim < 2:
            return 0.0, 0.0
        z0 = self._project(self._flat(theta))
        offsets, tangents, L, scale = _design(
            numpy_rng(key), self.dim, radius, n_loop_points, n_planes
        )
        vals = self.values(theta, np.concatenate([z0[None, :], z0[None, :] + offsets]))
        return _index_from_values(vals[1:], vals[0], tangents, L, radius, scale)

    def index(
        self,
        points: Any,
        *,
        key: Any,
        radius: float = 1e-3,
        n_loop_points: int = 16,
        n_planes: int | None = None,
    ) -> CurlIndex:
        """Both measures at each of the stacked ``points`` (see :func:`curl_index`)."""
        _check_loop_args(radius, n_loop_points, n_planes)
        thetas = _unstack(points)
        seeds = numpy_rng(key).integers(0, 2**63 - 1, size=len(thetas))
        keys = [int(k) for k in seeds]
        J = self.jacobians(thetas)
        jnorm = np.linalg.norm(J, axis=(1, 2))
        anti = np.linalg.norm(J - np.swapaxes(J, 1, 2), axis=(1, 2))
        asym = np.array([_ratio_np(a, b) for a, b in zip(anti, jnorm, strict=True)])
        circ, err = np.array(
            [
                self._circulation(th, k, radius, n_loop_points, n_planes)
                for th, k in zip(thetas, keys, strict=True)
            ]
        ).T
        total = self.dim * (self.dim - 1) // 2
        used = min(total, MAX_PLANES if n_planes is None else n_planes)
        return CurlIndex(
            asym, circ, jnorm, self.dim, float(radius), int(n_loop_points), int(used), err
        )


def _jvp_batch_impl(static, leaves, weight, X, T):
    """(f(x), J(x) t) for the rows of X, T; ``static`` rebuilds the field and the unravel."""
    treedef, static_leaves, dynamic, theta_def, shapes = static
    it = iter(leaves)
    field = treedef.unflatten(
        [next(it) if d else leaf for leaf, d in zip(static_leaves, dynamic, strict=True)]
    )
    sizes = [int(np.prod(sh)) for sh in shapes]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)

    def f(x):
        theta = theta_def.unflatten(
            [x[offsets[i] : offsets[i + 1]].reshape(shapes[i]) for i in range(len(shapes))]
        )
        out = jax.tree.leaves(field(theta))
        flat = jnp.concatenate([jnp.ravel(leaf) for leaf in out]) if out else jnp.zeros(0, x.dtype)
        if flat.shape != x.shape:
            raise SpecError(
                f"field must return the structure of its input ({x.size} entries, got {flat.size})"
            )
        return jnp.asarray(weight, flat.dtype) * flat

    return jax.vmap(lambda x, t: jax.jvp(f, (x,), (t,)))(X, T)


_jvp_batch = jax.jit(_jvp_batch_impl, static_argnums=0)


def _ratio_np(num: float, den: float) -> float:
    if den > 0:
        return float(num / den)
    return math.inf if num > 0 else 0.0


def _unstack(points: Any) -> list[Any]:
    leaves = jax.tree.leaves(points)
    if not leaves or any(jnp.ndim(leaf) < 1 for leaf in leaves):
        raise SpecError("points must be a pytree of arrays with a leading axis of sampled points")
    host = jax.tree.map(np.asarray, points)  # index on the host: no per-shape compilation
    P = int(np.shape(leaves[0])[0])
    return [jax.tree.map(lambda a, i=i: a[i], host) for i in range(P)]


def circulation_index(
    field: Field,
    theta: Any,
    *,
    key: Any,
    radius: float = 1e-3,
    n_loop_points: int = 16,
    n_planes: int | None = None,
    subspace: Subspace | None = None,
    metric: Any = None,
) -> float:
    r"""Derivative-free estimate of :math:`\lVert J - J^\top\rVert_F / \lVert J\rVert_F` at one
    point from loop circulations (module docstring, measure 2).

    Draws a random orthonormal frame :math:`q_1..q_m` of the (restricted) space; circulates
    around the circle of radius r in each plane :math:`(q_a, q_b)`, :math:`a<b` (all
    :math:`m(m-1)/2` of them, or a random subset of ``n_planes`` — default: all up to
    ``MAX_PLANES`` — rescaled to the total), and estimates :math:`\lVert J\rVert_F` by central
    differences along the frame. Needs :math:`n_{planes}\cdot n_{loop} + 2m + 1` field
    evaluations and no derivative. Not traceable (the design is built in NumPy).
    """
    meter = CurlMeter(field, theta, subspace=subspace, metric=metric)
    return meter.circulation_index(
        theta, key=key, radius=radius, n_loop_points=n_loop_points, n_planes=n_planes
    )


def curl_index(
    field: Field,
    points: Any,
    *,
    key: Any,
    radius: float = 1e-3,
    n_loop_points: int = 16,
    n_planes: int | None = None,
    subspace: Subspace | None = None,
    metric: Any = None,
    jacobian_method: str = "exact",
    n_probes: int = 64,
    jit: bool = True,
) -> CurlIndex:
    r"""Measure how far ``field`` is from a gradient flow at each of P sampled points.

    Args:
        field: a function θ ↦ θ̇ on a pytree (``Params``, an array, ...), returning the same
            structure; it must be traceable by JAX.
        points: a pytree shaped like θ with a leading axis of length P (stacked points).
        key: JAX PRNG key or int seed (loop frames; probes for ``jacobian_method = probe``).
        radius: loop radius r (absolute, in parameter units).
        n_loop_points: trapezoidal points per loop.
        n_planes: loop planes per point (default: all pairs, up to ``MAX_PLANES``).
        subspace: restrict to a subspace (existing synapses, symmetric matrices).
        metric: diagonal of a (possibly indefinite) metric G, shaped like θ.
        jacobian_method: ``exact`` (dense restricted Jacobian :math:`U^\top GJU` from m JVPs)
            or ``probe`` (Hutchinson, :func:`jacobian_asymmetry_probe`).
        n_probes: probes for ``probe``.
        jit: compile the field evaluations (once per call; the outermost entry point).

    Returns:
        :class:`CurlIndex` with ``jacobian_asymmetry`` (measure 1), ``circulation_index``
        (measure 2), its sampling standard error ``circulation_stderr`` (0 when all planes
        are used) and ``jacobian_norm`` (:math:`\lVert U^\top GJU\rVert_F`; NaN for
        ``probe``), each (P,).
    """
    if jacobian_method not in ("exact", "probe"):
        raise SpecError(f"jacobian_method must be one of exact, probe (got {jacobian_method!r})")
    thetas = _unstack(points)
    meter = CurlMeter(field, thetas[0], subspace=subspace, metric=metric, jit=jit)
    result = meter.index(
        points, key=key, radius=radius, n_loop_points=n_loop_points, n_planes=n_planes
    )
    if jacobian_method == "probe":
        keys = jr.split(jr.fold_in(jr.key(key) if isinstance(key, int) else key, 1), len(thetas))
        asym = np.array(
            [
                float(
                    jacobian_asymmetry_probe(
                        field, th, key=k, n_probes=n_probes, subspace=subspace, metric=metric
                    )
                )
                for th, k in zip(thetas, keys, strict=True)
            ]
        )
        result = result._replace(
            jacobian_asymmetry=asym, jacobian_norm=np.full(len(thetas), np.nan)
        )
    return result


def classify(result: CurlIndex, zero_tol: float = ZERO_TOL) -> str:
    """``gradient`` if both measures are below ``zero_tol`` at every point, ``non-gradient``
    if both exceed it at some point, ``inconclusive`` if the two measures disagree."""
    a = bool(np.all(result.jacobian_asymmetry < zero_tol))
    c = bool(np.all(result.circulation_index < zero_tol))
    if a and c:
        return "gradient"
    if not a and not c:
        return "non-gradient"
    return "inconclusive"


def stack_points(points: list[Any]) -> Any:
    """Stack a list of pytrees into one pytree with a leading axis (for :func:`curl_index`)."""
    return jax.tree.map(lambda *xs: jnp.stack(xs), *points)
