import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.calibration import calibration_curve

from softprob.activations import sigmoid
from softprob.calibration import (
    calibrated_ece_approx,
    calibrated_ece_samples,
    expected_calibration_error,
    reliability_curve,
    smooth_ece,
)

from contracts import arbitrary, check, labels, no_nan, probs, rows, sizes


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
    assert expected_calibration_error(y, p, n_bins=1, multiclass="top-label") == pytest.approx(
        abs(2 / 3 - 2.3 / 3))


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
    sims = calibrated_ece_samples(rows, rng, n_bins=10, n_rep=20, multiclass="top-label")
    assert np.all((sims > 0) & (sims < 0.1))


ROWS = np.array([[0.7, 0.2, 0.1], [0.1, 0.6, 0.3]])


@pytest.mark.parametrize("call, msg", [
    (lambda: calibrated_ece_samples([0.5], 0), "rng: expected a numpy.random.Generator"),
    (lambda: calibrated_ece_samples([1.5], np.random.default_rng(0)),
     r"y_prob: probabilities must lie"),
    (lambda: calibrated_ece_samples([0.5], np.random.default_rng(0), n_rep=0), "n_rep: must be"),
    (lambda: calibrated_ece_approx(np.ones((2, 2, 2))), "y_prob: expected 1 or 2-D array"),
    (lambda: calibrated_ece_approx([0.5], n_bins=0), "n_bins: must be an integer >= 1"),
    (lambda: reliability_curve([0, 1], [0.5]), "y_prob: has 1 rows but y_true has 2"),
    (lambda: reliability_curve([0, 2], [0.5, 0.5]),
     r"y_true: labels outside the class set \{0..1\}: \[2\]; y_prob is 1-D .*'top-label'"),
    (lambda: reliability_curve([0, 1], [0.5, 1.5]), r"y_prob: probabilities must lie in \[0, 1\]"),
    (lambda: reliability_curve([0, 1], [0.5, 0.5], strategy="x"), "strategy: must be one of"),
    (lambda: reliability_curve([0, 1], ROWS),
     "multiclass: y_prob has 3 columns.*'top-label'.*'class-wise'"),
    (lambda: reliability_curve([0, 1], ROWS, multiclass="class-wise"),
     "label: multiclass='class-wise'"),
    (lambda: reliability_curve([0, 1], ROWS, multiclass="class-wise", label=3), "label: .*0..2"),
    (lambda: reliability_curve([0, 1], ROWS, multiclass="top-label", label=1), "label: only used"),
    (lambda: reliability_curve([0, 1], [0.5, 0.5], multiclass="top-label"),
     "multiclass: y_prob is 1-D"),
    (lambda: expected_calibration_error([0, 1], ROWS, multiclass="top"),
     "multiclass: must be one of"),
    (lambda: expected_calibration_error([0], [[0.5, 0.6]], multiclass="top-label"),
     "y_prob: each row must sum to 1"),
    (lambda: calibrated_ece_approx(ROWS), "multiclass: y_prob has 3 columns"),
])
def test_bad_input(call, msg):
    with pytest.raises(ValueError, match=msg):
        call()


# --- K classes (issue 17): top-label and class-wise forms, float32 rows ---

def _k_class(n, rng, power=1.0):
    """Dirichlet rows; labels drawn from rows**power (renormalised): calibrated at power 1."""
    rows = rng.dirichlet(np.full(4, 0.7), size=n)
    truth = rows**power / np.sum(rows**power, axis=1, keepdims=True)
    labels = (rng.uniform(size=(n, 1)) > np.cumsum(truth, axis=1)).sum(axis=1).clip(max=3)
    return rows, labels


def test_top_label_and_class_wise_ece_match_their_definitions():
    rng = np.random.default_rng(20)
    rows, y = _k_class(3000, rng, power=2.0)            # miscalibrated: truth sharper than rows
    top = expected_calibration_error(y, rows, n_bins=10, multiclass="top-label")
    hits = (rows.argmax(axis=1) == y).astype(int)
    assert top == pytest.approx(expected_calibration_error(hits, rows.max(axis=1), n_bins=10))
    cw = expected_calibration_error(y, rows, n_bins=10, multiclass="class-wise")
    per_class = [expected_calibration_error((y == k).astype(int), rows[:, k], n_bins=10)
                 for k in range(4)]
    assert cw == pytest.approx(np.mean(per_class))
    mp, freq, n = reliability_curve(y, rows, n_bins=10, multiclass="class-wise", label=2)
    sk_true, sk_pred = calibration_curve((y == 2).astype(int), rows[:, 2], n_bins=10)
    np.testing.assert_allclose(freq, sk_true, rtol=1e-12)
    np.testing.assert_allclose(mp, sk_pred, rtol=1e-12)


