"""Every tests/scenarios/*.json file, replayed through the Python API (one test per file).

Each file runs on the blocking client (`def` overrides and handler) and on the asyncio client (`async def`
ones); both must give what the Rust reference runner gives.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from scenario_runner import SCENARIO_DIR, run_async, run_sync

FILES = sorted(SCENARIO_DIR.glob("*.json"))


def test_scenarios_found() -> None:
    assert len(FILES) > 100, f"scenarios not found in {SCENARIO_DIR}"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_scenario(path: Path, tmp_path: Path) -> None:
    scenario = json.loads(path.read_text())
    run_sync(scenario, tmp_path / "sync.db")
    asyncio.run(run_async(scenario, tmp_path / "async.db"))
