//! The store conformance suite against PostgreSQL (feature `postgres`): one test per check, each on a fresh
//! schema of the server named by `AUTHCORE_TEST_POSTGRES`. Unset, the tests fail under CI and are skipped (with
//! a line) elsewhere.

#![cfg(feature = "postgres")]

#[path = "support/pg.rs"]
mod pg;

use std::sync::Arc;

use authcore::store::postgres::{PostgresOptions, PostgresStore};
use authcore::store::{Store, StoreError, StoreTx};
use authcore::AuthCore;

fn options(url: &str) -> PostgresOptions {
    let mut options = PostgresOptions::new(url);
    options.schema = pg::fresh_schema();
    options
}

/// A fresh store: a new schema on the test server.
fn fresh_pg() -> Arc<dyn Store> {
    let url = std::env::var(pg::VAR).expect("checked by the test before the factory runs");
    Arc::new(PostgresStore::open(options(&url)).expect("open a fresh PostgreSQL schema"))
}

// One #[test] per conformance check; the block returns from the test (skipping it) when no server is named.
authcore::store_conformance_tests!({
    if pg::url("the PostgreSQL store conformance check").is_none() {
        return;
    }
    fresh_pg
});

#[test]
fn reopening_keeps_the_schema_version_and_other_schemas_are_separate() {
    let Some(url) = pg::url("reopening a PostgreSQL schema") else {
        return;
    };
    let options = options(&url);
    let first = PostgresStore::open(options.clone()).expect("open");
    let v1 = first.schema_version().expect("version");
    let v2 = PostgresStore::open(options.clone())
        .expect("reopen")
        .schema_version()
        .expect("version");
    assert_eq!(v1, v2);
    assert!(v1 >= 1);
    assert_eq!(first.schema(), options.schema);
}

/// Several processes (here: threads, each with its own pool) opening one new schema at once: the advisory lock
/// makes one of them migrate and the others find the work done.
#[test]
fn concurrent_opens_migrate_once() {
    let Some(url) = pg::url("concurrent migrations") else {
        return;
    };
    let options = options(&url);
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let options = options.clone();
            std::thread::spawn(move || PostgresStore::open(options).map(|s| s.schema_version()))
        })
        .collect();
    for h in handles {
        let version = h.join().expect("thread").expect("open").expect("version");
        assert!(version >= 1);
    }
}

#[test]
fn a_schema_newer_than_the_library_is_refused() {
    let Some(url) = pg::url("the schema-too-new check") else {
        return;
    };
    let options = options(&url);
    let store = PostgresStore::open(options.clone()).expect("open");
    let supported = store.schema_version().expect("version");
    // A version from the future, as a newer library would have recorded it.
    authcore::store::postgres::testing::insert_schema_version(&store, supported + 7)
        .expect("a version from the future");
    drop(store);
    let schema = options.schema.clone();
    let err = match AuthCore::builder()
        .postgres(&url, Some(&schema))
        .and_then(|b| b.build())
    {
        Ok(_) => panic!("opened a newer schema"),
        Err(e) => e,
    };
    assert_eq!(err.code(), "SCHEMA_TOO_NEW");
    assert_eq!(
        err,
        authcore::AuthError::SchemaTooNew {
            found: supported + 7,
            supported
        }
    );
    match PostgresStore::open(options) {
        Err(StoreError::SchemaTooNew { found, .. }) => assert_eq!(found, supported + 7),
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("opened a newer schema"),
    }
}

#[test]
fn bad_schema_names_are_refused_as_invalid_input() {
    let Some(url) = pg::url("schema name validation") else {
        return;
    };
    let err = match AuthCore::builder().postgres(&url, Some("Robert'); DROP TABLE x;--")) {
        Ok(_) => panic!("accepted"),
        Err(e) => e,
    };
    assert_eq!(err.code(), "INVALID_INPUT");
}

#[test]
fn a_failed_unique_insert_leaves_the_transaction_usable_and_nothing_leaks_after_drop() {
    let Some(_) = pg::url("transaction hygiene") else {
        return;
    };
    let store = fresh_pg();
    for _ in 0..20 {
        // Dropped without commit: rolled back, the connection returns to the pool clean.
        let mut tx: Box<dyn StoreTx> = store.write().expect("write");
        assert!(tx.tenant("public").expect("tenant").is_some());
    }
    let mut tx = store.read().expect("read");
    assert_eq!(tx.count_groups(None).expect("count"), 0);
}

/// A URL whose connections carry their own application name, so a test can end exactly those sessions.
fn with_application_name(url: &str, name: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}application_name={name}")
}

