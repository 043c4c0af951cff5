"""Calibration: reliability curves, expected calibration error, temperature scaling.

A model is calibrated when, among the inputs it gives score p, a fraction p
belongs to class A. These tools measure how far fitted scores are from that,
and repair a common failure (overconfidence) with one parameter.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from softprob._checks import (FloatArray, as_float_array, as_labels, as_probabilities, positive_int,
                              same_length)
from softprob.activations import log_sigmoid, log_softmax, sigmoid, softmax


def _bin_ids(p: FloatArray, n_bins: int, strategy: str) -> FloatArray:
    if strategy == "uniform":
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    elif strategy == "quantile":
        edges = np.percentile(p, np.linspace(0.0, 100.0, n_bins + 1))
    else:
        raise ValueError(f"strategy: must be 'uniform' or 'quantile', got {strategy!r}")
    # interior edges only; a score equal to an edge goes to the lower bin (as scikit-learn)
    return np.searchsorted(edges[1:-1], p)


def reliability_curve(y: ArrayLike, p: ArrayLike, n_bins: int = 10,
                      strategy: str = "uniform") -> tuple[FloatArray, FloatArray, FloatArray]:
    r"""Mean predicted probability, observed frequency and count in each non-empty bin.

    Parameters
    ----------
    y : array_like, shape (n,)
        Labels, 1 = A and 0 = B (or the 0/1 "prediction was correct" indicator).
    p : array_like, shape (n,)
        Predicted P(A | x) (or confidence), in [0, 1].
    n_bins : int, default 10
        Number of bins on [0, 1].
    strategy : {'uniform', 'quantile'}
        Equal-width bins, or bins holding equal numbers of scores.

    Returns
    -------
    mean_predicted, observed_frequency, counts : ndarray
        One entry per non-empty bin, in increasing order of score.

    Examples
    --------
    >>> from softprob.calibration import reliability_curve
    >>> mp, freq, n = reliability_curve([0, 1, 1, 1], [0.1, 0.2, 0.9, 0.8], n_bins=2)
    >>> mp.tolist(), freq.tolist(), n.tolist()
    ([0.15000000000000002, 0.8500000000000001], [0.5, 1.0], [2.0, 2.0])
    """
    y_arr = as_labels("y", y, 2).astype(float)
    p_arr = as_probabilities("p", p, ndim=1)
    same_length(("y", "p"), y_arr, p_arr)
    n_bins = positive_int("n_bins", n_bins)
    ids = _bin_ids(p_arr, n_bins, strategy)
    counts = np.bincount(ids, minlength=n_bins).astype(float)
    sums = np.bincount(ids, weights=p_arr, minlength=n_bins)
    hits = np.bincount(ids, weights=y_arr, minlength=n_bins)
    keep = counts > 0
    return sums[keep] / counts[keep], hits[keep] / counts[keep], counts[keep]


def expected_calibration_error(y: ArrayLike, p: ArrayLike, n_bins: int = 15,
                               strategy: str = "uniform") -> float:
    r"""Expected calibration error :math:`\sum_b (n_b/n)\,|\bar y_b - \bar p_b|`.

    Binary scores (1-D ``p``) use P(A | x) against the label. Probability rows
    (2-D ``p``) use the top-label form of Guo et al. (2017): the confidence
    max_k p_k against whether the arg-max class was correct. Binning makes
    this a biased estimate (Kumar, Liang & Ma 2019): it depends on ``n_bins``.

    Parameters
    ----------
    y : array_like, shape (n,)
        Labels (0/1 for binary; 0..K-1 for rows).
    p : array_like, shape (n,) or (n, K)
        Predicted probabilities.
    n_bins : int, default 15
        Number of bins.
    strategy : {'uniform', 'quantile'}
        Binning scheme.

    Returns
    -------
    float
        ECE in probability units (0 is perfect).

    Examples
    --------
    >>> from softprob.calibration import expected_calibration_error
    >>> round(expected_calibration_error([0, 1, 1, 1], [0.1, 0.2, 0.9, 0.8], n_bins=2), 6)
    0.25
    """
    p_arr = np.asarray(p)
    if p_arr.ndim == 2:
        rows = as_probabilities("p", p_arr, ndim=2, rows_sum_to_one=True)
        labels = as_labels("y", y, rows.shape[1])
        same_length(("y", "p"), labels, rows)
        correct = (rows.argmax(axis=1) == labels).astype(int)
        return expected_calibration_error(correct, rows.max(axis=1), n_bins, strategy)
    mean_p, freq, counts = reliability_curve(y, p, n_bins, strategy)
    return float(np.sum(counts * np.abs(freq - mean_p)) / np.sum(counts))


def _scaled_nll(z: FloatArray, labels: FloatArray, beta: float) -> tuple[float, float, float]:
    """NLL of logits beta*z, and its first two derivatives in beta."""
    if z.ndim == 1:
        s = beta * z
        nll = -np.mean(labels * log_sigmoid(s) + (1 - labels) * log_sigmoid(-s))
        p = sigmoid(s)
        return float(nll), float(np.mean((p - labels) * z)), float(np.mean(p * (1 - p) * z**2))
    s = beta * z
    lp = log_softmax(s)
    idx = labels.astype(int)
    nll = -np.mean(lp[np.arange(len(idx)), idx])
    p = softmax(s)
    mean_z = np.sum(p * z, axis=1)
    grad = np.mean(mean_z - z[np.arange(len(idx)), idx])
    hess = np.mean(np.sum(p * z**2, axis=1) - mean_z**2)
    return float(nll), float(grad), float(hess)


def fit_temperature(z: ArrayLike, y: ArrayLike, tol: float = 1e-10, max_iter: int = 100) -> float:
    r"""Temperature T > 0 minimising the held-out log loss of logits z / T.

    The NLL is convex in :math:`\beta = 1/T`, so Newton's method on
    :math:`\beta` finds the global minimum. Dividing every logit by the same
    T > 0 keeps their order, so the predicted class never changes.

    Parameters
    ----------
    z : array_like, shape (n,) or (n, K)
        Validation logits (binary: logit of A).
    y : array_like, shape (n,)
        Validation labels.
    tol : float, default 1e-10
        Stop when |dNLL/dβ| < tol.
    max_iter : int, default 100
        Iteration cap.

    Returns
    -------
    float
        The fitted temperature T.

    Examples
    --------
    >>> from softprob.calibration import fit_temperature
    >>> round(fit_temperature([4.0, -4.0, 4.0, -4.0], [1, 0, 0, 1]), 3) > 100
    True
    """
    z_arr = as_float_array("z", z, ndim=(1, 2))
    labels = as_labels("y", y, 2 if z_arr.ndim == 1 else z_arr.shape[1]).astype(float)
    same_length(("z", "y"), z_arr, labels)
    beta = 1.0
    for _ in range(positive_int("max_iter", max_iter)):
        nll, grad, hess = _scaled_nll(z_arr, labels, beta)
        if abs(grad) < tol:
            break
        new_beta = beta - grad / hess if hess > 0 else beta / 2
        beta = new_beta if new_beta > 0 else beta / 2  # stay in T > 0
    return float(1.0 / beta)


def calibrated_ece_samples(p: ArrayLike, rng: np.random.Generator, n_bins: int = 15,
                           n_rep: int = 200, strategy: str = "uniform") -> FloatArray:
    r"""ECE of a *perfectly calibrated* predictor with scores ``p``: the binning noise floor.

    Draws labels :math:`y_i \sim \mathrm{Bernoulli}(p_i)` ``n_rep`` times, so that
    P(A | score) equals the score exactly, and returns the ECE of each draw.
    Any value above zero is pure sampling noise of the binned estimator
    (Kumar, Liang & Ma 2019); it grows with ``n_bins`` and shrinks like
    :math:`1/\sqrt{n}`. Probability rows (n, K) draw labels from each row and
    use the top-label ECE.

    Parameters
    ----------
    p : array_like, shape (n,) or (n, K)
        Scores (binary P(A|x)) or probability rows.
    rng : numpy.random.Generator
        Source of the simulated labels.
    n_bins : int, default 15
        Number of bins, as in :func:`expected_calibration_error`.
    n_rep : int, default 200
        Number of simulated label sets.
    strategy : {'uniform', 'quantile'}
        Binning scheme.

    Returns
    -------
    ndarray, shape (n_rep,)
        One ECE per simulated label set.

    Examples
    --------
    >>> import numpy as np
    >>> from softprob.calibration import calibrated_ece_samples
    >>> rng = np.random.default_rng(0)
    >>> small = calibrated_ece_samples(rng.uniform(size=100), rng, n_rep=50).mean()
    >>> large = calibrated_ece_samples(rng.uniform(size=10_000), rng, n_rep=50).mean()
    >>> bool(small > 3 * large > 0)
    True
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng: expected a numpy.random.Generator, got {type(rng).__name__}")
    arr = np.asarray(p)
    rows = arr.ndim == 2
    probs = as_probabilities("p", arr, ndim=(1, 2), rows_sum_to_one=rows)
    n_rep = positive_int("n_rep", n_rep)
    out = np.empty(n_rep)
    for r in range(n_rep):
        u = rng.uniform(size=(probs.shape[0], 1) if rows else probs.shape[0])
        y = (u > np.cumsum(probs, axis=1)).sum(axis=1).clip(max=probs.shape[1] - 1) if rows \
            else (u < probs).astype(int)
        out[r] = expected_calibration_error(y, probs, n_bins, strategy)
    return out


