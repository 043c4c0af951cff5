import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import optimize, special
from sklearn.metrics import brier_score_loss, log_loss
from sklearn.metrics import hinge_loss as sk_hinge

from softprob.activations import sigmoid, softmax
from softprob.information import conditional_entropy, conditional_kl_from_logits
from softprob.losses import (
    binary_cross_entropy,
    binary_cross_entropy_from_probs,
    brier_score,
    categorical_cross_entropy,
    categorical_cross_entropy_from_probs,
    focal_inverse,
    focal_loss,
    focal_minimiser,
    hinge_loss,
    smooth_labels,
    unsmooth_probabilities,
)

from contracts import (
    arbitrary,
    check,
    floats,
    labels,
    matrices,
    no_nan,
    probs,
    rows,
    sizes,
    vectors,
)

rng = np.random.default_rng(1)
Y = rng.integers(0, 2, 200)
Z = rng.normal(scale=3, size=200)


def test_binary_cross_entropy_matches_sklearn_log_loss():
    assert binary_cross_entropy(Y, Z) == pytest.approx(log_loss(Y, sigmoid(Z)), rel=1e-12)
    w = rng.uniform(0.1, 2, 200)
    assert binary_cross_entropy(Y, Z, sample_weight=w) == pytest.approx(
        log_loss(Y, sigmoid(Z), sample_weight=w), rel=1e-12)
    assert binary_cross_entropy_from_probs(Y, sigmoid(Z)) == pytest.approx(
        log_loss(Y, sigmoid(Z)), rel=1e-12)


def test_categorical_cross_entropy_matches_sklearn():
    y = rng.integers(0, 4, 300)
    z = rng.normal(scale=2, size=(300, 4))
    ref = log_loss(y, softmax(z), labels=[0, 1, 2, 3])
    assert categorical_cross_entropy(y, z) == pytest.approx(ref, rel=1e-12)
    assert categorical_cross_entropy_from_probs(y, softmax(z)) == pytest.approx(ref, rel=1e-12)
    assert categorical_cross_entropy(np.eye(4)[y], z) == pytest.approx(ref, rel=1e-12)


def test_binary_is_two_class_categorical():
    z2 = np.stack([np.zeros_like(Z), Z], axis=1)   # column 1 = class A, logit difference Z
    assert categorical_cross_entropy(Y, z2) == pytest.approx(binary_cross_entropy(Y, Z), rel=1e-12)


def test_cross_entropy_finite_at_extreme_logits():
    assert binary_cross_entropy([1, 0], [-1e4, 1e4]) == pytest.approx(1e4)
    assert binary_cross_entropy([1, 0], [1e5, -1e5]) == 0.0
    assert categorical_cross_entropy([0], [[-1e4, 1e4]]) == pytest.approx(2e4)


def test_probability_variant_does_not_clip():
    assert binary_cross_entropy_from_probs([1], [0.0]) == np.inf
    assert binary_cross_entropy_from_probs([0], [0.0]) == 0.0


@given(st.floats(0, 1), st.floats(-30, 30))
def test_soft_target_cross_entropy_is_entropy_plus_kl(eta, z):
    ce = binary_cross_entropy([eta], [z])
    assert ce == pytest.approx(conditional_entropy([eta]) + conditional_kl_from_logits([eta], [z]),
                               rel=1e-9, abs=1e-12)


def test_brier_and_hinge_match_sklearn():
    p = sigmoid(Z)
    assert brier_score(Y, p) == pytest.approx(brier_score_loss(Y, p), rel=1e-12)
    assert hinge_loss(Y, Z) == pytest.approx(sk_hinge(2 * Y - 1, Z), rel=1e-12)
    y3 = rng.integers(0, 3, 50)
    p3 = softmax(rng.normal(size=(50, 3)))
    assert brier_score(y3, p3) == pytest.approx(np.mean(np.sum((p3 - np.eye(3)[y3]) ** 2, 1)))


