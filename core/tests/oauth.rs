//! The OAuth 2.0 / OpenID Connect flow against a real OpenID Provider (panva's oidc-provider, tests/oidc/op.mjs)
//! driven through its own login and consent pages, and attacks on it: each refused with its reason, and no
//! account created or changed by any of them.

#[path = "support/oidc.rs"]
mod oidc;

use authcore::*;
use oidc::Peer;
use serde_json::{json, Value};

const REDIRECT: &str = "http://127.0.0.1:9/callback";

fn provider(id: &str, op: &Peer, client: &str, secret: Option<&str>) -> Value {
    let mut c = json!({"clientId": client, "scope": ["openid", "email", "profile"]});
    if let Some(s) = secret {
        c["clientSecret"] = json!(s);
    }
    json!({"thirdPartyId": id, "oidcDiscoveryEndpoint": op.base, "clients": [c]})
}

fn engine_with(
    providers: Value,
    clock: Option<authcore::engine::OAuthClock>,
) -> (AuthCore, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tmp");
    let config: AuthCoreConfig = serde_json::from_value(json!({
        "providers": providers,
        "accountLinking": {"shouldAutomaticallyLink": true, "shouldRequireVerification": true},
    }))
    .expect("config");
    let mut b = AuthCore::builder()
        .sqlite(dir.path().join("auth.db"))
        .expect("sqlite")
        .config(config);
    if let Some(c) = clock {
        b = b.oauth_clock(c);
    }
    (b.build().expect("engine"), dir)
}

fn engine(op: &Peer) -> (AuthCore, tempfile::TempDir) {
    engine_with(
        json!([
            provider("oidc", op, "web", Some("web-secret")),
            provider("oidc-second", op, "second", Some("second-secret")),
            provider("oidc-native", op, "native", None),
        ]),
        None,
    )
}

async fn call(auth: &AuthCore, op: &str, args: Value) -> Result<Value> {
    auth.call(op, args, &UserContext::new()).await
}

/// The authorisation URL for `provider`, walked through the OP's pages as `login`: what the provider sent back
/// and what the caller kept (stateless mode).
async fn authorise(
    auth: &AuthCore,
    op: &Peer,
    third_party_id: &str,
    login: &str,
) -> (Value, Value) {
    let url = call(
        auth,
        "getAuthorisationURL",
        json!({"thirdPartyId": third_party_id, "redirectURIOnProviderDashboard": REDIRECT}),
    )
    .await
    .expect("authorisation URL");
    let target = url["urlWithQueryParams"].as_str().expect("url").to_string();
    // The peer's client blocks; the engine's own I/O runs on its runtime, so blocking this test's thread is fine.
    let back = op.drive(&target, login);
    assert_eq!(
        back["state"], url["state"],
        "the provider returns our state: {back}"
    );
    (url, back)
}

fn redirect_info(url: &Value, back: &Value) -> Value {
    json!({
        "redirectURIOnProviderDashboard": REDIRECT,
        "redirectURIQueryParams": {"code": back["code"], "state": back["state"], "iss": back["iss"]},
        "pkceCodeVerifier": url["pkceCodeVerifier"],
    })
}

async fn sign_in(auth: &AuthCore, op: &Peer, third_party_id: &str, login: &str) -> Result<Value> {
    let (url, back) = authorise(auth, op, third_party_id, login).await;
    call(
        auth,
        "signInUpPOST",
        json!({"thirdPartyId": third_party_id, "redirectURIInfo": redirect_info(&url, &back)}),
    )
    .await
}

