"""Fitting speed of softprob against scikit-learn, and the log loss each reaches.

    .venv/bin/python benchmarks/bench_fit.py                 # N = 1e4, 1e5, 1e6; d = 2, 3, 10
    .venv/bin/python benchmarks/bench_fit.py --sizes 1e4 1e5 --rounds 5   # quicker

For each problem (softprob.data: two Gaussian classes with equal covariances
for the logistic fit, three with a shared covariance for the softmax fit)
and each (N, d) it times ``softprob.fit.fit_logistic`` / ``fit_softmax`` and
scikit-learn's unpenalised ``LogisticRegression(C=np.inf)`` with the lbfgs
and newton-cholesky solvers, interleaved, and prints the ratio of median
wall times (> 1: softprob is faster) and the relative difference of the
achieved mean log loss, (L_sklearn - L_softprob) / L_softprob.

scikit-learn's tolerance: its default (1e-4) can stop short of the
optimum, so for each problem the loosest tolerance of 1e-4, 1e-6, 1e-8,
1e-10 whose log loss is within 1e-9 (relative) of softprob's is used (a
calibration fit, not timed). softprob runs with its defaults (gradient
max-norm < 1e-10). Each fit includes its own input validation.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
from _common import interleaved, load, machine_header, median_ms, print_table
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from softprob.data import GaussianBinary, GaussianClasses
from softprob.fit import fit_logistic, fit_softmax
from softprob.losses import binary_cross_entropy, categorical_cross_entropy

SK_TOLS = (1e-4, 1e-6, 1e-8, 1e-10)
LOSS_RTOL = 1e-9


def problem(model: str, d: int):
    """The benchmark problem of dimension d (fixed means: the same problem on every run)."""
    means = np.random.default_rng(100 + d).normal(size=(3, d)) * 0.7
    if model == "logistic":
        return GaussianBinary(mean_a=means[0], mean_b=means[1], prior_a=0.35)
    return GaussianClasses(means=means, covs=np.eye(d), priors=[0.2, 0.3, 0.5])


def mean_loss(model: str, y: np.ndarray, logits: np.ndarray) -> float:
    if model == "logistic":
        return float(binary_cross_entropy(y, logits))
    return float(categorical_cross_entropy(y, logits))


def sk_fit(solver: str, tol: float, X: np.ndarray, y: np.ndarray) -> LogisticRegression:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return LogisticRegression(C=np.inf, solver=solver, tol=tol, max_iter=10_000).fit(X, y)


def calibrate(model: str, solver: str, X, y, target: float) -> tuple[float, float]:
    """Loosest scikit-learn tol whose loss is within LOSS_RTOL of ``target``; its rel. diff."""
    for tol in SK_TOLS:
        scores = sk_fit(solver, tol, X, y).decision_function(X)
        diff = (mean_loss(model, y, scores) - target) / target
        if abs(diff) <= LOSS_RTOL:
            break
    return tol, diff


def run(model: str, n: int, d: int, rounds: int) -> list[str]:
    X, y = problem(model, d).sample(n, np.random.default_rng(n + d))
    ours = (lambda: fit_logistic(X, y)) if model == "logistic" else (lambda: fit_softmax(X, y, 3))
    res = ours()
    target = mean_loss(model, y, res.logits(X))
    tols = {s: calibrate(model, s, X, y, target) for s in ("lbfgs", "newton-cholesky")}
    fns = {"softprob": ours}
    for solver, (tol, _) in tols.items():
        fns[solver] = lambda solver=solver, tol=tol: sk_fit(solver, tol, X, y)
    t = interleaved(fns, rounds)
    ms = {k: median_ms(v) for k, v in t.items()}
    lb, nc = ms["lbfgs"] / ms["softprob"], ms["newton-cholesky"] / ms["softprob"]
    flag = ""
    if model == "logistic" and n >= 10**6 and d <= 3:
        same = max(abs(v[1]) for v in tols.values()) <= LOSS_RTOL
        flag = "met" if lb >= 3 and nc >= 2 and same else "MISSED"
    return [f"{n:.0e}", str(d), f"{ms['softprob']:.1f}", str(res.n_iter),
            f"{ms['lbfgs']:.1f}", f"{tols['lbfgs'][0]:.0e}", f"{lb:.1f}x",
            f"{tols['lbfgs'][1]:+.1e}",
            f"{ms['newton-cholesky']:.1f}", f"{tols['newton-cholesky'][0]:.0e}", f"{nc:.1f}x",
            f"{tols['newton-cholesky'][1]:+.1e}", flag]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[1e4, 1e5, 1e6])
    parser.add_argument("--dims", type=int, nargs="+", default=[2, 3, 10])
    parser.add_argument("--models", nargs="+", default=["logistic", "softmax"],
                        choices=["logistic", "softmax"])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved timing rounds (median)")
    parser.add_argument("--threads", type=int, default=None,
                        help="limit BLAS/OpenMP threads of both libraries (threadpoolctl)")
    args = parser.parse_args()
    if args.threads:
        from threadpoolctl import threadpool_limits
        threadpool_limits(args.threads)
    machine_header("softprob vs scikit-learn: wall-time ratios (median of "
                   f"{args.rounds} interleaved runs; > 1 means softprob is faster)")
    header = ["N", "d", "softprob ms", "iters", "lbfgs ms", "tol", "lbfgs/sp", "dL lbfgs",
              "newton-chol ms", "tol", "n-c/sp", "dL n-c", "target"]
    for model in args.models:
        print(f"\n## {model} ({'fit_logistic' if model == 'logistic' else 'fit_softmax, K = 3'})"
              " -- dL = (L_sklearn - L_softprob) / L_softprob")
        rows = [run(model, int(n), d, args.rounds) for n in args.sizes for d in args.dims]
        print_table(header, rows)
    print(f"\nload average at end: {load()}")


if __name__ == "__main__":
    main()
