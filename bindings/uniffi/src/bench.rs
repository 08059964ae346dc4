//! Benchmark aid for `scripts/bench-kotlin` (not part of the API proper): the Rust side of "the same call, made
//! directly in Rust", measured in the same process as the Kotlin side.

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use crate::client::AuthCore;
use crate::error::AuthError;

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

/// Calls the core's `getUser(userId)` `iterations` times directly in Rust (no FFI) and returns the mean
/// nanoseconds per call.
#[uniffi::export]
pub fn bench_direct_get_user_ns(
    auth: Arc<AuthCore>,
    user_id: String,
    iterations: u32,
) -> Result<f64, AuthError> {
    let core = auth.core();
    let n = iterations.max(1);
    let start = Instant::now();
    for _ in 0..n {
        let ctx = authcore::UserContext::new();
        let user = block_on(core.get_user(&user_id, &ctx))?;
        std::hint::black_box(user);
    }
    Ok(start.elapsed().as_nanos() as f64 / f64::from(n))
}
