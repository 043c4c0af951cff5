"""Shared pytest settings: a deterministic hypothesis profile."""

from hypothesis import HealthCheck, settings

settings.register_profile("softprob", max_examples=60, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("softprob")


def pytest_terminal_summary(terminalreporter, config):
    """Show the browser test's counts (pages, requests, equations) without needing ``-s``."""
    summary = getattr(config, "softprob_browser_summary", None)
    if summary:
        terminalreporter.write_sep("-", "browser test summary (also in test-artifacts/)")
        terminalreporter.write_line(summary)
