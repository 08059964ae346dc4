//! The `AuthCore` handle, its builder and configuration, and the built-in implementation of the functions.

use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock, Weak};
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::{ApiFunctions, CoreApis};
use crate::error::{AuthError, Result};
use crate::events::{
    DeliveryReport, EventHandler, EventName, EventsConfig, Handlers, ListEventsInput,
    ListEventsResult,
};
use crate::functions::*;
use crate::layers::{FlowApis, FlowFunctions};
use crate::model::{email, ids, AccountInfo, SignInUpInput, User};
use crate::oauth::secrets::SecretsKey;
use crate::oauth::{
    AuthorisationRedirect, DefaultHttpClient, ExchangeAuthCodeInput,
    GetAuthorisationRedirectUrlInput, GetConfigForClientTypeInput, GetUserInfoInput, HttpClient,
    HttpPolicy, OAuthClient, OAuthTokens, ProviderConfigForClientType, UserInfo,
};
use crate::outbox::Outbox;
use crate::policy::{
    self, AccountLinkingConfig, EmailChangeDecision, NewAccountInfo, ShouldAutomaticallyLink,
};
use crate::recipes::linking::{
    self, CreatePrimaryUserResult, LinkAccountsResult, UnlinkAccountResult,
};
use crate::recipes::sessions::{
    self, CreateNewSessionResult, GetSessionInput, GetSessionResult, RevokeReason, Session,
};
use crate::recipes::tenants::{
    self, AssociateUserToTenantResult, CreateOrUpdateTenantResult,
    CreateOrUpdateThirdPartyConfigResult, DeleteTenantResult, DeleteThirdPartyConfigResult,
    DisassociateUserFromTenantResult, ProviderConfig, Tenant, TenantConfigInput,
};
use crate::recipes::thirdparty::{self, IdGenerator, SignInUpResult, UuidGenerator, ValidSignInUp};
use crate::recipes::{emailverification, RequestTx, Step, Tx, TxError, TxResult};
use crate::redirect::RedirectConfig;
use crate::store::sqlite::{SqliteOptions, SqliteStore};
use crate::store::{Constraint, Store, StoreError};

/// Engine configuration; JSON-shaped so every binding can pass it through unchanged. Its `Debug` form leaves
/// `providerSecretsKey` out.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthCoreConfig {
    /// Static providers (spec §5.4). `None`: any provider id is accepted on any tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub providers: Option<Vec<ProviderConfig>>,
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub account_linking: AccountLinkingConfig,
    #[serde(default = "default_session_lifetime")]
    #[cfg_attr(feature = "uniffi", uniffi(default = 2592000000))]
    pub session_lifetime_ms: i64,
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub events: EventsConfig,
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub redirect: RedirectConfig,
    /// The longest one crossing into host code (an override, a policy callback, an event handler) may take
    /// before the call fails with `HOST_TIMEOUT`; `0` means no limit.
    #[serde(default = "default_host_timeout")]
    #[cfg_attr(feature = "uniffi", uniffi(default = 30000))]
    pub host_timeout_ms: u64,
    /// 32 random bytes in base64 (`openssl rand -base64 32`): the AES-256-GCM key that encrypts the client
    /// secrets and private keys of providers stored per tenant (`createOrUpdateThirdPartyConfig`). Without it,
    /// storing a secret is refused (`SECRETS_KEY_REQUIRED`). Keep it out of the database it protects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub provider_secrets_key: Option<String>,
}

impl std::fmt::Debug for AuthCoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthCoreConfig")
            .field("providers", &self.providers)
            .field("account_linking", &self.account_linking)
            .field("session_lifetime_ms", &self.session_lifetime_ms)
            .field("events", &self.events)
            .field("redirect", &self.redirect)
            .field("host_timeout_ms", &self.host_timeout_ms)
            .field(
                "has_provider_secrets_key",
                &self.provider_secrets_key.is_some(),
            )
            .finish()
    }
}

fn default_host_timeout() -> u64 {
    crate::host::DEFAULT_HOST_TIMEOUT_MS
}

fn default_session_lifetime() -> i64 {
    30 * 24 * 3600 * 1000
}

impl Default for AuthCoreConfig {
    fn default() -> Self {
        AuthCoreConfig {
            providers: None,
            account_linking: AccountLinkingConfig::default(),
            session_lifetime_ms: default_session_lifetime(),
            events: EventsConfig::default(),
            redirect: RedirectConfig::default(),
            host_timeout_ms: default_host_timeout(),
            provider_secrets_key: None,
        }
    }
}

type FunctionsOverride =
    Box<dyn FnOnce(Arc<dyn RecipeFunctions>) -> Arc<dyn RecipeFunctions> + Send>;
type ApisOverride = Box<dyn FnOnce(Arc<dyn ApiFunctions>) -> Arc<dyn ApiFunctions> + Send>;

/// Builds an [`AuthCore`].
pub struct AuthCoreBuilder {
    store: Option<Arc<dyn Store>>,
    /// A store that has to connect over the network first: `open` connects off the calling thread.
    connect: Option<Connect>,
    config: AuthCoreConfig,
    id_generator: Arc<dyn IdGenerator>,
    function_overrides: Vec<FunctionsOverride>,
    api_overrides: Vec<ApisOverride>,
    handlers: Handlers,
    http_client: Option<Arc<dyn HttpClient>>,
    oauth_clock: Option<OAuthClock>,
}

/// Connects to a remote store (see [`AuthCoreBuilder::postgres`]).
type Connect = Box<dyn FnOnce() -> Result<Arc<dyn Store>> + Send>;

/// The clock id_token times are checked against, in milliseconds since the epoch (tests move it).
pub type OAuthClock = Arc<dyn Fn() -> i64 + Send + Sync>;

impl AuthCoreBuilder {
    /// Handle one event kind. Handlers run after commit, awaited by the operation, in registration order.
    pub fn on_event(mut self, name: EventName, handler: Arc<dyn EventHandler>) -> Self {
        self.handlers.list.push((Some(name), handler));
        self
    }
    /// Handle every event.
    pub fn on_any_event(mut self, handler: Arc<dyn EventHandler>) -> Self {
        self.handlers.list.push((None, handler));
        self
    }
    /// Builds the engine, applies event retention, deletes expired sessions and redelivers what a previous run
    /// left pending.
    pub async fn open(mut self) -> Result<AuthCore> {
        if let Some(connect) = self.connect.take() {
            self.store = Some(crate::io::off_thread(connect).await?);
        }
        let auth = self.build()?;
        let inner = &auth.inner;
        let purged = inner
            .off_store(|| {
                inner.outbox.apply_retention(&*inner.store)?;
                sessions::purge_expired(&*inner.store, now_ms())
            })
            .await?;
        if purged > 0 {
            tracing::info!(purged, "deleted expired sessions at open");
        }
        let report = auth
            .inner
            .outbox
            .deliver_pending(&*auth.inner.store, true)
            .await?;
        if report.delivered + report.failed > 0 {
            tracing::info!(
                delivered = report.delivered,
                failed = report.failed,
                "redelivered pending events at open"
            );
        }
        // The periodic delivery sweep (issue #15, `outbox.rs`): holds the engine weakly, stops at shutdown.
        let weak = Arc::downgrade(&auth.inner);
        auth.inner.outbox.start_sweeper(Box::new(move || {
            let inner = weak.upgrade().filter(|i| i.ensure_open().is_ok())?;
            Some(Box::pin(
                async move { inner.outbox.sweep(&*inner.store).await },
            ))
        }));
        Ok(auth)
    }

