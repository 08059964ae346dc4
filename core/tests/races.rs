//! Concurrency: races settle to one user and never to two primary groups sharing a (tenant, email).

mod common;

use std::sync::{Arc, Barrier};

use authcore::{
    AuthCore, AuthCoreConfig, CreatePrimaryUserResult, EmailInput, LinkAccountsResult,
    SignInUpInput, SignInUpResult, UserContext,
};

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

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

/// Two engines on one file behave like two processes: each has its own writer connection and mutex.
fn two_engines(dir: &tempfile::TempDir) -> Vec<AuthCore> {
    let path = dir.path().join("race.db");
    (0..2)
        .map(|_| AuthCore::open_sqlite(&path, AuthCoreConfig::default()).expect("open"))
        .collect()
}

#[test]
fn thirty_two_threads_signing_up_one_identity_make_one_user() {
    let dir = tempfile::tempdir().expect("tmp");
    let engines = two_engines(&dir);
    let barrier = Arc::new(Barrier::new(32));
    let handles: Vec<_> = (0..32)
        .map(|i| {
            let auth = engines[i % 2].clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                rt().block_on(auth.sign_in_up(
                    &input("google", "same", "same@example.com"),
                    &UserContext::new(),
                ))
            })
        })
        .collect();
    let mut ids = std::collections::BTreeSet::new();
    let mut created = 0;
    for h in handles {
        match h.join().expect("thread").expect("sign in/up") {
            SignInUpResult::Ok {
                created_new_user,
                user,
                ..
            } => {
                created += usize::from(created_new_user);
                ids.insert(user.id);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(ids.len(), 1, "all 32 calls return the same user");
    assert_eq!(created, 1, "exactly one call created it");
    let users = rt().block_on(common::invariants::all_users(&engines[0]));
    assert_eq!(users.len(), 1);
}

#[test]
fn racing_create_primary_and_link_never_share_an_email_between_primaries() {
    let dir = tempfile::tempdir().expect("tmp");
    let engines = two_engines(&dir);
    let ctx = UserContext::new();
    let rt0 = rt();
    // 32 recipe users with one email, and 4 existing primaries with other emails.
    let mut recipe = Vec::new();
    for i in 0..32 {
        let r = rt0
            .block_on(
                engines[0].sign_in_up(&input("p", &format!("r{i}"), "shared@example.com"), &ctx),
            )
            .expect("su");
        let SignInUpResult::Ok { recipe_user_id, .. } = r else {
            panic!("signup")
        };
        recipe.push(recipe_user_id);
    }
    let mut primaries = Vec::new();
    for i in 0..4 {
        let r = rt0
            .block_on(engines[0].sign_in_up(
                &input("q", &format!("p{i}"), &format!("p{i}@example.com")),
                &ctx,
            ))
            .expect("su");
        let SignInUpResult::Ok { recipe_user_id, .. } = r else {
            panic!("signup")
        };
        let cp = rt0
            .block_on(engines[0].create_primary_user(&recipe_user_id, &ctx))
            .expect("cp");
        assert!(matches!(cp, CreatePrimaryUserResult::Ok { .. }));
        primaries.push(recipe_user_id);
    }
    let barrier = Arc::new(Barrier::new(32));
    let handles: Vec<_> = (0..32)
        .map(|i| {
            let auth = engines[i % 2].clone();
            let barrier = barrier.clone();
            let r = recipe[i].clone();
            let p = primaries[i % 4].clone();
            std::thread::spawn(move || {
                barrier.wait();
                let ctx = UserContext::new();
                let rt = rt();
                // Half try to become primary themselves, half try to join an existing primary.
                if i % 2 == 0 {
                    rt.block_on(auth.create_primary_user(&r, &ctx))
                        .map(|x| matches!(x, CreatePrimaryUserResult::Ok { .. }))
                } else {
                    rt.block_on(auth.link_accounts(&r, &p, &ctx))
                        .map(|x| matches!(x, LinkAccountsResult::Ok { .. }))
                }
            })
        })
        .collect();
    let successes = handles
        .into_iter()
        .map(|h| h.join().expect("thread").expect("no error"))
        .filter(|ok| *ok)
        .count();
    assert!(successes >= 1, "someone must win");
    rt0.block_on(common::invariants::check_invariants(&engines[0]));
    // Exactly one primary group holds the shared email; every winner joined that group.
    let users = rt0.block_on(common::invariants::all_users(&engines[0]));
    let holders: Vec<_> = users
        .iter()
        .filter(|u| u.is_primary_user && u.emails.iter().any(|e| e == "shared@example.com"))
        .collect();
    assert_eq!(
        holders.len(),
        1,
        "one primary holds the shared email: {holders:#?}"
    );
    let shared_members = holders[0]
        .login_methods
        .iter()
        .filter(|lm| lm.email.as_deref() == Some("shared@example.com"))
        .count();
    assert_eq!(
        shared_members, successes,
        "each successful writer's login method is in the winning group"
    );
}

#[test]
fn concurrent_automatic_linking_keeps_u3() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("al.db");
    let mut config = AuthCoreConfig::default();
    config.account_linking.should_automatically_link = true;
    let auth = AuthCore::open_sqlite(&path, config).expect("open");
    let barrier = Arc::new(Barrier::new(16));
    let handles: Vec<_> = (0..16)
        .map(|i| {
            let auth = auth.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                rt().block_on(auth.manually_create_or_update_user(
                    &input(&format!("prov{i}"), "u", "same@example.com"),
                    &UserContext::new(),
                ))
            })
        })
        .collect();
    for h in handles {
        h.join().expect("thread").expect("no error");
    }
    let rt0 = rt();
    rt0.block_on(common::invariants::check_invariants(&auth));
    let users = rt0.block_on(common::invariants::all_users(&auth));
    assert_eq!(
        users.len(),
        1,
        "16 verified sign-ups with one email end in one group: {users:#?}"
    );
    assert_eq!(users[0].login_methods.len(), 16);
}
