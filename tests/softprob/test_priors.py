import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import special

from softprob.activations import sigmoid, softmax
from softprob.data import GaussianBinary, GaussianClasses
from softprob.fit import fit_logistic
from softprob.priors import (
    density_ratio_from_logits,
    estimate_target_prior,
    shift_logits,
    shift_probabilities,
    shifted_fit_covariance,
)

from contracts import arbitrary, check, floats, matrices, no_nan, probs, rows, sizes, vectors


def test_shift_logit_is_bayes_rule_for_a_prior_change():
    prob = GaussianBinary(mean_a=[1.0, -0.5], mean_b=[0.0, 0.5], cov_a=np.diag([1.0, 2.0]),
                          cov_b=np.eye(2), prior_a=0.5)
    x = np.random.default_rng(0).normal(size=(40, 2))
    for target in (0.01, 0.3, 0.97):
        np.testing.assert_allclose(shift_logits(prob.log_odds(x), 0.5, target),
                                   prob.with_prior_a(target).log_odds(x), atol=1e-10)


def test_density_ratio_from_logit():
    prob = GaussianBinary(mean_a=0.5, mean_b=-0.5, cov_a=1.0, cov_b=2.0, prior_a=0.2)
    x = np.linspace(-4, 4, 17)
    np.testing.assert_allclose(density_ratio_from_logits(prob.log_odds(x), 0.2),
                               prob.density_ratio(x), rtol=1e-10)


def test_extreme_logits_stay_finite():
    assert np.isfinite(shift_logits([1e4, -1e4], 0.5, 0.999)).all()


@pytest.mark.parametrize("call, msg", [
    (lambda: shift_logits([0.0], 0.0, 0.5),
     "prior_from: a class prior must lie strictly between 0 and 1"),
    (lambda: shift_logits([0.0], 0.5, 1.5), "prior_to: a class prior"),
    (lambda: shift_logits([np.nan], 0.5, 0.5), "logits: contains NaN"),
    (lambda: density_ratio_from_logits([0.0], float("nan")), "prior_a: a class prior"),
])
def test_bad_input(call, msg):
    with pytest.raises(ValueError, match=msg):
        call()


# --- EM estimate of an unknown target prior (Saerens, Latinne & Decaestecker, 2002) ---

GRID = np.linspace(-15.0, 15.0, 6001)


def _mixture_se(train: GaussianBinary, target_prior: float, n: int) -> float:
    """CLT standard error of the mixture-weight MLE: 1 / sqrt(n * Fisher information)."""
    dens = np.exp(train.class_log_density(GRID))               # columns p(x|B), p(x|A)
    mix = target_prior * dens[:, 1] + (1 - target_prior) * dens[:, 0]
    score_sq = (dens[:, 1] - dens[:, 0]) ** 2 / mix             # (d/dpi log p(x))^2 * p(x)
    info = np.sum(score_sq) * (GRID[1] - GRID[0])
    return 1.0 / np.sqrt(n * info)


@pytest.mark.parametrize("train_prior, target_prior", [(0.5, 0.1), (0.3, 0.5), (0.5, 0.85), (0.9,
                                                                                             0.2)])
def test_em_recovers_a_known_prior_within_clt_tolerance(train_prior, target_prior):
    train = GaussianBinary(mean_a=1.0, mean_b=-1.0, prior_a=train_prior)
    n = 5000
    x, _ = train.with_prior_a(target_prior).sample(n, np.random.default_rng(11))
    res = estimate_target_prior(train_prior, logits=train.log_odds(x))
    assert res.converged
    assert abs(res.prior - target_prior) < 4 * _mixture_se(train, target_prior, n)


def test_corrected_posteriors_are_the_logit_shift_and_a_fixed_point():
    train = GaussianBinary(mean_a=0.5, mean_b=-0.5, prior_a=0.4)
    x, _ = train.with_prior_a(0.7).sample(3000, np.random.default_rng(2))
    z = train.log_odds(x)
    res = estimate_target_prior(0.4, logits=z)
    np.testing.assert_allclose(res.posteriors, 1 / (1 + np.exp(-shift_logits(z, 0.4,
                                                                             res.prior))),
                               atol=1e-12)
    assert abs(res.prior - res.posteriors.mean()) < 1e-9          # M-step fixed point
    same = estimate_target_prior(0.4, 1 / (1 + np.exp(-z)))       # probabilities instead of logits
    assert abs(same.prior - res.prior) < 1e-9


