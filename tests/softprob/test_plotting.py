import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from softprob.calibration import reliability_curve  # noqa: E402
from softprob.plotting import plot_posteriors, plot_reliability, use_style  # noqa: E402


def test_plots_are_labelled_and_returned():
    use_style()
    g = np.linspace(-3, 3, 50)
    ax = plot_posteriors(g, 1 / (1 + np.exp(-g)), {"fit": 1 / (1 + np.exp(-0.8 * g))})
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel() == "P(A | x)"
    assert len(ax.get_lines()) == 2
    rng = np.random.default_rng(0)
    p = rng.uniform(size=500)
    ax2 = plot_reliability(*reliability_curve((rng.uniform(size=500) < p).astype(int), p))
    assert ax2.get_title() == "Reliability diagram"
    assert ax2.get_xlabel() == "mean predicted probability"


def test_bad_input():
    with pytest.raises(ValueError, match=r"fitted\['fit'\]: contains NaN"):
        plot_posteriors([0.0, 1.0], [0.5, 0.5], {"fit": [np.nan, 0.5]})