def calibrated_ece_approx(p: ArrayLike, n_bins: int = 15, strategy: str = "uniform") -> float:
    r"""Normal approximation to the mean ECE of a perfectly calibrated binary predictor.

    In bin b with :math:`n_b` scores, :math:`\bar y_b - \bar p_b` has mean 0 and
    variance :math:`v_b/n_b`, :math:`v_b = \overline{p(1-p)}_b`; for a normal
    variable :math:`\mathbb{E}|Z| = \sigma\sqrt{2/\pi}`, so
    :math:`\mathbb{E}\,\mathrm{ECE} \approx \frac1n\sum_b \sqrt{2 n_b v_b/\pi}`,
    of order :math:`\sqrt{B/n}` for B bins. Accurate when every bin holds many
    scores; the exact value is what :func:`calibrated_ece_samples` simulates.

    Parameters
    ----------
    p : array_like, shape (n,)
        Scores P(A | x).
    n_bins : int, default 15
        Number of bins.
    strategy : {'uniform', 'quantile'}
        Binning scheme.

    Returns
    -------
    float
        The approximate expected ECE.

    Examples
    --------
    >>> import numpy as np
    >>> from softprob.calibration import calibrated_ece_approx
    >>> round(calibrated_ece_approx(np.full(10_000, 0.5), n_bins=10), 5)  # sqrt(2*0.25/(pi*1e4))
    0.00399
    """
    probs = as_probabilities("p", p, ndim=1)
    ids = _bin_ids(probs, positive_int("n_bins", n_bins), strategy)
    var_sums = np.bincount(ids, weights=probs * (1.0 - probs), minlength=n_bins)
    return float(np.sum(np.sqrt(2.0 * var_sums / np.pi)) / probs.shape[0])
