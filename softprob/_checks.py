"""Input validators of every public ``softprob`` function (private; chapters never call it).

Each checker converts its argument to a NumPy array (or number) and raises
``ValueError("<name>: <what is wrong>")`` when it cannot be used. Public
functions validate once, at their boundary, then call unchecked kernels.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]   # the index type (int64 here, int32 in Pyodide)

_NUMERIC = "biuf"                       # bool, signed/unsigned integer, floating point


def _raw(name: str, x: ArrayLike) -> np.ndarray:
    try:
        raw = np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: cannot be read as an array of numbers ({exc})") from None
    if raw.dtype.kind not in _NUMERIC:
        raise ValueError(f"{name}: expected real numbers, got dtype {raw.dtype}")
    return raw


def _ndim(name: str, arr: np.ndarray, ndim: int | tuple[int, ...] | None) -> None:
    if ndim is None:
        return
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if arr.ndim not in allowed:
        raise ValueError(f"{name}: expected {' or '.join(map(str, allowed))}-D array, "
                         f"got shape {arr.shape}")


def as_float_array(name: str, x: ArrayLike, ndim: int | tuple[int, ...] | None = None,
                   allow_empty: bool = False) -> FloatArray:
    """Return ``x`` as a finite float64 array, checking its dimension."""
    arr = _raw(name, x).astype(np.float64, copy=False)
    _ndim(name, arr, ndim)
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"{name}: is empty")
    if not np.all(np.isfinite(arr)):
        bad = "NaN" if np.isnan(arr).any() else "inf"
        raise ValueError(f"{name}: contains {bad}; all values must be finite")
    return arr


def ndim(name: str, x: object) -> int:
    """Number of dimensions of ``x`` as an array, raising a named ValueError if it is not one."""
    return _raw(name, x).ndim


def rows_tolerance(dtype: np.dtype, n_classes: int) -> float:
    """How far from 1 a row of probabilities may sum: 1e-8, or more for low-precision dtypes.

    A softmax row computed in float32 is off by a few units of float32
    rounding per class (~1e-7 each); float64 rows stay strict.
    """
    eps = float(np.finfo(dtype).eps) if np.issubdtype(dtype, np.floating) else 0.0
    return max(1e-8, 8.0 * n_classes * eps)


def as_probabilities(name: str, p: ArrayLike, ndim: int | tuple[int, ...] | None = None,
                     rows_sum_to_one: bool | str = False, allow_empty: bool = False) -> FloatArray:
    """Return ``p`` as a float array with every entry in [0, 1].

    ``rows_sum_to_one``: True, or ``"2d"`` for "if the array is 2-D" (probability rows).
    """
    raw = _raw(name, p)
    arr = as_float_array(name, raw, ndim, allow_empty)
    if arr.size and (arr.min() < 0.0 or arr.max() > 1.0):
        raise ValueError(f"{name}: probabilities must lie in [0, 1], "
                         f"got values in [{arr.min():.6g}, {arr.max():.6g}]")
    if rows_sum_to_one == "2d":
        rows_sum_to_one = arr.ndim == 2
    if rows_sum_to_one and arr.size:
        worst = float(np.max(np.abs(arr.sum(axis=-1) - 1.0)))
        tol = rows_tolerance(raw.dtype, arr.shape[-1])
        if worst > tol:
            raise ValueError(f"{name}: each row must sum to 1 (largest deviation {worst:.3g}, "
                             f"tolerance {tol:.1g} for {raw.dtype})")
    return arr


def as_labels(name: str, y: ArrayLike, n_classes: int, hint: str = "") -> IntArray:
    """Return integer labels in ``0..n_classes-1`` as a 1-D array of the index type (np.intp)."""
    raw = _raw(name, y)
    if raw.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array of labels, got shape {raw.shape}")
    if raw.size == 0:
        raise ValueError(f"{name}: is empty")
    top = n_classes - 1
    if raw.dtype.kind == "f":
        if not np.all(np.isfinite(raw)):
            raise ValueError(f"{name}: contains NaN or inf; labels must be integers 0..{top}")
        if np.any(raw != np.floor(raw)):
            raise ValueError(f"{name}: labels must be whole numbers 0..{top}")
    outside = (raw < 0) | (raw > top)
    if np.any(outside):
        bad = np.unique(raw[outside])[:5].tolist()
        raise ValueError(f"{name}: labels outside the class set {{0..{top}}}: {bad}{hint}")
    return raw.astype(np.intp)   # the index type: int32 in Pyodide (np.bincount needs it)


def as_targets(name: str, y: ArrayLike, n_classes: int) -> FloatArray:
    """Integer labels (n,) as one-hot rows, or target probability rows (n, K), as (n, K)."""
    raw = _raw(name, y)
    if raw.ndim == 1:
        labels = as_labels(name, raw, n_classes)
        rows = np.zeros((labels.shape[0], n_classes))
        rows[np.arange(labels.shape[0]), labels] = 1.0
        return rows
    rows = as_probabilities(name, raw, ndim=2, rows_sum_to_one=True)
    if rows.shape[1] != n_classes:
        raise ValueError(f"{name}: expected {n_classes} columns (one per class), "
                         f"got {rows.shape[1]}")
    return rows


def as_sample_weight(w: ArrayLike | None, n: int) -> FloatArray | None:
    """Return non-negative sample weights of length ``n`` with a positive sum (None stays None)."""
    if w is None:
        return None
    arr = as_float_array("sample_weight", w, ndim=1)
    if arr.shape[0] != n:
        raise ValueError(f"sample_weight: expected {n} weights, got {arr.shape[0]}")
    if arr.min() < 0:
        raise ValueError(f"sample_weight: weights must be >= 0 (min {arr.min():.6g})")
    total = float(np.sum(arr / arr.max())) if arr.max() > 0 else 0.0
    if not total > 0:
        raise ValueError("sample_weight: all weights are 0; at least one must be positive")
    return arr


def as_features(name: str, X: ArrayLike, n_features: int | None = None,
                limit: float | None = None) -> FloatArray:
    """Return features as an (n, d) float array (a 1-D array is one feature), |X| <= ``limit``."""
    x = as_float_array(name, X, ndim=(1, 2))
    x = x[:, None] if x.ndim == 1 else x
    if x.shape[1] == 0:
        raise ValueError(f"{name}: has no feature columns (shape {x.shape})")
    if limit is not None and x.size and max(x.max(), -x.min()) > limit:   # no |x| temporary
        raise ValueError(f"{name}: values beyond {limit:.0e} in magnitude overflow the Newton "
                         "system (their squares are summed); rescale the features")
    if n_features is not None and x.shape[1] != n_features:
        raise ValueError(f"{name}: expected {n_features} feature(s) per row, got {x.shape[1]}")
    return x


def same_length(names: tuple[str, str], a: np.ndarray, b: np.ndarray) -> None:
    """Raise unless ``a`` and ``b`` have the same first dimension."""
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"{names[1]}: has {b.shape[0]} rows but {names[0]} has {a.shape[0]}")


def positive_int(name: str, k: object, minimum: int = 1) -> int:
    """Return ``k`` as an int, raising unless it is an integer >= ``minimum``."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < minimum:
        raise ValueError(f"{name}: must be an integer >= {minimum}, got {k!r}")
    return int(k)


