//! The PostgreSQL store (feature `postgres`): the same tables, keys and semantics as the SQLite store, in a
//! schema the application names (default `authcore`), for deployments where several app servers share one
//! database.
//!
//! **Client.** tokio-postgres, pooled by deadpool-postgres: a plain async client with a small, well-known pool,
//! no compile-time query checking to set up (sqlx's offline mode would need a database or checked-in query
//! data at build time), and its connection tasks run on the engine's I/O runtime (`crate::io`), the one
//! process-wide runtime the OAuth client uses too. A URL with `sslmode=require` connects over TLS with rustls
//! (the ring provider, as the OAuth client; no process-global provider installed), verifying the server's
//! certificate and name against the webpki roots plus [`PostgresOptions::tls_root_certificates`] (a managed
//! service's private CA goes there). This is stricter than libpq's `require`, which checks neither: a
//! connection that asked for TLS gets an authenticated server, or none. `disable` and `prefer` (the default)
//! connect in clear, as libpq's `prefer` does against a server without TLS.
//!
//! **Where the waiting happens.** [`StoreTx`] is synchronous: each of its calls hands its statement to the I/O
//! runtime and waits on a channel for the answer (never a runtime's `block_on`, so it works from any thread
//! that is not one of that runtime's workers). The engine never makes a host thread do that waiting: this
//! store says it is [`Store::remote`], so the engine runs each whole transaction (its retries included) as one
//! section on the I/O runtime's blocking pool (`crate::io::off_thread`), connects there at `open`, and commits
//! a request's transaction there when the request suspends. The host thread only polls a future.
//!
//! **Isolation: READ COMMITTED with one writer at a time per schema.** Every write transaction takes a
//! transaction-scoped advisory lock keyed by the schema before its first statement, so write transactions on
//! one schema run one after the other, across all processes, exactly as SQLite's `BEGIN IMMEDIATE` makes them
//! do. Why: the engine's rules were written against a store with one writer. The outbox's delivery watermark
//! needs seq order to be commit order, and a request's steps (each in a savepoint, a race retried as the step
//! alone) need every statement to see what committed before it, which READ COMMITTED gives and a REPEATABLE
//! READ snapshot would not. U1 and U3 are still unique keys here, so they hold by construction whatever a
//! future version relaxes. Read transactions are `REPEATABLE READ READ ONLY`: one consistent snapshot, beside
//! the writer, never blocking it. The price is write throughput across app servers (one writer per schema);
//! lifting it (row locks) is a later step. Outbox delivery across processes uses leases claimed with
//! `FOR UPDATE SKIP LOCKED` (`claim_events`; design in `outbox.rs`), which stay correct once the lock is lifted.
//!
//! **Errors** are classified by SQLSTATE and constraint name, never by message text: `23505` on a named unique
//! constraint is [`StoreError::UniqueViolation`]; serialization failures (`40001`), deadlocks (`40P01`) and a
//! lock wait past `lock_timeout` (`55P03`, the writer lock included) are [`StoreError::Busy`], which the
//! engine retries a bounded number of times; a refused, lost or silent connection (class `08`, `57P0x`, no
//! answer within [`PostgresOptions::answer_timeout`]) is [`StoreError::Unavailable`]. A statement that may
//! violate a unique key the recipes handle runs with `ON CONFLICT DO NOTHING` or inside a statement savepoint,
//! so the violation leaves the transaction usable, as the [`StoreTx`] contract requires.

mod migrations;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{
    Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod, Runtime, TimeoutType,
};
use sha2::{Digest, Sha256};
use tokio_postgres::config::SslMode;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{FromSql, ToSql};
use tokio_postgres::{NoTls, Row};

use super::{
    AccountKey, Claim, Constraint, EventFilter, EventRow, FlowTake, ListCursor, NewRecipeUser,
    OAuthFlowRow, RecipeUserRow, Reservation, SessionRow, Store, StoreError, StoreResult, StoreTx,
};
use crate::io::{io_runtime, wait_on_io};
use crate::model::ThirdPartyInfo;
use crate::recipes::tenants::TenantConfig;

/// The schema the store uses when the application names none.
pub const DEFAULT_SCHEMA: &str = "authcore";

/// The newest schema version this library knows.
const LATEST_VERSION: i64 = migrations::LATEST;

/// How to open the PostgreSQL store.
#[derive(Clone)]
pub struct PostgresOptions {
    /// A libpq-style URL or key=value string (`postgres://user:pass@host:5432/db`).
    pub url: String,
    /// The schema the store's tables live in; created if missing. Lowercase letters, digits and `_`, starting
    /// with a letter or `_`, at most 63 characters (so it needs no quoting anywhere).
    pub schema: String,
    /// Connections the pool keeps at most.
    pub max_connections: usize,
    /// How long opening a connection may take (unless the URL sets `connect_timeout`).
    pub connect_timeout: Duration,
    /// How long a transaction waits for a free pooled connection before [`StoreError::Busy`].
    pub pool_wait: Duration,
    /// How long a statement waits for a lock (the writer lock included) before [`StoreError::Busy`].
    pub lock_timeout: Duration,
    /// How long the store waits for any one answer from the server before it gives the connection up as
    /// [`StoreError::Unavailable`]: the bound that turns a server that stopped answering into an error, not a
    /// hang.
    pub answer_timeout: Duration,
    /// Extra trusted root certificates (DER) for `sslmode=require`, besides the webpki roots.
    pub tls_root_certificates: Vec<Vec<u8>>,
}

/// The URL may hold a password: only the schema is shown.
impl std::fmt::Debug for PostgresOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresOptions")
            .field("schema", &self.schema)
            .field("max_connections", &self.max_connections)
            .finish_non_exhaustive()
    }
}

impl PostgresOptions {
    pub fn new(url: impl Into<String>) -> Self {
        PostgresOptions {
            url: url.into(),
            schema: DEFAULT_SCHEMA.to_string(),
            max_connections: 8,
            connect_timeout: Duration::from_secs(5),
            pool_wait: Duration::from_secs(10),
            lock_timeout: Duration::from_secs(10),
            answer_timeout: Duration::from_secs(30),
            tls_root_certificates: Vec::new(),
        }
    }
}

/// The PostgreSQL store. Cheap to share: it is a handle on its connection pool.
pub struct PostgresStore {
    shared: Arc<Shared>,
}

struct Shared {
    pool: Pool,
    schema: String,
    /// The advisory lock every write transaction of this schema takes (see the module comment).
    writer_key: i64,
    answer_timeout: Duration,
}

/// An owned statement parameter: a statement's parameters travel to the I/O runtime with it.
type Param = Box<dyn ToSql + Sync + Send>;

macro_rules! args {
    ($($v:expr),* $(,)?) => {
        vec![$(Box::new($v) as Param),*]
    };
}

type PgFuture<T> = Pin<Box<dyn Future<Output = Result<T, tokio_postgres::Error>> + Send>>;

/// A unique constraint of the schema and the [`Constraint`] it means for the statement that hit it.
type UniqueMap = &'static [(&'static str, Constraint)];

fn other(e: impl std::fmt::Display) -> StoreError {
    StoreError::Other(e.to_string())
}

