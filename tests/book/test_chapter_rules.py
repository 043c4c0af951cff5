"""Static rules every chapter notebook follows so the book reads well on every surface (issue 14).

Read from the stored notebooks, no build needed:
- code lines are at most 88 characters (the text column shows 88 at 1280 px without scrolling);
- a cell that draws a figure draws exactly one, carries the myst-nb figure metadata
  ``mystnb.figure.caption`` (what the reader sees), ``mystnb.figure.name`` (``chN-fig-<name>``,
  N the chapter's number, unique in the book) and ``mystnb.image.alt`` (what the figure shows, in
  words: not empty, not the caption copied, no file name, no TeX), and the ``hide-input`` tag (the
  figure first, its plotting code one click away);
- the chapter's text refers to each figure by its name ({numref} or {ref}), so its number is shown.

The built site is checked against the same rules in a browser (tests/book/test_browser.py: alt
text, captions, code cells that scroll, figure size on a phone).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from sitekit import ROOT

MAX_COLUMNS = 88
MIN_ALT_WORDS = 8
NOTEBOOKS = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
FILE_LIKE = re.compile(r"\.(png|jpe?g|gif|svg|webp|pdf)\b|_images/|\.\./|\b[0-9a-f]{16,}\b",
                       re.IGNORECASE)
TEX_LIKE = re.compile(r"\$|\\[a-zA-Z]+")


def _chapter(stem: str) -> int:
    return int(stem.split("_", 1)[0])


def _images(cell) -> int:
    return sum(1 for out in cell.get("outputs", [])
               if out.get("output_type") in ("display_data", "execute_result")
               and any(key.startswith("image/") for key in out.get("data", {})))


def notebook_problems(nb, stem: str) -> tuple[list[str], list[str]]:
    """The rule breaches of one notebook, and the figure names it defines."""
    problems, names = [], []
    n = _chapter(stem)
    name_rule = re.compile(rf"ch{n}-fig-[a-z0-9]+(-[a-z0-9]+)*")
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        where = f"cell {index} ({cell.get('id', 'no id')})"
        for number, line in enumerate(cell.source.splitlines(), start=1):
            if len(line) > MAX_COLUMNS:
                problems.append(f"{where} line {number}: {len(line)} > {MAX_COLUMNS} columns: "
                                f"{line[:50]}...")
        images = _images(cell)
        if not images:
            continue
        if images > 1:
            problems.append(f"{where}: {images} figures in one cell (one figure per cell)")
        meta = cell.metadata.get("mystnb", {})
        figure, image = meta.get("figure", {}), meta.get("image", {})
        caption = " ".join(str(figure.get("caption", "")).split())
        name = str(figure.get("name", ""))
        alt = " ".join(str(image.get("alt", "")).split())
        if not caption:
            problems.append(f"{where}: no mystnb.figure.caption")
        if not name_rule.fullmatch(name):
            problems.append(f"{where}: mystnb.figure.name {name!r} is not ch{n}-fig-<name>")
        else:
            names.append(name)
            if not re.search(rf"\{{(num)?ref\}}`[^`]*<?{re.escape(name)}>?`", prose):
                problems.append(f"{where}: the text never refers to {name} "
                                f"({{numref}}`{name}`)")
        if len(alt.split()) < MIN_ALT_WORDS:
            problems.append(f"{where}: mystnb.image.alt {alt!r} does not say what the figure "
                            f"shows (axes, curves, the takeaway; >= {MIN_ALT_WORDS} words)")
        if alt and caption and alt.casefold() == caption.casefold():
            problems.append(f"{where}: mystnb.image.alt copies the caption")
        if FILE_LIKE.search(alt):
            problems.append(f"{where}: mystnb.image.alt looks like a file name: {alt!r}")
        if TEX_LIKE.search(alt):
            problems.append(f"{where}: mystnb.image.alt has TeX (read aloud as such): {alt!r}")
        if "hide-input" not in cell.metadata.get("tags", []):
            problems.append(f"{where}: no hide-input tag (the figure first, its code folded)")
    return problems, names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_chapter_follows_the_reading_rules(path: Path):
    problems, _ = notebook_problems(nbformat.read(path, as_version=4), path.stem)
    assert not problems, f"{path.relative_to(ROOT)}:\n  " + "\n  ".join(problems)


def test_figure_names_are_unique():
    seen: dict[str, str] = {}
    clashes = []
    for path in NOTEBOOKS:
        for name in notebook_problems(nbformat.read(path, as_version=4), path.stem)[1]:
            if name in seen:
                clashes.append(f"{name} in {seen[name]} and {path.stem}")
            seen[name] = path.stem
    assert not clashes, clashes


def _figure_cell(**meta):
    cell = nbformat.v4.new_code_cell("ax = plot(x, y)\nplt.show()", **meta)
    cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=",
                                                                   "text/plain": "<Figure>"})]
    return cell


def test_the_rules_accept_a_conforming_figure_and_reject_a_bare_one():
    """The checker itself: a figure cell written to the rules passes, a bare one fails each rule."""
    good = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("As {numref}`ch3-fig-shift` shows, the curves agree."),
        _figure_cell(metadata={
            "mystnb": {"figure": {"caption": "The fitted posterior after the prior shift.",
                                  "name": "ch3-fig-shift"},
                       "image": {"alt": "Two S-shaped curves of the posterior against x; the "
                                        "shifted fit lies on the true curve."}},
            "tags": ["hide-input"]}),
    ])
    assert notebook_problems(good, "03_class_priors") == ([], ["ch3-fig-shift"])
    bare = nbformat.v4.new_notebook(cells=[_figure_cell(metadata={}),
                                           nbformat.v4.new_code_cell("x = 1  # " + "y" * 90)])
    problems, _ = notebook_problems(bare, "03_class_priors")
    for rule in ("caption", "mystnb.figure.name", "mystnb.image.alt", "hide-input", "columns"):
        assert any(rule in p for p in problems), (rule, problems)