    pub fn store(mut self, store: Arc<dyn Store>) -> Self {
        self.store = Some(store);
        self.connect = None;
        self
    }
    /// Opens (or creates) a SQLite database file.
    pub fn sqlite(self, path: impl AsRef<std::path::Path>) -> Result<Self> {
        let store = SqliteStore::open(SqliteOptions::new(path))?;
        Ok(self.store(Arc::new(store)))
    }
    /// Uses a PostgreSQL database (feature `postgres`): `url` as libpq takes it (`postgres://user:pass@host/db`),
    /// the tables in `schema` (default `authcore`), created and migrated if needed. [`AuthCoreBuilder::open`]
    /// connects on the I/O runtime's blocking pool, so the calling thread does not wait for the server
    /// ([`AuthCoreBuilder::build`] connects on the calling thread). Every later transaction runs there too.
    #[cfg(feature = "postgres")]
    pub fn postgres(mut self, url: &str, schema: Option<&str>) -> Result<Self> {
        use crate::store::postgres::{PostgresOptions, PostgresStore};
        let mut options = PostgresOptions::new(url);
        if let Some(schema) = schema {
            options.schema = schema.to_string();
        }
        // A bad schema name is the caller's mistake: refused here, before any connection.
        crate::store::postgres::validate_schema(&options.schema)?;
        self.store = None;
        self.connect = Some(Box::new(move || {
            let store: Arc<dyn Store> = Arc::new(PostgresStore::open(options)?);
            Ok(store)
        }));
        Ok(self)
    }
    /// Opens the store a binding's `database` option names ([`DatabaseConfig`], parsed once in the core):
    /// SQLite, or PostgreSQL in a build with the `postgres` feature (without it: `INVALID_INPUT`).
    pub fn database(self, database: crate::store::database::DatabaseConfig) -> Result<Self> {
        use crate::store::database::DatabaseConfig;
        match database {
            DatabaseConfig::Sqlite { path } => self.sqlite(path),
            #[cfg(feature = "postgres")]
            DatabaseConfig::Postgres { url, schema } => self.postgres(&url, schema.as_deref()),
            #[cfg(not(feature = "postgres"))]
            DatabaseConfig::Postgres { .. } => Err(crate::store::database::no_postgres()),
        }
    }
    pub fn config(mut self, config: AuthCoreConfig) -> Self {
        self.config = config;
        self
    }
    /// Replace the user id generator (tests: forced collisions).
    pub fn id_generator(mut self, generator: Arc<dyn IdGenerator>) -> Self {
        self.id_generator = generator;
        self
    }
    /// The HTTP client the OAuth flow uses instead of the built-in one (a proxy, a test transport). It must
    /// not block: the engine awaits it from the host's own threads.
    pub fn http_client(mut self, client: Arc<dyn HttpClient>) -> Self {
        self.http_client = Some(client);
        self
    }
    /// The clock id_token times (`exp`, `nbf`, `iat`) and the provider caches use.
    pub fn oauth_clock(mut self, clock: OAuthClock) -> Self {
        self.oauth_clock = Some(clock);
        self
    }
    /// Add an override layer over the recipe functions; later layers wrap earlier ones.
    pub fn override_functions(
        mut self,
        f: impl FnOnce(Arc<dyn RecipeFunctions>) -> Arc<dyn RecipeFunctions> + Send + 'static,
    ) -> Self {
        self.function_overrides.push(Box::new(f));
        self
    }
    /// Add an override layer over the API functions.
    pub fn override_apis(
        mut self,
        f: impl FnOnce(Arc<dyn ApiFunctions>) -> Arc<dyn ApiFunctions> + Send + 'static,
    ) -> Self {
        self.api_overrides.push(Box::new(f));
        self
    }

    pub fn build(mut self) -> Result<AuthCore> {
        if let Some(connect) = self.connect.take() {
            self.store = Some(connect()?);
        }
        let store = self
            .store
            .ok_or_else(|| AuthError::invalid("store", "no store configured"))?;
        if let Some(p) = &self.config.providers {
            let mut seen = std::collections::BTreeSet::new();
            for provider in p {
                ids::validate_third_party_id(&provider.third_party_id)?;
                if !seen.insert(provider.third_party_id.clone()) {
                    return Err(AuthError::DuplicateProvider {
                        third_party_id: provider.third_party_id.clone(),
                    });
                }
            }
        }
        let secrets_key = self
            .config
            .provider_secrets_key
            .as_deref()
            .map(SecretsKey::parse)
            .transpose()?;
        let function_overrides = self.function_overrides;
        let functions_overridden = !function_overrides.is_empty();
        let api_overrides = self.api_overrides;
        let handlers = self.handlers;
        let http_client = self.http_client;
        let oauth_clock = self.oauth_clock.unwrap_or_else(|| Arc::new(now_ms));
        let inner = Arc::new_cyclic(|weak: &Weak<Inner>| {
            let mut fns: Arc<dyn RecipeFunctions> = Arc::new(CoreFunctions {
                inner: weak.clone(),
            });
            for o in function_overrides {
                fns = o(fns);
            }
            // Outermost: the flow layer that delivers a request's events when its outermost call returns.
            let fns: Arc<dyn RecipeFunctions> = Arc::new(FlowFunctions {
                next: fns,
                inner: weak.clone(),
            });
            let mut apis: Arc<dyn ApiFunctions> = Arc::new(CoreApis {
                inner: weak.clone(),
            });
            for o in api_overrides {
                apis = o(apis);
            }
            let apis: Arc<dyn ApiFunctions> = Arc::new(FlowApis {
                next: apis,
                inner: weak.clone(),
            });
            let batch_requests = fns.settles_before_host() && apis.settles_before_host();
            let cell = OnceLock::new();
            let _ = cell.set((fns, apis));
            Inner {
                store,
                outbox: Outbox::new(
                    self.config.events.clone(),
                    handlers,
                    self.config.host_timeout_ms,
                ),
                functions_overridden,
                batch_requests,
                config: self.config,
                id_generator: self.id_generator,
                layers: cell,
                lifecycle: Lifecycle::default(),
                http_client,
                oauth_clock,
                oauth: OnceLock::new(),
                secrets_key,
            }
        });
        Ok(AuthCore { inner })
    }
}

pub(crate) struct Inner {
    pub store: Arc<dyn Store>,
    pub config: AuthCoreConfig,
    pub outbox: Outbox,
    /// No function override is registered: the built-in implementation may fuse steps whose intermediate
    /// calls nobody can observe (see `fused_sign_up_and_link`).
    functions_overridden: bool,
    /// Every layer reaches host code only through a crossing that commits first: a writing request may run its
    /// steps in one transaction ([`RequestTx`]).
    pub batch_requests: bool,
    id_generator: Arc<dyn IdGenerator>,
    layers: OnceLock<(Arc<dyn RecipeFunctions>, Arc<dyn ApiFunctions>)>,
    lifecycle: Lifecycle,
    http_client: Option<Arc<dyn HttpClient>>,
    oauth_clock: OAuthClock,
    /// Made on the first OAuth call, so an engine that never talks to a provider builds no HTTP client.
    oauth: OnceLock<OAuthClient>,
    /// Seals and opens the secrets of providers stored per tenant.
    pub secrets_key: Option<SecretsKey>,
}

