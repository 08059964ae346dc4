//! The JNI call path of the Kotlin facade (`dev.authcore.AuthCore`, hand-written in
//! `bindings/uniffi/kotlin/src/main/kotlin`).
//!
//! Why it exists: uniffi's generated Kotlin reaches Rust through JNA, and one suspend call there costs about
//! 50 µs on the JVM (a handful of JNA calls, a JNA callback, and a dozen native `Memory` blocks per call whose
//! cleanup falls behind under load). This path moves the same call through one JNI call instead, while keeping
//! everything else uniffi's: arguments and results are written in uniffi's own serialisation (the generated
//! `FfiConverter…write/read` on the Kotlin side, [`Lift`]/[`Lower`] here), and the method that runs is the
//! uniffi object's own ([`AuthCore`]), so both paths share every conversion and every rule.
//!
//! A call is polled once on the caller's thread. The core never waits on I/O of its own (SQLite is
//! synchronous), so without host hooks it finishes in that poll. When it waits on host code (a Kotlin override
//! or event handler), the future is parked here and the facade awaits it through the uniffi async function
//! [`fast_path_resume`], with uniffi's suspend machinery and cancellation.
//!
//! Reply layout: one tag byte, then the tag's payload: `OK` + the result (uniffi serialisation; nothing for
//! unit), `ERR` + an `AuthError`, `PENDING` + a big-endian u64 token, `FAULT` + UTF-8 text (a binding defect:
//! an unknown operation, undecodable arguments or a panic; never a user error).

use std::collections::HashMap;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::task::{Context, Poll, Waker};

use jni_sys::{jbyte, jbyteArray, jint, jlong, jobject, jsize, JNIEnv};
use uniffi::{Lift, Lower};

use crate::client::{AuthCore, UserContext};
use crate::error::AuthError;
use crate::types::*;
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

/// How an operation's argument is read from the facade's bytes.
pub(crate) trait Arg {
    type Value;
    fn take(args: &mut &[u8], op: &str, name: &str) -> Result<Self::Value, String>;
}

impl<T: Lift<UniFfiTag>> Arg for T {
    type Value = T;
    fn take(args: &mut &[u8], op: &str, name: &str) -> Result<T, String> {
        T::try_read(args).map_err(|e| format!("{op}: cannot read argument `{name}`: {e}"))
    }
}

/// Declares the operations the facade may call, in one table: its name in Kotlin (the facade resolves names
/// to indexes once, from [`fast_path_ops`]), the [`AuthCore`] method, and the arguments in the order the facade
/// writes them.
macro_rules! operations {
    ($($name:literal => $kind:ident $method:ident($($arg:ident: $ty:ty),*);)+) => {
        const OPERATIONS: &[&str] = &[$($name),+];

        fn prepare(core: Arc<AuthCore>, op: i32, args: &mut &[u8]) -> Result<Call, String> {
            let mut index = 0;
            $(
                if op == index {
                    $(let $arg = <$ty as Arg>::take(args, $name, stringify!($arg))?;)*
                    if !args.is_empty() {
                        return Err(format!("{}: {} bytes of arguments left over", $name, args.len()));
                    }
                    return Ok(Box::pin(async move { operations!(@run $kind core.$method($($arg),*)) }));
                }
                index += 1;
            )+
            let _ = index;
            Err(format!("unknown operation {op}"))
        }
    };
    (@run value $call:expr) => { encode($call.await) };
    (@run unit $call:expr) => { encode_unit($call.await) };
}

/// The optional `UserContext` argument. Beside uniffi's own encoding (0: none; 1: a handle the caller cloned
/// for us), the facade may send 2: a *borrowed* handle, which it keeps alive until this JNI call returns (it
/// holds the object's call counter), so this side takes its own reference before the call starts. That
/// saves the facade a JNA call (about 6 µs) per call with a context.
pub(crate) struct Ctx;

impl Arg for Ctx {
    type Value = Option<Arc<UserContext>>;
    fn take(args: &mut &[u8], op: &str, name: &str) -> Result<Self::Value, String> {
        let (&tag, rest) = args
            .split_first()
            .ok_or_else(|| format!("{op}: missing argument `{name}`"))?;
        match tag {
            0 | 1 => <Option<Arc<UserContext>> as Arg>::take(args, op, name),
            2 => {
                let raw: [u8; 8] = rest
                    .get(..8)
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(|| format!("{op}: truncated argument `{name}`"))?;
                *args = &rest[8..];
                let handle = uniffi::Handle::from_raw_unchecked(u64::from_be_bytes(raw));
                // SAFETY: the facade sent a handle of a live `UserContext` and keeps it alive (call counter
                // held) until this JNI call returns; the reference taken here is ours.
                let context: Arc<UserContext> = unsafe { handle.into_arc_borrowed() };
                Ok(Some(context))
            }
            other => Err(format!("{op}: bad tag {other} for `{name}`")),
        }
    }
}

