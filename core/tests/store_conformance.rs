//! The store conformance suite against SQLite (each check on a fresh file).

use std::sync::Arc;

use authcore::store::sqlite::{SqliteOptions, SqliteStore};
use authcore::store::{conformance, Store};
use authcore::{AuthCore, AuthError};

/// A fresh SQLite store in its own directory under cargo's per-target scratch folder (the store outlives the
/// factory, so the directory is kept; `cargo clean` removes it).
fn fresh_sqlite() -> Arc<dyn Store> {
    let dir = tempfile::Builder::new()
        .prefix("conformance")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("tempdir")
        .keep();
    Arc::new(SqliteStore::open(SqliteOptions::new(dir.join("s.db"))).expect("open"))
}

// One #[test] per conformance check.
authcore::store_conformance_tests!(fresh_sqlite);

#[test]
fn the_generated_tests_cover_every_check() {
    let opened = std::sync::atomic::AtomicUsize::new(0);
    conformance::run_all(&|| {
        opened.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        fresh_sqlite()
    });
    assert_eq!(
        opened.load(std::sync::atomic::Ordering::SeqCst),
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

/// Issue #11: the database and its `-wal` and `-shm` were created world-readable.
#[cfg(unix)]
#[test]
fn a_new_database_and_its_wal_files_are_private_to_the_owner() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("a.db");
    let store = SqliteStore::open(SqliteOptions::new(&path)).expect("open");
    {
        // A reader beside the writer: both WAL files exist while connections are open.
        let _r = store.read().expect("read");
        for suffix in ["", "-wal", "-shm"] {
            let file = format!("{}{suffix}", path.display());
            let mode = std::fs::metadata(&file)
                .unwrap_or_else(|e| panic!("{file}: {e}"))
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{file} has mode {:o}", mode & 0o777);
        }
    }
}

/// Issue #11: a `file:` URI was taken as the path, with whatever parameters it carried.
#[test]
fn a_file_uri_is_refused_unless_allowed() {
    let dir = tempfile::tempdir().expect("tempdir");
    for uri in [
        format!("file:{}?mode=memory", dir.path().join("m.db").display()),
        "FILE:x.db".to_string(),
    ] {
        let err = match AuthCore::builder().sqlite(&uri) {
            Ok(_) => panic!("{uri} was accepted"),
            Err(e) => e,
        };
        assert_eq!(err.code(), "INVALID_INPUT", "{uri}");
        assert!(
            matches!(&err, AuthError::InvalidInput { field, .. } if field == "database"),
            "{err:?}"
        );
    }
    assert!(
        std::fs::read_dir(dir.path()).expect("dir").next().is_none(),
        "nothing was created"
    );
}

#[test]
fn a_file_uri_opens_when_the_caller_opts_in() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("u.db");
    let mut options = SqliteOptions::new(format!("file:{}?cache=private", file.display()));
    options.allow_uri = true;
    let store = SqliteStore::open(options).expect("open a URI");
    assert!(store.schema_version().expect("version") >= 1);
    assert!(file.exists(), "the URI named this file");
}

/// Issue #11: a database migrated by a newer library must not be run on.
#[test]
fn a_schema_newer_than_the_library_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("a.db");
    let supported = SqliteStore::open(SqliteOptions::new(&path))
        .expect("open")
        .schema_version()
        .expect("version");
    {
        let conn = rusqlite::Connection::open(&path).expect("sqlite");
        conn.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, 0)",
            [supported + 7],
        )
        .expect("a version from the future");
    }
    let err = match AuthCore::builder().sqlite(&path) {
        Ok(_) => panic!("opened a newer schema"),
        Err(e) => e,
    };
    assert_eq!(err.code(), "SCHEMA_TOO_NEW");
    assert_eq!(
        err,
        AuthError::SchemaTooNew {
            found: supported + 7,
            supported
        }
    );
    assert_eq!(
        err.to_string(),
        format!(
            "the database schema is version {}, newer than this library's {supported}",
            supported + 7
        )
    );
}
