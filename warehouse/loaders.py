"""Loading the units registry and completed cases (CONTRACT.md "Input files").

Every row read ends up loaded, reported as a duplicate, or quarantined with a
reason a clerk understands; the counts always add up. Loading the same file
twice changes nothing. A file that cannot be read as a whole (wrong columns,
wrong encoding, not CSV/Parquet) raises ``InputFileError`` and loads nothing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import polars as pl

from minyi import columns as C
from warehouse.db import transaction
from warehouse.errors import InputFileError
from warehouse.phones import normalise

CASE_REQUIRED = (C.CASE_ID, C.UNIT_ID, C.CATEGORY, C.COMPLETED_AT, C.PHONE)
CASE_OPTIONAL = (C.SERVICE_ITEM, C.HANDLER_ID, C.SERVICE_CHANNEL)
UNIT_REQUIRED = (C.UNIT_ID, C.UNIT_NAME, C.UNIT_KIND)
UNIT_OPTIONAL = (C.PEER_GROUP, C.PARENT_UNIT_ID)
_ROW = "_row"


@dataclass(frozen=True)
class LoadReport:
    """What happened to the rows of one file: read = loaded + duplicate + quarantined."""

    path: str
    read: int
    loaded: int
    duplicate: int
    quarantined: int
    reasons: dict[str, int]

    def __post_init__(self) -> None:
        if self.read != self.loaded + self.duplicate + self.quarantined:
            raise AssertionError(f"row counts do not add up for {self.path}: {self}")


def read_table(path: Path, encoding: str = "utf-8") -> tuple[pl.DataFrame, str]:
    """All columns as strings plus a 1-based ``_row`` (the line in a CSV), and the file's SHA-256."""
    if not path.exists():
        raise InputFileError(str(path), "no such file")
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            frame = pl.read_parquet(path)
            frame = frame.with_columns(pl.all().cast(pl.String))
            first_row = 1
        elif suffix in (".csv", ".txt"):
            try:
                text = data.decode(
                    "utf-8-sig" if encoding.lower() in ("utf-8", "utf8") else encoding
                )
            except (UnicodeDecodeError, LookupError) as exc:
                raise InputFileError(
                    str(path),
                    f"not valid {encoding} text ({exc.__class__.__name__} at byte "
                    f"{getattr(exc, 'start', '?')}); convert it to UTF-8 or pass --encoding gb18030",
                ) from exc
            frame = pl.read_csv(text.encode("utf-8"), infer_schema=False)
            first_row = 2  # line 1 is the header
        else:
            raise InputFileError(
                str(path), f"unsupported file type '{suffix}' (use .csv or .parquet)"
            )
    except pl.exceptions.PolarsError as exc:
        raise InputFileError(str(path), f"cannot be parsed: {str(exc).splitlines()[0]}") from exc
    frame = frame.rename({name: name.strip().lower() for name in frame.columns})
    frame = frame.with_columns(
        [pl.col(name).str.strip_chars().replace("", None) for name in frame.columns]
    ).with_row_index(_ROW, offset=first_row)
    return frame, digest


def _require_columns(frame: pl.DataFrame, path: Path, required: tuple[str, ...]) -> None:
    missing = [name for name in required if name not in frame.columns]
    if missing:
        raise InputFileError(
            str(path), f"missing column(s) {', '.join(missing)} (found: {', '.join(frame.columns)})"
        )


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _parse_timestamp(value: str | None, zone: ZoneInfo) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("/", "-"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


def _quarantine(
    con: duckdb.DuckDBPyConnection, source: str, path: Path, digest: str, rows: pl.DataFrame
) -> None:
    if rows.is_empty():
        return
    now = datetime.now(UTC)
    records = [
        (
            source,
            str(path),
            digest,
            int(r[_ROW]),
            json.dumps({k: v for k, v in r.items() if not k.startswith("_")}, ensure_ascii=False),
            r["_reason"],
            now,
        )
        for r in rows.iter_rows(named=True)
    ]
    con.executemany(
        "INSERT INTO quarantine VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", records
    )


def _log_load(
    con: duckdb.DuckDBPyConnection, source: str, digest: str, report: LoadReport, at: datetime
) -> None:
    con.execute(
        "INSERT INTO loads VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            source,
            report.path,
            digest,
            report.read,
            report.loaded,
            report.duplicate,
            report.quarantined,
            at,
        ],
    )


def _reasons(rows: pl.DataFrame) -> dict[str, int]:
    if rows.is_empty():
        return {}
    counts = rows.group_by(pl.col("_reason").str.replace(r":.*$", "")).len()
    return dict(sorted(zip(counts["_reason"].to_list(), counts["len"].to_list(), strict=True)))