/// Issue #15: a connection lost mid-transaction (the server restarted, the network cut) is a typed
/// `Unavailable`, not a hang or a panic; nothing of that transaction is kept; the next transaction works.
#[test]
fn a_lost_connection_is_unavailable_and_the_store_recovers() {
    let Some(url) = pg::url("connection loss") else {
        return;
    };
    let name = pg::fresh_schema();
    let mut victim_options = options(&with_application_name(&url, &name));
    victim_options.max_connections = 2;
    let victim = PostgresStore::open(victim_options.clone()).expect("open");
    let killer = PostgresStore::open(options(&url)).expect("open");
    let tenant = authcore::TenantConfig::default();

    let mut tx = victim.write().expect("write");
    assert!(tx.upsert_tenant("lost", &tenant, 1).expect("upsert"));
    authcore::store::postgres::testing::run_sql(
        &killer,
        &format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{name}'"
        ),
    )
    .expect("terminate the victim's sessions");
    match tx.count_groups(None) {
        Err(StoreError::Unavailable(_)) => {}
        other => panic!("expected Unavailable, got {other:?}"),
    }
    match tx.commit() {
        Err(StoreError::Unavailable(_)) => {}
        other => panic!("a commit on a lost connection: expected Unavailable, got {other:?}"),
    }

    // The next transactions get fresh connections; the lost one's write was never committed.
    let mut tx = victim.write().expect("write after the loss");
    assert_eq!(tx.tenant("lost").expect("tenant"), None);
    assert!(tx.upsert_tenant("back", &tenant, 2).expect("upsert"));
    tx.commit().expect("commit");
    let mut tx = victim.read().expect("read");
    assert!(tx.tenant("back").expect("tenant").is_some());

    // Through the engine: the error is STORAGE_ERROR saying the storage is unavailable.
    let auth = AuthCore::builder()
        .postgres(
            &with_application_name(&url, &name),
            Some(&victim_options.schema),
        )
        .expect("open")
        .build()
        .expect("build");
    drop(tx);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let count = |auth: &AuthCore| rt.block_on(auth.get_user_count(None, true));
    count(&auth).expect("count before the loss");
    authcore::store::postgres::testing::run_sql(
        &killer,
        &format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{name}'"
        ),
    )
    .expect("terminate again");
    match count(&auth) {
        Err(e) => {
            assert_eq!(e.code(), "STORAGE_ERROR");
            assert!(e.to_string().contains("storage unavailable"), "{e}");
        }
        Ok(n) => {
            // The pool noticed the closed connection before handing it out: also correct.
            let _ = n;
        }
    }
    count(&auth).expect("count after the loss");
}

/// `sslmode=require` connects over TLS and authenticates the server: refused without the server's CA among
/// the roots, a TLS session with it. Needs `AUTHCORE_TEST_POSTGRES_TLS_ROOT` (the CA, DER), which
/// `scripts/pg-test-server`'s cluster provides; skipped (with a line) without it.
#[test]
fn sslmode_require_connects_over_tls_and_verifies_the_server() {
    let Some(url) = pg::url("the TLS connection test") else {
        return;
    };
    let Some(root) = std::env::var_os("AUTHCORE_TEST_POSTGRES_TLS_ROOT") else {
        eprintln!("skipped the TLS connection test: AUTHCORE_TEST_POSTGRES_TLS_ROOT is not set");
        return;
    };
    let root = std::fs::read(root).expect("the test CA");
    let sep = if url.contains('?') { '&' } else { '?' };
    let tls_url = format!("{url}{sep}sslmode=require");
    match PostgresStore::open(options(&tls_url)) {
        Err(StoreError::Unavailable(_)) => {}
        Err(e) => panic!("an untrusted server: expected Unavailable, got {e:?}"),
        Ok(_) => panic!("connected to a server whose certificate no root vouches for"),
    }
    let mut trusted = options(&tls_url);
    trusted.tls_root_certificates = vec![root];
    let store = PostgresStore::open(trusted).expect("open over TLS");
    authcore::store::postgres::testing::run_sql(
        &store,
        "DO $$ BEGIN IF NOT (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()) \
         THEN RAISE EXCEPTION 'not a TLS session'; END IF; END $$",
    )
    .expect("the session is TLS");
    let mut tx = store.read().expect("read");
    assert!(tx.tenant("public").expect("tenant").is_some());
}

/// Pool exhaustion waits a bounded time and is `Busy` (retried by the engine), never a hang; so is waiting for
/// the schema's writer lock held by another process (here: another store on the same schema).
#[test]
fn waits_for_a_connection_or_the_writer_lock_are_bounded_and_busy() {
    let Some(url) = pg::url("bounded waits") else {
        return;
    };
    let mut one = options(&url);
    one.max_connections = 1;
    one.pool_wait = std::time::Duration::from_millis(200);
    one.lock_timeout = std::time::Duration::from_millis(300);
    let store = PostgresStore::open(one.clone()).expect("open");
    let held = store.write().expect("write");
    let started = std::time::Instant::now();
    match store.read() {
        Err(StoreError::Busy(_)) => {}
        Err(e) => panic!("pool exhausted: expected Busy, got {e:?}"),
        Ok(_) => panic!("a second connection from a pool of one"),
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(5));

    // Another process's store on the same schema: its writer waits for the lock, then gives up as Busy.
    let other = PostgresStore::open(one).expect("open the same schema again");
    let started = std::time::Instant::now();
    match other.write() {
        Err(StoreError::Busy(_)) => {}
        Err(e) => panic!("writer lock held elsewhere: expected Busy, got {e:?}"),
        Ok(_) => panic!("two writers on one schema at once"),
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    // Reads are not blocked by the writer.
    let mut r = other.read().expect("read beside the writer");
    assert!(r.tenant("public").expect("tenant").is_some());
    drop(r);
    drop(held);
    // Once the writer is done, both work again (the rolled-back connection went back to the pool clean).
    let mut w = other.write().expect("write after the lock is free");
    w.upsert_tenant("t1", &authcore::TenantConfig::default(), 1)
        .expect("upsert");
    w.commit().expect("commit");
    let mut r = store.read().expect("read after the writer");
    assert!(r.tenant("t1").expect("tenant").is_some());
}