/// Classifies a client error by SQLSTATE and constraint name (never by message text). `unique` lists the
/// unique constraints the statement may violate that the engine handles; any other violation is a defect.
fn classify(e: &tokio_postgres::Error, unique: UniqueMap) -> StoreError {
    let Some(db) = e.as_db_error() else {
        // No answer from the server: a lost connection, an I/O error, or a closed client.
        return StoreError::Unavailable(e.to_string());
    };
    let code = db.code();
    if *code == SqlState::UNIQUE_VIOLATION {
        if let Some(which) = db
            .constraint()
            .and_then(|name| unique.iter().find(|(n, _)| *n == name))
        {
            return StoreError::UniqueViolation(which.1);
        }
    }
    if *code == SqlState::T_R_SERIALIZATION_FAILURE
        || *code == SqlState::T_R_DEADLOCK_DETECTED
        || *code == SqlState::LOCK_NOT_AVAILABLE
    {
        return StoreError::Busy(format!("{} ({})", db.message(), code.code()));
    }
    let class = &code.code()[..2.min(code.code().len())];
    if class == "08"
        || *code == SqlState::ADMIN_SHUTDOWN
        || *code == SqlState::CRASH_SHUTDOWN
        || *code == SqlState::CANNOT_CONNECT_NOW
        || *code == SqlState::TOO_MANY_CONNECTIONS
    {
        return StoreError::Unavailable(format!("{} ({})", db.message(), code.code()));
    }
    StoreError::Other(format!("{} ({})", db.message(), code.code()))
}

/// Getting a pooled connection: any failure to open one is the server being unavailable; waiting too long for
/// a free one is contention.
fn classify_pool(e: PoolError) -> StoreError {
    match e {
        PoolError::Timeout(TimeoutType::Wait) => {
            StoreError::Busy("no pooled connection became free in time".into())
        }
        PoolError::Timeout(_) => {
            StoreError::Unavailable("no connection to the server could be made in time".into())
        }
        PoolError::Backend(e) => match classify(&e, &[]) {
            StoreError::Other(m) => StoreError::Unavailable(m),
            mapped => mapped,
        },
        e => StoreError::Unavailable(e.to_string()),
    }
}

/// A 64-bit advisory lock key for `purpose` on `schema`: stable across processes and versions (SHA-256), so
/// every process computes the same key for the same schema and none for another.
fn lock_key(purpose: &str, schema: &str) -> i64 {
    let digest = Sha256::digest(format!("authcore:{purpose}:{schema}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

/// The TLS client configuration for `sslmode=require`: rustls with the ring provider, the webpki roots and the
/// application's own.
fn tls_config(extra_roots: &[Vec<u8>]) -> StoreResult<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for der in extra_roots {
        roots
            .add(rustls::pki_types::CertificateDer::from(der.clone()))
            .map_err(|e| StoreError::InvalidInput {
                field: "tlsRootCertificates".into(),
                message: format!("not a usable root certificate (DER): {e}"),
            })?;
    }
    // ring rather than aws-lc-rs, as the OAuth client (see oauth/http.rs); set per connection, never globally.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::Other(format!("TLS set-up: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// A schema name that needs no quoting: it is interpolated into `search_path` and DDL.
pub(crate) fn validate_schema(schema: &str) -> StoreResult<()> {
    let mut chars = schema.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if first_ok && rest_ok && schema.len() <= 63 && !schema.starts_with("pg_") {
        Ok(())
    } else {
        Err(StoreError::InvalidInput {
            field: "schema".into(),
            message: "a schema name is 1-63 lowercase letters, digits or '_', starting with a letter or '_' \
                      (not 'pg_')"
                .into(),
        })
    }
}

/// Runs `work` on the I/O runtime within `limit` and waits for it here.
fn on_io_within<T: Send + 'static>(
    limit: Duration,
    work: impl Future<Output = StoreResult<T>> + Send + 'static,
) -> StoreResult<T> {
    // The timer is made inside the task: it needs the I/O runtime's time driver, which this thread lacks.
    match wait_on_io(async move { tokio::time::timeout(limit, work).await }) {
        Some(Ok(r)) => r,
        Some(Err(_)) => Err(StoreError::Unavailable(format!(
            "the database did not answer within {} s",
            limit.as_secs()
        ))),
        None => Err(StoreError::Other(
            "the I/O runtime is unavailable (or the store was called from one of its threads)"
                .into(),
        )),
    }
}

impl PostgresStore {
    /// Connects, creates the schema if needed and applies pending migrations under an advisory lock. A schema
    /// whose version is newer than this library is refused ([`StoreError::SchemaTooNew`]), never run on. Waits
    /// on the calling thread (see the module comment).
    pub fn open(options: PostgresOptions) -> StoreResult<PostgresStore> {
        validate_schema(&options.schema)?;
        let invalid = |message: &str| StoreError::InvalidInput {
            field: "database".into(),
            message: message.into(),
        };
        // The parser's message could quote the URL, password included: it is not repeated.
        let mut config: tokio_postgres::Config = options
            .url
            .parse()
            .map_err(|_| invalid("not a valid PostgreSQL connection URL"))?;
        let tls = if config.get_ssl_mode() == SslMode::Require {
            Some(tls_config(&options.tls_root_certificates)?)
        } else {
            None
        };
        let mut server_options = config.get_options().unwrap_or_default().to_string();
        server_options.push_str(&format!(
            " -c search_path={} -c lock_timeout={}",
            options.schema,
            options.lock_timeout.as_millis().max(1)
        ));
        config.options(server_options.trim());
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(options.connect_timeout);
        }
        if config.get_application_name().is_none() {
            config.application_name("authcore");
        }
        let manager_config = ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        };
        let manager = match tls {
            Some(tls) => Manager::from_config(
                config,
                tokio_postgres_rustls::MakeRustlsConnect::new(tls),
                manager_config,
            ),
            None => Manager::from_config(config, NoTls, manager_config),
        };
        let pool = Pool::builder(manager)
            .max_size(options.max_connections.max(1))
            .wait_timeout(Some(options.pool_wait))
            .create_timeout(Some(options.connect_timeout))
            .recycle_timeout(Some(options.connect_timeout))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(other)?;
        let shared = Arc::new(Shared {
            pool,
            writer_key: lock_key("writer", &options.schema),
            schema: options.schema.clone(),
            answer_timeout: options.answer_timeout,
        });
        Self::migrate(&shared)?;
        Ok(PostgresStore { shared })
    }

    /// Applies the pending migrations in one transaction holding the schema's migration lock, so processes
    /// opening together wait for each other and then find the work done.
    fn migrate(shared: &Arc<Shared>) -> StoreResult<()> {
        let pool = shared.pool.clone();
        let schema = shared.schema.clone();
        let key = lock_key("migrate", &schema);
        on_io_within(shared.answer_timeout, async move {
            let mut client = pool.get().await.map_err(classify_pool)?;
            let fail = |e: tokio_postgres::Error| classify(&e, &[]);
            let tx = client.transaction().await.map_err(fail)?;
            tx.batch_execute(&format!(
                "SELECT pg_advisory_xact_lock({key}); \
                 CREATE SCHEMA IF NOT EXISTS {schema}; \
                 SET LOCAL search_path TO {schema}; \
                 CREATE TABLE IF NOT EXISTS schema_migrations \
                   (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL);"
            ))
            .await
            .map_err(fail)?;
            let applied: Vec<i64> = tx
                .query("SELECT version FROM schema_migrations", &[])
                .await
                .map_err(fail)?
                .iter()
                .map(|r| r.try_get::<_, i64>(0))
                .collect::<Result<_, _>>()
                .map_err(other)?;
            let found = applied.iter().copied().max().unwrap_or(0);
            if found > LATEST_VERSION {
                return Err(StoreError::SchemaTooNew {
                    found,
                    supported: LATEST_VERSION,
                });
            }
            for (version, sql) in migrations::MIGRATIONS {
                if applied.contains(version) {
                    continue;
                }
                tx.batch_execute(sql).await.map_err(fail)?;
                tx.execute(
                    "INSERT INTO schema_migrations (version, applied_at) \
                     VALUES ($1, EXTRACT(EPOCH FROM now())::BIGINT)",
                    &[version],
                )
                .await
                .map_err(fail)?;
            }
            tx.commit().await.map_err(fail)
        })
    }

    /// The schema version now in the database.
    pub fn schema_version(&self) -> StoreResult<i64> {
        let mut tx = self.begin(false)?;
        let rows = tx.query(
            "SELECT COALESCE(MAX(version), 0)::BIGINT FROM schema_migrations",
            args![],
        )?;
        rows.first().map(|r| get::<i64>(r, 0)).unwrap_or(Ok(0))
    }

    /// The schema this store uses.
    pub fn schema(&self) -> &str {
        &self.shared.schema
    }

    /// Takes a pooled connection and begins a transaction on it (a writer also takes the writer lock).
    fn begin(&self, writer: bool) -> StoreResult<PgTx> {
        let pool = self.shared.pool.clone();
        let begin = if writer {
            format!(
                "BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock({})",
                self.shared.writer_key
            )
        } else {
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY".to_string()
        };
        let client = on_io_within(self.shared.answer_timeout, async move {
            let client = pool.get().await.map_err(classify_pool)?;
            match client.batch_execute(&begin).await {
                Ok(()) => Ok(client),
                Err(e) => {
                    // A BEGIN that went through but whose lock wait failed leaves an aborted transaction open:
                    // end it before the connection goes back, or discard the connection.
                    if client.batch_execute("ROLLBACK").await.is_err() {
                        drop(Object::take(client));
                    }
                    Err(classify(&e, &[]))
                }
            }
        })?;
        Ok(PgTx {
            client: Some(Arc::new(client)),
            open: true,
            broken: false,
            answer_timeout: self.shared.answer_timeout,
            tenants: HashMap::new(),
        })
    }
}