@pytest.mark.parametrize("multiclass", ["top-label", "class-wise"])
def test_k_class_noise_floors_agree_and_calibrated_rows_sit_at_the_floor(multiclass):
    rng = np.random.default_rng(21)
    rows, y = _k_class(20_000, rng)                     # calibrated by construction
    sims = calibrated_ece_samples(rows, rng, n_bins=10, n_rep=200, multiclass=multiclass)
    approx = calibrated_ece_approx(rows, n_bins=10, multiclass=multiclass)
    assert abs(sims.mean() - approx) < 4 * sims.std(ddof=1) / np.sqrt(sims.size) + 0.05 * approx
    ece = expected_calibration_error(y, rows, n_bins=10, multiclass=multiclass)
    assert ece < np.quantile(sims, 0.999)
    bad_rows, bad_y = _k_class(20_000, rng, power=2.0)
    assert expected_calibration_error(bad_y, bad_rows, n_bins=10, multiclass=multiclass) \
        > 5 * np.quantile(sims, 0.999)


def test_float32_rows_are_accepted_and_float64_stays_strict():
    rng = np.random.default_rng(22)
    z = rng.normal(scale=3, size=(500, 10)).astype(np.float32)
    rows32 = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)          # float32 softmax
    assert np.max(np.abs(rows32.sum(axis=1, dtype=np.float64) - 1)) > 1e-8
    y = rng.integers(0, 10, 500)
    ece32 = expected_calibration_error(y, rows32, multiclass="top-label")
    assert ece32 == pytest.approx(
        expected_calibration_error(y, rows32.astype(np.float64) / rows32.sum(1, keepdims=True,
                                                                              dtype=np.float64),
                                   multiclass="top-label"), abs=1e-5)
    off = rows32.astype(np.float64)
    off[:, 0] += 2e-7
    with pytest.raises(ValueError, match="y_prob: each row must sum to 1"):
        expected_calibration_error(y, off, multiclass="top-label")


def test_top_label_can_hide_per_class_miscalibration():
    # a rare class scored 3x too high: top-label ECE stays small (it is never the arg-max),
    # the class-wise curve of that class shows it
    rng = np.random.default_rng(23)
    n = 40_000
    common = rng.dirichlet([8, 8, 8], size=n)
    rare_true = np.full(n, 0.03)
    rows = np.c_[common * (1 - 0.09), np.full(n, 0.09)]            # rare class scored 0.09
    truth = np.c_[common * (1 - rare_true[:, None]), rare_true]
    y = (rng.uniform(size=(n, 1)) > np.cumsum(truth, axis=1)).sum(axis=1).clip(max=3)
    top = expected_calibration_error(y, rows, n_bins=15, multiclass="top-label")
    mp, freq, _ = reliability_curve(y, rows, n_bins=15, multiclass="class-wise", label=3)
    assert abs(mp[0] - 0.09) < 1e-12 and abs(freq[0] - 0.03) < 0.005
    assert top < 0.05 < expected_calibration_error(y, rows, n_bins=15, multiclass="class-wise") * 4


# --- smooth ECE (Blasiok & Nakkiran 2023) ---

def _reflected_kernel(t, f, sigma):
    """K^R_sigma(t, f) = sum_k phi(t - f - 2k) + phi(t + f - 2k), written out directly."""
    shifts = 2.0 * np.arange(-3, 4)
    z = np.concatenate([f[None, :] + shifts[:, None], -f[None, :] + shifts[:, None]])
    return np.exp(-0.5 * ((t[:, None, None] - z[None]) / sigma) ** 2).sum(axis=1) / (
        sigma * np.sqrt(2 * np.pi))


def _smece_direct(y, f, sigma, m=20_001):
    """The definition by brute force: the kernel sum on m nodes, trapezoid rule on [0, 1]."""
    t = np.linspace(0.0, 1.0, m)
    g = np.abs(_reflected_kernel(t, f, sigma) @ (y - f)) / f.size
    return float(np.sum(g[1:] + g[:-1]) / (2 * (m - 1)))


def _cases(rng):
    """(name, labels, scores): calibrated, overconfident, too low, small; scores in [.01, .99]."""
    p = rng.uniform(0.01, 0.99, size=4000)
    yield "calibrated", (rng.uniform(size=p.size) < p).astype(float), p
    z = rng.normal(scale=1.5, size=4000)
    yield "overconfident", (rng.uniform(size=z.size) < sigmoid(z)).astype(float), \
        np.clip(sigmoid(2 * z), 0.01, 0.99)
    p = rng.beta(2, 5, size=3000)
    yield "too low", (rng.uniform(size=p.size) < p**0.6).astype(float), np.clip(p, 0.01, 0.99)
    p = rng.uniform(0.1, 0.9, size=60)
    yield "n = 60", (rng.uniform(size=p.size) < p).astype(float), p


