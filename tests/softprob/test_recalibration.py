import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import minimize_scalar

from softprob import PerfectSeparationError, RankDeficiencyWarning
from softprob.activations import sigmoid, softmax
from softprob.losses import binary_cross_entropy, categorical_cross_entropy
from softprob.recalibration import (
    HistogramBinningResult,
    PlattResult,
    TemperatureResult,
    fit_histogram_binning,
    fit_platt,
    fit_temperature,
)

from contracts import arbitrary, check, floats, labels, matrices, no_nan, probs, sizes, vectors


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


# --- Platt scaling and histogram binning ---

def test_platt_matches_an_unpenalised_sklearn_logistic_regression():
    from sklearn.linear_model import LogisticRegression
    rng = np.random.default_rng(40)
    z = rng.normal(scale=3, size=2000)
    y = (rng.uniform(size=z.size) < sigmoid(0.4 * z - 0.7)).astype(int)
    res = fit_platt(z, y)
    ref = LogisticRegression(C=np.inf, tol=1e-12, max_iter=1000).fit(z[:, None], y)
    assert isinstance(res, PlattResult) and res.converged
    assert res.slope == pytest.approx(ref.coef_[0, 0], rel=1e-6)
    assert res.intercept == pytest.approx(ref.intercept_[0], rel=1e-6)
    np.testing.assert_allclose(res.predict_proba(z), ref.predict_proba(z[:, None])[:, 1],
                               rtol=1e-6)
    assert res.loss == pytest.approx(binary_cross_entropy(y, res.logits(z)), rel=1e-12)


def test_platt_recovers_the_map_that_made_the_scores_miscalibrated():
    # scores z with P(A | z) = sigmoid(a z + b): maximum likelihood is consistent, standard
    # errors ~ 1/sqrt(n * Fisher) ~ 0.01 at n = 100_000; allow 0.05
    rng = np.random.default_rng(41)
    z = rng.normal(scale=2, size=100_000)
    y = (rng.uniform(size=z.size) < sigmoid(0.5 * z + 1.0)).astype(int)
    res = fit_platt(z, y)
    assert res.slope == pytest.approx(0.5, abs=0.05) and res.intercept == pytest.approx(1.0,
                                                                                        abs=0.05)


def test_platt_refuses_separated_or_one_class_data_and_warns_on_constant_scores():
    with pytest.raises(PerfectSeparationError, match="logits, y: the scores separate"):
        fit_platt([2.0, 1.0, -1.0, -3.0], [1, 1, 0, 0])
    with pytest.raises(PerfectSeparationError, match="logits, y: the scores separate"):
        fit_platt([2.0, 1.0, -1.0, -3.0], [0, 0, 1, 1])           # reversed: slope -> -inf
    with pytest.raises(PerfectSeparationError, match="y: every validation label is 1"):
        fit_platt([2.0, 1.0, -1.0], [1, 1, 1])
    with pytest.warns(RankDeficiencyWarning, match="logits: every validation score"):
        res = fit_platt([0.3, 0.3, 0.3, 0.3], [1, 0, 1, 1])
    assert res.slope == 0 and sigmoid(res.intercept) == pytest.approx(0.75)


def test_platt_with_extreme_scores_is_finite():
    z = np.array([1e300, -1e300, 5e299, -2e299, 1e299, -1e299])
    y = np.array([1, 0, 0, 1, 1, 0])
    res = fit_platt(z, y)
    assert np.isfinite(res.slope) and res.converged
    assert np.all(np.isfinite(res.predict_proba(z)))


def test_histogram_binning_values_are_bin_frequencies():
    rng = np.random.default_rng(42)
    p = rng.uniform(size=3000) ** 2
    y = (rng.uniform(size=p.size) < np.sqrt(p)).astype(int)
    res = fit_histogram_binning(p, y, n_bins=10)
    assert isinstance(res, HistogramBinningResult)
    assert res.counts.sum() == p.size and res.counts.min() >= 299      # equal-count bins
    ids = np.searchsorted(np.quantile(p, np.linspace(0, 1, 11)[1:-1]), p)
    freq = np.bincount(ids, weights=y) / np.bincount(ids)
    np.testing.assert_allclose(res.values, freq, rtol=1e-12)
    np.testing.assert_allclose(res.predict_proba(p), freq[ids], rtol=1e-12)
    # binning is calibrated on its own validation data: every bin's mean value = frequency
    out = res.predict_proba(p)
    for v in np.unique(out):
        assert y[out == v].mean() == pytest.approx(v, rel=1e-12)