impl Store for PostgresStore {
    fn write(&self) -> StoreResult<Box<dyn StoreTx>> {
        Ok(Box::new(self.begin(true)?))
    }

    fn read(&self) -> StoreResult<Box<dyn StoreTx>> {
        Ok(Box::new(self.begin(false)?))
    }

    fn remote(&self) -> bool {
        true
    }
}

/// A transaction on a pooled connection it owns until it ends (commit, or rollback on drop).
struct PgTx {
    /// Shared with the I/O task running the current statement; `None` only once drop has handed it back.
    client: Option<Arc<Object>>,
    open: bool,
    /// The connection stopped answering or failed mid-statement: it is never used again nor pooled.
    broken: bool,
    answer_timeout: Duration,
    /// Tenant configurations read in this transaction (a request reads its tenant at several steps).
    tenants: HashMap<String, Option<TenantConfig>>,
}

/// Drops a connection instead of pooling it (deadpool's `take` detaches it from the pool).
fn discard(client: Arc<Object>) {
    if let Ok(object) = Arc::try_unwrap(client) {
        drop(Object::take(object));
    }
}

impl Drop for PgTx {
    fn drop(&mut self) {
        let Some(client) = self.client.take() else {
            return;
        };
        if self.broken {
            discard(client);
            return;
        }
        if !self.open {
            return; // back to the pool
        }
        // The rollback runs on the I/O runtime; the connection returns to the pool when it is done, so no one
        // else can get it in the middle of this transaction.
        let limit = self.answer_timeout;
        match io_runtime() {
            Some(runtime) => {
                runtime.spawn(async move {
                    let rolled_back =
                        tokio::time::timeout(limit, client.batch_execute("ROLLBACK")).await;
                    if !matches!(rolled_back, Ok(Ok(()))) {
                        discard(client);
                    }
                });
            }
            None => discard(client),
        }
    }
}

fn get<'a, T: FromSql<'a>>(row: &'a Row, idx: usize) -> StoreResult<T> {
    row.try_get(idx).map_err(other)
}

fn refs(params: &[Param]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| &**p as &(dyn ToSql + Sync)).collect()
}

impl PgTx {
    /// One hand-off to the I/O runtime: `work` gets the connection and its error is classified with `unique`.
    /// A connection that fails or stops answering marks the transaction broken.
    fn io<T: Send + 'static>(
        &mut self,
        unique: UniqueMap,
        work: impl FnOnce(Arc<Object>) -> PgFuture<T> + Send + 'static,
    ) -> StoreResult<T> {
        if self.broken {
            return Err(StoreError::Unavailable(
                "the transaction's connection was lost".into(),
            ));
        }
        let client = self
            .client
            .clone()
            .ok_or_else(|| StoreError::Other("the transaction has ended".into()))?;
        let result = on_io_within(self.answer_timeout, async move {
            work(client).await.map_err(|e| classify(&e, unique))
        });
        if matches!(result, Err(StoreError::Unavailable(_))) {
            self.broken = true;
        }
        result
    }

    fn query(&mut self, sql: impl Into<String>, params: Vec<Param>) -> StoreResult<Vec<Row>> {
        let sql = sql.into();
        self.io(&[], move |c| {
            Box::pin(async move {
                let stmt = c.prepare_cached(&sql).await?;
                c.query(&stmt, &refs(&params)).await
            })
        })
    }

    fn execute(&mut self, sql: impl Into<String>, params: Vec<Param>) -> StoreResult<u64> {
        let sql = sql.into();
        self.io(&[], move |c| {
            Box::pin(async move {
                let stmt = c.prepare_cached(&sql).await?;
                c.execute(&stmt, &refs(&params)).await
            })
        })
    }

    /// A statement that may violate one of `unique`, run in a savepoint of its own: a violation undoes the
    /// statement only and leaves the transaction usable (PostgreSQL aborts the whole transaction otherwise).
    fn execute_guarded(
        &mut self,
        sql: impl Into<String>,
        params: Vec<Param>,
        unique: UniqueMap,
    ) -> StoreResult<u64> {
        let sql = sql.into();
        self.io(unique, move |c| {
            Box::pin(async move {
                let stmt = c.prepare_cached(&sql).await?;
                c.batch_execute("SAVEPOINT authcore_statement").await?;
                match c.execute(&stmt, &refs(&params)).await {
                    Ok(n) => {
                        c.batch_execute("RELEASE SAVEPOINT authcore_statement")
                            .await?;
                        Ok(n)
                    }
                    Err(e) => {
                        c.batch_execute(
                            "ROLLBACK TO SAVEPOINT authcore_statement; \
                             RELEASE SAVEPOINT authcore_statement",
                        )
                        .await?;
                        Err(e)
                    }
                }
            })
        })
    }

    /// Statements without parameters, in one round trip.
    fn batch(&mut self, sql: impl Into<String>) -> StoreResult<()> {
        let sql = sql.into();
        self.io(&[], move |c| {
            Box::pin(async move { c.batch_execute(&sql).await })
        })
    }

    fn strings(&mut self, sql: impl Into<String>, params: Vec<Param>) -> StoreResult<Vec<String>> {
        self.query(sql, params)?
            .iter()
            .map(|r| get::<String>(r, 0))
            .collect()
    }

    fn exists(&mut self, sql: impl Into<String>, params: Vec<Param>) -> StoreResult<bool> {
        match self.query(sql, params)?.first() {
            Some(r) => get::<bool>(r, 0),
            None => Ok(false),
        }
    }

    fn rows(
        &mut self,
        sql: impl Into<String>,
        params: Vec<Param>,
    ) -> StoreResult<Vec<RecipeUserRow>> {
        self.query(sql, params)?.iter().map(read_row).collect()
    }

    fn raise_seq_floor(&mut self, seq: i64) -> StoreResult<()> {
        self.execute(
            "UPDATE event_outbox_state SET seq_floor = GREATEST(seq_floor, $1) WHERE id = 1",
            args![seq],
        )?;
        Ok(())
    }
}

