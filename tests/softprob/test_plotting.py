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


def test_arrays_must_have_equal_lengths():
    with pytest.raises(ValueError, match=r"^truth: has 2 values but x has 3"):
        plot_posteriors([0.0, 1.0, 2.0], [0.5, 0.5], {})
    with pytest.raises(ValueError, match=r"^fitted\['m'\]: has 4 values but x has 3"):
        plot_posteriors([0.0, 1.0, 2.0], [0.5, 0.5, 0.5], {"m": [0.5] * 4})
    with pytest.raises(ValueError, match=r"^observed: has 1 values but mean_predicted has 2"):
        plot_reliability([0.2, 0.8], [0.3], [5, 5])
    with pytest.raises(ValueError, match=r"^counts: has 3 values but mean_predicted has 2"):
        plot_reliability([0.2, 0.8], [0.3, 0.7], [5, 5, 5])
    with pytest.raises(ValueError, match=r"^counts: must be >= 0"):
        plot_reliability([0.2, 0.8], [0.3, 0.7], [0, 0])
    with pytest.raises(ValueError, match=r"^ax: expected a matplotlib Axes"):
        plot_reliability([0.2, 0.8], [0.3, 0.7], [5, 5], ax="left")
    plt.close("all")


def _count_boxes(mp, ob, counts):
    use_style()
    fig, ax = plt.subplots(figsize=(5, 3.9))
    plot_reliability(mp, ob, counts, ax=ax)
    fig.canvas.draw()
    boxes = [t.get_window_extent() for t in ax.texts]
    frame, centres = ax.get_window_extent(), ax.transData.transform(np.column_stack([mp, ob]))
    assert all(frame.x0 <= b.x0 and b.x1 <= frame.x1 and frame.y0 <= b.y0 and b.y1 <= frame.y1
               for b in boxes)
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    owners = [int(np.argmin(np.hypot(*(centres - [(b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2]).T)))
              for b in boxes]
    plt.close(fig)
    return [t.get_text() for t in ax.texts], owners


def test_count_labels_do_not_overlap():
    # an overconfident network's diagram (chapter 8): 15 bins, counts of 3 and 4 digits on
    # markers 1/15 of the width apart, which at one fixed offset overlap their neighbours
    mp = np.array([0.01, 0.097, 0.165, 0.232, 0.3, 0.366, 0.433, 0.5, 0.567, 0.633, 0.70,
                   0.766, 0.834, 0.90, 0.99])
    ob = np.array([0.19, 0.35, 0.36, 0.372, 0.378, 0.41, 0.34, 0.365, 0.38, 0.40, 0.375,
                   0.388, 0.443, 0.437, 0.86])
    counts = np.array([9175, 1092, 628, 616, 429, 331, 340, 309, 379, 442, 444, 426, 425,
                       581, 4383])
    texts, owners = _count_boxes(mp, ob, counts)
    assert texts == [str(c) for c in counts]              # here every count finds a place
    assert owners == list(range(15))                      # each next to its own marker


def test_crowded_count_labels_are_left_out_not_overlapped():
    # 15 equal, maximal markers in a row: no room for every four-digit label
    mp = (np.arange(15) + 0.5) / 15
    texts, owners = _count_boxes(mp, 0.35 + 0.05 * np.sin(np.arange(15)), np.full(15, 4444))
    assert 0 < len(texts) < 15
    assert owners == sorted(set(owners))                  # one label per marker at most


# --- contracts ---

@pytest.mark.contract
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
