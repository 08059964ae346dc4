"""Every tests/scenarios/*.json file again on PostgreSQL (``database={"postgres": url, "schema": ...}``), on the
blocking and the asyncio client, each run in a new schema of its own.

Switched on by ``AUTHCORE_TEST_POSTGRES`` (``scripts/test`` starts a throwaway server and exports it). Unset: the
tests are skipped, except under CI (``CI`` set), where PostgreSQL must be tested: they fail. ``conftest.py``
prints the summary line ``scenarios (postgres): N passed, M failed``.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from scenario_runner import SCENARIO_DIR, fresh_schema, postgres_url, run_async, run_sync

FILES = sorted(SCENARIO_DIR.glob("*.json"))
URL = postgres_url()
MISSING = (
    "AUTHCORE_TEST_POSTGRES is not set (scripts/pg-test-server starts a throwaway server and prints its URL)"
)


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_scenario_on_postgres(path: Path) -> None:
    if URL is None:
        if os.environ.get("CI"):
            pytest.fail(f"{MISSING}: under CI the scenarios must run on PostgreSQL")
        pytest.skip(MISSING)
    scenario = json.loads(path.read_text())
    run_sync(scenario, {"postgres": URL, "schema": fresh_schema()})
    asyncio.run(run_async(scenario, {"postgres": URL, "schema": fresh_schema()}))
