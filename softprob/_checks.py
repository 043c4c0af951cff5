"""Input validation shared by every public ``softprob`` function.

Each checker converts its argument to a NumPy array and raises
``ValueError("<name>: <what is wrong>")`` when the input cannot be used.
The module is private: chapters never call it directly.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def as_float_array(name: str, x: ArrayLike, ndim: int | tuple[int, ...] | None = None,
                   allow_empty: bool = False) -> FloatArray:
    """Return ``x`` as a finite float64 array, checking its dimension."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: cannot be read as an array of numbers ({exc})") from None
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if arr.ndim not in allowed:
            raise ValueError(f"{name}: expected {' or '.join(map(str, allowed))}-D array, "
                             f"got shape {arr.shape}")
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"{name}: is empty")
    if not np.all(np.isfinite(arr)):
        bad = "NaN" if np.isnan(arr).any() else "inf"
        raise ValueError(f"{name}: contains {bad}; all values must be finite")
    return arr


def as_probabilities(name: str, p: ArrayLike, ndim: int | tuple[int, ...] | None = None,
                     rows_sum_to_one: bool = False, atol: float = 1e-8) -> FloatArray:
    """Return ``p`` as a float array with every entry in [0, 1]."""
    arr = as_float_array(name, p, ndim)
    if arr.min() < 0.0 or arr.max() > 1.0:
        raise ValueError(f"{name}: probabilities must lie in [0, 1], "
                         f"got values in [{arr.min():.6g}, {arr.max():.6g}]")
    if rows_sum_to_one:
        sums = arr.sum(axis=-1)
        worst = float(np.max(np.abs(sums - 1.0)))
        if worst > atol:
            raise ValueError(f"{name}: each row must sum to 1 (largest deviation {worst:.3g})")
    return arr


def as_labels(name: str, y: ArrayLike, n_classes: int) -> IntArray:
    """Return integer labels in ``0..n_classes-1`` as a 1-D int64 array."""
    try:
        raw = np.asarray(y)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: cannot be read as an array ({exc})") from None
    if raw.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array of labels, got shape {raw.shape}")
    if raw.size == 0:
        raise ValueError(f"{name}: is empty")
    if raw.dtype == bool:
        raw = raw.astype(np.int64)
    if not np.issubdtype(raw.dtype, np.number):
        raise ValueError(f"{name}: labels must be integers 0..{n_classes - 1}, got dtype {raw.dtype}")
    if not np.all(np.isfinite(raw)):
        raise ValueError(f"{name}: contains NaN or inf; labels must be integers 0..{n_classes - 1}")
    labels = raw.astype(np.int64)
    if np.any(labels != raw):
        raise ValueError(f"{name}: labels must be whole numbers 0..{n_classes - 1}")
    bad = np.setdiff1d(np.unique(labels), np.arange(n_classes))
    if bad.size:
        raise ValueError(f"{name}: labels outside the class set {{0..{n_classes - 1}}}: "
                         f"{bad[:5].tolist()}")
    return labels


def as_weights(name: str, w: ArrayLike | None, n: int) -> FloatArray:
    """Return positive sample weights of length ``n`` (ones when ``w`` is None)."""
    if w is None:
        return np.ones(n)
    arr = as_float_array(name, w, ndim=1)
    if arr.shape[0] != n:
        raise ValueError(f"{name}: expected {n} weights, got {arr.shape[0]}")
    if np.any(arr <= 0):
        raise ValueError(f"{name}: weights must be strictly positive (min {arr.min():.6g})")
    return arr


def same_length(names: tuple[str, str], a: np.ndarray, b: np.ndarray) -> None:
    """Raise unless ``a`` and ``b`` have the same first dimension."""
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"{names[1]}: has {b.shape[0]} rows but {names[0]} has {a.shape[0]}")


def positive_int(name: str, k: int, minimum: int = 1) -> int:
    """Return ``k`` as an int, raising unless it is an integer >= ``minimum``."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < minimum:
        raise ValueError(f"{name}: must be an integer >= {minimum}, got {k!r}")
    return int(k)


def as_generator(rng: object) -> np.random.Generator:
    """Return ``rng`` unchanged, raising unless it is a ``numpy.random.Generator``."""
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng: expected a numpy.random.Generator, got {type(rng).__name__}")
    return rng


def non_negative(name: str, value: float) -> float:
    """Return ``value`` as a float, raising unless it is finite and >= 0."""
    v = float(value)
    if not np.isfinite(v) or v < 0:
        raise ValueError(f"{name}: must be a finite number >= 0, got {value!r}")
    return v
