import numpy as np
import pytest
from scipy.stats import multivariate_normal, norm

from softprob.data import DiscreteJoint, GaussianBinary, GaussianClasses


def test_binary_posterior_is_bayes_rule_with_scipy_densities():
    prob = GaussianBinary(mean_a=[1.0, 0.0], mean_b=[-1.0, 0.5], cov_a=[[1.0, 0.3], [0.3, 2.0]],
                          cov_b=[[0.5, 0.0], [0.0, 1.0]], prior_a=0.2)
    x = np.random.default_rng(0).normal(size=(50, 2))
    pa = 0.2 * multivariate_normal([1.0, 0.0], [[1.0, 0.3], [0.3, 2.0]]).pdf(x)
    pb = 0.8 * multivariate_normal([-1.0, 0.5], [[0.5, 0.0], [0.0, 1.0]]).pdf(x)
    np.testing.assert_allclose(prob.posterior_a(x), pa / (pa + pb), rtol=1e-12)
    np.testing.assert_allclose(prob.marginal_density(x), pa + pb, rtol=1e-12)
    np.testing.assert_allclose(prob.density_ratio(x), (pa / 0.2) / (pb / 0.8), rtol=1e-12)


def test_equal_covariance_posterior_is_exactly_logistic():
    prob = GaussianBinary(mean_a=2.0, mean_b=-0.5, cov_a=1.7, cov_b=1.7, prior_a=0.9)
    x = np.linspace(-6, 6, 25)
    b0, b1 = prob.logistic_coefficients()
    np.testing.assert_allclose(prob.log_odds(x), b0 + b1 * x, atol=1e-12)
    ref = np.log(0.9 * norm(2.0, np.sqrt(1.7)).pdf(x)) - np.log(0.1 * norm(-0.5, np.sqrt(1.7)).pdf(x))
    np.testing.assert_allclose(prob.log_odds(x), ref, atol=1e-10)


def test_unequal_covariance_has_no_linear_coefficients():
    with pytest.raises(ValueError, match="shared covariance"):
        GaussianBinary(0.0, 1.0, cov_a=1.0, cov_b=2.0).logistic_coefficients()


def test_k_class_softmax_coefficients_reproduce_posterior():
    prob = GaussianClasses(means=[[0, 0], [2, 0], [0, 2], [1, 1]], covs=[[1.0, 0.2], [0.2, 0.8]],
                           priors=[0.1, 0.2, 0.3, 0.4])
    x = np.random.default_rng(1).normal(size=(30, 2)) * 2
    w = prob.softmax_coefficients()
    z = np.hstack([np.ones((30, 1)), x]) @ w
    np.testing.assert_allclose(np.exp(z - z.max(1, keepdims=True)) /
                               np.exp(z - z.max(1, keepdims=True)).sum(1, keepdims=True),
                               prob.posterior(x), atol=1e-12)


def test_sampling_is_seeded_and_matches_priors():
    prob = GaussianBinary(mean_a=1.0, mean_b=-1.0, prior_a=0.25)
    x1, y1 = prob.sample(40_000, np.random.default_rng(7))
    x2, y2 = prob.sample(40_000, np.random.default_rng(7))
    np.testing.assert_array_equal(x1, x2)
    se = np.sqrt(0.25 * 0.75 / 40_000)
    assert abs(y1.mean() - 0.25) < 4 * se
    assert abs(x1[y1 == 1, 0].mean() - 1.0) < 4 / np.sqrt((y1 == 1).sum())


def test_with_prior_keeps_densities():
    prob = GaussianBinary(mean_a=1.0, mean_b=-1.0, prior_a=0.5)
    shifted = prob.with_prior_a(0.1)
    x = np.linspace(-3, 3, 7)
    np.testing.assert_allclose(shifted.log_odds(x), prob.log_odds(x) + np.log(0.1 / 0.9), atol=1e-12)


def test_discrete_joint():
    table = np.array([[0.1, 0.2, 0.05], [0.3, 0.15, 0.2]])
    joint = DiscreteJoint(table)
    np.testing.assert_allclose(joint.posterior(), (table / table.sum(0)).T)
    np.testing.assert_allclose(joint.likelihood().sum(1), 1.0)
    x, c = joint.sample(60_000, np.random.default_rng(3))
    counts = np.zeros_like(table)
    np.add.at(counts, (c, x), 1)
    se = np.sqrt(table * (1 - table) / 60_000)
    assert np.all(np.abs(counts / 60_000 - table) < 4 * se)
    np.testing.assert_allclose(joint.with_priors([0.5, 0.5]).priors, [0.5, 0.5])


@pytest.mark.parametrize("call, msg", [
    (lambda: GaussianBinary(0.0, 1.0, prior_a=1.0), "prior_a: a class prior must lie strictly between 0 and 1"),
    (lambda: GaussianBinary([0.0, 1.0], 1.0), "mean_b: shape"),
    (lambda: GaussianBinary(0.0, 1.0, cov_a=-1.0, cov_b=1.0), "cov_a: must be positive definite"),
    (lambda: GaussianClasses([[0.0], [1.0]], [[1.0]], [0.5, 0.6]), "priors: need 2 class priors"),
    (lambda: GaussianClasses([[0.0], [1.0]], [[1.0, 0.0]], [0.5, 0.5]), "covs: expected shape"),
    (lambda: GaussianBinary(0.0, 1.0).posterior_a(np.zeros((3, 2))), "x: expected 1 feature"),
    (lambda: GaussianBinary(0.0, 1.0).sample(0, np.random.default_rng()), "n: must be an integer >= 1"),
    (lambda: GaussianBinary(0.0, 1.0).sample(5, 42), "rng: expected a numpy.random.Generator"),
    (lambda: DiscreteJoint([[0.5, 0.6]]), "table: entries must sum to 1"),
    (lambda: DiscreteJoint([[0.5, 0.0], [0.5, 0.0]]), "table: every x needs p"),
    (lambda: DiscreteJoint([[0.5, np.nan]]), "table: contains NaN"),
])
def test_bad_input(call, msg):
    with pytest.raises(ValueError, match=msg):
        call()
