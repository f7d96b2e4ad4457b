"""What a monthly bulletin (统计通报) is made of: plain frozen data, built by the caller.

The unit frames follow the contract view ``v_unit_month`` (../shared/CONTRACT.md);
column names come from :mod:`minyi.columns`. Names not (yet) there are defined
below and should move to ``minyi.columns``.

Two questions, two frames (METHODS.md): ``units`` *describes the month*
(design-based rate, SE and interval, equal to R ``survey``); ``judgement``, when
given, *judges performance* (the hierarchical model: adjusted estimate, rank
interval, P(below), evidence, 十佳). Without ``judgement`` the bulletin judges
nothing beyond the ``flag``/``honour`` columns of ``units``.

Every field added after the first version is optional with a default, so an
older caller keeps working; :mod:`bulletins.frames` lists each optional frame's
columns and what the warehouse must compute for it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

import polars as pl

from minyi import columns as c

# --- names not yet in minyi.columns (TODO: move there) ---------------------
FUNNEL_LOW: Final = "funnel_low"  # legacy: the unit's lower funnel limit (not used any more)
FUNNEL_HIGH: Final = "funnel_high"  # legacy: the unit's upper funnel limit (not used any more)
TARGET: Final = "target"  # the peer group's mean rate, centre of the funnel
TAU2: Final = "tau2"  # legacy: additive overdispersion (the funnel now uses binomial limits)
PHI: Final = "phi"  # legacy: overdispersion ratio of the peer group
Z: Final = "z"  # legacy: the funnel's outer limit in normal units
UNITS: Final = "units"  # number of reportable units in the peer group
HONOUR: Final = "honour"  # 十佳 within the peer group ("top") or null

UNIT_COLUMNS: Final = (
    c.MONTH,
    c.UNIT_ID,
    c.UNIT_NAME,
    c.PEER_GROUP,
    c.SAMPLED,
    c.RESPONDED,
    c.RESPONSE_RATE,
    c.SATISFACTION_RATE,
    c.SE,
    c.CI_LOW,
    c.CI_HIGH,
    c.REPORTABLE,
    c.RANK,
    c.RANK_LOW,
    c.RANK_HIGH,
    c.FLAG,
    c.N_EFF,
)
"""Required columns of ``BulletinData.units`` (and ``previous``, ``year_ago``), in units.csv order.

Optional: ``honour`` ("top" = 十佳 in its peer group). A legacy ``flag`` of
"top" is read as ``honour``. ``funnel_low``/``funnel_high`` are ignored.
"""

FUNNEL_COLUMNS: Final = (c.PEER_GROUP, TARGET)
"""Required columns of ``BulletinData.funnel`` (``tau2``, ``phi``, ``z``, ``units`` are ignored)."""

CHANNEL_MIX_COLUMNS: Final = (c.UNIT_ID, c.CHANNEL, c.RESPONDED)

ESTIMATE_COLUMNS: Final = (
    c.SATISFACTION_RATE,
    c.SE,
    c.CI_LOW,
    c.CI_HIGH,
    c.RANK,
    c.RANK_LOW,
    c.RANK_HIGH,
    c.FLAG,
    c.N_EFF,
)
"""Columns that are withheld (null) for units that are not reportable."""

# --- the judging model (issue 11; CONTRACT.md "Conduct export") --------------
MONTHS: Final = "months"  # months pooled in the decision window
RESPONDENTS: Final = "respondents"  # respondents over the pooled window
ESTIMATE: Final = "estimate"  # the model's (case-mix and channel adjusted) rate
P_BELOW: Final = "p_below"  # P(true rate < peer mean - delta)
P_ABOVE: Final = "p_above"  # P(true rate > peer mean + delta)
LAST: Final = c.LAST  # 末位 (optional, Boolean): P(last) ≥ 0.9 and below, 3–12 months pooled
EVIDENCE: Final = "evidence"  # below / none / above
EVIDENCE_VALUES: Final = ("below", "none", "above")
JUDGEMENT_COLUMNS: Final = (
    c.UNIT_ID,
    MONTHS,
    RESPONDENTS,
    ESTIMATE,
    c.SE,
    c.CI_LOW,
    c.CI_HIGH,
    c.RANK,
    c.RANK_LOW,
    c.RANK_HIGH,
    P_BELOW,
    EVIDENCE,
    HONOUR,
)
"""Required columns of ``BulletinData.judgement`` (one row per judged unit).

