//! Benchmark aid for `scripts/bench-node`, not part of the API (no typings; `index.js` does not export it).
//!
//! `__benchDirectOpen` / `__benchDirectRun` run the benchmark's workloads straight on the core, in Rust, inside the same process as the
//! JS side, so that `scripts/bench-node` can put "through Node" next to "direct Rust" in one run. Its engine is
//! built like a Node one with one event handler: the default config and one async no-op handler for every
//! event (the Rust twin of `events: {'*': async () => {}}`). Each run times a chunk of operations on a
//! current-thread tokio runtime, one operation at a time, and returns the elapsed nanoseconds.
//!
//! `__benchBaseline*` run the raw-rusqlite baseline of the `signInUpPOST` rows (the shared
//! `authcore-bench-baseline` crate, the same SQL `scripts/bench` measures the core against) in this process, and
//! `__benchSameWork` compares an engine file with a baseline file after a loop.

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use authcore::events::{Event, EventHandler};
use authcore::{
    AuthCore, AuthCoreConfig, EmailInput, Result, SignInUpInput, SignInUpResult, UserContext,
};
use napi::bindgen_prelude::External;
use napi::Status;
use napi_derive::napi;

struct NoopHandler;

#[async_trait]
impl EventHandler for NoopHandler {
    async fn handle(&self, _event: &Event) -> Result<()> {
        Ok(())
    }
}

fn napi_err(e: impl std::fmt::Display) -> napi::Error {
    napi::Error::new(Status::GenericFailure, e.to_string())
}

/// The same identity `i` the JS side of the benchmark uses.
fn identity(i: u32) -> SignInUpInput {
    SignInUpInput {
        tenant_id: "public".into(),
        third_party_id: "google".into(),
        third_party_user_id: format!("uid-{i}"),
        email: EmailInput {
            id: format!("user-{i}@example.com"),
            is_verified: false,
        },
    }
}

/// One benchmark engine (held by JS as an opaque external).
pub struct BenchDirect {
    core: AuthCore,
    rt: tokio::runtime::Runtime,
}

/// Opens a core engine on `sqlite` with one no-op async handler for every event.
#[napi(js_name = "__benchDirectOpen", skip_typescript)]
pub fn bench_direct_open(sqlite: String) -> napi::Result<External<BenchDirect>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(napi_err)?;
    let core = rt
        .block_on(
            AuthCore::builder()
                .sqlite(&sqlite)
                .map_err(napi_err)?
                .config(AuthCoreConfig::default())
                .on_any_event(Arc::new(NoopHandler))
                .open(),
        )
        .map_err(napi_err)?;
    Ok(External::new(BenchDirect { core, rt }))
}

/// Runs `op` for `i` in `from..to` on the direct engine and returns the elapsed nanoseconds:
/// `getUser` (an unknown user id), `signUp` (identity `i` is new), `signIn` (identity `i` exists).
/// Inputs are built before the clock starts; every result is checked (a wrong one fails the run).
#[napi(js_name = "__benchDirectRun", skip_typescript)]
pub fn bench_direct_run(
    bench: &External<BenchDirect>,
    op: String,
    from: u32,
    to: u32,
) -> napi::Result<f64> {
    let core = &bench.core;
    let inputs: Vec<SignInUpInput> = match op.as_str() {
        "signUp" | "signIn" => (from..to).map(identity).collect(),
        "getUser" => Vec::new(),
        _ => return Err(napi_err(format!("unknown benchmark op '{op}'"))),
    };
    let expect_new = op == "signUp";
    let n = to.saturating_sub(from);
    let (elapsed, outcome) = bench.rt.block_on(async {
        let start = Instant::now();
        let mut outcome: Result<bool> = Ok(true);
        if op == "getUser" {
            for _ in 0..n {
                let ctx = UserContext::new();
                match core.get_user("no-such-user", &ctx).await {
                    Ok(None) => {}
                    Ok(Some(_)) => outcome = Ok(false),
                    Err(e) => outcome = Err(e),
                }
            }
        } else {
            for input in &inputs {
                let ctx = UserContext::new();
                match core.sign_in_up(input, &ctx).await {
                    Ok(SignInUpResult::Ok {
                        created_new_user, ..
                    }) if created_new_user == expect_new => {}
                    Ok(_) => outcome = Ok(false),
                    Err(e) => outcome = Err(e),
                }
            }
        }
        (start.elapsed(), outcome)
    });
    match outcome {
        Ok(true) => Ok(elapsed.as_nanos() as f64),
        Ok(false) => Err(napi_err(format!("{op}: unexpected result"))),
        Err(e) => Err(napi_err(e)),
    }
}

