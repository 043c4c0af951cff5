import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from softprob.activations import sigmoid, softmax
from softprob.calibration import calibrated_ece_samples, expected_calibration_error
from softprob.losses import binary_cross_entropy, brier_score, categorical_cross_entropy
from softprob.recalibration import fit_temperature
from softprob.report import CalibrationSummary, ReportResult, calibration_summary, report

from contracts import arbitrary, check, floats, labels, matrices, no_nan, rows, sizes, vectors


def draw_labels(p, rng):
    """Labels drawn from probability rows (a calibrated model), as the noise floors draw them."""
    return (rng.uniform(size=(p.shape[0], 1)) > np.cumsum(p, axis=1)).sum(axis=1)


@pytest.fixture(scope="module")
def rare_problem():
    # 6 classes, class 5 rare; scores inflate class 5 by a factor 4 before renormalising
    rng = np.random.default_rng(11)
    z = rng.normal(scale=1.5, size=(4000, 6))
    z[:, 5] -= 2.5
    y = draw_labels(softmax(z), rng)
    biased = z.copy()
    biased[:, 5] += np.log(4.0)
    return z, biased, y


def test_eces_and_floors_are_those_of_softprob_calibration(rare_problem):
    z, _, y = rare_problem
    p = softmax(z)
    s = calibration_summary(y, p, rng=np.random.default_rng(3), n_rep=40)
    assert s.top_label_ece == pytest.approx(
        expected_calibration_error(y, p, multiclass="top-label"), abs=1e-12)
    assert s.class_wise_ece == pytest.approx(
        expected_calibration_error(y, p, multiclass="class-wise"), abs=1e-12)
    for form, floor in (("top-label", s.top_label_floor), ("class-wise", s.class_wise_floor)):
        sims = calibrated_ece_samples(p, np.random.default_rng(3), n_rep=40, multiclass=form)
        assert floor == pytest.approx(np.quantile(sims, 0.995), abs=1e-12)   # same draws
    rng = np.random.default_rng(3)
    per_class = np.array([[expected_calibration_error(ys == k, p[:, k]) for k in range(6)]
                          for ys in (draw_labels(p, rng) for _ in range(40))])
    for c in s.classes:
        assert c.ece == pytest.approx(expected_calibration_error(y == c.label, p[:, c.label]))
        assert c.floor == pytest.approx(np.quantile(per_class[:, c.label], 0.995), abs=1e-12)


def test_losses_and_accuracy_match_softprob_losses(rare_problem):
    z, _, y = rare_problem
    s = calibration_summary(y, logits=z, rng=np.random.default_rng(0), n_rep=5)
    assert s.nll == pytest.approx(categorical_cross_entropy(y, z), rel=1e-12)
    assert s.brier == pytest.approx(brier_score(y, softmax(z)), rel=1e-12)
    assert s.accuracy == np.mean(z.argmax(axis=1) == y)
    zb = z[:, 1] - z[:, 0]
    yb = (y == 1).astype(int)
    sb = calibration_summary(yb, logits=zb, rng=np.random.default_rng(0), n_rep=5)
    assert sb.n_classes == 2
    assert sb.nll == pytest.approx(binary_cross_entropy(yb, zb), rel=1e-12)
    assert sb.brier == pytest.approx(brier_score(yb, sigmoid(zb)), rel=1e-12)
    from_probs = calibration_summary(yb, sigmoid(zb), rng=np.random.default_rng(0), n_rep=5)
    assert from_probs.nll == pytest.approx(sb.nll, rel=1e-9)


