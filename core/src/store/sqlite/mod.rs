//! The embedded store: one SQLite file, WAL, foreign keys, one writer connection and a bounded reader pool.
//!
//! SQLite allows one writer at a time, so writers queue on a mutex in-process and on `BEGIN IMMEDIATE` plus the
//! busy timeout across processes. Readers use their own connections and see committed snapshots beside the
//! writer (WAL). Statements are cached per connection.

mod migrations;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use rusqlite::{params, Connection, ErrorCode, OpenFlags, OptionalExtension};

use super::{
    AccountKey, Claim, Constraint, EventFilter, EventRow, FlowTake, ListCursor, NewRecipeUser,
    OAuthFlowRow, RecipeUserRow, Reservation, SessionRow, Store, StoreError, StoreResult, StoreTx,
};
use crate::model::ThirdPartyInfo;
use crate::recipes::tenants::TenantConfig;

/// How to open the SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    pub path: PathBuf,
    /// Idle reader connections kept open (more are opened on demand and closed when returned).
    pub max_idle_readers: usize,
    pub busy_timeout: Duration,
    /// `synchronous=NORMAL` (default: durable across process crashes, WAL-safe) or `FULL` (also across power loss).
    pub synchronous_full: bool,
    /// Accept a `file:` URI as the path (default false). A URI can carry parameters that change how the file is
    /// opened (`mode=memory`, `vfs=`, `immutable=1`, `nolock=1`), so a path from configuration must not become
    /// one by accident; a caller who wants URIs says so here. A URI's file is created by SQLite with its
    /// default permissions, not the 0600 a plain path gets.
    pub allow_uri: bool,
}

impl SqliteOptions {
    pub fn new(path: impl AsRef<Path>) -> Self {
        SqliteOptions {
            path: path.as_ref().to_path_buf(),
            max_idle_readers: 4,
            busy_timeout: Duration::from_secs(5),
            synchronous_full: false,
            allow_uri: false,
        }
    }
}

/// The newest schema version this library knows.
const LATEST_VERSION: i64 = migrations::LATEST;

pub struct SqliteStore {
    pools: Arc<Pools>,
}

/// The connections, shared with the transactions that hold one: a transaction owns its connection (so it is
/// `'static` and can sit in a request's scope) and hands it back when it ends.
struct Pools {
    options: SqliteOptions,
    /// The one writer connection; `None` while a write transaction holds it.
    writer: Mutex<Option<Connection>>,
    /// Signalled when the writer connection comes back.
    writer_back: Condvar,
    readers: Mutex<Vec<Connection>>,
}

fn other(e: impl std::fmt::Display) -> StoreError {
    StoreError::Other(e.to_string())
}

/// Maps an error of a statement that cannot violate a constraint the engine handles. A constraint failure
/// here (a NOT NULL, a CHECK, a foreign key) is a defect, reported as such, never retried.
fn map_err(e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(code, _) = &e {
        if matches!(
            code.code,
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked
        ) {
            return StoreError::Busy(e.to_string());
        }
    }
    StoreError::Other(e.to_string())
}

/// The extended result codes of the two kinds of uniqueness SQLite reports: a `PRIMARY KEY` and a `UNIQUE`
/// constraint or index.
const PRIMARY_KEY: i32 = rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY;
const UNIQUE: i32 = rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE;

/// The mapping for a statement that may violate the given uniqueness constraints: `(extended code,
/// constraint)` pairs. The statement and SQLite's extended result code identify the constraint (each insert
/// below has at most one constraint of each kind), so the error message is never read.
fn unique_on(constraints: &'static [(i32, Constraint)]) -> impl Fn(rusqlite::Error) -> StoreError {
    move |e| {
        if let rusqlite::Error::SqliteFailure(code, _) = &e {
            if let Some((_, which)) = constraints
                .iter()
                .find(|(extended, _)| *extended == code.extended_code)
            {
                return StoreError::UniqueViolation(*which);
            }
        }
        map_err(e)
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and applies pending migrations. A database whose schema
    /// is newer than this library is refused ([`StoreError::SchemaTooNew`]), never run on.
    pub fn open(options: SqliteOptions) -> StoreResult<SqliteStore> {
        Self::prepare_path(&options)?;
        let writer = Self::connect(&options, false)?;
        Self::migrate(&writer, LATEST_VERSION)?;
        Ok(SqliteStore {
            pools: Arc::new(Pools {
                options,
                writer: Mutex::new(Some(writer)),
                writer_back: Condvar::new(),
                readers: Mutex::new(Vec::new()),
            }),
        })
    }

    /// Refuses a `file:` URI unless allowed, and creates a missing database file readable by its owner only:
    /// it holds personal data and session hashes. SQLite creates `-wal` and `-shm` with the permissions of the
    /// database file, so they inherit 0600 too. An existing file keeps the permissions it has.
    fn prepare_path(options: &SqliteOptions) -> StoreResult<()> {
        let raw = options.path.to_string_lossy();
        let is_uri = raw.len() >= 5 && raw.as_bytes()[..5].eq_ignore_ascii_case(b"file:");
        if is_uri {
            if options.allow_uri {
                return Ok(());
            }
            return Err(StoreError::InvalidInput {
                field: "database".into(),
                message: "a file: URI is accepted only with SqliteOptions::allow_uri".into(),
            });
        }
        if options.path.exists() {
            return Ok(());
        }
        let mut create = std::fs::OpenOptions::new();
        create.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            create.mode(0o600);
        }
        match create.open(&options.path) {
            Ok(_) => Ok(()),
            // Another process created it first: it set the permissions.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(StoreError::Other(format!(
                "cannot create the database file: {e}"
            ))),
        }
    }

    fn connect(options: &SqliteOptions, read_only: bool) -> StoreResult<Connection> {
        // Readers open read-write with `query_only`: a SQLITE_OPEN_READ_ONLY connection cannot run WAL recovery
        // and fails with "attempt to write a readonly database" when another process left the WAL to recover.
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if options.allow_uri {
            flags |= OpenFlags::SQLITE_OPEN_URI;
        }
        let conn = Connection::open_with_flags(&options.path, flags).map_err(map_err)?;
        conn.busy_timeout(options.busy_timeout).map_err(map_err)?;
        if read_only {
            conn.pragma_update(None, "query_only", "ON")
                .map_err(map_err)?;
        } else {
            conn.pragma_update(None, "journal_mode", "WAL")
                .map_err(map_err)?;
            // A request's steps run in savepoints, whose undo records (the sub-journal) SQLite otherwise spills to
            // a temporary file created and deleted per transaction once they pass 64 KiB. They hold at most the
            // pages one request changed, so memory is the right place for them.
            conn.pragma_update(None, "temp_store", "MEMORY")
                .map_err(map_err)?;
        }
        // Plans never depend on bound values: without it SQLite re-prepares a statement on every new binding of
        // a parameter it peeked at while planning (a `LIMIT ?`, for one), which undoes the statement cache.
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            true,
        )
        .map_err(map_err)?;
        let sync = if options.synchronous_full {
            "FULL"
        } else {
            "NORMAL"
        };
        conn.pragma_update(None, "synchronous", sync)
            .map_err(map_err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(map_err)?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(conn)
    }

    /// Applies the migrations up to `last`, each in its own transaction, after checking that the file is not
    /// from a newer library.
    fn migrate(conn: &Connection, last: i64) -> StoreResult<()> {
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
        )
        .map_err(map_err)?;
        let found: i64 = conn
            .query_row(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                [],
                |r| r.get(0),
            )
            .map_err(map_err)?;
        if found > LATEST_VERSION {
            return Err(StoreError::SchemaTooNew {
                found,
                supported: LATEST_VERSION,
            });
        }
        for (version, sql) in migrations::MIGRATIONS.iter().filter(|(v, _)| *v <= last) {
            conn.execute_batch("BEGIN IMMEDIATE").map_err(map_err)?;
            let applied: bool = conn
                .query_row(
                    "SELECT EXISTS(SELECT 1 FROM schema_migrations WHERE version = ?1)",
                    [version],
                    |r| r.get(0),
                )
                .map_err(map_err)?;
            let result = if applied {
                Ok(())
            } else {
                conn.execute_batch(sql).and_then(|_| {
                    conn.execute(
                        "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, strftime('%s','now'))",
                        [version],
                    )
                    .map(|_| ())
                })
            };
            match result {
                Ok(()) => conn.execute_batch("COMMIT").map_err(map_err)?,
                Err(e) => {
                    let _ = conn.execute_batch("ROLLBACK");
                    return Err(map_err(e));
                }
            }
        }
        Ok(())
    }

    /// The schema version now in the file.
    pub fn schema_version(&self) -> StoreResult<i64> {
        let tx = self.pools.writer()?;
        tx.c()
            .query_row(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                [],
                |r| r.get(0),
            )
            .map_err(map_err)
    }
}

