"""The operation methods are derived from the core's declaration: their signatures, argument checks and the
keyword arguments an override receives."""

import inspect
from pathlib import Path
from typing import Any, Dict, List

import pytest

import authcore
from authcore import AuthCore, Override, UserContext


def email(addr: str) -> Dict[str, Any]:
    return {"id": addr, "is_verified": True}


def test_every_declared_operation_is_a_method_with_the_declared_signature() -> None:
    public = {o["name"] for o in authcore.OPERATIONS if o["kind"] != "engine"}
    assert len(public) >= 26
    sig = inspect.signature(AuthCore.delete_user)
    assert list(sig.parameters) == ["self", "user_id", "remove_all_linked_accounts", "user_context"]
    assert sig.parameters["remove_all_linked_accounts"].default is True
    assert sig.parameters["user_id"].default is inspect.Parameter.empty
    # `requireEmail` is optional in the core (absent: the provider's own setting, default true).
    assert inspect.signature(authcore.ApiFunctions.sign_in_up_post).parameters["require_email"].default is None
    assert "new_account_info" in inspect.signature(authcore.RecipeFunctions.on_account_linked).parameters
    assert "sign-in/up" in (AuthCore.sign_in_up.__doc__ or "")
    assert not hasattr(authcore.ApiFunctions, "get_user")


def test_unknown_or_missing_keywords_are_type_errors(tmp_path: Path) -> None:
    with AuthCore.open(database={"sqlite": str(tmp_path / "a.db")}) as auth:
        with pytest.raises(TypeError, match="unexpected keyword argument 'userid'"):
            auth.get_user(userid="x")  # type: ignore[call-arg]
        with pytest.raises(TypeError, match="missing required keyword argument: 'user_id'"):
            auth.get_user()  # type: ignore[call-arg]
        with pytest.raises(authcore.InvalidInputError) as e:
            auth.sign_in_up_post(third_party_id="google", user_info={"email": email("a@x.com")})  # type: ignore[typeddict-item]
        assert e.value.field == "userInfo"


def test_an_override_receives_every_declared_keyword(tmp_path: Path) -> None:
    seen: List[Dict[str, Any]] = []

    class Layer:
        def __init__(self, original: authcore.RecipeFunctions) -> None:
            self.original = original

        def get_users(self, **kw: Any) -> Any:
            seen.append(dict(kw))
            return self.original.get_users(**kw)

    with AuthCore.open(database={"sqlite": str(tmp_path / "a.db")}, override=Override(functions=Layer)) as auth:
        assert auth.get_users(limit=5).users == []
    (kw,) = seen
    assert set(kw) == {"tenant_id", "limit", "pagination_token", "time_joined_order", "user_context"}
    assert kw["limit"] == 5 and kw["tenant_id"] is None and kw["time_joined_order"] == "ASC"
    assert isinstance(kw["user_context"], UserContext)
