//! Running core futures for Python callers, and awaiting Python callbacks from the core.
//!
//! * Sync callers: the core future runs on the caller's thread with the GIL released (a small park/unpark
//!   executor: the core needs no reactor). Many threads can be inside the core at once. If the thread is inside a
//!   running asyncio loop, the work moves to a helper thread, so a `def` override never finds a loop it must not
//!   block.
//! * Async callers: the core future is polled once right away on the loop's thread (GIL released), as the sync
//!   client does: a call that needs nothing but SQLite finishes there and returns an already-completed asyncio
//!   future, with no thread hop and no loop round trip. A call that suspends (host code, network I/O) goes on
//!   on the tokio runtime (`future_into_py_with_locals`) and never blocks the loop while it waits.
//! * Python callbacks (`def` or `async def`): called under `attach`; a returned awaitable is awaited on the
//!   caller's event loop (`into_future_with_locals`) when the call came from asyncio, or run to completion on a
//!   per-thread event loop when it came from a sync caller.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyAny;

struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

thread_local! {
    static WAKER: Waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
}

/// Polls `fut` to completion on this thread, parking while it is pending. Re-entrant (an override's
/// `original.x()` nests here), unlike the tokio and futures executors.
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    WAKER.with(|waker| {
        let mut cx = Context::from_waker(waker);
        loop {
            match fut.as_mut().poll(&mut cx) {
                Poll::Ready(v) => return v,
                Poll::Pending => thread::park(),
            }
        }
    })
}

/// [`block_on`], telling tokio first when this thread is one of its workers (a `def` override calling
/// `original` inside an async call), so the worker's other tasks move elsewhere.
fn drive<F: Future>(fut: F) -> F::Output {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(|| block_on(fut))
        }
        _ => block_on(fut),
    }
}

/// An asyncio awaitable for a core future called from a running event loop: polled once here (see the module
/// docs), then, only if it suspended, handed to tokio with the caller's task locals, so Python callbacks it
/// reaches still run on the caller's loop.
pub fn awaitable<F>(py: Python<'_>, fut: F) -> PyResult<Py<PyAny>>
where
    F: Future<Output = PyResult<Py<PyAny>>> + Send + 'static,
{
    let locals = pyo3_async_runtimes::TaskLocals::with_running_loop(py)?.copy_context(py)?;
    let mut fut = Box::pin(pyo3_async_runtimes::tokio::scope(locals.clone(), fut));
    let first = py.detach(|| {
        let before = INLINE.replace(true);
        let poll = fut
            .as_mut()
            .poll(&mut Context::from_waker(std::task::Waker::noop()));
        INLINE.set(before);
        poll
    });
    match first {
        Poll::Ready(result) => {
            let done = locals
                .event_loop(py)
                .call_method0(pyo3::intern!(py, "create_future"))?;
            match result {
                Ok(v) => done.call_method1(pyo3::intern!(py, "set_result"), (v,))?,
                Err(e) => {
                    done.call_method1(pyo3::intern!(py, "set_exception"), (e.into_value(py),))?
                }
            };
            Ok(done.unbind())
        }
        // Tokio polls it again at once with its own waker, so a wake-up meant for the first poll is not lost.
        Poll::Pending => {
            Ok(pyo3_async_runtimes::tokio::future_into_py_with_locals(py, locals, fut)?.unbind())
        }
    }
}

thread_local! {
    /// This thread is polling an asyncio call for the first time, on the loop's thread (see [`awaitable`]).
    static INLINE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Awaited before calling Python code (an override, an event handler) from a core future: during the inline
/// first poll of an asyncio call it suspends once, so the call moves to tokio and the Python code runs there, as
/// it always has (a `def` override then gets results from `original`, not awaitables, and never runs on the
/// loop's thread). Elsewhere it costs nothing.
pub async fn off_the_loop() {
    if !INLINE.with(std::cell::Cell::get) {
        return;
    }
    let mut yielded = false;
    std::future::poll_fn(|_| {
        if std::mem::replace(&mut yielded, true) {
            Poll::Ready(())
        } else {
            // Nobody needs waking: the suspended call is handed to tokio, which polls it at once.
            Poll::Pending
        }
    })
    .await
}

static GET_RUNNING_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Whether an asyncio event loop is running on this thread.
pub fn running_loop(py: Python<'_>) -> PyResult<bool> {
    let f = GET_RUNNING_LOOP.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
        Ok(py.import("asyncio")?.getattr("_get_running_loop")?.unbind())
    })?;
    Ok(!f.bind(py).call0()?.is_none())
}

/// Runs a core future for a sync Python caller: GIL released, on this thread (or a helper thread when this
/// thread runs an event loop).
pub fn block<F>(py: Python<'_>, fut: F) -> PyResult<F::Output>
where
    F: Future + Send,
    F::Output: Send,
{
    if running_loop(py)? {
        return Ok(py.detach(|| {
            thread::scope(|s| {
                s.spawn(|| drive(fut))
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p))
            })
        }));
    }
    Ok(py.detach(|| drive(fut)))
}

/// Awaits what a Python callback returned when it is awaitable; otherwise returns it.
pub async fn resolve(returned: Py<PyAny>) -> PyResult<Py<PyAny>> {
    enum Next {
        Ready(Py<PyAny>),
        Await(std::pin::Pin<Box<dyn Future<Output = PyResult<Py<PyAny>>> + Send>>),
    }
    // `returned` is consumed with the GIL held, so its reference is released there.
    let next = Python::attach(move |py| -> PyResult<Next> {
        let r = returned.into_bound(py);
        if !r.hasattr(pyo3::intern!(py, "__await__"))? {
            return Ok(Next::Ready(r.unbind()));
        }
        match pyo3_async_runtimes::tokio::get_current_locals(py).ok() {
            // Called from asyncio: await on the caller's loop, without blocking anything.
            Some(locals) => Ok(Next::Await(Box::pin(
                pyo3_async_runtimes::into_future_with_locals(&locals, r)?,
            ))),
            // Called from a sync caller: run the coroutine here.
            None => Ok(Next::Ready(run_here(py, &r)?)),
        }
    })?;
    match next {
        Next::Ready(v) => Ok(v),
        Next::Await(f) => f.await,
    }
}

thread_local! {
    static LOOP: std::cell::RefCell<Option<Py<PyAny>>> = const { std::cell::RefCell::new(None) };
}

/// Runs an awaitable to completion on this thread's private event loop (sync callers only).
fn run_here(py: Python<'_>, awaitable: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    if running_loop(py)? {
        // Never nest loops on one thread: run it on a helper thread's loop instead.
        let a = awaitable.clone().unbind();
        return py.detach(|| {
            thread::scope(|s| {
                s.spawn(|| Python::attach(|py| run_here(py, a.bind(py))))
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p))
            })
        });
    }
    let event_loop = LOOP.with(|l| -> PyResult<Py<PyAny>> {
        let mut l = l.borrow_mut();
        if let Some(lp) = l.as_ref() {
            if !lp.bind(py).call_method0("is_closed")?.is_truthy()? {
                return Ok(lp.clone_ref(py));
            }
        }
        let lp = py
            .import("asyncio")?
            .call_method0("new_event_loop")?
            .unbind();
        *l = Some(lp.clone_ref(py));
        Ok(lp)
    })?;
    Ok(event_loop
        .bind(py)
        .call_method1("run_until_complete", (awaitable,))?
        .unbind())
}
