//! The handle classes: `AuthCore` (blocking; safe from many threads, the GIL released while the core works) and
//! `AsyncAuthCore` (every method returns an awaitable; the event loop is never blocked). Both are opened with
//! `open(database=..., config=..., override=..., events=...)`. Their operation methods are derived from the
//! core's declaration (`methods.rs`, installed by `authcore/__init__.py`) and all go through [`call`].

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use authcore::layers::{call_apis, call_functions};
use authcore::ops::OperationKind;
use authcore::{AuthCoreBuilder, AuthCoreConfig, AuthError, DatabaseConfig, UserContext};
use pyo3::exceptions::{PyAttributeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyCFunction, PyDict, PyString, PyTuple};
use serde_json::Value;

use crate::context;
use crate::error::to_pyerr;
use crate::host::{apis_layer, call_original, finish, functions_layer};
use crate::methods::{engine_method, methods, Method};
use crate::runtime;
use crate::types::{camel, py_to_value, result_to_py, Keys};

/// Override layers: `Override(functions=lambda original: Mine(original), apis=...)`. Pass one or a list
/// (later layers wrap earlier ones).
#[pyclass(frozen, module = "authcore", name = "Override")]
pub struct PyOverride {
    #[pyo3(get)]
    functions: Option<Py<PyAny>>,
    #[pyo3(get)]
    apis: Option<Py<PyAny>>,
}

#[pymethods]
impl PyOverride {
    #[new]
    #[pyo3(signature = (*, functions = None, apis = None))]
    fn py_new(functions: Option<Py<PyAny>>, apis: Option<Py<PyAny>>) -> Self {
        PyOverride { functions, apis }
    }

    fn __repr__(&self) -> String {
        format!(
            "Override(functions={}, apis={})",
            if self.functions.is_some() {
                "..."
            } else {
                "None"
            },
            if self.apis.is_some() { "..." } else { "None" }
        )
    }
}

/// A builder from `open`'s arguments; `hosted` when Python overrides take part (they need the context
/// registry); `failure` receives an exception raised by an override factory during the build.
struct Prepared {
    builder: AuthCoreBuilder,
    hosted: bool,
    failure: Arc<Mutex<Option<PyErr>>>,
}

/// `database=` for the core's one parse ([`DatabaseConfig`]): a dict becomes its JSON object (a path-like value,
/// `{"sqlite": Path("auth.db")}`, as its text); a bare path is the `{"sqlite": path}` shorthand; anything else
/// goes to the core as it is, which refuses it with `INVALID_INPUT`.
fn database_config(database: &Bound<'_, PyAny>) -> PyResult<DatabaseConfig> {
    let py = database.py();
    let value = if let Ok(d) = database.cast::<PyDict>() {
        let mut object = serde_json::Map::new();
        for (k, v) in d.iter() {
            let key: String = k.extract().map_err(|_| {
                to_pyerr(py, AuthError::invalid("database", "keys must be strings"))
            })?;
            let value = if v.cast::<PyString>().is_err() {
                match v.extract::<PathBuf>() {
                    Ok(path) => Value::String(
                        path.to_str()
                            .ok_or_else(|| {
                                to_pyerr(
                                    py,
                                    AuthError::invalid(
                                        "database",
                                        format!("the value of {key:?} is not valid UTF-8"),
                                    ),
                                )
                            })?
                            .to_string(),
                    ),
                    Err(_) => py_to_value(&v, Keys::Verbatim)?,
                }
            } else {
                py_to_value(&v, Keys::Verbatim)?
            };
            object.insert(key, value);
        }
        Value::Object(object)
    } else if let Ok(path) = database.extract::<PathBuf>() {
        return Ok(DatabaseConfig::sqlite(path));
    } else {
        py_to_value(database, Keys::Verbatim).unwrap_or(Value::Null)
    };
    DatabaseConfig::from_json(value).map_err(|e| to_pyerr(py, e))
}

