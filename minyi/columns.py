"""Column names and domain terms, named once.

Sampling, the warehouse DDL and views, the expectation suites and the bulletin
all use these constants, so a rename happens in one place (and, for the
contract views of ../shared/CONTRACT.md, with a migration note).
"""

from __future__ import annotations

from typing import Final

# --- units registry -------------------------------------------------------
UNIT_ID: Final = "unit_id"
UNIT_NAME: Final = "unit_name"
UNIT_KIND: Final = "unit_kind"
PEER_GROUP: Final = "peer_group"
PARENT_UNIT_ID: Final = "parent_unit_id"
UNIT_KINDS: Final = ("agency", "department", "window", "section", "township", "other")

# --- cases ----------------------------------------------------------------
CASE_ID: Final = "case_id"
CATEGORY: Final = "category"
COMPLETED_AT: Final = "completed_at"
SERVICE_DATE: Final = "service_date"
PHONE: Final = "phone"
PHONE_E164: Final = "phone_e164"
PHONE_STATUS: Final = "phone_status"
SERVICE_ITEM: Final = "service_item"
HANDLER_ID: Final = "handler_id"
SERVICE_CHANNEL: Final = "service_channel"

# --- sample design --------------------------------------------------------
SAMPLE_DATE: Final = "sample_date"
STRATUM: Final = "stratum"
STRATUM_POPULATION: Final = "stratum_population"  # N_h, eligible cases in the stratum
STRATUM_SAMPLE: Final = "stratum_sample"  # n_h
PRN: Final = "prn"  # permanent random number u_i in [0, 1)
INCLUSION_PROB: Final = "inclusion_prob"  # pi_i = n_h / N_h
DESIGN_WEIGHT: Final = "design_weight"  # d_i = N_h / n_h
SEED: Final = "seed"
# A number's eligible cases of the day compete by a second PRN; the chosen one carries the
# number's count of competing cases (METHODS.md "Frame and eligibility").
MULTIPLICITY: Final = "multiplicity"  # m_i ≥ 1; pi_i = n_h / (N_h · m_i), d_i = m_i · N_h / n_h
REPRESENTED_BY: Final = "represented_by"  # a same-number case left out: the case chosen for it

# --- fieldwork and answers ------------------------------------------------
CHANNEL: Final = "channel"
CHANNELS: Final = ("sms", "voice", "manual", "simulated")
ANSWERED_AT: Final = "answered_at"
SATISFACTION: Final = "satisfaction"  # 1..5, 5 = 非常满意; null = 不了解/说不清
SATISFIED: Final = "satisfied"  # satisfaction >= satisfied threshold (default 3)
FINAL_WEIGHT: Final = "final_weight"
WEIGHT_CLASS: Final = "weight_class"
ATTEMPTS: Final = "attempts"
AAPOR_CODE: Final = "aapor_code"

# --- monthly estimates (v_unit_month) ----------------------------------------
MONTH: Final = "month"
SAMPLED: Final = "sampled"
RESPONDED: Final = "responded"
RESPONSE_RATE: Final = "response_rate"
SATISFACTION_RATE: Final = "satisfaction_rate"
SE: Final = "se"
CI_LOW: Final = "ci_low"
CI_HIGH: Final = "ci_high"
REPORTABLE: Final = "reportable"
RANK: Final = "rank"
RANK_LOW: Final = "rank_low"
RANK_HIGH: Final = "rank_high"
FLAG: Final = "flag"
FLAGS: Final = ("top", "above", "below")
N_EFF: Final = "n_eff"

# Satisfaction levels of the 好差评 scale, 5 = best.
LEVELS_ZH: Final = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
LEVELS_EN: Final = {
    5: "very satisfied",
    4: "satisfied",
    3: "fairly satisfied",
    2: "dissatisfied",
    1: "very dissatisfied",
}
STRATUM_SD: Final = "stratum_sd"  # S_h from earlier months, for Neyman allocation

# --- judging performance (METHODS.md "Judging performance"; sampling.judgement) ---
# Conduct-export names (CONTRACT.md "Conduct export") are used as they are.
MONTHS: Final = "months"  # months pooled in the judgement window
RESPONDENTS: Final = "respondents"
ESTIMATE: Final = "estimate"  # model (hierarchical) estimate of the adjusted rate
P_BELOW: Final = "p_below"  # P(true rate < peer mean − δ)
P_ABOVE: Final = "p_above"  # P(true rate > peer mean + δ)
EVIDENCE: Final = "evidence"
EVIDENCE_VALUES: Final = ("below", "none", "above")
HONOUR: Final = "honour"  # 十佳 within the peer group
TOP_K: Final = "top_k"  # size of the peer group's top list
P_TOP: Final = "p_top"  # P(in the peer group's top k)
P_LAST: Final = "p_last"  # P(last in the peer group)
LAST: Final = "last"  # 末位: P(last) ≥ threshold and evidence below over 3–12 months
UNADJUSTED_RATE: Final = "unadjusted_rate"
CASE_MIX_RATE: Final = "case_mix_rate"  # adjusted for category mix only
ADJUSTED_RATE: Final = "adjusted_rate"  # adjusted for category and channel mix
EXPECTED_RATE: Final = "expected_rate"  # indirect standardisation: Σ_h share_h · district rate_h
CASE_MIX_SE: Final = "case_mix_se"  # SE of logit(expected_rate) from the estimated category effects
REFERENCE_RATE: Final = "reference_rate"  # district rate the adjusted rates are centred on
CHANNEL_OFFSET: Final = "channel_offset"  # Σ_c (unit share − district share) · effect_c, logit
CHANNEL_OFFSET_SE: Final = "channel_offset_se"
ASSIGNED_CHANNEL: Final = "assigned_channel"  # randomised first channel (channel experiment)
CHANNEL_EFFECT: Final = "channel_effect"  # logit effect against the reference channel
LOGIT: Final = "logit"  # empirical logit of the direct rate
LOGIT_SE: Final = "logit_se"
INTEGRITY_REPORT: Final = "integrity_report"  # the answer reports 吃拿卡要 etc. (a lead)
INTEGRITY_RATE: Final = "integrity_rate"  # 1/π-weighted share of answers with a report
CHANGE: Final = "change"  # month-on-month / year-on-year difference
CHANGE_SE: Final = "change_se"
COMPARISON: Final = "comparison"  # month_on_month or year_on_year
COMPARISONS: Final = ("month_on_month", "year_on_year")
BASE_MONTH: Final = "base_month"
SIGNIFICANT: Final = "significant"
PURPOSE: Final = "purpose"  # which judgement: evidence (bulletin), honour (十佳), last (末位)
PURPOSES: Final = ("evidence", "honour", "last")
FIRST_MONTH: Final = "first_month"  # first month of a judgement window
LAST_MONTH: Final = "last_month"  # last month of a judgement window (the month judged)
OFFERED_CHANNELS: Final = "offered_channels"  # the provider's channels the first one was drawn from
