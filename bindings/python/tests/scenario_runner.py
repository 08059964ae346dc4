"""Replays one tests/scenarios/*.json file through the Python API, like core/tests/common/runner.rs.

The same scenario runs twice: on the blocking `AuthCore` with `def` scripted overrides and a `def` catch-all
event handler, and on `AsyncAuthCore` with `async def` ones. The op dispatcher mirrors runner.rs `call`
(camelCase args become snake_case keyword arguments; results are wrapped exactly as runner.rs wraps them).
"""

from __future__ import annotations

import asyncio
import atexit
import importlib.util
import json
import os
import re
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

import authcore
from matcher import MISSING, Captures, MatchError, matches, resolve

SCENARIO_DIR = Path(__file__).resolve().parents[3] / "tests" / "scenarios"
PEERS_DIR = Path(__file__).resolve().parents[3] / "tests" / "oidc"


class ScriptedError(Exception):
    """Raised by a scripted `throw` override; the caller must get this very object back."""


class ScenarioFailure(AssertionError):
    pass


def snake(name: str) -> str:
    name = name.replace("POST", "Post").replace("URL", "Url").replace("URI", "Uri")
    return re.sub(r"(?<!^)([A-Z])", lambda m: "_" + m.group(1).lower(), name)


def to_json(v: Any) -> Any:
    if isinstance(v, authcore.Record):
        return v.to_dict()
    if isinstance(v, list):
        return [to_json(x) for x in v]
    return v


def _ok(**fields: Any) -> Dict[str, Any]:
    return {"status": "OK", **fields}


def _with_status(r: Any) -> Any:
    d = to_json(r)
    d["status"] = "OK"
    return d


# op -> how runner.rs wraps the result of the same-named method.
WRAP: Dict[str, Callable[[Any], Any]] = {
    "signInUp": to_json,
    "manuallyCreateOrUpdateUser": to_json,
    "signInUpPOST": to_json,
    "createPrimaryUser": to_json,
    "canCreatePrimaryUser": to_json,
    "linkAccounts": to_json,
    "canLinkAccounts": to_json,
    "unlinkAccount": to_json,
    "deleteUser": lambda r: _ok(),
    "getUser": lambda r: _ok(user=to_json(r)),
    "listUsersByAccountInfo": lambda r: _ok(users=to_json(r)),
    "getUsers": _with_status,
    "createOrUpdateTenant": to_json,
    "getTenant": lambda r: _ok(tenant=to_json(r)),
    "listAllTenants": lambda r: _ok(tenants=to_json(r)),
    "deleteTenant": to_json,
    "associateUserToTenant": to_json,
    "disassociateUserFromTenant": to_json,
    "isEmailVerified": lambda r: _ok(isVerified=r),
    "verifyEmail": to_json,
    "unverifyEmail": lambda r: _ok(),
    "createNewSession": to_json,
    "getSession": to_json,
    "revokeSession": lambda r: _ok(wasRevoked=r),
    "revokeAllSessionsForUser": lambda r: _ok(revokedSessionHandles=r),
    "getAllSessionHandlesForUser": lambda r: _ok(sessionHandles=r),
}


class UnknownOp(Exception):
    code = "INVALID_INPUT"


class RunnerError(Exception):
    """A failure of the runner's own machinery (a peer's answer that is not JSON): runner.rs' INTERNAL_ERROR."""

    code = "INTERNAL_ERROR"


# --- peers (tests/scenarios/README.md "Peers"; runner.rs `peer_base`, `with_peers`) -----------------------

_peers: Dict[str, Any] = {}
_peers_lock = threading.Lock()


