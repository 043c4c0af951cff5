"""Private Newton engine of the fits: one-pass loss/gradient/Hessian, starts, damped Newton loop.

Design choices (each measured; see ``benchmarks/bench_fit.py``):

* The design matrix is stored once, transposed, as ``XT`` of shape (k, n)
  (row 0 = ones when there is an intercept), so each feature is a row.
* One Newton iteration makes ONE pass over ``XT``, block by block (blocks
  small enough to stay in cache): logits, loss, gradient and Hessian come
  out of the same pass, as a single matrix product ``[r; x*s] @ x.T``.
* The loss of a candidate step comes from the pass that gives the next
  gradient, so an accepted full step costs no extra pass. The one rule for
  accepting a step is :func:`accept_step`.
* The Newton system is solved (Jacobi-scaled ``np.linalg.solve``), never
  inverted; a singular or non-finite solve falls back to least squares.
* Large fits start from the fit on every 8th sample (recursively).
* BLAS runs single-threaded inside a fit (see ``_kernels.single_threaded_blas``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import NamedTuple

import numpy as np

from softprob import _kernels as kern
from softprob._checks import FloatArray

Pass = Callable[[FloatArray], tuple[float, FloatArray, FloatArray]]
Data = tuple[FloatArray, ...]

_SUBSAMPLE = 8                  # stride of the subsample that gives large fits their start
_SUBSAMPLE_MIN = 10_000         # smallest subsample worth fitting first
_SUBSAMPLE_TOL = 1e-5           # a start only needs its own statistical accuracy
_CLIP = 1e-12                   # start probabilities are kept in [1e-12, 1 - 1e-12]


class NewtonState(NamedTuple):
    """Where Newton's method stopped: coefficients and the pass evaluated there."""

    theta: FloatArray
    n_iter: int
    grad_norm: float
    loss: float
    grad: FloatArray
    hess: FloatArray


def accept_step(loss, new_loss, slope, scale, convex: bool = True):
    """The step-acceptance rule of every Newton loop (vectorised over replications).

    Accept when the loss did not increase, or - for a convex objective -
    when convexity proves it did not: ``slope = grad(new) . step >= 0``
    implies f(new) <= f(old); or when the step has been halved to nothing
    (scale < 1e-10). A non-finite loss is never accepted: a search that
    reaches scale < 1e-10 without a finite loss has stalled (the caller stops).
    """
    ok = new_loss <= loss + 1e-15
    if convex:
        ok = ok | (slope >= 0.0)
    return (ok | (scale < 1e-10)) & np.isfinite(new_loss)


