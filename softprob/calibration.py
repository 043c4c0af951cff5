"""Measuring calibration: reliability curves, ECE (binary, top-label, class-wise), noise floors.

A model is calibrated when, among the inputs it gives score p, a fraction p
belongs to the class scored. Binary scores are P(A | x) (1-D). For K-class
probability rows (n, K) say which calibration is measured, with
``multiclass``:

* ``"top-label"`` (Guo et al. 2017): the confidence max_k p_k against
  whether the arg-max class was right. One number for the whole model; it
  can look fine while a rare class is badly over- or under-predicted.
* ``"class-wise"`` (Kull et al. 2019): for each class k, the score p_k
  against the indicator y = k; the ECE is the mean over classes.

Binned estimates are biased upwards by sampling noise: the noise floors
(:func:`calibrated_ece_samples`, :func:`calibrated_ece_approx`) give the
ECE a perfectly calibrated model with the same scores would show. Repairs
(temperature scaling) are in :mod:`softprob.recalibration`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import brentq

from softprob import _checks as chk
from softprob._checks import FloatArray

_FORMS = ("top-label", "class-wise")
_STRATEGIES = ("uniform", "quantile")


def _bin_ids(p: FloatArray, n_bins: int, strategy: str) -> np.ndarray:
    if strategy == "uniform":
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    else:
        edges = np.percentile(p, np.linspace(0.0, 100.0, n_bins + 1))
    # interior edges only; a score equal to an edge goes to the lower bin (as scikit-learn)
    return np.searchsorted(edges[1:-1], p)


def _scores(y_prob: ArrayLike, multiclass: str | None) -> FloatArray:
    """Validated binary scores (n,) or probability rows (n, K), with ``multiclass`` to match."""
    p = chk.as_probabilities("y_prob", y_prob, ndim=(1, 2), rows_sum_to_one="2d")
    if p.ndim == 1 and multiclass is not None:
        raise ValueError(f"multiclass: y_prob is 1-D (binary scores P(A)); pass multiclass=None, "
                         f"or probability rows (n, K) for {multiclass!r}")
    if p.ndim == 2 and multiclass is None:
        raise ValueError(f"multiclass: y_prob has {p.shape[1]} columns (K-class rows); pass "
                         "multiclass='top-label' (confidence of the predicted class against "
                         "whether it was right) or multiclass='class-wise' (each class's score "
                         "against its indicator)")
    if multiclass is not None:
        chk.one_of("multiclass", multiclass, _FORMS)
    return p


def _pairs(y_true: ArrayLike, p: FloatArray, multiclass: str | None) -> list[tuple]:
    """(hits, scores) pairs to bin: one for binary / top-label, one per class for class-wise."""
    n_classes = 2 if p.ndim == 1 else p.shape[1]
    hint = ("; y_prob is 1-D (binary P(A)): for K classes pass probability rows (n, K) with "
            "multiclass='top-label' or 'class-wise'") if p.ndim == 1 else ""
    labels = chk.as_labels("y_true", y_true, n_classes, hint)
    chk.same_length(("y_true", "y_prob"), labels, p)
    if p.ndim == 1:
        return [(labels.astype(float), p)]
    if multiclass == "top-label":
        return [((p.argmax(axis=1) == labels).astype(float), p.max(axis=1))]
    return [((labels == k).astype(float), p[:, k]) for k in range(n_classes)]


def _curve(hits: FloatArray, p: FloatArray, n_bins: int, strategy: str
           ) -> tuple[FloatArray, FloatArray, FloatArray]:
    ids = _bin_ids(p, n_bins, strategy)
    counts = np.bincount(ids, minlength=n_bins).astype(float)
    sums = np.bincount(ids, weights=p, minlength=n_bins)
    freq = np.bincount(ids, weights=hits, minlength=n_bins)
    keep = counts > 0
    return sums[keep] / counts[keep], freq[keep] / counts[keep], counts[keep]


def _ece(pairs: list[tuple], n_bins: int, strategy: str) -> float:
    eces = []
    for hits, p in pairs:
        mean_p, freq, counts = _curve(hits, p, n_bins, strategy)
        eces.append(np.sum(counts * np.abs(freq - mean_p)) / np.sum(counts))
    return float(np.mean(eces))


def _options(n_bins: int, strategy: str) -> tuple[int, str]:
    return chk.positive_int("n_bins", n_bins), chk.one_of("strategy", strategy, _STRATEGIES)


def reliability_curve(y_true: ArrayLike, y_prob: ArrayLike, n_bins: int = 10,
                      strategy: str = "uniform", *, multiclass: str | None = None,
                      label: int | None = None) -> tuple[FloatArray, FloatArray, FloatArray]:
    r"""Mean predicted probability, observed frequency and count in each non-empty bin.

    Parameters
    ----------
    y_true : array_like, shape (n,)
        Labels: 1 = A and 0 = B for binary scores; 0..K-1 for probability rows.
    y_prob : array_like, shape (n,) or (n, K)
        Predicted P(A | x), or probability rows (each summing to 1).
    n_bins : int, default 10
        Number of bins on [0, 1].
    strategy : {'uniform', 'quantile'}
        Equal-width bins, or bins holding equal numbers of scores.
    multiclass : {None, 'top-label', 'class-wise'}
        None for binary scores; required for rows (see the module docstring).
    label : int, optional
        The class whose curve to return, with ``multiclass='class-wise'``.

    Returns
    -------
    mean_predicted, observed_frequency, counts : ndarray
        One entry per non-empty bin, in increasing order of score.

    Examples
    --------
    >>> from softprob.calibration import reliability_curve
    >>> mp, freq, n = reliability_curve([0, 1, 1, 1], [0.1, 0.2, 0.9, 0.8], n_bins=2)
    >>> mp.tolist(), freq.tolist(), n.tolist()
    ([0.15000000000000002, 0.8500000000000001], [0.5, 1.0], [2.0, 2.0])
    >>> rows = [[0.7, 0.2, 0.1], [0.1, 0.6, 0.3], [0.2, 0.2, 0.6]]
    >>> reliability_curve([0, 2, 2], rows, n_bins=2, multiclass="top-label")[1].tolist()
    [0.6666666666666666]
    """
    p = _scores(y_prob, multiclass)
    n_bins, strategy = _options(n_bins, strategy)
    pairs = _pairs(y_true, p, multiclass)
    if multiclass == "class-wise":
        if label is None or isinstance(label, bool) or not isinstance(label, (int, np.integer)) \
                or not 0 <= label < len(pairs):
            raise ValueError(f"label: multiclass='class-wise' draws one class's curve: pass "
                             f"label=k with k in 0..{len(pairs) - 1}, got {label!r}")
        return _curve(*pairs[label], n_bins, strategy)
    if label is not None:
        raise ValueError("label: only used with multiclass='class-wise'")
    return _curve(*pairs[0], n_bins, strategy)


def expected_calibration_error(y_true: ArrayLike, y_prob: ArrayLike, n_bins: int = 15,
                               strategy: str = "uniform", *,
                               multiclass: str | None = None) -> float:
    r"""Expected calibration error :math:`\sum_b (n_b/n)\,|\bar y_b - \bar p_b|`.

    Binary scores compare P(A | x) with the label. Probability rows need
    ``multiclass``: ``'top-label'`` bins the confidence against "the arg-max
    was right"; ``'class-wise'`` averages over classes the binary ECE of p_k
    against y = k. Binning makes this a biased estimate (Kumar, Liang & Ma
    2019): compare it with its noise floor.

    Parameters
    ----------
    y_true : array_like, shape (n,)
        Labels (0/1 for binary; 0..K-1 for rows).
    y_prob : array_like, shape (n,) or (n, K)
        Predicted probabilities.
    n_bins : int, default 15
        Number of bins.
    strategy : {'uniform', 'quantile'}
        Binning scheme.
    multiclass : {None, 'top-label', 'class-wise'}
        None for binary scores; required for rows.

    Returns
    -------
    float
        ECE in probability units (0 is perfect).

    Examples
    --------
    >>> from softprob.calibration import expected_calibration_error
    >>> round(expected_calibration_error([0, 1, 1, 1], [0.1, 0.2, 0.9, 0.8], n_bins=2), 6)
    0.25
    """
    p = _scores(y_prob, multiclass)
    n_bins, strategy = _options(n_bins, strategy)
    return _ece(_pairs(y_true, p, multiclass), n_bins, strategy)


def calibrated_ece_samples(y_prob: ArrayLike, rng: np.random.Generator, n_bins: int = 15,
                           n_rep: int = 200, strategy: str = "uniform", *,
                           multiclass: str | None = None) -> FloatArray:
    r"""ECE of a *perfectly calibrated* predictor with scores ``y_prob``: the noise floor.

    Draws labels from the scores themselves ``n_rep`` times (binary:
    :math:`y_i \sim \mathrm{Bernoulli}(p_i)`; rows: :math:`y_i \sim
    \mathrm{Categorical}(p_i)`), so that the scores are exactly calibrated,
    and returns the ECE of each draw. Anything above zero is sampling noise of
    the binned estimator; it grows with ``n_bins`` and shrinks like :math:`1/\sqrt{n}`.

    Parameters
    ----------
    y_prob : array_like, shape (n,) or (n, K)
        Scores (binary P(A|x)) or probability rows.
    rng : numpy.random.Generator
        Source of the simulated labels.
    n_bins : int, default 15
        Number of bins, as in :func:`expected_calibration_error`.
    n_rep : int, default 200
        Number of simulated label sets.
    strategy : {'uniform', 'quantile'}
        Binning scheme.
    multiclass : {None, 'top-label', 'class-wise'}
        None for binary scores; required for rows.

    Returns
    -------
    ndarray, shape (n_rep,)
        One ECE per simulated label set.

    Examples
    --------
    >>> import numpy as np
    >>> from softprob.calibration import calibrated_ece_samples
    >>> rng = np.random.default_rng(0)
    >>> small = calibrated_ece_samples(rng.uniform(size=100), rng, n_rep=50).mean()
    >>> large = calibrated_ece_samples(rng.uniform(size=10_000), rng, n_rep=50).mean()
    >>> bool(small > 3 * large > 0)
    True
    """
    rng = chk.as_generator(rng)
    p = _scores(y_prob, multiclass)
    n_bins, strategy = _options(n_bins, strategy)
    n_rep = chk.positive_int("n_rep", n_rep)
    out = np.empty(n_rep)
    cum = np.cumsum(p, axis=1) if p.ndim == 2 else None
    for r in range(n_rep):
        if cum is None:
            y = (rng.uniform(size=p.shape[0]) < p).astype(int)
        else:
            u = rng.uniform(size=(p.shape[0], 1))
            y = (u > cum).sum(axis=1).clip(max=p.shape[1] - 1)
        out[r] = _ece(_pairs(y, p, multiclass), n_bins, strategy)
    return out


def calibrated_ece_approx(y_prob: ArrayLike, n_bins: int = 15, strategy: str = "uniform", *,
                          multiclass: str | None = None) -> float:
    r"""Normal approximation to the mean ECE of a perfectly calibrated predictor.

    In bin b with :math:`n_b` scores, :math:`\bar y_b - \bar p_b` has mean 0 and
    variance :math:`v_b/n_b`, :math:`v_b = \overline{p(1-p)}_b`; for a normal
    variable :math:`\mathbb{E}|Z| = \sigma\sqrt{2/\mathrm{\pi}}`, so
    :math:`\mathbb{E}\,\mathrm{ECE} \approx \frac1n\sum_b \sqrt{2 n_b v_b/\mathrm{\pi}}`,
    of order :math:`\sqrt{B/n}` for B bins. Top-label applies this to the
    confidences (a calibrated model is right with probability max_k p_k);
    class-wise averages it over the columns. Accurate when every bin holds many
    scores; :func:`calibrated_ece_samples` simulates the exact value.

    Parameters
    ----------
    y_prob : array_like, shape (n,) or (n, K)
        Scores P(A | x), or probability rows.
    n_bins : int, default 15
        Number of bins.
    strategy : {'uniform', 'quantile'}
        Binning scheme.
    multiclass : {None, 'top-label', 'class-wise'}
        None for binary scores; required for rows.

    Returns
    -------
    float
        The approximate expected ECE.

    Examples
    --------
    >>> import numpy as np
    >>> from softprob.calibration import calibrated_ece_approx
    >>> round(calibrated_ece_approx(np.full(10_000, 0.5), n_bins=10), 5)  # sqrt(2*0.25/(pi*1e4))
    0.00399
    """
    p = _scores(y_prob, multiclass)
    n_bins, strategy = _options(n_bins, strategy)
    if p.ndim == 1:
        columns = [p]
    elif multiclass == "top-label":
        columns = [p.max(axis=1)]
    else:
        columns = list(p.T)
    floors = []
    for q in columns:
        var_sums = np.bincount(_bin_ids(q, n_bins, strategy), weights=q * (1.0 - q),
                               minlength=n_bins)
        floors.append(np.sum(np.sqrt(2.0 * var_sums / np.pi)) / q.shape[0])
    return float(np.mean(floors))


_SIGMA_MIN = 1e-4               # smallest bandwidth searched (the grid has 64 / sigma nodes)
_NODES_PER_SIGMA = 64           # grid step sigma/64: linear splatting error ~ (h/sigma)^2/8


def _smece_at(r: FloatArray, f: FloatArray, w: FloatArray, sigma: float) -> float:
    r""":math:`\int_0^1 |\sum_i w_i r_i K^R_\sigma(t, f_i)|\,dt` on a grid, by FFT on a circle.

    Reflecting at 0 and 1 makes the measure even and 2-periodic: on the circle of length 2
    the reflected kernel is the 2-periodised Gaussian, so one circular convolution is exact
    for masses on the grid; each f_i is split linearly between its two grid neighbours.
    """
    g = max(1024, int(np.ceil(_NODES_PER_SIGMA / sigma)))
    pos = f * g
    left = np.minimum(pos.astype(np.intp), g - 1)
    frac = pos - left
    mass = np.bincount(left, w * r * (1.0 - frac), g + 1) + np.bincount(left + 1, w * r * frac,
                                                                        g + 1)
    circle = np.zeros(2 * g)                                 # masses at t and at -t:
    np.add.at(circle, np.arange(g + 1), mass)                # t = 0 and t = 1 are their own
    np.add.at(circle, -np.arange(g + 1) % (2 * g), mass)     # mirror, so they count twice
    d = (np.arange(2 * g) / g + 1.0) % 2.0 - 1.0             # signed distance on the circle
    reach = 1 + int(np.ceil(4.5 * sigma))                    # images within 9 sigma
    images = d[:, None] + 2.0 * np.arange(-reach, reach + 1)  # 2-periodised Gaussian
    kernel = np.exp(-0.5 * (images / sigma) ** 2).sum(axis=1) / (sigma * np.sqrt(2 * np.pi))
    smooth = np.fft.irfft(np.fft.rfft(circle) * np.fft.rfft(kernel), 2 * g)[: g + 1]
    a = np.abs(smooth)
    return float((a.sum() - 0.5 * (a[0] + a[-1])) / g)      # trapezoid rule on [0, 1]


def smooth_ece(y_true: ArrayLike, y_prob: ArrayLike, *, sigma: float | None = None,
               sample_weight: ArrayLike | None = None,
               multiclass: str | None = None) -> float:
    r"""Smooth ECE (Błasiok & Nakkiran 2023): kernel-smoothed calibration error, no bins.

    With residuals :math:`r_i = y_i - f_i` and weights :math:`w_i` (summing to 1),

    .. math:: \mathrm{smECE}_\sigma = \int_0^1 \Bigl|\sum_i w_i\, r_i\,
              K^R_\sigma(t, f_i)\Bigr|\,dt ,

    the :math:`L_1` norm of the Nadaraya-Watson estimate :math:`\hat r(t)` of the mean
    residual times the kernel density :math:`\hat\delta(t)` of the scores. The kernel is the
    Gaussian of standard deviation :math:`\sigma` *reflected* at 0 and 1 (the sum of
    :math:`\varphi_\sigma(t - z)` over every z that folds onto f_i: f_i + 2k and -f_i + 2k),
    so no mass leaks out of [0, 1]. :math:`\mathrm{smECE}_\sigma` does not increase with
    :math:`\sigma`; the smooth ECE is the value at the unique fixed point
    :math:`\sigma^\ast = \mathrm{smECE}_{\sigma^\ast}` (found by Brent's method to 1e-10),
    so it needs no bin count or bandwidth. Computed on a grid of step :math:`\sigma/64`
    (at least 1024 intervals) by FFT: relative error below 1e-4.

    Parameters
    ----------
    y_true : array_like, shape (n,)
        Binary: labels (1 = A, 0 = B) or target probabilities P(A | x_i) in [0, 1] (with
        quadrature weights they give a population value). Rows: labels 0..K-1.
    y_prob : array_like, shape (n,) or (n, K)
        Predicted P(A | x), or probability rows (with ``multiclass``).
    sigma : float, optional
        A fixed bandwidth in [1e-4, 1]: return :math:`\mathrm{smECE}_\sigma` instead.
    sample_weight : array_like, shape (n,), optional
        Non-negative weights with a positive sum.
    multiclass : {None, 'top-label', 'class-wise'}
        As in :func:`expected_calibration_error`; class-wise averages over classes.

    Returns
    -------
    float
        The smooth ECE (probability units). Below 1e-4 it returns
        :math:`\mathrm{smECE}_{10^{-4}}`, a lower bound within 1e-4 of the fixed point.

    Examples
    --------
    >>> from softprob.calibration import smooth_ece
    >>> round(smooth_ece([0, 1, 1, 0, 1, 1, 1, 0], [0.2, 0.9, 0.6, 0.4, 0.8, 0.7, 0.9, 0.1]), 4)
    0.1612
    >>> smooth_ece([1, 1, 1, 1], [0.0, 0.0, 0.0, 0.0])   # always wrong by 1: sigma* = 1
    1.0
    """
    p = _scores(y_prob, multiclass)
    if p.ndim == 1:
        y = chk.as_float_array("y_true", y_true, ndim=1)
        if y.min() < 0.0 or y.max() > 1.0:
            raise ValueError("y_true: labels (0/1) or probabilities of A must lie in [0, 1], "
                             f"got values in [{y.min():.6g}, {y.max():.6g}]")
        chk.same_length(("y_true", "y_prob"), y, p)
        pairs = [(y, p)]
    else:
        pairs = _pairs(y_true, p, multiclass)
    w = chk.as_sample_weight(sample_weight, p.shape[0])
    w = np.full(p.shape[0], 1.0 / p.shape[0]) if w is None else w / w.sum()
    if sigma is not None:
        sigma = chk.positive_float("sigma", sigma)
        if not _SIGMA_MIN <= sigma <= 1.0:
            raise ValueError(f"sigma: the bandwidth must lie in [{_SIGMA_MIN:g}, 1], "
                             f"got {sigma!r}")
    return float(np.mean([_smooth_ece_pair(y, f, w, sigma) for y, f in pairs]))


def _smooth_ece_pair(y: FloatArray, f: FloatArray, w: FloatArray, sigma: float | None) -> float:
    r = y - f
    if sigma is not None:
        return _smece_at(r, f, w, sigma)

    def gap(s: float) -> float:                            # decreasing: one root in (0, 1]
        return _smece_at(r, f, w, s) - s

    hi = 1.0
    if gap(hi) >= 0:
        return _smece_at(r, f, w, hi)
    while gap(hi / 2) < 0:                                 # bracket from above: cheap grids
        hi /= 2
        if hi / 2 < _SIGMA_MIN:
            low = _smece_at(r, f, w, _SIGMA_MIN)          # sigma* <= 1e-4: within 1e-4
            return low if low <= _SIGMA_MIN else float(
                brentq(gap, _SIGMA_MIN, hi, xtol=1e-10, rtol=1e-10))
    return float(brentq(gap, hi / 2, hi, xtol=1e-10, rtol=1e-10))
