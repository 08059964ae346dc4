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

/// Whether the current thread is one of the I/O runtime's workers (a thread of its blocking pool that runs an
/// [`off_thread`] section is not: it may wait for them).
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) fn on_io_thread() -> bool {
    std::thread::current().name() == Some(IO_THREAD_NAME) && !in_section()
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

thread_local! {
    /// Set on a thread of the I/O runtime's blocking pool while it runs a [`off_thread`] section: it may wait
    /// for I/O tasks (it is not one of the runtime's workers).
    static IN_SECTION: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether the current thread runs an [`off_thread`] section: synchronous store work over the network is
/// expected here and nowhere else.
pub(crate) fn in_section() -> bool {
    IN_SECTION.with(|s| s.get())
}

/// Runs the synchronous section `f` on the I/O runtime's blocking pool and resolves with its result, so the
/// thread that polls the returned future (a host thread) never waits for the network itself: it only polls.
///
/// `f` may borrow from the caller. That is sound because the section starts on the first poll, once the future
/// is pinned, and the future's `Drop` waits for a started section to finish: by `Pin`'s drop guarantee the
/// memory `f` borrows stays valid until then. A caller that cancels (drops) the future mid-section therefore
/// waits for the section, which is bounded by the store's own timeouts. A panic in `f` is re-raised in `poll`.
/// Without an I/O runtime (it could not start) `f` runs on the polling thread.
pub(crate) fn off_thread<'a, T, F>(f: F) -> OffThread<'a, T>
where
    F: FnOnce() -> T + Send + 'a,
    T: Send + 'a,
{
    OffThread {
        state: OffState::Ready(Box::new(f)),
        _pinned: std::marker::PhantomPinned,
    }
}

type Section<'a, T> = Box<dyn FnOnce() -> T + Send + 'a>;

/// The future of [`off_thread`].
pub(crate) struct OffThread<'a, T> {
    state: OffState<'a, T>,
    _pinned: std::marker::PhantomPinned,
}

enum OffState<'a, T> {
    Ready(Section<'a, T>),
    Running(std::sync::Arc<Shared<T>>),
    Done,
}

struct Shared<T> {
    slot: std::sync::Mutex<SharedSlot<T>>,
    finished: std::sync::Condvar,
}

struct SharedSlot<T> {
    result: Option<std::thread::Result<T>>,
    finished: bool,
    waker: Option<std::task::Waker>,
}

impl<'a, T: Send + 'a> Future for OffThread<'a, T> {
    type Output = T;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<T> {
        use std::task::Poll;
        // SAFETY: nothing is moved out of the pinned future but its state, which holds no self-reference.
        let this = unsafe { self.get_unchecked_mut() };
        match std::mem::replace(&mut this.state, OffState::Done) {
            OffState::Ready(f) => {
                let Some(runtime) = io_runtime() else {
                    return Poll::Ready(f());
                };
                let shared = std::sync::Arc::new(Shared {
                    slot: std::sync::Mutex::new(SharedSlot {
                        result: None,
                        finished: false,
                        waker: Some(cx.waker().clone()),
                    }),
                    finished: std::sync::Condvar::new(),
                });
                let theirs = shared.clone();
                let job: Box<dyn FnOnce() + Send + 'a> = Box::new(move || {
                    IN_SECTION.with(|s| s.set(true));
                    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
                    IN_SECTION.with(|s| s.set(false));
                    let waker = match theirs.slot.lock() {
                        Ok(mut slot) => {
                            slot.result = Some(result);
                            slot.finished = true;
                            slot.waker.take()
                        }
                        Err(_) => None,
                    };
                    theirs.finished.notify_all();
                    if let Some(w) = waker {
                        w.wake();
                    }
                });
                // SAFETY: the job's borrows (of the section and of its result type) outlive it: `Drop` waits
                // until it has finished, and the future is pinned, so its memory (and what it borrows) is not
                // reused before `Drop` runs.
                let job: Box<dyn FnOnce() + Send + 'static> = unsafe { std::mem::transmute(job) };
                runtime.spawn_blocking(job);
                this.state = OffState::Running(shared);
                Poll::Pending
            }
            OffState::Running(shared) => {
                let taken = match shared.slot.lock() {
                    Ok(mut slot) => match slot.result.take() {
                        Some(r) => Some(r),
                        None => {
                            slot.waker = Some(cx.waker().clone());
                            None
                        }
                    },
                    Err(_) => None,
                };
                match taken {
                    Some(Ok(v)) => Poll::Ready(v),
                    Some(Err(panic)) => std::panic::resume_unwind(panic),
                    None => {
                        this.state = OffState::Running(shared);
                        Poll::Pending
                    }
                }
            }
            OffState::Done => panic!("an off-thread section was polled after it finished"),
        }
    }
}

