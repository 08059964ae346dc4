//! Event semantics: after commit, awaited, never vetoing, failures recorded and retried, redelivered at open,
//! queryable as an audit log.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use authcore::events::{Event, EventName, FnHandler, ListEventsInput};
use authcore::*;

fn input(tp: &str, uid: &str, email: &str) -> SignInUpInput {
    SignInUpInput {
        tenant_id: "public".into(),
        third_party_id: tp.into(),
        third_party_user_id: uid.into(),
        email: EmailInput {
            id: email.into(),
            is_verified: true,
        },
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_handler_delays_its_operation_but_runs_after_commit() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("a.db");
    let seen_inside = Arc::new(Mutex::new(None));
    let reader = AuthCore::open_sqlite(&path, AuthCoreConfig::default()).expect("reader engine");
    let (r, seen) = (reader.clone(), seen_inside.clone());
    let handler = FnHandler(move |e: Event| {
        let (r, seen) = (r.clone(), seen.clone());
        async move {
            // Another connection sees the committed user while the handler runs.
            let id = e.user_id.clone().unwrap_or_default();
            let found = r.get_user(&id, &UserContext::new()).await?.is_some();
            *seen.lock().expect("lock") = Some(found);
            tokio::time::sleep(Duration::from_millis(50)).await;
            Ok(())
        }
    });
    let auth = AuthCore::builder()
        .sqlite(&path)
        .expect("db")
        .on_event(EventName::CreateUser, Arc::new(handler))
        .build()
        .expect("build");

    // A concurrent reader polls while the operation (and its handler) runs.
    let poller = {
        let r = reader.clone();
        tokio::spawn(async move {
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(2) {
                let page = r
                    .get_users(&GetUsersInput::default(), &UserContext::new())
                    .await
                    .expect("list");
                if !page.users.is_empty() {
                    return Some(start.elapsed());
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            None
        })
    };
    let start = Instant::now();
    let r = auth
        .sign_in_up(&input("google", "g1", "a@x.com"), &UserContext::new())
        .await
        .expect("sign up");
    let took = start.elapsed();
    assert!(matches!(
        r,
        SignInUpResult::Ok {
            created_new_user: true,
            ..
        }
    ));
    assert!(
        took >= Duration::from_millis(50),
        "the operation awaited its handler: {took:?}"
    );
    assert_eq!(
        *seen_inside.lock().expect("lock"),
        Some(true),
        "the handler ran after commit"
    );
    let seen_at = poller
        .await
        .expect("poller")
        .expect("the poller saw the user");
    assert!(
        seen_at < took,
        "a concurrent reader saw the user ({seen_at:?}) before the operation returned ({took:?})"
    );
}

#[tokio::test]
async fn a_failing_handler_never_undoes_the_operation_and_is_retried() {
    let dir = tempfile::tempdir().expect("tmp");
    let calls = Arc::new(Mutex::new(Vec::<String>::new()));
    let fail = Arc::new(AtomicUsize::new(1));
    let (c, f) = (calls.clone(), fail.clone());
    let handler = FnHandler(move |e: Event| {
        let (c, f) = (c.clone(), f.clone());
        async move {
            c.lock().expect("lock").push(e.id.clone());
            if f.load(Ordering::SeqCst) > 0 {
                f.fetch_sub(1, Ordering::SeqCst);
                return Err(AuthError::host("webhook down"));
            }
            Ok(())
        }
    });
    let auth = AuthCore::builder()
        .sqlite(dir.path().join("a.db"))
        .expect("db")
        .on_event(EventName::CreateUser, Arc::new(handler))
        .build()
        .expect("build");
    let r = auth
        .sign_in_up(&input("google", "g1", "a@x.com"), &UserContext::new())
        .await
        .expect("op succeeds");
    let SignInUpResult::Ok { user, .. } = r else {
        panic!("status")
    };
    let log = auth
        .list_events(&ListEventsInput {
            user_id: Some(user.id.clone()),
            ..Default::default()
        })
        .await
        .expect("audit");
    assert_eq!(log.events.len(), 1);
    assert_eq!(log.events[0].delivered_at, None);
    assert_eq!(log.events[0].attempts, 1);
    assert_eq!(log.events[0].last_error.as_deref(), Some("webhook down"));

    let report = auth.deliver_pending_events().await.expect("sweep");
    assert_eq!((report.delivered, report.failed), (1, 0));
    let ids = calls.lock().expect("lock").clone();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0], ids[1], "the retry carries the same event id");
    let log = auth
        .list_events(&ListEventsInput::default())
        .await
        .expect("audit");
    assert!(log.events[0].delivered_at.is_some());
    assert_eq!(
        auth.deliver_pending_events().await.expect("sweep"),
        Default::default(),
        "nothing left"
    );
}

#[tokio::test]
async fn pending_events_are_redelivered_at_open() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("a.db");
    {
        let failing = FnHandler(|_e: Event| async { Err(AuthError::host("down")) });
        let auth = AuthCore::builder()
            .sqlite(&path)
            .expect("db")
            .on_any_event(Arc::new(failing))
            .build()
            .expect("b");
        for i in 0..3 {
            auth.sign_in_up(
                &input("google", &format!("g{i}"), "a@x.com"),
                &UserContext::new(),
            )
            .await
            .expect("op");
        }
        auth.shutdown().await.expect("shutdown");
    }
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    let ok = FnHandler(move |e: Event| {
        let g = g.clone();
        async move {
            g.lock().expect("lock").push(e.name);
            Ok(())
        }
    });
    let auth = AuthCore::builder()
        .sqlite(&path)
        .expect("db")
        .on_any_event(Arc::new(ok))
        .open()
        .await
        .expect("open");
    assert_eq!(*got.lock().expect("lock"), vec![EventName::CreateUser; 3]);
    let log = auth
        .list_events(&ListEventsInput::default())
        .await
        .expect("audit");
    // Two failed attempts (the call's own delivery, then shutdown's redelivery) before open delivered them.
    assert!(log
        .events
        .iter()
        .all(|e| e.delivered_at.is_some() && e.attempts == 2));
}

