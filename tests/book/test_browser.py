"""The built book in a real browser, with no network but a local server.

Debian's Chromium (driven by Playwright, no browser download) opens every HTML page of the built
book from an HTTP server on 127.0.0.1 started here. Every request to any other host is aborted and
recorded as a failure, and the browser's own resolver maps every other host to "not found". For each
page: no console errors, no failed requests, zero requests to other hosts, every math element
typeset by MathJax (no raw ``$$``/``\\begin`` left, no MathJax error boxes), every image loaded,
every internal link and anchor resolving, no launch/repository buttons, and for notebook pages a
download button whose target is a valid notebook. At 1280 px every page also has: one viewport
and one description meta tag, a "Download PDF" link to the whole-book PDF, images whose alt text
says what they show (never empty, never a file name or path), each notebook figure in a
<figure> with a caption, no display equation wider than its column and no code cell that
scrolls sideways. On a 390 px phone every figure is shown at >= 62 % of its size (so its 11 pt
text stays >= 9.5 CSS px) and, in dark mode, on no white box. A screenshot of chapter 1, phone
screenshots of a chapter figure (light and dark) and a summary go to ``test-artifacts/``.

Pages are discovered from the build, not listed here. The build is ``_build/html`` (set
``SOFTPROB_HTML`` to test another build directory, e.g. one made with ``--path-output``).
Nothing here skips: a missing build or browser is a failure that says to run ``bash .ci/setup``.
"""

from __future__ import annotations

import base64
import re
import time
from urllib.parse import unquote, urlsplit

import nbformat
import pytest
import yaml

from sitekit import (ARTIFACTS, BOOK_PDF, CHROMIUM, HEADER_BUTTONS_OFF, HTML_DIR, MISSING, PAGES, ROOT,
                     SETUP, Visit, is_external, prerequisite_problems, require_prerequisites, scan,
                     toc_docs)

# Alt text that is a file name, a path or a content hash (myst-nb's default is the image's path).
PATH_LIKE_ALT = re.compile(r"\.(png|jpe?g|gif|svg|webp|pdf)\b|_images/|\.\./|\\|\b[0-9a-f]{16,}\b",
                           re.IGNORECASE)
# A figure's text is >= 11 pt at 100 dpi (softprob.plotting.STYLE), 15.3 CSS px at full size; at
# this scale or more it stays >= 9.5 CSS px on a phone.
MIN_PHONE_SCALE = 0.62


# ---------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def stats(request):
    """Counters over the whole module; written to test-artifacts/ and the terminal summary."""
    totals = {"pages": 0, "requests": 0, "external": 0, "failed": 0, "display": 0, "numbered": 0,
              "inline": 0, "images": 0, "links": 0, "notebooks": 0, "search_hits": 0, "mathjax": None}
    started = time.perf_counter()
    yield totals
    lines = [
        f"browser test of {HTML_DIR} with {CHROMIUM}",
        f"pages checked: {totals['pages']} of {len(PAGES)} built HTML pages",
        (f"requests made: {totals['requests']} to the local server, "
         f"{totals['external']} to other hosts (blocked), {totals['failed']} failed"),
        (f"equations typeset: {totals['display']} display ({totals['numbered']} numbered), "
         f"{totals['inline']} inline, by MathJax {totals['mathjax']} served from _static/mathjax"),
        f"images loaded: {totals['images']}; internal links resolved: {totals['links']}",
        (f"notebook downloads validated: {totals['notebooks']}; "
         f"offline search hits for 'entropy': {totals['search_hits']}"),
        f"browser time: {time.perf_counter() - started:.1f} s",
    ]
    text = "\n".join(lines)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "browser-summary.txt").write_text(text + "\n", encoding="utf-8")
    print("\n" + text)
    request.config.softprob_browser_summary = text  # printed by tests/conftest.py's summary hook