def _number(name: str, value: object) -> float:
    if isinstance(value, (bool, np.bool_)) or _raw(name, value).ndim != 0:
        raise ValueError(f"{name}: must be a number, got {value!r}")
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{name}: must be a number, got {value!r}") from None


def non_negative(name: str, value: object) -> float:
    """Return ``value`` as a float, raising unless it is finite and >= 0."""
    v = _number(name, value)
    if not np.isfinite(v) or v < 0:
        raise ValueError(f"{name}: must be a finite number >= 0, got {value!r}")
    return v


def positive_float(name: str, value: object, upper: float | None = None) -> float:
    """Return ``value`` as a float, raising unless it is finite, > 0 (and < ``upper``)."""
    v = _number(name, value)
    if not np.isfinite(v) or v <= 0 or (upper is not None and v >= upper):
        bound = f" and < {upper}" if upper is not None else ""
        raise ValueError(f"{name}: must be a finite number > 0{bound}, got {value!r}")
    return v


def as_bool(name: str, value: object) -> bool:
    """Return ``value`` unchanged, raising unless it is a bool."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name}: must be True or False, got {value!r}")
    return bool(value)


def one_of(name: str, value: object, options: Sequence[str]) -> str:
    """Return ``value``, raising unless it is one of ``options``."""
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name}: must be one of {', '.join(map(repr, options))}, got {value!r}")
    return value


def as_generator(rng: object) -> np.random.Generator:
    """Return ``rng`` unchanged, raising unless it is a ``numpy.random.Generator``."""
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng: expected a numpy.random.Generator, got {type(rng).__name__}")
    return rng


def as_callable(name: str, f: object) -> object:
    """Return ``f`` unchanged, raising unless it is callable."""
    if not callable(f):
        raise ValueError(f"{name}: must be callable, got {type(f).__name__}")
    return f


def as_prior(name: str, value: object) -> float:
    """Return a class prior P(A) as a float strictly between 0 and 1."""
    v = _number(name, value)
    if not np.isfinite(v) or not 0.0 < v < 1.0:
        raise ValueError(f"{name}: a class prior must lie strictly between 0 and 1, got {value!r}")
    return v


def as_prior_vector(name: str, value: ArrayLike, n_classes: int | None = None) -> FloatArray:
    """Return a vector of K class priors: positive, summing to 1."""
    raw = _raw(name, value)
    p = as_float_array(name, raw, ndim=1)
    k = p.shape[0] if n_classes is None else n_classes
    if p.shape != (k,) or k < 2 or np.any(p <= 0) or np.any(p >= 1) \
            or abs(p.sum() - 1.0) > rows_tolerance(raw.dtype, k):
        raise ValueError(f"{name}: need {k} class priors, each in (0, 1), summing to 1; "
                         f"got {[float(f'{v:.6g}') for v in p]}")
    return p


def as_covariance(name: str, cov: ArrayLike, d: int) -> FloatArray:
    """Return a symmetric positive definite (d, d) matrix."""
    c = as_float_array(name, cov, ndim=2)
    if c.shape != (d, d):
        raise ValueError(f"{name}: expected shape ({d}, {d}), got {c.shape}")
    if not np.allclose(c, c.T):
        raise ValueError(f"{name}: must be symmetric")
    scale = np.max(np.abs(c))
    if not 1e-100 < scale < 1e100 or np.linalg.eigvalsh(c / scale).min() <= 1e-12:
        raise ValueError(f"{name}: must be positive definite and well conditioned "
                         f"(entries between 1e-100 and 1e100)")
    return c


def as_points(name: str, x: ArrayLike, d: int, limit: float = 1e100) -> FloatArray:
    """Return inputs of a d-dimensional problem as (n, d); |x| <= ``limit`` (densities overflow)."""
    arr = as_float_array(name, x, ndim=(0, 1, 2))
    if arr.ndim < 2:
        arr = arr.reshape(-1, 1) if d == 1 else arr.reshape(1, -1)
    if arr.shape[1] != d:
        raise ValueError(f"{name}: expected {d} feature(s) per row, got shape {arr.shape}")
    if np.max(np.abs(arr)) > limit:
        raise ValueError(f"{name}: values beyond {limit:.0e} in magnitude overflow the "
                         "class densities; rescale the problem")
    return arr


def as_gaussian_classes(means: ArrayLike, covs: ArrayLike, priors: ArrayLike
                        ) -> tuple[FloatArray, FloatArray, FloatArray, bool]:
    """Validated (means (K, d), covs (K, d, d), priors (K,), shared) of K Gaussian classes."""
    m = as_float_array("means", means, ndim=2)
    k, d = m.shape
    if k < 2:
        raise ValueError(f"means: need at least 2 classes, got {k}")
    if np.max(np.abs(m)) > 1e100:
        raise ValueError("means: values beyond 1e100 in magnitude overflow the densities")
    c = as_float_array("covs", covs, ndim=(2, 3))
    shared = c.ndim == 2
    c = np.stack([as_covariance("covs", c, d)] * k) if shared else c
    if c.shape != (k, d, d):
        raise ValueError(f"covs: expected shape ({d}, {d}) or ({k}, {d}, {d}), got {c.shape}")
    for j in range(k):
        as_covariance(f"covs[{j}]", c[j], d)
    return m, c, as_prior_vector("priors", priors, k), shared


def as_joint_table(name: str, table: ArrayLike) -> FloatArray:
    """A (K, M) joint probability table summing to 1 with no empty row or column."""
    raw = _raw(name, table)
    t = as_probabilities(name, raw, ndim=2)
    if abs(t.sum() - 1.0) > rows_tolerance(raw.dtype, t.size):
        raise ValueError(f"{name}: entries must sum to 1, got {t.sum():.12g}")
    if np.any(t.sum(axis=0) <= 0):
        raise ValueError(f"{name}: every x needs p(x) > 0 (a column sums to 0)")
    if np.any(t.sum(axis=1) <= 0):
        raise ValueError(f"{name}: every class needs P(c) > 0 (a row sums to 0)")
    return t


def as_bounds(name: str, bounds: object) -> tuple[float, float]:
    """A finite interval (lo, hi) with lo < hi."""
    arr = None if bounds is None else as_float_array(name, bounds)
    if arr is None or arr.shape != (2,) or not arr[0] < arr[1]:
        raise ValueError(f"{name}: need a finite pair (lo, hi) with lo < hi, got {bounds!r}")
    return float(arr[0]), float(arr[1])


def as_gaussian_pair(mean_a: ArrayLike, mean_b: ArrayLike, cov_a: ArrayLike | None,
                     cov_b: ArrayLike | None, prior_a: object
                     ) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Means [B, A] (2, d), covariances (d, d) if equal else (2, d, d), priors [P(B), P(A)]."""
    ma = np.atleast_1d(as_float_array("mean_a", mean_a, ndim=(0, 1)))
    mb = np.atleast_1d(as_float_array("mean_b", mean_b, ndim=(0, 1)))
    if ma.shape != mb.shape:
        raise ValueError(f"mean_b: shape {mb.shape} does not match mean_a's {ma.shape}")
    d = ma.shape[0]
    ca, cb = (np.eye(d) if c is None else np.atleast_2d(as_float_array(n, c, ndim=(0, 1, 2)))
              for n, c in (("cov_a", cov_a), ("cov_b", cov_b)))
    a = as_prior("prior_a", prior_a)
    equal = ca.shape == cb.shape and np.array_equal(ca, cb)
    covs = ca if equal else np.stack([as_covariance("cov_b", cb, d), as_covariance("cov_a", ca, d)])
    return np.stack([mb, ma]), covs, np.array([1.0 - a, a])


