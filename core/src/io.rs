//! The engine's process-wide I/O runtime (README "Network I/O"), shared by the OAuth client and the PostgreSQL
//! store.
//!
//! The engine's futures are polled by whatever thread the host uses (Node's JS thread, a Python thread, a Kotlin
//! dispatcher thread), which must never drive network I/O itself. Network work is spawned onto one small
//! multi-threaded tokio runtime, started on the first network operation (none exists for SQLite-only use), and
//! the caller waits on a channel. Nothing but I/O runs on that runtime: host callbacks are never called from it.

use std::future::Future;
use std::sync::OnceLock;

/// The name of the runtime's threads: a store waiting synchronously for I/O refuses to do so on one of them
/// (it would wait on itself).
pub(crate) const IO_THREAD_NAME: &str = "authcore-io";

/// The process-wide I/O runtime, started on first use.
pub(crate) fn io_runtime() -> Option<&'static tokio::runtime::Runtime> {
    static IO: OnceLock<Option<tokio::runtime::Runtime>> = OnceLock::new();
    IO.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name(IO_THREAD_NAME)
            .enable_all()
            .build()
            .map_err(|e| tracing::error!(error = %e, "could not start the I/O runtime"))
            .ok()
    })
    .as_ref()
}

/// Whether the current thread is one of the I/O runtime's.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) fn on_io_thread() -> bool {
    std::thread::current().name() == Some(IO_THREAD_NAME)
}

/// Runs `fut` on the I/O runtime; the returned future only awaits a channel, so any executor may poll it.
/// Dropping it cancels the work. `None` when the runtime could not start or the task died.
pub(crate) async fn on_io<F, T>(fut: F) -> Option<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let runtime = io_runtime()?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let task = runtime.spawn(async move {
        let _ = tx.send(fut.await);
    });
    struct AbortOnDrop(tokio::task::AbortHandle);
    impl Drop for AbortOnDrop {
        fn drop(&mut self) {
            self.0.abort();
        }
    }
    let _guard = AbortOnDrop(task.abort_handle());
    rx.await.ok()
}

/// Runs `fut` on the I/O runtime and waits for it on the calling thread, which must not be an I/O runtime
/// thread. It waits on a std channel, not with a runtime's `block_on`, so it may be called from a thread that
/// polls some other tokio runtime (it blocks that thread meanwhile: see the PostgreSQL store's note on why
/// this is a first landing). `None` when the runtime could not start, the task died, or the caller is an I/O
/// thread.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) fn wait_on_io<F, T>(fut: F) -> Option<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    if on_io_thread() {
        return None;
    }
    let runtime = io_runtime()?;
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    runtime.spawn(async move {
        let _ = tx.send(fut.await);
    });
    rx.recv().ok()
}
