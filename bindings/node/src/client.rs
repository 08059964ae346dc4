//! The native handles JS holds: `NativeEngine` (one engine) and `NativeLayer` (the `original` below one override
//! layer). None rejects for a core error (see `error.rs`): `call` answers with JSON text or a `NativeError` (see
//! `local.rs` for when it is a Promise), the other methods with an envelope.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use authcore::events::EventName;
use authcore::json::{parse, to_value};
use authcore::{AuthCore, AuthCoreConfig, AuthError, Result};
use napi::bindgen_prelude::Promise;
use napi::threadsafe_function::ThreadsafeFunction;
use napi::{Env, Status};
use napi_derive::napi;
use serde_json::{Map, Value};

use crate::error::{envelope, not_open, shut_down, NativeEnvelope, NativeOutcome};
use crate::events::JsEventHandler;
use crate::hooks::{
    ApiSlot, ContextRegistry, FnSlot, HostAnswer, HostBridge, HostCall, HostFn, JsApis, JsFunctions,
};
use crate::local::{self, Ran};
use crate::types::{
    api_ops, call_api, call_fn, fn_ops, from_js, ApiOp, FnOp, NativeOpenOptions, Op,
};

fn unknown_op(op: u32) -> AuthError {
    AuthError::InvalidInput {
        field: "op".into(),
        message: format!("unknown operation #{op}"),
    }
}

/// The core's copy of a JS `userContext`: its JSON text parsed (absent or anything else: empty).
fn context_map(json: Option<&str>) -> Map<String, Value> {
    match json {
        Some(json) if json.len() > 2 => serde_json::from_str(json).unwrap_or_default(),
        _ => Map::new(),
    }
}

