//! Errors: the exception hierarchy under `authcore.AuthError`, the one mapping from the core's `AuthError`, and
//! the pass-through of Python exceptions raised by host code.
//!
//! A Python exception raised in an override has to cross the core (which only knows `AuthError`) before it
//! reaches the Python caller. It travels as `AuthError::Host` with the `PyErr` itself as the error's opaque
//! payload; at the boundary, [`to_pyerr`] takes it back out, so the caller gets the very same exception object
//! (`is`), with its type, traceback and attributes. No registry and no marker in the message.

use authcore::error::{HostPayload, ERRORS};
use authcore::AuthError;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

pyo3::create_exception!(
    authcore,
    PyAuthError,
    PyException,
    "Base of every authcore error; `.code` is the core's stable code."
);

/// One subclass of `AuthError` per code of the core's declaration (`authcore::error::ERRORS`, same order),
/// created when the module loads.
static CLASSES: PyOnceLock<Vec<Py<PyType>>> = PyOnceLock::new();

/// Registers `AuthError` and a subclass per declared code (`InvalidInputError`, ...), each with its class-level
/// `code`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let base = py.get_type::<PyAuthError>();
    m.add("AuthError", &base)?;
    let mut classes = Vec::with_capacity(ERRORS.len());
    for info in ERRORS {
        let name = format!("authcore.{}", info.class);
        let class = PyErr::new_type(
            py,
            &std::ffi::CString::new(name)?,
            Some(&std::ffi::CString::new(info.doc)?),
            Some(&base),
            None,
        )?;
        let class = class.bind(py);
        class.setattr("code", info.code)?;
        m.add(info.class, class)?;
        classes.push(class.clone().unbind());
    }
    let _ = CLASSES.set(py, classes);
    Ok(())
}

/// Turns a Python exception raised by host code into the core's `AuthError::Host` carrying that exception, so
/// the boundary can re-raise the same object.
pub fn host_error(err: PyErr) -> AuthError {
    let text = Python::attach(|py| describe(py, &err));
    AuthError::host_with(text, HostPayload::new(err))
}

/// A Python exception as one line, for event-handler failures the core records (never re-raised).
pub fn describe(py: Python<'_>, err: &PyErr) -> String {
    let name = err
        .get_type(py)
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "Exception".into());
    let value = err
        .value(py)
        .str()
        .map(|s| s.to_string())
        .unwrap_or_default();
    if value.is_empty() {
        name
    } else {
        format!("{name}: {value}")
    }
}

/// The one mapping from the core's error to a Python exception: its declared class, `code` and fields.
pub fn to_pyerr(py: Python<'_>, e: AuthError) -> PyErr {
    if let Some(original) = e.host_payload().and_then(|p| p.downcast_ref::<PyErr>()) {
        return original.clone_ref(py);
    }
    let index = ERRORS.iter().position(|i| i.code == e.code());
    let class = CLASSES
        .get(py)
        .zip(index)
        .and_then(|(classes, i)| classes.get(i))
        .map(|c| c.bind(py).clone())
        .unwrap_or_else(|| py.get_type::<PyAuthError>());
    let err = PyErr::from_type(class, e.to_string());
    let value = err.value(py);
    let _ = value.setattr("code", e.code());
    for (name, v) in e.details() {
        if let Ok(v) = crate::types::value_to_py(py, &v) {
            let _ = value.setattr(name, v);
        }
    }
    err
}
