import numpy as np
import pytest
from scipy.optimize import least_squares
from sklearn.svm import SVC

from softprob.data import GaussianBinary
from softprob.fit import fit_logistic, polynomial_features
from softprob.losses import brier_score, hinge_loss
from softprob.scoring import fit_brier, fit_hinge


@pytest.fixture(scope="module")
def data():
    prob = GaussianBinary(mean_a=[1.0, 0.3], mean_b=[-0.5, 0.0], prior_a=0.4)
    return prob.sample(400, np.random.default_rng(1))


def test_brier_fit_matches_scipy_least_squares(data):
    X, y = data
    res = fit_brier(X, y)
    Xd = np.hstack([np.ones((len(y), 1)), X])
    ref = least_squares(lambda b: 1 / (1 + np.exp(-Xd @ b)) - y, np.zeros(3), xtol=1e-15,
                        ftol=1e-15, gtol=1e-15)
    assert res.converged and res.grad_norm < 1e-10
    np.testing.assert_allclose(res.coef, ref.x, atol=1e-6)
    assert res.loss == pytest.approx(brier_score(y, res.predict_proba(X)), rel=1e-12)


def test_brier_with_soft_targets_recovers_the_exact_posterior():
    # the Brier score is strictly proper: with the true posterior as target and a
    # model class that contains it, the population minimiser is the posterior
    prob = GaussianBinary(mean_a=1.0, mean_b=-1.0, cov_a=0.5, cov_b=2.0, prior_a=0.3)
    grid = np.linspace(-7, 7, 1401)
    feats = polynomial_features(grid, 2)
    res = fit_brier(feats, prob.posterior_a(grid), weights=prob.marginal_density(grid))
    np.testing.assert_allclose(res.logits(feats), prob.log_odds(grid), atol=1e-6)


def test_brier_and_log_loss_differ_on_a_misspecified_model():
    prob = GaussianBinary(mean_a=1.0, mean_b=-1.0, cov_a=0.5, cov_b=2.0, prior_a=0.3)
    grid = np.linspace(-7, 7, 1401)
    eta, w = prob.posterior_a(grid), prob.marginal_density(grid)
    assert np.max(np.abs(fit_brier(grid, eta, w).coef - fit_logistic(grid, eta, w).coef)) > 1e-2


def test_hinge_fit_matches_libsvm_with_a_large_cost(data):
    X, y = data
    res = fit_hinge(X, y)
    C, n = 100.0, len(y)
    svc = SVC(kernel="linear", C=C, tol=1e-8).fit(X, y)
    svc_loss = hinge_loss(y, svc.decision_function(X))
    assert res.converged and res.loss == pytest.approx(hinge_loss(y, res.scores(X)), rel=1e-12)
    # res is the exact minimum; the SVC optimum can exceed it by at most |w|^2 / (2 C n)
    assert res.loss <= svc_loss + 1e-12
    assert svc_loss - res.loss <= res.coef[1:] @ res.coef[1:] / (2 * C * n) + 1e-9
    np.testing.assert_allclose(res.coef, np.r_[svc.intercept_, svc.coef_.ravel()], atol=1e-3)


def test_hinge_soft_targets_equal_duplicated_hard_labels(data):
    X, _ = data
    eta = np.linspace(0.05, 0.95, len(X))
    soft = fit_hinge(X, eta)
    hard = fit_hinge(np.vstack([X, X]), np.r_[np.ones(len(X)), np.zeros(len(X))],
                     weights=np.r_[eta, 1 - eta])
    assert soft.loss == pytest.approx(hard.loss, abs=1e-9)


def test_hinge_population_minimiser_is_the_sign_when_the_class_allows_it():
    # a score that can take the values of sign(2 eta - 1) reaches it: one-hot features
    eta = np.array([0.1, 0.4, 0.6, 0.95])
    onehot = np.eye(4)
    res = fit_hinge(onehot, eta, weights=[0.1, 0.2, 0.3, 0.4], fit_intercept=False)
    np.testing.assert_allclose(res.scores(onehot), np.sign(2 * eta - 1), atol=1e-9)
    assert res.loss == pytest.approx(np.sum(np.array([0.1, 0.2, 0.3, 0.4]) * 2 * np.minimum(eta, 1 - eta)))


def test_hinge_fit_has_no_probability_method(data):
    assert not hasattr(fit_hinge(*data), "predict_proba")


@pytest.mark.parametrize("call, msg", [
    (lambda: fit_brier([[0.0], [1.0]], [0, 1, 1]), "y: has 3 rows but X has 2"),
    (lambda: fit_brier([[0.0], [1.0]], [0, 2]), r"y: probabilities must lie in \[0, 1\]"),
    (lambda: fit_brier([[0.0], [1.0]], [0, 1], max_iter=0), "max_iter: must be an integer >= 1"),
    (lambda: fit_hinge([[np.nan], [1.0]], [0, 1]), "X: contains NaN"),
    (lambda: fit_hinge([[0.0], [1.0]], [0, 1], weights=[1.0, -1.0]), "weights: weights must be strictly positive"),
    (lambda: fit_hinge([[0.0], [1.0]], [0, 1]).scores([[0.0, 1.0]]), "X: expected 1 feature"),
])
def test_bad_input(call, msg):
    with pytest.raises(ValueError, match=msg):
        call()
