"""Class priors: moving a posterior from one class prior to another.

By Bayes' rule, P(A|x) / P(B|x) = [P(A) / P(B)] * [p(x|A) / p(x|B)]: changing
the prior only adds a constant to the logit. The same shift turns a
discriminator's logit into a density ratio (the GAN footnote).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from softprob._checks import FloatArray, as_float_array


def _prior(name: str, value: float) -> float:
    v = float(value)
    if not np.isfinite(v) or not 0.0 < v < 1.0:
        raise ValueError(f"{name}: a class prior must lie strictly between 0 and 1, got {value!r}")
    return v


def shift_logit(z: ArrayLike, prior_from: float, prior_to: float) -> FloatArray:
    r"""Move logit P(A|x) from class prior ``prior_from`` = P(A) to ``prior_to``.

    :math:`\operatorname{logit} P_{\text{to}}(A|x) = \operatorname{logit} P_{\text{from}}(A|x)
    - \log\frac{\pi_{\text{from}}}{1-\pi_{\text{from}}} + \log\frac{\pi_{\text{to}}}{1-\pi_{\text{to}}}`,
    exact when only the prior changes and p(x|c) stays the same.

    Parameters
    ----------
    z : array_like
        Logits of P(A|x) under the prior ``prior_from``.
    prior_from, prior_to : float
        P(A) before and after, each in (0, 1).

    Returns
    -------
    ndarray
        Logits of P(A|x) under ``prior_to``, same shape as ``z``.

    Examples
    --------
    >>> from softprob.priors import shift_logit
    >>> float(shift_logit(0.0, prior_from=0.5, prior_to=0.9).round(6))
    2.197225
    """
    z = as_float_array("z", z, allow_empty=True)
    a, b = _prior("prior_from", prior_from), _prior("prior_to", prior_to)
    return z - (np.log(a) - np.log1p(-a)) + (np.log(b) - np.log1p(-b))


def density_ratio_from_logit(z: ArrayLike, prior_a: float) -> FloatArray:
    r"""Density ratio p(x|A) / p(x|B) from logit P(A|x) learned with class prior ``prior_a``.

    For a GAN discriminator trained on :math:`n_\text{data}` real (A) and
    :math:`n_g` generated (B) samples, ``prior_a`` is :math:`n_\text{data}/(n_\text{data}+n_g)`
    and the result estimates :math:`p_\text{data}(x)/p_g(x) = \frac{D}{1-D}\cdot\frac{n_g}{n_\text{data}}`.

    Parameters
    ----------
    z : array_like
        Logits of P(A|x).
    prior_a : float
        The share of class A in the training data (its prior), in (0, 1).

    Returns
    -------
    ndarray
        p(x|A) / p(x|B), same shape as ``z``.

    Examples
    --------
    >>> from softprob.priors import density_ratio_from_logit
    >>> round(float(density_ratio_from_logit(0.0, prior_a=0.25)), 12)
    3.0
    """
    return np.exp(shift_logit(z, _prior("prior_a", prior_a), 0.5))