def test_em_increases_the_unlabelled_likelihood():
    train = GaussianBinary(mean_a=1.0, mean_b=-1.0, prior_a=0.5)
    x, _ = train.with_prior_a(0.2).sample(2000, np.random.default_rng(5))
    lik = [np.mean(np.log(train.with_prior_a(estimate_target_prior(0.5, logits=train.log_odds(x),
                                                                   max_iter=m).prior)
                          .marginal_density(x))) for m in (1, 2, 4, 8, 16)]
    assert np.all(np.diff(lik) >= -1e-12)


def test_em_k_classes_recovers_label_frequencies_when_classes_are_separated():
    # means 12 standard deviations apart: a sample's posterior puts mass < 1e-10 on a wrong
    # class unless it lies > 4 sd from its mean (chance ~1e-4 in 3000 draws), so the EM
    # estimate must equal the observed class frequencies of the (hidden) labels
    train = GaussianClasses(means=[[0.0], [12.0], [24.0]], covs=[[1.0]], priors=[1 / 3] * 3)
    target = train.with_priors([0.6, 0.3, 0.1])
    x, y = target.sample(3000, np.random.default_rng(3))
    res = estimate_target_prior(train.priors, train.posterior(x))
    assert res.converged and res.posteriors.shape == (3000, 3)
    np.testing.assert_allclose(res.prior, np.bincount(y, minlength=3) / 3000, atol=1e-6)


def test_em_reports_non_convergence():
    train = GaussianBinary(mean_a=0.2, mean_b=-0.2, prior_a=0.5)
    x, _ = train.with_prior_a(0.9).sample(500, np.random.default_rng(0))
    res = estimate_target_prior(0.5, logits=train.log_odds(x), max_iter=1)
    assert res.n_iter == 1 and not res.converged


@given(arrays(np.float64, st.integers(1, 30), elements=st.floats(-10, 10)),
       st.floats(0.05, 0.95))
def test_em_output_is_a_distribution_and_a_fixed_point(z, train_prior):
    res = estimate_target_prior(train_prior, logits=z, max_iter=2000)
    assert 0.0 <= res.prior <= 1.0
    assert np.all((res.posteriors >= 0) & (res.posteriors <= 1))
    if res.converged:
        assert abs(res.prior - res.posteriors.mean()) < 1e-8


@pytest.mark.parametrize("call, msg", [
    (lambda: estimate_target_prior(0.5), "y_prob: give exactly one"),
    (lambda: estimate_target_prior(0.5, [0.5], logits=[0.0]), "y_prob: give exactly one"),
    (lambda: estimate_target_prior(0.5, [1.2]), "y_prob: probabilities must lie in"),
    (lambda: estimate_target_prior([0.5, 0.5], [[0.2, 0.7]]), "y_prob: each row must sum to 1"),
    (lambda: estimate_target_prior(1.0, logits=[0.0]), "train_prior: a class prior"),
    (lambda: estimate_target_prior([0.5, 0.5], [[0.2, 0.3, 0.5]]),
     "train_prior: need 3 class priors"),
    (lambda: estimate_target_prior(0.5, logits=[np.inf]), "logits: contains inf"),
    (lambda: estimate_target_prior(0.5, logits=[0.0], tol=0.0), "tol: must be a finite number"),
    (lambda: estimate_target_prior(0.5, logits=[0.0], max_iter=0), "max_iter: must be an integer"),
])
def test_em_bad_input(call, msg):
    with pytest.raises(ValueError, match=msg):
        call()


# --- sampling covariance of "average per class, then shift the logit" ---

def test_shifted_fit_covariance_intercept_only_is_the_delta_method():
    # intercept only: the balanced fit is exactly 0, so the estimate is logit(N_A / N)
    for pi in (0.05, 0.5, 0.8):
        cov = shifted_fit_covariance(np.ones((3, 1)), [1, 2, 1], [2, 1, 1], pi, [0.0])
        np.testing.assert_allclose(cov, [[1 / (pi * (1 - pi))]], rtol=1e-12)


def test_shifted_fit_covariance_matches_simulation():
    # at a 19:1 imbalance the sandwich differs clearly from the plain fit's inverse Fisher
    # information: the statistic below averages about 2.0 with it and about 3.0 with the latter
    prob = GaussianBinary(mean_a=1.0, mean_b=-1.0, prior_a=0.05)
    design = np.stack([np.ones_like(GRID), GRID], axis=1)
    dens = np.exp(prob.class_log_density(GRID))
    theta_bal = prob.with_prior_a(0.5).logistic_coefficients()
    sigma = shifted_fit_covariance(design, dens[:, 1], dens[:, 0], 0.05, theta_bal)
    n, reps, rng = 4000, 300, np.random.default_rng(8)
    quad = []                           # N * delta' Sigma^{-1} delta ~ chi^2_2 asymptotically
    for _ in range(reps):
        x, y = prob.sample(n, rng)
        n_a = y.sum()
        fit = fit_logistic(x, y, sample_weight=np.where(y == 1, 1 / n_a, 1 / (n - n_a)))
        delta = fit.coef + [np.log(n_a / (n - n_a)), 0.0] - prob.logistic_coefficients()
        quad.append(n * delta @ np.linalg.solve(sigma, delta))
    quad = np.array(quad)
    # mean of 300 chi^2_2 draws: 2 +- 2/sqrt(300); 4 standard errors
    assert abs(quad.mean() - 2.0) < 4 * 2.0 / np.sqrt(reps)


