//! Host overrides in, `original` out (supertokens-python's shape: `functions=lambda original: Mine(original)`).
//!
//! The core derives the override layer from its declaration (`authcore::layers::{HostFunctions, HostApis}`);
//! this module only says how to run one Python method ([`PyHost`]) and which methods the Python object
//! defines. The `original` handed to the factory ([`PyRecipeFunctions`] / [`PyApiFunctions`]) calls the layer
//! below by name (`call_functions` / `call_apis`), never the final object.

use std::sync::Arc;

use async_trait::async_trait;
use authcore::layers::{call_apis, call_functions, Host, HostApis, HostFunctions};
use authcore::ops::OperationKind;
use authcore::{ApiFunctions, RecipeFunctions, Result, UserContext};
use pyo3::prelude::*;
use serde_json::Value;

use crate::context;
use crate::error::{host_error, to_pyerr};
use crate::methods::{methods, Method};
use crate::runtime;
use crate::types::{py_to_value, result_to_py, Keys};

/// The object an override factory returned.
struct PyHost(Py<PyAny>);

#[async_trait]
impl Host for PyHost {
    async fn call(&self, op: &'static str, args: Value, ctx: &UserContext) -> Result<Value> {
        let m = overridable(op);
        runtime::off_the_loop().await;
        let returned = Python::attach(|py| -> PyResult<Py<PyAny>> {
            let kwargs = m.kwargs(py, args)?;
            kwargs.set_item("user_context", context::py_context(py, ctx)?)?;
            Ok(self
                .0
                .bind(py)
                .call_method(&*m.py, (), Some(&kwargs))?
                .unbind())
        })
        .map_err(host_error)?;
        // `hostTimeoutMs` (applied by the core around this call) bounds awaiting a coroutine; a synchronous
        // Python function that blocks cannot be cut short.
        let value = runtime::resolve(returned).await.map_err(host_error)?;
        Python::attach(move |py| py_to_value(&value.into_bound(py), Keys::Camel))
            .map_err(host_error)
    }
}

/// The method of the overridable operation `op` (a declared wire name, so always found).
fn overridable(op: &str) -> &'static Method {
    let all = methods();
    all.iter().find(|m| m.info.name == op).unwrap_or(&all[0])
}

/// Whether the Python object defines the method of the overridable operation `op`.
fn defines(host: &Bound<'_, PyAny>, op: &str) -> bool {
    host.hasattr(&*overridable(op).py).unwrap_or(false)
}

/// Calls `factory(original)`: `None` when it handed `original` back (no layer), the object otherwise.
fn host_object(
    py: Python<'_>,
    factory: &Py<PyAny>,
    original: Py<PyAny>,
    what: &str,
) -> PyResult<Option<Py<PyAny>>> {
    let host = factory.bind(py).call1((original.clone_ref(py),))?;
    if host.is(original.bind(py)) {
        return Ok(None);
    }
    if host.is_none() {
        return Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "override {what} factory returned None (return an object wrapping `original`)"
        )));
    }
    Ok(Some(host.unbind()))
}

/// Applies a `functions` factory to the layer below; the factory's own exception is returned as is.
pub fn functions_layer(
    factory: &Py<PyAny>,
    original: &Arc<dyn RecipeFunctions>,
    timeout_ms: u64,
) -> PyResult<Arc<dyn RecipeFunctions>> {
    Python::attach(|py| {
        let handle = Py::new(py, PyRecipeFunctions(original.clone()))?.into_any();
        let Some(host) = host_object(py, factory, handle, "functions")? else {
            return Ok(original.clone());
        };
        let bound = host.bind(py);
        let replaced = |op: &str| defines(bound, op);
        let layer = HostFunctions::new(
            original.clone(),
            Arc::new(PyHost(host.clone_ref(py))),
            replaced,
            timeout_ms,
        );
        Ok(Arc::new(layer) as Arc<dyn RecipeFunctions>)
    })
}