def _launcher() -> Any:
    spec = importlib.util.spec_from_file_location("authcore_oidc_peer", PEERS_DIR / "peer.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _stop_peers() -> None:
    with _peers_lock:
        started = list(_peers.values())
        _peers.clear()
    for p in started:
        p.stop()


def peer_base(name: str) -> str:
    """The base URL of the test peer `name` (`op`, `fakes`), started on first use and shared by every scenario
    of this process. It dies with the process: its stdin is a pipe from here, and it is stopped at exit."""
    with _peers_lock:
        p = _peers.get(name)
        if p is None:
            launcher = _launcher()
            start = {"op": launcher.start_op, "fakes": launcher.start_fakes}.get(name)
            if start is None:
                raise ScenarioFailure(f"unknown peer {name}")
            if not _peers:
                atexit.register(_stop_peers)
            p = _peers[name] = start()
        return str(p.base)


def with_peers(v: Any) -> Any:
    """Replaces every `{"$peer": name}` in `v` by that peer's base URL."""
    if isinstance(v, dict):
        if len(v) == 1 and "$peer" in v:
            if not isinstance(v["$peer"], str):
                raise ScenarioFailure("$peer needs a string")
            return peer_base(v["$peer"])
        return {k: with_peers(x) for k, x in v.items()}
    if isinstance(v, list):
        return [with_peers(x) for x in v]
    return v


def drive(args: Dict[str, Any]) -> Any:
    """The pseudo-op `drive`: POSTs `args` as JSON to `<op>/__test/drive`; the OP's JSON answer is the result
    (whatever its HTTP status, as in runner.rs)."""
    body = json.dumps({k: v for k, v in args.items() if k != "userContext"}).encode()
    req = urllib.request.Request(
        f"{peer_base('op')}/__test/drive",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as res:
            text = res.read().decode()
    except urllib.error.HTTPError as e:
        text = e.read().decode(errors="replace")
    try:
        return json.loads(text)
    except ValueError as e:
        raise RunnerError(f"drive: not JSON ({e}): {text[:500]}") from None


def kwargs_of(args: Dict[str, Any]) -> Dict[str, Any]:
    return {snake(k): v for k, v in args.items()}


def recorded(rec: "Recordings", args: Dict[str, Any]) -> List[Any]:
    name = args.get("name")
    if not isinstance(name, str):
        raise UnknownOp("getRecorded: name must be a string")
    return rec.get(name, [])


def engine_config(scenario: Dict[str, Any]) -> Dict[str, Any]:
    cfg = scenario.get("config") or {}
    return {k: cfg[k] for k in ("providers", "accountLinking", "redirect", "events", "providerSecretsKey") if k in cfg}


# --- scripted overrides (tests/scenarios/README.md "Scripted overrides") ---------------------------------

Recordings = Dict[str, List[Any]]


def _directive(d: Dict[str, Any], ctx: authcore.UserContext) -> Optional[Tuple[str, Any]]:
    cond = d.get("whenUserContext")
    if isinstance(cond, dict):
        for k, v in cond.items():
            if k not in ctx or ctx[k] != v:
                return None
    if "throw" in d:
        t = d["throw"]
        return ("throw", t.get("message", "scripted") if isinstance(t, dict) else "scripted")
    if "return" in d:
        return ("return", d["return"])
    return ("original", d.get("record"))


def scripted(script: Dict[str, Any], rec: Recordings, is_async: bool) -> Callable[[Any], Any]:
    """An override factory: `lambda original: obj`, where obj defines one method per scripted function."""

    methods: Dict[str, Any] = {}
    for camel, d in script.items():
        name = snake(camel)

        def make(name: str = name, d: Dict[str, Any] = d) -> Any:
            if is_async:

                async def method(self: Any, *, user_context: authcore.UserContext, **kw: Any) -> Any:
                    step = _directive(d, user_context)
                    original = getattr(self.original, name)
                    if step is None:
                        return await original(user_context=user_context, **kw)
                    what, arg = step
                    if what == "throw":
                        raise ScriptedError(arg)
                    if what == "return":
                        return arg
                    r = await original(user_context=user_context, **kw)
                    if isinstance(arg, str):
                        rec.setdefault(arg, []).append(to_json(r))
                    return r

            else:

                def method(self: Any, *, user_context: authcore.UserContext, **kw: Any) -> Any:
                    step = _directive(d, user_context)
                    original = getattr(self.original, name)
                    if step is None:
                        return original(user_context=user_context, **kw)
                    what, arg = step
                    if what == "throw":
                        raise ScriptedError(arg)
                    if what == "return":
                        return arg
                    r = original(user_context=user_context, **kw)
                    if isinstance(arg, str):
                        rec.setdefault(arg, []).append(to_json(r))
                    return r

            return method

        methods[name] = make()

    def init(self: Any, original: Any) -> None:
        self.original = original

    cls = type("Scripted", (), {"__init__": init, **methods})
    return lambda original: cls(original)


def build_override(scenario: Dict[str, Any], rec: Recordings, is_async: bool) -> Optional[authcore.Override]:
    o = (scenario.get("config") or {}).get("overrides")
    if not isinstance(o, dict):
        return None
    unknown = [k for k in o if k not in ("functions", "apis")]
    if unknown:
        raise ScenarioFailure(f"config.overrides: unknown key {unknown[0]}")
    f = o.get("functions")
    a = o.get("apis")
    return authcore.Override(
        functions=scripted(f, rec, is_async) if isinstance(f, dict) else None,
        apis=scripted(a, rec, is_async) if isinstance(a, dict) else None,
    )


# --- the step loop ----------------------------------------------------------------------------------------


def error_code(e: BaseException) -> Optional[str]:
    if isinstance(e, authcore.AuthError):
        return str(getattr(e, "code"))
    if isinstance(e, ScriptedError):
        return "HOST_ERROR"
    if isinstance(e, (UnknownOp, RunnerError)):
        return e.code
    if isinstance(e, TypeError):
        # A missing or wrongly typed argument: runner.rs reports it as INVALID_INPUT (its `s()` helper and
        # `parse`); Python reports it as TypeError before the call reaches the core.
        return "INVALID_INPUT"
    return None


def check_step(
    i: int,
    step: Dict[str, Any],
    op: str,
    result: Any,
    error: Optional[BaseException],
    delivered: List[Dict[str, Any]],
    caps: Captures,
) -> None:
    at = f"step {i} ({op})"
    want_error = step.get("expectError")
    if error is not None:
        code = error_code(error)
        if code is None:
            raise ScenarioFailure(f"{at}: unexpected exception {type(error).__name__}: {error}") from error
        if want_error is None:
            raise ScenarioFailure(f"{at}: unexpected error {code} ({error})")
        if code != want_error:
            raise ScenarioFailure(f"{at}: expected error {want_error}, got {code} ({error})")
    else:
        if want_error is not None:
            raise ScenarioFailure(f"{at}: expected error {want_error}, got {json.dumps(result)}")
        if isinstance(step.get("capture"), str):
            caps[step["capture"]] = result
        if "expect" in step:
            try:
                matches(step["expect"], result, caps, "result")
            except MatchError as e:
                raise ScenarioFailure(f"{at}: {e}\n    actual: {json.dumps(result)}") from None
    expected_events = step.get("events", [])
    if not isinstance(expected_events, list):
        raise ScenarioFailure(f"{at}: events must be an array")
    expected = [{"name": x} if isinstance(x, str) else x for x in expected_events]
    try:
        matches(expected, delivered, caps, "events")
    except MatchError as e:
        names = [d.get("name") for d in delivered]
        raise ScenarioFailure(f"{at}: {e}\n    delivered: {names}") from None


def database_option(db: Union[Path, Dict[str, str]]) -> Dict[str, str]:
    """``database=`` for a run: a path is a new SQLite file, a dict is given as it is (PostgreSQL)."""
    return {"sqlite": str(db)} if isinstance(db, Path) else db


def postgres_url() -> Optional[str]:
    """The PostgreSQL server the tests may use (``AUTHCORE_TEST_POSTGRES``, which ``scripts/test`` exports after
    starting a throwaway one with ``scripts/pg-test-server``), or ``None``."""
    url = os.environ.get("AUTHCORE_TEST_POSTGRES", "").strip()
    return url or None


def fresh_schema() -> str:
    """A schema name no other run uses, so each scenario starts on empty tables of its own."""
    return f"s_{uuid.uuid4().hex}"


def run_sync(scenario: Dict[str, Any], db: Union[Path, Dict[str, str]]) -> None:
    scenario = with_peers(scenario)
    delivered: List[Dict[str, Any]] = []
    rec: Recordings = {}

    def on_event(e: Dict[str, Any]) -> None:
        delivered.append(e)

    auth = authcore.AuthCore.open(
        database=database_option(db),
        config=engine_config(scenario),
        override=build_override(scenario, rec, is_async=False),
        events={"*": on_event},
    )
    with auth:

        def call(op: str, args: Dict[str, Any]) -> Any:
            if op == "getRecorded":
                return _ok(calls=recorded(rec, args))
            if op == "sleep":
                time.sleep(args.get("ms", 0) / 1000)
                return _ok()
            if op == "drive":
                return drive(args)
            if op not in WRAP:
                # Any other declared operation: its derived method, its result in the declared JSON form.
                if not any(o["name"] == op for o in authcore.OPERATIONS):
                    raise UnknownOp(f"unknown op {op}")
                return authcore.json_form(op, getattr(auth, snake(op))(**kwargs_of(args)))
            return WRAP[op](getattr(auth, snake(op))(**kwargs_of(args)))

        for t in (scenario.get("config") or {}).get("tenants", []):
            call("createOrUpdateTenant", {"tenantId": t["tenantId"], "config": t.get("config", {})})
        delivered.clear()
        caps: Captures = {}
        for i, step in enumerate(scenario["steps"]):
            op = step["op"]
            args = resolve(step.get("args", {}), caps)
            result, error = None, None
            try:
                result = call(op, args)
            except Exception as e:  # noqa: BLE001 - compared by code below
                error = e
            events = list(delivered)
            delivered.clear()
            check_step(i, step, op, result, error, events, caps)


async def run_async(scenario: Dict[str, Any], db: Union[Path, Dict[str, str]]) -> None:
    scenario = await asyncio.to_thread(with_peers, scenario)
    delivered: List[Dict[str, Any]] = []
    rec: Recordings = {}

    async def on_event(e: Dict[str, Any]) -> None:
        await asyncio.sleep(0)
        delivered.append(e)

    auth = await authcore.AsyncAuthCore.open(
        database=database_option(db),
        config=engine_config(scenario),
        override=build_override(scenario, rec, is_async=True),
        events={"*": on_event},
    )
    async with auth:

        async def call(op: str, args: Dict[str, Any]) -> Any:
            if op == "getRecorded":
                return _ok(calls=recorded(rec, args))
            if op == "sleep":
                await asyncio.sleep(args.get("ms", 0) / 1000)
                return _ok()
            if op == "drive":
                return await asyncio.to_thread(drive, args)
            if op not in WRAP:
                if not any(o["name"] == op for o in authcore.OPERATIONS):
                    raise UnknownOp(f"unknown op {op}")
                return authcore.json_form(op, await getattr(auth, snake(op))(**kwargs_of(args)))
            return WRAP[op](await getattr(auth, snake(op))(**kwargs_of(args)))

        for t in (scenario.get("config") or {}).get("tenants", []):
            await call("createOrUpdateTenant", {"tenantId": t["tenantId"], "config": t.get("config", {})})
        delivered.clear()
        caps: Captures = {}
        for i, step in enumerate(scenario["steps"]):
            op = step["op"]
            args = resolve(step.get("args", {}), caps)
            result, error = None, None
            try:
                result = await call(op, args)
            except Exception as e:  # noqa: BLE001
                error = e
            events = list(delivered)
            delivered.clear()
            check_step(i, step, op, result, error, events, caps)


__all__ = ["SCENARIO_DIR", "run_sync", "run_async", "with_peers", "peer_base", "ScenarioFailure", "MISSING"]
