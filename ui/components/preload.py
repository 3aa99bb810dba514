"""Load the front end's widget code while the investigator reads, not when they click.

Streamlit's browser code fetches each kind of widget (a select box, a data grid, a chart)
the first time a page shows one. On the first search of a session the results' select box
waited for its module (0.4 s on the loaded 2-core machine, behind the page's other
requests to the same Python server): a miss of the 1 s target. :func:`preload_html` asks the
browser, once per tab and only when it is idle, to import the widgets the pages use, in the
order a walk meets them; a page that needs one later finds it loaded. The module names come
from the installed Streamlit's own files (they carry a content hash), so nothing is guessed
and nothing leaves the machine; a name that is not found is skipped.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

__all__ = ["WIDGETS", "widget_modules", "preload_html"]

# the investigator's pages' widgets, explorer first (the first page after the rings)
WIDGETS = ("TextInput", "Selectbox", "Multiselect", "Slider", "Checkbox", "Button", "IFrame",
           "DataFrame", "DownloadButton", "ArrowVegaLiteChart", "Radio", "Metric", "TextArea",
           "NumberInput", "DateInput")


@cache
def widget_modules() -> tuple[str, ...]:
    """File names of the widgets' modules in the installed Streamlit front end."""
    import streamlit

    js = Path(streamlit.__file__).parent / "static" / "static" / "js"
    names = [p.name for p in js.glob("*.js")] if js.is_dir() else []
    return tuple(n for w in WIDGETS
                 for n in sorted(n for n in names if re.fullmatch(rf"{w}\.[\w-]+\.js", n)))


def preload_html() -> str:
    """A script importing :func:`widget_modules` one at a time when the browser is idle,
    once per tab; resolved against the app's own module URL (the app may be served under a
    path)."""
    return f"""<script>
(() => {{
  if (window.__cbecPreload) return;
  window.__cbecPreload = true;
  const main = document.querySelector('script[type="module"][src*="/static/js/"]');
  const root = new URL(".", main ? main.src : new URL("static/js/", document.baseURI));
  const todo = {json.dumps(list(widget_modules()))};
  const idle = (f) => window.requestIdleCallback
    ? requestIdleCallback(f, {{timeout: 3000}}) : setTimeout(f, 100);
  const next = () => {{
    const name = todo.shift();
    if (name) import(new URL(name, root).href).catch(() => {{}}).finally(() => idle(next));
  }};
  idle(next);
}})();
</script>"""