impl Pools {
    /// Takes the writer connection, waiting while a write transaction holds it.
    fn writer(self: &Arc<Self>) -> StoreResult<SqliteTx> {
        let mut slot = self.writer.lock().map_err(other)?;
        loop {
            if let Some(conn) = slot.take() {
                return Ok(SqliteTx {
                    conn: Some(conn),
                    writer: true,
                    pools: self.clone(),
                    open: false,
                    tenants: HashMap::new(),
                    reads: ReadCache::default(),
                });
            }
            slot = self.writer_back.wait(slot).map_err(other)?;
        }
    }

    fn reader(self: &Arc<Self>) -> StoreResult<SqliteTx> {
        let pooled = self.readers.lock().map_err(other)?.pop();
        let conn = match pooled {
            Some(c) => c,
            None => SqliteStore::connect(&self.options, true)?,
        };
        Ok(SqliteTx {
            conn: Some(conn),
            writer: false,
            pools: self.clone(),
            open: false,
            tenants: HashMap::new(),
            reads: ReadCache::default(),
        })
    }
}

/// A transaction on a connection it owns until it ends (commit, or rollback on drop).
struct SqliteTx {
    /// `None` only once drop has handed it back.
    conn: Option<Connection>,
    writer: bool,
    pools: Arc<Pools>,
    open: bool,
    /// Tenant configurations read in this transaction: a request reads its tenant at several steps, and
    /// nothing else can change it while this transaction is open (changes made in it update the entry).
    tenants: HashMap<String, Option<TenantConfig>>,
    /// Answers to the lookups a request repeats (the linking policy asks the same questions at several steps).
    reads: ReadCache,
}

/// Lookup results valid while the connection has changed no row since they were read (SQLite's
/// `total_changes`, which counts every INSERT, UPDATE and DELETE, triggers and cascades included); a rollback
/// to a savepoint clears them. Within a transaction nobody else can change what they say. The writes a request
/// makes on its way (a new recipe user, its verification, linking it, its session and events) bring the answers
/// they affect up to date instead ([`SqliteTx::kept`]); any other write empties the cache.
#[derive(Default)]
struct ReadCache {
    changes: u64,
    ids: HashMap<(Lookup, String, String, String), Vec<String>>,
    /// Group id → its members, in the order `group_members` returns them. A recipe user's row is in at most
    /// one entry, the one of its group.
    members: HashMap<String, Vec<RecipeUserRow>>,
}

impl ReadCache {
    /// The row of a recipe user, if its group is cached.
    fn row(&self, recipe_user_id: &str) -> Option<&RecipeUserRow> {
        self.members
            .values()
            .flat_map(|m| m.iter())
            .find(|r| r.recipe_user_id == recipe_user_id)
    }

    fn row_mut(&mut self, recipe_user_id: &str) -> Option<&mut RecipeUserRow> {
        self.members
            .values_mut()
            .flat_map(|m| m.iter_mut())
            .find(|r| r.recipe_user_id == recipe_user_id)
    }

    /// A recipe user inserted as its own group in one tenant, unverified.
    fn add_user(&mut self, row: RecipeUserRow) {
        let (email, tp) = (row.email.as_deref().unwrap_or(""), row.third_party.as_ref());
        for tenant in &row.tenant_ids {
            if !email.is_empty() {
                let key = (
                    Lookup::Email,
                    tenant.clone(),
                    email.to_string(),
                    String::new(),
                );
                if let Some(ids) = self.ids.get_mut(&key) {
                    ids.push(row.primary_or_recipe_user_id.clone());
                }
            }
            if let Some(tp) = tp {
                let key = (
                    Lookup::ThirdParty,
                    tenant.clone(),
                    tp.id.clone(),
                    tp.user_id.clone(),
                );
                if let Some(ids) = self.ids.get_mut(&key) {
                    ids.push(row.primary_or_recipe_user_id.clone());
                }
            }
        }
        self.members
            .insert(row.primary_or_recipe_user_id.clone(), vec![row]);
    }

    /// A recipe user moved into `group_id` (or marked) by `set_group`; false when its row is not cached, so the
    /// cache cannot follow.
    fn move_user(&mut self, recipe_user_id: &str, group_id: &str, linked: bool) -> bool {
        let Some((old, at)) = self.members.iter().find_map(|(g, m)| {
            m.iter()
                .position(|r| r.recipe_user_id == recipe_user_id)
                .map(|i| (g.clone(), i))
        }) else {
            return false;
        };
        let Some(mut row) = self.members.get_mut(&old).map(|m| m.remove(at)) else {
            return false;
        };
        // The groups holding its email and provider account may change: those answers are read again.
        self.ids.retain(|(lookup, _, a, b), _| match lookup {
            Lookup::Email => row.email.as_deref() != Some(a.as_str()),
            Lookup::ThirdParty => row
                .third_party
                .as_ref()
                .is_none_or(|tp| tp.id != *a || tp.user_id != *b),
        });
        row.primary_or_recipe_user_id = group_id.to_string();
        row.is_linked_or_primary = linked;
        if old == group_id {
            if let Some(m) = self.members.get_mut(&old) {
                m.insert(at, row);
            }
            return true;
        }
        if let Some(m) = self.members.get_mut(group_id) {
            // Members are in timeJoined order, ties by creation order, which the cache does not know.
            if m.iter().any(|o| o.time_joined == row.time_joined) {
                self.members.remove(group_id);
            } else {
                let at = m
                    .iter()
                    .position(|o| o.time_joined > row.time_joined)
                    .unwrap_or(m.len());
                m.insert(at, row);
            }
        }
        true
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Lookup {
    Email,
    ThirdParty,
}

impl Drop for SqliteTx {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        if self.open {
            let _ = run_cached(&conn, "ROLLBACK");
        }
        if self.writer {
            if let Ok(mut slot) = self.pools.writer.lock() {
                *slot = Some(conn);
                self.pools.writer_back.notify_one();
            }
        } else if let Ok(mut pool) = self.pools.readers.lock() {
            if pool.len() < self.pools.options.max_idle_readers {
                pool.push(conn);
            }
        }
    }
}

impl Store for SqliteStore {
    fn write(&self) -> StoreResult<Box<dyn StoreTx>> {
        let mut tx = self.pools.writer()?;
        run_cached(tx.c(), "BEGIN IMMEDIATE")?;
        tx.open = true;
        Ok(Box::new(tx))
    }

