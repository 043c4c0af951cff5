"""Linear-score fits: logistic/softmax (max. likelihood, optional L2), Brier, hinge; feature maps.

Logistic and softmax fits minimise the (weighted) mean cross-entropy plus an
optional penalty :math:`\\frac{\\lambda}{2}\\lVert w\\rVert^2` on the slopes (``l2`` =
:math:`\\lambda`; the intercept is not penalised; ``l2 > 0`` is the MAP fit under a
Gaussian prior) by Newton's method, and report iterations and final gradient norm.

Where the maximum-likelihood estimate does not exist (separated classes, one class
only) a fit raises :class:`softprob.PerfectSeparationError` instead of returning a
number; a batch of fits warns (:class:`softprob.PerfectSeparationWarning`) and marks
the replications; a rank-deficient design gives :class:`softprob.RankDeficiencyWarning`.
The tests are exact (``softprob._existence``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from itertools import combinations_with_replacement

import numpy as np
from numpy.typing import ArrayLike

from softprob import _checks as chk
from softprob import _existence as exist
from softprob import _kernels as kern
from softprob import _newton as engine
from softprob._checks import FloatArray
from softprob._newton_batch import fit_batch

_X_LIMIT = 1e100                # squares of features are summed in the Hessian


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
        Max-norm of the gradient of the objective at ``coef``.
    converged : bool
        Whether ``grad_norm`` fell below the tolerance.
    loss : float
        Final objective: (weighted) mean loss (nats; Brier: probability squared) + penalty.
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
        return kern.sigmoid(z) if z.ndim == 1 else np.exp(kern.log_softmax(z))


def _result(s: engine.NewtonState, fit_intercept: bool, tol: float,
            coef: FloatArray | None = None) -> FitResult:
    return FitResult(s.theta if coef is None else coef, fit_intercept, s.n_iter, s.grad_norm,
                     s.grad_norm < tol, s.loss)


def _affine(X: ArrayLike, coef: FloatArray, fit_intercept: bool) -> FloatArray:
    """``[1, X] @ coef`` (or ``X @ coef``) without copying X."""
    x = chk.as_features("X", X, coef.shape[0] - int(fit_intercept))
    return x @ coef[1:] + coef[0] if fit_intercept else x @ coef


def _common(X, y, sample_weight, l2, fit_intercept, tol, max_iter, n_classes=None):
    """Validated (x, targets, w, l2, fit_intercept, tol, max_iter) of a fit."""
    x = chk.as_features("X", X, limit=_X_LIMIT)
    t = (chk.as_probabilities("y", y, ndim=1) if n_classes is None
         else chk.as_targets("y", y, n_classes))
    chk.same_length(("X", "y"), x, t)
    return (x, t, chk.as_sample_weight(sample_weight, x.shape[0]), chk.non_negative("l2", l2),
            chk.as_bool("fit_intercept", fit_intercept), chk.positive_float("tol", tol),
            chk.positive_int("max_iter", max_iter))


def _classes(t: FloatArray, w: FloatArray | None) -> np.ndarray:
    """Which of B, A has target mass (binary targets t)."""
    pos = slice(None) if w is None else w > 0
    return np.array([np.any(t[pos] < 1), np.any(t[pos] > 0)])


def fit_logistic(X: ArrayLike, y: ArrayLike, *, sample_weight: ArrayLike | None = None,
                 l2: float = 0.0, fit_intercept: bool = True, tol: float = 1e-10,
                 max_iter: int = 100) -> FitResult:
    r"""Logistic regression by Newton's method (IRLS), optionally weighted and L2-penalised.

    Minimises :math:`\sum_i w_i\ell_i(\beta)/\sum_i w_i + \frac{\lambda}{2}\lVert w\rVert^2`
    (w: the slopes), :math:`\ell_i = -y_i\log\sigma(z_i) - (1-y_i)\log\sigma(-z_i)`,
    :math:`z_i = [1, x_i]\beta`. Weights implement prior reweighting (essay step E6).

    Parameters
    ----------
    X : array_like, shape (n, d) or (n,)
        Features (use :func:`polynomial_features` for a richer logit).
    y : array_like, shape (n,)
        Targets in [0, 1]: labels (1 = A, 0 = B) or true posteriors P(A|x_i).
    sample_weight : array_like, shape (n,), optional
        Non-negative weights with a positive sum.
    l2 : float, default 0
        :math:`\lambda \ge 0`; 0 is maximum likelihood.
    fit_intercept : bool, default True
        Prepend a column of ones.
    tol : float, default 1e-10
        Stop when the max-norm of the gradient is below ``tol``.
    max_iter : int, default 100
        Iteration cap.

    Returns
    -------
    FitResult

    Raises
    ------
    PerfectSeparationError
        With ``l2 = 0`` on separated data; with an intercept, on labels of one class.

    Examples
    --------
    >>> from softprob.fit import fit_logistic
    >>> res = fit_logistic([0.0, 0.0, 1.0, 1.0, 1.0], [0, 1, 0, 1, 1])
    >>> (res.coef.round(6) + 0.0).tolist(), res.converged
    ([0.0, 0.693147], True)
    """
    x, t, w, l2, fit_intercept, tol, max_iter = _common(X, y, sample_weight, l2, fit_intercept,
                                                         tol, max_iter)
    xt = engine.transposed_design(x, fit_intercept)
    exist.require_classes(_classes(t, w), fit_intercept)
    s, stats = engine.fit_with_subsample_start(
        (xt, t), w, engine.logistic_pass_for,
        partial(engine.logistic_start, fit_intercept=fit_intercept), tol, max_iter,
        engine.penalty_vector(xt.shape[0], 1, l2, fit_intercept))
    if l2 == 0:
        exist.require_mle(xt, t, w, s, stats[0])
    return _result(s, fit_intercept, tol)


@dataclass(frozen=True)
class BatchFitResult:
    """Outcome of R independent logistic fits done together.

    Attributes
    ----------
    coef : ndarray, shape (R, k)
        One coefficient vector per replication (intercept first); NaN where ``separated``.
    fit_intercept : bool
        Whether a column of ones was prepended.
    n_iter, grad_norm, converged, loss : ndarray, shape (R,)
        Per replication, as in :class:`FitResult` (NaN loss, False where ``separated``).
    separated : ndarray of bool, shape (R,)
        Replications without a finite estimate (separated, or one class only).
    """

    coef: FloatArray
    fit_intercept: bool
    n_iter: np.ndarray
    grad_norm: FloatArray
    converged: np.ndarray
    loss: FloatArray
    separated: np.ndarray

    def logits(self, X: ArrayLike) -> FloatArray:
        """Logits of every replication at common inputs X (n, d): shape (R, n)."""
        return _affine(X, self.coef.T, self.fit_intercept).T


def fit_logistic_batch(X: ArrayLike, y: ArrayLike, *, l2: float = 0.0, fit_intercept: bool = True,
                       tol: float = 1e-10, max_iter: int = 100) -> BatchFitResult:
    r"""R independent logistic regressions in one vectorised Newton loop.

    The same coefficients as :func:`fit_logistic` on each ``(X[r], y[r])``, from
    stacked arrays and batched solves instead of a Python loop. A replication
    without a finite estimate does not stop the batch: a
    :class:`softprob.PerfectSeparationWarning` names it and its row is NaN.

    Parameters
    ----------
    X : array_like, shape (R, n, d) or (R, n)
        Features of each replication.
    y : array_like, shape (R, n)
        Targets in [0, 1] of each replication.
    l2, fit_intercept, tol, max_iter
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
    x = chk.as_float_array("X", X, ndim=(2, 3))
    x = x[:, :, None] if x.ndim == 2 else x
    if x.shape[2] == 0 or max(x.max(), -x.min()) > _X_LIMIT:
        chk.as_features("X", x.reshape(-1, x.shape[2]), limit=_X_LIMIT)     # raises, says why
    t = chk.as_probabilities("y", y, ndim=2)
    if t.shape != x.shape[:2]:
        raise ValueError(f"y: expected shape {x.shape[:2]} to match X, got {t.shape}")
    l2, fit_intercept = chk.non_negative("l2", l2), chk.as_bool("fit_intercept", fit_intercept)
    tol, max_iter = chk.positive_float("tol", tol), chk.positive_int("max_iter", max_iter)
    k = x.shape[2] + int(fit_intercept)
    pen = engine.penalty_vector(k, 1, l2, fit_intercept)
    s = fit_batch(x, t, fit_intercept, tol, max_iter, np.zeros(k) if pen is None else pen)
    bad = exist.batch_separated(x, t, s.coef, s.grad, s.hess, fit_intercept, l2)
    if l2 == 0:
        exist.check_batch_rank(x, s.hess, fit_intercept, bad)
    coef, loss, grad_norm = s.coef.copy(), s.loss.copy(), s.grad_norm.copy()
    if bad.any():
        coef[bad], loss[bad], grad_norm[bad] = np.nan, np.nan, np.nan
        exist.warn_separated(np.flatnonzero(bad), x.shape[0])
    return BatchFitResult(coef, fit_intercept, s.n_iter, grad_norm, (grad_norm < tol) & ~bad,
                          loss, bad)


