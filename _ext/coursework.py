"""Coursework aids, generated from one source each (a local Sphinx extension, loaded by _config.yml).

* ``{exercise-list}``: a table of every exercise in the book (sphinx-exercise's registry) with its
  number, chapter, kind and difficulty, linked to the exercise. The kind and difficulty come from the
  exercise's classes: ``kind-proof``, ``kind-experiment`` or ``kind-concept``, and ``hardest``.
* ``{theorem-list}``: a table of every theorem, proposition and lemma (sphinx-proof's registry) with
  its number, title and chapter, linked to it.
* A "Cite this chapter" block at the end of every chapter page (``book/NN_*``): the chapter title,
  the book's version and year, the page's address and a BibTeX entry, all read from ``CITATION.cff``
  (version, date, title, authors), so a version bump updates every page.
* Each labelled theorem, proposition or lemma shows its label in its title, as a link to itself.
* The footer of every page: the version and release date from ``CITATION.cff``, the licence, and a
  link to the how-to-cite page; ``CITATION.cff`` itself is copied to the site root for download.

tests/book/test_coursework.py checks the result in the built site.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

CHAPTER = re.compile(r"^book/(\d\d)_[^/]+$")
KINDS = {"kind-proof": "proof (SymPy)", "kind-experiment": "experiment (NumPy)",
         "kind-concept": "concept"}


def citation(app: Sphinx) -> dict[str, Any]:
    """The fields of CITATION.cff the pages use."""
    cff = yaml.safe_load((Path(app.confdir) / "CITATION.cff").read_text(encoding="utf-8"))
    date = str(cff["date-released"])
    authors = " and ".join(a.get("name") or f"{a['given-names']} {a['family-names']}"
                           for a in cff["authors"])
    return {"title": cff["title"], "version": str(cff["version"]), "date": date,
            "year": date[:4], "authors": authors, "license": cff.get("license", "")}


class _ListPlaceholder(nodes.General, nodes.Element):
    """Replaced by a table once every document has been read."""


class ExerciseList(SphinxDirective):
    """``{exercise-list}``: every exercise of the book, in reading order."""

    def run(self) -> list[nodes.Node]:
        return [_ListPlaceholder(kind="exercise")]


class TheoremList(SphinxDirective):
    """``{theorem-list}``: every theorem, proposition and lemma of the book, in reading order."""

    def run(self) -> list[nodes.Node]:
        return [_ListPlaceholder(kind="theorem")]


def _table(header: list[str], rows: list[list[nodes.Node]]) -> nodes.table:
    table = nodes.table(classes=["coursework-list"])
    group = nodes.tgroup(cols=len(header))
    table += group
    group += [nodes.colspec(colwidth=1) for _ in header]
    head = nodes.thead()
    group += head
    head += nodes.row("", *[nodes.entry("", nodes.paragraph(text=h)) for h in header])
    body = nodes.tbody()
    group += body
    for cells in rows:
        body += nodes.row("", *[nodes.entry("", nodes.paragraph("", "", c)) for c in cells])
    return table


def _number(env, docname: str, figtype: str, node_id: str) -> str:
    num = env.toc_fignumbers.get(docname, {}).get(figtype, {}).get(node_id)
    return ".".join(map(str, num)) if num else ""


def _link(app: Sphinx, fromdoc: str, todoc: str, anchor: str, text: str) -> nodes.reference:
    uri = app.builder.get_relative_uri(fromdoc, todoc) + (f"#{anchor}" if anchor else "")
    return nodes.reference("", text, internal=True, refuri=uri)


def _chapter_title(env, docname: str) -> str:
    title = env.titles.get(docname)
    return title.astext() if title is not None else docname


def _reading_order(app: Sphinx) -> dict[str, int]:
    order = [app.config.root_doc]
    order += app.env.toctree_includes.get(app.config.root_doc, [])
    more = [d for d in sorted(app.env.all_docs) if d not in order]
    return {d: i for i, d in enumerate(order + more)}


def _exercise_rows(app: Sphinx, fromdoc: str) -> list[list[nodes.Node]]:
    env, rows = app.env, []
    rank = _reading_order(app)
    registry = getattr(env, "sphinx_exercise_registry", {})
    entries = [(label, e) for label, e in registry.items() if e["type"] == "exercise"]
    for label, entry in sorted(entries, key=lambda le: (rank.get(le[1]["docname"], 999),
                                                        le[1]["node"].line or 0)):
        node, docname = entry["node"], entry["docname"]
        classes = set(node.get("classes", []))
        kind = next((text for cls, text in KINDS.items() if cls in classes), "")
        number = _number(env, docname, "exercise", label)
        first = node.children[0] if node.children else None
        title = first.astext() if isinstance(first, nodes.title) else str(node.get("title", label))
        rows.append([_link(app, fromdoc, docname, label, f"Exercise {number}".strip()),
                     nodes.Text(re.sub(r"^(Exercise)?\s*\(?(.*?)\)?\s*$", r"\2", title)),
                     _link(app, fromdoc, docname, "", _chapter_title(env, docname)),
                     nodes.Text(kind), nodes.Text("hardest" if "hardest" in classes else "")])
    return rows


def _proof_positions(app: Sphinx, docname: str) -> dict[str, tuple[int, str]]:
    """Position in the page and title of every statement of one document."""
    found = {}
    doctree = app.env.get_doctree(docname)
    for i, node in enumerate(doctree.findall(nodes.Element)):
        if node.children and isinstance(node.children[0], nodes.title):
            title = re.sub(r"^\s*\((.*)\)\s*$", r"\1", node.children[0].astext())
            for node_id in node.get("ids", []):
                found[node_id] = (i, title)
    return found


def _theorem_rows(app: Sphinx, fromdoc: str) -> list[list[nodes.Node]]:
    env, rows = app.env, []
    rank = _reading_order(app)
    proofs = getattr(env, "proof_list", {})
    places = {d: _proof_positions(app, d) for d in {e["docname"] for e in proofs.values()}}
    for label, entry in sorted(proofs.items(), key=lambda le: (
            rank.get(le[1]["docname"], 999), places[le[1]["docname"]].get(le[0], (0, ""))[0])):
        docname, realtype = entry["docname"], entry["realtype"]
        number = _number(env, docname, entry["countertype"], label)
        title = places[docname].get(label, (0, label))[1]
        rows.append([_link(app, fromdoc, docname, label, f"{realtype.title()} {number}".strip()),
                     nodes.Text(title),
                     _link(app, fromdoc, docname, "", _chapter_title(env, docname))])
    return rows


def note_list_pages(app: Sphinx, doctree: nodes.document) -> None:
    """Remember the pages with a list: they depend on every other page."""
    if any(True for _ in doctree.findall(_ListPlaceholder)):
        app.env.coursework_list_pages = getattr(app.env, "coursework_list_pages", set())
        app.env.coursework_list_pages.add(app.env.docname)


def rebuild_list_pages(app: Sphinx, env, added, changed, removed) -> list[str]:
    """A list page is rebuilt whenever any page is, since its table collects from all of them."""
    if not (added or changed or removed):
        return []
    return sorted(getattr(env, "coursework_list_pages", set()) & env.found_docs)


def fill_lists(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Replace each placeholder by its table (every document has been read by now)."""
    for node in list(doctree.findall(_ListPlaceholder)):
        if node["kind"] == "exercise":
            table = _table(["exercise", "title", "chapter", "kind", "difficulty"],
                           _exercise_rows(app, docname))
        else:
            table = _table(["statement", "title", "chapter"], _theorem_rows(app, docname))
        node.replace_self(table)


