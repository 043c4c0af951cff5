import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import special
from scipy.optimize import least_squares
from sklearn.linear_model import LogisticRegression
from sklearn.svm import SVC

from softprob import PerfectSeparationError, PerfectSeparationWarning, RankDeficiencyWarning
from softprob.data import GaussianBinary, GaussianClasses
from softprob.fit import (
    FitResult,
    fit_brier,
    fit_hinge,
    fit_logistic,
    fit_logistic_batch,
    fit_softmax,
    polynomial_features,
)
from softprob.losses import binary_cross_entropy, brier_score, categorical_cross_entropy, hinge_loss

from contracts import (
    arbitrary,
    check,
    labels,
    matrices,
    no_nan,
    probs,
    rows,
    separable,
    separable_k,
    vectors,
)


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
    res = fit_logistic(X, y, sample_weight=w)
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
    res = fit_logistic(grid, prob.posterior_a(grid),
                       sample_weight=prob.marginal_density(grid))
    np.testing.assert_allclose(res.coef, prob.logistic_coefficients(), atol=1e-9)


def test_separable_data_raises_instead_of_returning_a_slope():
    # no maximum-likelihood solution exists: the loss tends to 0 as the slope grows
    with pytest.raises(PerfectSeparationError, match="completely separated.*l2="):
        fit_logistic([-2.0, -1.0, 1.0, 2.0], [0, 0, 1, 1])
    with pytest.raises(PerfectSeparationError, match="quasi-completely"):
        fit_logistic([-2.0, -1.0, 0.0, 0.0, 1.0, 2.0], [0, 0, 0, 1, 1, 1])
    with pytest.raises(PerfectSeparationError, match=r"class\(es\) \[0\] never occur"):
        fit_logistic([-2.0, -1.0, 1.0], [1, 1, 1])


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
                       sample_weight=prob.marginal_density(grid))
    np.testing.assert_allclose(res.logits(polynomial_features(grid, 2)), prob.log_odds(grid),
                               atol=1e-6)


@pytest.mark.parametrize("call, msg", [
    (lambda: fit_logistic([[0.0], [1.0]], [0, 1, 1]), "y: has 3 rows but X has 2"),
    (lambda: fit_logistic([[np.inf], [1.0]], [0, 1]), "X: contains inf"),
    (lambda: fit_logistic([[0.0], [1.0]], [0, 2]), r"y: probabilities must lie in \[0, 1\]"),
    (lambda: fit_logistic(np.zeros((2, 2, 2)), [0, 1]), "X: expected 1 or 2-D array"),
    (lambda: fit_softmax([[0.0], [1.0]], [0, 3], 3), r"y: labels outside the class set \{0..2\}"),
    (lambda: fit_softmax([[0.0], [1.0]], [0, 1], 1), "n_classes: must be an integer >= 2"),
    (lambda: polynomial_features([[1.0]], 0), "degree: must be an integer >= 1"),
    (lambda: fit_logistic([[0.0], [1.0], [0.0], [1.0]], [0, 1, 1, 0]).logits([[0.0, 1.0]]),
     "X: expected 1 feature"),
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


# --- the fast engine (softprob._newton, softprob._batch) against a plain dense Newton loop ---

def _dense_newton(X, t, w=None, iters=30):
    """Textbook IRLS on the full design: the reference the block-wise engine must reproduce."""
    Xd = np.hstack([np.ones((len(t), 1)), np.asarray(X).reshape(len(t), -1)])
    w = np.full(len(t), 1.0 / len(t)) if w is None else w / w.sum()
    beta = np.zeros(Xd.shape[1])
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-(Xd @ beta)))
        beta -= np.linalg.solve((Xd * (w * p * (1 - p))[:, None]).T @ Xd, Xd.T @ (w * (p - t)))
    return beta


@pytest.fixture(scope="module")
def large_binary():
    prob = GaussianBinary(mean_a=[0.8, -0.2, 0.4], mean_b=[-0.6, 0.3, 0.0], prior_a=0.3)
    X, y = prob.sample(100_000, np.random.default_rng(21))   # large enough for the subsample start
    return prob, X, y


