//! Runs one scenario file against the Rust API.

use std::path::Path;
use std::sync::Arc;

use authcore::json::{parse, to_value};
use authcore::oauth::{
    AuthorisationRedirect, ExchangeAuthCodeInput, GetAuthorisationRedirectUrlInput,
    GetConfigForClientTypeInput, GetUserInfoInput, OAuthTokens, ProviderConfigForClientType,
    UserInfo,
};
use authcore::redirect::RedirectContext;
use authcore::{
    ApiFunctions, AuthCore, AuthCoreConfig, AuthError, CreateNewSessionResult,
    CreatePrimaryUserResult, LinkAccountsResult, ManuallyCreateOrUpdateUserResult, NewAccountInfo,
    RecipeFunctions, Session, ShouldAutomaticallyLink, SignInUpInput, SignInUpPostInput,
    SignInUpPostResult, SignInUpResult, User, UserContext,
};
use serde_json::{json, Value};

use super::matcher::{matches, resolve, Captures};

/// A customisation of the engine a test adds on top of the scenario's config (overrides, handlers).
pub type Customise =
    Arc<dyn Fn(authcore::AuthCoreBuilder) -> authcore::AuthCoreBuilder + Send + Sync>;

fn s<'a>(args: &'a Value, key: &str) -> Result<&'a str, AuthError> {
    args.get(key)
        .and_then(|v| v.as_str())
        .ok_or_else(|| AuthError::InvalidInput {
            field: key.to_string(),
            message: "expected a string".into(),
        })
}

fn opt_s<'a>(args: &'a Value, key: &str) -> Option<&'a str> {
    args.get(key).and_then(|v| v.as_str())
}

fn b(args: &Value, key: &str, default: bool) -> bool {
    args.get(key).and_then(|v| v.as_bool()).unwrap_or(default)
}

fn ctx_of(args: &Value) -> UserContext {
    match args.get("userContext") {
        Some(Value::Object(m)) => UserContext::from_map(m.clone()),
        _ => UserContext::new(),
    }
}

/// Calls one op; returns the result as JSON, or the error.
pub async fn call(auth: &AuthCore, op: &str, args: &Value) -> Result<Value, AuthError> {
    call_with(auth, op, args, None).await
}

/// [`call`], plus `getRecorded` when the scenario has scripted overrides.
pub async fn call_with(
    auth: &AuthCore,
    op: &str,
    args: &Value,
    rec: Option<&Recordings>,
) -> Result<Value, AuthError> {
    if op == "getRecorded" {
        let name = s(args, "name")?;
        let calls = rec
            .and_then(|r| r.lock().ok().and_then(|m| m.get(name).cloned()))
            .unwrap_or_default();
        return Ok(json!({"status": "OK", "calls": calls}));
    }
    let ctx = ctx_of(args);
    let mut input = args.clone();
    if let Value::Object(m) = &mut input {
        m.remove("userContext");
    }
    Ok(match op {
        "drive" => {
            let op_base = peer_base("op").map_err(AuthError::internal)?;
            let r = super::oidc::http(
                "POST",
                &format!("{op_base}/__test/drive"),
                &[("content-type", "application/json")],
                Some(input.to_string().as_bytes()),
            );
            serde_json::from_str(&r.body).map_err(|e| AuthError::internal(e.to_string()))?
        }
        "sleep" => {
            let ms = args.get("ms").and_then(|v| v.as_u64()).unwrap_or(0);
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            json!({"status": "OK"})
        }
        other => return auth.call(other, input, &ctx).await,
    })
}

/// The test peers of this process (tests/oidc/), started on first use and shared by every scenario: a real
/// OpenID Provider (`op`) and the provider fakes (`fakes`).
fn peers() -> &'static std::sync::Mutex<std::collections::HashMap<String, super::oidc::Peer>> {
    static PEERS: std::sync::OnceLock<
        std::sync::Mutex<std::collections::HashMap<String, super::oidc::Peer>>,
    > = std::sync::OnceLock::new();
    PEERS.get_or_init(Default::default)
}

