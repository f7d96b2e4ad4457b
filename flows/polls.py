"""民意征集 polls: create from TOML, draw from a frame, contact, estimate, report.

- **Draw** (probability target): the frame file (CSV/xlsx: ``member_id``, ``phone``, the
  stratum column) is cleaned (valid mobiles, not opted out, not on the do-not-contact
  list: ineligible rows are counted), then allocated and selected by the same engine as
  the daily samples (``sampling.selection.draw``: permanent random numbers,
  SRSWOR within strata, π_i = n_h / N_h, d_i = N_h / n_h).
- **Contact**: one attempt per member in the casework outbox (``PL-<poll>-<member>``),
  sent by the dispatch runs like every contact (``flows.casework.send_due``); the web
  form (public listener) takes answers from personal links and from the open link / QR
  code.
- **Estimates** (probability target): weighting-class nonresponse adjustment within
  strata (``sampling.weights.nonresponse_adjust``; Kalton & Flores-Cervantes 2003), then
  for every option of every closed question the weighted share among the question's
  respondents with its Taylor SE and Korn–Graubard interval as a whole-design estimate
  (``sampling.estimation.overall_estimate`` with ``cap_n_eff=True``: Lumley 2010 §2.2,
  Korn & Graubard 1998) — R: ``svyciprop(~chosen, svydesign(ids=~1, strata=~stratum,
  weights=~final_weight, fpc=~stratum_population, data=d), method="beta")``.
  An **open** poll (link / QR code) is a non-probability sample: plain shares, no
  intervals, and the report says so.
- **Themes** of open answers are coded by ``channels.reasons`` (counts, never quotes).
"""

from __future__ import annotations

import html
import io
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
from prefect import flow

from casework import polls as P
from casework.store import Casework
from channels.reasons import code as theme_of
from flows import wiring
from flows.casework import open_store
from minyi import vocab
from minyi.settings import Settings, load_settings

CAVEAT = (
    "本次征集通过公开链接/二维码进行，参与者自愿作答，属非概率样本：结果只反映参与者的意见，"
    "不能推断全体居民，未计算置信区间。/ An open-link poll is a non-probability sample: the "
    "shares describe those who chose to answer, not the population; no intervals are given."
)
SUBJECT_LABEL = P.SUBJECTS


def create(settings: Settings, text: str, actor: str) -> P.Poll:
    spec = P.parse(text)
    with open_store(settings.casework_path) as store:
        return P.create(store, spec, actor, datetime.now(UTC))


@dataclass(frozen=True)
class Drawn:
    poll_id: str
    frame: int
    eligible: int
    sampled: int
    strata: int


def _read_frame(path: Path) -> pl.DataFrame:
    if path.suffix.lower() == ".xlsx":
        return pl.read_excel(path, infer_schema_length=0)
    return pl.read_csv(path, infer_schema=False)


def draw(settings: Settings, con: object, poll_id: str, frame_path: Path, seed: int | None = None) -> Drawn:
    """Draw the poll's sample from a frame file (see the module docstring)."""
    import duckdb

    from sampling.selection import draw as draw_sample
    from warehouse.contacts import blocked_among
    from warehouse.phones import normalise

    assert isinstance(con, duckdb.DuckDBPyConnection)
    with open_store(settings.casework_path) as store:
        poll = P.get(store, poll_id)
        spec = poll.spec
        if spec.target != "sample" or spec.sample is None:
            raise P.NotAllowed("公开链接征集无需抽样 / an open poll is not drawn")
        frame = _read_frame(frame_path)
        column = spec.sample.stratum
        missing = [c for c in ("member_id", "phone", column) if c not in frame.columns]
        if missing:
            raise P.BadInput(f"抽样框缺少列 {missing} / the frame lacks {missing}")
        frame = frame.select(
            pl.col("member_id").cast(pl.String), pl.col("phone").cast(pl.String),
            pl.col(column).cast(pl.String).fill_null("未分层").alias("stratum"),
        ).unique("member_id", keep="first", maintain_order=True)
        phones = normalise(frame["phone"])
        frame = frame.with_columns(phones["phone_e164"]).filter(pl.col("phone_e164").is_not_null())
        blocked = blocked_among(con, frame["phone_e164"].to_list())
        eligible = frame.filter(~pl.col("phone_e164").is_in(list(blocked))).unique(
            "phone_e164", keep="first", maintain_order=True
        )
        allocation, sample = draw_sample(
            eligible.rename({"member_id": "case_id"}), spec.sample.total,
            min(spec.sample.minimum, 1_000_000), spec.sample.allocation,  # type: ignore[arg-type]
            seed if seed is not None else settings.sample_seed,
        )
        rows = [
            (r["case_id"], r["stratum"], int(r["stratum_population"]), int(r["stratum_sample"]),
             float(r["design_weight"]), r["phone_e164"])
            for r in sample.iter_rows(named=True)
        ]
        design = {
            "frame_rows": frame.height, "eligible": eligible.height, "sampled": len(rows),
            "strata": allocation.height, "allocation": spec.sample.allocation,
            "seed": seed if seed is not None else settings.sample_seed, "frame_file": frame_path.name,
        }
        P.store_sample(store, poll_id, rows, design)
    return Drawn(poll_id, frame.height, eligible.height, len(rows), allocation.height)