def test_large_fit_with_subsample_start_equals_dense_newton(large_binary, monkeypatch):
    import softprob._newton as engine
    _, X, y = large_binary
    fast = fit_logistic(X, y)
    np.testing.assert_allclose(fast.coef, _dense_newton(X, y), atol=1e-9)
    assert fast.converged and fast.n_iter <= 4              # the subsample start saves iterations
    monkeypatch.setattr(engine, "_SUBSAMPLE_MIN", 10**9)     # no subsample start: same answer
    slow = fit_logistic(X, y)
    np.testing.assert_allclose(fast.coef, slow.coef, atol=1e-9)
    assert slow.n_iter > fast.n_iter


def test_large_weighted_soft_target_fit(large_binary):
    prob, X, _ = large_binary
    w = np.random.default_rng(3).uniform(0.1, 2.0, len(X))
    eta = prob.posterior_a(X)                                # soft targets: the model is exact
    res = fit_logistic(X, eta, sample_weight=w)
    np.testing.assert_allclose(res.coef, prob.logistic_coefficients(), atol=1e-8)
    y = (np.random.default_rng(4).random(len(X)) < eta).astype(float)
    np.testing.assert_allclose(fit_logistic(X, y, sample_weight=w).coef,
                               _dense_newton(X, y, w), atol=1e-9)


@pytest.mark.parametrize("n", [1, 2, 2047, 2048, 2049, 21845, 21846])
def test_block_boundaries(n):
    # sizes around the block length of the one-pass engine (k = 3: 21845 samples per block)
    X, y = GaussianBinary(mean_a=[1.0, 0.0], mean_b=[0.0, 1.0]).sample(max(n, 30),
                                                                       np.random.default_rng(n))
    X, y = X[:n], y[:n]
    if n <= 2:                        # one or two points in 2-D are always separable
        with pytest.raises(PerfectSeparationError):
            fit_logistic(X, y, max_iter=40)
        return
    res = fit_logistic(X, y, max_iter=40)
    grad = np.hstack([np.ones((n, 1)), X]).T @ (res.predict_proba(X) - y) / n
    assert np.all(np.isfinite(res.coef)) and np.max(np.abs(grad)) == pytest.approx(res.grad_norm,
                                                                                   abs=1e-12)
    assert res.loss == pytest.approx(binary_cross_entropy(y, res.logits(X)), rel=1e-12, abs=1e-15)
    if n > 2000:
        assert res.converged
        np.testing.assert_allclose(res.coef, _dense_newton(X, y), atol=1e-8)


def test_singular_hessian_falls_back_to_least_squares():
    X, y = GaussianBinary(mean_a=[1.0, 0.5], mean_b=[-1.0, 0.0]).sample(2000,
                                                                        np.random.default_rng(8))
    ref = fit_logistic(X, y)
    for Xbad in (np.c_[X, X[:, 0]], np.c_[X, np.ones(len(y))]):   # duplicate / constant column
        with pytest.warns(RankDeficiencyWarning, match="rank 3 < 4 coefficients"):
            res = fit_logistic(Xbad, y)
        assert res.converged
        np.testing.assert_allclose(res.logits(Xbad), ref.logits(X), atol=1e-8)
        unique = fit_logistic(Xbad, y, l2=1e-6)     # a penalty makes the minimiser unique
        np.testing.assert_allclose(unique.logits(Xbad), ref.logits(X), atol=1e-3)
    with pytest.warns(RankDeficiencyWarning, match=r"replications \[0, 1, 2\].*rank 3 < 4"):
        batch = fit_logistic_batch(np.stack([np.c_[X, X[:, 0]]] * 3), np.stack([y] * 3))
    assert batch.converged.all()
    np.testing.assert_allclose(batch.logits(np.c_[X, X[:, 0]]), np.stack([ref.logits(X)] * 3),
                               atol=1e-8)