def fit_softmax(X: ArrayLike, y: ArrayLike, n_classes: int, *,
                sample_weight: ArrayLike | None = None, l2: float = 0.0,
                fit_intercept: bool = True, tol: float = 1e-10, max_iter: int = 100) -> FitResult:
    r"""Softmax (multinomial logistic) regression by Newton's method, optionally L2-penalised.

    Class ``n_classes - 1`` is the reference: its column of ``coef`` is fixed at 0,
    which loses nothing because softmax is invariant to a common shift.

    Parameters
    ----------
    X : array_like, shape (n, d) or (n,)
        Features.
    y : array_like, shape (n,) or (n, K)
        Integer labels 0..K-1, or target probability rows.
    n_classes : int
        K >= 2.
    sample_weight, l2, fit_intercept, tol, max_iter
        As in :func:`fit_logistic`.

    Returns
    -------
    FitResult
        ``coef`` of shape (k, K).

    Raises
    ------
    PerfectSeparationError
        With ``l2 = 0`` on separated data; with an intercept, when a class never occurs.

    Examples
    --------
    >>> from softprob.fit import fit_softmax
    >>> X, y = [0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0], [0, 1, 2, 0, 1, 2, 2]
    >>> fit_softmax(X, y, n_classes=3).predict_proba([[1.0]]).round(4).tolist()
    [[0.25, 0.25, 0.5]]
    """
    n_classes = chk.positive_int("n_classes", n_classes, minimum=2)
    x, t, w, l2, fit_intercept, tol, max_iter = _common(X, y, sample_weight, l2, fit_intercept,
                                                         tol, max_iter, n_classes)
    xt, tt = engine.transposed_design(x, fit_intercept), np.ascontiguousarray(t.T)
    exist.require_classes(np.any(tt > 0 if w is None else (tt > 0) & (w > 0), axis=1),
                          fit_intercept)
    k = xt.shape[0]
    s, _ = engine.fit_with_subsample_start(
        (xt, tt), w, engine.softmax_pass_for,
        partial(engine.softmax_start, fit_intercept=fit_intercept), tol, max_iter,
        engine.penalty_vector(k, n_classes - 1, l2, fit_intercept))
    if l2 == 0:
        exist.require_mle(xt, tt, w, s)
    return _result(s, fit_intercept, tol, np.hstack([s.theta.reshape(k, n_classes - 1),
                                                     np.zeros((k, 1))]))


