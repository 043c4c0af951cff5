import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.stats import multivariate_normal, norm

from softprob.data import DiscreteJoint, GaussianBinary, GaussianClasses

from contracts import arbitrary, check, floats, labels, matrices, no_nan, sizes, vectors


def test_binary_posterior_is_bayes_rule_with_scipy_densities():
    prob = GaussianBinary(mean_a=[1.0, 0.0], mean_b=[-1.0, 0.5], cov_a=[[1.0, 0.3], [0.3, 2.0]],
                          cov_b=[[0.5, 0.0], [0.0, 1.0]], prior_a=0.2)
    x = np.random.default_rng(0).normal(size=(50, 2))
    pa = 0.2 * multivariate_normal([1.0, 0.0], [[1.0, 0.3], [0.3, 2.0]]).pdf(x)
    pb = 0.8 * multivariate_normal([-1.0, 0.5], [[0.5, 0.0], [0.0, 1.0]]).pdf(x)
    np.testing.assert_allclose(prob.posterior_a(x), pa / (pa + pb), rtol=1e-12)
    np.testing.assert_allclose(prob.marginal_density(x), pa + pb, rtol=1e-12)
    np.testing.assert_allclose(prob.density_ratio(x), (pa / 0.2) / (pb / 0.8), rtol=1e-12)


def test_equal_covariance_posterior_is_exactly_logistic():
    prob = GaussianBinary(mean_a=2.0, mean_b=-0.5, cov_a=1.7, cov_b=1.7, prior_a=0.9)
    x = np.linspace(-6, 6, 25)
    b0, b1 = prob.logistic_coefficients()
    np.testing.assert_allclose(prob.log_odds(x), b0 + b1 * x, atol=1e-12)
    ref = np.log(0.9 * norm(2.0, np.sqrt(1.7)).pdf(x)) - np.log(0.1 * norm(-0.5,
                                                                           np.sqrt(1.7)).pdf(x))
    np.testing.assert_allclose(prob.log_odds(x), ref, atol=1e-10)


def test_unequal_covariance_has_no_linear_coefficients():
    with pytest.raises(ValueError, match="shared covariance"):
        GaussianBinary(0.0, 1.0, cov_a=1.0, cov_b=2.0).logistic_coefficients()


def test_k_class_softmax_coefficients_reproduce_posterior():
    prob = GaussianClasses(means=[[0, 0], [2, 0], [0, 2], [1, 1]], covs=[[1.0, 0.2], [0.2, 0.8]],
                           priors=[0.1, 0.2, 0.3, 0.4])
    x = np.random.default_rng(1).normal(size=(30, 2)) * 2
    w = prob.softmax_coefficients()
    z = np.hstack([np.ones((30, 1)), x]) @ w
    np.testing.assert_allclose(np.exp(z - z.max(1, keepdims=True)) /
                               np.exp(z - z.max(1, keepdims=True)).sum(1, keepdims=True),
                               prob.posterior(x), atol=1e-12)


def test_sampling_is_seeded_and_matches_priors():
    prob = GaussianBinary(mean_a=1.0, mean_b=-1.0, prior_a=0.25)
    x1, y1 = prob.sample(40_000, np.random.default_rng(7))
    x2, y2 = prob.sample(40_000, np.random.default_rng(7))
    np.testing.assert_array_equal(x1, x2)
    se = np.sqrt(0.25 * 0.75 / 40_000)
    assert abs(y1.mean() - 0.25) < 4 * se
    assert abs(x1[y1 == 1, 0].mean() - 1.0) < 4 / np.sqrt((y1 == 1).sum())


def test_with_prior_keeps_densities():
    prob = GaussianBinary(mean_a=1.0, mean_b=-1.0, prior_a=0.5)
    shifted = prob.with_prior_a(0.1)
    x = np.linspace(-3, 3, 7)
    np.testing.assert_allclose(shifted.log_odds(x), prob.log_odds(x) + np.log(0.1 / 0.9),
                               atol=1e-12)


