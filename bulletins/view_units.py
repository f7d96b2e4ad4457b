"""二、各单位情况 (peer-group tables in plain words) and the follow-up section.

Units judged below their peers are marked exactly as visibly as units above,
十佳 or 末位: the same badge, the same weight and a tinted row, each in its own
colour and with its own symbol (▼ below, ▲ above, ◆ 末位, ★ 十佳), so neither a
good nor a bad mark is easier to overlook. 末位 (last place over a pooled window
of 3–12 months, METHODS.md) is a mark of its own beside ▼, not a stronger ▼.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from bulletins import fmt, i18n
from bulletins.changes import Change, unit_changes
from bulletins.document import Block, Cell, Heading, Para, Table, Tone
from bulletins.frames import normalised_units
from bulletins.i18n import Lang
from bulletins.model import (
    ESTIMATE,
    EVIDENCE,
    HONOUR,
    LAST,
    MONTHS,
    ON_TIME_RATE,
    OVERDUE,
    REVISIT_RATE,
    TARGET,
    TICKETS,
    BulletinData,
)
from minyi import columns as c

if TYPE_CHECKING:
    from bulletins.view import Numbering

Row = dict[str, Any]
GROUP_ORDER = ("agency", "department", "window", "township", "section")
SYMBOLS = {"below": "▼", "above": "▲", "last": "◆", "top": "★"}


@dataclass
class GroupRows:
    """One peer group: its reportable units in table order, for the main text and 附件1."""

    group: str
    name: str
    rows: list[Row]  # judged columns + satisfaction_rate, responded of the month
    target: float | None


@dataclass
class UnitsView:
    blocks: list[Block]
    groups: list[GroupRows] = field(default_factory=list)
    below_names: list[str] = field(default_factory=list)
    overdue: int = 0
    adjusted: bool = False


def group_key(group: str) -> tuple[int, str]:
    return (GROUP_ORDER.index(group), "") if group in GROUP_ORDER else (len(GROUP_ORDER), group)


def badges(lang: Lang, row: Row) -> list[tuple[str, Tone]]:
    """(words, tone) of a unit's marks: evidence below/above, 末位, and 十佳."""
    out: list[tuple[str, Tone]] = []
    ev = row.get(EVIDENCE)
    if ev in ("below", "above"):
        out.append((f"{SYMBOLS[ev]}{i18n.evidence(lang, ev)}", ev))
    if row.get(LAST):
        out.append((f"{SYMBOLS['last']}{i18n.evidence(lang, 'last')}", "last"))
    if row.get(HONOUR):
        out.append((f"{SYMBOLS['top']}{i18n.evidence(lang, 'top')}", "top"))
    return out


def mark_cell(lang: Lang, marks: list[tuple[str, Tone]]) -> Cell:
    """A cell of badges; its tone is the first mark's (below comes before 十佳)."""
    sep = "　" if lang == "zh" else "; "
    return Cell(sep.join(w for w, _ in marks), marks[0][1], marks=tuple(marks))


def row_tone(row: Row) -> Tone | None:
    ev = row.get(EVIDENCE)
    if ev == "below":
        return "below"
    if ev == "above":
        return "above"
    if row.get(LAST):
        return "last"
    return "top" if row.get(HONOUR) else None


