"""Softmax (multinomial logistic) regression for K classes, by Newton's method.

The K-class counterpart of :func:`softprob.fit.fit_logistic`; it returns the
same :class:`softprob.fit.FitResult`, with ``coef`` of shape (k, K).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from softprob._checks import (FloatArray, as_labels, as_probabilities, as_weights, positive_int,
                              same_length)
from softprob.activations import log_softmax, softmax
from softprob.fit import FitResult, _backtrack, _design


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
    >>> from softprob.fit_multiclass import fit_softmax
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