DOM_FACTS = r"""async () => {
    const display = [...document.querySelectorAll('div.math')];
    const inline = [...document.querySelectorAll('span.math')];
    const raw = e => (e.id ? '#' + e.id + ' ' : '') + e.textContent.trim().slice(0, 70);
    const clone = document.body.cloneNode(true);
    clone.querySelectorAll('pre, code, script, style, noscript, template, textarea, mjx-container')
         .forEach(e => e.remove());
    const text = clone.textContent.replace(/\s+/g, ' ');
    const images = [];
    for (const img of document.images) {
        let ok = img.complete && img.naturalWidth > 0;
        if (!ok && img.complete && /\.svg($|\?)/.test(img.currentSrc)) {
            ok = await img.decode().then(() => true, () => false);
        }
        images.push({src: img.currentSrc || img.src, ok});
    }
    return {
        display: display.length,
        displayTypeset: display.filter(e => e.querySelector('mjx-container[display="true"]')).length,
        numbered: display.filter(e => e.querySelector('span.eqno')).length,
        inline: inline.length,
        inlineTypeset: inline.filter(e => e.querySelector('mjx-container')).length,
        untypeset: [...display, ...inline].filter(e => !e.querySelector('mjx-container')).map(raw),
        // TeX errors render as merror; an undefined macro (MathJax's noundefined) as red \name text
        mathErrors: [...document.querySelectorAll('mjx-merror, mjx-assistive-mml mtext[mathcolor="red"]')]
            .filter(e => e.tagName.toLowerCase() !== 'mtext' || e.textContent.startsWith('\\'))
            .map(e => (e.getAttribute('data-mjx-error') || e.textContent).slice(0, 70)),
        rawTex: (text.match(/.{0,40}(\$\$|\\begin\{|\\\[|\\\(|\\[A-Za-z]{2,}).{0,40}/gs) || []),
        images,
        links: [...document.querySelectorAll('a[href]')].map(a => a.href),
        liveIds: [...document.querySelectorAll('[id]')].map(e => e.id),
        buttonsOff: [...document.querySelectorAll(BUTTONS_OFF)].map(e => e.className),
        download: [...document.querySelectorAll('a.btn-download-source-button')].map(a => a.href),
        bookPdf: [...document.querySelectorAll('a.btn-download-book-pdf-button')].map(a => a.href),
        viewport: document.querySelectorAll('meta[name="viewport"]').length,
        description: [...document.querySelectorAll('meta[name="description"]')]
            .map(m => m.content.trim()),
        alts: [...document.images].map(img => ({src: img.currentSrc || img.src,
                                               alt: img.getAttribute('alt')})),
        figures: [...document.querySelectorAll('.bd-article div.cell_output img')].map(img => {
            const fig = img.closest('figure');
            const cap = fig && fig.querySelector('figcaption .caption-text, figcaption');
            return {src: img.currentSrc || img.src, alt: (img.getAttribute('alt') || '').trim(),
                    figure: !!fig, caption: cap ? cap.textContent.trim() : ''};
        }),
        wideMath: [...document.querySelectorAll('div.math mjx-container[display="true"]')]
            .filter(m => m.scrollWidth > m.clientWidth + 1)
            .map(m => `${m.closest('div.math').id || '(unlabelled)'}: ${m.scrollWidth} px in ${m.clientWidth} px`),
        wideCode: [...document.querySelectorAll('div.cell_input pre')]
            .filter(p => p.scrollWidth > p.clientWidth + 1)
            .map(p => `${(p.closest('[id]') || {}).id || ''}: ` +
                 p.textContent.split('\n').reduce((a, b) => b.length > a.length ? b : a, '').slice(0, 60)),
    };
}""".replace("BUTTONS_OFF", repr(HEADER_BUTTONS_OFF))


def _broken_links(links: list[str], server: str, page_path: str, live_ids: set[str]) -> tuple[int, list[str]]:
    checked, broken = 0, []
    for href in links:
        parts = urlsplit(href)
        if parts.scheme in ("mailto", "javascript", "data", "tel"):
            continue
        if f"{parts.scheme}://{parts.netloc}" != server:
            continue  # an outbound link (a DOI, say): never requested, not a navigation link
        checked += 1
        rel = unquote(parts.path).lstrip("/")
        target = HTML_DIR / rel
        if not rel or rel.endswith("/"):
            target = target / "index.html"
        if not target.is_file():
            broken.append(f"{href} -> no file {target.relative_to(HTML_DIR)}")
            continue
        anchor = unquote(parts.fragment)
        if anchor and target.suffix == ".html":
            ids = scan(target).ids | (live_ids if rel == page_path else set())
            if anchor not in ids:
                broken.append(f"{href} -> no id '{anchor}' in {rel}")
    return checked, broken


def _is_notebook_page(page_path: str) -> bool:
    """Built from a notebook: the repository or the build's _sources/ holds <page>.ipynb."""
    stem = page_path[: -len(".html")] + ".ipynb"
    return (ROOT / stem).is_file() or (HTML_DIR / "_sources" / stem).is_file()


# ---------------------------------------------------------------------------- tests
def test_prerequisites_present():
    """A missing build or browser fails here, with the command that provides both."""
    problems = prerequisite_problems()
    assert not problems, "; ".join(problems) + f": {SETUP}"


