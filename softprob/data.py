"""Problems whose true posterior P(c | x) is known in closed form.

* :class:`GaussianBinary`: two Gaussian classes A (label 1) and B (label 0).
  Equal covariances give an exactly logistic posterior (linear logit);
  unequal covariances give a quadratic logit.
* :class:`GaussianClasses`: K Gaussian classes (labels 0..K-1); a shared
  covariance gives a softmax-linear posterior.
* :class:`DiscreteJoint`: a finite table p(c, x), x in {0..M-1}.

Every problem has any class prior, samples with an explicit
``numpy.random.Generator``, and returns p(x|c), the priors and P(c|x).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from softprob._checks import (FloatArray, IntArray, as_float_array, as_generator, as_probabilities,
                              positive_int)
from softprob.activations import log_softmax, logsumexp, sigmoid


def _check_cov(name: str, cov: ArrayLike, d: int) -> FloatArray:
    c = as_float_array(name, cov, ndim=2)
    if c.shape != (d, d):
        raise ValueError(f"{name}: expected shape ({d}, {d}), got {c.shape}")
    if not np.allclose(c, c.T):
        raise ValueError(f"{name}: must be symmetric")
    if np.linalg.eigvalsh(c).min() <= 0:
        raise ValueError(f"{name}: must be positive definite")
    return c


def _check_x(x: ArrayLike, d: int) -> FloatArray:
    arr = as_float_array("x", x, ndim=(1, 2))
    if arr.ndim == 1:
        arr = arr[:, None] if d == 1 else arr[None, :]
    if arr.shape[1] != d:
        raise ValueError(f"x: expected {d} feature(s) per row, got shape {arr.shape}")
    return arr


def _gaussian_logpdf(x: FloatArray, mean: FloatArray, cov: FloatArray) -> FloatArray:
    chol = np.linalg.cholesky(cov)
    sol = np.linalg.solve(chol, (x - mean).T)
    log_det = 2.0 * np.sum(np.log(np.diag(chol)))
    return -0.5 * (np.sum(sol**2, axis=0) + log_det + mean.size * np.log(2.0 * np.pi))


@dataclass(frozen=True)
class GaussianClasses:
    """K Gaussian classes: x | c ~ N(means[c], covs[c]), P(c) = priors[c].

    Parameters
    ----------
    means : array_like, shape (K, d)
        Class means.
    covs : array_like, shape (d, d) or (K, d, d)
        One shared covariance (softmax-linear posterior) or one per class.
    priors : array_like, shape (K,)
        Class priors, positive, summing to 1.

    Examples
    --------
    >>> import numpy as np
    >>> from softprob.data import GaussianClasses
    >>> prob = GaussianClasses(means=[[0.0], [2.0], [4.0]], covs=[[1.0]], priors=[0.2, 0.3, 0.5])
    >>> x, y = prob.sample(5, np.random.default_rng(0))
    >>> x.shape, prob.posterior(x).sum(axis=1).round(12).tolist()
    ((5, 1), [1.0, 1.0, 1.0, 1.0, 1.0])
    """

    means: FloatArray
    covs: FloatArray
    priors: FloatArray
    shared_covariance: bool = field(init=False)

    def __post_init__(self) -> None:
        means = as_float_array("means", self.means, ndim=2)
        k, d = means.shape
        if k < 2:
            raise ValueError(f"means: need at least 2 classes, got {k}")
        covs = np.asarray(self.covs, dtype=float)
        shared = covs.ndim == 2
        covs = np.stack([_check_cov("covs", covs, d)] * k) if shared else covs
        if covs.shape != (k, d, d):
            raise ValueError(f"covs: expected shape ({d}, {d}) or ({k}, {d}, {d}), got {covs.shape}")
        for c in range(k):
            _check_cov(f"covs[{c}]", covs[c], d)
        priors = as_probabilities("priors", self.priors, ndim=1)
        if priors.shape != (k,) or np.any(priors <= 0) or abs(priors.sum() - 1) > 1e-9:
            raise ValueError(f"priors: need {k} positive values summing to 1, got {priors.tolist()}")
        object.__setattr__(self, "means", means)
        object.__setattr__(self, "covs", covs)
        object.__setattr__(self, "priors", priors)
        object.__setattr__(self, "shared_covariance", shared)

    @property
    def n_classes(self) -> int:
        """Number of classes K."""
        return self.means.shape[0]

    @property
    def dim(self) -> int:
        """Dimension d of x."""
        return self.means.shape[1]

    def sample(self, n: int, rng: np.random.Generator) -> tuple[FloatArray, IntArray]:
        """Draw n joint samples (x, c): c ~ priors, then x ~ N(means[c], covs[c])."""
        n, rng = positive_int("n", n), as_generator(rng)
        y = rng.choice(self.n_classes, size=n, p=self.priors)
        return self.sample_given_labels(y, rng), y

    def sample_given_labels(self, y: ArrayLike, rng: np.random.Generator) -> FloatArray:
        """Draw x ~ p(x | c = y_i) for each given label (fixed class counts)."""
        rng = as_generator(rng)
        y = np.asarray(y, dtype=np.int64)
        z = rng.standard_normal((y.shape[0], self.dim))
        chols = np.linalg.cholesky(self.covs)
        return self.means[y] + np.einsum("nij,nj->ni", chols[y], z)

    def class_log_density(self, x: ArrayLike) -> FloatArray:
        """log p(x | c) for every class: shape (n, K)."""
        x = _check_x(x, self.dim)
        return np.stack([_gaussian_logpdf(x, self.means[c], self.covs[c])
                         for c in range(self.n_classes)], axis=1)

    def log_joint(self, x: ArrayLike) -> FloatArray:
        """log p(x, c) = log P(c) + log p(x | c): shape (n, K)."""
        return self.class_log_density(x) + np.log(self.priors)

    def marginal_density(self, x: ArrayLike) -> FloatArray:
        """p(x) = sum_c P(c) p(x | c): shape (n,)."""
        return np.exp(logsumexp(self.log_joint(x), axis=1))

    def posterior(self, x: ArrayLike) -> FloatArray:
        """True P(c | x) by Bayes' rule: shape (n, K), rows sum to 1."""
        return np.exp(log_softmax(self.log_joint(x), axis=1))

    def softmax_coefficients(self) -> FloatArray:
        """Exact softmax-regression weights (shared covariance only).

        Returns W of shape (d + 1, K) (first row: intercepts) with
        log P(c|x) = [1, x] @ W - logsumexp. Class K-1 is the reference (zero column).
        """
        if not self.shared_covariance:
            raise ValueError("covs: the posterior is softmax-linear only with a shared covariance")
        prec = np.linalg.inv(self.covs[0])
        b = self.means @ prec
        a = -0.5 * np.sum(b * self.means, axis=1) + np.log(self.priors)
        w = np.vstack([a, b.T])
        return w - w[:, -1:]

    def with_priors(self, priors: ArrayLike) -> "GaussianClasses":
        """The same class densities with other class priors."""
        covs = self.covs[0] if self.shared_covariance else self.covs
        return GaussianClasses(self.means, covs, np.asarray(priors, dtype=float))


