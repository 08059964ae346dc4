//! The provider steps of a sign-in (supertokens-node's `TypeProvider` methods): the authorisation URL, the
//! code exchange and the user info, with discovery and the JWKS cached per URI.
//!
//! Caching: a discovery document lives for [`DISCOVERY_TTL_MS`]; a JWKS for [`JWKS_TTL_MS`], and a token whose
//! `kid` the cached set lacks triggers one refetch (single-flight per URI: concurrent sign-ins wait for the same
//! fetch) at most every [`JWKS_REFETCH_COOLDOWN_MS`]. When a fetch fails the last good set is kept.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::apple::{AppleKey, SecretCache};
use super::builtin::{self, Kind};
use super::config::{ProviderConfigForClientType, UserFields};
use super::http::{HttpClient, HttpError, HttpMethod, HttpRequest, HttpResponse};
use super::jwt::{self, ClaimChecks, Failure, Jwk};
use crate::error::{AuthError, Result};
use crate::model::EmailInput;

pub const DISCOVERY_TTL_MS: i64 = 60 * 60 * 1000;
pub const JWKS_TTL_MS: i64 = 10 * 60 * 1000;
pub const JWKS_REFETCH_COOLDOWN_MS: i64 = 30 * 1000;

/// The provider's token response, as it sent it (`access_token`, `id_token`, `expires_in`, …).
pub type OAuthTokens = Map<String, Value>;

/// What `getAuthorisationRedirectURL` gives: the URL to send the user to and, with PKCE, the verifier the
/// code exchange must present.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase")]
pub struct AuthorisationRedirect {
    pub url_with_query_params: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub pkce_code_verifier: Option<String>,
}

/// Where the provider sent the user back (supertokens-node's `redirectURIInfo`), plus what the caller kept of
/// the flow in stateless mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RedirectUriInfo {
    #[serde(rename = "redirectURIOnProviderDashboard")]
    pub redirect_uri_on_provider_dashboard: String,
    /// The query (or, for `form_post`, the form) the provider sent back: `code`, `state`, `iss`, `error`…
    #[serde(rename = "redirectURIQueryParams")]
    #[cfg_attr(feature = "schema", schemars(with = "Map<String, Value>"))]
    pub redirect_uri_query_params: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub pkce_code_verifier: Option<String>,
    /// Stateless mode: the `nonce` `getAuthorisationURL` returned, when there is no PKCE verifier to derive it
    /// from. Stored mode keeps it in the flow record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub nonce: Option<String>,
}

/// The provider's raw answers, kept for the application (`rawUserInfoFromProvider`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase")]
pub struct RawUserInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    #[cfg_attr(feature = "schema", schemars(with = "Option<Map<String, Value>>"))]
    pub from_id_token_payload: Option<Map<String, Value>>,
    #[serde(
        default,
        rename = "fromUserInfoAPI",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    #[cfg_attr(feature = "schema", schemars(with = "Option<Map<String, Value>>"))]
    pub from_user_info_api: Option<Map<String, Value>>,
}

/// What `getUserInfo` gives (supertokens-node's `UserInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase")]
pub struct UserInfo {
    pub third_party_user_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub email: Option<EmailInput>,
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub raw_user_info_from_provider: RawUserInfo,
}

