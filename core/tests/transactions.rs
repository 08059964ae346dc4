//! One write transaction per request where no host code runs (the request's steps share it, each in a
//! savepoint), and a commit before every crossing into host code, counted at the store.

mod common;
use common::post;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use authcore::layers::{call_functions, Host, HostFunctions};
use authcore::store::sqlite::{SqliteOptions, SqliteStore};
use authcore::store::{Store, StoreResult, StoreTx};
use authcore::*;
use serde_json::Value;

/// The real SQLite store, counting the transactions the engine opens.
struct Counting {
    inner: SqliteStore,
    writes: AtomicUsize,
    reads: AtomicUsize,
}

impl Store for Counting {
    fn write(&self) -> StoreResult<Box<dyn StoreTx>> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.write()
    }
    fn read(&self) -> StoreResult<Box<dyn StoreTx>> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.read()
    }
}

impl Counting {
    fn open(dir: &std::path::Path) -> Arc<Counting> {
        Arc::new(Counting {
            inner: SqliteStore::open(SqliteOptions::new(dir.join("a.db"))).expect("store"),
            writes: AtomicUsize::new(0),
            reads: AtomicUsize::new(0),
        })
    }

    /// (write transactions, read transactions) since the last call.
    fn take(&self) -> (usize, usize) {
        (
            self.writes.swap(0, Ordering::SeqCst),
            self.reads.swap(0, Ordering::SeqCst),
        )
    }
}

/// Host code that replaces `createNewSession` and calls `original` from inside it, as a binding's would.
struct SessionHost {
    below: std::sync::OnceLock<Arc<dyn RecipeFunctions>>,
    /// What the store had committed when the host code ran: users visible to a fresh read transaction.
    seen_users: AtomicUsize,
    auth_store: Arc<Counting>,
}

#[async_trait]
impl Host for SessionHost {
    async fn call(&self, op: &'static str, args: Value, ctx: &UserContext) -> Result<Value> {
        // A read outside the request: it sees only what was committed before the host code was called.
        let mut tx = self.auth_store.inner.read()?;
        self.seen_users
            .store(tx.count_groups(None)? as usize, Ordering::SeqCst);
        drop(tx);
        let below = self
            .below
            .get()
            .ok_or_else(|| AuthError::internal("no original"))?;
        call_functions(&**below, op, args, ctx).await
    }
}

/// An engine on a counting store, with one event handler counting what it was delivered.
async fn open(
    dir: &std::path::Path,
    host: Option<Arc<SessionHost>>,
) -> (AuthCore, Arc<Counting>, Arc<AtomicUsize>) {
    let store = Counting::open(dir);
    let delivered = Arc::new(AtomicUsize::new(0));
    let count = delivered.clone();
    let handler = authcore::events::FnHandler(move |_e: authcore::events::Event| {
        count.fetch_add(1, Ordering::SeqCst);
        async { Ok(()) }
    });
    let mut b = AuthCore::builder()
        .store(store.clone())
        .on_any_event(Arc::new(handler));
    if let Some(host) = host {
        b = b.override_functions(move |original| {
            let _ = host.below.set(original.clone());
            Arc::new(HostFunctions::new(
                original,
                host,
                |op| op == "createNewSession",
                0,
            ))
        });
    }
    let auth = b.open().await.expect("open");
    (auth, store, delivered)
}

/// Signs `uid` in through `signInUpPOST` in a request of its own; whether it created a recipe user.
async fn sign_in(auth: &AuthCore, uid: &str) -> bool {
    let email = format!("{uid}@x.com");
    match auth
        .apis()
        .sign_in_up_post(&post("google", uid, &email, true), &UserContext::new())
        .await
        .expect("signInUpPOST")
    {
        SignInUpPostResult::Ok {
            created_new_recipe_user,
            ..
        } => created_new_recipe_user,
        other => panic!("not signed in: {other:?}"),
    }
}

#[tokio::test]
async fn a_sign_in_without_host_code_is_one_write_transaction() {
    let dir = tempfile::tempdir().expect("tmp");
    let (auth, store, delivered) = open(dir.path(), None).await;
    store.take();
    assert!(sign_in(&auth, "a").await, "a sign-up");
    assert_eq!(
        store.take(),
        (1, 0),
        "sign-up: one write transaction, no read transaction"
    );
    assert!(!sign_in(&auth, "a").await, "a sign-in");
    assert_eq!(store.take(), (1, 0), "sign-in: one write transaction");
    // Everything the requests wrote is there, and every event was delivered once, after its commit.
    assert_eq!(auth.get_user_count(None, false).await.expect("count"), 1);
    let events = auth
        .list_events(&authcore::events::ListEventsInput::default())
        .await
        .expect("events");
    let names: Vec<_> = events
        .events
        .iter()
        .map(|r| r.event.name.as_str())
        .collect();
    assert_eq!(
        names,
        ["createUser", "session", "signIn", "session", "signIn"],
        "every event of both requests"
    );
    assert_eq!(delivered.load(Ordering::SeqCst), names.len());
}

#[tokio::test]
async fn host_code_runs_only_after_the_request_committed_what_it_did_before() {
    let dir = tempfile::tempdir().expect("tmp");
    let host = Arc::new(SessionHost {
        below: std::sync::OnceLock::new(),
        seen_users: AtomicUsize::new(usize::MAX),
        auth_store: Counting::open(dir.path()),
    });
    let (auth, store, _) = open(dir.path(), Some(host.clone())).await;
    store.take();
    assert!(sign_in(&auth, "b").await, "a sign-up");
    assert_eq!(
        host.seen_users.load(Ordering::SeqCst),
        1,
        "the user was committed before the host's createNewSession ran"
    );
    // The steps before the crossing share one transaction; the session made from inside host code has its own.
    assert_eq!(store.take(), (2, 0));
}
