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

STYLE = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "lines.linewidth": 1.8,
    "font.family": "DejaVu Sans",
    "svg.hashsalt": "softprob",
}


def use_style() -> None:
    """Apply the book's matplotlib style (inline PNG figures, consistent fonts).

    Examples
    --------
    >>> from softprob.plotting import use_style
    >>> use_style()
    """
    mpl.rcParams.update(STYLE)


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
        ax.annotate(f"{int(ni)}", (xi, yi), textcoords="offset points", xytext=(4, -10), fontsize=7)
    ax.set(title=title, xlabel="mean predicted probability", ylabel="observed frequency",
           xlim=(-0.02, 1.02), ylim=(-0.02, 1.02))
    ax.legend(loc="upper left")
    return ax