#[tokio::test]
async fn audit_log_filters_and_pages() {
    let dir = tempfile::tempdir().expect("tmp");
    let auth =
        AuthCore::open_sqlite(dir.path().join("a.db"), AuthCoreConfig::default()).expect("open");
    let ctx = UserContext::new();
    auth.create_or_update_tenant("t1", &TenantConfigInput::default(), &ctx)
        .await
        .expect("t1");
    let mut ids = Vec::new();
    for i in 0..3 {
        let SignInUpResult::Ok { recipe_user_id, .. } = auth
            .sign_in_up(&input("google", &format!("g{i}"), "a@x.com"), &ctx)
            .await
            .expect("op")
        else {
            panic!("status")
        };
        ids.push(recipe_user_id);
    }
    let t1 = SignInUpInput {
        tenant_id: "t1".into(),
        ..input("google", "g9", "b@x.com")
    };
    auth.sign_in_up(&t1, &ctx).await.expect("t1 user");
    auth.create_new_session("public", &ids[0], &serde_json::json!({}), &ctx)
        .await
        .expect("session");

    let by_user = auth
        .list_events(&ListEventsInput {
            user_id: Some(ids[0].clone()),
            ..Default::default()
        })
        .await
        .expect("q");
    let names: Vec<_> = by_user.events.iter().map(|e| e.event.name).collect();
    assert_eq!(names, vec![EventName::CreateUser, EventName::Session]);
    let by_tenant = auth
        .list_events(&ListEventsInput {
            tenant_id: Some("t1".into()),
            ..Default::default()
        })
        .await
        .expect("q");
    assert_eq!(by_tenant.events.len(), 1);

    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let page = auth
            .list_events(&ListEventsInput {
                limit: Some(2),
                pagination_token: token.clone(),
                ..Default::default()
            })
            .await
            .expect("page");
        seen.extend(page.events.iter().map(|e| e.event.id.clone()));
        match page.next_pagination_token {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5);
    let future = auth
        .list_events(&ListEventsInput {
            since: Some(i64::MAX - 1),
            ..Default::default()
        })
        .await
        .expect("q");
    assert!(future.events.is_empty());
    assert_eq!(
        auth.list_events(&ListEventsInput {
            pagination_token: Some("!!".into()),
            ..Default::default()
        })
        .await
        .expect_err("bad token")
        .code(),
        "INVALID_PAGINATION_TOKEN"
    );
}

