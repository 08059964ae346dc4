//! Native calls run on the JS thread: [`run`] polls the call's future right away, inside the JS call, and
//! returns its value when it is done then (no Promise, no thread hop: the core's SQLite work is synchronous, so
//! a call that no JS override or handler touches completes in that first poll). A call that has to wait (it
//! called a JS override or event handler and awaits its Promise) gets a Promise, and its future stays on the JS
//! thread: its waker queues it on a thread-safe function whose callback, run by the JS event loop, polls it
//! again; when it completes, the Promise is resolved there.
//!
//! So the binding never hops between the JS thread and a worker thread for a call; everything a call does runs
//! on the JS thread, one piece at a time, interleaved with JS (like better-sqlite3, the database work of a call
//! blocks the event loop while it runs). One driver per JS thread (the main thread or a worker's), made on
//! first use; while no call is pending its thread-safe function is unref'd and does not keep Node alive.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::ptr;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use napi::bindgen_prelude::ToNapiValue;
use napi::{check_status, sys, Env};

/// What a call's future produces: converted to a JS value on the JS thread when it is done.
pub type BoxedCall<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// The thread-safe function of one JS thread's driver (only ever called through, from any thread).
#[derive(Clone, Copy)]
struct Tsfn(sys::napi_threadsafe_function);
// SAFETY: napi_call_threadsafe_function may be called from any thread; the other uses (ref/unref) happen on the
// JS thread that owns it.
unsafe impl Send for Tsfn {}
unsafe impl Sync for Tsfn {}

struct Driver {
    env: sys::napi_env,
    tsfn: Tsfn,
    /// Calls waiting to be resolved; the thread-safe function is ref'd while there are any.
    pending: Cell<usize>,
}

impl Driver {
    fn started(&self) {
        if self.pending.get() == 0 {
            // SAFETY: on the JS thread that created the thread-safe function.
            unsafe { sys::napi_ref_threadsafe_function(self.env, self.tsfn.0) };
        }
        self.pending.set(self.pending.get() + 1);
    }

    fn finished(&self) {
        let left = self.pending.get().saturating_sub(1);
        self.pending.set(left);
        if left == 0 {
            // SAFETY: as above.
            unsafe { sys::napi_unref_threadsafe_function(self.env, self.tsfn.0) };
        }
    }
}

thread_local! {
    static DRIVER: RefCell<Option<Rc<Driver>>> = const { RefCell::new(None) };
}

fn driver(env: sys::napi_env) -> napi::Result<Rc<Driver>> {
    if let Some(d) = DRIVER.with(|d| d.borrow().clone()) {
        if d.env == env {
            return Ok(d);
        }
    }
    let mut name = ptr::null_mut();
    let label = "authcore-node:poll";
    let mut tsfn = ptr::null_mut();
    // SAFETY: plain N-API calls on the JS thread with valid out-pointers; no JS function (the C callback polls).
    unsafe {
        check_status!(sys::napi_create_string_utf8(
            env,
            label.as_ptr().cast(),
            label.len() as isize,
            &mut name
        ))?;
        check_status!(sys::napi_create_threadsafe_function(
            env,
            ptr::null_mut(),
            ptr::null_mut(),
            name,
            0,
            1,
            ptr::null_mut(),
            None,
            ptr::null_mut(),
            Some(poll_from_queue),
            &mut tsfn,
        ))?;
        check_status!(sys::napi_unref_threadsafe_function(env, tsfn))?;
    }
    let d = Rc::new(Driver {
        env,
        tsfn: Tsfn(tsfn),
        pending: Cell::new(0),
    });
    DRIVER.with(|slot| *slot.borrow_mut() = Some(d.clone()));
    Ok(d)
}

/// One call in flight: its future (until done), its Promise's deferred (once it has one).
struct Task<T> {
    future: Mutex<Option<BoxedCall<T>>>,
    deferred: Mutex<Option<Deferred>>,
    /// A poll is queued on the thread-safe function (wakes before it runs are merged).
    queued: AtomicBool,
    tsfn: Tsfn,
    /// The output of a call whose future panicked.
    on_panic: fn() -> T,
}

struct Deferred(sys::napi_deferred);
// SAFETY: only created, stored and resolved on the JS thread; the Mutex around it is for `Task: Sync`.
unsafe impl Send for Deferred {}

/// Type-erased entry the thread-safe function carries: a leaked `Arc<Task<T>>` and its poll function.
struct Queued {
    run: unsafe fn(sys::napi_env, *const ()),
    task: *const (),
    drop: unsafe fn(*const ()),
}

impl<T: ToNapiValue + Send + 'static> Wake for Task<T> {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref()
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.queued.swap(true, Ordering::AcqRel) {
            return;
        }
        let entry = Box::new(Queued {
            run: run_queued::<T>,
            task: Arc::into_raw(self.clone()).cast(),
            drop: drop_queued::<T>,
        });
        let entry = Box::into_raw(entry);
        // SAFETY: thread-safe call; on failure (the environment is closing) nothing will run it, so free it.
        let status = unsafe {
            sys::napi_call_threadsafe_function(
                self.tsfn.0,
                entry.cast(),
                sys::ThreadsafeFunctionCallMode::nonblocking,
            )
        };
        if status != sys::Status::napi_ok {
            // SAFETY: `entry` was not handed over.
            unsafe { discard(*Box::from_raw(entry)) };
        }
    }
}

