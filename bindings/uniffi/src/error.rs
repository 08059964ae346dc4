//! The one mapping between core errors and what Kotlin (`AuthException`) and Swift see.
//!
//! Every variant carries the stable `code` (`AuthError::code()` of the core), a human `reason` (the core's
//! message) and the variant's own fields; `detail` is the core's raw `message` field where it has one. The
//! mapping is lossless both ways, so an `AuthException` that a Kotlin override rethrows (or throws itself)
//! reaches the caller as the same variant. Any other exception thrown by host code arrives as
//! [`uniffi::UnexpectedUniFFICallbackError`] and becomes `Host` (`HOST_ERROR`) with the exception's text.

/// An authcore error: misuse or infrastructure failure. Domain outcomes are result variants, not errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum AuthError {
    #[error("{code}: {reason}")]
    InvalidInput {
        code: String,
        reason: String,
        field: String,
        detail: String,
    },
    #[error("{code}: {reason}")]
    EmptyField {
        code: String,
        reason: String,
        field: String,
    },
    #[error("{code}: {reason}")]
    FieldTooLong {
        code: String,
        reason: String,
        field: String,
        max: u64,
    },
    #[error("{code}: {reason}")]
    InvalidEmail {
        code: String,
        reason: String,
        detail: String,
    },
    #[error("{code}: {reason}")]
    InvalidTenantId {
        code: String,
        reason: String,
        detail: String,
    },
    #[error("{code}: {reason}")]
    TenantNotFound {
        code: String,
        reason: String,
        tenant_id: String,
    },
    #[error("{code}: {reason}")]
    UnknownUserId {
        code: String,
        reason: String,
        user_id: String,
    },
    #[error("{code}: {reason}")]
    CannotDeletePublicTenant { code: String, reason: String },
    #[error("{code}: {reason}")]
    ProviderNotFound {
        code: String,
        reason: String,
        third_party_id: String,
    },
    #[error("{code}: {reason}")]
    DuplicateProvider {
        code: String,
        reason: String,
        third_party_id: String,
    },
    #[error("{code}: {reason}")]
    FirstFactorNotAllowed {
        code: String,
        reason: String,
        detail: String,
    },
    #[error("{code}: {reason}")]
    InvalidPaginationToken { code: String, reason: String },
    #[error("{code}: {reason}")]
    Storage {
        code: String,
        reason: String,
        detail: String,
    },
    #[error("{code}: {reason}")]
    Internal {
        code: String,
        reason: String,
        detail: String,
    },
    /// Raised by host code (an override, a handler) and passed through.
    #[error("{code}: {reason}")]
    Host {
        code: String,
        reason: String,
        detail: String,
    },
    /// Host code did not answer within `hostTimeoutMs`.
    #[error("{code}: {reason}")]
    HostTimeout {
        code: String,
        reason: String,
        timeout_ms: u64,
    },
    #[error("{code}: {reason}")]
    UserNotInTenant {
        code: String,
        reason: String,
        user_id: String,
        tenant_id: String,
    },
    #[error("{code}: {reason}")]
    Unauthorised {
        code: String,
        reason: String,
        detail: String,
    },
    #[error("{code}: {reason}")]
    SchemaTooNew {
        code: String,
        reason: String,
        found: i64,
        supported: i64,
    },
    /// The engine was shut down (`shutdown()`); it answers nothing after that.
    #[error("{code}: {reason}")]
    ShutDown { code: String, reason: String },
    /// The provider's discovery document or JWKS could not be fetched or read.
    #[error("{code}: {reason}")]
    OAuthDiscoveryFailed {
        code: String,
        reason: String,
        detail: String,
    },
    /// The provider's token endpoint refused the code (`status` 0: it could not be reached); `error` and
    /// `error_description` are the provider's own words.
    #[error("{code}: {reason}")]
    OAuthTokenRefused {
        code: String,
        reason: String,
        status: u16,
        error: String,
        error_description: String,
    },
    /// The provider's user info endpoint failed, or its answer lacks the user id.
    #[error("{code}: {reason}")]
    OAuthUserInfoFailed {
        code: String,
        reason: String,
        detail: String,
    },
    /// The provider sent the user back with an error instead of a code (`access_denied`, ...).
    #[error("{code}: {reason}")]
    OAuthAuthorisationRefused {
        code: String,
        reason: String,
        error: String,
        error_description: String,
    },
    /// The id_token failed verification; `check` names the check that failed (the core's `reason`:
    /// `signature`, `iss`, `aud`, `exp`, `nonce`, ...).
    #[error("{code}: {reason}")]
    IdTokenInvalid {
        code: String,
        reason: String,
        check: String,
    },
    /// The `state` or `iss` the provider sent back does not belong to this flow (login CSRF, mix-up).
    #[error("{code}: {reason}")]
    OAuthStateMismatch {
        code: String,
        reason: String,
        detail: String,
    },
    /// A stored sign-in flow was used already or expired.
    #[error("{code}: {reason}")]
    OAuthFlowExpired { code: String, reason: String },
}

