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
            "inclusion_prob": _c("DOUBLE", "入样概率 π = n_h / N_h", "(0, 1]"),
            "design_weight": _c(
                "DOUBLE", "设计权数 d = N_h / n_h：一个样本代表的办件数", "≥ 1"
            ),
            "seed": _SEED,
        },
    ),
    "v_responses": Relation(
        "满意度回答",
        "responses",
        "一个对满意度题给出 1–5 级回答的样本办件",
        "回答「不了解/说不清」（0）的不在此视图中；月度截止后才有最终权数。",
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
        "月度截止后写入：样本、回答、加权满意率及其不确定性、同类组内名次；"
        "名次不同并不等于真实差异，要看置信区间和名次区间。",
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
                "同类组内名次：按满意率从高到低，1 = 最高，并列取较小名次",
                "≥ 1；不可报告时为空",
            ),
            "flag": _c(
                "VARCHAR",
                "与同类组比较的判断；名次靠后本身不是证据",
                "above 高于同类；below 低于同类；空 = 无判断",
            ),
            "rank_low": _c(
                "INTEGER", "名次 95% 区间的最好名次", "≥ 1；不可报告时为空"
            ),
            "rank_high": _c(
                "INTEGER", "名次 95% 区间的最差名次", "≥ rank_low；不可报告时为空"
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
        "用 SQL 从办件、资格记录和种子独立重算每一层的抽样，与保存的样本比对；ok 为 false 的层需要查明。",
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
            "ok": _c("BOOLEAN", "复核通过：上面三项都与保存的抽样一致", "true / false"),
        },
    ),
    "v_followups": Relation(
        "需跟进的回答",
        "follow-ups",
        "一个办件的一个跟进原因",
        "回答不满意（1–2 级）或反映吃拿卡要的办件，需由中心跟进核实。",
        {
            "case_id": _CASE_ID,
            "unit_id": _UNIT_ID,
            "reason": _c(
                "VARCHAR", "跟进原因", "dissatisfied 不满意（1–2 级）；integrity 反映吃拿卡要"
            ),
            "status": _c("VARCHAR", "跟进状态", "open 待处理"),
            "created_at": _c("TIMESTAMP WITH TIME ZONE", "产生时间（即回答时间）", _TZ),
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
        "由每日导入的办件文件写入；副本中原始号码已删除，只有脱敏号码和哈希。",
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
            "content_hash": _c(
                "VARCHAR", "办件内容的哈希：同编号同内容为重复，不同内容为更正或冲突"
            ),
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
            "old_hash": _c("VARCHAR", "原版本的内容哈希"),
            "new_hash": _c("VARCHAR", "新版本的内容哈希"),
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
            "prn": _c("DOUBLE", "永久随机数 u（由种子和办件编号算出）", "[0, 1)"),
            "inclusion_prob": _c("DOUBLE", "入样概率 π = n_h / N_h", "(0, 1]"),
            "design_weight": _c("DOUBLE", "设计权数 d = N_h / n_h", "≥ 1"),
            "seed": _SEED,
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
        "v_followups 由此表组成。",
        {
            "case_id": _CASE_ID,
            "reason": _c("VARCHAR", "跟进原因", "dissatisfied 不满意；integrity 吃拿卡要"),
            "unit_id": _UNIT_ID,
            "created_at": _c("TIMESTAMP WITH TIME ZONE", "产生时间", _TZ),
            "status": _c("VARCHAR", "跟进状态", "open 待处理"),
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
                "flag", "funnel_low", "funnel_high",
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