@pytest.mark.parametrize("call, msg", [
    (lambda: shifted_fit_covariance([[2.0, 1.0]], [1.0], [1.0], 0.5, [0.0, 0.0]),
     "design: the first column"),
    (lambda: shifted_fit_covariance([[1.0, 1.0]], [-1.0], [1.0], 0.5, [0.0, 0.0]),
     "density_a: need 1 non-negative"),
    (lambda: shifted_fit_covariance([[1.0, 1.0]], [1.0], [1.0, 2.0], 0.5, [0.0, 0.0]),
     "density_b: need 1"),
    (lambda: shifted_fit_covariance([[1.0, 1.0]], [1.0], [1.0], 1.5, [0.0, 0.0]),
     "prior_a: a class prior"),
    (lambda: shifted_fit_covariance([[1.0, 1.0]], [1.0], [1.0], 0.5, [0.0]),
     "coef_balanced: expected 2"),
])
def test_shifted_fit_covariance_bad_input(call, msg):
    with pytest.raises(ValueError, match=msg):
        call()


# --- K classes (issue 17): prior vectors ---

K_PROB = GaussianClasses(means=[[0.0, 0.0], [2.0, 0.5], [0.5, 2.0], [1.5, 1.5]], covs=np.eye(2),
                         priors=[0.4, 0.3, 0.2, 0.1])
K_X = np.random.default_rng(40).normal(size=(50, 2)) * 2


def test_k_class_shift_is_bayes_rule_for_a_prior_change():
    new = np.array([0.1, 0.2, 0.3, 0.4])
    shifted = shift_logits(K_PROB.log_joint(K_X), K_PROB.priors, new)
    np.testing.assert_allclose(softmax(shifted), K_PROB.with_priors(new).posterior(K_X), atol=1e-12)
    np.testing.assert_allclose(shift_probabilities(K_PROB.posterior(K_X), K_PROB.priors, new),
                               K_PROB.with_priors(new).posterior(K_X), atol=1e-12)


def test_two_class_vectors_agree_with_the_binary_form():
    z = np.linspace(-30, 30, 13)
    binary = shift_logits(z, 0.2, 0.7)
    rows = shift_logits(np.c_[np.zeros_like(z), z], [0.8, 0.2], [0.3, 0.7])   # columns [B, A]
    np.testing.assert_allclose(rows[:, 1] - rows[:, 0], binary, atol=1e-12)
    np.testing.assert_allclose(shift_probabilities(sigmoid(z), 0.2, 0.7), sigmoid(binary),
                               atol=1e-15)
    assert shift_probabilities([0.0, 1.0], 0.2, 0.7).tolist() == [0.0, 1.0]


def test_misuse_says_what_to_pass_instead():
    z2 = np.zeros((3, 4))
    with pytest.raises(ValueError, match="logits: a 2-D array is read as K-class .*prior vectors"):
        shift_logits(z2, 0.1, 0.02)                       # the silent no-op
    with pytest.raises(ValueError, match="logits: prior vectors need K-class scores"):
        shift_logits(np.zeros(4), [0.5, 0.5], [0.2, 0.8])
    with pytest.raises(ValueError, match="prior_to: give both priors"):
        shift_logits(z2, [0.25] * 4, 0.5)
    with pytest.raises(ValueError, match="prior_to: need 4 class priors"):
        shift_logits(z2, [0.25] * 4, [0.5, 0.5])
    with pytest.raises(ValueError, match="y_prob: a 2-D array"):
        shift_probabilities(np.full((2, 2), 0.5), 0.5, 0.2)
    with pytest.raises(ValueError, match="train_prior: binary scores .* K-class scores"):
        estimate_target_prior(0.5, logits=np.zeros((3, 4)))


def test_em_k_classes_from_logits_equals_from_probabilities():
    x, _ = K_PROB.with_priors([0.1, 0.1, 0.4, 0.4]).sample(4000, np.random.default_rng(41))
    a = estimate_target_prior(K_PROB.priors, logits=K_PROB.log_joint(x))
    b = estimate_target_prior(K_PROB.priors, K_PROB.posterior(x))
    np.testing.assert_allclose(a.prior, b.prior, atol=1e-9)
    np.testing.assert_allclose(a.prior, [0.1, 0.1, 0.4, 0.4], atol=0.05)


