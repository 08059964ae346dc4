//! Node binding of authcore (napi-rs). Thin by design: convert, call, map errors; no domain logic.
//!
//! * `client`: the native engine handle and the `original` layer handles.
//! * `types`: operation names, argument objects, JSON conversions.
//! * `error`: the one mapping from core errors to what JS sees.
//! * `hooks`: JS overrides as core trait objects (host overrides in, `original` out).
//! * `events`: JS event handlers as core event handlers.
//! * `local`: runs native calls on the JS thread (value right away, or a Promise when a call waits for JS).
//! * `bench`: benchmark aids for `scripts/bench-node`, only with `--features bench` (never in the published addon).
//!
//! The ergonomic JS API (`AuthCore.open`, one object argument per method, `AuthError`, overrides with
//! `original`) lives in `index.js`, over the generated loader `native.js`.

#[cfg(feature = "bench")]
mod bench;
mod client;
mod error;
mod events;
mod hooks;
mod local;
mod types;

#[cfg(feature = "bench")]
pub use bench::{bench_direct_open, bench_direct_run, bench_direct_shutdown, BenchDirect};
pub use client::{NativeEngine, NativeLayer};
pub use types::{api_function_names, event_names, operation_names, recipe_function_names};