/// Whether the engine still takes calls, and how many requests are inside it: `shutdown` refuses new requests,
/// waits for those inside, then delivers what is pending.
#[derive(Default)]
struct Lifecycle {
    shut: std::sync::atomic::AtomicBool,
    active: std::sync::atomic::AtomicUsize,
}

impl Inner {
    /// The OAuth clock's now (the real clock unless a test set another).
    pub(crate) fn oauth_now_ms(&self) -> i64 {
        (self.oauth_clock)()
    }

    /// The provider client, made on first use.
    pub(crate) fn oauth(&self) -> Result<&OAuthClient> {
        if let Some(c) = self.oauth.get() {
            return Ok(c);
        }
        let http: Arc<dyn HttpClient> = match &self.http_client {
            Some(c) => c.clone(),
            None => Arc::new(
                DefaultHttpClient::new(HttpPolicy::default())
                    .map_err(|e| AuthError::internal(e.to_string()))?,
            ),
        };
        let _ = self
            .oauth
            .set(OAuthClient::new(http, self.oauth_clock.clone()));
        self.oauth
            .get()
            .ok_or_else(|| AuthError::internal("the provider client could not be made"))
    }
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

const MAX_TX_ATTEMPTS: usize = 20;

fn retryable(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::Busy(_)
            | StoreError::UniqueViolation(
                Constraint::ThirdPartyInTenant
                    | Constraint::UserId
                    | Constraint::Reservation
                    | Constraint::SessionHandle
            )
    )
}

impl Inner {
    pub fn fns(&self) -> &(dyn RecipeFunctions + 'static) {
        // Set in `build` before the handle exists.
        self.layers
            .get()
            .map(|l| &*l.0)
            .expect("functions are built with the engine")
    }

    pub fn apis(&self) -> &(dyn ApiFunctions + 'static) {
        self.layers
            .get()
            .map(|l| &*l.1)
            .expect("apis are built with the engine")
    }

