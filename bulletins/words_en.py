"""Every word of the English bulletin (the secondary language). Keys match :mod:`bulletins.words_zh`."""

from __future__ import annotations

from typing import Final

LABELS: Final[dict[str, str]] = {
    "title": "Statistical Bulletin on Government Service\nSatisfaction in {district}, {month_name} {year}",
    "short_title": "{district} satisfaction bulletin, {month_name} {year}",
    "doc_number": "{prefix} [{year}] No. {serial}",
    "signer": "Signed off by: {name}",
    "recipients": "To: {recipients}",
    "intro": (
        "To learn how citizens and firms judge the services of the district's agencies, "
        "departments and service windows, in {month_name} {year} the center surveyed people whose "
        "cases were completed that month. The results follow."
    ),
    "dash": "—",
    "sep": ", ",
    "list_end": ".",
    "s_overall": "Overall",
    "overall_fieldwork": (
        "{cases} cases were completed in the district this month, {eligible} of them eligible for "
        "the survey. The center drew {sampled} at random within case categories and reached people "
        "by SMS, automated voice call and evaluators' calls: {responded} answered, a response rate "
        "of {rr}."
    ),
    "overall_rate": "The district's satisfaction rate is {rate}, within about ±{margin} points.",
    "overall_rate_none": "Too few answers this month to estimate the district's rate.",
    "change_up": "up {pp} points on {basis} ({earlier}), a clear change",
    "change_down": "down {pp} points on {basis} ({earlier}), a clear change",
    "change_flat": "no clear change on {basis}",
    "basis_mom": "last month",
    "basis_yoy": "a year ago",
    "changes_sentence": "{parts}.",
    "table_channels": "Table {n}. Fieldwork by channel",
    "fw_channel": "Channel",
    "fw_contacted": "Contacted",
    "fw_responded": "Answered",
    "fw_ch_rr": "Answered / contacted",
    "fw_total": "Total",
    "categories_lead": "By case category, satisfaction is highest for {high} and lowest for {low}.",
    "categories_lead_few": "Table {n} gives the rate of each case category.",
    "table_categories": "Table {n}. Satisfaction by case category",
    "cat_category": "Case category",
    "cat_cases": "Completed",
    "cat_sampled": "Sampled",
    "cat_responded": "Answered",
    "cat_rate": "Satisfied",
    "cat_margin": "Margin",
    "insufficient_cell": "too few",
    "s_units": "Units",
    "units_intro": (
        "{total} units were surveyed this month; {ranked} had at least {min_n} answers and are "
        "compared with their peers, {small} had too few answers and are not compared."
    ),
    "units_adjusted": (
        "Units are compared on the last {months} months pooled, adjusted for differences in their "
        "case categories and survey channels; the “adjusted rate” is the figure compared (see "
        "Attachment 1)."
    ),
    "units_caution": (
        "Only units marked “clearly below peers” or “clearly above peers” differ from their peers "
        "by more than chance explains; units with neighbouring places marked “no clear difference” "
        "should not be told apart."
    ),
    "units_adjusted_1": "Units are compared adjusted for differences in their case categories and survey channels; the “adjusted rate” is the figure compared (see Attachment 1).",
    "group_lead": "{n} units compared; peer average {target}.",
    "group_below": "Clearly below peers: {names}.",
    "group_no_below": "No unit is clearly below its peers.",
    "group_above": "Clearly above peers: {names}.",
    "group_top": "Top ten: {names}.",
    "group_last": "Last place: {names}.",
    "group_rest": "The others do not differ clearly from the peer average.",
    "group_none": "No unit in this group had enough answers this month; no comparison.",
    "table_plain": "Table {n}. {title}",
    "table_group": "Table {n}. {group}",
    "col_rank": "Place",
    "col_no": "No.",
    "col_unit": "Unit",
    "col_responded": "Answered",
    "col_rate": "Rate this month",
    "col_adjusted": "Adjusted rate",
    "col_compare": "Against peers",
    "col_mom": "On last month (points)",
    "col_yoy": "On a year ago (points)",
    "col_peer_group": "Peer group",
    "col_sampled": "Sampled",
    "cmp_up": "up {pp}",
    "cmp_down": "down {pp}",
    "cmp_flat": "no clear change",
    "s_small": "Units with too few answers",
    "small_note": "These units had fewer than {min_n} answers this month: no rate, no comparison.",
    "table_small": "Table {n}. Units with too few answers",
    "s_followups": "Follow-up of cases",
    "followups_lead": (
        "{tickets} dissatisfied cases were passed on this month; {on_time} closed on time, "
        "{overdue} overdue; satisfaction at the return call {revisit}."
    ),
    "complaints_lead": "{n} complaints were received this month.",
    "table_followups": "Table {n}. Follow-up by unit",
    "complaints_detail": "By SMS {sms}, by phone {phone}, on the web {web}; {replied} answered, {overdue} overdue.",
    "appeals_lead": (
        "Rated units filed {filed} appeals: {upheld} upheld (those answers were removed from the "
        "statistics), {rejected} rejected, {pending} pending."
    ),
    "polls_lead": "{n} public consultations this month: {items}.",
    "poll_sample": "'{title}' (random sample of {sampled}, {responded} answered)",
    "poll_open": "'{title}' (open link, {responded} answered; a non-probability sample that describes only those who answered)",
    "correction_title": "Correction",
    "correction_text": (
        "This bulletin was corrected and re-issued on {date}. After appeals, {n} answers ({grounds}) "
        "were removed from the statistics; the rates, intervals and ranks of {units} units were "
        "recomputed. This version replaces the earlier one."
    ),
    "ground_not_our_case": "not the unit's case",
    "ground_wrong_person": "not the person served",
    "ground_malicious": "malicious answer",
    "fu_tickets": "Passed on",
    "fu_on_time": "Closed on time",
    "fu_overdue": "Overdue",
    "fu_revisit": "Satisfied at return call",
    "s_problems": "Main problems",
    "problem_reasons": "Dissatisfied people mostly mentioned: {themes}.",
    "reason_item": "{theme} ({n}, {share})",
    "problem_below": "Compared with their peers, {names}{count} have clearly lower satisfaction.",
    "below_count": " ({n} units)",
    "problem_integrity": (
        "{reports} reports of staff asking for favours or fees (吃拿卡要), concerning {units} units; "
        "each must be verified and followed up."
    ),
    "problem_overdue": "{n} passed-on cases are overdue.",
    "problem_none": "No outstanding problem this month.",
    "s_requirements": "Requirements",
    "requirements_default": (
        "Every unit should read this bulletin, look for the shortcomings of its service and "
        "improve them.\n"
        "Units clearly below their peers should analyse the causes and set out measures to improve.\n"
        "Dissatisfied cases and reports of favours or fees must be handled and answered as required."
    ),
    "attachments": "Attachments: ",
    "attachment_1": "Statistical method",
    "attachment_2": "Data validation",
    "attachment_label": "Attachment {n}",
    "copy_to": "Copy to: {names}.",
    "printed": "{by}",
    "printed_date": "issued {date}",
    "page": "— {n} —",
    "m_sampling": "Sampling and weights",
    "m_rates": "Rates and response rates",
    "m_judging": "Comparing units with their peers",
    "m_details": "Comparison details by unit",
    "m_charts": "Charts",
    "m_channels": "Channel mix",
    "m_generated": "Data generated {when}.",
    "d_col_months": "Months",
    "d_col_respondents": "Answers (pooled)",
    "d_col_estimate": "Rate compared",
    "d_col_ci": "95% interval",
    "d_col_rank": "Place",
    "d_col_rank_interval": "Place interval",
    "d_col_p_below": "P(below peers)",
    "d_col_evidence": "Judgement",
    "funnel_caption": (
        "Figure {n}. {group} funnel plot: answers across, this month's rate up; centre line the "
        "peer average, dashed the 95% and solid the 99.8% binomial control limits. Units clearly "
        "below or above peers are named, the others numbered as in the table. The funnel is a "
        "picture; the judgement comes from the comparison model."
    ),
    "funnel_key": "Key: ",
    "rank_caption": (
        "Figure {n}. {group} ranking: dot = rate compared, bar = its 95% interval, dashed line = "
        "peer average; right column = place interval."
    ),
    "axis_respondents": "Answers",
    "axis_rate": "Satisfied",
    "peer_rate": "Peer average",
    "rank_interval_title": "Place interval",
    "channels_note": (
        "How each unit's answers were obtained. Voice and telephone answers tend to be more "
        "positive than SMS; the comparison adjusts for it."
    ),
    "table_channel_effects": "Table {n}. Channel effects",
    "ce_channel": "Channel",
    "ce_respondents": "Answers (randomised share)",
    "ce_effect": "Effect (log-odds)",
    "ce_se": "SE",
    "ce_ci": "95% interval",
    "ce_reference": "{name} (reference)",
    "ce_not_estimated": "not estimated",
    "ce_interval": "{lo} to {hi}",
    "ce_month": "{month_name} {year}",
    "ce_window": " ({first} to {last})",
    "ce_window_1": " ({first})",
    "ce_note": (
        "The effects in Table {n} are estimated from the share of the sample given a randomly "
        "chosen first channel{window}, against {reference} (log-odds; positive = more favourable "
        "answers); the judgement adjusts each unit's estimate for its channel mix by these effects."
    ),
    "v_lead": (
        "The month's data went through {n} validation suites; {ok} passed in full. The bulletin "
        "is published only when every blocking check passes."
    ),
    "v_none": "The month's data passed every blocking check.",
    "v_col_suite": "Suite",
    "v_col_checks": "Checks",
    "v_col_rows": "Rows",
    "v_col_result": "Result",
    "v_passed": "passed",
    "v_failed": "{n} failed",
    "v_failures": "Failed checks",
    "v_failure": "{suite}: {expectation}{column}, {n} rows{kind}",
    "v_blocking": " (blocking)",
    "v_warning": " (warning)",
    "v_column": " (column {column})",
    "v_docs": "Full validation report (opens offline)",
}

