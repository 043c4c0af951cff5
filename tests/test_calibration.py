import numpy as np
import pytest
from sklearn.calibration import calibration_curve

from softprob.activations import sigmoid, softmax
from softprob.calibration import expected_calibration_error, fit_temperature, reliability_curve


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


@pytest.mark.parametrize("call, msg", [
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
