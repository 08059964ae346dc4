"""Benchmark of the Python binding against the core called directly from Rust, in the same process and run.

* per-call overhead of a trivial call (`get_user` on an unknown id: validation + one indexed read)
  through `AuthCore` (blocking) vs the same loop in Rust; target: at most 1 us more per call;
* sign-up and sign-in ops/s through Python vs Rust; target: at least 0.5x;
* for information: the asyncio client and 4 threads on the blocking client.
* issue #13, "the benchmark applications care about": `sign_in_up_post` rows api-signup (N new unverified
  identities), api-signin (the same N again) and api-autolink (N verified identities auto-linked by email into
  verified github primaries set up beforehand, untimed, on an engine with automatic linking requiring
  verification), each creating a session, through the blocking `AuthCore` (one `def` event handler for every
  event) and through `AsyncAuthCore` (one `async def` handler), each against the raw-rusqlite baseline doing the
  minimal SQL for the same work in one transaction (the shared `authcore-bench-baseline` crate `scripts/bench`
  uses, run in Rust in this process through the bench-only native aid, on its own file per client). The four
  sides run in alternating chunks of 500 in the same run, ops awaited one after another; after each loop both
  files of a client must hold the same row counts, and the users and sessions expected. Targets: blocking >=
  0.6x the baseline, asyncio >= 0.5x, and asyncio sign-in >= 0.8x the blocking client's.

The first three are the best of `--rounds` alternating rounds (the machine is shared); the signInUpPOST rows
are one interleaved run of `--n` operations per side. Exit status 1 with `--check` when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import authcore
from authcore import _native


def best(rounds: int, f: Callable[[], float]) -> float:
    return min(f() for _ in range(rounds))


# --- signInUpPOST against the raw-rusqlite baseline ------------------------------------------------------------

CHUNK = 500
API_ROWS = ("api-signup", "api-signin", "api-autolink")
TARGETS = {"blocking": 0.6, "asyncio": 0.5}
AIO_VS_BLOCKING_TARGET = 0.8
LINKING = {"accountLinking": {"shouldAutomaticallyLink": True, "shouldRequireVerification": True}}


def post_kwargs(row: str, i: int) -> Dict[str, Any]:
    """Operation `i` of a row: the identities of `ApiRow::identity` in core/benches/baseline."""
    autolink = row == "api-autolink"
    return {
        "third_party_id": "google",
        "user_info": {
            "third_party_user_id": f"{'apigo' if autolink else 'api'}-{i}",
            "email": {"id": f"user-{i}@example.com", "is_verified": autolink},
        },
    }


def primary_kwargs(i: int) -> Dict[str, Any]:
    """Primary `i` of api-autolink: `api_primary` in core/benches/baseline."""
    return {
        "third_party_id": "github",
        "third_party_user_id": f"apigh-{i}",
        "email": {"id": f"user-{i}@example.com", "is_verified": True},
    }


def check_result(row: str, r: Any) -> bool:
    return bool(r.status == "OK" and r.created_new_recipe_user == (row != "api-signin") and r.access_token)


def blocking_chunk(auth: authcore.AuthCore, row: str, start: int, stop: int) -> float:
    inputs = [post_kwargs(row, i) for i in range(start, stop)]
    sign_in_up_post = auth.sign_in_up_post
    wrong = 0
    t = time.perf_counter()
    for kw in inputs:
        if not check_result(row, sign_in_up_post(**kw)):
            wrong += 1
    elapsed = time.perf_counter() - t
    if wrong:
        raise RuntimeError(f"{row} (blocking): {wrong} unexpected results")
    return elapsed


async def aio_chunk(auth: authcore.AsyncAuthCore, row: str, start: int, stop: int) -> float:
    inputs = [post_kwargs(row, i) for i in range(start, stop)]
    sign_in_up_post = auth.sign_in_up_post
    wrong = 0
    t = time.perf_counter()
    for kw in inputs:
        if not check_result(row, await sign_in_up_post(**kw)):
            wrong += 1
    elapsed = time.perf_counter() - t
    if wrong:
        raise RuntimeError(f"{row} (asyncio): {wrong} unexpected results")
    return elapsed


class ApiSides:
    """The blocking client and the asyncio client, each with one event handler and its own baseline file."""

    def __init__(self, tmp: Path, name: str, loop: asyncio.AbstractEventLoop, config: Dict[str, Any]) -> None:
        self.loop = loop
        self.events = {"blocking": 0, "asyncio": 0}

        def on_event(_event: Any) -> None:
            self.events["blocking"] += 1

        async def on_event_async(_event: Any) -> None:
            self.events["asyncio"] += 1

        self.paths = {
            kind: (tmp / f"{name}-{kind}.db", tmp / f"{name}-{kind}-baseline.db") for kind in ("blocking", "asyncio")
        }
        self.blocking = authcore.AuthCore.open(
            database={"sqlite": str(self.paths["blocking"][0])}, config=config, events={"*": on_event}
        )

        async def open_aio() -> authcore.AsyncAuthCore:
            return await authcore.AsyncAuthCore.open(
                database={"sqlite": str(self.paths["asyncio"][0])}, config=config, events={"*": on_event_async}
            )

        self.aio = loop.run_until_complete(open_aio())
        self.base = {kind: _native._bench_baseline_open(str(self.paths[kind][1])) for kind in self.paths}

    def setup_primaries(self, n: int) -> None:
        for i in range(n):
            r = self.blocking.manually_create_or_update_user(**primary_kwargs(i))
            assert r.status == "OK" and r.linking.outcome == "BECAME_PRIMARY", r

        async def aio_setup() -> None:
            for i in range(n):
                r = await self.aio.manually_create_or_update_user(**primary_kwargs(i))
                assert r.status == "OK" and r.linking.outcome == "BECAME_PRIMARY", r

        self.loop.run_until_complete(aio_setup())
        for base in self.base.values():
            base.setup(n)

    def run(self, row: str, n: int) -> Dict[str, Tuple[float, float]]:
        """`n` ops of `row` on the four sides in alternating chunks (the order reverses every chunk); returns
        (client seconds, baseline seconds) per client."""
        t = {"blocking": 0.0, "asyncio": 0.0, "blocking-baseline": 0.0, "asyncio-baseline": 0.0}
        sides: List[Tuple[str, Callable[[int, int], float]]] = [
            ("blocking", lambda a, b: blocking_chunk(self.blocking, row, a, b)),
            ("blocking-baseline", lambda a, b: self.base["blocking"].run(row, a, b)),
            ("asyncio", lambda a, b: self.loop.run_until_complete(aio_chunk(self.aio, row, a, b))),
            ("asyncio-baseline", lambda a, b: self.base["asyncio"].run(row, a, b)),
        ]
        for k, start in enumerate(range(0, n, CHUNK)):
            stop = min(n, start + CHUNK)
            for name, side in sides if k % 2 == 0 else reversed(sides):
                t[name] += side(start, stop)
        return {kind: (t[kind], t[f"{kind}-baseline"]) for kind in ("blocking", "asyncio")}

    def check(self, row: str, users: int, sessions: int, groups: int) -> Dict[str, int]:
        """Same row counts in each client's two files, and the users, sessions and groups expected."""
        counts: Dict[str, int] = {}
        for kind, (engine, base) in self.paths.items():
            counts = _native._bench_same_work(str(engine), str(base))
            got = (counts["recipe_users"], counts["sessions"], counts["groups"])
            if got != (users, sessions, groups):
                raise RuntimeError(f"{row} ({kind}): users, sessions, groups {got}, expected {(users, sessions, groups)}")
        return counts

    def close(self) -> None:
        self.blocking.shutdown()

        async def aio_shutdown() -> None:
            await self.aio.shutdown()

        self.loop.run_until_complete(aio_shutdown())


