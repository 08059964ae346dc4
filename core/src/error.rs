//! One public error type with stable codes.
//!
//! Domain outcomes (`EMAIL_CHANGE_NOT_ALLOWED_ERROR`, `ACCOUNT_INFO_ALREADY_ASSOCIATED…`) are *not* errors: they
//! are result statuses, as in the SuperTokens CDI, so `if status == "OK"` code carries over. What is here is misuse
//! (bad input, unknown ids where the CDI answers 400) and infrastructure failure. Every variant maps to one
//! SCREAMING_SNAKE code that bindings expose as `.code`; the codes are part of the public contract.

use std::any::Any;
use std::sync::Arc;

use thiserror::Error;

/// An opaque value a binding attaches to a host error and takes back where the error leaves the engine.
/// Compared by identity: two payloads are equal when they are the same attachment.
#[derive(Clone)]
pub struct HostPayload(Arc<dyn Any + Send + Sync>);

impl HostPayload {
    pub fn new(value: impl Any + Send + Sync) -> Self {
        HostPayload(Arc::new(value))
    }

    /// The attached value, if it is a `T` (a binding reads back only its own kind of payload).
    pub fn downcast_ref<T: Any>(&self) -> Option<&T> {
        self.0.downcast_ref::<T>()
    }
}

impl std::fmt::Debug for HostPayload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HostPayload(..)")
    }
}

impl PartialEq for HostPayload {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for HostPayload {}

/// Result alias used across the crate.
pub type Result<T, E = AuthError> = std::result::Result<T, E>;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum AuthError {
    /// A field is missing, has the wrong type or a forbidden shape (e.g. padded third-party ids).
    #[error("invalid input for field '{field}': {message}")]
    InvalidInput { field: String, message: String },
    #[error("field '{field}' must not be empty")]
    EmptyField { field: String },
    #[error("field '{field}' is longer than {max} characters")]
    FieldTooLong { field: String, max: usize },
    #[error("invalid email: {message}")]
    InvalidEmail { message: String },
    #[error("invalid tenant id: {message}")]
    InvalidTenantId { message: String },
    #[error("tenant not found: {tenant_id}")]
    TenantNotFound { tenant_id: String },
    #[error("Unknown user ID provided")]
    UnknownUserId { user_id: String },
    #[error("the public tenant cannot be deleted")]
    CannotDeletePublicTenant,
    #[error("the provider {third_party_id} could not be found in the configuration")]
    ProviderNotFound { third_party_id: String },
    #[error("duplicate third party id in the providers list: {third_party_id}")]
    DuplicateProvider { third_party_id: String },
    #[error("{message}")]
    FirstFactorNotAllowed { message: String },
    #[error("invalid pagination token")]
    InvalidPaginationToken,
    #[error("storage error: {message}")]
    Storage { message: String },
    #[error("internal error: {message}")]
    Internal { message: String },
    /// An error raised by host code (an override, a policy callback or an event handler). `payload` is what the
    /// binding attached (the host's own exception object, or its handle on it) so that the caller gets that very
    /// object back; the core never looks inside it.
    #[error("{message}")]
    Host {
        message: String,
        payload: Option<HostPayload>,
    },
    /// Host code (an override, a policy callback or an event handler) did not answer within the configured
    /// `hostTimeoutMs`; nothing it started inside the engine was left half-written.
    #[error("host code did not answer within {timeout_ms} ms")]
    HostTimeout { timeout_ms: u64 },
    /// A session was asked for a user who is not in the session's tenant.
    #[error("user {user_id} is not in tenant {tenant_id}")]
    UserNotInTenant { user_id: String, tenant_id: String },
    /// The operation needs a valid session of the request's tenant and got none (SuperTokens' `UNAUTHORISED`
    /// session error).
    #[error("unauthorised: {message}")]
    Unauthorised { message: String },
    /// The database was migrated by a newer version of the library; this one refuses to run on it.
    #[error("the database schema is version {found}, newer than this library's {supported}")]
    SchemaTooNew { found: i64, supported: i64 },
    /// The engine was shut down (`shutdown()`); it answers nothing after that.
    #[error("the engine was shut down")]
    ShutDown,
}

impl AuthError {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::InvalidInput { .. } => "INVALID_INPUT",
            AuthError::EmptyField { .. } => "EMPTY_FIELD",
            AuthError::FieldTooLong { .. } => "FIELD_TOO_LONG",
            AuthError::InvalidEmail { .. } => "INVALID_EMAIL",
            AuthError::InvalidTenantId { .. } => "INVALID_TENANT_ID",
            AuthError::TenantNotFound { .. } => "TENANT_NOT_FOUND",
            AuthError::UnknownUserId { .. } => "UNKNOWN_USER_ID",
            AuthError::CannotDeletePublicTenant => "CANNOT_DELETE_PUBLIC_TENANT",
            AuthError::ProviderNotFound { .. } => "PROVIDER_NOT_FOUND",
            AuthError::DuplicateProvider { .. } => "DUPLICATE_PROVIDER",
            AuthError::FirstFactorNotAllowed { .. } => "FIRST_FACTOR_NOT_ALLOWED",
            AuthError::InvalidPaginationToken => "INVALID_PAGINATION_TOKEN",
            AuthError::Storage { .. } => "STORAGE_ERROR",
            AuthError::Internal { .. } => "INTERNAL_ERROR",
            AuthError::Host { .. } => "HOST_ERROR",
            AuthError::HostTimeout { .. } => "HOST_TIMEOUT",
            AuthError::UserNotInTenant { .. } => "USER_NOT_IN_TENANT",
            AuthError::Unauthorised { .. } => "UNAUTHORISED",
            AuthError::SchemaTooNew { .. } => "SCHEMA_TOO_NEW",
            AuthError::ShutDown => "SHUT_DOWN",
        }
    }

    /// A host error with only a message (a failure of the host machinery, a handler's error text).
    pub fn host(message: impl Into<String>) -> Self {
        AuthError::Host {
            message: message.into(),
            payload: None,
        }
    }

    /// A host error carrying the host's own exception (see [`HostPayload`]).
    pub fn host_with(message: impl Into<String>, payload: HostPayload) -> Self {
        AuthError::Host {
            message: message.into(),
            payload: Some(payload),
        }
    }

    /// The payload of a host error, if any.
    pub fn host_payload(&self) -> Option<&HostPayload> {
        match self {
            AuthError::Host { payload, .. } => payload.as_ref(),
            _ => None,
        }
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AuthError::InvalidInput {
            field: field.to_string(),
            message: message.into(),
        }
    }

    pub(crate) fn unauthorised(message: impl Into<String>) -> Self {
        AuthError::Unauthorised {
            message: message.into(),
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        AuthError::Internal {
            message: message.into(),
        }
    }
}

