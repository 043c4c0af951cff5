"""First-order optimisers for :mod:`softprob.nn`.

:class:`Adam` keeps running averages of the gradient and of its square and
takes steps scaled coordinate-wise by them (Kingma & Ba, 2015). Parameters
are a list of NumPy arrays; the optimiser never touches anything else.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from softprob._checks import FloatArray


def _positive(name: str, value: float, upper: float | None = None) -> float:
    v = float(value)
    if not math.isfinite(v) or v <= 0 or (upper is not None and v >= upper):
        bound = f" and < {upper}" if upper is not None else ""
        raise ValueError(f"{name}: must be a finite number > 0{bound}, got {value!r}")
    return v


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
        self.learning_rate = _positive("learning_rate", learning_rate)
        self.beta1 = _positive("beta1", beta1, upper=1.0)
        self.beta2 = _positive("beta2", beta2, upper=1.0)
        self.eps = _positive("eps", eps)
        self.shapes = [tuple(s) for s in shapes]
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
        self.t += 1
        c1, c2 = 1.0 - self.beta1**self.t, 1.0 - self.beta2**self.t
        out = []
        for i, (p, g) in enumerate(zip(params, grads)):
            if np.shape(g) != self.shapes[i]:
                raise ValueError(f"grads: array {i} has shape {np.shape(g)}, "
                                 f"expected {self.shapes[i]}")
            self._m[i] = self.beta1 * self._m[i] + (1.0 - self.beta1) * g
            self._v[i] = self.beta2 * self._v[i] + (1.0 - self.beta2) * g * g
            out.append(p - self.learning_rate * (self._m[i] / c1)
                       / (np.sqrt(self._v[i] / c2) + self.eps))
        return out