def test_discrete_joint():
    table = np.array([[0.1, 0.2, 0.05], [0.3, 0.15, 0.2]])
    joint = DiscreteJoint(table)
    np.testing.assert_allclose(joint.posterior(), (table / table.sum(0)).T)
    np.testing.assert_allclose(joint.likelihood().sum(1), 1.0)
    x, c = joint.sample(60_000, np.random.default_rng(3))
    counts = np.zeros_like(table)
    np.add.at(counts, (c, x), 1)
    se = np.sqrt(table * (1 - table) / 60_000)
    assert np.all(np.abs(counts / 60_000 - table) < 4 * se)
    np.testing.assert_allclose(joint.with_priors([0.5, 0.5]).priors, [0.5, 0.5])


@pytest.mark.parametrize("call, msg", [
    (lambda: GaussianBinary(0.0, 1.0, prior_a=1.0),
     "prior_a: a class prior must lie strictly between 0 and 1"),
    (lambda: GaussianBinary([0.0, 1.0], 1.0), "mean_b: shape"),
    (lambda: GaussianBinary(0.0, 1.0, cov_a=-1.0, cov_b=1.0), "cov_a: must be positive definite"),
    (lambda: GaussianClasses([[0.0], [1.0]], [[1.0]], [0.5, 0.6]), "priors: need 2 class priors"),
    (lambda: GaussianClasses([[0.0], [1.0]], [[1.0, 0.0]], [0.5, 0.5]), "covs: expected shape"),
    (lambda: GaussianBinary(0.0, 1.0).posterior_a(np.zeros((3, 2))), "x: expected 1 feature"),
    (lambda: GaussianBinary(0.0, 1.0).sample(0, np.random.default_rng()),
     "n: must be an integer >= 1"),
    (lambda: GaussianBinary(0.0, 1.0).sample(5, 42), "rng: expected a numpy.random.Generator"),
    (lambda: DiscreteJoint([[0.5, 0.6]]), "table: entries must sum to 1"),
    (lambda: DiscreteJoint([[0.5, 0.0], [0.5, 0.0]]), "table: every x needs p"),
    (lambda: DiscreteJoint([[0.5, np.nan]]), "table: contains NaN"),
])
def test_bad_input(call, msg):
    with pytest.raises(ValueError, match=msg):
        call()


# --- quadrature: the one home of the chapters' grid-and-weights code ---

BIN = GaussianBinary(mean_a=1.0, mean_b=-1.0, cov_a=1.2**2, cov_b=0.8**2, prior_a=0.3)


def test_grid_rule_reproduces_the_chapters_formulas_bit_for_bit():
    grid = np.linspace(-12.0, 12.0, 6001)
    nodes, w = BIN.quadrature(6001, rule="grid", bounds=(-12.0, 12.0))
    assert np.array_equal(nodes, grid)
    assert np.array_equal(w, BIN.marginal_density(grid) / BIN.marginal_density(grid).sum())
    _, wc = BIN.quadrature(6001, rule="grid", bounds=(-12.0, 12.0), per_class=True)
    dens = np.exp(BIN.class_log_density(grid))
    for c in range(2):
        assert np.array_equal(wc[:, c], dens[:, c] / dens[:, c].sum())
    g = np.linspace(-5.0, 7.5, 31)
    prob2 = GaussianClasses(means=[[0.0, 0.0], [2.5, 0.5]], covs=np.eye(2), priors=[0.5, 0.5])
    nodes2, _ = prob2.quadrature(31, rule="grid", bounds=(-5.0, 7.5))
    assert np.array_equal(nodes2, np.stack(np.meshgrid(g, g), axis=-1).reshape(-1, 2))


