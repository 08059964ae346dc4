//! Errors: the exception hierarchy under `authcore.AuthError`, the one mapping from the core's `AuthError`, and
//! the pass-through of Python exceptions raised by host code.
//!
//! A Python exception raised in an override has to cross the core (which only knows `AuthError`) before it
//! reaches the Python caller. It travels as `AuthError::Host` with the `PyErr` itself as the error's opaque
//! payload; at the boundary, [`to_pyerr`] takes it back out, so the caller gets the very same exception object
//! (`is`), with its type, traceback and attributes. No registry and no marker in the message.

use authcore::error::HostPayload;
use authcore::AuthError;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

pyo3::create_exception!(
    authcore,
    PyAuthError,
    PyException,
    "Base of every authcore error; `.code` is the core's stable code."
);
pyo3::create_exception!(authcore, InvalidInputError, PyAuthError, "INVALID_INPUT");
pyo3::create_exception!(authcore, EmptyFieldError, PyAuthError, "EMPTY_FIELD");
pyo3::create_exception!(authcore, FieldTooLongError, PyAuthError, "FIELD_TOO_LONG");
pyo3::create_exception!(authcore, InvalidEmailError, PyAuthError, "INVALID_EMAIL");
pyo3::create_exception!(
    authcore,
    InvalidTenantIdError,
    PyAuthError,
    "INVALID_TENANT_ID"
);
pyo3::create_exception!(
    authcore,
    TenantNotFoundError,
    PyAuthError,
    "TENANT_NOT_FOUND"
);
pyo3::create_exception!(authcore, UnknownUserIdError, PyAuthError, "UNKNOWN_USER_ID");
pyo3::create_exception!(
    authcore,
    CannotDeletePublicTenantError,
    PyAuthError,
    "CANNOT_DELETE_PUBLIC_TENANT"
);
pyo3::create_exception!(
    authcore,
    ProviderNotFoundError,
    PyAuthError,
    "PROVIDER_NOT_FOUND"
);
pyo3::create_exception!(
    authcore,
    DuplicateProviderError,
    PyAuthError,
    "DUPLICATE_PROVIDER"
);
pyo3::create_exception!(
    authcore,
    FirstFactorNotAllowedError,
    PyAuthError,
    "FIRST_FACTOR_NOT_ALLOWED"
);
pyo3::create_exception!(
    authcore,
    InvalidPaginationTokenError,
    PyAuthError,
    "INVALID_PAGINATION_TOKEN"
);
pyo3::create_exception!(authcore, StorageError, PyAuthError, "STORAGE_ERROR");
pyo3::create_exception!(authcore, InternalError, PyAuthError, "INTERNAL_ERROR");
pyo3::create_exception!(authcore, HostError, PyAuthError, "HOST_ERROR");
pyo3::create_exception!(authcore, HostTimeoutError, PyAuthError, "HOST_TIMEOUT");
pyo3::create_exception!(
    authcore,
    UserNotInTenantError,
    PyAuthError,
    "USER_NOT_IN_TENANT"
);
pyo3::create_exception!(authcore, UnauthorisedError, PyAuthError, "UNAUTHORISED");
pyo3::create_exception!(authcore, SchemaTooNewError, PyAuthError, "SCHEMA_TOO_NEW");
pyo3::create_exception!(authcore, ShutDownError, PyAuthError, "SHUT_DOWN");

/// Registers the exception classes and their class-level `code`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("AuthError", py.get_type::<PyAuthError>())?;
    let classes = [
        (
            "InvalidInputError",
            py.get_type::<InvalidInputError>(),
            "INVALID_INPUT",
        ),
        (
            "EmptyFieldError",
            py.get_type::<EmptyFieldError>(),
            "EMPTY_FIELD",
        ),
        (
            "FieldTooLongError",
            py.get_type::<FieldTooLongError>(),
            "FIELD_TOO_LONG",
        ),
        (
            "InvalidEmailError",
            py.get_type::<InvalidEmailError>(),
            "INVALID_EMAIL",
        ),
        (
            "InvalidTenantIdError",
            py.get_type::<InvalidTenantIdError>(),
            "INVALID_TENANT_ID",
        ),
        (
            "TenantNotFoundError",
            py.get_type::<TenantNotFoundError>(),
            "TENANT_NOT_FOUND",
        ),
        (
            "UnknownUserIdError",
            py.get_type::<UnknownUserIdError>(),
            "UNKNOWN_USER_ID",
        ),
        (
            "CannotDeletePublicTenantError",
            py.get_type::<CannotDeletePublicTenantError>(),
            "CANNOT_DELETE_PUBLIC_TENANT",
        ),
        (
            "ProviderNotFoundError",
            py.get_type::<ProviderNotFoundError>(),
            "PROVIDER_NOT_FOUND",
        ),
        (
            "DuplicateProviderError",
            py.get_type::<DuplicateProviderError>(),
            "DUPLICATE_PROVIDER",
        ),
        (
            "FirstFactorNotAllowedError",
            py.get_type::<FirstFactorNotAllowedError>(),
            "FIRST_FACTOR_NOT_ALLOWED",
        ),
        (
            "InvalidPaginationTokenError",
            py.get_type::<InvalidPaginationTokenError>(),
            "INVALID_PAGINATION_TOKEN",
        ),
        (
            "StorageError",
            py.get_type::<StorageError>(),
            "STORAGE_ERROR",
        ),
        (
            "InternalError",
            py.get_type::<InternalError>(),
            "INTERNAL_ERROR",
        ),
        ("HostError", py.get_type::<HostError>(), "HOST_ERROR"),
        (
            "HostTimeoutError",
            py.get_type::<HostTimeoutError>(),
            "HOST_TIMEOUT",
        ),
        (
            "UserNotInTenantError",
            py.get_type::<UserNotInTenantError>(),
            "USER_NOT_IN_TENANT",
        ),
        (
            "UnauthorisedError",
            py.get_type::<UnauthorisedError>(),
            "UNAUTHORISED",
        ),
        (
            "SchemaTooNewError",
            py.get_type::<SchemaTooNewError>(),
            "SCHEMA_TOO_NEW",
        ),
        ("ShutDownError", py.get_type::<ShutDownError>(), "SHUT_DOWN"),
    ];
    for (name, class, code) in classes {
        class.setattr("code", code)?;
        m.add(name, class)?;
    }
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