/// Applies an `apis` factory to the layer below.
pub fn apis_layer(
    factory: &Py<PyAny>,
    original: &Arc<dyn ApiFunctions>,
    timeout_ms: u64,
) -> PyResult<Arc<dyn ApiFunctions>> {
    Python::attach(|py| {
        let handle = Py::new(py, PyApiFunctions(original.clone()))?.into_any();
        let Some(host) = host_object(py, factory, handle, "apis")? else {
            return Ok(original.clone());
        };
        let bound = host.bind(py);
        let replaced = |op: &str| defines(bound, op);
        let layer = HostApis::new(
            original.clone(),
            Arc::new(PyHost(host.clone_ref(py))),
            replaced,
            timeout_ms,
        );
        Ok(Arc::new(layer) as Arc<dyn ApiFunctions>)
    })
}

/// A core result (or error) as Python.
pub fn finish(py: Python<'_>, r: Result<Value>) -> PyResult<Py<PyAny>> {
    match r {
        Ok(v) => result_to_py(py, v),
        Err(e) => Err(to_pyerr(py, e)),
    }
}

/// `original` of an `override.functions` factory: the recipe functions of the layer below. In a `def` override,
/// `original.x(...)` returns the result; in an `async def` override, `await original.x(...)`. Pass the
/// `user_context` you received. Its methods are installed from the declaration (`authcore/__init__.py`).
#[pyclass(frozen, module = "authcore", name = "RecipeFunctions")]
pub struct PyRecipeFunctions(Arc<dyn RecipeFunctions>);

/// `original` of an `override.apis` factory: the API functions of the layer below.
#[pyclass(frozen, module = "authcore", name = "ApiFunctions")]
pub struct PyApiFunctions(Arc<dyn ApiFunctions>);

/// One layer below an override, owned.
enum Layer {
    Functions(Arc<dyn RecipeFunctions>),
    Apis(Arc<dyn ApiFunctions>),
}

async fn run_layer(layer: Layer, m: &Method, args: Value, ctx: &UserContext) -> Result<Value> {
    match layer {
        Layer::Functions(f) => call_functions(&*f, m.info.name, args, ctx).await,
        Layer::Apis(a) => call_apis(&*a, m.info.name, args, ctx).await,
    }
}

/// Calls method `m` on the layer behind `target` (a `RecipeFunctions` / `ApiFunctions` handle) for Python code
/// running inside an override: an awaitable when an asyncio loop runs on this thread (`async def` overrides:
/// `await original.x(...)`), else the result (`def` overrides). `None` when `target` is no such handle.
pub fn call_original(
    target: &Bound<'_, PyAny>,
    m: &'static Method,
    args: Value,
    user_context: Option<&Bound<'_, PyAny>>,
) -> Option<PyResult<Py<PyAny>>> {
    let layer = match (
        target.cast::<PyRecipeFunctions>(),
        target.cast::<PyApiFunctions>(),
    ) {
        (Ok(f), _) if m.info.kind == OperationKind::Recipe => Layer::Functions(f.get().0.clone()),
        (_, Ok(a)) if m.info.kind == OperationKind::Api => Layer::Apis(a.get().0.clone()),
        _ => return None,
    };
    let py = target.py();
    let call = || -> PyResult<Py<PyAny>> {
        let (ctx, lease) = context::enter(py, user_context, true)?;
        if runtime::running_loop(py)? {
            let fut = async move {
                let r = run_layer(layer, m, args, &ctx).await;
                Python::attach(|py| {
                    drop(lease);
                    finish(py, r)
                })
            };
            return Ok(pyo3_async_runtimes::tokio::future_into_py(py, fut)?.unbind());
        }
        let r = runtime::block(py, run_layer(layer, m, args, &ctx))?;
        drop(lease);
        finish(py, r)
    };
    Some(call())
}
