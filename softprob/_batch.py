"""Private engine of :func:`softprob.fit.fit_logistic_batch`: R logistic fits in one Newton loop.

Same numerics as :func:`softprob._newton.logistic_pass`, on stacked arrays:
replications are processed in groups small enough that every temporary
stays a few MiB, and within a group one iteration is one batched pass
(``matmul``, never a three-operand ``einsum``). Replications drop out of the
loop as they converge; a rejected step is halved for that replication only.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from softprob._checks import FloatArray
from softprob._newton import (fit_with_subsample_start, logistic_pass_for, logistic_start,
                              solve_newton, transposed_design)
from softprob._threads import single_threaded_blas

_GROUP_BYTES = 1 << 22          # ~4 MiB of design and scratch space per group (measured optimum)
_SINGLE_MIN_N = 50_000          # from this sample size on, the single-fit engine is faster
_PILOT_TOL = 1e-5               # a start only needs its own statistical accuracy


def _pass(xt: FloatArray, g: FloatArray, beta: FloatArray, work: FloatArray
          ) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per-replication loss (r,), gradient (r, k) and Hessian (r, k, k) at ``beta`` (r, k).

    ``work`` (>= r, k + 4, n) is scratch space reused across iterations (fresh
    arrays of this size would cost a page fault per 4 KiB on every pass).
    """
    r, k, n = xt.shape
    w = work[:r]
    z, e, lin, m = w[:, k + 1], w[:, k + 2], w[:, k + 3], w[:, :k + 1]
    np.matmul(beta[:, None, :], xt, out=z[:, None, :])
    np.abs(z, out=e)
    np.multiply(g, z, out=lin)
    lin += e                                         # g z + |z| >= 0, g = 1 - 2t
    loss = 0.5 * lin.sum(axis=1)
    np.negative(e, out=e)
    np.exp(e, out=e)                                 # exp(-|z|)
    loss += np.log1p(e, out=lin).sum(axis=1)
    u = np.add(e, 1.0, out=lin)
    np.divide(2.0, u, out=u)                         # 2 sigmoid(|z|)
    np.subtract(u, 1.0, out=m[:, 0])
    np.copysign(m[:, 0], z, out=m[:, 0])
    m[:, 0] += g                                     # 2 (sigmoid(z) - t)
    e *= u
    e *= u                                           # 4 sigmoid(z) sigmoid(-z)
    np.multiply(xt, e[:, None, :], out=m[:, 1:])
    acc = np.matmul(m, xt.transpose(0, 2, 1))
    return loss / n, acc[:, 0] * (0.5 / n), acc[:, 1:] * (0.25 / n)


def _solve(hess: FloatArray, grad: FloatArray) -> FloatArray:
    """Batched Newton steps; any singular system falls back to the robust single solver."""
    scale = 1.0 / np.sqrt(np.maximum(np.diagonal(hess, axis1=1, axis2=2), 1e-300))
    a = hess * scale[:, :, None] * scale[:, None, :]
    try:
        step = np.linalg.solve(a, (grad * scale)[:, :, None])[:, :, 0] * scale
        bad = ~np.all(np.isfinite(step), axis=1) | (np.linalg.cond(a) > 1e12)
    except np.linalg.LinAlgError:
        step, bad = np.zeros_like(grad), np.ones(grad.shape[0], dtype=bool)
    for i in np.flatnonzero(bad):
        step[i] = solve_newton(hess[i], grad[i])
    return step


