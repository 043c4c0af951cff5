"""The whole-book PDF (``_build/html/softprob-book.pdf``, made by ``.ci/setup`` with
``_ext/print_book.py``): what a reader who downloads it from any page gets.

- it exists, is as current as the site, and has a plausible number of A4 pages;
- bookmarks: an outline whose top level lists every chapter of _toc.yml by its title;
- a table of contents with page numbers, and every chapter title in the text;
- no raw TeX in the text outside code (``pdftohtml -xml``, Debian's poppler-utils, tells the
  monospace font of code apart): every formula was typeset;
- no word beyond the page's right margin (``pdftotext -bbox``): code wraps, wide equations and
  tables fit the column;
- the website's numbers: every figure, theorem, proposition and lemma number of the site is in
  the PDF, figures in the same order, and every numbered equation's number;
- working cross-references: links inside the PDF, every one to a destination that exists.
"""

from __future__ import annotations

import functools
import html
import io
import logging
import re
import shutil
import subprocess

import pytest
from pypdf import PdfReader
from pypdf.generic import Destination

from sitekit import BOOK_PDF, HTML_DIR, ROOT, SETUP, toc_docs

logging.getLogger("pypdf").setLevel(logging.ERROR)  # Chromium's trailer /Size is off by a few

MIN_PAGES, MAX_PAGES = 30, 600
# _static/softprob.css: @page { size: A4; margin: 16mm 15mm 18mm 15mm }
RIGHT_MARGIN_PT = 15 / 25.4 * 72
TOLERANCE_PT = 1.5
RAW_TEX = re.compile(r"\$\$|\\[\[\]()]|\\(?:frac|begin|end|mathrm|mathbb|mathcal|operatorname|left|"
                     r"right|sum|prod|int|log|exp|theta|sigma|eta|pi|mid|cdot|hat|bar|tilde|"
                     r"sqrt|partial|nabla|mathbb|text|label|eqref|ref|tag)\b")


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is missing (Debian's poppler-utils): {SETUP}", pytrace=False)
    return path


@pytest.fixture(scope="module")
def pdf() -> PdfReader:
    if not BOOK_PDF.is_file():
        pytest.fail(f"no whole-book PDF at {BOOK_PDF}: {SETUP}", pytrace=False)
    return PdfReader(io.BytesIO(BOOK_PDF.read_bytes()))


@pytest.fixture(scope="module")
def text() -> str:
    out = subprocess.run([_need("pdftotext"), "-enc", "UTF-8", str(BOOK_PDF), "-"],
                         check=True, capture_output=True, text=True).stdout
    return out


@functools.cache
def _squash(s: str) -> str:
    return re.sub(r"\s+", " ", s.replace("\u00ad", "")).strip()


def _chapter_titles() -> dict[str, str]:
    """docname -> title of every page in _toc.yml, read from the built site's <h1>."""
    titles = {}
    for doc in toc_docs(root=False):
        page = (HTML_DIR / (doc + ".html")).read_text(encoding="utf-8")
        h1 = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S)
        assert h1, f"{doc}.html has no <h1>: {SETUP}"
        titles[doc] = _squash(html.unescape(re.sub(r"<[^>]+>|#", "", h1.group(1))))
    return titles


def _site_numbers() -> tuple[list[str], set[str]]:
    """The website's caption numbers ("Fig. 3", "Theorem 2", ...) in reading order, and its
    equation numbers."""
    docs = toc_docs()
    captions, equations = [], set()
    for doc in docs:
        page = (HTML_DIR / (re.sub(r"\.(ipynb|md)$", "", doc) + ".html")).read_text("utf-8")
        article = page[page.find('<article class="bd-article">'):]
        captions += [_squash(c) for c in re.findall(r'class="caption-number">([^<]+)<', article)]
        equations |= set(re.findall(r'<span class="eqno">\(([\d.]+)\)', article))
    return captions, equations


def test_pdf_is_current_and_plausible(pdf):
    newest = max(p.stat().st_mtime for p in HTML_DIR.joinpath("book").glob("*.html"))
    assert BOOK_PDF.stat().st_mtime >= newest - 1, (
        f"{BOOK_PDF.name} is older than the site's pages: {SETUP}")
    pages = len(pdf.pages)
    assert MIN_PAGES <= pages <= MAX_PAGES, f"{pages} pages"
    width, height = (float(v) for v in pdf.pages[0].mediabox[2:])
    assert abs(width - 595) < 2 and abs(height - 842) < 2, f"not A4: {width} x {height} pt"
    info = pdf.metadata or {}
    assert info.get("/Title") and info.get("/Author"), info


