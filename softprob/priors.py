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

from softprob import _checks as chk
from softprob import _kernels as kern
from softprob._checks import FloatArray


def _log_ratio(logits_ndim: int, prior_from: object, prior_to: object, name: str
               ) -> FloatArray | float:
    """log(prior_to / prior_from) as the shift of a binary logit (float) or of K logits (K,).

    Scalars P(A) go with binary logits (a scalar or 1-D array); prior vectors
    go with (n, K) logits. Mixing them raises and says what to pass.
    """
    dims = chk.ndim("prior_from", prior_from), chk.ndim("prior_to", prior_to)
    scalars = dims == (0, 0)
    if scalars:
        if logits_ndim == 2:
            raise ValueError(
                f"{name}: a 2-D array is read as K-class logits/probabilities (n, K), which need "
                f"prior vectors: pass prior_from and prior_to as arrays of K class priors "
                f"summing to 1 (for two classes [P(B), P(A)]); for binary scores of class A pass "
                f"a 1-D array with scalar priors P(A)")
        a, b = chk.as_prior("prior_from", prior_from), chk.as_prior("prior_to", prior_to)
        return (np.log(b) - np.log1p(-b)) - (np.log(a) - np.log1p(-a))
    if dims[0] != dims[1]:
        raise ValueError("prior_to: give both priors as floats P(A) (binary scores) or both as "
                         "vectors of K class priors ((n, K) scores)")
    if logits_ndim != 2:
        raise ValueError(f"{name}: prior vectors need K-class scores of shape (n, K), got a "
                         f"{logits_ndim}-D array; for binary scores of class A pass the priors "
                         f"as floats P(A)")
    pf = chk.as_prior_vector("prior_from", prior_from)
    pt = chk.as_prior_vector("prior_to", prior_to, pf.shape[0])
    return np.log(pt) - np.log(pf)


def shift_logits(logits: ArrayLike, prior_from: float | ArrayLike,
                 prior_to: float | ArrayLike) -> FloatArray:
    r"""Move logits from class prior ``prior_from`` to ``prior_to`` (binary or K classes).

    Binary: :math:`\operatorname{logit} P_{\text{to}}(A|x) = \operatorname{logit}
    P_{\text{from}}(A|x) - \operatorname{logit}\pi_{\text{from}} + \operatorname{logit}
    \pi_{\text{to}}`. K classes: :math:`z_c + \log\pi^{\text{to}}_c - \log\pi^{\text{from}}_c`
    (softmax of the result is the corrected posterior). Exact when only the
    prior changes and p(x|c) stays the same.

    Parameters
    ----------
    logits : array_like, shape () or (n,), or (n, K)
        Logits of P(A|x) (binary), or K-class logits, under ``prior_from``.
    prior_from, prior_to : float, or array_like of shape (K,)
        Binary: P(A) before and after, each in (0, 1). K classes: prior vectors
        (positive, summing to 1; for K = 2 the order is [P(B), P(A)]).

    Returns
    -------
    ndarray
        Logits under ``prior_to``, same shape as ``logits``.

    Examples
    --------
    >>> from softprob.priors import shift_logits
    >>> float(shift_logits(0.0, prior_from=0.5, prior_to=0.9).round(6))
    2.197225
    >>> shift_logits([[0.0, 0.0, 0.0]], [0.5, 0.25, 0.25], [0.25, 0.25, 0.5]).round(6).tolist()
    [[-0.693147, 0.0, 0.693147]]
    """
    z = chk.as_float_array("logits", logits, ndim=(0, 1, 2), allow_empty=True)
    return z + _log_ratio(z.ndim, prior_from, prior_to, "logits")


