"""The chapters in the browser: the JupyterLite site that lite/build.py adds to the built book.

Static checks: the "Run in your browser" bar on every chapter page points at a chapter the lite
site holds; the kernel is configured to use only the site's own Pyodide (no PyPI fallback); every
file in ``lite/static/pyodide/`` is in its lock with the right sha256, every file taken from the
carrier wheel equals the official Pyodide lock (re-read from the npm tarball the build verified),
and PROVENANCE.txt lists every file with its sha256.

Browser check: Debian's Chromium (as in test_browser.py, every other host aborted and unresolvable)
opens a chapter in the lite Notebook app from the local server, runs all cells, and requires every
code cell to finish without an error (so every ``assert`` of the chapter ran) and zero requests to
other hosts. Service workers are allowed here, as in a reader's browser: JupyterLite's keeps the
kernel's files in sync (with them blocked, that sync fails against the static server). Times go to
``test-artifacts/lite-timing.txt``: page open to the first cell's output (cold start: Pyodide and
the packages load) and Run All (click to the last cell finished).

One chapter runs here (chapter 1); ``SOFTPROB_LITE_CHAPTERS=all`` (or a comma-separated list of
notebook stems) runs others, e.g. in CI's separate all-chapters stage.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import tarfile
import tempfile
import time
import tomllib
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from sitekit import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    HTML_DIR,
    ROOT,
    SETUP,
    Visit,
    require_prerequisites,
)

LITE = HTML_DIR / "lite"
PYODIDE = LITE / "static" / "pyodide"
PINS = tomllib.loads((ROOT / "lite" / "pins.toml").read_text(encoding="utf-8"))
CACHE = ROOT / "_build" / "lite-cache" / "files"
CHAPTERS = sorted(p.stem for p in (ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
SELECTED = os.environ.get("SOFTPROB_LITE_CHAPTERS", "")
RUN = (CHAPTERS if SELECTED == "all" else [s.strip() for s in SELECTED.split(",") if s.strip()]
       or CHAPTERS[:1])
COLD_TARGET, RUN_TARGET = 30, 60  # seconds, the targets (reported, not enforced)
COLD_LIMIT, RUN_LIMIT = 240, 480  # seconds before the test gives up on a chapter
LITE_SETUP = (f"no JupyterLite site at {LITE}: {SETUP}; its step `.venv/bin/python lite/build.py` "
              "prints why it failed")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def require_lite() -> None:
    require_prerequisites()
    if not (LITE / "notebooks" / "index.html").is_file() or not (PYODIDE / "pyodide-lock.json").is_file():
        pytest.fail(LITE_SETUP, pytrace=False)


# ---------------------------------------------------------------------------- static checks
def test_chapter_pages_link_to_their_lite_copy():
    require_lite()
    for stem in CHAPTERS:
        page = (HTML_DIR / "book" / f"{stem}.html").read_text(encoding="utf-8")
        links = re.findall(r'class="[^"]*lite-run-button[^"]*"\s+href="([^"]+)"', page)
        assert links == [f"../lite/notebooks/index.html?path={stem}.ipynb"], (stem, links)
        assert (LITE / "files" / f"{stem}.ipynb").is_file(), f"{stem}.ipynb is not in the lite site"
        nb = json.loads((LITE / "files" / f"{stem}.ipynb").read_text(encoding="utf-8"))
        assert nb["metadata"]["kernelspec"]["name"] == "python", "not the Pyodide kernel"
        assert nb["cells"][0]["id"] == "lite-note" and "Runnable copy" in nb["cells"][0]["source"]


def test_kernel_uses_only_the_sites_pyodide():
    require_lite()
    config = json.loads((LITE / "jupyter-lite.json").read_text(encoding="utf-8"))
    settings = config["jupyter-config-data"]["litePluginSettings"][
        "@jupyterlite/pyodide-kernel-extension:kernel"]
    assert settings["pyodideUrl"] == "./static/pyodide/pyodide.js"
    assert settings["disablePyPIFallback"] is True
    assert all(url.startswith("./") for url in settings.get("pipliteUrls", []))
    info = json.loads((PYODIDE / "pyodide-lock.json").read_text())["info"]
    assert info["version"] == PINS["pyodide"]["version"]


def test_every_pyodide_file_is_locked_verified_and_listed():
    """Lock <-> files <-> official lock <-> PROVENANCE.txt, file by file."""
    require_lite()
    lock = json.loads((PYODIDE / "pyodide-lock.json").read_text())["packages"]
    core = set(PINS["pyodide"]["core"]) | {"pyodide-lock.json"}
    problems = []
    for name, entry in lock.items():
        path = PYODIDE / entry["file_name"]
        if not path.is_file():
            problems.append(f"{name}: {entry['file_name']} is in the lock but not shipped")
        elif sha256(path) != entry["sha256"]:
            problems.append(f"{name}: {entry['file_name']} differs from its lock sha256")
    shipped = {p.name for p in PYODIDE.iterdir()}
    problems += [f"{extra} is shipped but neither core nor locked"
                 for extra in sorted(shipped - core - {e["file_name"] for e in lock.values()})]
    problems += [f"core file {missing} is missing" for missing in sorted(core - shipped)]

    # The official lock, from the npm tarball the build used, after checking its integrity pin.
    tarball = CACHE / f"pyodide-{PINS['pyodide']['version']}.tgz"
    assert tarball.is_file(), f"{tarball} (kept by lite/build.py) is missing: {SETUP}"
    algorithm, _, expected = PINS["pyodide"]["integrity"].partition("-")
    digest = base64.b64encode(hashlib.new(algorithm, tarball.read_bytes()).digest()).decode()
    assert digest == expected, f"{tarball.name} does not match its pinned integrity"
    with tarfile.open(tarball) as tar:
        official = json.load(tar.extractfile("package/pyodide-lock.json"))["packages"]
        for name in PINS["pyodide"]["core"]:
            if hashlib.sha256(tar.extractfile(f"package/{name}").read()).hexdigest() != sha256(PYODIDE / name):
                problems.append(f"core file {name} differs from the npm package's")
    ours = {e["name"] for e in PINS["pypi"]} | {"softprob"}
    for name, entry in lock.items():
        if name in ours:
            continue
        if name not in official or official[name]["sha256"] != entry["sha256"] \
                or official[name]["file_name"] != entry["file_name"]:
            problems.append(f"{name}: not the official Pyodide {PINS['pyodide']['version']} file")
    for spec in PINS["pypi"]:
        if lock[spec["name"]]["sha256"] != spec["sha256"]:
            problems.append(f"{spec['name']}: not the pinned PyPI wheel")

    provenance = (LITE / "PROVENANCE.txt").read_text(encoding="utf-8")
    listed = dict(re.findall(r"^(\S+)\n  version: .*\n  sha256:  ([0-9a-f]{64})$", provenance,
                             re.MULTILINE))
    for name in sorted(shipped):
        if listed.get(name) != sha256(PYODIDE / name):
            problems.append(f"PROVENANCE.txt does not list {name} with its sha256")
    assert "MPL-2.0" in provenance and provenance.count("licence: ") == len(listed)
    assert not problems, "\n".join(problems)


def test_downloads_offer_every_chapter_and_the_reader_environment():
    require_lite()
    downloads = HTML_DIR / "downloads"
    wheels = sorted(downloads.glob("softprob-*-py3-none-any.whl"))
    assert len(wheels) == 1, wheels
    assert (downloads / "requirements-reader.txt").read_bytes() == \
        (ROOT / "requirements-reader.txt").read_bytes()
    with zipfile.ZipFile(downloads / "softprob-chapters.zip") as archive:
        names = set(archive.namelist())
        expected = {f"softprob-chapters/{stem}.ipynb" for stem in CHAPTERS} | {
            "softprob-chapters/requirements-reader.txt", "softprob-chapters/README.txt",
            f"softprob-chapters/{wheels[0].name}"}
        assert names == expected, names ^ expected
        assert archive.read(f"softprob-chapters/{wheels[0].name}") == wheels[0].read_bytes()
        for stem in CHAPTERS:
            nb = json.loads(archive.read(f"softprob-chapters/{stem}.ipynb"))
            assert nb["metadata"]["kernelspec"]["name"] == "python3"


# ---------------------------------------------------------------------------- browser
@pytest.fixture
def lite_context(server):
    """Headless Chromium as in conftest.py's ``context``, but a new profile for each chapter (a
    first visit: nothing cached), service workers allowed (a reader's browser has them), and every
    request, of pages, workers and service workers alike, routed through the context: local ones
    continue, others are recorded and aborted."""
    profile = tempfile.mkdtemp(prefix="softprob-lite-")
    external: list[str] = []

    def route(route, request):
        if request.url.startswith(server + "/") or request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            external.append(request.url)
            route.abort("blockedbyclient")

    try:
        with sync_playwright() as pw:
            ctx = pw.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                viewport={"width": 1280, "height": 900}, service_workers="allow")
            ctx.set_default_timeout(60_000)
            ctx.route("**/*", route)
            ctx.softprob_external = external
            yield ctx
            ctx.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def timings():
    rows: list[str] = []
    yield rows
    ARTIFACTS.mkdir(exist_ok=True)
    header = (f"JupyterLite chapter runs (Pyodide {PINS['pyodide']['version']}, {CHROMIUM}, "
              f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end)\n"
              f"targets: cold start <= {COLD_TARGET} s, Run All <= {RUN_TARGET} s\n")
    (ARTIFACTS / "lite-timing.txt").write_text(header + "\n".join(rows) + "\n", encoding="utf-8")


NOTEBOOK_STATE = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    const model = panel.content.model, cells = [];
    for (let i = 0; i < model.cells.length; i++) {
        const cell = model.cells.get(i);
        if (cell.type !== 'code') continue;
        const outputs = cell.outputs.toJSON();
        cells.push({
            count: cell.executionCount,
            errors: outputs.filter(o => o.output_type === 'error')
                           .map(o => `${o.ename}: ${o.evalue}`.slice(0, 300)),
            asserts: (cell.sharedModel.getSource().match(/^\\s*assert\\b/gm) || []).length,
        });
    }
    return {cells, status: panel.sessionContext.kernelDisplayStatus};
}"""
PANEL_READY = """() => {
    const app = window.jupyterapp, panel = app && app.shell.currentWidget;
    return !!(panel && panel.context && panel.context.isReady && panel.sessionContext.session
              && panel.sessionContext.session.kernel);
}"""


@pytest.mark.parametrize("stem", RUN)
def test_chapter_runs_in_the_browser(stem, lite_context, server, timings):
    """Run All in the lite Notebook app: every cell runs, no error, no request to another host."""
    require_lite()
    assert stem in CHAPTERS, f"unknown chapter {stem}"
    visit = Visit(lite_context, server)
    try:
        started = time.perf_counter()
        visit.page.goto(f"{server}/lite/notebooks/index.html?path={stem}.ipynb", wait_until="load")
        visit.page.wait_for_function(PANEL_READY, timeout=COLD_LIMIT * 1000)
        opened = time.perf_counter()
        visit.page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
        first = None
        while True:
            state = visit.page.evaluate(NOTEBOOK_STATE)
            now = time.perf_counter()
            ran = [c for c in state["cells"] if c["count"] is not None]
            if ran and first is None:
                first = now
            errors = [e for c in state["cells"] for e in c["errors"]]
            if errors or (len(ran) == len(state["cells"]) and state["status"] == "idle"):
                break
            assert now - started < COLD_LIMIT or first is not None, \
                f"{stem}: no cell had run {COLD_LIMIT} s after the page opened ({state['status']})"
            assert now - opened < RUN_LIMIT, f"{stem}: Run All unfinished after {RUN_LIMIT} s"
            time.sleep(0.25)
        ARTIFACTS.mkdir(exist_ok=True)
        visit.page.screenshot(path=str(ARTIFACTS / f"lite-{stem[:2]}.png"))
    finally:
        visit.close()
    cold, run_all = first - started, now - opened
    flags = [f"cold start over the {COLD_TARGET} s target"] * (cold > COLD_TARGET) + \
        [f"Run All over the {RUN_TARGET} s target"] * (run_all > RUN_TARGET)
    timings.append(f"{stem}: cold start to first output {cold:.1f} s; Run All {run_all:.1f} s; "
                   f"{len(state['cells'])} code cells, {sum(c['asserts'] for c in state['cells'])} "
                   f"asserts" + (f"  [{'; '.join(flags)}]" if flags else ""))
    external = lite_context.softprob_external + visit.external
    # Chromium itself may ask the server root for /favicon.ico (the site has none, and no page
    # names one); that request is the browser's, not the app's.
    favicon = f"{server}/favicon.ico"
    failed = [f for f in visit.failed if not f.endswith(" " + favicon)]
    console = [c for c in visit.console if f"@ {favicon}:" not in c]
    assert not errors, f"{stem}: {errors}"
    assert not external, f"{stem}: requests to other hosts: {external}"
    assert not failed, f"{stem}: failed requests: {failed}"
    assert not console, f"{stem}: console errors: {console}"
    not_run = [i for i, c in enumerate(state["cells"]) if c["count"] is None]
    assert not not_run, f"{stem}: code cells {not_run} did not run"
    asserts = sum(c["asserts"] for c in state["cells"])
    assert asserts > 0, f"{stem}: no assert ran"