/// The engine configuration as the core reads it: Python's snake_case keys (`account_linking`,
/// `host_timeout_ms`) become camelCase, camelCase keys stay, and the keys of `account_linking.tenants` and
/// `account_linking.providers` are tenant and provider ids, kept exactly as written.
fn config_keys(v: Value) -> Value {
    fn all(v: Value) -> Value {
        match v {
            Value::Object(m) => {
                Value::Object(m.into_iter().map(|(k, v)| (camel(&k), all(v))).collect())
            }
            Value::Array(items) => Value::Array(items.into_iter().map(all).collect()),
            other => other,
        }
    }
    fn by_id(v: Value) -> Value {
        match v {
            Value::Object(m) => {
                Value::Object(m.into_iter().map(|(id, rule)| (id, all(rule))).collect())
            }
            other => all(other),
        }
    }
    let Value::Object(top) = v else { return v };
    Value::Object(
        top.into_iter()
            .map(|(k, v)| {
                let k = camel(&k);
                let v = match (k.as_str(), v) {
                    ("accountLinking", Value::Object(linking)) => Value::Object(
                        linking
                            .into_iter()
                            .map(|(k, v)| {
                                let k = camel(&k);
                                let v = if k == "tenants" || k == "providers" {
                                    by_id(v)
                                } else {
                                    all(v)
                                };
                                (k, v)
                            })
                            .collect(),
                    ),
                    (_, v) => all(v),
                };
                (k, v)
            })
            .collect(),
    )
}

fn prepare(
    py: Python<'_>,
    database: &Bound<'_, PyAny>,
    config: Option<&Bound<'_, PyAny>>,
    overrides: Option<&Bound<'_, PyAny>>,
    events: Option<&Bound<'_, PyDict>>,
) -> PyResult<Prepared> {
    let config: AuthCoreConfig = match config {
        Some(c) if !c.is_none() => {
            let v = config_keys(py_to_value(c, Keys::Verbatim)?);
            authcore::json::parse("config", v).map_err(|e| to_pyerr(py, e))?
        }
        _ => AuthCoreConfig::default(),
    };
    let database = database_config(database)?;
    let timeout_ms = config.host_timeout_ms;
    let mut builder = py
        .detach(|| authcore::AuthCore::builder().database(database))
        .map_err(|e| to_pyerr(py, e))?
        .config(config);
    let failure: Arc<Mutex<Option<PyErr>>> = Arc::default();
    let mut hosted = false;
    let layers: Vec<Bound<'_, PyOverride>> = match overrides {
        None => Vec::new(),
        Some(o) if o.is_none() => Vec::new(),
        Some(o) => match o.cast::<PyOverride>() {
            Ok(one) => vec![one.clone()],
            Err(_) => o
                .try_iter()
                .map_err(|_| {
                    pyo3::exceptions::PyTypeError::new_err(
                        "override must be an Override or a list of Override",
                    )
                })?
                .map(|x| {
                    x?.cast_into::<PyOverride>().map_err(|_| {
                        pyo3::exceptions::PyTypeError::new_err(
                            "override must be an Override or a list of Override",
                        )
                    })
                })
                .collect::<PyResult<_>>()?,
        },
    };
    for layer in layers {
        let layer = layer.get();
        if let Some(f) = &layer.functions {
            hosted = true;
            let factory = f.clone_ref(py);
            let failure = failure.clone();
            builder = builder.override_functions(move |original| {
                functions_layer(&factory, &original, timeout_ms).unwrap_or_else(|e| {
                    failure
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .get_or_insert(e);
                    original
                })
            });
        }
        if let Some(f) = &layer.apis {
            hosted = true;
            let factory = f.clone_ref(py);
            let failure = failure.clone();
            builder = builder.override_apis(move |original| {
                apis_layer(&factory, &original, timeout_ms).unwrap_or_else(|e| {
                    failure
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .get_or_insert(e);
                    original
                })
            });
        }
    }
    if let Some(e) = events {
        builder = crate::events::register(builder, e)?;
    }
    Ok(Prepared {
        builder,
        hosted,
        failure,
    })
}

fn opened(
    py: Python<'_>,
    r: authcore::Result<authcore::AuthCore>,
    failure: &Mutex<Option<PyErr>>,
) -> PyResult<authcore::AuthCore> {
    if let Some(e) = failure.lock().unwrap_or_else(|p| p.into_inner()).take() {
        return Err(e);
    }
    r.map_err(|e| to_pyerr(py, e))
}

fn json_result(py: Python<'_>, r: authcore::Result<Value>) -> PyResult<Py<PyAny>> {
    match r {
        Ok(v) => result_to_py(py, v),
        Err(e) => Err(to_pyerr(py, e)),
    }
}