def shift_probabilities(y_prob: ArrayLike, prior_from: float | ArrayLike,
                        prior_to: float | ArrayLike) -> FloatArray:
    r"""Move posteriors from class prior ``prior_from`` to ``prior_to`` (binary or K classes).

    :math:`P_{\text{to}}(c|x) \propto P_{\text{from}}(c|x)\,\pi^{\text{to}}_c/\pi^{\text{from}}_c`,
    computed in logs (nothing is clipped: 0 and 1 stay 0 and 1).

    Parameters
    ----------
    y_prob : array_like, shape () or (n,), or (n, K)
        P(A|x) values (binary), or probability rows, under ``prior_from``.
    prior_from, prior_to : float, or array_like of shape (K,)
        As in :func:`shift_logits`.

    Returns
    -------
    ndarray
        Posteriors under ``prior_to``, same shape as ``y_prob``.

    Examples
    --------
    >>> from softprob.priors import shift_probabilities
    >>> float(shift_probabilities(0.5, prior_from=0.5, prior_to=0.9).round(6))
    0.9
    >>> shift_probabilities([[0.5, 0.5]], [0.5, 0.5], [0.2, 0.8]).round(6).tolist()
    [[0.2, 0.8]]
    """
    arr = chk.as_probabilities("y_prob", y_prob, ndim=(0, 1, 2),
                               rows_sum_to_one="2d", allow_empty=True)
    shift = _log_ratio(arr.ndim, prior_from, prior_to, "y_prob")
    rows = kern.binary_rows(arr) if arr.ndim < 2 else arr
    with np.errstate(divide="ignore"):
        log_rows = np.log(rows)
    if arr.ndim < 2:
        log_rows[..., 1] += shift
    else:
        log_rows += shift
    out = np.exp(kern.log_softmax(log_rows, axis=-1)) if rows.size else rows
    return out[..., 1] if arr.ndim < 2 else out


def density_ratio_from_logits(logits: ArrayLike, prior_a: float) -> FloatArray:
    r"""Density ratio p(x|A) / p(x|B) from logits of P(A|x) learned with class prior ``prior_a``.

    For a GAN discriminator trained on :math:`n_\text{data}` real (A) and
    :math:`n_g` generated (B) samples, ``prior_a`` is :math:`n_\text{data}/(n_\text{data}+n_g)`
    and the result estimates
    :math:`p_\text{data}(x)/p_g(x) = \frac{D}{1-D}\cdot\frac{n_g}{n_\text{data}}`.

    Parameters
    ----------
    logits : array_like, any shape
        Logits of P(A|x) (binary: e.g. (R, n) for R fits).
    prior_a : float
        The share of class A in the training data (its prior), in (0, 1).

    Returns
    -------
    ndarray
        p(x|A) / p(x|B), same shape as ``logits``.

    Examples
    --------
    >>> from softprob.priors import density_ratio_from_logits
    >>> round(float(density_ratio_from_logits(0.0, prior_a=0.25)), 12)
    3.0
    """
    z = chk.as_float_array("logits", logits, allow_empty=True)
    a = chk.as_prior("prior_a", prior_a)
    with np.errstate(over="ignore"):
        return np.exp(z - (np.log(a) - np.log1p(-a)))


def _log_posteriors(y_prob: ArrayLike | None, logits: ArrayLike | None) -> FloatArray:
    """Rows of log P_train(c|x); binary inputs become columns [B, A]."""
    if (y_prob is None) == (logits is None):
        raise ValueError("y_prob: give exactly one of y_prob and logits")
    if logits is not None:
        return kern.class_log_probs(chk.as_float_array("logits", logits, ndim=(1, 2)))
    p = chk.as_probabilities("y_prob", y_prob, ndim=(1, 2), rows_sum_to_one="2d")
    with np.errstate(divide="ignore"):
        return np.log(kern.binary_rows(p) if p.ndim == 1 else p)


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


