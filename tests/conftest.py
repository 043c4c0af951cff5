"""Shared pytest settings: a deterministic hypothesis profile; the browser tests' fixtures (the built
book served on 127.0.0.1 and an offline Chromium; shared pieces in tests/sitekit.py)."""

from __future__ import annotations

import functools
import http.server
import shutil
import tempfile
import threading

import pytest
from hypothesis import HealthCheck, settings
from playwright.sync_api import sync_playwright

from sitekit import CHROMIUM, CHROMIUM_ARGS, HTML_DIR, require_prerequisites

settings.register_profile("softprob", max_examples=60, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("softprob")


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


