import numpy as np
import pytest

from softprob.data import GaussianBinary
from softprob.priors import density_ratio_from_logit, shift_logit


def test_shift_logit_is_bayes_rule_for_a_prior_change():
    prob = GaussianBinary(mean_a=[1.0, -0.5], mean_b=[0.0, 0.5], cov_a=np.diag([1.0, 2.0]),
                          cov_b=np.eye(2), prior_a=0.5)
    x = np.random.default_rng(0).normal(size=(40, 2))
    for target in (0.01, 0.3, 0.97):
        np.testing.assert_allclose(shift_logit(prob.log_odds(x), 0.5, target),
                                   prob.with_prior_a(target).log_odds(x), atol=1e-10)


def test_density_ratio_from_logit():
    prob = GaussianBinary(mean_a=0.5, mean_b=-0.5, cov_a=1.0, cov_b=2.0, prior_a=0.2)
    x = np.linspace(-4, 4, 17)
    np.testing.assert_allclose(density_ratio_from_logit(prob.log_odds(x), 0.2),
                               prob.density_ratio(x), rtol=1e-10)


def test_extreme_logits_stay_finite():
    assert np.isfinite(shift_logit([1e4, -1e4], 0.5, 0.999)).all()


@pytest.mark.parametrize("call, msg", [
    (lambda: shift_logit([0.0], 0.0, 0.5), "prior_from: a class prior must lie strictly between 0 and 1"),
    (lambda: shift_logit([0.0], 0.5, 1.5), "prior_to: a class prior"),
    (lambda: shift_logit([np.nan], 0.5, 0.5), "z: contains NaN"),
    (lambda: density_ratio_from_logit([0.0], float("nan")), "prior_a: a class prior"),
])
def test_bad_input(call, msg):
    with pytest.raises(ValueError, match=msg):
        call()
