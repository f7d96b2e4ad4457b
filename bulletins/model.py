"""What a monthly bulletin is made of: plain frozen data, built by the caller.

The unit frames follow the contract view ``v_unit_month`` (../shared/CONTRACT.md)
plus the funnel columns; column names come from :mod:`minyi.columns`. The few
names not (yet) there are defined below and should move to ``minyi.columns``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import polars as pl

from minyi import columns as c

# --- names not yet in minyi.columns (TODO: move there) ---------------------
FUNNEL_LOW: Final = "funnel_low"  # the unit's lower funnel limit at its n_eff
FUNNEL_HIGH: Final = "funnel_high"  # the unit's upper funnel limit at its n_eff
TARGET: Final = "target"  # the peer group's rate, centre of the funnel
TAU2: Final = "tau2"  # additive overdispersion on the arcsine scale (0 = none)
PHI: Final = "phi"  # overdispersion ratio of the peer group
Z: Final = "z"  # the funnel's outer limit, in standard normal units (3.09 = 99.8%)
UNITS: Final = "units"  # number of reportable units in the peer group

UNIT_COLUMNS: Final = (
    c.MONTH,
    c.UNIT_ID,
    c.UNIT_NAME,
    c.PEER_GROUP,
    c.SAMPLED,
    c.RESPONDED,
    c.RESPONSE_RATE,
    c.SATISFACTION_RATE,
    c.SE,
    c.CI_LOW,
    c.CI_HIGH,
    c.REPORTABLE,
    c.RANK,
    c.RANK_LOW,
    c.RANK_HIGH,
    c.FLAG,
    c.N_EFF,
    FUNNEL_LOW,
    FUNNEL_HIGH,
)
"""Columns of ``BulletinData.units`` (and ``previous``), in the order of units.csv."""

FUNNEL_COLUMNS: Final = (c.PEER_GROUP, TARGET, TAU2, PHI, Z, UNITS)
CHANNEL_MIX_COLUMNS: Final = (c.UNIT_ID, c.CHANNEL, c.RESPONDED)

ESTIMATE_COLUMNS: Final = (
    c.SATISFACTION_RATE,
    c.SE,
    c.CI_LOW,
    c.CI_HIGH,
    c.RANK,
    c.RANK_LOW,
    c.RANK_HIGH,
    c.FLAG,
    c.N_EFF,
    FUNNEL_LOW,
    FUNNEL_HIGH,
)
"""Columns that are withheld (null) for units that are not reportable."""


@dataclass(frozen=True)
class ChannelFieldwork:
    """One contact channel's month: cases contacted and respondents."""

    channel: str
    contacted: int
    responded: int
    response_rate: float | None


@dataclass(frozen=True)
class Fieldwork:
    """The month's fieldwork: completed cases down to respondents (AAPOR RR1)."""

    cases: int
    eligible: int
    sampled: int
    responded: int
    response_rate: float | None
    channels: tuple[ChannelFieldwork, ...]


@dataclass(frozen=True)
class DistrictFigure:
    """The district-wide satisfaction rate and its 95% interval."""

    rate: float | None
    ci_low: float | None
    ci_high: float | None
    responded: int


@dataclass(frozen=True)
class IntegritySummary:
    """Integrity signals of the month, as counts only (never who reported)."""

    reports: int  # reports of 吃拿卡要 (asking for favours or fees)
    units_with_reports: int
    dissatisfied_followups: int  # dissatisfied answers turned into follow-up cases


@dataclass(frozen=True)
class BulletinData:
    """Everything a bulletin shows. ``month`` is ``YYYY-MM``.

    ``district_name`` is the full name including 区 (e.g. ``东湖区``).
    ``previous`` is last month's units frame, or None.
    """

    month: str
    district_name: str
    fieldwork: Fieldwork
    district: DistrictFigure
    units: pl.DataFrame
    funnel: pl.DataFrame
    channel_mix: pl.DataFrame
    previous: pl.DataFrame | None
    integrity: IntegritySummary
    validation_ok: bool
    data_docs_path: str | None
    generated_at: str
