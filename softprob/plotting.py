"""The book's plot style and its recurring figures.

Every helper draws on an ``Axes`` it is given (or a new one), labels it, and
returns it; none calls ``plt.show()``.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.legend import Legend
from matplotlib.transforms import Bbox
from numpy.typing import ArrayLike

from softprob._checks import as_float_array, as_probabilities

# Sized for the page, not the screen: a figure is 5 in wide at 100 dpi (500 CSS px), shown at
# full size in the book's text column on a desktop and at >= 70 % of it on a 390 px phone, so
# 11-12 pt text stays >= 10 CSS px there. One panel per figure: two side by side would shrink
# below legibility on a phone (stack them, or use two figure cells). Backgrounds are
# transparent so a figure sits on the page's own colour; the book's stylesheet inverts the
# lightness of figures in dark mode (_static/softprob.css), so draw with the default colours.
STYLE = {
    "figure.figsize": (5.0, 3.4),
    "figure.dpi": 100,
    "savefig.dpi": 200,
    "figure.facecolor": "none",
    "axes.facecolor": "none",
    "savefig.facecolor": "none",
    "savefig.transparent": True,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 12,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 11,
    "legend.frameon": False,
    "figure.titlesize": 12,
    "lines.linewidth": 2.0,
    "font.family": "DejaVu Sans",
    "svg.hashsalt": "softprob",
}

# Inline figures in a notebook: PNG at twice the pixel density, displayed at the figure's size
# (sharp on high-density phone screens and in the book's PDF). PNG, not SVG: nbval does not
# compare PNG bytes, so stored figures never make the notebook checks flaky.
INLINE_FORMAT = "retina"


def use_style() -> None:
    """Apply the book's matplotlib style: page-sized figures, legible fonts, clear backgrounds.

    Inside IPython (a notebook, the book's build) the inline backend is also switched to
    high-density PNG (``INLINE_FORMAT``); elsewhere only ``matplotlib.rcParams`` change.

    Examples
    --------
    >>> from softprob.plotting import use_style
    >>> use_style()
    >>> import matplotlib
    >>> matplotlib.rcParams["figure.figsize"]
    [5.0, 3.4]
    """
    mpl.rcParams.update(STYLE)
    _inline_format(INLINE_FORMAT)


def _inline_format(fmt: str) -> None:
    """Select the inline backend's figure format when running under IPython; no-op otherwise."""
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # plain Python, or a kernel without matplotlib-inline
        return
    if get_ipython() is not None:
        set_matplotlib_formats(fmt)


def _axes(ax: object) -> Axes:
    """Return ``ax``, or the Axes of a new figure when it is None."""
    if ax is None:
        return plt.subplots()[1]
    if not isinstance(ax, Axes):
        raise ValueError(f"ax: expected a matplotlib Axes or None, got {type(ax).__name__}")
    return ax


def _same_length(names: tuple[str, str], a: np.ndarray, b: np.ndarray) -> None:
    """Raise unless two 1-D arrays have the same length (they are drawn point by point)."""
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"{names[1]}: has {b.shape[0]} values but {names[0]} has "
                         f"{a.shape[0]}; pass one value per point")