/// A random URL-safe token of `bytes` random bytes (state, PKCE verifier).
pub fn random_token(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| AuthError::internal(format!("no randomness: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(buf))
}

/// The PKCE S256 challenge of a verifier.
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// The nonce of a flow with a PKCE verifier: derived from the verifier, so a stateless caller that round-trips
/// the verifier has the nonce checked too, and nobody who saw only the challenge can compute it.
pub fn nonce_from_verifier(verifier: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"authcore-oidc-nonce\0");
    h.update(verifier.as_bytes());
    URL_SAFE_NO_PAD.encode(h.finalize())
}

struct JwksState {
    keys: Arc<Vec<Jwk>>,
    fetched_at_ms: i64,
    last_refetch_ms: i64,
    /// Bumped by every successful fetch: a caller that waited on the lock sees whether someone refetched.
    generation: u64,
}

struct Cached<T> {
    value: T,
    at_ms: i64,
}

/// The provider client the engine holds: the HTTP client and the caches.
pub struct OAuthClient {
    http: Arc<dyn HttpClient>,
    clock: Arc<dyn Fn() -> i64 + Send + Sync>,
    discovery: Mutex<HashMap<String, Cached<Map<String, Value>>>>,
    jwks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Option<JwksState>>>>>,
    jwks_fetches: AtomicU64,
    /// Apple's minted client secrets.
    apple_secrets: SecretCache,
}

/// Sent on every request unless the configuration sets one: GitHub's API refuses a request without it, and
/// a provider's logs can tell who called.
pub const USER_AGENT: &str = concat!("authcore/", env!("CARGO_PKG_VERSION"));

/// Adds `name: value` unless a header of that name is already there.
fn default_header(headers: &mut Vec<(String, String)>, name: &str, value: &str) {
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name)) {
        headers.push((name.to_string(), value.to_string()));
    }
}

/// HTTP Basic client credentials (RFC 6749 §2.3.1: each part form-urlencoded before base64).
fn basic_auth(id: &str, secret: &str) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", enc(id), enc(secret)))
    )
}

fn form(pairs: &[(String, String)]) -> Vec<u8> {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish().into_bytes()
}

