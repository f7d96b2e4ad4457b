"""The staff-facing views of CONTRACT.md, defined once for the live and the published file.

Views bind their table names inside their own database, so the same text
works in ``warehouse.duckdb`` and in the published copy. No view exposes a
phone number.
"""

from __future__ import annotations

from typing import Final

from warehouse.casework import VIEWS as CASEWORK_VIEWS

VIEWS: Final[dict[str, str]] = {
    # multiplicity: a repeat visitor's chosen case stands for its number's m cases of the day
    # (inclusion_prob = n_h / (N_h m), design_weight = m N_h / n_h); assigned_channel: the
    # randomly chosen first channel of the channel experiment, null outside it.
    "v_sample": """
        SELECT s.sample_date, s.case_id, c.unit_id, c.category, s.stratum,
               a.stratum_population, a.stratum_sample, s.inclusion_prob,
               s.design_weight, s.seed, s.multiplicity, x.assigned_channel
        FROM samples s
        JOIN cases c USING (case_id)
        JOIN allocations a ON a.sample_date = s.sample_date AND a.stratum = s.stratum
        LEFT JOIN channel_assignments x USING (case_id)""",
    "v_responses": """
        SELECT s.case_id, s.sample_date, c.unit_id, c.category, s.stratum,
               a.stratum_population, ans.channel, ans.answered_at,
               CAST(ans.value AS INTEGER) AS satisfaction,
               CAST(ans.value AS INTEGER) >= (
                   SELECT CAST(value AS INTEGER) FROM config
                   WHERE key = 'satisfied_min_level') AS satisfied,
               w.final_weight
        FROM answers ans
        JOIN samples s USING (case_id)
        JOIN cases c USING (case_id)
        JOIN allocations a ON a.sample_date = s.sample_date AND a.stratum = s.stratum
        LEFT JOIN response_weights w USING (case_id)
        WHERE ans.item = 'satisfaction' AND ans.value IN ('1', '2', '3', '4', '5')
          AND ans.case_id NOT IN (SELECT case_id FROM response_exclusions)""",
    "v_dispositions": """
        SELECT d.case_id, d.sample_date, c.unit_id, d.channel, d.attempts, d.aapor_code,
               d.is_final
        FROM dispositions d
        JOIN cases c USING (case_id)""",
    "v_unit_month": """
        SELECT m.month, m.unit_id, u.unit_name, u.peer_group, m.sampled, m.responded,
               m.response_rate, m.satisfaction_rate, m.se, m.ci_low, m.ci_high,
               m.reportable, m.rank, m.flag, m.rank_low, m.rank_high, m.n_eff,
               m.funnel_low, m.funnel_high, m.honour, m.integrity_rate
        FROM unit_month m
        JOIN units u USING (unit_id)""",
    # The judgement behind flag / honour / rank (METHODS.md "Judging performance"): one row
    # per closed month, purpose (evidence: the bulletin's rolling window; honour: 十佳 over
    # the decision period so far; last: 末位 over its pooled window) and unit.
    "v_unit_judgement": """
        SELECT j.month, j.purpose, j.first_month, j.last_month, j.unit_id, u.unit_name,
               j.peer_group, j.months, j.respondents, j.reportable, j.unadjusted_rate,
               j.case_mix_rate, j.adjusted_rate, j.estimate, j.se, j.ci_low, j.ci_high,
               j.rank, j.rank_low, j.rank_high, j.p_below, j.p_above, j.evidence, j.top_k,
               j.p_top, j.honour, j.p_last, j.last
        FROM unit_judgement j
        JOIN units u USING (unit_id)""",
    "v_channel_effects": """
        SELECT month, first_month, last_month, channel, respondents, channel_effect, se,
               reference
        FROM channel_effects""",
    "v_unit_changes": """
        SELECT g.month, g.unit_id, u.unit_name, g.comparison, g.base_month, g.change,
               g.change_se, g.significant
        FROM unit_changes g
        JOIN units u USING (unit_id)""",
    "v_response_rates": """
        SELECT rr.month, rr.unit_id, u.unit_name, rr.channel, rr.sampled,
               rr.i AS complete, rr.p AS partial, rr.r AS refusal, rr.nc AS non_contact,
               rr.o AS other, rr.u AS unknown_eligibility, rr.ne AS not_eligible,
               rr.rr1, rr.rr3, rr.coop1, rr.ref1, rr.con1
        FROM response_rates rr LEFT JOIN units u USING (unit_id)""",
    # Unit-facing feedback (背对背): a cell with fewer respondents than config 'min_cell'
    # (default 5) shows its count only; no answers, no free text, no contact details.
    "v_unit_feedback": """
        WITH r AS (
            SELECT strftime(v.sample_date, '%Y-%m') AS month, v.unit_id, v.category,
                   c.handler_id, v.satisfied
            FROM v_responses v JOIN cases c USING (case_id)),
        cells AS (
            SELECT month, unit_id, 'category' AS cell_kind, category AS cell, satisfied FROM r
            UNION ALL
            SELECT month, unit_id, 'handler', coalesce(handler_id, '?'), satisfied FROM r)
        SELECT month, unit_id, cell_kind, cell, count(*) AS respondents,
               count(*) < (SELECT CAST(value AS INTEGER) FROM config WHERE key = 'min_cell')
                   AS suppressed,
               CASE WHEN count(*) >= (SELECT CAST(value AS INTEGER) FROM config
                                      WHERE key = 'min_cell')
                    THEN count(*) FILTER (WHERE satisfied) END AS satisfied,
               CASE WHEN count(*) >= (SELECT CAST(value AS INTEGER) FROM config
                                      WHERE key = 'min_cell')
                    THEN count(*) FILTER (WHERE NOT satisfied) END AS not_satisfied
        FROM cells GROUP BY ALL""",
    "v_ineligible": """
        SELECT i.sample_date, c.unit_id, c.category, i.reason, count(*) AS cases
        FROM ineligible i JOIN cases c USING (case_id)
        GROUP BY ALL""",
    # Re-derives every stored draw from the cases, the stored eligibility and the day's
    # selection key (``day_draws.prn_key``; the seed in decimal for draws made before keys):
    # u = SHA-256("key:case_id") first 8 bytes >> 11, / 2^53; the n_h smallest per stratum.
    # Repeat visitors: the case chosen for a number (``represented_by`` of the others) has
    # the smallest u' = SHA-256("seed:number:case_id") of its number's cases (ties by
    # case_id) and, when sampled, multiplicity m = 1 + the cases it stands for and weight
    # m N_h / n_h. ``ok`` is false where the stored sample is not exactly that (see README,
    # "Auditing a day's draw").
    "v_sample_audit": """
        WITH day_key AS (
            SELECT a.sample_date, any_value(a.seed) AS seed,
                   coalesce(any_value(dd.prn_key), any_value(a.seed)::VARCHAR) AS key
            FROM allocations a LEFT JOIN day_draws dd USING (sample_date) GROUP BY ALL),
        eligible AS (
            SELECT a.sample_date, a.stratum, a.stratum_population, a.stratum_sample, a.seed,
                   c.case_id,
                   ((('0x' || left(sha256(d.key || ':' || c.case_id), 16))::UBIGINT
                     >> 11)::DOUBLE / 9007199254740992.0) AS u
            FROM allocations a
            JOIN day_key d USING (sample_date)
            JOIN cases c ON c.service_date = a.sample_date AND c.category = a.category
            WHERE NOT EXISTS (SELECT 1 FROM ineligible i
                              WHERE i.sample_date = a.sample_date AND i.case_id = c.case_id)),
        ranked AS (
            SELECT *, row_number() OVER (PARTITION BY sample_date, stratum ORDER BY u, case_id) AS k
            FROM eligible),
        stands_for AS (
            SELECT i.sample_date, i.represented_by AS case_id, i.case_id AS other,
                   ((('0x' || left(sha256(d.key || ':number:' || i.represented_by), 16))
                     ::UBIGINT >> 11)::DOUBLE / 9007199254740992.0) AS u_chosen,
                   ((('0x' || left(sha256(d.key || ':number:' || i.case_id), 16))
                     ::UBIGINT >> 11)::DOUBLE / 9007199254740992.0) AS u_other
            FROM ineligible i JOIN day_key d USING (sample_date)
            WHERE i.represented_by IS NOT NULL),
        repeats AS (
            SELECT case_id, count(*) + 1 AS m,
                   bool_and(u_chosen < u_other OR (u_chosen = u_other AND case_id < other))
                       AS chosen_ok
            FROM stands_for GROUP BY case_id)
        SELECT r.sample_date, r.stratum, any_value(r.seed) AS seed,
               any_value(r.stratum_population) AS stratum_population,
               count(*) AS eligible_recomputed,
               any_value(r.stratum_sample) AS stratum_sample,
               count(s.case_id) AS sampled,
               count(s.case_id) FILTER (WHERE r.k <= r.stratum_sample) AS sampled_as_expected,
               count(p.case_id) AS repeat_visitors,
               coalesce(bool_and(p.chosen_ok), true)
                 AND coalesce(bool_and(coalesce(s.multiplicity, 1) = coalesce(p.m, 1)
                                       AND abs(s.design_weight - coalesce(p.m, 1)
                                               * r.stratum_population / r.stratum_sample)
                                           < 1e-9 * s.design_weight)
                              FILTER (WHERE s.case_id IS NOT NULL), true) AS weights_ok,
               (count(*) = any_value(r.stratum_population)
                AND count(s.case_id) = any_value(r.stratum_sample)
                AND count(s.case_id) FILTER (WHERE r.k <= r.stratum_sample)
                    = any_value(r.stratum_sample)
                AND weights_ok) AS ok
        FROM ranked r LEFT JOIN samples s ON s.case_id = r.case_id
        LEFT JOIN repeats p ON p.case_id = r.case_id
        GROUP BY r.sample_date, r.stratum""",
}
VIEWS.update(CASEWORK_VIEWS)  # v_followups, v_complaints, v_appeals, v_polls, v_poll_results, v_audit


def create_views_sql(schema: str | None = None) -> list[str]:
    """``CREATE OR REPLACE VIEW`` statements, optionally inside an attached catalog."""
    prefix = f"{schema}." if schema else ""
    return [f"CREATE OR REPLACE VIEW {prefix}{name} AS {body}" for name, body in VIEWS.items()]
