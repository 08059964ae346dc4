//! The `AuthCore` handle, `UserContext` and `Hooks`.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::error::AuthError;
use crate::events::{EventSubscription, HostHandler};
use crate::hooks::{apis_layer, functions_layer, Failure, HostOverride};
use crate::types::*;

type R<T> = Result<T, AuthError>;

/// The per-request context that travels through every call, overrides included (SuperTokens' `userContext`).
///
/// Values are JSON. Every handle on one request's context shares the same map and the same event flow: an
/// override receives a handle on the caller's context and must pass it on to `original`, so the request's
/// events are delivered once, when the outermost call returns.
#[derive(uniffi::Object, Default)]
pub struct UserContext {
    pub(crate) inner: authcore::UserContext,
}

#[uniffi::export]
impl UserContext {
    /// An empty context (a new request).
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(UserContext::default())
    }

    /// A new request's context holding the entries of a JSON object.
    #[uniffi::constructor]
    pub fn from_json(json: String) -> R<Arc<Self>> {
        match serde_json::from_str::<Value>(&json) {
            Ok(Value::Object(map)) => Ok(Arc::new(UserContext {
                inner: authcore::UserContext::from_map(map),
            })),
            Ok(_) => Err(invalid("userContext", "expected a JSON object")),
            Err(e) => Err(invalid("userContext", &e.to_string())),
        }
    }

    /// The value under `key` as JSON text, or null.
    pub fn get_json(&self, key: String) -> Option<String> {
        self.inner.get(&key).map(|v| v.to_string())
    }

    /// Sets `key` to a JSON value given as text.
    pub fn set_json(&self, key: String, value_json: String) -> R<()> {
        let v = serde_json::from_str::<Value>(&value_json)
            .map_err(|e| invalid("valueJson", &e.to_string()))?;
        self.inner.set(&key, v);
        Ok(())
    }

    /// The string under `key` (null when absent or not a string).
    pub fn get_string(&self, key: String) -> Option<String> {
        self.inner
            .get(&key)
            .and_then(|v| v.as_str().map(str::to_string))
    }

    pub fn set_string(&self, key: String, value: String) {
        self.inner.set(&key, Value::String(value));
    }

    /// The boolean under `key` (null when absent or not a boolean).
    pub fn get_bool(&self, key: String) -> Option<bool> {
        self.inner.get(&key).and_then(|v| v.as_bool())
    }

    pub fn set_bool(&self, key: String, value: bool) {
        self.inner.set(&key, Value::Bool(value));
    }

    pub fn remove(&self, key: String) {
        let mut map = self.inner.to_map();
        if map.remove(&key).is_some() {
            self.inner.replace(map);
        }
    }

    pub fn keys(&self) -> Vec<String> {
        self.inner.to_map().keys().cloned().collect()
    }

    /// The whole map as a JSON object.
    pub fn to_json(&self) -> String {
        Value::Object(self.inner.to_map()).to_string()
    }

    /// Whether both handles are the same request's context.
    pub fn is_same_request(&self, other: Arc<UserContext>) -> bool {
        self.inner.same(&other.inner)
    }
}

fn invalid(field: &str, message: &str) -> AuthError {
    authcore::AuthError::InvalidInput {
        field: field.to_string(),
        message: message.to_string(),
    }
    .into()
}

/// Parses an access-token payload given as JSON text (empty text: `{}`).
pub(crate) fn payload_of(json: &str) -> R<Value> {
    if json.trim().is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_str(json).map_err(|e| invalid("accessTokenPayloadJson", &e.to_string()))
}

/// The caller's context, or a new request's.
pub(crate) fn uc(user_context: Option<Arc<UserContext>>) -> Arc<UserContext> {
    user_context.unwrap_or_default()
}

/// Overrides and event handlers given to `AuthCore.open`. Later layers wrap earlier ones.
#[derive(uniffi::Record, Default)]
pub struct Hooks {
    #[uniffi(default)]
    pub functions: Vec<Arc<dyn HostOverride>>,
    #[uniffi(default)]
    pub apis: Vec<Arc<dyn HostOverride>>,
    #[uniffi(default)]
    pub handlers: Vec<EventSubscription>,
}

/// Where the data lives: a SQLite file (created if missing), or a PostgreSQL database whose tables live in
/// `schema` (`None`: `authcore`), created and migrated if needed. PostgreSQL needs a library built with the
/// `postgres` feature (the JVM/desktop one); elsewhere opening it fails with `INVALID_INPUT`.
#[derive(uniffi::Enum, Debug, Clone)]
pub enum Database {
    Sqlite {
        path: String,
    },
    Postgres {
        /// A libpq-style URL, `postgres://user:password@host:5432/db` (`?sslmode=require` for TLS).
        url: String,
        /// Lowercase letters, digits and `_`; `None`: `authcore`.
        schema: Option<String>,
    },
}

impl Database {
    /// The core's one parse of the `database` option (`authcore::DatabaseConfig`), so that Kotlin and Swift
    /// refuse what Node and Python refuse, with the same messages.
    fn config(self) -> R<authcore::DatabaseConfig> {
        let json = match self {
            Database::Sqlite { path } => serde_json::json!({ "sqlite": path }),
            Database::Postgres { url, schema } => {
                serde_json::json!({ "postgres": url, "schema": schema })
            }
        };
        Ok(authcore::DatabaseConfig::from_json(json)?)
    }
}

