"""First-order optimisers: plain gradient descent recording the objective, and Adam.

:func:`gradient_descent` is for the chapters where the point is *which
objective and which parameterisation* is optimised, not the optimiser: the
same plain loop runs on several parameterisations and must end where the
mathematics says; every iterate's objective is recorded, so a chapter can
plot convergence (or divergence) and assert on it.

:class:`Adam` (Kingma & Ba, 2015) trains the networks of :mod:`softprob.nn`:
running averages of the gradient and of its square scale the steps
coordinate-wise. Parameters are a list of NumPy arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from softprob import _checks as chk
from softprob._checks import FloatArray


class Adam:
    r"""Adam: bias-corrected moment estimates, step :math:`\alpha\,\hat m/(\sqrt{\hat v}+\epsilon)`.

    For each parameter array, with gradient :math:`g_t` at step :math:`t`:
    :math:`m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t`,
    :math:`v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2`,
    :math:`\theta_t = \theta_{t-1} - \alpha\, \hat m_t / (\sqrt{\hat v_t} + \epsilon)` with
    :math:`\hat m_t = m_t/(1-\beta_1^t)`, :math:`\hat v_t = v_t/(1-\beta_2^t)`.

    Parameters
    ----------
    shapes : sequence of tuple of int
        Shapes of the parameter arrays, in the order ``step`` receives them.
    learning_rate : float, default 1e-3
        Step size :math:`\alpha > 0`.
    beta1, beta2 : float, default 0.9, 0.999
        Decay rates of the moment estimates, in (0, 1).
    eps : float, default 1e-8
        Added to the root of the second moment, > 0.

    Examples
    --------
    >>> import numpy as np
    >>> from softprob.optim import Adam
    >>> opt = Adam([(1,)], learning_rate=0.1)
    >>> theta = [np.array([3.0])]
    >>> for _ in range(300):               # minimise theta^2: gradient 2 theta
    ...     theta = opt.step(theta, [2 * theta[0]])
    >>> bool(abs(theta[0][0]) < 1e-2)
    True
    """

    def __init__(self, shapes: Sequence[tuple[int, ...]], learning_rate: float = 1e-3,
                 beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        self.learning_rate = chk.positive_float("learning_rate", learning_rate)
        self.beta1 = chk.positive_float("beta1", beta1, upper=1.0)
        self.beta2 = chk.positive_float("beta2", beta2, upper=1.0)
        self.eps = chk.positive_float("eps", eps)
        try:
            self.shapes = [tuple(chk.positive_int("shapes", d, 0) for d in s) for s in shapes]
        except (TypeError, ValueError):
            raise ValueError(f"shapes: expected a sequence of array shapes, got {shapes!r}"
                             ) from None
        if not self.shapes:
            raise ValueError("shapes: need at least one parameter array")
        self._m = [np.zeros(s) for s in self.shapes]
        self._v = [np.zeros(s) for s in self.shapes]
        self.t = 0

    def step(self, params: Sequence[FloatArray], grads: Sequence[FloatArray]) -> list[FloatArray]:
        """Return the updated parameters (new arrays; the inputs are not modified)."""
        if len(params) != len(self.shapes) or len(grads) != len(self.shapes):
            raise ValueError(f"grads: expected {len(self.shapes)} arrays, got {len(params)} "
                             f"parameters and {len(grads)} gradients")
        ps = [chk.as_float_array(f"params[{i}]", p, allow_empty=True) for i, p in enumerate(params)]
        gs = [chk.as_float_array(f"grads[{i}]", g, allow_empty=True) for i, g in enumerate(grads)]
        for i, (p, g) in enumerate(zip(ps, gs)):
            if g.shape != self.shapes[i] or p.shape != self.shapes[i]:
                raise ValueError(f"grads: array {i} has shape {g.shape} (parameter {p.shape}), "
                                 f"expected {self.shapes[i]}")
        self.t += 1
        c1, c2 = 1.0 - self.beta1**self.t, 1.0 - self.beta2**self.t
        out = []
        for i, (p, g) in enumerate(zip(ps, gs)):
            self._m[i] = self.beta1 * self._m[i] + (1.0 - self.beta1) * g
            self._v[i] = self.beta2 * self._v[i] + (1.0 - self.beta2) * g * g
            out.append(p - self.learning_rate * (self._m[i] / c1)
                       / (np.sqrt(self._v[i] / c2) + self.eps))
        return out


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


def _gradient(grad: Gradient, x: FloatArray) -> FloatArray:
    try:
        g = np.asarray(grad(x), dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"grad: returned something that is not an array of numbers ({exc})"
                         ) from None
    if g.shape != x.shape:
        raise ValueError(f"grad: returned shape {g.shape}, expected the parameter shape {x.shape}")
    if not np.all(np.isfinite(g)):
        raise ValueError("grad: returned a non-finite value")
    return g


def _objective(objective: Objective, x: FloatArray) -> float:
    try:
        return float(objective(x))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"objective: did not return a number ({exc})") from None


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
    >>> from softprob.optim import gradient_descent
    >>> res = gradient_descent(lambda x: 2 * (x - 3.0), np.zeros(2), step=0.25,
    ...                        objective=lambda x: float(np.sum((x - 3.0) ** 2)))
    >>> res.x.round(8).tolist(), res.converged, res.history[:3].tolist()
    ([3.0, 3.0], True, [18.0, 4.5, 1.125])
    """
    x = chk.as_float_array("x0", x0).copy()
    step, tol = chk.positive_float("step", step), chk.non_negative("tol", tol)
    chk.as_callable("grad", grad)
    if objective is not None:
        chk.as_callable("objective", objective)
    max_iter = chk.positive_int("max_iter", max_iter)
    history = [] if objective is None else [_objective(objective, x)]
    g = _gradient(grad, x)
    n_iter = 0
    while float(np.max(np.abs(g))) >= tol and n_iter < max_iter:
        n_iter += 1
        with np.errstate(over="ignore", invalid="ignore"):
            x = x - step * g
        if not np.all(np.isfinite(x)):
            raise ValueError(f"step: the iterates left the finite numbers after {n_iter} steps "
                             "(divergence); use a smaller step")
        g = _gradient(grad, x)
        if objective is not None:
            history.append(_objective(objective, x))
    grad_norm = float(np.max(np.abs(g)))
    return DescentResult(x, np.asarray(history, dtype=float), n_iter, grad_norm, grad_norm < tol)
