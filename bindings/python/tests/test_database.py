"""The ``database=`` option: checked once, by the core (``DatabaseConfig``); a bad one raises
``InvalidInputError`` (``INVALID_INPUT``, field ``database``) whose message names the mistake, on both clients.
PostgreSQL itself is exercised by test_scenarios_pg.py."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

import authcore
from authcore import AsyncAuthCore, AuthCore

BAD = [
    ({}, "no store given"),
    ({"sqlite": "a.db", "postgres": "postgres://127.0.0.1:1/db"}, "not both"),
    ({"sqlite": "a.db", "schema": "s"}, "PostgreSQL option"),
    ({"mysql": "mysql://h/db"}, "unknown field `mysql`"),
    ({"sqlite": 42}, "invalid type"),
    ({"postgres": "postgres://127.0.0.1:1/db", "schema": 1}, "invalid type"),
    (42, "expected {\"sqlite\""),
]


@pytest.mark.parametrize("database,message", BAD, ids=[m for _, m in BAD])
def test_bad_database_option_is_invalid_input(database: Any, message: str) -> None:
    with pytest.raises(authcore.InvalidInputError) as e:
        AuthCore.open(database=database)
    assert e.value.code == "INVALID_INPUT"
    assert e.value.field == "database"
    assert message in str(e.value)


def test_bad_database_option_on_the_async_client() -> None:
    async def main() -> None:
        with pytest.raises(authcore.InvalidInputError) as e:
            await AsyncAuthCore.open(database={"sqlite": "a.db", "postgres": "postgres://127.0.0.1:1/db"})
        assert e.value.field == "database"

    asyncio.run(main())


def test_invalid_postgres_schema_is_invalid_input() -> None:
    # The schema is checked before connecting: no server is needed.
    with pytest.raises(authcore.InvalidInputError) as e:
        AuthCore.open(database={"postgres": "postgres://127.0.0.1:1/db", "schema": "Bad-Schema"})
    assert e.value.field == "schema"


def test_unreachable_postgres_is_a_storage_error() -> None:
    with pytest.raises(authcore.StorageError):
        AuthCore.open(database={"postgres": "postgres://authcore@127.0.0.1:1/none?connect_timeout=2"})


def test_sqlite_forms_still_open(tmp_path: Path) -> None:
    with AuthCore.open(database={"sqlite": tmp_path / "a.db"}):
        pass
    with AuthCore.open(database=str(tmp_path / "b.db")):
        pass
    assert (tmp_path / "a.db").exists() and (tmp_path / "b.db").exists()
