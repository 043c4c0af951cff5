"""Losses: binary and categorical cross-entropy, Brier score, hinge loss.

Entropy and KL divergences live in :mod:`softprob.information`.

Conventions
-----------
* Binary problems: target ``y`` is P(A | x) (a hard label 1/0 or a soft
  probability); the model is given by its logit ``z`` (P(A|x) = sigmoid(z))
  or, in the ``*_from_probs`` variants, by its probability.
* K-class problems: targets are integer labels (n,) or probability rows (n, K);
  models are logits (n, K) or probability rows.
* ``weights`` turn every mean into a weighted mean sum(w * loss) / sum(w).
* ``*_from_probs`` variants never clip: log(0) gives ``inf``, as it should.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from softprob._checks import (FloatArray, as_float_array, as_labels, as_probabilities,
                              as_weights, same_length)
from softprob.activations import log_sigmoid, log_softmax


def _reduce(loss: FloatArray, weights: ArrayLike | None, reduction: str) -> FloatArray | float:
    w = as_weights("weights", weights, loss.shape[0])
    if reduction == "none":
        return loss
    if reduction == "sum":
        return float(np.sum(w * loss))
    if reduction == "mean":
        return float(np.sum(w * loss) / np.sum(w))
    raise ValueError(f"reduction: must be 'mean', 'sum' or 'none', got {reduction!r}")


def _binary_pair(y: ArrayLike, model: ArrayLike, model_name: str) -> tuple[FloatArray, FloatArray]:
    y = as_probabilities("y", y, ndim=1)
    m = as_float_array(model_name, model, ndim=1)
    same_length(("y", model_name), y, m)
    return y, m


def binary_cross_entropy(y: ArrayLike, z: ArrayLike, weights: ArrayLike | None = None,
                         reduction: str = "mean") -> FloatArray | float:
    r"""Binary cross-entropy (essay step E1) from logits.

    :math:`\ell_i = -y_i\log\sigma(z_i) - (1-y_i)\log\sigma(-z_i)`, computed with
    :func:`~softprob.activations.log_sigmoid` so it is finite for any finite ``z``.

    Parameters
    ----------
    y : array_like, shape (n,)
        Targets P(A|x_i) in [0, 1]: 1 for class A, 0 for class B, or soft.
    z : array_like, shape (n,)
        Model logits; the model's P(A|x_i) is sigmoid(z_i).
    weights : array_like, shape (n,), optional
        Positive per-sample weights.
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
    y, z = _binary_pair(y, z, "z")
    loss = -(y * log_sigmoid(z) + (1.0 - y) * log_sigmoid(-z))
    return _reduce(loss, weights, reduction)


def binary_cross_entropy_from_probs(y: ArrayLike, p: ArrayLike, weights: ArrayLike | None = None,
                                    reduction: str = "mean") -> FloatArray | float:
    r"""Binary cross-entropy from model probabilities :math:`f(A, x_i) = p_i`.

    Nothing is clipped: a probability of 0 on an observed class gives ``inf``.

    Parameters
    ----------
    y : array_like, shape (n,)
        Targets P(A|x_i) in [0, 1].
    p : array_like, shape (n,)
        Model probabilities of class A, in [0, 1].
    weights : array_like, shape (n,), optional
        Positive per-sample weights.
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
    y, p = _binary_pair(y, p, "p")
    p = as_probabilities("p", p)
    with np.errstate(divide="ignore", invalid="ignore"):
        la = np.where(y > 0, y * np.log(p), 0.0)
        lb = np.where(y < 1, (1.0 - y) * np.log1p(-p), 0.0)
    return _reduce(-(la + lb), weights, reduction)


def _class_targets(y: ArrayLike, n_classes: int) -> FloatArray:
    arr = np.asarray(y)
    if arr.ndim == 1:
        return np.eye(n_classes)[as_labels("y", arr, n_classes)]
    return as_probabilities("y", arr, ndim=2, rows_sum_to_one=True)


def categorical_cross_entropy(y: ArrayLike, z: ArrayLike, weights: ArrayLike | None = None,
                              reduction: str = "mean") -> FloatArray | float:
    r"""K-class cross-entropy :math:`-\sum_k y_{ik}\log\mathrm{softmax}(z_i)_k` from logits.

    Parameters
    ----------
    y : array_like, shape (n,) or (n, K)
        Integer labels 0..K-1, or target probability rows.
    z : array_like, shape (n, K)
        Logits.
    weights : array_like, shape (n,), optional
        Positive per-sample weights.
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
    z = as_float_array("z", z, ndim=2)
    t = _class_targets(y, z.shape[1])
    if t.shape != z.shape:
        raise ValueError(f"y: target shape {t.shape} does not match logits shape {z.shape}")
    loss = -np.sum(np.where(t > 0, t * log_softmax(z), 0.0), axis=1)
    return _reduce(loss, weights, reduction)


