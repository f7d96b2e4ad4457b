"""Render a monthly bulletin: a self-contained HTML page and the units CSV.

Pure functions: they return ``str``/``bytes`` and the caller writes the files.
Both refuse (:class:`~bulletins.errors.BulletinRefused`) when the month's data did
not pass validation, so nothing unvalidated is ever published.

``units.csv`` always has the stable English column names of ``v_unit_month``
(plus the rank interval, n_eff and funnel limits), whatever the language, so it
imports into other programs unchanged; it is UTF-8 with a byte-order mark so
that Excel opens it correctly. Estimates of units that are not reportable are
left empty, as in the HTML (样本不足: counts only).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Final

import jinja2
import polars as pl

from bulletins import i18n
from bulletins.errors import BulletinRefused
from bulletins.i18n import Lang
from bulletins.model import ESTIMATE_COLUMNS, UNIT_COLUMNS, BulletinData
from bulletins.view import bulletin_view, check_data
from minyi import columns as c

DEFAULT_MIN_RESPONDENTS: Final = 30
_BOM: Final = b"\xef\xbb\xbf"


def render_html(
    data: BulletinData,
    lang: Lang = "zh",
    *,
    min_respondents: int = DEFAULT_MIN_RESPONDENTS,
) -> str:
    """The month's bulletin as one HTML page (no external resources).

    ``min_respondents`` is only quoted in the text (the reportability rule); which
    units are reportable comes from ``data.units``.

    Raises BulletinRefused when ``data.validation_ok`` is False, BulletinDataError
    when the frames lack promised columns, ValueError for an unknown language.
    """
    lang = i18n.check_lang(lang)
    _refuse_unless_validated(data)
    check_data(data)
    view = bulletin_view(data, lang, min_respondents)
    return _environment().get_template("bulletin.html.j2").render(**view)


def units_csv(data: BulletinData, lang: Lang = "zh") -> bytes:
    """One row per unit, UTF-8 with BOM, English column names whatever ``lang``.

    Rows are ordered by peer group, rank (unranked last) and unit_id. For units
    that are not reportable the estimate columns are empty.
    """
    i18n.check_lang(lang)
    _refuse_unless_validated(data)
    check_data(data)
    frame = data.units.select(UNIT_COLUMNS).with_columns(pl.col(c.REPORTABLE).fill_null(False))
    frame = frame.with_columns(
        pl.when(pl.col(c.REPORTABLE)).then(pl.col(col)).otherwise(None).alias(col)
        for col in ESTIMATE_COLUMNS
    ).sort([c.PEER_GROUP, c.RANK, c.UNIT_ID], nulls_last=True)
    return _BOM + frame.write_csv().encode("utf-8")


def _refuse_unless_validated(data: BulletinData) -> None:
    if not data.validation_ok:
        raise BulletinRefused(data.month, data.data_docs_path)


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