@pytest.mark.parametrize("call, msg", [
    (lambda: binary_cross_entropy([1, 0], [0.0]), "logits: has 1 rows but y_true has 2"),
    (lambda: binary_cross_entropy([2, 0], [0.0, 0.0]),
     r"y_true: probabilities must lie in \[0, 1\]"),
    (lambda: binary_cross_entropy([1, 0], [np.nan, 0.0]), "logits: contains NaN"),
    (lambda: binary_cross_entropy([1, 0], [0.0, 0.0], sample_weight=[1, -1]),
     "sample_weight: weights must be >= 0"),
    (lambda: binary_cross_entropy([1, 0], [0.0, 0.0], sample_weight=[0, 0]),
     "sample_weight: all weights are 0"),
    (lambda: binary_cross_entropy([], []), "y_true: is empty"),
    (lambda: binary_cross_entropy([1], [0.0], reduction="max"), "reduction: must be"),
    (lambda: categorical_cross_entropy([0, 3], np.zeros((2, 3))),
     r"y_true: labels outside the class set \{0..2\}: \[3\]"),
    (lambda: categorical_cross_entropy([0.5, 1], np.zeros((2, 3))),
     "y_true: labels must be whole numbers"),
    (lambda: categorical_cross_entropy([0], np.zeros(3)), "logits: expected 2-D array"),
    (lambda: categorical_cross_entropy_from_probs([0], [[0.7, 0.7]]),
     "y_prob: each row must sum to 1"),
    (lambda: brier_score([1], [1.2]), r"y_prob: probabilities must lie in \[0, 1\]"),
])
def test_bad_input_raises_value_error_naming_the_argument(call, msg):
    with pytest.raises(ValueError, match=msg):
        call()


# --- contracts ---

def _ref_binary_ce(y, z):
    with np.errstate(invalid="ignore"):          # 0 * inf at exact 0/1: set to 0 by the caller
        return y * np.logaddexp(0.0, -z) + (1 - y) * np.logaddexp(0.0, z)


@st.composite
def _binary_case(draw, probs_model: bool):
    n = draw(sizes())
    y = draw(probs(n))
    model = draw(probs(n)) if probs_model else draw(vectors(n, floats()))
    w = draw(st.none() | vectors(n, st.floats(0.0, 10.0)))
    if w is not None and not np.any(w > 0):
        w = None
    return y, model, w


@pytest.mark.contract
@pytest.mark.parametrize("fn", [binary_cross_entropy, binary_cross_entropy_from_probs])
@given(data=st.data())
def test_contract_binary_cross_entropy(fn, data):
    from_probs = fn is binary_cross_entropy_from_probs
    names = {"y_true", "y_prob" if from_probs else "logits", "sample_weight", "reduction"}
    if data.draw(st.booleans()):
        y, m, w = data.draw(_binary_case(from_probs))
        reduction = data.draw(st.sampled_from(["mean", "none"]))
        out, err = check(fn, y, m, sample_weight=w, reduction=reduction, names=names)
        assert err is None
        with np.errstate(divide="ignore"):
            ref = _ref_binary_ce(y, special.logit(m)) if from_probs else _ref_binary_ce(y, m)
        ref = np.where(np.isnan(ref), 0.0, ref)              # 0 log 0 at exact 0/1 probabilities
        if reduction == "none":
            np.testing.assert_allclose(out, ref, rtol=1e-9, atol=1e-12)
        elif np.all(np.isfinite(ref)):
            exp = np.average(ref, weights=w) if np.max(ref) < 1e300 else out
            assert out == pytest.approx(exp, rel=1e-9, abs=1e-12)
        no_nan(out)
    else:
        args = [data.draw(arbitrary(2)), data.draw(arbitrary(2))]
        kw = data.draw(st.fixed_dictionaries({}, optional={"sample_weight": arbitrary(1),
                                                            "reduction": st.text(max_size=4)}))
        out, err = check(fn, *args, names=names, **kw)
        if err is None:
            no_nan(out)


