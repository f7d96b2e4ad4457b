"""The staff copy, ``<home>/published/warehouse.duckdb``: allow-listed, refreshed incrementally, atomic.

What it holds is decided by ``warehouse.allowlist`` (a column is private until
listed): phone numbers appear as ``phone_masked`` and ``phone_key`` (HMAC-SHA256
with the home's key, RFC 2104, written in SQL over DuckDB's ``sha256``), closed
answers only, every published text masked again for mobile-looking runs.

How it stays fast and atomic:

- Two files, ``warehouse.a.duckdb`` and ``warehouse.b.duckdb``, and the name
  staff open, ``warehouse.duckdb``, a symbolic link to one of them (the
  *current*). A publish writes the other one (the *spare*, two publishes old),
  bringing it up to date from the live warehouse with what changed since the
  spare's own state (kept inside the spare: ``_publish_state``), in one
  transaction, checkpoints it, and then replaces the link with ``os.replace``
  (an atomic rename). Publish time follows the change, not the history.
- A reader resolves the link when it opens the copy and holds the file it got:
  the current file is never written, so a reader sees the old state or the new
  one, never a mix. DuckDB locks files: a reader still holding the spare (it was
  current two publishes ago) makes the spare impossible to open for writing;
  the publish then copies the current file to a new file, brings that up to
  date, and renames it over the spare's name (the reader keeps its own inode).
- The first publish, a copy whose state is missing or unreadable, or ``full``:
  every table is built from scratch. A table whose allow-list entry or source
  columns changed is rebuilt on its own; views are created again only when
  their text changed.
- After an incremental refresh, a table whose row count differs from the live
  one (a writer that did not stamp its change) is rebuilt on its own and named
  in the report. ``request_full(con, table)`` asks for one rebuild of a table
  in both files (for a maintenance job that changes rows in place).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from warehouse import comments
from warehouse.allowlist import (
    CLOSED_ANSWER,
    CLOSED_ITEMS,
    PHONE,
    TABLES,
    ByDraw,
    Parts,
    Stamped,
    Table,
)
from warehouse.views import VIEWS, create_views_sql

DB = "_pub"
STATE = "_publish_state"
FILES = ("a", "b")
FULL_REQUEST = "publish_full:"  # config key prefix: a table to rebuild in both files

# mask_in_text (warehouse.phones) in SQL: full-width digits first, then every
# mobile-looking run (+86 / 0086, spaces or hyphens allowed), twice for neighbours
_MOBILE = r"(^|[^0-9])((?:\+?86|0086)?[ \-]?1[3-9][0-9])[ \-]?[0-9]{4}[ \-]?([0-9]{4})([^0-9]|$)"
_SCIENTIFIC = r"([0-9]\.[0-9]{2})[0-9]{4,}([eE]\+?[0-9]+)"


@dataclass
class PublishReport:
    path: Path
    mode: str  # incremental, copied (the spare was held by a reader), full
    seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)  # rows written per table
    rebuilt: list[str] = field(default_factory=list)  # tables built from scratch
    repaired: list[str] = field(default_factory=list)  # rebuilt after a count mismatch


def masked_text_sql(expr: str) -> str:
    """SQL masking mobile-looking runs in a text expression (``warehouse.phones.mask_in_text``).

    One match test first: a text it would not change (no full-width digit, no mobile-looking
    run, no number in scientific notation) is kept as it is, at a fifth of the cost."""
    out = f"translate({expr}, '０１２３４５６７８９', '0123456789')"
    for _ in range(2):
        out = f"regexp_replace({out}, '{_MOBILE}', '\\1\\2****\\3\\4', 'g')"
    out = f"regexp_replace({out}, '{_SCIENTIFIC}', '\\1****\\2', 'g')"
    return f"CASE WHEN regexp_matches({expr}, '[０-９]|{_MOBILE}|{_SCIENTIFIC}') THEN {out} ELSE {expr} END"


def phone_mask_sql(expr: str) -> str:
    """``138****5678`` from an E.164 number (``warehouse.phones.mask``)."""
    return (
        f"CASE WHEN {expr} IS NULL OR {expr} = '' THEN NULL ELSE "
        f"left(regexp_replace({expr}, '^\\+86', ''), 3) || '****' || right({expr}, 4) END"
    )


def hmac_pads(key: str) -> dict[str, bytes]:
    """The inner and outer pads of HMAC-SHA256 (RFC 2104) for ``key``, as query parameters."""
    raw = key.encode()
    if len(raw) > 64:
        raw = hashlib.sha256(raw).digest()
    raw = raw.ljust(64, b"\0")
    return {"ipad": bytes(b ^ 0x36 for b in raw), "opad": bytes(b ^ 0x5C for b in raw)}


def hmac_sql(expr: str) -> str:
    """HMAC-SHA256 (hex) of a text expression, with the pads bound as ``$ipad`` and ``$opad``."""
    return f"sha256($opad || unhex(sha256($ipad || encode({expr}))))"


# --- the projection of one table --------------------------------------------------------


def _live_columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
    """Every table of the live warehouse with its columns and types, in order."""
    found: dict[str, list[tuple[str, str]]] = {}
    for table, name, kind in con.sql(
        "SELECT table_name, column_name, data_type FROM duckdb_columns() "
        "WHERE database_name = current_database() AND schema_name = 'main' AND table_name IN "
        "(SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()) "
        "ORDER BY table_name, column_index"
    ).fetchall():
        found.setdefault(str(table), []).append((str(name), str(kind)))
    return found


@dataclass(frozen=True)
class _Projection:
    select: list[str]  # published expressions over the source alias ``s`` (and ``k`` keys)
    sources: list[str]  # live columns the copy depends on
    text: set[str]  # those of them that are text
    phone: str | None  # the phone column, hashed through a join on its distinct values
    spec: str  # what the copy's table is made from: its rebuild trigger


def _projection(table: str, spec: Table, live: list[tuple[str, str]]) -> _Projection:
    select: list[str] = []
    sources: list[str] = []
    phone = None
    for name, kind in live:
        rule = spec.columns.get(name)
        if rule is None:
            continue
        sources.append(name)
        column = f's."{name}"'
        if rule == PHONE:
            stem = name.removesuffix("_e164")
            phone = name
            select.append(f'{phone_mask_sql(column)} AS "{stem}_masked"')
            select.append(f'k.phone_key AS "{stem}_key"')
        elif rule == CLOSED_ANSWER:
            items = ", ".join(f"'{i}'" for i in CLOSED_ITEMS)
            select.append(
                f'CASE WHEN s.item IN ({items}) THEN {masked_text_sql(column)} END AS "{name}"'
            )
        elif kind == "VARCHAR":
            select.append(f'{masked_text_sql(column)} AS "{name}"')
        else:
            select.append(f'{column} AS "{name}"')
    typed = [f"{n}:{k}" for n, k in live if n in sources]
    digest = hashlib.sha256("|".join([table, *select, spec.rows or "", *typed]).encode())
    text = {n for n, k in live if n in sources and k == "VARCHAR"}
    return _Projection(select, sources, text, phone, digest.hexdigest())


def _select(table: str, proj: _Projection, spec: Table, where: str | None) -> str:
    """SELECT of the published rows of ``table`` (``where`` over the live columns)."""
    filters = [f for f in (spec.rows, where) if f]
    source = f"SELECT * FROM main.{table}" + (f" WHERE {' AND '.join(filters)}" if filters else "")
    if proj.phone is None:
        return f"SELECT {', '.join(proj.select)} FROM ({source}) s"
    p = f'"{proj.phone}"'
    return (
        f"WITH s AS ({source}), k AS (SELECT v, {hmac_sql('v')} AS phone_key "
        f"FROM (SELECT DISTINCT {p} AS v FROM s WHERE {p} IS NOT NULL)) "
        f"SELECT {', '.join(proj.select)} FROM s LEFT JOIN k ON k.v = s.{p}"
    )


def _parts_filter(refresh: Parts, changed: list[str]) -> tuple[str, dict[str, Any]]:
    """Rows of the changed partitions; a range on the partition's column first, so that
    DuckDB skips the row groups outside it (its min/max statistics) in the live table and the copy."""
    where = f"CAST({refresh.expr} AS VARCHAR) IN (SELECT unnest($parts))"
    params: dict[str, Any] = {"parts": changed}
    known = [p for p in changed if p != "-"]
    if refresh.column is None or not known:
        return where, params
    column = refresh.column
    if refresh.kind == "day":
        days = [int(p) for p in known]
        params |= {"lo": min(days) * 86400, "hi": (max(days) + 1) * 86400}
        narrow = f"{column} >= to_timestamp($lo) AND {column} < to_timestamp($hi)"
    else:
        params |= {"lo": min(known), "hi": max(known)}
        narrow = f"{column} BETWEEN CAST($lo AS DATE) AND CAST($hi AS DATE)"
    if "-" in changed:
        narrow = f"({narrow} OR {column} IS NULL)"
    return f"{narrow} AND {where}", params


def _tag(key: bytes, *fields: object) -> str:
    """A partition's fingerprint, keyed: the copy shows nothing computed from private columns."""
    message = "\x1f".join(str(f) for f in fields).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