unsafe fn run_queued<T: ToNapiValue + Send + 'static>(env: sys::napi_env, task: *const ()) {
    // SAFETY: `task` came from `Arc::into_raw` of an `Arc<Task<T>>` in `wake_by_ref`.
    let task = unsafe { Arc::from_raw(task.cast::<Task<T>>()) };
    task.queued.store(false, Ordering::Release);
    let Some(out) = poll_once(&task) else { return };
    let deferred = task
        .deferred
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take();
    let Some(Deferred(deferred)) = deferred else {
        return;
    };
    // SAFETY: on the JS thread with its env; the deferred is resolved exactly once (it was taken).
    unsafe {
        match T::to_napi_value(env, out) {
            Ok(value) => sys::napi_resolve_deferred(env, deferred, value),
            Err(e) => {
                let mut message = ptr::null_mut();
                let mut error = ptr::null_mut();
                sys::napi_create_string_utf8(
                    env,
                    e.reason.as_ptr().cast(),
                    e.reason.len() as isize,
                    &mut message,
                );
                sys::napi_create_error(env, ptr::null_mut(), message, &mut error);
                sys::napi_reject_deferred(env, deferred, error)
            }
        };
    }
    DRIVER.with(|d| {
        if let Some(d) = d.borrow().as_ref() {
            d.finished();
        }
    });
}

unsafe fn drop_queued<T>(task: *const ()) {
    // SAFETY: as in `run_queued`.
    drop(unsafe { Arc::from_raw(task.cast::<Task<T>>()) });
}

unsafe fn discard(entry: Queued) {
    // SAFETY: the entry still owns its task reference.
    unsafe { (entry.drop)(entry.task) };
}

/// The thread-safe function's callback: runs on the JS thread (env is null when Node tears the function down).
unsafe extern "C" fn poll_from_queue(
    env: sys::napi_env,
    _js_callback: sys::napi_value,
    _context: *mut std::ffi::c_void,
    data: *mut std::ffi::c_void,
) {
    if data.is_null() {
        return;
    }
    // SAFETY: `data` is a `Box<Queued>` leaked by `wake_by_ref`.
    let entry = unsafe { Box::from_raw(data.cast::<Queued>()) };
    if env.is_null() {
        // SAFETY: hands the task reference back.
        unsafe { discard(*entry) };
        return;
    }
    // SAFETY: on the JS thread with its env.
    unsafe { (entry.run)(env, entry.task) };
}

/// Polls the task once; `Some(output)` when it is done. A panic inside the call becomes `on_panic()`.
fn poll_once<T: ToNapiValue + Send + 'static>(task: &Arc<Task<T>>) -> Option<T> {
    let mut slot = task.future.lock().unwrap_or_else(|p| p.into_inner());
    let future = slot.as_mut()?;
    let waker = Waker::from(task.clone());
    let mut cx = Context::from_waker(&waker);
    let polled = catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(&mut cx)));
    match polled {
        Ok(Poll::Pending) => None,
        Ok(Poll::Ready(out)) => {
            *slot = None;
            Some(out)
        }
        Err(_) => {
            *slot = None;
            Some((task.on_panic)())
        }
    }
}

/// What [`run`] returns to JS: the value, or a Promise of it.
pub enum Ran<T> {
    Done(T),
    Promise(sys::napi_value),
}

impl<T: ToNapiValue> ToNapiValue for Ran<T> {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        match val {
            // SAFETY: on the JS thread, inside the native call.
            Ran::Done(v) => unsafe { T::to_napi_value(env, v) },
            Ran::Promise(p) => Ok(p),
        }
    }
}

/// Runs `future` on the JS thread (see the module doc). `on_panic` is the output for a call that panicked.
pub fn run<T: ToNapiValue + Send + 'static>(
    env: &Env,
    future: BoxedCall<T>,
    on_panic: fn() -> T,
) -> napi::Result<Ran<T>> {
    let env = env.raw();
    let d = driver(env)?;
    let task = Arc::new(Task {
        future: Mutex::new(Some(future)),
        deferred: Mutex::new(None),
        queued: AtomicBool::new(false),
        tsfn: d.tsfn,
        on_panic,
    });
    if let Some(out) = poll_once(&task) {
        return Ok(Ran::Done(out));
    }
    let mut deferred = ptr::null_mut();
    let mut promise = ptr::null_mut();
    // SAFETY: on the JS thread with valid out-pointers.
    check_status!(unsafe { sys::napi_create_promise(env, &mut deferred, &mut promise) })?;
    // No queued poll can run before this returns (they run on this thread, from the event loop).
    *task.deferred.lock().unwrap_or_else(|p| p.into_inner()) = Some(Deferred(deferred));
    d.started();
    Ok(Ran::Promise(promise))
}
