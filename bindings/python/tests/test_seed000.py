"""Seed 000 §3's pattern in Python (the supertokens-python override shape): an ``apis`` override of
``sign_in_up_post`` that calls the original and reads ``response.user.id``, ``response.auth_code_response``
(the provider's token response) and ``response.created_new_user``, through the whole code flow against the test
OP (tests/oidc)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, List

import authcore
from scenario_runner import drive, peer_base

CALLBACK = "http://127.0.0.1:9/callback"


def test_seed_000_post_sign_in_up_override(tmp_path: Path) -> None:
    seen: List[Any] = []

    class Apis:
        def __init__(self, original: Any) -> None:
            self.original = original

        async def sign_in_up_post(self, **kw: Any) -> Any:
            response = await self.original.sign_in_up_post(**kw)
            if response.status == "OK":
                user_id = response.user.id
                # the response from the provider's POST /token
                third_party_auth_code_response = response.auth_code_response
                kind = "sign-up" if response.created_new_user else "sign-in"
                seen.append((kind, user_id, third_party_auth_code_response.to_dict()))
            return response

    config = {
        "providers": [
            {
                "thirdPartyId": "oidc",
                "oidcDiscoveryEndpoint": peer_base("op"),
                "clients": [{"clientId": "web", "clientSecret": "web-secret", "scope": ["openid", "email"]}],
            }
        ]
    }
    with authcore.AuthCore.open(
        database={"sqlite": str(tmp_path / "a.db")},
        config=config,
        override=authcore.Override(apis=lambda original: Apis(original)),
    ) as auth:
        ids = []
        for _ in range(2):
            start = auth.get_authorisation_url(third_party_id="oidc", redirect_uri_on_provider_dashboard=CALLBACK)
            cb = drive({"url": start.url_with_query_params, "login": "seedpy"})
            r = auth.sign_in_up_post(
                third_party_id="oidc",
                redirect_uri_info={
                    "redirect_uri_on_provider_dashboard": CALLBACK,
                    "redirect_uri_query_params": {"code": cb["code"], "state": cb["state"], "iss": cb["iss"]},
                    "pkce_code_verifier": start.pkce_code_verifier,
                },
            )
            assert r.status == "OK"
            ids.append(r.user.id)
    assert [s[0] for s in seen] == ["sign-up", "sign-in"]
    assert seen[0][1] == seen[1][1] == ids[0] == ids[1]
    assert "id_token" in seen[0][2] and "access_token" in seen[0][2]
