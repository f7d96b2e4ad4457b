"""Turn :class:`~bulletins.model.BulletinData` into display values for the template.

Everything here is pure: numbers are formatted, words looked up in :mod:`bulletins.i18n`,
charts drawn by :mod:`bulletins.charts`. The template only loops and prints.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
from markupsafe import Markup

from bulletins import charts, i18n
from bulletins.errors import BulletinDataError
from bulletins.i18n import Lang
from bulletins.model import (
    CHANNEL_MIX_COLUMNS,
    FUNNEL_COLUMNS,
    FUNNEL_HIGH,
    FUNNEL_LOW,
    PHI,
    TARGET,
    TAU2,
    UNIT_COLUMNS,
    BulletinData,
    Z,
)
from minyi import columns as c

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_GROUP_ORDER = ("agency", "department", "window")
_DEFAULT_Z = 3.090232306167813  # two-sided 99.8%

Row = dict[str, Any]


@dataclass(frozen=True)
class Badge:
    flag: str
    words: str
    colour: str


@dataclass(frozen=True)
class UnitLine:
    rank: str
    rank_interval: str
    name: str
    responded: str
    response_rate: str
    rate: str
    ci: str
    change: str
    badges: tuple[Badge, ...]


@dataclass(frozen=True)
class GroupView:
    name: str
    summary: tuple[str, ...]
    lines: tuple[UnitLine, ...]
    funnel: Markup | None
    ranking: Markup | None
    # what the charts are drawn from, for renderers that draw their own (PDF)
    dots: tuple[charts.Dot, ...] = ()
    limits: charts.Limits | None = None
    reference: float | None = None


# --- checks -----------------------------------------------------------------


def check_data(data: BulletinData) -> None:
    """Raise BulletinDataError unless the frames have the promised columns."""
    if not _MONTH.match(data.month):
        raise BulletinDataError("month", f"expected YYYY-MM, got {data.month!r}")
    frames: list[tuple[str, pl.DataFrame | None, Sequence[str]]] = [
        ("units", data.units, UNIT_COLUMNS),
        ("previous", data.previous, UNIT_COLUMNS),
        ("funnel", data.funnel, FUNNEL_COLUMNS),
        ("channel_mix", data.channel_mix, CHANNEL_MIX_COLUMNS),
    ]
    for what, frame, required in frames:
        if frame is None:
            continue
        missing = [col for col in required if col not in frame.columns]
        if missing:
            raise BulletinDataError(what, f"missing columns {', '.join(missing)}")
    if data.units[c.UNIT_ID].is_duplicated().any():
        raise BulletinDataError("units", "unit_id is not unique")


def _is_reportable(row: Row) -> bool:
    return bool(row[c.REPORTABLE]) and row[c.SATISFACTION_RATE] is not None


# --- formatting ---------------------------------------------------------------


def pct(x: float | None, dash: str = "—") -> str:
    """A rate as a percentage with one decimal (``0.9234`` → ``92.3%``)."""
    return dash if x is None or math.isnan(x) else f"{x * 100:.1f}%"


def _interval(lo: float | None, hi: float | None, dash: str) -> str:
    if lo is None or hi is None:
        return dash
    return f"{lo * 100:.1f}–{hi * 100:.1f}%"


def _count(n: int | None, dash: str = "—") -> str:
    return dash if n is None else f"{n:,}"


def outer_label(z: float) -> str:
    """The coverage of a two-sided normal limit at ``z`` (3.09 → ``99.8%``)."""
    return f"{math.erf(z / math.sqrt(2)) * 100:.1f}%"


# --- the view -------------------------------------------------------------------


def bulletin_view(data: BulletinData, lang: Lang, min_respondents: int) -> dict[str, Any]:
    """All values the template prints."""
    t = i18n.labels(lang)
    units = list(data.units.iter_rows(named=True))
    funnels = {row[c.PEER_GROUP]: row for row in data.funnel.iter_rows(named=True)}
    zs = [r[Z] for r in funnels.values() if r[Z] is not None]
    outer = outer_label(zs[0] if zs else _DEFAULT_Z)
    previous = _previous_rates(data.previous)
    reportable = [u for u in units if _is_reportable(u)]
    groups = sorted({u[c.PEER_GROUP] or "" for u in units}, key=_group_key)
    return {
        "lang": lang,
        "html_lang": "zh-CN" if lang == "zh" else "en",
        "t": t,
        "title": i18n.title(lang, data.district_name, data.month),
        "issuer": i18n.text(lang, "issuer", district=data.district_name),
        "generated": i18n.text(lang, "generated", when=data.generated_at),
        "data_docs_href": data.data_docs_path,
        "data_docs": (
            i18n.text(lang, "data_docs", path=data.data_docs_path) if data.data_docs_path else None
        ),
        "fieldwork": _fieldwork(data, lang),
        "district": {
            "rate": pct(data.district.rate),
            "ci": i18n.text(
                lang,
                "district_ci",
                interval=_interval(
                    data.district.ci_low, data.district.ci_high, i18n.text(lang, "dash")
                ),
            ),
            "n": i18n.text(lang, "district_n", n=_count(data.district.responded)),
        },
        "groups": [
            _group(
                lang,
                g,
                [u for u in reportable if (u[c.PEER_GROUP] or "") == g],
                funnels.get(g or None),
                previous,
                outer,
                data.district.rate,
                i,
            )
            for i, g in enumerate(groups)
        ],
        "has_previous": data.previous is not None,
        "funnel_caption": i18n.text(lang, "funnel_caption", outer=outer),
        "insufficient_note": i18n.text(lang, "insufficient_note", min_n=min_respondents),
        "insufficient": [
            {
                "group": i18n.peer_group(lang, u[c.PEER_GROUP]),
                "name": u[c.UNIT_NAME],
                "sampled": _count(u[c.SAMPLED]),
                "responded": _count(u[c.RESPONDED]),
            }
            for u in sorted(
                units, key=lambda u: (_group_key(u[c.PEER_GROUP] or ""), u[c.UNIT_NAME] or "")
            )
            if not _is_reportable(u)
        ],
        "mix": _channel_mix(data.channel_mix, reportable, lang),
        "integrity": {
            "reports": i18n.text(lang, "int_count", n=_count(data.integrity.reports)),
            "units": i18n.text(lang, "int_unit_count", n=_count(data.integrity.units_with_reports)),
            "followups": i18n.text(
                lang, "int_count", n=_count(data.integrity.dissatisfied_followups)
            ),
        },
        "method": i18n.method_note(lang, min_n=min_respondents, outer=outer),
    }


def _group_key(group: str) -> tuple[int, str]:
    return (_GROUP_ORDER.index(group), "") if group in _GROUP_ORDER else (len(_GROUP_ORDER), group)


def _fieldwork(data: BulletinData, lang: Lang) -> dict[str, Any]:
    fw = data.fieldwork
    return {
        "totals": [
            (i18n.text(lang, "fw_cases"), _count(fw.cases)),
            (i18n.text(lang, "fw_eligible"), _count(fw.eligible)),
            (i18n.text(lang, "fw_sampled"), _count(fw.sampled)),
            (i18n.text(lang, "fw_responded"), _count(fw.responded)),
            (i18n.text(lang, "fw_rr"), pct(fw.response_rate)),
        ],
        "channels": [
            (
                i18n.channel(lang, ch.channel),
                _count(ch.contacted),
                _count(ch.responded),
                pct(ch.response_rate),
                charts.channel_colour(ch.channel),
            )
            for ch in sorted(fw.channels, key=lambda ch: _channel_key(ch.channel))
        ],
        "total": (_count(fw.sampled), _count(fw.responded), pct(fw.response_rate)),
    }


def _channel_key(name: str) -> tuple[int, str]:
    return (c.CHANNELS.index(name), "") if name in c.CHANNELS else (len(c.CHANNELS), name)


def _previous_rates(previous: pl.DataFrame | None) -> dict[str, float]:
    if previous is None:
        return {}
    return {
        row[c.UNIT_ID]: row[c.SATISFACTION_RATE]
        for row in previous.iter_rows(named=True)
        if _is_reportable(row)
    }


def _group(
    lang: Lang,
    group: str,
    units: list[Row],
    funnel: Row | None,
    previous: dict[str, float],
    outer: str,
    district_rate: float | None,
    index: int,
) -> GroupView:
    name = i18n.peer_group(lang, group)
    if not units:
        return GroupView(name, (i18n.text(lang, "group_none"),), (), None, None)
    units = sorted(
        units,
        key=lambda u: (
            u[c.RANK] is None,
            u[c.RANK] or 0,
            -u[c.SATISFACTION_RATE],
            u[c.UNIT_NAME] or "",
        ),
    )
    limits = None
    if funnel is not None and funnel[TARGET] is not None and funnel[Z] is not None:
        limits = charts.Limits(float(funnel[TARGET]), float(funnel[Z]), float(funnel[TAU2] or 0.0))
    summary = [
        i18n.text(
            lang, "group_summary", units=len(units), target=pct(limits.target if limits else None)
        )
    ]
    if limits is None:
        summary.append(i18n.text(lang, "group_no_funnel"))
    elif limits.tau2 > 0 and funnel is not None and funnel[PHI] is not None:
        summary.append(i18n.text(lang, "group_overdispersed", phi=f"{funnel[PHI]:.2f}"))
    dots = [_dot(u) for u in units]
    chart_label = f"{name} {outer}"
    return GroupView(
        name=name,
        summary=tuple(summary),
        lines=tuple(_line(lang, u, previous) for u in units),
        funnel=charts.funnel_svg(
            dots,
            limits,
            x_title=i18n.text(lang, "axis_n_eff"),
            y_title=i18n.text(lang, "axis_rate"),
            aria_label=chart_label,
            chart_id=f"funnel{index}",
        ),
        ranking=charts.ranking_svg(
            dots,
            limits.target if limits else district_rate,
            reference_label=i18n.text(lang, "peer_rate"),
            aria_label=name,
        ),
        dots=tuple(dots),
        limits=limits,
        reference=limits.target if limits else district_rate,
    )


def _dot(u: Row) -> charts.Dot:
    n_eff = u[c.N_EFF]
    if n_eff is None or not math.isfinite(n_eff) or n_eff <= 0:
        n_eff = float(u[c.RESPONDED] or 1)  # a rate of 0 or 1 has se 0: use the count
    return charts.Dot(
        label=u[c.UNIT_NAME] or u[c.UNIT_ID],
        rate=float(u[c.SATISFACTION_RATE]),
        n_eff=float(n_eff),
        ci_low=u[c.CI_LOW],
        ci_high=u[c.CI_HIGH],
        flag=_chart_flag(u),
    )


def _chart_flag(u: Row) -> str | None:
    flags = _flags(u)
    if "below" in flags:
        return "below"
    return flags[0] if flags else None


def _flags(u: Row) -> list[str]:
    """The unit's flag, plus the funnel verdict for a top-ten unit (one flag column holds one)."""
    flag = u[c.FLAG]
    if flag is None:
        return []
    flags = [flag]
    if flag == "top":
        rate, low, high = u[c.SATISFACTION_RATE], u[FUNNEL_LOW], u[FUNNEL_HIGH]
        if high is not None and rate > high:
            flags.append("above")
        elif low is not None and rate < low:
            flags.append("below")
    return flags


