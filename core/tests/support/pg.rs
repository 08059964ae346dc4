//! The PostgreSQL server the tests use, named by `AUTHCORE_TEST_POSTGRES` (`scripts/pg-test-server` starts a
//! throwaway one and prints its URL; `scripts/test` and `.ci/run` export it). Each store the tests open lives in
//! a schema of its own, so tests never see each other's rows and may run in parallel on one database.

#![allow(dead_code)]

/// The variable naming the test server.
pub const VAR: &str = "AUTHCORE_TEST_POSTGRES";

/// The test server's URL. Unset: under CI (`CI` set) that is a failure, since CI must test PostgreSQL;
/// elsewhere `None`, after a line saying what was skipped.
pub fn url(what: &str) -> Option<String> {
    match std::env::var(VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => panic!(
            "{VAR} is not set under CI: {what} must run on PostgreSQL \
             (scripts/pg-test-server starts a throwaway server and prints its URL)"
        ),
        _ => {
            eprintln!(
                "skipped {what}: {VAR} is not set (scripts/pg-test-server prints a server's URL)"
            );
            None
        }
    }
}

/// A schema name no other test (in this run or an earlier one) uses.
pub fn fresh_schema() -> String {
    format!("test_{}", uuid::Uuid::new_v4().simple())
}
