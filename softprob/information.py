"""Information quantities: entropy, KL divergence, conditional KL and entropy (essay E2, E5).

.. rubric:: Conventions

* ``kl_divergence(p, q)`` is :math:`\\mathrm{KL}(p\\,\\|\\,q) = \\sum_k p_k\\log(p_k/q_k)`:
  the FIRST argument ``p`` is the reference distribution (the truth, which
  weights the log-ratio), the second ``q`` the approximation (the model). The
  conditional forms follow the same order: ``conditional_kl(p_true, y_prob)``
  is :math:`\\mathbb{E}_{p(x)}\\,\\mathrm{KL}(P(\\cdot|x)\\,\\|\\,f(\\cdot|x))`.
* Binary distributions may be given as a 1-D array of P(A); they are expanded
  to rows [P(B), P(A)]. K-class distributions are rows of shape (n, K).
* ``sample_weight`` weights the points x_i (e.g. quadrature weights of p(x)).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from softprob import _kernels as kern
from softprob._checks import FloatArray, as_float_array, as_probabilities, as_sample_weight


def _as_rows(name: str, p: ArrayLike) -> FloatArray:
    """Binary (n,) probabilities of A become (n, 2) rows [P(B), P(A)]."""
    arr = as_probabilities(name, p, ndim=(1, 2), rows_sum_to_one="2d")
    return kern.binary_rows(arr) if arr.ndim == 1 else arr


def _mean(values: FloatArray, sample_weight: ArrayLike | None) -> float:
    return kern.weighted_mean(values, as_sample_weight(sample_weight, values.shape[0]))


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
    with np.errstate(divide="ignore"):
        return 0.0 + kern.cross_entropy(rows, np.log(rows))


def kl_divergence(p: ArrayLike, q: ArrayLike) -> FloatArray:
    r"""KL divergence :math:`\mathrm{KL}(p\,\|\,q) = \sum_k p_k\log(p_k/q_k)` per row; p: reference.

    Terms with :math:`p_k = 0` contribute 0; :math:`p_k > 0 = q_k` gives ``inf``.

    Parameters
    ----------
    p : array_like, shape (n,) or (n, K)
        Reference distributions (the truth): binary P(A) values, or probability rows.
    q : array_like, same shape as ``p``
        Approximating distributions (the model).

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
        raise ValueError(f"q: shape {np.shape(q)} does not match p's shape {np.shape(p)}")
    with np.errstate(divide="ignore"):
        return kern.kl_rows(pr, np.log(qr))


def conditional_kl(p_true: ArrayLike, y_prob: ArrayLike, *,
                   sample_weight: ArrayLike | None = None) -> float:
    r"""Conditional KL :math:`\mathbb{E}_{p(x)}\mathrm{KL}(P(\cdot|x)\,\|\,f(\cdot|x))` (essay E2).

    Rows are points x_i. With x_i drawn from p(x) and no weights this is the
    Monte Carlo estimate; for a discrete x or a quadrature pass ``sample_weight = p(x)``.

    Parameters
    ----------
    p_true : array_like, shape (n,) or (n, K)
        True posteriors (binary: P(A|x_i)), the reference distributions.
    y_prob : array_like, same shape as ``p_true``
        Model posteriors.
    sample_weight : array_like, shape (n,), optional
        Non-negative weights of the points (e.g. the marginal p(x)).

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
    pr, qr = _as_rows("p_true", p_true), _as_rows("y_prob", y_prob)
    if pr.shape != qr.shape:
        raise ValueError(f"y_prob: shape {np.shape(y_prob)} does not match p_true's shape "
                         f"{np.shape(p_true)}")
    with np.errstate(divide="ignore"):
        return _mean(kern.kl_rows(pr, np.log(qr)), sample_weight)


def conditional_kl_from_logits(p_true: ArrayLike, logits: ArrayLike, *,
                               sample_weight: ArrayLike | None = None) -> float:
    r"""Conditional KL of a model given by logits (stable at extreme logits).

    Parameters
    ----------
    p_true : array_like, shape (n,) or (n, K)
        True posteriors (binary: P(A|x_i)), the reference distributions.
    logits : array_like, shape (n,) or (n, K)
        Model logits (binary: logit of A).
    sample_weight : array_like, shape (n,), optional
        Non-negative weights of the points.

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
    z = as_float_array("logits", logits, ndim=(1, 2))
    log_q = kern.class_log_probs(z)
    if log_q.shape != pr.shape:
        raise ValueError(f"logits: shape {z.shape} does not match p_true's shape "
                         f"(binary: both 1-D; K classes: both (n, K))")
    return _mean(kern.kl_rows(pr, log_q), sample_weight)


def conditional_entropy(p_true: ArrayLike, *, sample_weight: ArrayLike | None = None) -> float:
    r"""Conditional entropy :math:`H(C|X) = \mathbb{E}_{p(x)} H(P(\cdot|x))` (nats).

    This is the term of the conditional KL that does not depend on the model
    (essay step E5): cross-entropy = conditional entropy + conditional KL.

    Parameters
    ----------
    p_true : array_like, shape (n,) or (n, K)
        True posteriors at points x_i (binary: P(A|x_i)).
    sample_weight : array_like, shape (n,), optional
        Non-negative weights of the points (e.g. the marginal p(x)).

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
    rows = _as_rows("p_true", p_true)
    with np.errstate(divide="ignore"):
        return _mean(0.0 + kern.cross_entropy(rows, np.log(rows)), sample_weight)
