import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import minimize_scalar

from softprob import PerfectSeparationError
from softprob.activations import sigmoid, softmax
from softprob.losses import binary_cross_entropy, categorical_cross_entropy
from softprob.recalibration import TemperatureResult, fit_temperature

from contracts import arbitrary, check, floats, labels, matrices, no_nan, sizes, vectors


@pytest.mark.parametrize("true_t", [0.5, 2.0, 4.0])
def test_temperature_recovers_the_scaling_that_made_logits_miscalibrated(true_t):
    rng = np.random.default_rng(9)
    z = rng.normal(scale=2, size=(100_000, 3))
    y = (rng.uniform(size=(100_000, 1)) > np.cumsum(softmax(z), axis=1)).sum(axis=1)
    t = fit_temperature(z * true_t, y).temperature          # logits blown up by true_t
    assert t == pytest.approx(true_t, rel=0.03)
    zb = rng.normal(scale=2, size=100_000)
    yb = (rng.uniform(size=zb.size) < sigmoid(zb)).astype(int)
    assert fit_temperature(zb * true_t, yb).temperature == pytest.approx(true_t,
                                                                         rel=0.03)




@pytest.mark.parametrize("k", [1, 3])
def test_temperature_is_the_minimiser_of_the_validation_nll(k):
    rng = np.random.default_rng(30 + k)
    z = rng.normal(scale=3, size=(400, k) if k > 1 else 400)
    y = rng.integers(0, max(k, 2), 400)
    y[:200] = z[:200].argmax(axis=1) if k > 1 else (z[:200] > 0)
    res = fit_temperature(z, y)
    nll = (lambda t: categorical_cross_entropy(y, z / t)) if k > 1 else \
        (lambda t: binary_cross_entropy(y, z / t))
    ref = minimize_scalar(nll, bounds=(0.05, 50), method="bounded", options={"xatol": 1e-10})
    assert isinstance(res, TemperatureResult) and res.converged
    assert res.temperature == pytest.approx(ref.x, rel=1e-6)
    assert res.loss == pytest.approx(nll(res.temperature), rel=1e-12)
    np.testing.assert_allclose(res.logits(z), z / res.temperature)
    probs = res.predict_proba(z)
    np.testing.assert_allclose(probs, softmax(z / res.temperature) if k > 1 else
                               sigmoid(z / res.temperature))


def test_separated_validation_set_raises():
    # every logit's sign agrees with its label: the NLL falls as T -> 0 (the 0.086)
    with pytest.raises(PerfectSeparationError, match="signs of the logits separate"):
        fit_temperature([2.0, -1.0, 0.5, -3.0], [1, 0, 1, 0])
    with pytest.raises(PerfectSeparationError, match="largest logit"):
        fit_temperature([[2.0, 0.0, 1.0], [0.0, 1.0, -1.0]], [0, 1])
    with pytest.raises(PerfectSeparationError, match="no information"):   # minimiser at T = inf
        fit_temperature([4.0, -4.0, 4.0, -4.0], [1, 0, 0, 1])
    with pytest.raises(PerfectSeparationError,
                       match="no information"):  # logits point the wrong way
        fit_temperature([4.0, -4.0, 1.0, -1.0], [0, 1, 1, 0])


def test_extreme_logits_give_a_finite_temperature():
    z = np.array([1e300, -1e300, 5e299, -2e299, 1e299])
    y = np.array([1, 0, 0, 1, 1])
    res = fit_temperature(z, y)
    assert np.isfinite(res.temperature) and res.temperature > 1e298 and res.converged
    rows = np.c_[np.zeros(5), z]
    assert fit_temperature(rows, y).temperature == pytest.approx(res.temperature, rel=1e-9)


@pytest.mark.parametrize("call, msg", [
    (lambda: fit_temperature([np.nan], [1]), "logits: contains NaN"),
    (lambda: fit_temperature([1.0, 2.0], [0, 2]),
     r"y: labels outside .*for K classes pass logits of shape"),
    (lambda: fit_temperature([[1.0], [2.0]], [0, 0]), "logits: need at least 2 classes"),
    (lambda: fit_temperature([1.0, 2.0], [0]), "y: has 1 rows but logits has 2"),
    (lambda: fit_temperature([1.0, -2.0], [0, 1], tol=-1), "tol: must be"),
])
def test_bad_input(call, msg):
    with pytest.raises(ValueError, match=msg):
        call()


# --- contracts ---

@pytest.mark.contract
@given(data=st.data())
def test_contract_fit_temperature(data):
    names = {"logits", "y", "tol", "max_iter"}
    if data.draw(st.booleans()):
        n = data.draw(sizes())
        binary = data.draw(st.booleans())
        k = 2 if binary else data.draw(sizes(2, 5))
        z = data.draw(vectors(n, floats()) if binary else matrices(n, k, floats()))
        y = data.draw(labels(n, k))
        res, err = check(fit_temperature, z, y, names=names)
        rows_ = np.c_[np.zeros(n), z] if binary else z
        own = rows_[np.arange(n), y]
        slope = rows_.mean(axis=1) - own             # documented: a relative tolerance of 1e-12
        no_minimiser = np.all(own >= rows_.max(axis=1)) or \
            np.mean(slope) >= -1e-12 * np.mean(np.abs(slope))
        if isinstance(err, PerfectSeparationError):
            assert no_minimiser or "T = inf" in str(err)     # minimiser at beta = 0 in rounding
        else:
            assert err is None and not no_minimiser
            no_nan(res)
            assert 0 < res.temperature < np.inf
            no_nan(res.predict_proba(z), res.logits(z))
    else:
        res, _ = check(fit_temperature, data.draw(arbitrary(2)), data.draw(arbitrary(1)),
                       tol=data.draw(st.sampled_from([1e-10, -1.0, "a"])), names=names)
        no_nan(res)
        fixed = fit_temperature([2.0, -1.0, 0.5, -3.0, 1.0], [1, 0, 1, 0, 0])
        for method in (fixed.logits, fixed.predict_proba):
            out, _ = check(method, data.draw(arbitrary(2)), names=names)
            no_nan(out)
