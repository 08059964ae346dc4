//! Issue #15 on real PostgreSQL with real OS processes (feature `postgres`; needs `AUTHCORE_TEST_POSTGRES`,
//! failing under CI without it, skipped elsewhere): this test binary is run again as child processes (the
//! ignored test `child`, its role in `AUTHCORE_PGP_ROLE`), each with its own engine, pool and outbox sweeper on
//! one schema, as app servers sharing a database are.
//!
//! * racing `createPrimaryUser` / `linkAccounts` across two processes never leaves two primary users holding
//!   one (tenant, email);
//! * two processes delivering from one outbox never run the handlers of one event at the same time (every
//!   handler call is logged with its process and its start and end), and every event is delivered;
//! * `kill -9` of one of two processes during 10,000 sign-ups: every committed user exists, every committed
//!   event is delivered (the dead process's, by the survivor's periodic sweep once their lease expired), none
//!   invented;
//! * PostgreSQL restarted during a run (`AUTHCORE_TEST_POSTGRES_CTL`: the throwaway cluster's `ctl` script from
//!   `scripts/pg-test-server`; skipped without it, failing under CI): typed `STORAGE_ERROR` ("storage
//!   unavailable") while it is down, no hang, no partial write, normal service after.

#![cfg(feature = "postgres")]

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use authcore::events::{Event, EventHandler, EventName, ListEventsInput};
use authcore::{
    AuthCore, AuthCoreConfig, AuthError, CreatePrimaryUserResult, EmailInput, LinkAccountsResult,
    SignInUpInput, SignInUpResult, UserContext,
};
use serde_json::{json, Value};

const ROLE: &str = "AUTHCORE_PGP_ROLE";
const SCHEMA: &str = "AUTHCORE_PGP_SCHEMA";
const DIR: &str = "AUTHCORE_PGP_DIR";
const NAME: &str = "AUTHCORE_PGP_NAME";
const FROM: &str = "AUTHCORE_PGP_FROM";
const COUNT: &str = "AUTHCORE_PGP_COUNT";
const LEASE: &str = "AUTHCORE_PGP_LEASE_MS";
const FAIL_FIRST: &str = "AUTHCORE_PGP_FAIL_FIRST";
const WAIT_FOR: &str = "AUTHCORE_PGP_WAIT_FOR";
const WAIT_MS: &str = "AUTHCORE_PGP_WAIT_MS";
/// The variable naming the throwaway cluster's `ctl` script (stop / start / restart in place).
const CTL: &str = "AUTHCORE_TEST_POSTGRES_CTL";

/// Every test of this file takes it: the restart test takes the server away, which the others must not meet
/// (`scripts/test` also runs this binary with one test thread).
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn input(uid: &str, email: &str) -> SignInUpInput {
    SignInUpInput {
        tenant_id: "public".into(),
        third_party_id: "google".into(),
        third_party_user_id: uid.into(),
        email: EmailInput {
            id: email.into(),
            is_verified: true,
        },
    }
}

fn config(lease_ms: u64) -> AuthCoreConfig {
    let mut config = AuthCoreConfig::default();
    config.events.lease_ms = lease_ms;
    config
}

// ---------------------------------------------------------------------------------------------------------
// Delivery log: one JSON line per handler call, written when the call ends (a call cut by a kill is no
// delivery: the engine redelivers it).

/// Logs every handler call with this process's name and the call's start and end (µs); optionally fails the
/// first call of about one event in sixteen in this process, and takes 20 ms over about one in sixteen.
struct Recorder {
    name: String,
    file: Mutex<std::fs::File>,
    fail_first: bool,
    failed: Mutex<HashSet<String>>,
}

