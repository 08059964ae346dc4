//! The store conformance suite against SQLite (each check on a fresh file).

use std::sync::Arc;

use authcore::store::sqlite::{SqliteOptions, SqliteStore};
use authcore::store::{conformance, Store};

#[test]
fn sqlite_store_conforms() {
    let dir = tempfile::tempdir().expect("tempdir");
    let counter = std::sync::atomic::AtomicUsize::new(0);
    let make = || -> Arc<dyn Store> {
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Arc::new(
            SqliteStore::open(SqliteOptions::new(dir.path().join(format!("s{n}.db"))))
                .expect("open"),
        )
    };
    conformance::run_all(&make);
    assert_eq!(
        counter.load(std::sync::atomic::Ordering::SeqCst),
        conformance::checks().len()
    );
}

#[test]
fn reopening_keeps_data_and_schema_version() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("a.db");
    let v1 = SqliteStore::open(SqliteOptions::new(&path))
        .expect("open")
        .schema_version()
        .expect("v");
    let v2 = SqliteStore::open(SqliteOptions::new(&path))
        .expect("reopen")
        .schema_version()
        .expect("v");
    assert_eq!(v1, v2);
    assert!(v1 >= 1);
}
