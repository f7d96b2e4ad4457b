"""Running a suite with Great Expectations on a frame.

GX 1.x validates pandas frames reliably (not DuckDB through SQLAlchemy, not
polars), so frames are handed over as pandas. GX is imported on first use.
"""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl

from expectations.offline import make_offline
from expectations.suites import suite_specs


@dataclass(frozen=True)
class Failure:
    expectation: str
    column: str | None
    blocking: bool
    unexpected_count: int
    unexpected_rows: tuple[int, ...]  # row positions in the validated frame


@dataclass(frozen=True)
class Outcome:
    suite: str
    evaluated: int
    rows: int
    failures: tuple[Failure, ...]

    @property
    def success(self) -> bool:
        return not self.failures

    @property
    def blocking_failed(self) -> bool:
        return any(f.blocking for f in self.failures)

    def describe(self) -> str:
        if self.success:
            return f"{self.suite}: {self.evaluated} expectations met on {self.rows} rows"
        parts = [
            f"{f.expectation}({f.column or ''}) failed on {f.unexpected_count} rows"
            for f in self.failures
        ]
        return f"{self.suite}: " + "; ".join(parts)


def _exception_message(info: Any) -> str | None:
    """GX reports an expectation that could not be computed in exception_info; surface it."""
    if not info:
        return None
    entries = info.values() if isinstance(info, dict) and "raised_exception" not in info else [info]
    for entry in entries:
        entry = entry if isinstance(entry, dict) else getattr(entry, "to_json_dict", lambda: {})()
        if entry.get("raised_exception"):
            return str(entry.get("exception_message", "unknown error")).splitlines()[0][:200]
    return None


@cache
def _context() -> Any:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.WARNING)

    logging.disable(logging.INFO)  # GX announces its temporary docs directory at INFO
    try:
        context = gx.get_context(mode="ephemeral")
    finally:
        logging.disable(logging.NOTSET)
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def validate(
    frame: pl.DataFrame, suite: str, *, docs_run: str | None = None, **context: Any
) -> Outcome:
    """Validate ``frame`` against suite ``suite``; never raises on failed expectations.

    With ``docs_run`` (e.g. ``"2026-10"``) the result is kept for Data Docs
    (see ``build_data_docs``) under that name.
    """
    import great_expectations as gx

    specs = suite_specs(suite, **context)
    gx_context = _context()
    name = f"{suite}-{uuid.uuid4().hex}"  # GX caches metrics per batch name: never reuse one
    source = gx_context.data_sources.add_or_update_pandas(name)
    asset = source.add_dataframe_asset(name)
    batch_def = asset.add_batch_definition_whole_dataframe(name)
    gx_suite = gx.ExpectationSuite(name=name if docs_run is None else f"{suite}-{docs_run}")
    for index, spec in enumerate(specs):
        gx_suite.add_expectation(
            getattr(gx.expectations, spec.expectation)(**spec.kwargs, meta={"spec": index})
        )
    # GX's pandas code reads datetimes through Series.values, which pandas 3 deprecates
    # for tz-aware columns: hand over naive UTC instead (same instants).
    naive = frame.with_columns(
        pl.col(name).dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None
    )
    pdf = naive.to_pandas()
    if docs_run is None:
        batch = batch_def.get_batch(batch_parameters={"dataframe": pdf})
        result = batch.validate(gx_suite, result_format="COMPLETE")
    else:  # through a stored suite and validation definition, so Data Docs can render it
        stored = gx_context.suites.add_or_update(gx_suite)
        definition = gx_context.validation_definitions.add_or_update(
            gx.ValidationDefinition(data=batch_def, suite=stored, name=f"{suite}-{docs_run}")
        )
        result = definition.run(batch_parameters={"dataframe": pdf}, result_format="COMPLETE")
    failures = []
    for res in result.results:
        if res.success:
            continue
        spec = specs[int(res.expectation_config.meta["spec"])]
        details = res.result or {}
        error = _exception_message(res.exception_info)
        failures.append(
            Failure(
                expectation=spec.expectation
                if error is None
                else f"{spec.expectation} [error: {error}]",
                column=spec.kwargs.get("column") or spec.kwargs.get("column_A"),
                blocking=spec.blocking,
                unexpected_count=int(details.get("unexpected_count") or 0),
                unexpected_rows=tuple(int(i) for i in details.get("unexpected_index_list") or ()),
            )
        )
    if docs_run is None:
        gx_context.data_sources.delete(name)
    return Outcome(suite=suite, evaluated=len(specs), rows=frame.height, failures=tuple(failures))


def build_data_docs(directory: Path) -> Path:
    """Render Great Expectations Data Docs of the results kept in this process into ``directory``.

    The pages load nothing from the network (:func:`expectations.offline.make_offline`).
    """
    context = _context()
    site = f"minyi-{abs(hash(str(directory.resolve())))}"
    if site not in (context.get_site_names() or []):
        context.add_data_docs_site(
            site,
            {
                "class_name": "SiteBuilder",
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(directory.resolve()),
                },
            },
        )
    context.build_data_docs(site_names=[site])
    make_offline(directory)  # no CDN: the docs must open on a 政务内网
    return directory / "index.html"