#[async_trait::async_trait]
impl EventHandler for Recorder {
    async fn handle(&self, e: &Event) -> authcore::Result<()> {
        let start = micros();
        if e.id.starts_with('f') {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let fail = self.fail_first
            && e.id.starts_with('0')
            && self
                .failed
                .lock()
                .map_err(|_| AuthError::host("poisoned"))?
                .insert(e.id.clone());
        let line = json!({
            "id": e.id, "name": e.name, "user": e.user_id, "by": self.name,
            "start": start, "end": micros(), "ok": !fail,
        });
        let mut file = self.file.lock().map_err(|_| AuthError::host("poisoned"))?;
        file.write_all(format!("{line}\n").as_bytes())
            .map_err(|e| AuthError::host(e.to_string()))?;
        if fail {
            return Err(AuthError::host("injected failure"));
        }
        Ok(())
    }
}

fn recorder(dir: &Path, name: &str, fail_first: bool) -> Arc<Recorder> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(format!("{name}.deliveries")))
        .expect("delivery log");
    Arc::new(Recorder {
        name: name.into(),
        file: Mutex::new(file),
        fail_first,
        failed: Mutex::new(HashSet::new()),
    })
}

/// One handler call as logged.
#[derive(Debug, Clone)]
struct Call {
    id: String,
    user: Option<String>,
    by: String,
    start: i64,
    end: i64,
    ok: bool,
}

fn read_calls(dir: &Path) -> Vec<Call> {
    let mut calls = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dir") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("deliveries") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        // A line cut by a kill is not a delivery.
        for v in text
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        {
            calls.push(Call {
                id: v["id"].as_str().expect("id").to_string(),
                user: v["user"].as_str().map(str::to_string),
                by: v["by"].as_str().expect("by").to_string(),
                start: v["start"].as_i64().expect("start"),
                end: v["end"].as_i64().expect("end"),
                ok: v["ok"].as_bool().expect("ok"),
            });
        }
    }
    calls
}

/// No two handler calls for one event overlap in time, whichever processes made them; the number of events
/// delivered more than once (one after the other: at-least-once).
fn assert_no_concurrent_deliveries(calls: &[Call]) -> usize {
    let mut by_id: HashMap<&str, Vec<&Call>> = HashMap::new();
    for c in calls {
        by_id.entry(c.id.as_str()).or_default().push(c);
    }
    let mut repeated = 0;
    for (id, mut cs) in by_id {
        cs.sort_by_key(|c| c.start);
        repeated += usize::from(cs.len() > 1);
        for w in cs.windows(2) {
            assert!(
                w[1].start >= w[0].end,
                "event {id} delivered twice at the same time: {:?} and {:?}",
                w[0],
                w[1]
            );
        }
    }
    repeated
}

/// The whole outbox, oldest first.
fn outbox(auth: &AuthCore) -> Vec<authcore::events::AuditRecord> {
    let mut all = Vec::new();
    let mut token = None;
    loop {
        let page = rt()
            .block_on(auth.list_events(&ListEventsInput {
                limit: Some(1000),
                pagination_token: token,
                ..Default::default()
            }))
            .expect("audit log");
        all.extend(page.events);
        match page.next_pagination_token {
            Some(t) => token = Some(t),
            None => return all,
        }
    }
}

fn open(url: &str, schema: &str, config: AuthCoreConfig) -> AuthCore {
    rt().block_on(
        AuthCore::builder()
            .postgres(url, Some(schema))
            .expect("open the schema")
            .config(config)
            .open(),
    )
    .expect("open")
}

// ---------------------------------------------------------------------------------------------------------
// Children.

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_default()
}

fn env_number(name: &str) -> u64 {
    env(name).parse().unwrap_or(0)
}

