//! JS overrides in, `original` out.
//!
//! An override layer is the core's own host layer (`authcore::layers::HostFunctions` / `HostApis`) over a
//! [`JsLayer`]: the core decides which methods cross (those the JS override object replaced; every other one
//! goes straight to `original` without touching JS), bounds each crossing by `hostTimeoutMs` and reads the
//! result; [`JsLayer`] only carries one call into JS. It goes through one thread-safe function (the
//! [`HostBridge`]) and awaits the returned Promise (the call's future is then parked until the JS event loop
//! wakes it, see `local.rs`). Arguments and results cross as JSON text. The JS side (`index.js`) dispatches the
//! bridge call to the right override function and answers with an envelope, so a JS throw or rejection never
//! crosses napi as an exception.
//!
//! The `original` JS object of layer `i` calls [`crate::client::NativeLayer`], which holds a *weak* reference
//! (a [`Slot`]) to the layer below: the engine owns its layers, JS only borrows them, and no JS -> Rust -> JS
//! cycle keeps an engine alive after its `AuthCore` object is gone (the bridge's JS function reaches the JS
//! side weakly, see `weakDispatcher` in `index.js`).

use std::sync::{Arc, OnceLock, Weak};

use async_trait::async_trait;
use authcore::layers::Host;
use authcore::{AuthError, Result, UserContext};
use napi::bindgen_prelude::Promise;
use napi::threadsafe_function::ThreadsafeFunction;
use napi::Status;
use napi_derive::napi;
use serde_json::Value;

use crate::context::context_id;
use crate::error::host_error;
use crate::ops::{js_args, parse_text, to_text};

/// What the bridge passes to the JS dispatcher: run override `op` of layer `layer` of `kind`.
#[napi(object)]
pub struct HostCall {
    /// "functions", "apis" or "events" (then `op` is the handler key and `input` the event).
    pub kind: String,
    pub layer: u32,
    pub op: String,
    /// The argument object as JSON text, without `userContext` (the JS layer adds the caller's object).
    pub input: String,
    pub context_id: u32,
}

/// What the JS dispatcher resolves to: `{ok: true, value}` or `{ok: false, errorId, message}`.
#[napi(object)]
pub struct HostAnswer {
    pub ok: bool,
    /// The resolved value as JSON text (absent: `undefined`).
    pub value: Option<String>,
    /// The id under which the JS layer stashed the thrown error.
    pub error_id: Option<u32>,
    pub message: Option<String>,
}

/// The JS dispatcher, weak (an idle engine does not keep Node alive), errors caught (never fatal).
pub type HostFn = ThreadsafeFunction<HostCall, Promise<HostAnswer>, HostCall, Status, false, true>;

/// The one path into JS, for overrides and event handlers. Time limits are the core's (`hostTimeoutMs`, applied
/// by its host layers and its event delivery), not the bridge's.
pub struct HostBridge(HostFn);

impl HostBridge {
    pub fn new(tsfn: HostFn) -> Self {
        HostBridge(tsfn)
    }

    /// Calls the JS override or handler `kind/layer/op` with `input` (JSON text) and awaits its Promise,
    /// without blocking the JS thread; resolves to the JSON text of its value (`None`: `undefined`).
    pub async fn call(
        &self,
        kind: &str,
        layer: u32,
        op: &str,
        input: String,
        ctx: &UserContext,
    ) -> Result<Option<String>> {
        let failed = |e: napi::Error| {
            AuthError::host(format!(
                "calling the JS override '{op}' failed: {}",
                e.reason
            ))
        };
        let call = HostCall {
            kind: kind.to_string(),
            layer,
            op: op.to_string(),
            input,
            context_id: context_id(ctx),
        };
        let promise = self.0.call_async_catch(call).await.map_err(failed)?;
        let answer = promise.await.map_err(failed)?;
        if answer.ok {
            return Ok(answer.value);
        }
        let message = answer
            .message
            .as_deref()
            .unwrap_or("error thrown by a JS override");
        Err(host_error(answer.error_id.unwrap_or(0), message))
    }
}

/// One JS override object (`override.functions` or `override.apis`, or the linking policy callback) as the
/// core's [`Host`]: layer `layer` of `kind` on the JS side.
pub struct JsLayer {
    pub kind: &'static str,
    pub layer: u32,
    pub bridge: Arc<HostBridge>,
}

#[async_trait]
impl Host for JsLayer {
    async fn call(&self, op: &'static str, args: Value, ctx: &UserContext) -> Result<Value> {
        let input = to_text(&js_args(op, args))?;
        match self
            .bridge
            .call(self.kind, self.layer, op, input, ctx)
            .await?
        {
            Some(text) => parse_text(&format!("result of override '{op}'"), &text),
            None => Ok(Value::Null),
        }
    }
}

/// Where a layer's `original` will be, once the engine is built (the core hands it to the override closure);
/// held weakly, see the module docs.
pub struct Slot<T: ?Sized>(OnceLock<Weak<T>>);

impl<T: ?Sized> Default for Slot<T> {
    fn default() -> Self {
        Slot(OnceLock::new())
    }
}

impl<T: ?Sized> Slot<T> {
    pub fn set(&self, original: &Arc<T>) {
        let _ = self.0.set(Arc::downgrade(original));
    }

    pub fn get(&self) -> Result<Arc<T>> {
        self.0
            .get()
            .and_then(Weak::upgrade)
            .ok_or(authcore::AuthError::ShutDown)
    }
}
