"""Turn :class:`~bulletins.model.BulletinData` into a :class:`~bulletins.document.Document`.

Pure: numbers are formatted (:mod:`bulletins.fmt`), words looked up
(:mod:`bulletins.i18n`), sentences written from the data. The main text is
plain language; the method, charts and technical columns go to 附件1
(:mod:`bulletins.view_appendix`), the unit tables come from
:mod:`bulletins.view_units`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from bulletins import fmt, i18n
from bulletins.changes import Change, district_changes
from bulletins.document import Block, Cell, Document, Heading, Para, Table
from bulletins.frames import check_data, generated_local, judged
from bulletins.i18n import Lang
from bulletins.model import CASES, MENTIONS, THEME, BulletinData
from bulletins.view_appendix import method_attachment, validation_attachment
from bulletins.view_units import UnitsView, correction_paras, followups_blocks, units_view
from minyi import columns as c


@dataclass
class Numbering:
    """Running numbers of tables and figures (表1, 图1, ...)."""

    table: int = 0
    figure: int = 0

    def next_table(self) -> int:
        self.table += 1
        return self.table

    def next_figure(self) -> int:
        self.figure += 1
        return self.figure


def build_document(data: BulletinData, lang: Lang, min_respondents: int) -> Document:
    """The whole bulletin in ``lang`` (raises BulletinDataError for malformed frames)."""
    check_data(data)
    t = i18n.labels(lang)
    when = generated_local(data)
    issued = data.issued_on or when.date()
    doc = data.doc()
    mv = i18n.month_values(lang, data.month)
    num = Numbering()
    units = judged(data)
    overall = _overall(data, lang, num, min_respondents)  # tables numbered in reading order
    uv = units_view(data, units, lang, min_respondents, num)

    body: list[Block] = [*correction_paras(data, lang), Para(i18n.text(lang, "intro", **mv))]
    sections: list[tuple[str, list[Block]]] = [
        (t["s_overall"], overall),
        (t["s_units"], uv.blocks),
    ]
    followups = followups_blocks(data, lang, num)
    if followups:
        sections.append((t["s_followups"], followups))
    sections.append((t["s_problems"], _problems(data, lang, uv)))
    sections.append((t["s_requirements"], _requirements(data, lang)))
    for k, (title, blocks) in enumerate(sections, start=1):
        body.append(Heading(i18n.section_number(lang, k) + title, 1))
        body.extend(blocks)

    generated = i18n.local_time(lang, when, data.timezone)
    attachments = (
        method_attachment(data, units, uv, lang, min_respondents, num, generated),
        validation_attachment(data, lang),
    )
    title = i18n.text(lang, "title", district=data.district_name, **mv)
    number = ""
    if doc.doc_serial is not None:
        number = i18n.text(
            lang, "doc_number", prefix=doc.doc_prefix, year=issued.year, serial=doc.doc_serial
        )
    return Document(
        lang=lang,
        html_lang="zh-CN" if lang == "zh" else "en",
        title=title.replace("\n", "" if lang == "zh" else " "),
        title_lines=tuple(title.split("\n")),
        short_title=i18n.text(lang, "short_title", district=data.district_name, **mv),
        masthead=doc.masthead or doc.issuer,
        doc_number=number,
        signer=i18n.text(lang, "signer", name=doc.signer) if doc.signer else "",
        recipients=i18n.text(lang, "recipients", recipients=doc.recipients),
        body=tuple(body),
        attachment_lines=tuple(f"{k}．{a.title}" for k, a in enumerate(attachments, start=1)),
        issuer=doc.issuer,
        issue_date=i18n.long_date(lang, issued),
        attachments=attachments,
        copy_to=i18n.text(lang, "copy_to", names=doc.copy_to) if doc.copy_to else "",
        printed_by=doc.printed_by or doc.issuer,
        printed_date=i18n.text(lang, "printed_date", date=i18n.short_date(lang, issued)),
        generated=generated,
    )


# --- 一、总体情况 -------------------------------------------------------------------


def _overall(data: BulletinData, lang: Lang, num: Numbering, min_n: int) -> list[Block]:
    fw, d = data.fieldwork, data.district
    out: list[Block] = [
        Para(
            i18n.text(
                lang,
                "overall_fieldwork",
                cases=fmt.count(fw.cases),
                eligible=fmt.count(fw.eligible),
                sampled=fmt.count(fw.sampled),
                responded=fmt.count(fw.responded),
                rr=fmt.pct(fw.response_rate),
            )
        )
    ]
    margin = fmt.margin(d.ci_low, d.ci_high)
    if d.rate is None:
        rate = i18n.text(lang, "overall_rate_none")
    else:
        rate = i18n.text(lang, "overall_rate", rate=fmt.pct(d.rate), margin=margin or fmt.DASH)
        parts = [_change_words(lang, ch) for ch in district_changes(data)]
        if parts:
            sep = "，" if lang == "zh" else "; "
            rate += i18n.text(lang, "changes_sentence", parts=sep.join(parts))
    out.append(Para(rate))
    out.append(_channel_table(data, lang, num))
    out += _categories(data, lang, num, min_n)
    return out


def _change_words(lang: Lang, ch: Change) -> str:
    basis = i18n.text(lang, f"basis_{ch.comparison}")
    if not ch.significant:
        return i18n.text(lang, "change_flat", basis=basis)
    key = "change_up" if ch.change > 0 else "change_down"
    return i18n.text(lang, key, basis=basis, earlier=fmt.pct(ch.earlier), pp=fmt.points(ch.change))


def _channel_table(data: BulletinData, lang: Lang, num: Numbering) -> Table:
    t, fw = i18n.labels(lang), data.fieldwork

    def key(name: str) -> tuple[int, str]:
        return (c.CHANNELS.index(name), "") if name in c.CHANNELS else (len(c.CHANNELS), name)

    rows = tuple(
        (
            Cell(i18n.channel(lang, ch.channel)),
            Cell(fmt.count(ch.contacted)),
            Cell(fmt.count(ch.responded)),
            Cell(fmt.pct(ch.response_rate)),
        )
        for ch in sorted(fw.channels, key=lambda ch: key(ch.channel))
    )
    return Table(
        caption=i18n.text(lang, "table_channels", n=num.next_table()),
        heads=(t["fw_channel"], t["fw_contacted"], t["fw_responded"], t["fw_ch_rr"]),
        rows=rows,
        numeric=(False, True, True, True),
        footer=(
            Cell(t["fw_total"]),
            Cell(fmt.count(fw.sampled)),
            Cell(fmt.count(fw.responded)),
            Cell(fmt.pct(fw.response_rate)),
        ),
    )


def _categories(data: BulletinData, lang: Lang, num: Numbering, min_n: int) -> list[Block]:
    if data.categories is None or data.categories.is_empty():
        return []
    t = i18n.labels(lang)
    frame = data.categories.sort([CASES, c.CATEGORY], descending=[True, False])
    rows: list[dict[str, Any]] = list(frame.iter_rows(named=True))
    ok = [r for r in rows if (r[c.RESPONDED] or 0) >= min_n and r[c.SATISFACTION_RATE] is not None]
    n = num.next_table()
    if len(ok) >= 4:
        by_rate = sorted(ok, key=lambda r: (-r[c.SATISFACTION_RATE], r[c.CATEGORY]))
        sep = t["sep"]
        left, right = ("（", "）") if lang == "zh" else (" (", ")")

        def names(rs: list[dict[str, Any]]) -> str:
            return sep.join(
                f"{r[c.CATEGORY]}{left}{fmt.pct(r[c.SATISFACTION_RATE])}{right}" for r in rs
            )

        lead = i18n.text(lang, "categories_lead", high=names(by_rate[:2]), low=names(by_rate[-2:]))
    else:
        lead = i18n.text(lang, "categories_lead_few", n=n)
    table_rows = []
    for r in rows:
        small = (r[c.RESPONDED] or 0) < min_n or r[c.SATISFACTION_RATE] is None
        margin = fmt.margin(r[c.CI_LOW], r[c.CI_HIGH])
        table_rows.append(
            (
                Cell(str(r[c.CATEGORY])),
                Cell(fmt.count(r[CASES])),
                Cell(fmt.count(r[c.SAMPLED])),
                Cell(fmt.count(r[c.RESPONDED])),
                Cell(t["insufficient_cell"], "muted")
                if small
                else Cell(fmt.pct(r[c.SATISFACTION_RATE])),
                Cell(fmt.DASH if small or margin is None else f"±{margin}"),
            )
        )
    return [
        Para(lead),
        Table(
            caption=i18n.text(lang, "table_categories", n=n),
            heads=(
                t["cat_category"],
                t["cat_cases"],
                t["cat_sampled"],
                t["cat_responded"],
                t["cat_rate"],
                t["cat_margin"],
            ),
            rows=tuple(table_rows),
            numeric=(False, True, True, True, True, True),
        ),
    ]


# --- 存在的主要问题、工作要求 ----------------------------------------------------------


def _problems(data: BulletinData, lang: Lang, uv: UnitsView) -> list[Block]:
    t = i18n.labels(lang)
    items: list[str] = []
    if data.reasons is not None and not data.reasons.is_empty():
        reasons = (
            data.reasons.group_by(THEME)
            .agg(pl.col(MENTIONS).sum())
            .filter(pl.col(MENTIONS) > 0)
            .sort([MENTIONS, THEME], descending=[True, False])
        )
        total = int(reasons[MENTIONS].sum() or 0)
        top = list(reasons.head(5).iter_rows(named=True))
        if top and total:
            themes = t["sep"].join(
                i18n.text(
                    lang,
                    "reason_item",
                    theme=i18n.theme(lang, r[THEME]),
                    n=fmt.count(r[MENTIONS]),
                    share=fmt.pct(r[MENTIONS] / total),
                )
                for r in top
            )
            items.append(i18n.text(lang, "problem_reasons", themes=themes))
    if uv.below_names:
        shown = uv.below_names[:3]
        count = (
            i18n.text(lang, "below_count", n=len(uv.below_names)) if len(uv.below_names) > 1 else ""
        )
        items.append(i18n.text(lang, "problem_below", names=t["sep"].join(shown), count=count))
    if data.integrity.reports:
        items.append(
            i18n.text(
                lang,
                "problem_integrity",
                reports=fmt.count(data.integrity.reports),
                units=fmt.count(data.integrity.units_with_reports),
            )
        )
    if uv.overdue:
        items.append(i18n.text(lang, "problem_overdue", n=fmt.count(uv.overdue)))
    if not items:
        items.append(t["problem_none"])
    out: list[Block] = [
        Para(text, lead=i18n.item_number(lang, k)) for k, text in enumerate(items, start=1)
    ]
    out += [Para(p) for p in _paragraphs(data.problems_text)]
    return out


def _requirements(data: BulletinData, lang: Lang) -> list[Block]:
    own = _paragraphs(data.requirements_text)
    lines = own or _paragraphs(i18n.text(lang, "requirements_default"))
    if len(lines) == 1:
        return [Para(lines[0])]
    return [Para(p, lead=i18n.item_number(lang, k)) for k, p in enumerate(lines, start=1)]


def _paragraphs(text: str | None) -> list[str]:
    if not text:
        return []
    return [line.strip() for line in text.splitlines() if line.strip()]