def units_view(
    data: BulletinData, judged: pl.DataFrame, lang: Lang, min_n: int, num: Numbering
) -> UnitsView:
    t = i18n.labels(lang)
    month = normalised_units(data.units).select(
        c.UNIT_ID, c.SATISFACTION_RATE, c.RESPONDED, c.REPORTABLE, c.SAMPLED
    )
    merged = judged.join(month, on=c.UNIT_ID, how="left")
    rows = list(merged.iter_rows(named=True))
    adjusted = bool(judged["adjusted"].any()) if judged.height else False
    ranked = [r for r in rows if r[c.REPORTABLE] and r[ESTIMATE] is not None]
    small = [r for r in rows if r not in ranked]
    months = max((r[MONTHS] or 1 for r in ranked), default=1)
    view = UnitsView(blocks=[], adjusted=adjusted)
    intro = i18n.text(
        lang, "units_intro", total=len(rows), ranked=len(ranked), small=len(small), min_n=min_n
    )
    view.blocks.append(Para(intro))
    if adjusted:
        key = "units_adjusted" if months > 1 else "units_adjusted_1"
        view.blocks.append(Para(i18n.text(lang, key, months=months)))
    view.blocks.append(Para(t["units_caution"], kind="caution"))
    targets = {r[c.PEER_GROUP]: r[TARGET] for r in data.funnel.iter_rows(named=True)}
    changes = unit_changes(data)
    comparisons = [k for k in ("mom", "yoy") if any(key[1] == k for key in changes)]
    groups = sorted({r[c.PEER_GROUP] or "" for r in rows}, key=group_key)
    for k, group in enumerate(groups, start=1):
        members = sorted(
            (r for r in ranked if (r[c.PEER_GROUP] or "") == group),
            key=lambda r: (r[c.RANK] is None, r[c.RANK] or 0, -r[ESTIMATE], r[c.UNIT_NAME] or ""),
        )
        name = i18n.peer_group(lang, group)
        view.blocks.append(Heading(i18n.item_number(lang, k) + name, 2))
        gr = GroupRows(group, name, members, targets.get(group or None, targets.get(group)))
        view.groups.append(gr)
        if not members:
            view.blocks.append(Para(t["group_none"]))
            continue
        view.blocks.append(Para(_group_sentence(lang, gr)))
        view.blocks.append(_group_table(lang, gr, adjusted, comparisons, changes, num))
        view.below_names += [_name(r) for r in members if r[EVIDENCE] == "below"]
    if small:
        view.blocks.append(Heading(i18n.item_number(lang, len(groups) + 1) + t["s_small"], 2))
        view.blocks.append(Para(i18n.text(lang, "small_note", min_n=min_n)))
        small.sort(key=lambda r: (group_key(r[c.PEER_GROUP] or ""), r[c.UNIT_NAME] or ""))
        view.blocks.append(
            Table(
                caption=i18n.text(lang, "table_small", n=num.next_table()),
                heads=(t["col_peer_group"], t["col_unit"], t["col_sampled"], t["col_responded"]),
                rows=tuple(
                    (
                        Cell(i18n.peer_group(lang, r[c.PEER_GROUP])),
                        Cell(_name(r)),
                        Cell(fmt.count(r[c.SAMPLED])),
                        Cell(fmt.count(r[c.RESPONDED])),
                    )
                    for r in small
                ),
                numeric=(False, False, True, True),
                grow=1,
            )
        )
    if data.followups is not None:
        view.overdue = int(data.followups[OVERDUE].fill_null(0).sum())
    return view


def _name(r: Row) -> str:
    return str(r[c.UNIT_NAME] or r[c.UNIT_ID])


def _group_sentence(lang: Lang, g: GroupRows) -> str:
    t = i18n.labels(lang)
    sep = t["sep"]
    parts = [i18n.text(lang, "group_lead", n=len(g.rows), target=fmt.pct(g.target))]
    below = [_name(r) for r in g.rows if r[EVIDENCE] == "below"]
    above = [_name(r) for r in g.rows if r[EVIDENCE] == "above"]
    top = [_name(r) for r in g.rows if r[HONOUR]]
    last = [_name(r) for r in g.rows if r.get(LAST)]
    parts.append(
        i18n.text(lang, "group_below", names=sep.join(below)) if below else t["group_no_below"]
    )
    if above:
        parts.append(i18n.text(lang, "group_above", names=sep.join(above)))
    if last:
        parts.append(i18n.text(lang, "group_last", names=sep.join(last)))
    if top:
        parts.append(i18n.text(lang, "group_top", names=sep.join(top)))
    parts.append(t["group_rest"])
    return ("" if lang == "zh" else " ").join(parts)


def _change_cell(lang: Lang, ch: Change | None) -> Cell:
    if ch is None:
        return Cell(fmt.DASH, "muted")
    if not ch.significant:
        return Cell(i18n.text(lang, "cmp_flat"), "muted")
    key = "cmp_up" if ch.change > 0 else "cmp_down"
    return Cell(i18n.text(lang, key, pp=fmt.points(ch.change)), "strong")


def _group_table(
    lang: Lang,
    g: GroupRows,
    adjusted: bool,
    comparisons: list[str],
    changes: dict[tuple[str, str], Change],
    num: Numbering,
) -> Table:
    t = i18n.labels(lang)
    heads = [t["col_rank"], t["col_unit"], t["col_responded"], t["col_rate"]]
    numeric = [True, False, True, True]
    if adjusted:
        heads.append(t["col_adjusted"])
        numeric.append(True)
    heads.append(t["col_compare"])
    numeric.append(False)
    for comparison in comparisons:
        heads.append(t[f"col_{comparison}"])
        numeric.append(True)
    rows = []
    for r in g.rows:
        cells = [
            Cell(fmt.DASH if r[c.RANK] is None else str(r[c.RANK])),
            Cell(_name(r)),
            Cell(fmt.count(r[c.RESPONDED])),
            Cell(fmt.pct(r[c.SATISFACTION_RATE])),
        ]
        if adjusted:
            cells.append(Cell(fmt.pct(r[ESTIMATE])))
        marks = badges(lang, r)
        if marks:
            cells.append(mark_cell(lang, marks))
        else:
            cells.append(Cell(i18n.evidence(lang, "none"), "muted"))
        for comparison in comparisons:
            cells.append(_change_cell(lang, changes.get((r[c.UNIT_ID], comparison))))
        rows.append(tuple(cells))
    return Table(
        caption=i18n.text(lang, "table_group", n=num.next_table(), group=g.name),
        heads=tuple(heads),
        rows=tuple(rows),
        numeric=tuple(numeric),
        row_tones=tuple(row_tone(r) for r in g.rows),
        grow=1,
    )


