//! The methods of `UserContext` over JNI (`getString`, `setBool`, ... as Kotlin calls them).
//!
//! Why: through uniffi's generated Kotlin each of these small synchronous calls costs ~40 µs on the JVM (a JNA
//! call to clone the handle, one per `RustBuffer` allocated or freed, the call itself, each with a native
//! `UniffiRustCallStatus`). Here it is one JNI call on a *lent* handle: the Kotlin object holds its call
//! counter for the length of the call (the way the generated `callWithHandle` does), so no clone is needed.
//! The method that runs is the binding's own [`UserContext`] method, with uniffi's serialisation both ways.
//!
//! `scripts/gen-bindings` makes the generated Kotlin `UserContext` methods call this path (`ContextCalls` in
//! the facade); uniffi's own versions stay in the class as `uniffiJna…` (the tests compare both).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use jni_sys::{jbyteArray, jint, jlong, jobject, JNIEnv};

use crate::client::UserContext;
use crate::jvm_fast_path::{
    byte_array_to_vec, encode, encode_unit, fault, panic_text, vec_to_byte_array, Refused, Reply,
};
use crate::jvm_hooks::{Uc, Wire};

/// Declares the operations: their names ([`CONTEXT_OPS`], an index is a position) and the dispatch.
/// Kinds: `value` (the method's result), `unit` (nothing), `result` (a `Result<(), AuthError>`).
macro_rules! context_ops {
    ($($op:literal => $kind:ident fn $method:ident($($arg:ident: $ty:ty),*);)+) => {
        /// Every `UserContext` operation by name; an operation's index is its position.
        pub(crate) const CONTEXT_OPS: &[&str] = &[$($op),+];

        fn dispatch(context: &UserContext, op: &str, args: &mut &[u8]) -> Result<Reply, Refused> {
            match op {
                $(
                    $op => {
                        $(let $arg = <$ty as Wire>::take(args, $op, stringify!($arg))?;)*
                        if !args.is_empty() {
                            return Err(format!("{}: arguments left over", $op).into());
                        }
                        Ok(context_ops!(@encode $kind context.$method($($arg),*)))
                    }
                )+
                other => Err(format!("no UserContext operation {other}").into()),
            }
        }
    };
    (@encode value $call:expr) => { encode(Ok($call)) };
    (@encode unit $call:expr) => {{ $call; encode_unit(Ok(())) }};
    (@encode result $call:expr) => { encode_unit($call) };
}

context_ops! {
    "getJson" => value fn get_json(key: String);
    "setJson" => result fn set_json(key: String, value_json: String);
    "getString" => value fn get_string(key: String);
    "setString" => unit fn set_string(key: String, value: String);
    "getBool" => value fn get_bool(key: String);
    "setBool" => unit fn set_bool(key: String, value: bool);
    "remove" => unit fn remove(key: String);
    "keys" => value fn keys();
    "toJson" => value fn to_json();
    "isSameRequest" => value fn is_same_request(other: Uc);
}

/// The `UserContext` operation names, in index order (internal to the Kotlin facade, which resolves them once).
#[uniffi::export]
pub fn jvm_context_ops() -> Vec<String> {
    CONTEXT_OPS.iter().map(|s| s.to_string()).collect()
}

/// `FastPath.context(handle, op, args, length)`: one `UserContext` method on a lent handle. The reply is as
/// described in `jvm_fast_path` (`OK` + result, `ERR` + `AuthError`, `FAULT` + text; never `PENDING`).
///
/// # Safety
/// Called by the JVM with the handle of a live `UserContext` whose Kotlin object holds its call counter until
/// this call returns; `args` is a Java `byte[]`.
#[no_mangle]
pub unsafe extern "system" fn Java_dev_authcore_FastPath_context(
    env: *mut JNIEnv,
    _this: jobject,
    handle: jlong,
    op: jint,
    args: jbyteArray,
    length: jint,
) -> jbyteArray {
    // SAFETY: `env` is this thread's JNI environment and `args` a live `byte[]` (the JVM's call).
    let input = unsafe { byte_array_to_vec(env, args, length) };
    let reply = catch_unwind(AssertUnwindSafe(|| {
        if handle == 0 {
            return fault("UserContext without a native handle");
        }
        let Some(name) = usize::try_from(op).ok().and_then(|i| CONTEXT_OPS.get(i)) else {
            return fault(&format!("unknown UserContext operation {op}"));
        };
        // SAFETY: the Kotlin object lends a handle of a live `UserContext` and keeps it alive (call counter
        // held) until this JNI call returns; the reference taken here is ours and dropped before returning.
        let context: Arc<UserContext> =
            unsafe { uniffi::Handle::from_raw_unchecked(handle as u64).into_arc_borrowed() };
        match dispatch(&context, name, &mut input.as_slice()) {
            Ok(reply) => reply,
            Err(refused) => refused.reply(),
        }
    }))
    .unwrap_or_else(|panic| fault(&format!("panic in the engine: {}", panic_text(&*panic))));
    // SAFETY: as above; the reply is copied into a new Java array.
    unsafe { vec_to_byte_array(env, &reply) }
}
