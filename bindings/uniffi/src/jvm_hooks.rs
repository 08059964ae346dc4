//! Kotlin overrides and event handlers over JNI (the Kotlin facade's hooks).
//!
//! Why: through uniffi's generated Kotlin, each crossing from the engine into a Kotlin override is a JNA
//! callback plus a coroutine launched on `Dispatchers.Default`, and each call the override makes to `original`
//! is a JNA call: one pass-through override layer made a call cost ~170 µs. Here the engine calls a Kotlin
//! bridge object with one JNI upcall on the current thread; the bridge starts the override's coroutine right
//! there (undispatched), so an override that does not suspend answers within the upcall. `original` is a
//! Kotlin object calling back with one JNI call (`FastPath.callOriginal`).
//!
//! A Kotlin layer is the binding's [`HostOverride`] / [`HostLayer`] implemented here in Rust, so it becomes the
//! core's generic host layer (`HostFunctions` / `HostApis`) like any other host's: the core decides which
//! methods cross (those the Kotlin class writes itself), bounds them by `hostTimeoutMs` and commits the
//! request's transaction first. No operation is listed here: `for_each_overridable!` derives, for every declared
//! operation, the crossing's arguments (the core's JSON read into the declared types and written in uniffi's
//! serialisation, in declaration order), its result (read back, as JSON for the core) and the calls Kotlin's
//! `original` objects make (arguments read in the same order, the core layer called, its result written).
//! The Kotlin half (`Overrides.kt`) is generated from the same declaration by `authcore-gen kotlin-hooks`. The
//! facade's own calls go to the engine's final objects as to an `original`. An override that suspends replies
//! `PENDING`; its completion arrives later through `FastPath.complete(callId, reply)` and wakes the waiting
//! engine call.
//!
//! Upcall reply layout: a tag byte (`OK`, `ERR` + an `AuthError`, `PENDING`, `UNEXPECTED` + UTF-8 text for a
//! Kotlin throwable that is not an `AuthException`), then uniffi-serialised bytes.

use std::collections::HashMap;
use std::ffi::c_void;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::ptr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, OnceLock};
use std::task::{Context, Poll, Waker};

use async_trait::async_trait;
use authcore::ops::OperationKind;
use authcore::{ApiFunctions, RecipeFunctions};
use jni_sys::{
    jbyteArray, jint, jlong, jmethodID, jobject, jvalue, JNIEnv, JavaVM, JNI_EDETACHED, JNI_OK,
    JNI_VERSION_1_6,
};
use serde_json::Value;
use uniffi::{Lift, Lower};

use crate::client::{AuthCore, UserContext};
use crate::error::AuthError;
use crate::events::EventHandler;
use crate::hooks::{Below, HostLayer, HostOriginal, HostOverride};
use crate::jvm_fast_path::{
    byte_array_to_vec, encode_unit, fault, panic_text, run, vec_to_byte_array, Call, Refused,
    Reply, ERR, OK, PENDING,
};
use crate::types::{Event, TenantConfigInput};
use crate::UniFfiTag;

type R<T> = Result<T, AuthError>;

/// A Kotlin throwable that is not an `AuthException` (its `toString()` follows): `HOST_ERROR`.
const UNEXPECTED: u8 = 4;

// ---------------------------------------------------------------------------------------------------------
// The JVM and the bridge objects.

struct Vm(*mut JavaVM);
// SAFETY: a `JavaVM*` is valid on every thread for the life of the process.
unsafe impl Send for Vm {}
unsafe impl Sync for Vm {}

static VM: OnceLock<Vm> = OnceLock::new();

/// Remembers the JVM the first time Kotlin calls in, so engine threads can call back.
unsafe fn remember_vm(env: *mut JNIEnv) {
    if VM.get().is_some() {
        return;
    }
    let mut vm: *mut JavaVM = ptr::null_mut();
    if unsafe { ((**env).v1_6.GetJavaVM)(env, &mut vm) } == JNI_OK && !vm.is_null() {
        let _ = VM.set(Vm(vm));
    }
}

/// This thread's JNI environment, attaching it (as a daemon) when the engine runs on a thread the JVM has not
/// seen. In practice every engine call runs on a JVM thread: the caller's, or the one completing an override.
fn attached_env() -> Result<*mut JNIEnv, String> {
    let vm = VM.get().ok_or("the JVM is not known yet")?.0;
    let mut env: *mut c_void = ptr::null_mut();
    let rc = unsafe { ((**vm).v1_4.GetEnv)(vm, &mut env, JNI_VERSION_1_6) };
    if rc == JNI_OK {
        return Ok(env as *mut JNIEnv);
    }
    if rc == JNI_EDETACHED {
        let rc =
            unsafe { ((**vm).v1_4.AttachCurrentThreadAsDaemon)(vm, &mut env, ptr::null_mut()) };
        if rc == JNI_OK {
            return Ok(env as *mut JNIEnv);
        }
    }
    Err(format!(
        "cannot reach the JVM from this thread (JNI code {rc})"
    ))
}

