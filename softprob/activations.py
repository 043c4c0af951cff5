"""Output layers: sigmoid, softmax and their logarithms, computed stably.

Every function here stays finite and accurate for logits of any size
(|z| >= 1e4 included) by using log-sum-exp identities instead of
exponentiating large numbers.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from softprob._checks import FloatArray, as_float_array, as_probabilities


def sigmoid(z: ArrayLike) -> FloatArray:
    r"""Logistic function :math:`\sigma(z) = 1 / (1 + e^{-z})`, evaluated stably.

    Parameters
    ----------
    z : array_like
        Logits (any shape, finite).

    Returns
    -------
    ndarray
        :math:`\sigma(z)`, same shape as ``z``; values in [0, 1].

    Examples
    --------
    >>> from softprob.activations import sigmoid
    >>> sigmoid([0.0, 1e4, -1e4]).tolist()
    [0.5, 1.0, 0.0]
    """
    z = as_float_array("z", z, allow_empty=True)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def log_sigmoid(z: ArrayLike) -> FloatArray:
    r"""Log of the logistic function, :math:`\log\sigma(z) = -\log(1 + e^{-z})`.

    Uses :math:`\log\sigma(z) = \min(z, 0) - \log(1 + e^{-|z|})`, which is
    exact for large positive and large negative ``z``.

    Parameters
    ----------
    z : array_like
        Logits (any shape, finite).

    Returns
    -------
    ndarray
        :math:`\log\sigma(z)`, same shape as ``z``; values <= 0.

    Examples
    --------
    >>> from softprob.activations import log_sigmoid
    >>> log_sigmoid([0.0, -1e4]).tolist()
    [-0.6931471805599453, -10000.0]
    """
    z = as_float_array("z", z, allow_empty=True)
    return np.minimum(z, 0.0) - np.log1p(np.exp(-np.abs(z)))


def logit(p: ArrayLike) -> FloatArray:
    r"""Log-odds :math:`\log(p / (1 - p))`, the inverse of :func:`sigmoid`.

    Parameters
    ----------
    p : array_like
        Probabilities in [0, 1]; 0 and 1 map to -inf and +inf.

    Returns
    -------
    ndarray
        Log-odds, same shape as ``p``.

    Examples
    --------
    >>> from softprob.activations import logit
    >>> round(float(logit(0.75)), 12)
    1.098612288668
    """
    p = as_probabilities("p", p)
    with np.errstate(divide="ignore"):
        return np.log(p) - np.log1p(-p)


def logsumexp(z: ArrayLike, axis: int = -1) -> FloatArray:
    r""":math:`\log\sum_k e^{z_k}` along ``axis``, without overflow.

    Parameters
    ----------
    z : array_like
        Logits, at least 1-D.
    axis : int, default -1
        Axis to reduce.

    Returns
    -------
    ndarray
        The reduced array.

    Examples
    --------
    >>> from softprob.activations import logsumexp
    >>> float(logsumexp([1e4, 1e4]))
    10000.69314718056
    """
    z = as_float_array("z", z)
    if z.ndim == 0:
        raise ValueError("z: expected at least a 1-D array, got a scalar")
    m = np.max(z, axis=axis, keepdims=True)
    out = m + np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))
    return np.squeeze(out, axis=axis)


def log_softmax(z: ArrayLike, axis: int = -1) -> FloatArray:
    r"""Log of the softmax, :math:`z_k - \log\sum_j e^{z_j}`.

    Parameters
    ----------
    z : array_like
        Logits, at least 1-D; classes along ``axis``.
    axis : int, default -1
        Class axis.

    Returns
    -------
    ndarray
        Log-probabilities, same shape as ``z``; ``exp`` of each slice sums to 1.

    Examples
    --------
    >>> import numpy as np
    >>> from softprob.activations import log_softmax
    >>> np.round(log_softmax([1e4, 0.0]), 6).tolist()
    [0.0, -10000.0]
    """
    z = as_float_array("z", z)
    if z.ndim == 0:
        raise ValueError("z: expected at least a 1-D array, got a scalar")
    return z - np.expand_dims(logsumexp(z, axis=axis), axis)


def softmax(z: ArrayLike, axis: int = -1) -> FloatArray:
    r"""Softmax :math:`e^{z_k} / \sum_j e^{z_j}` along ``axis``.

    Invariant to adding the same constant to every logit of a slice.

    Parameters
    ----------
    z : array_like
        Logits, at least 1-D; classes along ``axis``.
    axis : int, default -1
        Class axis.

    Returns
    -------
    ndarray
        Probabilities, same shape as ``z``; each slice sums to 1.

    Examples
    --------
    >>> from softprob.activations import softmax
    >>> softmax([0.0, 0.0]).tolist()
    [0.5, 0.5]
    """
    return np.exp(log_softmax(z, axis=axis))