    fn read(&self) -> StoreResult<Box<dyn StoreTx>> {
        let mut tx = self.pools.reader()?;
        run_cached(tx.c(), "BEGIN")?;
        tx.open = true;
        Ok(Box::new(tx))
    }
}

const ROW_COLUMNS: &str = "r.recipe_user_id, r.primary_or_recipe_user_id, r.is_linked_or_primary, r.email, \
    r.phone_number, r.third_party_id, r.third_party_user_id, r.time_joined, \
    (SELECT group_concat(t.tenant_id, ',') FROM recipe_user_tenants t WHERE t.recipe_user_id = r.recipe_user_id), \
    EXISTS(SELECT 1 FROM verified_emails v WHERE v.recipe_user_id = r.recipe_user_id AND v.email = r.email), \
    EXISTS(SELECT 1 FROM verified_emails v WHERE v.recipe_user_id = r.recipe_user_id AND v.email = r.email \
        AND v.gen = r.email_gen)";

fn read_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RecipeUserRow> {
    let tp_id: Option<String> = r.get(5)?;
    let tp_uid: Option<String> = r.get(6)?;
    let tenants: Option<String> = r.get(8)?;
    let mut tenant_ids: Vec<String> = tenants
        .map(|s| s.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    tenant_ids.sort();
    Ok(RecipeUserRow {
        recipe_user_id: r.get(0)?,
        primary_or_recipe_user_id: r.get(1)?,
        is_linked_or_primary: r.get(2)?,
        email: r.get(3)?,
        phone_number: r.get(4)?,
        third_party: match (tp_id, tp_uid) {
            (Some(id), Some(user_id)) => Some(ThirdPartyInfo { id, user_id }),
            _ => None,
        },
        time_joined: r.get(7)?,
        tenant_ids,
        verified: r.get(9)?,
        verification_current: r.get(10)?,
    })
}

/// Transaction statements are prepared once per connection, like every other statement.
fn run_cached(conn: &Connection, sql: &str) -> StoreResult<()> {
    conn.prepare_cached(sql)
        .and_then(|mut s| s.execute([]))
        .map(|_| ())
        .map_err(map_err)
}

fn collect<T>(rows: impl Iterator<Item = rusqlite::Result<T>>) -> StoreResult<Vec<T>> {
    rows.collect::<rusqlite::Result<Vec<T>>>().map_err(map_err)
}

impl SqliteTx {
    /// The read cache, emptied first if a row changed since it was filled.
    fn reads(&mut self) -> &mut ReadCache {
        let changes = self.c().total_changes();
        if changes != self.reads.changes {
            self.reads = ReadCache {
                changes,
                ..ReadCache::default()
            };
        }
        &mut self.reads
    }

    /// Whether the read cache describes the database now.
    fn cache_fresh(&self) -> bool {
        self.c().total_changes() == self.reads.changes
    }

    /// After a write whose effect on the cached answers has been applied to them (only when the cache was fresh
    /// before it): the cache describes the database again.
    fn kept(&mut self) {
        self.reads.changes = self.c().total_changes();
    }

    fn cached_ids(
        &mut self,
        key: (Lookup, &str, &str, &str),
        sql: &str,
        params: impl rusqlite::Params,
    ) -> StoreResult<Vec<String>> {
        let (lookup, a, b, c) = key;
        let key = (lookup, a.to_string(), b.to_string(), c.to_string());
        if let Some(hit) = self.reads().ids.get(&key) {
            let hit = hit.clone();
            #[cfg(debug_assertions)]
            {
                let (mut want, mut got) = (self.strings(sql, params)?, hit.clone());
                want.sort();
                got.sort();
                assert_eq!(got, want, "cached {key:?}");
            }
            return Ok(hit);
        }
        let ids = self.strings(sql, params)?;
        self.reads().ids.insert(key, ids.clone());
        Ok(ids)
    }

    /// In debug builds every answer the cache gives is checked against the database.
    #[cfg(debug_assertions)]
    fn check<T: PartialEq + std::fmt::Debug>(
        &self,
        what: &str,
        hit: &T,
        fresh: impl FnOnce() -> StoreResult<T>,
    ) {
        match fresh() {
            Ok(v) => assert_eq!(hit, &v, "cached {what}"),
            Err(e) => panic!("checking cached {what}: {e}"),
        }
    }
    #[cfg(not(debug_assertions))]
    fn check<T>(&self, _what: &str, _hit: &T, _fresh: impl FnOnce() -> StoreResult<T>) {}

    /// A write no cached answer depends on (sessions, events, reservations): the cache stays valid.
    fn cache_neutral<T>(&mut self, write: impl FnOnce(&Self) -> StoreResult<T>) -> StoreResult<T> {
        let fresh = self.cache_fresh();
        let v = write(self)?;
        if fresh {
            self.kept();
        }
        Ok(v)
    }

    fn query_recipe_user(&self, recipe_user_id: &str) -> StoreResult<Option<RecipeUserRow>> {
        let sql = format!("SELECT {ROW_COLUMNS} FROM recipe_users r WHERE r.recipe_user_id = ?1");
        let mut stmt = self.c().prepare_cached(&sql).map_err(map_err)?;
        stmt.query_row([recipe_user_id], read_row)
            .optional()
            .map_err(map_err)
    }

    fn query_group_id_of(&self, user_id: &str) -> StoreResult<Option<String>> {
        let mut stmt = self
            .c()
            .prepare_cached(
                "SELECT primary_or_recipe_user_id FROM recipe_users WHERE recipe_user_id = ?1 \
                 UNION ALL SELECT primary_or_recipe_user_id FROM recipe_users WHERE primary_or_recipe_user_id = ?1 \
                 LIMIT 1",
            )
            .map_err(map_err)?;
        stmt.query_row([user_id], |r| r.get(0))
            .optional()
            .map_err(map_err)
    }

    fn query_group_members(&self, group_id: &str) -> StoreResult<Vec<RecipeUserRow>> {
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM recipe_users r WHERE r.primary_or_recipe_user_id = ?1 \
             ORDER BY r.time_joined, r.seq"
        );
        let mut stmt = self.c().prepare_cached(&sql).map_err(map_err)?;
        let rows = stmt.query_map([group_id], read_row).map_err(map_err)?;
        collect(rows)
    }

    fn query_group_of_third_party_user(
        &self,
        tenant_id: &str,
        tp: &ThirdPartyInfo,
    ) -> StoreResult<Vec<RecipeUserRow>> {
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM recipe_users r WHERE r.primary_or_recipe_user_id = \
             (SELECT r2.primary_or_recipe_user_id FROM recipe_user_tenants t \
              JOIN recipe_users r2 ON r2.recipe_user_id = t.recipe_user_id \
              WHERE t.tenant_id = ?1 AND t.third_party_id = ?2 AND t.third_party_user_id = ?3) \
             ORDER BY r.time_joined, r.seq"
        );
        let mut stmt = self.c().prepare_cached(&sql).map_err(map_err)?;
        let rows = stmt
            .query_map(params![tenant_id, tp.id, tp.user_id], read_row)
            .map_err(map_err)?;
        collect(rows)
    }

    fn query_is_email_verified(&self, recipe_user_id: &str, email: &str) -> StoreResult<bool> {
        let mut stmt = self
            .c()
            .prepare_cached("SELECT EXISTS(SELECT 1 FROM verified_emails WHERE recipe_user_id = ?1 AND email = ?2)")
            .map_err(map_err)?;
        stmt.query_row(params![recipe_user_id, email], |r| r.get(0))
            .map_err(map_err)
    }

    fn query_is_verification_current(
        &self,
        recipe_user_id: &str,
        email: &str,
    ) -> StoreResult<bool> {
        let mut stmt = self
            .c()
            .prepare_cached(
                "SELECT EXISTS(SELECT 1 FROM recipe_users r JOIN verified_emails v \
                 ON v.recipe_user_id = r.recipe_user_id AND v.email = r.email AND v.gen = r.email_gen \
                 WHERE r.recipe_user_id = ?1 AND r.email = ?2)",
            )
            .map_err(map_err)?;
        stmt.query_row(params![recipe_user_id, email], |r| r.get(0))
            .map_err(map_err)
    }

    fn c(&self) -> &Connection {
        // Present until drop.
        self.conn
            .as_ref()
            .expect("a transaction's connection is present until drop")
    }