Optional: ``p_above``; ``last`` (Boolean, True = 末位 over the 末位 window; null or
absent = not marked), see :mod:`bulletins.frames`.
"""

# --- channel effects (METHODS.md "Channels"; table channel_effects) ---------------
REFERENCE: Final = "reference"  # True for the reference channel (effect 0); TODO: minyi.columns
CHANNEL_EFFECT_COLUMNS: Final = (c.CHANNEL, RESPONDENTS, c.CHANNEL_EFFECT, c.SE, REFERENCE)
"""Required columns of ``BulletinData.channel_effects`` (``first_month``/``last_month`` optional)."""

# --- change over time -----------------------------------------------------------
COMPARISON: Final = "comparison"  # "mom" (环比, last month) or "yoy" (同比, a year ago)
CHANGE: Final = "change"  # this month's rate minus the earlier one
CHANGE_SE: Final = "change_se"
COMPARISONS: Final = ("mom", "yoy")
CHANGE_COLUMNS: Final = (c.UNIT_ID, COMPARISON, CHANGE, CHANGE_SE)

# --- case categories, reasons, follow-ups -------------------------------------
CASES: Final = "cases"
CATEGORY_COLUMNS: Final = (
    c.CATEGORY,
    CASES,
    c.SAMPLED,
    c.RESPONDED,
    c.SATISFACTION_RATE,
    c.CI_LOW,
    c.CI_HIGH,
)
THEME: Final = "theme"
MENTIONS: Final = "mentions"
REASON_COLUMNS: Final = (THEME, MENTIONS)
REASON_THEMES: Final = (
    "attitude",
    "waiting",
    "timeliness",
    "repeat_visits",
    "procedure",
    "information",
    "materials",
    "online",
    "fees",
    "integrity",
    "facilities",
    "result",
    "other",
)
"""Theme codes of dissatisfaction reasons; words in :mod:`bulletins.i18n`. Free text is refused."""

TICKETS: Final = "tickets"  # follow-up tickets opened for the unit in the month
ON_TIME_RATE: Final = "on_time_rate"  # 按期办结率: closed by due date / due in the month
OVERDUE: Final = "overdue"  # tickets past due and not closed at the month's cut-off
REVISIT_RATE: Final = "revisit_satisfaction_rate"  # 回访满意率 among revisited
FOLLOWUP_COLUMNS: Final = (c.UNIT_ID, TICKETS, ON_TIME_RATE, OVERDUE, REVISIT_RATE)


@dataclass(frozen=True)
class ChannelFieldwork:
    """One contact channel's month: cases contacted and respondents."""

    channel: str
    contacted: int
    responded: int
    response_rate: float | None


@dataclass(frozen=True)
class Fieldwork:
    """The month's fieldwork: completed cases down to respondents (AAPOR RR1)."""

    cases: int
    eligible: int
    sampled: int
    responded: int
    response_rate: float | None
    channels: tuple[ChannelFieldwork, ...]


@dataclass(frozen=True)
class DistrictFigure:
    """The district-wide satisfaction rate and its 95% interval (``se`` for changes)."""

    rate: float | None
    ci_low: float | None
    ci_high: float | None
    responded: int
    se: float | None = None


@dataclass(frozen=True)
class IntegritySummary:
    """Integrity signals of the month, as counts only (never who reported)."""

    reports: int  # reports of 吃拿卡要 (asking for favours or fees)
    units_with_reports: int
    dissatisfied_followups: int  # dissatisfied answers turned into follow-up cases


@dataclass(frozen=True)
class PollLine:
    """One 民意征集 poll of the month: its title, target (sample or open) and answers."""

    title: str
    target: str  # sample (probability) or open (non-probability: link / QR code)
    sampled: int
    responded: int


@dataclass(frozen=True)
class CaseworkSummary:
    """Complaints, appeals and polls of the month (issue 13), as counts only."""

    complaints_received: int = 0
    complaints_by_channel: tuple[tuple[str, int], ...] = ()  # (sms | phone | web, count)
    complaints_replied: int = 0
    complaints_overdue: int = 0
    appeals_filed: int = 0
    appeals_upheld: int = 0
    appeals_rejected: int = 0
    appeals_pending: int = 0
    polls: tuple[PollLine, ...] = ()


