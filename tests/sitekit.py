"""Shared pieces of the browser tests in tests/book: where the built book and Chromium are, the
flags that keep Chromium offline, a static HTML scanner, and one page visit that records every
request, failure and console error. Fixtures that use them (``server``, ``context``) are in
``tests/conftest.py``.
"""

from __future__ import annotations

import functools
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
HTML_DIR = Path(os.environ.get("SOFTPROB_HTML", ROOT / "_build" / "html")).resolve()
CHROMIUM = os.environ.get("SOFTPROB_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
SETUP = ("run `bash .ci/setup` (the README's first command: as root it installs Debian's chromium, "
         "then it builds the book into _build/html)"
         + ("" if "SOFTPROB_HTML" not in os.environ else
            "; or rebuild the book that SOFTPROB_HTML points at"))
NOT_PAGES = {"_static", "_sources", "_images",  # asset folders: their .html files are templates
             "lite"}  # the JupyterLite app (lite/build.py): tests/book/test_lite.py checks it
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-extensions",
    "--no-first-run", "--no-default-browser-check", "--disable-domain-reliability",
    "--disable-client-side-phishing-detection", "--metrics-recording-only",
    # Belt and braces under the per-page routing: the browser cannot resolve any other host.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]
# axe-core, installed from tests/book/package.json by `.ci/setup` (npm ci); see test_a11y.py.
AXE_JS = Path(__file__).resolve().parent / "book" / "node_modules" / "axe-core" / "axe.min.js"
# The whole-book PDF: _ext/print_book.py writes it into the site, every page links to it.
BOOK_PDF = HTML_DIR / "softprob-book.pdf"
HEADER_BUTTONS_OFF = (".dropdown-launch-buttons, .btn-launch-thebe, .btn-source-repository-button, "
                      ".btn-source-edit-button, .btn-source-issues-button")


def toc_docs(*, root: bool = True) -> list[str]:
    """Every document of ``_toc.yml`` in reading order, named as Sphinx names it (the path without
    ``.ipynb``/``.md``, e.g. ``book/01_cross_entropy_is_kl``); the root page first unless
    ``root=False``."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    found = [toc["root"]] if root else []

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                found.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({k: v for k, v in toc.items() if k != "root"})
    return [re.sub(r"\.(ipynb|md)$", "", entry) for entry in found]


def _built_pages() -> list[str]:
    if not HTML_DIR.is_dir():
        return []
    return sorted(p.relative_to(HTML_DIR).as_posix() for p in HTML_DIR.rglob("*.html")
                  if p.relative_to(HTML_DIR).parts[0] not in NOT_PAGES)


PAGES = _built_pages()
MISSING = "<no built book>"


def prerequisite_problems() -> list[str]:
    problems = []
    if not (HTML_DIR / "index.html").is_file():
        problems.append(f"no built book at {HTML_DIR}")
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        problems.append(f"no Chromium executable at {CHROMIUM}")
    return problems


def require_prerequisites() -> None:
    problems = prerequisite_problems()
    if problems:
        pytest.fail("; ".join(problems) + f": {SETUP}", pytrace=False)


# ---------------------------------------------------------------------------- static helpers
class _Scan(HTMLParser):
    """Ids (anchor targets), resource URLs, inline-script URLs and a meta refresh of one page."""

    RESOURCE_ATTRS: ClassVar[dict[str, str]] = {"script": "src", "img": "src", "iframe": "src", "source": "src",
                      "video": "src", "audio": "src", "embed": "src", "object": "data",
                      "link": "href"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.resources: list[str] = []
        self.inline_urls: list[str] = []
        self.refresh: str | None = None
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if a.get(key):
                self.ids.add(a[key])
        if a.get(self.RESOURCE_ATTRS.get(tag, "")):
            self.resources.append(a[self.RESOURCE_ATTRS[tag]])
        if a.get("srcset"):
            self.resources += [part.split()[0] for part in a["srcset"].split(",") if part.strip()]
        if tag == "meta" and (a.get("http-equiv") or "").lower() == "refresh":
            match = re.search(r"url=(.+)$", a.get("content") or "", re.IGNORECASE)
            self.refresh = match.group(1).strip() if match else None
        self._in_script = tag == "script" and not a.get("src")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.inline_urls += re.findall(r"""https?://[^\s"'`<>)]+|(?<=["'`])//[^\s"'`<>)]+""", data)


@functools.cache
def scan(path: Path) -> _Scan:
    scan = _Scan()
    scan.feed(path.read_text(encoding="utf-8"))
    return scan


def is_external(url: str) -> bool:
    return url.startswith("//") or urlsplit(url).scheme not in ("", "data", "blob", "about")


class Visit:
    """One page opened with every request, failure and console error recorded."""

    def __init__(self, context, server: str):
        self.server = server
        self.requests: list[str] = []
        self.external: list[str] = []
        self.failed: list[str] = []
        self.console: list[str] = []
        self.page = page = context.new_page()
        page.route("**/*", self._route)
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("requestfailed", self._request_failed)
        page.on("response", lambda r: r.status >= 400 and self.failed.append(f"HTTP {r.status} {r.url}"))
        page.on("console", lambda m: m.type == "error" and self.console.append(
            f"{m.text} @ {m.location.get('url', '')}:{m.location.get('lineNumber', '')}"))
        page.on("pageerror", lambda e: self.console.append(f"uncaught: {e}"))

    def _local(self, url: str) -> bool:
        return url.startswith(self.server + "/") or urlsplit(url).scheme in ("data", "blob")

    def _route(self, route, request):
        if self._local(request.url):
            route.continue_()
        else:
            self.external.append(request.url)
            route.abort("blockedbyclient")

    def _request_failed(self, request):
        if self._local(request.url):
            self.failed.append(f"{request.failure} {request.url}")

    def open(self, path: str) -> None:
        response = self.page.goto(f"{self.server}/{path}", wait_until="load")
        assert response is not None and response.ok, f"{path}: HTTP {response and response.status}"
        file = HTML_DIR / path.split("?")[0]
        refresh = scan(file).refresh
        if refresh:  # index.html is a redirect to the root page
            target = (file.parent / refresh).resolve()
            assert target.is_file(), f"{path} redirects to missing {refresh}"
            self.page.wait_for_url(f"{self.server}/{target.relative_to(HTML_DIR).as_posix()}")
            self.page.wait_for_load_state("load")

    def settle(self) -> dict:
        """Wait for MathJax's startup promise, fonts, images and the network to go quiet."""
        state = self.page.evaluate("""async () => {
            const hasMath = document.querySelector('.math') !== null;
            const mj = window.MathJax;
            const ready = !!(mj && mj.startup && mj.startup.promise);
            if (ready) await mj.startup.promise;
            await document.fonts.ready;
            await Promise.all([...document.images].map(img => img.complete ? null :
                new Promise(done => { img.loading = 'eager';
                    img.addEventListener('load', done); img.addEventListener('error', done); })));
            return {hasMath, ready, version: ready ? mj.version : null};
        }""")
        self.page.wait_for_load_state("networkidle")
        return state

    def close(self) -> None:
        self.page.close()


