//! Host overrides in, `original` out, through the core's generic host layer.
//!
//! An override layer is the core's own `HostFunctions` / `HostApis` (`authcore::layers`, derived from the
//! declaration) over a [`HostLayer`]: the core decides which methods cross (those the layer names in
//! [`HostLayer::replaces`]; every other call goes straight to `original` without touching host code), bounds
//! each crossing by `hostTimeoutMs`, commits the request's transaction before crossing, and reads the result.
//! This binding therefore lists no operation: a layer runs operation `op` with its arguments as one JSON object
//! (camelCase keys, the declaration's names) and answers JSON, and its `original` ([`HostOriginal`]) calls the
//! layer below by name through `layers::call_functions` / `call_apis`.
//!
//! Swift implements [`HostOverride`] / [`HostLayer`] through uniffi's callback interfaces. Kotlin's facade
//! does not: its typed override interfaces are generated from the declaration (`Overrides.kt`, by
//! `authcore-gen kotlin-hooks`) and cross over JNI (`jvm_hooks`), which implements these same traits in Rust,
//! so both go through the core's host layer.

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use authcore::layers::{call_apis, call_functions, Host, HostApis, HostFunctions};
use authcore::{ApiFunctions, RecipeFunctions};
use serde_json::Value;

use crate::client::UserContext;
use crate::error::AuthError;

type R<T> = Result<T, AuthError>;

/// One override layer as host code.
#[uniffi::export(rust, foreign)]
#[async_trait]
pub trait HostLayer: Send + Sync {
    /// The declared operation names (`getUser`, `signInUpPOST`) this layer runs itself.
    fn replaces(&self) -> Vec<String>;
    /// Runs this layer's own `op` with `args_json` (one JSON object, the declaration's camelCase names) and
    /// returns its result as JSON text (`null` for nothing).
    async fn call(
        &self,
        op: String,
        args_json: String,
        user_context: Arc<UserContext>,
    ) -> R<String>;
}

/// Builds one override layer from `original` (the layer below).
#[uniffi::export(rust, foreign)]
pub trait HostOverride: Send + Sync {
    fn apply(&self, original: Arc<HostOriginal>) -> R<Arc<dyn HostLayer>>;
}

/// What an override's `original` reaches: the layer below it.
#[derive(Clone)]
pub(crate) enum Below {
    Functions(Arc<dyn RecipeFunctions>),
    Apis(Arc<dyn ApiFunctions>),
}

/// The layer below an override, called by operation name.
#[derive(uniffi::Object)]
pub struct HostOriginal {
    pub(crate) below: Below,
}

#[uniffi::export]
impl HostOriginal {
    /// Runs the declared operation `op` of the layer below with `args_json` (a JSON object; defaults apply,
    /// unknown keys are refused) and returns its result as JSON text.
    pub async fn call(
        &self,
        op: String,
        args_json: String,
        user_context: Arc<UserContext>,
    ) -> R<String> {
        let args: Value = serde_json::from_str(&args_json).map_err(|e| {
            AuthError::from(authcore::AuthError::invalid("argsJson", e.to_string()))
        })?;
        let ctx = &user_context.inner;
        let value = match &self.below {
            Below::Functions(f) => call_functions(&**f, &op, args, ctx).await?,
            Below::Apis(a) => call_apis(&**a, &op, args, ctx).await?,
        };
        Ok(value.to_string())
    }
}

/// A [`HostLayer`] as the core's [`Host`]: the host sees a new handle on the request's own context.
struct ForeignHost(Arc<dyn HostLayer>);

#[async_trait]
impl Host for ForeignHost {
    async fn call(
        &self,
        op: &'static str,
        args: Value,
        ctx: &authcore::UserContext,
    ) -> authcore::Result<Value> {
        let uc = Arc::new(UserContext { inner: ctx.clone() });
        let text = self.0.call(op.to_string(), args.to_string(), uc).await?;
        serde_json::from_str(&text).map_err(|e| {
            authcore::AuthError::host(format!("result of override '{op}' is not JSON: {e}"))
        })
    }
}

/// Where `open` keeps the first error an override's `apply` returned (the builder's closures cannot fail).
pub(crate) type Failure = Arc<std::sync::Mutex<Option<AuthError>>>;

fn applied(
    layer: &dyn HostOverride,
    below: Below,
    failure: &Failure,
) -> Option<(Arc<dyn Host>, HashSet<String>)> {
    match layer.apply(Arc::new(HostOriginal { below })) {
        Ok(host) => {
            let replaced = host.replaces().into_iter().collect();
            Some((Arc::new(ForeignHost(host)), replaced))
        }
        Err(e) => {
            if let Ok(mut f) = failure.lock() {
                f.get_or_insert(e);
            }
            None
        }
    }
}

/// The core's host layer of recipe functions over `layer` (`below` itself when `apply` failed).
pub(crate) fn functions_layer(
    layer: &dyn HostOverride,
    below: Arc<dyn RecipeFunctions>,
    timeout_ms: u64,
    failure: &Failure,
) -> Arc<dyn RecipeFunctions> {
    match applied(layer, Below::Functions(below.clone()), failure) {
        Some((host, replaced)) => Arc::new(HostFunctions::new(
            below,
            host,
            |op| replaced.contains(op),
            timeout_ms,
        )),
        None => below,
    }
}

/// The core's host layer of API functions over `layer` (`below` itself when `apply` failed).
pub(crate) fn apis_layer(
    layer: &dyn HostOverride,
    below: Arc<dyn ApiFunctions>,
    timeout_ms: u64,
    failure: &Failure,
) -> Arc<dyn ApiFunctions> {
    match applied(layer, Below::Apis(below.clone()), failure) {
        Some((host, replaced)) => Arc::new(HostApis::new(
            below,
            host,
            |op| replaced.contains(op),
            timeout_ms,
        )),
        None => below,
    }
}
