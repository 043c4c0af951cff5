"""Print the whole book to one PDF with Chromium (run by .ci/setup after the HTML build).

    .venv/bin/jupyter-book build . --builder singlehtml     # ~3 s: reuses the HTML build's doctrees
    .venv/bin/python _ext/print_book.py                      # -> _build/html/softprob-book.pdf

Why this route, not LaTeX (``--builder pdflatex``):
- The PDF is the website on paper: the same Sphinx environment numbers equations, figures and
  theorems, so every number matches the site by construction, and MathJax typesets the math
  exactly as on the site (LaTeX would re-typeset it, and would need every construct the site
  uses, sphinx-proof's boxes and myst-nb's outputs included, to have a LaTeX writer).
- It needs nothing new on the machine: Debian's Chromium is already installed for the browser
  test, where TeX Live is ~190 MB more to download and unpack, and a LaTeX run of a 100-page book
  takes minutes, not seconds, on two shared cores.
- One stylesheet serves both readers: the print rules in _static/softprob.css are the ones a
  reader gets when printing a chapter from the browser, and this script is their test.

What the script does: it serves the single-page build on 127.0.0.1 (every other host blocked),
opens it in headless Chromium in light mode with print media at the printed column's width,
turns the book's title into a title page followed by a table of contents (chapters and their
sections, with page numbers), scales any display equation wider than the column to fit
(``window.softprobFitEquations`` from _static/softprob.js), and prints A4 pages with page
numbers, a tagged structure and an outline (PDF bookmarks from the headings). It prints twice:
the first PDF tells on which page each contents entry starts (from the named destinations that
Chromium writes for same-page links); the second, with those numbers filled in, is kept. pypdf
then sets the title and author, and puts back the spaces that Chromium drops from the bookmark
of a heading that wraps; qpdf (Debian's package) packs the objects into compressed streams. Internal links (cross-references, citations, contents) are
same-page anchors, so they are links inside the PDF.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import io
import logging
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from playwright.sync_api import sync_playwright
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject, TextStringObject

ROOT = Path(__file__).resolve().parents[1]
logging.getLogger("pypdf").setLevel(logging.ERROR)  # Chromium's trailer /Size is off by a few
CHROMIUM = os.environ.get("SOFTPROB_CHROMIUM", "/usr/bin/chromium")
PDF_NAME = "softprob-book.pdf"  # the name _ext/book_pdf.py links to
PAGE_NAME = "softprob-book.html"  # the single page, copied to the top of the build (see main)
# A4 with the @page margins of _static/softprob.css (15 mm left and right): the printed column
# is 180 mm wide, 680 CSS px at 96 px per inch. The page is laid out at that width before the
# equations are fitted, so their measurements are those of the paper.
COLUMN_PX = round(180 / 25.4 * 96)
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-extensions",
    "--no-first-run", "--no-default-browser-check",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]
FOOTER = ('<div style="width:100%;font-size:8pt;font-family:DejaVu Sans,sans-serif;color:#444;'
          'text-align:center;"><span class="pageNumber"></span></div>')
PDF_OPTIONS = {
    "prefer_css_page_size": True, "print_background": True, "outline": True, "tagged": True,
    "display_header_footer": True, "header_template": "<span></span>", "footer_template": FOOTER,
}

WAIT_JS = """async () => {
    const mj = window.MathJax;
    if (mj && mj.startup && mj.startup.promise) await mj.startup.promise;
    await document.fonts.ready;
    await Promise.all([...document.images].map(img => {
        img.loading = 'eager';
        return img.complete ? null : new Promise(done => {
            img.addEventListener('load', done); img.addEventListener('error', done); });
    }));
    return [...document.images].filter(img => !(img.complete && img.naturalWidth > 0))
        .map(img => img.src);
}"""

# Title page and contents. Returns the anchors of the contents entries, in order.
PREPARE_JS = r"""({title, author, note}) => {
    document.documentElement.classList.add('softprob-book-pdf');
    document.title = title;
    const article = document.querySelector('article.bd-article');
    const h1 = article.querySelector('h1');
    // The book's title is a title page, not a heading: the chapters are the outline's top level.
    const titlePage = document.createElement('div');
    titlePage.id = 'softprob-title-page';
    titlePage.innerHTML = '<p class="softprob-title"></p><p class="softprob-author"></p>' +
        '<p class="softprob-note"></p>';
    titlePage.querySelector('.softprob-title').textContent = title;
    titlePage.querySelector('.softprob-author').textContent = author;
    titlePage.querySelector('.softprob-note').textContent = note;
    h1.replaceWith(titlePage);

    // Sections of different chapters can share an id ("what-this-chapter-verified"): each
    // contents entry links to an anchor of its own, placed at its heading.
    let count = 0;
    const anchorOf = h => {
        if (!h.dataset.softprobAnchor) {
            const span = document.createElement('span');
            span.id = 'softprob-contents-' + (++count);
            h.before(span);
            h.dataset.softprobAnchor = span.id;
        }
        return h.dataset.softprobAnchor;
    };
    const nav = document.createElement('nav');
    nav.id = 'softprob-contents';
    nav.setAttribute('aria-label', 'Contents');
    nav.innerHTML = '<h2>Contents</h2>';
    const top = document.createElement('ol');
    nav.appendChild(top);
    const anchors = [];
    const entry = (list, h) => {
        const li = document.createElement('li');
        const a = document.createElement('a');
        a.href = '#' + anchorOf(h);
        // The heading's own nodes, so typeset math in a title stays typeset.
        a.append(...[...h.childNodes].filter(n => !(n.classList &&
            n.classList.contains('headerlink'))).map(n => n.cloneNode(true)));
        const num = document.createElement('span');
        num.className = 'softprob-page';
        num.dataset.anchor = anchorOf(h);
        num.textContent = '000';
        li.append(a, num);
        list.appendChild(li);
        anchors.push(anchorOf(h));
        return li;
    };
    // Front matter (the introduction's sections), then each chapter with its sections.
    for (const h of article.querySelectorAll('section[id] > h2')) {
        const li = entry(top, h);
        const sub = [...h.parentElement.querySelectorAll(':scope > section[id] > h3')];
        if (h.parentElement.classList.contains('softprob-chapter') && sub.length) {
            const ol = document.createElement('ol');
            li.appendChild(ol);
            sub.forEach(s => entry(ol, s));
        }
    }
    titlePage.after(nav);
    return anchors;
}"""

HEADINGS_JS = """() => [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')].map(h =>
    [...h.childNodes].filter(n => !(n.classList && n.classList.contains('headerlink')))
        .map(n => n.textContent).join('').replace(/\\s+/g, ' ').trim())"""

FILL_JS = """(pages) => {
    document.querySelectorAll('#softprob-contents .softprob-page').forEach(span => {
        span.textContent = pages[span.dataset.anchor] || '';
    });
}"""

STYLE = """
#softprob-title-page { text-align: center; padding-top: 30vh; break-after: page; }
#softprob-title-page .softprob-title { font-size: 2.4rem; font-weight: 600; line-height: 1.2; }
#softprob-title-page .softprob-author { font-size: 1.3rem; margin-top: 2rem; }
#softprob-title-page .softprob-note { font-size: 0.9rem; margin-top: 4rem; color: #444; }
#softprob-contents .softprob-page { font-variant-numeric: tabular-nums; }
"""


def serve(directory: Path) -> tuple[str, http.server.ThreadingHTTPServer]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(directory)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{httpd.server_address[1]}", httpd


def root_page(build: Path) -> Path:
    """The single page: the build's index.html redirects to it (the root document)."""
    index = (build / "index.html").read_text(encoding="utf-8")
    match = re.search(r'url=([^"\']+)', index)
    page = build / (match.group(1).strip() if match else "index.html")
    if not page.is_file():
        raise SystemExit(f"{page} missing: run `jupyter-book build . --builder singlehtml` first")
    return page


