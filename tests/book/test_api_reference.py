"""The softprob API reference in the built book: every public name documented and indexed.

The expected names come from the package itself (each public module's public functions and
classes, and the package's exceptions), never from the build; the browser test opens the same
pages (math typeset, links resolving, no console errors).
"""

from __future__ import annotations

import importlib
import inspect
import re

import pytest

from sitekit import HTML_DIR, ROOT, require_prerequisites

MODULES = sorted(p.stem for p in (ROOT / "softprob").glob("[!_]*.py"))


def _public(module_name: str) -> list[str]:
    module = importlib.import_module(f"softprob.{module_name}")
    return [name for name, obj in vars(module).items()
            if not name.startswith("_") and (inspect.isfunction(obj) or inspect.isclass(obj))
            and getattr(obj, "__module__", "") == module.__name__]


@pytest.fixture(scope="module", autouse=True)
def _built():
    require_prerequisites()


def test_every_public_module_has_a_page_with_its_names_and_examples():
    assert MODULES, "no public softprob modules found"
    for module_name in MODULES:
        page = HTML_DIR / "book" / "api" / f"softprob.{module_name}.html"
        assert page.is_file(), f"no API page for softprob.{module_name}"
        html = page.read_text(encoding="utf-8")
        for name in _public(module_name):
            assert f'id="softprob.{module_name}.{name}"' in html, (
                f"softprob.{module_name}.{name} is not documented on its page")
        assert html.count("viewcode-link") >= len(_public(module_name)), (
            f"softprob.{module_name}: not every entry links to its source")
        assert "&gt;&gt;&gt;" in html, f"softprob.{module_name}: no example shown"


def test_general_index_lists_every_public_function_and_class():
    html = (HTML_DIR / "genindex.html").read_text(encoding="utf-8")
    anchors = set(re.findall(r'href="book/api/[\w.]+\.html#(softprob\.[\w.]+)"', html))
    expected = {f"softprob.{m}.{n}" for m in MODULES for n in _public(m)}
    expected |= {"softprob.PerfectSeparationError", "softprob.PerfectSeparationWarning",
                 "softprob.RankDeficiencyWarning"}
    missing = sorted(expected - anchors)
    assert not missing, f"not in the general index: {missing}"


def test_entries_name_the_chapters_that_use_them():
    html = (HTML_DIR / "book" / "api" / "softprob.fit.html").read_text(encoding="utf-8")
    entry = html[html.find('id="softprob.fit.fit_logistic"'):]
    entry = entry[:entry.find('<dl class="py')]
    assert "Used in" in entry and "01_cross_entropy_is_kl.html" in entry, (
        "fit_logistic's entry does not name chapter 1, which uses it")