const ROW_COLUMNS: &str = "r.recipe_user_id, r.primary_or_recipe_user_id, r.is_linked_or_primary, r.email, \
    r.phone_number, r.third_party_id, r.third_party_user_id, r.time_joined, \
    ARRAY(SELECT t.tenant_id FROM recipe_user_tenants t WHERE t.recipe_user_id = r.recipe_user_id \
        ORDER BY t.tenant_id), \
    EXISTS(SELECT 1 FROM verified_emails v WHERE v.recipe_user_id = r.recipe_user_id AND v.email = r.email), \
    EXISTS(SELECT 1 FROM verified_emails v WHERE v.recipe_user_id = r.recipe_user_id AND v.email = r.email \
        AND v.gen = r.email_gen)";

fn read_row(r: &Row) -> StoreResult<RecipeUserRow> {
    let tp_id: Option<String> = get(r, 5)?;
    let tp_uid: Option<String> = get(r, 6)?;
    let mut tenant_ids: Vec<String> = get(r, 8)?;
    tenant_ids.sort();
    Ok(RecipeUserRow {
        recipe_user_id: get(r, 0)?,
        primary_or_recipe_user_id: get(r, 1)?,
        is_linked_or_primary: get(r, 2)?,
        email: get(r, 3)?,
        phone_number: get(r, 4)?,
        third_party: match (tp_id, tp_uid) {
            (Some(id), Some(user_id)) => Some(ThirdPartyInfo { id, user_id }),
            _ => None,
        },
        time_joined: get(r, 7)?,
        tenant_ids,
        verified: get(r, 9)?,
        verification_current: get(r, 10)?,
    })
}

const EVENT_COLUMNS: &str =
    "seq, event_id, name, time, tenant_id, user_id, payload, delivered_at, attempts, last_error, tenant_ids, \
     lease_until, claimed_by";

fn read_event(r: &Row) -> StoreResult<EventRow> {
    let tenant_id: Option<String> = get(r, 4)?;
    let tenant_ids = match get::<Option<String>>(r, 10)? {
        None => tenant_id.iter().cloned().collect(),
        Some(json) => serde_json::from_str(&json).map_err(other)?,
    };
    Ok(EventRow {
        seq: get(r, 0)?,
        event_id: get(r, 1)?,
        name: get(r, 2)?,
        time: get(r, 3)?,
        tenant_id,
        tenant_ids,
        user_id: get(r, 5)?,
        payload: get(r, 6)?,
        delivered_at: get(r, 7)?,
        attempts: get(r, 8)?,
        last_error: get(r, 9)?,
        lease_until: get(r, 11)?,
        claimed_by: get(r, 12)?,
    })
}

