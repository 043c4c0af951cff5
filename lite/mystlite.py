"""MyST Markdown of the chapter notebooks -> plain Markdown that JupyterLab renders.

The book's notebooks use MyST roles and directives (``{eq}`label```, ``{cite:p}`key```,
```` ```{prf:theorem} ````, ``$$ ... $$ (label)``, ...) that Jupyter Book renders and JupyterLab
shows as raw text. The copies run in JupyterLite and offered as a download are converted here:

* an equation label becomes a tag on the equation, ``\\tag{ch1-decomp}``, and a reference to it
  ``(eq. ch1-decomp)``: the label is the equation's stable name (its anchor on the web page);
* a theorem-like block becomes a quoted paragraph with a bold heading, ``**Theorem (label).
  Title.**``, and a reference to it ``Theorem ch1-thm-decomp``;
* a citation becomes ``(Author, year)`` or ``Author (year)``, from references.bib (or the key);
* ``{ref}``, ``{numref}``, ``{term}``, ``{doc}`` and unknown roles keep their text;
  ``{glue:text}`` shows the value stored in the source notebook's outputs;
* exercises, solutions (also the gated ``-start``/``-end`` form) and admonitions become quoted
  paragraphs with a bold heading; a non-gated solution is a collapsed ``<details>`` block;
* ``(label)=`` targets are dropped.

Everything else (text, inline and display math, code blocks) is left as it is. The functions are
pure; ``lite/build.py`` applies :func:`convert_notebook` to every chapter and
``tests/book/test_lite_convert.py`` checks every construct on a sample.
"""

from __future__ import annotations

import ast
import codecs
import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

PRF_KINDS = {  # sphinx-proof directive -> heading
    "theorem": "Theorem", "lemma": "Lemma", "proposition": "Proposition",
    "corollary": "Corollary", "definition": "Definition", "proof": "Proof", "remark": "Remark",
    "example": "Example", "conjecture": "Conjecture", "axiom": "Axiom", "criterion": "Criterion",
    "property": "Property", "observation": "Observation", "assumption": "Assumption",
    "algorithm": "Algorithm", "notation": "Notation",
}
LABEL_KINDS = {  # label prefix (chN-<prefix>-...) -> what a reference to it is called
    "thm": "Theorem", "lem": "Lemma", "prop": "Proposition", "cor": "Corollary",
    "def": "Definition", "sec": "Section", "fig": "Figure", "ex": "Exercise", "tab": "Table",
}
ADMONITIONS = {
    "note": "Note", "warning": "Warning", "tip": "Tip", "hint": "Hint", "important": "Important",
    "caution": "Caution", "attention": "Attention", "danger": "Danger", "error": "Error",
    "seealso": "See also", "admonition": "", "epigraph": "", "margin": "", "sidebar": "",
}
FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|:{3,})\s*(?P<info>.*)$")
DIRECTIVE = re.compile(r"^\{(?P<name>[\w:.+-]+)\}\s*(?P<arg>.*)$")
OPTION = re.compile(r"^:(?P<key>[\w-]+):\s*(?P<value>.*)$")
ROLE = re.compile(r"\{(?P<name>[A-Za-z][\w:+.-]*)\}`(?P<text>[^`]+)`")
TARGET = re.compile(r"^\((?P<label>[^()\s]+)\)=\s*$")
LABELLED_MATH = re.compile(r"\$\$(?P<body>(?:(?!\$\$).)+?)\$\$[ \t]*\((?P<label>[^()\s]+)\)",
                           re.DOTALL)
EXPLICIT = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.DOTALL)


@dataclass
class Context:
    """What the conversion of one notebook needs beyond its own text."""

    cite: Callable[[list[str], str], str] = lambda keys, mode: "(" + "; ".join(keys) + ")"
    glue: Mapping[str, object] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)  # label -> "Theorem" etc. (this notebook)
    titles: dict[str, str] = field(default_factory=dict)  # section label -> heading text


# ---------------------------------------------------------------------------- roles
def _explicit(text: str) -> tuple[str | None, str]:
    """``title <target>`` -> (title, target); ``target`` -> (None, target)."""
    match = EXPLICIT.match(text)
    if match and match["text"]:
        return match["text"], match["target"]
    return None, (match["target"] if match else text)