    fn strings(&self, sql: &str, params: impl rusqlite::Params) -> StoreResult<Vec<String>> {
        let mut stmt = self.c().prepare_cached(sql).map_err(map_err)?;
        let rows = stmt
            .query_map(params, |r| r.get::<_, String>(0))
            .map_err(map_err)?;
        collect(rows)
    }
}

impl StoreTx for SqliteTx {
    fn commit(mut self: Box<Self>) -> StoreResult<()> {
        run_cached(self.c(), "COMMIT")?;
        self.open = false;
        Ok(())
    }

    fn savepoint(&mut self) -> StoreResult<()> {
        run_cached(self.c(), "SAVEPOINT step")
    }

    fn release_savepoint(&mut self) -> StoreResult<()> {
        run_cached(self.c(), "RELEASE step")
    }

    fn rollback_to_savepoint(&mut self) -> StoreResult<()> {
        self.tenants.clear();
        self.reads = ReadCache::default();
        run_cached(self.c(), "ROLLBACK TO step")?;
        run_cached(self.c(), "RELEASE step")
    }

    fn recipe_user(&mut self, recipe_user_id: &str) -> StoreResult<Option<RecipeUserRow>> {
        if let Some(row) = self.reads().row(recipe_user_id).cloned() {
            self.check("recipe user", &Some(row.clone()), || {
                self.query_recipe_user(recipe_user_id)
            });
            return Ok(Some(row));
        }
        self.query_recipe_user(recipe_user_id)
    }

    fn group_id_of(&mut self, user_id: &str) -> StoreResult<Option<String>> {
        // A recipe user's own id answers first (the statement's first branch).
        if let Some(row) = self.reads().row(user_id) {
            let group = Some(row.primary_or_recipe_user_id.clone());
            self.check("group id", &group, || self.query_group_id_of(user_id));
            return Ok(group);
        }
        self.query_group_id_of(user_id)
    }

    fn group_members(&mut self, group_id: &str) -> StoreResult<Vec<RecipeUserRow>> {
        if let Some(hit) = self.reads().members.get(group_id).cloned() {
            self.check("group members", &hit, || self.query_group_members(group_id));
            return Ok(hit);
        }
        let rows = self.query_group_members(group_id)?;
        self.reads()
            .members
            .insert(group_id.to_string(), rows.clone());
        Ok(rows)
    }

    fn group_of_third_party_user(
        &mut self,
        tenant_id: &str,
        tp: &ThirdPartyInfo,
    ) -> StoreResult<Vec<RecipeUserRow>> {
        // The group holding the provider account here (at most one: U1), then its members.
        let key = (
            Lookup::ThirdParty,
            tenant_id.to_string(),
            tp.id.clone(),
            tp.user_id.clone(),
        );
        let reads = self.reads();
        let hit = match reads.ids.get(&key).map(Vec::as_slice) {
            Some([]) => Some(Vec::new()),
            Some([group]) => reads.members.get(group).cloned(),
            _ => None,
        };
        if let Some(hit) = hit {
            self.check("group of a provider account", &hit, || {
                self.query_group_of_third_party_user(tenant_id, tp)
            });
            return Ok(hit);
        }
        let rows = self.query_group_of_third_party_user(tenant_id, tp)?;
        let reads = self.reads();
        match rows.first() {
            None => {
                reads.ids.insert(key, Vec::new());
            }
            Some(first) => {
                let group = first.primary_or_recipe_user_id.clone();
                reads.ids.insert(key, vec![group.clone()]);
                reads.members.insert(group, rows.clone());
            }
        }
        Ok(rows)
    }

    fn user_id_taken(&mut self, user_id: &str) -> StoreResult<bool> {
        Ok(self.group_id_of(user_id)?.is_some())
    }

    fn insert_third_party_user(&mut self, u: &NewRecipeUser<'_>) -> StoreResult<()> {
        let fresh = self.cache_fresh();
        let c = self.c();
        c.prepare_cached(
            "INSERT INTO recipe_users (recipe_user_id, primary_or_recipe_user_id, is_linked_or_primary, recipe_id, \
             email, third_party_id, third_party_user_id, time_joined) VALUES (?1, ?1, 0, 'thirdparty', ?2, ?3, ?4, ?5)",
        )
        .and_then(|mut s| {
            s.execute(params![u.recipe_user_id, u.email, u.third_party.id, u.third_party.user_id, u.time_joined])
        })
        // `recipe_user_id TEXT NOT NULL UNIQUE`
        .map_err(unique_on(&[(UNIQUE, Constraint::UserId)]))?;
        c.prepare_cached(
            "INSERT INTO recipe_user_tenants (recipe_user_id, tenant_id, third_party_id, third_party_user_id) \
             VALUES (?1, ?2, ?3, ?4)",
        )
        .and_then(|mut s| s.execute(params![u.recipe_user_id, u.tenant_id, u.third_party.id, u.third_party.user_id]))
        // PRIMARY KEY (recipe_user_id, tenant_id); UNIQUE INDEX recipe_user_tenants_u1 (U1)
        .map_err(unique_on(&[
            (PRIMARY_KEY, Constraint::UserId),
            (UNIQUE, Constraint::ThirdPartyInTenant),
        ]))?;
        if fresh {
            // A new group of one, unverified: its id cannot have verified rows (they go with the recipe user).
            self.reads.add_user(RecipeUserRow {
                recipe_user_id: u.recipe_user_id.to_string(),
                primary_or_recipe_user_id: u.recipe_user_id.to_string(),
                is_linked_or_primary: false,
                email: Some(u.email.to_string()),
                phone_number: None,
                third_party: Some(u.third_party.clone()),
                time_joined: u.time_joined,
                tenant_ids: vec![u.tenant_id.to_string()],
                verified: false,
                verification_current: false,
            });
            self.kept();
        }
        Ok(())
    }

    fn set_email(&mut self, recipe_user_id: &str, email: &str) -> StoreResult<()> {
        self.c()
            .prepare_cached(
                "UPDATE recipe_users SET email = ?2, email_gen = email_gen + 1 WHERE recipe_user_id = ?1",
            )
            .and_then(|mut s| s.execute(params![recipe_user_id, email]))
            .map_err(map_err)?;
        Ok(())
    }

    fn set_group(
        &mut self,
        recipe_user_id: &str,
        group_id: &str,
        is_linked_or_primary: bool,
    ) -> StoreResult<()> {
        let fresh = self.cache_fresh();
        self.c()
            .prepare_cached(
                "UPDATE recipe_users SET primary_or_recipe_user_id = ?2, is_linked_or_primary = ?3 \
                 WHERE recipe_user_id = ?1",
            )
            .and_then(|mut s| s.execute(params![recipe_user_id, group_id, is_linked_or_primary]))
            .map_err(map_err)?;
        if fresh
            && self
                .reads
                .move_user(recipe_user_id, group_id, is_linked_or_primary)
        {
            self.kept();
        }
        Ok(())
    }

    fn delete_recipe_user(&mut self, recipe_user_id: &str) -> StoreResult<()> {
        self.c()
            .prepare_cached("DELETE FROM recipe_users WHERE recipe_user_id = ?1")
            .and_then(|mut s| s.execute([recipe_user_id]))
            .map_err(map_err)?;
        Ok(())
    }

    fn add_user_to_tenant(&mut self, recipe_user_id: &str, tenant_id: &str) -> StoreResult<bool> {
        let n = self
            .c()
            .prepare_cached(
                "INSERT INTO recipe_user_tenants (recipe_user_id, tenant_id, third_party_id, third_party_user_id) \
                 SELECT recipe_user_id, ?2, third_party_id, third_party_user_id FROM recipe_users \
                 WHERE recipe_user_id = ?1 \
                 ON CONFLICT (recipe_user_id, tenant_id) DO NOTHING",
            )
            .and_then(|mut s| s.execute(params![recipe_user_id, tenant_id]))
            // The primary key is handled by ON CONFLICT; what remains is U1.
            .map_err(unique_on(&[(UNIQUE, Constraint::ThirdPartyInTenant)]))?;
        Ok(n > 0)
    }

