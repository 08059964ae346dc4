"""Overrides (def and async def, calling original), exception identity, user_context identity, and the event
handlers' documented messages."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest

import authcore
from authcore import AsyncAuthCore, AuthCore, Override, UserContext

LINKING = {"accountLinking": {"shouldAutomaticallyLink": True, "shouldRequireVerification": True}}


def email(addr: str, verified: bool = True) -> Dict[str, Any]:
    return {"id": addr, "is_verified": verified}


def run(mode: str, db: Path, body: Callable[[Any], Any], **open_kwargs: Any) -> Any:
    """Runs `body(auth)` on the blocking client (mode "sync") or the asyncio one (mode "async"; body is async)."""
    if mode == "sync":
        with AuthCore.open(database={"sqlite": str(db)}, **open_kwargs) as auth:
            return body(auth)

    async def main() -> Any:
        auth = await AsyncAuthCore.open(database={"sqlite": str(db)}, **open_kwargs)
        async with auth:
            return await body(auth)

    return asyncio.run(main())


# --- overrides calling original ----------------------------------------------------------------------------


class DefSignInUp:
    def __init__(self, original: authcore.RecipeFunctions, log: List[str]) -> None:
        self.original = original
        self.log = log

    def sign_in_up(self, *, user_context: UserContext, **kw: Any) -> Any:
        self.log.append("def:" + kw["third_party_user_id"])
        r = self.original.sign_in_up(user_context=user_context, **kw)
        assert isinstance(r, authcore.Record)
        self.log.append("def:result:" + r.status)
        return r


class AsyncSignInUp:
    def __init__(self, original: authcore.RecipeFunctions, log: List[str]) -> None:
        self.original = original
        self.log = log

    async def sign_in_up(self, *, user_context: UserContext, **kw: Any) -> Any:
        self.log.append("async:" + kw["third_party_user_id"])
        await asyncio.sleep(0)
        r = await self.original.sign_in_up(user_context=user_context, **kw)
        self.log.append("async:result:" + r.status)
        return r


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("kind", [DefSignInUp, AsyncSignInUp])
def test_override_calls_original(mode: str, kind: Any, tmp_path: Path) -> None:
    log: List[str] = []
    tag = "def" if kind is DefSignInUp else "async"

    def body(auth: Any) -> Any:
        r = auth.manually_create_or_update_user(
            third_party_id="google", third_party_user_id="g1", email=email("a@x.com")
        )
        return r

    async def abody(auth: Any) -> Any:
        return await auth.manually_create_or_update_user(
            third_party_id="google", third_party_user_id="g1", email=email("a@x.com")
        )

    r = run(
        mode,
        tmp_path / "a.db",
        body if mode == "sync" else abody,
        config=LINKING,
        override=Override(functions=lambda original: kind(original, log)),
    )
    # manuallyCreateOrUpdateUser calls signInUp through the final object: the override saw it.
    assert r.status == "OK" and r.created_new_recipe_user and r.user.is_primary_user
    assert log == [f"{tag}:g1", f"{tag}:result:OK"]


def test_layers_stack_and_original_is_the_layer_below(tmp_path: Path) -> None:
    order: List[str] = []

    class Layer:
        def __init__(self, original: authcore.RecipeFunctions, name: str) -> None:
            self.original = original
            self.name = name

        def create_primary_user(self, *, recipe_user_id: str, user_context: UserContext) -> Any:
            order.append(self.name)
            return self.original.create_primary_user(recipe_user_id=recipe_user_id, user_context=user_context)

    with AuthCore.open(
        database={"sqlite": str(tmp_path / "a.db")},
        override=[
            Override(functions=lambda o: Layer(o, "inner")),
            Override(functions=lambda o: Layer(o, "outer")),
        ],
    ) as auth:
        u = auth.sign_in_up(third_party_id="google", third_party_user_id="g1", email=email("a@x.com"))
        r = auth.create_primary_user(recipe_user_id=u.recipe_user_id)
        assert r.status == "OK" and r.was_already_a_primary_user is False
    assert order == ["outer", "inner"]


def test_override_changes_the_flow_and_can_return_plain_dicts(tmp_path: Path) -> None:
    class Refuse:
        def __init__(self, original: authcore.RecipeFunctions) -> None:
            self.original = original

        async def should_do_automatic_account_linking(self, **kw: Any) -> Dict[str, Any]:
            return {"should_automatically_link": False}

    with AuthCore.open(
        database={"sqlite": str(tmp_path / "a.db")},
        config=LINKING,
        override=Override(functions=Refuse),
    ) as auth:
        r = auth.manually_create_or_update_user(
            third_party_id="google", third_party_user_id="g1", email=email("a@x.com")
        )
        assert r.linking.to_dict() == {"outcome": "NOT_LINKED", "reason": "AUTOMATIC_LINKING_DISABLED"}
        assert r.user.is_primary_user is False


def test_api_override_and_redirect(tmp_path: Path) -> None:
    seen: List[str] = []

    class Apis:
        def __init__(self, original: authcore.ApiFunctions) -> None:
            self.original = original

        async def sign_in_up_post(self, **kw: Any) -> Any:
            r = await self.original.sign_in_up_post(**kw)
            seen.append(f"{r.status}:{r.created_new_recipe_user}")
            return r

        def get_redirection_url(self, *, context: authcore.Record, user_context: UserContext) -> str:
            return "/welcome" if context.is_new_user else "/home"

    async def body(auth: AsyncAuthCore) -> List[str]:
        urls = []
        for _ in range(2):
            r = await auth.sign_in_up_post(
                third_party_id="google", user_info={"third_party_user_id": "g1", "email": email("a@x.com")}
            )
            urls.append(r.redirect.url)
        return urls

    urls = run("async", tmp_path / "a.db", body, override=Override(apis=Apis))
    assert urls == ["/welcome", "/home"]
    assert seen == ["OK:True", "OK:False"]


# --- exceptions keep their identity --------------------------------------------------------------------------


class Refused(Exception):
    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("is_async", [False, True], ids=["def", "async_def"])
def test_exception_in_override_reaches_caller_as_same_object(mode: str, is_async: bool, tmp_path: Path) -> None:
    raised: List[BaseException] = []

    def make(original: authcore.RecipeFunctions) -> Any:
        if is_async:

            class A:
                async def create_primary_user(self, **kw: Any) -> Any:
                    await asyncio.sleep(0)
                    e = Refused("no primaries today")
                    raised.append(e)
                    raise e

            return A()

        class D:
            def create_primary_user(self, **kw: Any) -> Any:
                e = Refused("no primaries today")
                raised.append(e)
                raise e

        return D()

    def body(auth: AuthCore) -> BaseException:
        u = auth.sign_in_up(third_party_id="google", third_party_user_id="g1", email=email("a@x.com"))
        with pytest.raises(Refused) as info:
            auth.create_primary_user(recipe_user_id=u.recipe_user_id)
        # The flow that calls it internally propagates it too.
        with pytest.raises(Refused) as info2:
            auth.manually_create_or_update_user(
                third_party_id="google", third_party_user_id="g2", email=email("b@x.com")
            )
        assert info2.value is raised[1]
        return info.value

    async def abody(auth: AsyncAuthCore) -> BaseException:
        u = await auth.sign_in_up(third_party_id="google", third_party_user_id="g1", email=email("a@x.com"))
        with pytest.raises(Refused) as info:
            await auth.create_primary_user(recipe_user_id=u.recipe_user_id)
        with pytest.raises(Refused) as info2:
            await auth.manually_create_or_update_user(
                third_party_id="google", third_party_user_id="g2", email=email("b@x.com")
            )
        assert info2.value is raised[1]
        return info.value

    got = run(mode, tmp_path / "a.db", body if mode == "sync" else abody, config=LINKING,
              override=Override(functions=make))
    assert got is raised[0]
    assert got.why == "no primaries today"
    assert got.__traceback__ is not None


def test_exception_from_inner_layer_through_outer_original_call(tmp_path: Path) -> None:
    boom = Refused("inner")

    class Inner:
        def get_user(self, **kw: Any) -> Any:
            raise boom

    class Outer:
        def __init__(self, original: authcore.RecipeFunctions) -> None:
            self.original = original

        async def get_user(self, **kw: Any) -> Any:
            return await self.original.get_user(**kw)

    async def body(auth: AsyncAuthCore) -> None:
        with pytest.raises(Refused) as info:
            await auth.get_user(user_id="x")
        assert info.value is boom

    run("async", tmp_path / "a.db", body,
        override=[Override(functions=lambda o: Inner()), Override(functions=Outer)])


def test_factory_exception_is_raised_by_open(tmp_path: Path) -> None:
    err = ValueError("bad factory")

    def factory(original: Any) -> Any:
        raise err

    with pytest.raises(ValueError) as info:
        AuthCore.open(database={"sqlite": str(tmp_path / "a.db")}, override=Override(functions=factory))
    assert info.value is err


# --- user_context identity ----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_user_context_is_the_same_object_through_every_layer(mode: str, tmp_path: Path) -> None:
    seen: List[Any] = []
    marker = object()

    class Spy:
        def __init__(self, original: authcore.RecipeFunctions) -> None:
            self.original = original

        def sign_in_up(self, *, user_context: UserContext, **kw: Any) -> Any:
            seen.append(user_context)
            user_context["from_override"] = [1, 2]
            return self.original.sign_in_up(user_context=user_context, **kw)

        async def should_do_automatic_account_linking(self, *, user_context: UserContext, **kw: Any) -> Any:
            seen.append(user_context)
            assert user_context["request"] is marker  # a non-JSON value survives the trip through Rust
            return await self.original.should_do_automatic_account_linking(user_context=user_context, **kw)

    ctx = UserContext({"request": marker, "tenant_hint": "x"})

    def body(auth: AuthCore) -> Any:
        r1 = auth.manually_create_or_update_user(
            third_party_id="google", third_party_user_id="g1", email=email("a@x.com"), user_context=ctx
        )
        # A plain dict becomes a new context: overrides get a UserContext holding its values.
        auth.sign_in_up(third_party_id="google", third_party_user_id="g2", email=email("b@x.com"),
                        user_context={"k": "v"})
        # None: a fresh context, still one object per request.
        auth.sign_in_up(third_party_id="google", third_party_user_id="g3", email=email("c@x.com"))
        return r1

    async def abody(auth: AsyncAuthCore) -> Any:
        r1 = await auth.manually_create_or_update_user(
            third_party_id="google", third_party_user_id="g1", email=email("a@x.com"), user_context=ctx
        )
        await auth.sign_in_up(third_party_id="google", third_party_user_id="g2", email=email("b@x.com"),
                              user_context={"k": "v"})
        await auth.sign_in_up(third_party_id="google", third_party_user_id="g3", email=email("c@x.com"))
        return r1

    r = run(mode, tmp_path / "a.db", body if mode == "sync" else abody, config=LINKING, override=Override(functions=Spy))
    assert r.status == "OK"
    assert seen[0] is ctx and seen[1] is ctx
    assert ctx["from_override"] == [1, 2]
    assert seen[2] is not ctx and isinstance(seen[2], UserContext) and seen[2]["k"] == "v"
    assert isinstance(seen[3], UserContext) and seen[3] is not seen[2]


def test_user_context_mapping_api() -> None:
    obj = object()
    ctx = UserContext({"a": 1, "o": obj})
    ctx["b"] = {"nested": [True, None]}
    assert ctx["a"] == 1 and ctx["o"] is obj and ctx["b"] == {"nested": [True, None]}
    assert "a" in ctx and "zz" not in ctx and len(ctx) == 3
    assert sorted(ctx) == ["a", "b", "o"]
    assert ctx.get("zz", 5) == 5
    ctx["a"] = obj  # a JSON value replaced by a Python one
    assert ctx["a"] is obj
    del ctx["a"]
    assert "a" not in ctx
    with pytest.raises(KeyError):
        ctx["a"]
    assert ctx.to_dict() == {"b": {"nested": [True, None]}, "o": obj}


# --- events: the documented messages ---------------------------------------------------------------------------


def test_event_handlers_receive_the_documented_messages(tmp_path: Path) -> None:
    got: Dict[str, List[Dict[str, Any]]] = {}

    def handler(name: str) -> Callable[[Dict[str, Any]], None]:
        def h(event: Dict[str, Any]) -> None:
            assert event["name"] == name
            got.setdefault(name, []).append(event)

        return h

    async def async_handler(event: Dict[str, Any]) -> None:
        await asyncio.sleep(0)
        got.setdefault(event["name"], []).append(event)

    names = ["signIn", "createUser", "linkAccount", "updateUser", "signOut"]
    events: Dict[str, Any] = {n: handler(n) for n in names}
    events["session"] = async_handler
    with AuthCore.open(database={"sqlite": str(tmp_path / "a.db")}, config=LINKING, events=events) as auth:
        first = auth.sign_in_up_post(
            third_party_id="google", user_info={"third_party_user_id": "g1", "email": email("a@x.com")}
        )
        a = first.user.id
        b = auth.sign_in_up(third_party_id="github", third_party_user_id="h1", email=email("b@x.com"))
        b_session = auth.create_new_session(tenant_id="public", recipe_user_id=b.recipe_user_id)
        linked = auth.link_accounts(recipe_user_id=b.recipe_user_id, primary_user_id=a)
        assert linked.status == "OK"
        auth.revoke_session(session_handle=first.session.session_handle)
        again = auth.sign_in_up_post(
            third_party_id="google", user_info={"third_party_user_id": "g1", "email": email("a@x.com")}
        )
        assert again.created_new_recipe_user is False

    def envelope(e: Dict[str, Any], user_id: str) -> None:
        assert isinstance(e["id"], str) and len(e["id"]) == 36
        assert isinstance(e["time"], int)
        assert e["tenantId"] == "public" and e["userId"] == user_id

    sign_ins = got["signIn"]
    assert [e["isNewUser"] for e in sign_ins] == [True, False]
    for e in sign_ins:
        envelope(e, a)
        assert e["account"] == {"provider": "google", "providerAccountId": "g1"}
        assert e["user"]["id"] == a and e["recipeUserId"] == a and e["tenantId"] == "public"
    creates = got["createUser"]
    assert [e["recipeUserId"] for e in creates] == [a, b.recipe_user_id]
    assert creates[0]["user"]["thirdParty"] == [{"id": "google", "userId": "g1"}]
    envelope(creates[1], b.recipe_user_id)
    (link,) = got["linkAccount"]
    envelope(link, a)
    assert link["account"] == {
        "provider": "github",
        "providerAccountId": "h1",
        "recipeUserId": b.recipe_user_id,
        "email": "b@x.com",
    }
    assert {lm["recipeUserId"] for lm in link["user"]["loginMethods"]} == {a, b.recipe_user_id}
    updates = got["updateUser"]
    assert updates[0]["changes"] == {"isPrimaryUser": True} and updates[0]["recipeUserId"] == a
    sessions = got["session"]
    assert [s["session"]["recipeUserId"] for s in sessions] == [a, b.recipe_user_id, a]
    assert sessions[0]["session"]["sessionHandle"] == first.session.session_handle
    sign_outs = got["signOut"]
    assert [(s["session"]["sessionHandle"], s["reason"]) for s in sign_outs] == [
        (b_session.session.session_handle, "ACCOUNT_LINKED"),
        (first.session.session_handle, "REVOKED"),
    ]


@pytest.mark.parametrize("is_async", [False, True], ids=["def", "async_def"])
def test_failing_handler_never_reaches_the_caller_and_is_redelivered(
    is_async: bool, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    calls: List[str] = []
    fail = [True]

    def h(event: Dict[str, Any]) -> None:
        calls.append(event["id"])
        if fail[0]:
            raise RuntimeError("webhook down")

    async def ah(event: Dict[str, Any]) -> None:
        h(event)

    with AuthCore.open(database={"sqlite": str(tmp_path / "a.db")}, events={"createUser": ah if is_async else h}) as auth:
        r = auth.sign_in_up(third_party_id="google", third_party_user_id="g1", email=email("a@x.com"))
        assert r.status == "OK"
        assert "webhook down" in caplog.text
        log = auth.list_events()
        (rec,) = log.events
        assert rec.attempts == 1 and "RuntimeError: webhook down" in rec.last_error and rec.delivered_at is None
        fail[0] = False
        report = auth.deliver_pending_events()
        assert report.to_dict() == {"delivered": 1, "failed": 0}
        (rec,) = auth.list_events().events
        assert rec.delivered_at is not None
    assert len(calls) == 2 and calls[0] == calls[1]  # the same event id: at-least-once, idempotent by id


def test_unknown_event_name_is_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(authcore.InvalidInputError) as info:
        AuthCore.open(database={"sqlite": str(tmp_path / "a.db")}, events={"signin": lambda e: None})
    assert info.value.code == "INVALID_INPUT"


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_mixed_def_and_async_def_layers_nest(mode: str, tmp_path: Path) -> None:
    """async def -> def -> async def layers, each calling original: works on both clients."""
    order: List[str] = []

    class AsyncLayer:
        def __init__(self, original: authcore.RecipeFunctions, name: str) -> None:
            self.original = original
            self.name = name

        async def get_user(self, **kw: Any) -> Any:
            order.append(self.name)
            await asyncio.sleep(0.001)
            return await self.original.get_user(**kw)

    class DefLayer:
        def __init__(self, original: authcore.RecipeFunctions) -> None:
            self.original = original

        def get_user(self, **kw: Any) -> Any:
            order.append("def")
            return self.original.get_user(**kw)

    layers = [
        Override(functions=lambda o: AsyncLayer(o, "inner")),
        Override(functions=DefLayer),
        Override(functions=lambda o: AsyncLayer(o, "outer")),
    ]

    def body(auth: AuthCore) -> Any:
        return auth.get_user(user_id="nobody")

    async def abody(auth: AsyncAuthCore) -> Any:
        return await auth.get_user(user_id="nobody")

    assert run(mode, tmp_path / "a.db", body if mode == "sync" else abody, override=layers) is None
    assert order == ["outer", "def", "inner"]


class CountingPrimary:
    """Replaces only create_primary_user; every attribute read after ``counting`` is set is recorded, so a
    crossing into this layer for any method shows up."""

    def __init__(self, original: authcore.RecipeFunctions) -> None:
        object.__setattr__(self, "_original", original)
        object.__setattr__(self, "reads", [])
        object.__setattr__(self, "counting", False)

    def __getattribute__(self, name: str) -> Any:
        if object.__getattribute__(self, "counting") and not name.startswith("_"):
            object.__getattribute__(self, "reads").append(name)
        return object.__getattribute__(self, name)

    def create_primary_user(self, *, user_context: UserContext, **kw: Any) -> Any:
        return object.__getattribute__(self, "_original").create_primary_user(user_context=user_context, **kw)


def test_an_override_of_create_primary_user_alone_makes_no_host_crossing_on_get_user(tmp_path: Path) -> None:
    layers: List[CountingPrimary] = []

    def make(original: authcore.RecipeFunctions) -> CountingPrimary:
        layers.append(CountingPrimary(original))
        return layers[-1]

    with AuthCore.open(database={"sqlite": str(tmp_path / "a.db")}, override=Override(functions=make)) as auth:
        r = auth.sign_in_up(
            tenant_id="public", third_party_id="google", third_party_user_id="g1", email=email("a@x.com")
        )
        layer = layers[0]
        object.__setattr__(layer, "counting", True)
        for _ in range(100):
            assert auth.get_user(user_id=r.user.id).id == r.user.id
        reads: List[str] = object.__getattribute__(layer, "reads")
        assert reads == [], "get_user never crossed into the Python layer"
        auth.create_primary_user(recipe_user_id=r.recipe_user_id)
        assert "create_primary_user" in reads, "the replaced method does cross (the counter can count)"
