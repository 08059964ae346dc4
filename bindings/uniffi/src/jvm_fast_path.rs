//! The JNI transport of the Kotlin facade (`dev.authcore.AuthCore`, hand-written in
//! `bindings/uniffi/kotlin/src/main/kotlin`): replies, parked calls, byte arrays. The operations themselves are
//! the methods of the binding's `Functions` and `Apis` traits, called through `jvm_hooks` (one table).
//!
//! Why it exists: uniffi's generated Kotlin reaches Rust through JNA, and one suspend call there costs about
//! 50 µs on the JVM (a handful of JNA calls, a JNA callback, and a dozen native `Memory` blocks per call whose
//! cleanup falls behind under load). This path makes the same call with one JNI call, while keeping everything
//! else uniffi's: arguments and results are written in uniffi's own serialisation (the generated
//! `FfiConverter…write/read` on the Kotlin side, [`Lower`] here), and the methods that run are the binding's own,
//! so both paths share every conversion and every rule.
//!
//! A call is polled once on the caller's thread. The core never waits on I/O of its own (SQLite is
//! synchronous), so it finishes in that poll unless it waits on a suspended Kotlin hook; then the future is
//! parked here and the facade awaits it through the uniffi async function [`fast_path_resume`], with uniffi's
//! suspend machinery and cancellation.
//!
//! Reply layout: one tag byte, then the tag's payload: `OK` + the result (uniffi serialisation; nothing for
//! unit), `ERR` + an `AuthError`, `PENDING` + a big-endian u64 token, `FAULT` + UTF-8 text (a binding defect:
//! an unknown operation, undecodable arguments or a panic; never a user error).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};
use std::task::{Context, Poll, Waker};

use jni_sys::{jbyte, jbyteArray, jint, jlong, jobject, jsize, JNIEnv};
use uniffi::Lower;

use crate::error::AuthError;
use crate::UniFfiTag;

pub(crate) const OK: u8 = 0;
pub(crate) const ERR: u8 = 1;
pub(crate) const PENDING: u8 = 2;
pub(crate) const FAULT: u8 = 3;

pub(crate) type Reply = Vec<u8>;
pub(crate) type Call = Pin<Box<dyn Future<Output = Reply> + Send>>;

/// Calls that waited on host code, by token, until the facade resumes (or discards) them.
pub(crate) static PARKED: LazyLock<Mutex<HashMap<u64, Call>>> = LazyLock::new(Mutex::default);
static NEXT_TOKEN: AtomicU64 = AtomicU64::new(1);

pub(crate) fn fault(message: &str) -> Reply {
    let mut reply = Vec::with_capacity(1 + message.len());
    reply.push(FAULT);
    reply.extend_from_slice(message.as_bytes());
    reply
}

/// Why the JNI path could not start a call.
pub(crate) enum Refused {
    /// Bytes the binding cannot read: a fault of the binding itself.
    Fault(String),
    /// An argument the core refuses as it is lifted: the JSON text of a `JsonValue`/`JsonObject` (the core's
    /// custom types) that is not valid JSON is the core's typed `INVALID_INPUT`, as the engine would answer.
    Invalid(AuthError),
}

impl From<String> for Refused {
    fn from(message: String) -> Self {
        Refused::Fault(message)
    }
}

impl Refused {
    /// A value Kotlin wrote that does not lift: the core's own error when the core refused it, else a fault.
    pub(crate) fn lifting(error: uniffi::deps::anyhow::Error, what: &str) -> Refused {
        match error.downcast::<authcore::AuthError>() {
            Ok(core) => Refused::Invalid(core.into()),
            Err(e) => Refused::Fault(format!("{what}: {e}")),
        }
    }

    /// As an error of the call that was reading the value.
    pub(crate) fn into_error(self) -> AuthError {
        match self {
            Refused::Fault(message) => AuthError::host(message),
            Refused::Invalid(e) => e,
        }
    }