def test_density_ratio_accepts_a_batch_of_binary_logits():
    z = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(density_ratio_from_logits(z, 0.5), np.exp(z))


# --- contracts ---

PRIOR_NAMES = {"logits", "y_prob", "prior_from", "prior_to", "prior_a", "train_prior", "tol",
               "max_iter"}


@st.composite
def prior_vectors(draw, k):
    raw = draw(vectors(k, st.floats(1e-6, 1.0)))
    return raw / raw.sum()


@pytest.mark.contract
@given(data=st.data())
def test_contract_shift_logits_and_probabilities(data):
    if data.draw(st.booleans()):
        n = data.draw(sizes(0))
        if data.draw(st.booleans()):
            a, b = data.draw(st.floats(1e-9, 1 - 1e-9)), data.draw(st.floats(1e-9, 1 - 1e-9))
            z, p = data.draw(vectors(n, floats(-1e300, 1e300))), data.draw(probs(n))
            ref = z + special.logit(b) - special.logit(a)
        else:
            k = data.draw(sizes(2, 5))
            a, b = data.draw(prior_vectors(k)), data.draw(prior_vectors(k))
            z, p = data.draw(matrices(n, k, floats(-1e300, 1e300))), data.draw(rows(n, k))
            ref = z + np.log(b) - np.log(a)
        out, err = check(shift_logits, z, a, b, names=PRIOR_NAMES)
        assert err is None
        np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12)
        out, err = check(shift_probabilities, p, a, b, names=PRIOR_NAMES)
        assert err is None
        no_nan(out)
        ratio, err = check(density_ratio_from_logits, z, data.draw(st.floats(1e-9, 1 - 1e-9)),
                           names=PRIOR_NAMES)
        assert err is None and not np.any(np.isnan(ratio)) and np.all(ratio >= 0)
        assert np.all((out >= 0) & (out <= 1))
        if out.ndim == 2 and n:
            np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-12)
    else:
        args = [data.draw(arbitrary(2)), data.draw(arbitrary(1)), data.draw(arbitrary(1))]
        for fn in (shift_logits, shift_probabilities):
            out, _ = check(fn, *args, names=PRIOR_NAMES)
            no_nan(out)
        out, _ = check(density_ratio_from_logits, args[0], args[1], names=PRIOR_NAMES)
        no_nan(out)


@pytest.mark.contract
@given(data=st.data())
def test_contract_estimate_target_prior(data):
    if data.draw(st.booleans()):
        n, k = data.draw(sizes()), data.draw(sizes(2, 4))
        if data.draw(st.booleans()):
            train, scores = data.draw(st.floats(0.01, 0.99)), data.draw(
                vectors(n, floats(-1e300, 1e300)) | probs(n))
        else:
            train, scores = data.draw(prior_vectors(k)), data.draw(
                matrices(n, k, floats(-1e300, 1e300)) | rows(n, k))
        as_logits = scores.dtype == np.float64 and np.any((scores < 0) | (scores > 1))
        kw = {"logits": scores} if as_logits else {"y_prob": scores}
        res, err = check(estimate_target_prior, train, max_iter=200, names=PRIOR_NAMES, **kw)
        if err is not None:          # probability rows that do not sum to 1, say
            assert not as_logits
            return
        no_nan(res)
        assert np.all((np.asarray(res.prior) >= 0) & (np.asarray(res.prior) <= 1))
    else:
        res, _ = check(estimate_target_prior, data.draw(arbitrary(1)), data.draw(arbitrary(2)),
                       logits=data.draw(st.none() | arbitrary(2)),
                       tol=data.draw(st.sampled_from([1e-10, 0.0, np.nan])), names=PRIOR_NAMES)
        no_nan(res)


@pytest.mark.contract
@given(data=st.data())
def test_contract_shifted_fit_covariance(data):
    names = {"design", "density_a", "density_b", "prior_a", "coef_balanced"}
    if data.draw(st.booleans()):
        n, k = data.draw(sizes(2, 30)), data.draw(st.integers(1, 3))
        design = np.c_[np.ones(n), data.draw(matrices(n, k - 1, st.floats(-5, 5)))]
        qa, qb = (data.draw(vectors(n, st.floats(0.0, 1.0))) for _ in range(2))
        qa[0] += 1.0
        qb[-1] += 1.0
        out, err = check(shifted_fit_covariance, design, qa, qb, data.draw(st.floats(0.01, 0.99)),
                         data.draw(vectors(k, st.floats(-3, 3))), names=names)
    else:
        out, err = check(shifted_fit_covariance, *(data.draw(arbitrary(2)) for _ in range(5)),
                         names=names)
    no_nan(out)
