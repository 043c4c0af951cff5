"""Losses: cross-entropy (binary, categorical), Brier, hinge, focal loss, label smoothing.

Entropy and KL divergences live in :mod:`softprob.information`.

.. rubric:: Conventions

* Binary problems: ``y_true`` is P(A | x) (a hard label 1/0 or a soft
  probability); the model is given by its ``logits`` (P(A|x) = sigmoid(z)) or,
  in the ``*_from_probs`` variants, by its probabilities ``y_prob``.
* K-class problems: targets are integer labels (n,) or probability rows (n, K);
  models are logits (n, K) or probability rows.
* ``sample_weight`` turns every mean into a weighted mean sum(w * loss) / sum(w).
* ``*_from_probs`` variants never clip: log(0) gives ``inf``, as it should.
* Label smoothing: :func:`smooth_labels` makes the targets, :func:`unsmooth_probabilities`
  maps the smoothed minimiser back to the posterior (and refuses scores it cannot come from).
* Focal loss: :func:`focal_loss`; for two classes its pointwise minimiser is a strictly
  increasing map of P(A | x), :func:`focal_minimiser`, with the closed-form inverse
  :func:`focal_inverse`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from softprob import _checks as chk
from softprob import _kernels as kern
from softprob._checks import FloatArray

_REDUCTIONS = ("mean", "sum", "none")


def _reduce(loss: FloatArray, sample_weight: ArrayLike | None, reduction: str
            ) -> FloatArray | float:
    w = chk.as_sample_weight(sample_weight, loss.shape[0])
    chk.one_of("reduction", reduction, _REDUCTIONS)
    if reduction == "none":
        return loss
    if reduction == "sum":
        with np.errstate(over="ignore"):
            return float(np.sum(loss if w is None else w * loss))
    return kern.weighted_mean(loss, w)


def _binary(y_true: ArrayLike, model: ArrayLike, name: str, probs: bool
            ) -> tuple[FloatArray, FloatArray]:
    """(targets as rows [B, A], model log-probabilities as rows) of a binary problem."""
    y = chk.as_probabilities("y_true", y_true, ndim=1)
    m = (chk.as_probabilities if probs else chk.as_float_array)(name, model, ndim=1)
    chk.same_length(("y_true", name), y, m)
    if probs:
        with np.errstate(divide="ignore"):
            return kern.binary_rows(y), np.stack([np.log1p(-m), np.log(m)], axis=-1)
    return kern.binary_rows(y), kern.binary_log_probs(m)


def _categorical(y_true: ArrayLike, model: FloatArray, name: str) -> FloatArray:
    t = chk.as_targets("y_true", y_true, model.shape[1])
    chk.same_length(("y_true", name), t, model)
    return t


def binary_cross_entropy(y_true: ArrayLike, logits: ArrayLike, *,
                         sample_weight: ArrayLike | None = None,
                         reduction: str = "mean") -> FloatArray | float:
    r"""Binary cross-entropy (essay step E1) from logits.

    :math:`\ell_i = -y_i\log\sigma(z_i) - (1-y_i)\log\sigma(-z_i)`, computed with
    log-sigmoid so it is finite for any finite logit.

    Parameters
    ----------
    y_true : array_like, shape (n,)
        Targets P(A|x_i) in [0, 1]: 1 for class A, 0 for class B, or soft.
    logits : array_like, shape (n,)
        Model logits; the model's P(A|x_i) is sigmoid(z_i).
    sample_weight : array_like, shape (n,), optional
        Non-negative per-sample weights.
    reduction : {'mean', 'sum', 'none'}
        Weighted mean (default), weighted sum, or the per-sample losses.

    Returns
    -------
    float or ndarray
        The reduced loss (nats), or the (n,) per-sample losses.

    Examples
    --------
    >>> from softprob.losses import binary_cross_entropy
    >>> round(binary_cross_entropy([1, 0], [0.0, 0.0]), 6)
    0.693147
    >>> binary_cross_entropy([1.0], [-1e4])
    10000.0
    """
    t, log_q = _binary(y_true, logits, "logits", probs=False)
    return _reduce(kern.cross_entropy(t, log_q), sample_weight, reduction)


def binary_cross_entropy_from_probs(y_true: ArrayLike, y_prob: ArrayLike, *,
                                    sample_weight: ArrayLike | None = None,
                                    reduction: str = "mean") -> FloatArray | float:
    r"""Binary cross-entropy from model probabilities :math:`f(A, x_i)`.

    Nothing is clipped: a probability of 0 on an observed class gives ``inf``.

    Parameters
    ----------
    y_true : array_like, shape (n,)
        Targets P(A|x_i) in [0, 1].
    y_prob : array_like, shape (n,)
        Model probabilities of class A, in [0, 1].
    sample_weight : array_like, shape (n,), optional
        Non-negative per-sample weights.
    reduction : {'mean', 'sum', 'none'}
        As in :func:`binary_cross_entropy`.

    Returns
    -------
    float or ndarray
        The loss in nats.

    Examples
    --------
    >>> from softprob.losses import binary_cross_entropy_from_probs
    >>> round(binary_cross_entropy_from_probs([1, 0], [0.8, 0.2]), 6)
    0.223144
    """
    t, log_q = _binary(y_true, y_prob, "y_prob", probs=True)
    return _reduce(kern.cross_entropy(t, log_q), sample_weight, reduction)


def categorical_cross_entropy(y_true: ArrayLike, logits: ArrayLike, *,
                              sample_weight: ArrayLike | None = None,
                              reduction: str = "mean") -> FloatArray | float:
    r"""K-class cross-entropy :math:`-\sum_k y_{ik}\log\mathrm{softmax}(z_i)_k` from logits.

    Parameters
    ----------
    y_true : array_like, shape (n,) or (n, K)
        Integer labels 0..K-1, or target probability rows.
    logits : array_like, shape (n, K)
        Logits.
    sample_weight : array_like, shape (n,), optional
        Non-negative per-sample weights.
    reduction : {'mean', 'sum', 'none'}
        As in :func:`binary_cross_entropy`.

    Returns
    -------
    float or ndarray
        The loss in nats.

    Examples
    --------
    >>> from softprob.losses import categorical_cross_entropy
    >>> round(categorical_cross_entropy([0, 2], [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]), 6)
    1.098612
    """
    z = chk.as_float_array("logits", logits, ndim=2)
    t = _categorical(y_true, z, "logits")
    return _reduce(kern.cross_entropy(t, kern.log_softmax(z)), sample_weight, reduction)


def categorical_cross_entropy_from_probs(y_true: ArrayLike, y_prob: ArrayLike, *,
                                         sample_weight: ArrayLike | None = None,
                                         reduction: str = "mean") -> FloatArray | float:
    r"""K-class cross-entropy from probability rows (no clipping).

    Parameters
    ----------
    y_true : array_like, shape (n,) or (n, K)
        Integer labels or target probability rows.
    y_prob : array_like, shape (n, K)
        Model probability rows (each sums to 1).
    sample_weight : array_like, shape (n,), optional
        Non-negative per-sample weights.
    reduction : {'mean', 'sum', 'none'}
        As in :func:`binary_cross_entropy`.

    Returns
    -------
    float or ndarray
        The loss in nats.

    Examples
    --------
    >>> from softprob.losses import categorical_cross_entropy_from_probs
    >>> round(categorical_cross_entropy_from_probs([1], [[0.5, 0.5]]), 6)
    0.693147
    """
    p = chk.as_probabilities("y_prob", y_prob, ndim=2, rows_sum_to_one=True)
    t = _categorical(y_true, p, "y_prob")
    with np.errstate(divide="ignore"):
        return _reduce(kern.cross_entropy(t, np.log(p)), sample_weight, reduction)


def brier_score(y_true: ArrayLike, y_prob: ArrayLike, *,
                sample_weight: ArrayLike | None = None) -> float:
    r"""Brier score: mean squared error of predicted probabilities.

    Binary: :math:`\frac1n\sum_i (p_i - y_i)^2` (as scikit-learn's
    ``brier_score_loss``). K-class: :math:`\frac1n\sum_i\sum_k (p_{ik} - y_{ik})^2`.

    Parameters
    ----------
    y_true : array_like, shape (n,) or (n, K)
        Binary targets in [0, 1]; or K-class labels (n,) with ``y_prob`` of shape
        (n, K), or target rows (n, K).
    y_prob : array_like, shape (n,) or (n, K)
        Predicted probabilities.
    sample_weight : array_like, shape (n,), optional
        Non-negative per-sample weights.

    Returns
    -------
    float
        The (weighted) mean score.

    Examples
    --------
    >>> from softprob.losses import brier_score
    >>> round(brier_score([1, 0], [0.8, 0.4]), 6)
    0.1
    """
    p = chk.as_probabilities("y_prob", y_prob, ndim=(1, 2), rows_sum_to_one="2d")
    if p.ndim == 1:
        y = chk.as_probabilities("y_true", y_true, ndim=1)
        chk.same_length(("y_true", "y_prob"), y, p)
        return float(_reduce((p - y) ** 2, sample_weight, "mean"))
    t = _categorical(y_true, p, "y_prob")
    return float(_reduce(np.sum((p - t) ** 2, axis=1), sample_weight, "mean"))


def hinge_loss(y_true: ArrayLike, scores: ArrayLike, *,
               sample_weight: ArrayLike | None = None) -> float:
    r"""Hinge loss :math:`\max(0, 1 - s_i z_i)` with :math:`s_i = 2y_i - 1`, averaged.

    Parameters
    ----------
    y_true : array_like, shape (n,)
        Targets in [0, 1] (hard labels, or P(A|x) for the expected loss).
    scores : array_like, shape (n,)
        Real-valued scores z_i (not probabilities).
    sample_weight : array_like, shape (n,), optional
        Non-negative per-sample weights.

    Returns
    -------
    float
        Expected hinge loss :math:`y\max(0,1-z) + (1-y)\max(0,1+z)`, averaged.

    Examples
    --------
    >>> from softprob.losses import hinge_loss
    >>> hinge_loss([1, 0], [2.0, 0.0])
    0.5
    """
    y = chk.as_probabilities("y_true", y_true, ndim=1)
    z = chk.as_float_array("scores", scores, ndim=1)
    chk.same_length(("y_true", "scores"), y, z)
    loss = y * np.maximum(0.0, 1.0 - z) + (1.0 - y) * np.maximum(0.0, 1.0 + z)
    return float(_reduce(loss, sample_weight, "mean"))


def smooth_labels(y_true: ArrayLike, n_classes: int, epsilon: float) -> FloatArray:
    r"""Label-smoothed targets :math:`(1 - \varepsilon)\,\mathrm{onehot}(y) + \varepsilon / K`.

    Training with these targets moves the pointwise minimiser of the cross-entropy from
    :math:`P(c \mid x)` to :math:`(1 - \varepsilon) P(c \mid x) + \varepsilon / K`;
    :func:`unsmooth_probabilities` maps that back.

    Parameters
    ----------
    y_true : array_like, shape (n,)
        Integer labels 0..K-1 (binary: 1 = A, 0 = B).
    n_classes : int
        K >= 2.
    epsilon : float
        Smoothing weight, in [0, 1).

    Returns
    -------
    ndarray, shape (n, K)
        Target rows, each summing to 1 (binary: column 1 is class A).

    Examples
    --------
    >>> from softprob.losses import smooth_labels
    >>> smooth_labels([0, 2], 3, 0.3).round(3).tolist()
    [[0.8, 0.1, 0.1], [0.1, 0.1, 0.8]]
    """
    n_classes = chk.positive_int("n_classes", n_classes, minimum=2)
    eps = _smoothing("epsilon", epsilon)
    labels = chk.as_labels("y_true", y_true, n_classes)
    return (1.0 - eps) * kern.one_hot(labels, n_classes) + eps / n_classes


def unsmooth_probabilities(y_prob: ArrayLike, epsilon: float) -> FloatArray:
    r"""Invert label smoothing: :math:`(q - \varepsilon/K) / (1 - \varepsilon)`.

    Exact for a model at the population minimiser of the smoothed cross-entropy, whose scores
    lie in :math:`[\varepsilon/K,\ 1 - \varepsilon + \varepsilon/K]`. A score outside that
    range is not the minimiser of the smoothed loss at any posterior (an overconfident or
    otherwise miscalibrated model), so the inverse is not defined there: this function raises
    a ``ValueError`` that says how many entries are out of range instead of clipping them
    silently. Recalibrate first (e.g. temperature scaling on held-out data), then invert.

    Parameters
    ----------
    y_prob : array_like, shape (n,) or (n, K)
        Binary P(A) values (K = 2), or probability rows of a model trained with smoothing.
    epsilon : float
        The smoothing weight used in training, in [0, 1).

    Returns
    -------
    ndarray
        Estimated posteriors, same shape as ``y_prob``; rows sum to 1.

    Examples
    --------
    >>> from softprob.losses import unsmooth_probabilities
    >>> unsmooth_probabilities([[0.8, 0.1, 0.1]], 0.3).round(12).tolist()
    [[1.0, 0.0, 0.0]]
    >>> round(float(unsmooth_probabilities([0.5], 0.2)[0]), 12)
    0.5
    """
    eps = _smoothing("epsilon", epsilon)
    q = chk.as_probabilities("y_prob", y_prob, ndim=(1, 2), rows_sum_to_one="2d")
    k = 2 if q.ndim == 1 else q.shape[1]
    p = (q - eps / k) / (1.0 - eps)
    tol = chk.rows_tolerance(np.asarray(y_prob).dtype, k)
    bad = (p < -tol) | (p > 1.0 + tol)
    if np.any(bad):
        raise ValueError(
            f"y_prob: {bad.mean():.1%} of the entries lie outside [epsilon/K, 1 - epsilon + "
            f"epsilon/K] = [{eps / k:.4g}, {1 - eps + eps / k:.4g}], so they are not the "
            "minimiser of a label-smoothed loss and cannot be inverted; recalibrate the model "
            "on held-out data (e.g. temperature scaling) before inverting")
    return np.clip(p, 0.0, 1.0)


def _smoothing(name: str, value: object) -> float:
    eps = chk.non_negative(name, value)
    if not eps < 1.0:
        raise ValueError(f"{name}: must lie in [0, 1), got {value!r}")
    return eps


def focal_loss(y_true: ArrayLike, logits: ArrayLike, gamma: float, *,
               sample_weight: ArrayLike | None = None,
               reduction: str = "mean") -> FloatArray | float:
    r"""Focal loss :math:`-\sum_k t_k (1 - f_k)^\gamma \log f_k` from logits (Lin et al. 2017).

    :math:`\log f_k` and :math:`\log(1 - f_k)` (the other classes' softmax mass) come from
    log-sum-exp formulas: finite at any finite logit. ``gamma = 0`` is the cross-entropy.

    Parameters
    ----------
    y_true : array_like, shape (n,) or (n, K)
        Binary: targets P(A|x_i) in [0, 1] (soft targets give the expected loss).
        K classes: integer labels or target rows.
    logits : array_like, shape (n,) or (n, K)
        Logits of A (binary) or of every class.
    gamma : float
        Focusing parameter :math:`\gamma \ge 0`.
    sample_weight, reduction
        As in :func:`binary_cross_entropy`.

    Returns
    -------
    float or ndarray
        The loss in nats.

    Examples
    --------
    >>> from softprob.losses import focal_loss
    >>> round(focal_loss([1], [0.0], 2.0), 6)          # (1/2)^2 log 2
    0.173287
    >>> focal_loss([1.0, 0.0], [-1e4, -1e4], 2.0, reduction="none").tolist()
    [10000.0, 0.0]
    """
    g = chk.non_negative("gamma", gamma)
    z = chk.as_float_array("logits", logits, ndim=(1, 2))
    if z.ndim == 2:
        t, log_f = _categorical(y_true, z, "logits"), kern.log_softmax(z)
        others = z[:, None, :] + np.where(np.eye(z.shape[1], dtype=bool), -np.inf, 0.0)
        log_rest = kern.logsumexp(others) - kern.logsumexp(z)[:, None]
    else:
        t, log_f = _binary(y_true, z, "logits", probs=False)
        log_rest = log_f[:, ::-1]                          # log(1 - f_A) = log f_B
    with np.errstate(over="ignore"):
        factor = np.exp(g * log_rest) if g > 0 else 1.0    # (1 - f_k)^gamma
    loss = np.sum(np.where(t > 0, -t * factor * log_f, 0.0), axis=-1) + 0.0
    return _reduce(loss, sample_weight, reduction)


def _focal_logit_map(z: FloatArray, g: float) -> FloatArray:
    """logit of focal_inverse at q = sigmoid(z): log b(q) - log b(1 - q), an odd function of z.

    b(q) = q^(g-1) [q/(1-q) - g log(1-q)]: the bracket is a sum of two positive terms.
    """
    with np.errstate(divide="ignore"):
        log_b = np.logaddexp(z, np.log(g) + np.log(-kern.log_sigmoid(-z)))    # bracket at q
        log_b1 = np.logaddexp(-z, np.log(g) + np.log(-kern.log_sigmoid(z)))   # at 1 - q
    return (g - 1.0) * z + log_b - log_b1


def focal_inverse(y_prob: ArrayLike, gamma: float) -> FloatArray:
    r"""The posterior :math:`\eta` whose binary focal-loss minimiser is ``y_prob``.

    With :math:`b(q) = q^\gamma/(1 - q) - \gamma q^{\gamma - 1}\log(1 - q)`, the
    expected focal loss at posterior :math:`\eta` is minimised at q exactly when
    :math:`\eta = b(q) / (b(q) + b(1 - q))` (Charoenphakdee et al. 2021; derived in
    chapter 10). Computed on the logit scale; finite for any q in [0, 1].

    Parameters
    ----------
    y_prob : array_like, shape (n,) or scalar
        Scores P(A) of a model at the minimiser of the focal loss.
    gamma : float
        The focusing parameter used in training, >= 0 (0: the identity).

    Returns
    -------
    ndarray
        The posteriors, same shape as ``y_prob``.

    Examples
    --------
    >>> from softprob.losses import focal_inverse
    >>> focal_inverse([0.0, 0.3058, 0.5, 1.0], 2.0).round(4).tolist()
    [0.0, 0.1, 0.5, 1.0]
    """
    g = chk.non_negative("gamma", gamma)
    q = chk.as_probabilities("y_prob", y_prob, ndim=(0, 1))
    inner = (q > 0) & (q < 1)
    z = np.log(np.where(inner, q, 0.5)) - np.log1p(-np.where(inner, q, 0.5))
    return np.where(inner, kern.sigmoid(_focal_logit_map(z, g)), q)


def focal_minimiser(p_true: ArrayLike, gamma: float) -> FloatArray:
    r"""The minimiser :math:`q^\star(\eta)` of the expected binary focal loss.

    Inverts :func:`focal_inverse` by bisection on the logit: the map is strictly increasing
    and, for :math:`\gamma > 0`, :math:`q^\star` lies between 1/2 and :math:`\eta`.

    Parameters
    ----------
    p_true : array_like, shape (n,) or scalar
        Posteriors :math:`\eta = P(A \mid x)` in [0, 1].
    gamma : float
        Focusing parameter, >= 0 (0: the identity).

    Returns
    -------
    ndarray
        The minimisers, same shape as ``p_true``.

    Examples
    --------
    >>> from softprob.losses import focal_minimiser
    >>> focal_minimiser([0.1, 0.5, 0.9], 2.0).round(4).tolist()
    [0.3058, 0.5, 0.6942]
    """
    g = chk.non_negative("gamma", gamma)
    eta = chk.as_probabilities("p_true", p_true, ndim=(0, 1))
    inner = (eta > 0) & (eta < 1) & (g > 0)
    target = np.log(np.where(inner, eta, 0.5)) - np.log1p(-np.where(inner, eta, 0.5))
    lo, hi = np.minimum(target, 0.0), np.maximum(target, 0.0)
    for _ in range(64):                                # |hi - lo| < 746 / 2^64 < 1e-16
        mid = 0.5 * (lo + hi)
        up = _focal_logit_map(mid, g) < target
        lo, hi = np.where(up, mid, lo), np.where(up, hi, mid)
    return np.where(inner, kern.sigmoid(0.5 * (lo + hi)), eta)