def load_cases(
    con: duckdb.DuckDBPyConnection, path: Path, zone: ZoneInfo, encoding: str = "utf-8"
) -> LoadReport:
    """Load one cases file; see the module docstring for the guarantees."""
    frame, digest = read_table(path, encoding)
    _require_columns(frame, path, CASE_REQUIRED)
    for name in CASE_OPTIONAL:
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(name))
    frame = frame.select(_ROW, *CASE_REQUIRED, *CASE_OPTIONAL)
    read = frame.height

    stamps = [_parse_timestamp(v, zone) for v in frame[C.COMPLETED_AT].to_list()]
    frame = frame.with_columns(
        pl.Series("_completed", stamps, dtype=pl.Datetime("us", "UTC")),
    )
    known_units = set(r[0] for r in con.sql("SELECT unit_id FROM units").fetchall())
    missing_field = pl.lit(None, dtype=pl.String)
    for name in reversed((C.CASE_ID, C.UNIT_ID, C.CATEGORY, C.COMPLETED_AT)):
        missing_field = (
            pl.when(pl.col(name).is_null())
            .then(pl.lit(f"missing field: {name} is blank"))
            .otherwise(missing_field)
        )
    blank = pl.all_horizontal([pl.col(n).is_null() for n in (*CASE_REQUIRED, *CASE_OPTIONAL)])
    frame = frame.with_columns(
        _reason=pl.coalesce(
            pl.when(blank).then(pl.lit("blank line: the row has no values")),
            missing_field,
            pl.when(pl.col("_completed").is_null()).then(
                pl.lit("unreadable timestamp: completed_at '") + pl.col(C.COMPLETED_AT) + "'"
            ),
            pl.when(~pl.col(C.UNIT_ID).is_in(list(known_units))).then(
                pl.lit("unknown unit: '") + pl.col(C.UNIT_ID) + "' is not in the units registry"
            ),
        )
    )
    phones = normalise(frame[C.PHONE])
    frame = pl.concat([frame, phones], how="horizontal").with_columns(
        _service_date=pl.col("_completed").dt.convert_time_zone(zone.key).dt.date(),
        _key=pl.concat_str(
            [
                pl.col(C.CASE_ID),
                pl.col(C.UNIT_ID),
                pl.col(C.CATEGORY),
                pl.col("_completed").dt.to_string("%Y-%m-%dT%H:%M:%S%.f"),
                pl.col(C.PHONE_E164).fill_null(pl.col(C.PHONE)).fill_null(""),
                *[pl.col(n).fill_null("") for n in CASE_OPTIONAL],
            ],
            separator="\x1f",
        ),
    )
    frame = frame.with_columns(
        pl.Series("_hash", [_sha256(k or "") for k in frame["_key"].to_list()], dtype=pl.String)
    )

    bad = frame.filter(pl.col("_reason").is_not_null())
    good = frame.filter(pl.col("_reason").is_null())
    # repeated ids inside the file: identical content is a duplicate, other content a conflict
    first = good.group_by(C.CASE_ID, maintain_order=True).agg(
        pl.col(_ROW).first().alias("_first_row"), pl.col("_hash").first().alias("_first_hash")
    )
    good = good.join(first, on=C.CASE_ID, how="left")
    in_file_dup = good.filter(
        (pl.col(_ROW) != pl.col("_first_row")) & (pl.col("_hash") == pl.col("_first_hash"))
    )
    in_file_conflict = good.filter(
        (pl.col(_ROW) != pl.col("_first_row")) & (pl.col("_hash") != pl.col("_first_hash"))
    ).with_columns(
        _reason=pl.lit("conflict: case_id '")
        + pl.col(C.CASE_ID)
        + "' appears again with different content (first at line "
        + pl.col("_first_row").cast(pl.String)
        + ")"
    )
    candidates = good.filter(pl.col(_ROW) == pl.col("_first_row"))

    con.register("_incoming", candidates.select(C.CASE_ID, "_hash").to_arrow())
    existing = con.sql(
        "SELECT i.case_id, c.content_hash FROM _incoming i JOIN cases c USING (case_id)"
    ).pl()
    con.unregister("_incoming")
    candidates = candidates.join(
        existing.rename({"content_hash": "_existing"}), on=C.CASE_ID, how="left"
    )
    db_dup = candidates.filter(pl.col("_existing") == pl.col("_hash"))
    db_conflict = candidates.filter(
        pl.col("_existing").is_not_null() & (pl.col("_existing") != pl.col("_hash"))
    ).with_columns(
        _reason=pl.lit("conflict: case_id '")
        + pl.col(C.CASE_ID)
        + "' was loaded before with different content"
    )
    fresh = candidates.filter(pl.col("_existing").is_null())

    quarantined = pl.concat(
        [
            bad.select(_ROW, *CASE_REQUIRED, *CASE_OPTIONAL, "_reason"),
            in_file_conflict.select(_ROW, *CASE_REQUIRED, *CASE_OPTIONAL, "_reason"),
            db_conflict.select(_ROW, *CASE_REQUIRED, *CASE_OPTIONAL, "_reason"),
        ]
    )
    now = datetime.now(UTC)
    insert = fresh.select(
        pl.col(C.CASE_ID),
        pl.col(C.UNIT_ID),
        pl.col(C.CATEGORY),
        pl.col("_completed").alias(C.COMPLETED_AT),
        pl.col("_service_date").alias(C.SERVICE_DATE),
        pl.col(C.PHONE).alias("phone_raw"),
        pl.col(C.PHONE_E164),
        pl.col(C.PHONE_STATUS),
        *[pl.col(n) for n in CASE_OPTIONAL],
        pl.col("_hash").alias("content_hash"),
        pl.lit(str(path)).alias("source_file"),
        pl.lit(now).cast(pl.Datetime("us", "UTC")).alias("loaded_at"),
    )
    with transaction(con):
        con.register("_fresh", insert.to_arrow())
        con.execute("INSERT INTO cases BY NAME SELECT * FROM _fresh")
        con.unregister("_fresh")
        _quarantine(con, "cases", path, digest, quarantined)
        report = LoadReport(
            str(path),
            read,
            fresh.height,
            in_file_dup.height + db_dup.height,
            quarantined.height,
            _reasons(quarantined),
        )
        _log_load(con, "cases", digest, report, now)
    return report


