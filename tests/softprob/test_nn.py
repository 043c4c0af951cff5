import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from softprob.data import GaussianBinary, GaussianClasses
from softprob.information import conditional_kl
from softprob.losses import binary_cross_entropy, categorical_cross_entropy
from softprob.nn import MLP, init_mlp, loss_and_gradient, train_mlp

from contracts import arbitrary, check, floats, labels, matrices, no_nan, sizes


def _finite_difference_error(model, X, y, weight_decay, eps=1e-6):
    """Largest relative error between backprop and central differences over every parameter."""
    _, grads = loss_and_gradient(model, X, y, l2=weight_decay)
    worst = 0.0
    for i, p in enumerate(model.params):
        for j in np.ndindex(p.shape):
            plus, minus = [q.copy() for q in model.params], [q.copy() for q in model.params]
            plus[i][j] += eps
            minus[i][j] -= eps
            fd = (loss_and_gradient(MLP(tuple(plus), model.activation), X, y,
                                    l2=weight_decay)[0]
                  - loss_and_gradient(MLP(tuple(minus), model.activation), X, y,
                                      l2=weight_decay)[0]
                  ) / (2 * eps)
            worst = max(worst, abs(fd - grads[i][j]) / max(1e-4, abs(fd) + abs(grads[i][j])))
    return worst


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("weight_decay", [0.0, 0.3])
@pytest.mark.parametrize("hidden, activation", [((5,), "tanh"), ((4, 3), "tanh"), ((4, 3), "relu")])
def test_gradient_matches_central_finite_differences(n_classes, weight_decay, hidden, activation):
    rng = np.random.default_rng(1)
    model = init_mlp(2, n_classes, hidden, rng, activation=activation)
    model = MLP(tuple(p + 0.3 * rng.normal(size=p.shape) for p in model.params), activation)
    X = rng.normal(size=(7, 2))
    y = rng.integers(0, n_classes, size=7)
    assert _finite_difference_error(model, X, y, weight_decay) < 1e-6


def test_loss_is_the_cross_entropy_of_the_logits_plus_the_penalty():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(20, 3))
    for k, ce in [(2, binary_cross_entropy), (4, categorical_cross_entropy)]:
        net = init_mlp(3, k, (6,), rng)
        y = rng.integers(0, k, size=20)
        penalty = 0.25 * sum(np.sum(w**2) for w in net.params[0::2])
        assert loss_and_gradient(net, X, y, l2=0.5)[0] == pytest.approx(ce(y,
                                                                           net.logits(X)) + penalty)


def test_output_layer_gradient_is_p_minus_y():
    rng = np.random.default_rng(3)
    net = init_mlp(2, 3, (5,), rng)
    X, y = rng.normal(size=(9, 2)), rng.integers(0, 3, size=9)
    _, grads = loss_and_gradient(net, X, y)
    np.testing.assert_allclose(grads[-1], np.mean(net.predict_proba(X) - np.eye(3)[y], axis=0))


def test_training_is_deterministic_under_a_seed():
    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(60, 2)), rng.integers(0, 2, size=60)
    runs = [train_mlp(X, y, 2, (8, 8), np.random.default_rng(seed), epochs=30,
                      batch_size=16)
            for seed in (7, 7, 8)]
    for a, b in zip(runs[0].model.params, runs[1].model.params):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(runs[0].train_loss, runs[1].train_loss)
    assert not np.array_equal(runs[0].model.params[0], runs[2].model.params[0])


def test_learns_a_known_binary_posterior():
    prob = GaussianBinary(mean_a=1.0, mean_b=-1.0, cov_a=1.0, cov_b=2.0, prior_a=0.4)
    rng = np.random.default_rng(5)
    X, y = prob.sample(5000, rng)
    res = train_mlp(X, y, 2, (8,), rng, epochs=400, learning_rate=0.03)
    grid = np.linspace(-2.5, 2.5, 101)[:, None]
    assert conditional_kl(prob.posterior_a(grid), res.model.predict_proba(grid)) < 0.01
    # an output bias that is not decayed makes the mean score match the class frequency
    assert abs(np.mean(res.model.predict_proba(X)) - y.mean()) < 1e-3


def test_learns_a_known_softmax_posterior_with_mini_batches():
    prob = GaussianClasses(means=[[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]], covs=np.eye(2),
                           priors=[0.3, 0.3, 0.4])
    rng = np.random.default_rng(6)
    X, y = prob.sample(4000, rng)
    res = train_mlp(X, y, 3, (8,), rng, epochs=40, batch_size=200, learning_rate=0.02)
    Xt, _ = prob.sample(2000, rng)
    assert conditional_kl(prob.posterior(Xt), res.model.predict_proba(Xt)) < 0.02