METHOD: Final[dict[str, tuple[str, ...]]] = {
    "m_sampling": (
        "Sampling: each day's completed cases form the frame, stratified by case category. A "
        "guaranteed daily total is spread equally over the day's categories and drawn by "
        "permanent random numbers. Invalid, opted-out and recently contacted numbers are not "
        "drawn; a number with several cases that day competes with one, weighted by their count.",
        "Weights: each answer is weighted by its category's sampling ratio (eligible ÷ sampled), "
        "then adjusted for nonresponse within category and month. “Don't know” answers are left "
        "out of the denominator.",
    ),
    "m_rates": (
        "Satisfaction rate: the weighted share answering very satisfied, satisfied or fairly "
        "satisfied, estimated from the whole month's design; Taylor-linearised standard errors and "
        "Korn–Graubard 95% intervals, reproducible with R's survey package. The “margin” in the "
        "text is about half the 95% interval.",
        "Response rate: AAPOR RR1, completes ÷ sampled (unknown eligibility in the denominator). "
        "Table 1's “answered / contacted” is per channel.",
        "Reportability: a unit is rated and compared only with at least {min_n} answers in the month.",
        "Changes on last month and a year ago carry a standard error (independent samples, "
        "√(se1² + se0²)); a change is reported only beyond 1.96 standard errors.",
    ),
    "m_judging": (
        "Comparison model: a hierarchical (Fay–Herriot) model per peer group on the logit scale, "
        "with a REML between-unit variance and covariates for case-category mix (indirect "
        "standardisation) and channel mix, pooled over the decision period.",
        "A unit is “clearly below peers” when P(true rate more than {delta} points under the peer "
        "average) ≥ 95%, “clearly above” symmetrically, otherwise “no clear difference”.",
        "Place interval: the 95% range of the unit's place under the same model. Top ten by the "
        "probability of being among the group's best; last place only with P(last) ≥ 90% and "
        "clearly below peers.",
        "Channels: voice and telephone answers are more positive than SMS (Elliott et al. 2009); "
        "the effects are estimated in-house from a randomised first channel and adjusted for.",
        "Anonymity (背对背): units never learn who rated them; reasons are published only as "
        "counts of coded themes.",
    ),
}

