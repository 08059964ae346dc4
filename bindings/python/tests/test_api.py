"""The Python surface: results, errors, open() arguments, the typed example."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

import authcore
import typed_example
from authcore import AuthCore, Override


def email(addr: str, verified: bool = True) -> Any:
    return {"id": addr, "is_verified": verified}


def test_typed_example_runs(tmp_path: Path) -> None:
    typed_example.main(tmp_path)


def test_record(tmp_path: Path) -> None:
    with AuthCore.open(database=tmp_path / "a.db") as auth:  # a path works too
        r = auth.sign_in_up(third_party_id="google", third_party_user_id="g1", email=email(" Ada@Example.COM "))
        assert r.status == "OK" and r["status"] == "OK"
        assert r.created_new_user is True and r["createdNewUser"] is True and r["created_new_user"] is True
        lm = r.user.login_methods[0]
        assert lm.third_party.user_id == "g1" and lm.email == "ada@example.com"
        assert r.recipe_user_id == r.user.id == lm.recipe_user_id
        d = r.to_dict()
        assert d["user"]["loginMethods"][0]["thirdParty"] == {"id": "google", "userId": "g1"}
        assert set(r.keys()) == {"status", "createdNewUser", "user", "recipeUserId"} == set(r)
        assert "recipe_user_id" in r and "recipeUserId" in r and "nope" not in r
        assert r.get("nope") is None and r.get("nope", 1) == 1
        assert r == d and r.user == d["user"] and r != {"status": "OK"}
        assert repr(r).startswith("Record({")
        assert "recipe_user_id" in dir(r)
        with pytest.raises(AttributeError):
            r.nope
        with pytest.raises(AttributeError):
            r.user.status  # a user has no status
        with pytest.raises(KeyError):
            r["nope"]
        with pytest.raises(TypeError):
            hash(r)
        assert auth.get_user(user_id="unknown") is None
        assert auth.is_email_verified(recipe_user_id=r.recipe_user_id) is True
        assert auth.unverify_email(recipe_user_id=r.recipe_user_id) is None
        assert auth.delete_user(user_id=r.recipe_user_id) is None


def test_errors_are_typed_with_codes(tmp_path: Path) -> None:
    with AuthCore.open(database={"sqlite": str(tmp_path / "a.db")}) as auth:
        with pytest.raises(authcore.InvalidInputError) as e1:
            auth.sign_in_up(third_party_id="google", third_party_user_id="g1", email={"id": "a@x.com"})
        assert e1.value.code == "INVALID_INPUT" and e1.value.field == "email"
        with pytest.raises(authcore.EmptyFieldError) as e2:
            auth.get_user(user_id="")
        assert e2.value.code == "EMPTY_FIELD" and e2.value.field == "userId"
        with pytest.raises(authcore.InvalidEmailError):
            auth.sign_in_up(third_party_id="google", third_party_user_id="g1", email=email("nope"))
        with pytest.raises(authcore.TenantNotFoundError) as e3:
            auth.sign_in_up(tenant_id="t9", third_party_id="google", third_party_user_id="g1", email=email("a@x.com"))
        assert e3.value.tenant_id == "t9"
        with pytest.raises(authcore.UnknownUserIdError):
            auth.create_primary_user(recipe_user_id="nobody")
        with pytest.raises(authcore.CannotDeletePublicTenantError):
            auth.delete_tenant(tenant_id="public")
        with pytest.raises(authcore.InvalidPaginationTokenError):
            auth.get_users(pagination_token="%%%")
        with pytest.raises(authcore.InvalidInputError):
            auth.get_users(time_joined_order="sideways")  # type: ignore[arg-type]
        with pytest.raises(authcore.AuthError):
            auth.get_users(limit=0)
    assert authcore.TenantNotFoundError.code == "TENANT_NOT_FOUND"
    assert issubclass(authcore.HostError, authcore.AuthError) and issubclass(authcore.AuthError, Exception)


def test_open_arguments(tmp_path: Path) -> None:
    with pytest.raises(authcore.InvalidInputError):
        AuthCore.open(database={"postgres": "x"})
    with pytest.raises(authcore.InvalidInputError):
        AuthCore.open(database={"sqlite": str(tmp_path / "a.db")}, config={"accountLinkin": {}})
    with pytest.raises(authcore.DuplicateProviderError):
        AuthCore.open(
            database={"sqlite": str(tmp_path / "a.db")},
            config={"providers": [{"thirdPartyId": "google"}, {"thirdPartyId": "google"}]},
        )
    with pytest.raises(TypeError):
        AuthCore.open(database={"sqlite": str(tmp_path / "a.db")}, override=[object()])  # type: ignore[list-item]
    # A factory may hand `original` back unchanged.
    with AuthCore.open(
        database={"sqlite": str(tmp_path / "a.db")},
        config={"accountLinking": {"shouldAutomaticallyLink": True}, "redirect": {"defaultPath": "/home"}},
        override=Override(functions=lambda original: original, apis=lambda original: original),
    ) as auth:
        assert auth.config.account_linking.should_automatically_link is True
        r = auth.sign_in_up_post(third_party_id="google", user_info={"thirdPartyUserId": "g1", "email": email("a@x.com")})
        assert r.status == "OK" and r.redirect.url == "/home" and r.user.is_primary_user


def test_tenants_sessions_and_pagination(tmp_path: Path) -> None:
    with AuthCore.open(database={"sqlite": str(tmp_path / "a.db")}) as auth:
        t = auth.create_or_update_tenant(tenant_id="t1", config={"first_factors": ["thirdparty"]})
        assert t.created_new is True
        assert auth.get_tenant(tenant_id="t1").first_factors == ["thirdparty"]
        assert [x.tenant_id for x in auth.list_all_tenants()] == ["public", "t1"]
        users = [
            auth.sign_in_up(third_party_id="google", third_party_user_id=f"g{i}", email=email(f"u{i}@x.com"))
            for i in range(5)
        ]
        a = auth.associate_user_to_tenant(tenant_id="t1", recipe_user_id=users[0].recipe_user_id)
        assert a.status == "OK"
        page = auth.get_users(limit=2, time_joined_order="DESC")
        seen = [u.id for u in page.users]
        while page.get("next_pagination_token"):
            page = auth.get_users(limit=2, time_joined_order="DESC", pagination_token=page.next_pagination_token)
            seen += [u.id for u in page.users]
        assert sorted(seen) == sorted(u.recipe_user_id for u in users) and len(seen) == 5  # ties: same ms
        s = auth.create_new_session(tenant_id="public", recipe_user_id=users[1].recipe_user_id,
                                    access_token_payload={"snake_case_key": [1, {"x_y": None}]})
        got = auth.get_session(access_token=s.access_token)
        assert got.session.access_token_payload.to_dict() == {"snake_case_key": [1, {"x_y": None}]}
        assert auth.get_all_session_handles_for_user(user_id=users[1].recipe_user_id) == [s.session.session_handle]
        assert auth.revoke_all_sessions_for_user(user_id=users[1].recipe_user_id) == [s.session.session_handle]
        assert auth.get_session(access_token=s.access_token).status == "UNAUTHORISED"
        assert auth.revoke_session(session_handle="nope") is False
        found = auth.list_users_by_account_info(tenant_id="public", account_info={"third_party": {"id": "google", "user_id": "g3"}})
        assert [u.id for u in found] == [users[3].recipe_user_id]


def test_async_client_and_aio_view(tmp_path: Path) -> None:
    with AuthCore.open(database={"sqlite": str(tmp_path / "a.db")}) as auth:
        auth.sign_in_up(third_party_id="google", third_party_user_id="g1", email=email("a@x.com"))

        async def main() -> None:
            aio = auth.aio
            r = await aio.sign_in_up(third_party_id="google", third_party_user_id="g1", email=email("a@x.com"))
            assert r.created_new_user is False
            assert (await aio.get_user(user_id=r.recipe_user_id)).id == r.recipe_user_id
            assert (await aio.deliver_pending_events()).to_dict() == {"delivered": 0, "failed": 0}
            with pytest.raises(authcore.EmptyFieldError):
                await aio.get_user(user_id="")

        asyncio.run(main())


def test_sync_client_inside_a_running_loop(tmp_path: Path) -> None:
    """Discouraged, but it must not deadlock: the work moves off the loop's thread."""
    got = []

    class Over:
        def __init__(self, original: Any) -> None:
            self.original = original

        async def get_user(self, **kw: Any) -> Any:
            return await self.original.get_user(**kw)

    async def handler(e: Any) -> None:
        got.append(e["name"])

    with AuthCore.open(database={"sqlite": str(tmp_path / "a.db")}, override=Override(functions=Over),
                       events={"*": handler}) as auth:

        async def main() -> None:
            r = auth.sign_in_up(third_party_id="google", third_party_user_id="g1", email=email("a@x.com"))
            assert auth.get_user(user_id=r.recipe_user_id) is not None

        asyncio.run(main())
    assert got == ["createUser"]


