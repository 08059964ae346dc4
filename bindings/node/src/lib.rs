//! Node binding of authcore (napi-rs). Thin by design: convert, call, map errors; no domain logic and no list
//! of operations (every one comes from the core's declaration, `authcore::ops`).
//!
//! * `client`: the native engine handle and the `original` layer handles, dispatching by name into the core.
//! * `ops`: the operation index and name lists JS reads, JSON text in and out.
//! * `host`: a JS override object as the core's host layer (host overrides in, `original` out).
//! * `context`: JS `userContext` objects and the core's contexts.
//! * `error`: the one mapping from core errors to what JS sees.
//! * `events`: JS event handlers as core event handlers.
//! * `local`: runs native calls on the JS thread (value right away, or a Promise when a call waits for JS).
//! * `bench` (`bench/native.rs`): benchmark aids for `scripts/bench-node`, only with `--features bench` (never in
//!   the published addon).
//!
//! The ergonomic JS API (`AuthCore.open`, one object argument per method, `AuthError`, overrides with
//! `original`) lives in `index.js`, over the generated loader `native.js`.

// The benchmark aids live with the benchmark that uses them; only `--features bench` builds them.
#[cfg(feature = "bench")]
#[path = "../bench/native.rs"]
mod bench;
mod client;
mod context;
mod error;
mod events;
mod host;
mod local;
mod ops;

#[cfg(feature = "bench")]
pub use bench::{
    bench_baseline_open, bench_baseline_run, bench_baseline_setup, bench_direct_open,
    bench_direct_run, bench_direct_shutdown, bench_same_work, BenchBaseline, BenchDirect,
};
pub use client::{NativeEngine, NativeLayer};
pub use ops::{
    api_function_names, declared_operations, event_names, json_form, operation_names,
    overridable_operations, recipe_function_names,
};
