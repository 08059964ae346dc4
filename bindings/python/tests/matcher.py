"""The scenario matcher, a port of core/tests/common/matcher.rs (same semantics, same messages).

`$capture`, `$ref`, `$any`, `$absent`, `$set`, `$len`, `$ne`, `$notIn`, `$startsWith`, `$gt`, `$gte`, `$keys`.
JSON values are plain Python objects; a missing key is `MISSING` (distinct from JSON null, `None`).
"""

from __future__ import annotations

import copy
import json
from typing import Any, Dict

Captures = Dict[str, Any]


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()


class MatchError(Exception):
    pass


def _show(v: Any) -> str:
    if v is MISSING:
        return "<missing>"
    return json.dumps(v, separators=(",", ":"), sort_keys=True)


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def json_equal(a: Any, b: Any) -> bool:
    """serde_json's Value equality: booleans are not numbers, an integer is not a float."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if _is_num(a) and _is_num(b):
        return isinstance(a, float) == isinstance(b, float) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def _eq(a: Any, b: Any) -> bool:
    """matcher.rs `eq`: numbers compare as numbers, anything else as JSON."""
    if _is_num(a) and _is_num(b):
        return float(a) == float(b)
    return json_equal(a, b)


def resolve(v: Any, caps: Captures) -> Any:
    """Replace `{"$ref": name}` anywhere in `v` by the captured value."""
    if isinstance(v, dict):
        if len(v) == 1 and "$ref" in v:
            name = v["$ref"]
            if not isinstance(name, str):
                raise MatchError("$ref needs a string")
            if name not in caps:
                raise MatchError(f"nothing captured as '{name}'")
            return copy.deepcopy(caps[name])
        return {k: resolve(x, caps) for k, x in v.items()}
    if isinstance(v, list):
        return [resolve(x, caps) for x in v]
    return v


def matches(expected: Any, actual: Any, caps: Captures, path: str) -> None:
    """Match `actual` (MISSING = key missing) against `expected`; raises MatchError."""
    present = None if actual is MISSING or actual is None else actual
    if isinstance(expected, dict):
        if len(expected) == 1:
            ((k, arg),) = expected.items()
            if k == "$capture":
                if not isinstance(arg, str):
                    raise MatchError("$capture needs a string")
                if present is None:
                    raise MatchError(f"{path}: expected a value to capture as '{arg}'")
                if arg in caps:
                    if not _eq(caps[arg], present):
                        raise MatchError(f"{path}: '{arg}' was {_show(caps[arg])}, now {_show(present)}")
                else:
                    caps[arg] = copy.deepcopy(present)
                return
            if k == "$ref":
                want = resolve(expected, caps)
                if actual is not MISSING and _eq(want, actual):
                    return
                raise MatchError(f"{path}: expected {_show(want)} (ref), got {_show(actual)}")
            if k == "$any":
                if present is None:
                    raise MatchError(f"{path}: expected a value, got {_show(actual)}")
                return
            if k == "$absent":
                if present is not None:
                    raise MatchError(f"{path}: expected absent, got {_show(present)}")
                return
            if k == "$len":
                if not isinstance(arg, int) or isinstance(arg, bool) or arg < 0:
                    raise MatchError("$len needs a number")
                if isinstance(present, (list, str)):
                    n = len(present)
                else:
                    raise MatchError(f"{path}: expected array of length {arg}, got {_show(actual)}")
                if n != arg:
                    raise MatchError(f"{path}: expected length {arg}, got {n}")
                return
            if k == "$set":
                if not isinstance(arg, list):
                    raise MatchError("$set needs an array")
                if not isinstance(present, list):
                    raise MatchError(f"{path}: expected array, got {_show(actual)}")
                got = present
                if len(arg) != len(got):
                    raise MatchError(
                        f"{path}: expected {len(arg)} elements (any order), got {len(got)}: {_show(got)}"
                    )
                used = [False] * len(got)
                for i, w in enumerate(arg):
                    found = False
                    for j, g in enumerate(got):
                        if used[j]:
                            continue
                        trial = dict(caps)
                        try:
                            matches(w, g, trial, f"{path}[{j}]")
                        except MatchError:
                            continue
                        caps.clear()
                        caps.update(trial)
                        used[j] = True
                        found = True
                        break
                    if not found:
                        raise MatchError(f"{path}: no element matches expected[{i}] = {_show(w)} in {_show(got)}")
                return
            if k == "$ne":
                trial = dict(caps)
                try:
                    matches(arg, actual, trial, path)
                except MatchError:
                    return
                raise MatchError(f"{path}: expected not {_show(arg)}, got {_show(actual)}")
            if k == "$notIn":
                if not isinstance(arg, list):
                    raise MatchError("$notIn needs an array")
                for m in arg:
                    trial = dict(caps)
                    try:
                        matches(m, actual, trial, path)
                    except MatchError:
                        continue
                    raise MatchError(f"{path}: {_show(actual)} matches excluded {_show(m)}")
                return
            if k == "$startsWith":
                if not isinstance(arg, str):
                    raise MatchError("$startsWith needs a string")
                if isinstance(present, str) and present.startswith(arg):
                    return
                raise MatchError(f"{path}: expected a string starting with {arg!r}, got {_show(actual)}")
            if k in ("$gt", "$gte"):
                bound = resolve(arg, caps)
                if not _is_num(bound):
                    raise MatchError("bound is not a number")
                if not _is_num(present):
                    raise MatchError(f"{path}: expected a number, got {_show(actual)}")
                ok = present > bound if k == "$gt" else present >= bound
                if not ok:
                    raise MatchError(f"{path}: {present} is not {k} {bound}")
                return
        if not isinstance(actual, dict):
            raise MatchError(f"{path}: expected object, got {_show(actual)}")
        if "$keys" in expected:
            keys = expected["$keys"]
            if not isinstance(keys, list):
                raise MatchError("$keys needs an array")
            want = sorted(k for k in keys if isinstance(k, str))
            have = sorted(actual.keys())
            if want != have:
                raise MatchError(f"{path}: expected keys {want}, got {have}")
        for k, w in expected.items():
            if k == "$keys":
                continue
            matches(w, actual.get(k, MISSING), caps, f"{path}.{k}")
        return
    if isinstance(expected, list):
        if not isinstance(actual, list):
            raise MatchError(f"{path}: expected array, got {_show(actual)}")
        if len(expected) != len(actual):
            raise MatchError(f"{path}: expected {len(expected)} elements, got {len(actual)}: {_show(actual)}")
        for i, (w, g) in enumerate(zip(expected, actual)):
            matches(w, g, caps, f"{path}[{i}]")
        return
    if actual is not MISSING and _eq(expected, actual):
        return
    if actual is MISSING and expected is None:
        return
    raise MatchError(f"{path}: expected {_show(expected)}, got {_show(actual)}")