def plot_posteriors(x: ArrayLike, truth: ArrayLike, fitted: dict[str, ArrayLike],
                    ax: Axes | None = None, title: str = "Fitted scores against the true posterior",
                    xlabel: str = "x") -> Axes:
    """Plot the true P(A|x) (black) and any number of fitted score curves over a 1-D grid.

    Parameters
    ----------
    x : array_like, shape (n,)
        Grid of inputs (sorted).
    truth : array_like, shape (n,)
        True P(A | x) on the grid.
    fitted : dict of str to array_like
        Legend label -> fitted P(A | x) on the grid, each of shape (n,).
    ax : Axes, optional
        Where to draw (a new figure when omitted).
    title, xlabel : str
        Title and x-axis label (give units if x has any).

    Returns
    -------
    Axes

    Raises
    ------
    ValueError
        ``"<argument>: ..."`` when an array is not 1-D and finite, when ``truth`` or a fitted
        curve does not have one value per point of ``x``, when ``fitted`` is not a dict, or
        when ``ax`` is not an Axes.

    Examples
    --------
    >>> import numpy as np
    >>> from softprob.plotting import plot_posteriors
    >>> g = np.linspace(-3, 3, 5)
    >>> ax = plot_posteriors(g, 1 / (1 + np.exp(-g)), {"model": 1 / (1 + np.exp(-0.9 * g))})
    >>> ax.get_ylabel()
    'P(A | x)'
    """
    x = as_float_array("x", x, ndim=1)
    eta = as_float_array("truth", truth, ndim=1)
    _same_length(("x", "truth"), x, eta)
    if not isinstance(fitted, Mapping):
        raise ValueError(f"fitted: expected a dict of legend label -> curve, "
                         f"got {type(fitted).__name__}")
    curves = {}
    for label, curve in fitted.items():
        name = f"fitted[{label!r}]"
        curves[label] = as_float_array(name, curve, ndim=1)
        _same_length(("x", name), x, curves[label])
    ax = _axes(ax)
    ax.plot(x, eta, color="black", lw=2.5, label="true P(A | x)")
    for label, curve in curves.items():
        ax.plot(x, curve, ls="--", label=label)
    ax.set(title=title, xlabel=xlabel, ylabel="P(A | x)", ylim=(-0.02, 1.02))
    ax.legend()
    return ax


def plot_reliability(mean_predicted: ArrayLike, observed: ArrayLike, counts: ArrayLike,
                     ax: Axes | None = None, label: str = "model",
                     title: str = "Reliability diagram") -> Axes:
    """Reliability diagram: observed frequency against mean predicted probability per bin.

    Marker areas are proportional to the bin counts, which are also written
    next to the markers, so sparsely populated bins are visible as such.

    Each count label goes to the first of eight places around its marker (below, above,
    beside, then diagonally) whose text box, measured in display coordinates, stays inside the
    axes, overlaps no earlier label, no other marker and not the legend, and lies nearer its
    own marker than any other, preferring places that the curve and the diagonal do not cross.
    A count with no such place is not written (its marker's area still shows it). The placement
    is computed for the axes' size and limits at the time of the call: draw on an Axes of its
    final size.

    Parameters
    ----------
    mean_predicted, observed, counts : array_like, shape (n_bins,)
        Outputs of :func:`softprob.calibration.reliability_curve`: mean score and observed
        frequency (both in [0, 1]) and number of samples (>= 0, not all 0) in each bin.
    ax : Axes, optional
        Where to draw.
    label, title : str
        Legend label of this curve; title of the axes.

    Returns
    -------
    Axes

    Raises
    ------
    ValueError
        ``"<argument>: ..."`` when an array is not 1-D and finite, a probability lies outside
        [0, 1], a count is negative or all are 0, the three arrays differ in length, or ``ax``
        is not an Axes.

    Examples
    --------
    >>> from softprob.plotting import plot_reliability
    >>> ax = plot_reliability([0.2, 0.8], [0.25, 0.7], [10, 30])
    >>> ax.get_xlabel()
    'mean predicted probability'
    >>> [t.get_text() for t in ax.texts]
    ['10', '30']
    """
    mp = as_probabilities("mean_predicted", mean_predicted, ndim=1)
    ob = as_probabilities("observed", observed, ndim=1)
    n = as_float_array("counts", counts, ndim=1)
    _same_length(("mean_predicted", "observed"), mp, ob)
    _same_length(("mean_predicted", "counts"), mp, n)
    if n.min() < 0 or n.max() == 0:
        raise ValueError(f"counts: must be >= 0 with at least one positive count, "
                         f"got values in [{n.min():.6g}, {n.max():.6g}]")
    ax = _axes(ax)
    ax.plot([0, 1], [0, 1], color="grey", ls=":", lw=1, label="perfect calibration")
    line, = ax.plot(mp, ob, marker="o", ms=0, label=label)
    sizes = 20 + 180 * n / n.max()
    ax.scatter(mp, ob, s=sizes, color=line.get_color(), alpha=0.7)
    ax.set(title=title, xlabel="mean predicted probability", ylabel="observed frequency",
           xlim=(-0.02, 1.02), ylim=(-0.02, 1.02))
    legend = ax.legend(loc="upper left")
    _label_counts(ax, mp, ob, n, sizes, legend)
    return ax