def block_size(k: int, work_rows: int = 0) -> int:
    """Samples per block: ~512 KiB of a k-row design, ~2 MiB of work rows (measured optimum)."""
    return max(2048, min(65536 // k, 262144 // max(work_rows, 1), 32768))


def transposed_design(x: FloatArray, fit_intercept: bool) -> FloatArray:
    """(k, n) contiguous copy of ``[1, x]`` (or ``x``), transposed block by block."""
    n, d = x.shape
    k = d + int(fit_intercept)
    xt = np.empty((k, n))
    if fit_intercept:
        xt[0] = 1.0
    for a in range(0, n, 8192):
        xt[k - d:, a:a + 8192] = x[a:a + 8192].T
    return xt


def solve_newton(hess: FloatArray, grad: FloatArray) -> FloatArray:
    """Solve ``hess @ step = grad`` (hess symmetric PSD), robust to singular ``hess``."""
    diag = np.diag(hess)
    scale = 1.0 / np.sqrt(np.where(diag > 0, diag, 1.0))
    a = hess * scale[:, None] * scale[None, :]
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            step = np.linalg.solve(a, grad * scale) * scale
        if np.all(np.isfinite(step)) and np.linalg.cond(a) < 1e12:
            return step
    except np.linalg.LinAlgError:
        pass
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            return np.linalg.lstsq(a, grad * scale, rcond=1e-12)[0] * scale
    except np.linalg.LinAlgError:                    # SVD failed: a diagonal (Jacobi) step
        return grad * scale * scale


def logistic_pass(xt: FloatArray, g: FloatArray, w: FloatArray | None, soft: FloatArray | None,
                  stats: list[float], beta: FloatArray) -> tuple[float, FloatArray, FloatArray]:
    """Mean weighted cross-entropy, its gradient and Hessian at ``beta``, in one pass.

    ``g = 1 - 2 t`` holds the targets t; ``w`` are weights summing to 1, or None
    for uniform weights 1/n. Per sample, with e = exp(-|z|) and q = 1 + e:
    loss = log1p(e) + [g z + |z|] / 2 (two non-negative terms);
    2 (sigmoid(z) - t) = copysign(2/q - 1, z) + g; 4 sigmoid(z) sigmoid(-z) = e (2/q)^2.
    The same pass leaves in ``stats[0]`` the smallest w_i sigmoid(z_i) sigmoid(-z_i)
    over labelled samples (``soft`` is +inf at soft targets, 0 elsewhere, or None
    when all are labels): the certificate of ``softprob._existence`` needs it.
    """
    k, n = xt.shape
    bs = min(block_size(k, k + 5), n)
    loss = 0.0
    acc = np.zeros((k + 1, k))                       # row 0: 2 x gradient, rows 1..k: 4 x Hessian
    buf = np.empty((k + 1, bs))
    work = np.empty((4, bs))
    h_min = np.inf
    for a in range(0, n, bs):
        xb, gb = xt[:, a:a + bs], g[a:a + bs]
        m = xb.shape[1]
        z = np.dot(beta, xb, out=work[0]) if m == bs else beta @ xb
        e, lin, u = work[1, :m], work[2, :m], work[3, :m]
        r, s = buf[0, :m], buf[1:, :m]
        np.abs(z, out=e)
        np.multiply(gb, z, out=lin)
        lin += e                                     # g z + |z| >= 0
        np.negative(e, out=e)
        np.exp(e, out=e)                             # e = exp(-|z|)
        if w is None:
            loss += 0.5 * lin.sum()
            np.log1p(e, out=lin)
            loss += lin.sum()
        else:
            wb = w[a:a + bs]
            loss += 0.5 * (wb @ lin)
            np.log1p(e, out=lin)
            loss += wb @ lin
        np.add(e, 1.0, out=u)
        np.divide(2.0, u, out=u)                     # 2 sigmoid(|z|)
        np.subtract(u, 1.0, out=r)
        np.copysign(r, z, out=r)
        r += gb                                      # 2 (sigmoid(z) - t)
        e *= u
        e *= u                                       # 4 sigmoid(z) sigmoid(-z)
        if w is not None:
            r *= wb
            e *= wb
        h_min = min(h_min, float(np.min(e) if soft is None else
                                 np.min(np.add(e, soft[a:a + bs], out=lin))))
        np.multiply(xb, e, out=s)
        acc += buf[:, :m] @ xb.T
    acc[0] *= 0.5
    acc[1:] *= 0.25
    if w is None:
        loss /= n
        acc /= n
    stats[0] = 0.25 * h_min / (n if w is None else 1.0)
    return float(loss), acc[0], acc[1:]


def logistic_pass_for(data: Data, w: FloatArray | None) -> Pass:
    """:func:`logistic_pass` on ``data = (xt, t)``, as a function of the coefficients.

    The returned pass has a list ``stats``: [h_min] of the last call (see :func:`logistic_pass`).
    """
    xt, t = data
    hard = (t == 0) | (t == 1)
    if w is not None:
        hard &= w > 0
    soft = None if hard.all() else np.where(hard, 0.0, np.inf)
    stats = [np.inf]
    at = partial(logistic_pass, xt, 1.0 - 2.0 * t, w, soft, stats)
    at.stats = stats
    return at


def intercept_start(tbar):
    """Logistic intercept-only start: logit of the mean target (clipped), and its loss."""
    p = np.clip(tbar, _CLIP, 1.0 - _CLIP)
    b0 = np.log(p) - np.log1p(-p)
    return b0, np.logaddexp(0.0, b0) - tbar * b0


def logistic_start(data: Data, w: FloatArray | None, fit_intercept: bool
                   ) -> tuple[FloatArray, float]:
    """Intercept-only start of a logistic fit and its loss, in closed form."""
    xt, t = data
    beta = np.zeros(xt.shape[0])
    b0, loss = intercept_start(float(np.mean(t) if w is None else w @ t))
    if fit_intercept:
        beta[0] = b0
        return beta, float(loss)
    return beta, float(np.log(2.0))


def softmax_pass(xt: FloatArray, tt: FloatArray, w: FloatArray | None, theta: FloatArray
                 ) -> tuple[float, FloatArray, FloatArray]:
    """Softmax counterpart of :func:`logistic_pass`.

    ``tt`` (K, n) are the target rows, transposed; ``theta`` is the flattened
    (k, K-1) block of free coefficients (class K-1 is the reference, logit 0).
    """
    k, n = xt.shape
    m = tt.shape[0] - 1
    pairs = [(a, b) for a in range(m) for b in range(a, m)]
    bs = min(block_size(k, m + k * len(pairs) + 3 * m), n)
    coef_t = theta.reshape(k, m).T.copy()
    loss = 0.0
    acc = np.zeros((m + k * len(pairs), k))         # rows: m gradient rows, then Hessian blocks
    buf = np.empty((m + k * len(pairs), bs))
    for a in range(0, n, bs):
        xb, tb = xt[:, a:a + bs], tt[:, a:a + bs]
        nb = xb.shape[1]
        z = coef_t @ xb                              # (m, nb); the reference logit is 0
        top = np.maximum(z.max(axis=0), 0.0)
        ez = np.exp(z - top)
        total = np.exp(-top)
        total += ez.sum(axis=0)
        lse = np.log(total)
        lse += top                                   # log sum_c exp(z_c)
        lse -= np.einsum("cn,cn->n", tb[:m], z)      # minus sum_c t_c z_c
        ez /= total                                  # probabilities of classes 0..m-1
        r = buf[:m, :nb]
        np.subtract(ez, tb[:m], out=r)
        if w is None:
            loss += lse.sum()
        else:
            wb = w[a:a + bs]
            loss += wb @ lse
            r *= wb
        for i, (c, d) in enumerate(pairs):
            sw = ez[c] * ((c == d) - ez[d])
            if w is not None:
                sw *= wb
            np.multiply(xb, sw, out=buf[m + i * k:m + (i + 1) * k, :nb])
        acc += buf[:, :nb] @ xb.T
    if w is None:
        loss /= n
        acc /= n
    hess = np.empty((k, m, k, m))
    for i, (c, d) in enumerate(pairs):
        hess[:, c, :, d] = hess[:, d, :, c] = acc[m + i * k:m + (i + 1) * k]
    return float(loss), acc[:m].T.ravel(), hess.reshape(k * m, k * m)


def softmax_pass_for(data: Data, w: FloatArray | None) -> Pass:
    """:func:`softmax_pass` on ``data = (xt, tt)``."""
    return partial(softmax_pass, data[0], data[1], w)


def softmax_start(data: Data, w: FloatArray | None, fit_intercept: bool
                  ) -> tuple[FloatArray, float]:
    """Intercepts at the log class frequencies (reference class last), and their loss."""
    xt, tt = data
    k, m = xt.shape[0], tt.shape[0] - 1
    theta = np.zeros((k, m))
    freq = tt.mean(axis=1) if w is None else tt @ w
    if fit_intercept:
        log_freq = np.log(np.clip(freq, _CLIP, None))
        theta[0] = log_freq[:m] - log_freq[m]
    logits = np.append(theta[0], 0.0) if fit_intercept else np.zeros(m + 1)
    return theta.ravel(), float(-freq @ kern.log_softmax(logits))


def brier_pass(xt: FloatArray, t: FloatArray, w: FloatArray, beta: FloatArray
               ) -> tuple[float, FloatArray, FloatArray]:
    """Weighted mean Brier score of sigmoid(z), its gradient, and a PSD curvature.

    The curvature is the Hessian where it is positive definite, else its
    Gauss-Newton part (the objective is not convex in the coefficients).
    """
    p = kern.sigmoid(beta @ xt)
    slope = p * (1.0 - p)                            # d sigma / dz
    loss = float(np.sum(w * (p - t) ** 2))
    grad = xt @ (w * 2.0 * (p - t) * slope)
    gauss_newton = 2.0 * slope**2
    hess = (xt * (w * (gauss_newton + 2.0 * (p - t) * slope * (1.0 - 2.0 * p)))) @ xt.T
    if np.linalg.eigvalsh(hess).min() <= 0:
        hess = (xt * (w * gauss_newton)) @ xt.T
    return loss, grad, hess


def temperature_pass(z: FloatArray, onehot: FloatArray, beta: FloatArray
                     ) -> tuple[float, FloatArray, FloatArray]:
    """Mean NLL of logits beta * z (rows (n, K)), and its derivatives in beta (convex)."""
    log_p = kern.log_softmax(beta[0] * z, axis=1)
    p = np.exp(log_p)
    nll = float(np.mean(kern.cross_entropy(onehot, log_p)))
    mean_z = np.sum(p * z, axis=1)
    grad = np.mean(mean_z - np.sum(onehot * z, axis=1))
    hess = np.mean(np.maximum(np.sum(p * (z - mean_z[:, None]) ** 2, axis=1), 0.0))
    return nll, np.array([grad]), np.array([[hess]])


def penalty_vector(k: int, m: int, l2: float, fit_intercept: bool) -> FloatArray | None:
    """Per-coefficient penalty of theta (k, m) flattened: l2, but 0 on the intercept row."""
    if l2 == 0:
        return None
    pen = np.full((k, m), l2)
    if fit_intercept:
        pen[0] = 0.0
    return pen.ravel()


def penalised(pass_at: Pass, penalty: FloatArray | None) -> Pass:
    """Add sum_j penalty_j theta_j^2 / 2 to a pass (penalty = l2 on slopes, 0 on intercepts)."""
    if penalty is None:
        return pass_at

    def at(theta: FloatArray) -> tuple[float, FloatArray, FloatArray]:
        loss, grad, hess = pass_at(theta)
        return (loss + 0.5 * float(penalty @ theta**2), grad + penalty * theta,
                hess + np.diag(penalty))
    return at


class NewtonFit(NamedTuple):
    """A finished fit: where Newton stopped, and the stats its last pass left (or [])."""

    state: NewtonState
    stats: list


def fit_with_subsample_start(data: Data, w: FloatArray | None,
                             pass_for: Callable[[Data, FloatArray | None], Pass],
                             start: Callable[[Data, FloatArray | None], tuple[FloatArray, float]],
                             tol: float, max_iter: int, penalty: FloatArray | None = None
                             ) -> NewtonFit:
    """Newton on ``data`` (arrays with samples along the last axis), from a good start.

    ``start(data, w)`` gives a default start and its loss. When n is large the
    fit on every 8th sample (itself started this way) is tried first, and kept
    when its loss on all the data beats the default start's.
    """
    with kern.single_threaded_blas():
        return _fit_from_start(data, w, pass_for, start, tol, max_iter, penalty)


def _fit_from_start(data, w, pass_for, start, tol, max_iter, penalty):
    if w is not None:
        w = w / w.sum()
    raw = pass_for(data, w)
    pass_at = penalised(raw, penalty)
    theta, base_loss = start(data, w)
    first = None
    if data[0].shape[-1] >= _SUBSAMPLE * _SUBSAMPLE_MIN:
        sub = tuple(np.ascontiguousarray(arr[..., ::_SUBSAMPLE]) for arr in data)
        ws = None if w is None else w[::_SUBSAMPLE]
        if ws is None or ws.sum() > 0:
            pilot = _fit_from_start(sub, ws, pass_for, start, _SUBSAMPLE_TOL, max_iter,
                                    penalty).state
            if pilot.grad_norm < _SUBSAMPLE_TOL:
                first = pass_at(pilot.theta)
                if first[0] <= base_loss:
                    theta = pilot.theta
                else:
                    first = None
    if first is None:
        first = pass_at(theta)
    state = newton(pass_at, theta, tol, max_iter, first)
    return NewtonFit(state, list(getattr(raw, "stats", [])))


def newton(pass_at: Pass, theta: FloatArray, tol: float, max_iter: int,
           first: tuple[float, FloatArray, FloatArray] | None = None,
           convex: bool = True) -> NewtonState:
    """Damped Newton from ``theta`` until the gradient max-norm is below ``tol``.

    ``first`` may hold ``pass_at(theta)`` when the caller already computed it.
    Each step is halved until :func:`accept_step` accepts it.
    """
    loss, grad, hess = pass_at(theta) if first is None else first
    grad_norm = float(np.max(np.abs(grad)))
    n_iter = 0
    while not grad_norm < tol and n_iter < max_iter:
        step = solve_newton(hess, grad)
        scale = 1.0
        while True:
            with np.errstate(over="ignore", invalid="ignore"):   # a wild step: rejected below
                cand = theta - scale * step
                new_loss, new_grad, new_hess = pass_at(cand)
                slope = new_grad @ step
            if not (np.all(np.isfinite(new_grad)) and np.all(np.isfinite(new_hess))):
                new_loss = np.inf                                # never accepted
            if accept_step(loss, new_loss, slope, scale, convex) or scale < 1e-10:
                break
            scale /= 2
        if not np.isfinite(new_loss):                            # stalled: no finite step left
            break
        theta, loss, grad, hess = cand, new_loss, new_grad, new_hess
        grad_norm = float(np.max(np.abs(grad)))
        n_iter += 1
    return NewtonState(theta, n_iter, grad_norm, loss, grad, hess)
