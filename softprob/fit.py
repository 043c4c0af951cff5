"""Maximum-likelihood fits: logistic regression (binary) and softmax regression (K classes).

Both minimise the (weighted) mean cross-entropy by Newton's method (IRLS),
which converges quadratically to the maximum-likelihood solution when it
exists. Each fit reports its iterations and final gradient norm so a chapter
can show that the optimiser, not luck, produced the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations_with_replacement

import numpy as np
from numpy.typing import ArrayLike

from softprob._checks import (FloatArray, as_float_array, as_labels, as_probabilities, as_weights,
                              positive_int, same_length)
from softprob.activations import log_sigmoid, log_softmax, sigmoid, softmax


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
        return _design(X, self.fit_intercept, self.coef.shape[0]) @ self.coef

    def predict_proba(self, X: ArrayLike) -> FloatArray:
        """Model probabilities: P(A|x) of shape (n,), or rows of shape (n, K)."""
        z = self.logits(X)
        return sigmoid(z) if z.ndim == 1 else softmax(z)


def _design(X: ArrayLike, fit_intercept: bool, n_coef: int | None = None) -> FloatArray:
    x = as_float_array("X", X, ndim=(1, 2))
    if x.ndim == 1:
        x = x[:, None]
    if fit_intercept:
        x = np.hstack([np.ones((x.shape[0], 1)), x])
    if n_coef is not None and x.shape[1] != n_coef:
        raise ValueError(f"X: expected {n_coef - int(fit_intercept)} feature(s), got {x.shape[1] - int(fit_intercept)}")
    return x


def _start(y: FloatArray, w: FloatArray, k: int, fit_intercept: bool) -> FloatArray:
    beta = np.zeros(k)
    if fit_intercept:
        ybar = np.clip(np.sum(w * y) / np.sum(w), 1e-12, 1 - 1e-12)
        beta[0] = np.log(ybar) - np.log1p(-ybar)
    return beta


def fit_logistic(X: ArrayLike, y: ArrayLike, weights: ArrayLike | None = None,
                 fit_intercept: bool = True, tol: float = 1e-10, max_iter: int = 100) -> FitResult:
    r"""Logistic regression by Newton's method (IRLS), optionally with sample weights.

    Minimises :math:`\sum_i w_i\,\ell_i(\beta) / \sum_i w_i` with
    :math:`\ell_i = -y_i\log\sigma(z_i) - (1-y_i)\log\sigma(-z_i)`, :math:`z_i = [1, x_i]\beta`.
    Weights implement prior reweighting (e.g. :math:`w_i = 1/N_{c_i}` is essay step E6).

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
    >>> res.coef.round(6).tolist(), res.converged
    ([0.0, 0.693147], True)
    """
    x = _design(X, fit_intercept)
    t = as_probabilities("y", y, ndim=1)
    same_length(("X", "y"), x, t)
    w = as_weights("weights", weights, x.shape[0])
    w = w / w.sum()
    max_iter = positive_int("max_iter", max_iter)
    beta = _start(t, w, x.shape[1], fit_intercept)

    def loss_at(b: FloatArray) -> float:
        z = x @ b
        return float(-np.sum(w * (t * log_sigmoid(z) + (1 - t) * log_sigmoid(-z))))

    loss = loss_at(beta)
    for n_iter in range(max_iter + 1):
        p = sigmoid(x @ beta)
        grad = x.T @ (w * (p - t))
        grad_norm = float(np.max(np.abs(grad)))
        if grad_norm < tol or n_iter == max_iter:
            break
        hess = (x * (w * p * (1 - p))[:, None]).T @ x
        step = np.linalg.lstsq(hess, grad, rcond=None)[0]
        beta, loss = _backtrack(loss_at, beta, step, loss)
    return FitResult(beta, fit_intercept, n_iter, grad_norm, grad_norm < tol, loss)


def _backtrack(loss_at, beta: FloatArray, step: FloatArray, loss: float) -> tuple[FloatArray, float]:
    """Newton step, halved until the loss does not increase (keeps IRLS monotone)."""
    scale = 1.0
    new_loss = loss_at(beta - step)
    while not new_loss <= loss + 1e-15 and scale > 1e-10:
        scale /= 2
        new_loss = loss_at(beta - scale * step)
    return beta - scale * step, new_loss


def fit_softmax(X: ArrayLike, y: ArrayLike, n_classes: int, weights: ArrayLike | None = None,
                fit_intercept: bool = True, tol: float = 1e-10, max_iter: int = 100) -> FitResult:
    r"""Softmax (multinomial logistic) regression by Newton's method.

    Class ``n_classes - 1`` is the reference: its column of ``coef`` is fixed
    at 0, which loses nothing because softmax is invariant to a common shift.

    Parameters
    ----------
    X : array_like, shape (n, d) or (n,)
        Features.
    y : array_like, shape (n,) or (n, K)
        Integer labels 0..K-1, or target probability rows.
    n_classes : int
        K >= 2.
    weights : array_like, shape (n,), optional
        Positive sample weights.
    fit_intercept : bool, default True
        Prepend a column of ones.
    tol, max_iter
        As in :func:`fit_logistic`.

    Returns
    -------
    FitResult
        ``coef`` of shape (k, K).

    Examples
    --------
    >>> from softprob.fit import fit_softmax
    >>> res = fit_softmax([0.0, 0.0, 0.0, 1.0, 1.0, 1.0], [0, 1, 2, 0, 2, 2], n_classes=3)
    >>> res.predict_proba([[1.0]]).round(4).tolist()
    [[0.3333, 0.0, 0.6667]]
    """
    n_classes = positive_int("n_classes", n_classes, minimum=2)
    x = _design(X, fit_intercept)
    y_arr = np.asarray(y)
    if y_arr.ndim == 1:
        t = np.eye(n_classes)[as_labels("y", y_arr, n_classes)]
    else:
        t = as_probabilities("y", y_arr, ndim=2, rows_sum_to_one=True)
        if t.shape[1] != n_classes:
            raise ValueError(f"y: expected {n_classes} columns, got {t.shape[1]}")
    same_length(("X", "y"), x, t)
    w = as_weights("weights", weights, x.shape[0])
    w = w / w.sum()
    max_iter = positive_int("max_iter", max_iter)
    n, k = x.shape
    m = n_classes - 1
    beta = np.zeros((k, n_classes))
    if fit_intercept:
        freq = np.clip(w @ t, 1e-12, None)
        beta[0] = np.log(freq) - np.log(freq[-1])

    def loss_at(b: FloatArray) -> float:
        return float(-np.sum(w * np.sum(t * log_softmax(x @ b), axis=1)))

    loss = loss_at(beta)
    for n_iter in range(max_iter + 1):
        p = softmax(x @ beta)
        grad = x.T @ (w[:, None] * (p - t))[:, :m]  # gradient of CE wrt logits is p - y
        grad_norm = float(np.max(np.abs(grad)))
        if grad_norm < tol or n_iter == max_iter:
            break
        hess = np.empty((k, m, k, m))
        for a in range(m):
            for b in range(a, m):
                s = w * p[:, a] * ((a == b) - p[:, b])
                hess[:, a, :, b] = hess[:, b, :, a] = (x * s[:, None]).T @ x
        step_flat = np.linalg.lstsq(hess.reshape(k * m, k * m), grad.reshape(-1), rcond=None)[0]
        step = np.hstack([step_flat.reshape(k, m), np.zeros((k, 1))])
        beta, loss = _backtrack(loss_at, beta, step, loss)
    return FitResult(beta, fit_intercept, n_iter, grad_norm, grad_norm < tol, loss)


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
