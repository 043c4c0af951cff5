"""Information quantities: entropy, KL divergence and the conditional KL of essay step E2.

Binary distributions may be given as a 1-D array of P(A); they are expanded
to rows [P(A), P(B)]. K-class distributions are rows of shape (n, K).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from softprob._checks import FloatArray, as_float_array, as_probabilities, as_weights
from softprob.activations import log_sigmoid, log_softmax


def _weighted_mean(values: FloatArray, weights: ArrayLike | None) -> float:
    w = as_weights("weights", weights, values.shape[0])
    return float(np.sum(w * values) / np.sum(w))


def _as_rows(name: str, p: ArrayLike) -> FloatArray:
    """Binary (n,) probabilities of A become (n, 2) rows [P(A), P(B)]."""
    arr = as_probabilities(name, p, ndim=(1, 2))
    if arr.ndim == 1:
        return np.stack([arr, 1.0 - arr], axis=1)
    return as_probabilities(name, arr, rows_sum_to_one=True)


def entropy(p: ArrayLike) -> FloatArray:
    r"""Shannon entropy :math:`-\sum_k p_k\log p_k` (nats) of each row, with 0 log 0 = 0.

    Parameters
    ----------
    p : array_like, shape (n,) or (n, K)
        Binary P(A) values, or probability rows.

    Returns
    -------
    ndarray, shape (n,)
        Entropy of each distribution.

    Examples
    --------
    >>> from softprob.information import entropy
    >>> entropy([0.5, 1.0]).round(6).tolist()
    [0.693147, 0.0]
    """
    rows = _as_rows("p", p)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 0.0 - np.sum(np.where(rows > 0, rows * np.log(rows), 0.0), axis=1)


def kl_divergence(p: ArrayLike, q: ArrayLike) -> FloatArray:
    r"""KL divergence :math:`\sum_k p_k\log(p_k/q_k)` of each row of ``p`` from ``q``.

    Terms with :math:`p_k = 0` contribute 0; :math:`p_k > 0 = q_k` gives ``inf``.

    Parameters
    ----------
    p, q : array_like, shape (n,) or (n, K)
        Binary P(A) values, or probability rows; same shape.

    Returns
    -------
    ndarray, shape (n,)
        Non-negative divergences (nats).

    Examples
    --------
    >>> from softprob.information import kl_divergence
    >>> kl_divergence([0.5], [0.5]).tolist()
    [0.0]
    """
    pr, qr = _as_rows("p", p), _as_rows("q", q)
    if pr.shape != qr.shape:
        raise ValueError(f"q: shape {qr.shape} does not match p's shape {pr.shape}")
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(pr > 0, pr * (np.log(pr) - np.log(qr)), 0.0)
    return np.maximum(np.sum(terms, axis=1), 0.0)


def conditional_kl(p_true: ArrayLike, q: ArrayLike, weights: ArrayLike | None = None) -> float:
    r"""Conditional KL :math:`\mathbb{E}_{p(x)}\,\mathrm{KL}(P(\cdot|x)\,\|\,f(\cdot|x))` (essay E2).

    Rows are points x_i. With x_i drawn from p(x) and no weights this is the
    Monte Carlo estimate; for a discrete x pass ``weights = p(x)``.

    Parameters
    ----------
    p_true : array_like, shape (n,) or (n, K)
        True posteriors (binary: P(A|x_i)).
    q : array_like, same shape as ``p_true``
        Model posteriors.
    weights : array_like, shape (n,), optional
        Positive weights of the points (e.g. the marginal p(x)).

    Returns
    -------
    float
        The weighted mean KL (nats).

    Examples
    --------
    >>> from softprob.information import conditional_kl
    >>> round(conditional_kl([0.9, 0.1], [0.8, 0.2]), 6)
    0.03669
    """
    kl = kl_divergence(p_true, q)
    return _weighted_mean(kl, weights)


def conditional_kl_from_logits(p_true: ArrayLike, z: ArrayLike,
                               weights: ArrayLike | None = None) -> float:
    r"""Conditional KL of a model given by logits (stable at extreme logits).

    Parameters
    ----------
    p_true : array_like, shape (n,) or (n, K)
        True posteriors (binary: P(A|x_i)).
    z : array_like, shape (n,) or (n, K)
        Model logits (binary: logit of A).
    weights : array_like, shape (n,), optional
        Positive weights of the points.

    Returns
    -------
    float
        The weighted mean KL (nats).

    Examples
    --------
    >>> from softprob.information import conditional_kl_from_logits
    >>> conditional_kl_from_logits([0.5], [0.0])
    0.0
    """
    pr = _as_rows("p_true", p_true)
    z = as_float_array("z", z, ndim=(1, 2))
    log_q = np.stack([log_sigmoid(z), log_sigmoid(-z)], axis=1) if z.ndim == 1 else log_softmax(z)
    if log_q.shape != pr.shape:
        raise ValueError(f"z: shape {z.shape} does not match p_true's shape {np.shape(p_true)}")
    with np.errstate(divide="ignore", invalid="ignore"):
        kl = np.sum(np.where(pr > 0, pr * (np.log(pr) - log_q), 0.0), axis=1)
    return _weighted_mean(np.maximum(kl, 0.0), weights)


def conditional_entropy(p_true: ArrayLike, weights: ArrayLike | None = None) -> float:
    r"""Conditional entropy :math:`H(C|X) = \mathbb{E}_{p(x)} H(P(\cdot|x))` (nats).

    This is the term of the conditional KL that does not depend on the model
    (essay step E5): cross-entropy = conditional entropy + conditional KL.

    Parameters
    ----------
    p_true : array_like, shape (n,) or (n, K)
        True posteriors at points x_i (binary: P(A|x_i)).
    weights : array_like, shape (n,), optional
        Positive weights of the points (e.g. the marginal p(x)).

    Returns
    -------
    float
        The weighted mean entropy.

    Examples
    --------
    >>> from softprob.information import conditional_entropy
    >>> round(conditional_entropy([0.5, 1.0]), 6)
    0.346574
    """
    return _weighted_mean(entropy(p_true), weights)
