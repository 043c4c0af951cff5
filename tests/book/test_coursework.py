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
