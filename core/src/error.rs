//! One public error type with stable codes.
//!
//! Domain outcomes (`EMAIL_CHANGE_NOT_ALLOWED_ERROR`, `ACCOUNT_INFO_ALREADY_ASSOCIATED…`) are *not* errors: they
//! are result statuses, as in the SuperTokens CDI, so `if status == "OK"` code carries over. What is here is misuse
//! (bad input, unknown ids where the CDI answers 400) and infrastructure failure. Every variant maps to one
//! SCREAMING_SNAKE code that bindings expose as `.code`; the codes are part of the public contract.

use thiserror::Error;

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
    /// An error raised by host code (an override or a policy callback) that the binding passes through.
    #[error("{message}")]
    Host { message: String },
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

    pub(crate) fn invalid(field: &str, message: impl Into<String>) -> Self {
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

    pub(crate) fn internal(message: impl Into<String>) -> Self {
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
