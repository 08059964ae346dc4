//! Contract tests of the built-in providers against the fakes of tests/oidc/fakes.mjs (each provider's
//! documented requests and answers; see tests/oidc/README.md) and, for the discovery-only ones (Okta, GitLab),
//! the real OpenID Provider of tests/oidc/op.mjs. Each runs `getAuthorisationURL`, follows the fake's
//! authorisation endpoint (it answers at once with the code), runs `signInUpPOST`, and checks both the user
//! and what the client sent the provider (`/__test/requests/<provider>`).

#[path = "support/oidc.rs"]
mod oidc;

use std::collections::HashMap;

use authcore::oauth::config::for_client_type;
use authcore::oauth::ProviderConfig;
use authcore::*;
use oidc::{http, Peer};
use serde_json::{json, Map, Value};

const REDIRECT: &str = "http://127.0.0.1:9/callback";

fn engine(providers: Value) -> (AuthCore, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tmp");
    let config: AuthCoreConfig = serde_json::from_value(json!({
        "providers": providers,
        "accountLinking": {"shouldAutomaticallyLink": true, "shouldRequireVerification": true},
    }))
    .expect("config");
    let auth = AuthCore::builder()
        .sqlite(dir.path().join("auth.db"))
        .expect("sqlite")
        .config(config)
        .build()
        .expect("engine");
    (auth, dir)
}

async fn call(auth: &AuthCore, op: &str, args: Value) -> Result<Value> {
    auth.call(op, args, &UserContext::new()).await
}

fn query_of(url: &str) -> HashMap<String, String> {
    url::Url::parse(url)
        .expect("url")
        .query_pairs()
        .into_owned()
        .collect()
}

/// `getAuthorisationURL` for `id`: the answer and the URL's parameters.
async fn authorisation_url(auth: &AuthCore, id: &str) -> (Value, HashMap<String, String>) {
    let r = call(
        auth,
        "getAuthorisationURL",
        json!({"thirdPartyId": id, "redirectURIOnProviderDashboard": REDIRECT}),
    )
    .await
    .expect("authorisation URL");
    let q = query_of(r["urlWithQueryParams"].as_str().expect("url"));
    (r, q)
}