    fn remove_user_from_tenant(
        &mut self,
        recipe_user_id: &str,
        tenant_id: &str,
    ) -> StoreResult<bool> {
        let n = self
            .c()
            .prepare_cached(
                "DELETE FROM recipe_user_tenants WHERE recipe_user_id = ?1 AND tenant_id = ?2",
            )
            .and_then(|mut s| s.execute(params![recipe_user_id, tenant_id]))
            .map_err(map_err)?;
        Ok(n > 0)
    }

    fn group_ids_by_email(&mut self, tenant_id: &str, email: &str) -> StoreResult<Vec<String>> {
        self.cached_ids(
            (Lookup::Email, tenant_id, email, ""),
            // EXISTS keeps SQLite on the email index; a JOIN let it scan the tenant's members instead.
            "SELECT DISTINCT r.primary_or_recipe_user_id FROM recipe_users r WHERE r.email = ?2 AND EXISTS \
             (SELECT 1 FROM recipe_user_tenants t WHERE t.recipe_user_id = r.recipe_user_id AND t.tenant_id = ?1)",
            params![tenant_id, email],
        )
    }

    fn group_ids_by_phone(&mut self, tenant_id: &str, phone: &str) -> StoreResult<Vec<String>> {
        self.strings(
            "SELECT DISTINCT r.primary_or_recipe_user_id FROM recipe_users r WHERE r.phone_number = ?2 AND EXISTS \
             (SELECT 1 FROM recipe_user_tenants t WHERE t.recipe_user_id = r.recipe_user_id AND t.tenant_id = ?1)",
            params![tenant_id, phone],
        )
    }

    fn group_ids_by_third_party(
        &mut self,
        tenant_id: &str,
        tp: &ThirdPartyInfo,
    ) -> StoreResult<Vec<String>> {
        self.cached_ids(
            (Lookup::ThirdParty, tenant_id, &tp.id, &tp.user_id),
            "SELECT DISTINCT r.primary_or_recipe_user_id FROM recipe_user_tenants t \
             JOIN recipe_users r ON r.recipe_user_id = t.recipe_user_id \
             WHERE t.tenant_id = ?1 AND t.third_party_id = ?2 AND t.third_party_user_id = ?3",
            params![tenant_id, tp.id, tp.user_id],
        )
    }

    fn count_groups(&mut self, tenant_id: Option<&str>) -> StoreResult<u64> {
        let sql = match tenant_id {
            Some(_) => {
                "SELECT COUNT(DISTINCT r.primary_or_recipe_user_id) FROM recipe_users r \
                 JOIN recipe_user_tenants t ON t.recipe_user_id = r.recipe_user_id WHERE t.tenant_id = ?1"
            }
            None => "SELECT COUNT(DISTINCT primary_or_recipe_user_id) FROM recipe_users WHERE ?1 IS NULL",
        };
        let n: i64 = self
            .c()
            .prepare_cached(sql)
            .and_then(|mut s| s.query_row(params![tenant_id], |r| r.get(0)))
            .map_err(map_err)?;
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
        let tenant_filter = if tenant_id.is_some() {
            "WHERE r.primary_or_recipe_user_id IN (SELECT r2.primary_or_recipe_user_id FROM recipe_users r2 \
             JOIN recipe_user_tenants t ON t.recipe_user_id = r2.recipe_user_id WHERE t.tenant_id = ?1)"
        } else {
            "WHERE ?1 IS NULL"
        };
        let having = if after.is_some() {
            format!("HAVING (MIN(r.time_joined), g) {cmp} (?2, ?3)")
        } else {
            "HAVING ?2 IS NULL AND ?3 IS NULL".to_string()
        };
        let sql = format!(
            "SELECT r.primary_or_recipe_user_id AS g, MIN(r.time_joined) FROM recipe_users r {tenant_filter} \
             GROUP BY g {having} ORDER BY MIN(r.time_joined) {order}, g {order} LIMIT ?4"
        );
        let mut stmt = self.c().prepare_cached(&sql).map_err(map_err)?;
        let rows = stmt
            .query_map(
                params![
                    tenant_id,
                    after.map(|a| a.0),
                    after.map(|a| a.1.as_str()),
                    limit as i64
                ],
                |r| Ok((r.get::<_, i64>(1)?, r.get::<_, String>(0)?)),
            )
            .map_err(map_err)?;
        collect(rows)
    }

    fn reservations_of(&mut self, group_id: &str) -> StoreResult<Vec<Reservation>> {
        let mut stmt = self
            .c()
            .prepare_cached(
                "SELECT tenant_id, kind, value, value2 FROM primary_user_reservations WHERE primary_user_id = ?1",
            )
            .map_err(map_err)?;
        let rows = stmt
            .query_map([group_id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })
            .map_err(map_err)?;
        collect(rows)?
            .into_iter()
            .map(|(tenant_id, kind, v, v2)| {
                Ok(Reservation {
                    tenant_id,
                    key: AccountKey::from_columns(&kind, v, v2)?,
                })
            })
            .collect()
    }

    fn reservation_holder(&mut self, res: &Reservation) -> StoreResult<Option<String>> {
        let (kind, v, v2) = res.key.columns();
        let mut stmt = self
            .c()
            .prepare_cached(
                "SELECT primary_user_id FROM primary_user_reservations \
                 WHERE tenant_id = ?1 AND kind = ?2 AND value = ?3 AND value2 = ?4",
            )
            .map_err(map_err)?;
        stmt.query_row(params![res.tenant_id, kind, v, v2], |r| r.get(0))
            .optional()
            .map_err(map_err)
    }