def test_badly_scaled_features_still_converge():
    X, y = GaussianBinary(mean_a=[1.0, 0.5], mean_b=[-1.0, 0.0]).sample(3000,
                                                                        np.random.default_rng(9))
    scale = np.array([1e4, 1e-4])
    res, ref = fit_logistic(X * scale, y), fit_logistic(X, y)
    assert res.converged
    np.testing.assert_allclose(res.coef * np.r_[1.0, scale], ref.coef, rtol=1e-7)


def test_extreme_logits_stay_finite():
    x = np.linspace(-1, 1, 101) * 1e4                   # logits of order 1e4 from the first step
    y = (x > 0).astype(float)
    with np.errstate(over="raise", invalid="raise", divide="raise"):   # underflow of exp is fine
        with pytest.raises(PerfectSeparationError, match="completely separated"):
            fit_logistic(x, y)
        res = fit_logistic(x, y, l2=1e-3)              # MAP: exists, finite
    assert np.isfinite(res.loss) and res.converged and res.coef[1] > 0


def test_batch_with_mixed_convergence_and_many_groups(monkeypatch):
    import softprob._newton_batch as batch_engine
    monkeypatch.setattr(batch_engine, "_GROUP_BYTES", 50_000)    # force several groups
    prob = GaussianBinary(mean_a=[1.0, 0.0], mean_b=[-0.5, 0.5], prior_a=0.3)
    rng = np.random.default_rng(13)
    data = [prob.sample(300, rng) for _ in range(9)]
    X = np.stack([d[0] for d in data])
    y = np.stack([d[1] for d in data]).astype(float)
    y[4] = (X[4, :, 0] > 0)                               # a separable replication: slow, diverging
    y[7] = prob.posterior_a(X[7])                          # soft targets
    with pytest.warns(PerfectSeparationWarning, match=r"1 of 9 replications \(\[4\]\)"):
        batch = fit_logistic_batch(X, y)
    for r in [0, 1, 2, 3, 5, 6, 7, 8]:
        single = fit_logistic(X[r], y[r])
        np.testing.assert_allclose(batch.coef[r], single.coef, rtol=1e-8, atol=1e-8)
        assert batch.loss[r] == pytest.approx(single.loss, rel=1e-10, abs=1e-15)
    # no maximum-likelihood solution for replication 4: reported, not returned as a number
    assert batch.separated.tolist() == [r == 4 for r in range(9)]
    assert np.all(np.isnan(batch.coef[4])) and np.isnan(batch.loss[4]) and not batch.converged[4]
    assert batch.converged[~batch.separated].all()
    with pytest.raises(PerfectSeparationError):
        fit_logistic(X[4], y[4])


def test_softmax_large_weighted_matches_sklearn():
    prob = GaussianClasses(means=[[0, 0], [1.5, 0], [0, 1.5], [1, 1]], covs=np.eye(2),
                           priors=[0.1, 0.2, 0.3, 0.4])
    X, y = prob.sample(100_000, np.random.default_rng(17))
    w = np.random.default_rng(18).uniform(0.5, 1.5, len(y))
    res = fit_softmax(X, y, 4, sample_weight=w)
    sk = LogisticRegression(C=np.inf, solver="newton-cholesky", tol=1e-12, max_iter=100)
    sk.fit(X, y, sample_weight=w)
    np.testing.assert_allclose(res.predict_proba(X), sk.predict_proba(X), atol=1e-8)
    assert res.converged and res.n_iter <= 4
    assert res.loss == pytest.approx(categorical_cross_entropy(y, res.logits(X),
                                                               sample_weight=w), rel=1e-12)
    exact = fit_softmax(X, prob.posterior(X), 4)
    np.testing.assert_allclose(exact.coef, prob.softmax_coefficients(), atol=1e-8)