/// A global reference to a Kotlin bridge (`dev.authcore.HookBridge`) and its `invoke(op, args, callId)`.
struct Bridge {
    object: jobject,
    invoke: jmethodID,
}

// SAFETY: a JNI global reference and a method id may be used from any attached thread.
unsafe impl Send for Bridge {}
unsafe impl Sync for Bridge {}

impl Bridge {
    unsafe fn new(env: *mut JNIEnv, object: jobject) -> Result<Bridge, String> {
        unsafe {
            remember_vm(env);
            let f = &(**env).v1_6;
            let class = (f.GetObjectClass)(env, object);
            let invoke = (f.GetMethodID)(env, class, c"invoke".as_ptr(), c"(I[BJ)[B".as_ptr());
            (f.DeleteLocalRef)(env, class);
            if invoke.is_null() {
                (f.ExceptionClear)(env);
                return Err("the bridge has no invoke(Int, ByteArray, Long): ByteArray".into());
            }
            let global = (f.NewGlobalRef)(env, object);
            if global.is_null() {
                return Err("out of JNI global references".into());
            }
            Ok(Bridge {
                object: global,
                invoke,
            })
        }
    }

    /// One upcall: `bridge.invoke(op, args, callId)` on this thread. The bridge never throws (it answers
    /// `UNEXPECTED`), so an exception here is a defect of the bridge itself.
    fn call(&self, op: i32, args: &[u8], call_id: u64) -> Result<Reply, String> {
        let env = attached_env()?;
        unsafe {
            let f = &(**env).v1_6;
            if (f.PushLocalFrame)(env, 4) != JNI_OK {
                (f.ExceptionClear)(env);
                return Err("out of JNI local references".into());
            }
            let array = vec_to_byte_array(env, args);
            let argv = [
                jvalue { i: op },
                jvalue { l: array },
                jvalue {
                    j: call_id as jlong,
                },
            ];
            let reply = (f.CallObjectMethodA)(env, self.object, self.invoke, argv.as_ptr());
            let result = if (f.ExceptionCheck)(env) {
                (f.ExceptionDescribe)(env);
                (f.ExceptionClear)(env);
                Err("the Kotlin hook bridge threw".to_string())
            } else if reply.is_null() {
                Err("the Kotlin hook bridge answered null".to_string())
            } else {
                Ok(byte_array_to_vec(env, reply as jbyteArray, jint::MAX))
            };
            (f.PopLocalFrame)(env, ptr::null_mut());
            result
        }
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        if let Ok(env) = attached_env() {
            unsafe { ((**env).v1_6.DeleteGlobalRef)(env, self.object) };
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Upcalls that finish later.

#[derive(Default)]
struct Slot {
    reply: Option<Reply>,
    waker: Option<Waker>,
}

/// Upcalls whose override suspended, by call id, until `FastPath.complete` delivers the reply.
static WAITING: LazyLock<Mutex<HashMap<u64, Arc<Mutex<Slot>>>>> = LazyLock::new(Mutex::default);
static NEXT_CALL: AtomicU64 = AtomicU64::new(1);

/// Registered before the upcall (a fast completion cannot be missed); unregistered when dropped (a cancelled
/// engine call leaves nothing behind, and a late completion finds nobody and is ignored).
struct Waiting {
    id: u64,
    slot: Arc<Mutex<Slot>>,
}

impl Waiting {
    fn register() -> Waiting {
        let id = NEXT_CALL.fetch_add(1, Ordering::Relaxed);
        let slot = Arc::new(Mutex::new(Slot::default()));
        if let Ok(mut waiting) = WAITING.lock() {
            waiting.insert(id, slot.clone());
        }
        Waiting { id, slot }
    }
}

impl Future for Waiting {
    type Output = Reply;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Reply> {
        let Ok(mut slot) = self.slot.lock() else {
            return Poll::Ready(fault("hook slot poisoned"));
        };
        match slot.reply.take() {
            Some(reply) => Poll::Ready(reply),
            None => {
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        if let Ok(mut waiting) = WAITING.lock() {
            waiting.remove(&self.id);
        }
    }
}

async fn call_host(bridge: &Bridge, op: &str, args: Vec<u8>) -> R<Reply> {
    let index = op_index(op)?;
    let waiting = Waiting::register();
    let reply = bridge
        .call(index, &args, waiting.id)
        .map_err(|e| AuthError::host(format!("Kotlin hook {op}: {e}")))?;
    if reply.first() == Some(&PENDING) {
        Ok(waiting.await)
    } else {
        Ok(reply)
    }
}

fn reply_error(reply: &[u8]) -> AuthError {
    match reply.split_first() {
        Some((&ERR, mut rest)) => <AuthError as Lift<UniFfiTag>>::try_read(&mut rest)
            .unwrap_or_else(|e| {
                AuthError::host(format!("undecodable AuthException from Kotlin: {e}"))
            }),
        Some((&UNEXPECTED, rest)) => AuthError::host(String::from_utf8_lossy(rest).into_owned()),
        Some((tag, rest)) => AuthError::host(format!(
            "unexpected reply {tag} from a Kotlin hook: {}",
            String::from_utf8_lossy(rest)
        )),
        None => AuthError::host("empty reply from a Kotlin hook"),
    }
}

fn decode_unit(reply: Reply) -> R<()> {
    match reply.first() {
        Some(&OK) => Ok(()),
        _ => Err(reply_error(&reply)),
    }
}

// ---------------------------------------------------------------------------------------------------------
// Argument encodings.

/// How an argument crosses: written with uniffi's serialisation towards Kotlin, read back from the bytes the
/// Kotlin `original` object writes.
pub(crate) trait Wire {
    type Value;
    fn put(value: Self::Value, buf: &mut Vec<u8>);
    fn take(args: &mut &[u8], op: &str, name: &str) -> Result<Self::Value, Refused>;
}

impl<T: Lift<UniFfiTag> + Lower<UniFfiTag>> Wire for T {
    type Value = T;
    fn put(value: T, buf: &mut Vec<u8>) {
        T::write(value, buf)
    }
    fn take(args: &mut &[u8], op: &str, name: &str) -> Result<T, Refused> {
        T::try_read(args)
            .map_err(|e| Refused::lifting(e, &format!("{op}: cannot read argument `{name}`")))
    }
}

/// A `UserContext` argument. Towards Kotlin: a handle of our own (uniffi's encoding). From Kotlin (the facade's
/// calls and an override's calls to `original`), a tag first: 0, none: a new request (the facade's
/// `userContext = null`); 1, a handle cloned for us; 2, a *borrowed* handle, which the facade keeps alive until
/// this JNI call returns (it holds the object's call counter), so this side takes its own reference before the
/// call starts: that saves the facade a JNA call (about 6 µs) per call with a context.
pub(crate) struct Uc;

impl Wire for Uc {
    type Value = Arc<UserContext>;
    fn put(value: Arc<UserContext>, buf: &mut Vec<u8>) {
        <Arc<UserContext> as Lower<UniFfiTag>>::write(value, buf)
    }
    fn take(args: &mut &[u8], op: &str, name: &str) -> Result<Arc<UserContext>, Refused> {
        let (&tag, rest) = args
            .split_first()
            .ok_or_else(|| format!("{op}: missing argument `{name}`"))?;
        *args = rest;
        match tag {
            0 => Ok(Arc::default()),
            1 => <Arc<UserContext> as Wire>::take(args, op, name),
            2 => {
                let raw: [u8; 8] = rest
                    .get(..8)
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(|| format!("{op}: truncated argument `{name}`"))?;
                *args = &rest[8..];
                let handle = uniffi::Handle::from_raw_unchecked(u64::from_be_bytes(raw));
                // SAFETY: the facade sent a handle of a live `UserContext` and keeps it alive (call counter
                // held) until this JNI call returns; the reference taken here is ours.
                Ok(unsafe { handle.into_arc_borrowed() })
            }
            other => Err(format!("{op}: bad tag {other} for `{name}`").into()),
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// The operations, derived from the core's declaration (`authcore::for_each_overridable!`).

/// The control operations of the bridges and the engine handle (`jvm_engine`), before the declared ones.
const CONTROL_OPS: &[&str] = &[
    "functionsApply",
    "apisApply",
    "handle",
    "call",
    "listEvents",
    "deliverPendingEvents",
    "shutdown",
];

/// Every operation by name; an operation's index is its position: the control operations, then every
/// overridable operation of the declaration under its wire name (`getUser`, `signInUpPOST`). Kotlin resolves
/// the indexes once by name (`jvmHookOps()`), so one `callOriginal` reaches all of them.
pub(crate) static HOOK_OPS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    CONTROL_OPS
        .iter()
        .copied()
        .chain(authcore::ops::OVERRIDABLE.iter().map(|o| o.name))
        .collect()
});

/// How a declared parameter or result crosses JNI. Most types are the core's own uniffi types and use uniffi's
/// serialisation ([`ViaUniffi`]); the few the core cannot give uniffi have a form of their own ([`OwnWire`]).
/// The choice is made per type at compile time (autoref specialisation), so the derived code names no type.
pub(crate) struct W<T>(PhantomData<T>);

impl<T> W<T> {
    pub(crate) const NEW: W<T> = W(PhantomData);
}

pub(crate) trait ViaUniffi<T> {
    fn put(&self, value: T, buf: &mut Vec<u8>);
    fn take(&self, args: &mut &[u8], what: &str) -> Result<T, Refused>;
}

impl<T: Lift<UniFfiTag> + Lower<UniFfiTag>> ViaUniffi<T> for W<T> {
    fn put(&self, value: T, buf: &mut Vec<u8>) {
        T::write(value, buf)
    }
    fn take(&self, args: &mut &[u8], what: &str) -> Result<T, Refused> {
        T::try_read(args).map_err(|e| Refused::lifting(e, what))
    }
}

pub(crate) trait ViaOwn<T> {
    fn put(&self, value: T, buf: &mut Vec<u8>);
    fn take(&self, args: &mut &[u8], what: &str) -> Result<T, Refused>;
}

impl<T: OwnWire> ViaOwn<T> for &W<T> {
    fn put(&self, value: T, buf: &mut Vec<u8>) {
        value.put(buf)
    }
    fn take(&self, args: &mut &[u8], what: &str) -> Result<T, Refused> {
        T::take(args, what)
    }
}

/// A declared type without a uniffi form of its own.
pub(crate) trait OwnWire: Sized {
    fn put(self, buf: &mut Vec<u8>);
    fn take(args: &mut &[u8], what: &str) -> Result<Self, Refused>;
}

/// A JSON value (`createNewSession`'s payload) crosses as its text (Kotlin: `String`).
impl OwnWire for Value {
    fn put(self, buf: &mut Vec<u8>) {
        <String as Lower<UniFfiTag>>::write(self.to_string(), buf)
    }
    fn take(args: &mut &[u8], what: &str) -> Result<Self, Refused> {
        let text =
            <String as Lift<UniFfiTag>>::try_read(args).map_err(|e| Refused::lifting(e, what))?;
        serde_json::from_str(&text).map_err(|e| {
            Refused::Invalid(
                authcore::AuthError::invalid("accessTokenPayload", e.to_string()).into(),
            )
        })
    }
}

/// A JSON object (a provider's token response, `exchangeAuthCodeForOAuthTokens`' result) crosses as its text
/// (Kotlin: `String`).
impl OwnWire for serde_json::Map<String, Value> {
    fn put(self, buf: &mut Vec<u8>) {
        <String as Lower<UniFfiTag>>::write(Value::Object(self).to_string(), buf)
    }
    fn take(args: &mut &[u8], what: &str) -> Result<Self, Refused> {
        let text =
            <String as Lift<UniFfiTag>>::try_read(args).map_err(|e| Refused::lifting(e, what))?;
        match serde_json::from_str(&text) {
            Ok(Value::Object(object)) => Ok(object),
            _ => Err(Refused::Invalid(
                authcore::AuthError::invalid("oAuthTokens", "not a JSON object").into(),
            )),
        }
    }
}

/// The core's tenant update crosses as the binding's record (see `types::TenantConfigInput`).
impl OwnWire for authcore::TenantConfigInput {
    fn put(self, buf: &mut Vec<u8>) {
        <TenantConfigInput as Lower<UniFfiTag>>::write(self.into(), buf)
    }
    fn take(args: &mut &[u8], what: &str) -> Result<Self, Refused> {
        <TenantConfigInput as Lift<UniFfiTag>>::try_read(args)
            .map(Into::into)
            .map_err(|e| Refused::lifting(e, what))
    }
}

/// Nothing (a method without a result).
impl OwnWire for () {
    fn put(self, _buf: &mut Vec<u8>) {}
    fn take(_args: &mut &[u8], _what: &str) -> Result<Self, Refused> {
        Ok(())
    }
}

/// The core's layer of one trait that an `original` calls: a layer below an override, or the engine's final
/// (overridden) object.
pub(crate) enum Source<T: ?Sized> {
    Layer(Arc<T>),
    Engine(Arc<AuthCore>),
}

/// The engine's final object of a trait.
pub(crate) trait Final {
    fn of(core: &authcore::AuthCore) -> &Self;
}

impl Final for dyn RecipeFunctions {
    fn of(core: &authcore::AuthCore) -> &Self {
        core.functions()
    }
}

impl Final for dyn ApiFunctions {
    fn of(core: &authcore::AuthCore) -> &Self {
        core.apis()
    }
}

impl<T: ?Sized + Final> Source<T> {
    fn get(&self) -> &T {
        match self {
            Source::Layer(layer) => layer,
            Source::Engine(core) => T::of(core.core()),
        }
    }
}

/// The reply of a finished call: `OK` and the result, or `ERR` and the error.
macro_rules! reply_of {
    ($ret:ty, $result:expr) => {
        match $result {
            Ok(value) => {
                let mut reply = Vec::with_capacity(128);
                reply.push(OK);
                (&W::<$ret>::NEW).put(value, &mut reply);
                reply
            }
            Err(e) => encode_unit(Err(AuthError::from(e))),
        }
    };
}

/// Derives from the declaration: the arguments of a crossing into Kotlin (`host_args`, from the JSON the
/// core's host layer passes), its result (`host_result`, as JSON for the core), and the calls of Kotlin's
/// `original` objects (`Source::dispatch`), each parameter in declaration order.
macro_rules! jvm_ops {
    ($(
        $(#[doc = $tdoc:literal])*
        trait $Trait:ident($Flow:ident, $Host:ident, $call:ident, $kind:ident) {
            $(
                $(#[doc = $doc:literal])*
                fn $name:ident $wire:literal $shape:ident ( $($p:ident : $pty:ty $(= $def:expr)?),* $(,)? )
                    -> $ret:ty as $env:ident;
            )*
        }
    )*) => {
        /// Writes the arguments of `op` for Kotlin, from the JSON object of the core's host layer (which
        /// names every parameter).
        pub(super) fn host_args(op: &str, args: Value, buf: &mut Vec<u8>) -> R<()> {
            match op {
                $($($wire => {
                    jvm_ops!(@args $shape, args, buf; $($p: $pty),*);
                    Ok(())
                })*)*
                other => Err(AuthError::host(format!("no hook operation {other}"))),
            }
        }

        /// Reads the result of `op` from a Kotlin reply, as JSON for the core's host layer.
        pub(super) fn host_result(op: &str, reply: Reply) -> R<Value> {
            match op {
                $($($wire => {
                    let value: $ret = match reply.split_first() {
                        Some((&OK, mut rest)) => (&W::<$ret>::NEW)
                            .take(&mut rest, "undecodable result from a Kotlin hook")
                            .map_err(Refused::into_error)?,
                        _ => return Err(reply_error(&reply)),
                    };
                    Ok(authcore::json::to_value(&value)?)
                })*)*
                other => Err(AuthError::host(format!("no hook operation {other}"))),
            }
        }

        $(
            impl Source<dyn $Trait> {
                /// Kotlin's call of `op` on this layer: its arguments read from `args` (then the
                /// `UserContext`), the call itself not started yet.
                pub(super) fn dispatch(self, op: &str, args: &mut &[u8]) -> Result<Call, Refused> {
                    match op {
                        $($wire => {
                            $(let $p: <$pty as FromOwned<'_>>::Owned =
                                (&W::<<$pty as FromOwned<'_>>::Owned>::NEW).take(args, stringify!($p))?;)*
                            let ctx = Uc::take(args, $wire, "userContext")?;
                            Ok(Box::pin(async move {
                                let result = self.get().$name($(FromOwned::from_owned(&$p),)* &ctx.inner).await;
                                reply_of!($ret, result)
                            }))
                        })*
                        other => Err(format!("no {} operation {other}", stringify!($Trait)).into()),
                    }
                }
            }
        )*
    };
    (@args whole, $args:ident, $buf:ident; $p:ident : $pty:ty) => {
        let $p: <$pty as FromOwned<'_>>::Owned = authcore::json::parse("args", $args)?;
        (&W::<<$pty as FromOwned<'_>>::Owned>::NEW).put($p, $buf);
    };
    (@args named, $args:ident, $buf:ident; $($p:ident : $pty:ty),*) => {
        #[allow(unused_mut, unused_variables)]
        let mut map = match $args {
            Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        $(
            let value = map.remove(&authcore::ops::camel_case(stringify!($p))).unwrap_or(Value::Null);
            let $p: <$pty as FromOwned<'_>>::Owned = authcore::json::parse(stringify!($p), value)?;
            (&W::<<$pty as FromOwned<'_>>::Owned>::NEW).put($p, $buf);
        )*
    };
}

/// The declaration's types under the names it uses (the core's `TenantConfigInput`, not the binding's).
mod declared {
    pub(super) use authcore::ops::types::*;
}

mod derived {
    use super::declared::TenantConfigInput;
    use super::declared::*;
    use super::*;
    use authcore::layers::FromOwned;

    authcore::for_each_overridable!(jvm_ops);
}

fn op_index(op: &str) -> R<i32> {
    HOOK_OPS
        .iter()
        .position(|name| *name == op)
        .map(|i| i as i32)
        .ok_or_else(|| AuthError::host(format!("no hook operation {op}")))
}

/// The hook operation names, in index order (internal to the Kotlin facade, which resolves them once).
#[uniffi::export]
pub fn jvm_hook_ops() -> Vec<String> {
    HOOK_OPS.iter().map(|s| s.to_string()).collect()
}

/// How many calls are in flight on the JNI paths: parked engine calls plus upcalls waiting for a suspended
/// Kotlin hook (internal; the facade's tests check that nothing is left behind).
#[uniffi::export]
pub fn fast_path_in_flight() -> u64 {
    let parked = crate::jvm_fast_path::PARKED
        .lock()
        .map(|p| p.len())
        .unwrap_or(0);
    let waiting = WAITING.lock().map(|w| w.len()).unwrap_or(0);
    (parked + waiting) as u64
}

// ---------------------------------------------------------------------------------------------------------
// The Rust side of Kotlin layers.

/// A Kotlin override layer as the core's host: the generic host layer (`HostFunctions` / `HostApis`, built by
/// `hooks`) crosses into it only for the operations in `replaced`, those the Kotlin object declares itself
/// (read from its Kotlin metadata, which tells a written `override` from one that `by original` delegation
/// generated); `None`: unknown (a Java class), so every operation crosses.
struct JvmLayer {
    bridge: Arc<Bridge>,
    replaced: Option<Vec<String>>,
    /// Every operation of this layer's trait (what "unknown" replaces).
    kind: OperationKind,
}

#[async_trait]
impl HostLayer for JvmLayer {
    fn replaces(&self) -> Vec<String> {
        match &self.replaced {
            Some(ops) => ops.clone(),
            None => authcore::ops::OVERRIDABLE
                .iter()
                .filter(|o| o.kind == self.kind)
                .map(|o| o.name.to_string())
                .collect(),
        }
    }

    async fn call(
        &self,
        op: String,
        args_json: String,
        user_context: Arc<UserContext>,
    ) -> R<String> {
        let args: Value = serde_json::from_str(&args_json)
            .map_err(|e| AuthError::host(format!("arguments of {op}: {e}")))?;
        let mut buf = Vec::with_capacity(128);
        derived::host_args(&op, args, &mut buf)?;
        <Uc as Wire>::put(user_context, &mut buf);
        let reply = call_host(&self.bridge, &op, buf).await?;
        Ok(derived::host_result(&op, reply)?.to_string())
    }
}

/// A Kotlin event handler.
struct JvmHandler {
    bridge: Bridge,
}

#[async_trait]
impl EventHandler for JvmHandler {
    async fn handle(&self, event: Event) -> R<()> {
        let mut args = Vec::with_capacity(256);
        <Event as Lower<UniFfiTag>>::write(event, &mut args);
        decode_unit(call_host(&self.bridge, "handle", args).await?)
    }
}

/// What a Kotlin `original` object calls: the layer below a Kotlin override or the engine's final objects,
/// or (for the facade) the engine handle itself (`call`, `listEvents`, `deliverPendingEvents`, `shutdown`).
pub(crate) enum Original {
    Functions(Source<dyn RecipeFunctions>),
    Apis(Source<dyn ApiFunctions>),
    Engine(Arc<AuthCore>),
}

impl Original {
    fn dispatch(&self, op: &str, args: &mut &[u8]) -> Result<Call, Refused> {
        match self {
            Original::Functions(Source::Layer(l)) => Source::Layer(l.clone()).dispatch(op, args),
            Original::Functions(Source::Engine(c)) => {
                Source::<dyn RecipeFunctions>::Engine(c.clone()).dispatch(op, args)
            }
            Original::Apis(Source::Layer(l)) => Source::Layer(l.clone()).dispatch(op, args),
            Original::Apis(Source::Engine(c)) => {
                Source::<dyn ApiFunctions>::Engine(c.clone()).dispatch(op, args)
            }
            Original::Engine(core) => crate::jvm_engine::dispatch(core.clone(), op, args),
        }
    }
}

/// Builds a Kotlin layer: hands the bridge its `original` (a boxed [`Original`], owned by the Kotlin object
/// from then on) and lets it call the user's `apply`. The reply is `OK`, then optionally the count and indexes
/// (big-endian i32s) of the hook operations the layer replaces; without them every operation crosses.
fn apply_layer(bridge: &Bridge, op: &str, original: Original) -> R<Option<Vec<String>>> {
    let pointer = Box::into_raw(Box::new(original)) as u64;
    let index = op_index(op)?;
    let reply = bridge
        .call(index, &pointer.to_be_bytes(), 0)
        .map_err(|e| AuthError::host(format!("Kotlin hook {op}: {e}")))?;
    match reply.split_first() {
        Some((&OK, [])) => Ok(None),
        Some((&OK, rest)) => {
            let ints: Vec<i32> = rest
                .chunks_exact(4)
                .map(|c| i32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            let names = match ints.split_first() {
                Some((&n, ops)) if n as usize == ops.len() && rest.len() % 4 == 0 => ops
                    .iter()
                    .map(|&i| usize::try_from(i).ok().and_then(|i| HOOK_OPS.get(i)))
                    .map(|name| name.map(|n| n.to_string()))
                    .collect::<Option<Vec<_>>>(),
                _ => None,
            };
            names.map(Some).ok_or_else(|| {
                AuthError::host(format!(
                    "Kotlin hook {op}: malformed list of replaced operations"
                ))
            })
        }
        _ => Err(reply_error(&reply)),
    }
}

/// A Kotlin override factory (`FunctionsOverride` or `ApisOverride`) as the binding's [`HostOverride`].
struct JvmOverride {
    bridge: Arc<Bridge>,
    kind: OperationKind,
}

impl HostOverride for JvmOverride {
    fn apply(&self, original: Arc<HostOriginal>) -> R<Arc<dyn HostLayer>> {
        let (op, original) = match original.below.clone() {
            Below::Functions(f) => ("functionsApply", Original::Functions(Source::Layer(f))),
            Below::Apis(a) => ("apisApply", Original::Apis(Source::Layer(a))),
        };
        let replaced = apply_layer(&self.bridge, op, original)?;
        Ok(Arc::new(JvmLayer {
            bridge: self.bridge.clone(),
            replaced,
            kind: self.kind,
        }))
    }
}

/// A bridge as a uniffi handle of a [`HostOverride`] (0 on failure).
unsafe fn override_handle(env: *mut JNIEnv, bridge: jobject, kind: OperationKind) -> jlong {
    catch_unwind(AssertUnwindSafe(|| {
        match unsafe { Bridge::new(env, bridge) } {
            Ok(bridge) => {
                let layer: Arc<dyn HostOverride> = Arc::new(JvmOverride {
                    bridge: Arc::new(bridge),
                    kind,
                });
                <Arc<dyn HostOverride> as Lower<UniFfiTag>>::lower(layer).as_raw() as jlong
            }
            Err(_) => 0,
        }
    }))
    .unwrap_or(0)
}
// ---------------------------------------------------------------------------------------------------------
// JNI entry points.

/// `FastPath.functionsLayer(bridge)`: a uniffi handle of a `HostOverride` calling this Kotlin bridge (the
/// facade lifts it with the generated converter and passes it in `Hooks`); 0 on failure.
///
/// # Safety
/// Called by the JVM with a live bridge object.
#[no_mangle]
pub unsafe extern "system" fn Java_dev_authcore_FastPath_functionsLayer(
    env: *mut JNIEnv,
    _this: jobject,
    bridge: jobject,
) -> jlong {
    unsafe { override_handle(env, bridge, OperationKind::Recipe) }
}

/// `FastPath.apisLayer(bridge)`: as `functionsLayer`, for the API functions.
///
/// # Safety
/// Called by the JVM with a live bridge object.
#[no_mangle]
pub unsafe extern "system" fn Java_dev_authcore_FastPath_apisLayer(
    env: *mut JNIEnv,
    _this: jobject,
    bridge: jobject,
) -> jlong {
    unsafe { override_handle(env, bridge, OperationKind::Api) }
}

/// `FastPath.eventHandler(bridge)`: a uniffi handle of an `EventHandler` calling this Kotlin bridge.
///
/// # Safety
/// Called by the JVM with a live bridge object.
#[no_mangle]
pub unsafe extern "system" fn Java_dev_authcore_FastPath_eventHandler(
    env: *mut JNIEnv,
    _this: jobject,
    bridge: jobject,
) -> jlong {
    catch_unwind(AssertUnwindSafe(|| {
        match unsafe { Bridge::new(env, bridge) } {
            Ok(bridge) => {
                let handler: Arc<dyn EventHandler> = Arc::new(JvmHandler { bridge });
                <Arc<dyn EventHandler> as Lower<UniFfiTag>>::lower(handler).as_raw() as jlong
            }
            Err(_) => 0,
        }
    }))
    .unwrap_or(0)
}

/// `FastPath.complete(callId, reply, length)`: the reply of an upcall whose override suspended.
///
/// # Safety
/// Called by the JVM; `reply` is a Java `byte[]`.
#[no_mangle]
pub unsafe extern "system" fn Java_dev_authcore_FastPath_complete(
    env: *mut JNIEnv,
    _this: jobject,
    call_id: jlong,
    reply: jbyteArray,
    length: jint,
) {
    let bytes = unsafe { byte_array_to_vec(env, reply, length) };
    let slot = WAITING
        .lock()
        .ok()
        .and_then(|mut w| w.remove(&(call_id as u64)));
    if let Some(slot) = slot {
        let waker = match slot.lock() {
            Ok(mut s) => {
                s.reply = Some(bytes);
                s.waker.take()
            }
            Err(_) => None,
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// `FastPath.callOriginal(original, op, args, length)`: a facade call, or a Kotlin override calling
/// `original`. The reply is as described in `jvm_fast_path` (`PENDING` when a layer below waits on Kotlin
/// code).
///
/// # Safety
/// `original` is a live pointer handed to the bridge by `apply_layer`.
#[no_mangle]
pub unsafe extern "system" fn Java_dev_authcore_FastPath_callOriginal(
    env: *mut JNIEnv,
    _this: jobject,
    original: jlong,
    op: jint,
    args: jbyteArray,
    length: jint,
) -> jbyteArray {
    let input = unsafe { byte_array_to_vec(env, args, length) };
    let reply = catch_unwind(AssertUnwindSafe(|| {
        if original == 0 {
            return fault("original is released");
        }
        let target = unsafe { &*(original as *const Original) };
        let Some(name) = usize::try_from(op).ok().and_then(|i| HOOK_OPS.get(i)) else {
            return fault(&format!("unknown hook operation {op}"));
        };
        let mut rest = input.as_slice();
        let call = target.dispatch(name, &mut rest);
        match call {
            Ok(_) if !rest.is_empty() => fault(&format!("{name}: arguments left over")),
            Ok(call) => run(call),
            Err(refused) => refused.reply(),
        }
    }))
    .unwrap_or_else(|panic| fault(&format!("panic in the engine: {}", panic_text(&*panic))));
    unsafe { vec_to_byte_array(env, &reply) }
}

/// `FastPath.engineFunctions(handle)` / `engineApis(handle)`: the engine's final (overridden) functions of a
/// `NativeAuthCore`, as an `original` the facade calls for every operation. Takes ownership of a uniffi handle
/// cloned for it; 0 on failure. Released with `releaseOriginal`.
fn engine_original(handle: jlong, pick: fn(Arc<AuthCore>) -> Original) -> jlong {
    catch_unwind(|| {
        <Arc<AuthCore> as Lift<UniFfiTag>>::try_lift(uniffi::Handle::from_raw_unchecked(
            handle as u64,
        ))
        .map(|core| Box::into_raw(Box::new(pick(core))) as jlong)
        .unwrap_or(0)
    })
    .unwrap_or(0)
}

/// See [`engine_original`].
///
/// # Safety
/// Called by the JVM with a handle from the generated `uniffiCloneHandle()`.
#[no_mangle]
pub unsafe extern "system" fn Java_dev_authcore_FastPath_engineFunctions(
    _env: *mut JNIEnv,
    _this: jobject,
    handle: jlong,
) -> jlong {
    engine_original(handle, |core| Original::Functions(Source::Engine(core)))
}

/// See [`engine_original`].
///
/// # Safety
/// Called by the JVM with a handle from the generated `uniffiCloneHandle()`.
#[no_mangle]
pub unsafe extern "system" fn Java_dev_authcore_FastPath_engineApis(
    _env: *mut JNIEnv,
    _this: jobject,
    handle: jlong,
) -> jlong {
    engine_original(handle, |core| Original::Apis(Source::Engine(core)))
}

/// `FastPath.engine(handle)`: the engine handle itself, as an `original` for the facade's calls that are not
/// `Functions`/`Apis` methods (see [`engine_original`]).
///
/// # Safety
/// Called by the JVM with a handle from the generated `uniffiCloneHandle()`.
#[no_mangle]
pub unsafe extern "system" fn Java_dev_authcore_FastPath_engine(
    _env: *mut JNIEnv,
    _this: jobject,
    handle: jlong,
) -> jlong {
    engine_original(handle, Original::Engine)
}

/// `FastPath.releaseOriginal(original)`: the Kotlin `original` object was closed or collected.
///
/// # Safety
/// `original` came from `apply_layer` and is not used afterwards.
#[no_mangle]
pub unsafe extern "system" fn Java_dev_authcore_FastPath_releaseOriginal(
    _env: *mut JNIEnv,
    _this: jobject,
    original: jlong,
) {
    if original != 0 {
        drop(unsafe { Box::from_raw(original as *mut Original) });
    }
}

/// `FastPath.releaseContext(handle)`: a `UserContext` the facade adopted for a hook was collected.
///
/// # Safety
/// `handle` is an owned uniffi handle of a `UserContext` (written by [`Uc::put`]), released once.
#[no_mangle]
pub unsafe extern "system" fn Java_dev_authcore_FastPath_releaseContext(
    _env: *mut JNIEnv,
    _this: jobject,
    handle: jlong,
) {
    if handle != 0 {
        drop(unsafe {
            uniffi::Handle::from_raw_unchecked(handle as u64).into_arc::<UserContext>()
        });
    }
}