@pytest.mark.contract
@pytest.mark.parametrize("fn", [categorical_cross_entropy, categorical_cross_entropy_from_probs])
@given(data=st.data())
def test_contract_categorical_cross_entropy(fn, data):
    from_probs = fn is categorical_cross_entropy_from_probs
    names = {"y_true", "y_prob" if from_probs else "logits", "sample_weight", "reduction"}
    if data.draw(st.booleans()):
        n, k = data.draw(sizes()), data.draw(sizes(2, 5))
        y = data.draw(labels(n, k) | rows(n, k))
        m = data.draw(rows(n, k)) if from_probs else data.draw(matrices(n, k, floats()))
        out, err = check(fn, y, m, reduction="none", names=names)
        assert err is None
        t = np.eye(k)[y] if y.ndim == 1 else y.astype(float)
        with np.errstate(divide="ignore"):
            lq = np.log(m.astype(float)) if from_probs else special.log_softmax(m, axis=1)
        with np.errstate(invalid="ignore"):
            ref = -np.sum(np.where(t > 0, t * lq, 0.0), axis=1)
        np.testing.assert_allclose(out, ref, rtol=1e-6 if from_probs else 1e-9, atol=1e-9)
        no_nan(out)
    else:
        out, err = check(fn, data.draw(arbitrary(2)), data.draw(arbitrary(2)), names=names)
        if err is None:
            no_nan(out)


@pytest.mark.contract
@given(data=st.data())
def test_contract_brier_score(data):
    names = {"y_true", "y_prob", "sample_weight"}
    if data.draw(st.booleans()):
        n, k = data.draw(sizes()), data.draw(sizes(2, 5))
        if data.draw(st.booleans()):
            y, p = data.draw(probs(n)), data.draw(probs(n))
            ref = np.mean((p - y) ** 2)
        else:
            y, p = data.draw(labels(n, k)), data.draw(rows(n, k, float32=False))
            ref = np.mean(np.sum((p - np.eye(k)[y]) ** 2, axis=1))
        out, err = check(brier_score, y, p, names=names)
        assert err is None and out == pytest.approx(ref, rel=1e-12, abs=1e-15)
    else:
        out, err = check(brier_score, data.draw(arbitrary(2)), data.draw(arbitrary(2)),
                         sample_weight=data.draw(st.none() | arbitrary(1)), names=names)
        if err is None:
            no_nan(out)


@pytest.mark.contract
@given(data=st.data())
def test_contract_hinge_loss(data):
    names = {"y_true", "scores", "sample_weight"}
    if data.draw(st.booleans()):
        y, m, w = data.draw(_binary_case(False))
        out, err = check(hinge_loss, y, m, sample_weight=w, names=names)
        assert err is None
        ref = y * np.maximum(0, 1 - m) + (1 - y) * np.maximum(0, 1 + m)
        assert out == pytest.approx(np.average(ref, weights=w), rel=1e-9)
    else:
        out, err = check(hinge_loss, data.draw(arbitrary(2)), data.draw(arbitrary(2)),
                         names=names)
        if err is None:
            no_nan(out)


# --- label smoothing ---

def test_smoothed_targets_and_their_inverse():
    t = smooth_labels([2, 0, 1], 3, 0.3)
    np.testing.assert_allclose(t.sum(axis=1), 1.0)
    np.testing.assert_allclose(t[0], [0.1, 0.1, 0.8])
    rng = np.random.default_rng(3)
    post = rng.dirichlet(np.ones(4), size=50)                 # any posterior rows
    smoothed = 0.8 * post + 0.2 / 4                            # the smoothed minimiser
    np.testing.assert_allclose(unsmooth_probabilities(smoothed, 0.2), post, atol=1e-12)
    np.testing.assert_allclose(unsmooth_probabilities(0.9 * post[:, 0] + 0.05, 0.1),
                               post[:, 0], atol=1e-12)       # binary: K = 2


def test_unsmoothing_refuses_scores_no_smoothed_minimiser_gives():
    with pytest.raises(ValueError, match=r"y_prob: 100.0% of the entries lie outside"):
        unsmooth_probabilities([[0.999, 0.001]], 0.1)         # below epsilon/K = 0.05
    with pytest.raises(ValueError, match=r"epsilon: must lie in \[0, 1\)"):
        smooth_labels([0, 1], 2, 1.0)


def test_unsmoothing_accepts_float32_rows():
    rows32 = np.array([[0.7, 0.2, 0.1]], dtype=np.float32)
    out = unsmooth_probabilities(rows32, 0.1)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-6)


