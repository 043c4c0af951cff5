"""Shared pytest settings: deterministic hypothesis profiles; the browser tests' fixtures (the built
book served on 127.0.0.1 and an offline Chromium; shared pieces in tests/sitekit.py).

Hypothesis profiles (select with the environment variable ``HYPOTHESIS_PROFILE``):

* ``softprob`` (default): 25 examples per property, quick enough for the README's ``pytest``;
* ``long``: 1,000 examples per property - the contract stage of CI:
  ``HYPOTHESIS_PROFILE=long .venv/bin/python -m pytest tests/softprob -m contract``.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import tempfile
import threading

import pytest
from hypothesis import HealthCheck, settings
from playwright.sync_api import sync_playwright

from sitekit import CHROMIUM, CHROMIUM_ARGS, HTML_DIR, require_prerequisites

_QUIET = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]
settings.register_profile("softprob", max_examples=25, deadline=None, derandomize=True,
                          suppress_health_check=_QUIET)
settings.register_profile("long", max_examples=1000, deadline=None, derandomize=True,
                          suppress_health_check=_QUIET)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "softprob"))


def pytest_terminal_summary(terminalreporter, config):
    """Show the browser test's counts (pages, requests, equations) without needing ``-s``."""
    summary = getattr(config, "softprob_browser_summary", None)
    if summary:
        terminalreporter.write_sep("-", "browser test summary (also in test-artifacts/)")
        terminalreporter.write_line(summary)


@pytest.fixture(scope="module")
def server():
    """The built book over HTTP on 127.0.0.1, on a free port, in a daemon thread."""
    require_prerequisites()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(HTML_DIR)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def context(server):
    """A headless Chromium with a fresh profile; service workers blocked."""
    profile = tempfile.mkdtemp(prefix="softprob-chromium-")
    try:
        with sync_playwright() as pw:
            ctx = pw.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                viewport={"width": 1280, "height": 900}, service_workers="block",
                offline=False)
            ctx.set_default_timeout(30_000)
            yield ctx
            ctx.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


# ---------------------------------------------------------------------------- the a11y stage
# tests/book/test_a11y.py (axe-core over every page, both colour modes, 1280 and 390 px) is
# marked `a11y`. It takes minutes, so the README's test command leaves it out and .ci/run runs
# it as a stage of its own: `.venv/bin/python -m pytest -m a11y tests/book`.
def pytest_configure(config):
    config.addinivalue_line(
        "markers", "a11y: the axe-core sweep of every page; run with `pytest -m a11y tests/book`")


def pytest_collection_modifyitems(config, items):
    if "a11y" in (config.getoption("markexpr", "") or ""):
        return  # asked for by marker expression: pytest's own -m filter applies
    sweep = [item for item in items if item.get_closest_marker("a11y")]
    if sweep:
        config.hook.pytest_deselected(items=sweep)
        items[:] = [item for item in items if not item.get_closest_marker("a11y")]