def newton_group(xt: FloatArray, t: FloatArray, fit_intercept: bool, tol: float, max_iter: int,
                 pilot: FloatArray | None) -> tuple[FloatArray, np.ndarray, FloatArray, FloatArray]:
    """Damped Newton for each replication of a group: (coef, n_iter, grad_norm, loss).

    Each replication starts from ``pilot`` (a fit of another replication) when
    that beats its intercept-only start, whose loss is known in closed form.
    """
    r, k, _ = xt.shape
    g = 1.0 - 2.0 * t
    work = np.empty((r, k + 4, xt.shape[2]))
    tbar = t.mean(axis=1)
    beta = np.zeros((r, k))
    if fit_intercept:
        p = np.clip(tbar, 1e-12, 1 - 1e-12)
        beta[:, 0] = np.log(p) - np.log1p(-p)
    base_loss = np.logaddexp(0.0, beta[:, 0]) - tbar * beta[:, 0]
    if pilot is None:
        loss, grad, hess = _pass(xt, g, beta, work)
    else:
        loss, grad, hess = _pass(xt, g, np.broadcast_to(pilot, beta.shape), work)
        keep = loss <= base_loss
        beta[keep] = pilot
        back = np.flatnonzero(~keep)
        if back.size:
            loss[back], grad[back], hess[back] = _pass(xt[back], g[back], beta[back], work)
    grad_norm = np.max(np.abs(grad), axis=1)
    n_iter = np.zeros(r, dtype=np.int64)
    while True:
        act = np.flatnonzero(~(grad_norm < tol) & (n_iter < max_iter))
        if act.size == 0:
            break
        sub = slice(None) if act.size == r else act
        step = _solve(hess[act], grad[act])
        scale = np.ones(act.size)
        todo = np.arange(act.size)                   # replications whose step is not yet accepted
        while todo.size:
            rows = act[todo]
            cand = beta[rows] - scale[todo, None] * step[todo]
            sel = sub if todo.size == act.size else rows
            c_loss, c_grad, c_hess = _pass(xt[sel], g[sel], cand, work)
            # accept when the loss did not increase, or when convexity proves it did not:
            # f(new) <= f(old) - grad(new) . (old - new)
            ok = ((np.einsum("rk,rk->r", c_grad, step[todo]) >= 0) | (c_loss <= loss[rows] + 1e-15))
            ok = (ok & np.isfinite(c_loss)) | (scale[todo] < 1e-10)
            done = rows[ok]
            beta[done], loss[done], grad[done], hess[done] = cand[ok], c_loss[ok], c_grad[ok], c_hess[ok]
            scale[todo[~ok]] /= 2
            todo = todo[~ok]
        grad_norm[act] = np.max(np.abs(grad[act]), axis=1)
        n_iter[act] += 1
    return beta, n_iter, grad_norm, loss


def _single(x: FloatArray, t: FloatArray, fit_intercept: bool, tol: float, max_iter: int
            ) -> tuple[FloatArray, int, float, float]:
    """One replication through the single-fit engine (blocks, subsample start)."""
    return fit_with_subsample_start((transposed_design(x, fit_intercept), t), None,
                                    logistic_pass_for,
                                    partial(logistic_start, fit_intercept=fit_intercept),
                                    tol, max_iter)


def fit_batch(x: FloatArray, t: FloatArray, fit_intercept: bool, tol: float, max_iter: int
              ) -> tuple[FloatArray, np.ndarray, FloatArray, FloatArray]:
    """All replications of ``x`` (R, n, d) and ``t`` (R, n), group by group."""
    n_rep, n, d = x.shape
    k = d + int(fit_intercept)
    coef = np.zeros((n_rep, k))
    n_iter = np.zeros(n_rep, dtype=np.int64)
    grad_norm, loss = np.zeros(n_rep), np.zeros(n_rep)
    if n >= _SINGLE_MIN_N:                           # long samples: one at a time is faster
        for r in range(n_rep):
            coef[r], n_iter[r], grad_norm[r], loss[r] = _single(x[r], t[r], fit_intercept, tol,
                                                                max_iter)
        return coef, n_iter, grad_norm, loss
    pilot = None
    if n_rep >= 4:                                   # replications of one problem share a start
        theta, _, pilot_grad, _ = _single(x[0], t[0], fit_intercept, _PILOT_TOL, max_iter)
        pilot = theta if pilot_grad < _PILOT_TOL else None
    per_group = int(max(1, _GROUP_BYTES // (8 * (2 * k + 4) * n)))
    for a in range(0, n_rep, per_group):
        rows = slice(a, a + per_group)
        xg = x[rows]
        xt = np.empty((xg.shape[0], k, n))
        if fit_intercept:
            xt[:, 0] = 1.0
        xt[:, k - d:] = xg.transpose(0, 2, 1)
        with single_threaded_blas():
            coef[rows], n_iter[rows], grad_norm[rows], loss[rows] = newton_group(
                xt, t[rows], fit_intercept, tol, max_iter, pilot)
    return coef, n_iter, grad_norm, loss
