//! The PostgreSQL benchmark (feature `postgres`, `scripts/bench --store postgres`): engine throughput through
//! `signInUpPOST` next to a raw tokio-postgres baseline doing the minimal SQL for the same work, in the same
//! process and run, and the engine's sign-up throughput with two app processes against one.
//!
//! Rows (N operations each, sequential, one at a time; default N = 2000), the workloads of `core.rs`'s `api-*`
//! rows with the same identities ([`ApiRow`]):
//! - `api-signup`: N new unverified google identities through `signInUpPOST`, each with a session.
//! - `api-signin`: the same N identities again; every call must answer `createdNewRecipeUser=false`.
//! - `api-autolink`: automatic linking on (verification required). Untimed setup: N verified github primaries.
//!   Timed: N verified google sign-ups with the same emails through `signInUpPOST`, each linked into its
//!   primary.
//!
//! The engine has one event handler registered (an async no-op that counts events) and its default
//! configuration otherwise, so it also writes its event outbox, which the baseline does not (events are not the
//! work measured; the outbox is left out of the same-work check). Each row pair runs on two fresh schemas of
//! the server named by `AUTHCORE_TEST_POSTGRES`: the engine's, opened by `AuthCoreBuilder::postgres`, and the
//! baseline's, created by the engine's own store (`PostgresStore::open`, so the schema cannot drift) and then
//! driven over one plain tokio-postgres connection ([`authcore_bench_baseline::pg`]: one transaction per
//! operation, prepared statements, one statement at a time). Both sides run on one current-thread tokio
//! runtime, in alternating chunks of 500 operations so that machine noise lands on both. Both schemas are
//! ANALYZEd before a timed row that reads what an untimed phase wrote (`api-signin`, `api-autolink`), as a
//! deployment's autovacuum keeps statistics. After each row both schemas must hold the same counts (recipe
//! users, memberships, verified emails, reservations, sessions).
//!
//! `procs`: N engine sign-ups (`api-signup` identities) by one app process on a fresh schema, and N sign-ups
//! by each of two app processes together on another (disjoint identity ranges); run 1, 2, 2, 1 and averaged
//! per configuration. The processes are this
//! binary in its `--worker` mode; each opens its engine, reports ready, starts when the parent says go (the
//! same moment for both) and reports its ops and seconds. The figure is the sum of the processes' ops/s and the
//! ratio 2p/1p; it has no target.
//!
//! Usage: `cargo bench -p authcore --features postgres --bench pg -- [--n N]
//! [--rows api-signup,api-signin,api-autolink,procs] [--check]` (or env BENCH_N; `scripts/bench --store
//! postgres` wraps it and starts a throwaway server when `AUTHCORE_TEST_POSTGRES` is unset). `--check` exits
//! non-zero when a row's ratio is below the 0.70 target. The schemas are dropped at the end.
//!
//! Benchmark code: a failed engine call or statement panics.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitCode, Stdio};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use authcore::{AuthCore, AuthCoreConfig, LinkingOutcome, SignInUpPostInput};
use authcore_bench_baseline::pg::{self as pgbase, PgBaseline};
use authcore_bench_baseline::{api_primary, ApiRow, Identity};
use common::{
    base_config, engine_api, engine_manual, inputs, interleaved, linking_config, ops_per_sec,
    post_inputs, BenchRow, CountingHandler, TARGET,
};

/// The variable naming the server (as the tests' `support/pg.rs`).
const URL_VAR: &str = "AUTHCORE_TEST_POSTGRES";

const ROWS: [&str; 4] = ["api-signup", "api-signin", "api-autolink", "procs"];

/// What limits the two-process figure, printed with it.
const PROCS_NOTE: &str = "limits: the engine serialises write transactions per schema with an advisory lock \
    (one writer at a time across all processes, see the PostgreSQL store's module doc), so a second process \
    only overlaps its non-transactional work and round-trip waits with the first one's transaction, and on \
    2 cores the server and both app processes share the same 2 CPUs.";

