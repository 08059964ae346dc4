//! Races on PostgreSQL (feature `postgres`): two engines, each with its own store and connection pool, on one
//! schema behave like two app servers sharing a database. Needs `AUTHCORE_TEST_POSTGRES` (failing under CI
//! without it, skipped elsewhere).

#![cfg(feature = "postgres")]

mod common;

use std::collections::{BTreeMap, BTreeSet};
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

/// Two engines on one new schema: separate stores, pools and writer connections, as two processes have.
fn two_engines(url: &str, config: AuthCoreConfig) -> Vec<AuthCore> {
    let schema = common::pg::fresh_schema();
    (0..2)
        .map(|_| {
            rt().block_on(
                AuthCore::builder()
                    .postgres(url, Some(&schema))
                    .expect("open the schema")
                    .config(config.clone())
                    .open(),
            )
            .expect("open")
        })
        .collect()
}

#[test]
fn two_engines_racing_sign_ups_of_the_same_identities_make_one_user_each() {
    let Some(url) = common::pg::url("the PostgreSQL sign-up race") else {
        return;
    };
    const THREADS: usize = 8;
    const IDENTITIES: usize = 40;
    let engines = two_engines(&url, AuthCoreConfig::default());
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let auth = engines[t % 2].clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                let rt = rt();
                let ctx = UserContext::new();
                // Every thread signs up every identity, each thread in its own rotated order.
                (0..IDENTITIES)
                    .map(|k| (k + t * 7) % IDENTITIES)
                    .map(|i| {
                        let r = rt.block_on(auth.sign_in_up(
                            &input("google", &format!("g{i}"), &format!("u{i}@example.com")),
                            &ctx,
                        ));
                        match r {
                            Ok(SignInUpResult::Ok {
                                created_new_user,
                                user,
                                ..
                            }) => (i, user.id, created_new_user),
                            other => panic!("identity {i}: unexpected {other:?}"),
                        }
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut users: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    let mut created = 0;
    for h in handles {
        for (i, id, new) in h.join().expect("thread") {
            users.entry(i).or_default().insert(id);
            created += usize::from(new);
        }
    }
    assert_eq!(users.len(), IDENTITIES);
    for (i, ids) in &users {
        assert_eq!(ids.len(), 1, "identity {i} got several users: {ids:?}");
    }
    assert_eq!(
        created, IDENTITIES,
        "each identity was created exactly once"
    );
    let rt0 = rt();
    rt0.block_on(common::invariants::check_invariants(&engines[0]));
    let all = rt0.block_on(common::invariants::all_users(&engines[1]));
    assert_eq!(all.len(), IDENTITIES);
}

#[test]
fn two_engines_racing_create_primary_and_link_never_share_an_email_between_primaries() {
    let Some(url) = common::pg::url("the PostgreSQL linking race") else {
        return;
    };
    let engines = two_engines(&url, AuthCoreConfig::default());
    let ctx = UserContext::new();
    let rt0 = rt();
    let mut recipe = Vec::new();
    for i in 0..16 {
        let r = rt0
            .block_on(
                engines[0].sign_in_up(&input("p", &format!("r{i}"), "shared@example.com"), &ctx),
            )
            .expect("sign-up");
        let SignInUpResult::Ok { recipe_user_id, .. } = r else {
            panic!("sign-up")
        };
        recipe.push(recipe_user_id);
    }
    let mut primaries = Vec::new();
    for i in 0..4 {
        let r = rt0
            .block_on(engines[1].sign_in_up(
                &input("q", &format!("p{i}"), &format!("p{i}@example.com")),
                &ctx,
            ))
            .expect("sign-up");
        let SignInUpResult::Ok { recipe_user_id, .. } = r else {
            panic!("sign-up")
        };
        let cp = rt0
            .block_on(engines[1].create_primary_user(&recipe_user_id, &ctx))
            .expect("create primary");
        assert!(matches!(cp, CreatePrimaryUserResult::Ok { .. }));
        primaries.push(recipe_user_id);
    }
    let barrier = Arc::new(Barrier::new(recipe.len()));
    let handles: Vec<_> = recipe
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let auth = engines[i % 2].clone();
            let barrier = barrier.clone();
            let r = r.clone();
            let p = primaries[i % 4].clone();
            std::thread::spawn(move || {
                barrier.wait();
                let ctx = UserContext::new();
                let rt = rt();
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
}
