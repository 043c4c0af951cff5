"""Shared pieces of the contract (property) tests: input strategies and the outcome check.

The contract of every public ``softprob`` function, on ANY input: it returns a correct result
without NaN, or raises ``ValueError("<argument>: ...")`` naming one of its arguments, or raises
or warns with the documented separation/rank classes. Any other exception, any numpy
floating-point error (overflow, invalid, divide by zero) and any other warning fails.

Each ``test_contract_*`` draws ``max_examples`` cases from the active hypothesis profile
(``tests/conftest.py``): a few dozen by default, 1,000 with ``HYPOTHESIS_PROFILE=long``.
About half the cases are valid inputs (to reach the numerics: extreme logits up to 1e300,
separable and single-class data, float32 rows), the rest arbitrary: shapes, dtypes, NaN and
inf, empty arrays, wrong label sets, wrong types.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from softprob import PerfectSeparationWarning, RankDeficiencyWarning

DTYPES = [np.float64, np.float32, np.float16, np.int64, np.int8, np.uint8, np.bool_,
          np.complex128]
SIDE = 6


def arbitrary(max_dims: int = 3) -> st.SearchStrategy:
    """Anything an unwary caller might pass: arrays of any dtype/shape/values, lists, junk."""
    return st.one_of(
        hnp.arrays(st.sampled_from(DTYPES),
                   hnp.array_shapes(min_dims=0, max_dims=max_dims, min_side=0, max_side=SIDE)),
        st.lists(st.one_of(st.floats(), st.integers(-3, 3), st.none()), max_size=4),
        st.sampled_from([None, "abc", [], [[]], [[1.0], [1.0, 2.0]], 1 + 2j, object()]),
        st.floats(), st.integers(-10, 10))


def floats(lo: float = -1e300, hi: float = 1e300) -> st.SearchStrategy:
    """Finite floats in [lo, hi], extremes and exact zeros likely."""
    special = [v for v in (0.0, -0.0, 1.0, -1.0, 1e-300, -1e-300, 1e4, -1e4, 1e300, -1e300)
               if lo <= v <= hi]
    return st.one_of(st.floats(lo, hi, allow_nan=False, allow_infinity=False),
                     st.sampled_from(special))


def vectors(n: int, elements: st.SearchStrategy) -> st.SearchStrategy:
    return hnp.arrays(np.float64, n, elements=elements)


def matrices(n: int, k: int, elements: st.SearchStrategy) -> st.SearchStrategy:
    return hnp.arrays(np.float64, (n, k), elements=elements)


@st.composite
def probs(draw, n: int) -> np.ndarray:
    """Probabilities in [0, 1] with exact 0 and 1 likely."""
    return draw(vectors(n, st.one_of(st.floats(0.0, 1.0), st.sampled_from([0.0, 1.0, 0.5]))))


@st.composite
def rows(draw, n: int, k: int, float32: bool | None = None) -> np.ndarray:
    """Probability rows (n, K) from non-negative weights (zeros likely), maybe as float32."""
    raw = draw(matrices(n, k, st.one_of(st.floats(0.0, 1e3), st.just(0.0))))
    raw[:, 0] += (raw.sum(axis=1) == 0)                 # no all-zero row
    out = raw / raw.sum(axis=1, keepdims=True)
    as32 = draw(st.booleans()) if float32 is None else float32
    return out.astype(np.float32) if as32 else out


def labels(n: int, k: int) -> st.SearchStrategy:
    return hnp.arrays(np.int64, n, elements=st.integers(0, k - 1))


def sizes(lo: int = 1, hi: int = 12) -> st.SearchStrategy:
    return st.integers(lo, hi)


NAME = re.compile(r"^([A-Za-z_][\w]*)(\[[^\]]*\])?(, ([A-Za-z_]\w*))*: ")


def check(fn, *args, names: set[str], **kwargs):
    """Run ``fn(*args, **kwargs)`` under the contract; return (result, None) or (None, error)."""
    with warnings.catch_warnings(record=True) as caught, \
            np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        warnings.simplefilter("always")
        try:
            result = fn(*args, **kwargs)
        except ValueError as exc:                       # PerfectSeparationError included
            msg = str(exc)
            m = NAME.match(msg)
            assert m, f"ValueError without an argument name: {msg!r}"
            named = {m.group(1)} | {g.strip() for g in msg.split(":")[0].split(",")[1:]}
            assert named <= names, f"ValueError names {named}, not among {names}: {msg!r}"
            result, error = None, exc
        else:
            error = None
    for w in caught:
        if not issubclass(w.category, (PerfectSeparationWarning, RankDeficiencyWarning)):
            pytest.fail(f"unexpected warning {w.category.__name__}: {w.message}")
    return result, error


def no_nan(*values) -> None:
    """Assert that no array, float or dataclass field among ``values`` contains NaN."""
    for v in values:
        if hasattr(v, "__dataclass_fields__"):
            no_nan(*(getattr(v, f) for f in v.__dataclass_fields__))
        elif isinstance(v, (tuple, list)):
            no_nan(*v)
        elif isinstance(v, (float, np.floating, np.ndarray)):
            assert not np.any(np.isnan(v)), f"NaN in the result: {v!r}"


def separable(x: np.ndarray, y: np.ndarray, fit_intercept: bool = True) -> bool:
    """Reference test (independent of softprob): does a direction separate labels y in {0, 1}?

    Maximise the smallest margin t subject to s_i [1, x_i] d >= t, |d| <= 1: positive iff
    the data are completely separated; quasi-separation is a positive maximum of sum of
    margins with all margins >= 0 (second LP).
    """
    from scipy.optimize import linprog
    design = np.c_[np.ones(len(y)), x] if fit_intercept else x
    scale = np.max(np.abs(design), axis=0)
    scale[scale == 0] = 1.0
    a = design / scale * np.where(y == 1, 1.0, -1.0)[:, None]
    soft = (y > 0) & (y < 1)
    hard = ~soft
    res = linprog(-a[hard].sum(axis=0), A_ub=-a[hard], b_ub=np.zeros(hard.sum()),
                  A_eq=design[soft] / scale if soft.any() else None,
                  b_eq=np.zeros(soft.sum()) if soft.any() else None,
                  bounds=[(-1, 1)] * a.shape[1], method="highs")
    return bool(res.status == 0 and -res.fun > 1e-6)


def separable_k(x: np.ndarray, targets: np.ndarray) -> bool:
    """Reference test for K classes: is there D (k, K) with (D_c - D_j) [1, x_i] >= 0 for every
    class c with target mass and j without, equal within the support, one inequality > 0?"""
    from scipy.optimize import linprog
    design = np.c_[np.ones(len(x)), x]
    scale = np.max(np.abs(design), axis=0)
    design = design / np.where(scale > 0, scale, 1.0)
    n, k = design.shape
    n_classes = targets.shape[1]
    ineq, eq = [], []
    for i in range(n):
        sup = np.flatnonzero(targets[i] > 0)
        for c in sup:
            for j in range(n_classes):
                row = np.zeros((k, n_classes))
                row[:, c] += design[i]
                row[:, j] -= design[i]
                if targets[i, j] == 0:
                    ineq.append(row.ravel())
                elif j > c:
                    eq.append(row.ravel())
    if not ineq:
        return False
    a = np.array(ineq)
    res = linprog(-a.sum(axis=0), A_ub=-a, b_ub=np.zeros(len(a)),
                  A_eq=np.array(eq) if eq else None, b_eq=np.zeros(len(eq)) if eq else None,
                  bounds=[(-1, 1)] * a.shape[1], method="highs")
    return bool(res.status == 0 and -res.fun > 1e-6)