def test_build_matches_sources():
    """The site is current: every page in _toc.yml is built from the source now in the repository.

    Sphinx copies each page's source to _sources/ at build time, so comparing bytes detects an
    edited, re-executed, added or removed chapter without relying on file times. (A change only to
    softprob/ or to the configuration is not detected; .ci/setup always rebuilds.)
    """
    require_prerequisites()
    problems = []
    toc = toc_docs()
    for entry in toc:
        sources = [ROOT / (entry + s) for s in (".ipynb", ".md") if (ROOT / (entry + s)).is_file()]
        if len(sources) != 1:
            problems.append(f"_toc.yml entry {entry}: expected one source file, found {len(sources)}")
            continue
        source = sources[0]
        copy = HTML_DIR / "_sources" / source.relative_to(ROOT)
        if not (HTML_DIR / (entry + ".html")).is_file() or not copy.is_file():
            problems.append(f"{source.relative_to(ROOT)} is in _toc.yml but not in the build")
        elif copy.read_bytes() != source.read_bytes():
            problems.append(f"{source.relative_to(ROOT)} changed since the book was built")
    built_chapters = {p[: -len(".html")] for p in PAGES if p.startswith("book/")}
    for gone in sorted(built_chapters - set(toc)):
        problems.append(f"{gone}.html is built but no longer in _toc.yml")
    assert not problems, (f"the built book at {HTML_DIR} is stale: " + "; ".join(problems)
                          + f"; {SETUP}")


def test_no_page_references_third_party_resources():
    """Static check of every page and stylesheet: nothing that loads from another host.

    Complements the browser check below, which only sees what a page loads without interaction:
    scripts, stylesheets, fonts, images, frames and analytics snippets must all be local.
    """
    require_prerequisites()
    offenders = []
    for path in PAGES:
        found = scan(HTML_DIR / path)
        offenders += [f"{path}: loads {url}" for url in found.resources if is_external(url)]
        offenders += [f"{path}: inline script names {url}" for url in found.inline_urls]
    for css in HTML_DIR.joinpath("_static").rglob("*.css"):
        text = css.read_text(encoding="utf-8", errors="replace")
        urls = re.findall(r"""url\(\s*['"]?([^'")]+)""", text) + re.findall(r"""@import\s+['"]([^'"]+)""", text)
        offenders += [f"{css.relative_to(HTML_DIR)}: loads {u}" for u in urls if is_external(u)]
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize("page_path", PAGES or [MISSING])
def test_page_offline(page_path, context, server, stats):
    """One built page, opened offline: everything the module docstring lists."""
    visit = Visit(context, server)
    try:
        visit.open(page_path)
        state = visit.settle()
        facts = visit.page.evaluate(DOM_FACTS)
        checked_links, broken = _broken_links(facts["links"], server, visit.page.url[len(server) + 1:]
                                              .split("#")[0], set(facts["liveIds"]))
        downloads = []
        notebook_page = _is_notebook_page(page_path)
        if notebook_page:
            downloads = facts["download"]
            for href in downloads:
                reply = visit.page.request.get(href)
                assert reply.ok, f"{page_path}: download {href} gave HTTP {reply.status}"
                notebook = nbformat.reads(reply.text(), as_version=4)
                nbformat.validate(notebook)
                assert any(c.cell_type == "code" for c in notebook.cells), f"{href}: no code cells"
                stats["notebooks"] += 1
    finally:
        visit.close()

    stats["pages"] += 1
    stats["mathjax"] = state["version"] or stats["mathjax"]
    stats["requests"] += len(visit.requests) - len(visit.external)
    stats["external"] += len(visit.external)
    stats["failed"] += len(visit.failed)
    stats["display"] += facts["displayTypeset"]
    stats["numbered"] += facts["numbered"]
    stats["inline"] += facts["inlineTypeset"]
    stats["images"] += sum(img["ok"] for img in facts["images"])
    stats["links"] += checked_links

    problems = []
    problems += [f"request to another host: {url}" for url in visit.external]
    problems += [f"failed request: {f}" for f in visit.failed]
    problems += [f"console error: {c}" for c in visit.console]
    if state["hasMath"] and not state["ready"]:
        problems.append("the page has math but MathJax did not start")
    problems += [f"math not typeset: {m}" for m in facts["untypeset"]]
    problems += [f"MathJax error: {m}" for m in facts["mathErrors"]]
    problems += [f"raw TeX in the text: ...{m}..." for m in facts["rawTex"]]
    problems += [f"image not loaded: {img['src']}" for img in facts["images"] if not img["ok"]]
    problems += [f"broken link: {b}" for b in broken]
    problems += [f"launch/repository button present: {c}" for c in facts["buttonsOff"]]
    if notebook_page and not any(href.endswith(".ipynb") for href in downloads):
        problems.append(f"no .ipynb download button (found {downloads})")
    problems += _reading_surface_problems(facts)
    assert not problems, f"{page_path}:\n  " + "\n  ".join(problems)


