import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from softprob import symbolic as sym

from contracts import check


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
    with pytest.raises(ValueError, match="logits: need a list of at least 2"):
        sym.softmax([sp.Symbol("a")])
    with pytest.raises(ValueError, match="model: shape"):
        sym.conditional_kl(sym.joint_table(2, 2), sym.joint_table(2, 3))


# --- contracts ---

JUNK = st.sampled_from([None, "abc", np.zeros(2), [1, 2], object(), 1 + 2j, 0.5, 3,
                        sp.Symbol("u"), sp.Matrix([[1, 2]]), sp.Matrix(0, 0, [])])


@pytest.mark.contract
@given(data=st.data())
def test_contract_symbolic(data):
    a, b = sp.symbols("a b", positive=True)
    valid = data.draw(st.booleans())
    pick = (lambda: data.draw(st.sampled_from([a, b, a / (a + b), sp.Integer(2)]))) if valid \
        else (lambda: data.draw(JUNK))
    k, m = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    table = sym.joint_table(k, m) if valid else pick()
    calls = [(sym.sigmoid, (pick(),)), (sym.softmax, ([pick(), pick()] if valid else pick(),)),
             (sym.binary_cross_entropy, (pick(), pick())),
             (sym.joint_table, (k, m) if valid else (pick(), pick())),
             (sym.marginal, (table,)), (sym.posterior, (table,)),
             (sym.conditional_kl, (table, sym.posterior(table) if valid else pick()))]
    names = {"z", "logits", "y", "q", "n_classes", "n_values", "name", "table", "model"}
    for fn, args in calls:
        out, err = check(fn, *args, names=names)
        if valid:
            assert err is None
    q = sp.Symbol("q", positive=True)
    loss = data.draw(st.sampled_from([(a / (a + b)) * -sp.log(q) + (b / (a + b)) * -sp.log(1 - q),
                                      q**2, sp.Integer(1)])) if valid else pick()
    check(sym.pointwise_minimiser, loss, q if valid else pick(), names={"expected_loss", "q"})