    /// Runs `f` in a write transaction, retrying store-level races (unique violations, busy). The events
    /// `f` emits (and those staged on the flow) are written to the outbox in the same transaction; after the
    /// commit they join the flow's pending list, delivered when the outermost operation returns. In a batched
    /// request the step runs in the request's transaction instead (see [`RequestTx`]).
    ///
    /// On an embedded store this runs in the caller's poll, with no thread hop; on a remote one the whole
    /// transaction (retries included) is one section on the I/O runtime's blocking pool ([`Inner::section`]).
    pub async fn write<T: Send>(
        &self,
        ctx: &UserContext,
        f: impl FnMut(&mut Tx<'_>) -> TxResult<Step<T>> + Send,
    ) -> Result<T> {
        if !self.store.remote() {
            return self.write_now(ctx, f);
        }
        self.section(ctx, || self.write_now(ctx, f)).await
    }

    /// Runs `f` in a read transaction, or in the request's transaction when batched (it reads what the
    /// request's own steps wrote, and opens no second transaction). Where it runs: as [`Inner::write`].
    pub async fn read<T: Send>(
        &self,
        ctx: &UserContext,
        f: impl FnOnce(&mut Tx<'_>) -> TxResult<T> + Send,
    ) -> Result<T> {
        if !self.store.remote() {
            return self.read_now(ctx, f);
        }
        self.section(ctx, || self.read_now(ctx, f)).await
    }

    /// Runs the synchronous store work `f` of `ctx`'s request where it may wait for the network: on the I/O
    /// runtime's blocking pool, after the request's transaction committed in the background (if it did) has
    /// finished. While it runs the request is still running, so it does not settle its transaction.
    pub(crate) async fn section<T: Send>(
        &self,
        ctx: &UserContext,
        f: impl FnOnce() -> T + Send,
    ) -> T {
        ctx.settled().await;
        let _in_store = ctx.enter_store();
        crate::io::off_thread(f).await
    }

    /// Runs store work that belongs to no request where [`Inner::write`] would: in place on an embedded store,
    /// off the calling thread on a remote one.
    pub(crate) async fn off_store<T: Send>(&self, f: impl FnOnce() -> T + Send) -> T {
        crate::io::store_work(&*self.store, f).await
    }

    fn write_now<T>(
        &self,
        ctx: &UserContext,
        mut f: impl FnMut(&mut Tx<'_>) -> TxResult<Step<T>>,
    ) -> Result<T> {
        if ctx.batched() {
            return self.write_in_request(ctx, f);
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut s = self.store.write()?;
            let mut tx = Tx::new(&mut *s, now_ms());
            tx.pending_created = ctx.pending_created_users();
            let outcome = match f(&mut tx) {
                Ok(Step::Commit(v)) => {
                    let staged = ctx.take_staged();
                    tx.events.extend(staged.iter().cloned());
                    let written = self.outbox.write_events(&mut tx);
                    let cancelled = std::mem::take(&mut tx.cancelled);
                    let committed = written.and_then(|events| {
                        s.commit().map_err(TxError::Store)?;
                        Ok(events)
                    });
                    match committed {
                        Ok(events) => {
                            for (name, user) in cancelled {
                                ctx.cancel(name, &user);
                            }
                            ctx.push_pending(events);
                            Ok(v)
                        }
                        Err(e) => {
                            ctx.restage(staged);
                            Err(e)
                        }
                    }
                }
                Ok(Step::Rollback(v)) => return Ok(v),
                Err(e) => Err(e),
            };
            match outcome {
                Ok(v) => return Ok(v),
                Err(TxError::Store(e)) if retryable(&e) && attempt < MAX_TX_ATTEMPTS => continue,
                Err(TxError::Store(e)) => return Err(e.into()),
                Err(TxError::Auth(e)) => return Err(e),
            }
        }
    }

    /// [`Inner::write`] as one step of the request's transaction, opened by its first step: the step runs in a
    /// savepoint, so a failure or a `Rollback` undoes only this step, and a race is retried as the step alone.
    /// Until a step has been kept the transaction holds only reads, so the step runs without a savepoint (whose
    /// undo records cost a copy of every page it touches) and is undone by rolling back the whole transaction.
    fn write_in_request<T>(
        &self,
        ctx: &UserContext,
        mut f: impl FnMut(&mut Tx<'_>) -> TxResult<Step<T>>,
    ) -> Result<T> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut slot = ctx.request_tx()?;
            let rt = match &mut *slot {
                Some(rt) => rt,
                open => match self.store.write() {
                    Ok(s) => open.insert(RequestTx::new(s)),
                    Err(e) if retryable(&e) && attempt < MAX_TX_ATTEMPTS => continue,
                    Err(e) => return Err(e.into()),
                },
            };
            let mut pending_created = ctx.pending_created_users();
            pending_created.extend(rt.created_users());
            let in_savepoint = rt.holds_writes;
            if in_savepoint {
                rt.s.savepoint()?;
            }
            let mut tx = Tx::new(&mut *rt.s, now_ms());
            tx.pending_created = pending_created;
            let outcome = match f(&mut tx) {
                Ok(Step::Commit(v)) => {
                    let staged = ctx.take_staged();
                    tx.events.extend(staged.iter().cloned());
                    match self.outbox.write_events(&mut tx) {
                        Ok(events) => {
                            let cancelled = std::mem::take(&mut tx.cancelled);
                            if in_savepoint {
                                rt.s.release_savepoint()?;
                            }
                            rt.holds_writes = true;
                            rt.record(events, cancelled);
                            return Ok(v);
                        }
                        Err(e) => {
                            ctx.restage(staged);
                            Err(e)
                        }
                    }
                }
                Ok(Step::Rollback(v)) => Ok(v),
                Err(e) => Err(e),
            };
            if !in_savepoint {
                // Nothing of the request's is kept yet: undo the step with the whole transaction.
                *slot = None;
            } else if let Err(e) = rt.s.rollback_to_savepoint() {
                // The transaction is unusable: drop it (a rollback of the request's earlier steps too).
                *slot = None;
                return Err(e.into());
            }
            match outcome {
                Ok(v) => return Ok(v),
                Err(TxError::Store(e)) if retryable(&e) && attempt < MAX_TX_ATTEMPTS => continue,
                Err(TxError::Store(e)) => return Err(e.into()),
                Err(TxError::Auth(e)) => return Err(e),
            }
        }
    }

    fn read_now<T>(
        &self,
        ctx: &UserContext,
        f: impl FnOnce(&mut Tx<'_>) -> TxResult<T>,
    ) -> Result<T> {
        let result = if ctx.batched() {
            let mut slot = ctx.request_tx()?;
            let rt = match &mut *slot {
                Some(rt) => rt,
                open => open.insert(RequestTx::new(self.store.write()?)),
            };
            f(&mut Tx::new(&mut *rt.s, now_ms()))
        } else {
            let mut s = self.store.read()?;
            f(&mut Tx::new(&mut *s, now_ms()))
        };
        match result {
            Ok(v) => Ok(v),
            Err(TxError::Store(e)) => Err(e.into()),
            Err(TxError::Auth(e)) => Err(e),
        }
    }

    /// The store's answer to whether a verification is current, read in `ctx`'s request.
    pub(crate) fn currency<'a>(&'a self, ctx: &'a UserContext) -> StoreCurrency<'a> {
        StoreCurrency { inner: self, ctx }
    }

    /// Runs one built-in operation as part of the request's flow; the outermost one delivers the flow's
    /// events after its own work, whatever its result.
    pub async fn scoped<T>(
        self: &Arc<Self>,
        ctx: &UserContext,
        op: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        if ctx.enter() {
            // A new request: refused once the engine is shut down. Calls an override makes from inside a
            // request that was already running still go through, so that request can finish.
            if self.lifecycle.shut.load(Ordering::SeqCst) {
                ctx.leave();
                return Err(AuthError::ShutDown);
            }
            self.lifecycle.active.fetch_add(1, Ordering::SeqCst);
            ctx.set_remote(self.store.remote());
        }
        let mut guard = FlowGuard {
            inner: self.clone(),
            ctx: ctx.clone(),
            armed: true,
        };
        // Whenever the operation suspends (host code, I/O), the request's transaction is committed first: a
        // request that is not running never holds the writer.
        let mut op = std::pin::pin!(op);
        let mut result = std::future::poll_fn(|cx| {
            let poll = op.as_mut().poll(cx);
            if poll.is_pending() {
                ctx.settle_or_defer();
            }
            poll
        })
        .await;
        guard.armed = false;
        if ctx.leave() {
            ctx.end_batch();
            ctx.settle_or_defer();
            ctx.settled().await;
            if let Some(e) = ctx.take_deferred() {
                result = Err(e);
            }
            self.finish_flow(ctx).await;
            self.lifecycle.active.fetch_sub(1, Ordering::SeqCst);
        }
        result
    }

    pub(crate) fn ensure_open(&self) -> Result<()> {
        if self.lifecycle.shut.load(Ordering::SeqCst) {
            return Err(AuthError::ShutDown);
        }
        Ok(())
    }

    async fn finish_flow(&self, ctx: &UserContext) {
        let staged = ctx.take_staged();
        if !staged.is_empty() {
            // Staged events whose carrier transaction never came (an override skipped it): write them now.
            let written = self
                .write(ctx, |tx| {
                    tx.events.extend(staged.iter().cloned());
                    Ok(Step::Commit(()))
                })
                .await;
            if let Err(e) = written {
                tracing::error!(code = e.code(), "could not write staged events");
            }
        }
        let events = ctx.take_pending();
        self.outbox.deliver(&*self.store, events).await;
    }
}

/// [`policy::Currency`] answered by the store, in the request's transaction when it has one.
pub(crate) struct StoreCurrency<'a> {
    inner: &'a Inner,
    ctx: &'a UserContext,
}

#[async_trait::async_trait]
impl policy::Currency for StoreCurrency<'_> {
    async fn is_current_email(&self, recipe_user_id: &str, email: &str) -> Result<bool> {
        self.inner
            .read(self.ctx, |tx| {
                Ok(tx.s.is_verification_current(recipe_user_id, email)?)
            })
            .await
    }
}

/// Leaves the flow when a scoped operation is dropped before it finished (the caller cancelled it: a dropped
/// future, a cancelled coroutine). Without it the depth counter would stay raised and the request's committed
/// events would wait for the next open; when the cancelled call was the outermost one, its events are
/// delivered on the runtime it ran on (or, with none, by `deliverPendingEvents` and at open).
struct FlowGuard {
    inner: Arc<Inner>,
    ctx: UserContext,
    armed: bool,
}

impl Drop for FlowGuard {
    fn drop(&mut self) {
        if !self.armed || !self.ctx.leave() {
            return;
        }
        // What the cancelled request's finished steps wrote stays, as when each step committed on its own.
        self.ctx.end_batch();
        self.ctx.settle_or_defer();
        let _ = self.ctx.take_deferred();
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            let inner = self.inner.clone();
            let ctx = self.ctx.clone();
            handle.spawn(async move {
                inner.finish_flow(&ctx).await;
                inner.lifecycle.active.fetch_sub(1, Ordering::SeqCst);
            });
        } else {
            self.inner.lifecycle.active.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// The engine handle: cheap to clone, shareable across threads. It dereferences to the final (overridden)
/// [`RecipeFunctions`], so `auth.sign_in_up(&input, &ctx)` runs every override.
#[derive(Clone)]
pub struct AuthCore {
    inner: Arc<Inner>,
}

impl std::ops::Deref for AuthCore {
    type Target = dyn RecipeFunctions;
    fn deref(&self) -> &Self::Target {
        self.inner.fns()
    }
}

impl AuthCore {
    pub fn builder() -> AuthCoreBuilder {
        AuthCoreBuilder {
            store: None,
            connect: None,
            config: AuthCoreConfig::default(),
            id_generator: Arc::new(UuidGenerator),
            function_overrides: Vec::new(),
            api_overrides: Vec::new(),
            handlers: Handlers::default(),
            http_client: None,
            oauth_clock: None,
        }
    }

    /// How many JWKS documents this engine fetched (a cached key set is fetched once).
    pub fn jwks_fetches(&self) -> u64 {
        self.inner.oauth.get().map_or(0, OAuthClient::jwks_fetches)
    }

    /// Opens an engine on a SQLite file with the given configuration.
    pub fn open_sqlite(
        path: impl AsRef<std::path::Path>,
        config: AuthCoreConfig,
    ) -> Result<AuthCore> {
        AuthCore::builder().sqlite(path)?.config(config).build()
    }

    pub fn functions(&self) -> &(dyn RecipeFunctions + 'static) {
        self.inner.fns()
    }

    pub fn apis(&self) -> &(dyn ApiFunctions + 'static) {
        self.inner.apis()
    }

    pub fn config(&self) -> &AuthCoreConfig {
        &self.inner.config
    }

    /// Redelivers events whose delivery failed, or that a crashed run left pending once their delivery lease
    /// (`events.leaseMs`) expired; events still leased are left to the engine delivering them.
    pub async fn deliver_pending_events(&self) -> Result<DeliveryReport> {
        self.inner.ensure_open()?;
        self.inner
            .outbox
            .deliver_pending(&*self.inner.store, false)
            .await
    }

    /// How many users there are in `tenant_id` (default `public`), or in the whole app with
    /// `include_all_tenants` (SuperTokens' `GET /<tenantId>/users/count?includeAllTenants`). A user is a primary
    /// user with its linked accounts, or a recipe user linked to nobody; one with login methods in several
    /// tenants counts once. The tenant must exist even when all tenants are counted, as the core's path does.
    pub async fn get_user_count(
        &self,
        tenant_id: Option<&str>,
        include_all_tenants: bool,
    ) -> Result<u64> {
        self.inner.ensure_open()?;
        let tenant = ids::normalise_tenant_id(tenant_id.unwrap_or(ids::PUBLIC_TENANT))?;
        self.inner
            .read(&UserContext::new(), |tx| {
                crate::recipes::require_tenant(tx, &tenant)?;
                let scope = (!include_all_tenants).then_some(tenant.as_str());
                Ok(tx.s.count_groups(scope)?)
            })
            .await
    }

    /// The audit log: past events by user, tenant and time, oldest first, with cursor pagination.
    pub async fn list_events(&self, input: &ListEventsInput) -> Result<ListEventsResult> {
        self.inner.ensure_open()?;
        let inner = &self.inner;
        inner
            .off_store(|| inner.outbox.list(&*inner.store, input))
            .await
    }

    /// Closes the engine; call it before the process exits. New requests fail with `SHUT_DOWN` from the first
    /// moment; requests already inside finish (waiting at most `hostTimeoutMs`, or 30 s when that is 0); then
    /// every event still pending (a failed delivery, one a crash left) is delivered and the acknowledgements
    /// are recorded. From then on every call, in every binding, is `SHUT_DOWN`. A second call does nothing.
    pub async fn shutdown(&self) -> Result<DeliveryReport> {
        let inner = &self.inner;
        if inner.lifecycle.shut.swap(true, Ordering::SeqCst) {
            return Ok(DeliveryReport::default());
        }
        let limit = match inner.config.host_timeout_ms {
            0 => crate::host::DEFAULT_HOST_TIMEOUT_MS,
            ms => ms,
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_millis(limit);
        while inner.lifecycle.active.load(Ordering::SeqCst) > 0
            && std::time::Instant::now() < deadline
        {
            futures_timer::Delay::new(std::time::Duration::from_millis(2)).await;
        }
        inner.outbox.stop_sweeper();
        let report = inner.outbox.deliver_pending(&*inner.store, true).await?;
        inner
            .off_store(|| inner.outbox.flush(&*inner.store))
            .await?;
        Ok(report)
    }
}

/// The built-in implementation. It reaches the engine weakly (the engine owns it) and calls other operations
/// through the final functions object.
struct CoreFunctions {
    inner: Weak<Inner>,
}

impl CoreFunctions {
    fn inner(&self) -> Result<Arc<Inner>> {
        self.inner
            .upgrade()
            .ok_or_else(|| AuthError::internal("the engine was dropped"))
    }
}

fn tenant_id(raw: &str) -> Result<String> {
    ids::normalise_tenant_id(raw)
}

const DEFAULT_PAGE: usize = 100;
const MAX_PAGE: usize = 500;

fn encode_cursor(c: &(i64, String)) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{}", c.0, c.1))
}

fn decode_cursor(token: &str) -> Result<(i64, String)> {
    let bytes = URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| AuthError::InvalidPaginationToken)?;
    let s = String::from_utf8(bytes).map_err(|_| AuthError::InvalidPaginationToken)?;
    let (t, id) = s.split_once(':').ok_or(AuthError::InvalidPaginationToken)?;
    Ok((
        t.parse().map_err(|_| AuthError::InvalidPaginationToken)?,
        id.to_string(),
    ))
}

#[async_trait]
impl RecipeFunctions for CoreFunctions {
    fn original(&self) -> &dyn RecipeFunctions {
        self
    }
    fn settles_before_host(&self) -> bool {
        true
    }