def test_bias_z_flags_the_inflated_rare_class_and_not_a_calibrated_one(rare_problem):
    z, biased, y = rare_problem
    fair = calibration_summary(y, logits=z, rng=np.random.default_rng(1), n_rep=100)
    assert all(abs(c.bias_z) < 4 for c in fair.classes)
    assert fair.class_wise_ece < fair.class_wise_floor
    bad = calibration_summary(y, logits=biased, rng=np.random.default_rng(1), n_rep=100)
    rare = bad.classes[5]
    p = softmax(biased)[:, 5]
    se = np.sqrt(np.sum(p * (1 - p))) / y.size
    assert rare.bias_z == pytest.approx((p.mean() - np.mean(y == 5)) / se)
    assert rare.bias_z > 4 and rare.mean_score / rare.frequency > 2
    assert bad.worst(1)[0].label == 5 and bad.class_wise_ece > bad.class_wise_floor


def test_report_fits_the_temperature_and_keeps_the_per_class_bias(rare_problem):
    _, biased, y = rare_problem
    res = report(2.5 * biased, y, np.random.default_rng(2), n_rep=60)
    t = fit_temperature(2.5 * biased, y).temperature
    assert isinstance(res, ReportResult) and res.temperature == t
    after = calibration_summary(y, logits=2.5 * biased / t, rng=np.random.default_rng(2),
                                n_rep=60)
    assert res.after.top_label_ece == pytest.approx(after.top_label_ece, abs=1e-12)
    assert res.after.nll == pytest.approx(after.nll, rel=1e-9)
    assert res.before.top_label_ece > res.before.top_label_floor   # overconfident
    assert res.after.top_label_ece < res.before.top_label_ece / 3
    assert res.after.worst(1)[0].label == 5 and res.after.classes[5].bias_z > 4
    text = res.text()
    assert "chapter 11" in text and "worst-calibrated classes (after T)" in text
    assert "class-wise ECE above its noise floor" in text


def test_binary_logits_equal_two_column_logits():
    rng = np.random.default_rng(5)
    z = rng.normal(scale=3, size=1500)
    y = (rng.uniform(size=z.size) < sigmoid(z / 2)).astype(int)
    one = report(z, y, np.random.default_rng(0), n_rep=30)
    two = report(np.c_[np.zeros_like(z), z], y, np.random.default_rng(0), n_rep=30)
    assert one.temperature == pytest.approx(two.temperature, rel=1e-9)
    for f in ("top_label_ece", "top_label_floor", "class_wise_ece", "nll", "accuracy"):
        assert getattr(one.before, f) == pytest.approx(getattr(two.before, f), abs=1e-12)
    assert two.before.brier == pytest.approx(2 * one.before.brier)   # K-class counts both
    assert one.before.class_wise_ece == pytest.approx(expected_calibration_error(y, sigmoid(z)))
    assert "binary" in one.text()


def test_no_temperature_is_reported_not_raised():
    res = report([2.0, -1.0, 0.5, -3.0], [1, 0, 1, 0], np.random.default_rng(0), n_rep=5)
    assert res.temperature is None and res.after is None and "separate" in res.note
    assert "temperature: none" in res.text()


# --- the command line, end to end on files written here ---