def test_early_stopping_returns_the_best_validation_epoch():
    rng = np.random.default_rng(7)
    prob = GaussianBinary(mean_a=0.5, mean_b=-0.5)
    X, y = prob.sample(60, rng)
    Xv, yv = prob.sample(500, rng)
    res = train_mlp(X, y, 2, (32, 32), rng, epochs=2000, learning_rate=0.02,
                    validation=(Xv, yv), patience=50)
    assert res.stopped_early and len(res.val_loss) == res.best_epoch + 50
    assert res.val_loss[res.best_epoch - 1] == res.val_loss.min()
    assert loss_and_gradient(res.model, Xv, yv)[0] == pytest.approx(res.val_loss.min())


def test_weight_decay_shrinks_the_weights():
    rng = np.random.default_rng(8)
    X, y = rng.normal(size=(100, 2)), rng.integers(0, 2, size=100)
    norms = [sum(np.sum(w**2) for w in train_mlp(X, y, 2, (16,),
                                                 np.random.default_rng(0), epochs=200,
                                                  l2=wd).model.params[0::2])
             for wd in (0.0, 0.1)]
    assert norms[1] < 0.5 * norms[0]


def test_extreme_logits_give_finite_loss_gradient_and_probabilities():
    net = init_mlp(1, 2, (3,), np.random.default_rng(9))
    huge = MLP(tuple(p * 1e5 if p.ndim == 2 else p for p in net.params))
    X, y = np.array([[-5.0], [5.0]]), np.array([1, 0])
    assert np.max(np.abs(huge.logits(X))) > 1e4
    loss, grads = loss_and_gradient(huge, X, y)
    assert np.isfinite(loss) and loss > 1e3 and all(np.all(np.isfinite(g)) for g in grads)
    assert np.all((huge.predict_proba(X) >= 0) & (huge.predict_proba(X) <= 1))
    net3 = init_mlp(1, 3, (3,), np.random.default_rng(9))
    huge3 = MLP(tuple(p * 1e4 for p in net3.params))
    loss3, grads3 = loss_and_gradient(huge3, X, np.array([0, 2]))
    assert np.isfinite(loss3) and all(np.all(np.isfinite(g)) for g in grads3)


GOOD_X, GOOD_Y = np.zeros((4, 2)), np.array([0, 1, 0, 1])
RNG = np.random.default_rng(0)


@pytest.mark.parametrize("call, msg", [
    (lambda: init_mlp(0, 2, (3,), RNG), "n_features: must be an integer >= 1"),
    (lambda: init_mlp(2, 2, (), RNG), "hidden: expected a non-empty tuple"),
    (lambda: init_mlp(2, 2, 3, RNG), "hidden: expected a non-empty tuple"),
    (lambda: init_mlp(2, 2, (3, 0), RNG), "hidden: must be an integer >= 1"),
    (lambda: init_mlp(2, 1, (3,), RNG), "n_classes: must be an integer >= 2"),
    (lambda: init_mlp(2, 2, (3,), RNG, activation="sigmoid"),
     "activation: must be one of"),
    (lambda: init_mlp(2, 2, (3,), 0), "rng: expected a numpy.random.Generator"),
    (lambda: loss_and_gradient("net", GOOD_X, GOOD_Y), "model: expected an MLP"),
    (lambda: loss_and_gradient(init_mlp(3, 2, (3,), RNG), GOOD_X, GOOD_Y),
     "X: expected 3 feature"),
    (lambda: loss_and_gradient(init_mlp(2, 2, (3,), RNG), GOOD_X, [0, 1]),
     "y: has 2 rows but X has 4"),
    (lambda: loss_and_gradient(init_mlp(2, 2, (3,), RNG), GOOD_X, [0, 1, 2, 1]),
     "y: labels outside"),
    (lambda: loss_and_gradient(init_mlp(2, 2, (3,), RNG), GOOD_X, GOOD_Y, l2=-1.0),
     "l2: must"),
    (lambda: train_mlp([[np.nan, 0.0]], [1], 2, (3,), RNG), "X: contains NaN"),
    (lambda: train_mlp(GOOD_X, GOOD_Y, 2, (3,), RNG, epochs=0),
     "epochs: must be an integer >= 1"),
    (lambda: train_mlp(GOOD_X, GOOD_Y, 2, (3,), RNG, learning_rate=0.0),
     "learning_rate: must be"),
    (lambda: train_mlp(GOOD_X, GOOD_Y, 2, (3,), RNG, batch_size=0),
     "batch_size: must be an integer"),
    (lambda: train_mlp(GOOD_X, GOOD_Y, 2, (3,), RNG, patience=5),
     "patience: early stopping needs"),
    (lambda: train_mlp(GOOD_X, GOOD_Y, 2, (3,), RNG, validation=(GOOD_X,)),
     "validation: expected a pair"),
    (lambda: train_mlp(GOOD_X, GOOD_Y, 2, (3,), RNG, validation=(GOOD_X, [0, 1])),
     "validation: has 2 rows"),
])
def test_bad_input(call, msg):
    with pytest.raises(ValueError, match=msg):
        call()