impl<T> Drop for OffThread<'_, T> {
    fn drop(&mut self) {
        if let OffState::Running(shared) = &self.state {
            // The section may still use what it borrows from the caller: wait for it (see `off_thread`).
            let mut slot = match shared.slot.lock() {
                Ok(s) => s,
                Err(p) => p.into_inner(),
            };
            while !slot.finished {
                slot = match shared.finished.wait(slot) {
                    Ok(s) => s,
                    Err(p) => p.into_inner(),
                };
            }
            // The result may borrow what the caller lent too: drop it here, not on the pool's thread.
            drop(slot.result.take());
        }
    }
}

/// Runs the synchronous store work `f` where a host thread never waits for the network: in place on an
/// embedded store (no thread hop), as an [`off_thread`] section on a remote one ([`crate::store::Store::remote`]).
pub(crate) async fn store_work<T: Send>(
    store: &dyn crate::store::Store,
    f: impl FnOnce() -> T + Send,
) -> T {
    if store.remote() {
        off_thread(f).await
    } else {
        f()
    }
}

/// Starts the synchronous, self-contained store work `f` on the I/O runtime's blocking pool and returns a
/// receiver that resolves when it has finished (the work reports its outcome itself). Without an I/O runtime
/// `f` runs here and `None` is returned.
pub(crate) fn spawn_section(
    f: impl FnOnce() + Send + 'static,
) -> Option<tokio::sync::oneshot::Receiver<()>> {
    let Some(runtime) = io_runtime() else {
        f();
        return None;
    };
    let (tx, rx) = tokio::sync::oneshot::channel();
    runtime.spawn_blocking(move || {
        IN_SECTION.with(|s| s.set(true));
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        IN_SECTION.with(|s| s.set(false));
        let _ = tx.send(());
    });
    Some(rx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    #[tokio::test(flavor = "current_thread")]
    async fn a_section_runs_off_the_polling_thread_and_returns_what_it_borrowed() {
        let caller = std::thread::current().id();
        let mut owned = vec![1, 2, 3];
        let (ran_on, in_section_there) = off_thread(|| {
            owned.push(4);
            (std::thread::current().id(), in_section())
        })
        .await;
        assert_ne!(ran_on, caller);
        assert!(in_section_there, "the section's thread knows it runs one");
        assert!(!in_section(), "the caller's thread does not");
        assert_eq!(owned, vec![1, 2, 3, 4]);
    }

    #[test]
    fn dropping_a_started_section_waits_for_it() {
        let finished = AtomicBool::new(false);
        {
            let mut fut = Box::pin(off_thread(|| {
                std::thread::sleep(Duration::from_millis(100));
                finished.store(true, Ordering::SeqCst);
            }));
            let waker = std::task::Waker::noop();
            let mut cx = std::task::Context::from_waker(waker);
            assert!(fut.as_mut().poll(&mut cx).is_pending(), "started");
        }
        assert!(
            finished.load(Ordering::SeqCst),
            "the section had finished before the drop returned"
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_panic_in_a_section_is_raised_to_the_caller() {
        let outcome = tokio::spawn(async { off_thread(|| panic!("in the section")).await }).await;
        assert!(outcome.is_err_and(|e| e.is_panic()));
    }
}