def _reading_surface_problems(facts: dict) -> list[str]:
    """Issue 14's rules for one page at 1280 px (see the module docstring)."""
    problems = []
    if facts["viewport"] != 1:
        problems.append(f"{facts['viewport']} viewport meta tags (expected 1)")
    if len(facts["description"]) != 1 or not facts["description"][0]:
        problems.append(f"description meta tags: {facts['description']} (expected one, non-empty)")
    if not any(href.endswith("/" + BOOK_PDF.name) for href in facts["bookPdf"]):
        problems.append(f"no 'Download PDF' link to {BOOK_PDF.name} (found {facts['bookPdf']})")
    for img in facts["alts"]:
        if img["alt"] is None:
            problems.append(f"image without alt attribute: {img['src']}")
        elif PATH_LIKE_ALT.search(img["alt"]):
            problems.append(f"alt text looks like a file name or path: {img['alt']!r} ({img['src']})")
    for fig in facts["figures"]:
        name = fig["src"].rsplit("/", 1)[-1][:16]
        if not fig["alt"]:
            problems.append(f"figure {name}: empty alt text (set mystnb.image.alt)")
        if not fig["figure"] or not fig["caption"]:
            problems.append(f"figure {name}: no <figure> with a caption (set mystnb.figure.caption"
                            " and mystnb.figure.name)")
        elif fig["alt"] and fig["alt"] == fig["caption"]:
            problems.append(f"figure {name}: the alt text copies the caption")
    problems += [f"display equation wider than the text column: {m}" for m in facts["wideMath"]]
    problems += [f"code cell scrolls sideways: {c}" for c in facts["wideCode"]]
    return problems


CHAPTER_PAGES = sorted(p for p in PAGES if re.fullmatch(r"book/\d\d_[^/]+\.html", p))

EXERCISE_FACTS = """() => {
    const shown = e => e.getClientRects().length > 0 && e.getBoundingClientRect().height > 0;
    const body = s => [...s.children].filter(c => !c.classList.contains('admonition-title'));
    const cite = document.querySelector('.cite-chapter');
    return {
        exercises: [...document.querySelectorAll('div.exercise')].map(e => e.id),
        solutions: [...document.querySelectorAll('div.solution')].map(s => ({
            id: s.id,
            target: ((s.querySelector('.admonition-title a') || {}).hash || '').slice(1),
            titleShown: shown(s.querySelector('.admonition-title')),
            bodyShown: body(s).some(shown),
        })),
        cite: cite ? cite.textContent.replace(/\\s+/g, ' ') : '',
    };
}"""


@pytest.mark.parametrize("page_path", CHAPTER_PAGES or [MISSING])
def test_chapter_exercises_are_collapsed_until_opened(page_path, context, server):
    """Issue 12: every chapter page shows >= 3 exercises, each with its solution collapsed (the
    title visible, the body hidden) until the reader opens it, and the cite block with the current
    version. The figures' captions are checked on every page by test_page_offline."""
    version = str(yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))["version"])
    visit = Visit(context, server)
    try:
        visit.open(page_path)
        visit.settle()
        facts = visit.page.evaluate(EXERCISE_FACTS)
        assert len(facts["exercises"]) >= 3, f"{page_path}: {len(facts['exercises'])} exercises"
        targets = {s["target"]: s for s in facts["solutions"]}
        for label in facts["exercises"]:
            solution = targets.get(label)
            assert solution, f"{page_path}: exercise {label} has no solution box"
            assert solution["titleShown"] and not solution["bodyShown"], \
                f"{page_path}: the solution of {label} is not collapsed on load"
        first = facts["solutions"][0]["id"]
        visit.page.click(f"[id='{first}'] > .admonition-title")
        visit.page.wait_for_timeout(400)
        opened = visit.page.evaluate(EXERCISE_FACTS)["solutions"][0]
        assert opened["bodyShown"], f"{page_path}: a click on the title does not open {first}"
        assert f"version {version}" in facts["cite"], f"{page_path}: cite block {facts['cite'][:80]!r}"
        assert not visit.console, f"{page_path}: console errors {visit.console}"
    finally:
        visit.close()


