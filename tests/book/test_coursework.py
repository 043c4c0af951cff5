"""Coursework aids in the built site: the cite block of every chapter, the version in every footer,
CITATION.cff downloadable, the list of theorems, and numbering within chapters.

Static checks of ``_build/html`` (the browser test opens the same pages); every expected value is
read from the sources (CITATION.cff, the notebooks), never from the build itself.
"""

from __future__ import annotations

import re

import nbformat
import pytest
import yaml

from sitekit import HTML_DIR, PAGES, ROOT, require_prerequisites

CFF = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
# index.html only redirects to the root page; genindex/search pages are Sphinx's own
READING = [p for p in PAGES if p != "index.html"]
CHAPTERS = sorted(p for p in PAGES if re.fullmatch(r"book/\d\d_[^/]+\.html", p))
LABEL = re.compile(r"^:label:\s*(\S+)", re.MULTILINE)


def _text(page: str) -> str:
    html = (HTML_DIR / page).read_text(encoding="utf-8")
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _proof_labels() -> dict[str, list[str]]:
    """Labels of every prf directive in each chapter's markdown cells, in order."""
    found = {}
    for path in sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        blocks = re.findall(r"```\{prf:\w+\}[^\n]*\n((?::\w+:[^\n]*\n)*)", text)
        found[path.stem] = [m for b in blocks for m in LABEL.findall(b)]
    return found


@pytest.fixture(scope="module", autouse=True)
def _built():
    require_prerequisites()


def test_every_chapter_page_has_a_cite_block_with_the_current_version():
    assert CHAPTERS, "no chapter pages in the build"
    version, year = str(CFF["version"]), str(CFF["date-released"])[:4]
    for page in CHAPTERS:
        html = (HTML_DIR / page).read_text(encoding="utf-8")
        number = int(page.split("/")[1][:2])
        start = html.find("cite-chapter")
        assert start > 0, f"{page}: no 'Cite this chapter' block"
        block = html[start:html.find("See How to cite", start)]
        block = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", block))
        assert f"version {version}" in block and f"({year})" in block, (page, block[:300])
        assert f"softprob{year}ch{number}" in block, f"{page}: BibTeX key missing"
        assert page in block, f"{page}: the block does not give the page's address"


def test_every_page_shows_version_date_and_licence():
    expected = f"version {CFF['version']} ({CFF['date-released']})"
    missing = [p for p in READING if expected not in _text(p) or "MIT licence" not in _text(p)]
    assert not missing, f"pages without '{expected}' and the licence in the footer: {missing}"


def test_citation_cff_is_downloadable_from_every_page():
    assert (HTML_DIR / "CITATION.cff").read_bytes() == (ROOT / "CITATION.cff").read_bytes()
    for page in READING:
        html = (HTML_DIR / page).read_text(encoding="utf-8")
        hrefs = re.findall(r'href="([^"]*CITATION\.cff)"', html)
        assert hrefs, f"{page}: no link to CITATION.cff"
        target = (HTML_DIR / page).parent / hrefs[0]
        assert target.resolve() == (HTML_DIR / "CITATION.cff").resolve(), (page, hrefs[0])


def test_theorem_list_names_every_statement_in_reading_order():
    html = (HTML_DIR / "book" / "theorems.html").read_text(encoding="utf-8")
    listed = re.findall(r'href="(\d\d_[^"#]+)\.html#([^"]+)"', html)
    expected = [(stem, label) for stem, labels in _proof_labels().items() for label in labels]
    assert sorted(listed) == sorted(expected), "theorem list and the chapters' statements differ"
    chapters_in_order = [stem for stem, _ in listed]
    assert chapters_in_order == sorted(chapters_in_order), "theorem list not in chapter order"


def test_statements_are_numbered_within_their_chapter_and_show_their_label():
    for page in CHAPTERS:
        number = int(page.split("/")[1][:2])
        html = (HTML_DIR / page).read_text(encoding="utf-8")
        numbers = re.findall(r'class="caption-number">(?:Theorem|Proposition|Lemma|Corollary)'
                             r' ([\d.]+) ', html)
        assert all(n.startswith(f"{number}.") for n in numbers), (page, numbers)
        counts = [int(n.split(".")[1]) for n in numbers]
        assert counts == list(range(1, len(counts) + 1)), (page, numbers)
        for label in re.findall(r'<div class="proof [^"]*" id="([^"]+)"', html):
            assert f'href="#{label}"' in html, f"{page}: statement {label} shows no label link"


def test_equations_are_numbered_within_their_chapter():
    for page in CHAPTERS:
        number = int(page.split("/")[1][:2])
        html = (HTML_DIR / page).read_text(encoding="utf-8")
        eqnos = re.findall(r'<span class="eqno">\(([\d.]+)\)', html)
        assert eqnos, f"{page}: no numbered equations"
        assert all(e.startswith(f"{number}.") for e in eqnos), (page, eqnos[:5])


