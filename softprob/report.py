r"""Check a classifier's saved logits: the calibration report of chapter 11.

``python -m softprob.report LOGITS LABELS [--plot reliability.png]`` reads held-out logits
((n,) binary logits of class A, or (n, K)) and labels ((n,) integers; binary 1 = A, 0 = B) from
``.npy``, ``.npz`` (the array ``logits``/``labels``, or the only one) or ``.csv`` files. It
prints the top-label and class-wise ECE next to their noise floors, NLL, Brier score and
accuracy, before and after a fitted temperature, and the worst-calibrated classes, and writes a
top-label reliability diagram. A bad file gives a one-line error and exit status 1.
:func:`report` and :func:`calibration_summary` are the same checks on arrays.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from softprob import _checks as chk
from softprob import _kernels as kern
from softprob._checks import FloatArray, IntArray
from softprob._existence import PerfectSeparationError
from softprob.calibration import reliability_curve
from softprob.recalibration import fit_temperature

_LEVEL = 0.995                 # noise floor: this quantile of a calibrated model's ECE


@dataclass(frozen=True)
class ClassCheck:
    r"""One class's score :math:`p_k` against the indicator :math:`y = k`.

    Attributes
    ----------
    label : int
        The class k.
    mean_score : float
        The mean of :math:`p_k`.
    frequency : float
        The share of labels equal to k.
    bias_z : float
        (mean score - frequency) over its standard error under calibration,
        :math:`\sqrt{\sum_i p_{ik}(1 - p_{ik})}/n` (beyond +-4: not noise).
    ece : float
        The class's ECE.
    floor : float
        Its noise floor.
    """

    label: int
    mean_score: float
    frequency: float
    bias_z: float
    ece: float
    floor: float


@dataclass(frozen=True)
class CalibrationSummary:
    r"""Outcome of :func:`calibration_summary` (ECEs in probability units, NLL in nats).

    Attributes
    ----------
    n_samples : int
        n.
    n_classes : int
        K (2 for binary scores).
    top_label_ece : float
        ECE of the confidence :math:`\max_k p_k` against "the arg-max was right".
    top_label_floor : float
        Its noise floor.
    class_wise_ece : float
        The mean over the classes of each class's ECE.
    class_wise_floor : float
        Its noise floor.
    nll : float
        Mean log loss.
    brier : float
        Brier score (binary: of P(A)).
    accuracy : float
        The arg-max's accuracy.
    classes : tuple of ClassCheck
        One per class, in label order.
    """

    n_samples: int
    n_classes: int
    top_label_ece: float
    top_label_floor: float
    class_wise_ece: float
    class_wise_floor: float
    nll: float
    brier: float
    accuracy: float
    classes: tuple[ClassCheck, ...]

    def worst(self, n: int = 3) -> tuple[ClassCheck, ...]:
        """The ``n`` classes whose ECE exceeds its noise floor most."""
        return tuple(sorted(self.classes, key=lambda c: c.floor - c.ece)[:n])


_ROWS = [("top-label ECE", "top_label_ece"), ("  noise floor (99.5%)", "top_label_floor"),
         ("class-wise ECE", "class_wise_ece"), ("  noise floor (99.5%)", "class_wise_floor"),
         ("NLL (nats)", "nll"), ("Brier score", "brier"), ("accuracy", "accuracy")]


@dataclass(frozen=True)
class ReportResult:
    """Outcome of :func:`report`: the checks before and after temperature scaling.

    Attributes
    ----------
    before : CalibrationSummary
        The logits as given.
    after : CalibrationSummary or None
        The logits divided by ``temperature``.
    temperature : float or None
        The fitted T; None when no temperature minimises the NLL (``note`` says why).
    note : str
        Why there is no temperature, else empty.
    """

    before: CalibrationSummary
    temperature: float | None
    after: CalibrationSummary | None
    note: str = ""

    def text(self, n_worst: int = 3) -> str:
        """The report as ``python -m softprob.report`` prints it."""
        b, a = self.before, self.after
        last = a or b
        kind = " (binary: logits of class A = label 1)" if b.n_classes == 2 else ""
        out = [f"softprob.report: {b.n_samples:,} samples, {b.n_classes} classes{kind}; the "
               "checks of chapter 11, 'Check your own classifier'", "",
               f"{'':24}{'as given':>10}" + (f"{f'T = {self.temperature:.3f}':>12}" if a else "")]
        out += [f"{name:<24}{getattr(b, f):>10.4f}" + (f"{getattr(a, f):>12.4f}" if a else "")
                for name, f in _ROWS]
        out += ["", f"temperature: none ({self.note})"] if a is None else []
        out += ["", f"worst-calibrated classes ({'after T' if a else 'as given'}):",
                f"{'class':>7}{'mean score':>12}{'frequency':>11}{'ratio':>8}{'bias z':>9}"
                f"{'ECE':>8}{'floor':>8}"]
        for c in last.worst(n_worst):
            ratio = f"{c.mean_score / c.frequency:8.2f}" if c.frequency > 0 else f"{'-':>8}"
            out.append(f"{c.label:>7}{c.mean_score:>12.4f}{c.frequency:>11.4f}{ratio}"
                       f"{c.bias_z:>+9.1f}{c.ece:>8.4f}{c.floor:>8.4f}")
        for name, ece, floor in (("top-label", last.top_label_ece, last.top_label_floor),
                                 ("class-wise", last.class_wise_ece, last.class_wise_floor)):
            out.append(f"{name} ECE " + ("above its noise floor: miscalibrated" if ece > floor
                                         else "within its noise floor"))
        return "\n".join(out)

    __str__ = text


def _summary(labels: IntArray, p: FloatArray, nll: float, brier: float,
             rng: np.random.Generator, n_bins: int, n_rep: int) -> CalibrationSummary:
    """Every check on validated rows p (n, K); the bins and label draws of softprob.calibration."""
    n, k = p.shape
    edges = np.linspace(0.0, 1.0, n_bins + 1)[1:-1]
    ids = np.searchsorted(edges, p) + n_bins * np.arange(k)     # (class, bin) as one index
    conf, top = p.max(axis=1), p.argmax(axis=1)
    top_ids, rows = np.searchsorted(edges, conf), np.arange(n)
    score_sums = np.bincount(ids.ravel(), weights=p.ravel(), minlength=k * n_bins)
    conf_sums = np.bincount(top_ids, weights=conf, minlength=n_bins)

    def eces(y: IntArray) -> tuple[FloatArray, float]:          # per class, and top-label
        d = score_sums - np.bincount(ids[rows, y], minlength=k * n_bins)
        d_top = conf_sums - np.bincount(top_ids, weights=(top == y), minlength=n_bins)
        return np.abs(d.reshape(k, n_bins)).sum(axis=1) / n, float(np.abs(d_top).sum() / n)

    per_class, top_ece = eces(labels)
    cum = np.cumsum(p, axis=1)                 # labels drawn from the scores themselves
    sims = [eces((rng.uniform(size=(n, 1)) > cum).sum(axis=1).clip(max=k - 1))
            for _ in range(n_rep)]
    sim_cls = np.array([s[0] for s in sims])
    floors = np.quantile(sim_cls, _LEVEL, axis=0)
    mean_p, freq = p.mean(axis=0), np.bincount(labels, minlength=k) / n
    se = np.sqrt(np.sum(p * (1.0 - p), axis=0)) / n
    classes = []
    for c in range(k):
        diff = float(mean_p[c] - freq[c])
        z = diff / se[c] if se[c] > 0 else (0.0 if diff == 0 else float(np.sign(diff) * np.inf))
        classes.append(ClassCheck(c, float(mean_p[c]), float(freq[c]), float(z),
                                  float(per_class[c]), float(floors[c])))
    return CalibrationSummary(
        n, k, top_ece, float(np.quantile([s[1] for s in sims], _LEVEL)),
        float(per_class.mean()), float(np.quantile(sim_cls.mean(axis=1), _LEVEL)),
        nll, brier, float(np.mean(top == labels)), tuple(classes))


def _validated(scores: ArrayLike, y_true: ArrayLike, name: str) -> tuple[FloatArray, IntArray]:
    """Logits or probabilities ((n,) binary, or (n, K >= 2)) and labels to match."""
    arr = (chk.as_float_array(name, scores, ndim=(1, 2)) if name == "logits" else
           chk.as_probabilities(name, scores, ndim=(1, 2), rows_sum_to_one="2d"))
    k = 2 if arr.ndim == 1 else arr.shape[1]
    if k < 2:
        raise ValueError(f"{name}: need at least 2 classes (columns), got {k}")
    hint = f"; {name} is 1-D (binary): for K classes pass (n, K)" if arr.ndim == 1 else ""
    labels = chk.as_labels("y_true", y_true, k, hint)
    chk.same_length(("y_true", name), labels, arr)
    return arr, labels


def calibration_summary(y_true: ArrayLike, y_prob: ArrayLike | None = None, *,
                        logits: ArrayLike | None = None, rng: np.random.Generator,
                        n_bins: int = 15, n_rep: int = 200) -> CalibrationSummary:
    r"""Top-label and class-wise ECE with noise floors, NLL, Brier score, per-class checks.

    A noise floor is the 99.5% quantile of the ECE of a *calibrated* model with the same
    scores: labels are drawn from the scores ``n_rep`` times, exactly as
    :func:`softprob.calibration.calibrated_ece_samples` draws them from the same generator.
    An ECE above its floor is miscalibration at the 0.5% level, not binning noise.

    Parameters
    ----------
    y_true : array_like, shape (n,)
        Labels (binary 1 = A, 0 = B; else 0..K-1).
    y_prob, logits : array_like, shape (n,) or (n, K)
        P(A | x) values or probability rows, or (binary or K-class) logits: exactly one.
    rng : numpy.random.Generator
        Source of the simulated labels.
    n_bins, n_rep : int, default 15 and 200
        Equal-width bins on [0, 1]; simulated label sets per floor.

    Returns
    -------
    CalibrationSummary

    Examples
    --------
    >>> import numpy as np
    >>> from softprob.report import calibration_summary
    >>> rng = np.random.default_rng(0)
    >>> p = rng.dirichlet(np.ones(3), size=2000)            # any probability rows, and
    >>> y = (rng.uniform(size=(2000, 1)) > p.cumsum(axis=1)).sum(axis=1)  # labels drawn
    >>> s = calibration_summary(y, p, rng=rng)              # from them: calibrated
    >>> bool(s.top_label_ece < s.top_label_floor), bool(s.class_wise_ece < s.class_wise_floor)
    (True, True)
    """
    if (y_prob is None) == (logits is None):
        raise ValueError("y_prob: give exactly one of y_prob and logits")
    rng = chk.as_generator(rng)
    n_bins, n_rep = chk.positive_int("n_bins", n_bins), chk.positive_int("n_rep", n_rep)
    arr, labels = _validated(logits if y_prob is None else y_prob, y_true,
                             "logits" if y_prob is None else "y_prob")
    onehot = kern.one_hot(labels, 2 if arr.ndim == 1 else arr.shape[1])
    if y_prob is None:
        log_p = kern.class_log_probs(arr)
        p = np.exp(log_p)
    else:
        p = kern.binary_rows(arr) if arr.ndim == 1 else arr
        with np.errstate(divide="ignore"):
            log_p = np.log(p)
    nll = float(np.mean(kern.cross_entropy(onehot, log_p)))
    brier = float(np.mean((p[:, 1] - labels) ** 2) if arr.ndim == 1 else
                  np.mean(np.sum((p - onehot) ** 2, axis=1)))
    return _summary(labels, p, nll, brier, rng, n_bins, n_rep)


def report(logits: ArrayLike, y_true: ArrayLike, rng: np.random.Generator, *,
           n_bins: int = 15, n_rep: int = 200) -> ReportResult:
    r"""The checks of :func:`calibration_summary` before and after temperature scaling.

    The temperature (:func:`softprob.recalibration.fit_temperature`) is fitted on the data it
    is judged on, so the "after" column says what one temperature can repair, optimistically;
    fit it on a separate split before deploying it. Per-class biases that survive it need
    another repair (chapter 11).

    Parameters
    ----------
    logits, y_true : array_like, shapes (n,) or (n, K), and (n,)
        Held-out logits (binary: the logit of A) and their labels.
    rng, n_bins, n_rep
        As in :func:`calibration_summary`.

    Returns
    -------
    ReportResult
        ``str(result)`` is the printed report.

    Examples
    --------
    >>> import numpy as np
    >>> from softprob.activations import softmax
    >>> from softprob.report import report
    >>> rng = np.random.default_rng(1)
    >>> z = rng.normal(scale=2.0, size=(3000, 4))
    >>> y = (rng.uniform(size=(3000, 1)) > softmax(z).cumsum(axis=1)).sum(axis=1)
    >>> res = report(3.0 * z, y, rng)                 # logits 3 times too large
    >>> bool(2.7 < res.temperature < 3.3), res.after.top_label_ece < res.before.top_label_ece
    (True, True)
    """
    z, y = _validated(logits, y_true, "logits")
    before = calibration_summary(y, logits=z, rng=rng, n_bins=n_bins, n_rep=n_rep)
    try:
        fit = fit_temperature(z, y)
    except PerfectSeparationError as exc:
        return ReportResult(before, None, None, " ".join(str(exc).split()))
    after = calibration_summary(y, logits=_scaled(z, fit.temperature), rng=rng, n_bins=n_bins,
                                n_rep=n_rep)
    return ReportResult(before, fit.temperature, after)


def _scaled(z: FloatArray, temperature: float) -> FloatArray:
    """z / T, row maxima subtracted first; finite where the division would overflow."""
    if z.ndim == 2:
        z = z - z.max(axis=1, keepdims=True)
    with np.errstate(over="ignore"):
        return np.clip(z / temperature, -1e300, 1e300)


def _load(path: str, name: str) -> np.ndarray:
    """One array from a .npy, .npz (key ``name``, or the only array) or .csv file."""
    suffix = Path(path).suffix.lower()
    if suffix == ".npy":
        return np.load(path, allow_pickle=False)
    if suffix == ".npz":
        with np.load(path, allow_pickle=False) as f:
            if name in f.files or len(f.files) == 1:
                return f[name if name in f.files else f.files[0]]
            raise ValueError(f"it holds the arrays {f.files}; name one '{name}'")
    if suffix not in (".csv", ".txt"):
        raise ValueError(f"unknown file type '{suffix}' (use .npy, .npz or .csv)")
    lines = [ln for ln in Path(path).read_text(encoding="utf-8").splitlines() if ln.strip()]
    sep = "," if lines and "," in lines[0] else None
    try:
        np.array(lines[:1][0].split(sep), dtype=float)
    except ValueError:
        lines = lines[1:]                                   # a header line
    except IndexError:
        pass
    if not lines:
        raise ValueError("no rows of numbers")
    arr = np.loadtxt(io.StringIO("\n".join(lines)), delimiter=sep, ndmin=2)
    return arr[:, 0] if arr.shape[1] == 1 else arr


_EPILOG = """\
what the numbers mean (chapter 11 of the softprob book, 'Check your own classifier'):
  top-label ECE     mean |confidence - accuracy| over equal-width bins of the largest score
  class-wise ECE    the same for each class's score against 'the label is this class',
                    averaged over the classes: it sees the per-class biases top-label hides
  noise floor       the 99.5% quantile of that ECE for a perfectly calibrated model with
                    these scores (labels simulated from them): above it, miscalibrated
  NLL, Brier score  mean log loss (nats) and squared error of the probabilities
  accuracy          share of samples whose largest score is at their label
  T                 the temperature minimising the NLL of logits / T on these data (fit it
                    on a separate split before using it)
  worst classes     mean score vs frequency (their ratio, and bias z: the difference over
                    its standard error, beyond +-4 not noise), the class's ECE and floor
