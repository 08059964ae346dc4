//! Expired sessions are purged: all of them at open, a bounded batch with each new session (issue #11).

use std::path::Path;

use authcore::*;

fn stored_sessions(path: &Path) -> i64 {
    let conn = rusqlite::Connection::open(path).expect("sqlite");
    conn.query_row("SELECT COUNT(*) FROM sessions", [], |r| r.get(0))
        .expect("count")
}

async fn user(auth: &AuthCore) -> String {
    let input = SignInUpInput {
        tenant_id: "public".into(),
        third_party_id: "google".into(),
        third_party_user_id: "g1".into(),
        email: EmailInput {
            id: "a@x.com".into(),
            is_verified: true,
        },
    };
    match auth
        .sign_in_up(&input, &UserContext::new())
        .await
        .expect("sign up")
    {
        SignInUpResult::Ok { recipe_user_id, .. } => recipe_user_id,
        other => panic!("{other:?}"),
    }
}

async fn sessions(auth: &AuthCore, user_id: &str, n: usize) -> Vec<String> {
    let mut handles = Vec::new();
    for _ in 0..n {
        let CreateNewSessionResult::Ok { session, .. } = auth
            .create_new_session(
                "public",
                user_id,
                &serde_json::json!({}),
                &UserContext::new(),
            )
            .await
            .expect("session");
        handles.push(session.session_handle);
    }
    handles
}

/// Makes every stored session but `keep` expired.
fn expire_all_but(path: &Path, keep: &[String]) {
    let conn = rusqlite::Connection::open(path).expect("sqlite");
    let mut stmt = conn
        .prepare("SELECT session_handle FROM sessions")
        .expect("prepare");
    let handles: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("rows");
    for h in handles.iter().filter(|h| !keep.contains(h)) {
        conn.execute(
            "UPDATE sessions SET expiry = 0 WHERE session_handle = ?1",
            [h],
        )
        .expect("expire");
    }
}

#[tokio::test]
async fn creating_a_session_purges_a_bounded_batch_of_expired_ones() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("a.db");
    let auth = AuthCore::open_sqlite(&path, AuthCoreConfig::default()).expect("open");
    let id = user(&auth).await;
    sessions(&auth, &id, 100).await;
    expire_all_but(&path, &[]);

    let fresh = sessions(&auth, &id, 1).await;
    assert_eq!(
        stored_sessions(&path),
        100 - 64 + 1,
        "one creation deletes 64 expired sessions, no more"
    );
    let second = sessions(&auth, &id, 1).await;
    let mut left = auth
        .get_all_session_handles_for_user(&id, true, &UserContext::new())
        .await
        .expect("handles");
    left.sort();
    let mut live = vec![fresh[0].clone(), second[0].clone()];
    live.sort();
    assert_eq!(left, live, "the backlog is gone, live sessions stay");
}

#[tokio::test]
async fn opening_purges_every_expired_session() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("a.db");
    let (id, live) = {
        let auth = AuthCore::open_sqlite(&path, AuthCoreConfig::default()).expect("open");
        let id = user(&auth).await;
        let mut handles = sessions(&auth, &id, 4).await;
        (id, handles.split_off(3))
    };
    expire_all_but(&path, &live);
    assert_eq!(stored_sessions(&path), 4);
    let auth = AuthCore::builder()
        .sqlite(&path)
        .expect("db")
        .open()
        .await
        .expect("open");
    assert_eq!(stored_sessions(&path), 1);
    assert_eq!(
        auth.get_all_session_handles_for_user(&id, true, &UserContext::new())
            .await
            .expect("handles"),
        live
    );
}
