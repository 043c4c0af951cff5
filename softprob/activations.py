r"""Output layers: sigmoid, softmax and their logarithms, stable at any logit.

Every function here stays finite and accurate for logits of any size
(:math:`|z| \ge 10^4` included) by using log-sum-exp identities instead of
exponentiating large numbers.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from softprob import _kernels as kern
from softprob._checks import FloatArray, as_float_array, as_probabilities


def sigmoid(logits: ArrayLike) -> FloatArray:
    r"""Logistic function :math:`\sigma(z) = 1 / (1 + e^{-z})`, evaluated stably.

    Parameters
    ----------
    logits : array_like
        Logits z (any shape, finite).

    Returns
    -------
    ndarray
        :math:`\sigma(z)`, same shape as ``logits``; values in [0, 1].

    Examples
    --------
    >>> from softprob.activations import sigmoid
    >>> sigmoid([0.0, 1e4, -1e4]).tolist()
    [0.5, 1.0, 0.0]
    """
    return kern.sigmoid(as_float_array("logits", logits, allow_empty=True))


def log_sigmoid(logits: ArrayLike) -> FloatArray:
    r"""Log of the logistic function, :math:`\log\sigma(z) = -\log(1 + e^{-z})`.

    Uses :math:`\log\sigma(z) = \min(z, 0) - \log(1 + e^{-|z|})`, which is
    exact for large positive and large negative ``z``.

    Parameters
    ----------
    logits : array_like
        Logits z (any shape, finite).

    Returns
    -------
    ndarray
        :math:`\log\sigma(z)`, same shape as ``logits``; values <= 0.

    Examples
    --------
    >>> from softprob.activations import log_sigmoid
    >>> log_sigmoid([0.0, -1e4]).tolist()
    [-0.6931471805599453, -10000.0]
    """
    return kern.log_sigmoid(as_float_array("logits", logits, allow_empty=True))


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
    p = as_probabilities("p", p, allow_empty=True)
    with np.errstate(divide="ignore"):
        return np.log(p) - np.log1p(-p)


def logsumexp(logits: ArrayLike, axis: int = -1) -> FloatArray:
    r""":math:`\log\sum_k e^{z_k}` along ``axis``, without overflow.

    Parameters
    ----------
    logits : array_like
        Logits, at least 1-D, not empty along ``axis``.
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
    return kern.logsumexp(_class_axis(logits, axis), axis=axis)


def log_softmax(logits: ArrayLike, axis: int = -1) -> FloatArray:
    r"""Log of the softmax, :math:`z_k - \log\sum_j e^{z_j}`.

    Parameters
    ----------
    logits : array_like
        Logits, at least 1-D; classes along ``axis``.
    axis : int, default -1
        Class axis.

    Returns
    -------
    ndarray
        Log-probabilities, same shape as ``logits``; ``exp`` of each slice sums to 1.

    Examples
    --------
    >>> import numpy as np
    >>> from softprob.activations import log_softmax
    >>> np.round(log_softmax([1e4, 0.0]), 6).tolist()
    [0.0, -10000.0]
    """
    return kern.log_softmax(_class_axis(logits, axis), axis=axis)


def softmax(logits: ArrayLike, axis: int = -1) -> FloatArray:
    r"""Softmax :math:`e^{z_k} / \sum_j e^{z_j}` along ``axis``.

    Invariant to adding the same constant to every logit of a slice.

    Parameters
    ----------
    logits : array_like
        Logits, at least 1-D; classes along ``axis``.
    axis : int, default -1
        Class axis.

    Returns
    -------
    ndarray
        Probabilities, same shape as ``logits``; each slice sums to 1.

    Examples
    --------
    >>> from softprob.activations import softmax
    >>> softmax([0.0, 0.0]).tolist()
    [0.5, 0.5]
    """
    return np.exp(kern.log_softmax(_class_axis(logits, axis), axis=axis))


def _class_axis(logits: ArrayLike, axis: int) -> FloatArray:
    z = as_float_array("logits", logits, allow_empty=True)
    if z.ndim == 0:
        raise ValueError("logits: expected at least a 1-D array, got a scalar")
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) \
            or not -z.ndim <= axis < z.ndim:
        raise ValueError(f"axis: must be an integer in [{-z.ndim}, {z.ndim}), got {axis!r}")
    if z.shape[axis] == 0:
        raise ValueError(f"logits: has no classes along axis {axis} (shape {z.shape})")
    return z
