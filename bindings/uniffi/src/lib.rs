//! Kotlin and Swift binding of authcore (uniffi 0.32, proc macros). Thin by design: convert, call, map errors.
//!
//! * `client`: the `AuthCore` handle (`AuthCore.open(...)`), `UserContext`, `Hooks`; `declared`: its typed method
//!   per declared operation, generated (`authcore-gen uniffi-methods`).
//! * `types`: records and enums mirroring the core's, with exhaustive conversions both ways.
//! * `error`: the one mapping between core errors and `AuthException` (Kotlin) / `AuthError` (Swift).
//! * `hooks`: host override layers over the core's generic host layer (`HostOverride`, `HostLayer`).
//! * `events`: host event handlers.
//! * `jvm_fast_path`: the JNI call path of the Kotlin facade (one JNI call per operation instead of JNA).
//! * `jvm_hooks`: Kotlin overrides and handlers over JNI upcalls (the facade's hooks).
//! * `jvm_engine`: the facade's calls on the engine handle itself (`open`, `call`, `listEvents`, ...) over JNI.
//! * `jvm_context`: the methods of `UserContext` over JNI (the generated Kotlin class calls them).
//! * `bench` (`bench/native.rs`): the Rust half of `scripts/bench-kotlin` (same call, no FFI).
//!
//! The `jvm_*` modules exist with the `jvm` feature only (the JVM and Android builds; the generated Kotlin
//! comes from such a build), so the Swift API never shows them; `bench` only with the `bench` feature.
//!
//! No async runtime is needed: the core's futures do no I/O of their own (SQLite calls are synchronous), so
//! they run on whatever thread the host polls them from (a Kotlin coroutine dispatcher, a Swift task).

uniffi::setup_scaffolding!("authcore");

// The benchmark aid lives with the benchmark (as in the Node and Python bindings); only `--features bench`
// builds it.
#[cfg(feature = "bench")]
#[path = "../bench/native.rs"]
mod bench;
pub mod client;
// Generated (authcore-gen uniffi-methods), formatted by rustfmt when generated.
#[rustfmt::skip]
mod declared;
pub mod error;
pub mod events;
pub mod hooks;
#[cfg(feature = "jvm")]
mod jvm_context;
#[cfg(feature = "jvm")]
mod jvm_engine;
#[cfg(feature = "jvm")]
mod jvm_fast_path;
#[cfg(feature = "jvm")]
mod jvm_hooks;
pub mod types;

pub use client::{AuthCore, Database, Hooks, UserContext};
pub use error::AuthError;
pub use events::{EventHandler, EventSubscription};
pub use hooks::{HostLayer, HostOriginal, HostOverride};
