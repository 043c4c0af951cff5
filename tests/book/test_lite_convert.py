"""lite/mystlite.py: every MyST construct the chapters use becomes plain Markdown for JupyterLab.

The sample below holds one of each construct; the assertions name what the reader must see. A last
test converts every real chapter and checks that no MyST syntax is left in its Markdown.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "lite"))
import mystlite  # noqa: E402

SAMPLE = r"""(ch1-sec-kl)=
## What we want

The divergence {cite:p}`cover2006elements` and, as {cite:t}`guo2017calibration,nokey` show,

$$
D(\theta) = \sum_c P(c \mid x) \log \frac{P}{f} .
$$ (ch1-ckl)

By {eq}`ch1-ckl` and {eq}`ch2-law`, {prf:ref}`ch1-thm-decomp` and {prf:ref}`ch3-prop-shift` hold;
see {ref}`ch1-sec-kl`, {ref}`the law <ch2-sec-law>`, {numref}`ch1-fig-path`, {term}`logit`,
{term}`posteriors <posterior>`, and the value {glue:text}`ch5_kl` (or {glue:text}`ch5_num:.2f`).

```{prf:theorem} Cross-entropy = entropy + KL
:label: ch1-thm-decomp

For any $p$,
$$
a = b
\\ c = d
$$
```

````{exercise} Redo the proof
:label: ch1-ex-redo

Show it.
````

```{solution-start} ch1-ex-redo
:class: dropdown
```

```{solution-end}
```

```{solution} ch1-ex-redo
The answer.
```

```{note}
A remark with {eq}`ch1-ckl`.
```

```python
x = {eq}`not-a-role-in-code`
```
"""


def cite(keys, mode):
    names = {"cover2006elements": ("Cover and Thomas", "2006"),
             "guo2017calibration": ("Guo et al.", "2017")}
    found = [names.get(k, (k, "")) for k in keys]
    if mode == "t":
        return "; ".join(f"{w} ({y})" if y else w for w, y in found)
    return "(" + "; ".join(f"{w}, {y}" if y else w for w, y in found) + ")"


@pytest.fixture(scope="module")
def converted():
    labels, titles = mystlite.collect_labels([SAMPLE])
    ctx = mystlite.Context(cite=cite, glue={"ch5_kl": "1.09e-03", "ch5_num": 0.123456},
                           labels=labels, titles=titles)
    return mystlite.convert_markdown(SAMPLE, ctx)


def test_equations_are_tagged_and_referenced_by_label(converted):
    assert re.search(r"\$\$D\(\\theta\) = .* \. \\tag\{ch1-ckl\}\$\$", converted)
    assert "By (eq. ch1-ckl) and (eq. ch2-law)," in converted
    assert "$$ (ch1-ckl)" not in converted


def test_theorem_is_a_quoted_paragraph_with_title_and_label(converted):
    assert "> **Theorem (ch1-thm-decomp). Cross-entropy = entropy + KL.** For any $p$," in converted
    # display math inside the quote is on one line, so no "> " ends up inside the math
    assert "> $$ a = b \\\\ c = d $$" in converted
    assert "Theorem ch1-thm-decomp and Proposition ch3-prop-shift hold" in converted


def test_citations_from_the_bibliography(converted):
    assert "The divergence (Cover and Thomas, 2006) and, as Guo et al. (2017); nokey show" in converted


def test_references_keep_readable_text(converted):
    assert "see *What we want*, the law, Figure ch1-fig-path, logit," in converted
    assert "posteriors, and the value 1.09e-03 (or 0.12)." in converted


def test_exercises_solutions_and_admonitions(converted):
    assert "> **Exercise (ch1-ex-redo). Redo the proof.** Show it." in converted
    assert "> **Solution to ch1-ex-redo.**" in converted
    assert "*(end of solution)*" in converted
    assert "<details>\n<summary>Solution to ch1-ex-redo</summary>\n\nThe answer." in converted
    assert "> **Note.** A remark with (eq. ch1-ckl)." in converted


def test_targets_dropped_and_code_untouched(converted):
    assert "(ch1-sec-kl)=" not in converted and converted.lstrip().startswith("## What we want")
    assert "x = {eq}`not-a-role-in-code`" in converted
    assert not re.search(r"```\{|:::\{|\{(eq|cite:[pt]|prf:ref|ref|numref|term|glue:text)\}`",
                         converted.replace("{eq}`not-a-role-in-code`", ""))


def test_bibliography_citer():
    cite_bib = mystlite.bib_citer(ROOT / "references.bib")
    assert cite_bib(["cover2006elements"], "p") == "(Cover and Thomas, 2006)"
    assert cite_bib(["goodfellow2014gan"], "t") == "Goodfellow et al. (2014)"
    assert cite_bib(["missing-key"], "p") == "(missing-key)"
    # LaTeX accents in names become Unicode (latexcodec), braces go
    assert cite_bib(["brocker2009reliability"], "p") == "(Bröcker, 2009)"
    assert cite_bib(["blasiok2023smooth"], "t") == "Błasiok and Nakkiran (2024)"


def test_notebook_note_outputs_and_glue_guard():
    nb = {"cells": [
        {"cell_type": "code", "id": "a", "metadata": {"tags": ["hide-input"]}, "execution_count": 3,
         "source": "import numpy as np\nfrom myst_nb import glue\nglue('v', 1.5, display=False)",
         "outputs": [{"output_type": "display_data", "metadata": {"scrapbook": {"name": "v"}},
                      "data": {"application/papermill.record/text/plain": "'1.5'"}}]},
        {"cell_type": "markdown", "id": "b", "metadata": {}, "source": "Value {glue:text}`v`."},
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    out = mystlite.convert_notebook(nb, mystlite.Context(), "NOTE")
    assert [c["id"] for c in out["cells"]] == ["lite-note", "a", "b"]
    assert out["cells"][0]["source"] == "NOTE"
    code = out["cells"][1]
    assert code["outputs"] == [] and code["execution_count"] is None
    assert code["metadata"]["jupyter"]["source_hidden"] is True
    assert "try:\n    from myst_nb import glue\nexcept ImportError:" in code["source"]
    assert out["cells"][2]["source"] == "Value 1.5."
    scope: dict = {}
    exec(code["source"].replace("import numpy as np\n", ""), scope)  # the guard runs without myst_nb
    assert nb["cells"][0]["outputs"], "the source notebook is not modified"


@pytest.mark.parametrize("path", sorted((ROOT / "book").glob("*.ipynb")), ids=lambda p: p.stem)
def test_every_chapter_converts_to_plain_markdown(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    out = mystlite.convert_notebook(nb, mystlite.Context(cite=mystlite.bib_citer(
        ROOT / "references.bib")), "NOTE")
    leftovers = []
    for cell in out["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        text = cell["source"]
        leftovers += re.findall(r"\{[a-z][\w:-]*\}`[^`]*`", text)        # roles
        leftovers += re.findall(r"^(?:`{3,}|:{3,})\{.*$", text, re.MULTILINE)  # directives
        leftovers += re.findall(r"^\([\w-]+\)=$", text, re.MULTILINE)      # targets
        leftovers += re.findall(r"\$\$[ \t]*\([\w-]+\)", text)             # equation labels
        leftovers += [line for line in text.split("\n")                      # math split by a quote
                      if line.startswith(">") and line.count("$$") % 2]
    assert not leftovers, leftovers
