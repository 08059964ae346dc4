//! The facade's calls on the engine handle itself over JNI: `AuthCore.open`, `call`, `listEvents`,
//! `deliverPendingEvents`, `shutdown` (the declared operations go through `jvm_hooks`, derived from the
//! declaration).
//!
//! Why: these were the last facade methods on uniffi's JNA path (~40 µs a call, a dozen native `Memory` blocks).
//! Each runs the very method the generated `NativeAuthCore` calls ([`AuthCore::open`], [`AuthCore::call`], ...),
//! with arguments and results in uniffi's serialisation, so both paths give the same results and errors. The
//! operations are named in `jvm_hooks::HOOK_OPS` (one table, resolved once by Kotlin) and reached through
//! `FastPath.callOriginal` on an [`Original::Engine`](crate::jvm_hooks::Original).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use jni_sys::{jbyteArray, jint, jobject, JNIEnv};

use crate::client::{AuthCore, Database, Hooks};
use crate::jvm_fast_path::{
    byte_array_to_vec, encode, fault, panic_text, run, vec_to_byte_array, Call, Refused,
};
use crate::jvm_hooks::{Uc, Wire};
use crate::types::{AuthCoreConfig, ListEventsInput};

/// Kotlin's call of `op` on the engine: its arguments read from `args`, the call itself not started yet.
pub(crate) fn dispatch(core: Arc<AuthCore>, op: &str, args: &mut &[u8]) -> Result<Call, Refused> {
    match op {
        "call" => {
            let name = <String as Wire>::take(args, op, "op")?;
            let args_json = <String as Wire>::take(args, op, "argsJson")?;
            let user_context = Uc::take(args, op, "userContext")?;
            Ok(Box::pin(async move {
                encode(core.call(name, args_json, Some(user_context)).await)
            }))
        }
        "listEvents" => {
            let input = <ListEventsInput as Wire>::take(args, op, "input")?;
            Ok(Box::pin(
                async move { encode(core.list_events(input).await) },
            ))
        }
        "deliverPendingEvents" => Ok(Box::pin(async move {
            encode(core.deliver_pending_events().await)
        })),
        "shutdown" => Ok(Box::pin(async move { encode(core.shutdown().await) })),
        other => Err(format!("no engine operation {other}").into()),
    }
}

/// `FastPath.open(args, length)`: `AuthCore.openDatabase(database, config, hooks)`; the reply carries the new engine's
/// uniffi handle (the facade lifts it into a `NativeAuthCore`), or `PENDING` while a Kotlin handler that
/// redelivery called is suspended.
///
/// # Safety
/// Called by the JVM; `args` is a Java `byte[]`.
#[no_mangle]
pub unsafe extern "system" fn Java_dev_authcore_FastPath_open(
    env: *mut JNIEnv,
    _this: jobject,
    args: jbyteArray,
    length: jint,
) -> jbyteArray {
    // SAFETY: `env` is this thread's JNI environment and `args` a live `byte[]` (the JVM's call).
    let input = unsafe { byte_array_to_vec(env, args, length) };
    let reply = catch_unwind(AssertUnwindSafe(|| {
        let mut rest = input.as_slice();
        let read = (|| {
            let database = <Database as Wire>::take(&mut rest, "open", "database")?;
            let config = <AuthCoreConfig as Wire>::take(&mut rest, "open", "config")?;
            let hooks = <Hooks as Wire>::take(&mut rest, "open", "hooks")?;
            Ok::<_, Refused>((database, config, hooks))
        })();
        match read {
            Ok(_) if !rest.is_empty() => fault("open: arguments left over"),
            Ok((database, config, hooks)) => run(Box::pin(async move {
                encode(AuthCore::open_database(database, config, hooks).await)
            })),
            Err(refused) => refused.reply(),
        }
    }))
    .unwrap_or_else(|panic| fault(&format!("panic in the engine: {}", panic_text(&*panic))));
    // SAFETY: as above; the reply is copied into a new Java array.
    unsafe { vec_to_byte_array(env, &reply) }
}