def test_gauss_hermite_integrates_moments_exactly():
    x, w = BIN.quadrature(rule="gauss-hermite")
    mean = 0.3 * 1.0 + 0.7 * -1.0
    second = 0.3 * (1.0 + 1.44) + 0.7 * (1.0 + 0.64)
    assert w.sum() == pytest.approx(1.0, abs=1e-14)
    assert w @ x == pytest.approx(mean, abs=1e-13) and w @ x**2 == pytest.approx(second, abs=1e-13)
    _, wc = BIN.quadrature(rule="gauss-hermite", per_class=True)
    np.testing.assert_allclose(wc.T @ x, [-1.0, 1.0], atol=1e-13)          # index 0 = B
    prob = GaussianClasses(means=[[0.0, 1.0], [2.0, -1.0], [1.0, 1.0]],
                           covs=[[[1.0, 0.3], [0.3, 2.0]], np.eye(2), [[0.5, 0.0], [0.0, 0.5]]],
                           priors=[0.2, 0.3, 0.5])
    x2, wc2 = prob.quadrature(12, rule="gauss-hermite", per_class=True)
    np.testing.assert_allclose(wc2.T @ x2, prob.means, atol=1e-12)
    for c in range(3):
        centred = x2 - prob.means[c]
        np.testing.assert_allclose((centred * wc2[:, c:c + 1]).T @ centred, prob.covs[c],
                                   atol=1e-12)


def test_default_grid_is_converged_and_gauss_hermite_approaches_it():
    from softprob.information import conditional_kl_from_logits
    def z(x):                                                             # a model's logit
        return -0.4 + 1.7 * x

    kl = {}
    for key, kwargs in [("default", {}), ("fine", dict(n_nodes=40001, bounds=(-20.0, 20.0))),
                        ("gh160", dict(n_nodes=160, rule="gauss-hermite"))]:
        x, w = BIN.quadrature(**kwargs)
        kl[key] = conditional_kl_from_logits(BIN.posterior_a(x), z(x), sample_weight=w)
    assert kl["default"] == pytest.approx(kl["fine"], rel=1e-14)
    assert kl["gh160"] == pytest.approx(kl["fine"], rel=1e-8)


@pytest.mark.parametrize("call, msg", [
    (lambda: BIN.quadrature(rule="simpson"), "rule: must be one of"),
    (lambda: BIN.quadrature(bounds=(0.0, np.inf)), r"bounds: contains inf"),
    (lambda: BIN.quadrature(11, rule="grid", bounds=(2.0, 1.0)), "bounds: need a finite pair"),
    (lambda: BIN.quadrature(0), "n_nodes: must be an integer >= 1"),
    (lambda: GaussianClasses(means=np.zeros((2, 3)), covs=np.eye(3), priors=[0.5, 0.5])
     .quadrature(1000, rule="gauss-hermite"), "n_nodes: 1000 per dimension"),
    (lambda: BIN.quadrature(per_class=1), "per_class: must be True or False"),
    (lambda: BIN.quadrature(11, rule="grid", bounds=(1e3, 1e3 + 1)),
     "bounds, n_nodes: the grid misses"),
])
def test_quadrature_bad_input(call, msg):
    with pytest.raises(ValueError, match=msg):
        call()


# --- contracts ---

@st.composite
def gaussian_problems(draw):
    k, d = draw(st.integers(2, 4)), draw(st.integers(1, 2))
    means = draw(matrices(k, d, st.floats(-5, 5)))
    a = draw(hnp.arrays(np.float64, (k, d, d), elements=st.floats(-2, 2)))
    covs = a @ a.transpose(0, 2, 1) + 0.1 * np.eye(d)
    raw = draw(vectors(k, st.floats(0.05, 1.0)))
    priors = raw / raw.sum()
    if draw(st.booleans()):
        return GaussianClasses(means, covs[0] if draw(st.booleans()) else covs, priors)
    return GaussianBinary(means[1], means[0], covs[1], covs[0], float(priors[1] / priors[:2].sum()))


