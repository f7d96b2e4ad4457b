"""Keeping personal data only as long as it is needed (PIPL minimisation).

After a month is closed and ``retention_days`` have passed since its cut-off,
the raw and normalised phone numbers of its cases are removed from the live
warehouse (the case stays, with its ``phone_status``); opt-outs and the
do-not-contact list keep their numbers, since honouring them needs them. The
staff copy rebuilds ``cases`` at its next publish, so their masked numbers and
phone keys leave it too.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from warehouse.db import transaction
from warehouse.publish import request_full


def purge_phones(con: duckdb.DuckDBPyConnection, now: datetime, retention_days: int) -> dict[str, int]:
    """Blank the phones of cases of months closed more than ``retention_days`` ago; per month."""
    months = con.sql(
        "SELECT month FROM month_closes WHERE cutoff < $now - to_days($days) ORDER BY month",
        params={"now": now, "days": retention_days},
    ).fetchall()
    purged: dict[str, int] = {}
    with transaction(con):
        for (month,) in months:
            rows = con.sql(
                "UPDATE cases SET phone_raw = NULL, phone_e164 = NULL "
                "WHERE strftime(service_date, '%Y-%m') = $m "
                "AND (phone_raw IS NOT NULL OR phone_e164 IS NOT NULL) RETURNING case_id",
                params={"m": month},
            ).fetchall()
            if rows:
                purged[str(month)] = len(rows)
        if purged:  # the copy's masked numbers and phone keys of these cases go too
            request_full(con, "cases")
    return purged