def _line(lang: Lang, u: Row, previous: dict[str, float]) -> UnitLine:
    dash = i18n.text(lang, "dash")
    rank_lo, rank_hi = u[c.RANK_LOW], u[c.RANK_HIGH]
    prev = previous.get(u[c.UNIT_ID])
    change = dash if prev is None else f"{(u[c.SATISFACTION_RATE] - prev) * 100:+.1f}"
    return UnitLine(
        rank=dash if u[c.RANK] is None else str(u[c.RANK]),
        rank_interval=(
            dash
            if rank_lo is None or rank_hi is None
            else str(rank_lo)
            if rank_lo == rank_hi
            else f"{rank_lo}–{rank_hi}"
        ),
        name=u[c.UNIT_NAME] or u[c.UNIT_ID],
        responded=_count(u[c.RESPONDED]),
        response_rate=pct(u[c.RESPONSE_RATE]),
        rate=pct(u[c.SATISFACTION_RATE]),
        ci=_interval(u[c.CI_LOW], u[c.CI_HIGH], dash),
        change=change,
        badges=tuple(Badge(f, i18n.flag(lang, f), charts.colour(f)) for f in _flags(u)),
    )


def _channel_mix(mix: pl.DataFrame, reportable: list[Row], lang: Lang) -> dict[str, Any]:
    counts: dict[str, dict[str, int]] = {}
    for row in mix.iter_rows(named=True):
        per_unit = counts.setdefault(row[c.UNIT_ID], {})
        per_unit[row[c.CHANNEL]] = per_unit.get(row[c.CHANNEL], 0) + int(row[c.RESPONDED] or 0)
    shown = sorted(
        (u for u in reportable if u[c.UNIT_ID] in counts),
        key=lambda u: (_group_key(u[c.PEER_GROUP] or ""), u[c.RANK] or 0),
    )
    names = sorted({ch for u in shown for ch in counts[u[c.UNIT_ID]]}, key=_channel_key)
    rows = []
    for u in shown:
        per = counts[u[c.UNIT_ID]]
        total = sum(per.values())
        shares = [
            (ch, i18n.channel(lang, ch), per.get(ch, 0) / total if total else 0.0) for ch in names
        ]
        rows.append(
            {
                "group": i18n.peer_group(lang, u[c.PEER_GROUP]),
                "name": u[c.UNIT_NAME] or u[c.UNIT_ID],
                "cells": [
                    f"{per.get(ch, 0):,} ({pct(s)})" if total else "—" for ch, _, s in shares
                ],
                "bar": charts.mix_bar_svg(shares),
                "shares": shares,
            }
        )
    return {
        "channels": [(i18n.channel(lang, ch), charts.channel_colour(ch)) for ch in names],
        "rows": rows,
    }
