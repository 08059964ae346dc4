//! Providers stored per tenant (`createOrUpdateThirdPartyConfig`) against the real OpenID Provider: the flow
//! signs in with the tenant's own client and secret merged over the static provider, the secret is encrypted in
//! the database file, and an engine with another key (or none) refuses to use it rather than sending garbage.

#[path = "support/oidc.rs"]
mod oidc;

use authcore::*;
use oidc::Peer;
use serde_json::{json, Value};

const REDIRECT: &str = "http://127.0.0.1:9/callback";
const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const OTHER_KEY: &str = "HxweHRwbGhkYFxYVFBMSERAPDg0MCwoJCAcGBQQDAgE=";

fn engine(op: &Peer, path: &std::path::Path, key: Option<&str>) -> AuthCore {
    let mut config = json!({
        // The static provider knows where the OP is but has a client the OP does not know: only the tenant's
        // own client can sign in.
        "providers": [{"thirdPartyId": "oidc", "oidcDiscoveryEndpoint": op.base,
                       "includeInNonPublicTenantsByDefault": true,
                       "clients": [{"clientId": "unknown-client", "clientSecret": "nope",
                                    "scope": ["openid", "email", "profile"]}]}],
    });
    if let Some(k) = key {
        config["providerSecretsKey"] = json!(k);
    }
    AuthCore::builder()
        .sqlite(path)
        .expect("sqlite")
        .config(serde_json::from_value(config).expect("config"))
        .build()
        .expect("engine")
}

async fn call(auth: &AuthCore, op: &str, args: Value) -> Result<Value> {
    auth.call(op, args, &UserContext::new()).await
}

async fn sign_in(auth: &AuthCore, op: &Peer, tenant: &str, login: &str) -> Result<Value> {
    let url = call(
        auth,
        "getAuthorisationURL",
        json!({"tenantId": tenant, "thirdPartyId": "oidc", "redirectURIOnProviderDashboard": REDIRECT}),
    )
    .await?;
    let target = url["urlWithQueryParams"].as_str().expect("url").to_string();
    let back = op.drive(&target, login);
    call(
        auth,
        "signInUpPOST",
        json!({"tenantId": tenant, "thirdPartyId": "oidc", "redirectURIInfo": {
            "redirectURIOnProviderDashboard": REDIRECT,
            "redirectURIQueryParams": {"code": back["code"], "state": back["state"], "iss": back["iss"]},
            "pkceCodeVerifier": url["pkceCodeVerifier"],
        }}),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_signs_in_with_its_own_encrypted_client_secret() {
    let op = Peer::start_op();
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("auth.db");
    let auth = engine(&op, &db, Some(KEY));
    call(
        &auth,
        "createOrUpdateTenant",
        json!({"tenantId": "t1", "config": {"firstFactors": ["thirdparty"]}}),
    )
    .await
    .expect("tenant");

    // Before the tenant has its own client, the static one is used, and the OP refuses it.
    let refused = sign_in(&auth, &op, "t1", "alice").await;
    assert!(
        refused.is_err(),
        "the static client is unknown to the OP: {refused:?}"
    );

    let stored = call(
        &auth,
        "createOrUpdateThirdPartyConfig",
        json!({"tenantId": "t1", "config": {"thirdPartyId": "oidc", "clients": [
            {"clientId": "web", "clientSecret": "web-secret", "scope": ["openid", "email", "profile"]}]}}),
    )
    .await
    .expect("stored");
    assert_eq!(stored, json!({"status": "OK", "createdNew": true}));

    let ok = sign_in(&auth, &op, "t1", "alice")
        .await
        .expect("signed in with the tenant's client");
    assert_eq!(ok["status"], "OK");
    assert_eq!(ok["createdNewRecipeUser"], true);
    assert_eq!(ok["user"]["tenantIds"], json!(["t1"]));

    // The secret is not in the database file in clear, nor in what getTenant shows.
    let shown = call(&auth, "getTenant", json!({"tenantId": "t1"}))
        .await
        .expect("tenant");
    assert!(!shown.to_string().contains("web-secret"), "{shown}");
    auth.shutdown().await.expect("shutdown");
    drop(auth);
    let mut bytes = std::fs::read(&db).expect("db");
    if let Ok(wal) = std::fs::read(dir.path().join("auth.db-wal")) {
        bytes.extend(wal);
    }
    let needle = b"web-secret";
    assert!(
        !bytes.windows(needle.len()).any(|w| w == needle),
        "the client secret is stored in clear"
    );
    assert!(
        bytes.windows(16).any(|w| w == b"authcore-sealed:"),
        "the sealed secret is stored"
    );

    // Another key, or none: the stored secret is refused with a typed error, and nothing is sent or created.
    for key in [Some(OTHER_KEY), None] {
        let other = engine(&op, &db, key);
        let before = other.get_user_count(None, true).await.expect("count");
        let err = sign_in(&other, &op, "t1", "bob")
            .await
            .expect_err("unreadable");
        assert_eq!(err.code(), "SECRET_UNREADABLE", "{err}");
        assert_eq!(
            other.get_user_count(None, true).await.expect("count"),
            before
        );
        other.shutdown().await.expect("shutdown");
    }

    // The right key again: the same user signs in.
    let again = engine(&op, &db, Some(KEY));
    let ok = sign_in(&again, &op, "t1", "alice")
        .await
        .expect("signed in");
    assert_eq!(ok["createdNewRecipeUser"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_key_in_the_config_is_refused_at_build() {
    let dir = tempfile::tempdir().expect("tmp");
    let config: AuthCoreConfig =
        serde_json::from_value(json!({"providerSecretsKey": "dG9vIHNob3J0"})).expect("config");
    let err = AuthCore::builder()
        .sqlite(dir.path().join("a.db"))
        .expect("sqlite")
        .config(config.clone())
        .build()
        .err()
        .expect("refused");
    assert_eq!(err.code(), "INVALID_INPUT");
    assert!(!err.to_string().contains("dG9vIHNob3J0"));
    assert!(
        !format!("{config:?}").contains("dG9vIHNob3J0"),
        "Debug hides the key"
    );
}
