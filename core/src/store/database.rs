//! The `database` option every binding takes (`AuthCore.open({database: ...})` in Node, `database=` in Python,
//! the Kotlin/Swift `Database`): which store to open, parsed here once so that every language accepts the same
//! forms and refuses the same mistakes with the same `INVALID_INPUT` messages.
//!
//! The JSON forms (camelCase, as the bindings pass them):
//!
//! - `{"sqlite": "path/to/auth.db"}`: a SQLite file, created if missing;
//! - `{"postgres": "postgres://user:pass@host/db", "schema": "authcore"}`: a PostgreSQL database, its tables in
//!   `schema` (optional, default `authcore`). Needs a build with the cargo feature `postgres`; a build without
//!   it refuses the option with `INVALID_INPUT` instead of silently opening something else.

use std::path::PathBuf;

use serde::Deserialize;
use serde_json::Value;

use crate::error::{AuthError, Result};

/// The field name errors about the option carry (`INVALID_INPUT` for field `database`).
pub const FIELD: &str = "database";

/// What `{"sqlite": ...}` or `{"postgres": ...}` asks for. Deserialised from the JSON forms in the module
/// documentation; [`DatabaseConfig::from_json`] gives the typed error a binding hands to its caller.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawDatabase")]
pub enum DatabaseConfig {
    /// A SQLite file, created if missing.
    Sqlite { path: PathBuf },
    /// A PostgreSQL database: `url` as libpq takes it; the tables in `schema` (`None`: the store's default,
    /// `authcore`), created and migrated if needed.
    Postgres { url: String, schema: Option<String> },
}

/// The URL may hold a password: a `Debug` of the option (in a log, in a panic message) shows only the schema.
impl std::fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DatabaseConfig::Sqlite { path } => {
                f.debug_struct("Sqlite").field("path", path).finish()
            }
            DatabaseConfig::Postgres { schema, .. } => f
                .debug_struct("Postgres")
                .field("schema", schema)
                .finish_non_exhaustive(),
        }
    }
}

/// The option as written: every key optional, unknown keys refused, so that the checks below can name what is
/// wrong (both stores, neither, a `schema` for SQLite) instead of serde's generic "no variant matched".
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawDatabase {
    sqlite: Option<PathBuf>,
    postgres: Option<String>,
    schema: Option<String>,
}

/// The forms, for the messages.
const EXPECTED: &str = r#"expected {"sqlite": "path/to/auth.db"} or {"postgres": "postgres://...", "schema"?: "authcore"}"#;

impl TryFrom<RawDatabase> for DatabaseConfig {
    type Error = String;

    fn try_from(raw: RawDatabase) -> std::result::Result<Self, String> {
        match raw {
            RawDatabase {
                sqlite: Some(_),
                postgres: Some(_),
                ..
            } => Err(format!(
                "give either \"sqlite\" or \"postgres\", not both ({EXPECTED})"
            )),
            RawDatabase {
                sqlite: Some(_),
                schema: Some(_),
                ..
            } => Err(
                "\"schema\" is a PostgreSQL option (the tables' schema); a SQLite database has none".into(),
            ),
            RawDatabase {
                sqlite: Some(path),
                ..
            } => {
                if path.as_os_str().is_empty() {
                    return Err("the SQLite path is empty".into());
                }
                Ok(DatabaseConfig::Sqlite { path })
            }
            RawDatabase {
                postgres: Some(url),
                schema,
                ..
            } => {
                if url.trim().is_empty() {
                    return Err("the PostgreSQL URL is empty".into());
                }
                Ok(DatabaseConfig::Postgres { url, schema })
            }
            RawDatabase { .. } => Err(format!("no store given ({EXPECTED})")),
        }
    }
}

impl DatabaseConfig {
    /// A SQLite file (what a binding's bare-path shorthand, like Python's `database="auth.db"`, stands for).
    pub fn sqlite(path: impl Into<PathBuf>) -> Self {
        DatabaseConfig::Sqlite { path: path.into() }
    }

    /// The option as a binding received it (host objects converted to JSON); anything but the forms above is
    /// `INVALID_INPUT` for field `database`, with a message naming the mistake.
    pub fn from_json(value: Value) -> Result<Self> {
        if !value.is_object() {
            return Err(AuthError::invalid(FIELD, EXPECTED));
        }
        crate::json::parse(FIELD, value)
    }

    /// Whether this build can open PostgreSQL (cargo feature `postgres`); a binding's tests ask it to know which
    /// outcome to expect.
    pub const fn postgres_supported() -> bool {
        cfg!(feature = "postgres")
    }
}