    fn insert_reservation(&mut self, res: &Reservation, group_id: &str) -> StoreResult<()> {
        self.cache_neutral(|tx| {
            let (kind, v, v2) = res.key.columns();
            tx.c()
                .prepare_cached(
                    "INSERT INTO primary_user_reservations (tenant_id, kind, value, value2, primary_user_id) \
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .and_then(|mut s| s.execute(params![res.tenant_id, kind, v, v2, group_id]))
                // PRIMARY KEY (tenant_id, kind, value, value2): U3
                .map_err(unique_on(&[(PRIMARY_KEY, Constraint::Reservation)]))?;
            Ok(())
        })
    }

    fn delete_reservation(&mut self, res: &Reservation, group_id: &str) -> StoreResult<()> {
        self.cache_neutral(|tx| {
            let (kind, v, v2) = res.key.columns();
            tx.c()
                .prepare_cached(
                    "DELETE FROM primary_user_reservations \
                     WHERE tenant_id = ?1 AND kind = ?2 AND value = ?3 AND value2 = ?4 AND primary_user_id = ?5",
                )
                .and_then(|mut s| s.execute(params![res.tenant_id, kind, v, v2, group_id]))
                // PRIMARY KEY (tenant_id, kind, value, value2): U3
                .map_err(unique_on(&[(PRIMARY_KEY, Constraint::Reservation)]))?;
            Ok(())
        })
    }

    fn is_email_verified(&mut self, recipe_user_id: &str, email: &str) -> StoreResult<bool> {
        // A cached row answers for its current email.
        let hit = self
            .reads()
            .row(recipe_user_id)
            .filter(|r| r.email.as_deref() == Some(email))
            .map(|r| r.verified);
        if let Some(hit) = hit {
            self.check("verified", &hit, || {
                self.query_is_email_verified(recipe_user_id, email)
            });
            return Ok(hit);
        }
        self.query_is_email_verified(recipe_user_id, email)
    }

    fn set_email_verified(&mut self, recipe_user_id: &str, email: &str) -> StoreResult<bool> {
        let fresh = self.cache_fresh();
        let c = self.c();
        let n = c
            .prepare_cached(
                "INSERT OR IGNORE INTO verified_emails (recipe_user_id, email, gen) \
                 SELECT ?1, ?2, email_gen FROM recipe_users WHERE recipe_user_id = ?1",
            )
            .and_then(|mut s| s.execute(params![recipe_user_id, email]))
            .map_err(map_err)?;
        if n == 0 {
            // Already verified: a fresh verification makes it current again.
            c.prepare_cached(
                "UPDATE verified_emails SET gen = (SELECT email_gen FROM recipe_users WHERE recipe_user_id = ?1) \
                 WHERE recipe_user_id = ?1 AND email = ?2",
            )
            .and_then(|mut s| s.execute(params![recipe_user_id, email]))
            .map_err(map_err)?;
        }
        if fresh {
            // Verified, and current, for a row whose email it is; nothing else any cached answer holds changed.
            if let Some(r) = self.reads.row_mut(recipe_user_id) {
                if r.email.as_deref() == Some(email) {
                    r.verified = true;
                    r.verification_current = true;
                }
            }
            self.kept();
        }
        Ok(n > 0)
    }

    fn is_verification_current(&mut self, recipe_user_id: &str, email: &str) -> StoreResult<bool> {
        let hit = self
            .reads()
            .row(recipe_user_id)
            .map(|r| r.email.as_deref() == Some(email) && r.verification_current);
        if let Some(hit) = hit {
            self.check("current", &hit, || {
                self.query_is_verification_current(recipe_user_id, email)
            });
            return Ok(hit);
        }
        self.query_is_verification_current(recipe_user_id, email)
    }

    fn unset_email_verified(&mut self, recipe_user_id: &str, email: &str) -> StoreResult<bool> {
        let n = self
            .c()
            .prepare_cached("DELETE FROM verified_emails WHERE recipe_user_id = ?1 AND email = ?2")
            .and_then(|mut s| s.execute(params![recipe_user_id, email]))
            .map_err(map_err)?;
        Ok(n > 0)
    }

    fn tenant(&mut self, tenant_id: &str) -> StoreResult<Option<TenantConfig>> {
        if let Some(cached) = self.tenants.get(tenant_id) {
            return Ok(cached.clone());
        }
        let mut stmt = self
            .c()
            .prepare_cached("SELECT config FROM tenants WHERE tenant_id = ?1")
            .map_err(map_err)?;
        let json: Option<String> = stmt
            .query_row([tenant_id], |r| r.get(0))
            .optional()
            .map_err(map_err)?;
        let config: Option<TenantConfig> = json
            .map(|j| serde_json::from_str(&j).map_err(other))
            .transpose()?;
        drop(stmt);
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
        self.c()
            .prepare_cached(
                "INSERT INTO tenants (tenant_id, config, created_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (tenant_id) DO UPDATE SET config = excluded.config",
            )
            .and_then(|mut s| s.execute(params![tenant_id, json, now]))
            .map_err(map_err)?;
        self.tenants
            .insert(tenant_id.to_string(), Some(config.clone()));
        Ok(!existed)
    }

    fn delete_tenant(&mut self, tenant_id: &str) -> StoreResult<bool> {
        self.tenants.insert(tenant_id.to_string(), None);
        let c = self.c();
        c.prepare_cached("DELETE FROM sessions WHERE tenant_id = ?1")
            .and_then(|mut s| s.execute([tenant_id]))
            .map_err(map_err)?;
        let n = c
            .prepare_cached("DELETE FROM tenants WHERE tenant_id = ?1")
            .and_then(|mut s| s.execute([tenant_id]))
            .map_err(map_err)?;
        Ok(n > 0)
    }

    fn list_tenants(&mut self) -> StoreResult<Vec<(String, TenantConfig)>> {
        let mut stmt = self
            .c()
            .prepare_cached("SELECT tenant_id, config FROM tenants ORDER BY tenant_id")
            .map_err(map_err)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(map_err)?;
        collect(rows)?
            .into_iter()
            .map(|(id, json)| Ok((id, serde_json::from_str(&json).map_err(other)?)))
            .collect()
    }

    fn insert_session(&mut self, s: &SessionRow) -> StoreResult<()> {
        self.cache_neutral(|tx| {
            tx.c()
                .prepare_cached(
                    "INSERT INTO sessions (session_handle, secret_hash, user_id, recipe_user_id, tenant_id, \
                     access_token_payload, time_created, expiry) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .and_then(|mut st| {
                    st.execute(params![
                        s.session_handle,
                        s.secret_hash,
                        s.user_id,
                        s.recipe_user_id,
                        s.tenant_id,
                        s.access_token_payload,
                        s.time_created,
                        s.expiry
                    ])
                })
                // `session_handle TEXT PRIMARY KEY`
                .map_err(unique_on(&[(PRIMARY_KEY, Constraint::SessionHandle)]))?;
            Ok(())
        })
    }

    fn session(&mut self, session_handle: &str) -> StoreResult<Option<SessionRow>> {
        let mut stmt = self
            .c()
            .prepare_cached(
                "SELECT session_handle, secret_hash, user_id, recipe_user_id, tenant_id, access_token_payload, \
                 time_created, expiry FROM sessions WHERE session_handle = ?1",
            )
            .map_err(map_err)?;
        stmt.query_row([session_handle], |r| {
            Ok(SessionRow {
                session_handle: r.get(0)?,
                secret_hash: r.get(1)?,
                user_id: r.get(2)?,
                recipe_user_id: r.get(3)?,
                tenant_id: r.get(4)?,
                access_token_payload: r.get(5)?,
                time_created: r.get(6)?,
                expiry: r.get(7)?,
            })
        })
        .optional()
        .map_err(map_err)
    }

