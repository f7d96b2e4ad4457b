"""Corrections: a loaded case re-sent in a later file with other content.

While the day of the case has not been drawn (neither its loaded nor its new
service date: see ``draws.drawn_days``), the newer version replaces the loaded
one. After the draw the loaded case and the draw stay exactly as they are and
the new version waits in quarantine for staff. Either way ``case_corrections``
gets an audit row: case, old and new content hash, the columns that changed,
the file and row that carried it, applied or not, when. A correction recorded
once is not recorded again when the same version arrives again.

A version that a correction replaced is never loaded again: sent once more (an
older file loaded after a newer one) it counts as a duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Final

import duckdb
import polars as pl

from minyi import columns as C
from warehouse.draws import drawn_days
from warehouse.phones import mask_in_text
from warehouse.reading import ROW

HASH: Final = "_hash"
KEY: Final = "_key"  # the content a case's hash is computed from
COMPLETED: Final = "_completed"
SERVICE_DATE: Final = "_service_date"
_OLD: Final = "_old_"
_COMPARED: Final = (
    C.UNIT_ID,
    C.CATEGORY,
    COMPLETED,
    "_phone_key",
    C.SERVICE_ITEM,
    C.HANDLER_ID,
    C.SERVICE_CHANNEL,
)


@dataclass(frozen=True)
class Matched:
    """Candidates (first row of each case in the file) split against the loaded cases."""

    fresh: pl.DataFrame  # case not loaded before
    duplicate: int  # same content as loaded, or a version a correction replaced
    changed: pl.DataFrame  # other content: a correction, with ``_hash``, ``_changed``, old date


def match_loaded(con: duckdb.DuckDBPyConnection, candidates: pl.DataFrame) -> Matched:
    """Compare each candidate (with its content ``_key``) with the loaded version of its case.

    Hashes are computed in DuckDB and only those of changed cases come back:
    a file of new cases, or one loaded again, costs one join.
    """
    con.register("_incoming", candidates.select(ROW, C.CASE_ID, KEY).to_arrow())
    try:
        kinds = con.sql(
            f"""
            WITH m AS (
                SELECT i.{ROW}, i.case_id, sha256(i.{KEY}) AS h, c.content_hash
                FROM _incoming i JOIN cases c USING (case_id))
            SELECT m.{ROW},
                   m.h <> m.content_hash AND NOT EXISTS (
                       SELECT 1 FROM case_corrections k
                       WHERE k.case_id = m.case_id AND k.old_hash = m.h AND k.applied
                   ) AS _is_change,
                   m.h AS {HASH}, m.content_hash AS _existing
            FROM m
            """
        ).pl()
    finally:
        con.unregister("_incoming")
    known = candidates.join(kinds, on=ROW, how="semi")
    changed = candidates.join(kinds.filter("_is_change").drop("_is_change"), on=ROW)
    return Matched(
        fresh=candidates.join(kinds, on=ROW, how="anti"),
        duplicate=known.height - changed.height,
        changed=_with_changes(con, changed),
    )


def _with_changes(con: duckdb.DuckDBPyConnection, changed: pl.DataFrame) -> pl.DataFrame:
    """Adds the loaded version's service date and ``_changed``: the columns that differ."""
    con.register("_changed_ids", changed.select(C.CASE_ID).to_arrow())
    try:
        old = con.sql(
            f"""
            SELECT c.case_id, c.service_date AS _old_date,
                   c.unit_id AS {_OLD}{C.UNIT_ID}, c.category AS {_OLD}{C.CATEGORY},
                   c.completed_at AS {_OLD}{COMPLETED},
                   coalesce(c.phone_e164, c.phone_raw) AS {_OLD}_phone_key,
                   c.service_item AS {_OLD}{C.SERVICE_ITEM},
                   c.handler_id AS {_OLD}{C.HANDLER_ID},
                   c.service_channel AS {_OLD}{C.SERVICE_CHANNEL}
            FROM cases c SEMI JOIN _changed_ids USING (case_id)
            """
        ).pl()
    finally:
        con.unregister("_changed_ids")
    old = old.with_columns(
        pl.col(f"{_OLD}{COMPLETED}").dt.convert_time_zone("UTC").cast(pl.Datetime("us", "UTC"))
    )
    differs = [
        pl.when(pl.col(name).ne_missing(pl.col(f"{_OLD}{name}")))
        .then(pl.lit(_display_name(name)))
        .otherwise(None)
        for name in _COMPARED
    ]
    return (
        changed.join(old, on=C.CASE_ID, how="left")
        .with_columns(_phone_key=pl.coalesce(C.PHONE_E164, C.PHONE))
        .with_columns(_changed=pl.concat_list(differs).list.drop_nulls().list.join(","))
    )


