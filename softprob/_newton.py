"""Private Newton engine behind :mod:`softprob.fit` and :mod:`softprob.fit_multiclass`.

Design choices (each measured; see ``benchmarks/bench_fit.py``):

* The design matrix is stored once, transposed, as ``XT`` of shape (k, n)
  (row 0 = ones when there is an intercept), so each feature is a
  contiguous row.
* One Newton iteration makes ONE pass over ``XT``, block by block (blocks
  small enough to stay in cache): logits, loss, gradient and Hessian come
  out of the same pass. Gradient and Hessian of a block are a single matrix
  product ``[r; x*s] @ x.T``. No temporary is larger than a block.
* The loss of a candidate step is computed in the same pass that gives the
  next gradient, so an accepted full Newton step costs no extra pass. A step
  is accepted when the loss did not increase, or when convexity already
  proves it (``g_new . (old - new) >= 0`` implies ``f(new) <= f(old)``).
* The small Newton system is solved (Jacobi-scaled, ``np.linalg.solve``),
  never inverted; a singular, badly conditioned or non-finite solve falls
  back to least squares.
* Large fits start from the fit on every 8th sample (recursively), which
  costs about a quarter of one full iteration and saves three to five.
* BLAS runs single-threaded inside a fit: on cache-sized blocks a second
  thread only adds synchronisation, which stalls on a busy machine.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np

from softprob._checks import FloatArray
from softprob._threads import single_threaded_blas


Pass = Callable[[FloatArray], tuple[float, FloatArray, FloatArray]]

_SUBSAMPLE = 8                  # stride of the subsample that gives large fits their start
_SUBSAMPLE_MIN = 10_000         # smallest subsample worth fitting first
_SUBSAMPLE_TOL = 1e-5           # a start only needs its own statistical accuracy


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
    step = 8192
    for a in range(0, n, step):
        xt[k - d:, a:a + step] = x[a:a + step].T
    return xt


def solve_newton(hess: FloatArray, grad: FloatArray) -> FloatArray:
    """Solve ``hess @ step = grad`` (hess symmetric PSD), robust to singular ``hess``."""
    diag = np.diag(hess)
    scale = 1.0 / np.sqrt(np.where(diag > 0, diag, 1.0))
    a = hess * scale[:, None] * scale[None, :]
    try:
        step = np.linalg.solve(a, grad * scale) * scale
        if np.all(np.isfinite(step)) and np.linalg.cond(a) < 1e12:
            return step
    except np.linalg.LinAlgError:
        pass
    return np.linalg.lstsq(a, grad * scale, rcond=1e-12)[0] * scale


def logistic_pass(xt: FloatArray, g: FloatArray, w: FloatArray | None, beta: FloatArray
                  ) -> tuple[float, FloatArray, FloatArray]:
    """Mean weighted cross-entropy, its gradient and Hessian at ``beta``, in one pass.

    ``g = 1 - 2 t`` holds the targets t; ``w`` are weights summing to 1, or None
    for uniform weights 1/n. Per sample, with e = exp(-|z|) and q = 1 + e:

    * loss = log1p(e) + [g z + |z|] / 2, a sum of two non-negative terms (no cancellation);
    * 2 (sigmoid(z) - t) = copysign(2/q - 1, z) + g;
    * 4 sigmoid(z) sigmoid(-z) = e (2/q)^2.
    """
    k, n = xt.shape
    bs = min(block_size(k, k + 5), n)
    loss = 0.0
    acc = np.zeros((k + 1, k))                       # row 0: 2 x gradient, rows 1..k: 4 x Hessian
    buf = np.empty((k + 1, bs))
    work = np.empty((4, bs))
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
        np.multiply(xb, e, out=s)
        acc += buf[:, :m] @ xb.T
    acc[0] *= 0.5
    acc[1:] *= 0.25
    if w is None:
        loss /= n
        acc /= n
    return float(loss), acc[0], acc[1:]


def logistic_pass_for(data: tuple[FloatArray, ...], w: FloatArray | None) -> Pass:
    """:func:`logistic_pass` on ``data = (xt, t)``, as a function of the coefficients."""
    xt, t = data
    return partial(logistic_pass, xt, 1.0 - 2.0 * t, w)


def logistic_start(data: tuple[FloatArray, ...], w: FloatArray | None,
                   fit_intercept: bool) -> tuple[FloatArray, float]:
    """Intercept-only start (logit of the mean target) and its loss, in closed form."""
    xt, t = data
    beta = np.zeros(xt.shape[0])
    tbar = float(np.mean(t) if w is None else w @ t)
    if fit_intercept:
        p = min(max(tbar, 1e-12), 1 - 1e-12)
        beta[0] = np.log(p) - np.log1p(-p)
    return beta, float(np.logaddexp(0.0, beta[0]) - tbar * beta[0])


def softmax_pass(xt: FloatArray, tt: FloatArray, w: FloatArray | None, theta: FloatArray
                 ) -> tuple[float, FloatArray, FloatArray]:
    """Softmax counterpart of :func:`logistic_pass`.

    ``tt`` (K, n) are the target rows, transposed; ``theta`` is the flattened
    (k, K-1) block of free coefficients (class K-1 is the reference, logit 0).
    Returns the loss, the gradient flattened like ``theta``, and the Hessian.
    """
    k, n = xt.shape
    n_classes = tt.shape[0]
    m = n_classes - 1
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


def fit_with_subsample_start(data: tuple[FloatArray, ...], w: FloatArray | None,
                             pass_for: Callable[[tuple[FloatArray, ...], FloatArray | None], Pass],
                             start: Callable[[tuple[FloatArray, ...], FloatArray | None],
                                             tuple[FloatArray, float]],
                             tol: float, max_iter: int) -> tuple[FloatArray, int, float, float]:
    """Newton on ``data`` (arrays with samples along the last axis), from a good start.

    ``start(data, w)`` gives a default start and its loss. When n is large the
    fit on every 8th sample (itself started this way) is tried first, and kept
    when its loss on all the data beats the default start's; the subsample fit
    costs about a quarter of one full iteration and saves several.
    """
    with single_threaded_blas():
        return _fit_from_start(data, w, pass_for, start, tol, max_iter)


def _fit_from_start(data, w, pass_for, start, tol, max_iter):
    if w is not None:
        w = w / w.sum()
    pass_at = pass_for(data, w)
    theta, base_loss = start(data, w)
    first = None
    if data[0].shape[-1] >= _SUBSAMPLE * _SUBSAMPLE_MIN:
        sub = tuple(np.ascontiguousarray(arr[..., ::_SUBSAMPLE]) for arr in data)
        ws = None if w is None else w[::_SUBSAMPLE]
        sub_theta, _, sub_grad, _ = _fit_from_start(sub, ws, pass_for, start, _SUBSAMPLE_TOL,
                                                    max_iter)
        if sub_grad < _SUBSAMPLE_TOL:
            first = pass_at(sub_theta)
            if first[0] <= base_loss:
                theta = sub_theta
            else:
                first = None
    return newton(pass_at, theta, tol, max_iter, first)


def newton(pass_at: Pass, theta: FloatArray, tol: float, max_iter: int,
           first: tuple[float, FloatArray, FloatArray] | None = None
           ) -> tuple[FloatArray, int, float, float]:
    """Damped Newton from ``theta``: returns (theta, iterations, gradient max-norm, loss).

    ``first`` may hold ``pass_at(theta)`` when the caller already computed it.
    """
    loss, grad, hess = pass_at(theta) if first is None else first
    grad_norm = float(np.max(np.abs(grad)))
    n_iter = 0
    while not grad_norm < tol and n_iter < max_iter:
        step = solve_newton(hess, grad)
        scale = 1.0
        while True:
            cand = theta - scale * step
            new_loss, new_grad, new_hess = pass_at(cand)
            decreased = new_grad @ step >= 0.0 or new_loss <= loss + 1e-15
            if (decreased and np.isfinite(new_loss)) or scale < 1e-10:
                break
            scale /= 2
        theta, loss, grad, hess = cand, new_loss, new_grad, new_hess
        grad_norm = float(np.max(np.abs(grad)))
        n_iter += 1
    return theta, n_iter, grad_norm, loss
