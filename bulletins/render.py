"""Render a monthly bulletin: a self-contained HTML page, and the exports.

Pure functions: they return ``str``/``bytes`` and the caller writes the files.
Each refuses (:class:`~bulletins.errors.BulletinRefused`) when the month's data
did not pass validation, so nothing unvalidated is ever published.

Entry points and the files they make (``<home>/bulletins/YYYY-MM/``):

=====================================  ==========================================
:func:`render_html`                    ``bulletin.html`` (``bulletin.en.html``)
:func:`bulletins.pdf.render_pdf`       ``bulletin.pdf`` (``bulletin.en.pdf``)
:func:`units_csv` / :func:`units_xlsx`  ``units.csv`` / ``units.xlsx``
:func:`bulletins.exports.conduct.conduct_csv` / ``conduct_xlsx``
                                       ``conduct.csv`` / ``conduct.xlsx``
:func:`render_all`                     all of them, as ``{file name: bytes}``
=====================================  ==========================================
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Final

import jinja2
import polars as pl
from markupsafe import Markup

from bulletins import i18n
from bulletins.charts import to_svg
from bulletins.document import Figure
from bulletins.errors import BulletinRefused
from bulletins.exports import conduct as conduct_export
from bulletins.exports import units as units_export
from bulletins.i18n import Lang
from bulletins.model import BulletinData
from bulletins.view import build_document

DEFAULT_MIN_RESPONDENTS: Final = 30


def render_html(
    data: BulletinData,
    lang: Lang = "zh",
    *,
    min_respondents: int = DEFAULT_MIN_RESPONDENTS,
) -> str:
    """The month's bulletin as one HTML page (no external resources; A4 print styles).

    ``min_respondents`` is quoted in the text (the reportability rule); which units
    are reportable comes from ``data.units``.

    Raises BulletinRefused when ``data.validation_ok`` is False, BulletinDataError
    when the frames lack promised columns, ValueError for an unknown language.
    """
    lang = i18n.check_lang(lang)
    refuse_unless_validated(data)
    doc = build_document(data, lang, min_respondents)
    return (
        _environment()
        .get_template("bulletin.html.j2")
        .render(d=doc, t=i18n.labels(lang), svg=_svg, kind=lambda b: type(b).__name__)
    )


def units_csv(data: BulletinData, lang: Lang = "zh") -> bytes:
    """``units.csv``: one row per unit, UTF-8 with BOM, English CONTRACT headers whatever ``lang``."""
    i18n.check_lang(lang)
    refuse_unless_validated(data)
    return units_export.units_csv(data)


def units_xlsx(data: BulletinData) -> bytes:
    """``units.xlsx`` for the assessment office: title row, Chinese headers."""
    refuse_unless_validated(data)
    return units_export.units_xlsx(data)


def render_all(
    data: BulletinData,
    *,
    langs: tuple[Lang, ...] = ("zh",),
    vetoes: pl.DataFrame | None = None,
    conduct_config: conduct_export.ConductConfig | None = None,
    min_respondents: int = DEFAULT_MIN_RESPONDENTS,
) -> dict[str, bytes]:
    """Every file of the month's bulletin directory as ``{name: bytes}``.

    The caller writes them into a fresh directory and swaps it in atomically, so a
    failed run never leaves a mix of old and new files. ``vetoes``: the verified
    veto items (``unit_id``, ``item``) of the month, none when None.
    """
    from bulletins.pdf import render_pdf

    refuse_unless_validated(data)
    files: dict[str, bytes] = {}
    for lang in langs:
        suffix = "" if lang == "zh" else f".{lang}"
        files[f"bulletin{suffix}.html"] = render_html(
            data, lang, min_respondents=min_respondents
        ).encode("utf-8")
        files[f"bulletin{suffix}.pdf"] = render_pdf(data, lang, min_respondents=min_respondents)
    files["units.csv"] = units_export.units_csv(data)
    files["units.xlsx"] = units_export.units_xlsx(data)
    config = conduct_config or conduct_export.load_config()
    frame = conduct_export.conduct_frame(data, vetoes, config)
    files["conduct.csv"] = conduct_export.conduct_csv(frame)
    files["conduct.xlsx"] = conduct_export.conduct_xlsx(frame, data, config)
    return files


def refuse_unless_validated(data: BulletinData) -> None:
    """Raise BulletinRefused unless the month passed validation."""
    if not data.validation_ok:
        raise BulletinRefused(data.month, data.data_docs_path)


def _svg(figure: Figure) -> Markup:
    return to_svg(figure.chart, figure.aria)


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