def fit_brier(X: ArrayLike, y: ArrayLike, *, sample_weight: ArrayLike | None = None,
              fit_intercept: bool = True, tol: float = 1e-10, max_iter: int = 200) -> FitResult:
    r"""Fit :math:`P(A|x) = \sigma([1, x]\beta)` by minimising the (weighted) mean Brier score.

    The objective :math:`\sum_i w_i(\sigma(z_i) - y_i)^2/\sum_i w_i` is not convex in
    :math:`\beta`: a step is a Newton step where the Hessian is positive definite, else a
    Gauss-Newton step, halved until the loss does not increase.

    Parameters
    ----------
    X, y, sample_weight, fit_intercept, tol
        As in :func:`fit_logistic`.
    max_iter : int, default 200
        Iteration cap.

    Returns
    -------
    FitResult
        ``loss`` is the final mean Brier score (probability units squared).

    Raises
    ------
    PerfectSeparationError
        On separated data or one class (the infimum 0 is not attained).

    Examples
    --------
    >>> from softprob.fit import fit_brier
    >>> res = fit_brier([0.0, 0.0, 1.0, 1.0, 1.0], [0, 1, 0, 1, 1])
    >>> res.predict_proba([0.0, 1.0]).round(6).tolist(), res.converged
    ([0.5, 0.666667], True)
    """
    x, t, w, _, fit_intercept, tol, max_iter = _common(X, y, sample_weight, 0.0, fit_intercept,
                                                        tol, max_iter)
    xt = engine.transposed_design(x, fit_intercept)
    w = np.full(t.shape[0], 1.0 / t.shape[0]) if w is None else w / w.sum()
    exist.require_classes(_classes(t, w), fit_intercept)
    found, complete = exist.separating_direction(*exist.binary_rows(xt, t, w))
    if found:
        raise exist.PerfectSeparationError(exist.separation_message(
            complete, "Brier-score", "collect more data, or use fit_logistic(..., l2=...)"))
    s = engine.newton(partial(engine.brier_pass, xt, t, w), np.zeros(xt.shape[0]), tol,
                      max_iter, convex=False)
    return _result(s, fit_intercept, tol)