/// The base URL of the peer `name`, starting it if needed.
pub fn peer_base(name: &str) -> Result<String, String> {
    let mut map = peers().lock().map_err(|e| e.to_string())?;
    if let Some(p) = map.get(name) {
        return Ok(p.base.clone());
    }
    let peer = match name {
        "op" => super::oidc::Peer::start_op(),
        "fakes" => super::oidc::Peer::start_fakes(),
        other => return Err(format!("unknown peer {other}")),
    };
    let base = peer.base.clone();
    map.insert(name.to_string(), peer);
    Ok(base)
}

/// Replaces every `{"$peer": name}` in `v` by that peer's base URL (tests/scenarios/README.md "Peers").
pub fn with_peers(v: &Value) -> Result<Value, String> {
    Ok(match v {
        Value::Object(m) if m.len() == 1 && m.contains_key("$peer") => {
            let name = m["$peer"].as_str().ok_or("$peer needs a string")?;
            Value::String(peer_base(name)?)
        }
        Value::Object(m) => {
            let mut out = serde_json::Map::new();
            for (k, x) in m {
                out.insert(k.clone(), with_peers(x)?);
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(with_peers).collect::<Result<_, _>>()?),
        other => other.clone(),
    })
}

/// The engine config part of a scenario.
pub fn engine_config(scenario: &Value) -> Result<AuthCoreConfig, AuthError> {
    let cfg = scenario.get("config").cloned().unwrap_or(json!({}));
    let mut engine = serde_json::Map::new();
    if let Some(p) = cfg.get("providers") {
        engine.insert("providers".into(), p.clone());
    }
    for key in ["accountLinking", "redirect", "events", "providerSecretsKey"] {
        if let Some(a) = cfg.get(key) {
            engine.insert(key.into(), a.clone());
        }
    }
    parse("config", Value::Object(engine))
}

/// Results recorded by scripted overrides, by name.
pub type Recordings = Arc<std::sync::Mutex<std::collections::HashMap<String, Vec<Value>>>>;

enum Directive {
    Return(Value),
    Throw(String),
    CallOriginal(Option<String>),
}

/// Scripted overrides (tests/scenarios/README.md "Scripted overrides"): per function, return a fixed value,
/// throw, or call the original and record its result; optionally only when the userContext matches.
pub struct Script {
    pub functions: serde_json::Map<String, Value>,
    pub recordings: Recordings,
    /// The scripted layers let a request keep one transaction (they neither block nor call the engine with
    /// another context); `false` makes the engine run every step in its own transaction.
    pub batched: bool,
}

impl Script {
    fn directive(&self, name: &str, ctx: &UserContext) -> Option<Directive> {
        let d = self.functions.get(name)?;
        if let Some(Value::Object(cond)) = d.get("whenUserContext") {
            if cond.iter().any(|(k, v)| ctx.get(k).as_ref() != Some(v)) {
                return None;
            }
        }
        if let Some(t) = d.get("throw") {
            return Some(Directive::Throw(
                t.get("message")
                    .and_then(|m| m.as_str())
                    .unwrap_or("scripted")
                    .to_string(),
            ));
        }
        if let Some(r) = d.get("return") {
            return Some(Directive::Return(r.clone()));
        }
        Some(Directive::CallOriginal(
            d.get("record").and_then(|r| r.as_str()).map(str::to_string),
        ))
    }

    async fn run<T: serde::Serialize + serde::de::DeserializeOwned>(
        &self,
        name: &str,
        ctx: &UserContext,
        original: impl std::future::Future<Output = authcore::Result<T>>,
    ) -> authcore::Result<T> {
        match self.directive(name, ctx) {
            None => original.await,
            Some(Directive::Return(v)) => parse(name, v),
            Some(Directive::Throw(message)) => Err(AuthError::host(message)),
            Some(Directive::CallOriginal(record)) => {
                let r = original.await?;
                if let Some(key) = record {
                    if let Ok(mut m) = self.recordings.lock() {
                        m.entry(key).or_default().push(to_value(&r)?);
                    }
                }
                Ok(r)
            }
        }
    }
}

pub struct ScriptedFunctions {
    pub original: Arc<dyn RecipeFunctions>,
    pub script: Arc<Script>,
}

#[async_trait::async_trait]
impl RecipeFunctions for ScriptedFunctions {
    fn original(&self) -> &dyn RecipeFunctions {
        &*self.original
    }
    fn settles_before_host(&self) -> bool {
        self.script.batched && self.original.settles_before_host()
    }
    async fn sign_in_up(
        &self,
        input: &SignInUpInput,
        ctx: &UserContext,
    ) -> authcore::Result<SignInUpResult> {
        self.script
            .run("signInUp", ctx, self.original.sign_in_up(input, ctx))
            .await
    }
    async fn manually_create_or_update_user(
        &self,
        input: &SignInUpInput,
        ctx: &UserContext,
    ) -> authcore::Result<ManuallyCreateOrUpdateUserResult> {
        self.script
            .run(
                "manuallyCreateOrUpdateUser",
                ctx,
                self.original.manually_create_or_update_user(input, ctx),
            )
            .await
    }
    async fn should_do_automatic_account_linking(
        &self,
        info: &NewAccountInfo,
        user: Option<&User>,
        session: Option<&Session>,
        tenant_id: &str,
        ctx: &UserContext,
    ) -> authcore::Result<ShouldAutomaticallyLink> {
        let original = self
            .original
            .should_do_automatic_account_linking(info, user, session, tenant_id, ctx);
        self.script
            .run("shouldDoAutomaticAccountLinking", ctx, original)
            .await
    }
    async fn create_primary_user(
        &self,
        id: &str,
        ctx: &UserContext,
    ) -> authcore::Result<CreatePrimaryUserResult> {
        self.script
            .run(
                "createPrimaryUser",
                ctx,
                self.original.create_primary_user(id, ctx),
            )
            .await
    }
    async fn link_accounts(
        &self,
        r: &str,
        p: &str,
        ctx: &UserContext,
    ) -> authcore::Result<LinkAccountsResult> {
        self.script
            .run("linkAccounts", ctx, self.original.link_accounts(r, p, ctx))
            .await
    }
    async fn get_user(&self, id: &str, ctx: &UserContext) -> authcore::Result<Option<User>> {
        self.script
            .run("getUser", ctx, self.original.get_user(id, ctx))
            .await
    }
    async fn create_new_session(
        &self,
        tenant_id: &str,
        recipe_user_id: &str,
        payload: &Value,
        ctx: &UserContext,
    ) -> authcore::Result<CreateNewSessionResult> {
        let original = self
            .original
            .create_new_session(tenant_id, recipe_user_id, payload, ctx);
        self.script.run("createNewSession", ctx, original).await
    }
    async fn get_config_for_client_type(
        &self,
        input: &GetConfigForClientTypeInput,
        ctx: &UserContext,
    ) -> authcore::Result<ProviderConfigForClientType> {
        let original = self.original.get_config_for_client_type(input, ctx);
        self.script
            .run("getConfigForClientType", ctx, original)
            .await
    }
    async fn get_authorisation_redirect_url(
        &self,
        input: &GetAuthorisationRedirectUrlInput,
        ctx: &UserContext,
    ) -> authcore::Result<AuthorisationRedirect> {
        let original = self.original.get_authorisation_redirect_url(input, ctx);
        self.script
            .run("getAuthorisationRedirectURL", ctx, original)
            .await
    }
    async fn exchange_auth_code_for_oauth_tokens(
        &self,
        input: &ExchangeAuthCodeInput,
        ctx: &UserContext,
    ) -> authcore::Result<OAuthTokens> {
        let original = self
            .original
            .exchange_auth_code_for_oauth_tokens(input, ctx);
        self.script
            .run("exchangeAuthCodeForOAuthTokens", ctx, original)
            .await
    }
    async fn get_user_info(
        &self,
        input: &GetUserInfoInput,
        ctx: &UserContext,
    ) -> authcore::Result<UserInfo> {
        let original = self.original.get_user_info(input, ctx);
        self.script.run("getUserInfo", ctx, original).await
    }
}

pub struct ScriptedApis {
    pub original: Arc<dyn ApiFunctions>,
    pub script: Arc<Script>,
}

#[async_trait::async_trait]
impl ApiFunctions for ScriptedApis {
    fn original(&self) -> &dyn ApiFunctions {
        &*self.original
    }
    fn settles_before_host(&self) -> bool {
        self.script.batched && self.original.settles_before_host()
    }
    async fn sign_in_up_post(
        &self,
        input: &SignInUpPostInput,
        ctx: &UserContext,
    ) -> authcore::Result<SignInUpPostResult> {
        self.script
            .run(
                "signInUpPOST",
                ctx,
                self.original.sign_in_up_post(input, ctx),
            )
            .await
    }
    async fn get_redirection_url(
        &self,
        c: &RedirectContext,
        ctx: &UserContext,
    ) -> authcore::Result<Option<String>> {
        self.script
            .run(
                "getRedirectionURL",
                ctx,
                self.original.get_redirection_url(c, ctx),
            )
            .await
    }
}

/// Records every delivered event, in delivery order.
#[derive(Default)]
pub struct Recorder(std::sync::Mutex<Vec<authcore::events::Event>>);

impl Recorder {
    pub fn take(&self) -> Vec<authcore::events::Event> {
        self.0
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
    }
}

#[async_trait::async_trait]
impl authcore::events::EventHandler for Recorder {
    async fn handle(&self, event: &authcore::events::Event) -> authcore::Result<()> {
        if let Ok(mut v) = self.0.lock() {
            v.push(event.clone());
        }
        Ok(())
    }
}

/// Runs a scenario; `Err` describes the first failing step. Every step's delivered events must equal its
/// `events` list (names, or matchers against the event JSON), in order; a step without `events` expects none.
/// Returns the observed event names per step (used to draft `events` lists).
/// How the engine groups a request's steps into transactions while a scenario runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transactions {
    /// One transaction per request wherever no host code runs (the engine's default).
    PerRequest,
    /// One transaction per step, as when every step is overridden by host code.
    PerStep,
}