def dest_pages(pdf: bytes) -> dict[str, int]:
    """Page number (1-based) of each named destination of a PDF."""
    reader = PdfReader(io.BytesIO(pdf))
    index = {page.indirect_reference.idnum: n for n, page in enumerate(reader.pages, start=1)}
    found = {}
    for name, dest in reader.named_destinations.items():
        ref = dest.page if hasattr(dest.page, "idnum") else None
        number = index.get(ref.idnum) if ref is not None else None
        if number is None:
            try:
                number = reader.get_destination_page_number(dest) + 1
            except Exception:  # noqa: BLE001 - a destination we cannot place is left unnumbered
                continue
        found[name.lstrip("/")] = number
    return found


def respace_outline(writer: PdfWriter, headings: list[str]) -> int:
    """Give bookmarks the words of their headings: Chromium drops the space at the line break
    of a heading that wraps ("between conditionals" -> "betweenconditionals")."""
    by_letters = {re.sub(r"\s+", "", h): h for h in headings}
    fixed = 0
    outlines = writer.root_object.get("/Outlines")
    stack = [outlines.get_object().get("/First")] if outlines is not None else []
    while stack:
        ref = stack.pop()
        if ref is None:
            continue
        item = ref.get_object()
        title = str(item.get("/Title", ""))
        proper = by_letters.get(re.sub(r"\s+", "", title))
        if proper and proper != title:
            item[NameObject("/Title")] = TextStringObject(proper)
            fixed += 1
        stack += [item.get("/Next"), item.get("/First")]
    return fixed


