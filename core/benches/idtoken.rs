//! id_token verification with a cached JWKS, and sign-ins that must not refetch it.
//!
//! `scripts/bench-idtoken` starts the test OpenID Provider (tests/oidc/op.mjs), mints one RS256 id_token, and
//! runs this next to `jose`'s `jwtVerify` in Node on the same token and key set, interleaved in the same run.
//!
//! Modes:
//! - `verify --jwks-uri U --issuer I --aud A --token T --n N`: N verifications through the core's
//!   `OAuthClient::verify_id_token` (signature, alg allow-list, iss, aud, azp, exp/nbf/iat); prints
//!   `core verify: <ops/s> ops/s` and the JWKS fetch count.
//! - `signins --jwks-uri U --issuer I --aud A --token T --n N`: N `signInUpPOST`s with that id_token as
//!   `oAuthTokens` on a fresh SQLite engine; prints ops/s and the engine's JWKS fetch count (must be 1).

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use authcore::oauth::{config, DefaultHttpClient, HttpPolicy, OAuthClient, ProviderConfig};
use authcore::{AuthCore, AuthCoreConfig, UserContext};
use serde_json::{json, Value};

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn provider(jwks_uri: &str, issuer: &str, aud: &str) -> Value {
    json!({"thirdPartyId": "oidc", "jwksURI": jwks_uri, "issuer": issuer,
           "clients": [{"clientId": aud, "clientSecret": "unused"}]})
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

async fn verify(p: Value, token: &str, n: usize) -> Result<(), String> {
    let cfg: ProviderConfig = serde_json::from_value(p).map_err(|e| e.to_string())?;
    let cfg = config::for_client_type(&cfg, None).map_err(|e| e.to_string())?;
    let http = DefaultHttpClient::new(HttpPolicy::default()).map_err(|e| e.to_string())?;
    let client = OAuthClient::new(Arc::new(http), Arc::new(now_ms));
    // Warm-up: the one JWKS fetch.
    client
        .verify_id_token(&cfg, token, None)
        .await
        .map_err(|e| e.to_string())?;
    let start = Instant::now();
    for _ in 0..n {
        client
            .verify_id_token(&cfg, token, None)
            .await
            .map_err(|e| e.to_string())?;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "core verify: {:.0} ops/s ({n} verifications, {} JWKS fetch)",
        n as f64 / secs,
        client.jwks_fetches()
    );
    Ok(())
}

async fn signins(p: Value, token: &str, n: usize) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let config: AuthCoreConfig =
        serde_json::from_value(json!({"providers": [p]})).map_err(|e| e.to_string())?;
    let auth = AuthCore::builder()
        .sqlite(dir.path().join("bench.db"))
        .map_err(|e| e.to_string())?
        .config(config)
        .build()
        .map_err(|e| e.to_string())?;
    let args = json!({"thirdPartyId": "oidc", "oAuthTokens": {"id_token": token}});
    let start = Instant::now();
    for i in 0..n {
        let r = auth
            .call("signInUpPOST", args.clone(), &UserContext::new())
            .await
            .map_err(|e| e.to_string())?;
        if r["status"] != "OK" || r["createdNewUser"] != json!(i == 0) {
            return Err(format!("sign-in {i}: {r}"));
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let count = auth
        .get_user_count(None, true)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "core signins: {:.0} ops/s ({n} sign-ins, {count} user, {} JWKS fetch)",
        n as f64 / secs,
        auth.jwks_fetches()
    );
    if auth.jwks_fetches() != 1 || count != 1 {
        return Err("expected exactly one JWKS fetch and one user".into());
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(jwks), Some(issuer), Some(aud), Some(token)) = (
        arg(&args, "--jwks-uri"),
        arg(&args, "--issuer"),
        arg(&args, "--aud"),
        arg(&args, "--token"),
    ) else {
        eprintln!(
            "usage: idtoken (verify|signins) --jwks-uri U --issuer I --aud A --token T [--n N]"
        );
        return ExitCode::FAILURE;
    };
    let n = arg(&args, "--n")
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let p = provider(&jwks, &issuer, &aud);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let result = if args.iter().any(|a| a == "signins") {
        runtime.block_on(signins(p, &token, n))
    } else {
        runtime.block_on(verify(p, &token, n))
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("idtoken bench: {e}");
            ExitCode::FAILURE
        }
    }
}
