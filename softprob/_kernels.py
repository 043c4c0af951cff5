"""Unchecked numerical kernels shared by the public modules, and the one-thread BLAS context.

Private: every function here trusts its input (the public functions have
validated it). Each kernel exists once: the stable sigmoid/softmax and their
logs, the two-column log-probabilities of a binary logit, one-hot rows,
cross-entropy from log-probabilities, the weighted mean, a Gaussian
log-density and quadrature rules.

Binary problems as two columns follow the label: column 0 is B (y = 0),
column 1 is A (y = 1).
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from itertools import product

import numpy as np
from scipy import optimize, sparse

from softprob._checks import FloatArray, IntArray

try:
    from threadpoolctl import ThreadpoolController
except ImportError:  # pragma: no cover
    ThreadpoolController = None
_CONTROLLER = None


def single_threaded_blas() -> AbstractContextManager:
    """Context in which BLAS runs on one thread.

    Newton passes over cache-sized blocks and the MLP's small layers gain
    nothing from a second BLAS thread; on a busy machine it only stalls
    (measured: up to 10x slower passes under load). ``threadpoolctl`` is
    optional (it comes with scikit-learn); without it BLAS keeps its setting.
    """
    global _CONTROLLER
    if ThreadpoolController is None:
        return nullcontext()
    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=1, user_api="blas")


def sigmoid(z: FloatArray) -> FloatArray:
    """1 / (1 + exp(-z)) without overflow."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def log_sigmoid(z: FloatArray) -> FloatArray:
    """log sigmoid(z) = min(z, 0) - log1p(exp(-|z|)), exact at both extremes."""
    return np.minimum(z, 0.0) - np.log1p(np.exp(-np.abs(z)))


def logsumexp(z: FloatArray, axis: int = -1) -> FloatArray:
    """log sum exp(z) along ``axis`` (max subtracted first)."""
    m = np.max(z, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        out = m + np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))
    return np.squeeze(out, axis=axis)


def log_softmax(z: FloatArray, axis: int = -1) -> FloatArray:
    """(z - max) - log sum exp(z - max) along ``axis``: no cancellation at large |z|."""
    m = np.max(z, axis=axis, keepdims=True)
    shifted = z - np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def binary_log_probs(z: FloatArray) -> FloatArray:
    """Logits of A (n,) as log-probability columns (n, 2): [log P(B), log P(A)]."""
    return np.stack([log_sigmoid(-z), log_sigmoid(z)], axis=-1)


def class_log_probs(logits: FloatArray) -> FloatArray:
    """Log-probability rows from binary (n,) or K-class (n, K) logits."""
    return binary_log_probs(logits) if logits.ndim == 1 else log_softmax(logits, axis=-1)


def binary_rows(p: FloatArray) -> FloatArray:
    """P(A) values (n,) as probability columns (n, 2): [P(B), P(A)]."""
    return np.stack([1.0 - p, p], axis=-1)


def one_hot(labels: IntArray, n_classes: int) -> FloatArray:
    """Labels (n,) as one-hot rows (n, K)."""
    rows = np.zeros((labels.shape[0], n_classes))
    rows[np.arange(labels.shape[0]), labels] = 1.0
    return rows


def cross_entropy(targets: FloatArray, log_probs: FloatArray) -> FloatArray:
    """Per row, -sum_k t_k log q_k with 0 log 0 = 0 (an impossible observed class gives inf)."""
    with np.errstate(invalid="ignore"):
        return -np.sum(np.where(targets > 0, targets * log_probs, 0.0), axis=-1)