def categorical_cross_entropy_from_probs(y: ArrayLike, p: ArrayLike, weights: ArrayLike | None = None,
                                         reduction: str = "mean") -> FloatArray | float:
    r"""K-class cross-entropy from probability rows (no clipping).

    Parameters
    ----------
    y : array_like, shape (n,) or (n, K)
        Integer labels or target probability rows.
    p : array_like, shape (n, K)
        Model probability rows (each sums to 1).
    weights : array_like, shape (n,), optional
        Positive per-sample weights.
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
    p = as_probabilities("p", p, ndim=2, rows_sum_to_one=True)
    t = _class_targets(y, p.shape[1])
    if t.shape != p.shape:
        raise ValueError(f"y: target shape {t.shape} does not match probabilities shape {p.shape}")
    with np.errstate(divide="ignore", invalid="ignore"):
        loss = -np.sum(np.where(t > 0, t * np.log(p), 0.0), axis=1)
    return _reduce(loss, weights, reduction)


def brier_score(y: ArrayLike, p: ArrayLike, weights: ArrayLike | None = None) -> float:
    r"""Brier score: mean squared error of predicted probabilities.

    Binary: :math:`\frac1n\sum_i (p_i - y_i)^2` (as scikit-learn's
    ``brier_score_loss``). K-class: :math:`\frac1n\sum_i\sum_k (p_{ik} - y_{ik})^2`.

    Parameters
    ----------
    y : array_like, shape (n,) or (n, K)
        Binary targets in [0, 1]; or K-class labels (n,) with ``p`` of shape (n, K),
        or target rows (n, K).
    p : array_like, shape (n,) or (n, K)
        Predicted probabilities.
    weights : array_like, shape (n,), optional
        Positive per-sample weights.

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
    p_arr = np.asarray(p)
    if p_arr.ndim == 1:
        y1, p1 = _binary_pair(y, p, "p")
        p1 = as_probabilities("p", p1)
        return float(_reduce((p1 - y1) ** 2, weights, "mean"))
    pk = as_probabilities("p", p_arr, ndim=2, rows_sum_to_one=True)
    t = _class_targets(y, pk.shape[1])
    same_length(("y", "p"), t, pk)
    return float(_reduce(np.sum((pk - t) ** 2, axis=1), weights, "mean"))


def hinge_loss(y: ArrayLike, z: ArrayLike, weights: ArrayLike | None = None) -> float:
    r"""Hinge loss :math:`\max(0, 1 - s_i z_i)` with :math:`s_i = 2y_i - 1`, averaged.

    Parameters
    ----------
    y : array_like, shape (n,)
        Targets in [0, 1] (hard labels, or P(A|x) for the expected loss).
    z : array_like, shape (n,)
        Scores.
    weights : array_like, shape (n,), optional
        Positive per-sample weights.

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
    y, z = _binary_pair(y, z, "z")
    loss = y * np.maximum(0.0, 1.0 - z) + (1.0 - y) * np.maximum(0.0, 1.0 + z)
    return float(_reduce(loss, weights, "mean"))