# ------------------------------------------------------------------ exercises (issue 12)
EXERCISE = re.compile(r"```\{exercise\}[^\n]*\n((?::\w+:[^\n]*\n)*)")
SOLUTION = re.compile(r"```\{solution-start\}\s+(\S+)\s*\n((?::\w+:[^\n]*\n)*)")
KINDS = ("kind-proof", "kind-experiment", "kind-concept")


def _exercises() -> dict[str, list[tuple[str, set[str]]]]:
    """(label, classes) of every exercise in each chapter's markdown cells, in order."""
    found = {}
    for path in sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        found[path.stem] = []
        for options in EXERCISE.findall(text):
            labels = LABEL.findall(options)
            classes = re.findall(r"^:class:\s*(.+)$", options, re.MULTILINE)
            found[path.stem].append((labels[0] if labels else "",
                                     set(classes[0].split()) if classes else set()))
    return found


def test_every_chapter_has_three_kinds_of_labelled_exercises_and_marks_the_hardest():
    exercises = _exercises()
    assert len(exercises) == len(CHAPTERS), (sorted(exercises), CHAPTERS)
    for stem, found in exercises.items():
        number = int(stem[:2])
        assert len(found) >= 3, f"{stem}: {len(found)} exercises (at least 3)"
        for label, classes in found:
            assert re.fullmatch(rf"ch{number}-ex-[a-z0-9-]+", label), f"{stem}: label {label!r}"
            assert len(classes & set(KINDS)) == 1, f"{stem} {label}: one kind of {KINDS}"
        kinds = {k for _, classes in found for k in classes & set(KINDS)}
        assert kinds == set(KINDS), f"{stem}: kinds {sorted(kinds)} (every kind at least once)"
        hardest = [label for label, classes in found if "hardest" in classes]
        assert len(hardest) == 1, f"{stem}: hardest marked on {hardest} (exactly one)"


def test_every_exercise_has_a_collapsed_solution_on_its_page():
    for stem, found in _exercises().items():
        nb = nbformat.read(ROOT / "book" / f"{stem}.ipynb", as_version=4)
        text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        solutions = dict(SOLUTION.findall(text))
        html = (HTML_DIR / "book" / f"{stem}.html").read_text(encoding="utf-8")
        for label, _ in found:
            assert label in solutions, f"{stem}: {label} has no solution"
            assert re.search(r":class:[^\n]*\bdropdown\b", solutions[label]), \
                f"{stem}: the solution of {label} is not collapsed (:class: dropdown)"
            assert re.search(rf'<div class="exercise [^"]*" id="{label}">', html), \
                f"{stem}.html: no exercise box with id {label}"
            solution = re.search(r'<div class="solution dropdown admonition"[^>]*>\s*'
                                 rf'<p class="admonition-title">Solution to<a [^>]*href="#{label}"',
                                 html)
            assert solution, f"{stem}.html: no collapsed solution box pointing to #{label}"


def test_exercise_list_names_every_exercise_with_chapter_and_kind():
    html = (HTML_DIR / "book" / "exercises.html").read_text(encoding="utf-8")
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.DOTALL)
    text = {re.search(r'href="([^"]+)"', r).group(1): re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r))
            for r in rows if 'href="' in r}
    for stem, found in _exercises().items():
        for label, classes in found:
            href = f"{stem}.html#{label}"
            assert href in text, f"exercises.html: no row linking to {href}"
            kind = next(k for k in KINDS if k in classes).removeprefix("kind-")
            assert kind in text[href], f"exercises.html: the row of {label} does not say {kind!r}"
            assert ("hardest" in text[href]) == ("hardest" in classes), f"{label}: difficulty"


def test_every_glossary_term_is_linked_from_a_chapter():
    """The glossary defines the terms the chapters use: each is the target of a {term} link in at
    least one chapter (its first use there), so no entry is unreachable from the text."""
    glossary = (ROOT / "book" / "glossary.md").read_text(encoding="utf-8")
    block = glossary[glossary.index("```{glossary}"):]
    terms = {line.strip().lower() for line in block.splitlines()[1:] if re.match(r"[A-Za-z]", line)}
    assert len(terms) >= 20, f"only {len(terms)} glossary terms"
    linked = set()
    for path in sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                for text in re.findall(r"\{term\}`([^`]*)`", cell.source):
                    target = re.search(r"<([^>]*)>\s*$", text)
                    linked.add((target.group(1) if target else text).strip().lower())
    assert not terms - linked, f"glossary terms no chapter links to: {sorted(terms - linked)}"
