import numpy as np
import pytest
from sklearn.calibration import calibration_curve

from softprob.activations import sigmoid, softmax
from softprob.calibration import (calibrated_ece_approx, calibrated_ece_samples,
                                  expected_calibration_error, fit_temperature, reliability_curve)


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
def test_reliability_curve_matches_sklearn(strategy):
    rng = np.random.default_rng(4)
    p = rng.uniform(size=2000)
    p[:20] = np.linspace(0, 1, 11).repeat(2)[:20]    # scores exactly on bin edges
    y = (rng.uniform(size=2000) < p**1.3).astype(int)
    mp, freq, counts = reliability_curve(y, p, n_bins=10, strategy=strategy)
    sk_true, sk_pred = calibration_curve(y, p, n_bins=10, strategy=strategy)
    np.testing.assert_allclose(freq, sk_true, rtol=1e-12)
    np.testing.assert_allclose(mp, sk_pred, rtol=1e-12)
    assert counts.sum() == 2000


def test_ece_of_calibrated_scores_is_small_and_of_miscalibrated_large():
    rng = np.random.default_rng(8)
    p = rng.uniform(size=200_000)
    y = (rng.uniform(size=p.size) < p).astype(int)
    assert expected_calibration_error(y, p, n_bins=10) < 0.01
    over = sigmoid(3 * (np.log(p) - np.log1p(-p)))      # logits tripled: overconfident
    assert expected_calibration_error(y, over, n_bins=10) > 0.1


def test_top_label_ece_for_rows():
    p = np.array([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8]])
    y = np.array([0, 1, 1])
    # confidences 0.9, 0.6, 0.8 with correctness 1, 0, 1; one bin holds all
    assert expected_calibration_error(y, p, n_bins=1) == pytest.approx(abs(2 / 3 - 2.3 / 3))


@pytest.mark.parametrize("true_t", [0.5, 2.0, 4.0])
def test_temperature_recovers_the_scaling_that_made_logits_miscalibrated(true_t):
    rng = np.random.default_rng(9)
    z = rng.normal(scale=2, size=(100_000, 3))
    y = (rng.uniform(size=(100_000, 1)) > np.cumsum(softmax(z), axis=1)).sum(axis=1)
    t = fit_temperature(z * true_t, y)          # logits blown up by true_t
    assert t == pytest.approx(true_t, rel=0.03)
    zb = rng.normal(scale=2, size=100_000)
    yb = (rng.uniform(size=zb.size) < sigmoid(zb)).astype(int)
    assert fit_temperature(zb * true_t, yb) == pytest.approx(true_t, rel=0.03)


def test_reliability_curve_matches_sklearn_on_network_like_scores():
    # scores piled up near 0 and 1 (as an overconfident network produces), 15 bins
    rng = np.random.default_rng(5)
    p = 1 / (1 + np.exp(-rng.normal(scale=6, size=5000)))
    y = (rng.uniform(size=5000) < 0.5 + 0.6 * (p - 0.5)).astype(int)
    mp, freq, _ = reliability_curve(y, p, n_bins=15)
    sk_true, sk_pred = calibration_curve(y, p, n_bins=15)
    np.testing.assert_allclose(freq, sk_true, rtol=1e-12)
    np.testing.assert_allclose(mp, sk_pred, rtol=1e-12)


@pytest.mark.parametrize("n_bins", [5, 15])
def test_noise_floor_of_calibrated_ece_matches_its_normal_approximation(n_bins):
    rng = np.random.default_rng(10)
    p = rng.beta(2, 3, size=20_000)
    sims = calibrated_ece_samples(p, rng, n_bins=n_bins, n_rep=300)
    approx = calibrated_ece_approx(p, n_bins=n_bins)
    # the mean of 300 simulations has standard error sd/sqrt(300); allow 4 of them
    assert abs(sims.mean() - approx) < 4 * sims.std(ddof=1) / np.sqrt(300)
    assert sims.min() > 0


def test_noise_floor_grows_with_bins_and_shrinks_like_root_n():
    rng = np.random.default_rng(11)
    p = rng.uniform(size=40_000)
    assert calibrated_ece_approx(p, 30) > calibrated_ece_approx(p, 10) > calibrated_ece_approx(p, 3)
    ratio = calibrated_ece_approx(p[:400], 10) / calibrated_ece_approx(p, 10)
    assert ratio == pytest.approx(10, rel=0.1)            # sqrt(40_000 / 400)


def test_noise_floor_for_probability_rows_uses_top_label_ece():
    rng = np.random.default_rng(12)
    rows = rng.dirichlet([1, 1, 1], size=3000)
    sims = calibrated_ece_samples(rows, rng, n_bins=10, n_rep=20)
    assert np.all((sims > 0) & (sims < 0.1))


@pytest.mark.parametrize("call, msg", [
    (lambda: calibrated_ece_samples([0.5], 0), "rng: expected a numpy.random.Generator"),
    (lambda: calibrated_ece_samples([1.5], np.random.default_rng(0)), r"p: probabilities must lie"),
    (lambda: calibrated_ece_samples([0.5], np.random.default_rng(0), n_rep=0), "n_rep: must be"),
    (lambda: calibrated_ece_approx([[0.5, 0.5]]), "p: expected 1-D array"),
    (lambda: calibrated_ece_approx([0.5], n_bins=0), "n_bins: must be an integer >= 1"),
    (lambda: reliability_curve([0, 1], [0.5]), "p: has 1 rows but y has 2"),
    (lambda: reliability_curve([0, 2], [0.5, 0.5]), r"y: labels outside the class set \{0..1\}"),
    (lambda: reliability_curve([0, 1], [0.5, 1.5]), r"p: probabilities must lie in \[0, 1\]"),
    (lambda: reliability_curve([0, 1], [0.5, 0.5], strategy="x"), "strategy: must be"),
    (lambda: expected_calibration_error([0], [[0.5, 0.6]]), "p: each row must sum to 1"),
    (lambda: fit_temperature([np.nan], [1]), "z: contains NaN"),
])
def test_bad_input(call, msg):
    with pytest.raises(ValueError, match=msg):
        call()
