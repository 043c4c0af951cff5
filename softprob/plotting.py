"""The book's plot style and its recurring figures.

Every helper draws on an ``Axes`` it is given (or a new one), labels it, and
returns it; none calls ``plt.show()``.
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from numpy.typing import ArrayLike

from softprob._checks import as_float_array

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


def _axes(ax: Axes | None) -> Axes:
    return plt.subplots()[1] if ax is None else ax


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
        Legend label -> fitted P(A | x) on the grid.
    ax : Axes, optional
        Where to draw (a new figure when omitted).
    title, xlabel : str
        Title and x-axis label (give units if x has any).

    Returns
    -------
    Axes

    Examples
    --------
    >>> import numpy as np
    >>> from softprob.plotting import plot_posteriors
    >>> g = np.linspace(-3, 3, 5)
    >>> ax = plot_posteriors(g, 1 / (1 + np.exp(-g)), {"model": 1 / (1 + np.exp(-0.9 * g))})
    >>> ax.get_ylabel()
    'P(A | x)'
    """
    ax = _axes(ax)
    x = as_float_array("x", x, ndim=1)
    ax.plot(x, as_float_array("truth", truth, ndim=1), color="black", lw=2.5,
            label="true P(A | x)")
    for label, curve in fitted.items():
        ax.plot(x, as_float_array(f"fitted[{label!r}]", curve, ndim=1), ls="--", label=label)
    ax.set(title=title, xlabel=xlabel, ylabel="P(A | x)", ylim=(-0.02, 1.02))
    ax.legend()
    return ax


def plot_reliability(mean_predicted: ArrayLike, observed: ArrayLike, counts: ArrayLike,
                     ax: Axes | None = None, label: str = "model",
                     title: str = "Reliability diagram") -> Axes:
    """Reliability diagram: observed frequency against mean predicted probability per bin.

    Marker areas are proportional to the bin counts, which are also written
    next to the markers, so sparsely populated bins are visible as such.

    Parameters
    ----------
    mean_predicted, observed, counts : array_like
        Outputs of :func:`softprob.calibration.reliability_curve`.
    ax : Axes, optional
        Where to draw.
    label, title : str
        Legend label of this curve; title of the axes.

    Returns
    -------
    Axes

    Examples
    --------
    >>> from softprob.plotting import plot_reliability
    >>> ax = plot_reliability([0.2, 0.8], [0.25, 0.7], [10, 30])
    >>> ax.get_xlabel()
    'mean predicted probability'
    """
    ax = _axes(ax)
    mp = as_float_array("mean_predicted", mean_predicted, ndim=1)
    ob = as_float_array("observed", observed, ndim=1)
    n = as_float_array("counts", counts, ndim=1)
    ax.plot([0, 1], [0, 1], color="grey", ls=":", lw=1, label="perfect calibration")
    line, = ax.plot(mp, ob, marker="o", ms=0, label=label)
    ax.scatter(mp, ob, s=20 + 180 * n / n.max(), color=line.get_color(), alpha=0.7)
    for xi, yi, ni in zip(mp, ob, n):
        ax.annotate(f"{int(ni)}", (xi, yi), textcoords="offset points", xytext=(4, -10),
                    fontsize="small")
    ax.set(title=title, xlabel="mean predicted probability", ylabel="observed frequency",
           xlim=(-0.02, 1.02), ylim=(-0.02, 1.02))
    ax.legend(loc="upper left")
    return ax