def test_damped_newton_backtracks_when_the_full_step_overshoots():
    import softprob._newton as engine
    # f(b) = sqrt(1 + b^2) is convex, but the full Newton step from b maps it to -b^3
    losses = []

    def pass_at(b):
        losses.append(float(np.sqrt(1 + b[0] ** 2)))
        return losses[-1], b / np.sqrt(1 + b**2), np.array([[(1 + b[0] ** 2) ** -1.5]])

    theta, n_iter, grad_norm, loss, _, _ = engine.newton(pass_at, np.array([3.0]), 1e-12, 100)
    assert abs(theta[0]) < 1e-12 and grad_norm < 1e-12 and loss == 1.0
    assert len(losses) > n_iter + 1                          # some candidate steps were rejected
    assert losses[-1] == min(losses)


def test_batch_line_search_matches_single_fits(monkeypatch):
    import softprob._newton as engine
    rng = np.random.default_rng(907)           # a (not separated) case whose full step overshoots
    n, d = int(rng.integers(20, 80)), int(rng.integers(1, 3))
    x = rng.standard_cauchy(size=(n, d))
    y = (rng.random(n) < 1 / (1 + np.exp(-3 * np.tanh(x[:, 0])))).astype(float)
    passes, real_pass = [], engine.logistic_pass
    monkeypatch.setattr(engine, "logistic_pass", lambda *a: passes.append(1) or real_pass(*a))
    single = fit_logistic(x, y)
    assert single.converged and len(passes) > single.n_iter + 1   # a step was rejected
    other = rng.standard_normal((n, d))
    batch = fit_logistic_batch(np.stack([other, x, other]), np.stack([y[::-1], y, y]))  # no pilot
    assert batch.n_iter[1] == single.n_iter
    np.testing.assert_allclose(batch.coef[1], single.coef, rtol=1e-8, atol=1e-10)
    for r, (xr, yr) in zip([0, 2], [(other, y[::-1]), (other, y)]):
        np.testing.assert_allclose(batch.coef[r], fit_logistic(xr, yr).coef, rtol=1e-8, atol=1e-10)


def test_batch_pilot_start_is_kept_only_where_it_helps(monkeypatch):
    import softprob._newton_batch as batch_engine
    rng = np.random.default_rng(31)
    slopes = [3.0, 3.0, -3.0, 0.0, 3.0, -1.0]          # replication 0 gives the pilot start
    X = rng.normal(size=(6, 500, 1))
    y = (rng.random((6, 500)) < 1 / (1 + np.exp(-np.array(slopes)[:, None] * X[:, :, 0] + 1))) * 1.0
    starts = []
    real = batch_engine._pass
    monkeypatch.setattr(batch_engine, "_pass",
                        lambda xt, g, b, w, pen: starts.append(b.copy()) or real(xt, g, b, w, pen))
    batch = fit_logistic_batch(X, y)
    assert np.allclose(starts[0], starts[0][0])           # everyone first tries the pilot ...
    assert len(starts[1]) == 3                            # ... slopes -3, 0, -1 go back to theirs
    for r in range(6):
        np.testing.assert_allclose(batch.coef[r], fit_logistic(X[r], y[r]).coef, rtol=1e-8,
                                   atol=1e-10)


def test_batch_of_long_samples_uses_the_single_engine():
    prob = GaussianBinary(mean_a=[0.5], mean_b=[-0.5])
    rng = np.random.default_rng(41)
    data = [prob.sample(60_000, rng) for _ in range(2)]
    X, y = np.stack([d[0] for d in data]), np.stack([d[1] for d in data])
    batch = fit_logistic_batch(X, y)
    for r in range(2):
        single = fit_logistic(X[r], y[r])
        np.testing.assert_allclose(batch.coef[r], single.coef, atol=1e-12)
        assert batch.n_iter[r] == single.n_iter and batch.loss[r] == single.loss


# --- Brier and hinge fits (were softprob.scoring) ---

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
    res = fit_brier(feats, prob.posterior_a(grid),
                    sample_weight=prob.marginal_density(grid))
    np.testing.assert_allclose(res.logits(feats), prob.log_odds(grid), atol=1e-6)