def test_bookmarks_list_every_chapter(pdf):
    outline = pdf.outline
    assert outline, "the PDF has no bookmarks"
    # A numbered chapter's bookmark carries its number, as its heading does: "3. Class priors".
    top = [re.sub(r"^\d+(\.\d+)*\.? ", "", _squash(item.title)) for item in outline
           if isinstance(item, Destination)]
    missing = [t for t in _chapter_titles().values() if t not in top]
    assert not missing, f"chapters without a top-level bookmark: {missing}; top level: {top}"


def test_contents_and_chapter_titles(text):
    flat = _squash(text)
    assert re.search(r"\bContents\b", flat), "no table of contents"
    contents = flat[flat.find("Contents"):][:6000]
    missing_in_contents = [t for t in _chapter_titles().values()
                           if not re.search(re.escape(t) + r" \d+", contents)]
    assert not missing_in_contents, f"not in the contents with a page number: {missing_in_contents}"
    missing = [t for t in _chapter_titles().values() if flat.count(t) < 2]
    assert not missing, f"chapter titles not in the text: {missing}"


def test_no_raw_tex():
    """No TeX source in the PDF's prose (code, in a monospace font, may quote TeX: r"$\\theta$")."""
    xml = subprocess.run([_need("pdftohtml"), "-xml", "-i", "-q", "-stdout", str(BOOK_PDF)],
                         check=True, capture_output=True, text=True).stdout
    mono = {fid for fid, family in re.findall(r'<fontspec id="(\d+)"[^>]*family="([^"]+)"', xml)
            if "mono" in family.lower()}
    prose = "\n".join(html.unescape(re.sub(r"<[^>]+>", "", line)) for fid, line in
                      re.findall(r'<text [^>]*font="(\d+)"[^>]*>(.*?)</text>', xml)
                      if fid not in mono)
    assert len(prose) > 10_000, "no text extracted from the PDF"
    found = [f"...{prose[max(m.start() - 40, 0):m.end() + 30]}..." for m in RAW_TEX.finditer(prose)]
    assert not found, "raw TeX in the PDF's text:\n" + "\n".join(found[:20])


def test_no_text_beyond_the_right_margin():
    out = subprocess.run([_need("pdftotext"), "-bbox", str(BOOK_PDF), "-"],
                         check=True, capture_output=True, text=True).stdout
    beyond = []
    for number, (width, body) in enumerate(
            re.findall(r'<page width="([\d.]+)" height="[\d.]+">(.*?)</page>', out, re.S), 1):
        limit = float(width) - RIGHT_MARGIN_PT + TOLERANCE_PT
        for x_max, word in re.findall(r'<word xMin="[\d.]+" yMin="[\d.]+" xMax="([\d.]+)" '
                                      r'yMax="[\d.]+">([^<]*)</word>', body):
            if float(x_max) > limit:
                beyond.append(f"page {number}: {html.unescape(word)!r} ends at {float(x_max):.1f} pt"
                              f" (margin at {limit - TOLERANCE_PT:.1f} pt)")
    assert not beyond, f"{len(beyond)} words past the right margin:\n" + "\n".join(beyond[:20])


def test_numbers_match_the_website(text):
    captions, equations = _site_numbers()
    assert captions and equations, f"no numbered captions or equations in the site: {SETUP}"
    flat = _squash(text)
    missing = [c for c in captions if c not in flat]
    assert not missing, f"numbers of the site not in the PDF: {missing}"
    site_figures = [c for c in captions if c.startswith("Fig.")]
    pdf_figures = [f"Fig. {n}" for n in re.findall(r"\bFig\. (\d+(?:\.\d+)*)", flat)]
    pdf_figures = [f for f in dict.fromkeys(pdf_figures)]  # first mention of each, in order
    assert [f for f in pdf_figures if f in site_figures] == site_figures, (
        "figures in another order than on the site", pdf_figures, site_figures)
    numbers = set(re.findall(r"\((\d+(?:\.\d+)*)\)", flat))
    assert not equations - numbers, f"equation numbers not in the PDF: {sorted(equations - numbers)}"


def test_cross_references_are_links_inside_the_pdf(pdf):
    named = set(pdf.named_destinations)
    internal, broken = 0, []
    for number, page in enumerate(pdf.pages, 1):
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/Subtype") != "/Link":
                continue
            dest = annot.get("/Dest")
            action = annot.get("/A")
            if dest is None and action is not None and action.get("/S") == "/GoTo":
                dest = action.get("/D")
            if dest is None:
                continue  # a link to the web (a DOI)
            internal += 1
            if isinstance(dest, str) and dest not in named and "/" + dest not in named:
                broken.append(f"page {number}: {dest}")
    assert internal >= 100, f"only {internal} internal links (cross-references, citations, contents)"
    assert not broken, f"links to missing destinations: {broken[:20]}"