def test_offline_search(context, server, stats):
    """The search page finds a word of chapter 1 from the local index, with no console errors."""
    visit = Visit(context, server)
    try:
        visit.open("search.html?q=entropy")
        visit.page.wait_for_selector("#search-results ul.search li", timeout=20_000)
        hits = visit.page.locator("#search-results ul.search li").count()
        visit.settle()
    finally:
        visit.close()
    stats["search_hits"] = hits
    assert hits > 0
    assert not visit.external and not visit.failed and not visit.console, (
        visit.external, visit.failed, visit.console)


PHONE_FIGURES = r"""() => [...document.querySelectorAll('.bd-article div.cell_output img')].map(img => {
    const style = getComputedStyle(img);
    const intended = parseFloat(img.style.width) || img.naturalWidth;
    return {src: img.currentSrc || img.src, shown: img.getBoundingClientRect().width, intended,
            filter: style.filter, background: style.backgroundColor};
})"""


def _chapter_pages() -> list[str]:
    return [p for p in PAGES if re.fullmatch(r"book/\d\d_[^/]*\.html", p)]


def _as_phone(visit: Visit):
    """Emulate a 390 px phone (touch, device pixel ratio 2) in the shared browser context; the
    returned DevTools session takes screenshots at that size."""
    cdp = visit.page.context.new_cdp_session(visit.page)
    cdp.send("Emulation.setDeviceMetricsOverride",
             {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True})
    cdp.send("Emulation.setTouchEmulationEnabled", {"enabled": True})
    return cdp


def test_phone_figures(context, server):
    """At 390 px: no page scrolls sideways, every figure is legible and sits on no white box in
    dark mode. Leaves phone screenshots of chapter 1's first figure, light and dark."""
    chapters = _chapter_pages()
    assert chapters, f"no chapter pages built: {SETUP}"
    problems, shots = [], []
    for page_path in chapters:
        visit = Visit(context, server)
        try:
            cdp = _as_phone(visit)
            visit.open(page_path)
            visit.settle()
            page = visit.page
            overflow = page.evaluate("() => document.documentElement.scrollWidth")
            if overflow > 391:
                problems.append(f"{page_path}: the page scrolls sideways at 390 px ({overflow} px)")
            for fig in page.evaluate(PHONE_FIGURES):
                scale = fig["shown"] / fig["intended"] if fig["intended"] else 0
                if scale < MIN_PHONE_SCALE:
                    problems.append(
                        f"{page_path}: figure {fig['src'].rsplit('/', 1)[-1][:16]} is shown at "
                        f"{scale:.0%} of its size on a phone (>= {MIN_PHONE_SCALE:.0%} needed: one "
                        f"panel per figure, at most ~6 in wide at 100 dpi)")
            page.evaluate("""() => { document.documentElement.dataset.mode = 'dark';
                                     document.documentElement.dataset.theme = 'dark'; }""")
            for fig in page.evaluate(PHONE_FIGURES):
                if "invert" not in fig["filter"] or fig["background"] not in (
                        "rgba(0, 0, 0, 0)", "transparent"):
                    problems.append(f"{page_path}: dark-mode figure with filter {fig['filter']!r} "
                                    f"on {fig['background']}")
            if page_path.startswith("book/01_") and not shots:
                if page.locator(".bd-article div.cell_output img").count():
                    ARTIFACTS.mkdir(exist_ok=True)
                    page.evaluate("""() => { const f = document.querySelector(
                        '.bd-article div.cell_output img'); f.scrollIntoView({block: 'center'}); }""")
                    for mode in ("dark", "light"):
                        page.evaluate(f"""() => {{ document.documentElement.dataset.mode = '{mode}';
                                          document.documentElement.dataset.theme = '{mode}'; }}""")
                        page.wait_for_timeout(400)  # the theme's colour transition
                        shot = ARTIFACTS / f"phone-figure-{mode}.png"
                        data = cdp.send("Page.captureScreenshot", {"format": "png"})["data"]
                        shot.write_bytes(base64.b64decode(data))
                        shots.append(shot)
        finally:
            visit.close()
    assert not problems, "\n".join(problems)
    assert len(shots) == 2, "chapter 1 has no figure to photograph"
    for shot in shots:
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_screenshot_chapter1(context, server):
    """Chapter 1, fully typeset, saved as test-artifacts/chapter1.png."""
    chapter1 = [p for p in PAGES if re.fullmatch(r"book/01_[^/]*\.html", p)]
    assert len(chapter1) == 1, f"expected one built chapter 1 page, found {chapter1}: {SETUP}"
    visit = Visit(context, server)
    try:
        visit.open(chapter1[0])
        state = visit.settle()
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "chapter1.png"
        visit.page.screenshot(path=str(shot), full_page=True)
    finally:
        visit.close()
    assert state["ready"] and state["version"].startswith("3."), state
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000
