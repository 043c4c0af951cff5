import pytest
import sympy as sp

from softprob import symbolic as sym


def test_softmax_two_class_is_sigmoid_of_difference():
    a, b = sp.symbols("a b", real=True)
    assert sp.simplify(sym.softmax([a, b])[0] - sym.sigmoid(a - b)) == 0


def test_conditional_kl_vanishes_at_posterior_and_not_elsewhere():
    t = sym.joint_table(2, 2)
    assert sp.simplify(sym.conditional_kl(t, sym.posterior(t))) == 0
    half = sp.Matrix(2, 2, lambda c, x: sp.Rational(1, 2))
    value = sym.conditional_kl(t, half).subs({s: v for s, v in zip(t, [1, 2, 3, 4])})
    assert sp.N(value) > 0


def test_pointwise_minimiser_of_log_loss_and_brier():
    a, b, q = sp.symbols("a b q", positive=True)
    eta = a / (a + b)
    log_loss = -eta * sp.log(q) - (1 - eta) * sp.log(1 - q)
    brier = eta * (1 - q) ** 2 + (1 - eta) * q**2
    assert sp.simplify(sym.pointwise_minimiser(log_loss, q) - eta) == 0
    assert sp.simplify(sym.pointwise_minimiser(brier, q) - eta) == 0


def test_pointwise_minimiser_rejects_maxima_and_multiple_points():
    q = sp.Symbol("q", real=True)
    with pytest.raises(ValueError, match="second derivative"):
        sym.pointwise_minimiser(-(q - 1) ** 2, q)
    with pytest.raises(ValueError, match="one stationary point"):
        sym.pointwise_minimiser(q**4 - 2 * q**2, q)


def test_bad_input():
    with pytest.raises(ValueError, match="logits: need at least 2 classes"):
        sym.softmax([sp.Symbol("a")])
    with pytest.raises(ValueError, match="model: shape"):
        sym.conditional_kl(sym.joint_table(2, 2), sym.joint_table(2, 3))
