"""Many threads on the blocking client, many tasks on the asyncio client, Python handlers and overrides
everywhere: correct results, every event delivered once, no deadlock."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any, Dict, List

import authcore
from authcore import AsyncAuthCore, AuthCore, Override, UserContext

THREADS = 16
PER_THREAD = 1000
TASKS = 1000
DEADLINE_S = 300


def _email(t: int, i: int) -> Dict[str, Any]:
    return {"id": f"u{t}-{i}@x.com", "is_verified": False}


def _threads(target: Any, n: int) -> None:
    errors: List[BaseException] = []

    def run(t: int) -> None:
        try:
            target(t)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(t,), daemon=True) for t in range(n)]
    for th in threads:
        th.start()
    deadline = time.monotonic() + DEADLINE_S
    for th in threads:
        th.join(max(0.0, deadline - time.monotonic()))
    assert not any(th.is_alive() for th in threads), "threads still running: deadlock?"
    assert not errors, errors[0]


def test_16_threads_x_1000_sign_ins_with_a_python_handler(tmp_path: Path) -> None:
    lock = threading.Lock()
    created: List[str] = []
    handler_threads = set()

    def on_create(event: Dict[str, Any]) -> None:
        with lock:
            created.append(event["userId"])
            handler_threads.add(threading.get_ident())

    results: Dict[int, List[Any]] = {}
    with AuthCore.open(database={"sqlite": str(tmp_path / "a.db")}, events={"createUser": on_create}) as auth:

        def work(t: int) -> None:
            half = PER_THREAD // 2
            out = []
            for i in range(PER_THREAD):
                # First half signs up, second half signs the same users in again.
                r = auth.sign_in_up(third_party_id="google", third_party_user_id=f"t{t}-{i % half}", email=_email(t, i % half))
                out.append((r.status, r.created_new_user, r.recipe_user_id))
            results[t] = out

        started = time.monotonic()
        _threads(work, THREADS)
        elapsed = time.monotonic() - started
        total = auth.get_users(limit=500)
        n = len(total.users)
        token = total.get("next_pagination_token")
        while token:
            page = auth.get_users(limit=500, pagination_token=token)
            n += len(page.users)
            token = page.get("next_pagination_token")

    half = PER_THREAD // 2
    for t, out in results.items():
        assert all(s == "OK" for s, _, _ in out)
        assert [c for _, c, _ in out] == [True] * half + [False] * half
        assert [u for _, _, u in out[:half]] == [u for _, _, u in out[half:]]
    assert n == THREADS * half
    assert len(created) == THREADS * half and len(set(created)) == THREADS * half
    assert len(handler_threads) > 1  # handlers ran on the callers' threads, concurrently
    print(f"\n{THREADS * PER_THREAD} sync calls on {THREADS} threads: {THREADS * PER_THREAD / elapsed:.0f} ops/s")


def test_threads_with_async_def_override_and_handler(tmp_path: Path) -> None:
    """`async def` callbacks on the blocking client run on per-thread loops, nested in `original` calls."""
    seen: List[str] = []
    lock = threading.Lock()

    async def on_create(event: Dict[str, Any]) -> None:
        await asyncio.sleep(0)
        with lock:
            seen.append(event["userId"])

    class Counting:
        def __init__(self, original: authcore.RecipeFunctions) -> None:
            self.original = original

        async def sign_in_up(self, *, user_context: UserContext, **kw: Any) -> Any:
            await asyncio.sleep(0)
            user_context["hops"] = user_context.get("hops", 0) + 1
            return await self.original.sign_in_up(user_context=user_context, **kw)

    n = 100
    with AuthCore.open(
        database={"sqlite": str(tmp_path / "a.db")},
        override=Override(functions=Counting),
        events={"createUser": on_create},
    ) as auth:

        def work(t: int) -> None:
            for i in range(n):
                ctx = UserContext()
                r = auth.sign_in_up(
                    third_party_id="google", third_party_user_id=f"t{t}-{i}", email=_email(t, i), user_context=ctx
                )
                assert r.created_new_user and ctx["hops"] == 1

        _threads(work, THREADS)
    assert len(seen) == THREADS * n


def test_1000_concurrent_asyncio_tasks(tmp_path: Path) -> None:
    async def main() -> None:
        delivered: List[str] = []
        overridden: List[str] = []

        async def on_create(event: Dict[str, Any]) -> None:
            await asyncio.sleep(0.001)
            delivered.append(event["userId"])

        def on_session(event: Dict[str, Any]) -> None:  # a def handler from tokio threads
            delivered.append("session")

        class Mixed:
            def __init__(self, original: authcore.RecipeFunctions) -> None:
                self.original = original

            async def sign_in_up(self, *, user_context: UserContext, **kw: Any) -> Any:
                overridden.append(kw["third_party_user_id"])
                return await self.original.sign_in_up(user_context=user_context, **kw)

            def create_new_session(self, **kw: Any) -> Any:  # a def override in async calls
                return self.original.create_new_session(**kw)

        auth = await AsyncAuthCore.open(
            database={"sqlite": str(tmp_path / "a.db")},
            override=Override(functions=Mixed),
            events={"createUser": on_create, "session": on_session},
        )
        async with auth:
            loop_ticks = 0
            stop = asyncio.Event()

            async def ticker() -> None:  # the loop stays responsive while 1,000 calls are in flight
                nonlocal loop_ticks
                while not stop.is_set():
                    loop_ticks += 1
                    await asyncio.sleep(0.001)

            tick = asyncio.ensure_future(ticker())
            started = time.monotonic()
            results = await asyncio.wait_for(
                asyncio.gather(
                    *(
                        auth.sign_in_up(third_party_id="google", third_party_user_id=f"a{i}", email=_email(0, i))
                        for i in range(TASKS)
                    )
                ),
                DEADLINE_S,
            )
            elapsed = time.monotonic() - started
            sessions = await asyncio.wait_for(
                asyncio.gather(
                    *(auth.create_new_session(tenant_id="public", recipe_user_id=r.recipe_user_id) for r in results[:200])
                ),
                DEADLINE_S,
            )
            again = await asyncio.gather(
                *(
                    auth.sign_in_up(third_party_id="google", third_party_user_id=f"a{i}", email=_email(0, i))
                    for i in range(TASKS)
                )
            )
            stop.set()
            await tick
        assert all(r.status == "OK" and r.created_new_user for r in results)
        assert len({r.recipe_user_id for r in results}) == TASKS
        assert all(not r.created_new_user for r in again)
        assert [r.recipe_user_id for r in again] == [r.recipe_user_id for r in results]
        assert all(s.status == "OK" for s in sessions)
        assert sorted(d for d in delivered if d != "session") == sorted(r.recipe_user_id for r in results)
        assert delivered.count("session") == 200
        assert len(overridden) == 2 * TASKS
        assert loop_ticks > 5
        print(f"\n{TASKS} concurrent asyncio sign-ups: {TASKS / elapsed:.0f} ops/s, loop ticks {loop_ticks}")

    asyncio.run(main())
