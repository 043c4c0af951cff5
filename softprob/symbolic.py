"""SymPy objects and small solvers shared by the chapters' proofs.

Chapters build their identities from these pieces and end each proof with an
``assert`` on a general symbolic object, so a wrong sign anywhere fails.
"""

from __future__ import annotations

import sympy as sp

from softprob import _checks as chk


def sigmoid(z: sp.Expr) -> sp.Expr:
    r"""Symbolic logistic function :math:`1/(1+e^{-z})`.

    Examples
    --------
    >>> import sympy as sp
    >>> from softprob.symbolic import sigmoid
    >>> z = sp.Symbol("z", real=True)
    >>> sp.simplify(sigmoid(z) + sigmoid(-z))
    1
    """
    return 1 / (1 + sp.exp(-chk.as_expr("z", z)))


def softmax(logits: list[sp.Expr]) -> list[sp.Expr]:
    r"""Symbolic softmax :math:`e^{z_k}/\sum_j e^{z_j}` of a list of logits.

    Examples
    --------
    >>> import sympy as sp
    >>> from softprob.symbolic import softmax
    >>> a, b = sp.symbols("a b", real=True)
    >>> sp.simplify(sum(softmax([a, b])))
    1
    """
    if not isinstance(logits, (list, tuple)) or len(logits) < 2:
        raise ValueError(f"logits: need a list of at least 2 expressions, got {logits!r:.60}")
    logits = [chk.as_expr("logits", z) for z in logits]
    total = sum(sp.exp(z) for z in logits)
    return [sp.exp(z) / total for z in logits]


def binary_cross_entropy(y: sp.Expr, q: sp.Expr) -> sp.Expr:
    r"""Per-sample binary cross-entropy :math:`-y\log q - (1-y)\log(1-q)` (essay E1).

    Examples
    --------
    >>> import sympy as sp
    >>> from softprob.symbolic import binary_cross_entropy
    >>> q = sp.Symbol("q", positive=True)
    >>> binary_cross_entropy(1, q)
    -log(q)
    """
    y, q = chk.as_expr("y", y), chk.as_expr("q", q)
    return -y * sp.log(q) - (1 - y) * sp.log(1 - q)


def joint_table(n_classes: int, n_values: int, name: str = "p") -> sp.Matrix:
    """A general joint table p(c, x) of positive symbols, shape (K, M).

    The entries are free symbols; where a proof needs them to sum to 1 it
    imposes that itself (most identities here hold for any positive table
    once P(c|x) and p(x) are computed from it).

    Examples
    --------
    >>> from softprob.symbolic import joint_table
    >>> joint_table(2, 2)
    Matrix([
    [p_0_0, p_0_1],
    [p_1_0, p_1_1]])
    """
    n_classes, n_values = chk.positive_int("n_classes", n_classes), \
        chk.positive_int("n_values", n_values)
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"name: must be an identifier, got {name!r}")
    return sp.Matrix(n_classes, n_values,
                     lambda c, x: sp.Symbol(f"{name}_{c}_{x}", positive=True))


def marginal(table: sp.Matrix) -> list[sp.Expr]:
    """p(x) = sum_c p(c, x) for each column of a table.

    Examples
    --------
    >>> from softprob.symbolic import joint_table, marginal
    >>> marginal(joint_table(2, 1))
    [p_0_0 + p_1_0]
    """
    table = chk.as_matrix("table", table)
    return [sum(table[:, x]) for x in range(table.shape[1])]


def posterior(table: sp.Matrix) -> sp.Matrix:
    """P(c | x) = p(c, x) / p(x), same shape as the table.

    Examples
    --------
    >>> from softprob.symbolic import joint_table, posterior
    >>> posterior(joint_table(2, 1))[0, 0]
    p_0_0/(p_0_0 + p_1_0)
    """
    table = chk.as_matrix("table", table)
    px = [sum(table[:, x]) for x in range(table.shape[1])]
    return sp.Matrix(table.shape[0], table.shape[1], lambda c, x: table[c, x] / px[x])


def conditional_kl(table: sp.Matrix, model: sp.Matrix) -> sp.Expr:
    r"""Conditional KL :math:`\sum_x p(x)\sum_c P(c|x)\log(P(c|x)/f(c,x))` (essay E2).

    ``table`` is p(c, x); ``model`` is f(c, x), same shape.

    Examples
    --------
    >>> from softprob.symbolic import joint_table, conditional_kl, posterior
    >>> t = joint_table(2, 2)
    >>> conditional_kl(t, posterior(t)).simplify()
    0
    """
    table, model = chk.as_matrix("table", table), chk.as_matrix("model", model)
    if table.shape != model.shape:
        raise ValueError(f"model: shape {model.shape} does not match table shape {table.shape}")
    px, post = marginal(table), posterior(table)
    return sum(px[x] * post[c, x] * (sp.log(post[c, x]) - sp.log(model[c, x]))
               for c in range(table.shape[0]) for x in range(table.shape[1]))


def pointwise_minimiser(expected_loss: sp.Expr, q: sp.Symbol) -> sp.Expr:
    """The unique stationary point of ``expected_loss`` in ``q``, checked to be a minimum.

    Raises ``ValueError`` unless exactly one stationary point exists and the
    second derivative there simplifies to something positive.

    Examples
    --------
    >>> import sympy as sp
    >>> from softprob.symbolic import pointwise_minimiser, binary_cross_entropy
    >>> a, b, q = sp.symbols("a b q", positive=True)
    >>> eta = a / (a + b)  # a posterior P(A|x), built so that 0 < eta < 1 is provable
    >>> pointwise_minimiser(eta * -sp.log(q) + (1 - eta) * -sp.log(1 - q), q)
    a/(a + b)
    """
    expected_loss = chk.as_expr("expected_loss", expected_loss)
    if not isinstance(q, sp.Symbol):
        raise ValueError(f"q: expected a sympy Symbol, got {q!r:.60}")
    solutions = sp.solve(sp.diff(expected_loss, q), q)
    if len(solutions) != 1:
        raise ValueError(f"expected_loss: expected one stationary point in {q}, got {solutions}")
    q_star = sp.simplify(solutions[0])
    curvature = sp.simplify(sp.diff(expected_loss, q, 2).subs(q, q_star))
    if curvature.is_positive is not True:
        raise ValueError(f"expected_loss: second derivative at {q_star} is not provably "
                         f"positive ({curvature})")
    return q_star