operations! {
    "signInUp" => value sign_in_up(input: SignInUpInput, user_context: Ctx);
    "manuallyCreateOrUpdateUser" => value manually_create_or_update_user(input: SignInUpInput, user_context: Ctx);
    "signInUpPost" => value sign_in_up_post(input: SignInUpPostInput, user_context: Ctx);
    "createPrimaryUser" => value create_primary_user(recipe_user_id: String, user_context: Ctx);
    "canCreatePrimaryUser" => value can_create_primary_user(recipe_user_id: String, user_context: Ctx);
    "linkAccounts" => value link_accounts(recipe_user_id: String, primary_user_id: String, user_context: Ctx);
    "canLinkAccounts" => value can_link_accounts(recipe_user_id: String, primary_user_id: String, user_context: Ctx);
    "unlinkAccount" => value unlink_account(recipe_user_id: String, user_context: Ctx);
    "deleteUser" => unit delete_user(user_id: String, remove_all_linked_accounts: bool, user_context: Ctx);
    "getUser" => value get_user(user_id: String, user_context: Ctx);
    "listUsersByAccountInfo" => value list_users_by_account_info(
        tenant_id: String, account_info: AccountInfo, do_union_of_account_info: bool, user_context: Ctx);
    "getUsers" => value get_users(input: GetUsersInput, user_context: Ctx);
    "isEmailVerified" => value is_email_verified(recipe_user_id: String, email: Option<String>, user_context: Ctx);
    "verifyEmail" => value verify_email(input: VerifyEmailInput, user_context: Ctx);
    "unverifyEmail" => unit unverify_email(recipe_user_id: String, email: Option<String>, user_context: Ctx);
    "createOrUpdateTenant" => value create_or_update_tenant(tenant_id: String, config: TenantConfigInput, user_context: Ctx);
    "deleteTenant" => value delete_tenant(tenant_id: String, user_context: Ctx);
    "getTenant" => value get_tenant(tenant_id: String, user_context: Ctx);
    "listAllTenants" => value list_all_tenants(user_context: Ctx);
    "associateUserToTenant" => value associate_user_to_tenant(tenant_id: String, recipe_user_id: String, user_context: Ctx);
    "disassociateUserFromTenant" => value disassociate_user_from_tenant(
        tenant_id: String, recipe_user_id: String, user_context: Ctx);
    "createNewSession" => value create_new_session(
        tenant_id: String, recipe_user_id: String, access_token_payload_json: String, user_context: Ctx);
    "getSession" => value get_session(access_token: String, user_context: Ctx);
    "revokeSession" => value revoke_session(session_handle: String, user_context: Ctx);
    "revokeAllSessionsForUser" => value revoke_all_sessions_for_user(
        user_id: String, revoke_sessions_for_linked_accounts: bool, user_context: Ctx);
    "getAllSessionHandlesForUser" => value get_all_session_handles_for_user(
        user_id: String, fetch_sessions_for_all_linked_accounts: bool, user_context: Ctx);
    "deliverPendingEvents" => value deliver_pending_events();
}

/// The operation names, in index order. The Kotlin facade resolves each name it uses once, at class load, and
/// refuses to start when one is missing, so a facade and a library from different builds fail loudly.
#[uniffi::export]
pub fn fast_path_ops() -> Vec<String> {
    OPERATIONS.iter().map(|s| s.to_string()).collect()
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

/// `FastPath.attach(handle)`: takes ownership of a uniffi handle of an `AuthCore` (the facade clones one for
/// itself) and returns this path's own handle on it.
///
/// # Safety
/// Called by the JVM with a handle produced by the generated `uniffiCloneHandle()`.
#[no_mangle]
pub unsafe extern "system" fn Java_dev_authcore_FastPath_attach(
    _env: *mut JNIEnv,
    _this: jobject,
    handle: jlong,
) -> jlong {
    let lifted = catch_unwind(|| {
        <Arc<AuthCore> as Lift<UniFfiTag>>::try_lift(uniffi::Handle::from_raw_unchecked(
            handle as u64,
        ))
    });
    match lifted {
        Ok(Ok(core)) => Box::into_raw(Box::new(core)) as jlong,
        _ => 0,
    }
}

/// `FastPath.release(core)`: drops the handle `attach` returned. The facade calls it once, after its last call.
///
/// # Safety
/// `core` must come from `attach` and not be used afterwards.
#[no_mangle]
pub unsafe extern "system" fn Java_dev_authcore_FastPath_release(
    _env: *mut JNIEnv,
    _this: jobject,
    core: jlong,
) {
    if core != 0 {
        drop(unsafe { Box::from_raw(core as *mut Arc<AuthCore>) });
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

/// `FastPath.call(core, op, args, length)`: runs one operation and returns its reply (see the module doc).
///
/// # Safety
/// `env` is the calling thread's JNI environment, `core` a live handle from `attach`, `args` a Java `byte[]`.
#[no_mangle]
pub unsafe extern "system" fn Java_dev_authcore_FastPath_call(
    env: *mut JNIEnv,
    _this: jobject,
    core: jlong,
    op: jint,
    args: jbyteArray,
    length: jint,
) -> jbyteArray {
    let input = unsafe { byte_array_to_vec(env, args, length) };
    let reply = catch_unwind(AssertUnwindSafe(|| {
        if core == 0 {
            return fault("AuthCore is closed");
        }
        let core = unsafe { &*(core as *const Arc<AuthCore>) }.clone();
        let mut rest = input.as_slice();
        match prepare(core, op, &mut rest) {
            Ok(call) => run(call),
            Err(message) => fault(&message),
        }
    }))
    .unwrap_or_else(|panic| fault(&format!("panic in the engine: {}", panic_text(&*panic))));
    unsafe { vec_to_byte_array(env, &reply) }
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