    pub(crate) fn reply(self) -> Reply {
        match self {
            Refused::Fault(message) => fault(&message),
            Refused::Invalid(e) => encode::<bool>(Err(e)),
        }
    }
}

pub(crate) fn encode<T: Lower<UniFfiTag>>(result: Result<T, AuthError>) -> Reply {
    let mut reply = Vec::with_capacity(128);
    match result {
        Ok(value) => {
            reply.push(OK);
            T::write(value, &mut reply);
        }
        Err(e) => {
            reply.push(ERR);
            <AuthError as Lower<UniFfiTag>>::write(e, &mut reply);
        }
    }
    reply
}

pub(crate) fn encode_unit(result: Result<(), AuthError>) -> Reply {
    match result {
        Ok(()) => vec![OK],
        Err(e) => encode::<bool>(Err(e)),
    }
}

/// Finishes a call the JNI path parked because it waited on host code (internal to the Kotlin facade).
#[uniffi::export]
pub async fn fast_path_resume(token: u64) -> Vec<u8> {
    let parked = PARKED.lock().ok().and_then(|mut p| p.remove(&token));
    match parked {
        Some(call) => call.await,
        None => fault("no parked call with this token"),
    }
}

/// Polls a call once with a no-op waker; when it is not finished, parks it and replies `PENDING`. Whoever
/// resumes it polls it again with a real waker (every future the core awaits re-registers on each poll).
pub(crate) fn run(mut call: Call) -> Reply {
    let mut cx = Context::from_waker(Waker::noop());
    match call.as_mut().poll(&mut cx) {
        Poll::Ready(reply) => reply,
        Poll::Pending => {
            let token = NEXT_TOKEN.fetch_add(1, Ordering::Relaxed);
            match PARKED.lock() {
                Ok(mut parked) => {
                    parked.insert(token, call);
                    let mut reply = Vec::with_capacity(9);
                    reply.push(PENDING);
                    reply.extend_from_slice(&token.to_be_bytes());
                    reply
                }
                Err(_) => fault("parked-call registry poisoned"),
            }
        }
    }
}

/// `FastPath.discard(token)`: drops a parked call that will not be resumed (the caller was cancelled first).
///
/// # Safety
/// Called by the JVM.
#[no_mangle]
pub unsafe extern "system" fn Java_dev_authcore_FastPath_discard(
    _env: *mut JNIEnv,
    _this: jobject,
    token: jlong,
) {
    let call = PARKED
        .lock()
        .ok()
        .and_then(|mut p| p.remove(&(token as u64)));
    drop(call);
}

/// The text of a caught panic.
pub(crate) fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_string())
}

/// The first `length` bytes of a Java `byte[]` (clamped to the array's size).
pub(crate) unsafe fn byte_array_to_vec(
    env: *mut JNIEnv,
    array: jbyteArray,
    length: jint,
) -> Vec<u8> {
    if array.is_null() {
        return Vec::new();
    }
    let functions = unsafe { &**env };
    let size = unsafe { (functions.v1_1.GetArrayLength)(env, array) };
    let len = length.clamp(0, size.max(0)) as usize;
    let mut out = vec![0u8; len];
    unsafe {
        (functions.v1_1.GetByteArrayRegion)(
            env,
            array,
            0,
            len as jsize,
            out.as_mut_ptr() as *mut jbyte,
        );
    }
    out
}

pub(crate) unsafe fn vec_to_byte_array(env: *mut JNIEnv, bytes: &[u8]) -> jbyteArray {
    let functions = unsafe { &**env };
    let array = unsafe { (functions.v1_1.NewByteArray)(env, bytes.len() as jsize) };
    if !array.is_null() {
        unsafe {
            (functions.v1_1.SetByteArrayRegion)(
                env,
                array,
                0,
                bytes.len() as jsize,
                bytes.as_ptr() as *const jbyte,
            );
        }
    }
    array
}