#[tokio::test]
async fn events_off_writes_and_delivers_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut config = AuthCoreConfig::default();
    config.events.enabled = false;
    let called = Arc::new(AtomicUsize::new(0));
    let c = called.clone();
    let h = FnHandler(move |_e: Event| {
        let c = c.clone();
        async move {
            c.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    });
    let auth = AuthCore::builder()
        .sqlite(dir.path().join("a.db"))
        .expect("db")
        .config(config)
        .on_any_event(Arc::new(h))
        .build()
        .expect("b");
    auth.sign_in_up(&input("google", "g1", "a@x.com"), &UserContext::new())
        .await
        .expect("op");
    assert_eq!(called.load(Ordering::SeqCst), 0);
    assert!(auth
        .list_events(&ListEventsInput::default())
        .await
        .expect("q")
        .events
        .is_empty());
}

#[tokio::test]
async fn sign_in_event_carries_nextauth_fields() {
    let dir = tempfile::tempdir().expect("tmp");
    let got = Arc::new(Mutex::new(Vec::<Event>::new()));
    let g = got.clone();
    let h = FnHandler(move |e: Event| {
        let g = g.clone();
        async move {
            g.lock().expect("lock").push(e);
            Ok(())
        }
    });
    let auth = AuthCore::builder()
        .sqlite(dir.path().join("a.db"))
        .expect("db")
        .on_event(EventName::SignIn, Arc::new(h))
        .build()
        .expect("b");
    let post = SignInUpPostInput::with_user_info(
        "public",
        "google",
        ProviderUserInfo {
            third_party_user_id: "g1".into(),
            email: Some(EmailInput {
                id: "a@x.com".into(),
                is_verified: true,
            }),
        },
    );
    auth.apis()
        .sign_in_up_post(&post, &UserContext::new())
        .await
        .expect("1");
    auth.apis()
        .sign_in_up_post(&post, &UserContext::new())
        .await
        .expect("2");
    let events = got.lock().expect("lock").clone();
    assert_eq!(events.len(), 2);
    let v: Vec<serde_json::Value> = events
        .iter()
        .map(|e| serde_json::to_value(e).expect("json"))
        .collect();
    assert_eq!(v[0]["name"], "signIn");
    assert_eq!(v[0]["isNewUser"], true);
    assert_eq!(v[1]["isNewUser"], false);
    assert_eq!(
        v[0]["account"],
        serde_json::json!({"provider": "google", "providerAccountId": "g1"})
    );
    assert_eq!(v[0]["tenantId"], "public");
    assert_eq!(v[0]["userId"], v[0]["user"]["id"]);
    assert!(v[0]["id"].as_str().is_some_and(|s| s.len() == 36) && v[0]["time"].as_i64().is_some());
}

/// Runs an audit query (which indexes the outbox) right before every `linkAccounts`: the moment when a
/// request's `createUser`, the newest row, is about to be cancelled by the link.
struct IndexBeforeLink {
    original: Arc<dyn RecipeFunctions>,
    indexer: AuthCore,
}

#[async_trait::async_trait]
impl RecipeFunctions for IndexBeforeLink {
    fn original(&self) -> &dyn RecipeFunctions {
        &*self.original
    }
    async fn link_accounts(
        &self,
        recipe_user_id: &str,
        primary_user_id: &str,
        ctx: &UserContext,
    ) -> Result<LinkAccountsResult> {
        self.indexer
            .list_events(&ListEventsInput {
                tenant_id: Some("public".into()),
                ..Default::default()
            })
            .await?;
        self.original
            .link_accounts(recipe_user_id, primary_user_id, ctx)
            .await
    }
}

