//! What the benchmarks (`core.rs` on SQLite, `pg.rs` on PostgreSQL) share on the engine side: the inputs built
//! from the baseline crate's identities, the engine configurations, the engine loops (`signInUpPOST`,
//! `manually_create_or_update_user`), the counting event handler, the interleaving of engine and baseline
//! chunks, and the results table.
//!
//! Benchmark code: an engine call that fails panics.

// Each benchmark uses its own subset.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use authcore::events::{Event, EventHandler};
use authcore::{
    AccountLinkingConfig, AuthCore, AuthCoreConfig, EmailInput, LinkingOutcome,
    ManuallyCreateOrUpdateUserResult, ProviderUserInfo, SignInUpInput, SignInUpPostInput,
    SignInUpPostResult, UserContext,
};
use authcore_bench_baseline::{Identity, TENANT};

/// The ratio every engine row must reach against its baseline.
pub const TARGET: f64 = 0.70;
/// Operations per side before switching to the other side.
pub const CHUNK: usize = 500;

// ---------------------------------------------------------------------------------------------------------------
// Inputs (built before any timing, shared by both sides).

pub fn inputs(ids: &[Identity], verified: bool) -> Vec<SignInUpInput> {
    ids.iter()
        .map(|id| SignInUpInput {
            tenant_id: TENANT.to_string(),
            third_party_id: id.tp_id.clone(),
            third_party_user_id: id.tp_uid.clone(),
            email: EmailInput {
                id: id.email.clone(),
                is_verified: verified,
            },
        })
        .collect()
}

pub fn ops_per_sec(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

// ---------------------------------------------------------------------------------------------------------------
// Engine side.

pub fn base_config(no_events: bool) -> AuthCoreConfig {
    let mut config = AuthCoreConfig::default();
    if no_events {
        config.events.enabled = false;
    }
    config
}

pub fn linking_config(no_events: bool) -> AuthCoreConfig {
    AuthCoreConfig {
        account_linking: AccountLinkingConfig {
            should_automatically_link: true,
            should_require_verification: true,
            ..AccountLinkingConfig::default()
        },
        ..base_config(no_events)
    }
}

pub async fn engine_manual(
    auth: &AuthCore,
    inputs: &[SignInUpInput],
    expect: LinkingOutcome,
) -> Duration {
    let ctx = UserContext::new();
    let start = Instant::now();
    for input in inputs {
        match auth
            .manually_create_or_update_user(input, &ctx)
            .await
            .expect("manually_create_or_update_user")
        {
            ManuallyCreateOrUpdateUserResult::Ok {
                created_new_recipe_user,
                linking,
                ..
            } => {
                assert!(created_new_recipe_user);
                assert_eq!(
                    linking.outcome, expect,
                    "linking outcome for {}",
                    input.third_party_user_id
                );
            }
            other => panic!("manually_create_or_update_user: {other:?}"),
        }
    }
    start.elapsed()
}

/// The application's event handler: an async no-op that counts what it was given.
pub struct CountingHandler(pub AtomicUsize);

#[async_trait::async_trait]
impl EventHandler for CountingHandler {
    async fn handle(&self, _event: &Event) -> authcore::Result<()> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

pub fn post_inputs(inputs: &[SignInUpInput]) -> Vec<SignInUpPostInput> {
    inputs
        .iter()
        .map(|i| {
            SignInUpPostInput::with_user_info(
                TENANT,
                i.third_party_id.clone(),
                ProviderUserInfo {
                    third_party_user_id: i.third_party_user_id.clone(),
                    email: Some(i.email.clone()),
                },
            )
        })
        .collect()
}

/// `signInUpPOST` for each input; each must be OK with a session, and a new recipe user iff `expect_new`.
pub async fn engine_api(
    auth: &AuthCore,
    inputs: &[SignInUpPostInput],
    expect_new: bool,
) -> Duration {
    let start = Instant::now();
    for input in inputs {
        let ctx = UserContext::new();
        match auth
            .apis()
            .sign_in_up_post(input, &ctx)
            .await
            .expect("signInUpPOST")
        {
            SignInUpPostResult::Ok {
                created_new_recipe_user,
                access_token,
                ..
            } => {
                assert_eq!(created_new_recipe_user, expect_new);
                assert!(!access_token.is_empty());
            }
            other => panic!("signInUpPOST: {other:?}"),
        }
    }
    start.elapsed()
}

// ---------------------------------------------------------------------------------------------------------------

/// Runs both sides over `0..n` in alternating chunks (which side goes first alternates too) and returns the
/// summed (engine, baseline) times, so that machine noise (disk, checkpoints, neighbours) lands on both.
pub fn interleaved(
    n: usize,
    mut engine: impl FnMut(std::ops::Range<usize>) -> Duration,
    mut baseline: impl FnMut(std::ops::Range<usize>) -> Duration,
) -> (Duration, Duration) {
    let chunk = CHUNK.min(n);
    let (mut e, mut b) = (Duration::ZERO, Duration::ZERO);
    let mut start = 0;
    let mut engine_first = true;
    while start < n {
        let range = start..(start + chunk).min(n);
        if engine_first {
            e += engine(range.clone());
            b += baseline(range.clone());
        } else {
            b += baseline(range.clone());
            e += engine(range.clone());
        }
        engine_first = !engine_first;
        start = range.end;
    }
    (e, b)
}

pub struct BenchRow {
    pub row: &'static str,
    pub engine: f64,
    pub baseline: f64,
    pub target: f64,
}

impl BenchRow {
    pub fn ratio(&self) -> f64 {
        self.engine / self.baseline
    }
}

/// Prints the results table and one PASS/FAIL line per row (`header`, if any, first); true if a row failed.
pub fn print_results(results: &[BenchRow], header: Option<&str>) -> bool {
    println!();
    if let Some(h) = header {
        println!("{h}");
    }
    println!(
        "{:<14}{:>12}{:>17}{:>8}",
        "row", "engine ops/s", "baseline ops/s", "ratio"
    );
    for r in results {
        println!(
            "{:<14}{:>12.1}{:>17.1}{:>8.2}",
            r.row,
            r.engine,
            r.baseline,
            r.ratio()
        );
    }
    println!();
    let mut failed = false;
    for r in results {
        let pass = r.ratio() >= r.target;
        failed |= !pass;
        println!(
            "bench {}: ratio {:.2} (target >= {:.2}) {}",
            r.row,
            r.ratio(),
            r.target,
            if pass { "PASS" } else { "FAIL" }
        );
    }
    failed
}
