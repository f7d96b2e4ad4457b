"""The staff-facing views of CONTRACT.md, defined once for the live and the published file.

Views bind their table names inside their own database, so the same text
works in ``warehouse.duckdb`` and in the published copy. No view exposes a
phone number.
"""

from __future__ import annotations

from typing import Final

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
        WHERE ans.item = 'satisfaction' AND ans.value IN ('1', '2', '3', '4', '5')""",
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
    "v_ineligible": """
        SELECT i.sample_date, c.unit_id, c.category, i.reason, count(*) AS cases
        FROM ineligible i JOIN cases c USING (case_id)
        GROUP BY ALL""",
    "v_followups": """
        SELECT f.case_id, f.unit_id, f.reason, f.status, f.created_at
        FROM followups f""",
}


def create_views_sql(schema: str | None = None) -> list[str]:
    """``CREATE OR REPLACE VIEW`` statements, optionally inside an attached catalog."""
    prefix = f"{schema}." if schema else ""
    return [f"CREATE OR REPLACE VIEW {prefix}{name} AS {body}" for name, body in VIEWS.items()]
