"""Prints the PostgreSQL scenario runner's own summary line (as the Rust and Node runners do):
``scenarios (postgres): N passed, M failed`` when test_scenarios_pg.py ran and was not skipped."""

from __future__ import annotations

from typing import Any


def pytest_terminal_summary(terminalreporter: Any) -> None:
    def count(outcome: str) -> int:
        return sum(
            1
            for r in terminalreporter.stats.get(outcome, [])
            if getattr(r, "when", "call") == "call" and "test_scenarios_pg.py" in getattr(r, "nodeid", "")
        )

    passed, failed = count("passed"), count("failed")
    if passed + failed > 0:
        terminalreporter.write_line(f"scenarios (postgres): {passed} passed, {failed} failed")