/// The blocking client. Every method releases the GIL while the core works, so it can be shared by the threads
/// of a WSGI server. Overrides and event handlers may be `def` or `async def`. Use as a context manager, or call
/// `shutdown()` before exit.
#[pyclass(frozen, module = "authcore", name = "AuthCore")]
pub struct PyAuthCore {
    core: authcore::AuthCore,
    hosted: bool,
}

/// Runs method `m` on the engine: a public operation by name through every override (`call_raw`), a hook
/// (not callable by name on the engine) on the outermost layer.
async fn run(
    core: &authcore::AuthCore,
    m: &Method,
    args: Value,
    ctx: &UserContext,
) -> authcore::Result<Value> {
    match (m.info.public, m.info.kind) {
        (false, OperationKind::Recipe) => {
            call_functions(core.functions(), m.info.name, args, ctx).await
        }
        (false, OperationKind::Api) => call_apis(core.apis(), m.info.name, args, ctx).await,
        _ => core.call_raw(m.info.name, args, ctx).await,
    }
}

/// Calls method `m` on `target` (a client or an `original`) with a call's keyword arguments.
fn invoke(
    target: &Bound<'_, PyAny>,
    m: &'static Method,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<Py<PyAny>> {
    let py = target.py();
    let (args, user_context) = m.args(kwargs)?;
    let user_context = user_context.as_ref();
    if let Ok(c) = target.cast::<PyAuthCore>() {
        let c = c.get();
        let (ctx, lease) = context::enter(py, user_context, c.hosted)?;
        let r = runtime::block(py, run(&c.core, m, args, &ctx))?;
        drop(lease);
        return finish(py, r);
    }
    if let Ok(c) = target.cast::<PyAsyncAuthCore>() {
        let c = c.get();
        let (ctx, lease) = context::enter(py, user_context, c.hosted)?;
        let core = c.core.clone();
        let fut = async move {
            let r = run(&core, m, args, &ctx).await;
            Python::attach(|py| {
                drop(lease);
                finish(py, r)
            })
        };
        return runtime::awaitable(py, fut);
    }
    call_original(target, m, args, user_context).unwrap_or_else(|| {
        Err(PyTypeError::new_err(format!(
            "{}() is not a method of {}",
            m.py,
            target.get_type().name()?
        )))
    })
}

