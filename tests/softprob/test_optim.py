import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from hypothesis.extra.numpy import arrays

from softprob.optim import Adam, gradient_descent

from contracts import arbitrary, check, floats, no_nan


def _quadratic(seed):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(3, 3))
    h = a @ a.T + 0.5 * np.eye(3)                        # positive definite Hessian
    b = rng.normal(size=3)
    return h, b, np.linalg.solve(h, b)


@given(st.integers(0, 10_000))
def test_gradient_descent_reaches_the_minimiser_of_a_quadratic(seed):
    h, b, x_star = _quadratic(seed)
    step = 1.0 / np.linalg.eigvalsh(h).max()            # below 2/L
    res = gradient_descent(lambda x: h @ x - b, np.zeros(3), step,
                           objective=lambda x: 0.5 * x @ h @ x - b @ x, max_iter=200_000)
    assert res.converged and res.grad_norm < 1e-10
    np.testing.assert_allclose(res.x, x_star, atol=1e-8)
    assert np.all(np.diff(res.history) <= 1e-12)        # monotone for step < 2/L
    assert res.history.shape == (res.n_iter + 1,)


def test_unbounded_objective_runs_to_the_cap():
    p = np.array([0.2, 0.3, 0.5])
    res = gradient_descent(lambda u: -p, np.zeros(3), 0.5, objective=lambda u: -p @ u, max_iter=40)
    assert not res.converged and res.n_iter == 40
    np.testing.assert_allclose(res.history, -0.5 * np.arange(41) * (p @ p))


def test_parameters_keep_their_shape_and_x0_is_not_modified():
    x0 = np.ones((2, 3))
    res = gradient_descent(lambda x: 2 * x, x0, 0.25)
    assert res.x.shape == (2, 3) and np.all(x0 == 1.0) and res.history.size == 0


@given(arrays(np.float64, 4, elements=st.floats(-5, 5)))
def test_zero_gradient_start_stops_at_once(x0):
    res = gradient_descent(lambda x: np.zeros_like(x), x0, 0.1)
    assert res.n_iter == 0 and res.converged and np.array_equal(res.x, x0)


@pytest.mark.parametrize("call, msg", [
    (lambda: gradient_descent(lambda x: x, [1.0], 0.0), "step: must be a finite number > 0"),
    (lambda: gradient_descent(lambda x: x, [np.nan], 0.1), "x0: contains NaN"),
    (lambda: gradient_descent(lambda x: x, [1.0], 0.1, tol=-1.0),
     "tol: must be a finite number >= 0"),
    (lambda: gradient_descent(lambda x: x, [1.0], 0.1, max_iter=0),
     "max_iter: must be an integer >= 1"),
    (lambda: gradient_descent(lambda x: x[:1], [1.0, 2.0], 0.1), r"grad: returned shape \(1,\)"),
    (lambda: gradient_descent(lambda x: x * np.inf, [1.0], 0.1), "grad: returned a non-finite"),
    (lambda: gradient_descent("not callable", [1.0], 0.1), "grad: must be callable"),
    (lambda: gradient_descent(lambda x: x, [1.0], 0.1, objective=3), "objective: must be callable"),
])
def test_bad_input(call, msg):
    with pytest.raises(ValueError, match=msg):
        call()


def test_adam_first_step_has_length_learning_rate():
    opt = Adam([(2,)], learning_rate=0.1)
    out = opt.step([np.zeros(2)], [np.array([3.0, -0.02])])
    np.testing.assert_allclose(out[0], [-0.1, 0.1], rtol=1e-5)


@pytest.mark.parametrize("call, msg", [
    (lambda: Adam([(2,)], beta1=1.0), "beta1: must be a finite number > 0 and < 1"),
    (lambda: Adam([]), "shapes: need at least one"),
    (lambda: Adam([(2,)]).step([np.zeros(2)], [np.zeros(3)]), r"grads: array 0 has shape \(3,\)"),
    (lambda: Adam([(2, 1.5)]), "shapes: expected a sequence of array shapes"),
    (lambda: Adam([(2,)]).step([np.zeros(2)], [np.array([np.nan, 0.0])]),
     "grads\\[0\\]: contains NaN"),
    (lambda: Adam([(2,)]).step([np.zeros(2)], []), "grads: expected 1 arrays"),
])
def test_adam_bad_input(call, msg):
    with pytest.raises(ValueError, match=msg):
        call()


# --- contracts ---

@pytest.mark.contract
@given(data=st.data())
def test_contract_gradient_descent(data):
    names = {"grad", "x0", "step", "objective", "tol", "max_iter"}
    if data.draw(st.booleans()):
        h, b, x_star = _quadratic(data.draw(st.integers(0, 10**6)))
        step = data.draw(st.floats(1e-3, 1.9)) / np.linalg.eigvalsh(h).max()
        res, err = check(gradient_descent, lambda x: h @ x - b, np.zeros(3), step,
                         objective=lambda x: 0.5 * x @ h @ x - b @ x, max_iter=20_000,
                         names=names)
        assert err is None
        no_nan(res)
        if res.converged:
            np.testing.assert_allclose(res.x, x_star, atol=1e-6)
    else:
        # (exceptions raised inside the caller's own callables are theirs, not softprob's)
        grad = data.draw(st.sampled_from([lambda x: x, lambda x: np.full(np.shape(x), np.inf),
                                          lambda x: "a", lambda x: np.zeros(7), 3, None]))
        objective = data.draw(st.sampled_from([None, lambda x: float(np.sum(x)), lambda x: "a",
                                               5]))
        res, _ = check(gradient_descent, grad, data.draw(arbitrary(1)), data.draw(arbitrary(0)),
                       objective=objective, max_iter=data.draw(st.one_of(st.integers(-1, 50),
                                                                         arbitrary(0))),
                       names=names)
        no_nan(res)


@pytest.mark.contract
@given(data=st.data())
def test_contract_adam(data):
    names = {"shapes", "learning_rate", "beta1", "beta2", "eps", "params", "grads"}
    if data.draw(st.booleans()):
        shapes = [(data.draw(st.integers(0, 4)),), (2, data.draw(st.integers(1, 3)))]
        opt, err = check(Adam, shapes, learning_rate=data.draw(st.floats(1e-6, 1.0)),
                         names=names)
        assert err is None
        params = [np.zeros(s) for s in shapes]
        for _ in range(3):
            grads = [data.draw(hnp.arrays(np.float64, s, elements=floats(-1e100, 1e100)))
                     for s in shapes]
            params, err = check(opt.step, params, grads, names=names)
            assert err is None
            no_nan(params)
    else:
        small = st.lists(st.one_of(st.tuples(st.integers(-1, 4)), st.tuples(st.floats()),
                                   st.just("ab"), st.none()), max_size=3)   # no 24 GiB shapes
        opt, _ = check(Adam, data.draw(st.one_of(small, st.just([(2,)]))),
                       learning_rate=data.draw(st.one_of(st.just(0.1), arbitrary(0))),
                       names=names)
        if opt is not None:
            out, _ = check(opt.step, [data.draw(arbitrary(1))], [data.draw(arbitrary(1))],
                           names=names)
            no_nan(out)