#[uniffi::export]
impl AuthError {
    /// The stable machine-readable code (`UNKNOWN_USER_ID`, `HOST_ERROR`, ...), whatever the variant.
    pub fn code(&self) -> String {
        self.code_str().to_string()
    }
}

impl AuthError {
    fn code_str(&self) -> &str {
        match self {
            AuthError::InvalidInput { code, .. }
            | AuthError::EmptyField { code, .. }
            | AuthError::FieldTooLong { code, .. }
            | AuthError::InvalidEmail { code, .. }
            | AuthError::InvalidTenantId { code, .. }
            | AuthError::TenantNotFound { code, .. }
            | AuthError::UnknownUserId { code, .. }
            | AuthError::CannotDeletePublicTenant { code, .. }
            | AuthError::ProviderNotFound { code, .. }
            | AuthError::DuplicateProvider { code, .. }
            | AuthError::FirstFactorNotAllowed { code, .. }
            | AuthError::InvalidPaginationToken { code, .. }
            | AuthError::Storage { code, .. }
            | AuthError::Internal { code, .. }
            | AuthError::Host { code, .. }
            | AuthError::HostTimeout { code, .. }
            | AuthError::UserNotInTenant { code, .. }
            | AuthError::Unauthorised { code, .. }
            | AuthError::SchemaTooNew { code, .. }
            | AuthError::ShutDown { code, .. }
            | AuthError::OAuthDiscoveryFailed { code, .. }
            | AuthError::OAuthTokenRefused { code, .. }
            | AuthError::OAuthUserInfoFailed { code, .. }
            | AuthError::OAuthAuthorisationRefused { code, .. }
            | AuthError::IdTokenInvalid { code, .. }
            | AuthError::OAuthStateMismatch { code, .. }
            | AuthError::OAuthFlowExpired { code, .. } => code,
        }
    }

    /// A host error with this message.
    pub fn host(message: impl Into<String>) -> Self {
        authcore::AuthError::host(message).into()
    }
}