/// Records pending delivery acknowledgements of the direct engine.
#[napi(js_name = "__benchDirectShutdown", skip_typescript)]
pub fn bench_direct_shutdown(bench: &External<BenchDirect>) -> napi::Result<()> {
    bench
        .rt
        .block_on(bench.core.shutdown())
        .map(|_| ())
        .map_err(napi_err)
}

/// The baseline side of the `signInUpPOST` rows on one file (held by JS as an opaque external).
pub struct BenchBaseline(authcore_bench_baseline::ApiBaseline);

/// Runs `f`, turning a panic of the baseline (a failed statement or check) into a JS error.
fn guarded<T>(what: &str, f: impl FnOnce() -> T) -> napi::Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .map_err(|_| napi_err(format!("{what}: the baseline failed (see stderr)")))
}

/// Creates a baseline file at `sqlite` (the engine's schema) and opens it with the engine's pragmas.
#[napi(js_name = "__benchBaselineOpen", skip_typescript)]
pub fn bench_baseline_open(sqlite: String) -> napi::Result<External<BenchBaseline>> {
    let base = guarded("open", || {
        authcore_bench_baseline::ApiBaseline::open(std::path::Path::new(&sqlite))
    })?;
    Ok(External::new(BenchBaseline(base)))
}

/// Untimed setup of `api-autolink`: the `n` verified github primaries its sign-ups link into.
#[napi(js_name = "__benchBaselineSetup", skip_typescript)]
pub fn bench_baseline_setup(bench: &External<BenchBaseline>, n: u32) -> napi::Result<()> {
    guarded("setup", || bench.0.setup_primaries(n as usize))
}

/// Runs operations `from..to` of `row` (`api-signup`, `api-signin`, `api-autolink`) on the baseline, one
/// transaction each, and returns the elapsed nanoseconds.
#[napi(js_name = "__benchBaselineRun", skip_typescript)]
pub fn bench_baseline_run(
    bench: &External<BenchBaseline>,
    row: String,
    from: u32,
    to: u32,
) -> napi::Result<f64> {
    let Some(api_row) = authcore_bench_baseline::ApiRow::parse(&row) else {
        return Err(napi_err(format!("unknown benchmark row '{row}'")));
    };
    let elapsed = guarded(&row, || bench.0.run(api_row, from as usize..to as usize))?;
    Ok(elapsed.as_nanos() as f64)
}

/// Compares the engine file with the baseline file; returns the row counts (`{recipe_users: n, sessions: n,
/// ...}`), or throws naming the counts that differ.
#[napi(js_name = "__benchSameWork", skip_typescript)]
pub fn bench_same_work(engine: String, baseline: String) -> napi::Result<serde_json::Value> {
    let counts = guarded("same work", || {
        authcore_bench_baseline::same_work(
            std::path::Path::new(&engine),
            std::path::Path::new(&baseline),
        )
    })?
    .map_err(napi_err)?;
    Ok(counts
        .into_iter()
        .map(|(name, n)| (name.to_string(), serde_json::Value::from(n)))
        .collect::<serde_json::Map<_, _>>()
        .into())
}