/// The error for `{"postgres": ...}` in a build without the feature: typed and explicit, so a deployment that
/// shipped the wrong build fails at open with the reason.
#[cfg_attr(feature = "postgres", allow(dead_code))]
pub(crate) fn no_postgres() -> AuthError {
    AuthError::invalid(
        FIELD,
        "this build has no PostgreSQL support (cargo feature `postgres`)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn message(value: Value) -> String {
        match DatabaseConfig::from_json(value) {
            Err(AuthError::InvalidInput { field, message }) => {
                assert_eq!(field, FIELD);
                message
            }
            other => panic!("expected INVALID_INPUT, got {other:?}"),
        }
    }

    #[test]
    fn sqlite_form() {
        assert_eq!(
            DatabaseConfig::from_json(json!({"sqlite": "auth.db"})).ok(),
            Some(DatabaseConfig::sqlite("auth.db"))
        );
    }

    #[test]
    fn postgres_form_with_and_without_schema() {
        assert_eq!(
            DatabaseConfig::from_json(json!({"postgres": "postgres://u@h/db"})).ok(),
            Some(DatabaseConfig::Postgres {
                url: "postgres://u@h/db".into(),
                schema: None
            })
        );
        assert_eq!(
            DatabaseConfig::from_json(json!({"postgres": "postgres://u@h/db", "schema": "s1"}))
                .ok(),
            Some(DatabaseConfig::Postgres {
                url: "postgres://u@h/db".into(),
                schema: Some("s1".into())
            })
        );
    }

    #[test]
    fn both_stores_are_refused() {
        let m = message(json!({"sqlite": "a.db", "postgres": "postgres://h/db"}));
        assert!(m.contains("not both"), "{m}");
    }

    #[test]
    fn no_store_is_refused() {
        assert!(message(json!({})).contains("no store given"));
        assert!(message(json!({"schema": "s"})).contains("no store given"));
        assert!(message(Value::Null).contains("expected"));
        assert!(message(json!("auth.db")).contains("expected"));
        assert!(message(json!(["sqlite", "a.db"])).contains("expected"));
    }

    #[test]
    fn unknown_keys_are_refused() {
        let m = message(json!({"sqlite": "a.db", "mysql": "x"}));
        assert!(m.contains("unknown field `mysql`"), "{m}");
        // snake_case or other spellings are unknown keys too, not silently ignored.
        let m = message(json!({"postgres": "postgres://h/db", "schema_name": "s"}));
        assert!(m.contains("unknown field"), "{m}");
    }

    #[test]
    fn schema_with_sqlite_is_refused() {
        let m = message(json!({"sqlite": "a.db", "schema": "s"}));
        assert!(m.contains("PostgreSQL option"), "{m}");
    }

    #[test]
    fn wrong_types_and_empty_values_are_refused() {
        assert!(message(json!({"sqlite": 3})).contains("invalid type"));
        assert!(
            message(json!({"postgres": "postgres://h/db", "schema": 1})).contains("invalid type")
        );
        assert!(message(json!({"sqlite": ""})).contains("empty"));
        assert!(message(json!({"postgres": "  "})).contains("empty"));
    }

    #[test]
    fn debug_hides_the_url() {
        let c = DatabaseConfig::Postgres {
            url: "postgres://u:secret@h/db".into(),
            schema: Some("s".into()),
        };
        let shown = format!("{c:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("\"s\""), "{shown}");
    }

    #[cfg(not(feature = "postgres"))]
    #[test]
    fn postgres_without_the_feature_is_a_typed_error() {
        let config = DatabaseConfig::from_json(json!({"postgres": "postgres://127.0.0.1:1/db"}))
            .expect("the form parses in every build");
        match crate::AuthCore::builder().database(config) {
            Err(AuthError::InvalidInput { field, message }) => {
                assert_eq!(field, FIELD);
                assert!(message.contains("no PostgreSQL support"), "{message}");
            }
            Err(e) => panic!("expected INVALID_INPUT, got {e:?}"),
            Ok(_) => panic!("expected INVALID_INPUT, got a builder"),
        }
    }

    #[test]
    fn sqlite_through_the_builder_opens_the_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("auth.db");
        let config = DatabaseConfig::from_json(json!({"sqlite": path.to_string_lossy()}))
            .expect("sqlite form");
        let auth = crate::AuthCore::builder()
            .database(config)
            .and_then(|b| b.build());
        assert!(auth.is_ok(), "{:?}", auth.err());
        assert!(path.exists());
    }
}
