"""Seeded inputs of the R reference for the judgement (tests/fixtures/judgement/).

Regenerate the fixture (inputs and R's outputs) with
``.venv/bin/python -m tests.sampling.judgement_fixtures`` (needs Rscript with
the survey and metafor packages).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
from scipy import special

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
R_SCRIPT = FIXTURES / "make_judgement_fixtures.R"
JUDGEMENT_DIR = FIXTURES / "judgement"
SEED = 20251111
CHANNELS = ("sms", "voice", "manual")


def fh_input(seed: int = SEED) -> pl.DataFrame:
    """Fay–Herriot data: groups of 2, 6 (no real spread), 12 and 16 units (with a covariate)."""
    rng = np.random.default_rng(seed)
    parts = []
    for group, k, sigma, slope in (("g02", 2, 0.3, 0.0), ("g06", 6, 0.0, 0.0),
                                   ("g12", 12, 0.4, 0.0), ("g16", 16, 0.3, 0.8)):  # fmt: skip
        x1 = rng.normal(0.0, 0.5, k) if slope else np.zeros(k)
        psi = 1.0 / (rng.integers(30, 400, k) * 0.12)
        theta = 2.0 + slope * x1 + rng.normal(0.0, sigma, k)
        y = theta + rng.normal(0.0, np.sqrt(psi))
        parts.append(
            pl.DataFrame(
                {
                    "group": [group] * k,
                    "unit_id": [f"{group}u{i:02d}" for i in range(k)],
                    "y": y,
                    "psi": psi,
                    "x1": x1,
                }
            )
        )
    return pl.concat(parts)


def respondents(seed: int = SEED) -> pl.DataFrame:
    """Two months of respondents of 14 units in 2 peer groups, with a randomised channel share."""
    rng = np.random.default_rng(seed)
    units = [f"A{i:02d}" for i in range(8)] + [f"B{i:02d}" for i in range(6)]
    group = ["agency"] * 8 + ["window"] * 6
    unit_effect = rng.normal(0.0, 0.4, len(units)) + np.r_[np.zeros(8), np.full(6, 0.6)]
    cat_effect = rng.normal(0.0, 0.5, 6)
    mode = {"sms": 0.0, "voice": 0.35, "manual": 0.55}
    handles = [rng.choice(6, size=int(rng.integers(2, 5)), replace=False) for _ in units]
    uptake = rng.dirichlet([4.0, 3.0, 2.0], len(units))
    rows = []
    for month in (1, 2):
        for day in range(1, 21):
            for h in range(6):
                servers = [u for u in range(len(units) - 1) if h in handles[u]] or [0]
                pop = int(rng.integers(5, 200))
                n_h = min(pop, 12)
                answered = max(1, int(rng.binomial(n_h, 0.65)))
                for _ in range(answered):
                    u = int(rng.choice(servers))
                    randomised = rng.random() < 0.15
                    assigned = CHANNELS[int(rng.integers(3))] if randomised else "sms"
                    channel = (
                        assigned
                        if randomised and rng.random() < 0.85
                        else CHANNELS[int(rng.choice(3, p=uptake[u]))]
                    )
                    eta = 1.6 + unit_effect[u] + cat_effect[h] + mode[channel]
                    rows.append(
                        {
                            "unit_id": units[u],
                            "peer_group": group[u],
                            "stratum": f"2025-{month:02d}-{day:02d}|c{h}",
                            "final_weight": pop / n_h * n_h / answered * rng.uniform(0.9, 1.1),
                            "satisfied": int(rng.random() < special.expit(eta)),
                            "category": f"c{h}",
                            "channel": channel,
                            "month": f"2025-{month:02d}",
                            "assigned_channel": assigned,
                            "randomised": int(randomised),
                        }
                    )
    # a small unit whose five answers are all satisfied (rate 1: Kish n_eff)
    for i in range(5):
        rows.append(
            {
                "unit_id": units[-1],
                "peer_group": group[-1],
                "stratum": f"2025-01-0{i + 1}|c0",
                "final_weight": 20.0 + i,
                "satisfied": 1,
                "category": "c0",
                "channel": "sms",
                "month": "2025-01",
                "assigned_channel": "sms",
                "randomised": 0,
            }
        )
    return pl.DataFrame(rows)


def write_inputs(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    fh_input().write_csv(out_dir / "fh_input.csv", float_precision=17)
    respondents().write_csv(out_dir / "respondents.csv", float_precision=17)
    if out_dir != JUDGEMENT_DIR:
        shutil.copy(JUDGEMENT_DIR / "survey.csv", out_dir / "survey.csv")


def run_r(in_dir: Path, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(["Rscript", str(R_SCRIPT), str(in_dir), str(out_dir)], check=True)


if __name__ == "__main__":
    if shutil.which("Rscript") is None:
        sys.exit("Rscript not found")
    write_inputs(JUDGEMENT_DIR)
    run_r(JUDGEMENT_DIR, JUDGEMENT_DIR)
    print(f"wrote {JUDGEMENT_DIR}")