fn unescape_html(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// What the provider sends back when the user at `url` is `login`: the redirect's query (a 302), or the
/// fields of Apple's auto-posting form (`response_mode=form_post`).
fn follow(url: &str, login: &str) -> Map<String, Value> {
    let mut u = url::Url::parse(url).expect("url");
    u.query_pairs_mut().append_pair("login_hint", login);
    let r = http("GET", u.as_str(), &[], None);
    match r.status {
        302 => {
            let location = r.header("location").expect("location");
            query_of(location)
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect()
        }
        200 => {
            assert!(
                r.body.contains(&format!("action=\"{REDIRECT}\"")),
                "posts to the redirect URI: {}",
                r.body
            );
            let mut out = Map::new();
            for input in r.body.split("<input ").skip(1) {
                let attr = |name: &str| {
                    let start = input.find(&format!("{name}=\""))? + name.len() + 2;
                    let len = input[start..].find('"')?;
                    Some(unescape_html(&input[start..start + len]))
                };
                if let (Some(k), Some(v)) = (attr("name"), attr("value")) {
                    out.insert(k, Value::String(v));
                }
            }
            out
        }
        s => panic!("the authorisation endpoint answered {s}: {}", r.body),
    }
}

async fn sign_in_up(
    auth: &AuthCore,
    id: &str,
    url: &Value,
    back: Map<String, Value>,
) -> Result<Value> {
    let mut info = json!({
        "redirectURIOnProviderDashboard": REDIRECT,
        "redirectURIQueryParams": back,
    });
    if url["pkceCodeVerifier"].is_string() {
        info["pkceCodeVerifier"] = url["pkceCodeVerifier"].clone();
    }
    if url["nonce"].is_string() {
        info["nonce"] = url["nonce"].clone();
    }
    call(
        auth,
        "signInUpPOST",
        json!({"thirdPartyId": id, "redirectURIInfo": info}),
    )
    .await
}

/// The whole browser round trip for `login`: authorisation URL, the provider's answer, sign-in.
async fn sign_in(auth: &AuthCore, id: &str, login: &str) -> Value {
    let (url, _) = authorisation_url(auth, id).await;
    let back = follow(url["urlWithQueryParams"].as_str().expect("url"), login);
    assert_eq!(
        back["state"], url["state"],
        "the state comes back: {back:?}"
    );
    sign_in_up(auth, id, &url, back)
        .await
        .expect("signInUpPOST")
}

/// The one login method's email and verification.
fn email_of(r: &Value) -> (String, bool) {
    assert_eq!(r["status"], "OK", "{r}");
    let m = &r["user"]["loginMethods"][0];
    (
        m["email"].as_str().expect("email").to_string(),
        m["verified"].as_bool().expect("verified"),
    )
}

fn third_party_user_id(r: &Value) -> String {
    r["user"]["thirdParty"][0]["userId"]
        .as_str()
        .expect("third party user id")
        .to_string()
}

/// The requests the fake recorded under `/<provider>/`, oldest first.
fn requests(fakes: &Peer, provider: &str) -> Vec<Value> {
    match fakes.get_json(&format!("/__test/requests/{provider}")) {
        Value::Array(a) => a,
        other => panic!("not a list: {other}"),
    }
}

/// The last POST to a path ending with `suffix`.
fn last_post(fakes: &Peer, provider: &str, suffix: &str) -> Value {
    requests(fakes, provider)
        .into_iter()
        .rev()
        .find(|r| r["method"] == "POST" && r["path"].as_str().unwrap_or("").ends_with(suffix))
        .unwrap_or_else(|| panic!("no POST …{suffix} recorded for {provider}"))
}

/// Every request's URL is free of the client secret and the tokens.
fn assert_no_secret_in_urls(fakes: &Peer, provider: &str, secret: &str) {
    for r in requests(fakes, provider) {
        let q = r["query"].to_string();
        assert!(!q.contains(secret), "a secret in a URL: {r}");
        assert!(
            r["query"].get("client_secret").is_none() && r["query"].get("access_token").is_none(),
            "a credential in a URL: {r}"
        );
    }
}

fn header<'a>(r: &'a Value, name: &str) -> &'a str {
    r["headers"][name].as_str().unwrap_or("")
}

