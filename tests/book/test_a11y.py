"""axe-core over every page of the built book: light and dark mode, 1280 px and 390 px wide.

Each page is opened offline in Debian's Chromium (the fixtures of tests/conftest.py), fully
typeset, and axe-core (tests/book/package.json pins it; `.ci/setup` installs it with npm ci) is
injected and run four times: light and dark at 1280 px, then, loaded again at 390 px (the theme
makes scrollable boxes focusable at load time, as on a phone), dark and light. The colour mode is
switched the way the theme's own button does it (the ``data-mode`` and ``data-theme`` attributes
of <html>). Any violation, of any impact, fails the page, with the rule, the elements and axe's
advice.

This is the `a11y` stage: it takes minutes, so the README's test command leaves it out and
.ci/run runs it on its own with ``.venv/bin/python -m pytest -m a11y tests/book``. A summary goes
to test-artifacts/a11y-summary.txt. Fixes belong in the theme configuration, _static/softprob.css,
_templates/ or _ext/site_fixes.py, never in this file.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest

from sitekit import ARTIFACTS, AXE_JS, MISSING, PAGES, SETUP, Visit

pytestmark = pytest.mark.a11y

WIDTHS = (1280, 390)
MODES = ("light", "dark")
RUNS = [(1280, "light"), (1280, "dark"), (390, "dark"), (390, "light")]

SET_MODE = """mode => {
    document.documentElement.dataset.mode = mode;
    document.documentElement.dataset.theme = mode;
    try { localStorage.setItem('mode', mode); localStorage.setItem('theme', mode); } catch (e) {}
}"""
RUN_AXE = """async () => {
    // Let the colour change finish: the theme animates colours when the mode changes.
    await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
    await Promise.all(document.getAnimations().filter(a => a instanceof CSSTransition)
        .map(a => a.finished.catch(() => null)));
    const result = await axe.run(document, {resultTypes: ['violations']});
    return {version: axe.version, violations: result.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(n => ({target: n.target.join(' '),
                                  summary: (n.failureSummary || '').slice(0, 300)}))}))};
}"""


@pytest.fixture(scope="module")
def sweep(request):
    """Counts over the module; written to test-artifacts/a11y-summary.txt."""
    totals = {"pages": 0, "runs": 0, "violations": Counter(), "axe": None}
    started = time.perf_counter()
    yield totals
    lines = [
        f"axe-core {totals['axe']} over {totals['pages']} of {len(PAGES)} built pages x "
        f"{len(MODES)} colour modes x {len(WIDTHS)} widths = {totals['runs']} runs",
        "violations: " + (", ".join(f"{rule} ({n} elements)" for rule, n in
                                     sorted(totals["violations"].items())) or "none"),
        f"time: {time.perf_counter() - started:.0f} s",
    ]
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "a11y-summary.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n" + "\n".join(lines))


def test_axe_is_installed():
    """axe-core comes from the repository's own package.json, installed by the set-up."""
    assert AXE_JS.is_file(), f"no {AXE_JS}: {SETUP} (it runs `npm ci` in tests/book)"


@pytest.mark.parametrize("page_path", PAGES or [MISSING])
def test_page_has_no_axe_violations(page_path, context, server, sweep):
    assert AXE_JS.is_file(), f"no {AXE_JS}: {SETUP}"
    axe_source = AXE_JS.read_text(encoding="utf-8")
    visit = Visit(context, server)
    problems = []
    loaded = False
    try:
        visit.page.set_viewport_size({"width": 1280, "height": 900})
        visit.page.add_init_script(
            "try { localStorage.setItem('mode', 'light'); localStorage.setItem('theme', 'light'); }"
            " catch (e) {}")
        for width, mode in RUNS:
            if visit.page.viewport_size["width"] != width:
                visit.page.set_viewport_size({"width": width, "height": 900 if width > 800 else 844})
                loaded = False
            if not loaded:
                visit.open(page_path)
                visit.settle()
                visit.page.add_script_tag(content=axe_source)
                loaded = True
            visit.page.evaluate(SET_MODE, mode)
            result = visit.page.evaluate(RUN_AXE)
            sweep["axe"] = result["version"]
            sweep["runs"] += 1
            for v in result["violations"]:
                sweep["violations"][v["id"]] += len(v["nodes"])
                targets = "; ".join(n["target"] for n in v["nodes"][:5])
                more = f" (+{len(v['nodes']) - 5} more)" if len(v["nodes"]) > 5 else ""
                problems.append(f"[{mode}, {width} px] {v['id']} ({v['impact']}): {v['help']}: "
                                f"{targets}{more}\n      {v['nodes'][0]['summary']}")
    finally:
        visit.close()
    sweep["pages"] += 1
    problems += [f"console error: {c}" for c in visit.console]
    assert not problems, f"{page_path}:\n  " + "\n  ".join(problems)
