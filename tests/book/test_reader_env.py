"""Running the chapters outside the book's build: the README's JupyterLab command, and the reader
environment made only from what the website offers.

* The README's "run a chapter" command starts JupyterLab headless and serves the chapter.
* ``.venv-reader`` (made by ``.ci/setup`` from requirements-reader.txt and the website's softprob
  wheel) has no build tools (no myst_nb, jupyter_book, sphinx), imports softprob from the wheel,
  and has exactly the pinned versions.
* Chapters from the website's zip execute in it with nbclient, every cell without an error.
  Chapter 5 (the one that glued values with myst_nb) runs here; ``SOFTPROB_READER_CHAPTERS=all``
  (or a comma-separated list of notebook stems) runs others, e.g. in CI's all-chapters stage.
* No source chapter imports myst_nb without a fallback: the per-page ``.ipynb`` download must
  run in the reader environment too.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest
from sitekit import ARTIFACTS, HTML_DIR, ROOT, SETUP

READER = ROOT / ".venv-reader"
READER_PY = READER / "bin" / "python"
ZIP = HTML_DIR / "downloads" / "softprob-chapters.zip"
CHAPTERS = sorted(p.stem for p in (ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
SELECTED = os.environ.get("SOFTPROB_READER_CHAPTERS", "")
RUN = (CHAPTERS if SELECTED == "all" else [s.strip() for s in SELECTED.split(",") if s.strip()]
       or [c for c in CHAPTERS if c.startswith("05_")] or CHAPTERS[:1])
READER_SETUP = f"no reader environment at {READER} or no {ZIP}: {SETUP}"

# Runs inside .venv-reader: execute one notebook with nbclient, report per-cell results as JSON.
RUNNER = r"""
import json, sys, time, nbformat, nbclient
path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
probe = nbformat.v4.new_code_cell(
    "import sys, importlib.util, softprob\n"
    "print(sys.prefix); print(softprob.__file__)\n"
    "print(*[m for m in ('myst_nb', 'jupyter_book', 'sphinx') if importlib.util.find_spec(m)])")
nb.cells.insert(0, probe)
started = time.perf_counter()
error = None
try:
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": sys.argv[2]}}).execute()
except nbclient.exceptions.CellExecutionError as exc:
    error = str(exc)[-2000:]
cells = [{"count": c.execution_count, "asserts": len([l for l in c.source.splitlines()
                                                      if l.strip().startswith("assert")]),
          "errors": [o.get("ename", "") for o in c.get("outputs", []) if o.output_type == "error"]}
         for c in nb.cells if c.cell_type == "code"]
probe_out = "".join(o.get("text", "") for o in nb.cells[0].outputs).split("\n")
print(json.dumps({"seconds": time.perf_counter() - started, "error": error, "cells": cells[1:],
                  "probe": probe_out}))