/// The database a scenario runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// A new SQLite file in a temporary directory.
    Sqlite,
    /// A new schema on the PostgreSQL server at this URL (feature `postgres`).
    Postgres(String),
}

pub async fn run_scenario(
    path: &Path,
    customise: Option<Customise>,
    transactions: Transactions,
) -> Result<Vec<Vec<String>>, String> {
    run_scenario_mode(path, customise, false, transactions, &Backend::Sqlite).await
}

/// [`run_scenario`] on the given database.
pub async fn run_scenario_on(
    path: &Path,
    transactions: Transactions,
    backend: &Backend,
) -> Result<Vec<Vec<String>>, String> {
    run_scenario_mode(path, None, false, transactions, backend).await
}

fn builder_on(backend: &Backend, dir: &Path) -> Result<authcore::AuthCoreBuilder, String> {
    match backend {
        Backend::Sqlite => AuthCore::builder()
            .sqlite(dir.join("auth.db"))
            .map_err(|e| e.to_string()),
        #[cfg(feature = "postgres")]
        Backend::Postgres(url) => AuthCore::builder()
            .postgres(url, Some(&super::pg::fresh_schema()))
            .map_err(|e| e.to_string()),
        #[cfg(not(feature = "postgres"))]
        Backend::Postgres(_) => Err("built without the postgres feature".into()),
    }
}