def kl_rows(p: FloatArray, log_q: FloatArray) -> FloatArray:
    """Per row, sum_k p_k (log p_k - log q_k) >= 0, with 0 log 0 = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * (np.log(p) - log_q), 0.0)
    return np.maximum(np.sum(terms, axis=-1), 0.0)


def weighted_mean(values: FloatArray, w: FloatArray | None) -> float:
    """sum(w v) / sum(w) over w > 0 (the plain mean when w is None), rescaled if it overflows.

    Samples of weight 0 do not count, even where their value is inf.
    """
    if w is not None and not np.all(w > 0):
        values, w = values[w > 0], w[w > 0]
    with np.errstate(over="ignore", invalid="ignore"):
        out = float(np.mean(values)) if w is None else float(np.sum(w * values) / np.sum(w))
    if np.isinf(out) and np.all(np.isfinite(values)):
        top = float(np.max(np.abs(values)))
        return top * weighted_mean(values / top, None if w is None else w / np.max(w))
    return out


def gaussian_logpdf(x: FloatArray, mean: FloatArray, cov: FloatArray) -> FloatArray:
    """log N(x; mean, cov) for rows of x (n, d), by a Cholesky solve."""
    chol = np.linalg.cholesky(cov)
    sol = np.linalg.solve(chol, (x - mean).T)
    log_det = 2.0 * np.sum(np.log(np.diag(chol)))
    with np.errstate(over="ignore"):
        return -0.5 * (np.sum(sol**2, axis=0) + log_det + mean.size * np.log(2.0 * np.pi))


def hermite_rule(n_nodes: int, dim: int) -> tuple[FloatArray, FloatArray]:
    """Tensor-product Gauss-Hermite rule for N(0, I_d): nodes (m^d, d), weights summing to 1."""
    t, w = np.polynomial.hermite.hermgauss(n_nodes)
    nodes = np.sqrt(2.0) * np.array(list(product(t, repeat=dim)))
    weights = np.prod(np.array(list(product(w, repeat=dim))), axis=1) / np.pi ** (dim / 2)
    return nodes, weights


def grid_nodes(lo: float, hi: float, n_nodes: int, dim: int) -> FloatArray:
    """``np.linspace(lo, hi, n_nodes)`` in every dimension, in ``np.meshgrid`` order: (n^d, d)."""
    g = np.linspace(lo, hi, n_nodes)
    if dim == 1:
        return g[:, None]
    return np.stack(np.meshgrid(*[g] * dim), axis=-1).reshape(-1, dim)


def hermite_mixture(means: FloatArray, covs: FloatArray, n_nodes: int
                    ) -> tuple[FloatArray, FloatArray]:
    """Each Gaussian class's Gauss-Hermite rule: nodes (K m^d, d), class weights (K m^d, K).

    Column c holds class c's rule (summing to 1) on its own block of nodes, 0 elsewhere.
    """
    n_classes, dim = means.shape
    base, w = hermite_rule(n_nodes, dim)
    chols = np.linalg.cholesky(covs)
    x = np.vstack([means[c] + base @ chols[c].T for c in range(n_classes)])
    cw = np.zeros((x.shape[0], n_classes))
    for c in range(n_classes):
        cw[c * w.size:(c + 1) * w.size, c] = w / w.sum()
    return x, cw


def grid_weights(class_log_density: FloatArray, priors: FloatArray, per_class: bool
                 ) -> FloatArray:
    """Grid weights p(x)/sum p(x), or per class p(x|c)/sum p(x|c) (the chapters' formulas)."""
    with np.errstate(invalid="ignore", divide="ignore"):     # an empty grid gives NaN: checked
        if per_class:
            dens = np.exp(class_log_density)
            return np.stack([dens[:, c] / dens[:, c].sum() for c in range(dens.shape[1])], axis=1)
        dens = np.exp(logsumexp(class_log_density + np.log(priors), axis=1))
        return dens / dens.sum()


def hinge_lp(xd: FloatArray, t: FloatArray, w: FloatArray) -> tuple[FloatArray, bool]:
    """Coefficients minimising sum_i w_i [t_i (1 - s_i)_+ + (1 - t_i)(1 + s_i)_+], s = xd @ beta.

    A linear programme (HiGHS) in [beta (free), xi_pos >= 0, xi_neg >= 0] with
    xi_pos >= 1 - s (samples with t > 0) and xi_neg >= 1 + s (samples with t < 1).
    Returns the coefficients and whether the solver reported an optimum.
    """
    pos, neg = np.flatnonzero((t > 0) & (w > 0)), np.flatnonzero((t < 1) & (w > 0))
    n_pos, n_neg, k = pos.size, neg.size, xd.shape[1]
    csr = sparse.csr_matrix
    a_ub = sparse.vstack([
        sparse.hstack([csr(-xd[pos]), -sparse.identity(n_pos), csr((n_pos, n_neg))]),
        sparse.hstack([csr(xd[neg]), csr((n_neg, n_pos)), -sparse.identity(n_neg)]),
    ]).tocsr()
    cost = np.concatenate([np.zeros(k), w[pos] * t[pos], w[neg] * (1 - t[neg])])
    sol = optimize.linprog(cost, A_ub=a_ub, b_ub=-np.ones(n_pos + n_neg), method="highs",
                           bounds=[(None, None)] * k + [(0, None)] * (n_pos + n_neg))
    if sol.x is None:  # pragma: no cover - the LP is always feasible and bounded
        raise RuntimeError(f"fit_hinge: the linear programme failed ({sol.message})")
    return sol.x[:k], sol.status == 0
