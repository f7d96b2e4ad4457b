"""Phone numbers to E.164 (CONTRACT.md "Input files").

Mainland mobiles — 11 digits ``1[3-9]…`` with or without ``+86``/``0086``/``86``,
spaces, hyphens, dots, brackets or full-width digits — are valid and become
``+861XXXXXXXXXX``. What Excel leaves on a number is taken off first:

==========================  =====================================================
``13812340017.0``           a number cell saved as a float
``="13812340016"``          the formula trick that keeps a number as text
``'13812340015``            the apostrophe that keeps a number as text
``138 1234 0014（本人）``     a remark in brackets, or Chinese words around it
``1.3812340013E10``         scientific notation, recovered only when every digit
                            is written (``1.38123E+10`` has lost four: invalid)
``13812340014/13912345678``  several numbers: the first mobile is used
==========================  =====================================================

Anything else is kept on the case with a status saying why it is not
contactable: ``foreign``, ``landline`` (a valid Chinese fixed line, per the
``phonenumbers`` library), ``blank`` or ``invalid``. All of it runs as polars
expressions; only the distinct non-mobile values go through ``phonenumbers``.
"""

from __future__ import annotations

from typing import Final

import phonenumbers
import polars as pl

MOBILE: Final = "mobile"
LANDLINE: Final = "landline"
BLANK: Final = "blank"
INVALID: Final = "invalid"
FOREIGN: Final = "foreign"
STATUSES: Final = (MOBILE, LANDLINE, BLANK, INVALID, FOREIGN)

_FULLWIDTH_FROM: Final = [
    *"０１２３４５６７８９＋（）－　＝＇．ｅＥ／，；：“”",
    "\u00a0",
    "\u2018",
    "\u2019",
]
_FULLWIDTH_TO: Final = [*'0123456789+()- =\'.eE/,;:""', " ", "'", "'"]
_MOBILE_RE: Final = r"^(?:\+86|0086|86)?(1[3-9][0-9]{9})$"
_PLAIN_RE: Final = r"^1[3-9][0-9]{9}$"
_STRIP_RE: Final = r"[\s\-\.\(\)]"
_SEPARATORS_RE: Final = r"[/,;、|]"
_SCIENTIFIC_RE: Final = r"^([0-9])\.([0-9]+)[eE]\+?([0-9]{1,2})$"

# A mobile-looking run in free text: optional country prefix, 3 + 4 + 4 digits, spaces or
# hyphens allowed, not part of a longer digit run (an id).
_TEXT_MOBILE_RE: Final = (
    r"(^|[^0-9])((?:\+?86|0086)?[ \-]?1[3-9][0-9])[ \-]?[0-9]{4}[ \-]?([0-9]{4})([^0-9]|$)"
)
_TEXT_SCIENTIFIC_RE: Final = r"([0-9]\.[0-9]{2})[0-9]{4,}([eE]\+?[0-9]+)"


def _without_leftovers(frame: pl.DataFrame) -> pl.DataFrame:
    """``text``: the phone cell without Excel's leftovers, separators kept between numbers."""
    frame = frame.with_columns(
        text=pl.col("raw")
        .str.replace_many(_FULLWIDTH_FROM, _FULLWIDTH_TO)
        .str.strip_chars()
        .str.replace(r'^="(.*)"$', "$1")
        .str.replace(r"^=", "")
        .str.replace(r"^['`]+", "")
        .str.replace_all("[或转]", "/")  # 138…或139…: two numbers; 转801: an extension
        .str.replace_all(r"\([^0-9()]*\)", "")  # remarks in brackets: （本人）, (家属)
        .str.replace_all(r"[\p{Han}:]", "")  # words around the number: 手机:…, …本人
        .str.strip_chars()
    )
    frame = frame.with_columns(
        sci=pl.col("text")
        .str.extract_groups(_SCIENTIFIC_RE)
        .struct.rename_fields(["lead", "frac", "exp"])
    ).unnest("sci")
    exp = pl.col("exp").cast(pl.Int64)
    frac = pl.col("frac")
    # exact only when the digits reach the units place and whatever follows is zeros
    exact = (frac.str.len_chars() >= exp) & frac.str.slice(exp).str.contains("^0*$")
    return frame.with_columns(
        text=pl.when(pl.col("lead").is_not_null())
        .then(pl.when(exact).then(pl.col("lead") + frac.str.slice(0, exp)).otherwise(pl.lit("!")))
        .otherwise(pl.col("text").str.replace(r"^(\+?[0-9]+)\.0+$", "$1"))
    ).drop("lead", "frac", "exp")


