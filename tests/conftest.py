"""Shared pytest settings: deterministic hypothesis profiles, the browser-test summary.

Profiles (select with the environment variable ``HYPOTHESIS_PROFILE``):

* ``softprob`` (default): 25 examples per property, quick enough for the README's ``pytest``;
* ``long``: 1,000 examples per property - the contract stage of CI:
  ``HYPOTHESIS_PROFILE=long .venv/bin/python -m pytest tests/softprob -m contract``.
"""

import os

from hypothesis import HealthCheck, settings

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