    async fn sign_in_up(&self, input: &SignInUpInput, ctx: &UserContext) -> Result<SignInUpResult> {
        let inner = self.inner()?;
        let valid = ValidSignInUp::parse(input)?;
        let id_gen = inner.id_generator.clone();
        // A plain sign-in with nothing to change reads only, beside any writer.
        let fast = inner
            .read(ctx, |tx| {
                thirdparty::sign_in_up(tx, &*id_gen, &valid, false)
            })
            .await?;
        if let Some(Step::Commit(r) | Step::Rollback(r)) = fast {
            return Ok(r);
        }
        inner
            .write(ctx, |tx| {
                thirdparty::sign_in_up(tx, &*id_gen, &valid, true)?.ok_or_else(|| {
                    TxError::Auth(AuthError::internal("write path asked for a write"))
                })
            })
            .await
    }

    async fn manually_create_or_update_user(
        &self,
        input: &ManuallyCreateOrUpdateUserInput,
        ctx: &UserContext,
    ) -> Result<ManuallyCreateOrUpdateUserResult> {
        let inner = self.inner()?;
        let fns = inner.fns();
        let valid = ValidSignInUp::parse(input)?;
        let session_linking = ctx.take_session_linking();
        let session = session_linking.as_ref().map(|l| &l.session);
        let tp_lookup = AccountInfo {
            third_party: Some(valid.third_party.clone()),
            ..AccountInfo::default()
        };
        let existing = fns
            .list_users_by_account_info(&valid.tenant_id, &tp_lookup, false, ctx)
            .await?;
        if existing.is_empty()
            && valid.is_verified
            && !inner.functions_overridden
            && session_linking.is_none()
        {
            if let Some(done) = self.fused_sign_up_and_link(&inner, &valid, ctx).await? {
                return Ok(done);
            }
        }
        if let Some(user) = existing.first() {
            match policy::is_email_change_allowed(
                fns,
                user,
                &valid.email,
                valid.is_verified,
                session,
                ctx,
            )
            .await?
            {
                EmailChangeDecision::Allowed => {}
                EmailChangeDecision::PrimaryUserConflict => {
                    return Ok(
                        ManuallyCreateOrUpdateUserResult::EmailChangeNotAllowedError {
                            reason: policy::REASON_PRIMARY_USER_CONFLICT.into(),
                        },
                    )
                }
                EmailChangeDecision::AccountTakeoverRisk => {
                    return Ok(
                        ManuallyCreateOrUpdateUserResult::EmailChangeNotAllowedError {
                            reason: policy::REASON_TAKEOVER_RISK.into(),
                        },
                    )
                }
            }
        }
        let normalised = SignInUpInput {
            tenant_id: valid.tenant_id.clone(),
            third_party_id: valid.third_party.id.clone(),
            third_party_user_id: valid.third_party.user_id.clone(),
            email: crate::model::EmailInput {
                id: valid.email.clone(),
                is_verified: valid.is_verified,
            },
        };
        let (created, user, recipe_user_id) = match fns.sign_in_up(&normalised, ctx).await? {
            SignInUpResult::Ok {
                created_new_user,
                user,
                recipe_user_id,
            } => (created_new_user, user, recipe_user_id),
            SignInUpResult::EmailChangeNotAllowedError { reason } => {
                return Ok(ManuallyCreateOrUpdateUserResult::EmailChangeNotAllowedError { reason })
            }
        };
        let user = verify_if_linked_accounts_verified(fns, user, &recipe_user_id, ctx).await?;
        if let Some(linking) = &session_linking {
            return Ok(
                match policy::link_to_session_user(
                    fns,
                    &inner.currency(ctx),
                    user,
                    &recipe_user_id,
                    linking,
                    ctx,
                )
                .await?
                {
                    Ok(user) => {
                        let reason = if linking.requires_verification {
                            policy::LinkingReason::VerifiedEmailMatch
                        } else {
                            policy::LinkingReason::VerificationNotRequired
                        };
                        let explanation = policy::linking_explanation(reason, user.id.clone());
                        ManuallyCreateOrUpdateUserResult::Ok {
                            created_new_recipe_user: created,
                            user,
                            recipe_user_id,
                            linking: explanation,
                        }
                    }
                    Err(code) => ManuallyCreateOrUpdateUserResult::SignInUpNotAllowed {
                        reason: format!("{} ({code})", policy::ERR_SESSION_LINKING),
                    },
                },
            );
        }
        let (user, linking) = policy::try_linking_by_account_info_or_create_primary_user(
            fns,
            &inner.currency(ctx),
            &valid.tenant_id,
            user,
            &recipe_user_id,
            None,
            ctx,
        )
        .await?;
        Ok(ManuallyCreateOrUpdateUserResult::Ok {
            created_new_recipe_user: created,
            user,
            recipe_user_id,
            linking,
        })
    }

