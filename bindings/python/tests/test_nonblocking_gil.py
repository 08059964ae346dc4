"""Never blocking, the blocking client (issue 14): while a blocking ``sign_in_up_post`` waits on a token endpoint
that answers after 500 ms (the test OP's ``/__test/token-delay``), another Python thread keeps running: the call
waits with the GIL released.

A counter thread increments as fast as it can (pure Python: it needs the GIL for every step). Its rate is taken
over three waits of the main thread of about the same length: ``time.sleep`` (GIL released: the free rate), a C
sleep called with the GIL held (``ctypes.PyDLL``: the rate a GIL-holding wait would leave, near zero; this shows
the measure can fail), and the blocking sign-in. The sign-in's rate must be at least ``MIN_SHARE`` of the free
rate, and the held baseline far below it.
"""

from __future__ import annotations

import ctypes
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator, Tuple

import pytest

import authcore

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests" / "oidc"))
import peer  # noqa: E402  (tests/oidc/peer.py, stdlib only)

CALLBACK = "http://127.0.0.1:9/callback"
DELAY_MS = 500
# The share of its free rate the counter must keep while the sign-in waits (a wait holding the GIL leaves ~0).
MIN_SHARE = 0.5
# The share of the free rate the GIL-holding baseline must stay under for the measure to mean anything.
HELD_MAX_SHARE = 0.2


@pytest.fixture(scope="module")
def op() -> Iterator[Any]:
    with peer.start_op() as p:
        yield p


def counted(action: Callable[[], Any]) -> Tuple[float, float, Any]:
    """Runs `action` on this thread while another thread counts; answers (the counter's increments per second
    during the action, the action's seconds, its result)."""
    count = [0]
    running = [True]
    started = threading.Event()

    def counter() -> None:
        started.set()
        while running[0]:
            count[0] += 1

    t = threading.Thread(target=counter, daemon=True)
    t.start()
    started.wait()
    time.sleep(0.05)  # let it get going
    c0, t0 = count[0], time.perf_counter()
    result = action()
    c1, t1 = count[0], time.perf_counter()
    running[0] = False
    t.join()
    return (c1 - c0) / (t1 - t0), t1 - t0, result


def test_blocking_sign_in_releases_the_gil_while_waiting_on_the_token_endpoint(op: Any, tmp_path: Path) -> None:
    config = {
        "providers": [
            {
                "thirdPartyId": "oidc",
                "oidcDiscoveryEndpoint": op.base,
                "clients": [{"clientId": "web", "clientSecret": "web-secret", "scope": ["openid", "email"]}],
            }
        ]
    }
    libc_held = ctypes.PyDLL(None)  # PyDLL: its functions are called with the GIL held
    libc_held.usleep.argtypes = [ctypes.c_uint]

    with authcore.AuthCore.open(database={"sqlite": str(tmp_path / "a.db")}, config=config) as auth:

        def redirect(login: str) -> Any:
            start = auth.get_authorisation_url(third_party_id="oidc", redirect_uri_on_provider_dashboard=CALLBACK)
            cb = op.drive(start.url_with_query_params, login)
            assert cb.get("code") and cb["state"] == start.state, cb
            return {
                "redirect_uri_on_provider_dashboard": CALLBACK,
                "redirect_uri_query_params": {"code": cb["code"], "state": cb["state"], "iss": cb["iss"]},
                "pkce_code_verifier": start.pkce_code_verifier,
            }

        # Warm-up without delay: discovery, JWKS and the I/O runtime are ready, so the timed call is the token
        # exchange's wait and what follows it.
        op.token_delay(0)
        assert auth.sign_in_up_post(third_party_id="oidc", redirect_uri_info=redirect("gil-warm")).status == "OK"
        info = redirect("gil-timed")
        op.token_delay(DELAY_MS)
        try:
            free, _, _ = counted(lambda: time.sleep(DELAY_MS / 1000))
            held, _, _ = counted(lambda: libc_held.usleep(DELAY_MS * 1000))
            tokens_before = op.stats()["token"]
            during, took, r = counted(lambda: auth.sign_in_up_post(third_party_id="oidc", redirect_uri_info=info))
            tokens = op.stats()["token"] - tokens_before
            free_after, _, _ = counted(lambda: time.sleep(DELAY_MS / 1000))
        finally:
            op.token_delay(0)

    free = max(free, free_after)
    print(
        f"\nnonblocking python-blocking (GIL): counter thread {free:.0f} incr/s while sleeping, {held:.0f} incr/s "
        f"during a GIL-holding sleep ({held / free:.2f}), {during:.0f} incr/s during a blocking sign_in_up_post of "
        f"{took * 1000:.0f} ms with a {DELAY_MS} ms token delay ({during / free:.2f}, target >= {MIN_SHARE:.2f})"
    )
    assert r.status == "OK" and r.created_new_user, r
    assert tokens == 1
    # The call really waited on the delayed token endpoint.
    assert took >= DELAY_MS / 1000, took
    # The measure can tell: a wait holding the GIL all but stops the counter.
    assert held < HELD_MAX_SHARE * free, (held, free)
    # The sign-in's wait did not: the other thread kept running.
    assert during >= MIN_SHARE * free, (during, free)
