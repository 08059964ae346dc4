//! Benchmark aid for `scripts/bench-kotlin` (feature `bench`, never in a published library): the Rust side of
//! "the same call, made directly in Rust", measured in the same process as the Kotlin side. A JNI function of
//! the test sources (`dev.authcore.test.BenchNative`), so no public Kotlin or Swift API carries it.
//!
//! `baseline*` run the raw-rusqlite baseline of the `signInUpPOST` rows (the shared `authcore-bench-baseline`
//! crate, the SQL `scripts/bench` measures the core against) in the JVM's process, and `sameWork` compares an
//! engine file with a baseline file after a loop.

use std::future::Future;
use std::panic::catch_unwind;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use std::path::Path;

use authcore_bench_baseline::{same_work, ApiBaseline, ApiRow};
use jni_sys::{jbyteArray, jclass, jdouble, jint, jlong, JNIEnv};
use uniffi::Lift;

use crate::client::AuthCore;
use crate::jvm_fast_path::{byte_array_to_vec, vec_to_byte_array};
use crate::UniFfiTag;

/// Polls a future to completion on this thread. The core's futures complete without waiting on anything
/// unless a host callback is involved, which the benchmark does not install.
fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::yield_now();
    }
}

/// `BenchNative.directGetUserNs(handle, userIdUtf8, iterations)`: calls the core's `getUser(userId)` `iterations`
/// times directly in Rust (no FFI) and returns the mean nanoseconds per call; a negative value on failure.
///
/// # Safety
/// Called by the JVM with a handle from the generated `uniffiCloneHandle()` and a live byte array.
#[no_mangle]
pub unsafe extern "system" fn Java_dev_authcore_test_BenchNative_directGetUserNs(
    env: *mut JNIEnv,
    _class: jclass,
    handle: jlong,
    user_id: jbyteArray,
    iterations: jint,
) -> jdouble {
    let user_id = unsafe { byte_array_to_vec(env, user_id, jint::MAX) };
    catch_unwind(|| {
        let Ok(user_id) = String::from_utf8(user_id) else {
            return -1.0;
        };
        let Ok(auth) = <Arc<AuthCore> as Lift<UniFfiTag>>::try_lift(
            uniffi::Handle::from_raw_unchecked(handle as u64),
        ) else {
            return -1.0;
        };
        let core = auth.core();
        let n = iterations.max(1);
        let start = Instant::now();
        for _ in 0..n {
            let ctx = authcore::UserContext::new();
            match block_on(core.get_user(&user_id, &ctx)) {
                Ok(user) => {
                    std::hint::black_box(user);
                }
                Err(_) => return -1.0,
            }
        }
        start.elapsed().as_nanos() as f64 / f64::from(n)
    })
    .unwrap_or(-1.0)
}

/// A UTF-8 Java byte array as text (`None` if it is not UTF-8).
///
/// # Safety
/// `env` and `bytes` come from the JVM for the current call.
unsafe fn text(env: *mut JNIEnv, bytes: jbyteArray) -> Option<String> {
    String::from_utf8(unsafe { byte_array_to_vec(env, bytes, jint::MAX) }).ok()
}

/// The baseline behind a handle from `baselineOpen`.
///
/// # Safety
/// `handle` is a live handle from `baselineOpen` (not yet closed).
unsafe fn baseline<'a>(handle: jlong) -> &'a ApiBaseline {
    unsafe { &*(handle as *const ApiBaseline) }
}

/// `BenchNative.baselineOpen(pathUtf8)`: creates a baseline file (the engine's schema) and opens it with the
/// engine's pragmas; returns its handle (0 on failure). Free it with `baselineClose`.
///
/// # Safety
/// Called by the JVM with a live byte array.
#[no_mangle]
pub unsafe extern "system" fn Java_dev_authcore_test_BenchNative_baselineOpen(
    env: *mut JNIEnv,
    _class: jclass,
    path: jbyteArray,
) -> jlong {
    let Some(path) = (unsafe { text(env, path) }) else {
        return 0;
    };
    catch_unwind(|| Box::into_raw(Box::new(ApiBaseline::open(Path::new(&path)))) as jlong)
        .unwrap_or(0)
}

/// `BenchNative.baselineSetup(handle, n)`: untimed setup of `api-autolink`, the `n` verified github primaries
/// its sign-ups link into. False on failure.
///
/// # Safety
/// `handle` is a live handle from `baselineOpen`.
#[no_mangle]
pub unsafe extern "system" fn Java_dev_authcore_test_BenchNative_baselineSetup(
    _env: *mut JNIEnv,
    _class: jclass,
    handle: jlong,
    n: jint,
) -> jni_sys::jboolean {
    let base = unsafe { baseline(handle) };
    catch_unwind(std::panic::AssertUnwindSafe(|| {
        base.setup_primaries(n.max(0) as usize)
    }))
    .is_ok()
}

/// `BenchNative.baselineRunNs(handle, rowUtf8, from, to)`: runs operations `from..to` of the row (`api-signup`,
/// `api-signin`, `api-autolink`) on the baseline, one transaction each; returns the elapsed nanoseconds, a
/// negative value on failure.
///
/// # Safety
/// `handle` is a live handle from `baselineOpen`; `row` a live byte array.
#[no_mangle]
pub unsafe extern "system" fn Java_dev_authcore_test_BenchNative_baselineRunNs(
    env: *mut JNIEnv,
    _class: jclass,
    handle: jlong,
    row: jbyteArray,
    from: jint,
    to: jint,
) -> jdouble {
    let Some(row) = (unsafe { text(env, row) }).and_then(|r| ApiRow::parse(&r)) else {
        return -1.0;
    };
    let base = unsafe { baseline(handle) };
    let range = from.max(0) as usize..to.max(0) as usize;
    catch_unwind(std::panic::AssertUnwindSafe(|| {
        base.run(row, range).as_nanos() as f64
    }))
    .unwrap_or(-1.0)
}

/// `BenchNative.baselineClose(handle)`: closes the baseline's connection.
///
/// # Safety
/// `handle` is a live handle from `baselineOpen`, not used again.
#[no_mangle]
pub unsafe extern "system" fn Java_dev_authcore_test_BenchNative_baselineClose(
    _env: *mut JNIEnv,
    _class: jclass,
    handle: jlong,
) {
    if handle != 0 {
        drop(unsafe { Box::from_raw(handle as *mut ApiBaseline) });
    }
}

/// `BenchNative.sameWork(enginePathUtf8, baselinePathUtf8)`: the row counts of the engine file as `name=count`
/// lines when the baseline file holds the same ones; otherwise one line starting with `!` saying what differs.
///
/// # Safety
/// Called by the JVM with live byte arrays.
#[no_mangle]
pub unsafe extern "system" fn Java_dev_authcore_test_BenchNative_sameWork(
    env: *mut JNIEnv,
    _class: jclass,
    engine: jbyteArray,
    base: jbyteArray,
) -> jbyteArray {
    let (engine, base) = unsafe { (text(env, engine), text(env, base)) };
    let answer = match (engine, base) {
        (Some(engine), Some(base)) => {
            match catch_unwind(|| same_work(Path::new(&engine), Path::new(&base))) {
                Ok(Ok(counts)) => counts
                    .iter()
                    .map(|(name, n)| format!("{name}={n}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
                Ok(Err(diff)) => format!("!{diff}"),
                Err(_) => "!the comparison failed (see stderr)".to_string(),
            }
        }
        _ => "!paths are not UTF-8".to_string(),
    };
    unsafe { vec_to_byte_array(env, answer.as_bytes()) }
}