    async fn should_do_automatic_account_linking(
        &self,
        new_account_info: &NewAccountInfo,
        _user: Option<&User>,
        _session: Option<&Session>,
        tenant_id: &str,
        _ctx: &UserContext,
    ) -> Result<ShouldAutomaticallyLink> {
        let inner = self.inner()?;
        let provider = new_account_info
            .account_info
            .third_party
            .as_ref()
            .map(|tp| tp.id.as_str());
        Ok(inner.config.account_linking.decide(tenant_id, provider))
    }

    async fn on_account_linked(
        &self,
        _user: &User,
        _new: &crate::model::LoginMethod,
        _ctx: &UserContext,
    ) -> Result<()> {
        Ok(())
    }

    async fn get_config_for_client_type(
        &self,
        input: &GetConfigForClientTypeInput,
        _ctx: &UserContext,
    ) -> Result<ProviderConfigForClientType> {
        crate::oauth::config::for_client_type(&input.config, input.client_type.as_deref())
    }

    async fn get_authorisation_redirect_url(
        &self,
        input: &GetAuthorisationRedirectUrlInput,
        _ctx: &UserContext,
    ) -> Result<AuthorisationRedirect> {
        self.inner()?
            .oauth()?
            .authorisation_redirect(&input.config, &input.redirect_uri_on_provider_dashboard)
    }

    async fn exchange_auth_code_for_oauth_tokens(
        &self,
        input: &ExchangeAuthCodeInput,
        _ctx: &UserContext,
    ) -> Result<OAuthTokens> {
        let inner = self.inner()?;
        inner
            .oauth()?
            .exchange_code(&input.config, &input.redirect_uri_info)
            .await
    }

    async fn get_user_info(
        &self,
        input: &GetUserInfoInput,
        _ctx: &UserContext,
    ) -> Result<UserInfo> {
        let inner = self.inner()?;
        inner
            .oauth()?
            .user_info(&input.config, &input.o_auth_tokens, input.nonce.as_deref())
            .await
    }

    async fn create_primary_user(
        &self,
        recipe_user_id: &str,
        ctx: &UserContext,
    ) -> Result<CreatePrimaryUserResult> {
        let id = ids::validate_user_id("recipeUserId", recipe_user_id)?;
        self.inner()?
            .write(ctx, |tx| linking::create_primary_user(tx, id, false))
            .await
    }

    async fn can_create_primary_user(
        &self,
        recipe_user_id: &str,
        ctx: &UserContext,
    ) -> Result<CreatePrimaryUserResult> {
        let id = ids::validate_user_id("recipeUserId", recipe_user_id)?;
        self.inner()?
            .write(ctx, |tx| linking::create_primary_user(tx, id, true))
            .await
    }

    async fn link_accounts(
        &self,
        recipe_user_id: &str,
        primary_user_id: &str,
        ctx: &UserContext,
    ) -> Result<LinkAccountsResult> {
        let inner = self.inner()?;
        let rid = ids::validate_user_id("recipeUserId", recipe_user_id)?;
        let pid = ids::validate_user_id("primaryUserId", primary_user_id)?;
        let result = inner
            .write(ctx, |tx| linking::link_accounts(tx, rid, pid, false))
            .await?;
        // The SDK's linkAccounts: propagate verification from same-email members, then `onAccountLinked`.
        if let LinkAccountsResult::Ok {
            accounts_already_linked: false,
            user: Some(user),
        } = &result
        {
            let fns = inner.fns();
            let user = verify_if_linked_accounts_verified(fns, user.clone(), rid, ctx).await?;
            if let Some(lm) = user.login_method(rid).cloned() {
                fns.on_account_linked(&user, &lm, ctx).await?;
            }
            return Ok(LinkAccountsResult::Ok {
                accounts_already_linked: false,
                user: Some(user),
            });
        }
        Ok(result)
    }

    async fn can_link_accounts(
        &self,
        recipe_user_id: &str,
        primary_user_id: &str,
        ctx: &UserContext,
    ) -> Result<LinkAccountsResult> {
        let rid = ids::validate_user_id("recipeUserId", recipe_user_id)?;
        let pid = ids::validate_user_id("primaryUserId", primary_user_id)?;
        self.inner()?
            .write(ctx, |tx| linking::link_accounts(tx, rid, pid, true))
            .await
    }

    async fn unlink_account(
        &self,
        recipe_user_id: &str,
        ctx: &UserContext,
    ) -> Result<UnlinkAccountResult> {
        let rid = ids::validate_user_id("recipeUserId", recipe_user_id)?;
        self.inner()?
            .write(ctx, |tx| linking::unlink_account(tx, rid))
            .await
    }

    async fn delete_user(
        &self,
        user_id: &str,
        remove_all_linked_accounts: bool,
        ctx: &UserContext,
    ) -> Result<()> {
        let id = ids::validate_user_id("userId", user_id)?;
        self.inner()?
            .write(ctx, |tx| {
                linking::delete_user(tx, id, remove_all_linked_accounts)
            })
            .await
            .map(|_| ())
    }

    async fn get_user(&self, user_id: &str, ctx: &UserContext) -> Result<Option<User>> {
        let id = ids::validate_user_id("userId", user_id)?;
        self.inner()?
            .read(ctx, |tx| linking::get_user(tx, id))
            .await
    }

