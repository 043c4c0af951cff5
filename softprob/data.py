"""Problems whose true posterior P(c | x) is known in closed form.

* :class:`GaussianBinary`: two Gaussian classes A (label 1) and B (label 0).
  Equal covariances give an exactly logistic posterior (linear logit);
  unequal covariances give a quadratic logit.
* :class:`GaussianClasses`: K Gaussian classes (labels 0..K-1); a shared
  covariance gives a softmax-linear posterior.
* :class:`DiscreteJoint`: a finite table p(c, x), x in {0..M-1}.

Every problem has any class prior, samples with an explicit
``numpy.random.Generator``, and returns p(x|c), the priors and P(c|x). The
Gaussian problems also give quadrature rules for expectations over p(x) and
p(x|c) (:meth:`GaussianClasses.quadrature`), the one way the chapters
integrate against a problem's densities.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from softprob import _checks as chk
from softprob import _kernels as kern
from softprob._checks import FloatArray, IntArray

_RULES = ("grid", "gauss-hermite")


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
        means, covs, priors, shared = chk.as_gaussian_classes(self.means, self.covs, self.priors)
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
        n, rng = chk.positive_int("n", n), chk.as_generator(rng)
        y = rng.choice(self.n_classes, size=n, p=self.priors).astype(np.intp)   # index type
        return self.sample_given_labels(y, rng), y

    def sample_given_labels(self, y: ArrayLike, rng: np.random.Generator) -> FloatArray:
        """Draw x ~ p(x | c = y_i) for each given label (fixed class counts)."""
        rng = chk.as_generator(rng)
        y = chk.as_labels("y", y, self.n_classes)
        z = rng.standard_normal((y.shape[0], self.dim))
        chols = np.linalg.cholesky(self.covs)
        return self.means[y] + np.einsum("nij,nj->ni", chols[y], z)

    def class_log_density(self, x: ArrayLike) -> FloatArray:
        """log p(x | c) for every class: shape (n, K)."""
        return self._class_log_density(chk.as_points("x", x, self.dim))

    def _class_log_density(self, x: FloatArray) -> FloatArray:
        out = np.stack([kern.gaussian_logpdf(x, self.means[c], self.covs[c])
                        for c in range(self.n_classes)], axis=1)
        if not np.all(np.isfinite(out)):
            raise ValueError("x: too far from every class mean: the log-densities overflow; "
                             "rescale the problem")
        return out

    def log_joint(self, x: ArrayLike) -> FloatArray:
        """log p(x, c) = log P(c) + log p(x | c): shape (n, K)."""
        return self.class_log_density(x) + np.log(self.priors)

    def marginal_density(self, x: ArrayLike) -> FloatArray:
        """p(x) = sum_c P(c) p(x | c): shape (n,)."""
        return np.exp(kern.logsumexp(self.log_joint(x), axis=1))

    def posterior(self, x: ArrayLike) -> FloatArray:
        """True P(c | x) by Bayes' rule: shape (n, K), rows sum to 1."""
        return np.exp(kern.log_softmax(self.log_joint(x), axis=1))

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

    def with_priors(self, priors: ArrayLike) -> GaussianClasses:
        """The same class densities with other class priors."""
        covs = self.covs[0] if self.shared_covariance else self.covs
        return GaussianClasses(self.means, covs,
                               chk.as_prior_vector("priors", priors, self.n_classes))

    def quadrature(self, n_nodes: int | None = None, *, rule: str = "grid",
                   bounds: tuple[float, float] | None = None,
                   per_class: bool = False) -> tuple[FloatArray, FloatArray]:
        r"""Nodes and normalised weights for expectations over p(x) (or each p(x|c)).

        :math:`\mathbb{E}_{p(x)}[h(x)] \approx \sum_i w_i h(x_i)`; with ``per_class``,
        column c of the weights integrates against p(x|c).

        * ``"grid"`` (default): ``np.linspace(lo, hi, n_nodes)`` in every dimension
          (``np.meshgrid`` order) with weights p(x)/sum p(x) (per class p(x|c)/sum
          p(x|c)) - the trapezoid rule, which converges exponentially for integrands
          that are analytic and decay like a Gaussian (cross-entropy, KL, moments):
          measured on the book's problems, 2001 nodes in 1-D and 101 per dimension
          in 2-D reach ~1e-15 relative error. Default bounds: every class mean
          +- 12 standard deviations (the mass outside is < 1e-32). Chapters that pass
          their old ``bounds`` and ``n_nodes`` get their old numbers bit for bit.
        * ``"gauss-hermite"``: each class's tensor-product Gauss-Hermite rule, weighted
          by its prior (exact for polynomials of degree < 2 n_nodes; a class's rule
          puts weight 0 on the others' nodes). Far fewer nodes in d >= 3, but slow for
          sigmoids of steep logits: their complex poles lie near the real axis (KL of
          a 1-D fit, 40 nodes: 1e-4 relative error, where the grid has 1e-16).

        Parameters
        ----------
        n_nodes : int, optional
            Nodes per dimension (per class for Gauss-Hermite); default 2001 / 201 / 41
            for d = 1 / 2 / more, 40 for Gauss-Hermite.
        rule : {'grid', 'gauss-hermite'}
        bounds : (float, float), optional
            Range of the grid in every dimension (default: automatic, see above).
        per_class : bool, default False
            Return class-conditional weights (n, K) instead of those of p(x).

        Returns
        -------
        nodes : ndarray, shape (n,) when d = 1, else (n, d)
        weights : ndarray, shape (n,) or (n, K)
            Non-negative, each column summing to 1 (index 0 = B for two classes).

        Examples
        --------
        >>> from softprob.data import GaussianBinary
        >>> prob = GaussianBinary(mean_a=1.0, mean_b=-1.0, prior_a=0.3)
        >>> x, w = prob.quadrature()
        >>> round(float(w @ x), 12), round(float(w @ x**2), 12)   # E[x] = 0.3 - 0.7, E[x^2] = 2
        (-0.4, 2.0)
        >>> grid, w_c = prob.quadrature(2001, bounds=(-12.0, 12.0), per_class=True)
        >>> w_c.shape, round(float(w_c[:, 1] @ grid), 9)           # E[x | A] = 1
        ((2001, 2), 1.0)
        """
        gh = chk.one_of("rule", rule, _RULES) == _RULES[1]
        per_class = chk.as_bool("per_class", per_class)
        default = 40 if gh else {1: 2001, 2: 201}.get(self.dim, 41)
        n_nodes = chk.as_node_count(n_nodes, default, self.dim, self.n_classes if gh else 1)
        if gh:
            x, cw = kern.hermite_mixture(self.means, self.covs, n_nodes)
            weights = cw if per_class else cw @ self.priors
        else:
            if bounds is None:
                sd = np.sqrt(np.diagonal(self.covs, axis1=1, axis2=2))
                lo, hi = float(np.min(self.means - 12 * sd)), float(np.max(self.means + 12 * sd))
            else:
                lo, hi = chk.as_bounds("bounds", bounds)
            x = kern.grid_nodes(lo, hi, n_nodes, self.dim)
            weights = kern.grid_weights(self._class_log_density(x), self.priors, per_class)
            if not np.all(np.isfinite(weights)):
                raise ValueError("bounds, n_nodes: the grid misses the mass of a class (its "
                                 "weights underflow to 0); use more nodes or other bounds")
        return (x[:, 0] if self.dim == 1 else x), weights


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
        # class index 0 is B, 1 is A, so labels match the book's convention (1 = A)
        super().__init__(*chk.as_gaussian_pair(mean_a, mean_b, cov_a, cov_b, prior_a))

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
        return kern.sigmoid(self.log_odds(x))

    def density_ratio(self, x: ArrayLike) -> FloatArray:
        """p(x | A) / p(x | B): shape (n,) (the GAN's p_data / p_g when A is data)."""
        ld = self.class_log_density(x)
        with np.errstate(over="ignore"):            # beyond 1e308 the ratio is inf
            return np.exp(ld[:, 1] - ld[:, 0])

    def logistic_coefficients(self) -> FloatArray:
        """Exact [intercept, w_1..w_d] with logit P(A|x) = intercept + w @ x (equal covariances)."""
        w = self.softmax_coefficients()
        return w[:, 1] - w[:, 0]

    def separation_probability(self, n: int, *, by_event: bool = False) -> float | FloatArray:
        r"""Probability that n joint samples are separated (d = 1): no logistic MLE exists.

        For one feature, the maximum-likelihood fit of the logistic model with intercept exists
        if and only if both classes occur and neither lies entirely below the other (Albert &
        Anderson 1984). With :math:`U_A(t) = \pi_A (1 - F_A(t))` and
        :math:`L_B(t) = \pi_B F_B(t)`, the probability that every B lies below every A is
        :math:`n \int \pi_A p(t|A)[(U_A + L_B)^{n-1} - U_A^{n-1}]\,dt`, and symmetrically; the
        integrals are evaluated on a fine grid (the integrands are smooth).

        Parameters
        ----------
        n : int
            Sample size, >= 1.
        by_event : bool, default False
            Return the three disjoint events' probabilities instead of their sum.

        Returns
        -------
        float or ndarray, shape (3,)
            The probability, or [a class is absent, every B below every A, every A below
            every B].

        Examples
        --------
        >>> from softprob.data import GaussianBinary
        >>> prob = GaussianBinary(mean_a=1.0, mean_b=-1.0, prior_a=0.5)
        >>> round(prob.separation_probability(2), 9)   # two points are always separated
        1.0
        >>> bool(prob.separation_probability(100) < 1e-6)
        True
        """
        n = chk.positive_int("n", n)
        by_event = chk.as_bool("by_event", by_event)
        if self.dim != 1:
            raise ValueError(f"n: the separation probability is implemented for d = 1, "
                             f"this problem has d = {self.dim}")
        (mu_b, mu_a), (sd_b, sd_a) = self.means[:, 0], np.sqrt(self.covs[:, 0, 0])
        lo, hi = min(mu_a - 12 * sd_a, mu_b - 12 * sd_b), max(mu_a + 12 * sd_a, mu_b + 12 * sd_b)
        t = np.linspace(lo, hi, 24001)
        f_b, f_a = np.exp(self._class_log_density(t[:, None])).T
        F_a, F_b = special.ndtr((t - mu_a) / sd_a), special.ndtr((t - mu_b) / sd_b)
        pi_b, pi_a = self.priors

        def below(pi_lo: float, F_lo: FloatArray, pi_hi: float, f_hi: FloatArray,
                  F_hi: FloatArray) -> float:               # every 'lo' sample below every 'hi'
            above = pi_hi * (1.0 - F_hi)
            rest = (above + pi_lo * F_lo) ** (n - 1) - above ** (n - 1)
            return float(n * np.sum(pi_hi * f_hi * rest) * (t[1] - t[0]))

        events = np.array([pi_a**n + pi_b**n, below(pi_b, F_b, pi_a, f_a, F_a),
                           below(pi_a, F_a, pi_b, f_b, F_b)])
        return events if by_event else float(events.sum())

    def with_priors(self, priors: ArrayLike) -> GaussianBinary:
        """The same class densities with priors [P(B), P(A)]."""
        return self.with_prior_a(float(chk.as_prior_vector("priors", priors, 2)[1]))

    def with_prior_a(self, prior_a: float) -> GaussianBinary:
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
        object.__setattr__(self, "table", chk.as_joint_table("table", self.table))

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
        n, rng = chk.positive_int("n", n), chk.as_generator(rng)
        cell = rng.choice(self.table.size, size=n, p=self.table.ravel()).astype(np.intp)
        c, x = np.divmod(cell, self.n_values)
        return x, c

    def with_priors(self, priors: ArrayLike) -> DiscreteJoint:
        """The same p(x|c) with other class priors P(c)."""
        return DiscreteJoint(self.likelihood() * chk.as_prior_vector("priors", priors,
                                                                 self.n_classes)[:, None])
