//! The Python binding of authcore: `authcore._native`, wrapped by the `authcore` package.
//!
//! Modules: `client` (the `AuthCore` / `AsyncAuthCore` handles), `types` (JSON <-> Python, `Record`),
//! `context` (`UserContext` and its identity), `error` (exceptions, the one mapping), `host` (overrides in through
//! the core's host layer, `original` out), `events` (handlers), `runtime` (blocking and asyncio execution), and
//! `methods` (the Python methods, derived from the core's declaration: no operation is listed here).

// The benchmark aids live with the benchmark that uses them; only `--features bench` builds them.
#[cfg(feature = "bench")]
#[path = "../bench/native.rs"]
mod bench;
mod client;
mod context;
mod error;
mod events;
mod host;
mod methods;
mod runtime;
mod types;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<client::PyAuthCore>()?;
    m.add_class::<client::PyAsyncAuthCore>()?;
    m.add_class::<client::PyOverride>()?;
    m.add_class::<context::PyUserContext>()?;
    m.add_class::<types::Record>()?;
    m.add_class::<host::PyRecipeFunctions>()?;
    m.add_class::<host::PyApiFunctions>()?;
    // Private: `setattr`, not `add`, keeps them out of `__all__`.
    m.setattr("_METHODS", methods::methods_py(m.py())?)?;
    m.setattr("_call", wrap_pyfunction!(client::_call, m)?)?;
    error::register(m)?;
    #[cfg(feature = "bench")]
    bench::register(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    let declared = serde_json::to_value(authcore::ops::OPERATIONS)
        .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
    m.add("OPERATIONS", types::value_to_py(m.py(), &declared)?)?;
    m.add_function(wrap_pyfunction!(json_form, m)?)?;
    Ok(())
}

/// A result of operation `op` (its camelCase name) in the operation's JSON form (`{"status": "OK", ...}`),
/// by the core's declared envelope.
#[pyfunction]
fn json_form(py: Python<'_>, op: &str, value: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    let raw = types::py_to_value(value, types::Keys::Verbatim)?;
    let out = match authcore::ops::operation(op) {
        Some(info) => authcore::ops::json_form(info, raw),
        None => raw,
    };
    types::value_to_py(py, &out)
}
