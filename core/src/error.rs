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
    /// The provider's discovery document or JWKS could not be fetched or read.
    #[error("provider discovery failed: {message}")]
    OAuthDiscoveryFailed { message: String },
    /// The token endpoint refused the code (or could not be reached: `status` 0). `error` and
    /// `error_description` are the provider's own words; the request's secret and code are never repeated.
    #[error(
        "the provider's token endpoint refused the request ({status} {error}): {error_description}"
    )]
    OAuthTokenRefused {
        status: u16,
        error: String,
        error_description: String,
    },
    /// The provider's user info endpoint failed, or its answer lacks the user id.
    #[error("user info failed: {message}")]
    OAuthUserInfoFailed { message: String },
    /// The provider sent the user back with an error instead of a code (`access_denied`, ...).
    #[error("the provider refused the authorisation ({error}): {error_description}")]
    OAuthAuthorisationRefused {
        error: String,
        error_description: String,
    },
    /// The id_token failed verification; `check` (shown to hosts as `reason`) says which check
    /// (`signature`, `alg`, `kid`, `iss`, `aud`, `azp`, `exp`, `nbf`, `iat`, `nonce`, `malformed`, `hd`).
    #[error("the id_token is invalid ({check})")]
    IdTokenInvalid { check: String },
    /// The `state` or `iss` the provider sent back does not belong to this flow (login CSRF, mix-up).
    #[error("the authorisation response does not match the flow: {message}")]
    OAuthStateMismatch { message: String },
    /// A stored flow record was used already or is past its lifetime.
    #[error("the sign-in flow expired or was used already")]
    OAuthFlowExpired,
    /// A tenant's provider carries a client secret or private key, and the engine has no `providerSecretsKey`
    /// to encrypt it with: it is not stored in clear.
    #[error("storing the secrets of provider {third_party_id} needs providerSecretsKey in the engine config")]
    SecretsKeyRequired { third_party_id: String },
    /// A stored provider secret does not decrypt with the configured key (another key, no key, or the value
    /// was altered or copied from another tenant or provider).
    #[error("the stored secrets of provider {third_party_id} cannot be decrypted with the configured key")]
    SecretUnreadable { third_party_id: String },
}

/// One error code as the bindings expose it: the stable code, the exception class name (`InvalidInputError`),
/// and the fields it carries besides its message. Read from [`ERRORS`] by every binding, so no binding lists
/// the codes, the classes or their fields itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ErrorInfo {
    /// The stable SCREAMING_SNAKE code, `AuthError::code()`.
    pub code: &'static str,
    /// The class name a binding gives the error (`<Variant>Error`).
    pub class: &'static str,
    /// The fields a host sees on the error (snake_case; bindings recase them), in [`AuthError::details`] order.
    pub fields: &'static [ErrorField],
    /// What the error means, for the bindings' docs.
    pub doc: &'static str,
}

/// One field an error carries to the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ErrorField {
    pub name: &'static str,
    /// The Rust type of the value (`String`, `u64`, ...), for typed stubs.
    pub ty: &'static str,
}

/// Declares every error code once: the variant, its code, what it means, and the fields a host sees (a field
/// shown under another name is written `variant_field as host_name`). From this list come [`AuthError::code`],
/// [`AuthError::details`] and [`ERRORS`]; a variant missing here does not compile (`code` matches them all). The
/// optional `hidden { .. }` fields are the variant's own fields hosts do not see by name (a raw `message`, which
/// is already in the error's text); a binding deriving a whole error type of its own reads them.
macro_rules! declare_errors {
    (@name $src:ident) => { stringify!($src) };
    (@name $src:ident $name:ident) => { stringify!($name) };
    (@info $variant:ident $code:literal $doc:literal $($src:ident $($name:ident)? : $ty:ty),*) => {
        ErrorInfo {
            code: $code,
            class: concat!(stringify!($variant), "Error"),
            fields: &[$(ErrorField { name: declare_errors!(@name $src $($name)?), ty: stringify!($ty) }),*],
            doc: $doc,
        }
    };
    ($(
        $variant:ident $code:literal $doc:literal { $($src:ident $(as $name:ident)? : $ty:ty),* $(,)? }
            $(hidden { $($hidden:ident : $hty:ty),* })?;
    )*) => {
        /// Every error code, in declaration order (see [`ErrorInfo`]).
        pub const ERRORS: &[ErrorInfo] =
            &[$(declare_errors!(@info $variant $code $doc $($src $($name)? : $ty),*)),*];

        impl AuthError {
            /// The stable machine-readable code.
            pub fn code(&self) -> &'static str {
                match self {
                    $(AuthError::$variant { .. } => $code,)*
                }
            }

            /// This error's entry in [`ERRORS`].
            pub fn info(&self) -> &'static ErrorInfo {
                match self {
                    $(AuthError::$variant { .. } => {
                        const INFO: ErrorInfo = declare_errors!(@info $variant $code $doc $($src $($name)? : $ty),*);
                        &INFO
                    })*
                }
            }

            /// The fields a host sees on this error: the declared [`ErrorInfo::fields`] with their values.
            pub fn details(&self) -> Vec<(&'static str, serde_json::Value)> {
                match self {
                    $(AuthError::$variant { $($src,)* .. } => vec![
                        $((declare_errors!(@name $src $($name)?), serde_json::json!($src))),*
                    ],)*
                }
            }
        }
    };
}

