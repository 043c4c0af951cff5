"""Estimation at the statistical floor: excess conditional KL of the MLE, divided by k/(2N).

    .venv/bin/python benchmarks/statistical_floor.py            # R = 2000 replications
    .venv/bin/python benchmarks/statistical_floor.py --reps 200 --sizes 1000

For a well-specified problem (softprob.data.GaussianBinary with equal class
covariances, so the true logit is linear in x and the logistic model with k
coefficients contains it) the maximum-likelihood fit on N joint samples has
excess conditional KL

    E_p(x) KL( P(.|x) || f(.|x) ) - 0  ~  chi^2_k / (2N)   (asymptotically),

so its mean over replications, divided by k/(2N), should be 1: no
estimator does better asymptotically for a well-specified model. R seeded
replications are fitted at once with softprob.fit.fit_logistic_batch.

The population expectation over p(x) is computed by quadrature, not by
Monte Carlo: GaussianClasses.quadrature (a uniform grid over every class mean
+- 12 sd, weights p(x) / sum p(x): the trapezoid rule, exponentially accurate
for this smooth, Gaussian-decaying integrand). The script prints the change
when the number of nodes per dimension is doubled, to show that the rule has
converged. The KL itself is softprob.information.conditional_kl_from_logits
with the quadrature weights.
"""

from __future__ import annotations

import argparse

import numpy as np
from _common import load, machine_header, print_table

from softprob.data import GaussianBinary
from softprob.fit import fit_logistic_batch
from softprob.information import conditional_kl_from_logits

PROBLEMS = {  # the book's well-specified binary problems (chapters 1-2 and 5)
    "ch1/ch2: d=1": GaussianBinary(mean_a=1.0, mean_b=-1.0, cov_a=1.2**2, cov_b=1.2**2,
                                   prior_a=0.3),
    "ch5: d=2": GaussianBinary(mean_a=[1.0, 0.5], mean_b=[-0.5, -0.5], prior_a=0.4),
}


def excess_kl(prob: GaussianBinary, coef: np.ndarray, m: int | None) -> np.ndarray:
    """Population conditional KL of each fitted logit (rows of coef) from the true posterior."""
    x, w = prob.quadrature(m)
    x = x.reshape(len(w), -1)
    keep = w > 0                                      # drop nodes whose weight underflows
    x, w = x[keep], w[keep]
    eta = prob.posterior_a(x)
    z = coef[:, 1:] @ x.T + coef[:, :1]
    floor = conditional_kl_from_logits(eta, prob.log_odds(x), sample_weight=w)
    kl = [conditional_kl_from_logits(eta, zr, sample_weight=w) for zr in z]
    return np.array(kl) - floor


def run(name: str, prob: GaussianBinary, n: int, reps: int, m: int) -> list[str]:
    rng = np.random.default_rng(20_000 + n)
    data = [prob.sample(n, rng) for _ in range(reps)]
    X = np.stack([x for x, _ in data])
    y = np.stack([c for _, c in data])
    fit = fit_logistic_batch(X, y)
    assert fit.converged.all(), "some replication has no MLE (separable sample)"
    k = prob.dim + 1
    kl = excess_kl(prob, fit.coef, m)
    m = m or (2001 if prob.dim == 1 else 201)
    quad_change = np.max(np.abs(excess_kl(prob, fit.coef[:20], 2 * m - 1) - kl[:20]))
    unit = k / (2 * n)
    ratio, se = kl.mean() / unit, kl.std(ddof=1) / np.sqrt(reps) / unit
    inside = "met" if 0.9 <= ratio <= 1.1 else "MISSED"
    return [name, str(k), str(n), str(reps), f"{kl.mean():.3e}", f"{unit:.3e}", f"{ratio:.3f}",
            f"{se:.3f}", f"{quad_change / unit:.0e}", inside]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--reps", type=int, default=2000)
    parser.add_argument("--nodes", type=int, default=None,
                        help="quadrature nodes per dimension (default: the package's)")
    args = parser.parse_args()
    machine_header("excess conditional KL of the logistic MLE / (k / 2N), well-specified problems")
    rows = [run(name, prob, n, args.reps, args.nodes) for name, prob in PROBLEMS.items()
            for n in args.sizes]
    print_table(["problem", "k", "N", "R", "mean excess KL", "k/(2N)", "ratio", "s.e.",
                 "quadrature nodes x2 (in k/2N)", "target [0.9, 1.1]"], rows)
    print(f"\nload average at end: {load()}")


if __name__ == "__main__":
    main()