def _display_name(name: str) -> str:
    return {COMPLETED: C.COMPLETED_AT, "_phone_key": C.PHONE}.get(name, name)


def settle(
    con: duckdb.DuckDBPyConnection,
    changed: pl.DataFrame,
    path: Path,
    digest: str,
    now: datetime,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Apply the corrections whose days are not drawn and record all of them.

    Returns (applied, recorded): ``recorded`` carries a ``_reason`` for the
    quarantine. Call inside the load's transaction.
    """
    if changed.is_empty():
        return changed, changed.with_columns(_reason=pl.lit(None, pl.String))
    days: list[date | None] = [*changed["_old_date"].to_list(), *changed[SERVICE_DATE].to_list()]
    drawn = sorted(drawn_days(con, days))
    drawn_series = pl.Series(drawn, dtype=pl.Date).implode()
    changed = changed.with_columns(
        _drawn_day=pl.when(pl.col("_old_date").is_in(drawn_series))
        .then(pl.col("_old_date"))
        .when(pl.col(SERVICE_DATE).is_in(drawn_series))
        .then(pl.col(SERVICE_DATE))
    )
    applied = changed.filter(pl.col("_drawn_day").is_null())
    day = pl.col("_drawn_day").cast(pl.String)
    recorded = changed.filter(pl.col("_drawn_day").is_not_null()).with_columns(
        _reason=mask_in_text(
            pl.lit("更正未生效 correction not applied: 办件 '")
            + pl.col(C.CASE_ID)
            + "' 的日期 "
            + day
            + " 已抽样，已载入的办件和抽样保持不变 / the day "
            + day
            + " of case '"
            + pl.col(C.CASE_ID)
            + "' has been drawn; the loaded case and the draw are unchanged"
        )
    )
    if not applied.is_empty():
        con.register(
            "_corrected",
            applied.select(
                C.CASE_ID,
                C.UNIT_ID,
                C.CATEGORY,
                pl.col(COMPLETED).alias(C.COMPLETED_AT),
                pl.col(SERVICE_DATE).alias(C.SERVICE_DATE),
                pl.col(C.PHONE).alias("phone_raw"),
                C.PHONE_E164,
                C.PHONE_STATUS,
                C.SERVICE_ITEM,
                C.HANDLER_ID,
                C.SERVICE_CHANNEL,
                pl.col(HASH).alias("content_hash"),
            ).to_arrow(),
        )
        try:
            con.execute(
                """
                UPDATE cases SET unit_id = n.unit_id, category = n.category,
                    completed_at = n.completed_at, service_date = n.service_date,
                    phone_raw = n.phone_raw, phone_e164 = n.phone_e164,
                    phone_status = n.phone_status, service_item = n.service_item,
                    handler_id = n.handler_id, service_channel = n.service_channel,
                    content_hash = n.content_hash, source_file = $file, loaded_at = $now
                FROM _corrected n WHERE cases.case_id = n.case_id
                """,
                {"file": str(path), "now": now},
            )
        finally:
            con.unregister("_corrected")
    audit = pl.concat(
        [
            _audit_rows(applied, None, path, digest, now),
            _audit_rows(
                recorded, recorded["_reason"].str.replace(r"^[^:]*: ", ""), path, digest, now
            ),
        ]
    )
    con.register("_audit", audit.to_arrow())
    try:
        con.execute(
            "INSERT INTO case_corrections BY NAME SELECT * FROM _audit ON CONFLICT DO NOTHING"
        )
    finally:
        con.unregister("_audit")
    return applied, recorded


def _audit_rows(
    rows: pl.DataFrame, notes: pl.Series | None, path: Path, digest: str, now: datetime
) -> pl.DataFrame:
    return rows.select(
        C.CASE_ID,
        pl.col("_existing").alias("old_hash"),
        pl.col(HASH).alias("new_hash"),
        pl.col("_changed").alias("changed"),
        pl.col("_old_date").alias("old_service_date"),
        pl.col(SERVICE_DATE).alias("new_service_date"),
        pl.lit(str(path)).alias("source_file"),
        pl.lit(digest).alias("file_sha256"),
        pl.col(ROW).cast(pl.Int64).alias("row_number"),
        pl.lit(notes is None).alias("applied"),
        (pl.lit(None, pl.String) if notes is None else pl.lit(notes)).alias("note"),
        pl.lit(now).cast(pl.Datetime("us", "UTC")).alias("recorded_at"),
    )