async fn user_count(auth: &AuthCore) -> u64 {
    auth.get_user_count(None, true).await.expect("count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_full_code_flow_signs_up_then_in_and_a_second_provider_links_by_verified_email() {
    let op = Peer::start_op();
    let (auth, _dir) = engine(&op);

    let url = call(
        &auth,
        "getAuthorisationURL",
        json!({"thirdPartyId": "oidc", "redirectURIOnProviderDashboard": REDIRECT}),
    )
    .await
    .expect("url");
    let u = url::Url::parse(url["urlWithQueryParams"].as_str().unwrap()).unwrap();
    let q: std::collections::HashMap<String, String> = u.query_pairs().into_owned().collect();
    assert_eq!(q["client_id"], "web");
    assert_eq!(
        q["code_challenge_method"], "S256",
        "the OP advertises S256: PKCE"
    );
    assert_eq!(q["state"], url["state"].as_str().unwrap());
    assert_eq!(q["nonce"], url["nonce"].as_str().unwrap());
    assert_eq!(q["scope"], "openid email profile");

    let first = sign_in(&auth, &op, "oidc", "alice").await.expect("sign-up");
    assert_eq!(first["status"], "OK", "{first}");
    assert_eq!(first["createdNewUser"], true);
    assert_eq!(first["createdNewRecipeUser"], true);
    assert_eq!(first["user"]["emails"], json!(["alice@example.test"]));
    assert_eq!(first["user"]["thirdParty"][0]["userId"], "sub-alice");
    assert!(first["oAuthTokens"]["id_token"].is_string());
    assert_eq!(first["authCodeResponse"], first["oAuthTokens"]);
    assert_eq!(
        first["rawUserInfoFromProvider"]["fromIdTokenPayload"]["sub"],
        "sub-alice"
    );
    assert_eq!(
        first["rawUserInfoFromProvider"]["fromUserInfoAPI"]["email"],
        "alice@example.test"
    );
    let user_id = first["user"]["id"].clone();

    let again = sign_in(&auth, &op, "oidc", "alice").await.expect("sign-in");
    assert_eq!(again["status"], "OK", "{again}");
    assert_eq!(again["createdNewUser"], false);
    assert_eq!(again["user"]["id"], user_id);

    // The second provider on the same OP: a new login method, linked by the verified email.
    let linked = sign_in(&auth, &op, "oidc-second", "alice")
        .await
        .expect("second provider");
    assert_eq!(linked["status"], "OK", "{linked}");
    assert_eq!(linked["user"]["id"], user_id, "auto-linked: {linked}");
    assert_eq!(linked["user"]["loginMethods"].as_array().unwrap().len(), 2);
    assert_eq!(linked["createdNewUser"], false);
    assert_eq!(linked["createdNewRecipeUser"], true);

    // An unverified address at the provider is not linked: a user of its own.
    let other = sign_in(&auth, &op, "oidc", "unverified-bob")
        .await
        .expect("bob");
    assert_eq!(other["status"], "OK", "{other}");
    assert_ne!(other["user"]["id"], user_id);
    assert_eq!(user_count(&auth).await, 2);

    // The JWKS was fetched once for every sign-in on this engine.
    assert_eq!(auth.jwks_fetches(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_native_client_uses_pkce_and_tokens_a_native_app_obtained_are_verified() {
    let op = Peer::start_op();
    let (auth, _dir) = engine(&op);
    let (url, back) = authorise(&auth, &op, "oidc-native", "carol").await;
    assert!(url["pkceCodeVerifier"].is_string(), "no secret: PKCE");
    let r = call(
        &auth,
        "signInUpPOST",
        json!({"thirdPartyId": "oidc-native", "redirectURIInfo": redirect_info(&url, &back)}),
    )
    .await
    .expect("native");
    assert_eq!(r["status"], "OK", "{r}");
    assert_eq!(r["user"]["emails"], json!(["carol@example.test"]));

    // A native app that ran the flow itself hands over its tokens; the id_token is verified here.
    let tokens = r["oAuthTokens"].clone();
    let again = call(
        &auth,
        "signInUpPOST",
        json!({"thirdPartyId": "oidc-native", "oAuthTokens": tokens}),
    )
    .await
    .expect("tokens");
    assert_eq!(again["status"], "OK", "{again}");
    assert_eq!(again["user"]["id"], r["user"]["id"]);
}

fn reason(r: Result<Value>) -> String {
    match r {
        Err(AuthError::IdTokenInvalid { check }) => check,
        other => panic!("expected ID_TOKEN_INVALID, got {other:?}"),
    }
}

/// Signs in with `claims` minted by the OP (`alg` variant), as tokens a native app handed over.
async fn with_minted(auth: &AuthCore, op: &Peer, body: Value) -> Result<Value> {
    let minted = op.post_json("/__test/mint", &body);
    let token = minted["id_token"].as_str().expect("minted").to_string();
    call(
        auth,
        "signInUpPOST",
        json!({"thirdPartyId": "oidc", "oAuthTokens": {"id_token": token}}),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_and_stale_id_tokens_are_refused_with_their_reason_and_change_nothing() {
    let op = Peer::start_op();
    let (auth, _dir) = engine(&op);
    // One real sign-in first, so there is an account a forged token could try to take over.
    let alice = sign_in(&auth, &op, "oidc", "alice").await.expect("alice");
    assert_eq!(alice["status"], "OK");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let good = json!({"iss": op.base, "aud": "web", "sub": "sub-alice", "email": "alice@example.test",
        "email_verified": true, "iat": now, "exp": now + 600});
    let with = |k: &str, v: Value| {
        let mut c = good.clone();
        c[k] = v;
        c
    };
    // The control: the same minting with good claims passes, so each refusal below is the one change it makes.
    let ok = with_minted(&auth, &op, json!({"claims": good}))
        .await
        .expect("good");
    assert_eq!(ok["status"], "OK", "{ok}");
    assert_eq!(ok["user"]["id"], alice["user"]["id"]);

    let mut two_audiences_other_azp = with("aud", json!(["web", "other"]));
    two_audiences_other_azp["azp"] = json!("other");
    let cases: Vec<(&str, Value)> = vec![
        ("alg", json!({"claims": good, "alg": "none"})),
        (
            "alg",
            json!({"claims": good, "alg": "HS256-with-public-key"}),
        ),
        ("aud", json!({"claims": with("aud", json!("someone-else"))})),
        (
            "azp",
            json!({"claims": with("aud", json!(["web", "other"]))}),
        ),
        ("azp", json!({"claims": two_audiences_other_azp})),
        (
            "iss",
            json!({"claims": with("iss", json!("https://evil.example"))}),
        ),
        ("exp", json!({"claims": with("exp", json!(now - 61 - 5))})),
        ("nbf", json!({"claims": with("nbf", json!(now + 600))})),
        ("iat", json!({"claims": with("iat", json!(now + 600))})),
        ("kid", json!({"claims": good, "alg": "ES256"})),
        ("kid", json!({"claims": good, "kid": "not-in-the-jwks"})),
    ];
    let before = user_count(&auth).await;
    let user_before = call(&auth, "getUser", json!({"userId": alice["user"]["id"]}))
        .await
        .unwrap();
    for (want, body) in cases {
        let got = reason(with_minted(&auth, &op, body.clone()).await);
        assert_eq!(got, want, "{body}");
    }
    // Within the leeway is still fine.
    let ok = with_minted(&auth, &op, json!({"claims": with("exp", json!(now - 30))}))
        .await
        .expect("leeway");
    assert_eq!(ok["status"], "OK");
    assert_eq!(user_count(&auth).await, before, "no account was created");
    let user_after = call(&auth, "getUser", json!({"userId": alice["user"]["id"]}))
        .await
        .unwrap();
    assert_eq!(user_after, user_before, "no account was changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nonce_state_iss_and_code_replay_are_refused() {
    let op = Peer::start_op();
    let (auth, _dir) = engine(&op);

    // The nonce derived from the verifier is checked: a caller that presents another nonce is refused.
    let (url, back) = authorise(&auth, &op, "oidc", "dave").await;
    let mut info = redirect_info(&url, &back);
    info["nonce"] = json!("a-nonce-of-another-flow");
    let r = call(
        &auth,
        "signInUpPOST",
        json!({"thirdPartyId": "oidc", "redirectURIInfo": info}),
    )
    .await;
    assert_eq!(reason(r), "nonce");

    // Another issuer's response (mix-up): refused before the code is used.
    let (url, back) = authorise(&auth, &op, "oidc", "dave").await;
    let mut info = redirect_info(&url, &back);
    info["redirectURIQueryParams"]["iss"] = json!("https://evil.example");
    let r = call(
        &auth,
        "signInUpPOST",
        json!({"thirdPartyId": "oidc", "redirectURIInfo": info.clone()}),
    )
    .await;
    assert!(
        matches!(r, Err(AuthError::OAuthStateMismatch { .. })),
        "{r:?}"
    );

    // The same code, once used, is refused by the provider.
    info["redirectURIQueryParams"]["iss"] = back["iss"].clone();
    let first = call(
        &auth,
        "signInUpPOST",
        json!({"thirdPartyId": "oidc", "redirectURIInfo": info.clone()}),
    )
    .await
    .expect("first use");
    assert_eq!(first["status"], "OK");
    let users = user_count(&auth).await;
    let replay = call(
        &auth,
        "signInUpPOST",
        json!({"thirdPartyId": "oidc", "redirectURIInfo": info}),
    )
    .await;
    match replay {
        Err(AuthError::OAuthTokenRefused {
            status,
            error,
            error_description,
        }) => {
            assert_eq!(
                (status, error.as_str()),
                (400, "invalid_grant"),
                "{error_description}"
            );
            assert!(!error_description.contains("web-secret"));
        }
        other => panic!("expected OAUTH_TOKEN_REFUSED, got {other:?}"),
    }
    assert_eq!(user_count(&auth).await, users);

    // Refused consent comes back as the provider's error.
    let url = call(
        &auth,
        "getAuthorisationURL",
        json!({"thirdPartyId": "oidc", "redirectURIOnProviderDashboard": REDIRECT}),
    )
    .await
    .unwrap();
    let target = url["urlWithQueryParams"].as_str().unwrap().to_string();
    let back = op.drive_with(&target, "erin", false);
    let r = call(&auth, "signInUpPOST", json!({"thirdPartyId": "oidc", "redirectURIInfo": {
        "redirectURIOnProviderDashboard": REDIRECT,
        "redirectURIQueryParams": {"error": back["error"], "error_description": back["error_description"], "state": back["state"]},
    }})).await;
    assert!(
        matches!(r, Err(AuthError::OAuthAuthorisationRefused { ref error, .. }) if error == "access_denied"),
        "{r:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_signing_key_is_picked_up_with_one_refetch() {
    let op = Peer::start_op();
    let (auth, _dir) = engine(&op);
    for login in ["f1", "f2", "f3"] {
        assert_eq!(
            sign_in(&auth, &op, "oidc", login).await.unwrap()["status"],
            "OK"
        );
    }
    assert_eq!(auth.jwks_fetches(), 1, "cached");
    let rotated = op.post_json("/__test/rotate-keys", &json!({"keepOld": false}));
    assert_eq!(rotated["kid"], "op-rs256-2");
    let r = sign_in(&auth, &op, "oidc", "f1")
        .await
        .expect("after rotation");
    assert_eq!(r["status"], "OK", "{r}");
    assert_eq!(auth.jwks_fetches(), 2, "one refetch for the new kid");
    assert_eq!(
        sign_in(&auth, &op, "oidc", "f2").await.unwrap()["status"],
        "OK"
    );
    assert_eq!(auth.jwks_fetches(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirecting_or_oversized_token_endpoint_is_refused_without_following_it() {
    let fakes = Peer::start_fakes();
    let base = fakes.base.clone();
    let p = |id: &str, token: String| {
        json!({"thirdPartyId": id, "authorizationEndpoint": format!("{base}/authorize"),
               "tokenEndpoint": token, "userInfoEndpoint": format!("{base}/github/user"),
               "clients": [{"clientId": "c", "clientSecret": "s"}]})
    };
    let (auth, _dir) = engine_with(
        json!([
            p("redirecting", format!("{base}/redirecting-token")),
            p("huge", format!("{base}/huge")),
            p("huge-chunked", format!("{base}/huge?chunked=1")),
        ]),
        None,
    );
    let info = json!({"redirectURIOnProviderDashboard": REDIRECT, "redirectURIQueryParams": {"code": "x"}});
    for (id, want) in [
        ("redirecting", "redirect"),
        ("huge", "larger"),
        ("huge-chunked", "larger"),
    ] {
        let r = call(
            &auth,
            "signInUpPOST",
            json!({"thirdPartyId": id, "redirectURIInfo": info}),
        )
        .await;
        match r {
            Err(AuthError::OAuthTokenRefused {
                status: 0,
                error_description,
                ..
            }) => {
                assert!(
                    error_description.contains(want),
                    "{id}: {error_description}"
                )
            }
            other => panic!("{id}: expected OAUTH_TOKEN_REFUSED, got {other:?}"),
        }
    }
    let followed = fakes.get_json("/__test/last/redirect-target");
    assert!(
        followed.is_null(),
        "the redirect was not followed: {followed}"
    );
    assert_eq!(user_count(&auth).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_mode_keeps_the_flow_server_side_once_and_for_ten_minutes() {
    use std::sync::atomic::{AtomicI64, Ordering};
    let op = Peer::start_op();
    let offset = std::sync::Arc::new(AtomicI64::new(0));
    let o = offset.clone();
    let clock: authcore::engine::OAuthClock = std::sync::Arc::new(move || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64)
            + o.load(Ordering::SeqCst)
    });
    let (auth, _dir) = engine_with(
        json!([
            provider("oidc", &op, "web", Some("web-secret")),
            provider("oidc-second", &op, "second", Some("second-secret")),
        ]),
        Some(clock),
    );
    let stored = |tp: &str| json!({"thirdPartyId": tp, "redirectURIOnProviderDashboard": REDIRECT, "mode": "stored"});
    let begin = |tp: &'static str, login: &'static str| {
        let auth = auth.clone();
        let op = &op;
        let args = stored(tp);
        async move {
            let url = call(&auth, "getAuthorisationURL", args).await.expect("url");
            assert!(
                url.get("pkceCodeVerifier").is_none(),
                "kept server-side: {url}"
            );
            assert!(url.get("nonce").is_none(), "kept server-side: {url}");
            let back = op.drive(url["urlWithQueryParams"].as_str().unwrap(), login);
            assert_eq!(back["state"], url["state"]);
            json!({"redirectURIOnProviderDashboard": REDIRECT,
                   "redirectURIQueryParams": {"code": back["code"], "state": back["state"], "iss": back["iss"]}})
        }
    };

    // Only what the provider sent back: the engine has the verifier and nonce.
    let info = begin("oidc", "gina").await;
    let r = call(
        &auth,
        "signInUpPOST",
        json!({"thirdPartyId": "oidc", "redirectURIInfo": info.clone()}),
    )
    .await
    .expect("stored flow");
    assert_eq!(r["status"], "OK", "{r}");
    assert_eq!(r["user"]["emails"], json!(["gina@example.test"]));
    // The same state again: the flow is used.
    let again = call(
        &auth,
        "signInUpPOST",
        json!({"thirdPartyId": "oidc", "redirectURIInfo": info}),
    )
    .await;
    assert!(
        matches!(again, Err(AuthError::OAuthFlowExpired)),
        "{again:?}"
    );

    // A flow started for one provider cannot be finished for another.
    let info = begin("oidc", "gina").await;
    let other = call(
        &auth,
        "signInUpPOST",
        json!({"thirdPartyId": "oidc-second", "redirectURIInfo": info}),
    )
    .await;
    assert!(
        matches!(other, Err(AuthError::OAuthStateMismatch { .. })),
        "{other:?}"
    );

    // Past its ten minutes the flow is expired.
    let info = begin("oidc", "gina").await;
    offset.store(10 * 60 * 1000 + 1, Ordering::SeqCst);
    let late = call(
        &auth,
        "signInUpPOST",
        json!({"thirdPartyId": "oidc", "redirectURIInfo": info}),
    )
    .await;
    assert!(matches!(late, Err(AuthError::OAuthFlowExpired)), "{late:?}");
    assert_eq!(user_count(&auth).await, 1);
}
