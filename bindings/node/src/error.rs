//! The one place where core errors become what JS sees.
//!
//! Native calls never reject for a core error: `call` answers with the result's JSON text or a [`NativeError`]
//! ([`NativeOutcome`]), the other methods with an envelope, `{ok: true, value}` or `{ok: false, error: {code,
//! message, details, hostErrorId?}}`; the JS layer (`index.js`, `raise`) turns the error into an `AuthError` or
//! rethrows the original host error. An error thrown by a JS override travels
//! through the core as `AuthError::Host` whose payload is the id under which the JS layer stashed the original
//! object (see [`host_error`]); no marker is written into the message.

use authcore::ops::camel_case;
use authcore::AuthError;
use napi::bindgen_prelude::ToNapiValue;
use napi::sys;
use napi_derive::napi;
use serde_json::Value;

/// A core error as JS receives it (`index.js` turns it into an `AuthError`).
#[napi(object)]
pub struct NativeError {
    /// The stable code, `AuthError::code()`.
    pub code: String,
    pub message: String,
    /// The variant's fields (`field`, `tenantId`, `userId`, ...).
    pub details: Value,
    /// Set when the error is a JS error thrown by an override: the id the JS layer stashed it under.
    pub host_error_id: Option<u32>,
}

/// What every native call resolves to.
#[napi(object)]
pub struct NativeEnvelope {
    pub ok: bool,
    pub value: Option<Value>,
    pub error: Option<NativeError>,
}

/// The payload a JS error carries through the core: the id the JS layer stashed the thrown value under.
struct JsErrorId(u32);

/// The core error for a JS error the JS layer stashed as `id` (0: not stashed, e.g. an event handler's).
pub fn host_error(id: u32, message: &str) -> AuthError {
    if id == 0 {
        AuthError::host(message)
    } else {
        AuthError::host_with(message, authcore::error::HostPayload::new(JsErrorId(id)))
    }
}

/// The error's declared fields (`authcore::error::ERRORS`), camelCased, for `AuthError.details`.
fn details(e: &AuthError) -> Value {
    let fields = e.details().into_iter();
    Value::Object(fields.map(|(k, v)| (camel_case(k), v)).collect())
}

/// Maps every core error (the only mapping function).
pub fn to_js(e: &AuthError) -> NativeError {
    let host_error_id = e
        .host_payload()
        .and_then(|p| p.downcast_ref::<JsErrorId>())
        .map(|id| id.0);
    let message = e.to_string();
    NativeError {
        code: e.code().to_string(),
        message,
        details: details(e),
        host_error_id,
    }
}

/// The envelope a native call resolves to.
pub fn envelope(result: authcore::Result<Value>) -> NativeEnvelope {
    match result {
        Ok(value) => NativeEnvelope {
            ok: true,
            value: Some(value),
            error: None,
        },
        Err(e) => NativeEnvelope {
            ok: false,
            value: None,
            error: Some(to_js(&e)),
        },
    }
}

/// What a native `call` produces: the result as JSON text (JS parses it), or the error. The JS layer tells them
/// apart by type (`string` or object).
pub enum NativeOutcome {
    Ok(String),
    Err(NativeError),
}

impl NativeOutcome {
    pub fn from_result(result: authcore::Result<String>) -> Self {
        match result {
            Ok(json) => NativeOutcome::Ok(json),
            Err(e) => NativeOutcome::Err(to_js(&e)),
        }
    }

    /// A call whose future panicked (a bug): an `INTERNAL_ERROR` rather than a crashed process.
    pub fn panicked() -> Self {
        NativeOutcome::Err(to_js(&AuthError::internal("the native call panicked")))
    }
}

impl ToNapiValue for NativeOutcome {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        // SAFETY: forwarded as is: same env, same thread.
        unsafe {
            match val {
                NativeOutcome::Ok(json) => String::to_napi_value(env, json),
                NativeOutcome::Err(e) => NativeError::to_napi_value(env, e),
            }
        }
    }
}

/// The engine handle was used before `open` finished: a misuse of the native module (`INTERNAL_ERROR`).
pub fn not_open() -> AuthError {
    AuthError::internal("the engine is not open")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn host_errors_carry_the_stash_id() {
        let e = host_error(42, "boom: with colon");
        assert_eq!(e.code(), "HOST_ERROR");
        let js = to_js(&e);
        assert_eq!(js.host_error_id, Some(42));
        assert_eq!(js.message, "boom: with colon");
        let plain = to_js(&host_error(0, "handler down"));
        assert_eq!(plain.host_error_id, None);
        assert_eq!(plain.message, "handler down");
    }

    #[test]
    fn core_errors_keep_code_and_fields() {
        let js = to_js(&AuthError::TenantNotFound {
            tenant_id: "t9".into(),
        });
        assert_eq!(js.code, "TENANT_NOT_FOUND");
        assert_eq!(js.details, json!({"tenantId": "t9"}));
        assert_eq!(js.host_error_id, None);
    }
}