@pytest.mark.contract
@given(data=st.data())
def test_contract_label_smoothing(data):
    names = {"y_true", "n_classes", "epsilon", "y_prob"}
    eps = data.draw(st.floats(0.0, 0.99))
    if data.draw(st.booleans()):
        n, k = data.draw(sizes()), data.draw(sizes(2, 5))
        y = data.draw(labels(n, k))
        t, err = check(smooth_labels, y, k, eps, names=names)
        assert err is None
        np.testing.assert_allclose(t.sum(axis=1), 1.0, rtol=1e-12)
        back, err = check(unsmooth_probabilities, t, eps, names=names)
        assert err is None
        np.testing.assert_allclose(back, np.eye(k)[y], atol=1e-9)
    else:
        args = [data.draw(arbitrary(2)), data.draw(arbitrary(0))]
        fn = data.draw(st.sampled_from([smooth_labels, unsmooth_probabilities]))
        if fn is smooth_labels:
            args.insert(1, data.draw(st.one_of(st.integers(-2, 6), arbitrary(0))))
        out, err = check(fn, *args, names=names)
        if err is None:
            no_nan(out)


# --- focal loss ---

def _focal_reference(t, z):
    """-sum_k t_k (1 - f_k)^gamma log f_k, directly from softmax probabilities (moderate z)."""
    f = special.softmax(z, axis=1)
    return lambda g: -np.sum(t * (1 - f) ** g * np.log(f), axis=1)


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 5.0])
def test_focal_loss_matches_its_definition(gamma):
    y3 = rng.integers(0, 3, 40)
    z3 = rng.normal(scale=2, size=(40, 3))
    np.testing.assert_allclose(focal_loss(y3, z3, gamma, reduction="none"),
                               _focal_reference(np.eye(3)[y3], z3)(gamma), rtol=1e-12)
    soft = rng.uniform(size=40)                                    # binary, soft targets
    z2 = np.stack([np.zeros(40), z3[:, 0]], axis=1)                # column 1 = class A
    np.testing.assert_allclose(focal_loss(soft, z3[:, 0], gamma, reduction="none"),
                               _focal_reference(np.c_[1 - soft, soft], z2)(gamma), rtol=1e-12)
    w = rng.uniform(0.1, 2, 40)
    assert focal_loss(y3, z3, gamma, sample_weight=w) == pytest.approx(
        np.average(_focal_reference(np.eye(3)[y3], z3)(gamma), weights=w), rel=1e-12)


def test_focal_loss_with_gamma_zero_is_the_cross_entropy():
    assert focal_loss(Y, Z, 0.0) == pytest.approx(binary_cross_entropy(Y, Z), rel=1e-15)
    z3 = rng.normal(size=(20, 3))
    y3 = rng.integers(0, 3, 20)
    assert focal_loss(y3, z3, 0.0) == pytest.approx(categorical_cross_entropy(y3, z3), rel=1e-15)


def test_focal_loss_is_finite_and_accurate_at_extreme_logits():
    assert focal_loss([1, 0], [-1e4, 1e4], 2.0, reduction="none").tolist() == [1e4, 1e4]
    assert focal_loss([1, 0], [1e300, -1e300], 2.0) == 0.0
    # f_A = 1 - 1e-30: (1 - f_A)^2 (-log f_A) = 1e-60 * 1e-30, from the other class's mass
    tiny = focal_loss([1], [[-69.07755278982137, 0.0]], 2.0)
    assert tiny == pytest.approx(1e-90, rel=1e-6)
    assert focal_loss([1], [69.07755278982137], 2.0) == pytest.approx(1e-90, rel=1e-6)


def _expected_focal(z, eta, gamma):
    return focal_loss([eta], [z], gamma)       # a soft target: the expected loss at eta


def test_focal_minimiser_minimises_the_expected_focal_loss():
    for gamma in (0.5, 2.0, 5.0):
        for eta in (0.01, 0.3, 0.5, 0.8, 0.999):
            best = optimize.minimize_scalar(_expected_focal, bracket=(-3.0, 3.0),
                                            args=(eta, gamma), tol=1e-12)
            assert focal_minimiser(eta, gamma) == pytest.approx(sigmoid(best.x), abs=1e-7)