class GaussianBinary(GaussianClasses):
    """Two Gaussian classes: A (label 1) ~ N(mean_a, cov_a), B (label 0) ~ N(mean_b, cov_b).

    Equal covariances make logit P(A|x) linear in x; unequal ones make it quadratic.

    Parameters
    ----------
    mean_a, mean_b : array_like, shape (d,)
        Class means (a scalar means d = 1).
    cov_a, cov_b : array_like, shape (d, d), optional
        Class covariances (default identity; a scalar means a variance, d = 1).
    prior_a : float, default 0.5
        P(A), in (0, 1).

    Examples
    --------
    >>> import numpy as np
    >>> from softprob.data import GaussianBinary
    >>> prob = GaussianBinary(mean_a=1.0, mean_b=-1.0, prior_a=0.5)
    >>> prob.log_odds([[0.0], [1.0]]).tolist()
    [0.0, 2.0]
    >>> prob.logistic_coefficients().tolist()
    [0.0, 2.0]
    """

    def __init__(self, mean_a: ArrayLike, mean_b: ArrayLike, cov_a: ArrayLike | None = None,
                 cov_b: ArrayLike | None = None, prior_a: float = 0.5) -> None:
        ma = np.atleast_1d(as_float_array("mean_a", mean_a, ndim=(0, 1)))
        mb = np.atleast_1d(as_float_array("mean_b", mean_b, ndim=(0, 1)))
        if ma.shape != mb.shape:
            raise ValueError(f"mean_b: shape {mb.shape} does not match mean_a's {ma.shape}")
        d = ma.shape[0]
        ca = np.eye(d) if cov_a is None else np.atleast_2d(as_float_array("cov_a", cov_a))
        cb = np.eye(d) if cov_b is None else np.atleast_2d(as_float_array("cov_b", cov_b))
        if not 0.0 < float(prior_a) < 1.0 or not np.isfinite(prior_a):
            raise ValueError(f"prior_a: must lie strictly between 0 and 1, got {prior_a!r}")
        equal = ca.shape == cb.shape and np.array_equal(ca, cb)
        covs = ca if equal else np.stack([_check_cov("cov_b", cb, d), _check_cov("cov_a", ca, d)])
        # class index 0 is B, 1 is A, so labels match the book's convention (1 = A)
        super().__init__(np.stack([mb, ma]), covs, np.array([1.0 - prior_a, prior_a]))

    @property
    def prior_a(self) -> float:
        """P(A)."""
        return float(self.priors[1])

    def log_odds(self, x: ArrayLike) -> FloatArray:
        """True logit P(A|x) = log P(A)p(x|A) - log P(B)p(x|B): shape (n,)."""
        lj = self.log_joint(x)
        return lj[:, 1] - lj[:, 0]

    def posterior_a(self, x: ArrayLike) -> FloatArray:
        """True P(A | x): shape (n,)."""
        return sigmoid(self.log_odds(x))

    def density_ratio(self, x: ArrayLike) -> FloatArray:
        """p(x | A) / p(x | B): shape (n,) (the GAN's p_data / p_g when A is data)."""
        ld = self.class_log_density(x)
        return np.exp(ld[:, 1] - ld[:, 0])

    def logistic_coefficients(self) -> FloatArray:
        """Exact [intercept, w_1..w_d] with logit P(A|x) = intercept + w @ x (equal covariances)."""
        w = self.softmax_coefficients()
        return w[:, 1] - w[:, 0]

    def with_priors(self, priors: ArrayLike) -> "GaussianBinary":
        """The same class densities with priors [P(B), P(A)]."""
        p = as_probabilities("priors", priors, ndim=1)
        return self.with_prior_a(float(p[1]))

    def with_prior_a(self, prior_a: float) -> "GaussianBinary":
        """The same class densities with P(A) = prior_a."""
        return GaussianBinary(self.means[1], self.means[0], self.covs[1], self.covs[0], prior_a)


