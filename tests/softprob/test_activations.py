import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from hypothesis.extra.numpy import arrays
from scipy import special
from scipy.special import expit, log_expit
from scipy.special import logsumexp as scipy_logsumexp

from softprob.activations import log_sigmoid, log_softmax, logit, logsumexp, sigmoid, softmax

from contracts import arbitrary, check, floats, no_nan, probs, sizes

finite = st.floats(-1e4, 1e4, allow_nan=False)
logit_rows = arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(2, 6)), elements=finite)


def test_sigmoid_and_log_sigmoid_match_scipy():
    z = np.concatenate([np.linspace(-50, 50, 1001), [-1e4, -745.2, 745.2, 1e4, 1e300, -1e300]])
    np.testing.assert_allclose(sigmoid(z), expit(z), rtol=1e-15, atol=0)
    np.testing.assert_allclose(log_sigmoid(z), log_expit(z), rtol=1e-14, atol=1e-300)


def test_extreme_logits_stay_finite_and_exact():
    z = np.array([-1e4, -1e5, 1e4, 1e5])
    assert np.all(np.isfinite(log_sigmoid(z)))
    np.testing.assert_array_equal(log_sigmoid(z[:2]), z[:2])
    np.testing.assert_array_equal(sigmoid(z), [0.0, 0.0, 1.0, 1.0])
    ls = log_softmax([[1e4, -1e4, 0.0]])
    assert np.all(np.isfinite(ls))
    np.testing.assert_allclose(ls, [[0.0, -2e4, -1e4]])


def test_logsumexp_matches_scipy():
    z = np.random.default_rng(0).normal(scale=300, size=(20, 7))
    np.testing.assert_allclose(logsumexp(z, axis=1), scipy_logsumexp(z, axis=1), rtol=1e-14)
    np.testing.assert_allclose(logsumexp(z, axis=0), scipy_logsumexp(z, axis=0), rtol=1e-14)


@given(logit_rows)
def test_softmax_rows_sum_to_one(z):
    np.testing.assert_allclose(softmax(z).sum(axis=1), 1.0, atol=1e-12)


@given(logit_rows, st.floats(-1e4, 1e4))
def test_softmax_is_shift_invariant(z, c):
    np.testing.assert_allclose(softmax(z + c), softmax(z), atol=1e-12)


@given(finite)
def test_sigmoid_is_two_class_softmax(z):
    assert sigmoid(z) == pytest.approx(softmax([z, 0.0])[0], abs=1e-15)
    assert log_sigmoid(z) == pytest.approx(log_softmax([z, 0.0])[0], rel=1e-12, abs=1e-15)


@given(st.floats(1e-12, 1 - 1e-12))
def test_logit_inverts_sigmoid(p):
    assert sigmoid(logit(p)) == pytest.approx(p, rel=1e-9)


@pytest.mark.parametrize("bad, msg", [([np.nan], "NaN"), ([np.inf], "inf"),
                                      ("abc", "expected real numbers")])
def test_bad_logits_raise(bad, msg):
    with pytest.raises(ValueError, match=f"logits: .*{msg}"):
        sigmoid(bad)


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match=r"p: probabilities must lie in \[0, 1\]"):
        logit([1.5])
    with pytest.raises(ValueError, match="logits: expected at least a 1-D array"):
        softmax(3.0)
    with pytest.raises(ValueError, match="logits: has no classes"):
        softmax([])


# --- contracts: any input gives a correct NaN-free result or a ValueError naming the argument ---

ANY_SHAPE = hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=6)


@pytest.mark.contract
@pytest.mark.parametrize("fn, ref", [(sigmoid, special.expit),
                                     (log_sigmoid, lambda z: -np.logaddexp(0.0, -z))])
@given(data=st.data())
def test_contract_sigmoid_and_log(fn, ref, data):
    valid = data.draw(st.booleans())
    z = data.draw(hnp.arrays(np.float64, ANY_SHAPE, elements=floats()) if valid else arbitrary())
    out, err = check(fn, z, names={"logits"})
    if valid:
        assert err is None
        np.testing.assert_allclose(out, ref(z), rtol=1e-12, atol=1e-300)
    if err is None:
        no_nan(out)


@pytest.mark.contract
@given(data=st.data())
def test_contract_logit(data):
    valid = data.draw(st.booleans())
    p = data.draw(probs(data.draw(sizes(0))) if valid else arbitrary())
    out, err = check(logit, p, names={"p"})
    if valid:
        assert err is None
        np.testing.assert_allclose(out, special.logit(p), rtol=1e-12)
    if err is None:
        no_nan(out)


@pytest.mark.contract
@pytest.mark.parametrize("fn, ref", [(logsumexp, special.logsumexp),
                                     (log_softmax, special.log_softmax),
                                     (softmax, special.softmax)])
@given(data=st.data())
def test_contract_softmax_family(fn, ref, data):
    valid = data.draw(st.booleans())
    z = data.draw(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=6),
                             elements=floats()) if valid else arbitrary())
    axis = data.draw(st.sampled_from([-1, 0]) if valid else st.one_of(st.integers(-3, 3),
                                                                      st.just("a")))
    out, err = check(fn, z, axis=axis, names={"logits", "axis"})
    if valid and np.ndim(z) >= 1:
        assert err is None
        np.testing.assert_allclose(out, ref(z, axis=axis), rtol=1e-12, atol=1e-300)
    if err is None:
        no_nan(out)