def test_brier_and_log_loss_differ_on_a_misspecified_model():
    prob = GaussianBinary(mean_a=1.0, mean_b=-1.0, cov_a=0.5, cov_b=2.0, prior_a=0.3)
    grid = np.linspace(-7, 7, 1401)
    eta, w = prob.posterior_a(grid), prob.marginal_density(grid)
    brier, log = fit_brier(grid, eta, sample_weight=w), fit_logistic(grid, eta, sample_weight=w)
    assert np.max(np.abs(brier.coef - log.coef)) > 1e-2


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
                     sample_weight=np.r_[eta, 1 - eta])
    assert soft.loss == pytest.approx(hard.loss, abs=1e-9)


def test_hinge_population_minimiser_is_the_sign_when_the_class_allows_it():
    # a score that can take the values of sign(2 eta - 1) reaches it: one-hot features
    eta = np.array([0.1, 0.4, 0.6, 0.95])
    onehot = np.eye(4)
    res = fit_hinge(onehot, eta, sample_weight=[0.1, 0.2, 0.3, 0.4],
                    fit_intercept=False)
    np.testing.assert_allclose(res.scores(onehot), np.sign(2 * eta - 1), atol=1e-9)
    w = np.array([0.1, 0.2, 0.3, 0.4])
    assert res.loss == pytest.approx(np.sum(w * 2 * np.minimum(eta, 1 - eta)))


def test_hinge_fit_has_no_probability_method(data):
    assert not hasattr(fit_hinge(*data), "predict_proba")


@pytest.mark.parametrize("call, msg", [
    (lambda: fit_brier([[0.0], [1.0]], [0, 1, 1]), "y: has 3 rows but X has 2"),
    (lambda: fit_brier([[0.0], [1.0]], [0, 2]), r"y: probabilities must lie in \[0, 1\]"),
    (lambda: fit_brier([[0.0], [1.0]], [0, 1], max_iter=0), "max_iter: must be an integer >= 1"),
    (lambda: fit_hinge([[np.nan], [1.0]], [0, 1]), "X: contains NaN"),
    (lambda: fit_hinge([[0.0], [1.0]], [0, 1], sample_weight=[1.0, -1.0]),
     "sample_weight: weights must be >= 0"),
    (lambda: fit_hinge([[0.0], [1.0]], [0, 1]).scores([[0.0, 1.0]]), "X: expected 1 feature"),
])
def test_bad_input_brier_hinge(call, msg):
    with pytest.raises(ValueError, match=msg):
        call()


# --- L2 penalty (MAP) and the existence of the estimate ---

@pytest.mark.parametrize("l2", [1e-3, 0.1])
def test_l2_logistic_matches_sklearn(binary_data, l2):
    X, y = binary_data
    w = np.random.default_rng(2).uniform(0.5, 2.0, len(y))
    res = fit_logistic(X, y, sample_weight=w, l2=l2)
    # sklearn: 0.5 |coef|^2 + C sum_i s_i loss_i  ==  n C (mean_w loss + |coef|^2 / (2 n C))
    sk = LogisticRegression(C=1.0 / (len(y) * l2), solver="newton-cholesky", tol=1e-12,
                            max_iter=200).fit(X, y, sample_weight=w * len(y) / w.sum())
    np.testing.assert_allclose(res.coef, np.r_[sk.intercept_, sk.coef_.ravel()], atol=1e-7)
    penalty = 0.5 * l2 * res.coef[1:] @ res.coef[1:]
    assert res.loss == pytest.approx(binary_cross_entropy(y, res.logits(X), sample_weight=w)
                                     + penalty, rel=1e-12)