impl From<authcore::AuthError> for AuthError {
    fn from(e: authcore::AuthError) -> Self {
        let code = e.code().to_string();
        let reason = e.to_string();
        match e {
            authcore::AuthError::InvalidInput { field, message } => AuthError::InvalidInput {
                code,
                reason,
                field,
                detail: message,
            },
            authcore::AuthError::EmptyField { field } => AuthError::EmptyField {
                code,
                reason,
                field,
            },
            authcore::AuthError::FieldTooLong { field, max } => AuthError::FieldTooLong {
                code,
                reason,
                field,
                max: max as u64,
            },
            authcore::AuthError::InvalidEmail { message } => AuthError::InvalidEmail {
                code,
                reason,
                detail: message,
            },
            authcore::AuthError::InvalidTenantId { message } => AuthError::InvalidTenantId {
                code,
                reason,
                detail: message,
            },
            authcore::AuthError::TenantNotFound { tenant_id } => AuthError::TenantNotFound {
                code,
                reason,
                tenant_id,
            },
            authcore::AuthError::UnknownUserId { user_id } => AuthError::UnknownUserId {
                code,
                reason,
                user_id,
            },
            authcore::AuthError::CannotDeletePublicTenant => {
                AuthError::CannotDeletePublicTenant { code, reason }
            }
            authcore::AuthError::ProviderNotFound { third_party_id } => {
                AuthError::ProviderNotFound {
                    code,
                    reason,
                    third_party_id,
                }
            }
            authcore::AuthError::DuplicateProvider { third_party_id } => {
                AuthError::DuplicateProvider {
                    code,
                    reason,
                    third_party_id,
                }
            }
            authcore::AuthError::FirstFactorNotAllowed { message } => {
                AuthError::FirstFactorNotAllowed {
                    code,
                    reason,
                    detail: message,
                }
            }
            authcore::AuthError::InvalidPaginationToken => {
                AuthError::InvalidPaginationToken { code, reason }
            }
            authcore::AuthError::Storage { message } => AuthError::Storage {
                code,
                reason,
                detail: message,
            },
            authcore::AuthError::Internal { message } => AuthError::Internal {
                code,
                reason,
                detail: message,
            },
            authcore::AuthError::Host { message, .. } => AuthError::Host {
                code,
                reason,
                detail: message,
            },
            authcore::AuthError::HostTimeout { timeout_ms } => AuthError::HostTimeout {
                code,
                reason,
                timeout_ms,
            },
            authcore::AuthError::UserNotInTenant { user_id, tenant_id } => {
                AuthError::UserNotInTenant {
                    code,
                    reason,
                    user_id,
                    tenant_id,
                }
            }
            authcore::AuthError::Unauthorised { message } => AuthError::Unauthorised {
                code,
                reason,
                detail: message,
            },
            authcore::AuthError::SchemaTooNew { found, supported } => AuthError::SchemaTooNew {
                code,
                reason,
                found,
                supported,
            },
            authcore::AuthError::ShutDown => AuthError::ShutDown { code, reason },
            authcore::AuthError::OAuthDiscoveryFailed { message } => {
                AuthError::OAuthDiscoveryFailed {
                    code,
                    reason,
                    detail: message,
                }
            }
            authcore::AuthError::OAuthTokenRefused {
                status,
                error,
                error_description,
            } => AuthError::OAuthTokenRefused {
                code,
                reason,
                status,
                error,
                error_description,
            },
            authcore::AuthError::OAuthUserInfoFailed { message } => {
                AuthError::OAuthUserInfoFailed {
                    code,
                    reason,
                    detail: message,
                }
            }
            authcore::AuthError::OAuthAuthorisationRefused {
                error,
                error_description,
            } => AuthError::OAuthAuthorisationRefused {
                code,
                reason,
                error,
                error_description,
            },
            authcore::AuthError::IdTokenInvalid { reason: check } => AuthError::IdTokenInvalid {
                code,
                reason,
                check,
            },
            authcore::AuthError::OAuthStateMismatch { message } => AuthError::OAuthStateMismatch {
                code,
                reason,
                detail: message,
            },
            authcore::AuthError::OAuthFlowExpired => AuthError::OAuthFlowExpired { code, reason },
        }
    }
}

impl From<AuthError> for authcore::AuthError {
    fn from(e: AuthError) -> Self {
        // `code` and `reason` are derived from the other fields; the core recomputes them.
        match e {
            AuthError::InvalidInput { field, detail, .. } => authcore::AuthError::InvalidInput {
                field,
                message: detail,
            },
            AuthError::EmptyField { field, .. } => authcore::AuthError::EmptyField { field },
            AuthError::FieldTooLong { field, max, .. } => authcore::AuthError::FieldTooLong {
                field,
                max: usize::try_from(max).unwrap_or(usize::MAX),
            },
            AuthError::InvalidEmail { detail, .. } => {
                authcore::AuthError::InvalidEmail { message: detail }
            }
            AuthError::InvalidTenantId { detail, .. } => {
                authcore::AuthError::InvalidTenantId { message: detail }
            }
            AuthError::TenantNotFound { tenant_id, .. } => {
                authcore::AuthError::TenantNotFound { tenant_id }
            }
            AuthError::UnknownUserId { user_id, .. } => {
                authcore::AuthError::UnknownUserId { user_id }
            }
            AuthError::CannotDeletePublicTenant { .. } => {
                authcore::AuthError::CannotDeletePublicTenant
            }
            AuthError::ProviderNotFound { third_party_id, .. } => {
                authcore::AuthError::ProviderNotFound { third_party_id }
            }
            AuthError::DuplicateProvider { third_party_id, .. } => {
                authcore::AuthError::DuplicateProvider { third_party_id }
            }
            AuthError::FirstFactorNotAllowed { detail, .. } => {
                authcore::AuthError::FirstFactorNotAllowed { message: detail }
            }
            AuthError::InvalidPaginationToken { .. } => authcore::AuthError::InvalidPaginationToken,
            AuthError::Storage { detail, .. } => authcore::AuthError::Storage { message: detail },
            AuthError::Internal { detail, .. } => authcore::AuthError::Internal { message: detail },
            AuthError::Host { detail, .. } => authcore::AuthError::host(detail),
            AuthError::HostTimeout { timeout_ms, .. } => {
                authcore::AuthError::HostTimeout { timeout_ms }
            }
            AuthError::UserNotInTenant {
                user_id, tenant_id, ..
            } => authcore::AuthError::UserNotInTenant { user_id, tenant_id },
            AuthError::Unauthorised { detail, .. } => {
                authcore::AuthError::Unauthorised { message: detail }
            }
            AuthError::SchemaTooNew {
                found, supported, ..
            } => authcore::AuthError::SchemaTooNew { found, supported },
            AuthError::ShutDown { .. } => authcore::AuthError::ShutDown,
            AuthError::OAuthDiscoveryFailed { detail, .. } => {
                authcore::AuthError::OAuthDiscoveryFailed { message: detail }
            }
            AuthError::OAuthTokenRefused {
                status,
                error,
                error_description,
                ..
            } => authcore::AuthError::OAuthTokenRefused {
                status,
                error,
                error_description,
            },
            AuthError::OAuthUserInfoFailed { detail, .. } => {
                authcore::AuthError::OAuthUserInfoFailed { message: detail }
            }
            AuthError::OAuthAuthorisationRefused {
                error,
                error_description,
                ..
            } => authcore::AuthError::OAuthAuthorisationRefused {
                error,
                error_description,
            },
            AuthError::IdTokenInvalid { check, .. } => {
                authcore::AuthError::IdTokenInvalid { reason: check }
            }
            AuthError::OAuthStateMismatch { detail, .. } => {
                authcore::AuthError::OAuthStateMismatch { message: detail }
            }
            AuthError::OAuthFlowExpired { .. } => authcore::AuthError::OAuthFlowExpired,
        }
    }
}