# --- contracts ---

NN_NAMES = {"n_features", "n_classes", "hidden", "rng", "activation", "model", "X", "y", "l2",
            "epochs", "learning_rate", "batch_size", "validation", "patience", "params"}


@pytest.mark.contract
@given(data=st.data())
def test_contract_init_and_loss(data):
    if data.draw(st.booleans()):
        d, k = data.draw(st.integers(1, 3)), data.draw(st.integers(2, 4))
        hidden = tuple(data.draw(st.lists(st.integers(1, 5), min_size=1, max_size=2)))
        net, err = check(init_mlp, d, k, hidden, np.random.default_rng(0),
                         activation=data.draw(st.sampled_from(["tanh", "relu"])), names=NN_NAMES)
        assert err is None
        n = data.draw(sizes())
        x = data.draw(matrices(n, d, floats(-1e4, 1e4)))
        y = data.draw(labels(n, k))
        out, err = check(loss_and_gradient, net, x, y, l2=data.draw(st.floats(0, 10)),
                         names=NN_NAMES)
        assert err is None
        no_nan(out)
        no_nan(net.logits(x), net.predict_proba(x))
    else:
        net, _ = check(init_mlp, *(data.draw(arbitrary(1)) for _ in range(3)),
                       data.draw(st.sampled_from([np.random.default_rng(0), 0])), names=NN_NAMES)
        model = data.draw(st.sampled_from([init_mlp(2, 2, (3,), np.random.default_rng(0)), "m"]))
        out, _ = check(loss_and_gradient, model, data.draw(arbitrary(2)), data.draw(arbitrary(1)),
                       l2=data.draw(st.one_of(st.just(0.0), arbitrary(0))), names=NN_NAMES)
        no_nan(out)
    mlp, _ = check(MLP, data.draw(st.one_of(arbitrary(2), st.lists(arbitrary(2), max_size=4))),
                   activation=data.draw(st.sampled_from(["tanh", "relu", "x"])), names=NN_NAMES)
    fixed = init_mlp(2, 3, (2,), np.random.default_rng(0))
    for method in (fixed.logits, fixed.predict_proba):
        out, _ = check(method, data.draw(arbitrary(2)), names=NN_NAMES)
        no_nan(out)


@pytest.mark.contract
@given(data=st.data())
def test_contract_train_mlp(data):
    if data.draw(st.booleans()):
        n, d = data.draw(sizes(1, 20)), data.draw(st.integers(1, 2))
        k = data.draw(st.integers(2, 3))
        x, y = data.draw(matrices(n, d, floats(-1e3, 1e3))), data.draw(labels(n, k))
        res, err = check(train_mlp, x, y, k, (3,), np.random.default_rng(1), epochs=3,
                         learning_rate=data.draw(st.floats(1e-4, 1.0)),
                         batch_size=data.draw(st.none() | st.integers(1, 5)),
                         validation=(x, y), patience=data.draw(st.none() | st.integers(1, 2)),
                         names=NN_NAMES)
        if err is not None:
            assert "diverged" in str(err)
        else:
            no_nan(res.train_loss, res.val_loss, res.model.params)
    else:
        kw = data.draw(st.fixed_dictionaries({}, optional={
            "epochs": st.one_of(st.integers(-1, 2), arbitrary(0)),
            "learning_rate": arbitrary(0), "batch_size": arbitrary(0), "patience": arbitrary(0),
            "validation": st.one_of(arbitrary(1), st.tuples(arbitrary(2), arbitrary(1)))}))
        kw.setdefault("epochs", 2)
        res, _ = check(train_mlp, data.draw(arbitrary(2)), data.draw(arbitrary(1)),
                       data.draw(st.one_of(st.just(2), arbitrary(0))),
                       data.draw(st.one_of(st.just((2,)), arbitrary(1))),
                       np.random.default_rng(2), names=NN_NAMES, **kw)
        if res is not None:
            no_nan(res.train_loss, res.model.params)