def run(args, cwd):
    return subprocess.run([sys.executable, "-m", "softprob.report", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def k_class(tmp_path_factory):
    rng = np.random.default_rng(7)
    z = rng.normal(scale=2.0, size=(800, 4))
    return tmp_path_factory.mktemp("k"), 2.0 * z, draw_labels(softmax(z), rng)


def test_cli_on_npy_npz_and_csv(k_class):
    folder, z, y = k_class
    np.save(folder / "z.npy", z)
    np.save(folder / "y.npy", y)
    np.savez(folder / "both.npz", logits=z, labels=y)
    np.savetxt(folder / "z.csv", z, delimiter=",", header="c0,c1,c2,c3", comments="")
    np.savetxt(folder / "y.csv", y, fmt="%d", header="label", comments="")
    zb = z[:, 1] - z[:, 0]
    np.savetxt(folder / "zb.csv", zb)
    np.savetxt(folder / "yb.csv", (y == 1).astype(float))                # 0.0 / 1.0 labels
    expected = report(z, y, np.random.default_rng(0)).text()
    for z_file, y_file, plot in (("z.npy", "y.npy", "a.png"), ("both.npz", "both.npz", "b.png"),
                                 ("z.csv", "y.csv", "c.png")):
        out = run([z_file, y_file, "--plot", plot], folder)
        assert out.returncode == 0, out.stderr
        assert out.stdout.startswith(expected) and out.stderr == ""
        assert (folder / plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    out = run(["zb.csv", "yb.csv"], folder)
    assert out.returncode == 0, out.stderr
    assert "2 classes (binary" in out.stdout and (folder / "reliability.png").is_file()


def test_cli_help_explains_every_number():
    out = run(["--help"], None)
    assert out.returncode == 0
    for phrase in ("chapter 11", "top-label ECE", "class-wise ECE", "noise floor", "NLL",
                   "Brier", "accuracy", "temperature", "worst classes", "bias z"):
        assert phrase in out.stdout, phrase


BAD = {
    "3-D logits": (lambda: np.zeros((4, 2, 2)), lambda: np.zeros(4, int)),
    "one column of logits": (lambda: np.zeros((4, 1)), lambda: np.zeros(4, int)),
    "2-D labels": (lambda: np.zeros((4, 3)), lambda: np.zeros((4, 1), int)),
    "NaN logit": (lambda: np.array([[0.0, np.nan], [1.0, 0.0]]), lambda: np.array([0, 1])),
    "label out of range": (lambda: np.zeros((3, 3)), lambda: np.array([0, 1, 3])),
    "negative label": (lambda: np.zeros((3, 3)), lambda: np.array([0, -1, 2])),
    "fractional label": (lambda: np.zeros(3), lambda: np.array([0.0, 0.5, 1.0])),
    "lengths differ": (lambda: np.zeros((5, 3)), lambda: np.array([0, 1, 2])),
    "text array": (lambda: np.array(["a", "b"]), lambda: np.array([0, 1])),
    "empty": (lambda: np.zeros((0, 3)), lambda: np.zeros(0, int)),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_arrays_give_one_line_and_a_nonzero_exit(case, tmp_path):
    make_logits, make_labels = BAD[case]
    np.save(tmp_path / "z.npy", make_logits())
    np.save(tmp_path / "y.npy", make_labels())
    out = run(["z.npy", "y.npy"], tmp_path)
    assert out.returncode != 0 and out.stdout == ""
    assert out.stderr.count("\n") == 1 and out.stderr.startswith("softprob.report: error: ")
    assert not (tmp_path / "reliability.png").exists()


FILES = {
    "missing file": ("nothere.npy", None),
    "not an npy file": ("z.npy", b"this is not numpy"),
    "corrupt npz": ("z.npz", b"PK\x03\x04 broken zip"),
    "unknown type": ("z.json", b"[1, 2]"),
    "words in the csv": ("z.csv", b"a,b\n1,x\n2,y\n"),
    "ragged csv": ("z.csv", b"1,2\n3\n"),
    "header only csv": ("z.csv", b"logit\n"),
    "a folder": ("folder.npy", "dir"),
    "pickled objects": ("z.npy", "object"),
    "npz with two other arrays": ("z.npz", "npz"),
}


@pytest.mark.parametrize("case", sorted(FILES))
def test_unreadable_files_give_one_line_and_a_nonzero_exit(case, tmp_path):
    name, content = FILES[case]
    if content == "dir":
        (tmp_path / name).mkdir()
    elif content == "object":
        np.save(tmp_path / name, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    elif content == "npz":
        np.savez(tmp_path / name, a=np.zeros(3), b=np.zeros(3))
    elif content is not None:
        (tmp_path / name).write_bytes(content)
    np.save(tmp_path / "y.npy", np.array([0, 1, 1]))
    out = run([name, "y.npy"], tmp_path)
    assert out.returncode != 0 and out.stdout == ""
    assert out.stderr.count("\n") == 1 and out.stderr.startswith("softprob.report: error: ")
    assert "Traceback" not in out.stderr and name in out.stderr


def test_bad_options_and_plot_path_give_one_line(k_class):
    folder, z, y = k_class
    np.save(folder / "z.npy", z)
    np.save(folder / "y.npy", y)
    for args in (["z.npy"], ["z.npy", "y.npy", "--bins", "x"], ["z.npy", "y.npy", "--bins", "0"],
                 ["z.npy", "y.npy", "--plot", "no/such/folder/r.png"]):
        out = run(args, folder)
        assert out.returncode != 0 and out.stderr.count("\n") == 1, (args, out.stderr)
        assert out.stderr.startswith("softprob.report: error: ")


# --- contracts ---

SUMMARY_NAMES = {"y_true", "y_prob", "logits", "rng", "n_bins", "n_rep"}


def check_summary(s):
    assert isinstance(s, CalibrationSummary)
    no_nan(s.top_label_ece, s.class_wise_ece, s.nll, s.brier, *(c.ece for c in s.classes))
    for v in (s.top_label_ece, s.top_label_floor, s.class_wise_ece, s.class_wise_floor,
              s.accuracy, *(c.ece for c in s.classes), *(c.floor for c in s.classes)):
        assert -1e-12 <= v <= 1 + 1e-12
    assert s.nll >= 0 and 0 <= s.brier <= 2 + 1e-12 and len(s.classes) == s.n_classes


@pytest.mark.contract
@given(data=st.data())
def test_contract_calibration_summary(data):
    rng = np.random.default_rng(0)
    if data.draw(st.booleans()):
        n = data.draw(sizes())
        binary = data.draw(st.booleans())
        k = 2 if binary else data.draw(sizes(2, 5))
        y = data.draw(labels(n, k))
        if data.draw(st.booleans()):
            scores = data.draw(vectors(n, floats()) if binary else matrices(n, k, floats()))
            out, err = check(calibration_summary, y, logits=scores, rng=rng, n_rep=3,
                             names=SUMMARY_NAMES)
        else:
            p = data.draw(vectors(n, st.floats(0, 1)) if binary else rows(n, k))
            out, err = check(calibration_summary, y, p, rng=rng, n_rep=3, names=SUMMARY_NAMES)
        assert err is None
        check_summary(out)
    else:
        kw = data.draw(st.fixed_dictionaries({}, optional={
            "logits": arbitrary(2), "n_bins": arbitrary(0), "n_rep": st.integers(-1, 2),
            "rng": st.sampled_from([rng, None, 3])}))
        kw.setdefault("rng", rng)
        out, _ = check(calibration_summary, data.draw(arbitrary(1)), data.draw(arbitrary(2)),
                       names=SUMMARY_NAMES, **kw)
        if out is not None:
            check_summary(out)


@pytest.mark.contract
@given(data=st.data())
def test_contract_report(data):
    names = {"logits", "y_true", "rng", "n_bins", "n_rep"}
    rng = np.random.default_rng(0)
    if data.draw(st.booleans()):
        n = data.draw(sizes())
        binary = data.draw(st.booleans())
        k = 2 if binary else data.draw(sizes(2, 5))
        z = data.draw(vectors(n, floats()) if binary else matrices(n, k, floats()))
        out, err = check(report, z, data.draw(labels(n, k)), rng, n_rep=3, names=names)
        assert err is None
        check_summary(out.before)
        if out.temperature is None:
            assert out.after is None and out.note
        else:
            assert 0 < out.temperature < np.inf
            check_summary(out.after)
        assert "softprob.report" in out.text()
    else:
        out, _ = check(report, data.draw(arbitrary(2)), data.draw(arbitrary(1)),
                       data.draw(st.sampled_from([rng, None, "x"])), names=names)
        if out is not None:
            check_summary(out.before)