def plan_contacts(settings: Settings, poll_id: str, channel: str, at: datetime) -> int:
    """Commit one contact attempt per sampled member (sent by the dispatch runs)."""
    with open_store(settings.casework_path) as store:
        poll = P.get(store, poll_id)
        if poll.status not in (P.DRAWN, P.FIELDING):
            raise P.NotAllowed("请先抽样 / draw the sample first")
        rows = [
            (f"{vocab.POLL_PREFIX}{poll_id}-{member}", poll_id, member, channel, phone)
            for member, _, _, _, _, phone in P.members(store, poll_id)
        ]
        new = store.add_attempts(rows, at)
        P.set_status(store, poll_id, P.FIELDING)
    return new


# --- estimates ------------------------------------------------------------------------------


def results(store: Casework, poll_id: str) -> tuple[P.Poll, pl.DataFrame, dict[str, int]]:
    """One row per question × option (themes for open text) with respondents, chosen, the
    estimate and, for a probability sample, its SE and interval (see the module docstring)."""
    from sampling.estimation import overall_estimate
    from sampling.weights import nonresponse_adjust

    poll = P.get(store, poll_id)
    spec = poll.spec
    answers = pl.DataFrame(
        P.answers(store, poll_id),
        schema={"respondent": pl.String, "item": pl.String, "value": pl.String,
                "channel": pl.String, "answered_at": pl.String},
        orient="row",
    )
    sampled = 0
    weights: pl.DataFrame | None = None
    if spec.target == "sample":
        members = pl.DataFrame(
            P.members(store, poll_id),
            schema={"case_id": pl.String, "stratum": pl.String, "stratum_population": pl.Int64,
                    "stratum_sample": pl.Int64, "design_weight": pl.Float64, "phone": pl.String},
            orient="row",
        )
        sampled = members.height
        answered = set(answers["respondent"].to_list())
        members = members.with_columns(pl.col("case_id").is_in(list(answered)).alias("responded"))
        if members.height:
            weights = nonresponse_adjust(members, "stratum").filter(pl.col("final_weight").is_not_null())
        answers = answers.filter(pl.col("respondent").is_in(members["case_id"].to_list()))
    respondents = answers["respondent"].n_unique()
    rows = []
    for q in spec.questions:
        given = answers.filter(pl.col("item") == q.key)
        n = given.height
        if q.kind == "text":
            themes = Counter(t for t in (theme_of(v) for v in given["value"].to_list()) if t)
            for theme, count in sorted(themes.items(), key=lambda kv: (-kv[1], kv[0])):
                rows.append((q.key, q.text, q.kind, theme, n, count, count / n if n else None, None, None, None, "themes"))
            continue
        labels = list(q.options) if q.kind != "scale" else list(P.SCALE)
        for k, label in enumerate(labels, start=1):
            key = str(k)
            chosen = given.with_columns(
                pl.col("value").str.split(",").list.contains(key).alias("satisfied")
            )
            count = int(chosen["satisfied"].sum())
            if weights is not None and n:
                frame = chosen.join(
                    weights.select(pl.col("case_id").alias("respondent"), "stratum", "stratum_population", "final_weight"),
                    on="respondent", how="inner",
                )
                est = overall_estimate(frame, cap_n_eff=True)
                rows.append((q.key, q.text, q.kind, label, n, count, est["satisfaction_rate"], est["se"],
                             est["ci_low"], est["ci_high"], "design"))
            else:
                rows.append((q.key, q.text, q.kind, label, n, count, count / n if n else None, None, None, None, "unweighted"))
    frame = pl.DataFrame(
        rows,
        schema={"item": pl.String, "question": pl.String, "kind": pl.String, "option": pl.String,
                "respondents": pl.Int32, "chosen": pl.Int32, "estimate": pl.Float64, "se": pl.Float64,
                "ci_low": pl.Float64, "ci_high": pl.Float64, "method": pl.String},
        orient="row",
    )
    return poll, frame, {"sampled": sampled, "responded": respondents}


