"""The OAuth/OIDC flow against the test OP (tests/oidc), called the Python way: snake_case keyword arguments
and snake_case keys in the nested inputs, on the blocking and the asyncio client. The scenarios p01/p02 cover
the flow itself with the core's camelCase keys."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Dict

import authcore
from scenario_runner import drive, peer_base

CALLBACK = "http://127.0.0.1:9/callback"


def config() -> Dict[str, Any]:
    op = peer_base("op")
    return {
        "providers": [
            {
                "thirdPartyId": "oidc",
                "oidcDiscoveryEndpoint": op,
                "clients": [{"clientId": "web", "clientSecret": "web-secret", "scope": ["openid", "email"]}],
            }
        ]
    }


def redirect_uri_info(start: Any, login: str) -> Dict[str, Any]:
    """What the app passes back after the redirect, with snake_case keys and the provider's own query keys."""
    cb = drive({"url": start.url_with_query_params, "login": login})
    assert cb.get("code"), cb
    return {
        "redirect_uri_on_provider_dashboard": CALLBACK,
        "redirect_uri_query_params": {"code": cb["code"], "state": cb["state"], "iss": cb["iss"]},
        "pkce_code_verifier": start.pkce_code_verifier,
    }


def test_code_flow_with_snake_case_inputs_blocking(tmp_path: Path) -> None:
    with authcore.AuthCore.open(database={"sqlite": str(tmp_path / "a.db")}, config=config()) as auth:
        start = auth.get_authorisation_url(third_party_id="oidc", redirect_uri_on_provider_dashboard=CALLBACK)
        r = auth.sign_in_up_post(third_party_id="oidc", redirect_uri_info=redirect_uri_info(start, "alice"))
        assert r.status == "OK" and r.created_new_user
        assert r.user.emails == ["alice@example.test"]
        assert r.raw_user_info_from_provider.from_id_token_payload["sub"] == "sub-alice"
        # The provider's token response keeps its own keys, both ways (`id_token`, not `idToken`).
        tokens = r.o_auth_tokens.to_dict()
        assert "id_token" in tokens and "access_token" in tokens
        again = auth.sign_in_up_post(third_party_id="oidc", o_auth_tokens={"id_token": tokens["id_token"]})
        assert again.status == "OK" and not again.created_new_user and again.user.id == r.user.id


def test_code_flow_with_snake_case_inputs_asyncio(tmp_path: Path) -> None:
    async def main() -> None:
        auth = await authcore.AsyncAuthCore.open(database={"sqlite": str(tmp_path / "a.db")}, config=config())
        async with auth:
            start = await auth.get_authorisation_url(third_party_id="oidc", redirect_uri_on_provider_dashboard=CALLBACK)
            info = await asyncio.to_thread(redirect_uri_info, start, "carol")
            r = await auth.sign_in_up_post(third_party_id="oidc", redirect_uri_info=info)
            assert r.status == "OK" and r.created_new_user
            assert r.user.emails == ["carol@example.test"]

    asyncio.run(main())
