import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import special
from scipy.stats import entropy as scipy_entropy

from softprob.activations import softmax
from softprob.information import (
    conditional_entropy,
    conditional_kl,
    conditional_kl_from_logits,
    entropy,
    kl_divergence,
)
from softprob.losses import categorical_cross_entropy_from_probs

from contracts import arbitrary, check, no_nan, probs, rows, sizes, vectors

logits = arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(2, 5)),
                elements=st.floats(-20, 20))


@given(logits, st.data())
def test_cross_entropy_is_entropy_plus_kl(zp, data):
    zq = data.draw(arrays(np.float64, zp.shape, elements=st.floats(-20, 20)))
    p, q = softmax(zp), softmax(zq)
    ce = categorical_cross_entropy_from_probs(p, q, reduction="none")
    np.testing.assert_allclose(ce, entropy(p) + kl_divergence(p, q), rtol=1e-9, atol=1e-9)


@given(logits, st.data())
def test_kl_is_nonnegative_and_zero_only_at_equality(zp, data):
    zq = data.draw(arrays(np.float64, zp.shape, elements=st.floats(-20, 20)))
    p, q = softmax(zp), softmax(zq)
    kl = kl_divergence(p, q)
    assert np.all(kl >= 0)
    np.testing.assert_array_equal(kl_divergence(p, p), 0.0)
    differ = np.max(np.abs(p - q), axis=1) > 1e-3
    assert np.all(kl[differ] > 0)


def test_entropy_and_kl_match_scipy():
    rng = np.random.default_rng(2)
    p, q = softmax(rng.normal(size=(10, 4))), softmax(rng.normal(size=(10, 4)))
    np.testing.assert_allclose(entropy(p), scipy_entropy(p, axis=1), rtol=1e-12)
    np.testing.assert_allclose(kl_divergence(p, q), scipy_entropy(p, q, axis=1), rtol=1e-12)


def test_zero_probabilities():
    assert entropy([[1.0, 0.0]])[0] == 0.0
    assert kl_divergence([[1.0, 0.0]], [[0.5, 0.5]])[0] == pytest.approx(np.log(2))
    assert kl_divergence([[0.5, 0.5]], [[1.0, 0.0]])[0] == np.inf


def test_conditional_kl_binary_and_weights():
    p, q, w = np.array([0.9, 0.2]), np.array([0.8, 0.3]), np.array([1.0, 3.0])
    expected = np.average(kl_divergence(p, q), weights=w)
    assert conditional_kl(p, q, sample_weight=w) == pytest.approx(expected)
    z = np.log(q) - np.log1p(-q)
    assert conditional_kl_from_logits(p, z, sample_weight=w) == pytest.approx(expected,
                                                                              rel=1e-12)
    assert conditional_entropy(p,
                               sample_weight=w) == pytest.approx(np.average(entropy(p),
                                                                            weights=w))


def test_conditional_kl_from_extreme_logits_is_finite():
    assert conditional_kl_from_logits([0.5], [1e4]) == pytest.approx(0.5 * 1e4 - np.log(2),
                                                                     rel=1e-12)
    assert np.isfinite(conditional_kl_from_logits([[0.5, 0.5]], [[1e5, -1e5]]))


@pytest.mark.parametrize("call, msg", [
    (lambda: kl_divergence([[0.5, 0.5]], [[1 / 3, 1 / 3, 1 / 3]]), "q: shape"),
    (lambda: entropy([[0.2, 0.2]]), "p: each row must sum to 1"),
    (lambda: entropy([-0.1]), r"p: probabilities must lie in \[0, 1\]"),
    (lambda: conditional_kl([0.5], [0.5], sample_weight=[-1.0]),
     "sample_weight: weights must be >= 0"),
    (lambda: conditional_kl_from_logits([0.5, 0.5], [0.0]), "logits: shape"),
])
def test_bad_input(call, msg):
    with pytest.raises(ValueError, match=msg):
        call()


# --- contracts (KL(p || q): p is the reference) ---

@st.composite
def _pair(draw):
    n = draw(sizes())
    if draw(st.booleans()):
        return draw(probs(n)), draw(probs(n))
    k = draw(sizes(2, 5))
    return draw(rows(n, k, float32=False)), draw(rows(n, k, float32=False))


def _as_rows(p):
    return np.c_[1 - p, p] if p.ndim == 1 else p


@pytest.mark.contract
@given(data=st.data())
def test_contract_entropy_and_kl(data):
    if data.draw(st.booleans()):
        p, q = data.draw(_pair())
        h, err = check(entropy, p, names={"p"})
        assert err is None
        np.testing.assert_allclose(h, special.entr(_as_rows(p)).sum(axis=1), rtol=1e-12,
                                   atol=1e-15)
        kl, err = check(kl_divergence, p, q, names={"p", "q"})
        assert err is None and np.all(kl >= 0)
        np.testing.assert_allclose(kl, special.rel_entr(_as_rows(p), _as_rows(q)).sum(axis=1),
                                   rtol=1e-9, atol=1e-12)
    else:
        a, b = data.draw(arbitrary(2)), data.draw(arbitrary(2))
        for out, _ in (check(entropy, a, names={"p"}), check(kl_divergence, a, b,
                                                              names={"p", "q"})):
            no_nan(out)


@pytest.mark.contract
@given(data=st.data())
def test_contract_conditional_quantities(data):
    names = {"p_true", "y_prob", "logits", "sample_weight"}
    if data.draw(st.booleans()):
        p, q = data.draw(_pair())
        w = data.draw(st.none() | vectors(len(p), st.floats(0.0, 10.0)))
        w = None if w is not None and not np.any(w > 0) else w
        with np.errstate(divide="ignore"):
            z = special.logit(np.clip(q, 1e-300, 1 - 1e-16)) if q.ndim == 1 else \
                np.log(np.maximum(q, 1e-300))
        outs = [check(conditional_kl, p, q, sample_weight=w, names=names),
                check(conditional_kl_from_logits, p, z, sample_weight=w, names=names),
                check(conditional_entropy, p, sample_weight=w, names=names)]
        assert all(err is None for _, err in outs)
        kl, kl_z, h = (o for o, _ in outs)
        assert kl >= 0 and h >= 0 and kl_z >= 0
        ref = special.rel_entr(_as_rows(p), _as_rows(q)).sum(axis=1)
        if np.all(np.isfinite(ref)):
            assert kl == pytest.approx(np.average(ref, weights=w), rel=1e-9, abs=1e-12)
    else:
        a, b = data.draw(arbitrary(2)), data.draw(arbitrary(2))
        w = data.draw(st.none() | arbitrary(1))
        for fn, args in ((conditional_kl, (a, b)), (conditional_kl_from_logits, (a, b)),
                         (conditional_entropy, (a,))):
            out, _ = check(fn, *args, sample_weight=w, names=names)
            no_nan(out)