/// A host exception that is not an `AuthException` (or a failure of the callback machinery itself).
impl From<uniffi::UnexpectedUniFFICallbackError> for AuthError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        AuthError::host(e.reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<authcore::AuthError> {
        use authcore::AuthError as C;
        vec![
            C::InvalidInput {
                field: "f".into(),
                message: "m".into(),
            },
            C::EmptyField { field: "f".into() },
            C::FieldTooLong {
                field: "f".into(),
                max: 256,
            },
            C::InvalidEmail {
                message: "m".into(),
            },
            C::InvalidTenantId {
                message: "m".into(),
            },
            C::TenantNotFound {
                tenant_id: "t".into(),
            },
            C::UnknownUserId {
                user_id: "u".into(),
            },
            C::CannotDeletePublicTenant,
            C::ProviderNotFound {
                third_party_id: "p".into(),
            },
            C::DuplicateProvider {
                third_party_id: "p".into(),
            },
            C::FirstFactorNotAllowed {
                message: "m".into(),
            },
            C::InvalidPaginationToken,
            C::Storage {
                message: "m".into(),
            },
            C::Internal {
                message: "m".into(),
            },
            C::host("m"),
            C::HostTimeout { timeout_ms: 5 },
            C::UserNotInTenant {
                user_id: "u".into(),
                tenant_id: "t".into(),
            },
            C::Unauthorised {
                message: "m".into(),
            },
            C::SchemaTooNew {
                found: 9,
                supported: 5,
            },
            C::ShutDown,
            C::OAuthDiscoveryFailed {
                message: "m".into(),
            },
            C::OAuthTokenRefused {
                status: 400,
                error: "invalid_grant".into(),
                error_description: "d".into(),
            },
            C::OAuthUserInfoFailed {
                message: "m".into(),
            },
            C::OAuthAuthorisationRefused {
                error: "access_denied".into(),
                error_description: "d".into(),
            },
            C::IdTokenInvalid {
                reason: "nonce".into(),
            },
            C::OAuthStateMismatch {
                message: "m".into(),
            },
            C::OAuthFlowExpired,
        ]
    }

    #[test]
    fn every_core_error_round_trips_with_its_code_and_message() {
        for e in all() {
            let b = AuthError::from(e.clone());
            assert_eq!(b.code(), e.code());
            assert!(b.to_string().contains(&e.to_string()), "{b} / {e}");
            assert_eq!(authcore::AuthError::from(b), e);
        }
    }

    #[test]
    fn an_unexpected_host_exception_is_host_error() {
        let e = AuthError::from(uniffi::UnexpectedUniFFICallbackError {
            reason: "java.lang.IllegalStateException: boom".into(),
        });
        assert_eq!(e.code(), "HOST_ERROR");
        assert!(e.to_string().contains("boom"));
    }
}