fn limit_of(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// The constraint names of the schema (migration 1) that statements classify errors by. The other unique keys
/// the engine handles (the recipe user id, U3, the session handle) are named in the statements' own
/// `ON CONFLICT ON CONSTRAINT` clauses, so hitting them writes no row instead of failing.
const MEMBERSHIP_KEY: &str = "recipe_user_tenants_pkey";
const U1: &str = "recipe_user_tenants_u1";

impl StoreTx for PgTx {
    fn commit(mut self: Box<Self>) -> StoreResult<()> {
        self.batch("COMMIT")?;
        self.open = false;
        Ok(())
    }

    fn savepoint(&mut self) -> StoreResult<()> {
        self.batch("SAVEPOINT step")
    }

    fn release_savepoint(&mut self) -> StoreResult<()> {
        self.batch("RELEASE SAVEPOINT step")
    }

    fn rollback_to_savepoint(&mut self) -> StoreResult<()> {
        self.tenants.clear();
        self.batch("ROLLBACK TO SAVEPOINT step; RELEASE SAVEPOINT step")
    }

    fn recipe_user(&mut self, recipe_user_id: &str) -> StoreResult<Option<RecipeUserRow>> {
        let sql = format!("SELECT {ROW_COLUMNS} FROM recipe_users r WHERE r.recipe_user_id = $1");
        Ok(self
            .rows(sql, args![recipe_user_id.to_string()])?
            .into_iter()
            .next())
    }

    fn group_id_of(&mut self, user_id: &str) -> StoreResult<Option<String>> {
        // A recipe user's own id answers first; else the id of a group whose own row is gone.
        let found = self.strings(
            "SELECT primary_or_recipe_user_id FROM recipe_users WHERE recipe_user_id = $1",
            args![user_id.to_string()],
        )?;
        if let Some(g) = found.into_iter().next() {
            return Ok(Some(g));
        }
        Ok(self
            .strings(
                "SELECT primary_or_recipe_user_id FROM recipe_users WHERE primary_or_recipe_user_id = $1 \
                 LIMIT 1",
                args![user_id.to_string()],
            )?
            .into_iter()
            .next())
    }

    fn group_members(&mut self, group_id: &str) -> StoreResult<Vec<RecipeUserRow>> {
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM recipe_users r WHERE r.primary_or_recipe_user_id = $1 \
             ORDER BY r.time_joined, r.seq"
        );
        self.rows(sql, args![group_id.to_string()])
    }

    fn group_of_third_party_user(
        &mut self,
        tenant_id: &str,
        tp: &ThirdPartyInfo,
    ) -> StoreResult<Vec<RecipeUserRow>> {
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM recipe_users r WHERE r.primary_or_recipe_user_id = \
             (SELECT r2.primary_or_recipe_user_id FROM recipe_user_tenants t \
              JOIN recipe_users r2 ON r2.recipe_user_id = t.recipe_user_id \
              WHERE t.tenant_id = $1 AND t.third_party_id = $2 AND t.third_party_user_id = $3) \
             ORDER BY r.time_joined, r.seq"
        );
        self.rows(
            sql,
            args![tenant_id.to_string(), tp.id.clone(), tp.user_id.clone()],
        )
    }

    fn user_id_taken(&mut self, user_id: &str) -> StoreResult<bool> {
        Ok(self.group_id_of(user_id)?.is_some())
    }

    fn insert_third_party_user(&mut self, u: &NewRecipeUser<'_>) -> StoreResult<()> {
        // ON CONFLICT DO NOTHING keeps the transaction usable; no row written means the id is taken.
        let n = self.execute(
            "INSERT INTO recipe_users (recipe_user_id, primary_or_recipe_user_id, is_linked_or_primary, \
             recipe_id, email, third_party_id, third_party_user_id, time_joined) \
             VALUES ($1, $1, FALSE, 'thirdparty', $2, $3, $4, $5) \
             ON CONFLICT ON CONSTRAINT recipe_users_recipe_user_id_key DO NOTHING",
            args![
                u.recipe_user_id.to_string(),
                u.email.to_string(),
                u.third_party.id.clone(),
                u.third_party.user_id.clone(),
                u.time_joined
            ],
        )?;
        if n == 0 {
            return Err(StoreError::UniqueViolation(Constraint::UserId));
        }
        // The membership's primary key cannot conflict for a recipe user just inserted; U1 can.
        self.execute_guarded(
            "INSERT INTO recipe_user_tenants (recipe_user_id, tenant_id, third_party_id, third_party_user_id) \
             VALUES ($1, $2, $3, $4)",
            args![
                u.recipe_user_id.to_string(),
                u.tenant_id.to_string(),
                u.third_party.id.clone(),
                u.third_party.user_id.clone()
            ],
            &[
                (MEMBERSHIP_KEY, Constraint::UserId),
                (U1, Constraint::ThirdPartyInTenant),
            ],
        )?;
        Ok(())
    }

    fn set_email(&mut self, recipe_user_id: &str, email: &str) -> StoreResult<()> {
        self.execute(
            "UPDATE recipe_users SET email = $2, email_gen = email_gen + 1 WHERE recipe_user_id = $1",
            args![recipe_user_id.to_string(), email.to_string()],
        )?;
        Ok(())
    }

    fn set_group(
        &mut self,
        recipe_user_id: &str,
        group_id: &str,
        is_linked_or_primary: bool,
    ) -> StoreResult<()> {
        self.execute(
            "UPDATE recipe_users SET primary_or_recipe_user_id = $2, is_linked_or_primary = $3 \
             WHERE recipe_user_id = $1",
            args![
                recipe_user_id.to_string(),
                group_id.to_string(),
                is_linked_or_primary
            ],
        )?;
        Ok(())
    }

    fn delete_recipe_user(&mut self, recipe_user_id: &str) -> StoreResult<()> {
        self.execute(
            "DELETE FROM recipe_users WHERE recipe_user_id = $1",
            args![recipe_user_id.to_string()],
        )?;
        Ok(())
    }

    fn add_user_to_tenant(&mut self, recipe_user_id: &str, tenant_id: &str) -> StoreResult<bool> {
        let n = self.execute_guarded(
            "INSERT INTO recipe_user_tenants (recipe_user_id, tenant_id, third_party_id, third_party_user_id) \
             SELECT recipe_user_id, $2::TEXT, third_party_id, third_party_user_id FROM recipe_users \
             WHERE recipe_user_id = $1 \
             ON CONFLICT ON CONSTRAINT recipe_user_tenants_pkey DO NOTHING",
            args![recipe_user_id.to_string(), tenant_id.to_string()],
            // The primary key is handled by ON CONFLICT; what remains is U1.
            &[(U1, Constraint::ThirdPartyInTenant)],
        )?;
        Ok(n > 0)
    }

    fn remove_user_from_tenant(
        &mut self,
        recipe_user_id: &str,
        tenant_id: &str,
    ) -> StoreResult<bool> {
        let n = self.execute(
            "DELETE FROM recipe_user_tenants WHERE recipe_user_id = $1 AND tenant_id = $2",
            args![recipe_user_id.to_string(), tenant_id.to_string()],
        )?;
        Ok(n > 0)
    }

    fn group_ids_by_email(&mut self, tenant_id: &str, email: &str) -> StoreResult<Vec<String>> {
        self.strings(
            "SELECT DISTINCT r.primary_or_recipe_user_id FROM recipe_users r WHERE r.email = $2 AND EXISTS \
             (SELECT 1 FROM recipe_user_tenants t WHERE t.recipe_user_id = r.recipe_user_id AND t.tenant_id = $1)",
            args![tenant_id.to_string(), email.to_string()],
        )
    }

    fn group_ids_by_phone(&mut self, tenant_id: &str, phone: &str) -> StoreResult<Vec<String>> {
        self.strings(
            "SELECT DISTINCT r.primary_or_recipe_user_id FROM recipe_users r WHERE r.phone_number = $2 AND EXISTS \
             (SELECT 1 FROM recipe_user_tenants t WHERE t.recipe_user_id = r.recipe_user_id AND t.tenant_id = $1)",
            args![tenant_id.to_string(), phone.to_string()],
        )
    }

    fn group_ids_by_third_party(
        &mut self,
        tenant_id: &str,
        tp: &ThirdPartyInfo,
    ) -> StoreResult<Vec<String>> {
        self.strings(
            "SELECT DISTINCT r.primary_or_recipe_user_id FROM recipe_user_tenants t \
             JOIN recipe_users r ON r.recipe_user_id = t.recipe_user_id \
             WHERE t.tenant_id = $1 AND t.third_party_id = $2 AND t.third_party_user_id = $3",
            args![tenant_id.to_string(), tp.id.clone(), tp.user_id.clone()],
        )
    }

    fn count_groups(&mut self, tenant_id: Option<&str>) -> StoreResult<u64> {
        let rows = match tenant_id {
            Some(t) => self.query(
                "SELECT COUNT(DISTINCT r.primary_or_recipe_user_id) FROM recipe_users r \
                 JOIN recipe_user_tenants t ON t.recipe_user_id = r.recipe_user_id WHERE t.tenant_id = $1",
                args![t.to_string()],
            )?,
            None => self.query(
                "SELECT COUNT(DISTINCT primary_or_recipe_user_id) FROM recipe_users",
                args![],
            )?,
        };
        let n: i64 = match rows.first() {
            Some(r) => get(r, 0)?,
            None => 0,
        };
        Ok(n.max(0) as u64)
    }

    fn list_groups(
        &mut self,
        tenant_id: Option<&str>,
        after: Option<&ListCursor>,
        descending: bool,
        limit: usize,
    ) -> StoreResult<Vec<ListCursor>> {
        let (cmp, order) = if descending {
            ("<", "DESC")
        } else {
            (">", "ASC")
        };
        let mut params: Vec<Param> = Vec::new();
        let mut sql = String::from(
            "SELECT r.primary_or_recipe_user_id, MIN(r.time_joined) FROM recipe_users r ",
        );
        if let Some(t) = tenant_id {
            params.push(Box::new(t.to_string()));
            sql.push_str(&format!(
                "WHERE r.primary_or_recipe_user_id IN (SELECT r2.primary_or_recipe_user_id FROM recipe_users r2 \
                 JOIN recipe_user_tenants t ON t.recipe_user_id = r2.recipe_user_id WHERE t.tenant_id = ${}) ",
                params.len()
            ));
        }
        sql.push_str("GROUP BY r.primary_or_recipe_user_id ");
        if let Some((time, group)) = after {
            params.push(Box::new(*time));
            params.push(Box::new(group.clone()));
            sql.push_str(&format!(
                "HAVING (MIN(r.time_joined), r.primary_or_recipe_user_id) {cmp} (${}::BIGINT, ${}::TEXT) ",
                params.len() - 1,
                params.len()
            ));
        }
        params.push(Box::new(limit_of(limit)));
        sql.push_str(&format!(
            "ORDER BY MIN(r.time_joined) {order}, r.primary_or_recipe_user_id {order} LIMIT ${}",
            params.len()
        ));
        self.query(sql, params)?
            .iter()
            .map(|r| Ok((get::<i64>(r, 1)?, get::<String>(r, 0)?)))
            .collect()
    }

    fn reservations_of(&mut self, group_id: &str) -> StoreResult<Vec<Reservation>> {
        self.query(
            "SELECT tenant_id, kind, value, value2 FROM primary_user_reservations WHERE primary_user_id = $1",
            args![group_id.to_string()],
        )?
        .iter()
        .map(|r| {
            Ok(Reservation {
                tenant_id: get(r, 0)?,
                key: AccountKey::from_columns(&get::<String>(r, 1)?, get(r, 2)?, get(r, 3)?)?,
            })
        })
        .collect()
    }

    fn reservation_holder(&mut self, res: &Reservation) -> StoreResult<Option<String>> {
        let (kind, v, v2) = res.key.columns();
        let (v, v2) = (v.to_string(), v2.to_string());
        Ok(self
            .strings(
                "SELECT primary_user_id FROM primary_user_reservations \
                 WHERE tenant_id = $1 AND kind = $2 AND value = $3 AND value2 = $4",
                args![res.tenant_id.clone(), kind.to_string(), v, v2],
            )?
            .into_iter()
            .next())
    }

    fn insert_reservation(&mut self, res: &Reservation, group_id: &str) -> StoreResult<()> {
        let (kind, v, v2) = res.key.columns();
        let (v, v2) = (v.to_string(), v2.to_string());
        // U3 is the primary key: a row held by anyone (this group included) is a violation, as on SQLite.
        let n = self.execute(
            "INSERT INTO primary_user_reservations (tenant_id, kind, value, value2, primary_user_id) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT ON CONSTRAINT primary_user_reservations_pkey DO NOTHING",
            args![
                res.tenant_id.clone(),
                kind.to_string(),
                v,
                v2,
                group_id.to_string()
            ],
        )?;
        if n == 0 {
            return Err(StoreError::UniqueViolation(Constraint::Reservation));
        }
        Ok(())
    }

    fn delete_reservation(&mut self, res: &Reservation, group_id: &str) -> StoreResult<()> {
        let (kind, v, v2) = res.key.columns();
        let (v, v2) = (v.to_string(), v2.to_string());
        self.execute(
            "DELETE FROM primary_user_reservations \
             WHERE tenant_id = $1 AND kind = $2 AND value = $3 AND value2 = $4 AND primary_user_id = $5",
            args![
                res.tenant_id.clone(),
                kind.to_string(),
                v,
                v2,
                group_id.to_string()
            ],
        )?;
        Ok(())
    }

    fn is_email_verified(&mut self, recipe_user_id: &str, email: &str) -> StoreResult<bool> {
        self.exists(
            "SELECT EXISTS(SELECT 1 FROM verified_emails WHERE recipe_user_id = $1 AND email = $2)",
            args![recipe_user_id.to_string(), email.to_string()],
        )
    }

    fn set_email_verified(&mut self, recipe_user_id: &str, email: &str) -> StoreResult<bool> {
        let n = self.execute(
            "INSERT INTO verified_emails (recipe_user_id, email, gen) \
             SELECT $1::TEXT, $2::TEXT, email_gen FROM recipe_users WHERE recipe_user_id = $1 \
             ON CONFLICT (recipe_user_id, email) DO NOTHING",
            args![recipe_user_id.to_string(), email.to_string()],
        )?;
        if n == 0 {
            // Already verified: a fresh verification makes it current again.
            self.execute(
                "UPDATE verified_emails SET gen = (SELECT email_gen FROM recipe_users WHERE recipe_user_id = $1) \
                 WHERE recipe_user_id = $1 AND email = $2",
                args![recipe_user_id.to_string(), email.to_string()],
            )?;
        }
        Ok(n > 0)
    }

    fn unset_email_verified(&mut self, recipe_user_id: &str, email: &str) -> StoreResult<bool> {
        let n = self.execute(
            "DELETE FROM verified_emails WHERE recipe_user_id = $1 AND email = $2",
            args![recipe_user_id.to_string(), email.to_string()],
        )?;
        Ok(n > 0)
    }

    fn is_verification_current(&mut self, recipe_user_id: &str, email: &str) -> StoreResult<bool> {
        self.exists(
            "SELECT EXISTS(SELECT 1 FROM recipe_users r JOIN verified_emails v \
             ON v.recipe_user_id = r.recipe_user_id AND v.email = r.email AND v.gen = r.email_gen \
             WHERE r.recipe_user_id = $1 AND r.email = $2)",
            args![recipe_user_id.to_string(), email.to_string()],
        )
    }

    fn tenant(&mut self, tenant_id: &str) -> StoreResult<Option<TenantConfig>> {
        if let Some(cached) = self.tenants.get(tenant_id) {
            return Ok(cached.clone());
        }
        let json = self
            .strings(
                "SELECT config FROM tenants WHERE tenant_id = $1",
                args![tenant_id.to_string()],
            )?
            .into_iter()
            .next();
        let config: Option<TenantConfig> = json
            .map(|j| serde_json::from_str(&j).map_err(other))
            .transpose()?;
        self.tenants.insert(tenant_id.to_string(), config.clone());
        Ok(config)
    }

    fn upsert_tenant(
        &mut self,
        tenant_id: &str,
        config: &TenantConfig,
        now: i64,
    ) -> StoreResult<bool> {
        let json = serde_json::to_string(config).map_err(other)?;
        let existed = self.tenant(tenant_id)?.is_some();
        self.execute(
            "INSERT INTO tenants (tenant_id, config, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (tenant_id) DO UPDATE SET config = EXCLUDED.config",
            args![tenant_id.to_string(), json, now],
        )?;
        self.tenants
            .insert(tenant_id.to_string(), Some(config.clone()));
        Ok(!existed)
    }

    fn delete_tenant(&mut self, tenant_id: &str) -> StoreResult<bool> {
        self.tenants.insert(tenant_id.to_string(), None);
        self.execute(
            "DELETE FROM sessions WHERE tenant_id = $1",
            args![tenant_id.to_string()],
        )?;
        let n = self.execute(
            "DELETE FROM tenants WHERE tenant_id = $1",
            args![tenant_id.to_string()],
        )?;
        Ok(n > 0)
    }

    fn list_tenants(&mut self) -> StoreResult<Vec<(String, TenantConfig)>> {
        self.query(
            "SELECT tenant_id, config FROM tenants ORDER BY tenant_id",
            args![],
        )?
        .iter()
        .map(|r| {
            let json: String = get(r, 1)?;
            Ok((get(r, 0)?, serde_json::from_str(&json).map_err(other)?))
        })
        .collect()
    }

    fn insert_session(&mut self, s: &SessionRow) -> StoreResult<()> {
        let n = self.execute(
            "INSERT INTO sessions (session_handle, secret_hash, user_id, recipe_user_id, tenant_id, \
             access_token_payload, time_created, expiry) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT ON CONSTRAINT sessions_pkey DO NOTHING",
            args![
                s.session_handle.clone(),
                s.secret_hash.clone(),
                s.user_id.clone(),
                s.recipe_user_id.clone(),
                s.tenant_id.clone(),
                s.access_token_payload.clone(),
                s.time_created,
                s.expiry
            ],
        )?;
        if n == 0 {
            return Err(StoreError::UniqueViolation(Constraint::SessionHandle));
        }
        Ok(())
    }

    fn insert_oauth_flow(&mut self, r: &OAuthFlowRow) -> StoreResult<()> {
        self.execute(
            "INSERT INTO oauth_flows (state_hash, tenant_id, third_party_id, client_type, redirect_uri, \
             pkce_code_verifier, nonce, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            args![
                r.state_hash.clone(),
                r.tenant_id.clone(),
                r.third_party_id.clone(),
                r.client_type.clone(),
                r.redirect_uri.clone(),
                r.pkce_code_verifier.clone(),
                r.nonce.clone(),
                r.expires_at
            ],
        )?;
        Ok(())
    }

    fn take_oauth_flow(&mut self, state_hash: &[u8], now: i64) -> StoreResult<FlowTake> {
        let rows = self.query(
            "SELECT tenant_id, third_party_id, client_type, redirect_uri, pkce_code_verifier, nonce, \
             expires_at, used FROM oauth_flows WHERE state_hash = $1",
            args![state_hash.to_vec()],
        )?;
        let Some(r) = rows.first() else {
            return Ok(FlowTake::Unknown);
        };
        let row = OAuthFlowRow {
            state_hash: state_hash.to_vec(),
            tenant_id: get(r, 0)?,
            third_party_id: get(r, 1)?,
            client_type: get(r, 2)?,
            redirect_uri: get(r, 3)?,
            pkce_code_verifier: get(r, 4)?,
            nonce: get(r, 5)?,
            expires_at: get(r, 6)?,
        };
        if get::<bool>(r, 7)? {
            return Ok(FlowTake::Used);
        }
        self.execute(
            "UPDATE oauth_flows SET used = TRUE WHERE state_hash = $1",
            args![state_hash.to_vec()],
        )?;
        Ok(if row.expires_at <= now {
            FlowTake::Expired
        } else {
            FlowTake::Taken(row)
        })
    }

    fn delete_stale_oauth_flows(&mut self, before: i64, limit: usize) -> StoreResult<usize> {
        let n = self.execute(
            "DELETE FROM oauth_flows WHERE state_hash IN \
             (SELECT state_hash FROM oauth_flows WHERE expires_at < $1 ORDER BY expires_at LIMIT $2)",
            args![before, limit_of(limit)],
        )?;
        Ok(n as usize)
    }

    fn session(&mut self, session_handle: &str) -> StoreResult<Option<SessionRow>> {
        let rows = self.query(
            "SELECT session_handle, secret_hash, user_id, recipe_user_id, tenant_id, access_token_payload, \
             time_created, expiry FROM sessions WHERE session_handle = $1",
            args![session_handle.to_string()],
        )?;
        rows.first()
            .map(|r| {
                Ok(SessionRow {
                    session_handle: get(r, 0)?,
                    secret_hash: get(r, 1)?,
                    user_id: get(r, 2)?,
                    recipe_user_id: get(r, 3)?,
                    tenant_id: get(r, 4)?,
                    access_token_payload: get(r, 5)?,
                    time_created: get(r, 6)?,
                    expiry: get(r, 7)?,
                })
            })
            .transpose()
    }

    fn delete_session(&mut self, session_handle: &str) -> StoreResult<bool> {
        let n = self.execute(
            "DELETE FROM sessions WHERE session_handle = $1",
            args![session_handle.to_string()],
        )?;
        Ok(n > 0)
    }

    fn delete_expired_sessions(&mut self, now: i64, limit: usize) -> StoreResult<usize> {
        let n = self.execute(
            "DELETE FROM sessions WHERE session_handle IN \
             (SELECT session_handle FROM sessions WHERE expiry <= $1 ORDER BY expiry LIMIT $2)",
            args![now, limit_of(limit)],
        )?;
        Ok(n as usize)
    }

    fn sessions_in_tenant(&mut self, tenant_id: &str) -> StoreResult<Vec<String>> {
        self.strings(
            "SELECT session_handle FROM sessions WHERE tenant_id = $1",
            args![tenant_id.to_string()],
        )
    }

    fn session_handles_for(
        &mut self,
        recipe_user_ids: &[String],
        tenant_id: Option<&str>,
    ) -> StoreResult<Vec<String>> {
        let mut out = Vec::new();
        for id in recipe_user_ids {
            out.extend(match tenant_id {
                Some(t) => self.strings(
                    "SELECT session_handle FROM sessions WHERE recipe_user_id = $1 AND tenant_id = $2 \
                     ORDER BY time_created, session_handle",
                    args![id.clone(), t.to_string()],
                )?,
                None => self.strings(
                    "SELECT session_handle FROM sessions WHERE recipe_user_id = $1 \
                     ORDER BY time_created, session_handle",
                    args![id.clone()],
                )?,
            });
        }
        Ok(out)
    }

    fn insert_event(&mut self, e: &EventRow) -> StoreResult<i64> {
        // The seq goes above the newest row, both watermarks and every deleted seq: a seq is never handed out
        // twice. Writers are serialised, so reading the maximum here cannot race another writer.
        let rows = self.query(
            "INSERT INTO event_outbox (seq, event_id, name, time, tenant_id, user_id, payload, \
             delivered_at, attempts, last_error, tenant_ids, lease_until, claimed_by) \
             SELECT GREATEST(COALESCE((SELECT MAX(seq) FROM event_outbox), 0), s.delivered_through, \
             s.indexed_through, s.seq_floor) + 1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 \
             FROM event_outbox_state s WHERE s.id = 1 RETURNING seq",
            args![
                e.event_id.clone(),
                e.name.clone(),
                e.time,
                e.tenant_id.clone(),
                e.user_id.clone(),
                e.payload.clone(),
                e.delivered_at,
                e.attempts,
                e.last_error.clone(),
                super::sqlite::encode_tenant_ids(e),
                e.lease_until,
                e.claimed_by.clone()
            ],
        )?;
        match rows.first() {
            Some(r) => get(r, 0),
            None => Err(StoreError::Other(
                "the event outbox state row is missing".into(),
            )),
        }
    }

    fn mark_events_delivered(&mut self, first: i64, last: i64, at: i64) -> StoreResult<()> {
        self.execute(
            "UPDATE event_outbox SET delivered_at = $3 WHERE seq BETWEEN $1 AND $2 AND delivered_at IS NULL",
            args![first, last, at],
        )?;
        Ok(())
    }

    fn record_event_failure(&mut self, seq: i64, error: &str) -> StoreResult<()> {
        self.execute(
            "UPDATE event_outbox SET attempts = attempts + 1, last_error = $2, lease_until = NULL \
             WHERE seq = $1",
            args![seq, error.to_string()],
        )?;
        Ok(())
    }

    fn delete_undelivered_event(&mut self, seq: i64) -> StoreResult<bool> {
        let n = self.execute(
            "DELETE FROM event_outbox WHERE seq = $1 AND delivered_at IS NULL",
            args![seq],
        )?;
        if n > 0 {
            self.raise_seq_floor(seq)?;
        }
        Ok(n > 0)
    }

    fn advance_delivery_watermark(&mut self) -> StoreResult<()> {
        // The first never-attempted undelivered event after the watermark holds it back; failed events are
        // found through their own partial index, so they do not.
        self.execute(
            "UPDATE event_outbox_state s SET delivered_through = COALESCE( \
               (SELECT MIN(o.seq) - 1 FROM event_outbox o WHERE o.seq > s.delivered_through \
                  AND o.delivered_at IS NULL AND o.attempts = 0), \
               (SELECT MAX(o.seq) FROM event_outbox o), s.delivered_through) WHERE s.id = 1",
            args![],
        )?;
        Ok(())
    }

    fn pending_events(
        &mut self,
        after_seq: i64,
        time_at_most: i64,
        limit: usize,
    ) -> StoreResult<Vec<EventRow>> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM ( \
               SELECT * FROM event_outbox WHERE attempts > 0 AND delivered_at IS NULL AND seq > $1::BIGINT \
               UNION ALL \
               SELECT * FROM event_outbox WHERE seq > GREATEST($1::BIGINT, \
                   (SELECT delivered_through FROM event_outbox_state WHERE id = 1)) \
                 AND delivered_at IS NULL AND attempts = 0 AND time <= $2::BIGINT \
             ) AS pending ORDER BY seq LIMIT $3"
        );
        self.query(sql, args![after_seq, time_at_most, limit_of(limit)])?
            .iter()
            .map(read_event)
            .collect()
    }

    fn claim_events(
        &mut self,
        after_seq: i64,
        claim: &Claim<'_>,
        limit: usize,
    ) -> StoreResult<Vec<EventRow>> {
        // FOR UPDATE SKIP LOCKED: a row another transaction is claiming (or acknowledging) right now is skipped,
        // not waited for; today the writer lock already serialises claims, and this keeps them exclusive once it
        // is lifted. The lease test is made on the locked row, so a row claimed meanwhile is not taken twice.
        let sql = format!(
            "WITH due AS ( \
               SELECT seq FROM event_outbox WHERE seq IN ( \
                   SELECT seq FROM event_outbox WHERE attempts > 0 AND delivered_at IS NULL AND seq > $1::BIGINT \
                   UNION ALL \
                   SELECT seq FROM event_outbox WHERE seq > GREATEST($1::BIGINT, \
                       (SELECT delivered_through FROM event_outbox_state WHERE id = 1)) \
                     AND delivered_at IS NULL AND attempts = 0) \
                 AND delivered_at IS NULL \
                 AND (lease_until IS NULL OR lease_until <= $2::BIGINT \
                      OR ($5::BOOLEAN AND claimed_by = $4::TEXT)) \
               ORDER BY seq LIMIT $6 FOR UPDATE SKIP LOCKED) \
             UPDATE event_outbox SET lease_until = $3::BIGINT, claimed_by = $4::TEXT \
             WHERE seq IN (SELECT seq FROM due) RETURNING {EVENT_COLUMNS}"
        );
        let mut rows = self
            .query(
                sql,
                args![
                    after_seq,
                    claim.now,
                    claim.lease_until,
                    claim.claimer.to_string(),
                    claim.include_own,
                    limit_of(limit)
                ],
            )?
            .iter()
            .map(read_event)
            .collect::<StoreResult<Vec<_>>>()?;
        // RETURNING gives no order.
        rows.sort_unstable_by_key(|r| r.seq);
        Ok(rows)
    }

    fn index_audit_log(&mut self) -> StoreResult<()> {
        self.batch(
            "INSERT INTO event_audit_index (key, seq) \
               SELECT 'u:' || user_id, seq FROM event_outbox \
               WHERE user_id IS NOT NULL AND seq > (SELECT indexed_through FROM event_outbox_state WHERE id = 1) \
               ON CONFLICT DO NOTHING; \
             INSERT INTO event_audit_index (key, seq) \
               SELECT 't:' || tenant_id, seq FROM event_outbox \
               WHERE tenant_ids IS NULL AND tenant_id IS NOT NULL \
               AND seq > (SELECT indexed_through FROM event_outbox_state WHERE id = 1) \
               ON CONFLICT DO NOTHING; \
             INSERT INTO event_audit_index (key, seq) \
               SELECT DISTINCT 't:' || j.value, o.seq \
               FROM event_outbox o CROSS JOIN LATERAL jsonb_array_elements_text(o.tenant_ids::jsonb) AS j(value) \
               WHERE o.tenant_ids IS NOT NULL \
               AND o.seq > (SELECT indexed_through FROM event_outbox_state WHERE id = 1) \
               ON CONFLICT DO NOTHING; \
             UPDATE event_outbox_state SET indexed_through = \
               COALESCE((SELECT MAX(seq) FROM event_outbox), indexed_through) WHERE id = 1;",
        )
    }

    fn list_events(&mut self, f: &EventFilter, limit: usize) -> StoreResult<Vec<EventRow>> {
        // A user or tenant filter starts from the audit index; otherwise scan in seq order.
        let mut params: Vec<Param> = Vec::new();
        let next = |params: &mut Vec<Param>, p: Param| {
            params.push(p);
            format!("${}", params.len())
        };
        let key = match (&f.user_id, &f.tenant_id) {
            (Some(u), _) => Some(format!("u:{u}")),
            (None, Some(t)) => Some(format!("t:{t}")),
            (None, None) => None,
        };
        let source = match key {
            Some(k) => {
                let k = next(&mut params, Box::new(k));
                let after = next(&mut params, Box::new(f.after_seq.unwrap_or(0)));
                format!(
                    "(SELECT o.* FROM event_audit_index i JOIN event_outbox o ON o.seq = i.seq \
                      WHERE i.key = {k} AND i.seq > {after}::BIGINT)"
                )
            }
            None => "event_outbox".to_string(),
        };
        let mut conditions = vec!["TRUE".to_string()];
        if let Some(u) = &f.user_id {
            let p = next(&mut params, Box::new(u.clone()));
            conditions.push(format!("src.user_id = {p}"));
        }
        if let Some(t) = &f.tenant_id {
            // The tenant is matched through the index: an event can be filed under several tenants.
            let p = next(&mut params, Box::new(format!("t:{t}")));
            conditions.push(format!(
                "EXISTS (SELECT 1 FROM event_audit_index x WHERE x.key = {p} AND x.seq = src.seq)"
            ));
        }
        if let Some(since) = f.since {
            let p = next(&mut params, Box::new(since));
            conditions.push(format!("src.time >= {p}::BIGINT"));
        }
        if let Some(until) = f.until {
            let p = next(&mut params, Box::new(until));
            conditions.push(format!("src.time <= {p}::BIGINT"));
        }
        if let Some(after) = f.after_seq {
            let p = next(&mut params, Box::new(after));
            conditions.push(format!("src.seq > {p}::BIGINT"));
        }
        let lim = next(&mut params, Box::new(limit_of(limit)));
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM {source} AS src WHERE {} ORDER BY seq LIMIT {lim}",
            conditions.join(" AND ")
        );
        self.query(sql, params)?.iter().map(read_event).collect()
    }

    fn delete_delivered_events_before(&mut self, time: i64) -> StoreResult<usize> {
        let newest: Option<i64> = match self
            .query(
                "SELECT MAX(seq) FROM event_outbox WHERE delivered_at IS NOT NULL AND time < $1",
                args![time],
            )?
            .first()
        {
            Some(r) => get(r, 0)?,
            None => None,
        };
        if let Some(seq) = newest {
            self.raise_seq_floor(seq)?;
        }
        let n = self.execute(
            "DELETE FROM event_outbox WHERE delivered_at IS NOT NULL AND time < $1",
            args![time],
        )?;
        if n > 0 {
            self.batch(
                "DELETE FROM event_audit_index WHERE NOT EXISTS \
                 (SELECT 1 FROM event_outbox o WHERE o.seq = event_audit_index.seq)",
            )?;
        }
        Ok(n as usize)
    }
}

