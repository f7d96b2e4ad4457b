"""What the staff copy may hold: an allow-list of columns per table, and how each table is refreshed.

A table or column of the live warehouse that is not listed here is private: it
never reaches ``<home>/published/``. ``tests/warehouse/test_allowlist.py``
lists every table and column of the live schema and fails until each one is
either allowed here or named private, so a new column is private until someone
decides otherwise.

Rules for allowed columns:

- ``KEEP``: published as stored; a text column still has every mobile-looking
  digit run masked (``138****5678``), whatever the code that wrote it promised.
- ``PHONE`` (``phone_e164``): never published as such, but as ``phone_masked``
  (``138****5678``) and ``phone_key``, a keyed HMAC-SHA256 of the number with the
  home's key, for linking rows of one number without the number.
- ``CLOSED_ANSWER`` (``answers.value``): the value of a closed item (a level, yes
  or no); free-text items (``reason``) and any item not listed are left out.

Refresh (``warehouse.publish`` copies only what changed since the copy's last
publish):

- ``Parts(expr)``: the table is cut into partitions by ``expr`` (a day, a month,
  or ``'*'`` for one); a partition whose row count or row fingerprint changed is
  replaced. Right whatever code writes the table; costs one hashing scan of
  the table, so it is used for the small and middle-sized tables.
- ``Stamped(stamp, key, restamped)``: rows whose ``stamp`` is after the copy's
  watermark are copied; every writer must stamp what it inserts or changes (the
  large append-only tables: ``cases``, ``events``). ``restamped`` names the keys
  of rows changed in place since ``$since`` (they are deleted from the copy first).
- ``ByDraw``: the per-day draw tables (``samples``, ``allocations``,
  ``ineligible``): a day is copied again when its ``day_draws`` row changed or a
  case of that day was (re)loaded (``late`` cases).

``tests/warehouse/test_allowlist.py`` also lists every statement in the code
that updates or deletes rows of a ``Stamped`` or ``ByDraw`` table, so a new
writer is noticed before the copy silently misses its change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

KEEP: Final = "keep"
PHONE: Final = "phone"
CLOSED_ANSWER: Final = "closed_answer"

# answers.item values whose value is a closed answer (channels/questionnaire.toml)
CLOSED_ITEMS: Final = ("satisfaction", "integrity", "timeliness")
# config keys the views and staff need; any other key is private
CONFIG_KEYS: Final = ("satisfied_min_level", "min_cell", "home_kind")


@dataclass(frozen=True)
class Parts:
    expr: str = "'*'"
    column: str | None = None  # narrows the rows of changed partitions by a range on it
    kind: str | None = None  # of that column: "day" (a timestamp cut by UTC day), "date"


@dataclass(frozen=True)
class Stamped:
    stamp: str
    key: tuple[str, ...]
    restamped: str | None = None


@dataclass(frozen=True)
class ByDraw:
    day: str = "sample_date"




def _day(column: str) -> Parts:
    """Partitions by the UTC day of a timestamp (days since 1970, the same in every time zone)."""
    expr = f"coalesce(CAST(CAST(epoch({column}) // 86400 AS BIGINT) AS VARCHAR), '-')"
    return Parts(expr, column, "day")


def _date(column: str) -> Parts:
    return Parts(f"CAST({column} AS VARCHAR)", column, "date")


Refresh = Parts | Stamped | ByDraw
WHOLE: Final = Parts()


@dataclass(frozen=True)
class Table:
    columns: Mapping[str, str]
    private: frozenset[str] = field(default_factory=frozenset)
    refresh: Refresh = WHOLE
    rows: str | None = None  # a filter on live rows (SQL)


def _keep(*names: str) -> dict[str, str]:
    return dict.fromkeys(names, KEEP)


TABLES: Final[dict[str, Table]] = {
    "schema_version": Table(_keep("version", "note", "applied_at")),
    "config": Table(
        _keep("key", "value"), rows="key IN (" + ", ".join(f"'{k}'" for k in CONFIG_KEYS) + ")"
    ),
    "units": Table(
        _keep("unit_id", "unit_name", "unit_kind", "peer_group", "parent_unit_id", "loaded_at")
    ),
    "cases": Table(
        {
            **_keep("case_id", "unit_id", "category", "completed_at", "service_date"),
            "phone_e164": PHONE,
            **_keep(
                "phone_status",
                "service_item",
                "handler_id",
                "service_channel",
                "source_file",
                "loaded_at",
            ),
        },
        # content_hash is the SHA-256 of the row with its phone: beside the masked number
        # (4 digits hidden) it gives the number back in 10,000 guesses
        private=frozenset({"phone_raw", "content_hash"}),
        refresh=Stamped(
            "loaded_at",
            ("case_id",),
            restamped="SELECT case_id FROM case_corrections WHERE applied AND recorded_at > $since",
        ),
    ),
    "case_corrections": Table(
        _keep(
            "case_id",
            "changed",
            "old_service_date",
            "new_service_date",
            "source_file",
            "file_sha256",
            "row_number",
            "applied",
            "note",
            "recorded_at",
        ),
        private=frozenset({"old_hash", "new_hash"}),  # content hashes: see cases.content_hash
        refresh=_day("recorded_at"),
    ),
    "quarantine": Table(
        _keep("source", "source_file", "file_sha256", "row_number", "reason", "quarantined_at"),
        private=frozenset({"record"}),  # the raw row or event, phone included
        refresh=_day("quarantined_at"),
    ),
    "loads": Table(
        _keep(
            "source",
            "source_file",
            "file_sha256",
            "rows_read",
            "rows_loaded",
            "rows_duplicate",
            "rows_quarantined",
            "loaded_at",
            "corrections_applied",
            "corrections_recorded",
            "phones_mobile",
            "phones_landline",
            "phones_blank",
            "phones_invalid",
            "phones_foreign",
        )
    ),
    "do_not_contact": Table(
        {"phone_e164": PHONE, **_keep("reason", "added_at")}, refresh=_day("added_at")
    ),
    "opt_outs": Table(
        {"phone_e164": PHONE, **_keep("channel", "opted_out_at", "event_key")},
        refresh=_day("opted_out_at"),
    ),
    "ineligible": Table(
        _keep("sample_date", "case_id", "reason", "represented_by"), refresh=ByDraw()
    ),
    "allocations": Table(
        _keep(
            "sample_date",
            "stratum",
            "category",
            "stratum_population",
            "stratum_sample",
            "method",
            "total",
            "minimum",
            "seed",
        ),
        refresh=ByDraw(),
    ),
    "samples": Table(
        _keep(
            "case_id",
            "sample_date",
            "stratum",
            "prn",
            "inclusion_prob",
            "design_weight",
            "seed",
            "multiplicity",
        ),
        refresh=ByDraw(),
    ),
    "day_draws": Table(
        _keep(
            "sample_date",
            "drawn_at",
            "cases",
            "eligible",
            "sampled",
            "strata",
            "total",
            "minimum_asked",
            "minimum_used",
            "seed",
            # the day's HMAC key, derived from the month secret after the day is drawn:
            # it re-derives that day's draw only (v_sample_audit), never another day's
            "prn_key",
        ),
        refresh=_date("sample_date"),
    ),
    "outbox": Table(
        _keep(
            "attempt_id",
            "case_id",
            "channel",
            "step",
            "provider",
            "status",
            "created_at",
            "sent_at",
            "provider_sid",
            "error_code",
            "error_message",  # masked when stored (channels.dispatcher) and again here
        ),
        refresh=_day("created_at"),
    ),
    "events": Table(
        _keep(
            "event_key",
            "provider_sid",
            "attempt_id",
            "case_id",
            "channel",
            "kind",
            "occurred_at",
            "loaded_at",
        ),
        private=frozenset({"detail"}),  # the raw payload: free text, numbers
        refresh=Stamped("loaded_at", ("event_key",)),
    ),
    "answers": Table(
        {
            **_keep("case_id", "item"),
            "value": CLOSED_ANSWER,
            **_keep("channel", "answered_at", "event_key"),
        },
        refresh=_day("answered_at"),
    ),
    "dispositions": Table(
        _keep(
            "case_id",
            "sample_date",
            "channel",
            "attempts",
            "aapor_code",
            "is_final",
            "decided_at",
        ),
        refresh=_date("sample_date"),
    ),
    "followups": Table(
        _keep("case_id", "reason", "unit_id", "created_at", "status"),
        refresh=_day("created_at"),
    ),
    "response_weights": Table(
        _keep("case_id", "month", "weight_class", "final_weight"), refresh=Parts("month")
    ),
    "unit_month": Table(
        _keep(
            "month",
            "unit_id",
            "sampled",
            "responded",
            "response_rate",
            "satisfaction_rate",
            "se",
            "ci_low",
            "ci_high",
            "n_eff",
            "reportable",
            "rank",
            "rank_low",
            "rank_high",
            "flag",
            "funnel_low",
            "funnel_high",
            "honour",
            "integrity_rate",
        ),
        refresh=Parts("month"),
    ),
    "funnel_month": Table(
        _keep("month", "peer_group", "target", "tau2", "phi", "z", "units"), refresh=Parts("month")
    ),
    "response_rates": Table(
        _keep(
            "month",
            "unit_id",
            "channel",
            "sampled",
            "i",
            "p",
            "r",
            "nc",
            "o",
            "u",
            "ne",
            "rr1",
            "rr3",
            "coop1",
            "ref1",
            "con1",
        ),
        refresh=Parts("month"),
    ),
    "validations": Table(
        _keep(
            "run_at",
            "scope",
            "suite",
            "success",
            "blocking",
            "evaluated",
            "failed",
            "data_docs",
            "recorded_at",
            "rows",
        ),
        refresh=_day("recorded_at"),
    ),
    "channel_assignments": Table(
        _keep(
            "case_id",
            "sample_date",
            "assigned_channel",
            "offered_channels",
            "randomised_share",
            "seed",
            "assigned_at",
        ),
        refresh=_date("sample_date"),
    ),
    "unit_judgement": Table(
        _keep(
            "month",
            "purpose",
            "first_month",
            "last_month",
            "unit_id",
            "peer_group",
            "months",
            "respondents",
            "reportable",
            "unadjusted_rate",
            "case_mix_rate",
            "adjusted_rate",
            "expected_rate",
            "channel_offset",
            "estimate",
            "se",
            "ci_low",
            "ci_high",
            "rank",
            "rank_low",
            "rank_high",
            "p_below",
            "p_above",
            "evidence",
            "top_k",
            "p_top",
            "honour",
            "p_last",
            "last",
        ),
        refresh=Parts("month"),
    ),
    "channel_effects": Table(
        _keep(
            "month",
            "channel",
            "first_month",
            "last_month",
            "respondents",
            "channel_effect",
            "se",
            "reference",
        ),
        refresh=Parts("month"),
    ),
    "unit_changes": Table(
        _keep(
            "month", "unit_id", "comparison", "base_month", "change", "change_se", "significant"
        ),
        refresh=Parts("month"),
    ),
    # the secret is null until the month is closed (then it is published to be checked)
    "selection_keys": Table(
        _keep("month", "commitment", "committed_at", "secret", "revealed_at")
    ),
    # the casework mirror (warehouse.casework): written without personal data — no phone,
    # no name, no citizen's words (a reason or complaint as its coded theme); each table is
    # replaced whole by the flows, so each is one partition
    "cw_followups": Table(
        _keep(
            "followup_id",
            "case_id",
            "unit_id",
            "kind",
            "status",
            "month",
            "category",
            "theme",
            "opened_at",
            "due_date",
            "replied_at",
            "revisited_at",
            "closed_at",
            "revisit_satisfaction",
            "was_overdue",
            "round",
            "verification",
            "closed_by_appeal",
        )
    ),
    "cw_complaints": Table(
        _keep("complaint_id", "channel", "received_at", "month", "unit_id", "theme", "named")
    ),
    "cw_appeals": Table(
        _keep(
            "appeal_id", "case_id", "unit_id", "ground", "status", "month", "filed_at", "decided_at"
        )
    ),
    "response_exclusions": Table(
        _keep("case_id", "appeal_id", "ground", "decided_at", "first_seen")
    ),
    "cw_vetoes": Table(
        _keep("ticket_id", "month", "unit_id", "item", "verifier", "verified_at")
    ),
    "cw_polls": Table(
        _keep(
            "poll_id",
            "title",
            "subject_kind",
            "target",
            "starts",
            "ends",
            "status",
            "sampled",
            "responded",
            "created_at",
        )
    ),
    "cw_poll_results": Table(
        _keep(
            "poll_id",
            "item",
            "question",
            "kind",
            "option",
            "respondents",
            "chosen",
            "estimate",
            "se",
            "ci_low",
            "ci_high",
            "method",
        )
    ),
    # who did what on the staff web and CLI (accounts' audit log; no personal data)
    "audit_log": Table(_keep("seq", "logged_at", "actor", "role", "action", "target")),
    "bulletin_corrections": Table(
        _keep("month", "corrected_at", "excluded", "appeals"), refresh=Parts("month")
    ),
    "month_closes": Table(_keep("month", "cutoff", "closed_at")),
    "bulletin_issues": Table(_keep("month", "year", "serial", "issued_at")),
}

# Tables kept out of the copy altogether (none today; name them here with the reason).
PRIVATE_TABLES: Final[dict[str, str]] = {}