def test_async_with_await_open(tmp_path: Path) -> None:
    async def main() -> bool:
        async with await authcore.AsyncAuthCore.open(database={"sqlite": str(tmp_path / "a.db")}) as auth:
            assert isinstance(auth, authcore.AsyncAuthCore)
            r = await auth.list_all_tenants()
            return [t.tenant_id for t in r] == ["public"]

    assert asyncio.run(main())


def test_config_takes_snake_case_keys_and_keeps_ids_as_written(tmp_path: Path) -> None:
    config: authcore.AuthCoreConfig = {
        "account_linking": {
            "should_automatically_link": True,
            "should_require_verification": True,
            "providers": {"my_idp": {"should_automatically_link": False}},
        },
        "host_timeout_ms": 5000,
        "redirect": {"default_path": "/home"},
    }
    with AuthCore.open(database={"sqlite": str(tmp_path / "a.db")}, config=config) as auth:
        seen = auth.config.to_dict()
        assert seen["accountLinking"]["shouldAutomaticallyLink"] is True
        assert seen["accountLinking"]["providers"] == {"my_idp": {"shouldAutomaticallyLink": False}}
        assert seen["hostTimeoutMs"] == 5000
        assert seen["redirect"]["defaultPath"] == "/home"
        # The policy is in force: two verified sign-ups with one email end in one user; the provider the rule
        # names (kept as "my_idp", not camelCased) is not linked.
        mail = {"id": "a@example.com", "is_verified": True}
        a = auth.manually_create_or_update_user(
            tenant_id="public", third_party_id="google", third_party_user_id="g1", email=mail
        )
        b = auth.manually_create_or_update_user(
            tenant_id="public", third_party_id="github", third_party_user_id="h1", email=mail
        )
        assert b.user.id == a.user.id
        c = auth.manually_create_or_update_user(
            tenant_id="public", third_party_id="my_idp", third_party_user_id="m1", email=mail
        )
        assert c.user.id != a.user.id
    with pytest.raises(authcore.InvalidInputError):
        AuthCore.open(database={"sqlite": str(tmp_path / "b.db")}, config={"account_linkin": {}})