/// Expands `$m! { … }` with the declaration of every error code (the form [`declare_errors`] reads), so that a
/// binding can derive its own error type from the same list (the uniffi binding's `AuthError`).
#[macro_export]
macro_rules! for_each_error {
    ($m:path) => {
        $m! {
            InvalidInput "INVALID_INPUT" "A field is missing, has the wrong type or a forbidden shape."
                { field: String, message as reason: String };
            EmptyField "EMPTY_FIELD" "A field that must not be empty is empty." { field: String };
            FieldTooLong "FIELD_TOO_LONG" "A field is longer than its limit." { field: String, max: usize };
            InvalidEmail "INVALID_EMAIL" "An email address is malformed." { message as reason: String };
            InvalidTenantId "INVALID_TENANT_ID" "A tenant id is malformed." { message as reason: String };
            TenantNotFound "TENANT_NOT_FOUND" "The tenant does not exist." { tenant_id: String };
            UnknownUserId "UNKNOWN_USER_ID" "No user has this id." { user_id: String };
            CannotDeletePublicTenant "CANNOT_DELETE_PUBLIC_TENANT" "The public tenant cannot be deleted." {};
            ProviderNotFound "PROVIDER_NOT_FOUND" "The provider is not in the configuration." { third_party_id: String };
            DuplicateProvider "DUPLICATE_PROVIDER" "A providers list names a provider twice." { third_party_id: String };
            FirstFactorNotAllowed "FIRST_FACTOR_NOT_ALLOWED" "The tenant does not allow this first factor." {}
                hidden { message: String };
            InvalidPaginationToken "INVALID_PAGINATION_TOKEN" "A pagination token is malformed." {};
            Storage "STORAGE_ERROR" "The database failed." {} hidden { message: String };
            Internal "INTERNAL_ERROR" "A bug, or a misuse of the native module." {}
                hidden { message: String };
            Host "HOST_ERROR"
                "A host exception that could not be passed through unchanged (normally the original is re-raised)." {}
                hidden { message: String };
            HostTimeout "HOST_TIMEOUT"
                "Host code (an override, policy callback or event handler) did not answer within hostTimeoutMs."
                { timeout_ms: u64 };
            UserNotInTenant "USER_NOT_IN_TENANT" "A session was asked for a user who is not in the session's tenant."
                { user_id: String, tenant_id: String };
            Unauthorised "UNAUTHORISED" "The operation needs a valid session of the request's tenant."
                { message as reason: String };
            SchemaTooNew "SCHEMA_TOO_NEW" "The database was migrated by a newer version of the library."
                { found: i64, supported: i64 };
            ShutDown "SHUT_DOWN" "The engine was shut down (shutdown()); it answers nothing after that." {};
            OAuthDiscoveryFailed "OAUTH_DISCOVERY_FAILED"
                "The provider's discovery document or JWKS could not be fetched." { message as reason: String };
            OAuthTokenRefused "OAUTH_TOKEN_REFUSED"
                "The provider's token endpoint refused the code or could not be reached."
                { status: u16, error: String, error_description: String };
            OAuthUserInfoFailed "OAUTH_USER_INFO_FAILED"
                "The provider's user info endpoint failed or gave no user id." { message as reason: String };
            OAuthAuthorisationRefused "OAUTH_AUTHORISATION_REFUSED"
                "The provider sent the user back with an error instead of a code."
                { error: String, error_description: String };
            IdTokenInvalid "ID_TOKEN_INVALID" "The id_token failed verification; reason names the check."
                { check as reason: String };
            OAuthStateMismatch "OAUTH_STATE_MISMATCH"
                "The state or issuer sent back does not belong to this sign-in flow." { message as reason: String };
            OAuthFlowExpired "OAUTH_FLOW_EXPIRED" "A stored sign-in flow was used already or expired." {};
            SecretsKeyRequired "SECRETS_KEY_REQUIRED"
                "Storing a provider's client secret or private key needs providerSecretsKey in the engine config."
                { third_party_id: String };
            SecretUnreadable "SECRET_UNREADABLE"
                "A stored provider secret does not decrypt with the configured providerSecretsKey."
                { third_party_id: String };
        }
    };
}

for_each_error!(declare_errors);

impl AuthError {
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
            StoreError::UniqueViolation(_)
            | StoreError::Busy(_)
            | StoreError::Unavailable(_)
            | StoreError::Other(_) => AuthError::Storage {
                message: e.to_string(),
            },
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

    #[test]
    fn the_declared_errors_match_the_variants() {
        let e = AuthError::FieldTooLong {
            field: "email".into(),
            max: 256,
        };
        let info = e.info();
        assert!(ERRORS.contains(info));
        assert_eq!(info.class, "FieldTooLongError");
        let names: Vec<&str> = info.fields.iter().map(|f| f.name).collect();
        assert_eq!(names, ["field", "max"]);
        assert_eq!(
            e.details(),
            vec![
                ("field", serde_json::json!("email")),
                ("max", serde_json::json!(256))
            ]
        );
        let e = AuthError::invalid("x", "bad");
        assert_eq!(e.details()[1], ("reason", serde_json::json!("bad")));
        let codes: std::collections::HashSet<&str> = ERRORS.iter().map(|i| i.code).collect();
        assert_eq!(codes.len(), ERRORS.len(), "codes are unique");
    }
}
