"""Benchmark of the Python binding against the core called directly from Rust, in the same process and run.

* per-call overhead of a trivial call (`get_user` on an unknown id: validation + one indexed read)
  through `AuthCore` (blocking) vs the same loop in Rust; target: at most 1 us more per call;
* sign-up and sign-in ops/s through Python vs Rust; target: at least 0.5x;
* for information: the asyncio client and 4 threads on the blocking client.

Each figure is the best of `--rounds` alternating rounds (the machine is shared). Exit status 1 with
`--check` when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable, Dict, List

import authcore
from authcore import _native


def best(rounds: int, f: Callable[[], float]) -> float:
    return min(f() for _ in range(rounds))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=200_000, help="trivial calls per round")
    ap.add_argument("--ops", type=int, default=5_000, help="sign-ups (and sign-ins) per round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    a = ap.parse_args()
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
    if a.check and not (ok_overhead and ok_up and ok_in):
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