def estimate_target_prior(train_prior: float | ArrayLike, y_prob: ArrayLike | None = None, *,
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
        The prior the model was trained under: P(A) for binary (1-D) input, else
        K positive values summing to 1.
    y_prob : array_like, shape (n,) or (n, K), optional
        The trained model's P(A|x_i) (binary) or rows P(c|x_i), evaluated at the
        n unlabelled target inputs.
    logits : array_like, shape (n,) or (n, K), optional
        The same model given by logits (logit P(A|x_i), or softmax logits);
        give exactly one of ``y_prob`` and ``logits``.
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
    log_p = _log_posteriors(y_prob, logits)
    binary = log_p.shape[1] == 2 and (chk.ndim("y_prob", y_prob) if logits is None
                                       else chk.ndim("logits", logits)) == 1
    if binary != (chk.ndim("train_prior", train_prior) == 0):
        raise ValueError("train_prior: binary scores (1-D) need P(A) as a float; K-class scores "
                         f"(n, K) need a vector of K = {log_p.shape[1]} class priors")
    if binary:
        a = chk.as_prior("train_prior", train_prior)
        log_train = np.log(np.array([1.0 - a, a]))
    else:
        log_train = np.log(chk.as_prior_vector("train_prior", train_prior, log_p.shape[1]))
    tol, max_iter = chk.positive_float("tol", tol), chk.positive_int("max_iter", max_iter)

    def corrected(prior: FloatArray) -> FloatArray:
        with np.errstate(divide="ignore"):
            return kern.log_softmax(log_p + np.log(prior) - log_train, axis=1)

    prior, converged, n_iter = np.exp(log_train), False, 0
    while n_iter < max_iter and not converged:
        new = np.exp(corrected(prior)).mean(axis=0)
        converged = bool(np.max(np.abs(new - prior)) < tol)
        prior, n_iter = new, n_iter + 1
    post = np.exp(corrected(prior))
    if binary:
        return PriorShiftResult(float(prior[1]), post[:, 1], n_iter, converged)
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
    x = chk.as_float_array("design", design, ndim=2)
    if not np.all(x[:, 0] == 1.0):
        raise ValueError("design: the first column must be all ones (the intercept)")
    n, k = x.shape
    qa, qb = (chk.as_float_array(name, q, ndim=1) for name, q in
              (("density_a", density_a), ("density_b", density_b)))
    for name, q in (("density_a", qa), ("density_b", qb)):
        if q.shape != (n,) or q.min() < 0 or q.sum() <= 0:
            raise ValueError(f"{name}: need {n} non-negative values with a positive sum")
    qa, qb = qa / qa.sum(), qb / qb.sum()
    pi = chk.as_prior("prior_a", prior_a)
    beta = chk.as_float_array("coef_balanced", coef_balanced, ndim=1)
    if beta.shape != (k,):
        raise ValueError(f"coef_balanced: expected {k} coefficients, got {beta.shape[0]}")
    s = kern.sigmoid(x @ beta)
    # estimating functions g = (y - pi, w_y (y - s) x) at y = 1 (A) and y = 0 (B)
    g_a = np.hstack([np.full((n, 1), 1.0 - pi), x * ((1.0 - s) / pi)[:, None]])
    g_b = np.hstack([np.full((n, 1), -pi), -x * (s / (1.0 - pi))[:, None]])
    meat = pi * (g_a * qa[:, None]).T @ g_a + (1.0 - pi) * (g_b * qb[:, None]).T @ g_b
    bread = np.zeros((k + 1, k + 1))
    bread[0, 0] = -1.0
    bread[1:, 0] = -((qa * (1.0 - s)) @ x) / (pi * (1.0 - pi))
    bread[1:, 1:] = -(x * ((qa + qb) * s * (1.0 - s))[:, None]).T @ x
    singular = ("design: the sandwich's derivative matrix is singular (a design column is 0 "
                "or collinear where the densities put weight); the covariance does not exist")
    if not np.linalg.cond(bread) < 1e14:
        raise ValueError(singular)
    inv = np.linalg.inv(bread)
    jac = np.hstack([np.zeros((k, 1)), np.eye(k)])        # shifted = theta_w + logit(pi) e_0
    jac[0, 0] = 1.0 / (pi * (1.0 - pi))
    cov = jac @ inv @ meat @ inv.T @ jac.T
    if not np.all(np.isfinite(cov)):
        raise ValueError(singular)
    return cov
