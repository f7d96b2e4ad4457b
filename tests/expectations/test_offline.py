"""Data Docs open on a network without the internet: no page loads anything from outside."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from expectations.offline import VENDOR, _rewrite, external_references
from expectations.validate import build_data_docs, validate

GX_HEAD = """<head>
<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"/>
<link rel="stylesheet" href="https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css">
<script src="https://cdn.jsdelivr.net/npm/vega@5"></script>
<script src="https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js" integrity="sha384-x" crossorigin="anonymous"></script>
<img src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png?d=1">
<a href="https://greatexpectations.io">GX</a>
</head>"""


def test_cdn_links_point_to_vendored_copies_and_the_rest_is_dropped() -> None:
    html = _rewrite(GX_HEAD, "../static/vendor")
    assert 'href="../static/vendor/bootstrap.min.css"' in html
    assert 'href="../static/vendor/css/fontawesome-all.min.css"' in html
    assert 'src="../static/vendor/popper.min.js"></script>' in html
    assert "integrity" not in html and "crossorigin" not in html
    assert "vega" not in html and "<img" not in html  # no local copy: removed
    assert '<a href="https://greatexpectations.io">' in html  # a link loads nothing
    for name in ("bootstrap.min.css", "popper.min.js", "css/fontawesome-all.min.css"):
        assert (VENDOR / name).is_file()
    assert (VENDOR / "webfonts" / "fa-solid-900.woff2").is_file()


def test_built_docs_reference_nothing_outside(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {
            "case_id": ["a", "b"],
            "unit_id": ["u", "u"],
            "category": ["x", "y"],
            "completed_at": ["t", "t"],
            "service_date": ["d", "d"],
            "phone_status": ["mobile", "blank"],
        }
    )
    validate(frame, "cases", docs_run="2026-11")
    index = build_data_docs(tmp_path / "docs")
    assert index.is_file()
    assert external_references(tmp_path / "docs") == []
    assert (tmp_path / "docs" / "static" / "vendor" / "bootstrap.min.css").is_file()
    pages = list((tmp_path / "docs").rglob("*.html"))
    assert len(pages) >= 3
    deep = max(pages, key=lambda p: len(p.parts))
    text = deep.read_text(encoding="utf-8")
    refs = [p.split('"')[0] for p in text.split('src="')[1:] if "static/vendor" in p]
    assert refs  # the deepest page loads its scripts through a relative path that resolves
    for ref in refs:
        assert (deep.parent / ref).resolve().is_file(), ref
