"""Read back the text a PDF shows, through each font's ToUnicode map (for the tests).

Enough of PDF for what fpdf2 writes: numbered objects, Flate streams, Type0
fonts with a ToUnicode CMap, ``/Fn size Tf`` selecting a font and ``(...) Tj``
showing two-byte glyph codes.
"""

from __future__ import annotations

import re
import zlib

_OBJ = re.compile(rb"(\d+) 0 obj(.*?)endobj", re.S)
_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
_ESCAPES = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b", ord("f"): b"\f"}


def _stream(body: bytes) -> bytes | None:
    m = _STREAM.search(body)
    if m is None:
        return None
    try:
        return zlib.decompress(m.group(1))
    except zlib.error:
        return m.group(1)


def _cmap(s: bytes) -> dict[int, str]:
    cmap: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", s, re.S):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            cmap[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", s, re.S):
        for lo, hi, dst in re.findall(
            rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block
        ):
            start = int(dst, 16)
            for k, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                cmap[code] = chr(start + k)
    return cmap


def _literal(content: bytes, i: int) -> tuple[bytes, int]:
    """The literal string opening at ``content[i] == '('`` and the index after it."""
    depth, buf, i = 1, bytearray(), i + 1
    while depth:
        ch = content[i]
        if ch == ord("\\"):
            nxt = content[i + 1]
            if nxt in _ESCAPES:
                buf += _ESCAPES[nxt]
                i += 2
            elif ord("0") <= nxt <= ord("7"):
                m = re.match(rb"[0-7]{1,3}", content[i + 1 : i + 4])
                assert m
                buf.append(int(m.group(), 8) & 0xFF)
                i += 1 + len(m.group())
            else:
                buf.append(nxt)
                i += 2
            continue
        depth += ch == ord("(")
        depth -= ch == ord(")")
        if depth:
            buf.append(ch)
        i += 1
    return bytes(buf), i


def pdf_text(pdf: bytes) -> str:
    """Every string the PDF shows, one a line, in drawing order."""
    objects = {int(n): body for n, body in _OBJ.findall(pdf)}
    fonts: dict[bytes, dict[int, str]] = {}
    for body in objects.values():
        for name, ref in re.findall(rb"/(F\d+)\s+(\d+) 0 R", body):
            font = objects.get(int(ref), b"")
            m = re.search(rb"/ToUnicode\s+(\d+) 0 R", font)
            if m:
                fonts[name] = _cmap(_stream(objects[int(m.group(1))]) or b"")
    assert fonts, "no ToUnicode map: text would not be searchable"
    lines: list[str] = []
    for body in objects.values():
        content = _stream(body)
        if content is None or b" Tj" not in content:
            continue
        current: dict[int, str] = {}
        i = 0
        while i < len(content):
            ch = content[i]
            if ch == ord("/"):
                m = re.match(rb"/(F\d+)\s+[\d.]+\s+Tf", content[i:])
                if m:
                    current = fonts.get(m.group(1), {})
                    i += m.end()
                    continue
            if ch == ord("("):
                lit, i = _literal(content, i)
                codes = [int.from_bytes(lit[k : k + 2], "big") for k in range(0, len(lit), 2)]
                lines.append("".join(current.get(c, "\ufffd") for c in codes))
                continue
            i += 1
    return "\n".join(lines)
