//! Replays every tests/scenarios/*.json file against the Rust API (the reference runner).

mod common;

use common::runner::{run_scenario_on, Backend, Transactions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_scenarios_pass() {
    run_all(&Backend::Sqlite, "scenarios").await;
}

/// Every scenario again on PostgreSQL, switched on by `AUTHCORE_TEST_POSTGRES` (each run in a new schema).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_scenarios_pass_on_postgres() {
    if cfg!(not(feature = "postgres")) {
        // scripts/test runs this test again with `--features postgres`.
        eprintln!("skipped the scenarios on PostgreSQL: built without the postgres feature");
        return;
    }
    let Some(url) = common::pg::url("the scenarios on PostgreSQL") else {
        return;
    };
    run_all(&Backend::Postgres(url), "scenarios (postgres)").await;
}

async fn run_all(backend: &Backend, label: &str) {
    let mut files: Vec<_> = std::fs::read_dir(common::scenarios_dir())
        .expect("scenario dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no scenarios found");
    let filter = std::env::var("SCENARIO").ok();
    let mut failed = Vec::new();
    let mut passed = 0;
    for f in &files {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        if filter.as_ref().is_some_and(|p| !name.contains(p.as_str())) {
            continue;
        }
        // Results and events are the same whether a request's steps share one transaction or each has its own.
        for mode in [Transactions::PerRequest, Transactions::PerStep] {
            match run_scenario_on(f, mode, backend).await {
                Ok(_) => passed += 1,
                Err(e) => failed.push(format!("{name} ({mode:?}): {e}")),
            }
        }
    }
    println!(
        "{label}: {passed} passed, {} failed (each run with a transaction per request and per step)",
        failed.len()
    );
    assert!(
        failed.is_empty(),
        "failing scenarios:\n{}",
        failed.join("\n")
    );
}

/// Drafts `events` lists: `SCENARIO_RECORD=/tmp/out.json cargo test --test scenarios record -- --ignored`.
/// The output maps file names to per-step event names; review before writing them into the files.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn record_events() {
    let out = std::env::var("SCENARIO_RECORD").expect("SCENARIO_RECORD=path");
    let mut map = serde_json::Map::new();
    let mut files: Vec<_> = std::fs::read_dir(common::scenarios_dir())
        .expect("scenario dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    for f in files {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let steps = common::runner::run_scenario_mode(
            &f,
            None,
            true,
            common::runner::Transactions::PerRequest,
            &Backend::Sqlite,
        )
        .await
        .expect("scenario runs");
        map.insert(name, serde_json::to_value(steps).expect("json"));
    }
    std::fs::write(out, serde_json::to_string_pretty(&map).expect("json")).expect("write");
}
