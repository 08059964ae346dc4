//! Host code that hangs or is cancelled (issue #11, finding 8): a time limit fails the call with
//! `HOST_TIMEOUT` and leaves the engine usable, and a cancelled call still leaves its request's flow, so the
//! events of what it committed are delivered without waiting for the next open.

mod common;
use common::post;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use authcore::events::{Event, FnHandler};
use authcore::*;

fn sign_in(uid: &str, email: &str) -> SignInUpInput {
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

/// `createPrimaryUser` never answers, like a host override awaiting something that never comes.
struct Hangs {
    original: Arc<dyn RecipeFunctions>,
}

#[async_trait]
impl RecipeFunctions for Hangs {
    fn original(&self) -> &dyn RecipeFunctions {
        &*self.original
    }
    async fn create_primary_user(
        &self,
        _recipe_user_id: &str,
        _ctx: &UserContext,
    ) -> Result<CreatePrimaryUserResult> {
        std::future::pending().await
    }
}

type Seen = Arc<Mutex<Vec<String>>>;

fn recorder() -> (Seen, Arc<dyn authcore::events::EventHandler>) {
    let seen: Seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let handler = FnHandler(move |e: Event| {
        s.lock().expect("lock").push(e.name.as_str().to_string());
        std::future::ready(Ok(()))
    });
    (seen, Arc::new(handler))
}

fn linking_on() -> AuthCoreConfig {
    let mut config = AuthCoreConfig::default();
    config.account_linking.should_automatically_link = true;
    config
}

#[tokio::test]
async fn a_cancelled_call_still_delivers_what_it_committed() {
    let dir = tempfile::tempdir().expect("tmp");
    let (seen, handler) = recorder();
    let auth = AuthCore::builder()
        .sqlite(dir.path().join("c.db"))
        .expect("db")
        .config(linking_on())
        .override_functions(|original| Arc::new(Hangs { original }))
        .on_any_event(handler)
        .build()
        .expect("build");
    let ctx = UserContext::new();
    // The sign-up commits (createUser), then linking waits forever in the override: the caller gives up.
    let input = sign_in("g1", "a@x.com");
    let call = auth.manually_create_or_update_user(&input, &ctx);
    assert!(tokio::time::timeout(Duration::from_millis(100), call)
        .await
        .is_err());
    let deadline = Instant::now() + Duration::from_secs(2);
    while seen.lock().expect("lock").is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(*seen.lock().expect("lock"), vec!["createUser"]);
    // The same request context is usable again: its next call delivers its own events when it returns.
    let r = auth
        .sign_in_up(&sign_in("g2", "b@x.com"), &ctx)
        .await
        .expect("sign-up");
    assert!(matches!(
        r,
        SignInUpResult::Ok {
            created_new_user: true,
            ..
        }
    ));
    assert_eq!(
        *seen.lock().expect("lock"),
        vec!["createUser", "createUser"]
    );
}

#[tokio::test]
async fn a_handler_past_the_host_timeout_fails_alone_and_is_retried() {
    let dir = tempfile::tempdir().expect("tmp");
    let calls = Arc::new(Mutex::new(0usize));
    let c = calls.clone();
    let slow = FnHandler(move |_e: Event| {
        let c = c.clone();
        async move {
            let first = {
                let mut n = c.lock().expect("lock");
                *n += 1;
                *n == 1
            };
            if first {
                tokio::time::sleep(Duration::from_secs(30)).await;
            }
            Ok(())
        }
    });
    let config = AuthCoreConfig {
        host_timeout_ms: 100,
        ..AuthCoreConfig::default()
    };
    let auth = AuthCore::builder()
        .sqlite(dir.path().join("t.db"))
        .expect("db")
        .config(config)
        .on_any_event(Arc::new(slow))
        .build()
        .expect("build");
    let started = Instant::now();
    auth.sign_in_up(&sign_in("g1", "a@x.com"), &UserContext::new())
        .await
        .expect("the operation succeeds; only the delivery failed");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let user = auth
        .list_users_by_account_info(
            "public",
            &AccountInfo {
                email: Some("a@x.com".into()),
                ..AccountInfo::default()
            },
            false,
            &UserContext::new(),
        )
        .await
        .expect("list");
    assert_eq!(user.len(), 1, "the committed user is there");
    // The timed-out delivery was recorded as a failure and is retried.
    let report = auth.deliver_pending_events().await.expect("redeliver");
    assert_eq!((report.delivered, report.failed), (1, 0));
    assert_eq!(*calls.lock().expect("lock"), 2);
}

/// `manuallyCreateOrUpdateUser` waits forever while the request's context says so, without calling `original`.
struct HangsWhenAsked {
    original: Arc<dyn RecipeFunctions>,
}

#[async_trait]
impl RecipeFunctions for HangsWhenAsked {
    fn original(&self) -> &dyn RecipeFunctions {
        &*self.original
    }
    async fn manually_create_or_update_user(
        &self,
        input: &ManuallyCreateOrUpdateUserInput,
        ctx: &UserContext,
    ) -> Result<ManuallyCreateOrUpdateUserResult> {
        if ctx.get("hang") == Some(serde_json::Value::Bool(true)) {
            std::future::pending::<()>().await;
        }
        self.original
            .manually_create_or_update_user(input, ctx)
            .await
    }
}

#[tokio::test]
async fn a_cancelled_session_linking_sign_in_leaves_no_linking_behind() {
    let dir = tempfile::tempdir().expect("tmp");
    let auth = AuthCore::builder()
        .sqlite(dir.path().join("l.db"))
        .expect("db")
        .config(linking_on())
        .override_functions(|original| Arc::new(HangsWhenAsked { original }))
        .build()
        .expect("build");
    let SignInUpPostResult::Ok {
        user: owner,
        access_token,
        ..
    } = auth
        .apis()
        .sign_in_up_post(
            &post("google", "owner", "owner@x.com", true),
            &UserContext::new(),
        )
        .await
        .expect("owner")
    else {
        panic!("owner sign-up")
    };
    // A session-linking sign-in is cancelled while the request's manuallyCreateOrUpdateUser waits.
    let ctx = UserContext::new();
    ctx.set("hang", serde_json::Value::Bool(true));
    let mut linking = post("google", "g2", "second@x.com", true);
    linking.existing_access_token = Some(access_token);
    linking.should_try_linking_with_session_user = Some(true);
    let call = auth.apis().sign_in_up_post(&linking, &ctx);
    assert!(tokio::time::timeout(Duration::from_millis(100), call)
        .await
        .is_err());
    // A later sign-in of the same request is an ordinary one: nothing links it to the session user.
    ctx.set("hang", serde_json::Value::Bool(false));
    let r = auth
        .manually_create_or_update_user(&sign_in("g3", "third@x.com"), &ctx)
        .await
        .expect("sign-up");
    let ManuallyCreateOrUpdateUserResult::Ok { user, .. } = r else {
        panic!("{r:?}")
    };
    assert_ne!(
        user.id, owner.id,
        "linked to the cancelled request's session user"
    );
}