def normalise(phones: pl.Series) -> pl.DataFrame:
    """``phone_e164`` (null unless a valid mainland mobile) and ``phone_status`` per input."""
    frame = pl.DataFrame({"raw": phones.cast(pl.String)}).with_row_index("_i")
    plain = frame["raw"].str.contains(_PLAIN_RE).fill_null(False)
    if plain.all():  # the usual day: only clean 11-digit mobiles, nothing to repair
        return frame.select(
            (pl.lit("+86") + pl.col("raw")).alias("phone_e164"),
            pl.lit(MOBILE).alias("phone_status"),
        )
    done = frame.filter(plain).select(
        "_i", (pl.lit("+86") + pl.col("raw")).alias("phone_e164"), phone_status=pl.lit(MOBILE)
    )
    rest = _repaired(frame.filter(~plain))
    return pl.concat([done, rest]).sort("_i").select("phone_e164", "phone_status")


def _repaired(frame: pl.DataFrame) -> pl.DataFrame:
    """``_i``, ``phone_e164`` and ``phone_status`` of the cells that are not a plain mobile."""
    frame = _without_leftovers(frame)
    # most cells hold one number: split on separators only where there are some
    frame = frame.with_columns(
        single=pl.col("text").str.replace_all(_STRIP_RE, ""),
        several=pl.col("text").str.contains(_SEPARATORS_RE),
    )
    frame = frame.with_columns(
        parts=pl.when(pl.col("several")).then(
            pl.col("text")
            .str.replace_all(_SEPARATORS_RE, "|")
            .str.split("|")
            .list.eval(pl.element().str.replace_all(_STRIP_RE, ""))
            .list.eval(pl.element().filter(pl.element() != ""))
        )
    )
    frame = frame.with_columns(
        mobile=pl.when(pl.col("several"))
        .then(
            pl.col("parts")
            .list.eval(pl.element().str.extract(_MOBILE_RE, 1))
            .list.drop_nulls()
            .list.first()
        )
        .otherwise(pl.col("single").str.extract(_MOBILE_RE, 1)),
        cleaned=pl.when(pl.col("several"))
        .then(pl.col("parts").list.first())
        .otherwise(pl.col("single").replace("", None)),
    )
    frame = frame.with_columns(
        phone_e164=pl.when(pl.col("mobile").is_not_null())
        .then(pl.lit("+86") + pl.col("mobile"))
        .otherwise(None),
        phone_status=pl.when(pl.col("mobile").is_not_null())
        .then(pl.lit(MOBILE))
        .when(pl.col("cleaned").is_null())
        .then(pl.lit(BLANK))
        .otherwise(None),
    )
    others = frame.filter(pl.col("phone_status").is_null())["cleaned"].unique()
    if others.len():
        statuses = pl.DataFrame(
            {
                "cleaned": others,
                "_other": [_classify_other(value) for value in others.to_list()],
            },
            schema={"cleaned": pl.String, "_other": pl.String},
        )
        frame = frame.join(statuses, on="cleaned", how="left", maintain_order="left").with_columns(
            phone_status=pl.coalesce("phone_status", "_other")
        )
    return frame.select("_i", "phone_e164", "phone_status")


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


def mask(e164: str | None) -> str | None:
    """``138****5678`` for display; None stays None."""
    if not e164:
        return None
    digits = e164.removeprefix("+86")
    return f"{digits[:3]}****{digits[-4:]}"


def mask_in_text(text: pl.Expr) -> pl.Expr:
    """Free text with every mobile-looking digit run masked (``138****5678``).

    For messages that quote a cell: in a row whose columns shifted, the phone
    sits in another field, so any field quoted in a reason may hold one.
    """
    out = text.str.replace_many(_FULLWIDTH_FROM[:10], _FULLWIDTH_TO[:10])
    for _ in range(2):  # adjacent numbers share the boundary character
        out = out.str.replace_all(_TEXT_MOBILE_RE, "${1}${2}****${3}${4}")
    return out.str.replace_all(_TEXT_SCIENTIFIC_RE, "${1}****${2}")


def mask_text(text: str) -> str:
    """``mask_in_text`` for one Python string (error messages)."""
    return str(pl.select(mask_in_text(pl.lit(text, pl.String))).item())