def cite_block(app: Sphinx, doctree: nodes.document) -> None:
    """Append "Cite this chapter" to every chapter page, from CITATION.cff."""
    docname = app.env.docname
    match = CHAPTER.match(docname)
    if not match:
        return
    meta, number = citation(app), int(match.group(1))
    title = next(iter(doctree.findall(nodes.title)), None)
    chapter = title.astext() if title is not None else docname
    base = (app.config.html_baseurl or "").rstrip("/")
    address = f"{base}/{docname}.html" if base else f"{docname}.html (in the book's website)"
    key = f"softprob{meta['year']}ch{number}"
    bibtex = (f"@inbook{{{key},\n"
              f"  title   = {{{meta['title']}}},\n"
              f"  chapter = {{{chapter}}},\n"
              f"  author  = {{{{{meta['authors']}}}}},\n"
              f"  year    = {{{meta['year']}}},\n"
              f"  version = {{{meta['version']}}},\n"
              f"  note    = {{Version {meta['version']}, chapter {number} (label ch{number}), "
              f"{docname}.html}},\n}}")
    box = nodes.admonition(classes=["cite-chapter", "dropdown"], ids=[f"ch{number}-cite"])
    box += nodes.title(text="Cite this chapter")
    box += nodes.paragraph(text=(f"{meta['authors']} ({meta['year']}). \u201c{chapter}\u201d, "
                                 f"chapter {number} of {meta['title']}, version {meta['version']} "
                                 f"({meta['date']}). {address}."))
    box += nodes.literal_block(bibtex, bibtex, language="bibtex")
    box += nodes.paragraph(text="See How to cite for equations, theorems and figures, "
                                "which are cited by their labels.")
    doctree += box


def proof_anchors(app: Sphinx, doctree: nodes.document) -> None:
    """Show each labelled theorem's label in its title, as a link to itself (to copy and cite)."""
    for node in doctree.findall(nodes.Element):
        label = node.get("label") if node.get("realtype") else None
        if label and node.children and isinstance(node.children[0], nodes.title):
            link = nodes.reference("", "", nodes.literal(text=label), refuri=f"#{label}",
                                   classes=["prf-label"], reftitle="link to this statement")
            node.children[0] += [nodes.Text(" "), link]


def footer(app: Sphinx, config) -> None:
    """Version, date and licence from CITATION.cff in every page's footer."""
    meta = citation(app)
    licence = f" \u00b7 text and code under the {meta['license']} licence" if meta["license"] else ""
    text = (f"<p class=\"softprob-version\">{meta['title']}, version {meta['version']} "
            f"({meta['date']}){licence} \u00b7 "
            f"<a href=\"CITATION.cff\" class=\"softprob-cff\">CITATION.cff</a></p>")
    options = dict(config.html_theme_options or {})
    options["extra_footer"] = text
    config.html_theme_options = options
    extra = list(config.html_extra_path or [])
    if "CITATION.cff" not in extra:
        config.html_extra_path = extra + ["CITATION.cff"]


def fix_cff_links(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """The footer's CITATION.cff link must be relative to each page (it sits at the site root)."""
    footer_html = (context.get("theme_extra_footer") or "")
    if "softprob-cff" in footer_html:
        root = "../" * pagename.count("/")
        context["theme_extra_footer"] = footer_html.replace('href="CITATION.cff"',
                                                            f'href="{root}CITATION.cff"')


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_node(_ListPlaceholder)
    app.add_directive("exercise-list", ExerciseList)
    app.add_directive("theorem-list", TheoremList)
    app.connect("config-inited", footer)
    app.connect("doctree-read", cite_block)
    app.connect("doctree-read", proof_anchors)
    app.connect("doctree-read", note_list_pages)
    app.connect("env-get-outdated", rebuild_list_pages)
    app.connect("doctree-resolved", fill_lists)
    app.connect("html-page-context", fix_cff_links)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