/// Starts this binary as a child process in `role`, with `vars`.
fn spawn_child(
    url: &str,
    schema: &str,
    dir: &Path,
    name: &str,
    role: &str,
    vars: &[(&str, String)],
) -> Child {
    let exe = std::env::current_exe().expect("this test binary");
    let mut cmd = Command::new(exe);
    cmd.args([
        "child",
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(common::pg::VAR, url)
    .env(ROLE, role)
    .env(SCHEMA, schema)
    .env(DIR, dir)
    .env(NAME, name)
    .stdout(Stdio::piped())
    .stderr(Stdio::inherit());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.spawn().expect("start a child process")
}

/// The child's `RESULT` line, after it exited successfully.
fn result_of(child: Child) -> Value {
    let out = child.wait_with_output().expect("child output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "a child failed:\n{stdout}");
    let line = stdout
        .lines()
        .find_map(|l| l.split_once("PGP_RESULT ").map(|(_, json)| json))
        .unwrap_or_else(|| panic!("no result line from a child:\n{stdout}"));
    serde_json::from_str(line).expect("the child's result")
}

/// Waits (bounded) for `path` to exist.
fn wait_for_file(path: &Path, limit: Duration) {
    let start = Instant::now();
    while !path.exists() {
        assert!(start.elapsed() < limit, "{} never appeared", path.display());
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A child process: does its role, prints `PGP_RESULT <json>`. Does nothing when run on its own.
#[test]
#[ignore = "a child process of the tests of this file"]
fn child() {
    let (Ok(url), Ok(role)) = (std::env::var(common::pg::VAR), std::env::var(ROLE)) else {
        return;
    };
    let dir = PathBuf::from(env(DIR));
    let result = match role.as_str() {
        "signup" => child_signs_up(&url, &dir),
        "link" => child_links(&url, &dir),
        other => panic!("unknown role {other}"),
    };
    println!("\nPGP_RESULT {result}");
}

/// Signs up `COUNT` identities from `FROM` (a line per committed sign-up in `<name>.commits`), delivering events
/// to a [`Recorder`]; then, with `WAIT_FOR`, waits for that file and `WAIT_MS` more (the periodic sweep's time),
/// notes the time and shuts down.
fn child_signs_up(url: &str, dir: &Path) -> Value {
    let name = env(NAME);
    let (from, count) = (env_number(FROM), env_number(COUNT));
    let rt = rt();
    let auth = rt
        .block_on(
            AuthCore::builder()
                .postgres(url, Some(&env(SCHEMA)))
                .expect("open the schema")
                .config(config(env_number(LEASE)))
                .on_any_event(recorder(dir, &name, env(FAIL_FIRST) == "1"))
                .open(),
        )
        .expect("open");
    wait_for_file(&dir.join("go"), Duration::from_secs(120));
    let mut commits = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(format!("{name}.commits")))
        .expect("commit log");
    let ctx = UserContext::new();
    let mut created = Vec::new();
    for i in from..from + count {
        let uid = format!("id{i}");
        match rt.block_on(auth.sign_in_up(&input(&uid, &format!("{uid}@example.com")), &ctx)) {
            Ok(SignInUpResult::Ok {
                created_new_user,
                user,
                ..
            }) => {
                assert!(created_new_user, "{uid} is new");
                commits
                    .write_all(format!("{uid} {}\n", user.id).as_bytes())
                    .expect("commit log");
                created.push(user.id);
            }
            other => panic!("{uid}: unexpected {other:?}"),
        }
    }
    let wait_for = env(WAIT_FOR);
    if !wait_for.is_empty() {
        wait_for_file(Path::new(&wait_for), Duration::from_secs(300));
        std::thread::sleep(Duration::from_millis(env_number(WAIT_MS)));
    }
    let shutdown_at = micros();
    rt.block_on(auth.shutdown()).expect("shutdown");
    json!({"created": created, "shutdownAt": shutdown_at})
}

/// The linking race: for each of the plan's recipe users, `createPrimaryUser` or `linkAccounts` into the
/// round's primary, the other process choosing the other operation.
fn child_links(url: &str, dir: &Path) -> Value {
    let plan: Vec<(Vec<String>, String)> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("plan.json")).expect("plan"))
            .expect("plan json");
    let k = env_number(FROM) as usize;
    let rt = rt();
    let auth = rt
        .block_on(
            AuthCore::builder()
                .postgres(url, Some(&env(SCHEMA)))
                .expect("open the schema")
                .open(),
        )
        .expect("open");
    wait_for_file(&dir.join("go"), Duration::from_secs(120));
    let ctx = UserContext::new();
    let mut wins = 0;
    for (recipe, primary) in &plan {
        for (i, r) in recipe.iter().enumerate() {
            let won = if (i + k).is_multiple_of(2) {
                matches!(
                    rt.block_on(auth.create_primary_user(r, &ctx))
                        .expect("create primary"),
                    CreatePrimaryUserResult::Ok { .. }
                )
            } else {
                matches!(
                    rt.block_on(auth.link_accounts(r, primary, &ctx))
                        .expect("link"),
                    LinkAccountsResult::Ok { .. }
                )
            };
            wins += usize::from(won);
        }
    }
    rt.block_on(auth.shutdown()).expect("shutdown");
    json!({ "wins": wins })
}

// ---------------------------------------------------------------------------------------------------------
// Tests.

#[test]
fn two_processes_racing_create_primary_and_link_never_share_an_email_between_primaries() {
    let _serial = serial();
    let Some(url) = common::pg::url("the two-process linking race") else {
        return;
    };
    const ROUNDS: usize = 24;
    const PER_ROUND: usize = 6;
    let schema = common::pg::fresh_schema();
    let dir = tempfile::tempdir().expect("tmp");
    let auth = open(&url, &schema, AuthCoreConfig::default());
    let rt = rt();
    let ctx = UserContext::new();
    let sign_up = |uid: String, email: String| -> String {
        match rt
            .block_on(auth.sign_in_up(&input(&uid, &email), &ctx))
            .expect("sign-up")
        {
            SignInUpResult::Ok { recipe_user_id, .. } => recipe_user_id,
            other => panic!("sign-up: {other:?}"),
        }
    };
    // Each round: recipe users sharing one email, and a primary user (another email) to link them into.
    let plan: Vec<(Vec<String>, String)> = (0..ROUNDS)
        .map(|round| {
            let shared = format!("shared{round}@example.com");
            let recipe = (0..PER_ROUND)
                .map(|i| sign_up(format!("r{round}-{i}"), shared.clone()))
                .collect();
            let primary = sign_up(format!("p{round}"), format!("p{round}@example.com"));
            assert!(matches!(
                rt.block_on(auth.create_primary_user(&primary, &ctx))
                    .expect("primary"),
                CreatePrimaryUserResult::Ok { .. }
            ));
            (recipe, primary)
        })
        .collect();
    std::fs::write(
        dir.path().join("plan.json"),
        serde_json::to_string(&plan).expect("json"),
    )
    .expect("plan");
    let children: Vec<Child> = (0..2)
        .map(|k| {
            spawn_child(
                &url,
                &schema,
                dir.path(),
                &format!("l{k}"),
                "link",
                &[(FROM, k.to_string())],
            )
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    std::fs::write(dir.path().join("go"), b"go").expect("go");
    let wins: u64 = children
        .into_iter()
        .map(|c| result_of(c)["wins"].as_u64().expect("wins"))
        .sum();
    rt.block_on(common::invariants::check_invariants(&auth));
    let users = rt.block_on(common::invariants::all_users(&auth));
    for round in 0..ROUNDS {
        let shared = format!("shared{round}@example.com");
        let holders: Vec<_> = users
            .iter()
            .filter(|u| u.is_primary_user && u.emails.contains(&shared))
            .collect();
        assert_eq!(
            holders.len(),
            1,
            "round {round}: one primary holds {shared}: {holders:#?}"
        );
    }
    assert!(wins as usize >= ROUNDS, "someone wins each round");
    println!("pg_processes: linking race: {ROUNDS} rounds of {PER_ROUND}, {wins} operations won");
}

#[test]
fn two_processes_delivering_from_one_outbox_never_deliver_an_event_twice_at_once() {
    let _serial = serial();
    let Some(url) = common::pg::url("two processes delivering from one outbox") else {
        return;
    };
    const BACKLOG: usize = 400;
    const EACH: u64 = 1_500;
    const LEASE_MS: u64 = 2_000;
    let schema = common::pg::fresh_schema();
    let dir = tempfile::tempdir().expect("tmp");
    // A backlog both children find due when they open: events whose delivery failed (a failed delivery
    // releases its lease), written through the engine by a process that is gone.
    {
        let rt = rt();
        let failing = Arc::new(authcore::events::FnHandler(|_e: Event| async {
            Err(AuthError::host("down"))
        }));
        let auth = rt
            .block_on(
                AuthCore::builder()
                    .postgres(&url, Some(&schema))
                    .expect("open")
                    .config(config(LEASE_MS))
                    .on_event(EventName::CreateUser, failing)
                    .open(),
            )
            .expect("open");
        for i in 0..BACKLOG {
            let uid = format!("old{i}");
            rt.block_on(auth.sign_in_up(
                &input(&uid, &format!("{uid}@example.com")),
                &UserContext::new(),
            ))
            .expect("sign-up");
        }
        // The audit query records the failures first.
        let records = outbox(&auth);
        assert_eq!(records.len(), BACKLOG);
        assert!(records
            .iter()
            .all(|e| e.delivered_at.is_none() && e.attempts > 0));
        rt.block_on(auth.shutdown()).expect("shutdown");
    }
    // Two processes sign up (their own events, leased to them) and sweep (the backlog, failed deliveries:
    // each fails the first call of about one event in sixteen, so failed events are due to both at once).
    let started = Instant::now();
    let children: Vec<Child> = (0..2u64)
        .map(|k| {
            spawn_child(
                &url,
                &schema,
                dir.path(),
                &format!("d{k}"),
                "signup",
                &[
                    (FROM, (k * EACH).to_string()),
                    (COUNT, EACH.to_string()),
                    (LEASE, LEASE_MS.to_string()),
                    (FAIL_FIRST, "1".into()),
                ],
            )
        })
        .collect();
    std::fs::write(dir.path().join("go"), b"go").expect("go");
    for c in children {
        result_of(c);
    }
    let elapsed = started.elapsed();
    let auth = open(&url, &schema, config(LEASE_MS));
    let records = outbox(&auth);
    assert_eq!(
        records.len(),
        BACKLOG + 2 * EACH as usize,
        "one createUser per sign-up"
    );
    let calls = read_calls(dir.path());
    let repeated = assert_no_concurrent_deliveries(&calls);
    let ok: HashSet<&str> = calls
        .iter()
        .filter(|c| c.ok)
        .map(|c| c.id.as_str())
        .collect();
    let recorded: HashSet<&str> = records.iter().map(|r| r.event.id.as_str()).collect();
    let missing: Vec<_> = recorded.difference(&ok).collect();
    assert!(
        missing.is_empty(),
        "{} events never delivered: {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    let invented: Vec<_> = calls
        .iter()
        .filter(|c| !recorded.contains(c.id.as_str()))
        .collect();
    assert!(
        invented.is_empty(),
        "delivered events the outbox never had: {invented:?}"
    );
    assert!(
        records.iter().all(|r| r.delivered_at.is_some()),
        "all marked delivered"
    );
    let by: BTreeMap<&str, usize> = calls.iter().fold(BTreeMap::new(), |mut m, c| {
        *m.entry(c.by.as_str()).or_default() += 1;
        m
    });
    // Written first, so the first in seq order.
    let backlog: HashSet<&str> = records
        .iter()
        .take(BACKLOG)
        .map(|r| r.event.id.as_str())
        .collect();
    let backlog_by: BTreeMap<&str, usize> = calls
        .iter()
        .filter(|c| c.ok && backlog.contains(c.id.as_str()))
        .fold(BTreeMap::new(), |mut m, c| {
            *m.entry(c.by.as_str()).or_default() += 1;
            m
        });
    println!(
        "pg_processes: two deliverers: {} events, {} handler calls {by:?}, backlog delivered {backlog_by:?}, \
         {repeated} events delivered again later (never at once), {:.1} s",
        records.len(),
        calls.len(),
        elapsed.as_secs_f64()
    );
}

#[test]
fn kill_9_of_one_of_two_processes_during_10000_sign_ups_loses_no_event() {
    let _serial = serial();
    let Some(url) = common::pg::url("kill -9 during sign-ups on PostgreSQL") else {
        return;
    };
    const EACH: u64 = 5_000;
    const LEASE_MS: u64 = 1_000;
    let schema = common::pg::fresh_schema();
    let dir = tempfile::tempdir().expect("tmp");
    // Creates the schema before the children race to.
    drop(open(&url, &schema, config(LEASE_MS)));
    let killed = dir.path().join("killed");
    let started = Instant::now();
    let mut victim = spawn_child(
        &url,
        &schema,
        dir.path(),
        "victim",
        "signup",
        &[
            (FROM, "0".into()),
            (COUNT, EACH.to_string()),
            (LEASE, LEASE_MS.to_string()),
        ],
    );
    // The survivor, once done with its own sign-ups, waits for the kill and then for the dead process's leases
    // to expire and two periodic sweeps (every half lease) to claim them, before it shuts down.
    let survivor = spawn_child(
        &url,
        &schema,
        dir.path(),
        "survivor",
        "signup",
        &[
            (FROM, EACH.to_string()),
            (COUNT, EACH.to_string()),
            (LEASE, LEASE_MS.to_string()),
            (WAIT_FOR, killed.display().to_string()),
            (WAIT_MS, (LEASE_MS * 3).to_string()),
        ],
    );
    std::fs::write(dir.path().join("go"), b"go").expect("go");
    let commits = dir.path().join("victim.commits");
    loop {
        let n = std::fs::read_to_string(&commits)
            .map(|t| t.lines().count())
            .unwrap_or(0);
        if n >= 1_000 {
            break;
        }
        if let Ok(Some(status)) = victim.try_wait() {
            panic!("the victim ended before it could be killed: {status}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(240),
            "the victim never got going"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    victim.kill().expect("SIGKILL");
    victim.wait().expect("reap");
    let killed_at = micros();
    std::fs::write(&killed, b"killed").expect("killed");
    let survived = result_of(survivor);
    let shutdown_at = survived["shutdownAt"].as_i64().expect("shutdownAt");
    let elapsed = started.elapsed();

    let auth = open(&url, &schema, config(LEASE_MS));
    let rt = rt();
    let users: HashMap<String, authcore::User> = rt
        .block_on(common::invariants::all_users(&auth))
        .into_iter()
        .map(|u| (u.id.clone(), u))
        .collect();
    // Every sign-up a process saw committed exists.
    let committed: Vec<(String, String)> = ["victim", "survivor"]
        .iter()
        .flat_map(|n| {
            std::fs::read_to_string(dir.path().join(format!("{n}.commits")))
                .unwrap_or_default()
                .lines()
                .filter_map(|l| {
                    l.split_once(' ')
                        .map(|(a, b)| (a.to_string(), b.to_string()))
                })
                .collect::<Vec<_>>()
        })
        .collect();
    for (uid, user) in &committed {
        assert!(
            users.contains_key(user),
            "{uid} committed as {user}, which does not exist"
        );
    }
    let victim_committed = committed
        .iter()
        .filter(|(u, _)| u[2..].parse::<u64>().is_ok_and(|i| i < EACH))
        .count();
    assert!(
        users.len() >= committed.len() && users.len() <= committed.len() + 1,
        "{} users, {} seen committed (at most the one the kill cut may be missing from the log)",
        users.len(),
        committed.len()
    );
    assert!(
        (EACH as usize..2 * EACH as usize).contains(&users.len()),
        "killed mid-run: {} users",
        users.len()
    );
    // Exactly one createUser per user, none for anything that did not commit.
    let records = outbox(&auth);
    let event_users: Vec<&str> = records
        .iter()
        .filter_map(|r| r.event.user_id.as_deref())
        .collect();
    assert_eq!(
        records.len(),
        users.len(),
        "one event per committed sign-up"
    );
    assert_eq!(
        event_users.iter().copied().collect::<HashSet<_>>(),
        users.keys().map(String::as_str).collect()
    );
    // Every committed event was delivered, with the recorded user; none invented; never twice at once.
    let calls = read_calls(dir.path());
    let repeated = assert_no_concurrent_deliveries(&calls);
    let recorded: HashMap<&str, &Event> = records
        .iter()
        .map(|r| (r.event.id.as_str(), &r.event))
        .collect();
    for c in &calls {
        let e = recorded
            .get(c.id.as_str())
            .unwrap_or_else(|| panic!("delivered an event never committed: {c:?}"));
        assert_eq!(
            c.user.as_deref(),
            e.user_id.as_deref(),
            "delivered with another user"
        );
    }
    // By the survivor's periodic sweep: every event was delivered before the survivor began to shut down.
    let before_shutdown: HashSet<&str> = calls
        .iter()
        .filter(|c| c.ok && c.start < shutdown_at)
        .map(|c| c.id.as_str())
        .collect();
    let missing: Vec<_> = recorded
        .keys()
        .filter(|id| !before_shutdown.contains(**id))
        .collect();
    assert!(
        missing.is_empty(),
        "{} committed events not delivered by the survivor's sweep",
        missing.len()
    );
    assert!(
        records.iter().all(|r| r.delivered_at.is_some()),
        "all marked delivered"
    );
    let victim_users: HashSet<&str> = users
        .keys()
        .map(String::as_str)
        .filter(|u| {
            !survived["created"]
                .as_array()
                .expect("created")
                .iter()
                .any(|c| c.as_str() == Some(*u))
        })
        .collect();
    let rescued: BTreeSet<&str> = calls
        .iter()
        .filter(|c| {
            c.by == "survivor"
                && c.start > killed_at
                && c.user.as_deref().is_some_and(|u| victim_users.contains(u))
        })
        .map(|c| c.id.as_str())
        .collect();
    let victim_delivered = calls.iter().filter(|c| c.by == "victim").count();
    println!(
        "pg_processes: kill -9: {} users ({} by the victim, {victim_committed} seen committed there), {} events; \
         the victim delivered {victim_delivered}, the survivor's sweep delivered {} of the victim's events after the \
         kill; {repeated} delivered again later (never at once); {:.1} s",
        users.len(),
        victim_users.len(),
        records.len(),
        rescued.len(),
        elapsed.as_secs_f64()
    );
}

/// The throwaway cluster's control script, or `None` (skipped) for a developer's own server; under CI its
/// absence fails.
fn pg_ctl(what: &str) -> Option<PathBuf> {
    match std::env::var(CTL) {
        Ok(p) if !p.trim().is_empty() => Some(PathBuf::from(p)),
        _ if std::env::var_os("CI").is_some() => panic!(
            "{CTL} is not set under CI: {what} needs the throwaway cluster's ctl script (scripts/pg-test-server)"
        ),
        _ => {
            eprintln!("skipped {what}: {CTL} is not set (the throwaway cluster of scripts/pg-test-server sets it)");
            None
        }
    }
}

fn ctl(script: &Path, action: &str) {
    let status = Command::new("bash")
        .arg(script)
        .arg(action)
        .stdout(Stdio::null())
        .status()
        .expect("run the ctl script");
    assert!(status.success(), "ctl {action}: {status}");
}

#[test]
fn postgresql_restarted_mid_run_gives_typed_errors_then_normal_service() {
    let _serial = serial();
    let Some(url) = common::pg::url("PostgreSQL restarted mid-run") else {
        return;
    };
    let Some(script) = pg_ctl("PostgreSQL restarted mid-run") else {
        return;
    };
    const LEASE_MS: u64 = 500;
    let schema = common::pg::fresh_schema();
    let delivered = Arc::new(Mutex::new(HashSet::<String>::new()));
    let d = delivered.clone();
    let rt = rt();
    let auth = rt
        .block_on(
            AuthCore::builder()
                .postgres(&url, Some(&schema))
                .expect("open")
                .config(config(LEASE_MS))
                .on_event(
                    EventName::CreateUser,
                    Arc::new(authcore::events::FnHandler(move |e: Event| {
                        let d = d.clone();
                        async move {
                            d.lock()
                                .map_err(|_| AuthError::host("poisoned"))?
                                .insert(e.id);
                            Ok(())
                        }
                    })),
                )
                .open(),
        )
        .expect("open");
    // Two threads sign up in a loop while the server is stopped, kept down, and started again.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let workers: Vec<_> = (0..2)
        .map(|t| {
            let auth = auth.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                let rt = crate::rt();
                let ctx = UserContext::new();
                let (mut ok, mut unavailable, mut slowest) = (Vec::new(), 0usize, Duration::ZERO);
                let mut i = 0;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    let uid = format!("t{t}-{i}");
                    i += 1;
                    let began = Instant::now();
                    let r = rt.block_on(
                        auth.sign_in_up(&input(&uid, &format!("{uid}@example.com")), &ctx),
                    );
                    slowest = slowest.max(began.elapsed());
                    match r {
                        Ok(SignInUpResult::Ok { user, .. }) => ok.push((uid, user.id)),
                        Ok(other) => panic!("{uid}: {other:?}"),
                        Err(e) => {
                            assert_eq!(e.code(), "STORAGE_ERROR", "{uid}: {e}");
                            assert!(e.to_string().contains("storage unavailable"), "{uid}: {e}");
                            unavailable += 1;
                            std::thread::sleep(Duration::from_millis(20));
                        }
                    }
                }
                (ok, unavailable, slowest)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1_500));
    ctl(&script, "stop");
    let down = Instant::now();
    // While it is down: a read is a typed error too, at once.
    std::thread::sleep(Duration::from_millis(1_500));
    let began = Instant::now();
    match rt.block_on(auth.get_user_count(None, true)) {
        Err(e) => {
            assert_eq!(e.code(), "STORAGE_ERROR");
            assert!(e.to_string().contains("storage unavailable"), "{e}");
        }
        Ok(n) => panic!("counted {n} users with the server down"),
    }
    assert!(
        began.elapsed() < Duration::from_secs(10),
        "a call hung while the server was down: {:?}",
        began.elapsed()
    );
    ctl(&script, "start");
    let downtime = down.elapsed();
    std::thread::sleep(Duration::from_millis(2_000));
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut ok = Vec::new();
    let mut unavailable = 0;
    let mut slowest = Duration::ZERO;
    for w in workers {
        let (o, u, s) = w.join().expect("no panic in a worker");
        ok.extend(o);
        unavailable += u;
        slowest = slowest.max(s);
    }
    assert!(unavailable > 0, "the sign-ups saw the server down");
    assert!(
        slowest < Duration::from_secs(15),
        "a sign-up hung: {slowest:?}"
    );
    // Normal service after: a sign-up works, and the counts agree (no partial write): one recipe user (login
    // method) per user, one createUser per user, every sign-up that answered Ok is there.
    let after =
        rt.block_on(auth.sign_in_up(&input("after", "after@example.com"), &UserContext::new()));
    assert!(
        matches!(
            after,
            Ok(SignInUpResult::Ok {
                created_new_user: true,
                ..
            })
        ),
        "{after:?}"
    );
    let users = rt.block_on(common::invariants::all_users(&auth));
    let ids: HashSet<&str> = users.iter().map(|u| u.id.as_str()).collect();
    for (uid, id) in &ok {
        assert!(
            ids.contains(id.as_str()),
            "{uid} answered Ok as {id} but is missing"
        );
    }
    let methods: usize = users.iter().map(|u| u.login_methods.len()).sum();
    assert_eq!(methods, users.len(), "one account per user");
    assert_eq!(
        rt.block_on(auth.get_user_count(None, true)).expect("count") as usize,
        users.len()
    );
    // Every committed createUser is delivered once the server is back (the periodic sweep, then shutdown).
    let deadline = Instant::now() + Duration::from_secs(20);
    let records = loop {
        let records = outbox(&auth);
        let pending = records
            .iter()
            .filter(|r| !delivered.lock().expect("lock").contains(&r.event.id))
            .count();
        if pending == 0 || Instant::now() > deadline {
            break records;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let created: Vec<&str> = records
        .iter()
        .filter(|r| r.event.name == EventName::CreateUser)
        .filter_map(|r| r.event.user_id.as_deref())
        .collect();
    assert_eq!(created.len(), users.len(), "one createUser per user");
    assert_eq!(created.iter().copied().collect::<HashSet<_>>(), ids);
    let undelivered: Vec<_> = records
        .iter()
        .filter(|r| !delivered.lock().expect("lock").contains(&r.event.id))
        .collect();
    assert!(
        undelivered.is_empty(),
        "{} events not delivered after the restart",
        undelivered.len()
    );
    rt.block_on(auth.shutdown()).expect("shutdown");
    println!(
        "pg_processes: restart: {} users, {} sign-ups answered Ok, {unavailable} STORAGE_ERROR while down \
         ({:.1} s), slowest call {:.2} s",
        users.len(),
        ok.len(),
        downtime.as_secs_f64(),
        slowest.as_secs_f64()
    );
}