def test_l2_fits_exist_on_separated_data_and_the_batch_agrees():
    x = np.array([-2.0, -1.0, 1.0, 2.0])
    y = np.array([0, 0, 1, 1])
    res = fit_logistic(x, y, l2=0.5)
    assert res.converged and np.all(np.isfinite(res.coef)) and res.coef[1] > 0
    batch = fit_logistic_batch(np.stack([x, x[::-1]]), np.stack([y, y]), l2=0.5)
    np.testing.assert_allclose(batch.coef[0], res.coef, atol=1e-9)
    assert not batch.separated.any() and batch.converged.all()
    with pytest.raises(PerfectSeparationError, match="never occur"):   # intercept not penalised
        fit_logistic(x, np.ones(4), l2=0.5)
    assert fit_logistic(x, np.ones(4), l2=0.5, fit_intercept=False).converged


def test_l2_softmax_has_zero_penalised_gradient():
    prob = GaussianClasses(means=[[0, 0], [2, 0], [0, 2]], covs=np.eye(2), priors=[0.2, 0.3, 0.5])
    X, y = prob.sample(2000, np.random.default_rng(3))
    l2 = 0.05
    res = fit_softmax(X, y, 3, l2=l2)
    Xd = np.c_[np.ones(len(y)), X]
    grad = Xd.T @ (res.predict_proba(X) - np.eye(3)[y]) / len(y)
    grad[1:] += l2 * res.coef[1:]
    assert res.converged and np.max(np.abs(grad[:, :2])) < 1e-10
    assert res.loss == pytest.approx(categorical_cross_entropy(y, res.logits(X))
                                     + 0.5 * l2 * np.sum(res.coef[1:] ** 2), rel=1e-12)


def test_softmax_separation_and_absent_classes_raise():
    x = np.array([0.0, 0.0, 1.0, 1.0, 2.0, 2.0])
    with pytest.raises(PerfectSeparationError, match="completely separated"):
        fit_softmax(x, [0, 0, 1, 1, 2, 2], 3)
    with pytest.raises(PerfectSeparationError, match=r"class\(es\) \[2\] never occur"):
        fit_softmax(x, [0, 1, 0, 1, 0, 1], 3)
    assert fit_softmax(x, [0, 0, 1, 1, 2, 2], 3, l2=0.1).converged
    with pytest.raises(PerfectSeparationError, match="quasi-completely"):   # x = 1 ties 1 and 2
        fit_softmax(x, [0, 0, 1, 2, 2, 2], 3)
    soft = np.array([[1.0, 0, 0], [1, 0, 0], [0, 0.5, 0.5], [0, 0.5, 0.5], [0, 0, 1], [0, 0, 1]])
    with pytest.raises(PerfectSeparationError):
        fit_softmax(x, soft, 3)


def test_brier_fit_raises_on_separated_data():
    with pytest.raises(PerfectSeparationError, match="Brier-score"):
        fit_brier([-2.0, -1.0, 1.0, 2.0], [0, 0, 1, 1])


def test_certificate_never_contradicts_the_linear_programme(monkeypatch):
    # on random (non-)separable data the fast certificate and the exact LP agree
    import softprob._existence as exist
    rng = np.random.default_rng(5)
    for trial in range(40):
        n, d = int(rng.integers(5, 60)), int(rng.integers(1, 4))
        x = rng.normal(size=(n, d))
        y = (x[:, 0] + rng.normal(scale=rng.choice([0.01, 0.3, 3.0]), size=n) > 0).astype(float)
        outcomes = []
        for force_lp in (False, True):
            if force_lp:
                monkeypatch.setattr(exist, "certified", lambda *a: np.bool_(False))
            try:
                outcomes.append(tuple(fit_logistic(x, y).coef.round(6)))
            except PerfectSeparationError:
                outcomes.append("separated")
        monkeypatch.undo()
        assert outcomes[0] == outcomes[1], trial


# --- contracts: a fit returns a correct estimate, or says it does not exist ---

FIT_NAMES = {"X", "y", "sample_weight", "l2", "fit_intercept", "tol", "max_iter", "n_classes"}