/// Test aids: what a test needs to arrange that the store's API cannot (a database from a newer library).
#[doc(hidden)]
pub mod testing {
    use super::*;

    /// Records `version` as applied, as a newer library's migration would.
    pub fn insert_schema_version(store: &PostgresStore, version: i64) -> StoreResult<()> {
        let mut tx = store.begin(true)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, 0)",
            args![version],
        )?;
        Box::new(tx).commit()
    }

    /// Runs statements without parameters in a read transaction of `store` (to end other sessions with
    /// `pg_terminate_backend`, as a server restart or a network cut would).
    pub fn run_sql(store: &PostgresStore, sql: &str) -> StoreResult<()> {
        let mut tx = store.begin(false)?;
        tx.batch(sql)?;
        Box::new(tx).commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_need_no_quoting() {
        for ok in ["authcore", "_a", "a1_b", &"x".repeat(63)] {
            assert!(validate_schema(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "1a",
            "A",
            "a-b",
            "a b",
            "a;drop",
            "pg_x",
            "\"a\"",
            &"x".repeat(64),
        ] {
            assert!(validate_schema(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn lock_keys_differ_by_schema_and_purpose() {
        assert_eq!(lock_key("writer", "a"), lock_key("writer", "a"));
        assert_ne!(lock_key("writer", "a"), lock_key("writer", "b"));
        assert_ne!(lock_key("writer", "a"), lock_key("migrate", "a"));
    }

    #[test]
    fn a_url_that_does_not_parse_or_a_bad_root_is_refused_before_connecting() {
        for url in ["postgres://u@[bad/db", "host=/x port=notaport"] {
            match PostgresStore::open(PostgresOptions::new(url)) {
                Err(StoreError::InvalidInput { field, .. }) => assert_eq!(field, "database"),
                Err(e) => panic!("{url}: {e}"),
                Ok(_) => panic!("{url} opened"),
            }
        }
    }

    #[test]
    fn a_bad_root_certificate_is_invalid_input() {
        let mut options = PostgresOptions::new("postgres://u@127.0.0.1:1/db?sslmode=require");
        options.tls_root_certificates = vec![b"not a certificate".to_vec()];
        match PostgresStore::open(options) {
            Err(StoreError::InvalidInput { field, .. }) => assert_eq!(field, "tlsRootCertificates"),
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("opened"),
        }
    }

    #[test]
    fn an_unreachable_server_is_unavailable_not_a_hang() {
        // Port 1 on loopback: nothing listens there, the connection is refused at once.
        let mut options = PostgresOptions::new("postgres://u@127.0.0.1:1/db");
        options.connect_timeout = Duration::from_secs(2);
        match PostgresStore::open(options) {
            Err(StoreError::Unavailable(_)) => {}
            Err(e) => panic!("expected Unavailable, got {e:?}"),
            Ok(_) => panic!("opened"),
        }
    }
}
