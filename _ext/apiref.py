"""The API reference names, under every function and class, the chapters that use it.

A local Sphinx extension (loaded by _config.yml). When the book is built it reads the code cells of
every chapter notebook (``book/NN_*.ipynb``) with ``ast`` and records which ``softprob`` names each
chapter uses: ``from softprob.fit import fit_logistic`` then ``fit_logistic(...)``,
``from softprob import symbolic as sym`` then ``sym.sigmoid(...)``. A method call on an object
(``prob.quadrature(...)``) cannot be resolved without running the code, so a method is listed under
the chapters that use its class. autodoc then appends to each docstring a line "Used in: chapter 1,
chapter 3", with links, so a reader can go from a function to the chapters that explain it.
"""

from __future__ import annotations

import ast
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

CHAPTER = re.compile(r"^(\d\d)_")


def _uses(source: str) -> set[str]:
    """Fully qualified softprob names (``softprob.fit.fit_logistic``) used by one cell's code."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    alias: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("softprob"):
            for name in node.names:
                alias[name.asname or name.name] = f"{node.module}.{name.name}"
        elif isinstance(node, ast.Import):
            for name in node.names:
                if name.name.startswith("softprob"):
                    alias[name.asname or name.name] = name.name
    used = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id in alias:
            used.add(f"{alias[node.value.id]}.{node.attr}")
        elif isinstance(node, ast.Name) and node.id in alias:
            used.add(alias[node.id])
    return used


def chapter_uses(book: Path) -> dict[str, set[int]]:
    """softprob name -> numbers of the chapters whose code uses it."""
    found: dict[str, set[int]] = defaultdict(set)
    for path in sorted(book.glob("[0-9][0-9]_*.ipynb")):
        number = int(CHAPTER.match(path.name).group(1))
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        aliases = "\n".join("".join(c["source"]) for c in cells
                            if c["cell_type"] == "code" and "import" in "".join(c["source"]))
        for cell in cells:
            if cell["cell_type"] == "code":
                # imports live in the set-up cell: parse each cell together with them
                for name in _uses(aliases + "\n" + "".join(cell["source"])):
                    found[name].add(number)
    return found


def append_used_in(app: Sphinx, what: str, name: str, obj: Any, options: Any,
                   lines: list[str]) -> None:
    """autodoc-process-docstring: add "Used in" under functions, classes and methods."""
    if what not in ("function", "class", "method", "exception", "property"):
        return
    uses = app.env.softprob_chapter_uses
    chapters = set(uses.get(name, set()))
    if what in ("method", "property"):
        chapters |= uses.get(name.rsplit(".", 1)[0], set())
    if what == "class":
        prefix = name + "."
        chapters |= {c for key, nums in uses.items() if key.startswith(prefix) for c in nums}
    if not chapters:
        return
    links = ", ".join(f":ref:`chapter {n} <ch{n}>`" for n in sorted(chapters))
    through = " (through its class)" if what in ("method", "property") else ""
    lines += ["", f"*Used in* {links}{through}."]


def load_uses(app: Sphinx) -> None:
    app.env.softprob_chapter_uses = chapter_uses(Path(app.srcdir) / "book")


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", load_uses)
    app.connect("autodoc-process-docstring", append_used_in)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