@st.composite
def binary_fit_data(draw, soft=True):
    """Small designs with labels that are random, separated by construction, one class, or soft."""
    n, d = draw(st.integers(1, 30)), draw(st.integers(1, 3))
    x = draw(matrices(n, d, st.one_of(st.floats(-10, 10), st.sampled_from([0.0, 1.0, -1.0]))))
    scale = draw(st.sampled_from([1.0, 1e-6, 1e6, 1e90]))
    kind = draw(st.sampled_from(["random", "separated", "one class", "soft"] if soft else
                                ["random", "separated", "one class"]))
    if kind == "random":
        y = draw(hnp.arrays(np.float64, n, elements=st.sampled_from([0.0, 1.0])))
    elif kind == "separated":
        y = (x[:, 0] > np.median(x[:, 0])).astype(float)
    elif kind == "one class":
        y = np.full(n, float(draw(st.integers(0, 1))))
    else:
        y = draw(probs(n))
    return x * scale, y


def _gradient_ok(x, y, w, res, l2):
    """The returned coefficients make the (penalised) gradient small, computed independently."""
    design = np.c_[np.ones(len(y)), x] if res.fit_intercept else x
    wn = np.full(len(y), 1 / len(y)) if w is None else w / w.sum()
    grad = design.T @ (wn * (special.expit(design @ res.coef) - y))
    pen = l2 * res.coef
    if res.fit_intercept:
        pen[0] = 0.0
    scale = np.abs(design).T @ wn                 # rounding in the gradient is relative to this
    return np.all(np.abs(grad + pen) <= 1e-9 + 1e-9 * scale)


@pytest.mark.contract
@given(data=st.data())
def test_contract_fit_logistic(data):
    if data.draw(st.booleans()):
        x, y = data.draw(binary_fit_data())
        w = data.draw(st.none() | vectors(len(y), st.sampled_from([0.0, 0.5, 1.0, 3.0])))
        w = None if w is not None and not w.any() else w
        l2 = data.draw(st.sampled_from([0.0, 0.0, 1e-3, 1.0]))
        res, err = check(fit_logistic, x, y, sample_weight=w, l2=l2, names=FIT_NAMES)
        keep = slice(None) if w is None else w > 0
        one_class = np.all(y[keep] == 1) or np.all(y[keep] == 0)
        if isinstance(err, PerfectSeparationError):
            assert one_class or (l2 == 0 and separable(x[keep], y[keep]))
        elif err is None:
            assert not one_class and (l2 > 0 or not separable(x[keep], y[keep]))
            no_nan(res)
            assert np.all(np.isfinite(res.coef)) and np.isfinite(res.loss)
            if res.converged:
                assert _gradient_ok(x, y, w, res, l2)
        else:
            assert str(err).startswith("X: values beyond")
    else:
        kw = data.draw(st.fixed_dictionaries({}, optional={
            "sample_weight": arbitrary(1), "l2": arbitrary(0), "fit_intercept": arbitrary(0),
            "tol": arbitrary(0), "max_iter": arbitrary(0)}))
        res, _ = check(fit_logistic, data.draw(arbitrary(2)), data.draw(arbitrary(1)),
                       names=FIT_NAMES, **kw)
        no_nan(res)


@pytest.mark.contract
@given(data=st.data())
def test_contract_fit_logistic_batch(data):
    if data.draw(st.booleans()):
        reps = [data.draw(binary_fit_data()) for _ in range(data.draw(st.integers(1, 5)))]
        n, d = len(reps[0][1]), reps[0][0].shape[1]
        reps = [r for r in reps if r[0].shape == (n, d)]
        x, y = np.stack([r[0] for r in reps]), np.stack([r[1] for r in reps])
        l2 = data.draw(st.sampled_from([0.0, 0.0, 1e-2]))
        res, err = check(fit_logistic_batch, x, y, l2=l2, names=FIT_NAMES)
        if err is not None:
            assert str(err).startswith("X: values beyond")
            return
        for r in range(len(reps)):
            one_class = np.all(y[r] == 1) or np.all(y[r] == 0)
            expect = one_class or (l2 == 0 and separable(x[r], y[r]))
            assert res.separated[r] == expect
            if not expect:
                no_nan(res.coef[r], res.loss[r])
                if res.converged[r]:
                    one = FitResult(res.coef[r], True, 0, 0.0, True, 0.0)
                    assert _gradient_ok(x[r], y[r], None, one, l2)
            else:
                assert np.all(np.isnan(res.coef[r])) and not res.converged[r]
    else:
        res, _ = check(fit_logistic_batch, data.draw(arbitrary(3)), data.draw(arbitrary(2)),
                       l2=data.draw(st.sampled_from([0.0, -1.0, np.nan, "a"])), names=FIT_NAMES)
        if res is not None:
            no_nan(res.coef[~res.separated])