def followups_blocks(data: BulletinData, lang: Lang, num: Numbering) -> list[Block]:
    """跟踪督办情况: only when follow-up or complaint data is given (issue 13)."""
    t = i18n.labels(lang)
    out: list[Block] = []
    f = data.followups
    if f is not None and not f.is_empty():
        tickets = int(f[TICKETS].fill_null(0).sum())

        def weighted(col: str) -> float | None:
            known = f.filter(pl.col(col).is_not_null() & (pl.col(TICKETS) > 0))
            weight = float(known[TICKETS].sum())
            return None if not weight else float((known[col] * known[TICKETS]).sum()) / weight

        out.append(
            Para(
                i18n.text(
                    lang,
                    "followups_lead",
                    tickets=fmt.count(tickets),
                    on_time=fmt.pct(weighted(ON_TIME_RATE)),
                    overdue=fmt.count(int(f[OVERDUE].fill_null(0).sum())),
                    revisit=fmt.pct(weighted(REVISIT_RATE)),
                )
            )
        )
        names = {r[c.UNIT_ID]: r[c.UNIT_NAME] for r in data.units.iter_rows(named=True)}
        rows = sorted(
            (r for r in f.iter_rows(named=True) if (r[TICKETS] or 0) > 0),
            key=lambda r: (-(r[OVERDUE] or 0), -(r[TICKETS] or 0), str(r[c.UNIT_ID])),
        )
        out.append(
            Table(
                caption=i18n.text(lang, "table_followups", n=num.next_table()),
                heads=(
                    t["col_unit"],
                    t["fu_tickets"],
                    t["fu_on_time"],
                    t["fu_overdue"],
                    t["fu_revisit"],
                ),
                rows=tuple(
                    (
                        Cell(str(names.get(r[c.UNIT_ID]) or r[c.UNIT_ID])),
                        Cell(fmt.count(r[TICKETS])),
                        Cell(fmt.pct(r[ON_TIME_RATE])),
                        Cell(fmt.count(r[OVERDUE]), "below" if r[OVERDUE] else None),
                        Cell(fmt.pct(r[REVISIT_RATE])),
                    )
                    for r in rows
                ),
                numeric=(False, True, True, True, True),
            )
        )
    if data.complaints is not None:
        out.append(Para(i18n.text(lang, "complaints_lead", n=fmt.count(data.complaints))))
    out += casework_paras(data, lang)
    return out


def casework_paras(data: BulletinData, lang: Lang) -> list[Block]:
    """Complaints by channel, appeals and polls of the month (issue 13): counts only."""
    cw = data.casework
    if cw is None:
        return []
    out: list[Block] = []
    if cw.complaints_received:
        channels = dict(cw.complaints_by_channel)
        out.append(Para(i18n.text(
            lang, "complaints_detail", sms=fmt.count(channels.get("sms", 0)),
            phone=fmt.count(channels.get("phone", 0)), web=fmt.count(channels.get("web", 0)),
            replied=fmt.count(cw.complaints_replied), overdue=fmt.count(cw.complaints_overdue),
        )))
    if cw.appeals_filed:
        out.append(Para(i18n.text(
            lang, "appeals_lead", filed=fmt.count(cw.appeals_filed), upheld=fmt.count(cw.appeals_upheld),
            rejected=fmt.count(cw.appeals_rejected), pending=fmt.count(cw.appeals_pending),
        )))
    if cw.polls:
        sep = "；" if lang == "zh" else "; "
        items = sep.join(
            i18n.text(lang, "poll_sample" if p.target == "sample" else "poll_open", title=p.title,
                      sampled=fmt.count(p.sampled), responded=fmt.count(p.responded))
            for p in cw.polls
        )
        out.append(Para(i18n.text(lang, "polls_lead", n=fmt.count(len(cw.polls)), items=items)))
    return out


def correction_paras(data: BulletinData, lang: Lang) -> list[Block]:
    """更正说明 at the head of a re-issued bulletin."""
    c = data.correction
    if c is None:
        return []
    sep = "、" if lang == "zh" else ", "
    grounds = sep.join(i18n.text(lang, f"ground_{g}") for g in c.grounds)
    return [Para(
        i18n.text(lang, "correction_title") + ("：" if lang == "zh" else ": ")
        + i18n.text(lang, "correction_text", date=i18n.long_date(lang, c.corrected_on),
                    n=fmt.count(c.excluded), grounds=grounds, units=fmt.count(len(c.units)))
    )]