#[napi]
pub struct NativeEngine {
    host: Mutex<Option<HostFn>>,
    core: RwLock<Option<AuthCore>>,
    closed: AtomicBool,
    contexts: Arc<ContextRegistry>,
    fn_slots: Mutex<Vec<Arc<FnSlot>>>,
    api_slots: Mutex<Vec<Arc<ApiSlot>>>,
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
            fn_slots: Mutex::new(Vec::new()),
            api_slots: Mutex::new(Vec::new()),
        }
    }

    /// Opens the database and builds the engine with one override layer per entry of `functionLayers` /
    /// `apiLayers` (the names of the methods that layer replaces) and the JS event handlers; then redelivers
    /// what a previous run left pending.
    #[napi]
    pub async fn open(&self, options: NativeOpenOptions) -> napi::Result<NativeEnvelope> {
        Ok(envelope(self.build(options).await.map(|_| Value::Null)))
    }

    /// Calls a recipe or API function on the final (fully overridden) engine, on the JS thread (see
    /// `local.rs`). `op` is the operation's index in `operationNames()`, `input` the argument object as JSON
    /// text, `contextId` names the caller's `userContext` object (0: none) and `context` is its JSON text. Returns the result's JSON text or a `NativeError`, or a Promise of
    /// one of them when the call had to wait for JS (an override or an event handler).
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
        let contexts = self.contexts.clone();
        let call = async move {
            let core = core?;
            let lease = contexts.lease(context_id, context_map(context.as_deref()));
            match Op::from_index(op) {
                Some(Op::Fn(f)) => call_fn(core.functions(), f, &input, &lease.ctx).await,
                Some(Op::Api(a)) => call_api(core.apis(), a, &input, &lease.ctx).await,
                Some(Op::Declared(name)) => {
                    let args = serde_json::from_str(&input).map_err(|e| {
                        authcore::AuthError::InvalidInput {
                            field: name.to_string(),
                            message: e.to_string(),
                        }
                    })?;
                    let raw = core.call_raw(name, args, &lease.ctx).await?;
                    serde_json::to_string(&raw).map_err(|e| authcore::AuthError::Internal {
                        message: e.to_string(),
                    })
                }
                None => Err(unknown_op(op)),
            }
        };
        local::run(
            &env,
            Box::pin(async move { NativeOutcome::from_result(call.await) }),
            NativeOutcome::panicked,
        )
    }

    /// The `original` of override layer `index` of `kind` ("functions" or "apis").
    #[napi(ts_args_type = "kind: 'functions' | 'apis', index: number")]
    pub fn layer(&self, kind: String, index: u32) -> napi::Result<NativeLayer> {
        let i = index as usize;
        let slot = match kind.as_str() {
            "functions" => self
                .fn_slots
                .lock()
                .ok()
                .and_then(|s| s.get(i).cloned())
                .map(LayerSlot::Functions),
            "apis" => self
                .api_slots
                .lock()
                .ok()
                .and_then(|s| s.get(i).cloned())
                .map(LayerSlot::Apis),
            _ => None,
        };
        slot.map(|slot| NativeLayer {
            slot,
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

impl NativeEngine {
    fn core(&self) -> Result<AuthCore> {
        let core = self.core.read().ok().and_then(|c| c.clone());
        core.ok_or_else(|| {
            if self.closed.load(Ordering::SeqCst) {
                shut_down()
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
            .ok_or_else(|| AuthError::Internal {
                message: "the engine is already open".into(),
            })?;
        let host = Arc::new(HostBridge::new(tsfn, config.host_timeout_ms));
        let mut builder = AuthCore::builder().sqlite(&options.sqlite)?.config(config);
        let mut fn_slots = Vec::new();
        for (i, names) in options.function_layers.iter().enumerate() {
            let ops: HashSet<FnOp> = fn_ops(names)?.into_iter().collect();
            let slot = Arc::new(FnSlot::default());
            fn_slots.push(slot.clone());
            let host = host.clone();
            builder = builder.override_functions(move |original| {
                slot.set(&original);
                Arc::new(JsFunctions {
                    original,
                    layer: i as u32,
                    ops,
                    host,
                })
            });
        }
        let mut api_slots = Vec::new();
        for (i, names) in options.api_layers.iter().enumerate() {
            let ops: HashSet<ApiOp> = api_ops(names)?.into_iter().collect();
            let slot = Arc::new(ApiSlot::default());
            api_slots.push(slot.clone());
            let host = host.clone();
            builder = builder.override_apis(move |original| {
                slot.set(&original);
                Arc::new(JsApis {
                    original,
                    layer: i as u32,
                    ops,
                    host,
                })
            });
        }
        for key in options.event_handlers {
            let handler = Arc::new(JsEventHandler {
                key: key.clone(),
                host: host.clone(),
            });
            builder = match (key.as_str(), EventName::parse(&key)) {
                ("*", _) => builder.on_any_event(handler),
                (_, Some(name)) => builder.on_event(name, handler),
                (_, None) => {
                    return Err(AuthError::InvalidInput {
                        field: "events".into(),
                        message: format!("unknown event '{key}'"),
                    })
                }
            };
        }
        if let Ok(mut s) = self.fn_slots.lock() {
            *s = fn_slots;
        }
        if let Ok(mut s) = self.api_slots.lock() {
            *s = api_slots;
        }
        let core = builder.open().await?;
        let mut guard = self.core.write().map_err(|_| AuthError::Internal {
            message: "engine lock poisoned".into(),
        })?;
        *guard = Some(core);
        Ok(())
    }
}

#[derive(Clone)]
enum LayerSlot {
    Functions(Arc<FnSlot>),
    Apis(Arc<ApiSlot>),
}

/// What the JS `original` object of one override layer calls: the layer below it, held weakly.
#[napi]
pub struct NativeLayer {
    slot: LayerSlot,
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
        let slot = self.slot.clone();
        let contexts = self.contexts.clone();
        let call = async move {
            let lease = contexts.lease(context_id, context_map(context.as_deref()));
            match (slot, Op::from_index(op)) {
                (LayerSlot::Functions(slot), Some(Op::Fn(f))) => match slot.get() {
                    Ok(fns) => call_fn(&*fns, f, &input, &lease.ctx).await,
                    Err(e) => Err(e),
                },
                (LayerSlot::Apis(slot), Some(Op::Api(a))) => match slot.get() {
                    Ok(apis) => call_api(&*apis, a, &input, &lease.ctx).await,
                    Err(e) => Err(e),
                },
                _ => Err(unknown_op(op)),
            }
        };
        local::run(
            &env,
            Box::pin(async move { NativeOutcome::from_result(call.await) }),
            NativeOutcome::panicked,
        )
    }
}
