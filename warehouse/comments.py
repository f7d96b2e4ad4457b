"""What every view, table and column of the staff copy means, in Chinese: ``COMMENT ON`` text.

One source for two readers: the ``COMMENT ON VIEW`` / ``COMMENT ON TABLE`` /
``COMMENT ON COLUMN`` statements applied to ``<home>/published/warehouse.duckdb``
(staff read them with ``duckdb_views()``, ``duckdb_tables()`` and
``duckdb_columns()``), and the data dictionary ``docs/数据字典.md``, whose view and
table sections are rendered from this module (:func:`dictionary_markdown`;
``uv run python -m warehouse.comments --write docs/数据字典.md`` rewrites them, and
``tests/warehouse/test_comments.py`` fails when the two differ).

DuckDB (2.0) accepts ``COMMENT ON COLUMN`` on a view's columns. ``CREATE OR
REPLACE VIEW`` drops a view's comments, so the comments are applied after the
views are (re)created: :func:`apply_comments` (everything the copy holds) or the
statements of :func:`comment_statements` (views and their columns) and
:func:`table_comment_statements` (tables and their columns).

Types are those ``duckdb_columns()`` reports; tables are described as the
published copy holds them (phone numbers masked, free text dropped,
``warehouse.db``), so a table column of the live file that the copy leaves out
has no entry here.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import duckdb


@dataclass(frozen=True)
class Column:
    """One column: DuckDB type, meaning, unit or values, and what the copy hides."""

    type: str
    meaning: str
    values: str = ""
    privacy: str = ""

    def comment(self) -> str:
        parts = [self.meaning]
        if self.values:
            parts.append(f"取值：{self.values}")
        if self.privacy:
            parts.append(self.privacy)
        return "；".join(parts)


@dataclass(frozen=True)
class Relation:
    """A view or a table: its Chinese title, English gloss, one row is…, and its columns."""

    title: str
    english: str
    row: str
    about: str
    columns: dict[str, Column] = field(default_factory=dict)

    def comment(self) -> str:
        return f"{self.title}（{self.english}）。一行 = {self.row}。{self.about}"


def _c(type_: str, meaning: str, values: str = "", privacy: str = "") -> Column:
    return Column(type_, meaning, values, privacy)


# --- columns that mean the same wherever they appear ------------------------------------

_TZ = "带时区的时刻，按查询会话的时区显示；北京时间用 timezone('Asia/Shanghai', 列名)"
_CASE_ID = _c("VARCHAR", "办件编号（办件系统给出的唯一编号）")
_SAMPLE_DATE = _c("DATE", "抽样日期，即办件的办结日期（当地日期）", "YYYY-MM-DD")
_UNIT_ID = _c("VARCHAR", "办理单位编码（见 units 表）")
_CATEGORY = _c("VARCHAR", "办件类别（事项类别）")
_STRATUM = _c("VARCHAR", "抽样层：抽样日期 × 办件类别", "YYYY-MM-DD|办件类别")
_N_H = _c("INTEGER", "层内符合抽样条件的办件数 N_h", "≥ 1，单位：件")
_N_H_SAMPLE = _c("INTEGER", "层内抽中的办件数 n_h", "1 ≤ n_h ≤ N_h，单位：件")
_SEED = _c("BIGINT", "抽样种子（MINYI_SAMPLE_SEED），与样本一并保存，可据以复核")
_MONTH = _c("VARCHAR", "月份（按样本的抽样日期归月）", "YYYY-MM")
_UNIT_NAME = _c("VARCHAR", "单位名称")
_CHANNEL = _c("VARCHAR", "联系渠道", "sms 短信；voice 语音外呼（IVR）；manual 人工电话访评")
_RATE = "0–1 的比例"
_LOCAL = "当地时间（MINYI_TIMEZONE），不带时区"
_YES_NO = "true / false"
_MULTIPLICITY = _c(
    "INTEGER",
    "乘数 m：同一号码当天有多件符合条件的办件时只留一件（按号码 PRN u' 最小者）代表全部，"
    "m 为它代表的办件数（含自身）",
    "≥ 1；1 = 号码当天只有这一件",
)
_INCLUSION_PROB = _c("DOUBLE", "入样概率 π = n_h / (N_h · m)，m 为乘数", "(0, 1]")
_DESIGN_WEIGHT = _c("DOUBLE", "设计权数 d = m · N_h / n_h：一个样本代表的办件数", "≥ 1")
_ASSIGNED_CHANNEL = _c(
    "VARCHAR",
    "渠道试验中随机指定的首个联系渠道（MINYI_RANDOMISED_SHARE，默认 5% 的样本参加试验）",
    "sms / voice / manual；不在试验中（或尚未首次联系）为空",
)
_WINDOW_FIRST = _c("VARCHAR", "合并的月份窗口的第一个月（只含已截止的月份）", "YYYY-MM")
_WINDOW_LAST = _c("VARCHAR", "合并的月份窗口的最后一个月（即评判月份）", "YYYY-MM")
_PROB = "0–1 的概率"
# the casework mirror (warehouse.casework): tickets, complaints, appeals, polls, audit log
_TICKET_ID = _c("VARCHAR", "工单编号", "ZB 开头")
_TICKET_CASE = _c("VARCHAR", "所涉办件编号；群众投诉的工单为投诉登记号")
_TICKET_KIND = _c(
    "VARCHAR",
    "工单类型",
    "dissatisfied 不满意转办（满意度 1–2 级）；integrity 廉情线索（反映吃拿卡要）；complaint 群众投诉",
)
_TICKET_STATUS = _c(
    "VARCHAR",
    "工单状态",
    "open 待分办；assigned 办理中；replied 已答复待回访；revisited 回访仍不满意；closed 已办结；"
    "overdue 已超期",
)
_TICKET_MONTH = _c(
    "VARCHAR", "工单计入的月份（办件的抽样月份；投诉为收到的月份）", "YYYY-MM"
)
_THEME = _c(
    "VARCHAR",
    "原因主题：按关键词归类的编码，不含群众原话",
    "integrity、fees、attitude、repeat_visits、waiting、timeliness、materials、information、"
    "procedure、online、facilities、result、other；可为空",
    "群众原话不在副本中",
)
_DUE_DATE = _c(
    "DATE",
    "办理期限（按国务院节假日安排的工作日计算，MINYI_FOLLOWUP_DAYS_*）",
    "YYYY-MM-DD（当地日期）；未分办为空",
)
_REPLIED_AT = _c("TIMESTAMP", "单位答复（报送整改情况）的时间", _LOCAL + "；未答复为空")
_CLOSED_AT = _c("TIMESTAMP", "办结时间", _LOCAL + "；未办结为空")
_REVISIT = _c(
    "INTEGER", "回访满意度等级（中心回访时群众的回答）", "1–5，同 satisfaction；未回访为空"
)
_WAS_OVERDUE = _c("BOOLEAN", "是否曾经超期（超过期限仍未答复）", _YES_NO)
_VERIFICATION = _c(
    "VARCHAR",
    "核实结论（廉情线索和投诉，由纪检监察核实）",
    "verified 查实；unfounded 不实；未核实为空",
)
_APPEAL_ID = _c("VARCHAR", "申诉编号", "SS 开头")
_GROUND = _c(
    "VARCHAR",
    "申诉理由类别",
    "not_our_case 非本单位办件；wrong_person 受访人非办事人；malicious 恶意评价",
)
_POLL_ID = _c("VARCHAR", "民意征集编号")

VIEWS: Final[dict[str, Relation]] = {
    "v_sample": Relation(
        "每日样本",
        "daily sample",
        "一个被抽中的办件",
        "每天按「日期 × 办件类别」分层抽取的样本及其抽样设计量；一天抽取一次，之后不再改变。",
        {
            "sample_date": _SAMPLE_DATE,
            "case_id": _CASE_ID,
            "unit_id": _UNIT_ID,
            "category": _CATEGORY,
            "stratum": _STRATUM,
            "stratum_population": _N_H,
            "stratum_sample": _N_H_SAMPLE,
            "inclusion_prob": _INCLUSION_PROB,
            "design_weight": _DESIGN_WEIGHT,
            "seed": _SEED,
            "multiplicity": _MULTIPLICITY,
            "assigned_channel": _ASSIGNED_CHANNEL,
        },
    ),
    "v_responses": Relation(
        "满意度回答",
        "responses",
        "一个对满意度题给出 1–5 级回答的样本办件",
        "回答「不了解/说不清」（0）的、以及申诉成立被剔除的（response_exclusions）不在此视图中；"
        "月度截止后才有最终权数。",
        {
            "case_id": _CASE_ID,
            "sample_date": _SAMPLE_DATE,
            "unit_id": _UNIT_ID,
            "category": _CATEGORY,
            "stratum": _STRATUM,
            "stratum_population": _N_H,
            "channel": _c(
                "VARCHAR",
                "回答满意度题所用的渠道",
                "sms 短信；voice 语音外呼（IVR）；manual 人工电话访评",
            ),
            "answered_at": _c("TIMESTAMP WITH TIME ZONE", "回答时间", _TZ),
            "satisfaction": _c(
                "INTEGER",
                "满意度等级",
                "1–5：5 非常满意，4 满意，3 基本满意，2 不满意，1 非常不满意",
            ),
            "satisfied": _c(
                "BOOLEAN",
                "是否满意：等级 ≥ MINYI_SATISFIED_MIN_LEVEL（默认 3，即基本满意及以上）",
                "true / false",
            ),
            "final_weight": _c(
                "DOUBLE",
                "最终权数：设计权数按办件类别作无回答调整后的权数，估计满意率时使用",
                "> 0；月度截止前、或回答晚于截止时间时为空",
            ),
        },
    ),
    "v_dispositions": Relation(
        "样本最终处置",
        "final dispositions",
        "一个样本办件",
        "月度截止时写入每个样本办件的 AAPOR 最终处置码，用于计算回答率；月份未截止时没有记录。",
        {
            "case_id": _CASE_ID,
            "sample_date": _SAMPLE_DATE,
            "unit_id": _UNIT_ID,
            "channel": _c(
                "VARCHAR",
                "回答满意度题的渠道；未回答的为最后一次联系的渠道",
                "sms / voice / manual；从未联系为空",
            ),
            "attempts": _c("INTEGER", "已发出（含发送失败）的联系次数", "≥ 0，单位：次"),
            "aapor_code": _c(
                "VARCHAR",
                "AAPOR 最终处置码（见数据字典「代码表」）",
                "1.1、1.2、2.11、2.12、2.20、2.30、3.16、3.19、4.70",
            ),
            "is_final": _c("BOOLEAN", "是否为最终处置（月度截止后为 true）", "true / false"),
        },
    ),
    "v_unit_month": Relation(
        "单位月度满意度",
        "unit × month estimates",
        "一个单位的一个月",
        "月度截止后写入：样本、回答、加权满意率及其不确定性；名次、名次区间、flag 和 honour "
        "来自评判（v_unit_judgement）。名次不同并不等于真实差异，要看置信区间和名次区间。",
        {
            "month": _MONTH,
            "unit_id": _UNIT_ID,
            "unit_name": _UNIT_NAME,
            "peer_group": _c(
                "VARCHAR",
                "同类组：只与同组单位比较（来自单位名录，默认为单位类别）",
                "如 agency、department、window、township",
            ),
            "sampled": _c("INTEGER", "本月抽中的样本办件数", "≥ 0，单位：件"),
            "responded": _c(
                "INTEGER", "截止时对满意度题给出 1–5 级回答的人数", "≥ 0，单位：人"
            ),
            "response_rate": _c(
                "DOUBLE", "回答率（AAPOR RR1）：完成访问数 / 样本办件数（不含确认不符合条件的）", _RATE
            ),
            "satisfaction_rate": _c(
                "DOUBLE", "满意率估计：按最终权数加权的「满意」比例", _RATE + "；无回答时为空"
            ),
            "se": _c(
                "DOUBLE",
                "满意率的标准误（分层抽样设计，泰勒线性化，含有限总体校正）",
                "≥ 0，与满意率同一尺度",
            ),
            "ci_low": _c(
                "DOUBLE", "满意率 95% 置信区间下限（Korn–Graubard 区间）", _RATE + "；可为空"
            ),
            "ci_high": _c(
                "DOUBLE", "满意率 95% 置信区间上限（Korn–Graubard 区间）", _RATE + "；可为空"
            ),
            "reportable": _c(
                "BOOLEAN",
                "是否可报告：回答人数 ≥ MINYI_MIN_RESPONDENTS（默认 30）；否则显示为「样本不足」",
                "true / false",
            ),
            "rank": _c(
                "INTEGER",
                "同类组内名次（评判 evidence：最近 MINYI_EVIDENCE_MONTHS 个已截止月份合并，"
                "按调整后满意率的模型估计从高到低），1 = 最高，并列取较小名次",
                "≥ 1；本月不可报告时为空",
            ),
            "flag": _c(
                "VARCHAR",
                "与同类组比较的判断（评判 evidence）：有 ≥ MINYI_EVIDENCE_PROB（默认 0.95）的把握"
                "比同类组均值低（高）MINYI_JUDGE_DELTA（默认 5 个百分点）以上；名次靠后本身不是证据",
                "above 明显高于同类；below 明显低于同类；空 = 无判断或本月不可报告",
            ),
            "rank_low": _c(
                "INTEGER", "名次 95% 区间的最好名次（评判 evidence）", "≥ 1；本月不可报告时为空"
            ),
            "rank_high": _c(
                "INTEGER",
                "名次 95% 区间的最差名次（评判 evidence）",
                "≥ rank_low；本月不可报告时为空",
            ),
            "n_eff": _c(
                "DOUBLE",
                "有效样本量 p(1−p)/se²：考虑抽样设计后相当于多少个简单随机样本",
                "> 0；满意率为 0 或 1 时为空",
            ),
            "funnel_low": _c(
                "DOUBLE",
                "漏斗图控制限下限（MINYI_FUNNEL_LEVEL，默认 99.8%，以同类组合并满意率为中心）",
                _RATE + "；不可报告时为空",
            ),
            "funnel_high": _c(
                "DOUBLE",
                "漏斗图控制限上限（MINYI_FUNNEL_LEVEL，默认 99.8%，以同类组合并满意率为中心）",
                _RATE + "；不可报告时为空",
            ),
            "honour": _c(
                "VARCHAR",
                "十佳：在评判期（MINYI_HONOUR_MONTHS，默认一个自然年）至今的领先名单中"
                "（评判 honour）；评判期最后一个月的名单即当期十佳",
                "top 入选；空 = 未入选或本月不可报告",
            ),
            "integrity_rate": _c(
                "DOUBLE",
                "反映吃拿卡要的比例：本月回答廉洁题的人中反映有问题的比例，按 1/π 加权；"
                "只是待核实的线索，不作一票否决",
                _RATE + "；本月无人回答该题时为空",
            ),
        },
    ),
    "v_unit_judgement": Relation(
        "单位评判",
        "judgement of performance",
        "月份 × 用途 × 单位",
        "月度截止时按三种用途各评判一次：单位的服务是否确实好于或差于同类组（超出偶然），"
        "每个同类组一个分层（Fay–Herriot）模型，已调整办件类别构成和渠道构成，"
        "各月按其截止时间合并；v_unit_month 的 flag、名次、名次区间和十佳由此而来，末位只看这里。",
        {
            "month": _c("VARCHAR", "评判所在的月份（该月截止时评判）", "YYYY-MM"),
            "purpose": _c(
                "VARCHAR",
                "评判用途，决定合并哪些月份",
                "evidence 证据：最近 MINYI_EVIDENCE_MONTHS（默认 3）个月，通报的 flag、名次和名次区间；"
                "honour 十佳：评判期（MINYI_HONOUR_MONTHS）至今；"
                "last 末位：最近 MINYI_LAST_MONTHS（3–12，默认 3）个月",
            ),
            "first_month": _WINDOW_FIRST,
            "last_month": _WINDOW_LAST,
            "unit_id": _UNIT_ID,
            "unit_name": _UNIT_NAME,
            "peer_group": _c("VARCHAR", "同类组：只与同组单位比较"),
            "months": _c("INTEGER", "窗口内该单位有回答的月数", "≥ 1，单位：月"),
            "respondents": _c(
                "INTEGER", "窗口内回答满意度题的人数（各月以其截止时间为准）", "≥ 1，单位：人"
            ),
            "reportable": _c(
                "BOOLEAN",
                "是否可报告：窗口内回答人数 ≥ MINYI_MIN_RESPONDENTS（默认 30）；"
                "不可报告的单位有估计和区间，但没有名次、概率和标记",
                _YES_NO,
            ),
            "unadjusted_rate": _c(
                "DOUBLE", "未调整的满意率：窗口内按最终权数加权的「满意」比例（直接估计）", _RATE
            ),
            "case_mix_rate": _c(
                "DOUBLE",
                "只调整办件类别构成后的满意率：按全区的类别构成间接标准化（直接估计）",
                _RATE,
            ),
            "adjusted_rate": _c(
                "DOUBLE",
                "调整办件类别构成和渠道构成后的满意率（直接估计，未经模型收缩）",
                _RATE,
            ),
            "estimate": _c(
                "DOUBLE",
                "调整后满意率的模型估计：后验均值，向同类组均值收缩；名次按它排",
                _RATE,
            ),
            "se": _c("DOUBLE", "estimate 的后验标准差", "≥ 0，与满意率同一尺度"),
            "ci_low": _c("DOUBLE", "调整后满意率 95% 后验区间下限", _RATE),
            "ci_high": _c("DOUBLE", "调整后满意率 95% 后验区间上限", _RATE),
            "rank": _c(
                "INTEGER",
                "同类组内名次（只在可报告单位中排）：按 estimate 从高到低，1 = 最高，并列取较小名次",
                "≥ 1；不可报告时为空",
            ),
            "rank_low": _c(
                "INTEGER",
                "名次 95% 区间的最好名次（后验抽样名次的 2.5% 分位数）",
                "≥ 1；不可报告时为空",
            ),
            "rank_high": _c(
                "INTEGER",
                "名次 95% 区间的最差名次（后验抽样名次的 97.5% 分位数）",
                "≥ rank_low；不可报告时为空",
            ),
            "p_below": _c(
                "DOUBLE",
                "低于同类的概率：真实满意率比同组其他可报告单位的平均低 δ 以上的后验概率"
                "（δ = MINYI_JUDGE_DELTA，默认 5 个百分点）",
                _PROB + "；不可报告或组内只有一个单位时为空",
            ),
            "p_above": _c(
                "DOUBLE",
                "高于同类的概率：真实满意率比同组其他可报告单位的平均高 δ 以上的后验概率",
                _PROB + "；不可报告或组内只有一个单位时为空",
            ),
            "evidence": _c(
                "VARCHAR",
                "判断：p_below 或 p_above ≥ MINYI_EVIDENCE_PROB（默认 0.95）",
                "below 明显低于同类；above 明显高于同类；none 无判断；不可报告时为空",
            ),
            "top_k": _c(
                "INTEGER",
                "本组十佳名额 k = min(MINYI_TOP_N, ⌊MINYI_TOP_SHARE × 可报告单位数⌋)，"
                "组内至少 2 个可报告单位时至少 1 个",
                "≥ 0，单位：个；不可报告时为空",
            ),
            "p_top": _c(
                "DOUBLE", "进入本组前 k 名的后验概率", _PROB + "；不可报告时为空"
            ),
            "honour": _c(
                "BOOLEAN",
                "是否列入十佳：本组 p_top 最高的 k 个单位中 p_top ≥ MINYI_HONOUR_PROB（默认 0.8）的；"
                "十佳以 purpose = honour 的行为准",
                _YES_NO,
            ),
            "p_last": _c(
                "DOUBLE",
                "排本组末位（名次 = 可报告单位数）的后验概率",
                _PROB + "；不可报告时为空",
            ),
            "last": _c(
                "BOOLEAN",
                "是否标为末位：p_last ≥ MINYI_LAST_PROB（默认 0.9），evidence 为 below，"
                "且合并月数在 3–12 之间；末位以 purpose = last 的行为准",
                _YES_NO,
            ),
        },
    ),
    "v_channel_effects": Relation(
        "渠道效应",
        "channel effects",
        "月份 × 渠道",
        "渠道试验（随机指定首个联系渠道的那部分样本）中、在被指定渠道上回答的人估出的渠道效应："
        "以参照渠道（MINYI_REFERENCE_CHANNEL，默认 sms）为基准的对数优势比；"
        "月度截止时用最近 MINYI_CHANNEL_MONTHS（默认 12）个已截止月份估计，用于评判的渠道构成调整。",
        {
            "month": _c("VARCHAR", "估计所在的月份（该月截止时估计）", "YYYY-MM"),
            "first_month": _c("VARCHAR", "所用月份窗口的第一个月（只含已截止的月份）", "YYYY-MM"),
            "last_month": _c("VARCHAR", "所用月份窗口的最后一个月（即 month）", "YYYY-MM"),
            "channel": _c(
                "VARCHAR", "试验中随机指定的首个渠道", "sms 短信；voice 语音外呼（IVR）；manual 人工电话访评"
            ),
            "respondents": _c(
                "INTEGER", "窗口内在被指定渠道上回答满意度题的试验样本人数", "≥ 0，单位：人"
            ),
            "channel_effect": _c(
                "DOUBLE",
                "渠道效应 γ：相对参照渠道的对数优势比（logistic 回归：满意 ~ 渠道 + 办件类别，不加权）；"
                "正值 = 该渠道的回答更偏向满意",
                "logit 尺度；参照渠道为 0；回答人数不足 30 或回答全都相同而未估计时为空",
            ),
            "se": _c(
                "DOUBLE", "渠道效应的标准误", "≥ 0，logit 尺度；参照渠道为 0；未估计时为空"
            ),
            "reference": _c("BOOLEAN", "是否为参照渠道", _YES_NO),
        },
    ),
    "v_unit_changes": Relation(
        "满意率的环比和同比",
        "changes over time",
        "月份 × 单位 × 比较方式",
        "月度截止时写入：本月满意率与上月（环比）、去年同月（同比）之差及其标准误；"
        "两个月回答人数都 ≥ MINYI_MIN_RESPONDENTS 的单位才有记录；"
        "只有 significant 为 true 的变化才在通报中标出。",
        {
            "month": _MONTH,
            "unit_id": _UNIT_ID,
            "unit_name": _UNIT_NAME,
            "comparison": _c("VARCHAR", "比较方式", "month_on_month 环比；year_on_year 同比"),
            "base_month": _c("VARCHAR", "比较的基期月份：上月或去年同月", "YYYY-MM"),
            "change": _c(
                "DOUBLE",
                "变化：本月满意率 − 基期满意率（各月按最终权数加权的直接估计）",
                "−1 到 1 的比例差，乘 100 为百分点",
            ),
            "change_se": _c(
                "DOUBLE",
                "变化的标准误 √(v_本月 + v_基期)：过程方差，不含有限总体校正",
                "≥ 0，与 change 同一尺度",
            ),
            "significant": _c(
                "BOOLEAN",
                "变化是否显著：|change| / change_se ≥ 双侧检验（MINYI_CHANGE_LEVEL，默认 0.95）的临界值",
                _YES_NO,
            ),
        },
    ),
    "v_response_rates": Relation(
        "回答率",
        "AAPOR outcome rates",
        "月份 × 单位 × 渠道（* 表示合计）",
        "月度截止后按 AAPOR 标准计算的各类处置数和回答率、合作率、拒访率、接触率。",
        {
            "month": _MONTH,
            "unit_id": _c("VARCHAR", "办理单位编码", "* = 全部单位合计"),
            "unit_name": _c("VARCHAR", "单位名称", "unit_id 为 * 时为空"),
            "channel": _c(
                "VARCHAR",
                "渠道（回答的渠道，未回答的为最后联系的渠道）",
                "sms / voice / manual；none = 从未联系；* = 全部渠道合计",
            ),
            "sampled": _c("INTEGER", "样本办件数", "单位：件"),
            "complete": _c("INTEGER", "完成访问 I（AAPOR 1.1）", "单位：件"),
            "partial": _c("INTEGER", "部分完成 P（1.2）", "单位：件"),
            "refusal": _c("INTEGER", "拒访和中途挂断 R（2.11、2.12）", "单位：件"),
            "non_contact": _c("INTEGER", "未接触 NC（2.20）", "单位：件"),
            "other": _c("INTEGER", "其他 O（2.30：有回复但无法识别）", "单位：件"),
            "unknown_eligibility": _c(
                "INTEGER", "资格未知 U（3.16 无法送达、3.19 从未联系）", "单位：件"
            ),
            "not_eligible": _c(
                "INTEGER", "不符合条件 NE（4.70：号码不是办事人的）", "单位：件"
            ),
            "rr1": _c("DOUBLE", "回答率 RR1 = I / (I+P+R+NC+O+U)", _RATE + "；分母为 0 时为空"),
            "rr3": _c(
                "DOUBLE",
                "回答率 RR3 = I / (I+P+R+NC+O+e·U)，e 为资格已知办件中符合条件的比例",
                _RATE + "；分母为 0 时为空",
            ),
            "coop1": _c("DOUBLE", "合作率 COOP1 = I / (I+P+R+O)", _RATE + "；分母为 0 时为空"),
            "ref1": _c("DOUBLE", "拒访率 REF1 = R / (I+P+R+NC+O+U)", _RATE + "；分母为 0 时为空"),
            "con1": _c(
                "DOUBLE", "接触率 CON1 = (I+P+R+O) / (I+P+R+NC+O+U)", _RATE + "；分母为 0 时为空"
            ),
        },
    ),
    "v_unit_feedback": Relation(
        "反馈单位的计数（背对背）",
        "unit-facing feedback",
        "月份 × 单位 × 办件类别或经办人",
        "可反馈给被评单位的计数；回答人数少于 MINYI_MIN_CELL（默认 5）的格子只给人数，"
        "不给满意与否，避免认出具体办事人。",
        {
            "month": _MONTH,
            "unit_id": _UNIT_ID,
            "cell_kind": _c("VARCHAR", "格子类型", "category 按办件类别；handler 按经办人"),
            "cell": _c("VARCHAR", "办件类别名称或经办人工号", "无经办人工号时为 ?"),
            "respondents": _c("BIGINT", "回答人数", "≥ 1，单位：人"),
            "suppressed": _c(
                "BOOLEAN",
                "是否隐去：回答人数 < MINYI_MIN_CELL（默认 5）时只显示人数",
                "true / false",
            ),
            "satisfied": _c("BIGINT", "满意人数", "单位：人；隐去时为空"),
            "not_satisfied": _c("BIGINT", "不满意人数（等级低于满意线）", "单位：人；隐去时为空"),
        },
    ),
    "v_ineligible": Relation(
        "不符合抽样条件的办件",
        "ineligible cases",
        "抽样日期 × 单位 × 办件类别 × 原因",
        "当天办件中未进入抽样框的，按第一个不符合的原因计数。",
        {
            "sample_date": _SAMPLE_DATE,
            "unit_id": _UNIT_ID,
            "category": _CATEGORY,
            "reason": _c(
                "VARCHAR",
                "不符合抽样条件的原因（见数据字典「代码表」）",
                "no_mobile:<号码状态>、excluded_category、opted_out、do_not_contact、"
                "cooldown、repeat_same_day、late",
            ),
            "cases": _c("BIGINT", "办件数", "≥ 1，单位：件"),
        },
    ),
    "v_sample_audit": Relation(
        "抽样复核",
        "draw audit",
        "一个已保存的抽样层（日期 × 办件类别）",
        "用 SQL 从办件、资格记录和当天的抽样密钥（day_draws.prn_key；没有密钥的早期抽样用种子）"
        "独立重算每一层的抽样，连同重复来访的选择、乘数和权数，与保存的样本比对；"
        "ok 为 false 的层需要查明。",
        {
            "sample_date": _SAMPLE_DATE,
            "stratum": _STRATUM,
            "seed": _SEED,
            "stratum_population": _c("INTEGER", "保存的层内符合条件办件数 N_h", "单位：件"),
            "eligible_recomputed": _c(
                "BIGINT", "重新算出的层内符合条件办件数", "应等于 stratum_population"
            ),
            "stratum_sample": _c("INTEGER", "保存的层内抽中数 n_h", "单位：件"),
            "sampled": _c("BIGINT", "层内实际保存的样本数", "应等于 stratum_sample"),
            "sampled_as_expected": _c(
                "BIGINT",
                "样本中属于按永久随机数排序前 n_h 个的办件数",
                "应等于 stratum_sample",
            ),
            "repeat_visitors": _c(
                "BIGINT",
                "层内代表同一号码当天其他办件的办件数（重复来访）",
                "≥ 0，单位：件",
            ),
            "weights_ok": _c(
                "BOOLEAN",
                "重复来访复核通过：代表办件的号码 PRN u' 在该号码当天的办件中最小，"
                "且样本的乘数和设计权数等于 m 和 m·N_h/n_h",
                "true / false；层内没有重复来访时为 true",
            ),
            "ok": _c(
                "BOOLEAN",
                "复核通过：符合条件办件数、抽中数、前 n_h 个都与保存的抽样一致，且 weights_ok",
                _YES_NO,
            ),
        },
    ),
    "v_followups": Relation(
        "跟进工单",
        "follow-up tickets",
        "一张工单",
        "每个不满意回答、每条吃拿卡要反映和每件群众投诉都开一张工单，转办单位答复整改、"
        "中心回访后办结（见 README「Closing the loop」）；来自工单系统的镜像（cw_followups），"
        "不含号码、姓名和群众原话；时间为当地时间。",
        {
            "followup_id": _TICKET_ID,
            "case_id": _TICKET_CASE,
            "unit_id": _c("VARCHAR", "承办单位编码（见 units 表）", "未分办为空"),
            "kind": _TICKET_KIND,
            "status": _TICKET_STATUS,
            "opened_at": _c("TIMESTAMP", "开单时间", _LOCAL),
            "due_date": _DUE_DATE,
            "closed_at": _CLOSED_AT,
            "revisit_satisfaction": _REVISIT,
            "month": _TICKET_MONTH,
            "replied_at": _REPLIED_AT,
            "was_overdue": _WAS_OVERDUE,
            "verification": _VERIFICATION,
        },
    ),
    "v_complaints": Relation(
        "群众投诉",
        "complaints",
        "一件投诉",
        "短信、电话和网上表单收到的投诉及其工单的办理情况；投诉内容只以主题编码出现，"
        "不含投诉人的号码、姓名和原话；时间为当地时间。",
        {
            "complaint_id": _c("VARCHAR", "投诉登记号"),
            "channel": _c("VARCHAR", "投诉渠道", "sms 短信；phone 电话；web 网上表单（二维码）"),
            "received_at": _c("TIMESTAMP", "收到时间", _LOCAL),
            "month": _c("VARCHAR", "收到的月份", "YYYY-MM"),
            "unit_id": _c("VARCHAR", "被投诉（承办）单位编码", "未分办为空"),
            "theme": _THEME,
            "status": _c(
                "VARCHAR",
                "投诉工单的状态",
                _TICKET_STATUS.values + "；没有工单时为空",
            ),
            "due_date": _DUE_DATE,
            "replied_at": _REPLIED_AT,
            "closed_at": _CLOSED_AT,
            "revisit_satisfaction": _REVISIT,
            "was_overdue": _c("BOOLEAN", "是否曾经超期", "true / false；没有工单时为空"),
            "verification": _VERIFICATION,
        },
    ),
    "v_appeals": Relation(
        "申诉",
        "appeals",
        "一件申诉（申诉复核）",
        "被评单位对一个评价提出的申诉及主任的决定；申诉成立的回答从统计中剔除"
        "（response_exclusions），已截止的月份重新截止、通报附更正说明重出；时间为当地时间。",
        {
            "appeal_id": _APPEAL_ID,
            "case_id": _c("VARCHAR", "被申诉的评价所属的办件编号"),
            "unit_id": _c("VARCHAR", "提出申诉的单位编码（见 units 表）"),
            "ground": _GROUND,
            "status": _c(
                "VARCHAR", "申诉状态", "pending 待决定；upheld 申诉成立；rejected 驳回"
            ),
            "month": _c("VARCHAR", "被申诉评价所属的月份", "YYYY-MM"),
            "filed_at": _c("TIMESTAMP", "提出时间", _LOCAL),
            "decided_at": _c("TIMESTAMP", "决定时间", _LOCAL + "；待决定时为空"),
        },
    ),
    "v_polls": Relation(
        "民意征集",
        "polls",
        "一次民意征集",
        "对重大决策、重要文件、重大项目征求意见：抽样（概率样本，可推断总体）或公开"
        "（链接、二维码，非概率样本，不能推断总体）。",
        {
            "poll_id": _POLL_ID,
            "title": _c("VARCHAR", "征集标题"),
            "subject_kind": _c(
                "VARCHAR", "征集事项类别", "decision 重大决策；document 重要文件；project 重大项目"
            ),
            "target": _c(
                "VARCHAR",
                "征集对象",
                "sample 按分层随机抽样抽取的样本（概率样本）；open 公开链接、二维码（非概率样本）",
            ),
            "starts": _c("DATE", "征集开始日期", "YYYY-MM-DD"),
            "ends": _c("DATE", "征集结束日期", "YYYY-MM-DD"),
            "status": _c(
                "VARCHAR", "征集状态", "draft 未抽样；drawn 已抽样；fielding 征集中；closed 已结束"
            ),
            "sampled": _c("INTEGER", "抽中人数", "≥ 0，单位：人；公开征集为 0"),
            "responded": _c("INTEGER", "回答人数", "≥ 0，单位：人"),
            "response_rate": _c(
                "DOUBLE", "回答率：回答人数 / 抽中人数", _RATE + "；公开征集或尚未抽样时为空"
            ),
        },
    ),
    "v_poll_results": Relation(
        "民意征集结果",
        "poll results",
        "一次征集 × 一道题 × 一个选项（开放题为一个主题）",
        "抽样征集给加权比例及 95% 置信区间；公开征集只给未加权比例，不能推断总体；"
        "开放题只按主题计数，不含回答原文。",
        {
            "poll_id": _POLL_ID,
            "item": _c("VARCHAR", "题目代码"),
            "question": _c("VARCHAR", "题目文字"),
            "kind": _c(
                "VARCHAR", "题型", "single 单选；multiple 多选；scale 1–5 级量表；text 开放题"
            ),
            "option": _c(
                "VARCHAR",
                "选项文字；量表题为等级；开放题为主题编码",
                "量表题 1–5",
                "开放题的回答原文不在副本中",
            ),
            "respondents": _c("INTEGER", "回答该题的人数", "≥ 0，单位：人"),
            "chosen": _c("INTEGER", "选择该选项（开放题：提及该主题）的人数", "≥ 0，单位：人"),
            "estimate": _c(
                "DOUBLE",
                "选择该选项的比例：抽样征集按设计加权（层内无回答调整），否则为人数之比",
                _RATE + "；无人回答时为空",
            ),
            "se": _c(
                "DOUBLE", "比例的标准误（泰勒线性化）", "≥ 0；只有抽样征集（method = design）有"
            ),
            "ci_low": _c(
                "DOUBLE",
                "比例 95% 置信区间下限（Korn–Graubard 区间）",
                _RATE + "；只有抽样征集有",
            ),
            "ci_high": _c(
                "DOUBLE",
                "比例 95% 置信区间上限（Korn–Graubard 区间）",
                _RATE + "；只有抽样征集有",
            ),
            "method": _c(
                "VARCHAR",
                "估计方法",
                "design 设计加权（抽样征集）；unweighted 未加权（公开征集，非概率样本）；"
                "themes 开放题按主题计数",
            ),
        },
    ),
    "v_unit_followups": Relation(
        "单位工单办理情况",
        "unit follow-up performance",
        "一个单位的一个月",
        "以当前为准统计转办给单位的不满意工单和投诉工单（申诉成立而办结的不计）；"
        "通报中的同名表以该月截止时间为准。",
        {
            "month": _TICKET_MONTH,
            "unit_id": _UNIT_ID,
            "tickets": _c("BIGINT", "工单数（不满意转办和群众投诉）", "≥ 1，单位：件"),
            "replied": _c("BIGINT", "已答复的工单数", "≥ 0，单位：件"),
            "on_time_rate": _c(
                "DOUBLE",
                "按期办结率：已到期（已答复或已过期限）的工单中在期限内答复的比例",
                _RATE + "；没有到期工单时为空",
            ),
            "overdue": _c("BIGINT", "当前已超期的工单数", "≥ 0，单位：件"),
            "revisited": _c("BIGINT", "已回访（有回访满意度）的工单数", "≥ 0，单位：件"),
            "revisit_satisfaction_rate": _c(
                "DOUBLE",
                "回访满意率：已回访的工单中回访满意度 ≥ MINYI_SATISFIED_MIN_LEVEL（默认 3）的比例",
                _RATE + "；没有回访时为空",
            ),
        },
    ),
    "v_audit": Relation(
        "操作日志",
        "audit log",
        "一条操作记录",
        "谁在什么时间做了什么：员工网页、命令行和定时流程的操作（只增不改）；"
        "不含操作前后的内容，不含个人信息；时间为当地时间。",
        {
            "seq": _c("BIGINT", "顺序号", "从 1 起递增"),
            "at": _c("TIMESTAMP", "操作时间", _LOCAL),
            "actor": _c(
                "VARCHAR",
                "操作者",
                "员工账号；cli:<系统用户> 为命令行；flow:<流程> 为定时流程",
            ),
            "role": _c(
                "VARCHAR",
                "操作者角色",
                "director 主任；evaluator 访评员；liaison 单位联络员；auditor 审计；"
                "discipline 纪检监察；cli 命令行；flow 定时流程",
            ),
            "action": _c("VARCHAR", "操作", "如 followup.reply、appeal.decide、complaint.register"),
            "target": _c("VARCHAR", "操作对象（工单号、申诉号、登记号、月份等）", "可为空"),
        },
    ),
}

_LOADED_AT = _c("TIMESTAMP WITH TIME ZONE", "导入时间", _TZ)
_SOURCE_FILE = _c("VARCHAR", "来源文件（导入时的完整路径）")
_FILE_SHA = _c("VARCHAR", "来源文件内容的 SHA-256（同一文件再次导入可识别）", "64 位十六进制")
_PHONE_MASKED = _c(
    "VARCHAR", "手机号（脱敏）", "如 138****5678", "脱敏：只留前 3 位和后 4 位，原号码不在副本中"
)
_PHONE_KEY = _c(
    "VARCHAR",
    "号码的加密哈希，用于在表之间关联同一号码而不显示号码",
    "64 位十六进制",
    "以 MINYI_HASH_KEY 加密，不能还原号码",
)
_ATTEMPT_ID = _c("VARCHAR", "联系尝试编号", "办件编号:第几次联系，如 20261101-000001:1")
_EVENT_KEY = _c("VARCHAR", "事件编号（同一事件只记一次）")

TABLES: Final[dict[str, Relation]] = {
    "units": Relation(
        "单位名录",
        "units registry",
        "一个被评单位",
        "由 minyi units load 导入。",
        {
            "unit_id": _c("VARCHAR", "单位编码"),
            "unit_name": _UNIT_NAME,
            "unit_kind": _c(
                "VARCHAR",
                "单位类别",
                "agency 行政机关；department 区直部门；window 窗口；section 科室；"
                "township 乡镇街道；other 其他",
            ),
            "peer_group": _c("VARCHAR", "同类组（默认为单位类别）"),
            "parent_unit_id": _c("VARCHAR", "上级单位编码", "可为空"),
            "loaded_at": _LOADED_AT,
        },
    ),
    "cases": Relation(
        "办结办件",
        "completed cases",
        "一个办结的办件",
        "由每日导入的办件文件写入；副本中原始号码和办件内容哈希已删除，只有脱敏号码和号码哈希。",
        {
            "case_id": _CASE_ID,
            "unit_id": _UNIT_ID,
            "category": _CATEGORY,
            "completed_at": _c("TIMESTAMP WITH TIME ZONE", "办结时间", _TZ),
            "service_date": _c(
                "DATE", "办结日期（按 MINYI_TIMEZONE 的当地日期），即抽样日期", "YYYY-MM-DD"
            ),
            "phone_masked": _PHONE_MASKED,
            "phone_key": _PHONE_KEY,
            "phone_status": _c(
                "VARCHAR",
                "号码状态",
                "mobile 大陆手机；landline 固定电话；blank 空；invalid 无效；foreign 境外号码",
            ),
            "service_item": _c("VARCHAR", "事项名称", "可为空"),
            "handler_id": _c("VARCHAR", "经办人工号", "可为空"),
            "service_channel": _c("VARCHAR", "办理渠道（如窗口、网上）", "可为空"),
            "source_file": _SOURCE_FILE,
            "loaded_at": _LOADED_AT,
        },
    ),
    "case_corrections": Relation(
        "办件更正记录",
        "case corrections",
        "一个办件的一个新版本",
        "同一办件编号再次送来不同内容时记录；当天尚未抽样则替换旧版本，已抽样则只记录、不改样本。",
        {
            "case_id": _CASE_ID,
            "changed": _c("VARCHAR", "有变化的列", "逗号分隔，如 unit_id,completed_at"),
            "old_service_date": _c("DATE", "原版本的办结日期"),
            "new_service_date": _c("DATE", "新版本的办结日期"),
            "source_file": _c("VARCHAR", "送来新版本的文件"),
            "file_sha256": _FILE_SHA,
            "row_number": _c("BIGINT", "新版本在文件中的行号", "从 1 起"),
            "applied": _c(
                "BOOLEAN", "是否已替换", "true 已替换；false 当天已抽样，办件和样本不变"
            ),
            "note": _c("VARCHAR", "未替换的原因（中英文）", "可为空"),
            "recorded_at": _c("TIMESTAMP WITH TIME ZONE", "记录时间", _TZ),
        },
    ),
    "quarantine": Relation(
        "隔离行",
        "quarantined input rows",
        "一个未能导入的输入行",
        "每个被拒绝的行及其原因；副本中不含原始行内容。",
        {
            "source": _c("VARCHAR", "输入种类", "cases 办件；units 单位；answers 回答"),
            "source_file": _c("VARCHAR", "来源文件", "可为空"),
            "file_sha256": _FILE_SHA,
            "row_number": _c("BIGINT", "行号", "从 1 起"),
            "reason": _c("VARCHAR", "隔离原因（中英文），如「未知单位 unknown unit」"),
            "quarantined_at": _c("TIMESTAMP WITH TIME ZONE", "隔离时间", _TZ),
        },
    ),
    "loads": Relation(
        "导入记录",
        "load log",
        "一次文件导入",
        "读取数 = 入库 + 重复 + 隔离；另记号码质量和更正数。",
        {
            "source": _c("VARCHAR", "输入种类", "cases 办件；units 单位"),
            "source_file": _SOURCE_FILE,
            "file_sha256": _FILE_SHA,
            "rows_read": _c("BIGINT", "读取行数", "单位：行"),
            "rows_loaded": _c("BIGINT", "入库行数", "单位：行"),
            "rows_duplicate": _c("BIGINT", "重复行数（同编号同内容）", "单位：行"),
            "rows_quarantined": _c("BIGINT", "隔离行数", "单位：行"),
            "loaded_at": _LOADED_AT,
            "corrections_applied": _c("BIGINT", "已替换的更正数", "单位：件"),
            "corrections_recorded": _c("BIGINT", "只记录未替换的更正数（当天已抽样）", "单位：件"),
            "phones_mobile": _c("BIGINT", "大陆手机号码数", "单位：个"),
            "phones_landline": _c("BIGINT", "固定电话数", "单位：个"),
            "phones_blank": _c("BIGINT", "空号码数", "单位：个"),
            "phones_invalid": _c("BIGINT", "无效号码数", "单位：个"),
            "phones_foreign": _c("BIGINT", "境外号码数", "单位：个"),
        },
    ),
    "ineligible": Relation(
        "不符合抽样条件的办件明细",
        "ineligible cases",
        "一个不符合条件的办件",
        "v_ineligible 按此表计数。",
        {
            "sample_date": _SAMPLE_DATE,
            "case_id": _CASE_ID,
            "reason": _c("VARCHAR", "第一个不符合的原因（见「代码表」）"),
            "represented_by": _c(
                "VARCHAR",
                "代表本办件的办件编号：同一号码当天被选中的那一件（它的乘数把本件算在内）",
                "只有 repeat_same_day 有；其他原因为空",
            ),
        },
    ),
    "day_draws": Relation(
        "每日抽样记录",
        "draw log",
        "一个已抽样（已关闭）的日期",
        "一天抽样后即关闭，之后到达的该日办件计为 late。",
        {
            "sample_date": _SAMPLE_DATE,
            "drawn_at": _c("TIMESTAMP WITH TIME ZONE", "抽样时间", _TZ),
            "cases": _c("INTEGER", "当天办件数", "单位：件"),
            "eligible": _c("INTEGER", "符合抽样条件的办件数", "单位：件"),
            "sampled": _c("INTEGER", "抽中数", "单位：件"),
            "strata": _c("INTEGER", "层数（当天的办件类别数）", "单位：层"),
            "total": _c("INTEGER", "每日样本量 n（MINYI_DAILY_TOTAL）", "单位：件"),
            "minimum_asked": _c("INTEGER", "设定的每层最少抽样数（MINYI_MIN_PER_STRATUM）"),
            "minimum_used": _c("INTEGER", "实际使用的每层最少抽样数（类别过多时调低）"),
            "seed": _SEED,
            "prn_key": _c(
                "VARCHAR",
                "当天的抽样密钥 HMAC-SHA256(当月密钥, YYYY-MM-DD)：永久随机数由它和办件编号算出",
                "64 位十六进制；引入抽样密钥之前的抽样为空（用种子）",
                "只能复算当天的抽样，推不出其他日期的；当月密钥在月度截止后公布（selection_keys）",
            ),
        },
    ),
    "selection_keys": Relation(
        "抽样密钥承诺",
        "selection keys",
        "一个月份",
        "每天的抽样密钥由当月密钥算出：月初之前只保存并公布密钥的 SHA-256（承诺），谁也无法预先算出"
        "样本；月度截止后公布密钥本身，任何人都可核对承诺和每天的 prn_key，并复算抽样。",
        {
            "month": _MONTH,
            "commitment": _c("VARCHAR", "承诺：当月密钥的 SHA-256", "64 位十六进制"),
            "committed_at": _c("TIMESTAMP WITH TIME ZONE", "保存承诺的时间（在该月开始之前）", _TZ),
            "secret": _c(
                "VARCHAR",
                "当月密钥：SHA-256(密钥) 应等于 commitment，HMAC-SHA256(密钥, 日期) 应等于当天的 prn_key",
                "月度截止前为空",
                "截止前只由程序保管，不在仓库和副本中；截止后公布，供任何人核对",
            ),
            "revealed_at": _c(
                "TIMESTAMP WITH TIME ZONE", "公布密钥的时间", _TZ + "；未公布时为空"
            ),
        },
    ),
    "allocations": Relation(
        "分层分配",
        "stratum allocation",
        "一个抽样层",
        "每层的 N_h、n_h 和分配方法。",
        {
            "sample_date": _SAMPLE_DATE,
            "stratum": _STRATUM,
            "category": _CATEGORY,
            "stratum_population": _N_H,
            "stratum_sample": _N_H_SAMPLE,
            "method": _c(
                "VARCHAR", "分配方法", "equal 平均分配；proportional 按比例；neyman 内曼分配"
            ),
            "total": _c("INTEGER", "每日样本量 n", "单位：件"),
            "minimum": _c("INTEGER", "实际使用的每层最少抽样数", "单位：件"),
            "seed": _SEED,
        },
    ),
    "samples": Relation(
        "样本",
        "samples",
        "一个被抽中的办件",
        "v_sample 由此表和 allocations 组成。",
        {
            "case_id": _CASE_ID,
            "sample_date": _SAMPLE_DATE,
            "stratum": _STRATUM,
            "prn": _c(
                "DOUBLE",
                "永久随机数 u（由当天的抽样密钥 prn_key 和办件编号算出；没有密钥的早期抽样用种子）",
                "[0, 1)",
            ),
            "inclusion_prob": _INCLUSION_PROB,
            "design_weight": _DESIGN_WEIGHT,
            "seed": _SEED,
            "multiplicity": _MULTIPLICITY,
        },
    ),
    "channel_assignments": Relation(
        "渠道试验分配",
        "channel experiment",
        "一个参加渠道试验的样本办件",
        "随机抽出的一部分样本（MINYI_RANDOMISED_SHARE）随机指定首个联系渠道，用来估计渠道效应"
        "（v_channel_effects）；在第一次联系时记录，之后不变。",
        {
            "case_id": _CASE_ID,
            "sample_date": _SAMPLE_DATE,
            "assigned_channel": _c(
                "VARCHAR", "随机指定的首个联系渠道", "sms 短信；voice 语音外呼（IVR）；manual 人工电话访评"
            ),
            "offered_channels": _c(
                "VARCHAR", "从中随机指定的渠道（服务商提供的渠道）", "逗号分隔，如 sms,voice,manual"
            ),
            "randomised_share": _c(
                "DOUBLE", "参加试验的样本比例（MINYI_RANDOMISED_SHARE，默认 0.05）", _RATE
            ),
            "seed": _c(
                "BIGINT",
                '分配用的种子（MINYI_SAMPLE_SEED）：u = SHA-256("种子:channel:办件编号")，'
                "可据以复核",
            ),
            "assigned_at": _c("TIMESTAMP WITH TIME ZONE", "分配时间（第一次联系的计划时间）", _TZ),
        },
    ),
    "outbox": Relation(
        "联系发件箱",
        "outbox",
        "一次联系尝试",
        "发送前先写入本表，保证同一尝试不会重复发送。",
        {
            "attempt_id": _ATTEMPT_ID,
            "case_id": _CASE_ID,
            "channel": _CHANNEL,
            "step": _c("INTEGER", "第几次联系（按 短信 → 语音 → 人工 的顺序）", "从 1 起"),
            "provider": _c("VARCHAR", "发送方", "如 twilio+worklist、worklist、simulated"),
            "status": _c(
                "VARCHAR",
                "状态",
                "pending 待发；sent 已发；failed 失败（不再重试）；retry 暂时失败，下次调度重试",
            ),
            "created_at": _c("TIMESTAMP WITH TIME ZONE", "计划时间", _TZ),
            "sent_at": _c("TIMESTAMP WITH TIME ZONE", "发送（或最终失败）时间", _TZ),
            "provider_sid": _c("VARCHAR", "服务商返回的消息或呼叫编号", "可为空"),
            "error_code": _c("VARCHAR", "服务商错误码", "可为空"),
            "error_message": _c("VARCHAR", "错误说明", "可为空", "其中的号码已脱敏"),
        },
    ),
    "events": Relation(
        "联系事件",
        "contact events",
        "服务商或人工访评报告的一个事件",
        "送达、回复、挂断等；副本中不含原始回调内容。",
        {
            "event_key": _EVENT_KEY,
            "provider_sid": _c("VARCHAR", "服务商的消息或呼叫编号", "可为空"),
            "attempt_id": _ATTEMPT_ID,
            "case_id": _CASE_ID,
            "channel": _CHANNEL,
            "kind": _c(
                "VARCHAR",
                "事件类型（见「代码表」）",
                "sent、delivered、undelivered、answer、unreadable、opted_out、refused、"
                "break_off、no_answer、busy、wrong_number、invalid_number、completed、appointment",
            ),
            "occurred_at": _c("TIMESTAMP WITH TIME ZONE", "发生时间", _TZ),
            "loaded_at": _LOADED_AT,
        },
    ),
    "answers": Relation(
        "回答",
        "answers",
        "一个办件对一道题的回答",
        "副本中自由文本（不满意原因）已删除。",
        {
            "case_id": _CASE_ID,
            "item": _c(
                "VARCHAR",
                "题目",
                "satisfaction 满意度；integrity 吃拿卡要；timeliness 办理时限；reason 不满意原因",
            ),
            "value": _c(
                "VARCHAR",
                "回答",
                "satisfaction 与 timeliness：0–5（0 = 不了解/说不清）；integrity：yes / no",
                "reason 的文字在副本中为空",
            ),
            "channel": _CHANNEL,
            "answered_at": _c("TIMESTAMP WITH TIME ZONE", "回答时间", _TZ),
            "event_key": _EVENT_KEY,
        },
    ),
    "opt_outs": Relation(
        "退订号码",
        "opt-outs",
        "一个退订的号码",
        "回复 T、TD、退订、STOP 等后不再以任何渠道联系。",
        {
            "phone_masked": _PHONE_MASKED,
            "phone_key": _PHONE_KEY,
            "channel": _c("VARCHAR", "退订时的渠道", "sms / voice / manual；可为空"),
            "opted_out_at": _c("TIMESTAMP WITH TIME ZONE", "退订时间", _TZ),
            "event_key": _c("VARCHAR", "退订事件编号", "早先导入的退订为空"),
        },
    ),
    "do_not_contact": Relation(
        "免打扰号码",
        "do-not-contact list",
        "一个不得联系的号码",
        "由 minyi dnc add 加入。",
        {
            "phone_masked": _PHONE_MASKED,
            "phone_key": _PHONE_KEY,
            "reason": _c("VARCHAR", "原因", "默认 requested"),
            "added_at": _c("TIMESTAMP WITH TIME ZONE", "加入时间", _TZ),
        },
    ),
    "dispositions": Relation(
        "最终处置",
        "dispositions",
        "一个样本办件",
        "v_dispositions 由此表组成，另有决定时间。",
        {
            "case_id": _CASE_ID,
            "sample_date": _SAMPLE_DATE,
            "channel": _c("VARCHAR", "回答渠道；未回答的为最后联系的渠道", "可为空"),
            "attempts": _c("INTEGER", "联系次数", "≥ 0"),
            "aapor_code": _c("VARCHAR", "AAPOR 最终处置码（见「代码表」）"),
            "is_final": _c("BOOLEAN", "是否为最终处置", "true / false"),
            "decided_at": _c("TIMESTAMP WITH TIME ZONE", "判定时间（月度截止时间）", _TZ),
        },
    ),
    "followups": Relation(
        "跟进事项",
        "follow-ups",
        "一个办件的一个跟进原因",
        "访评中产生的不满意回答和吃拿卡要反映；工单（cw_followups、v_followups）由此开出。",
        {
            "case_id": _CASE_ID,
            "reason": _c("VARCHAR", "跟进原因", "dissatisfied 不满意；integrity 吃拿卡要"),
            "unit_id": _UNIT_ID,
            "created_at": _c("TIMESTAMP WITH TIME ZONE", "产生时间", _TZ),
            "status": _c("VARCHAR", "跟进状态", "open 待处理"),
        },
    ),
    "cw_followups": Relation(
        "跟进工单（镜像）",
        "follow-up tickets",
        "一张工单",
        "工单系统（casework.sqlite）的镜像，不含号码、姓名和群众原话；每次变化后整表替换。"
        "v_followups、v_complaints、v_unit_followups 由此表组成；时间为当地时间。",
        {
            "followup_id": _TICKET_ID,
            "case_id": _TICKET_CASE,
            "unit_id": _c("VARCHAR", "承办单位编码（见 units 表）", "未分办为空"),
            "kind": _TICKET_KIND,
            "status": _TICKET_STATUS,
            "month": _TICKET_MONTH,
            "category": _c("VARCHAR", "办件类别", "投诉工单可为空"),
            "theme": _THEME,
            "opened_at": _c("TIMESTAMP", "开单时间", _LOCAL),
            "due_date": _DUE_DATE,
            "replied_at": _REPLIED_AT,
            "revisited_at": _c("TIMESTAMP", "回访时间（群众回答回访题）", _LOCAL + "；未回访为空"),
            "closed_at": _CLOSED_AT,
            "revisit_satisfaction": _REVISIT,
            "was_overdue": _WAS_OVERDUE,
            "round": _c("INTEGER", "整改轮次：主任退回单位再整改一次加 1", "从 1 起"),
            "verification": _VERIFICATION,
            "closed_by_appeal": _c(
                "BOOLEAN", "是否因申诉成立而办结（不计入单位的工单统计）", _YES_NO
            ),
        },
    ),
    "cw_complaints": Relation(
        "群众投诉（镜像）",
        "complaints",
        "一件投诉",
        "工单系统中投诉的镜像：只有渠道、时间、单位和主题编码，不含投诉人的号码、姓名和原话；"
        "v_complaints 由此表和 cw_followups 组成；时间为当地时间。",
        {
            "complaint_id": _c("VARCHAR", "投诉登记号"),
            "channel": _c("VARCHAR", "投诉渠道", "sms 短信；phone 电话；web 网上表单（二维码）"),
            "received_at": _c("TIMESTAMP", "收到时间", _LOCAL),
            "month": _c("VARCHAR", "收到的月份", "YYYY-MM"),
            "unit_id": _c("VARCHAR", "被投诉（承办）单位编码", "未分办为空"),
            "theme": _THEME,
            "named": _c(
                "BOOLEAN",
                "投诉人是否同意向单位公开身份（否则背对背办理）",
                _YES_NO,
                "身份和联系方式不在副本中",
            ),
        },
    ),
    "cw_appeals": Relation(
        "申诉（镜像）",
        "appeals",
        "一件申诉",
        "v_appeals 由此表组成；申诉理由的文字和决定意见不在副本中；时间为当地时间。",
        {
            name: VIEWS["v_appeals"].columns[name]
            for name in (
                "appeal_id", "case_id", "unit_id", "ground", "status", "month", "filed_at",
                "decided_at",
            )
        },
    ),
    "response_exclusions": Relation(
        "剔除的回答",
        "excluded answers",
        "一个回答被剔除的办件",
        "申诉成立后从统计中剔除的回答：v_responses 不含它们，所以由它算出的估计、权数和计数都不含；"
        "已截止的月份因此重新截止（见 bulletin_corrections）。",
        {
            "case_id": _CASE_ID,
            "appeal_id": _APPEAL_ID,
            "ground": _GROUND,
            "decided_at": _c("TIMESTAMP", "主任决定申诉成立的时间", _LOCAL),
            "first_seen": _c(
                "TIMESTAMP WITH TIME ZONE",
                "仓库第一次收到这条剔除的时间（晚于该月截止时间的，该月需重新截止并更正通报）",
                _TZ,
            ),
        },
    ),
    "cw_vetoes": Relation(
        "一票否决事项",
        "verified vetoes",
        "一张经核实的一票否决工单",
        "纪检监察核实为「查实」并勾选一票否决的廉情线索或重大投诉，进入 conduct.csv；"
        "证据留在工单系统中；时间为当地时间。",
        {
            "ticket_id": _c("VARCHAR", "工单编号（见 cw_followups.followup_id）", "ZB 开头"),
            "month": _c(
                "VARCHAR",
                "计入的月份：在反映月份的截止时间前核实的计入该月，否则计入核实的月份",
                "YYYY-MM",
            ),
            "unit_id": _UNIT_ID,
            "item": _c(
                "VARCHAR",
                "一票否决事项代码（bulletins/exports/conduct.toml）",
                "integrity_verified 廉情线索查实；major_complaint_verified 重大投诉查实",
            ),
            "verifier": _c("VARCHAR", "核实人（员工账号）"),
            "verified_at": _c("TIMESTAMP", "核实时间", _LOCAL),
        },
    ),
    "cw_polls": Relation(
        "民意征集（镜像）",
        "polls",
        "一次民意征集",
        "v_polls 由此表组成（另加回答率）。",
        {
            **{
                name: VIEWS["v_polls"].columns[name]
                for name in (
                    "poll_id", "title", "subject_kind", "target", "starts", "ends", "status",
                    "sampled", "responded",
                )
            },
            "created_at": _c("TIMESTAMP", "创建时间", _LOCAL),
        },
    ),
    "cw_poll_results": Relation(
        "民意征集结果（镜像）",
        "poll results",
        "一次征集 × 一道题 × 一个选项（开放题为一个主题）",
        "v_poll_results 由此表组成。",
        dict(VIEWS["v_poll_results"].columns),
    ),
    "audit_log": Relation(
        "操作日志（镜像）",
        "audit log",
        "一条操作记录",
        "员工账号库中操作日志的镜像，不含操作前后的内容；v_audit 由此表组成（logged_at 在视图中为 at）。",
        {
            "seq": VIEWS["v_audit"].columns["seq"],
            "logged_at": VIEWS["v_audit"].columns["at"],
            **{
                name: VIEWS["v_audit"].columns[name]
                for name in ("actor", "role", "action", "target")
            },
        },
    ),
    "response_weights": Relation(
        "最终权数",
        "final weights",
        "一个样本办件",
        "月度截止时计算：在加权类（办件类别）内作无回答调整。",
        {
            "case_id": _CASE_ID,
            "month": _MONTH,
            "weight_class": _c("VARCHAR", "加权类（办件类别）"),
            "final_weight": _c("DOUBLE", "最终权数", "> 0；未回答的为空"),
        },
    ),
    "unit_month": Relation(
        "单位月度估计",
        "unit × month",
        "一个单位的一个月",
        "v_unit_month 由此表和单位名录组成。",
        {
            name: VIEWS["v_unit_month"].columns[name]
            for name in (
                "month", "unit_id", "sampled", "responded", "response_rate", "satisfaction_rate",
                "se", "ci_low", "ci_high", "n_eff", "reportable", "rank", "rank_low", "rank_high",
                "flag", "funnel_low", "funnel_high", "honour", "integrity_rate",
            )
        },
    ),
    "unit_judgement": Relation(
        "单位评判",
        "judgements",
        "月份 × 用途 × 单位",
        "v_unit_judgement 由此表和单位名录组成；另有期望满意率和渠道偏移。",
        {
            **{
                name: VIEWS["v_unit_judgement"].columns[name]
                for name in (
                    "month", "purpose", "first_month", "last_month", "unit_id", "peer_group",
                    "months", "respondents", "reportable", "unadjusted_rate", "case_mix_rate",
                    "adjusted_rate",
                )
            },
            "expected_rate": _c(
                "DOUBLE",
                "期望满意率 E：按单位的办件类别构成和全区各类别的满意率算出（间接标准化）",
                _RATE,
            ),
            "channel_offset": _c(
                "DOUBLE",
                "渠道构成偏移 c = Σ (单位的渠道占比 − 全区占比) × 渠道效应",
                "logit 尺度；0 = 与全区的渠道构成相同或没有渠道效应",
            ),
            **{
                name: VIEWS["v_unit_judgement"].columns[name]
                for name in (
                    "estimate", "se", "ci_low", "ci_high", "rank", "rank_low", "rank_high",
                    "p_below", "p_above", "evidence", "top_k", "p_top", "honour", "p_last", "last",
                )
            },
        },
    ),
    "channel_effects": Relation(
        "渠道效应",
        "channel effects",
        "月份 × 渠道",
        "v_channel_effects 由此表组成。",
        {
            name: VIEWS["v_channel_effects"].columns[name]
            for name in (
                "month", "channel", "first_month", "last_month", "respondents", "channel_effect",
                "se", "reference",
            )
        },
    ),
    "unit_changes": Relation(
        "满意率的环比和同比",
        "changes over time",
        "月份 × 单位 × 比较方式",
        "v_unit_changes 由此表和单位名录组成。",
        {
            name: VIEWS["v_unit_changes"].columns[name]
            for name in (
                "month", "unit_id", "comparison", "base_month", "change", "change_se", "significant"
            )
        },
    ),
    "funnel_month": Relation(
        "漏斗图参数",
        "funnel parameters",
        "一个月份的一个同类组",
        "v_unit_month 的漏斗图控制限由此算出。",
        {
            "month": _MONTH,
            "peer_group": _c("VARCHAR", "同类组"),
            "target": _c("DOUBLE", "同类组合并满意率（漏斗图中心线）", _RATE + "；可为空"),
            "tau2": _c("DOUBLE", "过度离散方差项（当前为 0：二项控制限）", "≥ 0"),
            "phi": _c("DOUBLE", "离散度诊断：反正弦尺度上 z 值平方的均值", "≥ 0；可为空"),
            "z": _c("DOUBLE", "控制限对应的标准正态分位数", "99.8% 时为 3.09"),
            "units": _c("INTEGER", "组内可报告单位数", "单位：个"),
        },
    ),
    "response_rates": Relation(
        "回答率（原始计数）",
        "outcome rates",
        "月份 × 单位 × 渠道（* 表示合计）",
        "v_response_rates 由此表组成，列名为 AAPOR 缩写。",
        {
            "month": _MONTH,
            "unit_id": _c("VARCHAR", "办理单位编码", "* = 全部单位合计"),
            "channel": _c("VARCHAR", "渠道", "sms / voice / manual / none；* = 合计"),
            "sampled": _c("INTEGER", "样本办件数", "单位：件"),
            "i": _c("INTEGER", "完成访问 I（1.1）", "单位：件"),
            "p": _c("INTEGER", "部分完成 P（1.2）", "单位：件"),
            "r": _c("INTEGER", "拒访和中途挂断 R（2.11、2.12）", "单位：件"),
            "nc": _c("INTEGER", "未接触 NC（2.20）", "单位：件"),
            "o": _c("INTEGER", "其他 O（2.30）", "单位：件"),
            "u": _c("INTEGER", "资格未知 U（3.16、3.19）", "单位：件"),
            "ne": _c("INTEGER", "不符合条件 NE（4.70）", "单位：件"),
            "rr1": VIEWS["v_response_rates"].columns["rr1"],
            "rr3": VIEWS["v_response_rates"].columns["rr3"],
            "coop1": VIEWS["v_response_rates"].columns["coop1"],
            "ref1": VIEWS["v_response_rates"].columns["ref1"],
            "con1": VIEWS["v_response_rates"].columns["con1"],
        },
    ),
    "month_closes": Relation(
        "月度截止",
        "month cut-offs",
        "一个已截止的月份",
        "截止时间保存后，处置、权数、估计和通报重出都用它。",
        {
            "month": _MONTH,
            "cutoff": _c("TIMESTAMP WITH TIME ZONE", "访评截止时间", _TZ),
            "closed_at": _c("TIMESTAMP WITH TIME ZONE", "执行截止的时间", _TZ),
        },
    ),
    "bulletin_issues": Relation(
        "通报文号",
        "bulletin numbers",
        "一个月份的统计通报",
        "设置 MINYI_DOC_PREFIX 后每年顺序编号，重出时保留原号。",
        {
            "month": _MONTH,
            "year": _c("INTEGER", "发文年份"),
            "serial": _c("INTEGER", "年内序号", "从 1 起"),
            "issued_at": _c("TIMESTAMP WITH TIME ZONE", "首次发文时间", _TZ),
        },
    ),
    "bulletin_corrections": Relation(
        "通报更正",
        "bulletin corrections",
        "一次更正",
        "申诉成立使已截止月份的统计改变时，该月按原截止时间重新截止、通报附更正说明重出，每次记一行。",
        {
            "month": _MONTH,
            "corrected_at": _c("TIMESTAMP WITH TIME ZONE", "重新截止（更正）的时间", _TZ),
            "excluded": _c("INTEGER", "该月已剔除的回答数（更正后的累计）", "≥ 1，单位：件"),
            "appeals": _c("VARCHAR", "这次更正新反映的申诉编号", "逗号分隔，如 SS…,SS…"),
        },
    ),
    "validations": Relation(
        "数据校验记录",
        "validation results",
        "一次校验中的一个规则组",
        "Great Expectations 校验结果；月度的阻断性校验失败时不发布通报。",
        {
            "run_at": _c("TIMESTAMP WITH TIME ZONE", "校验对应的时间（日运行或月度截止时间）", _TZ),
            "scope": _c("VARCHAR", "校验范围", "day:YYYY-MM-DD 或 month:YYYY-MM"),
            "suite": _c(
                "VARCHAR",
                "规则组",
                "cases、sample、answers（每日）；dispositions、responses（月度）",
            ),
            "success": _c("BOOLEAN", "是否通过", "true / false"),
            "blocking": _c("BOOLEAN", "失败时是否阻断通报发布", "true / false"),
            "evaluated": _c("BIGINT", "检查的规则数", "单位：条"),
            "failed": _c("VARCHAR", "未通过的规则说明", "可为空"),
            "data_docs": _c("VARCHAR", "校验报告（Data Docs）位置", "可为空"),
            "recorded_at": _c("TIMESTAMP WITH TIME ZONE", "记录时间", _TZ),
            "rows": _c("BIGINT", "检查的行数", "单位：行；可为空"),
        },
    ),
    "config": Relation(
        "仓库配置",
        "configuration",
        "一项配置",
        "视图所用的设置值，如 satisfied_min_level、min_cell，以及 home_kind（real 或 demo）。",
        {
            "key": _c("VARCHAR", "配置名"),
            "value": _c("VARCHAR", "配置值"),
        },
    ),
    "schema_version": Relation(
        "结构版本",
        "schema version",
        "一次结构迁移",
        "仓库结构的升级记录。",
        {
            "version": _c("INTEGER", "版本号"),
            "note": _c("VARCHAR", "说明（英文）"),
            "applied_at": _c("TIMESTAMP WITH TIME ZONE", "升级时间", _TZ),
        },
    ),
    "_publish_state": Relation(
        "发布记录",
        "publish bookkeeping",
        "一张表的一项记录",
        "增量发布上次给每张表、每个分区复制到哪里；供程序使用，不用于分析；只在副本中。",
        {
            "table_name": _c("VARCHAR", "表名", "副本中的表名；_views 表示视图"),
            "part": _c(
                "VARCHAR",
                "分区或记录项",
                "分区值（日期、月份、1970 年起的天数、* 为整表）；#spec 列与规则的摘要、"
                "#full 上次整表重建、#stamp 水位",
            ),
            "value": _c(
                "VARCHAR",
                "记录值",
                "分区：带密钥的指纹（32 位十六进制）；#spec：摘要（64 位十六进制）；"
                "#full、#stamp：时间（ISO 8601）",
                "指纹以 MINYI_HASH_KEY 计算，推不出不公开的列",
            ),
        },
    ),
}


# --- SQL ----------------------------------------------------------------------------------


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def comment_statements(schema: str | None = None) -> list[str]:
    """``COMMENT ON VIEW`` and ``COMMENT ON COLUMN`` for every staff view and its columns.

    ``schema`` prefixes the names as ``warehouse.views.create_views_sql`` does
    (an attached catalog such as ``_pub``). Run them after the views are created:
    ``CREATE OR REPLACE VIEW`` drops a view's comments.
    """
    prefix = f"{schema}." if schema else ""
    statements: list[str] = []
    for view, relation in VIEWS.items():
        statements.append(f"COMMENT ON VIEW {prefix}{_name(view)} IS {_literal(relation.comment())}")
        statements += [
            f"COMMENT ON COLUMN {prefix}{_name(view)}.{_name(column)} IS {_literal(col.comment())}"
            for column, col in relation.columns.items()
        ]
    return statements


def table_comment_statements(
    present: Iterable[tuple[str, str]], schema: str | None = None
) -> list[str]:
    """``COMMENT ON TABLE`` / ``COLUMN`` for the (table, column) pairs ``present`` that are described.

    Pass the target's own columns (``duckdb_columns()``), so that a column the
    copy leaves out or renames is simply not commented.
    """
    prefix = f"{schema}." if schema else ""
    statements: list[str] = []
    seen: set[str] = set()
    for table, column in present:
        relation = TABLES.get(table)
        if relation is None:
            continue
        if table not in seen:
            seen.add(table)
            statements.append(
                f"COMMENT ON TABLE {prefix}{_name(table)} IS {_literal(relation.comment())}"
            )
        col = relation.columns.get(column)
        if col is not None:
            statements.append(
                f"COMMENT ON COLUMN {prefix}{_name(table)}.{_name(column)} IS {_literal(col.comment())}"
            )
    return statements


def apply_comments(con: duckdb.DuckDBPyConnection, schema: str | None = None) -> int:
    """Comment every staff view, table and column of the database ``schema`` (default: current).

    Call after creating the views (publish: ``apply_comments(con, "_pub")``);
    returns the number of statements run. Inside an open transaction the ~300
    statements take about 0.2 s, each on its own about 1 s (measured on a demo
    month's copy); a transaction is the caller's to open.
    """
    catalog = schema or str(con.sql("SELECT current_database()").fetchall()[0][0])
    tables = con.sql(
        "SELECT c.table_name, c.column_name FROM duckdb_columns() c "
        "JOIN duckdb_tables() t USING (database_name, schema_name, table_name) "
        "WHERE c.database_name = $db ORDER BY c.table_name, c.column_index",
        params={"db": catalog},
    ).fetchall()
    statements = comment_statements(schema) + table_comment_statements(
        [(str(t), str(c)) for t, c in tables], schema
    )
    for statement in statements:
        con.execute(statement)
    return len(statements)


# --- the data dictionary's generated sections ---------------------------------------------

BEGIN_MARK: Final = "<!-- 以下由 warehouse/comments.py 生成，请勿手改 -->"
END_MARK: Final = "<!-- 生成内容结束 -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|") if text else "—"


def _section(name: str, relation: Relation, level: str) -> str:
    lines = [
        f"{level} `{name}` — {relation.title}（{relation.english}）",
        "",
        f"一行 = {relation.row}。{relation.about}",
        "",
        "| 列 column | 类型 | 含义 | 单位 / 取值 | 脱敏 |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| `{column}` | {col.type} | {_cell(col.meaning)} | {_cell(col.values)} | "
        f"{_cell(col.privacy)} |"
        for column, col in relation.columns.items()
    ]
    return "\n".join(lines)


def _index(relations: dict[str, Relation], kind: str) -> str:
    lines = [f"| {kind} | 名称 | 一行 = |", "|---|---|---|"]
    lines += [f"| `{name}` | {rel.title} | {_cell(rel.row)} |" for name, rel in relations.items()]
    return "\n".join(lines)


def dictionary_markdown() -> str:
    """The views' and tables' sections of ``docs/数据字典.md``, between the two marks."""
    parts = [BEGIN_MARK, "", "## 视图 Views", "", _index(VIEWS, "视图"), ""]
    parts += [_section(name, rel, "###") + "\n" for name, rel in VIEWS.items()]
    parts += ["## 表 Tables", "", _index(TABLES, "表"), ""]
    parts += [_section(name, rel, "###") + "\n" for name, rel in TABLES.items()]
    parts.append(END_MARK)
    return "\n".join(parts)


def splice(document: str) -> str:
    """``document`` with its generated block replaced by :func:`dictionary_markdown`."""
    pattern = re.compile(re.escape(BEGIN_MARK) + r".*?" + re.escape(END_MARK), re.S)
    if not pattern.search(document):
        raise ValueError(f"the document has no block {BEGIN_MARK} … {END_MARK}")
    return pattern.sub(lambda _: dictionary_markdown(), document, count=1)


def main(argv: list[str] | None = None) -> None:
    """Print the generated sections, or splice them into a dictionary file (``--write``)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--write", type=Path, help="e.g. docs/数据字典.md")
    args = parser.parse_args(argv)
    if args.write is None:
        print(dictionary_markdown())
        return
    path: Path = args.write
    path.write_text(splice(path.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    main()
