//! Time limits on host code: overrides, policy callbacks and event handlers written in the host language.
//!
//! The engine never holds a transaction or a lock while host code runs, so failing a call whose host code
//! does not answer leaves nothing half-written: the caller gets `HOST_TIMEOUT` and whatever the host code
//! later returns is dropped. The timer runs on its own thread (`futures-timer`), not on a tokio timer, because
//! bindings poll engine futures on runtimes the core does not choose.

use std::future::Future;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use crate::error::{AuthError, Result};

/// The default limit for one crossing into host code.
pub const DEFAULT_HOST_TIMEOUT_MS: u64 = 30_000;

/// Runs `fut` (a crossing into host code) with a limit of `timeout_ms`; `0` means no limit.
pub async fn guard<T>(timeout_ms: u64, fut: impl Future<Output = Result<T>>) -> Result<T> {
    if timeout_ms == 0 {
        return fut.await;
    }
    let mut fut = pin!(fut);
    // Armed only when the host code did not answer at once: most handlers and overrides finish in their first
    // poll, and a timer registration is a round trip to the timer thread (and another to cancel it).
    let mut delay: Option<futures_timer::Delay> = None;
    std::future::poll_fn(move |cx| {
        if let Poll::Ready(r) = fut.as_mut().poll(cx) {
            return Poll::Ready(r);
        }
        let delay = delay
            .get_or_insert_with(|| futures_timer::Delay::new(Duration::from_millis(timeout_ms)));
        match std::pin::Pin::new(delay).poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(AuthError::HostTimeout { timeout_ms })),
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn slow_host_code_times_out_and_fast_code_passes() {
        let slow = guard(20, async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok(1)
        })
        .await;
        assert_eq!(slow.unwrap_err().code(), "HOST_TIMEOUT");
        assert_eq!(guard(1000, async { Ok(2) }).await.unwrap(), 2);
        assert_eq!(guard(0, async { Ok(3) }).await.unwrap(), 3);
    }
}
