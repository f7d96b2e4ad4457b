"""Masking mainland mobile numbers in text (``138****5678``) before it is kept or shown.

Provider error texts, notifications and log lines may quote a number; they pass
through :func:`mask_phones` first. Pure text work, so every package can use it.
"""

from __future__ import annotations

import re
from typing import Final

_FULLWIDTH = str.maketrans("０１２３４５６７８９＋", "0123456789+")
_MOBILE: Final = re.compile(
    r"(?<![0-9])(?:\+?86[\s-]?|0086[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?![0-9])"
)


def mask_phones(text: str) -> str:
    """``text`` with every mainland mobile number in it masked."""
    return _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text.translate(_FULLWIDTH))


def mask_phone(e164: str) -> str:
    """One number for display: ``+8613812345678`` → ``138****5678``."""
    digits = e164.removeprefix("+86")
    return f"{digits[:3]}****{digits[-4:]}" if len(digits) >= 7 else "****"