/// The engine handle. Open it with `AuthCore.open(path, config, hooks)` (SQLite) or
/// `AuthCore.openDatabase(database, config, hooks)`; every method runs the overrides.
#[derive(uniffi::Object)]
pub struct AuthCore {
    pub(crate) core: authcore::AuthCore,
}

impl AuthCore {
    /// The engine itself (the JNI paths and the benchmark reach it through the uniffi handle).
    #[cfg_attr(not(any(feature = "jvm", feature = "bench")), allow(dead_code))]
    pub(crate) fn core(&self) -> &authcore::AuthCore {
        &self.core
    }
}

#[uniffi::export]
impl AuthCore {
    /// Opens (or creates) the SQLite database at `path`, installs the hooks, applies event retention and
    /// redelivers events a previous run left pending.
    #[uniffi::constructor(default(config), default(hooks))]
    pub async fn open(path: String, config: AuthCoreConfig, hooks: Hooks) -> R<Arc<Self>> {
        Self::open_database(Database::Sqlite { path }, config, hooks).await
    }

    /// [`AuthCore::open`] on the given database: SQLite or PostgreSQL.
    #[uniffi::constructor(default(config), default(hooks))]
    pub async fn open_database(
        database: Database,
        config: AuthCoreConfig,
        hooks: Hooks,
    ) -> R<Arc<Self>> {
        let database = database.config()?;
        let failure: Failure = Arc::default();
        let Hooks {
            functions,
            apis,
            handlers,
        } = hooks;
        let timeout_ms = config.host_timeout_ms;
        let mut builder = authcore::AuthCore::builder()
            .database(database)?
            .config(config);
        for layer in functions {
            let failure = failure.clone();
            builder = builder.override_functions(move |below| {
                functions_layer(&*layer, below, timeout_ms, &failure)
            });
        }
        for layer in apis {
            let failure = failure.clone();
            builder = builder
                .override_apis(move |below| apis_layer(&*layer, below, timeout_ms, &failure));
        }
        for EventSubscription { name, handler } in handlers {
            let handler = Arc::new(HostHandler(handler));
            builder = match name {
                Some(n) => builder.on_event(n, handler),
                None => builder.on_any_event(handler),
            };
        }
        let core = builder.open().await?;
        if let Some(e) = failure.lock().ok().and_then(|mut f| f.take()) {
            return Err(e);
        }
        Ok(Arc::new(AuthCore { core }))
    }

    /// Any declared operation by its name (`authcore::ops`: `"getUserCount"`), its arguments as a JSON object
    /// in text; the result is the core's JSON as text (`getUser`: the user or `null`). This is how an operation
    /// the typed methods do not list yet is reached.
    #[uniffi::method(default(args_json = "{}", user_context = None))]
    pub async fn call(
        &self,
        op: String,
        args_json: String,
        user_context: Option<Arc<UserContext>>,
    ) -> R<String> {
        let args =
            serde_json::from_str(&args_json).map_err(|e| authcore::AuthError::InvalidInput {
                field: op.clone(),
                message: e.to_string(),
            })?;
        let raw = self
            .core
            .call_raw(&op, args, &uc(user_context).inner)
            .await?;
        Ok(raw.to_string())
    }

    // The typed method of every other public operation is generated from the declaration (`declared.rs`); this
    // one takes its input's fields as parameters.
    #[uniffi::method(default(tenant_id = None, any_tenant = false, user_context = None))]
    pub async fn get_session(
        &self,
        access_token: String,
        tenant_id: Option<String>,
        any_tenant: bool,
        user_context: Option<Arc<UserContext>>,
    ) -> R<GetSessionResult> {
        Ok(self
            .core
            .functions()
            .get_session(
                &authcore::GetSessionInput {
                    access_token,
                    tenant_id,
                    any_tenant,
                },
                &uc(user_context).inner,
            )
            .await?)
    }

    /// Redelivers events whose delivery failed or that a crashed run left pending.
    pub async fn deliver_pending_events(&self) -> R<DeliveryReport> {
        Ok(self.core.deliver_pending_events().await?)
    }

    /// The audit log: past events by user, tenant and time, oldest first.
    #[uniffi::method(default(input))]
    pub async fn list_events(&self, input: ListEventsInput) -> R<ListEventsResult> {
        Ok(self.core.list_events(&input).await?)
    }

    /// Closes the engine; call it before the process exits. New calls fail with `ShutDown` at once, calls
    /// already running finish, pending events are delivered (the result counts that last delivery).
    pub async fn shutdown(&self) -> R<DeliveryReport> {
        Ok(self.core.shutdown().await?)
    }
}

/// The core's declaration of every public operation (`authcore::ops::OPERATIONS`) as JSON text: name, kind,
/// arguments with their defaults, result type and JSON envelope.
#[uniffi::export]
pub fn declared_operations() -> String {
    serde_json::to_string(authcore::ops::OPERATIONS).unwrap_or_else(|_| "[]".into())
}

/// A raw result of `op` (JSON text, as `AuthCore.call` returns it) in the operation's JSON form
/// (`{"status":"OK",...}`), by the core's declared envelope.
#[uniffi::export]
pub fn json_form(op: String, raw_json: String) -> R<String> {
    let raw: serde_json::Value =
        serde_json::from_str(&raw_json).map_err(|e| authcore::AuthError::InvalidInput {
            field: "rawJson".into(),
            message: e.to_string(),
        })?;
    Ok(match authcore::ops::operation(&op) {
        Some(info) => authcore::ops::json_form(info, raw),
        None => raw,
    }
    .to_string())
}