impl From<crate::store::StoreError> for AuthError {
    fn from(e: crate::store::StoreError) -> Self {
        use crate::store::StoreError;
        match e {
            StoreError::InvalidInput { field, message } => {
                AuthError::InvalidInput { field, message }
            }
            StoreError::SchemaTooNew { found, supported } => {
                AuthError::SchemaTooNew { found, supported }
            }
            StoreError::UniqueViolation(_) | StoreError::Busy(_) | StoreError::Other(_) => {
                AuthError::Storage {
                    message: e.to_string(),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_payload_travels_opaque_and_the_message_stays_clean() {
        struct HostException(u32);
        let e = AuthError::host_with("ValueError: boom", HostPayload::new(HostException(7)));
        assert_eq!(e.code(), "HOST_ERROR");
        assert_eq!(e.to_string(), "ValueError: boom");
        let copy = e.clone();
        let payload = copy.host_payload().expect("payload");
        assert_eq!(
            payload.downcast_ref::<HostException>().map(|h| h.0),
            Some(7)
        );
        assert!(payload.downcast_ref::<String>().is_none());
        assert_eq!(e, copy, "a clone carries the same attachment");
        let other = AuthError::host_with("ValueError: boom", HostPayload::new(HostException(7)));
        assert_ne!(e, other, "payloads compare by identity");
        assert!(AuthError::host("x").host_payload().is_none());
    }
}