def test_histogram_binning_merges_empty_bins():
    p = [0.05, 0.07, 0.93, 0.97, 0.99]
    res = fit_histogram_binning(p, [0, 1, 1, 1, 0], n_bins=10, strategy="uniform")
    np.testing.assert_allclose(res.edges, [0.9])                         # 8 empty bins gone
    np.testing.assert_allclose(res.values, [0.5, 2 / 3])
    np.testing.assert_allclose(res.predict_proba([0.0, 0.5, 0.9, 0.91, 1.0]),
                               [0.5, 0.5, 0.5, 2 / 3, 2 / 3])
    same = fit_histogram_binning([0.4] * 6, [0, 1, 1, 0, 1, 1], n_bins=4)  # tied quantiles
    assert same.values.tolist() == [4 / 6] and same.counts.tolist() == [6.0]
    shrunk = fit_histogram_binning(p, [0, 1, 1, 1, 0], n_bins=10, strategy="uniform",
                                   m_estimate=3.0)                  # m-estimate, base rate 0.6
    np.testing.assert_allclose(shrunk.values, [(1 + 1.8) / 5, (2 + 1.8) / 6])


@pytest.mark.parametrize("call, msg", [
    (lambda: fit_platt([[1.0, 2.0]], [1]), "logits: expected 1-D"),
    (lambda: fit_platt([1.0, 2.0], [0, 2]), "y: labels outside .*Platt scaling is binary"),
    (lambda: fit_platt([1.0, 2.0], [0]), "y: has 1 rows but logits has 2"),
    (lambda: fit_platt([1.0, -2.0, 0.5], [0, 1, 0], tol=0), "tol: must be"),
    (lambda: fit_histogram_binning([0.5, 1.5], [0, 1]), r"y_prob: probabilities must lie"),
    (lambda: fit_histogram_binning([0.5, 0.2], [0, 1], n_bins=0), "n_bins: must be"),
    (lambda: fit_histogram_binning([0.5, 0.2], [0, 1], strategy="x"), "strategy: must be one"),
    (lambda: fit_histogram_binning([0.5, 0.2], [0, 3]), "y: labels outside"),
    (lambda: fit_histogram_binning([0.5, 0.2], [0, 1], m_estimate=-1), "m_estimate: must"),
])
def test_platt_and_binning_bad_input(call, msg):
    with pytest.raises(ValueError, match=msg):
        call()


@pytest.mark.contract
@given(data=st.data())
def test_contract_fit_platt(data):
    names = {"logits", "y", "tol", "max_iter"}
    if data.draw(st.booleans()):
        n = data.draw(sizes())
        z, y = data.draw(vectors(n, floats())), data.draw(labels(n, 2))
        res, err = check(fit_platt, z, y, names=names)
        if err is None:
            no_nan(res, res.predict_proba(z), res.logits(z))
            assert np.isfinite(res.slope) and np.isfinite(res.intercept)
        else:
            assert isinstance(err, PerfectSeparationError)
    else:
        res, _ = check(fit_platt, data.draw(arbitrary(2)), data.draw(arbitrary(1)),
                       tol=data.draw(st.sampled_from([1e-10, -1.0, "a"])), names=names)
        no_nan(res)
        fixed = fit_platt([2.0, -1.0, 0.5, -3.0, 1.0], [1, 0, 1, 0, 0])
        for method in (fixed.logits, fixed.predict_proba):
            out, _ = check(method, data.draw(arbitrary(2)), names=names)
            no_nan(out)


@pytest.mark.contract
@given(data=st.data())
def test_contract_fit_histogram_binning(data):
    names = {"y_prob", "y", "n_bins", "strategy", "m_estimate"}
    if data.draw(st.booleans()):
        n = data.draw(sizes())
        p, y = data.draw(probs(n)), data.draw(labels(n, 2))
        res, err = check(fit_histogram_binning, p, y, n_bins=data.draw(st.integers(1, 20)),
                         strategy=data.draw(st.sampled_from(["uniform", "quantile"])),
                         m_estimate=data.draw(st.sampled_from([0.0, 2.0])), names=names)
        assert err is None and res.counts.min() > 0 and res.counts.sum() == n
        out = res.predict_proba(p)
        no_nan(res, out)
        assert np.all((out >= 0) & (out <= 1))
    else:
        res, _ = check(fit_histogram_binning, data.draw(arbitrary(1)), data.draw(arbitrary(1)),
                       n_bins=data.draw(st.sampled_from([10, 0, "a"])), names=names)
        no_nan(res)
        fixed = fit_histogram_binning([0.1, 0.4, 0.6, 0.9], [0, 1, 0, 1], n_bins=2)
        out, _ = check(fixed.predict_proba, data.draw(arbitrary(2)), names=names)
        no_nan(out)
