"""Private batched Newton engine behind ``fit_logistic_batch``: R logistic fits in one loop.

Same numerics as :func:`softprob._newton.logistic_pass`, on stacked arrays:
replications are processed in groups small enough that every temporary
stays a few MiB, and within a group one iteration is one batched pass
(``matmul``, never a three-operand ``einsum``). Replications drop out of the
loop as they converge; a rejected step is halved for that replication only
(:func:`softprob._newton.accept_step`, the rule of every Newton loop).
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import numpy as np

from softprob._checks import FloatArray
from softprob._kernels import single_threaded_blas
from softprob._newton import (
    NewtonState,
    accept_step,
    fit_with_subsample_start,
    intercept_start,
    logistic_pass_for,
    logistic_start,
    solve_newton,
    transposed_design,
)

_GROUP_BYTES = 1 << 22          # ~4 MiB of design and scratch space per group (measured optimum)
_SINGLE_MIN_N = 50_000          # from this sample size on, the single-fit engine is faster
_PILOT_TOL = 1e-5               # a start only needs its own statistical accuracy


class BatchState(NamedTuple):
    """Per replication: coefficients (R, k), iterations, gradient norm, loss, gradient, Hessian."""

    coef: FloatArray
    n_iter: np.ndarray
    grad_norm: FloatArray
    loss: FloatArray
    grad: FloatArray
    hess: FloatArray


def _pass(xt: FloatArray, g: FloatArray, beta: FloatArray, work: FloatArray, penalty: FloatArray
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
    loss, grad, hess = loss / n, acc[:, 0] * (0.5 / n), acc[:, 1:] * (0.25 / n)
    if penalty.any():
        loss += 0.5 * (beta**2 @ penalty)
        grad += penalty * beta
        hess += np.diag(penalty)
    return loss, grad, hess


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
                 pilot: FloatArray | None, penalty: FloatArray) -> BatchState:
    """Damped Newton for each replication of a group.

    Each replication starts from ``pilot`` (a fit of another replication) when
    that beats its intercept-only start, whose loss is known in closed form.
    """
    r, k, _ = xt.shape
    g = 1.0 - 2.0 * t
    work = np.empty((r, k + 4, xt.shape[2]))
    beta = np.zeros((r, k))
    b0, base_loss = intercept_start(t.mean(axis=1))
    if fit_intercept:
        beta[:, 0] = b0
    else:
        base_loss = np.full(r, np.log(2.0))
    if pilot is None:
        loss, grad, hess = _pass(xt, g, beta, work, penalty)
    else:
        loss, grad, hess = _pass(xt, g, np.broadcast_to(pilot, beta.shape), work, penalty)
        keep = loss <= base_loss
        beta[keep] = pilot
        back = np.flatnonzero(~keep)
        if back.size:
            loss[back], grad[back], hess[back] = _pass(xt[back], g[back], beta[back], work, penalty)
    grad_norm = np.max(np.abs(grad), axis=1)
    n_iter = np.zeros(r, dtype=np.int64)
    while True:
        act = np.flatnonzero(~(grad_norm < tol) & (n_iter < max_iter))
        if act.size == 0:
            break
        sub = slice(None) if act.size == r else act
        with np.errstate(over="ignore", invalid="ignore"):
            step = _solve(hess[act], grad[act])
        scale = np.ones(act.size)
        todo = np.arange(act.size)                   # replications whose step is not yet accepted
        while todo.size:
            rows = act[todo]
            cand = beta[rows] - scale[todo, None] * step[todo]
            sel = sub if todo.size == act.size else rows
            with np.errstate(over="ignore", invalid="ignore"):   # wild steps: rejected below
                c_loss, c_grad, c_hess = _pass(xt[sel], g[sel], cand, work, penalty)
                slope = np.einsum("rk,rk->r", c_grad, step[todo])
            finite = np.all(np.isfinite(c_grad), axis=1) & np.all(np.isfinite(c_hess), axis=(1, 2))
            ok = accept_step(loss[rows], np.where(finite, c_loss, np.inf), slope, scale[todo])
            stalled = ~ok & (scale[todo] < 1e-10)            # no finite step left: stop there
            n_iter[rows[stalled]] = max_iter
            done = rows[ok]
            beta[done], loss[done] = cand[ok], c_loss[ok]
            grad[done], hess[done] = c_grad[ok], c_hess[ok]
            scale[todo[~ok]] /= 2
            todo = todo[~ok & ~stalled]
        grad_norm[act] = np.max(np.abs(grad[act]), axis=1)
        n_iter[act] += 1
    return BatchState(beta, n_iter, grad_norm, loss, grad, hess)


def single_fit(x: FloatArray, t: FloatArray, fit_intercept: bool, tol: float, max_iter: int,
               penalty: FloatArray) -> NewtonState:
    """One replication through the single-fit engine (blocks, subsample start)."""
    return fit_with_subsample_start((transposed_design(x, fit_intercept), t), None,
                                    logistic_pass_for,
                                    partial(logistic_start, fit_intercept=fit_intercept),
                                    tol, max_iter, penalty if penalty.any() else None).state


def fit_batch(x: FloatArray, t: FloatArray, fit_intercept: bool, tol: float, max_iter: int,
              penalty: FloatArray) -> BatchState:
    """All replications of ``x`` (R, n, d) and ``t`` (R, n), group by group."""
    n_rep, n, d = x.shape
    k = d + int(fit_intercept)
    out = BatchState(np.zeros((n_rep, k)), np.zeros(n_rep, dtype=np.int64), np.zeros(n_rep),
                     np.zeros(n_rep), np.zeros((n_rep, k)), np.zeros((n_rep, k, k)))
    if n >= _SINGLE_MIN_N:                           # long samples: one at a time is faster
        for r in range(n_rep):
            s = single_fit(x[r], t[r], fit_intercept, tol, max_iter, penalty)
            for field, value in zip(out, (s.theta, s.n_iter, s.grad_norm, s.loss, s.grad, s.hess)):
                field[r] = value
        return out
    pilot = None
    if n_rep >= 4:                                   # replications of one problem share a start
        first = single_fit(x[0], t[0], fit_intercept, _PILOT_TOL, max_iter, penalty)
        pilot = first.theta if first.grad_norm < _PILOT_TOL else None
    per_group = int(max(1, _GROUP_BYTES // (8 * (2 * k + 4) * n)))
    for a in range(0, n_rep, per_group):
        rows = slice(a, a + per_group)
        xg = x[rows]
        xt = np.empty((xg.shape[0], k, n))
        if fit_intercept:
            xt[:, 0] = 1.0
        xt[:, k - d:] = xg.transpose(0, 2, 1)
        with single_threaded_blas():
            group = newton_group(xt, t[rows], fit_intercept, tol, max_iter, pilot, penalty)
        for field, value in zip(out, group):
            field[rows] = value
    return out
