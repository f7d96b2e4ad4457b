"""附件1 统计方法说明 (method, comparison details, charts, channel mix and channel effects)
and 附件2 数据校验结果."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from bulletins import charts, fmt, i18n
from bulletins.charts.geometry import channel_colour
from bulletins.document import Attachment, Block, Cell, Figure, Heading, Link, Para, Table
from bulletins.i18n import Lang
from bulletins.model import (
    ESTIMATE,
    EVIDENCE,
    MONTHS,
    P_BELOW,
    REFERENCE,
    RESPONDENTS,
    BulletinData,
)
from bulletins.view_units import GroupRows, UnitsView, badges, group_key, mark_cell, row_tone
from minyi import columns as c

if TYPE_CHECKING:
    from bulletins.view import Numbering


def method_attachment(
    data: BulletinData,
    judged: pl.DataFrame,
    uv: UnitsView,
    lang: Lang,
    min_n: int,
    num: Numbering,
    generated: str,
) -> Attachment:
    t = i18n.labels(lang)
    values = {"min_n": min_n, "delta": f"{data.delta * 100:g}"}
    blocks: list[Block] = []
    parts = (
        ("m_sampling", i18n.method(lang, "m_sampling", **values)),
        ("m_rates", i18n.method(lang, "m_rates", **values)),
        ("m_judging", i18n.method(lang, "m_judging", **values)),
    )
    k = 0
    for key, paragraphs in parts:
        k += 1
        blocks.append(Heading(i18n.item_number(lang, k) + t[key], 2))
        blocks += [Para(p) for p in paragraphs]
    shown = [g for g in uv.groups if g.rows]
    if shown:
        k += 1
        blocks.append(Heading(i18n.item_number(lang, k) + t["m_details"], 2))
        for g in shown:
            blocks.append(_details(lang, g, num))
        k += 1
        blocks.append(Heading(i18n.item_number(lang, k) + t["m_charts"], 2))
        for g in shown:
            blocks += _charts(lang, g, num)
    mix = _channel_mix(data, uv, lang, num)
    effects = _channel_effects(data, lang, num)
    if mix is not None or effects:
        k += 1
        blocks.append(Heading(i18n.item_number(lang, k) + t["m_channels"], 2))
        if mix is not None:
            blocks += [Para(t["channels_note"], kind="note"), mix]
        blocks += effects
    blocks.append(Para(i18n.text(lang, "m_generated", when=generated), kind="note"))
    return Attachment(i18n.text(lang, "attachment_label", n=1), t["attachment_1"], tuple(blocks))


def _details(lang: Lang, g: GroupRows, num: Numbering) -> Table:
    t = i18n.labels(lang)
    rows = []
    for i, r in enumerate(g.rows, start=1):
        marks = badges(lang, r)
        judgement = (
            mark_cell(lang, marks)
            if marks
            else Cell(i18n.evidence(lang, r[EVIDENCE] or "none"), "muted")
        )
        rows.append(
            (
                Cell(str(i)),
                Cell(str(r[c.UNIT_NAME] or r[c.UNIT_ID])),
                Cell(fmt.count(r[MONTHS])),
                Cell(fmt.count(r[RESPONDENTS])),
                Cell(fmt.pct(r[ESTIMATE])),
                Cell(fmt.interval(r[c.CI_LOW], r[c.CI_HIGH])),
                Cell(fmt.DASH if r[c.RANK] is None else str(r[c.RANK])),
                Cell(fmt.rank_interval(r[c.RANK_LOW], r[c.RANK_HIGH])),
                Cell(fmt.probability(r[P_BELOW])),
                judgement,
            )
        )
    return Table(
        caption=i18n.text(lang, "table_group", n=num.next_table(), group=g.name),
        heads=(
            t["col_no"],
            t["col_unit"],
            t["d_col_months"],
            t["d_col_respondents"],
            t["d_col_estimate"],
            t["d_col_ci"],
            t["d_col_rank"],
            t["d_col_rank_interval"],
            t["d_col_p_below"],
            t["d_col_evidence"],
        ),
        rows=tuple(rows),
        numeric=(True, False, True, True, True, True, True, True, True, False),
        row_tones=tuple(row_tone(r) for r in g.rows),
        grow=1,
    )


def _flag(r: dict[str, object]) -> str | None:
    ev = r.get(EVIDENCE)
    return ev if ev in ("below", "above") else None


def _charts(lang: Lang, g: GroupRows, num: Numbering) -> list[Block]:
    t = i18n.labels(lang)
    dots = [
        charts.FunnelDot(
            key=str(i),
            name=str(r[c.UNIT_NAME] or r[c.UNIT_ID]),
            respondents=int(r[c.RESPONDED] or 0),
            rate=float(r[c.SATISFACTION_RATE]),
            flag=_flag(r),
        )
        for i, r in enumerate(g.rows, start=1)
        if r[c.SATISFACTION_RATE] is not None and (r[c.RESPONDED] or 0) > 0
    ]
    funnel = charts.funnel_chart(
        dots, g.target, x_title=t["axis_respondents"], y_title=t["axis_rate"]
    )
    key = tuple(f"{d.key} {d.name}" for d in dots)
    ranking = charts.ranking_chart(
        [
            charts.RankRow(
                name=str(r[c.UNIT_NAME] or r[c.UNIT_ID]),
                estimate=float(r[ESTIMATE]),
                ci_low=r[c.CI_LOW],
                ci_high=r[c.CI_HIGH],
                rank_interval=fmt.rank_interval(r[c.RANK_LOW], r[c.RANK_HIGH]),
                flag=_flag(r),
            )
            for r in g.rows
        ],
        g.target,
        reference_label=t["peer_rate"],
        interval_title=t["rank_interval_title"],
    )
    return [
        Figure(
            funnel,
            i18n.text(lang, "funnel_caption", n=num.next_figure(), group=g.name),
            f"{g.name} {t['axis_rate']}",
            t["funnel_key"],
            key,
        ),
        Figure(
            ranking,
            i18n.text(lang, "rank_caption", n=num.next_figure(), group=g.name),
            g.name,
        ),
    ]


def _channel_mix(data: BulletinData, uv: UnitsView, lang: Lang, num: Numbering) -> Table | None:
    t = i18n.labels(lang)
    counts: dict[str, dict[str, int]] = {}
    for row in data.channel_mix.iter_rows(named=True):
        per_unit = counts.setdefault(row[c.UNIT_ID], {})
        per_unit[row[c.CHANNEL]] = per_unit.get(row[c.CHANNEL], 0) + int(row[c.RESPONDED] or 0)
    shown = [r for g in uv.groups for r in g.rows if r[c.UNIT_ID] in counts]
    if not shown:
        return None

    names = sorted({ch for r in shown for ch in counts[r[c.UNIT_ID]]}, key=_channel_key)
    rows = []
    for r in sorted(shown, key=lambda r: group_key(r[c.PEER_GROUP] or "")):
        per = counts[r[c.UNIT_ID]]
        total = sum(per.values())
        cells = [
            Cell(i18n.peer_group(lang, r[c.PEER_GROUP])),
            Cell(str(r[c.UNIT_NAME] or r[c.UNIT_ID])),
        ]
        cells += [
            Cell(f"{per.get(ch, 0):,}（{fmt.pct(per.get(ch, 0) / total)}）" if total else fmt.DASH)
            if lang == "zh"
            else Cell(
                f"{per.get(ch, 0):,} ({fmt.pct(per.get(ch, 0) / total)})" if total else fmt.DASH
            )
            for ch in names
        ]
        bar = tuple((channel_colour(ch), per.get(ch, 0) / total) for ch in names) if total else ()
        cells.append(Cell("", bar=bar))
        rows.append(tuple(cells))
    return Table(
        caption=i18n.text(lang, "table_plain", n=num.next_table(), title=t["m_channels"]),
        heads=(t["col_peer_group"], t["col_unit"], *[i18n.channel(lang, ch) for ch in names], ""),
        rows=tuple(rows),
        numeric=(False, False, *[True] * len(names), False),
        grow=1,
    )


def _channel_key(name: str) -> tuple[int, str]:
    return (c.CHANNELS.index(name), "") if name in c.CHANNELS else (len(c.CHANNELS), name)


def _channel_effects(data: BulletinData, lang: Lang, num: Numbering) -> list[Block]:
    """The channel effects the judgement adjusts by (METHODS.md "Channels"): a one-line note
    and a table, reference channel first; nothing when the frame is absent or empty."""
    frame = data.channel_effects
    if frame is None or frame.is_empty():
        return []
    t = i18n.labels(lang)
    rows_in = sorted(
        frame.iter_rows(named=True),
        key=lambda r: (not r[REFERENCE], _channel_key(r[c.CHANNEL])),
    )
    reference = next(r[c.CHANNEL] for r in rows_in if r[REFERENCE])
    rows = []
    for r in rows_in:
        name = i18n.channel(lang, r[c.CHANNEL])
        effect, se = r[c.CHANNEL_EFFECT], r[c.SE]
        if r[REFERENCE]:
            cells = (
                Cell(i18n.text(lang, "ce_reference", name=name), "strong"),
                Cell(fmt.count(r[RESPONDENTS])),
                Cell("0"),
                Cell(fmt.DASH),
                Cell(fmt.DASH),
            )
        elif effect is None:
            cells = (
                Cell(name),
                Cell(fmt.count(r[RESPONDENTS])),
                Cell(t["ce_not_estimated"], "muted"),
                Cell(fmt.DASH),
                Cell(fmt.DASH),
            )
        else:
            ci = fmt.DASH
            if se is not None:
                lo, hi = fmt.log_odds(effect - 1.96 * se), fmt.log_odds(effect + 1.96 * se)
                ci = i18n.text(lang, "ce_interval", lo=lo, hi=hi)
            cells = (
                Cell(name),
                Cell(fmt.count(r[RESPONDENTS])),
                Cell(fmt.log_odds(effect)),
                Cell(fmt.DASH if se is None else f"{se:.2f}"),
                Cell(ci),
            )
        rows.append(cells)
    n = num.next_table()
    note = i18n.text(
        lang,
        "ce_note",
        n=n,
        window=_window(lang, frame),
        reference=i18n.channel(lang, reference),
    )
    return [
        Para(note, kind="note"),
        Table(
            caption=i18n.text(lang, "table_channel_effects", n=n),
            heads=(t["ce_channel"], t["ce_respondents"], t["ce_effect"], t["ce_se"], t["ce_ci"]),
            rows=tuple(rows),
            numeric=(False, True, True, True, True),
        ),
    ]


def _window(lang: Lang, frame: pl.DataFrame) -> str:
    """The pooled months of the effects, e.g. （2026年1月至2026年11月）; empty when not given."""
    if c.FIRST_MONTH not in frame.columns or c.LAST_MONTH not in frame.columns:
        return ""
    first, last = frame[c.FIRST_MONTH].drop_nulls(), frame[c.LAST_MONTH].drop_nulls()
    if first.is_empty() or last.is_empty():
        return ""

    def words(month: str) -> str:
        return i18n.text(lang, "ce_month", **i18n.month_values(lang, month))

    lo, hi = str(first.min()), str(last.max())
    if lo == hi:
        return i18n.text(lang, "ce_window_1", first=words(lo))
    return i18n.text(lang, "ce_window", first=words(lo), last=words(hi))


def validation_attachment(data: BulletinData, lang: Lang) -> Attachment:
    t = i18n.labels(lang)
    blocks: list[Block] = []
    outcomes = data.validations
    if not outcomes:
        blocks.append(Para(t["v_none"]))
    else:
        ok = sum(1 for o in outcomes if not o.failures)
        blocks.append(Para(i18n.text(lang, "v_lead", n=len(outcomes), ok=ok)))
        rows = tuple(
            (
                Cell(i18n.suite(lang, o.suite)),
                Cell(fmt.count(o.evaluated)),
                Cell(fmt.count(o.rows)),
                Cell(t["v_passed"])
                if not o.failures
                else Cell(i18n.text(lang, "v_failed", n=len(o.failures)), "below"),
            )
            for o in outcomes
        )
        blocks.append(
            Table(
                caption="",
                heads=(t["v_col_suite"], t["v_col_checks"], t["v_col_rows"], t["v_col_result"]),
                rows=rows,
                numeric=(False, True, True, False),
            )
        )
        failures = [(o, f) for o in outcomes for f in o.failures]
        if failures:
            blocks.append(Heading(t["v_failures"], 2))
            for o, f in failures:
                column = i18n.text(lang, "v_column", column=f.column) if f.column else ""
                blocks.append(
                    Para(
                        i18n.text(
                            lang,
                            "v_failure",
                            suite=i18n.suite(lang, o.suite),
                            expectation=i18n.expectation(lang, f.expectation),
                            column=column,
                            n=fmt.count(f.unexpected),
                            kind=t["v_blocking"] if f.blocking else t["v_warning"],
                        ),
                        kind="note",
                    )
                )
    if data.data_docs_path:
        blocks.append(Link(t["v_docs"], data.data_docs_path))
    return Attachment(i18n.text(lang, "attachment_label", n=2), t["attachment_2"], tuple(blocks))


__all__ = ["method_attachment", "validation_attachment"]