def compress(pdf: Path) -> bool:
    """Rewrite the PDF with object streams (qpdf, Debian's package): Chromium writes the tagged
    structure uncompressed, and this halves the file. Without qpdf the file is left as it is."""
    qpdf = shutil.which("qpdf")
    if qpdf is None:
        print("qpdf is missing: the PDF is left uncompressed", file=sys.stderr)
        return False
    packed = pdf.with_suffix(".packed.pdf")
    subprocess.run([qpdf, "--warning-exit-0", "--object-streams=generate", "--compress-streams=y",
                    "--recompress-flate", "--compression-level=9", str(pdf), str(packed)],
                   check=True, capture_output=True)
    packed.replace(pdf)
    return True


def book_metadata() -> dict[str, str]:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    return {"title": config["title"], "author": config["author"],
            "note": f"Version {citation.get('version', '')}, {config.get('copyright', '')}. "
                    "Printed from the book's website; equation, figure and theorem numbers "
                    "are the website's."}


def print_book(build: Path, out: Path) -> dict:
    started = time.perf_counter()
    page_file = root_page(build)
    # Sphinx writes the single page's asset links relative to the top of the build, so the
    # page is served from there (the root document is book/intro.html).
    shutil.copyfile(page_file, build / PAGE_NAME)
    meta = book_metadata()
    url, httpd = serve(build)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": COLUMN_PX, "height": 1000},
                                          color_scheme="light", service_workers="block")
            context.add_init_script(
                "localStorage.setItem('mode', 'light'); localStorage.setItem('theme', 'light');")
            page = context.new_page()
            blocked: list[str] = []

            def route(r, request):
                if request.url.startswith(url + "/") or urlsplit(request.url).scheme == "data":
                    r.continue_()
                else:
                    blocked.append(request.url)
                    r.abort("blockedbyclient")

            page.route("**/*", route)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{url}/{PAGE_NAME}", wait_until="load", timeout=120_000)
            page.emulate_media(media="print", color_scheme="light")
            missing = page.evaluate(WAIT_JS)
            if missing or errors:
                raise SystemExit(f"page not ready: images {missing}, errors {errors}")
            page.add_style_tag(content=STYLE)
            anchors = page.evaluate(PREPARE_JS, meta)
            fitted = page.evaluate("() => window.softprobFitEquations()")
            first = page.pdf(**PDF_OPTIONS)
            dests = dest_pages(first)
            numbers = {a: dests[a] for a in anchors if a in dests}
            page.evaluate(FILL_JS, numbers)
            final = page.pdf(**PDF_OPTIONS)
            headings = page.evaluate(HEADINGS_JS)
            browser.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
        (build / PAGE_NAME).unlink(missing_ok=True)

    # An incremental update: Chromium's file is kept byte for byte (its compressed object
    # streams included) and only the new information dictionary is appended.
    writer = PdfWriter(io.BytesIO(final), incremental=True)
    writer.add_metadata({"/Title": meta["title"], "/Author": meta["author"],
                         "/Subject": "Whole-book PDF of the website"})
    respaced = respace_outline(writer, headings)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as fh:
        writer.write(fh)
    compressed = compress(out)
    pages = len(PdfReader(out).pages)
    return {"pages": pages, "bytes": out.stat().st_size, "compressed": compressed,
            "contents": len(anchors),
            "respaced": respaced,
            "numbered": len(numbers), "fitted_equations": fitted, "blocked": blocked,
            "seconds": time.perf_counter() - started}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--build", type=Path, default=ROOT / "_build" / "singlehtml",
                        help="the single-page build (default: _build/singlehtml)")
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "html" / PDF_NAME,
                        help=f"the PDF to write (default: _build/html/{PDF_NAME})")
    args = parser.parse_args(argv)
    result = print_book(args.build.resolve(), args.out.resolve())
    print(f"{args.out}: {result['pages']} pages, {result['bytes'] / 1e6:.1f} MB"
          f"{'' if result['compressed'] else ' (not compressed: no qpdf)'}, "
          f"{result['numbered']}/{result['contents']} contents entries numbered, "
          f"{result['fitted_equations']} wide equations scaled to the column, "
          f"{len(result['blocked'])} requests to other hosts blocked, "
          f"{result['seconds']:.0f} s")
    if result["numbered"] < result["contents"]:
        print("some contents entries have no page number", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