@pytest.mark.parametrize("sigma", [0.01, 0.05, 0.2])
def test_smooth_ece_at_fixed_bandwidth_is_the_kernel_integral(sigma):
    # the definition summed directly, scores touching both boundaries (where the
    # reflection matters) included; documented accuracy 1e-4 relative
    rng = np.random.default_rng(31)
    f = np.r_[0.0, 1.0, 1e-4, 1 - 1e-4, rng.uniform(size=150)]
    y = (rng.uniform(size=f.size) < f**1.5).astype(float)
    assert smooth_ece(y, f, sigma=sigma) == pytest.approx(_smece_direct(y, f, sigma), rel=1e-4)


def test_smooth_ece_agrees_with_relplot():
    """Cross-check against the authors' package (relplot 1.0.3, a test-only dependency).

    relplot splats the scores on a grid of step ~1/1000, mirrors it once, and integrates with a
    rectangle rule over m = max(200, round(10 / sigma)) points that weights both end points
    fully: an O(1/m) relative error; we allow 2/m (1% at m = 200). Its bandwidth search is a
    bisection on [0, 1] with 10 halvings, so its sigma lies up to 2^-10 above the fixed point,
    and its smooth ECE up to that much below it. Scores stay in [0.01, 0.99]: relplot counts a
    mass within one grid step of 0 or 1 once instead of twice (the reflected kernel doubles it),
    a deviation of several percent for scores piled at the boundaries.
    """
    import relplot

    rng = np.random.default_rng(32)
    worst = 0.0
    for name, y, f in _cases(rng):
        for sigma in (0.02, 0.05, 0.1):
            m = max(200, round(10 / sigma))
            ours, theirs = smooth_ece(y, f, sigma=sigma), relplot.smECE_sigma(f, y, sigma)
            assert abs(ours - theirs) <= 2 / m * ours, (name, sigma, ours, theirs)
            worst = max(worst, abs(ours - theirs) / ours)
        ours = smooth_ece(y, f)
        theirs, width = relplot.smECE(f, y, return_width=True)
        assert abs(ours - theirs) <= 2.0**-10 + 0.01 * ours, (name, ours, theirs)
        assert width - 2.0**-10 - 0.01 * ours <= ours <= width + 0.01 * ours, (name, width)
    assert worst > 0                                     # two different computations


def test_smooth_ece_is_a_fixed_point_and_does_not_grow_with_sigma():
    rng = np.random.default_rng(33)
    for _, y, f in _cases(rng):
        s = smooth_ece(y, f)
        assert smooth_ece(y, f, sigma=s) == pytest.approx(s, abs=1e-9)
        values = [smooth_ece(y, f, sigma=v) for v in (0.005, 0.01, 0.03, 0.1, 0.3, 1.0)]
        assert np.all(np.diff(values) <= 1e-4 * values[0])   # grid error 1e-4 relative


def test_smooth_ece_weights_soft_targets_and_multiclass_forms():
    rng = np.random.default_rng(34)
    f = rng.uniform(size=40)
    y = (rng.uniform(size=40) < f**2).astype(float)
    reps = rng.integers(1, 4, size=40)                   # integer weights = repeated samples
    assert smooth_ece(y, f, sample_weight=reps) == pytest.approx(
        smooth_ece(np.repeat(y, reps), np.repeat(f, reps)), rel=1e-9)
    assert smooth_ece(f, f) == 0.0                       # targets equal to the scores
    rows, labels = _k_class(3000, rng, power=2.0)
    hits = (rows.argmax(axis=1) == labels).astype(float)
    assert smooth_ece(labels, rows, multiclass="top-label") == pytest.approx(
        smooth_ece(hits, rows.max(axis=1)), rel=1e-12)
    per_class = [smooth_ece((labels == k).astype(float), rows[:, k]) for k in range(4)]
    assert smooth_ece(labels, rows, multiclass="class-wise") == pytest.approx(
        np.mean(per_class), rel=1e-12)


def test_smooth_ece_noise_floor_shrinks_with_n():
    # calibrated scores: the fixed point balances the kernel estimate's noise,
    # of order (n sigma)^(-1/2), against sigma: sigma* ~ n^(-1/3), 40^(1/3) = 3.4
    rng = np.random.default_rng(35)
    p = rng.uniform(size=40_000)
    y = (rng.uniform(size=p.size) < p).astype(float)
    small, large = smooth_ece(y[:1000], p[:1000]), smooth_ece(y, p)
    assert 1.5 < small / large < 8 and large < 0.02


