import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from softprob.calibration import reliability_curve  # noqa: E402
from softprob.plotting import plot_posteriors, plot_reliability, use_style  # noqa: E402

from contracts import arbitrary, check, probs, vectors  # noqa: E402


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


# --- contracts ---

@pytest.mark.contract
@pytest.mark.xfail(strict=False, reason="plotting.py (owned by the figures helper) does not yet "
                   "check that x, truth and the curves, or the reliability arrays, have equal "
                   "lengths: matplotlib's unnamed ValueError leaks (reported to the lead)")
@given(data=st.data())
def test_contract_plotting(data):
    names = {"x", "truth", "fitted", "mean_predicted", "observed", "counts", "ax", "title",
             "xlabel", "label"}
    if data.draw(st.booleans()):
        n = data.draw(st.integers(1, 8))
        x = np.sort(data.draw(vectors(n, st.floats(-10, 10))))
        ax, err = check(plot_posteriors, x, data.draw(probs(n)), {"m": data.draw(probs(n))},
                        names=names)
        assert err is None and ax.get_ylabel() == "P(A | x)"
        mp, freq = data.draw(probs(n)), data.draw(probs(n))
        ax2, err = check(plot_reliability, mp, freq, data.draw(vectors(n, st.floats(1, 100))),
                         names=names)
        assert err is None
    else:
        check(plot_posteriors, data.draw(arbitrary(1)), data.draw(arbitrary(1)),
              data.draw(st.one_of(st.just({}), st.dictionaries(st.text(max_size=2),
                                                                arbitrary(1), max_size=2))),
              names=names)
        check(plot_reliability, *(data.draw(arbitrary(1)) for _ in range(3)), names=names)
    plt.close("all")
