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
