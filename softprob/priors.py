"""Class priors: moving a posterior from one class prior to another.

By Bayes' rule, P(A|x) / P(B|x) = [P(A) / P(B)] * [p(x|A) / p(x|B)]: changing
the prior only adds a constant to the logit. The same shift turns a
discriminator's logit into a density ratio (the GAN footnote). When the
target prior is unknown, :func:`estimate_target_prior` estimates it from
unlabelled target inputs by EM; :func:`shifted_fit_covariance` gives the
sampling covariance of a per-class-averaged fit moved to the true prior.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from softprob._checks import FloatArray, as_float_array, as_probabilities, positive_int
from softprob.activations import log_sigmoid, log_softmax, sigmoid


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


def _train_prior_vector(train_prior: ArrayLike, binary: bool, n_classes: int) -> FloatArray:
    if binary:
        a = _prior("train_prior", train_prior)
        return np.array([a, 1.0 - a])
    p = as_float_array("train_prior", train_prior, ndim=1)
    if p.shape != (n_classes,) or np.any(p <= 0) or abs(p.sum() - 1.0) > 1e-9:
        raise ValueError(f"train_prior: need {n_classes} positive values summing to 1, "
                         f"got {p.tolist()}")
    return p


def _log_posteriors(posteriors: ArrayLike | None, logits: ArrayLike | None) -> FloatArray:
    """Rows of log P_train(c|x); binary inputs become columns [A, B]."""
    if (posteriors is None) == (logits is None):
        raise ValueError("posteriors: give exactly one of posteriors and logits")
    if logits is not None:
        z = as_float_array("logits", logits, ndim=(1, 2))
        return np.stack([log_sigmoid(z), log_sigmoid(-z)], axis=1) if z.ndim == 1 else log_softmax(z)
    p = as_probabilities("posteriors", posteriors, ndim=(1, 2))
    rows = np.stack([p, 1.0 - p], axis=1) if p.ndim == 1 else p
    rows = as_probabilities("posteriors", rows, rows_sum_to_one=True)
    with np.errstate(divide="ignore"):
        return np.log(rows)


@dataclass(frozen=True)
class PriorShiftResult:
    """Outcome of :func:`estimate_target_prior`.

    Attributes
    ----------
    prior : float or ndarray
        Estimated target prior: P(A) for binary input, shape (K,) otherwise.
    posteriors : ndarray
        Posteriors corrected to ``prior`` at the target inputs: P(A|x_i) of shape
        (n,) for binary input, rows of shape (n, K) otherwise.
    n_iter : int
        EM iterations used.
    converged : bool
        Whether the last update moved the prior by less than ``tol``.
    """

    prior: float | FloatArray
    posteriors: FloatArray
    n_iter: int
    converged: bool


def estimate_target_prior(train_prior: float | ArrayLike, posteriors: ArrayLike | None = None, *,
                          logits: ArrayLike | None = None, tol: float = 1e-10,
                          max_iter: int = 10_000) -> PriorShiftResult:
    r"""Estimate an unknown target class prior by EM (Saerens, Latinne & Decaestecker, 2002).

    A model trained where the classes have prior :math:`\pi^{tr}` gives
    :math:`P_{tr}(c|x)`. On a target population with the same :math:`p(x|c)` but an
    unknown prior :math:`\pi`, Bayes' rule gives
    :math:`P(c|x) \propto (\pi_c/\pi^{tr}_c)\,P_{tr}(c|x)`. EM alternates this
    correction (E-step) with :math:`\pi_c \leftarrow \frac1n\sum_i P(c|x_i)` (M-step)
    over the unlabelled target inputs, starting from :math:`\pi^{tr}`; each step
    increases the likelihood of the unlabelled sample.

    Parameters
    ----------
    train_prior : float or array_like, shape (K,)
        The prior the model was trained under: P(A) for binary input, else K
        positive values summing to 1.
    posteriors : array_like, shape (n,) or (n, K), optional
        The trained model's P(A|x_i) (binary) or rows P(c|x_i), evaluated at the
        n unlabelled target inputs.
    logits : array_like, shape (n,) or (n, K), optional
        The same model given by logits (logit P(A|x_i), or softmax logits);
        give exactly one of ``posteriors`` and ``logits``.
    tol : float, default 1e-10
        Stop when no component of the prior moves by ``tol`` or more.
    max_iter : int, default 10000
        Iteration cap (EM converges linearly, slowly when the classes overlap).

    Returns
    -------
    PriorShiftResult
        Estimated prior, corrected posteriors, iterations, convergence flag.

    Examples
    --------
    >>> import numpy as np
    >>> from softprob.data import GaussianBinary
    >>> from softprob.priors import estimate_target_prior
    >>> train = GaussianBinary(mean_a=2.0, mean_b=-2.0, prior_a=0.5)
    >>> x, _ = train.with_prior_a(0.8).sample(4000, np.random.default_rng(0))
    >>> res = estimate_target_prior(0.5, logits=train.log_odds(x))
    >>> round(res.prior, 3), res.converged  # true target prior 0.8; n = 4000 gives s.e. ~0.007
    (0.794, True)
    """
    log_p = _log_posteriors(posteriors, logits)
    binary = log_p.shape[1] == 2 and np.ndim(posteriors if logits is None else logits) == 1
    log_train = np.log(_train_prior_vector(train_prior, binary, log_p.shape[1]))
    tol = float(tol)
    if not np.isfinite(tol) or tol <= 0:
        raise ValueError(f"tol: must be a finite number > 0, got {tol!r}")
    max_iter = positive_int("max_iter", max_iter)

    def corrected(prior: FloatArray) -> FloatArray:
        with np.errstate(divide="ignore"):
            return log_softmax(log_p + np.log(prior) - log_train, axis=1)

    prior, converged, n_iter = np.exp(log_train), False, 0
    while n_iter < max_iter and not converged:
        new = np.exp(corrected(prior)).mean(axis=0)
        converged = bool(np.max(np.abs(new - prior)) < tol)
        prior, n_iter = new, n_iter + 1
    post = np.exp(corrected(prior))
    if binary:
        return PriorShiftResult(float(prior[0]), post[:, 0], n_iter, converged)
    return PriorShiftResult(prior, post, n_iter, converged)


def shifted_fit_covariance(design: ArrayLike, density_a: ArrayLike, density_b: ArrayLike,
                           prior_a: float, coef_balanced: ArrayLike) -> FloatArray:
    r"""Asymptotic covariance of "average per class, then shift the logit" (essay E6 corrected).

    With N samples drawn from the population with prior ``prior_a``, the fit
    with class weights :math:`1/N_c` estimates the balanced coefficients
    :math:`\theta_{bal}`; adding :math:`\log(N_A/N_B)` to the intercept estimates
    :math:`\theta^\star`. Treating :math:`(\hat\pi_A, \hat\theta_{bal})` as one
    M-estimator gives the sandwich covariance :math:`\Sigma` with
    :math:`\sqrt N(\tilde\theta - \theta^\star) \to \mathcal N(0, \Sigma)`. Expectations
    are sums over quadrature nodes.

    Parameters
    ----------
    design : array_like, shape (n, k)
        Features at the quadrature nodes, first column all ones (the intercept).
    density_a, density_b : array_like, shape (n,)
        Quadrature weights of p(x|A) and p(x|B) at the nodes (normalised here).
    prior_a : float
        P(A) of the population the training data come from, in (0, 1).
    coef_balanced : array_like, shape (k,)
        Coefficients of the balanced posterior p(x|A)/(p(x|A)+p(x|B)).

    Returns
    -------
    ndarray, shape (k, k)
        :math:`\Sigma`; the covariance of the shifted fit is about :math:`\Sigma/N`.

    Examples
    --------
    >>> import numpy as np
    >>> from softprob.priors import shifted_fit_covariance
    >>> one = np.ones((1, 1))  # intercept-only model: the estimate is logit(N_A/N)
    >>> shifted_fit_covariance(one, [1.0], [1.0], prior_a=0.2, coef_balanced=[0.0]).round(6)
    array([[6.25]])
    """
    x = as_float_array("design", design, ndim=2)
    if not np.all(x[:, 0] == 1.0):
        raise ValueError("design: the first column must be all ones (the intercept)")
    n, k = x.shape
    qa, qb = (as_float_array(name, q, ndim=1) for name, q in
              (("density_a", density_a), ("density_b", density_b)))
    for name, q in (("density_a", qa), ("density_b", qb)):
        if q.shape != (n,) or q.min() < 0 or q.sum() <= 0:
            raise ValueError(f"{name}: need {n} non-negative values with a positive sum")
    qa, qb = qa / qa.sum(), qb / qb.sum()
    pi = _prior("prior_a", prior_a)
    beta = as_float_array("coef_balanced", coef_balanced, ndim=1)
    if beta.shape != (k,):
        raise ValueError(f"coef_balanced: expected {k} coefficients, got {beta.shape[0]}")
    s = sigmoid(x @ beta)
    # estimating functions g = (y - pi, w_y (y - s) x) at y = 1 (A) and y = 0 (B)
    g_a = np.hstack([np.full((n, 1), 1.0 - pi), x * ((1.0 - s) / pi)[:, None]])
    g_b = np.hstack([np.full((n, 1), -pi), -x * (s / (1.0 - pi))[:, None]])
    meat = pi * (g_a * qa[:, None]).T @ g_a + (1.0 - pi) * (g_b * qb[:, None]).T @ g_b
    bread = np.zeros((k + 1, k + 1))
    bread[0, 0] = -1.0
    bread[1:, 0] = -((qa * (1.0 - s)) @ x) / (pi * (1.0 - pi))
    bread[1:, 1:] = -(x * ((qa + qb) * s * (1.0 - s))[:, None]).T @ x
    inv = np.linalg.inv(bread)
    jac = np.hstack([np.zeros((k, 1)), np.eye(k)])        # shifted = theta_w + logit(pi) e_0
    jac[0, 0] = 1.0 / (pi * (1.0 - pi))
    return jac @ inv @ meat @ inv.T @ jac.T