/// The one mapping from the core's error to a Python exception.
pub fn to_pyerr(py: Python<'_>, e: AuthError) -> PyErr {
    if let Some(original) = e.host_payload().and_then(|p| p.downcast_ref::<PyErr>()) {
        return original.clone_ref(py);
    }
    let message = e.to_string();
    let code = e.code();
    let (err, attrs): (PyErr, Vec<(&str, Py<PyAny>)>) = match e {
        AuthError::InvalidInput { field, message: _ } => (
            InvalidInputError::new_err(message),
            vec![("field", str_obj(py, field))],
        ),
        AuthError::EmptyField { field } => (
            EmptyFieldError::new_err(message),
            vec![("field", str_obj(py, field))],
        ),
        AuthError::FieldTooLong { field, max } => (
            FieldTooLongError::new_err(message),
            vec![
                ("field", str_obj(py, field)),
                (
                    "max",
                    max.into_pyobject(py)
                        .map(|v| v.into_any().unbind())
                        .unwrap_or_else(|_| py.None()),
                ),
            ],
        ),
        AuthError::InvalidEmail { message: _ } => (InvalidEmailError::new_err(message), vec![]),
        AuthError::InvalidTenantId { message: _ } => {
            (InvalidTenantIdError::new_err(message), vec![])
        }
        AuthError::TenantNotFound { tenant_id } => (
            TenantNotFoundError::new_err(message),
            vec![("tenant_id", str_obj(py, tenant_id))],
        ),
        AuthError::UnknownUserId { user_id } => (
            UnknownUserIdError::new_err(message),
            vec![("user_id", str_obj(py, user_id))],
        ),
        AuthError::CannotDeletePublicTenant => {
            (CannotDeletePublicTenantError::new_err(message), vec![])
        }
        AuthError::ProviderNotFound { third_party_id } => (
            ProviderNotFoundError::new_err(message),
            vec![("third_party_id", str_obj(py, third_party_id))],
        ),
        AuthError::DuplicateProvider { third_party_id } => (
            DuplicateProviderError::new_err(message),
            vec![("third_party_id", str_obj(py, third_party_id))],
        ),
        AuthError::FirstFactorNotAllowed { message: _ } => {
            (FirstFactorNotAllowedError::new_err(message), vec![])
        }
        AuthError::InvalidPaginationToken => {
            (InvalidPaginationTokenError::new_err(message), vec![])
        }
        AuthError::Storage { message: _ } => (StorageError::new_err(message), vec![]),
        AuthError::Internal { message: _ } => (InternalError::new_err(message), vec![]),
        AuthError::Host { .. } => (HostError::new_err(message), vec![]),
        AuthError::HostTimeout { timeout_ms } => (
            HostTimeoutError::new_err(message),
            vec![(
                "timeout_ms",
                timeout_ms
                    .into_pyobject(py)
                    .map(|v| v.into_any().unbind())
                    .unwrap_or_else(|_| py.None()),
            )],
        ),
        AuthError::UserNotInTenant { user_id, tenant_id } => (
            UserNotInTenantError::new_err(message),
            vec![
                ("user_id", str_obj(py, user_id)),
                ("tenant_id", str_obj(py, tenant_id)),
            ],
        ),
        AuthError::Unauthorised { message: _ } => (UnauthorisedError::new_err(message), vec![]),
        AuthError::SchemaTooNew { .. } => (SchemaTooNewError::new_err(message), vec![]),
        AuthError::ShutDown => (ShutDownError::new_err(message), vec![]),
    };
    let value = err.value(py);
    let _ = value.setattr("code", code);
    for (name, v) in attrs {
        let _ = value.setattr(name, v);
    }
    err
}

fn str_obj(py: Python<'_>, s: String) -> Py<PyAny> {
    s.into_pyobject(py)
        .map(|v| v.into_any().unbind())
        .unwrap_or_else(|_| py.None())
}

/// `INVALID_INPUT` raised by the binding itself (a malformed argument), as the core would.
pub fn invalid(field: &str, message: impl Into<String>) -> AuthError {
    AuthError::InvalidInput {
        field: field.to_string(),
        message: message.into(),
    }
}
