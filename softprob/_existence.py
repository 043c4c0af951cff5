"""When a maximum-likelihood estimate does not exist: softprob's errors and warnings, and the tests.

Error or warning (exported from the package top level, like statsmodels'
perfect-separation error/warning):

* :class:`PerfectSeparationError` (a ``ValueError``) - a single fit has no
  finite solution: the classes are completely or quasi-completely separated,
  the labels are of one class only (for softmax: a class never occurs), or
  temperature scaling has no minimiser at a positive temperature. There is no
  number to return, so the fit raises.
* :class:`PerfectSeparationWarning` - in a batch of fits only some
  replications may be separated; the batch warns, marks them and sets their
  coefficients to NaN, and returns the others.
* :class:`RankDeficiencyWarning` - the design has rank r < k: the minimiser
  exists but is not unique; the fit returns one of them and warns.

Tests. A logistic or softmax loss has no finite minimiser exactly when a
direction ``d`` exists along which it never increases and somewhere
decreases: every labelled point's true-class score rises at least as fast
as the others, points with soft targets stay tied, and ``X d != 0``. This is
decided exactly by a linear programme (:func:`separating_direction`).
Because that is slow for a million samples, a fit first tries a certificate
that no such direction exists, computed from where Newton's method stopped:
if every labelled point's curvature weight h_i exceeds (4 times) the squared
Newton decrement g' H^-1 g, no separating direction exists (see
:func:`certified`). Only when the certificate fails does the LP run.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import optimize

from softprob import _kernels as kern
from softprob._checks import FloatArray


class PerfectSeparationError(ValueError):
    """A maximum-likelihood fit has no finite solution (separated data, one class, no minimiser)."""


class PerfectSeparationWarning(UserWarning):
    """Some replications of a batch of fits are separated; their coefficients are NaN."""


class RankDeficiencyWarning(UserWarning):
    """The design matrix is rank deficient: the coefficients are not unique."""


WHAT_TO_DO = ("pass l2=... (e.g. l2=1e-3) for a penalised (MAP) fit, whose estimate exists, "
              "or collect more data")


def one_class_message(counts: FloatArray) -> str:
    """Message for targets with no mass on some class (a fit with an intercept)."""
    absent = np.flatnonzero(~(counts > 0)).tolist()
    return (f"y: class(es) {absent} never occur (with positive weight): the maximum-likelihood "
            f"intercept sends their probability to 0, so no finite estimate exists. Fit on data "
            f"that contain every class (binary: both A and B); l2 does not help, because the "
            f"intercept is not penalised")


def separation_message(complete: bool, estimate: str = "maximum-likelihood",
                       remedy: str = WHAT_TO_DO) -> str:
    """Message for (quasi-)complete separation."""
    kind = "completely" if complete else "quasi-completely"
    return (f"X, y: the classes are {kind} separated - a linear score ranks every labelled "
            f"sample's own class highest{'' if complete else ' or tied'} - so the {estimate} "
            f"coefficients are infinite and the loss tends to its infimum without reaching it; "
            f"there is no estimate to return. To fit anyway, {remedy}")


def separating_direction(ineq: FloatArray, eq: FloatArray | None) -> tuple[bool, bool]:
    """Exact test: is there d with ineq @ d >= 0 (one > 0) and eq @ d = 0? -> (found, complete).

    Columns are scaled to max |entry| 1 and d is boxed in [-1, 1]^k; the LP
    maximises sum(ineq @ d). A direction is accepted only after checking its
    margins (>= -1e-9 k, equalities within 1e-9 k, one margin > 1e-7).
    """
    k = ineq.shape[1]
    if ineq.shape[0] == 0:
        return False, False
    allrows = ineq if eq is None else np.vstack([ineq, eq])
    scale = np.max(np.abs(allrows), axis=0)
    scale[scale == 0] = 1.0
    a, e = ineq / scale, (None if eq is None or eq.shape[0] == 0 else eq / scale)
    sol = optimize.linprog(-a.sum(axis=0), A_ub=-a, b_ub=np.zeros(a.shape[0]),
                           A_eq=e, b_eq=None if e is None else np.zeros(e.shape[0]),
                           bounds=[(-1.0, 1.0)] * k, method="highs",
                           options={"primal_feasibility_tolerance": 1e-10,
                                    "dual_feasibility_tolerance": 1e-10})
    if sol.status != 0 or sol.x is None:
        return False, False
    margins = a @ sol.x
    tied_ok = e is None or np.max(np.abs(e @ sol.x)) <= 1e-9 * k
    found = bool(margins.min() >= -1e-9 * k and tied_ok and margins.max() > 1e-7)
    if not found or e is not None:                   # tied soft targets: at most quasi-complete
        return found, False
    # complete separation: some direction gives EVERY labelled sample a positive margin t
    cost = np.zeros(k + 1)
    cost[-1] = -1.0                                  # maximise t subject to a @ d >= t, t <= 1
    best = optimize.linprog(cost, A_ub=np.hstack([-a, np.ones((a.shape[0], 1))]),
                            b_ub=np.zeros(a.shape[0]), bounds=[(-1.0, 1.0)] * k + [(None, 1.0)],
                            method="highs")
    return True, bool(best.status == 0 and -best.fun > 1e-7)


def binary_rows(xt: FloatArray, t: FloatArray, w: FloatArray | None
                ) -> tuple[FloatArray, FloatArray]:
    """LP rows of a logistic fit: s_i x_i for labels (s = +1 A, -1 B), x_i for soft targets."""
    pos = np.ones(t.shape[0], dtype=bool) if w is None else w > 0
    hard = pos & ((t == 0) | (t == 1))
    soft = pos & ~hard
    return (xt[:, hard] * np.where(t[hard] == 1, 1.0, -1.0)).T, xt[:, soft].T


def softmax_rows(xt: FloatArray, tt: FloatArray, w: FloatArray | None
                 ) -> tuple[FloatArray, FloatArray]:
    """LP rows of a softmax fit on coefficients (k, K-1): each pair (c in support, j) per sample."""
    k, n = xt.shape
    n_classes = tt.shape[0]
    m = n_classes - 1
    pos = np.ones(n, dtype=bool) if w is None else w > 0
    ineq, eq = [], []
    for c in range(n_classes):
        for j in range(n_classes):
            if j == c:
                continue
            sel_ineq = pos & (tt[c] > 0) & (tt[j] == 0)
            sel_eq = pos & (tt[c] > 0) & (tt[j] > 0) & (c < j)
            for sel, out in ((sel_ineq, ineq), (sel_eq, eq)):
                if sel.any():
                    rows = np.zeros((int(sel.sum()), k, m))
                    if c < m:
                        rows[:, :, c] += xt[:, sel].T
                    if j < m:
                        rows[:, :, j] -= xt[:, sel].T
                    out.append(rows.reshape(-1, k * m))
    empty = np.zeros((0, k * m))
    return (np.vstack(ineq) if ineq else empty), (np.vstack(eq) if eq else empty)


def certified(h_min, grad: FloatArray, hess: FloatArray, slack) -> np.ndarray:
    """True where no separating direction can exist (the estimate exists); vectorised.

    For a separating direction d, some labelled i has
    h_i <= (curvature along d) / max-margin^2 <= g' H^-1 g, with h_i the
    sample's weight times p_c p_j / (p_c + p_j) for its class c and the worst
    other class j (sigma(z) sigma(-z) for logistic). So h_min > g' H^-1 g
    proves that no separating direction exists. Factor 4 and ``slack`` (an
    allowance for rounding in the gradient) keep the proof safe in floating point.
    ``grad`` (..., k), ``hess`` (..., k, k), ``h_min`` and ``slack`` (...).
    """
    h_min, slack = np.asarray(h_min, dtype=float), np.asarray(slack, dtype=float)
    diag = np.diagonal(hess, axis1=-2, axis2=-1)
    good = np.all(diag > 0, axis=-1) & np.all(np.isfinite(hess), axis=(-2, -1))
    d = 1.0 / np.sqrt(np.where(diag > 0, diag, 1.0))
    scaled = np.where(good[..., None, None], hess * d[..., :, None] * d[..., None, :],
                      np.eye(hess.shape[-1]))
    low = np.linalg.eigvalsh(scaled)[..., 0]
    nu = np.linalg.norm(grad * d, axis=-1) + slack * d.max(axis=-1)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        ok = good & (low > 1e-10) & (h_min > 4.0 * nu * nu / low)
    return ok | (h_min == np.inf)


def _slack(n: int, k: int, xmax: float) -> float:
    """Rounding allowance of a gradient of n terms |w_i (p_i - t_i) x_ij| <= w_i xmax, sum w = 1."""
    return 16.0 * np.finfo(float).eps * np.sqrt(n * k) * xmax


def softmax_h_min(xt: FloatArray, theta: FloatArray, tt: FloatArray, w: FloatArray | None
                  ) -> float:
    """min over labelled samples of w_i min_{j not in S_i} p_c p_j / (p_c + p_j), block by block.

    S_i is the support of the target row, c its most probable class; rows whose
    support is every class cannot be separated and are skipped.
    """
    k, n = xt.shape
    m = tt.shape[0] - 1
    coef = theta.reshape(k, m)
    out = np.inf
    for a in range(0, n, 65536):
        xb = xt[:, a:a + 65536]
        p = np.exp(kern.log_softmax(np.vstack([coef.T @ xb, np.zeros((1, xb.shape[1]))]), axis=0))
        support = tt[:, a:a + 65536] > 0
        top = np.where(support, p, -np.inf).max(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            pair = np.where(support, np.inf, top * p / (top + p)).min(axis=0)
        wb = 1.0 / n if w is None else w[a:a + 65536] / w.sum()
        out = min(out, float(np.min(np.where(wb > 0, wb * pair, np.inf))))
    return out


def _suspect(hess: FloatArray) -> np.ndarray:
    """Where a (stack of) Hessian(s) is singular or badly conditioned, so the rank is in doubt."""
    diag = np.diagonal(hess, axis1=-2, axis2=-1)
    d = 1.0 / np.sqrt(np.where(diag > 0, diag, 1.0))
    eig = np.linalg.eigvalsh(hess * d[..., :, None] * d[..., None, :])   # cheaper than an SVD
    return ~np.all(diag > 0, axis=-1) | ~(eig[..., 0] > 1e-12 * eig[..., -1])


def rank_message(rank: int, k: int, where: str = "") -> str:
    """Message of :class:`RankDeficiencyWarning`."""
    return (f"X: the design{where} has rank {rank} < {k} coefficients (intercept included): the "
            f"coefficients are not unique; the fit returns one of infinitely many minimisers, with "
            f"the same predictions. Drop or combine collinear features, or pass l2=... for the "
            f"unique penalised fit")


def check_rank(xt: FloatArray, w: FloatArray | None, hess: FloatArray) -> None:
    """Warn (:class:`RankDeficiencyWarning`) when the design (rows with weight > 0) has rank < k."""
    if not _suspect(hess):
        return
    cols = xt if w is None else xt[:, w > 0]
    rank = int(np.linalg.matrix_rank(cols.T)) if cols.shape[1] else 0
    if rank < xt.shape[0]:
        warnings.warn(rank_message(rank, xt.shape[0]), RankDeficiencyWarning, stacklevel=4)


def check_batch_rank(x: FloatArray, hess: FloatArray, fit_intercept: bool,
                     skip: np.ndarray) -> None:
    """:func:`check_rank` for each replication of a batch (x: (R, n, d)); one warning."""
    k = hess.shape[-1]
    low = {}
    for r in np.flatnonzero(_suspect(hess) & ~skip):
        design = np.c_[np.ones(x.shape[1]), x[r]] if fit_intercept else x[r]
        rank = int(np.linalg.matrix_rank(design))
        if rank < k:
            low[int(r)] = rank
    if low:
        shown = sorted(low)[:10]
        warnings.warn(rank_message(min(low.values()), k, f" of replications {shown}"
                                   + (" and more" if len(low) > 10 else "")),
                      RankDeficiencyWarning, stacklevel=3)


def check_temperature(z: FloatArray, labels: np.ndarray) -> None:
    """Raise :class:`PerfectSeparationError` unless the NLL of z/T has a minimiser at some T > 0.

    z: logit rows (n, K) (binary: [0, logit of A]). The NLL is convex in
    beta = 1/T. It keeps decreasing as beta -> inf exactly when every label
    has (one of) the largest logits of its row; it decreases towards beta -> 0
    (T -> inf) exactly when its slope at beta = 0 is >= 0.
    """
    own = z[np.arange(z.shape[0]), labels]
    if np.all(own >= z.max(axis=1)):
        raise PerfectSeparationError(
            "logits, y: every label has the largest logit of its row (binary: the signs of the "
            "logits separate the labels), so the NLL keeps falling as T -> 0 and no temperature "
            "minimises it. Fit the temperature on a validation set on which the model makes "
            "mistakes (collect more validation data)")
    slope = z.mean(axis=1) - own                     # d NLL / d beta at beta = 0, per sample
    if np.mean(slope) >= -1e-12 * np.mean(np.abs(slope)):
        raise PerfectSeparationError(NO_INFORMATION)


NO_INFORMATION = ("logits, y: on this validation set the logits carry no information about the "
                  "labels (or point the wrong way): the NLL decreases all the way to T = inf, so "
                  "there is no minimiser at a positive temperature. Check that logits and labels "
                  "belong together and use more validation data")


def require_classes(present: np.ndarray, fit_intercept: bool) -> None:
    """Raise when some class has no target mass and an (unpenalised) intercept would diverge."""
    if fit_intercept and not np.all(present):
        raise PerfectSeparationError(one_class_message(np.asarray(present, dtype=float)))


def require_mle(xt: FloatArray, targets: FloatArray, w: FloatArray | None, state,
                h_min: float | None = None) -> None:
    """Raise :class:`PerfectSeparationError` if the (unpenalised) fit has no finite minimiser.

    ``targets``: (n,) logistic targets, or (K, n) softmax target rows;
    ``state``: where Newton stopped (theta, gradient, Hessian); ``h_min`` as left
    by the logistic pass. First the certificate; only if it fails, the exact LP.
    Then warn if the design is rank deficient.
    """
    xmax = max(float(np.max(xt)), -float(np.min(xt)))
    if targets.ndim == 1:
        rows = binary_rows
    else:
        h_min = softmax_h_min(xt, state.theta, targets, w)
        rows = softmax_rows
    if not certified(h_min, state.grad, state.hess, _slack(xt.shape[1], state.grad.size, xmax)):
        found, complete = separating_direction(*rows(xt, targets, w))
        if found:
            raise PerfectSeparationError(separation_message(complete))
    check_rank(xt, w, state.hess)


def batch_separated(x: FloatArray, t: FloatArray, coef: FloatArray, grad: FloatArray,
                    hess: FloatArray, fit_intercept: bool, l2: float) -> np.ndarray:
    """Which replications of a batch of logistic fits have no finite estimate (bool (R,))."""
    n_rep, n, d = x.shape
    bad = np.zeros(n_rep, dtype=bool)
    if fit_intercept:                                 # one class: all targets 1, or all 0
        bad = (t.min(axis=1) == 1) | (t.max(axis=1) == 0)
    if l2 > 0:
        return bad
    z = np.einsum("rnd,rd->rn", x, coef[:, -d:])
    if fit_intercept:
        z += coef[:, :1]
    soft = (t > 0) & (t < 1)
    # sigma(z) sigma(-z) falls with |z|: its minimum over labelled samples is at their largest |z|
    np.abs(z, out=z)
    top = z.max(axis=1) if not soft.any() else np.where(soft, -np.inf, z).max(axis=1)
    with np.errstate(over="ignore", invalid="ignore"):           # no labelled sample: top = -inf
        e = np.exp(-top)
        h = np.where(np.isfinite(top), e / (1.0 + e) ** 2 / n, np.inf)
    xmax = max(x.max(), -x.min(), 1.0 if fit_intercept else 0.0)   # one bound for all
    slack = _slack(n, coef.shape[1], 1.0) * xmax
    doubt = ~bad & ~certified(h, grad, hess, slack)
    for r in np.flatnonzero(doubt):
        xt = np.vstack([np.ones((1, n)), x[r].T]) if fit_intercept else np.ascontiguousarray(x[r].T)
        bad[r] = separating_direction(*binary_rows(xt, t[r], None))[0]
    return bad


def warn_separated(rows: np.ndarray, n_rep: int) -> None:
    """Warn that replications ``rows`` of a batch of fits have no finite estimate."""
    shown = rows[:10].tolist()
    more = f" and {rows.size - 10} more" if rows.size > 10 else ""
    warnings.warn(f"X, y: {rows.size} of {n_rep} replications ({shown}{more}) are separated or "
                  f"contain one class only: no finite maximum-likelihood estimate exists, so their "
                  f"coef and loss are NaN (result.separated marks them). To fit them anyway, "
                  f"{WHAT_TO_DO}", PerfectSeparationWarning, stacklevel=3)
