//! The raw-rusqlite baseline of authcore's benchmarks: the minimal SQL a hand-written implementation would run
//! for the same work as the engine, written once and shared by the core benchmark (`core/benches/core.rs`) and
//! the bindings' in-process benchmark aids (Node, Python, Kotlin, behind their `bench` features), so every
//! "ratio to the baseline" is against the same statements.
//!
//! Every function works on one identity inside one transaction, on a file created by the engine's own store
//! (`SqliteStore::open` runs the migrations, so the schema cannot drift) and reopened with the engine's pragmas
//! (WAL, synchronous=NORMAL, foreign_keys=ON). [`same_work`] compares what an engine file and a baseline file
//! hold after a loop, so both sides are known to have done the same work.
//!
//! [`ApiRow`] and [`ApiBaseline`] are what the bindings' benchmarks drive: the three `signInUpPOST` rows, with
//! the identity each operation `i` uses (the binding side builds the same ones in its own language).
//!
//! Benchmark code: a failed statement panics (with the statement's error); nothing here is published.

use std::ops::Range;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use authcore::store::sqlite::{SqliteOptions, SqliteStore};
use rusqlite::{params, Connection, OptionalExtension};

/// The raw tokio-postgres baseline of the PostgreSQL benchmark (feature `postgres`).
#[cfg(feature = "postgres")]
pub mod pg;

/// The tenant every benchmark identity signs in to.
pub const TENANT: &str = "public";

/// One third-party identity: provider, the provider's user id, and the email it reports.
#[derive(Clone, Debug)]
pub struct Identity {
    pub tp_id: String,
    pub tp_uid: String,
    pub email: String,
}

impl Identity {
    /// Identity `i` of a workload: `<provider>`, `<uid_prefix>-<i>`, `user-<i>@example.com`. Workloads on
    /// different providers share emails by index, which is what auto-linking by email needs.
    pub fn new(provider: &str, uid_prefix: &str, i: usize) -> Self {
        Identity {
            tp_id: provider.to_string(),
            tp_uid: format!("{uid_prefix}-{i}"),
            email: format!("user-{i}@example.com"),
        }
    }
}