struct Args {
    n: usize,
    check: bool,
    rows: Vec<String>,
}

fn usage() -> ! {
    eprintln!(
        "usage: cargo bench -p authcore --features postgres --bench pg -- [--n N] \
         [--rows api-signup,api-signin,api-autolink,procs] [--check]   (env BENCH_N also sets N; \
         {URL_VAR} names the server)"
    );
    std::process::exit(2);
}

fn parse_args(args: Vec<String>) -> Args {
    let mut n: usize = match std::env::var("BENCH_N") {
        Ok(v) if !v.trim().is_empty() => v.trim().parse().unwrap_or_else(|_| usage()),
        _ => 2000,
    };
    let mut check = false;
    let mut rows: Vec<String> = ROWS.iter().map(|r| r.to_string()).collect();
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            // `cargo bench` passes `--bench` to harness=false targets.
            "--bench" => {}
            "--check" => check = true,
            "--n" => {
                n = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| usage())
            }
            s if s.starts_with("--n=") => n = s["--n=".len()..].parse().unwrap_or_else(|_| usage()),
            "--rows" => {
                rows = it
                    .next()
                    .unwrap_or_else(|| usage())
                    .split(',')
                    .map(|r| r.trim().to_string())
                    .collect();
                if rows.iter().any(|r| !ROWS.contains(&r.as_str())) {
                    usage();
                }
            }
            _ => usage(),
        }
    }
    if n == 0 {
        usage();
    }
    Args { n, check, rows }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// A schema name no other run uses.
fn fresh_schema(side: &str) -> String {
    format!("bench_{side}_{}", uuid::Uuid::new_v4().simple())
}

/// An engine on `schema` with `config` and one counting event handler for every event.
fn open_engine(
    rt: &tokio::runtime::Runtime,
    url: &str,
    schema: &str,
    config: AuthCoreConfig,
) -> (AuthCore, Arc<CountingHandler>) {
    let handler = Arc::new(CountingHandler(Default::default()));
    let auth = rt
        .block_on(
            AuthCore::builder()
                .postgres(url, Some(schema))
                .expect("postgres options")
                .config(config)
                .on_any_event(handler.clone())
                .open(),
        )
        .expect("open engine");
    (auth, handler)
}

/// Fresh planner statistics on both sides before a timed row that reads what an earlier phase wrote (see
/// [`pgbase::analyze`]).
async fn analyze_both(admin: &tokio_postgres::Client, engine: &str, baseline: &str) {
    pgbase::analyze(admin, engine).await;
    pgbase::analyze(admin, baseline).await;
}

/// The `signInUpPOST` inputs of operations `range` of `row`.
fn api_posts(row: ApiRow, range: std::ops::Range<usize>) -> Vec<SignInUpPostInput> {
    let ids: Vec<Identity> = range.map(|i| row.identity(i)).collect();
    post_inputs(&inputs(&ids, row.verified()))
}