# --- one refresh of the attached copy -------------------------------------------------------


class _Run:
    """Brings the attached copy ``_pub`` up to date; the state of each table lives in ``STATE``:
    ``#spec`` (projection digest), ``#full`` (last rebuild), ``#stamp`` (watermark of a
    ``Stamped`` table) and one keyed fingerprint per partition of a ``Parts`` table."""

    def __init__(self, con: duckdb.DuckDBPyConnection, key: str, full: bool) -> None:
        self.con = con
        self.key = key.encode()
        self.pads = hmac_pads(key)
        self.full = full
        self.rows: dict[str, int] = {}
        self.rebuilt: list[str] = []
        self.repaired: list[str] = []
        self.changed_days: set[date] = set()
        self.days_unknown = False  # cases or day_draws rebuilt: so are the draw tables
        self.new_state: dict[str, dict[str, str]] = {}
        self.live = _live_columns(con)
        self.copied = {
            str(t)
            for (t,) in con.sql(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = ?", params=[DB]
            ).fetchall()
        }
        self.state: dict[str, dict[str, str]] = {}
        if STATE in self.copied and not full:
            for table, part, value in con.sql(f"SELECT * FROM {DB}.{STATE}").fetchall():
                self.state.setdefault(str(table), {})[str(part)] = str(value)
        self.requests = {
            str(k).removeprefix(FULL_REQUEST): str(v)
            for k, v in con.sql(
                "SELECT key, value FROM main.config WHERE key LIKE ?", params=[FULL_REQUEST + "%"]
            ).fetchall()
        }

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> int:
        """Run a statement; the number of rows it wrote."""
        bound = {**(params or {}), **(self.pads if "$ipad" in sql else {})}
        rows = self.con.execute(sql, bound or None).fetchall()
        return int(rows[0][0]) if rows and rows[0] and isinstance(rows[0][0], int) else 0

    def counts(self, tables: list[str]) -> dict[str, tuple[int, int]]:
        """Rows per table in the live warehouse (after its filter) and in the copy (one query)."""
        if not tables:
            return {}
        parts = []
        for table in tables:
            rows = TABLES[table].rows
            where = f" WHERE {rows}" if rows else ""
            parts.append(
                f"SELECT '{table}', (SELECT count(*) FROM main.{table}{where}), "
                f"(SELECT count(*) FROM {DB}.{table})"
            )
        found = self.con.sql(" UNION ALL ".join(parts)).fetchall()
        return {str(t): (int(live), int(copy)) for t, live, copy in found}

    def fingerprints(self, tables: dict[str, _Projection]) -> dict[str, dict[str, str]]:
        """The keyed fingerprint of every live partition of these ``Parts`` tables (one query)."""
        if not tables:
            return {}
        parts = []
        for table, proj in tables.items():
            spec = TABLES[table]
            assert isinstance(spec.refresh, Parts)
            cols = ", ".join(f'"{c}"' for c in proj.sources)
            where = f" WHERE {spec.rows}" if spec.rows else ""
            parts.append(
                f"SELECT '{table}' AS t, CAST({spec.refresh.expr} AS VARCHAR) AS part, count(*) AS n, "
                f"CAST(sum(hash({cols})) AS VARCHAR) AS fp FROM main.{table}{where} GROUP BY ALL"
            )
        found: dict[str, dict[str, str]] = {t: {} for t in tables}
        for table, part, n, fp in self.con.sql(" UNION ALL ".join(parts)).fetchall():
            found[table][str(part)] = _tag(self.key, table, part, n, fp)
        return found

    def max_stamp(self, table: str, stamp: str, since: str) -> str:
        found = self.con.sql(
            f"SELECT CAST(max({stamp}) AS VARCHAR) FROM main.{table} "
            f"WHERE {stamp} > CAST($since AS TIMESTAMPTZ)",
            params={"since": since},
        ).fetchall()[0][0]
        return str(found) if found is not None else since

    # --- the ways a table is refreshed

    def rebuild(self, table: str, proj: _Projection, prints: dict[str, str] | None) -> None:
        spec = TABLES[table]
        self.con.execute(f"DROP TABLE IF EXISTS {DB}.{table}")
        self.rows[table] = self.execute(
            f"CREATE TABLE {DB}.{table} AS {_select(table, proj, spec, None)}"
        )
        state = {"#spec": proj.spec, "#full": datetime.now(UTC).isoformat()}
        if isinstance(spec.refresh, Parts):
            state.update(prints if prints is not None else self.fingerprints({table: proj})[table])
        elif isinstance(spec.refresh, Stamped):
            state["#stamp"] = self.max_stamp(table, spec.refresh.stamp, "-infinity")
        self.new_state[table] = state
        self.rebuilt.append(table)
        if table in ("cases", "day_draws"):
            self.days_unknown = True

    def parts(self, table: str, proj: _Projection, new: dict[str, str]) -> None:
        spec = TABLES[table]
        assert isinstance(spec.refresh, Parts)
        old = self.state.get(table, {})
        stored = {p: t for p, t in old.items() if not p.startswith("#")}
        changed = sorted(p for p in set(new) | set(stored) if new.get(p) != stored.get(p))
        if not changed:
            self.rows[table] = 0
            return
        where, params = _parts_filter(spec.refresh, changed)
        self.execute(f"DELETE FROM {DB}.{table} WHERE {where}", params)
        self.rows[table] = self.execute(
            f"INSERT INTO {DB}.{table} BY NAME {_select(table, proj, spec, where)}", params
        )
        if table == "day_draws":
            self.changed_days |= {date.fromisoformat(p) for p in changed if p[:1].isdigit()}
        self.new_state[table] = {"#spec": proj.spec, "#full": old.get("#full", ""), **new}

    def pending(self, tables: list[str]) -> dict[str, int]:
        """Per ``Stamped`` table: rows stamped after the copy's watermark, and rows changed in
        place since (``<table>#restamped``); one query, so an idle publish costs little."""
        parts, params = [], {}
        for k, table in enumerate(tables):
            refresh = TABLES[table].refresh
            assert isinstance(refresh, Stamped)
            since = f"$since{k}"
            params[f"since{k}"] = self.state.get(table, {}).get("#stamp") or "-infinity"
            parts.append(
                f"SELECT '{table}', count(*) FROM main.{table} "
                f"WHERE {refresh.stamp} > CAST({since} AS TIMESTAMPTZ)"
            )
            if refresh.restamped:
                restamped = refresh.restamped.replace("$since", f"CAST({since} AS TIMESTAMPTZ)")
                parts.append(f"SELECT '{table}#restamped', count(*) FROM ({restamped})")
        if not parts:
            return {}
        rows = self.con.sql(" UNION ALL ".join(parts), params=params).fetchall()
        return {str(t): int(n) for t, n in rows}

    def stamped(self, table: str, proj: _Projection, pending: dict[str, int]) -> None:
        spec = TABLES[table]
        refresh = spec.refresh
        assert isinstance(refresh, Stamped)
        self.rows[table] = 0
        if not pending.get(table) and not pending.get(f"{table}#restamped"):
            return
        old = self.state.get(table, {})
        since = old.get("#stamp") or "-infinity"
        params = {"since": since}
        where = f"{refresh.stamp} > CAST($since AS TIMESTAMPTZ)"
        if refresh.restamped and pending.get(f"{table}#restamped"):
            (key,) = refresh.key  # one key column
            published = masked_text_sql(f'r."{key}"') if key in proj.text else f'r."{key}"'
            self.execute(
                f'DELETE FROM {DB}.{table} WHERE "{key}" IN '
                f"(SELECT {published} FROM ({refresh.restamped}) r)",
                params,
            )
        if table == "cases":  # a (re)loaded case may change its drawn day's ineligible rows
            days = self.con.sql(
                f"SELECT DISTINCT service_date FROM main.cases WHERE {where} UNION "
                "SELECT old_service_date FROM main.case_corrections "
                "WHERE applied AND recorded_at > CAST($since AS TIMESTAMPTZ)",
                params=params,
            ).fetchall()
            self.changed_days |= {d for (d,) in days if d is not None}
        self.rows[table] = self.execute(
            f"INSERT INTO {DB}.{table} BY NAME {_select(table, proj, spec, where)}", params
        )
        stamp = self.max_stamp(table, refresh.stamp, since)
        self.new_state[table] = {"#spec": proj.spec, "#full": old.get("#full", ""), "#stamp": stamp}

    def by_draw(self, table: str, proj: _Projection) -> None:
        spec = TABLES[table]
        refresh = spec.refresh
        assert isinstance(refresh, ByDraw)
        self.rows[table] = 0
        if not self.changed_days:
            return
        days = sorted(self.changed_days)
        where = f"{refresh.day} BETWEEN $first AND $last AND {refresh.day} IN (SELECT unnest($days))"
        params = {"first": days[0], "last": days[-1], "days": days}
        self.execute(f"DELETE FROM {DB}.{table} WHERE {where}", params)
        self.rows[table] = self.execute(
            f"INSERT INTO {DB}.{table} BY NAME {_select(table, proj, spec, where)}", params
        )

    # --- the whole copy

    def apply(self) -> None:
        if STATE not in self.copied:
            self.con.execute(
                f"CREATE TABLE {DB}.{STATE} "
                "(table_name VARCHAR NOT NULL, part VARCHAR NOT NULL, value VARCHAR)"
            )
        if self.full:
            for table in self.copied - {STATE}:
                self.con.execute(f"DROP TABLE {DB}.{table}")
            self.copied = {STATE}
        projections = {
            t: _projection(t, TABLES[t], self.live[t]) for t in TABLES if t in self.live
        }
        fresh: list[str] = []  # rebuilt from scratch
        for table, proj in projections.items():
            old = self.state.get(table, {})
            if (
                table not in self.copied
                or old.get("#spec") != proj.spec
                or self.requests.get(table, "") > old.get("#full", "")
            ):
                fresh.append(table)
        prints = self.fingerprints(
            {t: p for t, p in projections.items() if isinstance(TABLES[t].refresh, Parts)}
        )
        pending = self.pending(
            [t for t in projections if isinstance(TABLES[t].refresh, Stamped) and t not in fresh]
        )
        # the draw tables last: they follow what changed in day_draws and cases
        order = sorted(projections, key=lambda t: isinstance(TABLES[t].refresh, ByDraw))
        for table in order:
            proj, refresh = projections[table], TABLES[table].refresh
            if table in fresh or (isinstance(refresh, ByDraw) and self.days_unknown):
                self.rebuild(table, proj, prints.get(table))
            elif isinstance(refresh, Parts):
                self.parts(table, proj, prints[table])
            elif isinstance(refresh, Stamped):
                self.stamped(table, proj, pending)
            else:
                self.by_draw(table, proj)
        self._repair(projections)
        for table in (self.copied - {STATE}) - set(projections):
            self.con.execute(f"DROP TABLE {DB}.{table}")  # no longer allowed, or gone
        self.new_state = {t: s for t, s in self.new_state.items() if t in projections}
        described = "\n".join(comments.comment_statements(DB))
        described += "\n".join(repr(r) for r in comments.TABLES.values())
        views = hashlib.sha256(
            ("\n".join(f"{n}:{b}" for n, b in VIEWS.items()) + described).encode()
        ).hexdigest()
        recreated = self.state.get("_views", {}).get("#spec") != views
        if recreated:
            for statement in create_views_sql(DB):
                self.con.execute(statement)
            self.new_state["_views"] = {"#spec": views}
        if recreated or self.rebuilt or self.repaired:
            # CREATE TABLE AS and CREATE OR REPLACE VIEW drop comments: say again what
            # every view, table and column means (~0.2 s inside this transaction)
            comments.apply_comments(self.con, DB)
        self._save_state([t for t in self.state if t not in projections and t != "_views"])

    def _repair(self, projections: dict[str, _Projection]) -> None:
        """Rebuild a table whose row count differs from the live one (an unstamped change)."""
        checked = [t for t in projections if t not in self.rebuilt]
        counts = self.counts(checked)
        for table in checked:
            if counts[table][0] != counts[table][1]:
                self.rebuild(table, projections[table], None)
                self.rebuilt.remove(table)
                self.repaired.append(table)
        if self.days_unknown:  # cases or day_draws were repaired: the draw tables follow
            for table in checked:
                if isinstance(TABLES[table].refresh, ByDraw) and table not in self.repaired:
                    self.rebuild(table, projections[table], None)
                    self.rebuilt.remove(table)
                    self.repaired.append(table)

    def _save_state(self, gone: list[str]) -> None:
        replaced = [*self.new_state, *gone]
        if not replaced:
            return
        self.execute(
            f"DELETE FROM {DB}.{STATE} WHERE table_name IN (SELECT unnest($t))", {"t": replaced}
        )
        rows = [(t, p, v) for t, parts in self.new_state.items() for p, v in parts.items()]
        if rows:
            self.execute(
                f"INSERT INTO {DB}.{STATE} SELECT unnest($t), unnest($p), unnest($v)",
                {"t": [r[0] for r in rows], "p": [r[1] for r in rows], "v": [r[2] for r in rows]},
            )