def _kind(label: str, ctx: Context) -> str:
    if label in ctx.labels:
        return ctx.labels[label]
    parts = label.split("-")
    return LABEL_KINDS.get(parts[1], "") if len(parts) > 2 else ""


def _glue_text(spec: str, ctx: Context) -> str:
    name, _, fmt = spec.partition(":")
    if name not in ctx.glue:
        return f"`{name}` (computed in the code above)"
    value = ctx.glue[name]
    if fmt:
        try:
            return format(float(value), fmt) if isinstance(value, str) else format(value, fmt)
        except (TypeError, ValueError):
            pass
    return str(value)


def convert_role(name: str, text: str, ctx: Context) -> str:
    """One role, ``{name}`text```, as plain Markdown."""
    title, target = _explicit(text)
    if name in ("eq", "math:numref"):
        return f"(eq. {target})"
    if name == "math":
        return f"${text}$"
    if name.startswith("cite"):
        mode = name.partition(":")[2] or "p"
        return ctx.cite([k.strip() for k in target.split(",") if k.strip()], mode)
    if name in ("prf:ref", "ref", "numref"):
        if title:
            return title.replace("%s", target).replace("{number}", target)
        if name == "ref" and target in ctx.titles:
            return f"*{ctx.titles[target]}*"
        kind = _kind(target, ctx)
        return f"{kind} {target}" if kind else target
    if name == "glue:text" or name == "glue":
        return _glue_text(target, ctx)
    if name in ("term", "doc", "download", "abbr", "index", "sub", "sup", "guilabel", "kbd"):
        return title or target
    if name in ("code", "literal", "samp", "file"):
        return f"`{text}`"
    return title or target  # unknown role: keep what the reader would have seen


def convert_roles(text: str, ctx: Context) -> str:
    return ROLE.sub(lambda m: convert_role(m["name"], m["text"], ctx), text)


# ---------------------------------------------------------------------------- directives
def _split_fenced(lines: list[str], start: int) -> tuple[dict, int]:
    """The directive whose opening fence is lines[start]: name, argument, options, body lines,
    and the index after its closing fence (or the end)."""
    opening = FENCE.match(lines[start])
    char, width = opening["fence"][0], len(opening["fence"])
    directive = DIRECTIVE.match(opening["info"].strip())
    end = start + 1
    while end < len(lines):
        stripped = lines[end].strip()
        if stripped and set(stripped) == {char} and len(stripped) >= width:
            break
        end += 1
    body = lines[start + 1:end]
    options = {}
    if body and body[0].strip() == "---":  # YAML option block
        close = next((i for i in range(1, len(body)) if body[i].strip() == "---"), None)
        if close is not None:
            for line in body[1:close]:
                key, _, value = line.partition(":")
                options[key.strip()] = value.strip()
            body = body[close + 1:]
    while body and OPTION.match(body[0]):
        option = OPTION.match(body[0])
        options[option["key"]] = option["value"]
        body = body[1:]
    info = {"name": directive["name"] if directive else None,
            "arg": directive["arg"].strip() if directive else opening["info"].strip(),
            "options": options, "body": body, "raw": lines[start:end + 1]}
    return info, min(end + 1, len(lines))


MATH_SPAN = re.compile(r"\$\$.+?\$\$|\$[^$]+\$", re.DOTALL)


def _quote(text: str) -> list[str]:
    """Text as a block quote. Math is first put on one line each: JupyterLab takes math out of
    the text before it parses Markdown, so a quote's "> " inside math would be typeset."""
    text = MATH_SPAN.sub(lambda m: re.sub(r"\s*\n\s*", " ", m.group(0)), text.strip("\n"))
    return ["> " + line if line.strip() else ">" for line in text.split("\n")]


def _join(head: str, body: str) -> str:
    """A bold heading and its text: on one line, or a paragraph apart if the text opens a block."""
    if not head or not body:
        return head or body
    block = re.match(r"\$\$|[-*+>|`]|\d+\.|<", body.lstrip())
    return f"{head}\n\n{body}" if block else f"{head} {body}"