    fn insert_oauth_flow(&mut self, r: &OAuthFlowRow) -> StoreResult<()> {
        self.c()
            .prepare_cached(
                "INSERT INTO oauth_flows (state_hash, tenant_id, third_party_id, client_type, redirect_uri, \
                 pkce_code_verifier, nonce, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .and_then(|mut st| {
                st.execute(params![
                    r.state_hash,
                    r.tenant_id,
                    r.third_party_id,
                    r.client_type,
                    r.redirect_uri,
                    r.pkce_code_verifier,
                    r.nonce,
                    r.expires_at
                ])
            })
            .map_err(map_err)?;
        Ok(())
    }

    fn take_oauth_flow(&mut self, state_hash: &[u8], now: i64) -> StoreResult<FlowTake> {
        let row = self
            .c()
            .prepare_cached(
                "SELECT tenant_id, third_party_id, client_type, redirect_uri, pkce_code_verifier, nonce, \
                 expires_at, used FROM oauth_flows WHERE state_hash = ?1",
            )
            .and_then(|mut st| {
                st.query_row([state_hash], |r| {
                    Ok((
                        OAuthFlowRow {
                            state_hash: state_hash.to_vec(),
                            tenant_id: r.get(0)?,
                            third_party_id: r.get(1)?,
                            client_type: r.get(2)?,
                            redirect_uri: r.get(3)?,
                            pkce_code_verifier: r.get(4)?,
                            nonce: r.get(5)?,
                            expires_at: r.get(6)?,
                        },
                        r.get::<_, i64>(7)? != 0,
                    ))
                })
                .optional()
            })
            .map_err(map_err)?;
        let Some((row, used)) = row else {
            return Ok(FlowTake::Unknown);
        };
        if used {
            return Ok(FlowTake::Used);
        }
        self.c()
            .prepare_cached("UPDATE oauth_flows SET used = 1 WHERE state_hash = ?1")
            .and_then(|mut st| st.execute([state_hash]))
            .map_err(map_err)?;
        Ok(if row.expires_at <= now {
            FlowTake::Expired
        } else {
            FlowTake::Taken(row)
        })
    }

    fn delete_stale_oauth_flows(&mut self, before: i64, limit: usize) -> StoreResult<usize> {
        self.c()
            .prepare_cached(
                "DELETE FROM oauth_flows WHERE state_hash IN \
                 (SELECT state_hash FROM oauth_flows WHERE expires_at < ?1 ORDER BY expires_at LIMIT ?2)",
            )
            .and_then(|mut s| s.execute(params![before, limit as i64]))
            .map_err(map_err)
    }

    fn delete_session(&mut self, session_handle: &str) -> StoreResult<bool> {
        self.cache_neutral(|tx| {
            let n = tx
                .c()
                .prepare_cached("DELETE FROM sessions WHERE session_handle = ?1")
                .and_then(|mut s| s.execute([session_handle]))
                .map_err(map_err)?;
            Ok(n > 0)
        })
    }

    fn delete_expired_sessions(&mut self, now: i64, limit: usize) -> StoreResult<usize> {
        self.cache_neutral(|tx| {
            // `sessions_expiry` turns both the search and the "nothing expired" case into one index seek.
            tx.c()
                .prepare_cached(
                    "DELETE FROM sessions WHERE session_handle IN \
                     (SELECT session_handle FROM sessions WHERE expiry <= ?1 ORDER BY expiry LIMIT ?2)",
                )
                .and_then(|mut s| s.execute(params![now, limit as i64]))
                .map_err(map_err)
        })
    }

    fn sessions_in_tenant(&mut self, tenant_id: &str) -> StoreResult<Vec<String>> {
        self.strings(
            "SELECT session_handle FROM sessions WHERE tenant_id = ?1",
            [tenant_id],
        )
    }

    fn session_handles_for(
        &mut self,
        recipe_user_ids: &[String],
        tenant_id: Option<&str>,
    ) -> StoreResult<Vec<String>> {
        let mut out = Vec::new();
        for id in recipe_user_ids {
            out.extend(self.strings(
                "SELECT session_handle FROM sessions WHERE recipe_user_id = ?1 AND (?2 IS NULL OR tenant_id = ?2) \
                 ORDER BY time_created, session_handle",
                params![id, tenant_id],
            )?);
        }
        Ok(out)
    }

    fn insert_event(&mut self, e: &EventRow) -> StoreResult<i64> {
        self.cache_neutral(|tx| {
            let c = tx.c();
            // The seq goes above the newest row, both watermarks and every deleted seq (migration 6): a seq is
            // never handed out twice.
            let mut insert = c
                .prepare_cached(
                    "INSERT INTO event_outbox (seq, event_id, name, time, tenant_id, user_id, payload, \
                     delivered_at, attempts, last_error, tenant_ids, lease_until, claimed_by) \
                     SELECT MAX(COALESCE((SELECT MAX(seq) FROM event_outbox), 0), s.delivered_through, \
                     s.indexed_through, s.seq_floor) + 1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12 \
                     FROM event_outbox_state s WHERE s.id = 1",
                )
                .map_err(map_err)?;
            let n = insert
                .execute(params![
                    e.event_id,
                    e.name,
                    e.time,
                    e.tenant_id,
                    e.user_id,
                    e.payload,
                    e.delivered_at,
                    e.attempts,
                    e.last_error,
                    encode_tenant_ids(e),
                    e.lease_until,
                    e.claimed_by
                ])
                .map_err(map_err)?;
            if n != 1 {
                return Err(StoreError::Other(
                    "the event outbox state row is missing".into(),
                ));
            }
            Ok(c.last_insert_rowid())
        })
    }

    fn mark_events_delivered(&mut self, first: i64, last: i64, at: i64) -> StoreResult<()> {
        self.c()
            .prepare_cached(
                "UPDATE event_outbox SET delivered_at = ?3 WHERE seq BETWEEN ?1 AND ?2 AND delivered_at IS NULL",
            )
            .and_then(|mut s| s.execute(params![first, last, at]))
            .map_err(map_err)?;
        Ok(())
    }

    fn record_event_failure(&mut self, seq: i64, error: &str) -> StoreResult<()> {
        self.c()
            .prepare_cached(
                "UPDATE event_outbox SET attempts = attempts + 1, last_error = ?2, lease_until = NULL \
                 WHERE seq = ?1",
            )
            .and_then(|mut s| s.execute(params![seq, error]))
            .map_err(map_err)?;
        Ok(())
    }

    fn delete_undelivered_event(&mut self, seq: i64) -> StoreResult<bool> {
        self.cache_neutral(|tx| {
            let n = tx
                .c()
                .prepare_cached("DELETE FROM event_outbox WHERE seq = ?1 AND delivered_at IS NULL")
                .and_then(|mut s| s.execute([seq]))
                .map_err(map_err)?;
            if n > 0 {
                raise_seq_floor(tx.c(), seq)?;
            }
            Ok(n > 0)
        })
    }

    fn advance_delivery_watermark(&mut self) -> StoreResult<()> {
        // The first never-attempted undelivered event after the watermark holds it back; failed events are
        // found through their own partial index, so they do not.
        self.c()
            .prepare_cached(
                "UPDATE event_outbox_state SET delivered_through = COALESCE( \
                   (SELECT MIN(seq) - 1 FROM event_outbox WHERE seq > delivered_through \
                      AND delivered_at IS NULL AND attempts = 0), \
                   (SELECT MAX(seq) FROM event_outbox), delivered_through) WHERE id = 1",
            )
            .and_then(|mut s| s.execute([]))
            .map_err(map_err)?;
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
               SELECT * FROM event_outbox WHERE attempts > 0 AND delivered_at IS NULL AND seq > ?1 \
               UNION ALL \
               SELECT * FROM event_outbox WHERE seq > MAX(?1, (SELECT delivered_through FROM event_outbox_state)) \
                 AND delivered_at IS NULL AND attempts = 0 AND time <= ?2 \
             ) ORDER BY seq LIMIT ?3"
        );
        let mut stmt = self.c().prepare_cached(&sql).map_err(map_err)?;
        let rows = stmt
            .query_map(params![after_seq, time_at_most, limit as i64], read_event)
            .map_err(map_err)?;
        collect(rows)
    }

    fn claim_events(
        &mut self,
        after_seq: i64,
        claim: &Claim<'_>,
        limit: usize,
    ) -> StoreResult<Vec<EventRow>> {
        // The write transaction is the only writer (BEGIN IMMEDIATE): the SELECT and the UPDATE see no other
        // claimer in between, which is what PostgreSQL's FOR UPDATE SKIP LOCKED gives there.
        let sql = format!(
            "WITH due AS ( \
               SELECT seq FROM event_outbox WHERE attempts > 0 AND delivered_at IS NULL AND seq > ?1 \
                 AND (lease_until IS NULL OR lease_until <= ?2 OR (?5 AND claimed_by = ?4)) \
               UNION ALL \
               SELECT seq FROM event_outbox \
                 WHERE seq > MAX(?1, (SELECT delivered_through FROM event_outbox_state)) \
                 AND delivered_at IS NULL AND attempts = 0 \
                 AND (lease_until IS NULL OR lease_until <= ?2 OR (?5 AND claimed_by = ?4)) \
               ORDER BY seq LIMIT ?6) \
             UPDATE event_outbox SET lease_until = ?3, claimed_by = ?4 WHERE seq IN (SELECT seq FROM due) \
             RETURNING {EVENT_COLUMNS}"
        );
        let mut stmt = self.c().prepare_cached(&sql).map_err(map_err)?;
        let rows = stmt
            .query_map(
                params![
                    after_seq,
                    claim.now,
                    claim.lease_until,
                    claim.claimer,
                    claim.include_own,
                    limit as i64
                ],
                read_event,
            )
            .map_err(map_err)?;
        let mut rows = collect(rows)?;
        // RETURNING gives no order.
        rows.sort_unstable_by_key(|r| r.seq);
        Ok(rows)
    }

    fn index_audit_log(&mut self) -> StoreResult<()> {
        self.c()
            .execute_batch(
                "INSERT OR IGNORE INTO event_audit_index (key, seq) \
                   SELECT 'u:' || user_id, seq FROM event_outbox \
                   WHERE user_id IS NOT NULL AND seq > (SELECT indexed_through FROM event_outbox_state); \
                 INSERT OR IGNORE INTO event_audit_index (key, seq) \
                   SELECT 't:' || tenant_id, seq FROM event_outbox \
                   WHERE tenant_ids IS NULL AND tenant_id IS NOT NULL \
                   AND seq > (SELECT indexed_through FROM event_outbox_state); \
                 INSERT OR IGNORE INTO event_audit_index (key, seq) \
                   SELECT 't:' || j.value, o.seq FROM event_outbox o, json_each(o.tenant_ids) j \
                   WHERE o.tenant_ids IS NOT NULL AND o.seq > (SELECT indexed_through FROM event_outbox_state); \
                 UPDATE event_outbox_state SET indexed_through = \
                   COALESCE((SELECT MAX(seq) FROM event_outbox), indexed_through) WHERE id = 1;",
            )
            .map_err(map_err)
    }

    fn list_events(&mut self, f: &EventFilter, limit: usize) -> StoreResult<Vec<EventRow>> {
        // A user or tenant filter starts from the audit index (rowid lookups); otherwise scan in seq order.
        let key = match (&f.user_id, &f.tenant_id) {
            (Some(u), _) => Some(format!("u:{u}")),
            (None, Some(t)) => Some(format!("t:{t}")),
            (None, None) => None,
        };
        let source = if key.is_some() {
            "(SELECT o.* FROM event_audit_index i JOIN event_outbox o ON o.seq = i.seq \
              WHERE i.key = ?7 AND i.seq > COALESCE(?5, 0))"
        } else {
            "event_outbox"
        };
        // The tenant is matched through the index: an event can be filed under several tenants.
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM {source} AS src WHERE (?1 IS NULL OR user_id = ?1) \
             AND (?2 IS NULL OR EXISTS (SELECT 1 FROM event_audit_index x WHERE x.key = 't:' || ?2 \
                  AND x.seq = src.seq)) \
             AND (?3 IS NULL OR time >= ?3) AND (?4 IS NULL OR time <= ?4) \
             AND (?5 IS NULL OR seq > ?5) ORDER BY seq LIMIT ?6"
        );
        let mut stmt = self.c().prepare_cached(&sql).map_err(map_err)?;
        let (user, tenant, limit) = (&f.user_id, &f.tenant_id, limit as i64);
        let rows = match &key {
            Some(k) => stmt.query_map(
                params![user, tenant, f.since, f.until, f.after_seq, limit, k],
                read_event,
            ),
            None => stmt.query_map(
                params![user, tenant, f.since, f.until, f.after_seq, limit],
                read_event,
            ),
        }
        .map_err(map_err)?;
        collect(rows)
    }

    fn delete_delivered_events_before(&mut self, time: i64) -> StoreResult<usize> {
        let c = self.c();
        let newest: Option<i64> = c
            .prepare_cached(
                "SELECT MAX(seq) FROM event_outbox WHERE delivered_at IS NOT NULL AND time < ?1",
            )
            .and_then(|mut s| s.query_row([time], |r| r.get(0)))
            .map_err(map_err)?;
        if let Some(seq) = newest {
            raise_seq_floor(c, seq)?;
        }
        let n = c
            .prepare_cached("DELETE FROM event_outbox WHERE delivered_at IS NOT NULL AND time < ?1")
            .and_then(|mut s| s.execute([time]))
            .map_err(map_err)?;
        if n > 0 {
            c.execute_batch(
                "DELETE FROM event_audit_index WHERE NOT EXISTS \
                 (SELECT 1 FROM event_outbox o WHERE o.seq = event_audit_index.seq)",
            )
            .map_err(map_err)?;
        }
        Ok(n)
    }
}

