"""`minyi qr`: a QR code per unit pointing at the public complaint form, or a clear refusal."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import segno

from app.cli import main


def test_qr_codes_point_at_the_unit_s_complaint_form(home: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--home", str(home), "qr", "--unit", "U01"]) == 2
    assert "MINYI_PUBLIC_URL" in capsys.readouterr().err
    monkeypatch.setenv("MINYI_PUBLIC_URL", "https://minyi.example.gov.cn/")
    assert main(["--home", str(home), "qr", "--unit", "U01", "--unit", "W03"]) == 0
    svg = (home / "qr" / "complaint-U01.svg").read_text(encoding="utf-8")
    expected = segno.make("https://minyi.example.gov.cn/complaint?unit=U01", error="m")
    buffer = io.BytesIO()
    expected.save(buffer, kind="svg", scale=8, border=4)
    assert svg == buffer.getvalue().decode("utf-8")  # the file encodes exactly that address
    assert (home / "qr" / "complaint-W03.png").read_bytes()[:4] == b"\x89PNG"
    assert expected.version <= 4  # small enough to print on a door plate