/// Overrides nothing, and makes no promise about host code: above it, each step has its own transaction.
struct PerStep<T: ?Sized> {
    original: Arc<T>,
}

impl RecipeFunctions for PerStep<dyn RecipeFunctions> {
    fn original(&self) -> &dyn RecipeFunctions {
        &*self.original
    }
}

impl ApiFunctions for PerStep<dyn ApiFunctions> {
    fn original(&self) -> &dyn ApiFunctions {
        &*self.original
    }
}

pub async fn run_scenario_mode(
    path: &Path,
    customise: Option<Customise>,
    record: bool,
    transactions: Transactions,
    backend: &Backend,
) -> Result<Vec<Vec<String>>, String> {
    let batched = transactions == Transactions::PerRequest;
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let scenario: Value = serde_json::from_str(&text).map_err(|e| format!("bad JSON: {e}"))?;
    let scenario = with_peers(&scenario)?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let config = engine_config(&scenario).map_err(|e| format!("config: {e}"))?;
    let recorder = Arc::new(Recorder::default());
    let mut builder = builder_on(backend, dir.path())?
        .config(config)
        .on_any_event(recorder.clone());
    let recordings = Recordings::default();
    if let Some(Value::Object(o)) = scenario.pointer("/config/overrides") {
        let known = ["functions", "apis"];
        if let Some(k) = o.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(format!("config.overrides: unknown key {k}"));
        }
        if let Some(Value::Object(f)) = o.get("functions") {
            let script = Arc::new(Script {
                functions: f.clone(),
                recordings: recordings.clone(),
                batched,
            });
            builder = builder.override_functions(move |original| {
                Arc::new(ScriptedFunctions { original, script })
            });
        }
        if let Some(Value::Object(f)) = o.get("apis") {
            let script = Arc::new(Script {
                functions: f.clone(),
                recordings: recordings.clone(),
                batched,
            });
            builder =
                builder.override_apis(move |original| Arc::new(ScriptedApis { original, script }));
        }
    }
    if !batched {
        builder = builder
            .override_functions(|original| Arc::new(PerStep { original }))
            .override_apis(|original| Arc::new(PerStep { original }));
    }
    if let Some(c) = customise {
        builder = c(builder);
    }
    let auth = builder.build().map_err(|e| e.to_string())?;
    if let Some(tenants) = scenario
        .pointer("/config/tenants")
        .and_then(|t| t.as_array())
    {
        for t in tenants {
            let args = json!({"tenantId": t["tenantId"], "config": t.get("config").cloned().unwrap_or(json!({}))});
            call(&auth, "createOrUpdateTenant", &args)
                .await
                .map_err(|e| format!("tenant setup: {e}"))?;
        }
    }
    recorder.take();
    let mut caps = Captures::new();
    let mut observed = Vec::new();
    let steps = scenario
        .get("steps")
        .and_then(|s| s.as_array())
        .ok_or("no steps")?;
    for (i, step) in steps.iter().enumerate() {
        let op = step
            .get("op")
            .and_then(|o| o.as_str())
            .ok_or(format!("step {i}: no op"))?;
        let args = resolve(step.get("args").unwrap_or(&json!({})), &caps)
            .map_err(|e| format!("step {i} ({op}): {e}"))?;
        let result = call_with(&auth, op, &args, Some(&recordings)).await;
        let at = format!("step {i} ({op})");
        match (result, step.get("expectError")) {
            (Err(e), Some(code)) => {
                if Some(e.code()) != code.as_str() {
                    return Err(format!(
                        "{at}: expected error {code}, got {} ({e})",
                        e.code()
                    ));
                }
            }
            (Err(e), None) => return Err(format!("{at}: unexpected error {} ({e})", e.code())),
            (Ok(v), Some(code)) => return Err(format!("{at}: expected error {code}, got {v}")),
            (Ok(v), None) => {
                if let Some(name) = step.get("capture").and_then(|c| c.as_str()) {
                    caps.insert(name.to_string(), v.clone());
                }
                if let Some(expect) = step.get("expect") {
                    matches(expect, Some(&v), &mut caps, "result")
                        .map_err(|e| format!("{at}: {e}\n    actual: {v}"))?;
                }
            }
        }
        let events = recorder.take();
        let names: Vec<String> = events.iter().map(|e| e.name.as_str().to_string()).collect();
        if !record {
            let actual: Vec<Value> = events
                .iter()
                .map(|e| serde_json::to_value(e).unwrap_or(Value::Null))
                .collect();
            let expected: Vec<Value> = match step.get("events") {
                Some(Value::Array(list)) => list
                    .iter()
                    .map(|x| match x {
                        Value::String(name) => json!({ "name": name }),
                        other => other.clone(),
                    })
                    .collect(),
                Some(_) => return Err(format!("{at}: events must be an array")),
                None => Vec::new(),
            };
            matches(
                &Value::Array(expected),
                Some(&Value::Array(actual)),
                &mut caps,
                "events",
            )
            .map_err(|e| format!("{at}: {e}\n    delivered: {names:?}"))?;
        }
        observed.push(names);
    }
    Ok(observed)
}