    async fn list_users_by_account_info(
        &self,
        tenant_id_raw: &str,
        account_info: &AccountInfo,
        union: bool,
        ctx: &UserContext,
    ) -> Result<Vec<User>> {
        let t = tenant_id(tenant_id_raw)?;
        let info = linking::normalise_account_info(account_info)?;
        self.inner()?
            .read(ctx, |tx| {
                linking::list_users_by_account_info(tx, &t, &info, union)
            })
            .await
    }

    async fn get_users(&self, input: &GetUsersInput, ctx: &UserContext) -> Result<GetUsersResult> {
        let t = input.tenant_id.as_deref().map(tenant_id).transpose()?;
        let limit = input.limit.unwrap_or(DEFAULT_PAGE);
        if limit == 0 || limit > MAX_PAGE {
            return Err(AuthError::invalid(
                "limit",
                format!("must be between 1 and {MAX_PAGE}"),
            ));
        }
        let after = input
            .pagination_token
            .as_deref()
            .map(decode_cursor)
            .transpose()?;
        let desc = input.time_joined_order == TimeJoinedOrder::Desc;
        self.inner()?
            .read(ctx, |tx| {
                if let Some(t) = &t {
                    crate::recipes::require_tenant(tx, t)?;
                }
                let page =
                    tx.s.list_groups(t.as_deref(), after.as_ref(), desc, limit + 1)?;
                let mut users = Vec::with_capacity(limit);
                for (_, gid) in page.iter().take(limit) {
                    if let Some(g) = crate::recipes::Group::load(tx, gid)? {
                        users.push(g.to_user());
                    }
                }
                let next_pagination_token = if page.len() > limit {
                    page.get(limit - 1).map(encode_cursor)
                } else {
                    None
                };
                Ok(GetUsersResult {
                    users,
                    next_pagination_token,
                })
            })
            .await
    }

    async fn is_email_verified(
        &self,
        recipe_user_id: &str,
        email: Option<&str>,
        ctx: &UserContext,
    ) -> Result<bool> {
        let rid = ids::validate_user_id("recipeUserId", recipe_user_id)?;
        self.inner()?
            .read(ctx, |tx| emailverification::is_verified(tx, rid, email))
            .await
    }

    async fn verify_email(
        &self,
        input: &VerifyEmailInput,
        ctx: &UserContext,
    ) -> Result<VerifyEmailResult> {
        let inner = self.inner()?;
        let rid = ids::validate_user_id("recipeUserId", &input.recipe_user_id)?;
        let email = input.email.as_deref();
        inner
            .write(ctx, |tx| {
                emailverification::set_verified(tx, rid, email, true).map(Step::Commit)
            })
            .await?;
        let fns = inner.fns();
        let Some(user) = fns.get_user(rid, ctx).await? else {
            return Ok(VerifyEmailResult::Ok { user: None });
        };
        // Like `verifyEmailUsingToken`: link only if the verified email is still the login method's email.
        let current = user.login_method(rid).and_then(|lm| lm.email.clone());
        let verified_email = match email {
            Some(e) => Some(email::normalise_email(e)),
            None => current.clone(),
        };
        if !input.attempt_account_linking || current != verified_email {
            return Ok(VerifyEmailResult::Ok { user: Some(user) });
        }
        let tenant = user
            .login_method(rid)
            .and_then(|lm| lm.tenant_ids.first().cloned());
        let Some(tenant) = tenant else {
            return Ok(VerifyEmailResult::Ok { user: Some(user) });
        };
        let (user, _) = policy::try_linking_by_account_info_or_create_primary_user(
            fns,
            &inner.currency(ctx),
            &tenant,
            user,
            rid,
            None,
            ctx,
        )
        .await?;
        Ok(VerifyEmailResult::Ok { user: Some(user) })
    }

    async fn unverify_email(
        &self,
        recipe_user_id: &str,
        email: Option<&str>,
        ctx: &UserContext,
    ) -> Result<()> {
        let rid = ids::validate_user_id("recipeUserId", recipe_user_id)?;
        self.inner()?
            .write(ctx, |tx| {
                emailverification::set_verified(tx, rid, email, false).map(Step::Commit)
            })
            .await
            .map(|_| ())
    }

    async fn create_or_update_tenant(
        &self,
        tenant_id_raw: &str,
        config: &TenantConfigInput,
        ctx: &UserContext,
    ) -> Result<CreateOrUpdateTenantResult> {
        let t = ids::validate_new_tenant_id(tenant_id_raw)?;
        let inner = self.inner()?;
        let key = inner.secrets_key.as_ref();
        inner
            .write(ctx, |tx| {
                tenants::create_or_update(tx, key, &t, config).map(Step::Commit)
            })
            .await
    }

    async fn create_or_update_third_party_config(
        &self,
        tenant_id_raw: &str,
        config: &ProviderConfig,
        skip_validation: bool,
        ctx: &UserContext,
    ) -> Result<CreateOrUpdateThirdPartyConfigResult> {
        let t = tenant_id(tenant_id_raw)?;
        let inner = self.inner()?;
        let key = inner.secrets_key.as_ref();
        inner
            .write(ctx, |tx| {
                tenants::create_or_update_third_party_config(tx, key, &t, config, skip_validation)
                    .map(Step::Commit)
            })
            .await
    }

    async fn delete_third_party_config(
        &self,
        tenant_id_raw: &str,
        third_party_id: &str,
        ctx: &UserContext,
    ) -> Result<DeleteThirdPartyConfigResult> {
        let t = tenant_id(tenant_id_raw)?;
        self.inner()?
            .write(ctx, |tx| {
                tenants::delete_third_party_config(tx, &t, third_party_id)
            })
            .await
    }

    async fn delete_tenant(
        &self,
        tenant_id_raw: &str,
        ctx: &UserContext,
    ) -> Result<DeleteTenantResult> {
        let t = tenant_id(tenant_id_raw)?;
        self.inner()?
            .write(ctx, |tx| tenants::delete(tx, &t).map(Step::Commit))
            .await
            .map(|(r, _)| r)
    }

    async fn get_tenant(&self, tenant_id_raw: &str, ctx: &UserContext) -> Result<Option<Tenant>> {
        let t = tenant_id(tenant_id_raw)?;
        self.inner()?
            .read(ctx, |tx| {
                Ok(tx
                    .s
                    .tenant(&t)?
                    .map(|config| tenants::shown(t.clone(), config)))
            })
            .await
    }

    async fn list_all_tenants(&self, ctx: &UserContext) -> Result<Vec<Tenant>> {
        self.inner()?
            .read(ctx, |tx| {
                Ok(tx
                    .s
                    .list_tenants()?
                    .into_iter()
                    .map(|(tenant_id, config)| tenants::shown(tenant_id, config))
                    .collect())
            })
            .await
    }

    async fn associate_user_to_tenant(
        &self,
        tenant_id_raw: &str,
        recipe_user_id: &str,
        ctx: &UserContext,
    ) -> Result<AssociateUserToTenantResult> {
        let t = tenant_id(tenant_id_raw)?;
        let rid = ids::validate_user_id("recipeUserId", recipe_user_id)?;
        self.inner()?
            .write(ctx, |tx| tenants::associate(tx, &t, rid))
            .await
    }

