"""Links from the book to the runnable chapters (a local Sphinx extension, loaded by _config.yml).

* Every page built from a notebook gets a bar under its title: "Run in your browser" opens the
  chapter in the book's own JupyterLite site (``lite/notebooks/index.html?path=<notebook>``), and
  "All chapters (.zip)" downloads every chapter with the reader requirements and softprob's wheel.
* The role ``{sitefile}`text <downloads/...>``` links to a file that ``lite/build.py`` writes into
  the built site after Sphinx has run (Sphinx's own ``{download}`` needs the file at read time);
  ``{version}`` in the target is softprob's version, e.g. ``softprob-{version}-py3-none-any.whl``.

The files behind these links are made by ``lite/build.py`` (run by ``.ci/setup`` after the book is
built), so a failure there never stops the book's build; the browser tests then fail on the broken
links and on the missing JupyterLite site (tests/book/test_browser.py, tests/book/test_lite.py).
"""

from __future__ import annotations

import html
import re
from pathlib import Path, PurePosixPath

from docutils import nodes
from sphinx.util.osutil import relative_uri

LITE_APP = "lite/notebooks/index.html"
CHAPTERS_ZIP = "downloads/softprob-chapters.zip"
ROOT = Path(__file__).resolve().parents[1]


def softprob_version() -> str:
    text = (ROOT / "softprob" / "__init__.py").read_text(encoding="utf-8")
    return re.search(r'^__version__ = "([^"]+)"', text, re.MULTILINE).group(1)


def _href(app, docname: str, target: str) -> str:
    """``target`` (relative to the site's root) as seen from ``docname``'s page."""
    if app.builder.format != "html":
        return target
    return relative_uri(app.builder.get_target_uri(docname), target)


def sitefile_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """``{sitefile}`text <path>```: a link to a file of the built site, relative to the page."""
    text = text.replace("{version}", softprob_version())
    match = re.fullmatch(r"(?s)(.*?)\s*<([^<>]+)>", text)
    title, target = (match.group(1), match.group(2)) if match else (None, text)
    env = inliner.document.settings.env
    node = nodes.reference(rawtext, title or PurePosixPath(target).name,
                           refuri=_href(env.app, env.docname, target), **(options or {}))
    return [node], []


BAR = """<div class="lite-bar" role="group" aria-label="Run this chapter"
     style="display: flex; flex-wrap: wrap; gap: 0.5rem; margin: 0.25rem 0 1.25rem;">
<a class="btn btn-sm btn-outline-primary lite-run-button" href="{run}"
   title="JupyterLite: Python in your browser, from this site; no install, works offline">
<i class="fas fa-play" aria-hidden="true"></i> Run in your browser</a>
<a class="btn btn-sm btn-outline-secondary lite-zip-button" href="{zip}"
   title="Every chapter as a notebook, with requirements-reader.txt and the softprob wheel">
<i class="fas fa-file-zipper" aria-hidden="true"></i> All chapters (.zip)</a>
</div>
"""


def add_run_bar(app, doctree, docname) -> None:
    """The bar under the title of every page built from a notebook."""
    if app.builder.format != "html" or not str(app.env.doc2path(docname)).endswith(".ipynb"):
        return
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None or not section.children or not isinstance(section[0], nodes.title):
        return
    notebook = PurePosixPath(docname).name + ".ipynb"
    markup = BAR.format(run=html.escape(f"{_href(app, docname, LITE_APP)}?path={notebook}"),
                        zip=html.escape(_href(app, docname, CHAPTERS_ZIP)))
    section.insert(1, nodes.raw("", markup, format="html"))


def setup(app):
    app.add_role("sitefile", sitefile_role)
    app.connect("doctree-resolved", add_run_bar)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
