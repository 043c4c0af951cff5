"""Maximum-likelihood logistic regression (binary), single and batched, and feature maps.

Fits minimise the (weighted) mean cross-entropy by Newton's method (IRLS),
which converges quadratically to the maximum-likelihood solution when it
exists. Each fit reports its iterations and final gradient norm so a chapter
can show that the optimiser, not luck, produced the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from itertools import combinations_with_replacement

import numpy as np
from numpy.typing import ArrayLike

from softprob._batch import fit_batch
from softprob._checks import (FloatArray, as_float_array, as_probabilities, as_weights,
                              positive_int, same_length)
from softprob._newton import (fit_with_subsample_start, logistic_pass_for, logistic_start,
                              transposed_design)
from softprob.activations import sigmoid, softmax


@dataclass(frozen=True)
class FitResult:
    """Outcome of a fit.

    Attributes
    ----------
    coef : ndarray
        Logistic: shape (k,). Softmax: shape (k, K), last column 0 (reference class).
        With an intercept, row/entry 0 is the intercept.
    fit_intercept : bool
        Whether a column of ones was prepended to X.
    n_iter : int
        Newton iterations used.
    grad_norm : float
        Max-norm of the gradient of the mean loss at ``coef``.
    converged : bool
        Whether ``grad_norm`` fell below the tolerance.
    loss : float
        Final (weighted) mean cross-entropy, nats.
    """

    coef: FloatArray
    fit_intercept: bool
    n_iter: int
    grad_norm: float
    converged: bool
    loss: float

    def logits(self, X: ArrayLike) -> FloatArray:
        """Model logits at X: shape (n,) (logistic) or (n, K) (softmax)."""
        return _affine(X, self.coef, self.fit_intercept)

    def predict_proba(self, X: ArrayLike) -> FloatArray:
        """Model probabilities: P(A|x) of shape (n,), or rows of shape (n, K)."""
        z = self.logits(X)
        return sigmoid(z) if z.ndim == 1 else softmax(z)


def _affine(X: ArrayLike, coef: FloatArray, fit_intercept: bool) -> FloatArray:
    """``[1, X] @ coef`` (or ``X @ coef``) without copying X."""
    x = as_float_array("X", X, ndim=(1, 2))
    if x.ndim == 1:
        x = x[:, None]
    k = int(fit_intercept)
    if x.shape[1] != coef.shape[0] - k:
        raise ValueError(f"X: expected {coef.shape[0] - k} feature(s), got {x.shape[1]}")
    return x @ coef[k:] + coef[0] if fit_intercept else x @ coef


def _design(X: ArrayLike, fit_intercept: bool, n_coef: int | None = None) -> FloatArray:
    x = as_float_array("X", X, ndim=(1, 2))
    if x.ndim == 1:
        x = x[:, None]
    if fit_intercept:
        x = np.hstack([np.ones((x.shape[0], 1)), x])
    if n_coef is not None and x.shape[1] != n_coef:
        raise ValueError(f"X: expected {n_coef - int(fit_intercept)} feature(s), got {x.shape[1] - int(fit_intercept)}")
    return x


def fit_logistic(X: ArrayLike, y: ArrayLike, weights: ArrayLike | None = None,
                 fit_intercept: bool = True, tol: float = 1e-10, max_iter: int = 100) -> FitResult:
    r"""Logistic regression by Newton's method (IRLS), optionally with sample weights.

    Minimises :math:`\sum_i w_i\,\ell_i(\beta) / \sum_i w_i` with
    :math:`\ell_i = -y_i\log\sigma(z_i) - (1-y_i)\log\sigma(-z_i)`, :math:`z_i = [1, x_i]\beta`.
    Weights implement prior reweighting (e.g. :math:`w_i = 1/N_{c_i}` is essay step E6).
    Each iteration is one pass over the data (loss, gradient and Hessian
    together); large problems start from the fit on a strided subsample.

    Parameters
    ----------
    X : array_like, shape (n, d) or (n,)
        Features (use :func:`polynomial_features` for a richer logit).
    y : array_like, shape (n,)
        Targets in [0, 1]: labels (1 = A, 0 = B) or true posteriors P(A|x_i).
    weights : array_like, shape (n,), optional
        Positive sample weights.
    fit_intercept : bool, default True
        Prepend a column of ones.
    tol : float, default 1e-10
        Stop when the max-norm of the gradient is below ``tol``.
    max_iter : int, default 100
        Iteration cap (reached only for separable or degenerate data).

    Returns
    -------
    FitResult
        ``coef`` of shape (k,), iterations, gradient norm, final loss.

    Examples
    --------
    >>> import numpy as np
    >>> from softprob.fit import fit_logistic
    >>> res = fit_logistic([0.0, 0.0, 1.0, 1.0, 1.0], [0, 1, 0, 1, 1])
    >>> (res.coef.round(6) + 0.0).tolist(), res.converged
    ([0.0, 0.693147], True)
    """
    x = as_float_array("X", X, ndim=(1, 2))
    if x.ndim == 1:
        x = x[:, None]
    t = as_probabilities("y", y, ndim=1)
    same_length(("X", "y"), x, t)
    w = None if weights is None else as_weights("weights", weights, x.shape[0])
    max_iter = positive_int("max_iter", max_iter)
    beta, n_iter, grad_norm, loss = fit_with_subsample_start(
        (transposed_design(x, fit_intercept), t), w, logistic_pass_for,
        partial(logistic_start, fit_intercept=fit_intercept), tol, max_iter)
    return FitResult(beta, fit_intercept, n_iter, grad_norm, grad_norm < tol, loss)


@dataclass(frozen=True)
class BatchFitResult:
    """Outcome of R independent logistic fits done together.

    Attributes
    ----------
    coef : ndarray, shape (R, k)
        One coefficient vector per replication (intercept first if fitted).
    fit_intercept : bool
        Whether a column of ones was prepended.
    n_iter, grad_norm, converged, loss : ndarray, shape (R,)
        Per replication, as in :class:`FitResult`.
    """

    coef: FloatArray
    fit_intercept: bool
    n_iter: np.ndarray
    grad_norm: FloatArray
    converged: np.ndarray
    loss: FloatArray

    def logits(self, X: ArrayLike) -> FloatArray:
        """Logits of every replication at common inputs X (n, d): shape (R, n)."""
        return _affine(X, self.coef.T, self.fit_intercept).T


def fit_logistic_batch(X: ArrayLike, y: ArrayLike, fit_intercept: bool = True, tol: float = 1e-10,
                       max_iter: int = 100) -> BatchFitResult:
    r"""R independent logistic regressions in one vectorised Newton loop.

    Equivalent to calling :func:`fit_logistic` on each ``(X[r], y[r])`` (same
    coefficients; the iteration counts may differ), but with stacked arrays,
    batched matrix products and ``np.linalg.solve`` instead of a Python loop
    over replications. Replications start from a fit of the first one where
    that beats their intercept-only start, and are processed in groups of a
    few MiB, so R is limited by the memory X itself takes. For N >= 50 000 the
    replications go one by one through the engine of :func:`fit_logistic`,
    which is faster there.

    Parameters
    ----------
    X : array_like, shape (R, n, d) or (R, n)
        Features of each replication.
    y : array_like, shape (R, n)
        Targets in [0, 1] of each replication.
    fit_intercept : bool, default True
        Prepend a column of ones.
    tol, max_iter
        As in :func:`fit_logistic`.

    Returns
    -------
    BatchFitResult

    Examples
    --------
    >>> import numpy as np
    >>> from softprob.fit import fit_logistic_batch
    >>> X = np.array([[0.0, 0.0, 0.0, 1.0, 1.0, 1.0]] * 2)
    >>> res = fit_logistic_batch(X, [[0, 0, 1, 0, 1, 1], [0, 0, 1, 0, 1, 1]])
    >>> res.coef.round(6).tolist()
    [[-0.693147, 1.386294], [-0.693147, 1.386294]]
    """
    x = as_float_array("X", X, ndim=(2, 3))
    if x.ndim == 2:
        x = x[:, :, None]
    t = as_probabilities("y", y, ndim=2)
    if t.shape != x.shape[:2]:
        raise ValueError(f"y: expected shape {x.shape[:2]} to match X, got {t.shape}")
    max_iter = positive_int("max_iter", max_iter)
    coef, n_iter, grad_norm, loss = fit_batch(x, t, fit_intercept, tol, max_iter)
    return BatchFitResult(coef, fit_intercept, n_iter, grad_norm, grad_norm < tol, loss)


def polynomial_features(X: ArrayLike, degree: int) -> FloatArray:
    r"""All monomials of the features of total degree 1..``degree`` (no constant column).

    With degree 2, a logistic model on these features has a quadratic logit,
    which contains the exact posterior of two Gaussians with unequal covariances.

    Parameters
    ----------
    X : array_like, shape (n, d) or (n,)
        Features.
    degree : int
        Highest total degree, >= 1.

    Returns
    -------
    ndarray, shape (n, m)
        Columns ordered by degree, then lexicographically by feature index.

    Examples
    --------
    >>> from softprob.fit import polynomial_features
    >>> polynomial_features([[2.0, 3.0]], degree=2).tolist()
    [[2.0, 3.0, 4.0, 6.0, 9.0]]
    """
    degree = positive_int("degree", degree)
    x = as_float_array("X", X, ndim=(1, 2))
    if x.ndim == 1:
        x = x[:, None]
    cols = [np.prod(x[:, list(idx)], axis=1)
            for deg in range(1, degree + 1)
            for idx in combinations_with_replacement(range(x.shape[1]), deg)]
    return np.stack(cols, axis=1)