@dataclass(frozen=True)
class DiscreteJoint:
    """A finite joint table p(c, x): classes c in 0..K-1, values x in 0..M-1.

    Parameters
    ----------
    table : array_like, shape (K, M)
        Non-negative probabilities summing to 1; every x must have p(x) > 0.

    Examples
    --------
    >>> from softprob.data import DiscreteJoint
    >>> joint = DiscreteJoint([[0.1, 0.3], [0.4, 0.2]])
    >>> joint.posterior().round(3).tolist()
    [[0.2, 0.8], [0.6, 0.4]]
    """

    table: FloatArray

    def __post_init__(self) -> None:
        t = as_probabilities("table", self.table, ndim=2)
        if abs(t.sum() - 1.0) > 1e-9:
            raise ValueError(f"table: entries must sum to 1, got {t.sum():.12g}")
        if np.any(t.sum(axis=0) <= 0):
            raise ValueError("table: every x needs p(x) > 0 (a column sums to 0)")
        if np.any(t.sum(axis=1) <= 0):
            raise ValueError("table: every class needs P(c) > 0 (a row sums to 0)")
        object.__setattr__(self, "table", t)

    @property
    def n_classes(self) -> int:
        """Number of classes K."""
        return self.table.shape[0]

    @property
    def n_values(self) -> int:
        """Number of values M of x."""
        return self.table.shape[1]

    @property
    def priors(self) -> FloatArray:
        """P(c): shape (K,)."""
        return self.table.sum(axis=1)

    def marginal(self) -> FloatArray:
        """p(x): shape (M,)."""
        return self.table.sum(axis=0)

    def posterior(self) -> FloatArray:
        """P(c | x): shape (M, K), one row per x, rows sum to 1."""
        return (self.table / self.marginal()).T

    def likelihood(self) -> FloatArray:
        """p(x | c): shape (K, M), rows sum to 1."""
        return self.table / self.priors[:, None]

    def sample(self, n: int, rng: np.random.Generator) -> tuple[IntArray, IntArray]:
        """Draw n joint samples; returns (x, c), integer arrays of shape (n,)."""
        n, rng = positive_int("n", n), as_generator(rng)
        cell = rng.choice(self.table.size, size=n, p=self.table.ravel())
        c, x = np.divmod(cell, self.n_values)
        return x, c

    def with_priors(self, priors: ArrayLike) -> "DiscreteJoint":
        """The same p(x|c) with other class priors P(c)."""
        p = as_probabilities("priors", priors, ndim=1)
        if p.shape != (self.n_classes,) or abs(p.sum() - 1) > 1e-9:
            raise ValueError(f"priors: need {self.n_classes} values summing to 1")
        return DiscreteJoint(self.likelihood() * p[:, None])