@pytest.mark.contract
@given(data=st.data())
def test_contract_fit_softmax(data):
    if data.draw(st.booleans()):
        n, d, k = data.draw(st.integers(1, 25)), data.draw(st.integers(1, 2)), \
            data.draw(st.integers(2, 4))
        x = data.draw(matrices(n, d, st.one_of(st.floats(-10, 10), st.sampled_from([0.0, 1.0]))))
        y = data.draw(labels(n, k) | rows(n, k, float32=False))
        l2 = data.draw(st.sampled_from([0.0, 0.0, 1e-2]))
        res, err = check(fit_softmax, x, y, k, l2=l2, names=FIT_NAMES)
        t = np.eye(k)[y] if y.ndim == 1 else y
        absent = not np.all(t.sum(axis=0) > 0)
        if isinstance(err, PerfectSeparationError):
            assert absent or (l2 == 0 and separable_k(x, t))
        else:
            assert err is None and not absent and (l2 > 0 or not separable_k(x, t))
            no_nan(res)
            assert np.all(np.isfinite(res.predict_proba(x)))
    else:
        res, _ = check(fit_softmax, data.draw(arbitrary(2)), data.draw(arbitrary(2)),
                       data.draw(st.one_of(st.integers(-1, 4), arbitrary(0))), names=FIT_NAMES)
        no_nan(res)


@pytest.mark.contract
@given(data=st.data())
def test_contract_fit_brier_and_hinge(data):
    if data.draw(st.booleans()):
        x, y = data.draw(binary_fit_data())
        x = x / max(1.0, np.max(np.abs(x)))
        res, err = check(fit_brier, x, y, names=FIT_NAMES)
        one_class = np.all(y == 1) or np.all(y == 0)
        if isinstance(err, PerfectSeparationError):
            assert one_class or separable(x, y)
        else:
            assert err is None and not one_class and not separable(x, y)
            no_nan(res)
        hinge, err = check(fit_hinge, x, y, names=FIT_NAMES)
        assert err is None and hinge.converged and np.isfinite(hinge.loss)
        assert hinge.loss == pytest.approx(hinge_loss(y, hinge.scores(x)), rel=1e-9, abs=1e-9)
    else:
        args = data.draw(arbitrary(2)), data.draw(arbitrary(1))
        for fn in (fit_brier, fit_hinge):
            res, _ = check(fn, *args, names=FIT_NAMES)
            no_nan(res)


@pytest.mark.contract
@given(data=st.data())
def test_contract_polynomial_features_and_result_methods(data):
    x = data.draw(arbitrary(2))
    degree = data.draw(st.one_of(st.integers(-1, 3), arbitrary(0)))
    out, err = check(polynomial_features, x, degree, names={"X", "degree"})
    if err is None:
        no_nan(out)
    res = fit_logistic([0.0, 1.0, 0.0, 1.0], [0, 0, 1, 1])
    batch = fit_logistic_batch([[0.0, 1.0, 0.0, 1.0]] * 2, [[0, 0, 1, 1]] * 2)
    hinge = fit_hinge([0.0, 1.0, 0.0, 1.0], [0, 0, 1, 1])
    for method in (res.logits, res.predict_proba, batch.logits, hinge.scores):
        out, _ = check(method, data.draw(arbitrary(2)), names={"X"})
        no_nan(out)
