"""Softmax (multinomial logistic) regression for K classes, by Newton's method.

The K-class counterpart of :func:`softprob.fit.fit_logistic`; it returns the
same :class:`softprob.fit.FitResult`, with ``coef`` of shape (k, K).
"""

from __future__ import annotations

from functools import partial

import numpy as np
from numpy.typing import ArrayLike

from softprob._checks import (FloatArray, as_float_array, as_labels, as_probabilities, as_weights,
                              positive_int, same_length)
from softprob._newton import fit_with_subsample_start, softmax_pass, transposed_design
from softprob.activations import log_softmax
from softprob.fit import FitResult


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
    x = as_float_array("X", X, ndim=(1, 2))
    if x.ndim == 1:
        x = x[:, None]
    y_arr = np.asarray(y)
    if y_arr.ndim == 1:
        labels = as_labels("y", y_arr, n_classes)
        tt = np.zeros((n_classes, labels.shape[0]))        # one-hot rows, transposed
        tt[labels, np.arange(labels.shape[0])] = 1.0
    else:
        t = as_probabilities("y", y_arr, ndim=2, rows_sum_to_one=True)
        if t.shape[1] != n_classes:
            raise ValueError(f"y: expected {n_classes} columns, got {t.shape[1]}")
        tt = np.ascontiguousarray(t.T)
    same_length(("X", "y"), x, tt.T)
    w = None if weights is None else as_weights("weights", weights, x.shape[0])
    max_iter = positive_int("max_iter", max_iter)
    k = x.shape[1] + int(fit_intercept)
    theta, n_iter, grad_norm, loss = fit_with_subsample_start(
        (transposed_design(x, fit_intercept), tt), w, _softmax_pass_for,
        partial(_softmax_start, fit_intercept=fit_intercept), tol, max_iter)
    beta = np.hstack([theta.reshape(k, n_classes - 1), np.zeros((k, 1))])
    return FitResult(beta, fit_intercept, n_iter, grad_norm, grad_norm < tol, loss)


def _softmax_pass_for(data: tuple[FloatArray, ...], w: FloatArray | None):
    return partial(softmax_pass, data[0], data[1], w)


def _softmax_start(data: tuple[FloatArray, ...], w: FloatArray | None,
                   fit_intercept: bool) -> tuple[FloatArray, float]:
    """Intercepts at the log class frequencies (reference class last), and their loss."""
    xt, tt = data
    k, m = xt.shape[0], tt.shape[0] - 1
    theta = np.zeros((k, m))
    freq = tt.mean(axis=1) if w is None else tt @ w
    if fit_intercept:
        log_freq = np.log(np.clip(freq, 1e-12, None))
        theta[0] = log_freq[:m] - log_freq[m]
    logits = np.append(theta[0], 0.0) if fit_intercept else np.zeros(m + 1)
    return theta.ravel(), float(-freq @ log_softmax(logits))
