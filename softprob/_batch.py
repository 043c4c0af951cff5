"""Private engine of :func:`softprob.fit.fit_logistic_batch`: R logistic fits in one Newton loop.

Same numerics as :func:`softprob._newton.logistic_pass`, on stacked arrays:
replications are processed in groups small enough that every temporary
stays a few MiB, and within a group one iteration is one batched pass
(``matmul``, never a three-operand ``einsum``). Replications drop out of the
loop as they converge; a rejected step is halved for that replication only.
"""

from __future__ import annotations

import numpy as np

from softprob._checks import FloatArray
from softprob._newton import solve_newton

_GROUP_BYTES = 1 << 23          # ~8 MiB of design and scratch space per group of replications


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


def newton_group(xt: FloatArray, t: FloatArray, beta: FloatArray, tol: float, max_iter: int
                 ) -> tuple[FloatArray, np.ndarray, FloatArray, FloatArray]:
    """Damped Newton for each replication of a group: (coef, n_iter, grad_norm, loss)."""
    g = 1.0 - 2.0 * t
    work = np.empty((xt.shape[0], xt.shape[1] + 4, xt.shape[2]))
    loss, grad, hess = _pass(xt, g, beta, work)
    grad_norm = np.max(np.abs(grad), axis=1)
    n_iter = np.zeros(beta.shape[0], dtype=np.int64)
    while True:
        act = np.flatnonzero(~(grad_norm < tol) & (n_iter < max_iter))
        if act.size == 0:
            break
        sub = slice(None) if act.size == beta.shape[0] else act
        step = _solve(hess[act], grad[act])
        scale = np.ones(act.size)
        todo = np.arange(act.size)                   # replications whose step is not yet accepted
        while todo.size:
            rows = act[todo]
            cand = beta[rows] - scale[todo, None] * step[todo]
            sel = sub if todo.size == act.size else rows
            c_loss, c_grad, c_hess = _pass(xt[sel], g[sel], cand, work)
            ok = ((np.einsum("rk,rk->r", c_grad, step[todo]) >= 0) | (c_loss <= loss[rows] + 1e-15))
            ok = (ok & np.isfinite(c_loss)) | (scale[todo] < 1e-10)
            done = rows[ok]
            beta[done], loss[done], grad[done], hess[done] = cand[ok], c_loss[ok], c_grad[ok], c_hess[ok]
            scale[todo[~ok]] /= 2
            todo = todo[~ok]
        grad_norm[act] = np.max(np.abs(grad[act]), axis=1)
        n_iter[act] += 1
    return beta, n_iter, grad_norm, loss


def fit_batch(x: FloatArray, t: FloatArray, fit_intercept: bool, tol: float, max_iter: int
              ) -> tuple[FloatArray, np.ndarray, FloatArray, FloatArray]:
    """All replications of ``x`` (R, n, d) and ``t`` (R, n), group by group."""
    n_rep, n, d = x.shape
    k = d + int(fit_intercept)
    per_group = int(max(1, _GROUP_BYTES // (8 * (2 * k + 4) * n)))
    coef = np.zeros((n_rep, k))
    n_iter = np.zeros(n_rep, dtype=np.int64)
    grad_norm, loss = np.zeros(n_rep), np.zeros(n_rep)
    for a in range(0, n_rep, per_group):
        rows = slice(a, a + per_group)
        xg, tg = x[rows], t[rows]
        xt = np.empty((xg.shape[0], k, n))
        if fit_intercept:
            xt[:, 0] = 1.0
        xt[:, k - d:] = xg.transpose(0, 2, 1)
        beta = np.zeros((xg.shape[0], k))
        if fit_intercept:
            tbar = np.clip(tg.mean(axis=1), 1e-12, 1 - 1e-12)
            beta[:, 0] = np.log(tbar) - np.log1p(-tbar)
        coef[rows], n_iter[rows], grad_norm[rows], loss[rows] = newton_group(xt, tg, beta, tol,
                                                                            max_iter)
    return coef, n_iter, grad_norm, loss
