"""The staff-facing views of CONTRACT.md, defined once for the live and the published file.

Views bind their table names inside their own database, so the same text
works in ``warehouse.duckdb`` and in the published copy. No view exposes a
phone number.
"""

from __future__ import annotations

from typing import Final

from warehouse.casework import VIEWS as CASEWORK_VIEWS

VIEWS: Final[dict[str, str]] = {
    "v_sample": """
        SELECT s.sample_date, s.case_id, c.unit_id, c.category, s.stratum,
               a.stratum_population, a.stratum_sample, s.inclusion_prob,
               s.design_weight, s.seed
        FROM samples s
        JOIN cases c USING (case_id)
        JOIN allocations a ON a.sample_date = s.sample_date AND a.stratum = s.stratum""",
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
               m.funnel_low, m.funnel_high
        FROM unit_month m
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
    # Re-derives every stored draw from the cases, the stored eligibility and the seed:
    # u = SHA-256("seed:case_id") first 8 bytes >> 11, / 2^53; the n_h smallest per stratum.
    # ``ok`` is false where the stored sample is not exactly that (see README, "Auditing a draw").
    "v_sample_audit": """
        WITH eligible AS (
            SELECT a.sample_date, a.stratum, a.stratum_population, a.stratum_sample, a.seed,
                   c.case_id,
                   ((('0x' || left(sha256(a.seed::VARCHAR || ':' || c.case_id), 16))::UBIGINT
                     >> 11)::DOUBLE / 9007199254740992.0) AS u
            FROM allocations a
            JOIN cases c ON c.service_date = a.sample_date AND c.category = a.category
            WHERE NOT EXISTS (SELECT 1 FROM ineligible i
                              WHERE i.sample_date = a.sample_date AND i.case_id = c.case_id)),
        ranked AS (
            SELECT *, row_number() OVER (PARTITION BY sample_date, stratum ORDER BY u, case_id) AS k
            FROM eligible)
        SELECT r.sample_date, r.stratum, any_value(r.seed) AS seed,
               any_value(r.stratum_population) AS stratum_population,
               count(*) AS eligible_recomputed,
               any_value(r.stratum_sample) AS stratum_sample,
               count(s.case_id) AS sampled,
               count(s.case_id) FILTER (WHERE r.k <= r.stratum_sample) AS sampled_as_expected,
               (count(*) = any_value(r.stratum_population)
                AND count(s.case_id) = any_value(r.stratum_sample)
                AND count(s.case_id) FILTER (WHERE r.k <= r.stratum_sample)
                    = any_value(r.stratum_sample)) AS ok
        FROM ranked r LEFT JOIN samples s ON s.case_id = r.case_id
        GROUP BY r.sample_date, r.stratum""",
}
VIEWS.update(CASEWORK_VIEWS)  # v_followups, v_complaints, v_appeals, v_polls, v_poll_results, v_audit


def create_views_sql(schema: str | None = None) -> list[str]:
    """``CREATE OR REPLACE VIEW`` statements, optionally inside an attached catalog."""
    prefix = f"{schema}." if schema else ""
    return [f"CREATE OR REPLACE VIEW {prefix}{name} AS {body}" for name, body in VIEWS.items()]