/// Identities `0..n` of a workload (see [`Identity::new`]).
pub fn identities(n: usize, provider: &str, uid_prefix: &str) -> Vec<Identity> {
    (0..n)
        .map(|i| Identity::new(provider, uid_prefix, i))
        .collect()
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------------------------
// Connections.

/// Creates the file with the engine's schema (its migrations), then reopens it as a plain connection with the
/// engine's pragmas.
pub fn open(path: &Path) -> Connection {
    drop(SqliteStore::open(SqliteOptions::new(path)).expect("create baseline schema"));
    let c = Connection::open(path).expect("open baseline");
    c.busy_timeout(Duration::from_secs(5))
        .expect("baseline pragma");
    c.pragma_update(None, "journal_mode", "WAL")
        .expect("baseline pragma");
    c.pragma_update(None, "synchronous", "NORMAL")
        .expect("baseline pragma");
    c.pragma_update(None, "foreign_keys", "ON")
        .expect("baseline pragma");
    c.set_prepared_statement_cache_capacity(64);
    let mode: String = c
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("baseline pragma");
    assert_eq!(mode.to_lowercase(), "wal");
    c
}

/// A read-only connection on the baseline file, like the engine's reader pool: sign-in reads use it, beside
/// the writer. (Reads on the connection that just did N writes measured ~1.5-2x slower here at N=20000 than on
/// a fresh connection, for reasons inside SQLite; the engine's reads never run on its writer either.)
pub fn open_reader(path: &Path) -> Connection {
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
        | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX
        | rusqlite::OpenFlags::SQLITE_OPEN_URI;
    let c = Connection::open_with_flags(path, flags).expect("open baseline reader");
    c.busy_timeout(Duration::from_secs(5))
        .expect("baseline pragma");
    c.pragma_update(None, "synchronous", "NORMAL")
        .expect("baseline pragma");
    c.pragma_update(None, "foreign_keys", "ON")
        .expect("baseline pragma");
    c.set_prepared_statement_cache_capacity(64);
    c
}

/// One transaction: BEGIN/COMMIT are cached statements too, and anything that fails rolls back.
fn in_tx<T>(c: &Connection, begin: &str, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> T {
    c.prepare_cached(begin)
        .and_then(|mut s| s.execute([]))
        .expect("begin");
    match f(c) {
        Ok(v) => {
            c.prepare_cached("COMMIT")
                .and_then(|mut s| s.execute([]))
                .expect("commit");
            v
        }
        Err(e) => {
            let _ = c.execute_batch("ROLLBACK");
            panic!("baseline op failed: {e}");
        }
    }
}

/// The user-shaped columns a sign-in must return (the engine's `User`: login methods with their tenants and
/// whether the current email is verified).
macro_rules! group_select {
    ($where:literal) => {
        concat!(
            "SELECT r.recipe_user_id, r.primary_or_recipe_user_id, r.is_linked_or_primary, r.email, ",
            "r.third_party_id, r.third_party_user_id, r.time_joined, ",
            "(SELECT group_concat(t.tenant_id, ',') FROM recipe_user_tenants t WHERE t.recipe_user_id = r.recipe_user_id), ",
            "EXISTS(SELECT 1 FROM verified_emails v WHERE v.recipe_user_id = r.recipe_user_id AND v.email = r.email) ",
            "FROM recipe_users r WHERE r.primary_or_recipe_user_id = ",
            $where,
            " ORDER BY r.time_joined, r.seq"
        )
    };
}
const GROUP_SQL: &str = group_select!("?1");
const GROUP_OF_USER_SQL: &str =
    group_select!("(SELECT primary_or_recipe_user_id FROM recipe_users WHERE recipe_user_id = ?1)");

/// One login method of the user a sign-in returns: the columns are read into the result like a real
/// implementation would, even where the benchmark does not inspect them.
#[derive(Debug)]
pub struct Row {
    pub recipe_user_id: String,
    pub group_id: String,
    pub is_linked_or_primary: bool,
    pub email: Option<String>,
    pub tp_id: Option<String>,
    pub tp_uid: Option<String>,
    pub time_joined: i64,
    pub tenants: Option<String>,
    pub verified: bool,
}

fn read_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok(Row {
        recipe_user_id: r.get(0)?,
        group_id: r.get(1)?,
        is_linked_or_primary: r.get(2)?,
        email: r.get(3)?,
        tp_id: r.get(4)?,
        tp_uid: r.get(5)?,
        time_joined: r.get(6)?,
        tenants: r.get(7)?,
        verified: r.get(8)?,
    })
}

/// The sign-up part shared by `signup` and `autolink`: tenant exists, (tenant, provider account) is free, insert
/// the recipe user and its tenant membership (the U1 unique index lives there), and the verified row if the
/// provider vouched for the email. Returns the new recipe user id.
fn insert_user(c: &Connection, id: &Identity, verified: bool) -> rusqlite::Result<String> {
    let tenant: Option<i64> = c
        .prepare_cached("SELECT 1 FROM tenants WHERE tenant_id = ?1")?
        .query_row([TENANT], |r| r.get(0))
        .optional()?;
    assert!(tenant.is_some(), "tenant missing");
    let existing: Option<String> = c
        .prepare_cached(
            "SELECT recipe_user_id FROM recipe_user_tenants \
             WHERE tenant_id = ?1 AND third_party_id = ?2 AND third_party_user_id = ?3",
        )?
        .query_row(params![TENANT, id.tp_id, id.tp_uid], |r| r.get(0))
        .optional()?;
    assert!(existing.is_none(), "identity already exists");
    let recipe_user_id = uuid::Uuid::new_v4().to_string();
    c.prepare_cached(
        "INSERT INTO recipe_users (recipe_user_id, primary_or_recipe_user_id, is_linked_or_primary, recipe_id, \
         email, third_party_id, third_party_user_id, time_joined) VALUES (?1, ?1, 0, 'thirdparty', ?2, ?3, ?4, ?5)",
    )?
    .execute(params![recipe_user_id, id.email, id.tp_id, id.tp_uid, now_ms()])?;
    c.prepare_cached(
        "INSERT INTO recipe_user_tenants (recipe_user_id, tenant_id, third_party_id, third_party_user_id) \
         VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![recipe_user_id, TENANT, id.tp_id, id.tp_uid])?;
    if verified {
        c.prepare_cached("INSERT INTO verified_emails (recipe_user_id, email) VALUES (?1, ?2)")?
            .execute(params![recipe_user_id, id.email])?;
    }
    Ok(recipe_user_id)
}

pub fn signup(c: &Connection, id: &Identity) -> String {
    in_tx(c, "BEGIN IMMEDIATE", |c| insert_user(c, id, false))
}

/// Sign-in with nothing to change: tenant row, the provider account's recipe user, its group's rows. No write.
pub fn signin(c: &Connection, id: &Identity) -> Vec<Row> {
    in_tx(c, "BEGIN", |c| {
        let tenant: Option<String> = c
            .prepare_cached("SELECT config FROM tenants WHERE tenant_id = ?1")?
            .query_row([TENANT], |r| r.get(0))
            .optional()?;
        assert!(tenant.is_some(), "tenant missing");
        let rid: String = c
            .prepare_cached(
                "SELECT recipe_user_id FROM recipe_user_tenants \
                 WHERE tenant_id = ?1 AND third_party_id = ?2 AND third_party_user_id = ?3",
            )?
            .query_row(params![TENANT, id.tp_id, id.tp_uid], |r| r.get(0))?;
        // The group of that recipe user, in one statement (its group id resolved by a subquery).
        let rows = c
            .prepare_cached(GROUP_OF_USER_SQL)?
            .query_map([&rid], read_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        assert!(!rows.is_empty() && rows.iter().any(|r| r.recipe_user_id == rid));
        Ok(rows)
    })
}

/// The session a sign-in gets, in the sign-in's own transaction: a random handle and secret, only the secret's
/// hash stored (what the engine stores).
fn insert_session(c: &Connection, user_id: &str, recipe_user_id: &str) -> rusqlite::Result<()> {
    use sha2::Digest;
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).expect("random secret");
    let hash = sha2::Sha256::digest(secret);
    let now = now_ms();
    c.prepare_cached(
        "INSERT INTO sessions (session_handle, secret_hash, user_id, recipe_user_id, tenant_id, \
         access_token_payload, time_created, expiry) VALUES (?1, ?2, ?3, ?4, ?5, '{}', ?6, ?7)",
    )?
    .execute(params![
        uuid::Uuid::new_v4().to_string(),
        &hash[..],
        user_id,
        recipe_user_id,
        TENANT,
        now,
        now + 30 * 24 * 3600 * 1000
    ])?;
    Ok(())
}

/// `api-signup`: the sign-up and its session in one transaction.
pub fn api_signup(c: &Connection, id: &Identity) -> String {
    in_tx(c, "BEGIN IMMEDIATE", |c| {
        let rid = insert_user(c, id, false)?;
        insert_session(c, &rid, &rid)?;
        Ok(rid)
    })
}

/// `api-signin`: the sign-in reads of `signin`, then the session, in one write transaction.
pub fn api_signin(c: &Connection, id: &Identity) -> Vec<Row> {
    in_tx(c, "BEGIN IMMEDIATE", |c| {
        let rid: String = c
            .prepare_cached(
                "SELECT recipe_user_id FROM recipe_user_tenants \
                 WHERE tenant_id = ?1 AND third_party_id = ?2 AND third_party_user_id = ?3",
            )?
            .query_row(params![TENANT, id.tp_id, id.tp_uid], |r| r.get(0))?;
        let rows = c
            .prepare_cached(GROUP_OF_USER_SQL)?
            .query_map([&rid], read_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let group = rows
            .first()
            .map(|r| r.group_id.clone())
            .unwrap_or_else(|| rid.clone());
        insert_session(c, &group, &rid)?;
        Ok(rows)
    })
}

/// Untimed autolink setup on the baseline file: N verified primary github users with the reservations a
/// primary holds (its third-party key and its email in its tenant), in one transaction.
pub fn setup_primaries(c: &Connection, ids: &[Identity]) {
    in_tx(c, "BEGIN IMMEDIATE", |c| {
        for id in ids {
            let rid = insert_user(c, id, true)?;
            c.prepare_cached(
                "UPDATE recipe_users SET primary_or_recipe_user_id = ?1, is_linked_or_primary = 1 \
                 WHERE recipe_user_id = ?1",
            )?
            .execute([&rid])?;
            let mut ins = c.prepare_cached(
                "INSERT INTO primary_user_reservations (tenant_id, kind, value, value2, primary_user_id) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            ins.execute(params![TENANT, "thirdparty", id.tp_id, id.tp_uid, rid])?;
            ins.execute(params![TENANT, "email", id.email, "", rid])?;
        }
        Ok(())
    })
}

/// Sign-up auto-linked by verified email, as a hand-written implementation would do it in one transaction:
/// 1. the sign-up SQL (tenant exists, (tenant, provider account) free, INSERT recipe_users,
///    INSERT recipe_user_tenants) plus INSERT verified_emails, since the provider vouched for the email;
/// 2. SELECT the primary group holding this email in the tenant (its rows, so the verified check below and
///    the returned user need nothing else);
/// 3. the policy check: some login method of that group has this email and it is verified (requireVerification);
/// 4. UPDATE the new recipe user into the group (primary_or_recipe_user_id, is_linked_or_primary);
/// 5. INSERT the one reservation the group gains: the new login method's third-party key in the tenant (the
///    email key is already held by the primary, and the group's tenants do not change).
///
/// The new user is verified once, in step 1 (it is the same verified_emails row the brief lists twice).
/// A fresh recipe user has no sessions, so there is nothing to revoke.
pub fn autolink(c: &Connection, id: &Identity, with_session: bool) -> Vec<Row> {
    in_tx(c, "BEGIN IMMEDIATE", |c| {
        let rid = insert_user(c, id, true)?;
        let group_id: Option<String> = c
            // Driven by the email index, tenant membership checked on the membership primary key. (Written as a
            // plain JOIN with `t.tenant_id = ?`, SQLite without statistics drives it by the tenant index
            // instead and scans every member of the tenant: O(N) per call.)
            .prepare_cached(
                "SELECT r.primary_or_recipe_user_id FROM recipe_users r \
                 WHERE r.email = ?2 AND r.is_linked_or_primary = 1 AND EXISTS (SELECT 1 FROM recipe_user_tenants t \
                 WHERE t.recipe_user_id = r.recipe_user_id AND t.tenant_id = ?1) LIMIT 1",
            )?
            .query_row(params![TENANT, id.email], |r| r.get(0))
            .optional()?;
        let group_id = group_id.expect("a primary with this email");
        let mut rows = c
            .prepare_cached(GROUP_SQL)?
            .query_map([&group_id], read_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        assert!(
            rows.iter()
                .any(|r| r.verified && r.email.as_deref() == Some(id.email.as_str())),
            "primary not verified"
        );
        c.prepare_cached(
            "UPDATE recipe_users SET primary_or_recipe_user_id = ?2, is_linked_or_primary = 1 WHERE recipe_user_id = ?1",
        )?
        .execute(params![rid, group_id])?;
        c.prepare_cached(
            "INSERT INTO primary_user_reservations (tenant_id, kind, value, value2, primary_user_id) \
             VALUES (?1, 'thirdparty', ?2, ?3, ?4)",
        )?
        .execute(params![TENANT, id.tp_id, id.tp_uid, group_id])?;
        if with_session {
            insert_session(c, &group_id, &rid)?;
        }
        // The returned user: the group plus the new member (known here, no re-read).
        rows.push(Row {
            recipe_user_id: rid,
            group_id,
            is_linked_or_primary: true,
            email: Some(id.email.clone()),
            tp_id: Some(id.tp_id.clone()),
            tp_uid: Some(id.tp_uid.clone()),
            time_joined: now_ms(),
            tenants: Some(TENANT.to_string()),
            verified: true,
        });
        Ok(rows)
    })
}

// ---------------------------------------------------------------------------------------------------------------
// Same-work check: the two files must hold the same shape of data after each row.

/// What [`fingerprint`] counts: a name and a `SELECT COUNT(...)` that SQLite and PostgreSQL both run as written
/// (the PostgreSQL benchmark's check, [`pg::fingerprint`], uses the same list).
pub const FINGERPRINT: [(&str, &str); 9] = [
    ("tenants", "SELECT COUNT(*) FROM tenants"),
    ("recipe_users", "SELECT COUNT(*) FROM recipe_users"),
    (
        "recipe_users linked_or_primary",
        "SELECT COUNT(*) FROM recipe_users WHERE is_linked_or_primary",
    ),
    (
        "groups",
        "SELECT COUNT(DISTINCT primary_or_recipe_user_id) FROM recipe_users",
    ),
    (
        "recipe_user_tenants",
        "SELECT COUNT(*) FROM recipe_user_tenants",
    ),
    ("verified_emails", "SELECT COUNT(*) FROM verified_emails"),
    (
        "reservations email",
        "SELECT COUNT(*) FROM primary_user_reservations WHERE kind = 'email'",
    ),
    (
        "reservations thirdparty",
        "SELECT COUNT(*) FROM primary_user_reservations WHERE kind = 'thirdparty'",
    ),
    ("sessions", "SELECT COUNT(*) FROM sessions"),
];

/// Row counts per table and per shape of the file at `path` ([`FINGERPRINT`]; the event outbox is left out: the
/// baseline writes no events, which are not part of the work measured).
pub fn fingerprint(path: &Path) -> Vec<(&'static str, i64)> {
    let c = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("open for fingerprint");
    FINGERPRINT
        .iter()
        .map(|&(name, sql)| (name, c.query_row(sql, [], |r| r.get(0)).expect(sql)))
        .collect()
}

/// Two fingerprints: the engine's, else what differs from the baseline's.
pub fn compare(
    e: Vec<(&'static str, i64)>,
    b: Vec<(&'static str, i64)>,
) -> Result<Vec<(&'static str, i64)>, String> {
    if e == b {
        return Ok(e);
    }
    let diff: Vec<String> = e
        .iter()
        .zip(&b)
        .filter(|(x, y)| x != y)
        .map(|((name, x), (_, y))| format!("{name}: engine {x}, baseline {y}"))
        .collect();
    Err(format!("engine and baseline differ: {}", diff.join("; ")))
}

/// The engine file and the baseline file hold the same shape of data: their fingerprint, else what differs.
pub fn same_work(engine: &Path, baseline: &Path) -> Result<Vec<(&'static str, i64)>, String> {
    compare(fingerprint(engine), fingerprint(baseline))
}

/// Panics unless [`same_work`] holds, naming the row.
pub fn assert_same_work(row: &str, engine: &Path, baseline: &Path) {
    if let Err(e) = same_work(engine, baseline) {
        panic!("{row}: {e}");
    }
}

/// The count named `name` in a [`fingerprint`] (0 if absent).
pub fn count(fingerprint: &[(&'static str, i64)], name: &str) -> i64 {
    fingerprint
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(0, |(_, c)| *c)
}

// ---------------------------------------------------------------------------------------------------------------
// The `signInUpPOST` rows, as the bindings' benchmarks drive them.

/// A `signInUpPOST` row: sign-up (new unverified identities), sign-in (the same identities again) and a sign-up
/// auto-linked by verified email into a primary set up beforehand ([`ApiBaseline::setup_primaries`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiRow {
    Signup,
    Signin,
    Autolink,
}

impl ApiRow {
    pub const ALL: [ApiRow; 3] = [ApiRow::Signup, ApiRow::Signin, ApiRow::Autolink];

    pub fn name(self) -> &'static str {
        match self {
            ApiRow::Signup => "api-signup",
            ApiRow::Signin => "api-signin",
            ApiRow::Autolink => "api-autolink",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.name() == name)
    }

    /// The identity operation `i` of the row signs in with: `google`/`api-<i>` (unverified) for sign-up and
    /// sign-in, `google`/`apigo-<i>` (verified, same email as primary `i`) for the auto-linked sign-up.
    pub fn identity(self, i: usize) -> Identity {
        match self {
            ApiRow::Signup | ApiRow::Signin => Identity::new("google", "api", i),
            ApiRow::Autolink => Identity::new("google", "apigo", i),
        }
    }

    /// Whether the provider vouches for the email (only the auto-linked sign-up needs it).
    pub fn verified(self) -> bool {
        self == ApiRow::Autolink
    }
}

/// Primary `i` of the auto-link row: `github`/`apigh-<i>`, verified `user-<i>@example.com`.
pub fn api_primary(i: usize) -> Identity {
    Identity::new("github", "apigh", i)
}

/// The baseline side of the `signInUpPOST` rows on one file.
pub struct ApiBaseline {
    conn: Connection,
}

impl ApiBaseline {
    /// A fresh baseline file at `path` (see [`open`]).
    pub fn open(path: &Path) -> Self {
        ApiBaseline { conn: open(path) }
    }

    /// Untimed setup of the auto-link row: primaries `0..n` ([`api_primary`]).
    pub fn setup_primaries(&self, n: usize) {
        let ids: Vec<Identity> = (0..n).map(api_primary).collect();
        setup_primaries(&self.conn, &ids);
    }

    /// Runs operations `range` of `row`, one transaction each, one after another; the identities are built
    /// before the clock starts. Returns the time taken.
    pub fn run(&self, row: ApiRow, range: Range<usize>) -> Duration {
        let ids: Vec<Identity> = range.map(|i| row.identity(i)).collect();
        let c = &self.conn;
        let start = Instant::now();
        for id in &ids {
            match row {
                ApiRow::Signup => drop(std::hint::black_box(api_signup(c, id))),
                ApiRow::Signin => drop(std::hint::black_box(api_signin(c, id))),
                ApiRow::Autolink => drop(std::hint::black_box(autolink(c, id, true))),
            }
        }
        start.elapsed()
    }
}
