"""The never-blocking benchmark, Python asyncio (issue 14, acceptance "Never blocking"; run by
scripts/bench-nonblocking).

Against the real test OpenID Provider (tests/oidc/op.mjs, started with tests/oidc/peer.py), on one
`AsyncAuthCore` (temp SQLite file, the OP configured as a provider by discovery, as the seed tests do), all on
one asyncio event loop:

* warm-up: one whole sign-in without delay (discovery, JWKS and the engine's I/O runtime are then warm); its
  user is the target of the cheap call, ``await auth.get_user(user_id=...)``, awaited one after another,
  yielding to the loop (``asyncio.sleep(0)``) every 64 calls, as a server's other requests would interleave;
* per round: 100 authorisation codes obtained first (``get_authorisation_url`` + the OP's ``/__test/drive``, in
  parallel threads), the OP's token endpoint set to answer after 200 ms, the cheap call's rate measured for a
  fixed window (150 ms) unloaded, then the 100 ``sign_in_up_post`` calls with ``redirect_uri_info`` started at
  once (not awaited) and the same rate measured for the same window while they wait; then they are awaited,
  and the unloaded rate is measured again for one more window (the round's unloaded rate is that of both
  windows, so a drift of the machine's load, shared with other work, falls on both sides). 200 ms pauses before
  each unloaded window let the OP and the drive traffic quiet down.

Validity, checked per round: no sign-in had finished at the end of the window (all were pending during the
whole measurement), and by then the OP had received all 100 token requests (they were waiting on the token
endpoint, not queued in the engine). Outcome: every sign-in OK (a new user each). The ratio is the window-summed
rate during / unloaded over all rounds; target >= 0.90.

Usage: python bench/nonblocking.py [--rounds N] [--window-ms MS] [--signins N] [--delay-ms MS]
                                   [--no-fail | --fail-on-outcomes]
Exit status 1 when the ratio misses the target, a sign-in failed or a round's window was not covered by pending
sign-ins; with --fail-on-outcomes only when a sign-in failed; with --no-fail never (prints only).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Tuple

import authcore

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tests" / "oidc"))
import peer  # noqa: E402  (tests/oidc/peer.py, stdlib only)

CALLBACK = "http://127.0.0.1:9/callback"
TARGET = 0.9
YIELD_EVERY = 64
DRIVE_PARALLEL = 8
SETTLE = 0.2


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--window-ms", type=int, default=150)
    p.add_argument("--signins", type=int, default=100)
    p.add_argument("--delay-ms", type=int, default=200)
    p.add_argument("--no-fail", action="store_true", help="print only")
    p.add_argument("--fail-on-outcomes", action="store_true", help="exit 1 only when a sign-in failed")
    a = p.parse_args()
    if a.window_ms >= a.delay_ms:
        p.error("--window-ms must be shorter than --delay-ms")
    return a


async def main(args: argparse.Namespace) -> Tuple[bool, bool]:
    ok = True  # every target met and every round valid
    outcomes = True  # every sign-in succeeded
    with peer.start_op() as op, tempfile.TemporaryDirectory(prefix="authcore-py-nonblocking-") as tmp:
        config = {
            "providers": [
                {
                    "thirdPartyId": "oidc",
                    "oidcDiscoveryEndpoint": op.base,
                    "clients": [{"clientId": "web", "clientSecret": "web-secret", "scope": ["openid", "email"]}],
                }
            ]
        }
        auth = await authcore.AsyncAuthCore.open(database={"sqlite": os.path.join(tmp, "auth.db")}, config=config)
        async with auth:
            limit = asyncio.Semaphore(DRIVE_PARALLEL)

            async def code_for(login: str) -> Dict[str, Any]:
                """A redirect as the app would get it back: the code, state and iss the OP redirected with."""
                async with limit:
                    start = await auth.get_authorisation_url(
                        third_party_id="oidc", redirect_uri_on_provider_dashboard=CALLBACK
                    )
                    back = await asyncio.to_thread(op.drive, start.url_with_query_params, login)
                if not back.get("code") or back.get("state") != start.state:
                    raise RuntimeError(f"drive {login}: {back}")
                return {
                    "redirect_uri_on_provider_dashboard": CALLBACK,
                    "redirect_uri_query_params": {"code": back["code"], "state": back["state"], "iss": back["iss"]},
                    "pkce_code_verifier": start.pkce_code_verifier,
                }

            def sign_in(info: Dict[str, Any]) -> Any:
                return auth.sign_in_up_post(third_party_id="oidc", redirect_uri_info=info)

            op.token_delay(0)
            warm = await sign_in(await code_for("nb-py-warm"))
            assert warm.status == "OK", warm
            user_id = warm.user.id

            async def measure(ms: float) -> Tuple[int, float]:
                """The cheap call, awaited one after another for `ms`: (calls, seconds)."""
                n = 0
                t0 = time.perf_counter()
                end = t0 + ms / 1000
                while True:
                    for _ in range(YIELD_EVERY):
                        u = await auth.get_user(user_id=user_id)
                        if u is None or u.id != user_id:
                            raise RuntimeError(f"get_user answered {u!r}")
                    n += YIELD_EVERY
                    t = time.perf_counter()
                    if t >= end:
                        return n, t - t0
                    await asyncio.sleep(0)

            await measure(300)  # warm-up

            sums = {"unloaded": [0, 0.0], "during": [0, 0.0]}
            completed = 0
            total = 0
            ratios: List[float] = []
            for rnd in range(1, args.rounds + 1):
                t = time.perf_counter()
                infos = await asyncio.gather(*(code_for(f"nb-py-r{rnd}-{i}") for i in range(args.signins)))
                codes_ms = (time.perf_counter() - t) * 1000
                await asyncio.to_thread(op.token_delay, args.delay_ms)
                before = (await asyncio.to_thread(op.stats))["token"]

                await asyncio.sleep(SETTLE)  # the OP and the drive traffic quiet down
                before1 = await measure(args.window_ms)

                done = [0]
                failures: List[str] = []

                def finished(fut: "asyncio.Future[Any]") -> None:
                    done[0] += 1
                    if fut.cancelled():
                        failures.append("cancelled")
                    elif fut.exception() is not None:
                        failures.append(repr(fut.exception()))
                    else:
                        r = fut.result()
                        if r.status != "OK" or not r.created_new_user:
                            failures.append(repr(r)[:300])

                t0 = time.perf_counter()
                pending = []
                for info in infos:
                    f = asyncio.ensure_future(sign_in(info))
                    f.add_done_callback(finished)
                    pending.append(f)
                launch_ms = (time.perf_counter() - t0) * 1000
                # Done callbacks run from the loop: one already finished shows up here only after a yield, and
                # the measurement yields every 64 calls, so `done` at the window's end is the honest count.
                during = await measure(args.window_ms)
                done_at_end = done[0]
                since_launch_ms = (time.perf_counter() - t0) * 1000
                reached = (await asyncio.to_thread(op.stats))["token"] - before
                await asyncio.gather(*pending, return_exceptions=True)
                all_ms = (time.perf_counter() - t0) * 1000
                await asyncio.sleep(SETTLE)
                after1 = await measure(args.window_ms)
                await asyncio.to_thread(op.token_delay, 0)
                # The unloaded rate of the round: one window right before the sign-ins start, one once they are all
                # done (so a drift of the machine's load during the round falls on both sides).
                unloaded = (before1[0] + after1[0], before1[1] + after1[1])

                covered = done_at_end == 0 and reached == args.signins
                succeeded = args.signins - len(failures)
                completed += succeeded
                total += args.signins
                ratios.append((during[0] / during[1]) / (unloaded[0] / unloaded[1]))
                for key, m in (("unloaded", unloaded), ("during", during)):
                    sums[key][0] += m[0]
                    sums[key][1] += m[1]
                print(
                    f"  python round {rnd}: codes {codes_ms:.0f} ms; unloaded {before1[0] / before1[1]:.0f} ops/s before, "
                    f"{after1[0] / after1[1]:.0f} after; ratio {(during[0] / during[1]) / (unloaded[0] / unloaded[1]):.2f}; "
                    f"{args.signins} sign-ins started in {launch_ms:.1f} ms, during {during[0] / during[1]:.0f} ops/s "
                    f"over {during[1] * 1000:.0f} ms (window ended {since_launch_ms:.0f} ms after start), finished at "
                    f"window end {done_at_end}, token requests at the OP {reached}/{args.signins}, all done after "
                    f"{all_ms:.0f} ms, OK {succeeded}/{args.signins}",
                    flush=True,
                )
                if failures:
                    ok = False
                    outcomes = False
                    print(f"  python round {rnd}: failed sign-ins, first: {failures[0]}", flush=True)
                if not covered:
                    ok = False
                    print(
                        f"  python round {rnd}: INVALID window: sign-ins were not all pending at the token endpoint "
                        "throughout",
                        flush=True,
                    )
        unloaded_rate = sums["unloaded"][0] / sums["unloaded"][1]
        during_rate = sums["during"][0] / sums["during"][1]
        ratio = during_rate / unloaded_rate
        median = sorted(ratios)[len(ratios) // 2]
        if ratio < TARGET:
            ok = False
        print(
            f"nonblocking python-asyncio: unloaded {unloaded_rate:.0f} ops/s, during {args.signins} pending sign-ins "
            f"{during_rate:.0f} ops/s, ratio {ratio:.2f} (target >= {TARGET:.2f}), pending sign-ins completed "
            f"{completed}/{total} ({args.rounds} rounds of {args.signins}, {args.delay_ms} ms token delay, "
            f"{args.window_ms} ms windows; median round ratio {median:.2f}) {'PASS' if ok else 'FAIL'}",
            flush=True,
        )
    return ok, outcomes


if __name__ == "__main__":
    a = parse_args()
    all_ok, outcomes_ok = asyncio.run(main(a))
    if a.no_fail:
        sys.exit(0)
    sys.exit(0 if (outcomes_ok if a.fail_on_outcomes else all_ok) else 1)