exit status: 0 on success, 1 for a bad file, 2 for bad options"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:                  # one line, not usage + message
        self.exit(2, f"softprob.report: error: {message}\n")


def main(argv: list[str] | None = None) -> int:
    """The command line (``python -m softprob.report --help``); returns the exit status."""
    parser = _Parser(prog="python -m softprob.report", epilog=_EPILOG,
                     formatter_class=argparse.RawDescriptionHelpFormatter,
                     description="Calibration report on a classifier's saved logits and labels.")
    parser.add_argument("logits", help="(n,) binary logits of A or (n, K) logits: .npy/.npz/.csv")
    parser.add_argument("labels", help="(n,) labels 0..K-1 (binary: 1 = A): .npy/.npz/.csv")
    parser.add_argument("--plot", default="reliability.png",
                        help="where to write the reliability diagram (default: %(default)s)")
    parser.add_argument("--bins", type=int, default=15, help="ECE bins (default: 15)")
    parser.add_argument("--reps", type=int, default=200, help="simulations per floor (200)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the simulations (0)")
    args = parser.parse_args(argv)
    try:
        arrays = []
        for name, path in (("logits", args.logits), ("labels", args.labels)):
            try:
                arrays.append(_load(path, name))
            except Exception as exc:                         # unreadable, corrupt, ragged
                raise ValueError(f"cannot read the {name} file {path}: {exc}") from None
        result = report(*arrays, np.random.default_rng(args.seed), n_bins=args.bins,
                        n_rep=args.reps)
        _plot(*arrays, result, args.plot, args.bins)
    except Exception as exc:                                 # one line, never a traceback
        print(f"softprob.report: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 1
    try:
        print(f"{result.text()}\nreliability diagram written to {args.plot}", flush=True)
    except BrokenPipeError:                                  # e.g. piped into head
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def _plot(logits: ArrayLike, labels: ArrayLike, result: ReportResult, path: str,
          n_bins: int) -> None:
    """Top-label reliability diagram, as given and after T, saved to ``path`` (no pyplot)."""
    from matplotlib.figure import Figure
    z = np.asarray(logits, dtype=float)
    fig = Figure(figsize=(5.0, 4.0), dpi=100)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], color="grey", lw=1, label="calibrated")
    for label, t in [("as given", 1.0)] + ([(f"T = {result.temperature:.2f}",
                                              result.temperature)] if result.after else []):
        p = np.exp(kern.class_log_probs(_scaled(z, t)))
        mean_p, freq, _ = reliability_curve(labels, p, n_bins, multiclass="top-label")
        ax.plot(mean_p, freq, "o-", ms=3, label=label)
    ax.set(xlabel="confidence: largest score (probability)", ylabel="accuracy (probability)",
           title="Top-label reliability (softprob.report)", xlim=(0, 1), ylim=(0, 1))
    ax.legend(loc="upper left")
    fig.savefig(path)


if __name__ == "__main__":
    raise SystemExit(main())