@dataclass(frozen=True)
class Correction:
    """更正说明 of a re-issued bulletin: answers an upheld appeal took out of the statistics."""

    corrected_on: date
    excluded: int  # answers excluded in total
    units: tuple[str, ...]  # unit ids whose figures changed
    grounds: tuple[str, ...]  # not_our_case, wrong_person, malicious
    reissue: int = 1  # how many times the month was re-issued


@dataclass(frozen=True)
class DocumentInfo:
    """The 公文 furniture (GB/T 9704-2012): settings of the center, not of the month.

    ``doc_prefix`` + year + ``doc_serial`` make the 发文字号 (``东民评〔2026〕11号``);
    without a serial no number is printed. ``masthead`` is the red 发文机关标志
    (default: ``issuer``). ``recipients`` is the 主送 line, ``copy_to`` the 抄送
    line of the 版记 (omitted when None), ``signer`` the 签发人 (omitted when None).
    """

    issuer: str
    recipients: str = "各镇（街道），区直各部门，各窗口单位"
    doc_prefix: str = ""
    doc_serial: int | None = None
    signer: str | None = None
    copy_to: str | None = None
    masthead: str | None = None
    printed_by: str | None = None  # 印发机关 (default: issuer)


@dataclass(frozen=True)
class SuiteFailure:
    """One failed expectation of a validation suite."""

    expectation: str  # GX class name, e.g. ExpectColumnValuesToNotBeNull
    column: str | None
    unexpected: int
    blocking: bool


@dataclass(frozen=True)
class SuiteOutcome:
    """The result of one validation suite run on the month's data."""

    suite: str  # cases, sample, responses, dispositions, estimates, ...
    evaluated: int  # expectations checked
    rows: int
    failures: tuple[SuiteFailure, ...] = ()


@dataclass(frozen=True)
class BulletinData:
    """Everything a bulletin shows. ``month`` is ``YYYY-MM``.

    ``district_name`` is the full name including 区 (e.g. ``东湖区``).
    ``previous`` is last month's units frame, ``year_ago`` the same month's a year
    earlier; either may be None. ``generated_at`` (legacy text, ``... UTC`` is
    understood) is used only when ``generated`` (a timezone-aware datetime) is
    None; times are printed in ``timezone``. ``data_docs_path`` is a link target
    in the HTML only, never printed.
    """

    month: str
    district_name: str
    fieldwork: Fieldwork
    district: DistrictFigure
    units: pl.DataFrame
    funnel: pl.DataFrame
    channel_mix: pl.DataFrame
    previous: pl.DataFrame | None
    integrity: IntegritySummary
    validation_ok: bool
    data_docs_path: str | None
    generated_at: str
    # --- added for the 统计通报 (issues 11, 12, 13); all optional -------------
    generated: datetime | None = None
    timezone: str = "Asia/Shanghai"
    issued_on: date | None = None  # 成文日期; default: the local date of generation
    document: DocumentInfo | None = None
    judgement: pl.DataFrame | None = None
    year_ago: pl.DataFrame | None = None
    changes: pl.DataFrame | None = None
    district_previous: DistrictFigure | None = None
    district_year_ago: DistrictFigure | None = None
    categories: pl.DataFrame | None = None
    reasons: pl.DataFrame | None = None
    followups: pl.DataFrame | None = None
    complaints: int | None = None
    validations: tuple[SuiteOutcome, ...] = ()
    problems_text: str | None = None  # 存在的主要问题: the director's own paragraph(s)
    requirements_text: str | None = None  # 工作要求: the director's text (a neutral default)
    delta: float = 0.05  # the judging model's δ (quoted in the method note)
    casework: CaseworkSummary | None = None  # complaints, appeals, polls (issue 13)
    correction: Correction | None = None  # 更正说明 of a re-issued bulletin (issue 13)
    channel_effects: pl.DataFrame | None = None  # the judgement's channel effects (附件1)

    def doc(self) -> DocumentInfo:
        """The document furniture, defaulted from the district name."""
        return self.document or DocumentInfo(issuer=f"{self.district_name}民意访评中心")

    def replace(self, **changes: object) -> BulletinData:
        """A copy with some fields changed (tests and callers building variants)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]
