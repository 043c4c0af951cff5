"""Many fits at once: softprob.fit.fit_logistic_batch against loops of single fits.

    .venv/bin/python benchmarks/bench_batch.py
    .venv/bin/python benchmarks/bench_batch.py --configs 200x1000x2 50x100000x1

For R replications of N samples from a d-dimensional two-Gaussian problem
(softprob.data.GaussianBinary, equal covariances) it times, interleaved:
``fit_logistic_batch`` on the stacked (R, N, d) array; a Python loop of
``fit_logistic``; and a loop of scikit-learn ``LogisticRegression(C=np.inf,
solver="lbfgs")`` at its default tol (1e-4) and at tol=1e-8. Ratios are
loop time / batch time (> 1: the batch is faster). "max |dcoef|" is the
largest coefficient difference from a tightly converged scikit-learn fit
(newton-cholesky, tol=1e-12) over all replications; the target is the same
solution to 1e-6.
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


def sk_coefs(X: np.ndarray, y: np.ndarray, solver: str, tol: float) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fits = [LogisticRegression(C=np.inf, solver=solver, tol=tol, max_iter=10_000).fit(X[r], y[r])
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
    fns = {"batch": lambda: fit_logistic_batch(X, y),
           "loop": lambda: [fit_logistic(X[r], y[r]) for r in range(n_rep)],
           "sk4": lambda: sk_coefs(X, y, "lbfgs", 1e-4),
           "sk8": lambda: sk_coefs(X, y, "lbfgs", 1e-8)}
    t = interleaved(fns, rounds)
    ms = {k: median_ms(v) for k, v in t.items()}
    dev = {k: np.max(np.abs(c - exact)) for k, c in
           (("batch", batch.coef), ("sk4", sk_coefs(X, y, "lbfgs", 1e-4)),
            ("sk8", sk_coefs(X, y, "lbfgs", 1e-8)))}
    target = ""
    if (n_rep, n) == (200, 1000):
        target = "met" if ms["sk4"] / ms["batch"] >= 10 and dev["batch"] <= 1e-6 else "MISSED"
    return [str(n_rep), str(n), str(d), f"{ms['batch']:.1f}", f"{ms['batch'] / n_rep:.3f}",
            f"{ms['loop'] / ms['batch']:.1f}x", f"{ms['sk4'] / ms['batch']:.1f}x",
            f"{ms['sk8'] / ms['batch']:.1f}x", f"{dev['batch']:.1e}", f"{dev['sk4']:.1e}",
            f"{dev['sk8']:.1e}", f"{int(batch.n_iter.max())}", target]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="+", default=["200x1000x2", "200x1000x3", "200x1000x10",
                                                          "200x10000x2", "20x100000x2"],
                        help="R x N x d")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    machine_header(f"fit_logistic_batch vs loops of single fits (median of {args.rounds} "
                   "interleaved runs; ratio = loop time / batch time)")
    header = ["R", "N", "d", "batch ms", "ms/fit", "vs loop fit_logistic", "vs sklearn lbfgs tol 1e-4",
              "vs lbfgs tol 1e-8", "max |dcoef| batch", "lbfgs 1e-4", "lbfgs 1e-8", "iters",
              "target"]
    rows = [run(*(int(v) for v in c.split("x")), args.rounds) for c in args.configs]
    print_table(header, rows)
    print(f"\nload average at end: {load()}")


if __name__ == "__main__":
    main()