def as_node_count(n_nodes: object, default: int, dim: int, copies: int,
                  limit: int = 10_000_000) -> int:
    """Quadrature nodes per dimension (``default`` if None), at most ``limit`` nodes in all."""
    n = default if n_nodes is None else positive_int("n_nodes", n_nodes)
    if float(n) ** dim * copies > limit:
        raise ValueError(f"n_nodes: {n} per dimension gives {float(n) ** dim * copies:.3g} "
                         f"nodes (more than {limit:.0e}); use fewer")
    return n


def as_mlp_params(name: str, params: object) -> tuple[FloatArray, ...]:
    """(W_1, b_1, ..., W_L, b_L): finite, W_l (fan_in, fan_out) chained, b_l (fan_out,)."""
    if not isinstance(params, (tuple, list)) or len(params) < 2 or len(params) % 2:
        raise ValueError(f"{name}: expected a tuple (W_1, b_1, ..., W_L, b_L)")
    out = []
    for i, p in enumerate(params):
        arr = as_float_array(f"{name}[{i}]", p, ndim=2 if i % 2 == 0 else 1)
        if i % 2:
            expected = (out[-1].shape[1],)
        else:
            expected = (arr.shape[0] if i == 0 else out[-1].shape[0], arr.shape[1])
        if arr.shape != expected:
            raise ValueError(f"{name}[{i}]: shape {arr.shape} does not chain with the layer "
                             f"before (expected {expected})")
        out.append(arr)
    return tuple(out)


def as_expr(name: str, value: object) -> object:
    """A SymPy expression (numbers and symbols included); strings and arrays are refused."""
    import sympy as sp
    try:
        expr = sp.sympify(value, strict=True)
    except (sp.SympifyError, TypeError, ValueError):
        expr = None
    if not isinstance(expr, sp.Expr) or getattr(expr, "is_Matrix", False):
        raise ValueError(f"{name}: expected a SymPy expression or a number, got {value!r:.60}")
    return expr


def as_matrix(name: str, value: object) -> object:
    """A non-empty SymPy matrix."""
    import sympy as sp
    if not isinstance(value, sp.MatrixBase) or 0 in value.shape:
        raise ValueError(f"{name}: expected a non-empty sympy Matrix, got {type(value).__name__}")
    return value
