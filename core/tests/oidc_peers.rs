//! Smoke test of the OAuth 2.0 / OpenID Connect test peers (tests/oidc/): the real OP gives a full authorisation
//! code + PKCE S256 + nonce flow over plain HTTP, its id_token's kid is in its JWKS, its counters count, and the
//! provider fakes answer. It needs `node` and `tests/oidc/node_modules` (scripts/test installs them) and fails
//! without them.

#[path = "support/oidc.rs"]
mod oidc;

use oidc::{http, jwt_parts, pkce_s256, post_form, Peer};

const REDIRECT: &str = "http://127.0.0.1:9/callback";

#[test]
fn op_and_fakes_serve_a_full_code_flow() {
    let op = Peer::start_op();
    let fakes = Peer::start_fakes();

    // Discovery.
    let disc = op.get_json("/.well-known/openid-configuration");
    assert_eq!(disc["issuer"], op.base.as_str());
    let auth_ep = disc["authorization_endpoint"].as_str().unwrap().to_string();
    let token_ep = disc["token_endpoint"].as_str().unwrap().to_string();
    let jwks_uri = disc["jwks_uri"].as_str().unwrap().to_string();
    let userinfo_ep = disc["userinfo_endpoint"].as_str().unwrap().to_string();
    assert_eq!(
        disc["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    op.reset_stats();

    // The authorisation URL a client builds, then a browser's walk through the OP's pages.
    let (verifier, challenge) = pkce_s256();
    let mut url = url::Url::parse(&auth_ep).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", "web")
        .append_pair("response_type", "code")
        .append_pair("scope", "openid email profile")
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("state", "state-123")
        .append_pair("nonce", "nonce-456")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let cb = op.drive(url.as_str(), "alice");
    assert_eq!(cb["state"], "state-123", "{cb}");
    assert_eq!(cb["iss"], op.base.as_str(), "{cb}");
    assert!(
        cb["callbackUrl"].as_str().unwrap().starts_with(REDIRECT),
        "{cb}"
    );
    let code = cb["code"].as_str().expect("a code").to_string();

    // The code exchange (client_secret_post), with the PKCE verifier.
    let r = post_form(
        &token_ep,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("client_id", "web"),
            ("client_secret", "web-secret"),
            ("code_verifier", &verifier),
        ],
        &[],
    );
    assert_eq!(r.status, 200, "token: {}", r.body);
    let tokens = r.json();
    let id_token = tokens["id_token"].as_str().expect("an id_token");
    let access_token = tokens["access_token"].as_str().expect("an access_token");
    let (header, claims) = jwt_parts(id_token);
    assert_eq!(header["alg"], "RS256");
    assert_eq!(claims["sub"], "sub-alice");
    assert_eq!(claims["email"], "alice@example.test");
    assert_eq!(claims["email_verified"], true);
    assert_eq!(claims["nonce"], "nonce-456");
    assert_eq!(claims["aud"], "web");
    assert_eq!(claims["iss"], op.base.as_str());

    // The id_token's kid is in the JWKS.
    let jwks = http("GET", &jwks_uri, &[], None).json();
    let kid = header["kid"].as_str().expect("a kid");
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert!(kids.contains(&kid), "kid {kid} not in {kids:?}");

    // User info with the access token.
    let bearer = format!("Bearer {access_token}");
    let me = http("GET", &userinfo_ep, &[("authorization", &bearer)], None);
    assert_eq!(me.status, 200, "userinfo: {}", me.body);
    assert_eq!(me.json()["sub"], "sub-alice");

    // A replayed code is refused, and the OP revokes what the code gave (RFC 6749 4.1.2): the access token.
    let replay = post_form(
        &token_ep,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("client_id", "web"),
            ("client_secret", "web-secret"),
            ("code_verifier", &verifier),
        ],
        &[],
    );
    assert_eq!(replay.status, 400);
    assert_eq!(replay.json()["error"], "invalid_grant");

    let revoked = http("GET", &userinfo_ep, &[("authorization", &bearer)], None);
    assert_eq!(
        revoked.status, 401,
        "userinfo after the replay: {}",
        revoked.body
    );

    // No code_challenge: the OP redirects with invalid_request.
    let mut no_pkce = url::Url::parse(&auth_ep).unwrap();
    no_pkce
        .query_pairs_mut()
        .append_pair("client_id", "web")
        .append_pair("response_type", "code")
        .append_pair("scope", "openid")
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("state", "s2");
    let refused = op.drive(no_pkce.as_str(), "alice");
    assert_eq!(refused["error"], "invalid_request", "{refused}");

    // The counters: the token endpoint twice (exchange and replay), the JWKS once, userinfo twice.
    let stats = op.stats();
    assert_eq!(stats["token"], 2, "{stats}");
    assert_eq!(stats["jwks"], 1, "{stats}");
    assert_eq!(stats["userinfo"], 2, "{stats}");

    // Key rotation: the JWKS then has the new kid (and keeps the old one).
    let rotated = op.post_json("/__test/rotate-keys", &serde_json::Value::Null);
    let new_kid = rotated["kid"].as_str().unwrap().to_string();
    assert_ne!(new_kid, kid);
    let jwks2 = http("GET", &jwks_uri, &[], None).json();
    assert_eq!(jwks2["keys"][0]["kid"], new_kid.as_str(), "{jwks2}");

    // After the rotation a flow of the `basic` client (client_secret_basic, custom-scheme redirect) is signed
    // with the new key.
    let (verifier2, challenge2) = pkce_s256();
    let app_redirect = "com.example.app:/oauth2redirect";
    let mut url2 = url::Url::parse(&auth_ep).unwrap();
    url2.query_pairs_mut()
        .append_pair("client_id", "basic")
        .append_pair("response_type", "code")
        .append_pair("scope", "openid email")
        .append_pair("redirect_uri", app_redirect)
        .append_pair("state", "s3")
        .append_pair("nonce", "n3")
        .append_pair("code_challenge", &challenge2)
        .append_pair("code_challenge_method", "S256");
    let cb2 = op.drive(url2.as_str(), "bob");
    assert!(
        cb2["callbackUrl"]
            .as_str()
            .unwrap()
            .starts_with(app_redirect),
        "{cb2}"
    );
    let basic = format!("Basic {}", oidc::basic_b64("basic:basic-secret"));
    let r2 = post_form(
        &token_ep,
        &[
            ("grant_type", "authorization_code"),
            ("code", cb2["code"].as_str().unwrap()),
            ("redirect_uri", app_redirect),
            ("code_verifier", &verifier2),
        ],
        &[("authorization", &basic)],
    );
    assert_eq!(r2.status, 200, "token (basic): {}", r2.body);
    let (header2, claims2) = jwt_parts(r2.json()["id_token"].as_str().unwrap());
    assert_eq!(header2["kid"], new_kid.as_str());
    assert_eq!(claims2["sub"], "sub-bob");

    // The fakes answer: Microsoft's templated issuer, GitHub's 401 shape.
    let ms = fakes.get_json("/microsoft/common/v2.0/.well-known/openid-configuration");
    assert_eq!(
        ms["issuer"],
        format!("{}/microsoft/{{tenantid}}/v2.0", fakes.base).as_str()
    );
    let gh = http(
        "GET",
        &fakes.url("/github/user"),
        &[("user-agent", "authcore-test")],
        None,
    );
    assert_eq!(gh.status, 401, "{}", gh.body);
    assert_eq!(gh.json()["message"], "Bad credentials");

    println!(
        "oidc_peers: op {} drove alice through /auth, code exchanged (PKCE S256), id_token kid {kid} in the JWKS, \
         stats {stats}, rotated to {new_kid}; fakes at {} answer",
        op.base, fakes.base
    );

    // Dropping a peer ends its process: its port refuses connections.
    let addr = op.base.trim_start_matches("http://").to_string();
    drop(op);
    assert!(
        std::net::TcpStream::connect(&addr).is_err(),
        "the OP still listens after drop"
    );
}
