"""Cyclic or absurdly deep arguments are a typed INVALID_INPUT (the core's 64-level limit), not a crash of the
interpreter (issue #11)."""

import asyncio
from pathlib import Path
from typing import Any, Dict

import pytest

import authcore


def _deep(depth: int) -> Dict[str, Any]:
    d: Dict[str, Any] = {}
    for _ in range(depth):
        d = {"d": d}
    return d


def test_cyclic_and_deep_payloads_are_invalid_input(tmp_path: Path) -> None:
    with authcore.AuthCore.open(database={"sqlite": str(tmp_path / "a.db")}) as auth:
        r = auth.sign_in_up(
            tenant_id="public",
            third_party_id="google",
            third_party_user_id="g1",
            email={"id": "a@example.com", "is_verified": True},
        )
        cyclic: Dict[str, Any] = {"a": 1}
        cyclic["self"] = cyclic
        for bad in (cyclic, _deep(65), _deep(10_000)):
            with pytest.raises(authcore.InvalidInputError) as e:
                auth.create_new_session(
                    tenant_id="public", recipe_user_id=r.recipe_user_id, access_token_payload=bad
                )
            assert e.value.code == "INVALID_INPUT"
        ok = auth.create_new_session(
            tenant_id="public", recipe_user_id=r.recipe_user_id, access_token_payload=_deep(60)
        )
        assert ok.status == "OK"


def test_new_error_classes_carry_their_codes() -> None:
    assert authcore.HostTimeoutError.code == "HOST_TIMEOUT"
    assert authcore.UserNotInTenantError.code == "USER_NOT_IN_TENANT"
    assert authcore.UnauthorisedError.code == "UNAUTHORISED"
    assert authcore.SchemaTooNewError.code == "SCHEMA_TOO_NEW"


def test_an_override_that_never_answers_gives_host_timeout(tmp_path: Path) -> None:
    import asyncio
    import time

    class Hangs:
        def __init__(self, original: authcore.RecipeFunctions) -> None:
            self.original = original

        async def get_user(self, **kw: Any) -> Any:
            if kw.get("user_id") == "hang":
                await asyncio.Event().wait()
            return await self.original.get_user(**kw)

    async def main() -> None:
        auth = await authcore.AsyncAuthCore.open(
            database={"sqlite": str(tmp_path / "t.db")},
            config={"hostTimeoutMs": 200},
            override=authcore.Override(functions=Hangs),
        )
        async with auth:
            started = time.monotonic()
            with pytest.raises(authcore.HostTimeoutError) as e:
                await auth.get_user(user_id="hang")
            assert e.value.code == "HOST_TIMEOUT"
            assert 0.15 <= time.monotonic() - started < 5
            r = await auth.sign_in_up(
                tenant_id="public",
                third_party_id="google",
                third_party_user_id="g1",
                email={"id": "a@example.com", "is_verified": True},
            )
            assert r.status == "OK"
            found = await auth.get_user(user_id=r.user.id)
            assert found is not None and found.id == r.user.id

    asyncio.run(main())


def test_after_shutdown_every_call_raises_shut_down(tmp_path: Path) -> None:
    auth = authcore.AuthCore.open(database={"sqlite": str(tmp_path / "a.db")})
    r = auth.sign_in_up(
        tenant_id="public",
        third_party_id="google",
        third_party_user_id="s1",
        email={"id": "s@example.com", "is_verified": True},
    )
    auth.shutdown()
    calls = [
        lambda: auth.get_user(user_id=r.user.id),
        lambda: auth.list_all_tenants(),
        lambda: auth.create_new_session(tenant_id="public", recipe_user_id=r.recipe_user_id),
        lambda: auth.list_events(),
        lambda: auth.deliver_pending_events(),
    ]
    for call in calls:
        with pytest.raises(authcore.ShutDownError) as e:
            call()
        assert e.value.code == "SHUT_DOWN"
    auth.shutdown()  # a second shutdown does nothing


def test_async_client_after_shutdown_raises_shut_down(tmp_path: Path) -> None:
    async def main() -> None:
        auth = await authcore.AsyncAuthCore.open(database={"sqlite": str(tmp_path / "a.db")})
        await auth.shutdown()
        with pytest.raises(authcore.ShutDownError):
            await auth.get_user(user_id="x")
        with pytest.raises(authcore.ShutDownError):
            await auth.list_events()

    asyncio.run(main())