METHOD_NAMES = {"x", "y", "n", "rng", "priors", "prior_a", "n_nodes", "rule", "bounds",
                "per_class", "covs"}


@pytest.mark.contract
@pytest.mark.parametrize("kind", ["classes", "binary", "joint"])
@given(data=st.data())
def test_contract_problem_constructors(kind, data):
    names = {"means", "covs", "priors", "mean_a", "mean_b", "cov_a", "cov_b", "prior_a", "table"}
    if kind == "classes":
        args = [data.draw(arbitrary(2)), data.draw(arbitrary(3)), data.draw(arbitrary(1))]
        prob, _ = check(GaussianClasses, *args, names=names)
    elif kind == "binary":
        args = [data.draw(arbitrary(1)) for _ in range(4)] + [data.draw(arbitrary(0))]
        prob, _ = check(GaussianBinary, *args, names=names)
    else:
        prob, _ = check(DiscreteJoint, data.draw(arbitrary(2)), names=names)
    if prob is not None:
        no_nan(prob.priors)


@pytest.mark.contract
@pytest.mark.parametrize("method", ["class_log_density", "log_joint", "marginal_density",
                                    "posterior", "log_odds", "posterior_a", "density_ratio"])
@given(data=st.data())
def test_contract_problem_densities(method, data):
    prob = data.draw(gaussian_problems())
    if method in ("log_odds", "posterior_a", "density_ratio") and \
            not isinstance(prob, GaussianBinary):
        prob = GaussianBinary(prob.means[1], prob.means[0], prob.covs[1], prob.covs[0], 0.5)
    valid = data.draw(st.booleans())
    x = data.draw(matrices(data.draw(sizes()), prob.dim, floats(-1e3, 1e3)) if valid
                  else arbitrary(2))
    out, err = check(getattr(prob, method), x, names=METHOD_NAMES)
    if valid:
        assert err is None
    if err is None:
        no_nan(out)
        if method == "posterior":
            np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-12)


@pytest.mark.contract
@pytest.mark.parametrize("method", ["sample", "sample_given_labels", "with_priors", "quadrature",
                                    "softmax_coefficients", "logistic_coefficients",
                                    "with_prior_a"])
@given(data=st.data())
def test_contract_problem_methods(method, data):
    prob = data.draw(gaussian_problems())
    if method in ("logistic_coefficients", "with_prior_a") and not isinstance(prob, GaussianBinary):
        prob = GaussianBinary(prob.means[1], prob.means[0], prob.covs[1], prob.covs[0], 0.5)
    rng = np.random.default_rng(0)
    valid = data.draw(st.booleans())
    if method == "with_prior_a":
        args = (data.draw(st.floats(1e-9, 1 - 1e-9)),) if valid else (data.draw(arbitrary(1)),)
    elif method == "sample":
        args = (data.draw(sizes(1, 50)), rng) if valid else (data.draw(arbitrary(0)),
                                                              data.draw(st.sampled_from([rng, 1])))
    elif method == "sample_given_labels":
        args = (data.draw(labels(data.draw(sizes()), prob.n_classes)), rng) if valid \
            else (data.draw(arbitrary(1)), rng)
    elif method == "with_priors":
        raw = data.draw(vectors(prob.n_classes, st.floats(0.05, 1.0)))
        args = (raw / raw.sum(),) if valid else (data.draw(arbitrary(1)),)
    elif method == "quadrature":
        rule = data.draw(st.sampled_from(["grid", "gauss-hermite"]))
        kw = dict(n_nodes=data.draw(st.integers(2, 60) if rule == "gauss-hermite" else
                                    st.integers(101, 400)),
                  rule=rule, per_class=data.draw(st.booleans()))
        args = ()
        if not valid:
            kw = data.draw(st.fixed_dictionaries({}, optional={
                "n_nodes": st.one_of(st.integers(-2, 10**4), arbitrary(0)),
                "rule": st.text(max_size=5), "bounds": arbitrary(1), "per_class": arbitrary(0)}))
    else:
        args = ()
    out, err = check(getattr(prob, method), *args, names=METHOD_NAMES,
                     **(kw if method == "quadrature" else {}))
    if valid and method not in ("softmax_coefficients", "logistic_coefficients"):
        assert err is None
    if err is None:
        no_nan(out.priors if method in ("with_priors", "with_prior_a") else out)
        if method == "quadrature":
            np.testing.assert_allclose(np.sum(out[1], axis=0), 1.0, rtol=1e-9)