def results_frames(store: Casework, zone: ZoneInfo) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``cw_polls`` and ``cw_poll_results`` for the warehouse mirror (times local to ``zone``)."""
    polls_rows, result_parts = [], []
    for poll in P.all_polls(store):
        _, frame, counts = results(store, poll.poll_id)
        polls_rows.append({
            "poll_id": poll.poll_id, "title": poll.spec.title, "subject_kind": poll.spec.subject,
            "target": poll.spec.target, "starts": poll.spec.starts, "ends": poll.spec.ends,
            "status": poll.status, "sampled": counts["sampled"], "responded": counts["responded"],
            "created_at": datetime.fromisoformat(poll.created_at).astimezone(zone).replace(tzinfo=None),
        })
        if frame.height:
            result_parts.append(frame.with_columns(pl.lit(poll.poll_id).alias("poll_id")))
    polls = pl.DataFrame(
        polls_rows,
        schema={"poll_id": pl.String, "title": pl.String, "subject_kind": pl.String, "target": pl.String,
                "starts": pl.Date, "ends": pl.Date, "status": pl.String, "sampled": pl.Int32,
                "responded": pl.Int32, "created_at": pl.Datetime("us")},
    )
    results_frame = (
        pl.concat(result_parts).unique(["poll_id", "item", "option"], keep="first", maintain_order=True)
        if result_parts
        else pl.DataFrame(schema={"poll_id": pl.String, "item": pl.String})
    )
    return polls, results_frame


# --- the report: HTML, xlsx, PDF ------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def report_html(poll: P.Poll, frame: pl.DataFrame, counts: dict[str, int], district: str) -> str:
    spec = poll.spec
    head = (
        f"<h1>{html.escape(district)}民意征集结果报告</h1><h2>{html.escape(spec.title)}</h2>"
        f"<p>征集事项类别：{SUBJECT_LABEL[spec.subject]}；征集期：{spec.starts} 至 {spec.ends}；"
    )
    if spec.target == "sample":
        design = poll.design
        head += (
            f"对象：按分层随机抽样抽取 {counts['sampled']} 人（抽样框 {design.get('frame_rows', '?')} 人，"
            f"符合条件 {design.get('eligible', '?')} 人，{design.get('strata', '?')} 层，"
            f"{'等额' if design.get('allocation') == 'equal' else '按比例'}分配），回答 {counts['responded']} 人"
            f"（回答率 {_pct(counts['responded'] / counts['sampled'] if counts['sampled'] else None)}）。</p>"
            "<p class='note'>估计值按分层设计加权（层内无回答调整），95% 置信区间为 Korn–Graubard 区间"
            "（泰勒线性化标准误，有限总体校正，有效样本量不超过回答人数）。</p>"
        )
    else:
        head += f"对象：公开链接/二维码，回答 {counts['responded']} 人。</p><p class='caveat'>{html.escape(CAVEAT)}</p>"
    parts = [head]
    for item in frame["item"].unique(maintain_order=True).to_list():
        rows = frame.filter(pl.col("item") == item)
        first = rows.row(0, named=True)
        title = html.escape(first["question"])
        if first["kind"] == "text":
            body = "".join(
                f"<tr><td>{html.escape(theme_label(r['option']))}</td><td>{r['chosen']}</td></tr>"
                for r in rows.iter_rows(named=True)
            )
            parts.append(f"<h3>{title}（开放题，{first['respondents']} 人作答，按主题归类）</h3>"
                         f"<table><tr><th>主题</th><th>提及人数</th></tr>{body}</table>")
            continue
        interval = first["method"] == "design"
        heads = "<th>选项</th><th>人数</th><th>占比</th>" + ("<th>95% 置信区间</th>" if interval else "")
        body = "".join(
            f"<tr><td>{html.escape(r['option'])}</td><td>{r['chosen']}</td><td>{_pct(r['estimate'])}</td>"
            + (f"<td>{_pct(r['ci_low'])} – {_pct(r['ci_high'])}</td>" if interval else "")
            + "</tr>"
            for r in rows.iter_rows(named=True)
        )
        parts.append(f"<h3>{title}（{first['respondents']} 人作答）</h3><table><tr>{heads}</tr>{body}</table>")
    style = ("body{font-family:'Noto Sans CJK SC',sans-serif;max-width:50rem;margin:1rem auto}"
             "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem}"
             ".caveat{color:#a40000;font-weight:bold}.note{color:#555}")
    return (f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>{html.escape(spec.title)}"
            f"</title><style>{style}</style></head><body>{''.join(parts)}</body></html>")


def theme_label(theme: str) -> str:
    from bulletins.i18n import theme as theme_words

    return theme_words("zh", theme)


def report_xlsx(poll: P.Poll, frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    out = frame.with_columns(pl.lit(poll.poll_id).alias("poll_id"), pl.lit(poll.spec.target).alias("target"))
    out.write_excel(buffer, worksheet="results")
    return buffer.getvalue()


def report_pdf(poll: P.Poll, frame: pl.DataFrame, counts: dict[str, int], district: str) -> bytes:
    from fpdf import FPDF

    from bulletins.pdf_fonts import SANS

    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("cjk", "", str(SANS))
    pdf.set_font("cjk", size=14)
    pdf.multi_cell(0, 8, f"{district}民意征集结果报告\n{poll.spec.title}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=10)
    if poll.spec.target == "open":
        pdf.multi_cell(0, 6, CAVEAT.split(" / ")[0], new_x="LMARGIN", new_y="NEXT")
    else:
        pdf.multi_cell(0, 6, f"抽样 {counts['sampled']} 人，回答 {counts['responded']} 人；估计值加权，附 95% 置信区间。", new_x="LMARGIN", new_y="NEXT")
    for r in frame.iter_rows(named=True):
        label = theme_label(r["option"]) if r["kind"] == "text" else r["option"]
        interval = f"  [{_pct(r['ci_low'])}, {_pct(r['ci_high'])}]" if r["method"] == "design" else ""
        pdf.multi_cell(
            0, 6, f"{r['question'][:30]} · {label}: {r['chosen']} / {r['respondents']}  {_pct(r['estimate'])}{interval}",
            new_x="LMARGIN", new_y="NEXT",
        )
    return bytes(pdf.output())


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    xlsx: Path
    pdf: Path | None
    responded: int


def write_report(settings: Settings, poll_id: str, pdf: bool = True) -> ReportFiles:
    with open_store(settings.casework_path) as store:
        poll, frame, counts = results(store, poll_id)
    folder = settings.home / "polls" / poll_id
    folder.mkdir(parents=True, exist_ok=True)
    page = folder / "report.html"
    page.write_text(report_html(poll, frame, counts, settings.district_name), encoding="utf-8")
    sheet = folder / "results.xlsx"
    sheet.write_bytes(report_xlsx(poll, frame))
    printed = None
    if pdf:
        printed = folder / "report.pdf"
        printed.write_bytes(report_pdf(poll, frame, counts, settings.district_name))
    return ReportFiles(page, sheet, printed, counts["responded"])


# --- as flow runs -----------------------------------------------------------------------------


@flow(name="minyi-poll-draw")
def poll_draw_flow(home: str, poll_id: str, frame_file: str, channel: str = "manual") -> Drawn:
    """Draw a poll's sample from a frame file and commit its contacts (sent by dispatch runs)."""
    settings = load_settings(home)
    with wiring.open_warehouse(settings) as con:
        drawn = draw(settings, con, poll_id, Path(frame_file))
    plan_contacts(settings, poll_id, channel, datetime.now(UTC))
    return drawn
