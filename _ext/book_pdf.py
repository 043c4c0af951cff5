"""The whole-book PDF on the website (a local Sphinx extension, loaded by _config.yml).

Every HTML page's download menu gets a "Download PDF" entry pointing at ``softprob-book.pdf`` at
the root of the site; pages without a source (index, search) get a menu with that one entry. The
theme's own entry, which prints the current page, is relabelled "Print this page" so the two
are not confused. The PDF itself is made after the HTML build by ``_ext/print_book.py`` (run by
``.ci/setup``): Chromium prints a single-page build of the book (``--builder singlehtml``) with
the print stylesheet in ``_static/softprob.css``; see that module for why this route.

For the single-page build this extension also
- gives it the HTML build's node handlers that it lacks (see html_handlers_for_singlehtml);
- marks each chapter's top section (``section.softprob-chapter``) so the print stylesheet starts
  every chapter on a new page;
- makes its cross-references same-page anchors (``#label``). Sphinx's singlehtml builder writes
  them as ``<root_doc>.html#label``, which is right only when the root document is at the top of
  the source tree; this book's is ``book/intro``, so from ``book/intro.html`` such a link would
  point at ``book/book/intro.html`` and the PDF would have no internal links.
"""

from __future__ import annotations

from docutils import nodes
from sphinx import addnodes

PDF_NAME = "softprob-book.pdf"
PDF_BUTTON = {
    "type": "link",
    "text": "Download PDF",
    "tooltip": "The whole book as one PDF",
    "icon": "fas fa-book",
    "label": "download-book-pdf-button",
}


def add_pdf_button(app, pagename, templatename, context, doctree) -> None:
    """Put the whole-book PDF first in the page's download menu (after the theme made it)."""
    buttons = context.get("header_buttons")
    if buttons is None or app.builder.name != "html":
        return
    entry = dict(PDF_BUTTON, url=context["pathto"](PDF_NAME, 1))
    for group in buttons:
        if group.get("label") == "download-buttons":
            for button in group["buttons"]:
                if button.get("label") == "download-pdf-button":  # the theme's window.print()
                    button["text"] = "Print this page"
                    button["tooltip"] = "Print this page, or save it as a PDF"
            group["buttons"].insert(0, entry)
            group["tooltip"] = "Download"
            return
    buttons.insert(0, {"type": "group", "tooltip": "Download", "icon": "fas fa-download",
                       "buttons": [entry], "label": "download-buttons"})


def mark_chapters(app, doctree: nodes.document, docname: str) -> None:
    """In the single-page build, class the top section of each inlined document as a chapter."""
    if app.builder.name != "singlehtml":
        return
    for start in doctree.findall(addnodes.start_of_file):
        for section in start.children:
            if isinstance(section, nodes.section):
                section["classes"].append("softprob-chapter")


def html_handlers_for_singlehtml(app) -> None:
    """Let the single-page build render every node the HTML build renders.

    Sphinx gives a builder the node handlers registered under its name and falls back to those
    of its format ("html") only when there are none: once one extension (sphinx-exercise)
    registers handlers for "singlehtml", the nodes of every other extension (sphinx-proof's
    theorem boxes, this book's own overrides) become unknown there. The "html" handlers fill in
    whatever "singlehtml" lacks.
    """
    if app.builder.name != "singlehtml":
        return
    handlers = app.registry.translation_handlers
    single = handlers.setdefault("singlehtml", {})
    for name, pair in handlers.get("html", {}).items():
        single.setdefault(name, pair)


def same_page_refuris(app) -> None:
    """Wrap the singlehtml builder's ``fix_refuris`` so its links stay on the one page."""
    builder = app.builder
    if builder.name != "singlehtml":
        return
    page = app.config.root_doc + builder.out_suffix
    original = builder.fix_refuris

    def fix_refuris(tree) -> None:
        original(tree)
        for ref in tree.findall(nodes.reference):
            uri = ref.get("refuri", "")
            if uri.startswith(page + "#"):
                ref["refuri"] = uri[len(page):]

    builder.fix_refuris = fix_refuris


def setup(app):
    app.connect("builder-inited", html_handlers_for_singlehtml)
    app.connect("builder-inited", same_page_refuris)
    app.connect("html-page-context", add_pdf_button, priority=510)
    app.connect("doctree-resolved", mark_chapters)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