@pytest.mark.parametrize("call, msg", [
    (lambda: smooth_ece([0, 2], [0.5, 0.5]), r"y_true: labels \(0/1\) or probabilities"),
    (lambda: smooth_ece([0, 1], [0.5]), "y_prob: has 1 rows but y_true has 2"),
    (lambda: smooth_ece([0, 1], [0.5, 0.5], sigma=0.0), "sigma: must be"),
    (lambda: smooth_ece([0, 1], [0.5, 0.5], sigma=2.0), r"sigma: the bandwidth must lie"),
    (lambda: smooth_ece([0, 1], [0.5, 0.5], sample_weight=[0, 0]), "sample_weight: all"),
    (lambda: smooth_ece([0, 1], ROWS), "multiclass: y_prob has 3 columns"),
])
def test_smooth_ece_bad_input(call, msg):
    with pytest.raises(ValueError, match=msg):
        call()


# --- contracts ---

CAL_NAMES = {"y_true", "y_prob", "n_bins", "strategy", "multiclass", "label", "rng", "n_rep",
             "sigma", "sample_weight"}


@st.composite
def calibration_case(draw):
    n = draw(sizes())
    if draw(st.booleans()):
        return draw(labels(n, 2)), draw(probs(n)), None
    k = draw(sizes(2, 5))
    return draw(labels(n, k)), draw(rows(n, k)), draw(st.sampled_from(["top-label", "class-wise"]))


@pytest.mark.contract
@pytest.mark.parametrize("fn", [reliability_curve, expected_calibration_error])
@given(data=st.data())
def test_contract_reliability_and_ece(fn, data):
    if data.draw(st.booleans()):
        y, p, multiclass = data.draw(calibration_case())
        kw = dict(n_bins=data.draw(st.integers(1, 20)),
                  strategy=data.draw(st.sampled_from(["uniform", "quantile"])),
                  multiclass=multiclass)
        if fn is reliability_curve and multiclass == "class-wise":
            kw["label"] = data.draw(st.integers(0, p.shape[1] - 1))
        out, err = check(fn, y, p, names=CAL_NAMES, **kw)
        assert err is None
        no_nan(out)
        if fn is expected_calibration_error:
            assert 0.0 <= out <= 1.0
        else:
            mean_p, freq, counts = out
            assert np.all((mean_p >= -1e-12) & (mean_p <= 1 + 1e-12) & (freq >= 0) & (freq <= 1))
            assert counts.sum() == len(y)
    else:
        kw = data.draw(st.fixed_dictionaries({}, optional={
            "n_bins": arbitrary(0), "strategy": st.text(max_size=4),
            "multiclass": st.sampled_from([None, "top-label", "class-wise", "x"]),
            "label": arbitrary(0)}))
        if fn is expected_calibration_error:
            kw.pop("label", None)
        out, _ = check(fn, data.draw(arbitrary(1)), data.draw(arbitrary(2)), names=CAL_NAMES, **kw)
        no_nan(out)


@pytest.mark.contract
@pytest.mark.parametrize("fn", [calibrated_ece_samples, calibrated_ece_approx])
@given(data=st.data())
def test_contract_noise_floors(fn, data):
    rng_args = (np.random.default_rng(0),) if fn is calibrated_ece_samples else ()
    extra = {"n_rep": 3} if fn is calibrated_ece_samples else {}
    if data.draw(st.booleans()):
        _, p, multiclass = data.draw(calibration_case())
        out, err = check(fn, p, *rng_args, n_bins=data.draw(st.integers(1, 20)),
                         multiclass=multiclass, names=CAL_NAMES, **extra)
        assert err is None
        no_nan(out)
        assert np.all((np.asarray(out) >= 0) & (np.asarray(out) <= 1))
    else:
        args = (data.draw(arbitrary(2)),) + ((data.draw(st.sampled_from(
            [np.random.default_rng(0), 0, None])),) if rng_args else ())
        out, _ = check(fn, *args, multiclass=data.draw(st.sampled_from([None, "top-label", 3])),
                       names=CAL_NAMES, **extra)
        no_nan(out)


@pytest.mark.contract
@given(data=st.data())
def test_contract_smooth_ece(data):
    if data.draw(st.booleans()):
        y, p, multiclass = data.draw(calibration_case())
        sigma = data.draw(st.sampled_from([None, 1e-4, 0.05, 1.0]))
        out, err = check(smooth_ece, y, p, sigma=sigma, multiclass=multiclass, names=CAL_NAMES)
        assert err is None
        no_nan(out)
        assert 0.0 <= out <= 1.0 + 1e-9
    else:
        out, _ = check(smooth_ece, data.draw(arbitrary(1)), data.draw(arbitrary(2)),
                       sigma=data.draw(st.sampled_from([None, 0.1, -1.0, "a", 5.0])),
                       multiclass=data.draw(st.sampled_from([None, "top-label", 3])),
                       names=CAL_NAMES)
        no_nan(out)