PEER_GROUPS: Final = {
    "agency": "Agencies",
    "department": "District departments",
    "window": "Service windows",
    "township": "Townships",
    "section": "Sections",
    "": "Ungrouped",
}
CHANNELS: Final = {
    "sms": "SMS",
    "voice": "Voice",
    "manual": "Evaluator call",
    "simulated": "Simulated",
}
EVIDENCE: Final = {
    "below": "Clearly below peers",
    "none": "No clear difference",
    "above": "Clearly above peers",
    "top": "Top ten",
    "last": "Last place",
}
THEMES: Final = {
    "attitude": "staff attitude",
    "waiting": "long queues",
    "timeliness": "slow handling",
    "repeat_visits": "repeated visits",
    "procedure": "cumbersome procedure",
    "information": "unclear information",
    "materials": "too many documents",
    "online": "online service hard to use",
    "fees": "fees",
    "integrity": "favours or fees asked",
    "facilities": "premises and facilities",
    "result": "the outcome",
    "other": "other",
}
SUITES: Final = {
    "cases": "Cases",
    "sample": "Sample",
    "responses": "Responses",
    "answers": "Answers",
    "dispositions": "Dispositions",
    "estimates": "Monthly estimates",
    "unit_month": "Unit results",
    "weights": "Weights",
}
EXPECTATIONS: Final = {
    "ExpectColumnValuesToNotBeNull": "no empty values",
    "ExpectColumnValuesToBeUnique": "no duplicates",
    "ExpectColumnValuesToBeInSet": "values in the allowed set",
    "ExpectColumnValuesToBeBetween": "values in range",
    "ExpectColumnPairValuesAToBeGreaterThanB": "column order holds",
    "ExpectColumnSumToBeBetween": "total in range",
    "ExpectTableRowCountToEqual": "expected row count",
    "ExpectTableRowCountToBeBetween": "row count in range",
    "ExpectColumnToExist": "column present",
    "ExpectColumnValuesToMatchRegex": "format",
    "ExpectCompoundColumnsToBeUnique": "no duplicate keys",
}
ZONE_NAMES: Final = {"Asia/Shanghai": "Beijing time", "Asia/Chongqing": "Beijing time"}
