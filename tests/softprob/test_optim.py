import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from softprob.optim import Adam, gradient_descent


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
