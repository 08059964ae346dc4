//! The native handles JS holds: `NativeEngine` (one engine) and `NativeLayer` (the `original` below one override
//! layer). Both reach every operation through the core's dispatch by name (`authcore::layers::call_functions` /
//! `call_apis`, `AuthCore::call_raw`). None rejects for a core error (see `error.rs`): `call` answers with JSON
//! text or a `NativeError` (see `local.rs` for when it is a Promise), the other methods with an envelope.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use authcore::events::EventName;
use authcore::json::{parse, to_value};
use authcore::layers::{call_apis, call_functions, HostApis, HostFunctions};
use authcore::ops::{OperationInfo, OperationKind};
use authcore::{
    ApiFunctions, AuthCore, AuthCoreConfig, AuthError, DatabaseConfig, RecipeFunctions, Result,
};
use napi::bindgen_prelude::Promise;
use napi::threadsafe_function::ThreadsafeFunction;
use napi::{Env, Status};
use napi_derive::napi;
use serde_json::Value;

use crate::context::ContextRegistry;
use crate::error::{envelope, not_open, NativeEnvelope, NativeOutcome};
use crate::events::JsEventHandler;
use crate::host::{HostAnswer, HostBridge, HostCall, HostFn, JsLayer, Slot};
use crate::local::{self, Ran};
use crate::ops::{self, from_js};

/// What `NativeEngine.open` takes: where the data lives (the `database` option as given, parsed by the core's
/// `DatabaseConfig`), the core config (`AuthCoreConfig` JSON), and for each override layer (index 0 innermost)
/// the names of the methods it replaces.
#[napi(object)]
pub struct NativeOpenOptions {
    pub database: Option<Value>,
    pub config: Option<Value>,
    pub function_layers: Vec<Vec<String>>,
    pub api_layers: Vec<Vec<String>>,
    /// Event names with a JS handler (`"*"`: every event).
    pub event_handlers: Vec<String>,
}