def load_units(con: duckdb.DuckDBPyConnection, path: Path, encoding: str = "utf-8") -> LoadReport:
    """Load or update the units registry (upsert by ``unit_id``)."""
    frame, digest = read_table(path, encoding)
    _require_columns(frame, path, UNIT_REQUIRED)
    for name in UNIT_OPTIONAL:
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(name))
    frame = frame.select(_ROW, *UNIT_REQUIRED, *UNIT_OPTIONAL).with_columns(
        pl.col(C.UNIT_KIND).str.to_lowercase()
    )
    read = frame.height
    frame = frame.with_columns(
        _reason=pl.when(pl.col(C.UNIT_ID).is_null())
        .then(pl.lit("missing field: unit_id is blank"))
        .when(pl.col(C.UNIT_NAME).is_null())
        .then(pl.lit("missing field: unit_name is blank"))
        .when(~pl.col(C.UNIT_KIND).is_in(list(C.UNIT_KINDS)))
        .then(
            pl.lit("unknown unit_kind: '")
            + pl.col(C.UNIT_KIND).fill_null("")
            + f"' (allowed: {', '.join(C.UNIT_KINDS)})"
        ),
        peer_group=pl.coalesce(pl.col(C.PEER_GROUP), pl.col(C.UNIT_KIND)),
    )
    bad = frame.filter(pl.col("_reason").is_not_null())
    good = frame.filter(pl.col("_reason").is_null())
    counts = good.group_by(C.UNIT_ID).agg(
        pl.len().alias("_n"),
        pl.struct(*UNIT_REQUIRED, *UNIT_OPTIONAL).n_unique().alias("_versions"),
    )
    good = good.join(counts, on=C.UNIT_ID)
    conflict = good.filter(pl.col("_versions") > 1).with_columns(
        _reason=pl.lit("conflict: unit_id '")
        + pl.col(C.UNIT_ID)
        + "' appears with different content"
    )
    good = good.filter(pl.col("_versions") == 1)
    first = good.unique(C.UNIT_ID, keep="first", maintain_order=True)
    in_file_dup = good.height - first.height
    existing = con.sql(
        "SELECT unit_id, unit_name, unit_kind, peer_group, parent_unit_id FROM units"
    ).pl()
    same = first.join(existing, on=list(existing.columns), how="semi", nulls_equal=True)
    changed = first.join(same, on=C.UNIT_ID, how="anti")
    quarantined = pl.concat([bad, conflict.drop("_n", "_versions")]).select(
        _ROW, *UNIT_REQUIRED, *UNIT_OPTIONAL, "_reason"
    )
    now = datetime.now(UTC)
    with transaction(con):
        con.register(
            "_units", changed.select(*UNIT_REQUIRED, C.PEER_GROUP, C.PARENT_UNIT_ID).to_arrow()
        )
        con.execute(
            "INSERT OR REPLACE INTO units SELECT unit_id, unit_name, unit_kind, peer_group, "
            "parent_unit_id, ? FROM _units",
            [now],
        )
        con.unregister("_units")
        _quarantine(con, "units", path, digest, quarantined)
        report = LoadReport(
            str(path),
            read,
            changed.height,
            in_file_dup + same.height,
            quarantined.height,
            _reasons(quarantined),
        )
        _log_load(con, "units", digest, report, now)
    return report
