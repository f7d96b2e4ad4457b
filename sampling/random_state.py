"""Randomness for the sample design: permanent random numbers and child generators.

METHODS.md, "Selection": each eligible case gets a permanent random number (PRN)
u_i = SHA-256(seed ‖ case_id) read as a fraction in [0, 1); a stratum's sample is
its n_h smallest u_i (Ohlsson 1995, "Coordination of samples using permanent
random numbers"). No global random state is ever read or written.

PRN byte layout (reproducible in R, SQL or by hand)::

    message = UTF-8 bytes of  str(seed) + ":" + case_id
              (seed in plain decimal, no sign, no leading zeros; e.g. "20240501:C-0001")
    digest  = SHA-256(message)                      32 bytes
    h64     = digest[0:8] read as a big-endian unsigned 64-bit integer
    u       = floor(h64 / 2**11) / 2**53            (the top 53 bits of h64)

equivalently, with the hex digest ``x``: u = (int(x[0:13], 16) * 2 + (int(x[13], 16) >> 3)) / 2**53.
Because u is a 53-bit integer over 2**53 it is exactly representable as an
IEEE-754 double, so every implementation gets bit-identical values in
[0, 1 − 2**-53].
"""

from __future__ import annotations

import hashlib

import numpy as np
import polars as pl

from minyi.columns import PRN
from sampling.errors import InvalidParameterError, InvalidValuesError

_MAX_SEED = 2**63 - 1  # the seed is stored as Int64 with the sample
_SHIFT = 11  # 64 - 53 bits dropped from h64
_SCALE = 2.0**-53
_CHUNK = 65_536  # case ids hashed per batch in prn()


def _check_key(key: int | str) -> None:
    """An integer seed, or a non-empty text key without ':' (it separates the key)."""
    if isinstance(key, str):
        if not key or ":" in key:
            raise InvalidParameterError("key", key, "a non-empty text without ':'")
        return
    _check_seed(key)


def _check_seed(seed: int) -> int:
    """Return ``seed`` if it is a plain int in [0, 2**63 − 1], else raise InvalidParameterError."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= _MAX_SEED:
        raise InvalidParameterError("seed", seed, "an int in [0, 2**63 - 1]")
    return seed


def prn(seed: int | str, case_ids: pl.Series) -> pl.Series:
    """Permanent random numbers u_i = SHA-256(key ‖ case_id) as fractions in [0, 1).

    METHODS.md "Selection"; byte layout in the module docstring. The key is the
    day's selection key (a hex text, METHODS.md "Selection key"), or an integer seed
    written in decimal (draws made before selection keys). ``case_ids`` must be
    a String series without nulls. The result is a Float64 series named ``prn``,
    aligned with ``case_ids`` (same length and order).
    """
    _check_key(seed)
    if case_ids.dtype != pl.String:
        raise InvalidValuesError("case_ids", case_ids.name, f"must be String, not {case_ids.dtype}")
    if case_ids.null_count():
        raise InvalidValuesError("case_ids", case_ids.name, "must not contain nulls")
    # Hashed in chunks so the temporary messages and digests stay small on millions of
    # ids; polars builds each chunk's messages (UTF-8, as str.encode) and the loop only
    # hashes. A 32-byte digest is 4 big-endian uint64 words, of which the first is h64.
    h64 = np.empty(case_ids.len(), dtype=np.uint64)
    prefix = f"{seed}:"
    sha256 = hashlib.sha256
    for start in range(0, case_ids.len(), _CHUNK):
        messages = (prefix + case_ids.slice(start, _CHUNK)).cast(pl.Binary).to_list()
        digests = b"".join([sha256(message).digest() for message in messages])
        h64[start : start + len(messages)] = np.frombuffer(digests, dtype=">u8")[::4]
    values = (h64 >> np.uint64(_SHIFT)).astype(np.float64) * _SCALE
    return pl.Series(PRN, values, dtype=pl.Float64)


def _key_word(key: str | int) -> int:
    """128-bit integer from SHA-256 of a typed key ("s:" for str, "i:" for int)."""
    if isinstance(key, bool) or not isinstance(key, str | int):
        raise InvalidParameterError("key", key, "keys must be str or int")
    tag = "s" if isinstance(key, str) else "i"
    return int.from_bytes(hashlib.sha256(f"{tag}:{key}".encode()).digest()[:16], "big")


def generator(seed: int, *keys: str | int) -> np.random.Generator:
    """A child random stream derived deterministically from ``seed`` and ``keys``.

    Uses ``numpy.random.SeedSequence(entropy=seed, spawn_key=(k_1, …, k_j))`` with
    k_i = first 16 bytes (big-endian) of SHA-256("s:" + key) for str keys or
    SHA-256("i:" + decimal) for int keys, so ``"1"`` and ``1`` give different streams,
    and feeds it to a PCG64 bit generator. No keys gives the root stream of the seed.
    Global random state is never touched (STYLE.md, "Logic and I/O").
    """
    _check_seed(seed)
    sequence = np.random.SeedSequence(entropy=seed, spawn_key=tuple(_key_word(k) for k in keys))
    return np.random.Generator(np.random.PCG64(sequence))
