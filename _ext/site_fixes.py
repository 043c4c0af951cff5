"""Fixes to every HTML page (a local Sphinx extension, loaded by _config.yml).

Scripts:

1. Sphinx 7.4 writes twice each inline script that an extension adds once the builder exists (it
   is registered with filename None and re-added with filename ''), so sphinx-thebe's
   ``const THEBE_JS_URL = ...`` is declared twice and every page logs "SyntaxError: Identifier
   'THEBE_JS_URL' has already been declared" (sphinx-togglebutton's ``var`` is duplicated too,
   silently). Only the first copy of each script is kept.
2. While the thebe launch button is off (``launch_buttons.thebe: false``), sphinx-thebe's scripts,
   which Jupyter Book 1 always adds, are dead code whose only job is to load thebe from unpkg.com
   when that button is pressed. They are dropped, so no page names a third-party host.

Accessibility and metadata (tests/book/test_a11y.py runs axe-core over every page):

3. The bibliography's citations are written by docutils as ``<div role="list">`` holding
   ``<div role="doc-biblioentry">`` items: a list whose items are not list items (axe:
   aria-required-children, critical), with a deprecated role that is not allowed on a div
   (aria-deprecated-role, aria-allowed-role). Each citation is written as ``role="listitem"``.
4. myst-nb's toggle for hidden cell input (``hide-input``) is a ``<summary>`` labelled "Toggle
   hidden content" while it shows "Show code cell source": a name that does not contain the
   visible text (axe: label-content-name-mismatch). It is written without the label, so its name
   is what it shows.
5. docutils adds a ``<meta name="viewport">`` to ``metatags`` although Sphinx's layout already has
   one (the theme's third copy is removed in _templates/layout.html): it is dropped.
6. Every page gets a ``<meta name="description">``: its first paragraph without math, shortened,
   or the book's title and the page's title on pages without one (index, search).

Raw TeX:

7. A ``{ref}`` to a section whose title has math, written without its own text, is shown by
   Sphinx with the title as plain text, TeX source and all ("its 1/\\sqrt N error"). Such a
   reference gets the title's own nodes, math included, which MathJax then typesets.

tests/book/test_browser.py checks the result: no console errors and no external URLs in any page,
one viewport tag and a description on every page, no TeX source in any page's text.
"""

from __future__ import annotations

import html
import re
from typing import Any

from docutils import nodes
from myst_nb.sphinx_ import HideCodeCellNode
from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.nodes import make_refnode

DESCRIPTION_CHARS = 160


def _key(script: Any) -> tuple:
    attributes = getattr(script, "attributes", {}) or {}
    return (getattr(script, "filename", script) or "", getattr(script, "priority", None),
            tuple(sorted((k, str(v)) for k, v in attributes.items())))


def _is_thebe(script: Any) -> bool:
    name = getattr(script, "filename", script) or ""
    body = (getattr(script, "attributes", {}) or {}).get("body", "")
    return name.endswith("sphinx-thebe.js") or "THEBE_JS_URL" in body


def clean_scripts(app, pagename, templatename, context, doctree) -> None:
    """Deduplicate the page's scripts and, with thebe off, drop sphinx-thebe's."""
    scripts = context.get("script_files")
    if not scripts:
        return
    thebe_on = bool((app.config.html_theme_options.get("launch_buttons") or {}).get("thebe"))
    seen: set[tuple] = set()
    kept = []
    for script in scripts:
        key = _key(script)
        if key in seen or (not thebe_on and _is_thebe(script)):
            continue
        seen.add(key)
        kept.append(script)
    scripts[:] = kept  # in place: Sphinx restores the shared list after each page


def visit_citation(self, node: nodes.citation) -> None:
    """docutils' HTML5 citation, as a list item of its citation list (see the module docstring)."""
    if not isinstance(node.previous_sibling(), type(node)):
        self.body.append('<div role="list" class="citation-list">\n')
    self.body.append(self.starttag(node, "div", classes=[node.tagname], role="listitem"))


def depart_citation(self, node: nodes.citation) -> None:
    self.body.append("</div>\n")
    if not isinstance(node.next_node(descend=False, siblings=True), type(node)):
        self.body.append("</div>\n")