/// One native call: operation `op` (an index into `operationNames()`) with `input` (JSON text) in the request
/// context `context_id` / `context`, answered on the JS thread (see `local.rs`) as JSON text or a `NativeError`.
/// `dispatch` runs the operation; what JS receives is shaped by [`ops::result_text`].
fn run_call<F, Fut>(
    env: &Env,
    contexts: Arc<ContextRegistry>,
    op: u32,
    input: String,
    context_id: u32,
    context: Option<String>,
    dispatch: F,
) -> napi::Result<Ran<NativeOutcome>>
where
    F: FnOnce(&'static OperationInfo, Value, authcore::UserContext) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<Value>> + Send,
{
    let call = async move {
        let lease = contexts.lease(context_id, context.as_deref());
        let info = ops::by_index(op)?;
        let args = ops::core_args(info.name, ops::parse_text(info.name, &input)?);
        let value = dispatch(info, args, lease.ctx.clone()).await?;
        ops::result_text(info, &value)
    };
    local::run(
        env,
        Box::pin(async move { NativeOutcome::from_result(call.await) }),
        NativeOutcome::panicked,
    )
}

#[napi]
pub struct NativeEngine {
    host: Mutex<Option<HostFn>>,
    core: RwLock<Option<AuthCore>>,
    closed: AtomicBool,
    contexts: Arc<ContextRegistry>,
    /// What each JS override layer's `original` calls, in build order.
    layers: Mutex<Vec<Below>>,
}

#[napi]
impl NativeEngine {
    /// `host(call)` runs one JS override or event handler and resolves to `{ok: true, value}` or
    /// `{ok: false, errorId, message}`.
    #[napi(
        constructor,
        ts_args_type = "host: (call: HostCall) => Promise<HostAnswer>"
    )]
    pub fn new(
        host: ThreadsafeFunction<HostCall, Promise<HostAnswer>, HostCall, Status, false, true>,
    ) -> Self {
        NativeEngine {
            host: Mutex::new(Some(host)),
            core: RwLock::new(None),
            closed: AtomicBool::new(false),
            contexts: Arc::default(),
            layers: Mutex::new(Vec::new()),
        }
    }

    /// Opens the database and builds the engine with one override layer per entry of `functionLayers` /
    /// `apiLayers` (the names of the methods that layer replaces) and the JS event handlers; then redelivers
    /// what a previous run left pending.
    #[napi]
    pub async fn open(&self, options: NativeOpenOptions) -> napi::Result<NativeEnvelope> {
        Ok(envelope(self.build(options).await.map(|_| Value::Null)))
    }

    /// Calls an operation on the final (fully overridden) engine, on the JS thread (see `local.rs`). `op` is
    /// the operation's index in `operationNames()`, `input` the argument object as JSON text, `contextId`
    /// names the caller's `userContext` object (0: none) and `context` is its JSON text. Returns the result's
    /// JSON text or a `NativeError`, or a Promise of one of them when the call had to wait for JS (an override
    /// or an event handler).
    #[napi(ts_return_type = "string | NativeError | Promise<string | NativeError>")]
    pub fn call(
        &self,
        env: Env,
        op: u32,
        input: String,
        context_id: u32,
        context: Option<String>,
    ) -> napi::Result<Ran<NativeOutcome>> {
        let core = self.core();
        run_call(
            &env,
            self.contexts.clone(),
            op,
            input,
            context_id,
            context,
            |info, args, ctx| async move {
                let core = core?;
                match info.kind {
                    OperationKind::Recipe => {
                        call_functions(core.functions(), info.name, args, &ctx).await
                    }
                    OperationKind::Api => call_apis(core.apis(), info.name, args, &ctx).await,
                    OperationKind::Engine => core.call_raw(info.name, args, &ctx).await,
                }
            },
        )
    }

    /// The `original` of override layer `index` of `kind` ("functions" or "apis").
    #[napi(ts_args_type = "kind: 'functions' | 'apis', index: number")]
    pub fn layer(&self, kind: String, index: u32) -> napi::Result<NativeLayer> {
        let below = self.layers.lock().ok().and_then(|layers| {
            let mut of_kind = layers.iter().filter(|below| below.kind() == kind);
            of_kind.nth(index as usize).cloned()
        });
        below
            .map(|below| NativeLayer {
                below,
                contexts: self.contexts.clone(),
            })
            .ok_or_else(|| napi::Error::new(Status::InvalidArg, format!("no {kind} layer {index}")))
    }

    /// Closes the engine (the core's `shutdown`): new calls fail with `SHUT_DOWN` at once, calls already
    /// running finish (and may still call their JS overrides), pending events are delivered, then the engine
    /// and the bridge to JS are dropped.
    #[napi]
    pub async fn shutdown(&self) -> NativeEnvelope {
        self.closed.store(true, Ordering::SeqCst);
        let core = self.core.write().ok().and_then(|mut c| c.take());
        let result = match core {
            Some(core) => core.shutdown().await.and_then(|report| to_value(&report)),
            None => Ok(Value::Null),
        };
        if let Ok(mut host) = self.host.lock() {
            host.take();
        }
        envelope(result)
    }
}

/// The names one JS layer replaces, checked against the core's declaration (an unknown name is misuse).
fn replaced(names: &[String], kind: OperationKind, field: &str) -> Result<HashSet<String>> {
    for name in names {
        if authcore::ops::overridable(name).map(|op| op.kind) != Some(kind) {
            return Err(AuthError::invalid(
                field,
                format!("unknown method '{name}'"),
            ));
        }
    }
    Ok(names.iter().cloned().collect())
}

impl NativeEngine {
    fn core(&self) -> Result<AuthCore> {
        let core = self.core.read().ok().and_then(|c| c.clone());
        core.ok_or_else(|| {
            if self.closed.load(Ordering::SeqCst) {
                AuthError::ShutDown
            } else {
                not_open()
            }
        })
    }