def test_focal_inverse_undoes_the_minimiser_and_keeps_the_ends():
    eta = np.concatenate([[0.0, 1e-300, 1e-9, 0.5, 1 - 1e-9, 1.0], rng.uniform(size=50)])
    for gamma in (0.0, 0.25, 1.0, 3.0, 10.0):
        q = focal_minimiser(eta, gamma)
        np.testing.assert_allclose(focal_inverse(q, gamma), eta, rtol=1e-9, atol=1e-300)
    assert focal_minimiser([0.9], 0.0).tolist() == [0.9]       # the log loss is proper
    assert float(focal_minimiser(0.25, 2.0)) == pytest.approx(1 - float(focal_minimiser(0.75, 2.0)))


@given(st.floats(0.0, 1.0), st.floats(0.0, 1.0), st.floats(0.01, 20.0))
def test_focal_minimiser_is_increasing_and_under_confident(a, b, gamma):
    qa, qb = focal_minimiser([a, b], gamma)
    assert (qa - qb) * (a - b) >= 0                                 # monotone
    assert abs(qa - 0.5) <= abs(a - 0.5) + 1e-15                   # between 1/2 and eta


@pytest.mark.parametrize("call, msg", [
    (lambda: focal_loss([1], [0.0], -1.0), "gamma: must be a finite number >= 0"),
    (lambda: focal_loss([1], [0.0], np.nan), "gamma: must be a finite number >= 0"),
    (lambda: focal_loss([1], np.zeros((1, 1, 2)), 2.0), "logits: expected 1 or 2-D array"),
    (lambda: focal_loss([3], np.zeros((1, 3)), 2.0), r"y_true: labels outside"),
    (lambda: focal_minimiser([1.5], 2.0), r"p_true: probabilities must lie in \[0, 1\]"),
    (lambda: focal_inverse([[0.5]], 2.0), "y_prob: expected 0 or 1-D array"),
])
def test_focal_bad_input_names_the_argument(call, msg):
    with pytest.raises(ValueError, match=msg):
        call()


@pytest.mark.contract
@given(data=st.data())
def test_contract_focal_loss(data):
    names = {"y_true", "logits", "gamma", "sample_weight", "reduction"}
    gamma = data.draw(st.floats(0.0, 50.0) | st.sampled_from([0.0, 1e-300, 1e6]))
    if data.draw(st.booleans()):
        n, k = data.draw(sizes()), data.draw(sizes(2, 5))
        if data.draw(st.booleans()):
            y, z, w = data.draw(_binary_case(False))
        else:
            y, z, w = data.draw(labels(n, k)), data.draw(matrices(n, k, floats())), None
        out, err = check(focal_loss, y, z, gamma, sample_weight=w, reduction="none", names=names)
        assert err is None and np.all(out >= 0) and np.all(np.isfinite(out))
        ce = (binary_cross_entropy(y, z, reduction="none") if z.ndim == 1
              else categorical_cross_entropy(y, z, reduction="none"))
        assert np.all(out <= ce * (1 + 1e-12) + 1e-300)             # (1 - f)^gamma <= 1
    else:
        out, err = check(focal_loss, data.draw(arbitrary(2)), data.draw(arbitrary(2)),
                         data.draw(arbitrary(0)), names=names)
        if err is None:
            no_nan(out)


@pytest.mark.contract
@pytest.mark.parametrize("fn", [focal_minimiser, focal_inverse])
@given(data=st.data())
def test_contract_focal_maps(fn, data):
    names = {"p_true" if fn is focal_minimiser else "y_prob", "gamma"}
    if data.draw(st.booleans()):
        p = data.draw(probs(data.draw(sizes())))
        gamma = data.draw(st.floats(0.0, 50.0) | st.sampled_from([0.0, 1e-300, 1e6]))
        out, err = check(fn, p, gamma, names=names)
        assert err is None and out.shape == p.shape
        assert np.all((out >= 0) & (out <= 1))
        np.testing.assert_array_equal(out[(p == 0) | (p == 1)], p[(p == 0) | (p == 1)])
    else:
        out, err = check(fn, data.draw(arbitrary(2)), data.draw(arbitrary(0)), names=names)
        if err is None:
            no_nan(out)