/// `_native._call(target, index, kwargs)`: the body of every method `authcore/__init__.py` installs (method
/// `index` of the declaration, see `methods.rs`).
#[pyfunction]
#[pyo3(signature = (target, index, kwargs = None))]
pub fn _call(
    target: &Bound<'_, PyAny>,
    index: usize,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<Py<PyAny>> {
    let m = methods()
        .get(index)
        .ok_or_else(|| PyTypeError::new_err("no such declared method"))?;
    invoke(target, m, kwargs)
}

/// An engine operation without a method of its own (`auth.get_user_count(tenant_id="t1")`), bound to the
/// client `target`; `AttributeError` when `name` is no such operation.
fn bound_engine_method(py: Python<'_>, name: &str, target: Py<PyAny>) -> PyResult<Py<PyAny>> {
    let m = engine_method(name).ok_or_else(|| {
        PyAttributeError::new_err(format!("'AuthCore' object has no attribute '{name}'"))
    })?;
    let f = PyCFunction::new_closure(
        py,
        None,
        None,
        move |args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>| {
            if !args.is_empty() {
                let e = AuthError::invalid(m.info.name, "takes keyword arguments only");
                return Err(to_pyerr(args.py(), e));
            }
            invoke(target.bind(args.py()), m, kwargs)
        },
    )?;
    Ok(f.into_any().unbind())
}

#[pymethods]
impl PyAuthCore {
    /// Opens (or creates) the database and returns the client. Events a previous run left pending are
    /// redelivered before this returns.
    #[staticmethod]
    #[pyo3(signature = (*, database, config = None, r#override = None, events = None))]
    fn open(
        py: Python<'_>,
        database: &Bound<'_, PyAny>,
        config: Option<&Bound<'_, PyAny>>,
        r#override: Option<&Bound<'_, PyAny>>,
        events: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyAuthCore> {
        let p = prepare(py, database, config, r#override, events)?;
        let r = runtime::block(py, p.builder.open())?;
        let core = opened(py, r, &p.failure)?;
        Ok(PyAuthCore {
            core,
            hosted: p.hosted,
        })
    }

    /// Closes the engine: new calls raise `ShutDownError` at once, calls already running finish, pending events
    /// are delivered. A second call does nothing.
    fn shutdown(&self, py: Python<'_>) -> PyResult<()> {
        let core = self.core.clone();
        runtime::block(py, async move { core.shutdown().await })?
            .map(|_| ())
            .map_err(|e| to_pyerr(py, e))
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, PyTuple>) -> PyResult<bool> {
        self.shutdown(py)?;
        Ok(false)
    }

    /// Any declared operation without a method of its own (`authcore::ops`), by its snake_case name:
    /// `auth.get_user_count(tenant_id="t1")`. Keyword arguments only; the result is the core's JSON as Python
    /// values.
    fn __getattr__(slf: Py<Self>, py: Python<'_>, name: &str) -> PyResult<Py<PyAny>> {
        bound_engine_method(py, name, slf.into_any())
    }

    /// The engine configuration, as JSON.
    #[getter]
    fn config(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        json_result(py, authcore::json::to_value(self.core.config()))
    }

    /// An asyncio client on the same engine.
    #[getter]
    fn aio(&self) -> PyAsyncAuthCore {
        PyAsyncAuthCore {
            core: self.core.clone(),
            hosted: self.hosted,
        }
    }

    fn __repr__(&self) -> String {
        "<authcore.AuthCore>".to_string()
    }
}

/// The asyncio client: every operation returns an awaitable and runs off the event loop. Overrides and event
/// handlers may be `def` or `async def` (coroutines run on the caller's loop). Open with
/// `await AsyncAuthCore.open(...)`; use `async with`, or `await shutdown()` before exit.
#[pyclass(frozen, module = "authcore", name = "AsyncAuthCore")]
pub struct PyAsyncAuthCore {
    core: authcore::AuthCore,
    hosted: bool,
}

#[pymethods]
impl PyAsyncAuthCore {
    /// Opens (or creates) the database; an awaitable of the client. Events a previous run left pending are
    /// redelivered before it resolves.
    #[staticmethod]
    #[pyo3(signature = (*, database, config = None, r#override = None, events = None))]
    fn open(
        py: Python<'_>,
        database: &Bound<'_, PyAny>,
        config: Option<&Bound<'_, PyAny>>,
        r#override: Option<&Bound<'_, PyAny>>,
        events: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        let p = prepare(py, database, config, r#override, events)?;
        let fut = async move {
            let r = p.builder.open().await;
            Python::attach(|py| {
                let core = opened(py, r, &p.failure)?;
                Py::new(
                    py,
                    PyAsyncAuthCore {
                        core,
                        hosted: p.hosted,
                    },
                )
            })
        };
        Ok(pyo3_async_runtimes::tokio::future_into_py(py, fut)?.unbind())
    }

    /// Closes the engine (awaitable): new calls raise `ShutDownError` at once, calls already running finish,
    /// pending events are delivered.
    fn shutdown(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let core = self.core.clone();
        let fut = async move {
            let r = core.shutdown().await.map(|_| ());
            Python::attach(|py| r.map_err(|e| to_pyerr(py, e)))
        };
        Ok(pyo3_async_runtimes::tokio::future_into_py(py, fut)?.unbind())
    }

    fn __aenter__(slf: Py<Self>, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(pyo3_async_runtimes::tokio::future_into_py(py, async move { Ok(slf) })?.unbind())
    }

    #[pyo3(signature = (*_args))]
    fn __aexit__(&self, py: Python<'_>, _args: &Bound<'_, PyTuple>) -> PyResult<Py<PyAny>> {
        let core = self.core.clone();
        let fut = async move {
            let r = core.shutdown().await;
            Python::attach(|py| r.map(|_| false).map_err(|e| to_pyerr(py, e)))
        };
        Ok(pyo3_async_runtimes::tokio::future_into_py(py, fut)?.unbind())
    }

    /// Any declared operation without a method of its own, by its snake_case name (awaitable); see
    /// `AuthCore.__getattr__`.
    fn __getattr__(slf: Py<Self>, py: Python<'_>, name: &str) -> PyResult<Py<PyAny>> {
        bound_engine_method(py, name, slf.into_any())
    }

    /// The engine configuration, as JSON.
    #[getter]
    fn config(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        json_result(py, authcore::json::to_value(self.core.config()))
    }

    fn __repr__(&self) -> String {
        "<authcore.AsyncAuthCore>".to_string()
    }
}