    async fn build(&self, options: NativeOpenOptions) -> Result<()> {
        let config: AuthCoreConfig = match options.config.map(from_js) {
            None | Some(Value::Null) => AuthCoreConfig::default(),
            Some(v) => parse("config", v)?,
        };
        let tsfn = self
            .host
            .lock()
            .ok()
            .and_then(|mut h| h.take())
            .ok_or_else(|| AuthError::internal("the engine is already open"))?;
        let bridge = Arc::new(HostBridge::new(tsfn));
        let timeout_ms = config.host_timeout_ms;
        let js = |kind, layer: usize| {
            Arc::new(JsLayer {
                kind,
                layer: layer as u32,
                bridge: bridge.clone(),
            })
        };
        let database =
            DatabaseConfig::from_json(options.database.map(from_js).unwrap_or(Value::Null))?;
        let mut builder = AuthCore::builder().database(database)?.config(config);
        let mut layers = Vec::new();
        for (i, names) in options.function_layers.iter().enumerate() {
            let names = replaced(names, OperationKind::Recipe, "override.functions")?;
            let slot = Arc::new(Slot::default());
            layers.push(Below::Functions(slot.clone()));
            let host = js("functions", i);
            builder = builder.override_functions(move |original| {
                slot.set(&original);
                Arc::new(HostFunctions::new(
                    original,
                    host,
                    |op| names.contains(op),
                    timeout_ms,
                ))
            });
        }
        for (i, names) in options.api_layers.iter().enumerate() {
            let names = replaced(names, OperationKind::Api, "override.apis")?;
            let slot = Arc::new(Slot::default());
            layers.push(Below::Apis(slot.clone()));
            let host = js("apis", i);
            builder = builder.override_apis(move |original| {
                slot.set(&original);
                Arc::new(HostApis::new(
                    original,
                    host,
                    |op| names.contains(op),
                    timeout_ms,
                ))
            });
        }
        for key in options.event_handlers {
            let handler = Arc::new(JsEventHandler {
                key: key.clone(),
                bridge: bridge.clone(),
            });
            builder = match (key.as_str(), EventName::parse(&key)) {
                ("*", _) => builder.on_any_event(handler),
                (_, Some(name)) => builder.on_event(name, handler),
                (_, None) => {
                    return Err(AuthError::invalid(
                        "events",
                        format!("unknown event '{key}'"),
                    ))
                }
            };
        }
        if let Ok(mut l) = self.layers.lock() {
            *l = layers;
        }
        let core = builder.open().await?;
        let mut guard = self
            .core
            .write()
            .map_err(|_| AuthError::internal("engine lock poisoned"))?;
        *guard = Some(core);
        Ok(())
    }
}

/// The layer below one JS override layer.
#[derive(Clone)]
enum Below {
    Functions(Arc<Slot<dyn RecipeFunctions>>),
    Apis(Arc<Slot<dyn ApiFunctions>>),
}

impl Below {
    fn kind(&self) -> &'static str {
        match self {
            Below::Functions(_) => "functions",
            Below::Apis(_) => "apis",
        }
    }
}

/// What the JS `original` object of one override layer calls: the layer below it, held weakly.
#[napi]
pub struct NativeLayer {
    below: Below,
    contexts: Arc<ContextRegistry>,
}

#[napi]
impl NativeLayer {
    /// Calls `op` on the layer below this override, in the caller's request context; like
    /// `NativeEngine.call`.
    #[napi(ts_return_type = "string | NativeError | Promise<string | NativeError>")]
    pub fn call(
        &self,
        env: Env,
        op: u32,
        input: String,
        context_id: u32,
        context: Option<String>,
    ) -> napi::Result<Ran<NativeOutcome>> {
        let below = self.below.clone();
        run_call(
            &env,
            self.contexts.clone(),
            op,
            input,
            context_id,
            context,
            move |info, args, ctx| async move {
                match (below, info.kind) {
                    (Below::Functions(slot), OperationKind::Recipe) => {
                        call_functions(&*slot.get()?, info.name, args, &ctx).await
                    }
                    (Below::Apis(slot), OperationKind::Api) => {
                        call_apis(&*slot.get()?, info.name, args, &ctx).await
                    }
                    _ => Err(AuthError::invalid(
                        "op",
                        format!("no operation {:?} here", info.name),
                    )),
                }
            },
        )
    }
}