# Places for a count label around its marker, in order of preference: (x, y) direction of the
# offset and the text's alignment. Straight below or above first, then beside, so that a label
# lines up with its own marker (neighbours crowding one side push a label to the other: they
# alternate); the diagonal places last, where a label is easiest to misread as a neighbour's.
_PLACES = [((0, -1), "center", "top"), ((0, 1), "center", "bottom"),
           ((1, 0), "left", "center"), ((-1, 0), "right", "center"),
           ((1, -1), "left", "top"), ((-1, 1), "right", "bottom"),
           ((1, 1), "left", "bottom"), ((-1, -1), "right", "top")]


def _label_counts(ax: Axes, mp: np.ndarray, ob: np.ndarray, n: np.ndarray,
                  sizes: np.ndarray, legend: Legend) -> None:
    """Write each bin's count next to its marker where the text box overlaps nothing."""
    fig = ax.figure
    renderer = fig.canvas.get_renderer() if hasattr(fig.canvas, "get_renderer") else None
    centres = ax.transData.transform(np.column_stack([mp, ob]))          # display pixels
    radii = np.sqrt(sizes) / 2 * fig.dpi / 72                            # marker radii
    frame = ax.get_window_extent(renderer)
    blocked = [legend.get_window_extent(renderer)]
    line_ends = np.vstack([centres, ax.transData.transform([[0, 0], [1, 1]])])
    segments = [(line_ends[i], line_ends[i + 1]) for i in range(len(centres) - 1)]
    segments.append((line_ends[-2], line_ends[-1]))                      # the diagonal
    pad = 1.5 * fig.dpi / 72                                             # 1.5 pt of air
    for i, (xi, yi, ni) in enumerate(zip(mp, ob, n)):
        text = f"{int(ni)}" if float(ni).is_integer() else f"{ni:.3g}"
        gap = np.sqrt(sizes[i]) / 2 + 2                                  # points from centre
        ann = ax.annotate(text, (xi, yi), xytext=(0, 0), textcoords="offset points",
                          fontsize="small")
        best, best_cost = None, np.inf
        for (dx, dy), ha, va in _PLACES:
            scale = gap / np.sqrt(2) if dx and dy else gap
            ann.xyann = (dx * scale, dy * scale)
            ann.set_horizontalalignment(ha)
            ann.set_verticalalignment(va)
            box = ann.get_window_extent(renderer).padded(pad)
            if not _inside(box, frame) or any(box.overlaps(b) for b in blocked):
                continue
            # distance from the box to each marker's edge (negative: the box covers the marker)
            nearest = np.clip(centres, [box.x0, box.y0], [box.x1, box.y1])
            clear = np.hypot(*(centres - nearest).T) - radii
            if np.delete(clear, i).min(initial=np.inf) < 0:
                continue
            # it must read as its own marker's label: no other marker's edge nearer its centre
            mid = np.array([(box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2])
            edge = np.hypot(*(centres - mid).T) - radii
            if edge.min() < edge[i]:
                continue
            cost = sum(_crosses(box, p, q) for p, q in segments)
            if cost < best_cost:
                best, best_cost = ((dx * scale, dy * scale), ha, va), cost
            if cost == 0:
                break
        if best is None:
            ann.remove()                      # no free place: the marker's area shows it
            continue
        ann.xyann = best[0]
        ann.set_horizontalalignment(best[1])
        ann.set_verticalalignment(best[2])
        blocked.append(ann.get_window_extent(renderer).padded(pad))


def _inside(box: Bbox, frame: Bbox) -> bool:
    return (box.x0 >= frame.x0 and box.x1 <= frame.x1
            and box.y0 >= frame.y0 and box.y1 <= frame.y1)


def _crosses(box: Bbox, p: np.ndarray, q: np.ndarray) -> bool:
    """Does the segment from p to q meet the box? (Liang-Barsky clipping.)"""
    d = q - p
    lo, hi = 0.0, 1.0
    for delta, start, low, high in ((d[0], p[0], box.x0, box.x1), (d[1], p[1], box.y0, box.y1)):
        if delta == 0:
            if not low <= start <= high:
                return False
            continue
        t0, t1 = sorted(((low - start) / delta, (high - start) / delta))
        lo, hi = max(lo, t0), min(hi, t1)
        if lo > hi:
            return False
    return True
