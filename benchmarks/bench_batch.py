"""Many fits at once: softprob.fit.fit_logistic_batch against loops of single fits.

    .venv/bin/python benchmarks/bench_batch.py
    .venv/bin/python benchmarks/bench_batch.py --configs 200x1000x2 50x100000x1

For R replications of N samples from a d-dimensional two-Gaussian problem
(softprob.data.GaussianBinary, equal covariances) it times, interleaved:
``fit_logistic_batch`` on the stacked (R, N, d) array; a Python loop of
``fit_logistic``; and a loop of scikit-learn ``LogisticRegression(C=np.inf,
solver="lbfgs")`` at its default tol (1e-4), which stops short of the
optimum, and at the loosest tol of 1e-4 ... 1e-8 that reaches the same
solution (what the target is measured against). Ratios are loop time /
batch time (> 1: the batch is faster). "dcoef" is the largest coefficient
difference from a tightly converged scikit-learn fit (newton-cholesky,
tol=1e-12) over all replications; "same solution" means dcoef <= 1e-6.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
from _common import interleaved, load, machine_header, median_ms, print_table
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from softprob.data import GaussianBinary
from softprob.fit import fit_logistic, fit_logistic_batch

SK_TOLS = (1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-10)
SAME = 1e-6                      # "same solution": max coefficient difference


def sk_coefs(X: np.ndarray, y: np.ndarray, solver: str, tol: float) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fits = [LogisticRegression(C=np.inf, solver=solver, tol=tol, max_iter=10_000).fit(X[r],
                                                                                          y[r])
                for r in range(X.shape[0])]
    return np.array([np.r_[m.intercept_, m.coef_.ravel()] for m in fits])


def run(n_rep: int, n: int, d: int, rounds: int) -> list[str]:
    means = np.random.default_rng(100 + d).normal(size=(2, d)) * 0.7
    prob = GaussianBinary(mean_a=means[0], mean_b=means[1], prior_a=0.35)
    rng = np.random.default_rng(7)
    data = [prob.sample(n, rng) for _ in range(n_rep)]
    X = np.stack([x for x, _ in data])
    y = np.stack([c for _, c in data])
    batch = fit_logistic_batch(X, y)
    exact = sk_coefs(X, y, "newton-cholesky", 1e-12)
    dev = {"batch": np.max(np.abs(batch.coef - exact))}
    for tol in SK_TOLS:                  # loosest lbfgs tolerance that gives the same solution
        dev[tol] = np.max(np.abs(sk_coefs(X, y, "lbfgs", tol) - exact))
        if dev[tol] <= SAME:
            break
    fns = {"batch": lambda: fit_logistic_batch(X, y),
           "loop": lambda: [fit_logistic(X[r], y[r]) for r in range(n_rep)],
           "sk default": lambda: sk_coefs(X, y, "lbfgs", 1e-4),
           "sk same": lambda: sk_coefs(X, y, "lbfgs", tol)}
    ms = {k: median_ms(v) for k, v in interleaved(fns, rounds).items()}
    ratio = {k: ms[k] / ms["batch"] for k in ms}
    target = ""
    if (n_rep, n) == (200, 1000):
        met = ratio["sk same"] >= 10 and dev["batch"] <= SAME and dev[tol] <= SAME
        target = "met" if met else "MISSED"
    return [str(n_rep), str(n), str(d), f"{ms['batch']:.1f}", f"{ms['batch'] / n_rep:.3f}",
            str(int(batch.n_iter.max())), f"{dev['batch']:.0e}", f"{ratio['loop']:.1f}x",
            f"{ratio['sk default']:.1f}x", f"{dev[1e-4]:.0e}", f"{tol:.0e}",
            f"{ratio['sk same']:.1f}x", f"{dev[tol]:.0e}", target]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="+", default=["200x1000x2", "200x1000x3", "200x1000x10",
                                                          "200x10000x2", "20x100000x2"],
                        help="R x N x d")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    machine_header(f"fit_logistic_batch vs loops of single fits (median of {args.rounds} "
                   "interleaved runs; ratio = loop time / batch time)")
    header = ["R", "N", "d", "batch ms", "ms/fit", "iters", "dcoef", "loop fit_logistic / batch",
              "lbfgs tol 1e-4 / batch", "dcoef", "lbfgs tol", "lbfgs / batch", "dcoef", "target"]
    rows = [run(*(int(v) for v in c.split("x")), args.rounds) for c in args.configs]
    print_table(header, rows)
    print(f"\nload average at end: {load()}")


if __name__ == "__main__":
    main()
