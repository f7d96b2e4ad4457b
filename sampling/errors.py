"""Errors raised by the sampling design (METHODS.md, "Strata and allocation", "Selection").

Every error here is *terminal*: the sampling functions are pure and deterministic,
so retrying with the same inputs gives the same failure. Callers fix the inputs
(or the settings) instead. Each error carries structured fields and builds its
own message from them.

    SamplingError
    ├── InvalidParameterError        a scalar argument (total, minimum, seed, key) is out of range
    ├── FrameError                   an input frame breaks its contract
    │   ├── MissingColumnsError
    │   ├── InvalidValuesError       nulls, negatives, wrong dtype, duplicate strata
    │   ├── DuplicateCaseIdsError
    │   ├── PopulationMismatchError  frame counts differ from the allocation's N_h
    │   └── JudgementInputError      an input of the judgement (sampling.judgement)
    └── AllocationError              the allocation rule cannot be applied
        ├── MinimumExceedsTotalError Σ min(m, N_h) > n
        ├── StratumSdError           Neyman without usable S_h
        └── TotalUnreachableError    Neyman: every stratum with S_h > 0 is take-all, n not reached
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from minyi.errors import Terminal


def _preview(values: Sequence[Any], limit: int = 5) -> str:
    shown = ", ".join(repr(v) for v in values[:limit])
    more = len(values) - limit
    return f"{shown}, … (+{more} more)" if more > 0 else shown


class SamplingError(Terminal):
    """Base of every sampling-design error (all terminal: do not retry)."""


class InvalidParameterError(SamplingError):
    """A scalar argument is outside its allowed range."""

    def __init__(self, name: str, value: object, requirement: str) -> None:
        self.name = name
        self.value = value
        self.requirement = requirement
        super().__init__(f"{name}={value!r} is invalid: {requirement}")


class FrameError(SamplingError):
    """An input frame (sampling frame, strata or allocation) breaks its contract."""


class MissingColumnsError(FrameError):
    """Required columns are absent."""

    def __init__(self, frame: str, missing: Sequence[str]) -> None:
        self.frame = frame
        self.missing = tuple(missing)
        super().__init__(f"{frame} frame lacks required column(s): {', '.join(self.missing)}")


class InvalidValuesError(FrameError):
    """A column holds values the method cannot use."""

    def __init__(self, frame: str, column: str, problem: str, examples: Sequence[Any] = ()) -> None:
        self.frame = frame
        self.column = column
        self.problem = problem
        self.examples = tuple(examples)
        suffix = f" (e.g. {_preview(self.examples)})" if self.examples else ""
        super().__init__(f"{frame} frame, column {column!r}: {problem}{suffix}")


class DuplicateCaseIdsError(FrameError):
    """A case appears more than once in the sampling frame."""

    def __init__(self, count: int, examples: Sequence[str]) -> None:
        self.count = count
        self.examples = tuple(examples)
        super().__init__(
            f"sampling frame has {count} duplicated case_id value(s): {_preview(self.examples)}"
        )


class PopulationMismatchError(FrameError):
    """The frame's eligible count in a stratum differs from the allocation's N_h."""

    def __init__(self, mismatches: Sequence[tuple[str, int, int]]) -> None:
        self.mismatches = tuple(mismatches)
        detail = _preview(
            [f"{s}: frame has {f}, allocation N_h={n}" for s, f, n in self.mismatches]
        )
        super().__init__(
            f"{len(self.mismatches)} stratum/strata differ between frame and allocation "
            f"({detail}); allocate from the same eligible frame you select from"
        )


class AllocationError(SamplingError):
    """The allocation rule of METHODS.md cannot be applied to these inputs."""


class MinimumExceedsTotalError(AllocationError):
    """Σ_h min(m, N_h) > n: the per-stratum minimum cannot be honoured within the total."""

    def __init__(self, total: int, minimum: int, required: int, feasible_minimum: int) -> None:
        self.total = total
        self.minimum = minimum
        self.required = required
        self.feasible_minimum = feasible_minimum
        super().__init__(
            f"minimum={minimum} per stratum needs {required} cases but total={total}; "
            f"raise total to at least {required} or lower minimum to {feasible_minimum}"
        )


class StratumSdError(AllocationError):
    """Neyman allocation without usable stratum standard deviations S_h."""

    def __init__(self, problem: str, strata: Sequence[str] = ()) -> None:
        self.problem = problem
        self.strata = tuple(strata)
        suffix = f" (strata: {_preview(self.strata)})" if self.strata else ""
        super().__init__(f"neyman allocation needs stratum_sd: {problem}{suffix}")


class TotalUnreachableError(AllocationError):
    """Neyman: all strata with S_h > 0 are taken whole and the rest hold only their minimum."""

    def __init__(self, total: int, reachable: int, zero_sd_strata: Sequence[str]) -> None:
        self.total = total
        self.reachable = reachable
        self.zero_sd_strata = tuple(zero_sd_strata)
        super().__init__(
            f"neyman allocation reaches at most {reachable} < total={total}: strata with "
            f"stratum_sd = 0 ({_preview(self.zero_sd_strata)}) get only the minimum; "
            "give them a positive stratum_sd or use another method"
        )


class JudgementInputError(FrameError):
    """An input of the judgement (METHODS.md "Judging performance") breaks its contract.

    Terminal like every sampling error.  The message is bilingual (Chinese first)
    because it reaches the staff who prepare the month: ``frame`` and ``column``
    name the offending input, ``problem`` says what is wrong.
    """

    def __init__(self, frame: str, column: str, problem: str) -> None:
        self.frame = frame
        self.column = column
        self.problem = problem
        super().__init__(
            f"无法评判：输入 {frame} 的列 {column!r} 不符合要求（{problem}）/ "
            f"cannot judge: {frame} frame, column {column!r}: {problem}"
        )

    @classmethod
    def require(cls, frame: Any, name: str, columns: Sequence[str]) -> None:
        """Raise unless the (polars) ``frame`` has every column, without nulls."""
        for column in columns:
            if column not in frame.columns:
                raise cls(name, column, "缺少该列 / missing")
            if frame[column].null_count():
                raise cls(name, column, "有空值 / has nulls")
