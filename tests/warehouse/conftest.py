from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from warehouse.db import connect

UNITS_CSV = """unit_id,unit_name,unit_kind,peer_group
U1,区公安分局,agency,
U2,区人社局,department,
U3,政务大厅窗口1,window,
"""


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with connect(tmp_path / "w.duckdb", {"satisfied_min_level": 3, "min_cell": 5}) as connection:
        yield connection


@pytest.fixture
def units_file(tmp_path: Path) -> Path:
    path = tmp_path / "units.csv"
    path.write_text(UNITS_CSV, encoding="utf-8")
    return path