/// Issue #11: the link event took the seq of the createUser it cancelled, a seq the audit index had already
/// passed, so it was never indexed under the primary user.
#[tokio::test]
async fn the_link_event_never_reuses_the_seq_of_the_cancelled_create_user() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("a.db");
    let indexer = AuthCore::open_sqlite(&path, AuthCoreConfig::default()).expect("indexer");
    let mut config = AuthCoreConfig::default();
    config.account_linking.should_automatically_link = true;
    let auth = AuthCore::builder()
        .sqlite(&path)
        .expect("db")
        .config(config)
        .override_functions(move |original| Arc::new(IndexBeforeLink { original, indexer }))
        .build()
        .expect("build");
    let ctx = UserContext::new();
    let ManuallyCreateOrUpdateUserResult::Ok { user: primary, .. } = auth
        .manually_create_or_update_user(&input("google", "g1", "a@x.com"), &ctx)
        .await
        .expect("primary")
    else {
        panic!("status")
    };
    assert!(primary.is_primary_user);
    let ManuallyCreateOrUpdateUserResult::Ok {
        user,
        recipe_user_id,
        ..
    } = auth
        .manually_create_or_update_user(&input("github", "h1", "a@x.com"), &UserContext::new())
        .await
        .expect("linked")
    else {
        panic!("status")
    };
    assert_eq!(user.id, primary.id, "signed up and linked in one request");

    let names = async |input: ListEventsInput| -> Vec<EventName> {
        auth.list_events(&input)
            .await
            .expect("audit")
            .events
            .iter()
            .map(|e| e.event.name)
            .collect()
    };
    let all = auth
        .list_events(&ListEventsInput::default())
        .await
        .expect("audit");
    let mut ids: Vec<&str> = all.events.iter().map(|e| e.event.id.as_str()).collect();
    ids.dedup();
    assert_eq!(ids.len(), all.events.len());
    let by_primary = names(ListEventsInput {
        user_id: Some(primary.id.clone()),
        ..Default::default()
    })
    .await;
    assert_eq!(
        by_primary,
        vec![
            EventName::CreateUser,
            EventName::UpdateUser,
            EventName::LinkAccount
        ],
        "the link is indexed under the primary user"
    );
    assert!(
        names(ListEventsInput {
            user_id: Some(recipe_user_id),
            ..Default::default()
        })
        .await
        .is_empty(),
        "the cancelled createUser is gone"
    );
    assert_eq!(
        names(ListEventsInput {
            tenant_id: Some("public".into()),
            ..Default::default()
        })
        .await,
        vec![
            EventName::CreateUser,
            EventName::UpdateUser,
            EventName::LinkAccount
        ]
    );
}

/// Issue #11: events of operations without a tenant argument were filed under the alphabetically first
/// tenant of the login method only.
#[tokio::test]
async fn events_are_listed_under_every_tenant_they_happened_in() {
    let dir = tempfile::tempdir().expect("tmp");
    let auth =
        AuthCore::open_sqlite(dir.path().join("a.db"), AuthCoreConfig::default()).expect("open");
    let ctx = UserContext::new();
    for t in ["acme", "zeta"] {
        auth.create_or_update_tenant(t, &TenantConfigInput::default(), &ctx)
            .await
            .expect("tenant");
    }
    let in_acme = SignInUpInput {
        tenant_id: "acme".into(),
        ..input("google", "g1", "a@x.com")
    };
    let SignInUpResult::Ok { recipe_user_id, .. } =
        auth.sign_in_up(&in_acme, &ctx).await.expect("sign up")
    else {
        panic!("status")
    };
    auth.associate_user_to_tenant("zeta", &recipe_user_id, &ctx)
        .await
        .expect("associate");
    auth.create_new_session("zeta", &recipe_user_id, &serde_json::json!({}), &ctx)
        .await
        .expect("session");
    auth.unverify_email(&recipe_user_id, None, &ctx)
        .await
        .expect("unverify");
    auth.create_primary_user(&recipe_user_id, &ctx)
        .await
        .expect("primary");
    auth.delete_user(&recipe_user_id, true, &ctx)
        .await
        .expect("delete");

    let names = async |tenant: &str, user: Option<&str>| -> Vec<EventName> {
        auth.list_events(&ListEventsInput {
            tenant_id: Some(tenant.into()),
            user_id: user.map(str::to_string),
            ..Default::default()
        })
        .await
        .expect("audit")
        .events
        .iter()
        .map(|e| e.event.name)
        .collect()
    };
    use EventName::*;
    // Tenant operations are filed under their tenant only; the others under every tenant of the user.
    assert_eq!(
        names("acme", None).await,
        vec![CreateUser, UpdateUser, UpdateUser, DeleteUser]
    );
    assert_eq!(
        names("zeta", None).await,
        vec![
            AddUserToTenant,
            Session,
            UpdateUser,
            UpdateUser,
            SignOut,
            DeleteUser
        ]
    );
    assert_eq!(
        names("zeta", Some(&recipe_user_id)).await,
        names("zeta", None).await,
        "user and tenant filters combine"
    );
    assert!(names("public", None).await.is_empty());
    // The envelope keeps one tenant: the first of the login method's.
    let deletion = auth
        .list_events(&ListEventsInput {
            tenant_id: Some("zeta".into()),
            ..Default::default()
        })
        .await
        .expect("audit")
        .events
        .pop()
        .expect("deleteUser");
    assert_eq!(deletion.event.name, DeleteUser);
    assert_eq!(deletion.event.tenant_id.as_deref(), Some("acme"));
}
