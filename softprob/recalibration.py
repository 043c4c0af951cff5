"""Repairing calibration after training: temperature scaling for binary and K-class logits.

Recalibration maps a trained model's scores to new ones, fitted on held-out
data; measuring calibration is in :mod:`softprob.calibration`.
:func:`fit_temperature` divides every logit by one T > 0 (Guo et al. 2017):
the predicted class never changes, overconfidence (T > 1) or
underconfidence (T < 1) shrinks, and per-class biases stay - one parameter
cannot fix them (compare the class-wise ECE before and after).

When no temperature minimises the validation NLL - the logits' signs
(arg-max) separate the labels, or the logits carry no information - the fit
raises :class:`softprob.PerfectSeparationError` rather than return 0 or inf.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import partial

import numpy as np
from numpy.typing import ArrayLike

from softprob import _checks as chk
from softprob import _kernels as kern
from softprob._checks import FloatArray
from softprob._existence import (
    NO_INFORMATION,
    PerfectSeparationError,
    RankDeficiencyWarning,
    check_temperature,
)
from softprob._newton import newton, temperature_pass
from softprob.fit import fit_logistic

_RESCALE = 1e100                # logits beyond this are rescaled (z^2 would overflow)


@dataclass(frozen=True)
class TemperatureResult:
    r"""Outcome of :func:`fit_temperature`.

    Attributes
    ----------
    temperature : float
        The fitted T > 0; calibrated logits are ``logits / temperature``.
    n_iter : int
        Newton iterations used (on beta = 1/T).
    grad_norm : float
        :math:`|\mathrm{d}\,\mathrm{NLL}/\mathrm{d}\beta|` at the solution (for logits rescaled to
        :math:`\max |z| = 1` beyond :math:`10^{100}`).
    converged : bool
        Whether ``grad_norm`` fell below the tolerance.
    loss : float
        Validation NLL (nats) of the rescaled logits.
    """

    temperature: float
    n_iter: int
    grad_norm: float
    converged: bool
    loss: float

    def logits(self, logits: ArrayLike) -> FloatArray:
        """Recalibrated logits ``logits / T``, same shape (+-inf beyond the float range)."""
        with np.errstate(over="ignore"):
            return chk.as_float_array("logits", logits, ndim=(1, 2)) / self.temperature

    def predict_proba(self, logits: ArrayLike) -> FloatArray:
        """Recalibrated probabilities: P(A|x) (n,) for binary logits, rows (n, K) otherwise."""
        z = chk.as_float_array("logits", logits, ndim=(1, 2))
        if z.ndim == 2 and z.size:                   # shift first: (z - max) / T has no +inf
            z = z - z.max(axis=1, keepdims=True)
        with np.errstate(over="ignore"):
            z = z / self.temperature
        return kern.sigmoid(z) if z.ndim == 1 else np.exp(kern.log_softmax(z))


def fit_temperature(logits: ArrayLike, y: ArrayLike, *, tol: float = 1e-10,
                    max_iter: int = 100) -> TemperatureResult:
    r"""Temperature T > 0 minimising the validation log loss of logits / T.

    The NLL is convex in :math:`\beta = 1/T`, so damped Newton's method on
    :math:`\beta` finds the global minimum; it exists at a finite positive T
    exactly when some validation label is not the arg-max of its logits and
    the logits are informative on average (checked first, exactly).

    Parameters
    ----------
    logits : array_like, shape (n,) or (n, K)
        Validation logits (binary: logit of A).
    y : array_like, shape (n,)
        Validation labels (binary: 1 = A, 0 = B; else 0..K-1).
    tol : float, default 1e-10
        Stop when :math:`|\mathrm{d}\,\mathrm{NLL}/\mathrm{d}\beta|` < ``tol``.
    max_iter : int, default 100
        Iteration cap.

    Returns
    -------
    TemperatureResult

    Raises
    ------
    PerfectSeparationError
        When no positive temperature minimises the NLL (see the module docstring).

    Examples
    --------
    >>> from softprob.recalibration import fit_temperature
    >>> res = fit_temperature([4.0, -4.0, 2.0, -2.0, -1.0], [1, 0, 1, 0, 1])
    >>> round(res.temperature, 4), res.converged
    (1.0685, True)
    """
    z = chk.as_float_array("logits", logits, ndim=(1, 2))
    n_classes = 2 if z.ndim == 1 else z.shape[1]
    if n_classes < 2:
        raise ValueError(f"logits: need at least 2 classes (columns), got {n_classes}")
    hint = "; for K classes pass logits of shape (n, K)" if z.ndim == 1 else ""
    labels = chk.as_labels("y", y, n_classes, hint)
    chk.same_length(("logits", "y"), z, labels)
    tol, max_iter = chk.positive_float("tol", tol), chk.positive_int("max_iter", max_iter)
    rows = np.stack([np.zeros_like(z), z], axis=1) if z.ndim == 1 else z
    check_temperature(rows, labels)
    top = float(np.max(np.abs(rows)))
    scale = top if top > _RESCALE else 1.0
    s = newton(partial(temperature_pass, rows / scale, kern.one_hot(labels, n_classes)),
               np.array([1.0]), tol, max_iter)
    with np.errstate(over="ignore", divide="ignore"):
        temperature = scale / float(s.theta[0])
    if not 0 < temperature < np.inf:                 # the minimiser is at beta = 0 within rounding
        raise PerfectSeparationError(NO_INFORMATION)
    return TemperatureResult(temperature, s.n_iter, s.grad_norm, s.grad_norm < tol, s.loss)


@dataclass(frozen=True)
class PlattResult:
    r"""Outcome of :func:`fit_platt`: recalibrated P(A | x) = sigmoid(slope * z + intercept).

    Attributes
    ----------
    slope : float
        The fitted slope a of the score z (for logits, a = 1/T of a temperature).
    intercept : float
        The fitted intercept b (a shift that temperature scaling lacks).
    n_iter : int
        Newton iterations used.
    grad_norm : float
        Max-norm of the gradient of the validation NLL at the solution.
    converged : bool
        Whether ``grad_norm`` fell below the tolerance.
    loss : float
        Validation NLL (nats).
    """

    slope: float
    intercept: float
    n_iter: int
    grad_norm: float
    converged: bool
    loss: float

    def logits(self, logits: ArrayLike) -> FloatArray:
        """Recalibrated logits ``slope * logits + intercept`` (+-inf beyond the float range)."""
        z = chk.as_float_array("logits", logits, ndim=1)
        with np.errstate(over="ignore"):
            return self.slope * z + self.intercept

    def predict_proba(self, logits: ArrayLike) -> FloatArray:
        """Recalibrated probabilities P(A | x), shape (n,)."""
        return kern.sigmoid(self.logits(logits))


def fit_platt(logits: ArrayLike, y: ArrayLike, *, tol: float = 1e-10,
              max_iter: int = 100) -> PlattResult:
    r"""Platt scaling: a logistic regression of the validation labels on the score.

    Fits :math:`P(A \mid z) = \sigma(a z + b)` by maximum likelihood (Platt 1999; he also
    shrank the targets to :math:`(N_A + 1)/(N_A + 2)` and :math:`1/(N_B + 2)`, which this
    function does not). Two parameters: a slope, as temperature scaling
    (:math:`a = 1/T`), and an intercept that also moves the scores' average. The map is
    strictly monotone (for :math:`a \ne 0`), so the ranking of inputs is kept (or reversed).
    Binary only; for K classes use :func:`fit_temperature`.

    Parameters
    ----------
    logits : array_like, shape (n,)
        Validation scores: the logit of A, or any real score (an SVM's margin).
    y : array_like, shape (n,)
        Validation labels (1 = A, 0 = B).
    tol : float, default 1e-10
        Stop when the max-norm of the gradient is below ``tol``.
    max_iter : int, default 100
        Iteration cap.

    Returns
    -------
    PlattResult

    Raises
    ------
    PerfectSeparationError
        When the scores separate the labels (a threshold on z puts every A above every B,
        or every B above every A) or all labels are of one class: no finite (a, b)
        maximises the likelihood.

    Warns
    -----
    RankDeficiencyWarning
        When every validation score is the same (the slope is not identified).

    Examples
    --------
    >>> from softprob.recalibration import fit_platt
    >>> res = fit_platt([4.0, -4.0, 2.0, -2.0, -1.0, 1.0], [1, 0, 1, 0, 1, 0])
    >>> round(res.slope, 4), round(res.intercept, 4), res.converged
    (0.6756, 0.0, True)
    """
    z = chk.as_float_array("logits", logits, ndim=1)
    labels = chk.as_labels("y", y, 2, "; Platt scaling is binary: for K classes use "
                                      "fit_temperature")
    chk.same_length(("logits", "y"), z, labels)
    tol, max_iter = chk.positive_float("tol", tol), chk.positive_int("max_iter", max_iter)
    if labels.min() == labels.max():
        raise PerfectSeparationError(f"y: every validation label is {labels[0]} (one class): "
                                     "the likelihood grows without bound as the intercept "
                                     "moves, so no Platt map exists; use validation data "
                                     "with both classes")
    if np.ptp(z) == 0:
        warnings.warn(RankDeficiencyWarning(
            "logits: every validation score is the same, so the slope is not identified; "
            "returning slope 0 and the intercept logit(mean label)"), stacklevel=2)
        rate = float(labels.mean())
        b = float(np.log(rate) - np.log1p(-rate))
        loss = float(-rate * np.log(rate) - (1 - rate) * np.log1p(-rate))
        return PlattResult(0.0, b, 0, 0.0, True, loss)
    top = float(np.max(np.abs(z)))
    scale = top if top > _RESCALE else 1.0
    try:
        res = fit_logistic(z / scale, labels, tol=tol, max_iter=max_iter)
    except PerfectSeparationError:
        raise PerfectSeparationError(
            "logits, y: the scores separate the labels (a threshold on them puts every A on "
            "one side and every B on the other), so the likelihood grows without bound as "
            "the slope grows: no finite Platt map exists; use more validation data, or a "
            "map that allows 0 and 1 (fit_histogram_binning, isotonic regression)") from None
    return PlattResult(float(res.coef[1]) / scale, float(res.coef[0]), res.n_iter,
                       res.grad_norm, res.converged, res.loss)


@dataclass(frozen=True)
class HistogramBinningResult:
    r"""Outcome of :func:`fit_histogram_binning`: one probability per bin of the score.

    Attributes
    ----------
    edges : ndarray
        The B - 1 interior bin edges (a score equal to an edge belongs to the lower bin).
    values : ndarray
        The B bins' frequencies of class A among their validation scores.
    counts : ndarray
        The number of validation scores in each of the B bins (all > 0: empty bins were
        merged).
    """

    edges: FloatArray
    values: FloatArray
    counts: FloatArray

    def predict_proba(self, y_prob: ArrayLike) -> FloatArray:
        """Recalibrated P(A | x): the value of the bin each score falls in, shape (n,)."""
        p = chk.as_probabilities("y_prob", y_prob, ndim=1)
        return self.values[np.searchsorted(self.edges, p)]


def fit_histogram_binning(y_prob: ArrayLike, y: ArrayLike, *, n_bins: int = 10,
                          strategy: str = "quantile",
                          m_estimate: float = 0.0) -> HistogramBinningResult:
    r"""Histogram binning (Zadrozny & Elkan 2001): replace a score by its bin's frequency.

    The validation scores are cut into ``n_bins`` bins (``'quantile'``: equal counts, as
    Zadrozny & Elkan; ``'uniform'``: equal widths on [0, 1]); a bin that holds no
    validation score is merged with its lower neighbour (the lowest with the next), so
    every returned value is an observed frequency. The result is calibrated on the
    validation set bin by bin, but it keeps only B distinct values: scores that share a
    bin can no longer be told apart (resolution is lost), and a bin with no A (or no B)
    predicts exactly 0 (or 1), an infinite log loss for the next A (or B) that falls in
    it. The m-estimate (Zadrozny & Elkan 2001, for tree leaves) avoids that: with
    ``m_estimate`` = m > 0 a bin of n_b scores, k of them A, gets
    :math:`(k + m\bar y)/(n_b + m)`, :math:`\bar y` the validation frequency of A.

    Parameters
    ----------
    y_prob : array_like, shape (n,)
        Validation scores P(A | x) in [0, 1].
    y : array_like, shape (n,)
        Validation labels (1 = A, 0 = B).
    n_bins : int, default 10
        Number of bins before merging.
    strategy : {'quantile', 'uniform'}
        Equal-count or equal-width bins.
    m_estimate : float, default 0
        Pseudo-count m >= 0 pulling each bin towards the overall frequency (0: none).

    Returns
    -------
    HistogramBinningResult

    Examples
    --------
    >>> from softprob.recalibration import fit_histogram_binning
    >>> res = fit_histogram_binning([0.1, 0.2, 0.3, 0.6, 0.8, 0.9], [0, 0, 1, 0, 1, 1],
    ...                             n_bins=2)
    >>> res.values.round(4).tolist(), res.predict_proba([0.05, 0.95]).round(4).tolist()
    ([0.3333, 0.6667], [0.3333, 0.6667])
    >>> fit_histogram_binning([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1], n_bins=2,
    ...                       m_estimate=2).values.tolist()         # (0 + 2 * 0.5) / (2 + 2)
    [0.25, 0.75]
    """
    p = chk.as_probabilities("y_prob", y_prob, ndim=1)
    labels = chk.as_labels("y", y, 2, "; histogram binning here is binary")
    chk.same_length(("y_prob", "y"), p, labels)
    n_bins = chk.positive_int("n_bins", n_bins)
    strategy = chk.one_of("strategy", strategy, ("quantile", "uniform"))
    m = chk.non_negative("m_estimate", m_estimate)
    if strategy == "uniform":
        edges = np.linspace(0.0, 1.0, n_bins + 1)[1:-1]
    else:
        edges = np.quantile(p, np.linspace(0.0, 1.0, n_bins + 1)[1:-1])
    counts = np.bincount(np.searchsorted(edges, p), minlength=n_bins)
    # keep the lower edge of every non-empty bin that has a non-empty bin below it
    keep = (counts[1:] > 0) & (np.cumsum(counts)[:-1] > 0)
    edges = edges[keep]
    ids = np.searchsorted(edges, p)
    counts = np.bincount(ids, minlength=edges.size + 1).astype(float)
    hits = np.bincount(ids, weights=labels, minlength=edges.size + 1)
    values = (hits + m * labels.mean()) / (counts + m)
    return HistogramBinningResult(edges, values, counts)