fn main() -> ExitCode {
    let mut argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.first().map(String::as_str) == Some("--worker") {
        worker(argv.split_off(1));
        return ExitCode::SUCCESS;
    }
    let args = parse_args(argv);
    let Some(url) = std::env::var(URL_VAR).ok().filter(|u| !u.trim().is_empty()) else {
        eprintln!(
            "{URL_VAR} is not set: it names the PostgreSQL server to benchmark against \
             (scripts/bench --store postgres starts a throwaway one)"
        );
        return ExitCode::from(2);
    };
    let n = args.n;
    let want = |row: &str| args.rows.iter().any(|r| r == row);
    let rt = runtime();
    // A connection of its own for the same-work checks and the final clean-up.
    let admin = rt.block_on(pgbase::connect(&url, "public", "authcore-bench-admin"));
    let server: String = rt
        .block_on(admin.query_one("SHOW server_version", &[]))
        .expect("server version")
        .get(0);
    println!(
        "authcore PostgreSQL bench: N={n} per row, PostgreSQL {server}, sequential ops on one connection per \
         side, engine events on (default config) with one counting handler"
    );
    let mut schemas: Vec<String> = Vec::new();
    let mut results = Vec::new();

    if want("api-signup") || want("api-signin") {
        let (es, bs) = (fresh_schema("engine"), fresh_schema("baseline"));
        schemas.extend([es.clone(), bs.clone()]);
        let (auth, handler) = open_engine(&rt, &url, &es, base_config(false));
        pgbase::create_schema(&url, &bs);
        let base = rt.block_on(PgBaseline::connect(&url, &bs));
        let posts = api_posts(ApiRow::Signup, 0..n);
        for (row, new_user) in [(ApiRow::Signup, true), (ApiRow::Signin, false)] {
            if row == ApiRow::Signin {
                rt.block_on(analyze_both(&admin, &es, &bs));
            }
            let (e, b) = interleaved(
                n,
                |r| rt.block_on(engine_api(&auth, &posts[r], new_user)),
                |r| rt.block_on(base.run(row, r)),
            );
            rt.block_on(pgbase::assert_same_work(&admin, row.name(), &es, &bs));
            if want(row.name()) {
                results.push(BenchRow {
                    row: row.name(),
                    engine: ops_per_sec(n, e),
                    baseline: ops_per_sec(n, b),
                    target: TARGET,
                });
            }
        }
        // createUser + session + signIn per sign-up, session + signIn per sign-in, all delivered.
        assert!(
            handler.0.load(Ordering::Relaxed) >= 5 * n,
            "events delivered to the handler"
        );
    }

    if want("api-autolink") {
        let (es, bs) = (fresh_schema("engine"), fresh_schema("baseline"));
        schemas.extend([es.clone(), bs.clone()]);
        let (auth, _handler) = open_engine(&rt, &url, &es, linking_config(false));
        pgbase::create_schema(&url, &bs);
        let base = rt.block_on(PgBaseline::connect(&url, &bs));
        let primaries: Vec<Identity> = (0..n).map(api_primary).collect();
        rt.block_on(engine_manual(
            &auth,
            &inputs(&primaries, true),
            LinkingOutcome::BecamePrimary,
        ));
        rt.block_on(base.setup_primaries(n));
        rt.block_on(pgbase::assert_same_work(
            &admin,
            "api-autolink setup",
            &es,
            &bs,
        ));
        rt.block_on(analyze_both(&admin, &es, &bs));
        let posts = api_posts(ApiRow::Autolink, 0..n);
        let (e, b) = interleaved(
            n,
            |r| rt.block_on(engine_api(&auth, &posts[r], true)),
            |r| rt.block_on(base.run(ApiRow::Autolink, r)),
        );
        rt.block_on(pgbase::assert_same_work(&admin, "api-autolink", &es, &bs));
        results.push(BenchRow {
            row: "api-autolink",
            engine: ops_per_sec(n, e),
            baseline: ops_per_sec(n, b),
            target: TARGET,
        });
    }

    let failed = common::print_results(
        &results,
        Some(
            "(baseline: raw tokio-postgres, one transaction per operation: user, account, session)",
        ),
    );

    if want("procs") {
        // 1, 2, 2, 1 processes, each on a fresh schema, so that drift in the machine's load lands on both.
        let (mut one, mut two) = (0.0, 0.0);
        for procs in [1, 2, 2, 1] {
            let schema = fresh_schema(&format!("procs{procs}"));
            schemas.push(schema.clone());
            let ops = processes(&url, &schema, procs, n);
            let counts = rt.block_on(pgbase::fingerprint(&admin, &schema));
            let count = |name: &str| authcore_bench_baseline::count(&counts, name);
            assert_eq!(count("recipe_users"), (procs * n) as i64, "{schema}");
            assert_eq!(count("sessions"), (procs * n) as i64, "{schema}");
            if procs == 1 {
                one += ops / 2.0;
            } else {
                two += ops / 2.0;
            }
        }
        println!();
        println!(
            "procs api-signup: 1 process {one:.1} ops/s, 2 processes {two:.1} ops/s (sum of per-process ops/s, \
             N={n} each, mean of two runs each in the order 1-2-2-1, same server, fresh schema each run)"
        );
        println!("procs ratio 2p/1p: {:.2}", two / one);
        println!("procs {PROCS_NOTE}");
    }

    rt.block_on(async {
        for s in &schemas {
            admin
                .batch_execute(&format!("DROP SCHEMA IF EXISTS {s} CASCADE"))
                .await
                .expect("drop schema");
        }
    });
    if args.check && failed {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

// ---------------------------------------------------------------------------------------------------------------
// App processes.

/// `procs` app processes, each doing `n` engine sign-ups on `schema` from a common start: the sum of their
/// ops/s.
fn processes(url: &str, schema: &str, procs: usize, n: usize) -> f64 {
    // Created first, so the workers' opens find it migrated.
    pgbase::create_schema(url, schema);
    let exe = std::env::current_exe().expect("this binary");
    let mut workers: Vec<(Child, ChildStdin, BufReader<ChildStdout>)> = (0..procs)
        .map(|k| {
            let mut child = Command::new(&exe)
                .args([
                    "--worker".to_string(),
                    schema.to_string(),
                    (k * n).to_string(),
                    ((k + 1) * n).to_string(),
                ])
                .env(URL_VAR, url)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("spawn worker");
            let stdin = child.stdin.take().expect("worker stdin");
            let stdout = BufReader::new(child.stdout.take().expect("worker stdout"));
            (child, stdin, stdout)
        })
        .collect();
    let mut line = String::new();
    for (_, _, out) in &mut workers {
        line.clear();
        out.read_line(&mut line).expect("worker ready");
        assert_eq!(line.trim(), "ready", "worker did not get ready");
    }
    for (_, stdin, _) in &mut workers {
        writeln!(stdin, "go")
            .and_then(|()| stdin.flush())
            .expect("go");
    }
    let mut total = 0.0;
    for (child, _, out) in &mut workers {
        line.clear();
        out.read_line(&mut line).expect("worker done");
        let mut parts = line.split_whitespace();
        assert_eq!(parts.next(), Some("done"), "worker said {line:?}");
        let ops: f64 = parts.next().and_then(|v| v.parse().ok()).expect("ops");
        let secs: f64 = parts.next().and_then(|v| v.parse().ok()).expect("secs");
        total += ops / secs;
        assert!(
            child.wait().expect("worker exit").success(),
            "worker failed"
        );
    }
    total
}

/// `--worker SCHEMA FROM TO`: opens an engine on SCHEMA, prints `ready`, waits for a line on stdin, signs up
/// identities FROM..TO of `api-signup` through `signInUpPOST`, prints `done <ops> <seconds>`.
fn worker(args: Vec<String>) {
    let [schema, from, to] = &args[..] else {
        usage()
    };
    let (from, to): (usize, usize) = (
        from.parse().unwrap_or_else(|_| usage()),
        to.parse().unwrap_or_else(|_| usage()),
    );
    let url = std::env::var(URL_VAR).expect("the server's URL");
    let rt = runtime();
    let (auth, _handler) = open_engine(&rt, &url, schema, base_config(false));
    let posts = api_posts(ApiRow::Signup, from..to);
    println!("ready");
    std::io::stdout().flush().expect("stdout");
    let mut go = String::new();
    std::io::stdin().read_line(&mut go).expect("go");
    let start = Instant::now();
    rt.block_on(engine_api(&auth, &posts, true));
    let secs = start.elapsed().as_secs_f64();
    println!("done {} {secs}", to - from);
    std::io::stdout().flush().expect("stdout");
}