@dataclass(frozen=True)
class HingeFitResult:
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
        return _affine(X, self.coef, self.fit_intercept)


def fit_hinge(X: ArrayLike, y: ArrayLike, *, sample_weight: ArrayLike | None = None,
              fit_intercept: bool = True) -> HingeFitResult:
    r"""Minimise the (weighted) mean hinge loss of a linear score exactly (no regulariser).

    With soft targets :math:`y_i = P(A|x_i)` the objective is the expected hinge loss
    :math:`\sum_i w_i[y_i\max(0, 1 - s_i) + (1 - y_i)\max(0, 1 + s_i)]/\sum_i w_i`,
    :math:`s_i = [1, x_i]\beta`: piecewise linear and convex, solved exactly as a linear
    programme (a vertex of the optimal set is returned). Its minimiser estimates
    sign(2 P(A|x) - 1), not a probability.

    Parameters
    ----------
    X, y, sample_weight, fit_intercept
        As in :func:`fit_logistic`.

    Returns
    -------
    HingeFitResult

    Examples
    --------
    >>> from softprob.fit import fit_hinge
    >>> res = fit_hinge([-2.0, -1.0, 1.0, 2.0], [0, 0, 1, 1])
    >>> res.loss, res.scores([-1.0, 1.0]).round(6).tolist()
    (0.0, [-1.0, 1.0])
    """
    x, t, w, _, fit_intercept, _, _ = _common(X, y, sample_weight, 0.0, fit_intercept, 1.0, 1)
    xd = engine.transposed_design(x, fit_intercept).T
    w = np.full(t.shape[0], 1.0 / t.shape[0]) if w is None else w / w.sum()
    beta, optimal = kern.hinge_lp(xd, t, w)
    s = xd @ beta
    loss = float(np.sum(w * (t * np.maximum(0, 1 - s) + (1 - t) * np.maximum(0, 1 + s))))
    return HingeFitResult(beta, fit_intercept, loss, optimal)


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
    degree = chk.positive_int("degree", degree)
    x = chk.as_features("X", X)
    with np.errstate(over="ignore"):
        out = np.stack([np.prod(x[:, list(idx)], axis=1) for deg in range(1, degree + 1)
                        for idx in combinations_with_replacement(range(x.shape[1]), deg)], axis=1)
    if not np.all(np.isfinite(out)):
        raise ValueError(f"X: monomials of degree {degree} overflow; rescale the features")
    return out
