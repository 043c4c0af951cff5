"""Plain gradient descent over a parameter array, recording the objective at every step.

The chapters use it where the point is *which objective and which
parameterisation* is optimised, not the optimiser: the same plain loop is run
on several parameterisations and must end where the mathematics says. Each
run records the objective at every iterate, so a chapter can plot convergence
(or divergence) and assert on it. (Adaptive steps for neural networks are in
:class:`softprob.optim.Adam`.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from softprob._checks import FloatArray, as_float_array, positive_int

Gradient = Callable[[FloatArray], ArrayLike]
Objective = Callable[[FloatArray], float]


@dataclass(frozen=True)
class DescentResult:
    """Outcome of a run of :func:`gradient_descent`.

    Attributes
    ----------
    x : ndarray
        Final parameters, same shape as the starting point.
    history : ndarray, shape (n_iter + 1,)
        Objective at every iterate, the start included (empty without an objective).
    n_iter : int
        Iterations taken.
    grad_norm : float
        Max-norm of the gradient at ``x``.
    converged : bool
        Whether ``grad_norm`` fell below the tolerance.
    """

    x: FloatArray
    history: FloatArray
    n_iter: int
    grad_norm: float
    converged: bool


def _check_common(x0: ArrayLike, step: float, tol: float, max_iter: int,
                  grad: Gradient, objective: Objective | None) -> tuple[FloatArray, int]:
    x = as_float_array("x0", x0).copy()
    if not np.isfinite(step) or step <= 0:
        raise ValueError(f"step: must be a positive finite number, got {step!r}")
    if not np.isfinite(tol) or tol < 0:
        raise ValueError(f"tol: must be a non-negative finite number, got {tol!r}")
    if not callable(grad):
        raise ValueError(f"grad: must be callable, got {type(grad).__name__}")
    if objective is not None and not callable(objective):
        raise ValueError(f"objective: must be callable or None, got {type(objective).__name__}")
    return x, positive_int("max_iter", max_iter)


def _gradient(grad: Gradient, x: FloatArray) -> FloatArray:
    g = np.asarray(grad(x), dtype=float)
    if g.shape != x.shape:
        raise ValueError(f"grad: returned shape {g.shape}, expected the parameter shape {x.shape}")
    if not np.all(np.isfinite(g)):
        raise ValueError("grad: returned a non-finite value")
    return g


def gradient_descent(grad: Gradient, x0: ArrayLike, step: float, objective: Objective | None = None,
                     tol: float = 1e-10, max_iter: int = 10_000) -> DescentResult:
    r"""Plain gradient descent with a fixed step, :math:`x_{k+1} = x_k - \eta\,\nabla J(x_k)`.

    Parameters
    ----------
    grad : callable
        ``grad(x)`` returns the gradient of the objective at ``x``, same shape as ``x``.
    x0 : array_like
        Starting point (any shape).
    step : float
        Step size :math:`\eta > 0` (below :math:`2/L` for an :math:`L`-smooth objective).
    objective : callable, optional
        ``objective(x)`` returns a float; recorded at every iterate in ``history``.
    tol : float, default 1e-10
        Stop when the max-norm of the gradient is below ``tol``.
    max_iter : int, default 10000
        Iteration cap (an objective unbounded below runs until here).

    Returns
    -------
    DescentResult

    Examples
    --------
    >>> import numpy as np
    >>> from softprob.descent import gradient_descent
    >>> res = gradient_descent(lambda x: 2 * (x - 3.0), np.zeros(2), step=0.25,
    ...                        objective=lambda x: float(np.sum((x - 3.0) ** 2)))
    >>> res.x.round(8).tolist(), res.converged, res.history[:3].tolist()
    ([3.0, 3.0], True, [18.0, 4.5, 1.125])
    """
    x, max_iter = _check_common(x0, step, tol, max_iter, grad, objective)
    history = [] if objective is None else [float(objective(x))]
    g = _gradient(grad, x)
    n_iter = 0
    while float(np.max(np.abs(g))) >= tol and n_iter < max_iter:
        n_iter += 1
        x = x - step * g
        g = _gradient(grad, x)
        if objective is not None:
            history.append(float(objective(x)))
    grad_norm = float(np.max(np.abs(g)))
    return DescentResult(x, np.asarray(history, dtype=float), n_iter, grad_norm, grad_norm < tol)