fn b64(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn github_reads_the_primary_address_and_its_verification_from_user_emails() {
    let fakes = Peer::start_fakes();
    let (auth, _dir) = engine(json!([{
        "thirdPartyId": "github",
        "authorizationEndpoint": fakes.url("/github/login/oauth/authorize"),
        "tokenEndpoint": fakes.url("/github/login/oauth/access_token"),
        "userInfoEndpoint": fakes.url("/github/user"),
        "clients": [{"clientId": "github-client", "clientSecret": "github-secret"}],
    }]));
    let (url, q) = authorisation_url(&auth, "github").await;
    assert_eq!(q["client_id"], "github-client");
    assert_eq!(q["scope"], "read:user user:email");
    assert_eq!(q["redirect_uri"], REDIRECT);
    assert_eq!(q["code_challenge_method"], "S256", "GitHub takes PKCE");
    assert!(url["pkceCodeVerifier"].is_string());
    assert!(!q.contains_key("nonce"), "not OpenID: no nonce");

    let alice = sign_in(&auth, "github", "alice").await;
    // The fake lists the primary address third, after an unverified one: the primary verified one is taken.
    assert_eq!(email_of(&alice), ("alice@example.test".into(), true));
    let api = &alice["rawUserInfoFromProvider"]["fromUserInfoAPI"];
    assert_eq!(
        third_party_user_id(&alice),
        api["id"].to_string(),
        "the numeric id, as text"
    );
    assert_eq!(api["emails"].as_array().map(Vec::len), Some(4));

    let token = last_post(&fakes, "github", "/login/oauth/access_token");
    assert_eq!(token["form"]["client_secret"], "github-secret");
    assert!(token["form"]["code_verifier"].is_string());
    assert!(
        header(&token, "accept").contains("application/json"),
        "{token}"
    );
    let emails = fakes.get_json("/__test/last/github");
    assert_eq!(emails["path"], "/github/user/emails");
    assert!(
        header(&emails, "user-agent").starts_with("authcore/"),
        "{emails}"
    );
    assert_eq!(
        header(&emails, "authorization").split(' ').next(),
        Some("Bearer")
    );
    assert_eq!(header(&emails, "accept"), "application/vnd.github+json");
    assert_no_secret_in_urls(&fakes, "github", "github-secret");

    // The primary address unverified at GitHub: unverified here.
    let bob = sign_in(&auth, "github", "unverified-bob").await;
    assert_eq!(
        email_of(&bob),
        ("unverified-bob@example.test".into(), false)
    );
    // No address at all, and requireEmail defaults to true.
    let none = sign_in(&auth, "github", "noemail-carl").await;
    assert_eq!(none["status"], "NO_EMAIL_GIVEN_BY_PROVIDER", "{none}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn facebook_asks_graph_for_the_fields_of_its_scope_with_the_token_in_a_header() {
    let fakes = Peer::start_fakes();
    let (auth, _dir) = engine(json!([{
        "thirdPartyId": "facebook",
        "authorizationEndpoint": fakes.url("/facebook/v12.0/dialog/oauth"),
        "tokenEndpoint": fakes.url("/facebook/v12.0/oauth/access_token"),
        "userInfoEndpoint": fakes.url("/facebook/me"),
        "clients": [{"clientId": "facebook-app", "clientSecret": "facebook-secret"}],
    }]));
    let (url, q) = authorisation_url(&auth, "facebook").await;
    assert_eq!(q["scope"], "email");
    assert!(
        !q.contains_key("code_challenge"),
        "a confidential client: no PKCE"
    );
    assert!(url["pkceCodeVerifier"].is_null());

    let alice = sign_in(&auth, "facebook", "alice").await;
    // Facebook says nothing of verification.
    assert_eq!(email_of(&alice), ("alice@example.test".into(), false));
    let api = &alice["rawUserInfoFromProvider"]["fromUserInfoAPI"];
    assert_eq!(third_party_user_id(&alice), api["id"].as_str().expect("id"));

    let me = fakes.get_json("/__test/last/facebook");
    assert_eq!(me["path"], "/facebook/me");
    assert_eq!(me["query"]["fields"], "id,email");
    assert_eq!(me["query"]["format"], "json");
    assert!(header(&me, "authorization").starts_with("Bearer "), "{me}");
    let token = last_post(&fakes, "facebook", "/oauth/access_token");
    assert_eq!(token["form"]["client_secret"], "facebook-secret");
    assert!(header(&token, "accept").contains("application/json"));
    assert_no_secret_in_urls(&fakes, "facebook", "facebook-secret");

    let none = sign_in(&auth, "facebook", "noemail-dan").await;
    assert_eq!(none["status"], "NO_EMAIL_GIVEN_BY_PROVIDER", "{none}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discord_reads_id_email_and_verified_from_users_me() {
    let fakes = Peer::start_fakes();
    let (auth, _dir) = engine(json!([{
        "thirdPartyId": "discord",
        "authorizationEndpoint": fakes.url("/discord/oauth2/authorize"),
        "tokenEndpoint": fakes.url("/discord/api/oauth2/token"),
        "userInfoEndpoint": fakes.url("/discord/api/users/@me"),
        "clients": [{"clientId": "discord-client", "clientSecret": "discord-secret"}],
    }]));
    let (_, q) = authorisation_url(&auth, "discord").await;
    assert_eq!(q["scope"], "identify email");
    assert!(!q.contains_key("code_challenge"));

    let alice = sign_in(&auth, "discord", "alice").await;
    assert_eq!(email_of(&alice), ("alice@example.test".into(), true));
    let api = &alice["rawUserInfoFromProvider"]["fromUserInfoAPI"];
    assert_eq!(
        third_party_user_id(&alice),
        api["id"].as_str().expect("snowflake")
    );
    let bob = sign_in(&auth, "discord", "unverified-bob").await;
    assert_eq!(
        email_of(&bob),
        ("unverified-bob@example.test".into(), false)
    );

    let me = fakes.get_json("/__test/last/discord");
    assert_eq!(me["path"], "/discord/api/users/@me");
    assert!(header(&me, "accept").contains("application/json"));
    let token = last_post(&fakes, "discord", "/oauth2/token");
    assert_eq!(token["form"]["client_secret"], "discord-secret");
    assert_no_secret_in_urls(&fakes, "discord", "discord-secret");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linkedin_verifies_its_id_token_and_reads_the_openid_userinfo() {
    let fakes = Peer::start_fakes();
    let (auth, _dir) = engine(json!([{
        "thirdPartyId": "linkedin",
        "authorizationEndpoint": fakes.url("/linkedin/oauth/v2/authorization"),
        "tokenEndpoint": fakes.url("/linkedin/oauth/v2/accessToken"),
        "userInfoEndpoint": fakes.url("/linkedin/v2/userinfo"),
        "jwksURI": fakes.url("/linkedin/oauth/openid/jwks"),
        "issuer": fakes.url("/linkedin/oauth"),
        "clients": [{"clientId": "linkedin-client", "clientSecret": "linkedin-secret"}],
    }]));
    let (url, q) = authorisation_url(&auth, "linkedin").await;
    assert_eq!(q["scope"], "openid profile email");
    assert_eq!(q["nonce"], url["nonce"].as_str().expect("nonce"));

    let back = follow(url["urlWithQueryParams"].as_str().expect("url"), "alice");
    let alice = sign_in_up(&auth, "linkedin", &url, back)
        .await
        .expect("sign-up");
    assert_eq!(email_of(&alice), ("alice@example.test".into(), true));
    let raw = &alice["rawUserInfoFromProvider"];
    assert_eq!(
        raw["fromIdTokenPayload"]["nonce"], url["nonce"],
        "the nonce was checked"
    );
    assert_eq!(
        third_party_user_id(&alice),
        raw["fromIdTokenPayload"]["sub"].as_str().expect("sub")
    );
    assert_eq!(
        raw["fromUserInfoAPI"]["sub"],
        raw["fromIdTokenPayload"]["sub"]
    );
    let bob = sign_in(&auth, "linkedin", "unverified-bob").await;
    assert_eq!(
        email_of(&bob),
        ("unverified-bob@example.test".into(), false)
    );
    assert_no_secret_in_urls(&fakes, "linkedin", "linkedin-secret");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twitter_uses_pkce_and_http_basic_and_signs_in_without_an_email() {
    let fakes = Peer::start_fakes();
    let twitter = |id: &str, extra: Value| {
        let mut p = json!({
            "thirdPartyId": id,
            "authorizationEndpoint": fakes.url("/twitter/i/oauth2/authorize"),
            "tokenEndpoint": fakes.url("/twitter/2/oauth2/token"),
            "userInfoEndpoint": fakes.url("/twitter/2/users/me"),
            "clients": [{"clientId": "twitter-client", "clientSecret": "twitter-secret"}],
        });
        for (k, v) in extra.as_object().expect("object") {
            p[k] = v.clone();
        }
        p
    };
    let (auth, _dir) = engine(json!([
        twitter("twitter", json!({})),
        twitter("twitter-strict", json!({"requireEmail": true})),
        twitter(
            "twitter-email",
            json!({"userInfoEndpointQueryParams": {"user.fields": "confirmed_email"}})
        ),
        twitter(
            "twitter-public",
            json!({"clients": [{"clientId": "twitter-public"}]})
        ),
    ]));
    let (url, q) = authorisation_url(&auth, "twitter").await;
    assert_eq!(q["scope"], "users.read tweet.read");
    assert_eq!(
        q["code_challenge_method"], "S256",
        "X requires PKCE, even with a secret"
    );
    assert!(url["pkceCodeVerifier"].is_string());

    // No email from X: requireEmail defaults to false for it, so the stable fake email signs in.
    let alice = sign_in(&auth, "twitter", "alice").await;
    let api = &alice["rawUserInfoFromProvider"]["fromUserInfoAPI"];
    let id = api["data"]["id"].as_str().expect("data.id").to_string();
    assert_eq!(third_party_user_id(&alice), id);
    assert_eq!(
        email_of(&alice),
        (format!("{id}.twitter@stfakeemail.supertokens.com"), true)
    );
    let again = sign_in(&auth, "twitter", "alice").await;
    assert_eq!(again["user"]["id"], alice["user"]["id"]);

    let token = last_post(&fakes, "twitter", "/2/oauth2/token");
    assert_eq!(
        header(&token, "authorization"),
        format!("Basic {}", b64("twitter-client:twitter-secret"))
    );
    assert!(
        token["form"]["client_secret"].is_null(),
        "the secret only in the header: {token}"
    );
    assert!(token["form"]["code_verifier"].is_string());
    assert!(header(&token, "accept").contains("application/json"));
    assert_no_secret_in_urls(&fakes, "twitter", "twitter-secret");

    // The same answer with requireEmail: the provider gave no email.
    let strict = sign_in(&auth, "twitter-strict", "alice").await;
    assert_eq!(strict["status"], "NO_EMAIL_GIVEN_BY_PROVIDER", "{strict}");

    // Asked for, X's confirmed_email is a confirmed address.
    let with_email = sign_in(&auth, "twitter-email", "erin").await;
    assert_eq!(email_of(&with_email), ("erin@example.test".into(), true));

    // A public client (no secret): no Basic header, its id in the body, PKCE as ever.
    let public = sign_in(&auth, "twitter-public", "gina").await;
    assert_eq!(public["status"], "OK", "{public}");
    let token = last_post(&fakes, "twitter", "/2/oauth2/token");
    assert_eq!(header(&token, "authorization"), "");
    assert_eq!(token["form"]["client_id"], "twitter-public");
    assert!(token["form"]["code_verifier"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bitbucket_reads_the_primary_confirmed_address_from_user_emails() {
    let fakes = Peer::start_fakes();
    let (auth, _dir) = engine(json!([{
        "thirdPartyId": "bitbucket",
        "authorizationEndpoint": fakes.url("/bitbucket/site/oauth2/authorize"),
        "tokenEndpoint": fakes.url("/bitbucket/site/oauth2/access_token"),
        "userInfoEndpoint": fakes.url("/bitbucket/2.0/user"),
        "clients": [{"clientId": "bitbucket-key", "clientSecret": "bitbucket-secret"}],
    }]));
    let (_, q) = authorisation_url(&auth, "bitbucket").await;
    assert_eq!(q["scope"], "account email");
    assert_eq!(q["audience"], "api.atlassian.com");

    let alice = sign_in(&auth, "bitbucket", "alice").await;
    // The primary address is listed second, after a confirmed non-primary one.
    assert_eq!(email_of(&alice), ("alice@example.test".into(), true));
    let api = &alice["rawUserInfoFromProvider"]["fromUserInfoAPI"];
    assert_eq!(
        third_party_user_id(&alice),
        api["uuid"].as_str().expect("uuid")
    );
    assert_eq!(api["emails"]["values"].as_array().map(Vec::len), Some(2));
    let bob = sign_in(&auth, "bitbucket", "unverified-bob").await;
    assert_eq!(
        email_of(&bob),
        ("unverified-bob@example.test".into(), false)
    );
    let none = sign_in(&auth, "bitbucket", "noemail-carl").await;
    assert_eq!(none["status"], "NO_EMAIL_GIVEN_BY_PROVIDER", "{none}");

    let emails = fakes.get_json("/__test/last/bitbucket");
    assert_eq!(emails["path"], "/bitbucket/2.0/user/emails");
    assert!(header(&emails, "authorization").starts_with("Bearer "));
    assert_no_secret_in_urls(&fakes, "bitbucket", "bitbucket-secret");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apple_posts_the_form_mints_a_cached_es256_client_secret_and_keeps_the_first_consent_user()
{
    let fakes = Peer::start_fakes();
    let key = fakes.get_json("/__test/apple-key");
    let (auth, _dir) = engine(json!([{
        "thirdPartyId": "apple",
        "oidcDiscoveryEndpoint": fakes.url("/apple"),
        "clients": [{
            "clientId": "com.example.signin",
            "scope": ["openid", "email", "name"],
            "additionalConfig": {"keyId": key["keyId"], "teamId": key["teamId"], "privateKey": key["privateKeyPem"]},
        }],
    }]));
    let (url, q) = authorisation_url(&auth, "apple").await;
    assert_eq!(q["response_mode"], "form_post");
    assert_eq!(q["scope"], "openid email name");
    assert_eq!(q["nonce"], url["nonce"].as_str().expect("nonce"));

    let back = follow(url["urlWithQueryParams"].as_str().expect("url"), "alice");
    assert!(
        back["user"].is_string(),
        "the first consent's user: {back:?}"
    );
    let alice = sign_in_up(&auth, "apple", &url, back)
        .await
        .expect("sign-up");
    // Apple's email_verified is the string "true".
    assert_eq!(email_of(&alice), ("alice@example.test".into(), true));
    let payload = &alice["rawUserInfoFromProvider"]["fromIdTokenPayload"];
    assert_eq!(payload["email_verified"], "true");
    assert_eq!(payload["user"]["name"]["firstName"], "alice");
    assert_eq!(payload["user"]["email"], "alice@example.test");
    assert_eq!(
        third_party_user_id(&alice),
        payload["sub"].as_str().expect("sub")
    );

    // A second sign-in: the same secret (ECDSA signatures are randomised: equal means minted once).
    let again = sign_in(&auth, "apple", "alice").await;
    assert_eq!(again["user"]["id"], alice["user"]["id"]);
    let secrets: Vec<String> = requests(&fakes, "apple")
        .iter()
        .filter(|r| r["path"] == "/apple/auth/token")
        .map(|r| {
            r["form"]["client_secret"]
                .as_str()
                .expect("client_secret")
                .to_string()
        })
        .collect();
    assert_eq!(secrets.len(), 2);
    assert_eq!(
        secrets[0], secrets[1],
        "one secret minted for both sign-ins"
    );
    let (header_json, claims) = oidc::jwt_parts(&secrets[0]);
    assert_eq!(header_json["alg"], "ES256");
    assert_eq!(header_json["kid"], "TESTKEY001");
    assert_eq!(claims["iss"], "TEST1TEAM0");
    assert_eq!(claims["sub"], "com.example.signin");
    assert_eq!(claims["aud"], "https://appleid.apple.com");
    for r in requests(&fakes, "apple") {
        assert!(r["query"].get("client_secret").is_none(), "{r}");
    }

    // Booleans work as well as strings.
    fakes.post_json(
        "/__test/config",
        &json!({"apple": {"boolsAsStrings": false}}),
    );
    let bool_user = sign_in(&auth, "apple", "frank").await;
    assert_eq!(email_of(&bool_user), ("frank@example.test".into(), true));

    // A key that is not a P-256 PKCS#8 PEM is a configuration error, and names no key material.
    let (bad, _dir2) = engine(json!([{
        "thirdPartyId": "apple",
        "oidcDiscoveryEndpoint": fakes.url("/apple"),
        "clients": [{"clientId": "com.example.signin",
            "additionalConfig": {"keyId": "TESTKEY001", "teamId": "TEST1TEAM0", "privateKey": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"}}],
    }]));
    let (url, _) = authorisation_url(&bad, "apple").await;
    let back = follow(url["urlWithQueryParams"].as_str().expect("url"), "alice");
    match sign_in_up(&bad, "apple", &url, back).await {
        Err(e @ AuthError::InvalidInput { .. }) => {
            assert!(!format!("{e:?}").contains("AAAA"), "{e:?}")
        }
        other => panic!("expected a configuration error, got {other:?}"),
    }
}

fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn active_directory_fills_the_issuer_template_from_tid_and_refuses_another_tenants_issuer() {
    let fakes = Peer::start_fakes();
    let (auth, _dir) = engine(json!([{
        "thirdPartyId": "active-directory",
        "oidcDiscoveryEndpoint": fakes.url("/microsoft/common/v2.0"),
        "clients": [{"clientId": "microsoft-client", "clientSecret": "microsoft-secret"}],
    }]));
    let (url, q) = authorisation_url(&auth, "active-directory").await;
    assert_eq!(q["scope"], "openid email");
    assert!(q.contains_key("nonce"));
    assert!(url["urlWithQueryParams"]
        .as_str()
        .expect("url")
        .starts_with(&fakes.url("/microsoft/common/oauth2/v2.0/authorize")));

    let alice = sign_in(&auth, "active-directory", "alice").await;
    // Microsoft's email claim is not verified.
    assert_eq!(email_of(&alice), ("alice@example.test".into(), false));
    let payload = &alice["rawUserInfoFromProvider"]["fromIdTokenPayload"];
    let tid = payload["tid"].as_str().expect("tid").to_string();
    assert_eq!(payload["iss"], fakes.url(&format!("/microsoft/{tid}/v2.0")));
    assert_eq!(
        third_party_user_id(&alice),
        payload["sub"].as_str().expect("sub")
    );
    let personal = sign_in(&auth, "active-directory", "personal-pat").await;
    assert_eq!(
        personal["status"], "OK",
        "another tenant's user, its own tid: {personal}"
    );
    let token = last_post(&fakes, "microsoft", "/oauth2/v2.0/token");
    assert_eq!(token["form"]["client_secret"], "microsoft-secret");
    assert_no_secret_in_urls(&fakes, "microsoft", "microsoft-secret");

    // Tokens a native app obtained: `iss` must name the tenant of `tid`.
    let other_tenant = "9188040d-6c67-4c5b-b112-36a304b66dad";
    let claims = |iss_tenant: &str| {
        json!({"iss": fakes.url(&format!("/microsoft/{iss_tenant}/v2.0")), "tid": tid, "aud": "microsoft-client",
            "sub": "minted-sub", "email": "minted@example.test", "iat": now_s(), "exp": now_s() + 600})
    };
    let with = |c: Value| {
        let minted = fakes.post_json("/__test/mint", &json!({"claims": c, "key": "microsoft"}));
        json!({"thirdPartyId": "active-directory", "oAuthTokens": {"id_token": minted["id_token"]}})
    };
    let ok = call(&auth, "signInUpPOST", with(claims(&tid)))
        .await
        .expect("matching tenant");
    assert_eq!(ok["status"], "OK", "{ok}");
    match call(&auth, "signInUpPOST", with(claims(other_tenant))).await {
        Err(AuthError::IdTokenInvalid { check }) => assert_eq!(check, "iss"),
        other => panic!("expected ID_TOKEN_INVALID iss, got {other:?}"),
    }
    // A token without `tid` cannot fill the template.
    let mut no_tid = claims(&tid);
    no_tid.as_object_mut().expect("object").remove("tid");
    match call(&auth, "signInUpPOST", with(no_tid)).await {
        Err(AuthError::IdTokenInvalid { check }) => assert_eq!(check, "iss"),
        other => panic!("expected ID_TOKEN_INVALID iss, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn okta_and_gitlab_find_their_provider_by_discovery_from_additional_config() {
    let op = Peer::start_op();
    let client = |extra: Value| json!([{"clientId": "web", "clientSecret": "web-secret", "additionalConfig": extra}]);
    let (auth, _dir) = engine(json!([
        {"thirdPartyId": "okta", "clients": client(json!({"oktaDomain": op.base}))},
        {"thirdPartyId": "gitlab", "clients": client(json!({"gitlabBaseUrl": op.base}))},
    ]));
    for id in ["okta", "gitlab"] {
        let (url, q) = authorisation_url(&auth, id).await;
        assert_eq!(q["scope"], "openid email", "{id}");
        assert!(url["urlWithQueryParams"]
            .as_str()
            .expect("url")
            .starts_with(&op.base));
        let back = op.drive(url["urlWithQueryParams"].as_str().expect("url"), "alice");
        let mut params = Map::new();
        for k in ["code", "state", "iss"] {
            params.insert(k.into(), back[k].clone());
        }
        let r = sign_in_up(&auth, id, &url, params).await.expect("sign-in");
        assert_eq!(email_of(&r), ("alice@example.test".into(), true), "{id}");
        assert_eq!(third_party_user_id(&r), "sub-alice");
    }
}

/// The built-ins' own endpoints, and that every one of them yields to the configuration.
#[test]
fn built_in_defaults_by_id_prefix_and_configuration_overrides_them() {
    let resolve = |p: Value| {
        let p: ProviderConfig = serde_json::from_value(p).expect("provider");
        for_client_type(&p, None).expect("resolves")
    };
    let client =
        |extra: Value| json!([{"clientId": "c", "clientSecret": "s", "additionalConfig": extra}]);
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "github",
            json!({}),
            "https://github.com/login/oauth/authorize",
        ),
        (
            "facebook",
            json!({}),
            "https://www.facebook.com/v12.0/dialog/oauth",
        ),
        ("discord", json!({}), "https://discord.com/oauth2/authorize"),
        (
            "linkedin",
            json!({}),
            "https://www.linkedin.com/oauth/v2/authorization",
        ),
        (
            "bitbucket",
            json!({}),
            "https://bitbucket.org/site/oauth2/authorize",
        ),
        (
            "twitter",
            json!({}),
            "https://twitter.com/i/oauth2/authorize",
        ),
    ];
    for (id, extra, auth_endpoint) in cases {
        let c = resolve(json!({"thirdPartyId": id, "clients": client(extra)}));
        assert_eq!(
            c.authorization_endpoint.as_deref(),
            Some(auth_endpoint),
            "{id}"
        );
        assert!(
            c.token_endpoint.is_some() && c.user_info_endpoint.is_some(),
            "{id}"
        );
        assert!(c.name.is_some(), "{id}");
    }
    let discovery = |id: &str, extra: Value| {
        resolve(json!({"thirdPartyId": id, "clients": client(extra)})).oidc_discovery_endpoint
    };
    assert_eq!(
        discovery("active-directory", json!({"directoryId": "tenant-guid"})).as_deref(),
        Some("https://login.microsoftonline.com/tenant-guid/v2.0/.well-known/openid-configuration")
    );
    assert_eq!(
        discovery("okta-acme", json!({"oktaDomain": "dev-1.okta.com"})).as_deref(),
        Some("https://dev-1.okta.com/.well-known/openid-configuration")
    );
    assert_eq!(
        discovery("gitlab", json!({})).as_deref(),
        Some("https://gitlab.com/.well-known/openid-configuration")
    );
    assert_eq!(
        discovery(
            "gitlab",
            json!({"gitlabBaseUrl": "https://git.example.org/"})
        )
        .as_deref(),
        Some("https://git.example.org/.well-known/openid-configuration")
    );
    assert_eq!(
        discovery("apple", json!({})).as_deref(),
        Some("https://appleid.apple.com/")
    );
    // X: no email by default, PKCE forced; a client may still say otherwise.
    let x = resolve(json!({"thirdPartyId": "twitter", "clients": client(json!({}))}));
    assert!(!x.require_email && x.force_pkce);
    let x = resolve(json!({"thirdPartyId": "twitter", "requireEmail": true,
        "clients": [{"clientId": "c", "clientSecret": "s", "forcePKCE": false}]}));
    assert!(x.require_email && !x.force_pkce);
    // Every endpoint a built-in fills yields to the configuration.
    let over = resolve(json!({
        "thirdPartyId": "github-enterprise",
        "authorizationEndpoint": "https://ghe.example/a", "tokenEndpoint": "https://ghe.example/t",
        "userInfoEndpoint": "https://ghe.example/u", "jwksURI": "https://ghe.example/j",
        "oidcDiscoveryEndpoint": "https://ghe.example/d", "issuer": "https://ghe.example",
        "authorizationEndpointQueryParams": {"allow_signup": "false"},
        "clients": [{"clientId": "c", "clientSecret": "s", "scope": ["user:email"]}],
    }));
    assert_eq!(
        over.authorization_endpoint.as_deref(),
        Some("https://ghe.example/a")
    );
    assert_eq!(
        over.token_endpoint.as_deref(),
        Some("https://ghe.example/t")
    );
    assert_eq!(
        over.user_info_endpoint.as_deref(),
        Some("https://ghe.example/u")
    );
    assert_eq!(over.jwks_uri.as_deref(), Some("https://ghe.example/j"));
    assert_eq!(
        over.oidc_discovery_endpoint.as_deref(),
        Some("https://ghe.example/d")
    );
    assert_eq!(over.issuer.as_deref(), Some("https://ghe.example"));
    assert_eq!(over.scope, vec!["user:email".to_string()]);
    assert_eq!(over.name.as_deref(), Some("Github"));
    let ad = resolve(
        json!({"thirdPartyId": "active-directory", "oidcDiscoveryEndpoint": "https://x/d",
        "clients": client(json!({"directoryId": "t"}))}),
    );
    assert_eq!(ad.oidc_discovery_endpoint.as_deref(), Some("https://x/d"));
    // Any other id is custom: nothing filled.
    let custom = resolve(json!({"thirdPartyId": "acme", "clients": client(json!({}))}));
    assert!(custom.authorization_endpoint.is_none() && custom.name.is_none());
}
