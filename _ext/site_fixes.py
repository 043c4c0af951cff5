"""Two fixes to the scripts in every HTML page (a local Sphinx extension, loaded by _config.yml).

1. Sphinx 7.4 writes twice each inline script that an extension adds once the builder exists (it
   is registered with filename None and re-added with filename ''), so sphinx-thebe's
   ``const THEBE_JS_URL = ...`` is declared twice and every page logs "SyntaxError: Identifier
   'THEBE_JS_URL' has already been declared" (sphinx-togglebutton's ``var`` is duplicated too,
   silently). Only the first copy of each script is kept.
2. While the thebe launch button is off (``launch_buttons.thebe: false``), sphinx-thebe's scripts,
   which Jupyter Book 1 always adds, are dead code whose only job is to load thebe from unpkg.com
   when that button is pressed. They are dropped, so no page names a third-party host.

tests/test_browser.py checks the result: no console errors and no external URLs in any page.
"""

from __future__ import annotations

from typing import Any


def _key(script: Any) -> tuple:
    attributes = getattr(script, "attributes", {}) or {}
    return (getattr(script, "filename", script) or "", getattr(script, "priority", None),
            tuple(sorted((k, str(v)) for k, v in attributes.items())))


def _is_thebe(script: Any) -> bool:
    name = getattr(script, "filename", script) or ""
    body = (getattr(script, "attributes", {}) or {}).get("body", "")
    return name.endswith("sphinx-thebe.js") or "THEBE_JS_URL" in body


def clean_scripts(app, pagename, templatename, context, doctree) -> None:
    """Deduplicate the page's scripts and, with thebe off, drop sphinx-thebe's."""
    scripts = context.get("script_files")
    if not scripts:
        return
    thebe_on = bool((app.config.html_theme_options.get("launch_buttons") or {}).get("thebe"))
    seen: set[tuple] = set()
    kept = []
    for script in scripts:
        key = _key(script)
        if key in seen or (not thebe_on and _is_thebe(script)):
            continue
        seen.add(key)
        kept.append(script)
    scripts[:] = kept  # in place: Sphinx restores the shared list after each page


def setup(app):
    app.connect("html-page-context", clean_scripts, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