    async fn disassociate_user_from_tenant(
        &self,
        tenant_id_raw: &str,
        recipe_user_id: &str,
        ctx: &UserContext,
    ) -> Result<DisassociateUserFromTenantResult> {
        let t = tenant_id(tenant_id_raw)?;
        let rid = ids::validate_user_id("recipeUserId", recipe_user_id)?;
        self.inner()?
            .write(ctx, |tx| tenants::disassociate(tx, &t, rid))
            .await
            .map(|(r, _)| r)
    }

    async fn create_new_session(
        &self,
        tenant_id_raw: &str,
        recipe_user_id: &str,
        access_token_payload: &Value,
        ctx: &UserContext,
    ) -> Result<CreateNewSessionResult> {
        let inner = self.inner()?;
        let t = tenant_id(tenant_id_raw)?;
        let rid = ids::validate_user_id("recipeUserId", recipe_user_id)?;
        crate::json::check_depth("accessTokenPayload", access_token_payload)?;
        let lifetime = inner.config.session_lifetime_ms;
        inner
            .write(ctx, |tx| {
                sessions::create(tx, &t, rid, access_token_payload, lifetime).map(Step::Commit)
            })
            .await
    }

    async fn get_session(
        &self,
        input: &GetSessionInput,
        ctx: &UserContext,
    ) -> Result<GetSessionResult> {
        let tenant = if input.any_tenant {
            None
        } else {
            Some(tenant_id(
                input.tenant_id.as_deref().unwrap_or(ids::PUBLIC_TENANT),
            )?)
        };
        self.inner()?
            .read(ctx, |tx| {
                sessions::verify(tx, &input.access_token, tenant.as_deref())
            })
            .await
    }

    async fn revoke_session(&self, session_handle: &str, ctx: &UserContext) -> Result<bool> {
        self.inner()?
            .write(ctx, |tx| {
                Ok(Step::Commit(sessions::revoke(
                    tx,
                    session_handle,
                    RevokeReason::Revoked,
                )?))
            })
            .await
    }

    async fn revoke_all_sessions_for_user(
        &self,
        user_id: &str,
        include_linked: bool,
        ctx: &UserContext,
    ) -> Result<Vec<String>> {
        let id = ids::validate_user_id("userId", user_id)?;
        self.inner()?
            .write(ctx, |tx| {
                let owners = sessions::session_owners(tx, id, include_linked)?;
                let revoked =
                    sessions::revoke_for_recipe_users(tx, &owners, None, RevokeReason::Revoked)?;
                Ok(Step::Commit(revoked))
            })
            .await
    }

    async fn get_all_session_handles_for_user(
        &self,
        user_id: &str,
        include_linked: bool,
        ctx: &UserContext,
    ) -> Result<Vec<String>> {
        let id = ids::validate_user_id("userId", user_id)?;
        self.inner()?
            .read(ctx, |tx| {
                let owners = sessions::session_owners(tx, id, include_linked)?;
                Ok(tx.s.session_handles_for(&owners, None)?)
            })
            .await
    }
}

impl CoreFunctions {
    /// A verified sign-up whose email an existing primary user holds, with the built-in policy saying
    /// "link": sign-up and link in ONE transaction instead of two. Only taken when no function is overridden,
    /// so no override could have observed the intermediate state; the result and the delivered events equal
    /// the two-step path's (`createUser` made void by the link, then `linkAccount`). Anything unexpected inside
    /// the transaction rolls it back and returns `None`: the caller then takes the ordinary path.
    async fn fused_sign_up_and_link(
        &self,
        inner: &Inner,
        valid: &ValidSignInUp,
        ctx: &UserContext,
    ) -> Result<Option<ManuallyCreateOrUpdateUserResult>> {
        let fns = inner.fns();
        let info = AccountInfo {
            email: Some(valid.email.clone()),
            phone_number: None,
            third_party: Some(valid.third_party.clone()),
        };
        let users = fns
            .list_users_by_account_info(&valid.tenant_id, &info, true, ctx)
            .await?;
        let Some(primary) = policy::single_primary(&users)? else {
            return Ok(None);
        };
        let new_info = NewAccountInfo {
            recipe_id: crate::model::RecipeId::ThirdParty,
            account_info: info,
            recipe_user_id: None,
        };
        let s = fns
            .should_do_automatic_account_linking(
                &new_info,
                Some(primary),
                None,
                &valid.tenant_id,
                ctx,
            )
            .await?;
        let Ok(reason) = policy::link_allowed(
            &s,
            &inner.currency(ctx),
            None,
            primary,
            &new_info.account_info,
        )
        .await?
        else {
            return Ok(None);
        };
        let primary_id = primary.id.clone();
        let id_gen = inner.id_generator.clone();
        let fused = inner
            .write(ctx, |tx| {
                crate::recipes::require_tenant(tx, &valid.tenant_id)?;
                if !tx
                    .s
                    .group_of_third_party_user(&valid.tenant_id, &valid.third_party)?
                    .is_empty()
                {
                    return Ok(Step::Rollback(None));
                }
                let SignInUpResult::Ok { recipe_user_id, .. } =
                    thirdparty::sign_up(tx, &*id_gen, valid)?
                else {
                    return Ok(Step::Rollback(None));
                };
                match linking::link_accounts(tx, &recipe_user_id, &primary_id, false)? {
                    Step::Commit(LinkAccountsResult::Ok {
                        user: Some(user), ..
                    }) => Ok(Step::Commit(Some((user, recipe_user_id)))),
                    _ => Ok(Step::Rollback(None)),
                }
            })
            .await?;
        Ok(fused.map(|(user, recipe_user_id)| {
            let linking = policy::linking_explanation(reason, user.id.clone());
            ManuallyCreateOrUpdateUserResult::Ok {
                created_new_recipe_user: true,
                user,
                recipe_user_id,
                linking,
            }
        }))
    }
}

/// The SDK's `verifyEmailForRecipeUserIfLinkedAccountsAreVerified` (spec §3, addition 2): a primary user's
/// login method whose email another member already verified becomes verified too.
pub(crate) async fn verify_if_linked_accounts_verified(
    fns: &dyn RecipeFunctions,
    user: User,
    recipe_user_id: &str,
    ctx: &UserContext,
) -> Result<User> {
    if !user.is_primary_user {
        return Ok(user);
    }
    let Some(lm) = user.login_method(recipe_user_id) else {
        return Ok(user);
    };
    let Some(email) = lm.email.clone() else {
        return Ok(user);
    };
    if lm.verified
        || !user
            .login_methods
            .iter()
            .any(|o| o.verified && o.has_email(&email))
    {
        return Ok(user);
    }
    let input = VerifyEmailInput {
        recipe_user_id: recipe_user_id.to_string(),
        email: Some(email),
        attempt_account_linking: false,
    };
    fns.verify_email(&input, ctx).await?;
    Ok(fns.get_user(recipe_user_id, ctx).await?.unwrap_or(user))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// uniffi's `default` attribute takes only a literal, so the Kotlin/Swift defaults of `AuthCoreConfig`
    /// repeat the core's: this fails when one changes without the other.
    #[test]
    fn the_uniffi_default_literals_are_the_core_defaults() {
        let source = include_str!("engine.rs");
        for (literal, value) in [
            ("2592000000", default_session_lifetime().to_string()),
            ("30000", default_host_timeout().to_string()),
        ] {
            assert_eq!(literal, value);
            assert!(
                source.contains(&format!("uniffi(default = {literal}))")),
                "engine.rs gives uniffi the default {literal}"
            );
        }
    }
}
