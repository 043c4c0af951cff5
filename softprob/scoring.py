"""Fitting a linear score with losses other than the log loss: Brier score and hinge loss.

Both take the same inputs as :func:`softprob.fit.fit_logistic` (features,
labels or soft targets P(A|x), optional weights), so one model class can be
fitted with each loss and the results compared:

* :func:`fit_brier` minimises the mean squared error of :math:`\\sigma(z)`; it
  returns a :class:`softprob.fit.FitResult` whose ``predict_proba`` is
  :math:`\\sigma(z)`.
* :func:`fit_hinge` minimises the mean hinge loss of the raw score :math:`z`
  exactly, as a linear programme. It returns a :class:`HingeFit`, which has
  ``scores`` but deliberately no ``predict_proba``: the minimiser of the expected
  hinge loss is sign(2 P(A|x) - 1), not a probability.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, sparse

from softprob._checks import FloatArray, as_probabilities, as_weights, positive_int, same_length
from softprob.activations import sigmoid
from softprob.fit import FitResult, _design


def _inputs(X: ArrayLike, y: ArrayLike, weights: ArrayLike | None,
            fit_intercept: bool) -> tuple[FloatArray, FloatArray, FloatArray]:
    x = _design(X, fit_intercept)
    t = as_probabilities("y", y, ndim=1)
    same_length(("X", "y"), x, t)
    w = as_weights("weights", weights, x.shape[0])
    return x, t, w / w.sum()


def fit_brier(X: ArrayLike, y: ArrayLike, weights: ArrayLike | None = None,
              fit_intercept: bool = True, tol: float = 1e-10, max_iter: int = 200) -> FitResult:
    r"""Fit :math:`P(A|x) = \sigma([1, x]\beta)` by minimising the (weighted) mean Brier score.

    Minimises :math:`\sum_i w_i(\sigma(z_i) - y_i)^2 / \sum_i w_i`. The objective is not
    convex in :math:`\beta`; each step is a Newton step when the Hessian is positive
    definite and a Gauss-Newton step otherwise, halved until the loss does not increase.

    Parameters
    ----------
    X : array_like, shape (n, d) or (n,)
        Features.
    y : array_like, shape (n,)
        Targets in [0, 1]: labels (1 = A, 0 = B) or true posteriors P(A|x_i).
    weights : array_like, shape (n,), optional
        Positive sample weights.
    fit_intercept : bool, default True
        Prepend a column of ones.
    tol : float, default 1e-10
        Stop when the max-norm of the gradient is below ``tol``.
    max_iter : int, default 200
        Iteration cap.

    Returns
    -------
    FitResult
        ``loss`` is the final mean Brier score (probability units squared).

    Examples
    --------
    >>> from softprob.scoring import fit_brier
    >>> res = fit_brier([0.0, 0.0, 1.0, 1.0, 1.0], [0, 1, 0, 1, 1])
    >>> res.predict_proba([0.0, 1.0]).round(6).tolist(), res.converged
    ([0.5, 0.666667], True)
    """
    x, t, w = _inputs(X, y, weights, fit_intercept)
    max_iter = positive_int("max_iter", max_iter)
    beta = np.zeros(x.shape[1])

    def loss_at(b: FloatArray) -> float:
        return float(np.sum(w * (sigmoid(x @ b) - t) ** 2))

    loss = loss_at(beta)
    for n_iter in range(max_iter + 1):
        p = sigmoid(x @ beta)
        slope = p * (1 - p)                                     # d sigma / dz
        grad = x.T @ (w * 2 * (p - t) * slope)
        grad_norm = float(np.max(np.abs(grad)))
        if grad_norm < tol or n_iter == max_iter:
            break
        gauss_newton = 2 * slope**2
        curvature = gauss_newton + 2 * (p - t) * slope * (1 - 2 * p)
        hess = (x * (w * curvature)[:, None]).T @ x
        if np.linalg.eigvalsh(hess).min() <= 0:
            hess = (x * (w * gauss_newton)[:, None]).T @ x
        step = np.linalg.lstsq(hess, grad, rcond=None)[0]
        scale, new_loss = 1.0, loss_at(beta - step)
        while not new_loss <= loss + 1e-15 and scale > 1e-10:     # halve until no increase
            scale /= 2
            new_loss = loss_at(beta - scale * step)
        beta, loss = beta - scale * step, new_loss
    return FitResult(beta, fit_intercept, n_iter, grad_norm, grad_norm < tol, loss)


@dataclass(frozen=True)
class HingeFit:
    """Outcome of :func:`fit_hinge`: a linear score, not a probability.

    Attributes
    ----------
    coef : ndarray, shape (k,)
        Score coefficients (intercept first when fitted).
    fit_intercept : bool
        Whether a column of ones was prepended to X.
    loss : float
        Minimum (weighted) mean hinge loss.
    converged : bool
        Whether the linear-programme solver reported an optimal solution.
    """

    coef: FloatArray
    fit_intercept: bool
    loss: float
    converged: bool

    def scores(self, X: ArrayLike) -> FloatArray:
        """Raw scores :math:`s(x) = [1, x]\\beta` at X: shape (n,)."""
        return _design(X, self.fit_intercept, self.coef.shape[0]) @ self.coef


def fit_hinge(X: ArrayLike, y: ArrayLike, weights: ArrayLike | None = None,
              fit_intercept: bool = True) -> HingeFit:
    r"""Minimise the (weighted) mean hinge loss of a linear score exactly (no regulariser).

    With soft targets :math:`y_i = P(A|x_i)` the objective is the expected hinge loss
    :math:`\sum_i w_i[y_i\max(0, 1 - s_i) + (1 - y_i)\max(0, 1 + s_i)]/\sum_i w_i`,
    :math:`s_i = [1, x_i]\beta`. It is piecewise linear and convex, so it is solved as a
    linear programme (slack variables for each hinge, HiGHS solver). The minimum is
    exact; the minimiser need not be unique, and a vertex of the optimal set is returned.

    Parameters
    ----------
    X : array_like, shape (n, d) or (n,)
        Features.
    y : array_like, shape (n,)
        Targets in [0, 1]: labels (1 = A, 0 = B) or true posteriors P(A|x_i).
    weights : array_like, shape (n,), optional
        Positive sample weights.
    fit_intercept : bool, default True
        Prepend a column of ones.

    Returns
    -------
    HingeFit

    Examples
    --------
    >>> from softprob.scoring import fit_hinge
    >>> res = fit_hinge([-2.0, -1.0, 1.0, 2.0], [0, 0, 1, 1])
    >>> res.loss, res.scores([-1.0, 1.0]).round(6).tolist()
    (0.0, [-1.0, 1.0])
    """
    x, t, w = _inputs(X, y, weights, fit_intercept)
    pos, neg = np.flatnonzero(t > 0), np.flatnonzero(t < 1)
    n_pos, n_neg, k = pos.size, neg.size, x.shape[1]
    # variables [beta (k, free), xi_pos (n_pos, >= 0), xi_neg (n_neg, >= 0)]
    # xi_pos >= 1 - s  <=>  -s - xi_pos <= -1;   xi_neg >= 1 + s  <=>  s - xi_neg <= -1
    a_ub = sparse.vstack([
        sparse.hstack([sparse.csr_matrix(-x[pos]), -sparse.identity(n_pos), sparse.csr_matrix((n_pos, n_neg))]),
        sparse.hstack([sparse.csr_matrix(x[neg]), sparse.csr_matrix((n_neg, n_pos)), -sparse.identity(n_neg)]),
    ]).tocsr()
    cost = np.concatenate([np.zeros(k), w[pos] * t[pos], w[neg] * (1 - t[neg])])
    bounds = [(None, None)] * k + [(0, None)] * (n_pos + n_neg)
    sol = optimize.linprog(cost, A_ub=a_ub, b_ub=-np.ones(n_pos + n_neg), bounds=bounds,
                           method="highs")
    if sol.x is None:
        raise RuntimeError(f"fit_hinge: the linear programme failed ({sol.message})")
    beta = sol.x[:k]
    s = x @ beta
    loss = float(np.sum(w * (t * np.maximum(0, 1 - s) + (1 - t) * np.maximum(0, 1 + s))))
    return HingeFit(beta, fit_intercept, loss, sol.status == 0)
