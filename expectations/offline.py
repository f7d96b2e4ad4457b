"""Make Great Expectations' Data Docs render offline (a 政务内网 reaches no CDN).

GX writes pages that load Bootstrap, jQuery, bootstrap-table, Font Awesome and
Vega from public CDNs; offline they show as a blank or unstyled page.
:func:`make_offline` copies the vendored copies of those assets
(``expectations/static/vendor``, see its README) next to the docs and rewrites
every ``<link>``/``<script>``/``<img>`` that points outside to the local copy,
dropping ``integrity``/``crossorigin`` (the files are ours) and removing the
tags that have no local copy (Vega, the datepicker, the logo), so no page asks
the network for anything. Links (``<a href>``) are left as they are.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Final

VENDOR: Final = Path(__file__).parent / "static" / "vendor"

# what each CDN address is replaced by, matched on the address's ending
LOCAL: Final = {
    "bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap.min.css",
    "bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap.min.js",
    "jquery-3.7.1.min.js": "jquery-3.7.1.min.js",
    "popper.js/1.12.9/umd/popper.min.js": "popper.min.js",
    "dist/bootstrap-table.min.css": "bootstrap-table.min.css",
    "dist/bootstrap-table.min.js": "bootstrap-table.min.js",
    "filter-control/bootstrap-table-filter-control.min.css": "bootstrap-table-filter-control.min.css",
    "filter-control/bootstrap-table-filter-control.min.js": "bootstrap-table-filter-control.min.js",
    "font-awesome/6.6.0/css/all.min.css": "css/fontawesome-all.min.css",
}
_TAG: Final = re.compile(
    r"<(link|script|img)\b([^>]*?)\b(href|src)=\"(https?:)?//([^\"]+)\"([^>]*)>(\s*</script>)?",
    re.I,
)
_SRI: Final = re.compile(r"\s(integrity|crossorigin)=\"[^\"]*\"", re.I)


def make_offline(directory: Path) -> list[Path]:
    """Vendor the assets into ``directory/static/vendor`` and rewrite every page; returns the pages."""
    target = directory / "static" / "vendor"
    shutil.copytree(VENDOR, target, dirs_exist_ok=True)
    pages = sorted(directory.rglob("*.html"))
    for page in pages:
        text = page.read_text(encoding="utf-8")
        prefix = Path(os.path.relpath(target, page.parent)).as_posix()
        page.write_text(_rewrite(text, prefix), encoding="utf-8")
    return pages


def _rewrite(html: str, prefix: str) -> str:
    def replace(m: re.Match[str]) -> str:
        tag, before, attr, _, address, after, close = m.groups()
        local = next((f for end, f in LOCAL.items() if address.split("?")[0].endswith(end)), None)
        if local is None:
            return ""  # nothing local: the page must not reach out
        attrs = _SRI.sub("", f'{before} {attr}="{prefix}/{local}"{after}')
        return f"<{tag}{attrs}>{close or ''}"

    return _TAG.sub(replace, html)


def external_references(directory: Path) -> list[tuple[Path, str]]:
    """Every ``<link>``/``<script>``/``<img>`` address outside the docs (should be none)."""
    found = []
    for page in sorted(directory.rglob("*.html")):
        for m in _TAG.finditer(page.read_text(encoding="utf-8")):
            found.append((page, (m.group(4) or "") + "//" + m.group(5)))
    return found