def visit_hide_cell_input(self, node) -> None:
    """myst-nb's hidden-input toggle, named by its visible text (see the module docstring)."""
    classes = " ".join(node["classes"])
    self.body.append(f'<details class="admonition hide {classes}">\n')
    self.body.append("<summary>\n")
    for state, prompt in (("collapsed", node["prompt_show"]), ("expanded", node["prompt_hide"])):
        self.body.append(f'<p class="{state} admonition-title">{html.escape(prompt)}</p>\n')
    self.body.append("</summary>\n")


def depart_hide_cell_input(self, node) -> None:
    self.body.append("</details>\n")


def _first_paragraph(doctree: nodes.document) -> str:
    """The page's first paragraph of prose without math (not in a box, a caption or a cell)."""
    skip = (nodes.Admonition, nodes.caption, nodes.citation, nodes.footnote, nodes.table,
            nodes.literal_block, nodes.math_block, nodes.container, nodes.field_list)
    for para in doctree.findall(nodes.paragraph):
        if next(iter(para.findall(nodes.math)), None) is not None:
            continue  # a description is plain text: TeX source would be read out as such
        parent, inside = para.parent, False
        while parent is not None:
            if isinstance(parent, skip) or "proof" in parent.get("classes", []):
                inside = True
                break
            parent = parent.parent
        text = " ".join(para.astext().split())
        if not inside and len(text) >= 40:
            return text
    return ""


def _shorten(text: str, limit: int = DESCRIPTION_CHARS) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:.")
    return cut + "\u2026"


def page_metadata(app, pagename, templatename, context, doctree) -> None:
    """One viewport tag (docutils' copy removed) and a description meta tag on every page."""
    metatags = context.get("metatags", "") or ""
    metatags = re.sub(r'<meta name="viewport"[^>]*>\n?', "", metatags)
    if 'name="description"' not in metatags:
        text = _first_paragraph(doctree) if doctree is not None else ""
        if not text:
            title = re.sub(r"<[^>]+>", "", context.get("title") or "").strip()
            book = app.config.html_title or app.config.project
            text = f"{book}: {title}" if title and title != book else book
        metatags += f'<meta name="description" content="{html.escape(_shorten(text))}" />\n'
    context["metatags"] = metatags


class MathInRefTitles(SphinxPostTransform):
    """Fix 7 of the module docstring: implicit {ref} text keeps the section title's math."""

    default_priority = 5  # before Sphinx's ReferencesResolver (10) turns the title into text

    def run(self, **kwargs: Any) -> None:
        labels = self.env.domaindata["std"]["labels"]
        titles: dict[tuple[str, str], nodes.title | None] = {}
        for ref in list(self.document.findall(addnodes.pending_xref)):
            if (ref.get("refdomain"), ref.get("reftype")) != ("std", "ref") or \
                    ref.get("refexplicit"):
                continue
            docname, labelid, sectname = labels.get(ref.get("reftarget", ""), ("", "", ""))
            if not docname or not re.search(r"\\[A-Za-z]|\$", sectname or ""):
                continue
            key = (docname, labelid)
            if key not in titles:
                titles[key] = self._title(docname, labelid)
            title = titles[key]
            if title is None or not any(isinstance(n, nodes.math) for n in title.findall()):
                continue
            words = [child.deepcopy() for child in title.children
                     if not isinstance(child, (nodes.target, addnodes.pending_xref))]
            # Resolved here, as Sphinx's std domain would, but with the title's nodes as text
            # (the domain would turn any given text into plain text again).
            inner = nodes.inline("", "", *words, classes=["std", "std-ref"])
            ref.replace_self(make_refnode(self.app.builder, self.env.docname, docname, labelid,
                                          inner))

    def _title(self, docname: str, labelid: str) -> nodes.title | None:
        doctree = (self.document if docname == self.env.docname
                   else self.env.get_doctree(docname))
        for section in doctree.findall(nodes.section):
            if labelid in section["ids"] and section.children and \
                    isinstance(section[0], nodes.title):
                return section[0]
        return None


def setup(app):
    app.connect("html-page-context", clean_scripts, priority=900)
    app.connect("html-page-context", page_metadata, priority=900)
    app.add_node(nodes.citation, override=True, html=(visit_citation, depart_citation))
    app.add_post_transform(MathInRefTitles)
    app.add_node(HideCodeCellNode, override=True,
                 html=(visit_hide_cell_input, depart_hide_cell_input))
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