"""


def _require_reader() -> None:
    if not READER_PY.is_file() or not ZIP.is_file():
        pytest.fail(READER_SETUP, pytrace=False)


@pytest.fixture(scope="module")
def chapters_dir(tmp_path_factory):
    _require_reader()
    dest = tmp_path_factory.mktemp("reader")
    with zipfile.ZipFile(ZIP) as archive:
        archive.extractall(dest)
    return dest / "softprob-chapters"


@pytest.fixture(scope="module")
def timings():
    rows: list[str] = []
    yield rows
    if rows:
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "reader-env-timing.txt").write_text(
            f"chapters executed with nbclient in {READER} ({os.cpu_count()} cores, load average "
            f"{os.getloadavg()[0]:.1f})\n" + "\n".join(rows) + "\n", encoding="utf-8")


def test_reader_environment_is_the_pinned_one_without_build_tools(chapters_dir):
    script = ("import importlib.metadata as m, importlib.util as u, json, softprob\n"
              "names = ['numpy', 'scipy', 'sympy', 'matplotlib', 'scikit-learn', 'jupyterlab']\n"
              "print(json.dumps({'versions': {n: m.version(n) for n in names},\n"
              "  'softprob': softprob.__file__, 'build_tools': [t for t in\n"
              "  ('myst_nb', 'jupyter_book', 'sphinx', 'nbval') if u.find_spec(t)]}))")
    result = subprocess.run([str(READER_PY), "-c", script], cwd=chapters_dir, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    pins = dict(re.findall(r"^([\w-]+)==(\S+)$", (ROOT / "requirements-reader.txt").read_text(),
                           re.MULTILINE))
    assert found["versions"] == pins
    assert Path(found["softprob"]).is_relative_to(READER), found["softprob"]
    assert found["build_tools"] == []


@pytest.mark.parametrize("stem", RUN)
def test_chapter_runs_in_the_reader_environment(stem, chapters_dir, timings):
    """The zip's copy of the chapter, executed with nbclient in .venv-reader: no error."""
    assert stem in CHAPTERS, f"unknown chapter {stem}"
    notebook = chapters_dir / f"{stem}.ipynb"
    result = subprocess.run([str(READER_PY), "-c", RUNNER, str(notebook), str(chapters_dir)],
                            cwd=chapters_dir, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    asserts = sum(c["asserts"] for c in report["cells"])
    timings.append(f"{stem}: {report['seconds']:.1f} s, {len(report['cells'])} code cells, "
                   f"{asserts} asserts")
    prefix, softprob_file, build_tools = report["probe"][:3]
    assert Path(prefix) == READER and Path(softprob_file).is_relative_to(READER), report["probe"]
    assert build_tools == "", f"build tools importable in the reader environment: {build_tools}"
    assert report["error"] is None, f"{stem}:\n{report['error']}"
    assert all(c["count"] is not None and not c["errors"] for c in report["cells"])
    assert asserts > 0


def test_source_chapters_run_without_the_build_tools():
    """Each chapter page's own .ipynb download: no unguarded ``myst_nb`` import."""
    offenders = []
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] != "code":
                continue
            lines = "".join(cell["source"]).split("\n")
            for i, line in enumerate(lines):
                if re.match(r"(from myst_nb import|import myst_nb)", line) and not (
                        i > 0 and lines[i - 1].strip() == "try:"):
                    offenders.append(f"{path.name}: {line}")
    assert not offenders, ("chapters that fail without myst-nb (guard the import with "
                           "try/except ImportError, or print the value):\n" + "\n".join(offenders))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _readme_run_command() -> list[str]:
    """The first command of the README's "Running a chapter" section."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Running a chapter", 1)[1].split("\n## ", 1)[0]
    command = re.search(r"```bash\n(\.venv/bin/jupyter lab [^\n#]+)", section)
    assert command, "README.md: no `.venv/bin/jupyter lab ...` command under 'Running a chapter'"
    return command.group(1).split()


def test_readme_command_serves_a_chapter_headless():
    """The README's command, plus the flags of a headless start, serves the chapter's notebook
    and JupyterLab's page for it, and a kernel starts."""
    command = _readme_run_command()
    executable = ROOT / command[0]
    assert executable.is_file(), f"{command[0]} is missing: {SETUP}"
    chapter = next(arg for arg in command if arg.endswith(".ipynb"))
    port, token = _free_port(), secrets.token_hex(16)
    extra = ["--no-browser", f"--port={port}", "--ServerApp.port_retries=0",
             "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        extra.append("--allow-root")  # as the README says: JupyterLab refuses root without it
    log = ARTIFACTS / "jupyter-lab.log"
    ARTIFACTS.mkdir(exist_ok=True)
    with log.open("w") as out:
        process = subprocess.Popen([str(executable), *command[1:], *extra], cwd=ROOT,
                                   stdout=out, stderr=subprocess.STDOUT)
    base, headers = f"http://127.0.0.1:{port}", {"Authorization": f"token {token}"}

    def get(path: str, method: str = "GET") -> tuple[int, bytes]:
        request = urllib.request.Request(base + path, headers=headers, method=method)
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, reply.read()

    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, f"jupyter lab exited: {log.read_text()[-2000:]}"
            try:
                get("/api/status")
                break
            except OSError:
                assert time.monotonic() < deadline, f"no server after 90 s: {log.read_text()[-2000:]}"
                time.sleep(0.5)
        served = Path(chapter).name  # given a file, JupyterLab serves its folder and opens it
        status, body = get(f"/api/contents/{served}")
        model = json.loads(body)
        assert status == 200 and model["type"] == "notebook"
        assert len(model["content"]["cells"]) == len(json.loads(
            (ROOT / chapter).read_text(encoding="utf-8"))["cells"])
        status, page = get(f"/lab/tree/{served}")
        assert status == 200 and b"JupyterLab" in page
        status, body = get("/api/kernels", method="POST")
        kernel = json.loads(body)
        assert kernel["name"] == "python3"
        get(f"/api/kernels/{kernel['id']}", method="DELETE")
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