def _heading(word: str, label: str | None, title: str) -> str:
    head = word + (f" ({label})" if label else "")
    return f"**{head}.{(' ' + title.rstrip('.') + '.') if title else ''}**"


def convert_directive(d: dict, ctx: Context) -> list[str]:
    """One directive as plain Markdown lines."""
    name, arg, options = d["name"], d["arg"], d["options"]
    body = convert_markdown("\n".join(d["body"]), ctx).strip("\n")
    arg = convert_roles(arg, ctx)
    label = options.get("label")
    domain, _, kind = (name or "").rpartition(":")
    if name is None:  # a plain code block: untouched
        return d["raw"]
    if domain == "prf" and kind in PRF_KINDS:
        if kind == "proof":
            return _quote(_join("**Proof.**", body + " $\\blacksquare$"))
        return _quote(_join(_heading(PRF_KINDS[kind], label, arg), body))
    if name in ("exercise", "exercise-start"):
        return _quote(_join(_heading("Exercise", label, arg), body))
    if name == "exercise-end":
        return ["*(end of exercise)*"]
    if name == "solution-start":
        return _quote(_join(f"**Solution to {arg}.**", body))
    if name == "solution-end":
        return ["*(end of solution)*"]
    if name == "solution" or name == "dropdown" or "dropdown" in options.get("class", ""):
        summary = f"Solution to {arg}" if name == "solution" else (arg or "Details")
        return ["<details>", f"<summary>{summary}</summary>", "", *body.split("\n"), "",
                "</details>"]
    if name == "math":
        tag = f" \\tag{{{label}}}" if label else ""
        return ["$$", body + tag, "$$"]
    if name in ("code-block", "code", "code-cell", "sourcecode"):
        return ["```" + arg, *d["body"], "```"]
    if name in ("figure", "image"):
        alt = options.get("alt", "figure")
        caption = f"\n\n*{body}*" if body else ""
        return [f"![{alt}]({arg}){caption}"]
    if name in ADMONITIONS:
        word = ADMONITIONS[name]
        if word:  # note, warning, ...: an argument is the start of the content
            return _quote(_join(f"**{word}.**", "\n\n".join(x for x in (arg, body) if x)))
        return _quote(_join(f"**{arg}.**" if arg else "", body))
    if name in ("glossary", "only", "container", "div", "rubric", "raw") or name.startswith("glue"):
        return body.split("\n") if body else []
    word = (kind or name).replace("-", " ").capitalize()
    return _quote(_join(f"**{word}{(' ' + arg) if arg else ''}.**", body))


# ---------------------------------------------------------------------------- cells
def _labelled_math(match: re.Match) -> str:
    body = match["body"].strip("\n")
    if "\\\\" in body and "\\begin" not in body:  # several lines: Sphinx wraps them in split
        body = f"\\begin{{split}}{body}\\end{{split}}"
    return f"$${body} \\tag{{{match['label']}}}$$"


def convert_markdown(text: str, ctx: Context) -> str:
    """The text of one Markdown cell (or a directive's body), converted."""
    lines = text.split("\n")
    out: list[str] = []
    plain: list[str] = []

    def flush():
        if plain:
            chunk = LABELLED_MATH.sub(_labelled_math, "\n".join(plain))
            out.extend(convert_roles(chunk, ctx).split("\n"))
            plain.clear()

    i = 0
    while i < len(lines):
        if TARGET.match(lines[i]):
            i += 1
            continue
        if FENCE.match(lines[i]):
            flush()
            directive, i = _split_fenced(lines, i)
            out.extend(convert_directive(directive, ctx))
            continue
        plain.append(lines[i])
        i += 1
    flush()
    return "\n".join(out)