/// No seq at or below `seq` is handed out again (see `insert_event`): called by whatever deletes outbox rows, so
/// a deleted seq stays used, as AUTOINCREMENT kept it, without a write per insert.
fn raise_seq_floor(c: &Connection, seq: i64) -> StoreResult<()> {
    c.prepare_cached("UPDATE event_outbox_state SET seq_floor = MAX(seq_floor, ?1) WHERE id = 1")
        .and_then(|mut s| s.execute([seq]))
        .map_err(map_err)?;
    Ok(())
}

const EVENT_COLUMNS: &str =
    "seq, event_id, name, time, tenant_id, user_id, payload, delivered_at, attempts, last_error, tenant_ids, \
     lease_until, claimed_by";

/// `tenant_ids` is stored only when it is not just `[tenant_id]` (the common case writes NULL).
pub(super) fn encode_tenant_ids(e: &EventRow) -> Option<String> {
    let only_envelope = match (&e.tenant_id, e.tenant_ids.as_slice()) {
        (Some(t), [one]) => t == one,
        (None, []) => true,
        _ => false,
    };
    if only_envelope {
        None
    } else {
        serde_json::to_string(&e.tenant_ids).ok()
    }
}

fn read_event(r: &rusqlite::Row<'_>) -> rusqlite::Result<EventRow> {
    let tenant_id: Option<String> = r.get(4)?;
    let tenant_ids = match r.get::<_, Option<String>>(10)? {
        None => tenant_id.iter().cloned().collect(),
        Some(json) => serde_json::from_str(&json).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(10, rusqlite::types::Type::Text, Box::new(e))
        })?,
    };
    Ok(EventRow {
        seq: r.get(0)?,
        event_id: r.get(1)?,
        name: r.get(2)?,
        time: r.get(3)?,
        tenant_id,
        tenant_ids,
        user_id: r.get(5)?,
        payload: r.get(6)?,
        delivered_at: r.get(7)?,
        attempts: r.get(8)?,
        last_error: r.get(9)?,
        lease_until: r.get(11)?,
        claimed_by: r.get(12)?,
    })
}

#[cfg(test)]
mod classify_tests {
    use super::*;

    fn failure(extended: i32, message: &str) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(extended), Some(message.into()))
    }

    /// A NOT NULL failure whose message names `sessions.` used to be retried as a handle collision.
    #[test]
    fn constraints_are_classified_by_extended_code_never_by_message() {
        let sessions = unique_on(&[(PRIMARY_KEY, Constraint::SessionHandle)]);
        let not_null = failure(
            rusqlite::ffi::SQLITE_CONSTRAINT_NOTNULL,
            "NOT NULL constraint failed: sessions.session_handle",
        );
        assert!(matches!(sessions(not_null), StoreError::Other(_)));
        let fk = failure(
            rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY,
            "FOREIGN KEY constraint failed",
        );
        assert!(matches!(sessions(fk), StoreError::Other(_)));
        assert_eq!(
            sessions(failure(PRIMARY_KEY, "anything at all")),
            StoreError::UniqueViolation(Constraint::SessionHandle)
        );
        let tenants = unique_on(&[
            (PRIMARY_KEY, Constraint::UserId),
            (UNIQUE, Constraint::ThirdPartyInTenant),
        ]);
        assert_eq!(
            tenants(failure(
                UNIQUE,
                "UNIQUE constraint failed: primary_user_reservations.x"
            )),
            StoreError::UniqueViolation(Constraint::ThirdPartyInTenant)
        );
        assert_eq!(
            tenants(failure(PRIMARY_KEY, "")),
            StoreError::UniqueViolation(Constraint::UserId)
        );
        assert!(matches!(
            map_err(failure(rusqlite::ffi::SQLITE_BUSY, "database is locked")),
            StoreError::Busy(_)
        ));
    }
}
