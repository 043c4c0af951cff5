import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from softprob.data import GaussianBinary, GaussianClasses
from softprob.fit import fit_logistic, fit_logistic_batch, polynomial_features
from softprob.fit_multiclass import fit_softmax
from softprob.losses import binary_cross_entropy, categorical_cross_entropy


@pytest.fixture(scope="module")
def binary_data():
    prob = GaussianBinary(mean_a=[1.0, 0.5, 0.0], mean_b=[-1.0, 0.0, 0.3], prior_a=0.35)
    return prob.sample(5_000, np.random.default_rng(11))


def test_logistic_matches_sklearn_unpenalised(binary_data):
    X, y = binary_data
    res = fit_logistic(X, y)
    sk = LogisticRegression(C=np.inf, solver="newton-cholesky", tol=1e-12, max_iter=200).fit(X, y)
    np.testing.assert_allclose(res.coef, np.r_[sk.intercept_, sk.coef_.ravel()], atol=1e-6)
    assert res.converged and res.grad_norm < 1e-10 and res.n_iter < 15
    assert res.loss == pytest.approx(binary_cross_entropy(y, res.logits(X)), rel=1e-12)


def test_weighted_fit_matches_sklearn_sample_weight(binary_data):
    X, y = binary_data
    w = np.where(y == 1, 1 / np.sum(y == 1), 1 / np.sum(y == 0))   # essay step E6 weights
    res = fit_logistic(X, y, weights=w)
    sk = LogisticRegression(C=np.inf, solver="newton-cholesky", tol=1e-12, max_iter=200)
    sk.fit(X, y, sample_weight=w * len(y))
    np.testing.assert_allclose(res.coef, np.r_[sk.intercept_, sk.coef_.ravel()], atol=1e-6)


def test_gradient_is_zero_at_the_solution(binary_data):
    X, y = binary_data
    res = fit_logistic(X, y)
    Xd = np.hstack([np.ones((len(y), 1)), X])
    grad = Xd.T @ (res.predict_proba(X) - y) / len(y)
    assert np.max(np.abs(grad)) < 1e-10


def test_soft_targets_recover_exact_coefficients():
    prob = GaussianBinary(mean_a=0.7, mean_b=-0.4, cov_a=0.8, cov_b=0.8, prior_a=0.6)
    grid = np.linspace(-8, 8, 2001)
    res = fit_logistic(grid, prob.posterior_a(grid), weights=prob.marginal_density(grid))
    np.testing.assert_allclose(res.coef, prob.logistic_coefficients(), atol=1e-9)


def test_separable_data_sends_the_slope_to_infinity():
    # no maximum-likelihood solution exists: the loss tends to 0 as the slope grows
    res = fit_logistic([-2.0, -1.0, 1.0, 2.0], [0, 0, 1, 1])
    assert res.coef[1] > 10 and res.loss < 1e-8


def test_softmax_matches_sklearn_and_exact_solution():
    prob = GaussianClasses(means=[[0, 0], [2, 0], [0, 2]], covs=np.eye(2), priors=[0.2, 0.3, 0.5])
    X, y = prob.sample(4_000, np.random.default_rng(5))
    res = fit_softmax(X, y, 3)
    sk = LogisticRegression(C=np.inf, solver="lbfgs", tol=1e-12, max_iter=2000).fit(X, y)
    np.testing.assert_allclose(res.predict_proba(X), sk.predict_proba(X), atol=1e-5)
    assert res.converged
    assert res.loss == pytest.approx(categorical_cross_entropy(y, res.logits(X)), rel=1e-12)
    grid = np.random.default_rng(6).normal(size=(3000, 2)) * 2
    exact = fit_softmax(grid, prob.posterior(grid), 3)
    np.testing.assert_allclose(exact.coef, prob.softmax_coefficients(), atol=1e-8)


def test_binary_softmax_equals_logistic(binary_data):
    X, y = binary_data
    soft = fit_softmax(X, 1 - y, 2)     # class 0 = A, class 1 = B is the reference column
    np.testing.assert_allclose(soft.coef[:, 0], fit_logistic(X, y).coef, atol=1e-8)


def test_polynomial_features_give_exact_quadratic_logit():
    prob = GaussianBinary(mean_a=1.0, mean_b=-1.0, cov_a=0.5, cov_b=2.0, prior_a=0.5)
    grid = np.linspace(-6, 6, 1201)
    res = fit_logistic(polynomial_features(grid, 2), prob.posterior_a(grid),
                       weights=prob.marginal_density(grid))
    np.testing.assert_allclose(res.logits(polynomial_features(grid, 2)), prob.log_odds(grid), atol=1e-6)


@pytest.mark.parametrize("call, msg", [
    (lambda: fit_logistic([[0.0], [1.0]], [0, 1, 1]), "y: has 3 rows but X has 2"),
    (lambda: fit_logistic([[np.inf], [1.0]], [0, 1]), "X: contains inf"),
    (lambda: fit_logistic([[0.0], [1.0]], [0, 2]), r"y: probabilities must lie in \[0, 1\]"),
    (lambda: fit_logistic([[0.0], [1.0]], [0, 1], weights=[1.0, 0.0]), "weights: weights must be strictly positive"),
    (lambda: fit_logistic(np.zeros((2, 2, 2)), [0, 1]), "X: expected 1 or 2-D array"),
    (lambda: fit_softmax([[0.0], [1.0]], [0, 3], 3), r"y: labels outside the class set \{0..2\}"),
    (lambda: fit_softmax([[0.0], [1.0]], [0, 1], 1), "n_classes: must be an integer >= 2"),
    (lambda: polynomial_features([[1.0]], 0), "degree: must be an integer >= 1"),
    (lambda: fit_logistic([[0.0]], [1]).logits([[0.0, 1.0]]), "X: expected 1 feature"),
])
def test_bad_input(call, msg):
    with pytest.raises(ValueError, match=msg):
        call()


def test_batch_fit_equals_one_fit_per_replication():
    prob = GaussianBinary(mean_a=[1.0, 0.0], mean_b=[-0.5, 0.5], prior_a=0.3)
    rng = np.random.default_rng(12)
    data = [prob.sample(400, rng) for _ in range(7)]
    X = np.stack([d[0] for d in data])
    y = np.stack([d[1] for d in data])
    batch = fit_logistic_batch(X, y)
    for r in range(7):
        single = fit_logistic(X[r], y[r])
        np.testing.assert_allclose(batch.coef[r], single.coef, atol=1e-8)
        assert batch.loss[r] == pytest.approx(single.loss, rel=1e-12)
    assert batch.converged.all()
    assert batch.logits(X[0]).shape == (7, 400)


def test_batch_bad_input():
    with pytest.raises(ValueError, match="y: expected shape"):
        fit_logistic_batch(np.zeros((2, 5, 1)), np.zeros((2, 4)))
