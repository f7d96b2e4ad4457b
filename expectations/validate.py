"""Running a suite with Great Expectations on a frame.

GX 1.x validates pandas frames reliably (not DuckDB through SQLAlchemy, not
polars), so frames are handed over as pandas. GX is imported on first use.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import cache
from typing import Any

import polars as pl

from expectations.suites import Spec, suite_specs


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


@cache
def _context() -> Any:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def validate(frame: pl.DataFrame, suite: str, **context: Any) -> Outcome:
    """Validate ``frame`` against suite ``suite``; never raises on failed expectations."""
    import great_expectations as gx

    specs = suite_specs(suite, **context)
    gx_context = _context()
    name = f"{suite}-{id(frame)}"
    source = gx_context.data_sources.add_or_update_pandas(name)
    asset = source.add_dataframe_asset(name)
    batch_def = asset.add_batch_definition_whole_dataframe(name)
    gx_suite = gx.ExpectationSuite(name=name)
    by_id: dict[int, Spec] = {}
    for spec in specs:
        expectation = getattr(gx.expectations, spec.expectation)(**spec.kwargs)
        gx_suite.add_expectation(expectation)
        by_id[id(expectation)] = spec
    pdf = frame.to_pandas()
    batch = batch_def.get_batch(batch_parameters={"dataframe": pdf})
    result = batch.validate(gx_suite, result_format="COMPLETE")
    failures = []
    for spec, res in zip(specs, result.results, strict=True):
        if res.success:
            continue
        details = res.result or {}
        failures.append(
            Failure(
                expectation=spec.expectation,
                column=spec.kwargs.get("column") or spec.kwargs.get("column_A"),
                blocking=spec.blocking,
                unexpected_count=int(details.get("unexpected_count") or 0),
                unexpected_rows=tuple(int(i) for i in details.get("unexpected_index_list") or ()),
            )
        )
    gx_context.data_sources.delete(name)
    return Outcome(suite=suite, evaluated=len(specs), rows=frame.height, failures=tuple(failures))
