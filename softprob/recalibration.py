"""Repairing calibration after training: temperature scaling for binary and K-class logits.

Recalibration maps a trained model's scores to new ones, fitted on held-out
data; measuring calibration is in :mod:`softprob.calibration`.
:func:`fit_temperature` divides every logit by one T > 0 (Guo et al. 2017):
the predicted class never changes, overconfidence (T > 1) or
underconfidence (T < 1) shrinks, and per-class biases stay - one parameter
cannot fix them (compare the class-wise ECE before and after).

When no temperature minimises the validation NLL - the logits' signs
(arg-max) separate the labels, or the logits carry no information - the fit
raises :class:`softprob.PerfectSeparationError` rather than return 0 or inf.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
from numpy.typing import ArrayLike

from softprob import _checks as chk
from softprob import _kernels as kern
from softprob._checks import FloatArray
from softprob._existence import NO_INFORMATION, PerfectSeparationError, check_temperature
from softprob._newton import newton, temperature_pass

_RESCALE = 1e100                # logits beyond this are rescaled (z^2 would overflow)


@dataclass(frozen=True)
class TemperatureResult:
    r"""Outcome of :func:`fit_temperature`.

    Attributes
    ----------
    temperature : float
        The fitted T > 0; calibrated logits are ``logits / temperature``.
    n_iter : int
        Newton iterations used (on beta = 1/T).
    grad_norm : float
        :math:`|\mathrm{d}\,\mathrm{NLL}/\mathrm{d}\beta|` at the solution (for logits rescaled to
        :math:`\max |z| = 1` beyond :math:`10^{100}`).
    converged : bool
        Whether ``grad_norm`` fell below the tolerance.
    loss : float
        Validation NLL (nats) of the rescaled logits.
    """

    temperature: float
    n_iter: int
    grad_norm: float
    converged: bool
    loss: float

    def logits(self, logits: ArrayLike) -> FloatArray:
        """Recalibrated logits ``logits / T``, same shape (+-inf beyond the float range)."""
        with np.errstate(over="ignore"):
            return chk.as_float_array("logits", logits, ndim=(1, 2)) / self.temperature

    def predict_proba(self, logits: ArrayLike) -> FloatArray:
        """Recalibrated probabilities: P(A|x) (n,) for binary logits, rows (n, K) otherwise."""
        z = chk.as_float_array("logits", logits, ndim=(1, 2))
        if z.ndim == 2 and z.size:                   # shift first: (z - max) / T has no +inf
            z = z - z.max(axis=1, keepdims=True)
        with np.errstate(over="ignore"):
            z = z / self.temperature
        return kern.sigmoid(z) if z.ndim == 1 else np.exp(kern.log_softmax(z))


def fit_temperature(logits: ArrayLike, y: ArrayLike, *, tol: float = 1e-10,
                    max_iter: int = 100) -> TemperatureResult:
    r"""Temperature T > 0 minimising the validation log loss of logits / T.

    The NLL is convex in :math:`\beta = 1/T`, so damped Newton's method on
    :math:`\beta` finds the global minimum; it exists at a finite positive T
    exactly when some validation label is not the arg-max of its logits and
    the logits are informative on average (checked first, exactly).

    Parameters
    ----------
    logits : array_like, shape (n,) or (n, K)
        Validation logits (binary: logit of A).
    y : array_like, shape (n,)
        Validation labels (binary: 1 = A, 0 = B; else 0..K-1).
    tol : float, default 1e-10
        Stop when :math:`|\mathrm{d}\,\mathrm{NLL}/\mathrm{d}\beta|` < ``tol``.
    max_iter : int, default 100
        Iteration cap.

    Returns
    -------
    TemperatureResult

    Raises
    ------
    PerfectSeparationError
        When no positive temperature minimises the NLL (see the module docstring).

    Examples
    --------
    >>> from softprob.recalibration import fit_temperature
    >>> res = fit_temperature([4.0, -4.0, 2.0, -2.0, -1.0], [1, 0, 1, 0, 1])
    >>> round(res.temperature, 4), res.converged
    (1.0685, True)
    """
    z = chk.as_float_array("logits", logits, ndim=(1, 2))
    n_classes = 2 if z.ndim == 1 else z.shape[1]
    if n_classes < 2:
        raise ValueError(f"logits: need at least 2 classes (columns), got {n_classes}")
    hint = "; for K classes pass logits of shape (n, K)" if z.ndim == 1 else ""
    labels = chk.as_labels("y", y, n_classes, hint)
    chk.same_length(("logits", "y"), z, labels)
    tol, max_iter = chk.positive_float("tol", tol), chk.positive_int("max_iter", max_iter)
    rows = np.stack([np.zeros_like(z), z], axis=1) if z.ndim == 1 else z
    check_temperature(rows, labels)
    top = float(np.max(np.abs(rows)))
    scale = top if top > _RESCALE else 1.0
    s = newton(partial(temperature_pass, rows / scale, kern.one_hot(labels, n_classes)),
               np.array([1.0]), tol, max_iter)
    with np.errstate(over="ignore", divide="ignore"):
        temperature = scale / float(s.theta[0])
    if not 0 < temperature < np.inf:                 # the minimiser is at beta = 0 within rounding
        raise PerfectSeparationError(NO_INFORMATION)
    return TemperatureResult(temperature, s.n_iter, s.grad_norm, s.grad_norm < tol, s.loss)
