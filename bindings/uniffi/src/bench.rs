//! Benchmark aid for `scripts/bench-kotlin` (feature `bench`, never in a published library): the Rust side of
//! "the same call, made directly in Rust", measured in the same process as the Kotlin side. A JNI function of
//! the test sources (`dev.authcore.test.BenchNative`), so no public Kotlin or Swift API carries it.

use std::future::Future;
use std::panic::catch_unwind;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use jni_sys::{jbyteArray, jclass, jdouble, jint, jlong, JNIEnv};
use uniffi::Lift;

use crate::client::AuthCore;
use crate::jvm_fast_path::byte_array_to_vec;
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
