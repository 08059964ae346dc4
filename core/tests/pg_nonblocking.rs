//! On PostgreSQL no host thread waits for the network (README "Network I/O"): the engine runs each transaction
//! off the thread that polls its future. Checked on a single-threaded runtime, where a blocked poll would stop
//! every other task: while a sign-up waits for the schema's writer (held by another store, as another app
//! server would), a ticker task on the same thread keeps running.

#![cfg(feature = "postgres")]

#[path = "support/pg.rs"]
mod pg;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use authcore::store::postgres::{PostgresOptions, PostgresStore};
use authcore::store::Store;
use authcore::{AuthCore, EmailInput, SignInUpInput, SignInUpResult, UserContext};

const HOLD: Duration = Duration::from_millis(600);
const TICK: Duration = Duration::from_millis(10);

#[test]
fn a_sign_up_waiting_for_the_database_leaves_the_polling_thread_free() {
    let Some(url) = pg::url("the non-blocking PostgreSQL check") else {
        return;
    };
    let mut options = PostgresOptions::new(&url);
    options.schema = pg::fresh_schema();
    let other = PostgresStore::open(options.clone()).expect("open the schema");

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let auth = rt
        .block_on(
            AuthCore::builder()
                .postgres(&url, Some(&options.schema))
                .expect("options")
                .open(),
        )
        .expect("open: connects off the polling thread");

    // Another writer holds the schema's write lock; a plain thread lets it go after HOLD.
    let held = other.write().expect("take the writer");
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(HOLD);
        drop(held);
    });

    let ticks = Arc::new(AtomicUsize::new(0));
    let (result, ticks_while_waiting) = rt.block_on(async {
        let counter = ticks.clone();
        let ticker = tokio::spawn(async move {
            loop {
                tokio::time::sleep(TICK).await;
                counter.fetch_add(1, Ordering::SeqCst);
            }
        });
        let input = SignInUpInput {
            tenant_id: "public".into(),
            third_party_id: "google".into(),
            third_party_user_id: "g1".into(),
            email: EmailInput {
                id: "a@example.com".into(),
                is_verified: true,
            },
        };
        let result = auth.sign_in_up(&input, &UserContext::new()).await;
        let seen = ticks.load(Ordering::SeqCst);
        ticker.abort();
        (result, seen)
    });
    releaser.join().expect("releaser");

    match result.expect("the sign-up completes once the writer is free") {
        SignInUpResult::Ok {
            created_new_user, ..
        } => assert!(created_new_user),
        other => panic!("{other:?}"),
    }
    // The thread was free for most of HOLD: a blocked poll would have let the ticker run about once.
    let expected = (HOLD.as_millis() / TICK.as_millis()) as usize;
    assert!(
        ticks_while_waiting >= expected / 3,
        "the polling thread ran {ticks_while_waiting} ticks while the sign-up waited (a free thread runs ~{expected})"
    );
    assert_eq!(
        rt.block_on(auth.get_user_count(None, false))
            .expect("count"),
        1
    );
}