def collect_labels(cells: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Theorem-like labels (label -> heading word) and section labels (label -> heading text)."""
    labels, titles = {}, {}
    for text in cells:
        lines = text.split("\n")
        for i, line in enumerate(lines):
            fence = FENCE.match(line)
            directive = fence and DIRECTIVE.match(fence["info"].strip())
            if directive:
                kind = directive["name"].rpartition(":")[2]
                for option in lines[i + 1:i + 6]:
                    found = OPTION.match(option.strip())
                    if found and found["key"] == "label":
                        labels[found["value"]] = PRF_KINDS.get(kind, kind.capitalize())
            target = TARGET.match(line)
            if target and i + 1 < len(lines) and lines[i + 1].startswith("#"):
                titles[target["label"]] = lines[i + 1].lstrip("#").strip()
    return labels, titles


def stored_glue(nb: dict) -> dict[str, object]:
    """Values glued with myst_nb.glue in the notebook's stored outputs (name -> value)."""
    values = {}
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []):
            name = (output.get("metadata") or {}).get("scrapbook", {}).get("name")
            if not name:
                continue
            data = output.get("data", {})
            text = next((v for k, v in data.items() if k.endswith("text/plain")), None)
            if isinstance(text, list):
                text = "".join(text)
            try:
                values[name] = ast.literal_eval(text)
            except (ValueError, SyntaxError, TypeError):
                values[name] = text
    return values


GLUE_IMPORT = re.compile(r"^from myst_nb import glue[ \t]*$", re.MULTILINE)
GLUE_GUARD = """try:
    from myst_nb import glue
except ImportError:  # outside the book's build: show the value, or nothing
    def glue(name, value, display=True):
        if display:
            from IPython.display import display as _show
            _show(value)"""


def convert_notebook(nb: dict, ctx: Context, note: str) -> dict:
    """A converted copy: Markdown converted, ``note`` as a first cell, outputs cleared,
    ``hide-input`` cells collapsed, and an unguarded ``from myst_nb import glue`` guarded."""
    nb = copy.deepcopy(nb)
    sources = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
               for c in nb["cells"]]
    labels, titles = collect_labels([s for s, c in zip(sources, nb["cells"])
                                     if c["cell_type"] == "markdown"])
    ctx = Context(cite=ctx.cite, glue={**stored_glue(nb), **ctx.glue},
                  labels={**labels, **ctx.labels}, titles={**titles, **ctx.titles})
    for cell, source in zip(nb["cells"], sources):
        if cell["cell_type"] == "markdown":
            cell["source"] = convert_markdown(source, ctx)
        elif cell["cell_type"] == "code":
            cell["source"] = GLUE_IMPORT.sub(GLUE_GUARD, source)
            cell["outputs"] = []
            cell["execution_count"] = None
            if "hide-input" in cell.get("metadata", {}).get("tags", []):
                cell["metadata"].setdefault("jupyter", {})["source_hidden"] = True
    first = {"cell_type": "markdown", "id": "lite-note", "metadata": {}, "source": note}
    nb["cells"].insert(0, first)
    return nb


# ---------------------------------------------------------------------------- citations
def bib_citer(bib_path: Path) -> Callable[[list[str], str], str]:
    """``cite(keys, mode)`` from a BibTeX file: mode "p" -> "(Cover and Thomas, 2006; ...)",
    "t" -> "Cover and Thomas (2006)". Unknown keys are shown as the key."""
    import latexcodec  # noqa: F401  (registers the "ulatex" codec; pybtex depends on it)
    from pybtex.database import parse_file

    def plain(text: str) -> str:
        text = codecs.decode(text, "ulatex") if "\\" in text else text  # str to str
        return re.sub(r"[{}]", "", text)

    entries = {}
    for key, entry in parse_file(str(bib_path), bib_format="bibtex").entries.items():
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        last = [plain(" ".join(p.prelast_names + p.last_names)) for p in people]
        who = (last[0] if len(last) == 1 else f"{last[0]} and {last[1]}" if len(last) == 2
               else f"{last[0]} et al." if last else plain(entry.fields.get("title", key)))
        entries[key] = (who, plain(entry.fields.get("year", "n.d.")))

    def cite(keys: list[str], mode: str) -> str:
        found = [entries.get(k, (k, "")) for k in keys]
        if mode == "year":
            return "; ".join(year or who for who, year in found)
        if mode.startswith("t"):
            return "; ".join(f"{who} ({year})" if year else who for who, year in found)
        return "(" + "; ".join(f"{who}, {year}" if year else who for who, year in found) + ")"

    return cite
