"""Phone numbers to E.164 (CONTRACT.md "Input files").

Mainland mobiles — 11 digits ``1[3-9]…`` with or without ``+86``/``0086``/``86``,
spaces, hyphens, dots, brackets or full-width digits — are valid and become
``+861XXXXXXXXXX``. Anything else is kept on the case with a status saying why
it is not contactable: ``foreign``, ``landline`` (a valid Chinese fixed line, per the
``phonenumbers`` library), ``blank`` or ``invalid``.
"""

from __future__ import annotations

import re
from typing import Final

import phonenumbers
import polars as pl

MOBILE: Final = "mobile"
LANDLINE: Final = "landline"
BLANK: Final = "blank"
INVALID: Final = "invalid"
FOREIGN: Final = "foreign"

_FULLWIDTH_FROM: Final = list("０１２３４５６７８９＋（）－　")
_FULLWIDTH_TO: Final = list("0123456789+()- ")
_MOBILE_RE: Final = r"^(?:\+86|0086|86)?(1[3-9][0-9]{9})$"
_STRIP_RE: Final = r"[\s\-\.\(\)\u00a0\u3000]"


def _classify_other(cleaned: str) -> str:
    """Status of a non-mobile, non-blank number, with the phonenumbers library."""
    try:
        parsed = phonenumbers.parse(cleaned, "CN")
    except phonenumbers.NumberParseException:
        return INVALID
    if not phonenumbers.is_valid_number(parsed):
        return INVALID
    if parsed.country_code != 86:
        return FOREIGN
    kind = phonenumbers.number_type(parsed)
    return LANDLINE if kind == phonenumbers.PhoneNumberType.FIXED_LINE else INVALID


def normalise(phones: pl.Series) -> pl.DataFrame:
    """``phone_e164`` (null unless a valid mainland mobile) and ``phone_status`` per input."""
    cleaned = (
        phones.cast(pl.String)
        .str.replace_many(_FULLWIDTH_FROM, _FULLWIDTH_TO)
        .str.replace_all(_STRIP_RE, "")
    )
    frame = pl.DataFrame({"cleaned": cleaned})
    frame = frame.with_columns(
        mobile=pl.col("cleaned").str.extract(_MOBILE_RE, 1),
    )
    frame = frame.with_columns(
        phone_e164=pl.when(pl.col("mobile").is_not_null())
        .then(pl.lit("+86") + pl.col("mobile"))
        .otherwise(None),
        phone_status=pl.when(pl.col("cleaned").is_null() | (pl.col("cleaned") == ""))
        .then(pl.lit(BLANK))
        .when(pl.col("mobile").is_not_null())
        .then(pl.lit(MOBILE))
        .otherwise(None),
    )
    unknown = frame["phone_status"].is_null()
    if unknown.any():
        others = frame.filter(unknown)["cleaned"].map_elements(
            _classify_other, return_dtype=pl.String
        )
        status = frame["phone_status"].to_list()
        it = iter(others.to_list())
        status = [next(it) if s is None else s for s in status]
        frame = frame.with_columns(phone_status=pl.Series(status, dtype=pl.String))
    return frame.select("phone_e164", "phone_status")


def mask(e164: str | None) -> str | None:
    """``138****5678`` for display; None stays None."""
    if not e164:
        return None
    digits = e164.removeprefix("+86")
    return f"{digits[:3]}****{digits[-4:]}"


_MOBILE_IN_TEXT: Final = re.compile(r"(?<![0-9])(?:\+?86[\s-]?|0086[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?![0-9])")


def mask_text(text: str | None) -> str | None:
    """``text`` with every mainland mobile number in it masked (``138****5678``)."""
    if not text:
        return text
    return _MOBILE_IN_TEXT.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