/// The value of a configured parameter map entry: strings as they are, other JSON as its text; `null` is a
/// removal and gives `None`.
fn param(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Applies configured parameters over `pairs`: a key replaces the flow's own value, `null` removes it.
fn apply_params(pairs: &mut Vec<(String, String)>, extra: &Map<String, Value>) {
    for (k, v) in extra {
        pairs.retain(|(key, _)| key != k);
        if let Some(v) = param(v) {
            pairs.push((k.clone(), v));
        }
    }
}

fn with_query(base: &str, pairs: &[(String, String)]) -> Result<String> {
    let mut url = url::Url::parse(base)
        .map_err(|e| AuthError::invalid("endpoint", format!("not a URL ({e})")))?;
    if !pairs.is_empty() {
        let mut q = url.query_pairs_mut();
        for (k, v) in pairs {
            q.append_pair(k, v);
        }
    }
    Ok(url.into())
}

fn json_body(r: &HttpResponse) -> Option<Map<String, Value>> {
    serde_json::from_slice::<Value>(&r.body)
        .ok()
        .and_then(|v| match v {
            Value::Object(m) => Some(m),
            _ => None,
        })
}

/// A dotted path into a JSON object (`user.id`, `emails.0.email`).
pub fn access_field<'a>(obj: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let mut cur = obj.get(parts.next()?)?;
    for p in parts {
        cur = match cur {
            Value::Object(m) => m.get(p)?,
            Value::Array(a) => a.get(p.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn as_id(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// X's `confirmed_email` is, as its name and X's documentation say, a confirmed address: with the default map
/// (and no verification path configured) it is read as verified.
fn confirmed_by_provider(kind: Kind, map: &super::config::UserInfoMap) -> bool {
    kind == Kind::Twitter
        && map.from_user_info_api.as_ref().is_some_and(|f| {
            f.email.as_deref() == Some("data.confirmed_email") && f.email_verified.is_none()
        })
}

fn as_verified(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::String(s) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

impl OAuthClient {
    pub fn new(http: Arc<dyn HttpClient>, clock: Arc<dyn Fn() -> i64 + Send + Sync>) -> Self {
        OAuthClient {
            http,
            clock,
            discovery: Mutex::new(HashMap::new()),
            jwks: Mutex::new(HashMap::new()),
            jwks_fetches: AtomicU64::new(0),
            apple_secrets: SecretCache::default(),
        }
    }

    /// How many JWKS documents were fetched (for tests and benchmarks: a cached set is fetched once).
    pub fn jwks_fetches(&self) -> u64 {
        self.jwks_fetches.load(Ordering::Relaxed)
    }

    fn now_ms(&self) -> i64 {
        (self.clock)()
    }

    async fn get_json(
        &self,
        url: &str,
        headers: Vec<(String, String)>,
    ) -> std::result::Result<(u16, Option<Map<String, Value>>), HttpError> {
        let mut headers = headers;
        default_header(&mut headers, "Accept", "application/json");
        default_header(&mut headers, "User-Agent", USER_AGENT);
        let r = self
            .http
            .send(HttpRequest {
                method: HttpMethod::Get,
                url: url.to_string(),
                headers,
                body: None,
            })
            .await?;
        Ok((r.status, json_body(&r)))
    }

    /// Fills the endpoints, JWKS URI and issuer from the discovery document when one is configured.
    pub async fn discover(&self, cfg: &mut ProviderConfigForClientType) -> Result<()> {
        let Some(endpoint) = cfg.oidc_discovery_endpoint.clone() else {
            return Ok(());
        };
        let url = if endpoint.ends_with("/.well-known/openid-configuration") {
            endpoint
        } else {
            format!(
                "{}/.well-known/openid-configuration",
                endpoint.trim_end_matches('/')
            )
        };
        let now = self.now_ms();
        let cached = {
            let map = self.discovery.lock().unwrap_or_else(|p| p.into_inner());
            map.get(&url)
                .filter(|c| now - c.at_ms < DISCOVERY_TTL_MS)
                .map(|c| c.value.clone())
        };
        let doc = match cached {
            Some(doc) => doc,
            None => {
                let failed = |m: String| AuthError::OAuthDiscoveryFailed { message: m };
                let (status, body) = self
                    .get_json(&url, Vec::new())
                    .await
                    .map_err(|e| failed(e.to_string()))?;
                let doc = match (status, body) {
                    (200, Some(doc)) => doc,
                    (status, _) => {
                        return Err(failed(format!("the discovery document answered {status}")))
                    }
                };
                self.discovery
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(
                        url,
                        Cached {
                            value: doc.clone(),
                            at_ms: now,
                        },
                    );
                doc
            }
        };
        let s = |k: &str| doc.get(k).and_then(Value::as_str).map(str::to_string);
        cfg.authorization_endpoint = cfg
            .authorization_endpoint
            .take()
            .or_else(|| s("authorization_endpoint"));
        cfg.token_endpoint = cfg.token_endpoint.take().or_else(|| s("token_endpoint"));
        cfg.user_info_endpoint = cfg
            .user_info_endpoint
            .take()
            .or_else(|| s("userinfo_endpoint"));
        cfg.jwks_uri = cfg.jwks_uri.take().or_else(|| s("jwks_uri"));
        cfg.issuer = cfg.issuer.take().or_else(|| s("issuer"));
        if doc
            .get("code_challenge_methods_supported")
            .and_then(Value::as_array)
            .is_some_and(|m| m.iter().any(|x| x == "S256"))
        {
            cfg.supports_pkce = true;
        }
        Ok(())
    }

    /// `getAuthorisationRedirectURL`: the provider's authorisation URL for this client. PKCE (S256) whenever
    /// the provider supports it, the client asks for it, or the client has no secret.
    pub fn authorisation_redirect(
        &self,
        cfg: &ProviderConfigForClientType,
        redirect_uri_on_provider_dashboard: &str,
    ) -> Result<AuthorisationRedirect> {
        let endpoint = cfg.authorization_endpoint.as_deref().ok_or_else(|| {
            AuthError::invalid(
                "authorizationEndpoint",
                format!(
                    "provider '{}' has no authorisation endpoint",
                    cfg.third_party_id
                ),
            )
        })?;
        let mut pairs = vec![
            ("client_id".to_string(), cfg.client_id.clone()),
            (
                "redirect_uri".to_string(),
                redirect_uri_on_provider_dashboard.to_string(),
            ),
            ("response_type".to_string(), "code".to_string()),
        ];
        if !cfg.scope.is_empty() {
            pairs.push(("scope".to_string(), cfg.scope.join(" ")));
        }
        let pkce = cfg.force_pkce || cfg.supports_pkce || cfg.client_secret.is_none();
        let verifier = if pkce {
            let v = random_token(48)?;
            pairs.push(("code_challenge".to_string(), pkce_challenge(&v)));
            pairs.push(("code_challenge_method".to_string(), "S256".to_string()));
            Some(v)
        } else {
            None
        };
        apply_params(&mut pairs, &cfg.authorization_endpoint_query_params);
        Ok(AuthorisationRedirect {
            url_with_query_params: with_query(endpoint, &pairs)?,
            pkce_code_verifier: verifier,
        })
    }

    /// `exchangeAuthCodeForOAuthTokens`: the code for the provider's tokens.
    pub async fn exchange_code(
        &self,
        cfg: &ProviderConfigForClientType,
        info: &RedirectUriInfo,
    ) -> Result<OAuthTokens> {
        let q = &info.redirect_uri_query_params;
        let text = |k: &str| q.get(k).and_then(Value::as_str).map(str::to_string);
        if let Some(error) = text("error") {
            return Err(AuthError::OAuthAuthorisationRefused {
                error,
                error_description: text("error_description").unwrap_or_default(),
            });
        }
        let code = text("code").ok_or_else(|| {
            AuthError::invalid("redirectURIQueryParams", "the provider sent no code")
        })?;
        let endpoint = cfg.token_endpoint.as_deref().ok_or_else(|| {
            AuthError::invalid(
                "tokenEndpoint",
                format!("provider '{}' has no token endpoint", cfg.third_party_id),
            )
        })?;
        let mut pairs = vec![
            ("client_id".to_string(), cfg.client_id.clone()),
            (
                "redirect_uri".to_string(),
                info.redirect_uri_on_provider_dashboard.clone(),
            ),
            ("code".to_string(), code),
            ("grant_type".to_string(), "authorization_code".to_string()),
        ];
        let kind = builtin::kind(&cfg.third_party_id);
        let mut headers = vec![
            ("Accept".to_string(), "application/json".to_string()),
            (
                "Content-Type".to_string(),
                "application/x-www-form-urlencoded".to_string(),
            ),
            ("User-Agent".to_string(), USER_AGENT.to_string()),
        ];
        let secret = match (&cfg.client_secret, kind) {
            (Some(s), _) => Some(s.clone()),
            (None, Kind::Apple) => {
                let key = AppleKey::from_config(&cfg.client_id, &cfg.additional_config)
                    .map_err(|e| AuthError::invalid("additionalConfig", e.to_string()))?;
                let now_s = self.now_ms().div_euclid(1000);
                Some(
                    self.apple_secrets
                        .get(&key, now_s)
                        .map_err(|e| AuthError::invalid("additionalConfig", e.to_string()))?,
                )
            }
            (None, _) => None,
        };
        match (secret, kind) {
            // X requires a confidential client to authenticate with HTTP Basic; the secret never goes in
            // the body.
            (Some(secret), Kind::Twitter) => {
                headers.push(("Authorization".into(), basic_auth(&cfg.client_id, &secret)))
            }
            (Some(secret), _) => pairs.push(("client_secret".to_string(), secret)),
            (None, _) => {}
        }
        if let Some(v) = &info.pkce_code_verifier {
            pairs.push(("code_verifier".to_string(), v.clone()));
        }
        apply_params(&mut pairs, &cfg.token_endpoint_body_params);
        let refused =
            |status: u16, error: String, description: String| AuthError::OAuthTokenRefused {
                status,
                error,
                error_description: description,
            };
        let response = self
            .http
            .send(HttpRequest {
                method: HttpMethod::Post,
                url: endpoint.to_string(),
                headers,
                body: Some(form(&pairs)),
            })
            .await
            .map_err(|e| refused(0, "http_error".into(), e.to_string()))?;
        let body = json_body(&response);
        if response.status >= 400 || body.is_none() {
            let field = |k: &str| {
                body.as_ref()
                    .and_then(|b| b.get(k))
                    .and_then(Value::as_str)
                    .map(|s| s.chars().take(200).collect::<String>())
                    .unwrap_or_default()
            };
            let error = match field("error") {
                e if e.is_empty() => "invalid_response".to_string(),
                e => e,
            };
            return Err(refused(response.status, error, field("error_description")));
        }
        let mut tokens = body.unwrap_or_default();
        if kind == Kind::Apple {
            // Apple sends the user's name (and email) once, at the first consent, as a `user` form field of
            // JSON text beside the code: kept with the tokens so `user_info` can hand it to the application.
            match q.get("user") {
                Some(Value::String(text)) => {
                    if let Ok(user @ Value::Object(_)) = serde_json::from_str::<Value>(text) {
                        tokens.insert("user".into(), user);
                    }
                }
                Some(user @ Value::Object(_)) => {
                    tokens.insert("user".into(), user.clone());
                }
                _ => {}
            }
        }
        if let Some(error) = tokens.get("error").and_then(Value::as_str) {
            // GitHub answers a refused code with 200 and an `error` field.
            return Err(refused(
                response.status,
                error.to_string(),
                tokens
                    .get("error_description")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            ));
        }
        Ok(tokens)
    }

    async fn fetch_jwks(&self, uri: &str) -> Result<Vec<Jwk>> {
        let failed = |m: String| AuthError::OAuthDiscoveryFailed { message: m };
        self.jwks_fetches.fetch_add(1, Ordering::Relaxed);
        let (status, body) = self
            .get_json(uri, Vec::new())
            .await
            .map_err(|e| failed(format!("JWKS: {e}")))?;
        match (status, body) {
            (200, Some(doc)) => jwt::parse_jwks(&Value::Object(doc))
                .ok_or_else(|| failed("JWKS: not a key set".into())),
            (status, _) => Err(failed(format!("JWKS answered {status}"))),
        }
    }

    /// The key set of `uri`; `refetch_unless` forces a refetch (rate-limited) unless someone else fetched
    /// since generation `refetch_unless` was seen.
    async fn jwks(&self, uri: &str, refetch_unless: Option<u64>) -> Result<(Arc<Vec<Jwk>>, u64)> {
        let slot = {
            let mut map = self.jwks.lock().unwrap_or_else(|p| p.into_inner());
            map.entry(uri.to_string()).or_default().clone()
        };
        let mut state = slot.lock().await;
        let now = self.now_ms();
        if let Some(s) = state.as_ref() {
            let fresh = now - s.fetched_at_ms < JWKS_TTL_MS;
            let wanted = match refetch_unless {
                None => !fresh,
                Some(seen) => {
                    seen == s.generation && now - s.last_refetch_ms >= JWKS_REFETCH_COOLDOWN_MS
                }
            };
            if !wanted {
                return Ok((s.keys.clone(), s.generation));
            }
        }
        match self.fetch_jwks(uri).await {
            Ok(keys) => {
                let generation = state.as_ref().map_or(1, |s| s.generation + 1);
                let last_refetch_ms = if refetch_unless.is_some() {
                    now
                } else {
                    state.as_ref().map_or(i64::MIN / 2, |s| s.last_refetch_ms)
                };
                let keys = Arc::new(keys);
                *state = Some(JwksState {
                    keys: keys.clone(),
                    fetched_at_ms: now,
                    last_refetch_ms,
                    generation,
                });
                Ok((keys, generation))
            }
            Err(e) => match state.as_mut() {
                // The last good set stays in use; a failed forced refetch still counts against the cooldown.
                Some(s) => {
                    tracing::warn!(error = %e, "JWKS refetch failed; keeping the last good set");
                    if refetch_unless.is_some() {
                        s.last_refetch_ms = now;
                    }
                    Ok((s.keys.clone(), s.generation))
                }
                None => Err(e),
            },
        }
    }

    /// Verifies an id_token for this provider and gives its claims.
    pub async fn verify_id_token(
        &self,
        cfg: &ProviderConfigForClientType,
        token: &str,
        nonce: Option<&str>,
    ) -> Result<Map<String, Value>> {
        let invalid = |f: Failure| AuthError::IdTokenInvalid {
            check: f.code().to_string(),
        };
        let uri = cfg.jwks_uri.as_deref().ok_or_else(|| {
            AuthError::invalid(
                "jwksURI",
                format!(
                    "provider '{}' sent an id_token but has no JWKS to verify it",
                    cfg.third_party_id
                ),
            )
        })?;
        let parsed = jwt::parse(token).map_err(invalid)?;
        let checks = &cfg.id_token_checks;
        let allowed: Vec<String> = checks.algorithms.clone().unwrap_or_else(|| {
            jwt::DEFAULT_ALGORITHMS
                .iter()
                .map(|s| s.to_string())
                .collect()
        });
        if !allowed.contains(&parsed.alg) {
            return Err(invalid(Failure::Alg));
        }
        let (keys, generation) = self.jwks(uri, None).await?;
        let key = match parsed.select(&keys) {
            Ok(k) => k.clone(),
            Err(Failure::Kid) => {
                let (keys, _) = self.jwks(uri, Some(generation)).await?;
                parsed.select(&keys).map_err(invalid)?.clone()
            }
            Err(f) => return Err(invalid(f)),
        };
        parsed.verify(&key, &allowed).map_err(invalid)?;
        let issuer = if checks.issuer {
            Some(cfg.issuer.as_deref().ok_or_else(|| {
                AuthError::invalid(
                    "issuer",
                    format!(
                        "provider '{}' has no issuer to check id_tokens against (set `issuer`, use discovery, \
                         or switch the check off in idTokenChecks)",
                        cfg.third_party_id
                    ),
                )
            })?)
        } else {
            None
        };
        let claim_checks = ClaimChecks {
            issuer,
            audiences: &cfg.all_client_ids,
            check_azp: checks.azp,
            check_times: checks.times,
            nonce: if checks.nonce { nonce } else { None },
            now_s: self.now_ms().div_euclid(1000),
            leeway_s: i64::from(checks.leeway_seconds),
        };
        jwt::check_claims(&parsed.claims, &claim_checks).map_err(invalid)?;
        if builtin::kind(&cfg.third_party_id) == Kind::GoogleWorkspaces {
            let hd = cfg
                .additional_config
                .get("hd")
                .and_then(Value::as_str)
                .unwrap_or("*");
            let got = parsed.claims.get("hd").and_then(Value::as_str);
            if hd != "*" && got != Some(hd) || hd == "*" && got.is_none() {
                return Err(AuthError::IdTokenInvalid { check: "hd".into() });
            }
        }
        Ok(parsed.claims)
    }

    /// A GET whose answer is any JSON (a list, for GitHub's addresses).
    async fn get_raw(
        &self,
        url: &str,
        headers: Vec<(String, String)>,
    ) -> std::result::Result<(u16, Option<Value>), HttpError> {
        let r = self
            .http
            .send(HttpRequest {
                method: HttpMethod::Get,
                url: url.to_string(),
                headers,
                body: None,
            })
            .await?;
        Ok((r.status, serde_json::from_slice(&r.body).ok()))
    }

    async fn user_info_api(
        &self,
        cfg: &ProviderConfigForClientType,
        access_token: &str,
    ) -> Result<Option<Map<String, Value>>> {
        let Some(endpoint) = cfg.user_info_endpoint.as_deref() else {
            return Ok(None);
        };
        let failed = |m: String| AuthError::OAuthUserInfoFailed { message: m };
        let mut query = Vec::new();
        apply_params(&mut query, &cfg.user_info_endpoint_query_params);
        let mut headers = vec![(
            "Authorization".to_string(),
            format!("Bearer {access_token}"),
        )];
        apply_params(&mut headers, &cfg.user_info_endpoint_headers);
        default_header(&mut headers, "Accept", "application/json");
        default_header(&mut headers, "User-Agent", USER_AGENT);
        let url = with_query(endpoint, &query)?;
        let (status, body) = self
            .get_json(&url, headers.clone())
            .await
            .map_err(|e| failed(e.to_string()))?;
        let mut info = match (status, body) {
            (200, Some(b)) => b,
            (status, _) => return Err(failed(format!("the endpoint answered {status}"))),
        };
        let kind = builtin::kind(&cfg.third_party_id);
        if matches!(kind, Kind::Github | Kind::Bitbucket) {
            // GitHub's `/user` shows the public email, if any, and Bitbucket's `/2.0/user` none: the account's
            // addresses and their verification are at `/emails` under it, and the primary one is the user's.
            let emails_url = format!("{}/emails", endpoint.trim_end_matches('/'));
            let (status, body) = self
                .get_raw(&emails_url, headers)
                .await
                .map_err(|e| failed(format!("emails: {e}")))?;
            if status != 200 {
                return Err(failed(format!("emails: the endpoint answered {status}")));
            }
            let (list, primary_key, verified_key) = match (kind, &body) {
                (Kind::Github, Some(Value::Array(a))) => (a.clone(), "primary", "verified"),
                (Kind::Bitbucket, Some(Value::Object(page))) => match page.get("values") {
                    Some(Value::Array(a)) => (a.clone(), "is_primary", "is_confirmed"),
                    _ => return Err(failed("emails: not a page of addresses".into())),
                },
                _ => return Err(failed("emails: not a list of addresses".into())),
            };
            info.remove("email");
            info.remove("email_verified");
            if let Some(primary) = list
                .iter()
                .find(|e| e.get(primary_key).and_then(Value::as_bool) == Some(true))
            {
                if let Some(email) = primary.get("email").filter(|e| e.is_string()) {
                    info.insert("email".into(), email.clone());
                    info.insert(
                        "email_verified".into(),
                        Value::Bool(as_verified(
                            primary.get(verified_key).unwrap_or(&Value::Null),
                        )),
                    );
                }
            }
            info.insert("emails".into(), body.unwrap_or(Value::Null));
        }
        Ok(Some(info))
    }

    /// `getUserInfo`: the user the tokens belong to. The id_token (verified) and the user info answer are both
    /// read; the id_token's value wins for each field, as in supertokens-node.
    pub async fn user_info(
        &self,
        cfg: &ProviderConfigForClientType,
        tokens: &OAuthTokens,
        nonce: Option<&str>,
    ) -> Result<UserInfo> {
        let mut raw = RawUserInfo::default();
        if let Some(id_token) = tokens.get("id_token").and_then(Value::as_str) {
            raw.from_id_token_payload = Some(self.verify_id_token(cfg, id_token, nonce).await?);
        } else if nonce.is_some() && cfg.jwks_uri.is_some() && cfg.id_token_checks.nonce {
            // A nonce was sent to an OpenID provider: its answer must carry an id_token with it.
            return Err(AuthError::IdTokenInvalid {
                check: "nonce".into(),
            });
        }
        if let Some(access) = tokens.get("access_token").and_then(Value::as_str) {
            raw.from_user_info_api = self.user_info_api(cfg, access).await?;
        }
        let kind = builtin::kind(&cfg.third_party_id);
        if kind == Kind::Apple {
            // The first consent's `user` (name, email) that `exchange_code` kept, where supertokens-node puts it.
            if let Some(user @ Value::Object(_)) = tokens.get("user") {
                raw.from_id_token_payload
                    .get_or_insert_with(Map::new)
                    .insert("user".into(), user.clone());
            }
        }
        let map = &cfg.user_info_map;
        let read = |pick: fn(&UserFields) -> Option<&String>| -> Option<&Value> {
            let from_token = raw
                .from_id_token_payload
                .as_ref()
                .zip(map.from_id_token_payload.as_ref().and_then(pick))
                .and_then(|(o, p)| access_field(o, p));
            from_token.or_else(|| {
                raw.from_user_info_api
                    .as_ref()
                    .zip(map.from_user_info_api.as_ref().and_then(pick))
                    .and_then(|(o, p)| access_field(o, p))
            })
        };
        let user_id = read(|f| f.user_id.as_ref())
            .and_then(as_id)
            .ok_or_else(|| AuthError::OAuthUserInfoFailed {
                message: "the provider's answer has no user id".into(),
            })?;
        let email = read(|f| f.email.as_ref())
            .and_then(Value::as_str)
            .filter(|e| !e.trim().is_empty())
            .map(|e| EmailInput {
                id: e.to_string(),
                is_verified: read(|f| f.email_verified.as_ref()).is_some_and(as_verified)
                    || confirmed_by_provider(kind, map),
            });
        Ok(UserInfo {
            third_party_user_id: user_id,
            email,
            raw_user_info_from_provider: raw,
        })
    }
}