def _apply(con: duckdb.DuckDBPyConnection, key: str, full: bool) -> _Run:
    """Bring the attached copy ``_pub`` up to date with the live warehouse (one transaction)."""
    con.execute("BEGIN TRANSACTION")
    try:
        run = _Run(con, key, full)
        run.apply()
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return run


# --- the files ----------------------------------------------------------------------------


def _file(target: Path, name: str) -> Path:
    return target.with_name(f"{target.stem}.{name}{target.suffix}")


def current_file(target: Path) -> Path | None:
    """The file the staff name points at now (None before the first publish of this layout)."""
    if not target.is_symlink():
        return None
    pointed = target.parent / os.readlink(target)
    return pointed if pointed.exists() else None


def _attach(con: duckdb.DuckDBPyConnection, path: Path) -> bool:
    """Open a published file for writing; False when a reader holds it or it is not readable."""
    try:
        con.execute(f"ATTACH '{_quoted(path)}' AS {DB}")
        con.sql(f"SELECT count(*) FROM duckdb_tables() WHERE database_name = '{DB}'").fetchall()
    except duckdb.Error:
        with contextlib.suppress(duckdb.Error):
            con.execute(f"DETACH {DB}")
        return False
    return True


@contextlib.contextmanager
def _attached(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """The attached copy, checkpointed (no journal left beside it) and detached."""
    try:
        yield
        con.execute(f"CHECKPOINT {DB}")
    finally:
        con.execute(f"DETACH {DB}")


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def _swap(target: Path, chosen: Path) -> None:
    link = target.with_name(f".{target.name}.{os.getpid()}.link")
    link.unlink(missing_ok=True)
    link.symlink_to(chosen.name)
    os.replace(link, target)


def _discard(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.with_name(path.name + ".wal").unlink(missing_ok=True)


def publish(
    con: duckdb.DuckDBPyConnection, target: Path, hash_key: str, *, full: bool = False
) -> PublishReport:
    """Bring the staff copy up to date and point ``target`` at it (see the module docstring)."""
    started = time.perf_counter()
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f".{target.stem}.*"):  # left by a publish that was killed
        stale.unlink(missing_ok=True)  # (publishes never overlap: each holds the live warehouse)
    current = current_file(target)
    spare = _file(target, FILES[1] if current is not None and current.name == _file(target, FILES[0]).name else FILES[0])
    mode = "full" if full or current is None else "incremental"
    run: _Run | None = None
    if mode == "incremental" and spare.exists() and _attach(con, spare):
        with _attached(con):
            run = _apply(con, hash_key, full=False)
    if run is None:
        tmp = target.with_name(f".{target.stem}.{os.getpid()}.tmp{target.suffix}")
        _discard(tmp)
        if mode == "incremental":
            assert current is not None
            shutil.copyfile(current, tmp)
            mode = "copied"
        try:
            if not _attach(con, tmp) and mode == "copied":  # the current file is damaged too
                _discard(tmp)
                mode = "full"
                con.execute(f"ATTACH '{_quoted(tmp)}' AS {DB}")
            with _attached(con):
                run = _apply(con, hash_key, full=mode == "full")
        except BaseException:
            _discard(tmp)
            raise
        _discard(spare)  # with any journal a crash left beside it
        os.replace(tmp, spare)
    _swap(target, spare)
    return PublishReport(
        target,
        mode,
        time.perf_counter() - started,
        run.rows,
        run.rebuilt,
        run.repaired,
    )


def request_full(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Ask the next publishes to rebuild ``table`` in both files (after changing rows in place
    without stamping them)."""
    con.execute(
        "INSERT OR REPLACE INTO config VALUES (?, ?)",
        [FULL_REQUEST + table, datetime.now(UTC).isoformat()],
    )

