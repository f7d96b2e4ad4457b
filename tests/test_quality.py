"""Quality gates in the one test command: lint, types, and the purity of sampling/."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["sampling", "channels", "warehouse", "expectations", "flows", "minyi", "bulletins"]


def test_ruff() -> None:
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy() -> None:
    done = subprocess.run([sys.executable, "-m", "mypy", *PACKAGES], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_leaf_packages_stay_leaves() -> None:
    """sampling/ is pure; leaves never import flows/; only flows/ and minyi/ wire leaves together."""
    forbidden = {
        "sampling": {"duckdb", "twilio", "prefect", "channels", "warehouse", "flows", "expectations", "bulletins"},
        "bulletins": {"duckdb", "twilio", "prefect", "channels", "warehouse", "flows", "sampling"},
        "channels": {"duckdb", "prefect", "warehouse", "flows", "sampling", "bulletins"},
        "warehouse": {"twilio", "prefect", "channels", "flows", "sampling", "bulletins"},
        "expectations": {"duckdb", "twilio", "prefect", "channels", "warehouse", "flows", "sampling"},
    }
    found = []
    for package, banned in forbidden.items():
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names = [node.module]
                found += [(str(path.relative_to(ROOT)), n) for n in names if n.split(".")[0] in banned]
    assert found == []