def api_rows(n: int, tmp: Path) -> bool:
    """The signInUpPOST rows; prints them and returns whether every target was met."""
    loop = asyncio.new_event_loop()
    lines: List[Tuple[str, float, float, float]] = []
    counts: Dict[str, Dict[str, int]] = {}
    signin: Dict[str, float] = {}

    def record(row: str, times: Dict[str, Tuple[float, float]]) -> None:
        for kind, (client_s, base_s) in times.items():
            lines.append((f"{row} ({kind})", n / client_s, n / base_s, TARGETS[kind]))
            if row == "api-signin":
                signin[kind] = n / client_s

    def events_seen(sides: ApiSides, before: Dict[str, int], row: str) -> None:
        for kind, count in sides.events.items():
            if count - before[kind] < n:
                raise RuntimeError(f"{row} ({kind}): the handler saw {count - before[kind]} events for {n} calls")

    try:
        sides = ApiSides(tmp, "api", loop, {})
        try:
            for row, users, sessions in (("api-signup", n, n), ("api-signin", n, 2 * n)):
                before = dict(sides.events)
                times = sides.run(row, n)
                events_seen(sides, before, row)
                counts[row] = sides.check(row, users, sessions, users)
                record(row, times)
        finally:
            sides.close()
        sides = ApiSides(tmp, "api-autolink", loop, LINKING)
        try:
            sides.setup_primaries(n)
            sides.check("api-autolink setup", n, 0, n)
            before = dict(sides.events)
            times = sides.run("api-autolink", n)
            events_seen(sides, before, "api-autolink")
            # Every sign-up linked: 2N login methods in N groups.
            counts["api-autolink"] = sides.check("api-autolink", 2 * n, n, n)
            record("api-autolink", times)
        finally:
            sides.close()
    finally:
        loop.close()

    ok = True
    print(f"signInUpPOST with one event handler, against the raw-rusqlite baseline (N={n} per side, same process, "
          f"interleaved chunks of {CHUNK}, ops one after another)")
    print(f"  {'row':<24}{'python ops/s':>13}{'baseline ops/s':>16}{'ratio':>8}{'target':>10}  result  rows after the loop")
    for name, client_ops, base_ops, target in lines:
        ratio = client_ops / base_ops
        passed = ratio >= target
        ok = ok and passed
        c = counts[name.split(" ")[0]]
        print(f"  {name:<24}{client_ops:>13.0f}{base_ops:>16.0f}{ratio:>7.2f}x{'>= ' + str(target) + 'x':>10}  "
              f"{'PASS' if passed else 'FAIL'}    users {c['recipe_users']}, sessions {c['sessions']} "
              f"(same in both files)")
    ratio = signin["asyncio"] / signin["blocking"]
    passed = ratio >= AIO_VS_BLOCKING_TARGET
    ok = ok and passed
    print(f"  {'api-signin aio/blocking':<24}{signin['asyncio']:>13.0f}{signin['blocking']:>16.0f}{ratio:>7.2f}x"
          f"{'>= ' + str(AIO_VS_BLOCKING_TARGET) + 'x':>10}  {'PASS' if passed else 'FAIL'}    "
          f"(asyncio ops/s against the blocking client's, not the baseline)")
    return ok


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=200_000, help="trivial calls per round")
    ap.add_argument("--ops", type=int, default=5_000, help="sign-ups (and sign-ins) per round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--n", type=int, default=20_000, help="signInUpPOST operations per side and per row")
    ap.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    a = ap.parse_args()
    if min(a.calls, a.ops, a.rounds, a.n) <= 0:
        ap.error("--calls, --ops, --rounds and --n take positive integers")
    tmp = Path(tempfile.mkdtemp(prefix="authcore-bench-"))

    # --- trivial call -------------------------------------------------------------------------------------
    auth = authcore.AuthCore.open(database={"sqlite": str(tmp / "trivial-py.db")})
    get_user = auth.get_user

    def py_trivial() -> float:
        n = a.calls
        t = time.perf_counter()
        for _ in range(n):
            get_user(user_id="unknown-user-id")
        return (time.perf_counter() - t) / n

    def rust_trivial() -> float:
        return _native._bench_direct(str(tmp / "trivial-rs.db"), "get_user", a.calls) / a.calls

    py_call: List[float] = []
    rs_call: List[float] = []
    for _ in range(a.rounds):
        py_call.append(py_trivial())
        rs_call.append(rust_trivial())
    py_us, rs_us = min(py_call) * 1e6, min(rs_call) * 1e6

    def empty_loop() -> float:
        n = a.calls
        t = time.perf_counter()
        for _ in range(n):
            pass
        return (time.perf_counter() - t) / n

    loop_us = best(a.rounds, empty_loop) * 1e6
    overhead = py_us - rs_us

    # --- sign-up / sign-in ----------------------------------------------------------------------------------
    results: Dict[str, List[float]] = {"py_up": [], "py_in": [], "rs_up": [], "rs_in": []}
    for r in range(a.rounds):
        db = tmp / f"ops-py-{r}.db"
        # Python: one fresh database per round; sign-ups then sign-ins of the same users.
        with authcore.AuthCore.open(database={"sqlite": str(db)}) as auth:
            sign_in_up = auth.sign_in_up
            for kind in ("py_up", "py_in"):
                t = time.perf_counter()
                for i in range(a.ops):
                    sign_in_up(
                        third_party_id="google",
                        third_party_user_id=f"u{i}",
                        email={"id": f"u{i}@example.com", "is_verified": True},
                    )
                results[kind].append(a.ops / (time.perf_counter() - t))
        rdb = str(tmp / f"ops-rs-{r}.db")
        results["rs_up"].append(a.ops / _native._bench_direct(rdb, "sign_up", a.ops))
        results["rs_in"].append(a.ops / _native._bench_direct(rdb, "sign_in", a.ops))
    py_up, py_in = max(results["py_up"]), max(results["py_in"])
    rs_up, rs_in = max(results["rs_up"]), max(results["rs_in"])

    # --- for information: asyncio client, threads -----------------------------------------------------------
    async def aio() -> float:
        auth = await authcore.AsyncAuthCore.open(database={"sqlite": str(tmp / "aio.db")})
        async with auth:
            t = time.perf_counter()
            await asyncio.gather(
                *(
                    auth.sign_in_up(
                        third_party_id="google",
                        third_party_user_id=f"u{i}",
                        email={"id": f"u{i}@example.com", "is_verified": True},
                    )
                    for i in range(a.ops)
                )
            )
            return a.ops / (time.perf_counter() - t)

    aio_up = asyncio.run(aio())

    with authcore.AuthCore.open(database={"sqlite": str(tmp / "threads.db")}) as auth:
        per = a.ops // 4

        def work(k: int) -> None:
            for i in range(per):
                auth.sign_in_up(
                    third_party_id="google",
                    third_party_user_id=f"t{k}-{i}",
                    email={"id": f"t{k}-{i}@example.com", "is_verified": True},
                )

        threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
        t = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        threads_up = 4 * per / (time.perf_counter() - t)

    ok_overhead = overhead <= 1.0
    ok_up = py_up / rs_up >= 0.5
    ok_in = py_in / rs_in >= 0.5
    print(f"authcore Python binding benchmark (best of {a.rounds} rounds; {a.calls} trivial calls, {a.ops} ops)")
    print(f"  trivial call get_user(unknown):  python {py_us:7.3f} us   rust {rs_us:7.3f} us   "
          f"overhead {overhead:+.3f} us/call (empty Python loop {loop_us:.3f} us)   target <= 1 us: "
          f"{'OK' if ok_overhead else 'MISSED'}")
    print(f"  sign-up  ops/s:  python {py_up:9.0f}   rust {rs_up:9.0f}   ratio {py_up / rs_up:5.2f}x   "
          f"target >= 0.5x: {'OK' if ok_up else 'MISSED'}")
    print(f"  sign-in  ops/s:  python {py_in:9.0f}   rust {rs_in:9.0f}   ratio {py_in / rs_in:5.2f}x   "
          f"target >= 0.5x: {'OK' if ok_in else 'MISSED'}")
    print(f"  (info) asyncio client, {a.ops} concurrent sign-ups: {aio_up:.0f} ops/s; "
          f"blocking client, 4 threads: {threads_up:.0f} ops/s")
    print()
    ok_api = api_rows(a.n, tmp)
    if a.check and not (ok_overhead and ok_up and ok_in and ok_api):
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