@pytest.mark.contract
@pytest.mark.parametrize("method", ["marginal", "posterior", "likelihood", "sample", "with_priors"])
@given(data=st.data())
def test_contract_discrete_joint(method, data):
    k, m = data.draw(st.integers(2, 4)), data.draw(st.integers(1, 5))
    raw = data.draw(matrices(k, m, st.floats(0.01, 1.0)))
    joint = DiscreteJoint(raw / raw.sum())
    valid = data.draw(st.booleans())
    if method == "sample":
        args = (data.draw(sizes(1, 30)) if valid else data.draw(arbitrary(0)),
                np.random.default_rng(1))
    elif method == "with_priors":
        p = data.draw(vectors(k, st.floats(0.05, 1.0)))
        args = (p / p.sum(),) if valid else (data.draw(arbitrary(1)),)
    else:
        args = ()
    out, err = check(getattr(joint, method), *args, names={"n", "rng", "priors", "table"})
    if valid:
        assert err is None
    if err is None:
        no_nan(out if method != "with_priors" else out.table)


# --- separation probability (d = 1) ---

def test_separation_probability_matches_simulation():
    prob = GaussianBinary(mean_a=1.0, mean_b=-1.0, cov_a=1.2**2, cov_b=1.2**2, prior_a=0.3)
    assert prob.separation_probability(2) == pytest.approx(1.0, abs=1e-9)
    events = prob.separation_probability(5, by_event=True)
    rng, reps, n = np.random.default_rng(11), 200_000, 5
    x, y = prob.sample(reps * n, rng)
    x, y = x[:, 0].reshape(reps, n), y.reshape(reps, n)
    n_a = y.sum(axis=1)
    absent = (n_a == 0) | (n_a == n)
    lo_a = np.where(y == 1, x, np.inf).min(1)
    hi_b = np.where(y == 0, x, -np.inf).max(1)
    lo_b = np.where(y == 0, x, np.inf).min(1)
    hi_a = np.where(y == 1, x, -np.inf).max(1)
    freq = np.array([absent.mean(), (~absent & (hi_b <= lo_a)).mean(),
                     (~absent & (hi_a <= lo_b)).mean()])
    se = np.sqrt(events * (1 - events) / reps)
    assert np.all(np.abs(freq - events) < 4.5 * se + 1e-12)


def test_separation_probability_needs_one_feature():
    prob = GaussianBinary(mean_a=[1.0, 0.0], mean_b=[-1.0, 0.0])
    with pytest.raises(ValueError, match="n: the separation probability is implemented for d = 1"):
        prob.separation_probability(10)


@pytest.mark.contract
@given(data=st.data())
def test_contract_separation_probability(data):
    mean = data.draw(st.floats(-5, 5))
    prob = GaussianBinary(mean_a=mean, mean_b=0.0, cov_a=data.draw(st.floats(0.1, 4.0)),
                          cov_b=1.0, prior_a=data.draw(st.floats(0.01, 0.99)))
    valid = data.draw(st.booleans())
    n = data.draw(st.integers(1, 500)) if valid else data.draw(st.one_of(arbitrary(0),
                                                                         st.integers(-5, 0)))
    out, err = check(prob.separation_probability, n, names={"n", "by_event"})
    if valid:
        assert err is None and 0.0 <= out <= 1.0 + 1e-9
    if err is None:
        no_nan(out)
