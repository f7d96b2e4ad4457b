"""Data contracts as Great Expectations suites, built from plain specifications.

A specification is data (expectation class name + keyword arguments), so the
suites can be listed, documented and tested without importing GX, which
takes seconds to import; ``expectations.validate`` builds the GX objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from minyi import columns as C

AAPOR_CODES = ("1.1", "1.2", "2.11", "2.12", "2.20", "2.30", "3.16", "3.19", "4.70")
PHONE_STATUSES = ("mobile", "landline", "blank", "invalid", "foreign")


@dataclass(frozen=True)
class Spec:
    expectation: str  # GX expectation class, e.g. "ExpectColumnValuesToNotBeNull"
    kwargs: dict[str, Any] = field(default_factory=dict)
    blocking: bool = True  # a failure stops the month's bulletin


def suite_specs(name: str, **context: Any) -> list[Spec]:
    """The expectations of suite ``name``; ``context`` gives values such as expected row counts."""
    if name == "cases":
        return [
            Spec("ExpectColumnValuesToNotBeNull", {"column": c})
            for c in (C.CASE_ID, C.UNIT_ID, C.CATEGORY, C.COMPLETED_AT, C.SERVICE_DATE)
        ] + [
            Spec("ExpectColumnValuesToBeUnique", {"column": C.CASE_ID}),
            Spec(
                "ExpectColumnValuesToBeInSet",
                {"column": C.PHONE_STATUS, "value_set": list(PHONE_STATUSES)},
            ),
        ]
    if name == "sample":
        return [
            Spec("ExpectColumnValuesToBeUnique", {"column": C.CASE_ID}),
            Spec("ExpectColumnValuesToNotBeNull", {"column": C.STRATUM}),
            Spec(
                "ExpectColumnValuesToBeBetween",
                {"column": C.INCLUSION_PROB, "min_value": 0, "max_value": 1, "strict_min": True},
            ),
            Spec("ExpectColumnValuesToBeBetween", {"column": C.DESIGN_WEIGHT, "min_value": 1}),
            Spec(
                "ExpectColumnPairValuesAToBeGreaterThanB",
                {"column_A": C.STRATUM_POPULATION, "column_B": C.STRATUM_SAMPLE, "or_equal": True},
            ),
        ]
    if name == "answers":
        return [
            Spec("ExpectColumnValuesToNotBeNull", {"column": C.CASE_ID}),
            Spec(
                "ExpectColumnValuesToBeInSet",
                {
                    "column": "value",
                    "value_set": ["0", "1", "2", "3", "4", "5"],
                    "row_condition": 'item=="satisfaction"',
                    "condition_parser": "pandas",
                },
            ),
            Spec(
                "ExpectColumnPairValuesAToBeGreaterThanB",
                {"column_A": C.ANSWERED_AT, "column_B": "sent_at", "or_equal": True},
            ),
            Spec(
                "ExpectColumnValuesToBeInSet", {"column": C.CHANNEL, "value_set": list(C.CHANNELS)}
            ),
        ]
    if name == "responses":
        return [
            Spec("ExpectColumnValuesToBeUnique", {"column": C.CASE_ID}),
            Spec("ExpectColumnValuesToNotBeNull", {"column": C.FINAL_WEIGHT}),
            Spec("ExpectColumnValuesToBeBetween", {"column": C.FINAL_WEIGHT, "min_value": 1}),
            Spec(
                "ExpectColumnValuesToBeBetween",
                {"column": C.SATISFACTION, "min_value": 1, "max_value": 5},
            ),
        ]
    if name == "dispositions":
        specs = [
            Spec("ExpectColumnValuesToBeUnique", {"column": C.CASE_ID}),
            Spec(
                "ExpectColumnValuesToBeInSet",
                {"column": C.AAPOR_CODE, "value_set": list(AAPOR_CODES)},
            ),
        ]
        if "sampled" in context:
            specs.append(Spec("ExpectTableRowCountToEqual", {"value": int(context["sampled"])}))
        return specs
    raise KeyError(f"no expectation suite named {name!r}")


SUITES = ("cases", "sample", "answers", "responses", "dispositions")
