"""A typed example of the Python API; checked with `mypy --strict` and run by test_api.py."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Dict, List

import authcore
from authcore import (
    AsyncAuthCore,
    AuthCore,
    AuthError,
    EmailInput,
    Override,
    RecipeFunctions,
    Record,
    UserContext,
)


class AuditedFunctions:
    """A `def` override: sees every sign-in/up, then calls the layer below."""

    def __init__(self, original: RecipeFunctions, log: List[str]) -> None:
        self.original = original
        self.log = log

    def sign_in_up(
        self,
        *,
        tenant_id: str,
        third_party_id: str,
        third_party_user_id: str,
        email: EmailInput,
        user_context: UserContext,
    ) -> Record:
        self.log.append(f"sign_in_up {third_party_id}/{third_party_user_id}")
        user_context["audited"] = True
        result: Record = self.original.sign_in_up(
            tenant_id=tenant_id,
            third_party_id=third_party_id,
            third_party_user_id=third_party_user_id,
            email=email,
            user_context=user_context,
        )
        return result


class NoLinkingForBots:
    """An `async def` override of the linking decision."""

    def __init__(self, original: RecipeFunctions) -> None:
        self.original = original

    async def should_do_automatic_account_linking(
        self,
        *,
        new_account_info: Record,
        tenant_id: str,
        user: Record | None,
        session: Record | None,
        user_context: UserContext,
    ) -> Record | Dict[str, Any]:
        if new_account_info.get("email", "").endswith("@bots.example.com"):
            return {"should_automatically_link": False}
        decision: Record = await self.original.should_do_automatic_account_linking(
            new_account_info=new_account_info,
            tenant_id=tenant_id,
            user=user,
            session=session,
            user_context=user_context,
        )
        return decision


def run_sync(db: Path) -> List[str]:
    log: List[str] = []
    names: List[str] = []

    def on_event(event: Dict[str, Any]) -> None:
        names.append(str(event["name"]))

    config: Dict[str, Any] = {"accountLinking": {"shouldAutomaticallyLink": True}}
    with AuthCore.open(
        database={"sqlite": str(db)},
        config=config,
        override=[
            Override(functions=lambda original: AuditedFunctions(original, log)),
            Override(functions=NoLinkingForBots),
        ],
        events={"*": on_event},
    ) as auth:
        ctx = UserContext({"request_id": "r-1"})
        r = auth.manually_create_or_update_user(
            third_party_id="google",
            third_party_user_id="g-1",
            email={"id": "ada@example.com", "is_verified": True},
            user_context=ctx,
        )
        assert r.status == "OK"
        user_id: str = r.user.id
        assert r.linking.outcome == "BECAME_PRIMARY"
        assert ctx["audited"] is True
        found = auth.get_user(user_id=user_id)
        assert found is not None and found.is_primary_user
        same: List[Record] = auth.list_users_by_account_info(
            tenant_id="public", account_info={"email": "ada@example.com"}
        )
        assert [u.id for u in same] == [user_id]
        session = auth.create_new_session(tenant_id="public", recipe_user_id=user_id)
        assert auth.get_session(access_token=session.access_token).status == "OK"
        try:
            auth.get_user(user_id="")
        except AuthError as e:
            assert e.code == "EMPTY_FIELD"
        page = auth.get_users(limit=10)
        assert page.get("next_pagination_token") is None
    return log + names


async def run_async(db: Path) -> int:
    auth = await AsyncAuthCore.open(database={"sqlite": str(db)})
    async with auth:
        results = await asyncio.gather(
            *(
                auth.sign_in_up(
                    third_party_id="github",
                    third_party_user_id=f"u{i}",
                    email={"id": f"u{i}@example.com", "is_verified": False},
                )
                for i in range(20)
            )
        )
        created = sum(1 for r in results if r.created_new_user)
        verified: bool = await auth.is_email_verified(recipe_user_id=results[0].recipe_user_id)
        assert verified is False
        events = await auth.list_events(limit=5)
        assert len(events.events) == 5
        # Derived from the core's declaration (_declared.pyi), typed like the rest.
        count: int = await auth.get_user_count(include_all_tenants=True)
        assert count >= 1
    return created


def main(directory: Path) -> None:
    print(run_sync(directory / "sync.db"))
    print(asyncio.run(run_async(directory / "async.db")))
    print(authcore.__version__)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        main(Path(d))
