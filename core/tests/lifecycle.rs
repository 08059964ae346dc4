//! `shutdown()` (issue #12): requests already inside finish, pending events are delivered, and from then on
//! every declared operation answers `SHUT_DOWN`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use authcore::events::{Event, FnHandler};
use authcore::ops::OPERATIONS;
use authcore::*;
use serde_json::json;

fn sign_in(uid: &str) -> SignInUpInput {
    SignInUpInput {
        tenant_id: "public".into(),
        third_party_id: "google".into(),
        third_party_user_id: uid.into(),
        email: EmailInput {
            id: format!("{uid}@x.com"),
            is_verified: true,
        },
    }
}

/// `signInUp` takes a while, like an override awaiting a slow host.
struct Slow {
    original: Arc<dyn RecipeFunctions>,
}

#[async_trait]
impl RecipeFunctions for Slow {
    fn original(&self) -> &dyn RecipeFunctions {
        &*self.original
    }
    async fn sign_in_up(&self, input: &SignInUpInput, ctx: &UserContext) -> Result<SignInUpResult> {
        tokio::time::sleep(Duration::from_millis(150)).await;
        self.original.sign_in_up(input, ctx).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_requests_inside_finish_delivers_pending_events_then_refuses_everything() {
    let dir = tempfile::tempdir().expect("tmp");
    // The handler fails its first delivery, so one event is pending when shutdown starts.
    let attempts = Arc::new(AtomicUsize::new(0));
    let delivered: Arc<Mutex<Vec<String>>> = Arc::default();
    let (a, d) = (attempts.clone(), delivered.clone());
    let handler = FnHandler(move |e: Event| {
        let first = a.fetch_add(1, Ordering::SeqCst) == 0;
        let d = d.clone();
        async move {
            if first {
                return Err(AuthError::host("down"));
            }
            d.lock().expect("lock").push(e.name.as_str().to_string());
            Ok(())
        }
    });
    let auth = AuthCore::builder()
        .sqlite(dir.path().join("a.db"))
        .expect("db")
        .override_functions(|original| Arc::new(Slow { original }))
        .on_any_event(Arc::new(handler))
        .open()
        .await
        .expect("open");
    let ctx = UserContext::new();
    auth.sign_in_up(&sign_in("first"), &ctx)
        .await
        .expect("sign-up");
    assert!(
        delivered.lock().expect("lock").is_empty(),
        "the first delivery failed"
    );

    let inside = {
        let auth = auth.clone();
        tokio::spawn(async move {
            auth.sign_in_up(&sign_in("inside"), &UserContext::new())
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(30)).await;
    let report = auth.shutdown().await.expect("shutdown");
    let finished = inside
        .await
        .expect("join")
        .expect("the request inside finishes");
    let SignInUpResult::Ok {
        created_new_user: true,
        user,
        ..
    } = finished
    else {
        panic!("the request inside signs up: {finished:?}")
    };
    assert_eq!(
        report.delivered, 1,
        "shutdown delivered the pending event: {report:?}"
    );
    assert_eq!(
        *delivered.lock().expect("lock"),
        vec!["createUser", "createUser"],
        "both sign-ups' events are delivered by the time shutdown returns"
    );

    for op in OPERATIONS {
        let err = auth
            .call(op.name, json!({}), &UserContext::new())
            .await
            .expect_err(op.name);
        // Arguments are checked before the engine is reached, so an empty object may be INVALID_INPUT first.
        assert!(
            matches!(err.code(), "SHUT_DOWN" | "INVALID_INPUT"),
            "{}: {err}",
            op.name
        );
    }
    let examples = [
        (
            "signInUp",
            json!({"thirdPartyId": "google", "thirdPartyUserId": "x", "email": {"id": "x@x.com", "isVerified": true}}),
        ),
        ("getUser", json!({"userId": user.id})),
        ("listAllTenants", json!({})),
        ("listEvents", json!({})),
        ("deliverPendingEvents", json!({})),
        (
            "createNewSession",
            json!({"tenantId": "public", "recipeUserId": user.id}),
        ),
    ];
    for (op, args) in examples {
        let err = auth
            .call(op, args, &UserContext::new())
            .await
            .expect_err(op);
        assert_eq!(err.code(), "SHUT_DOWN", "{op}");
    }
    assert_eq!(
        auth.shutdown()
            .await
            .expect("a second shutdown does nothing"),
        Default::default()
    );
}
