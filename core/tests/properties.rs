//! Property test: random operation sequences over hostile inputs never panic, only return known error codes,
//! keep U3/U5, and an operation that errors or is refused leaves no trace.

mod common;

use authcore::{
    AccountInfo, AuthCore, AuthCoreConfig, CreatePrimaryUserResult, EmailInput, LinkAccountsResult,
    ManuallyCreateOrUpdateUserResult, SignInUpInput, SignInUpResult, TenantConfigInput,
    ThirdPartyInfo, UserContext,
};
use proptest::prelude::*;
use serde_json::{json, Value};

const CODES: &[&str] = &[
    "USER_NOT_IN_TENANT",
    "INVALID_INPUT",
    "EMPTY_FIELD",
    "FIELD_TOO_LONG",
    "INVALID_EMAIL",
    "INVALID_TENANT_ID",
    "TENANT_NOT_FOUND",
    "UNKNOWN_USER_ID",
    "CANNOT_DELETE_PUBLIC_TENANT",
    "PROVIDER_NOT_FOUND",
    "DUPLICATE_PROVIDER",
    "FIRST_FACTOR_NOT_ALLOWED",
    "INVALID_PAGINATION_TOKEN",
];

fn tricky_string() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(" ".to_string()),
        Just(" google".to_string()),
        Just("g".repeat(29)),
        Just("u".repeat(257)),
        Just("\u{0}x".to_string()),
        "[a-c]{1,2}",
        any::<String>().prop_map(|s| s.chars().take(40).collect()),
    ]
}

fn email() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a@x.com".to_string()),
        Just(" A@X.com\t".to_string()),
        Just("b@x.com".to_string()),
        Just("\u{a0}a@x.com".to_string()),
        Just("no-at".to_string()),
        Just(format!("{}@x.com", "e".repeat(260))),
        Just("ΣΑΣ@x.com".to_string()),
        tricky_string(),
    ]
}

fn tenant() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("public".to_string()),
        Just("t1".to_string()),
        Just("T1 ".to_string()),
        Just("t2".to_string()),
        tricky_string()
    ]
}

#[derive(Debug, Clone)]
enum Op {
    SignInUp {
        tenant: String,
        tp: String,
        uid: String,
        email: String,
        verified: bool,
        policy: bool,
    },
    CreatePrimary(usize, bool),
    Link(usize, usize),
    Unlink(usize),
    Delete(usize, bool),
    Associate(String, usize),
    Disassociate(String, usize),
    CreateTenant(String, Option<Vec<String>>),
    DeleteTenant(String),
    List(String, String),
    Verify(usize, bool),
    Session(String, usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (tenant(), prop_oneof![Just("google".to_string()), Just("github".to_string()), tricky_string()],
              prop_oneof![Just("u1".to_string()), Just("u2".to_string()), tricky_string()], email(), any::<bool>(), any::<bool>())
            .prop_map(|(tenant, tp, uid, email, verified, policy)| Op::SignInUp { tenant, tp, uid, email, verified, policy }),
        2 => (any::<usize>(), any::<bool>()).prop_map(|(i, g)| Op::CreatePrimary(i, g)),
        2 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Op::Link(a, b)),
        1 => any::<usize>().prop_map(Op::Unlink),
        1 => (any::<usize>(), any::<bool>()).prop_map(|(i, a)| Op::Delete(i, a)),
        1 => (tenant(), any::<usize>()).prop_map(|(t, i)| Op::Associate(t, i)),
        1 => (tenant(), any::<usize>()).prop_map(|(t, i)| Op::Disassociate(t, i)),
        1 => (tenant(), proptest::option::of(proptest::collection::vec(tricky_string(), 0..2))).prop_map(|(t, f)| Op::CreateTenant(t, f)),
        1 => tenant().prop_map(Op::DeleteTenant),
        1 => (tenant(), email()).prop_map(|(t, e)| Op::List(t, e)),
        1 => (any::<usize>(), any::<bool>()).prop_map(|(i, v)| Op::Verify(i, v)),
        1 => (tenant(), any::<usize>()).prop_map(|(t, i)| Op::Session(t, i)),
    ]
}

/// Everything observable: users, tenants.
async fn snapshot(auth: &AuthCore) -> Value {
    let users = common::invariants::all_users(auth).await;
    let tenants = auth
        .list_all_tenants(&UserContext::new())
        .await
        .expect("tenants");
    json!({"users": users, "tenants": tenants})
}

fn pick(ids: &[String], i: usize) -> String {
    if ids.is_empty() || i.is_multiple_of(7) {
        format!("unknown-{i}")
    } else {
        ids[i % ids.len()].clone()
    }
}

/// Runs one op. Returns `Ok(true)` if it may have written, `Ok(false)` if it must not have.
async fn run(auth: &AuthCore, ids: &mut Vec<String>, op: &Op) -> Result<bool, authcore::AuthError> {
    let ctx = UserContext::new();
    Ok(match op {
        Op::SignInUp {
            tenant,
            tp,
            uid,
            email,
            verified,
            policy,
        } => {
            let input = SignInUpInput {
                tenant_id: tenant.clone(),
                third_party_id: tp.clone(),
                third_party_user_id: uid.clone(),
                email: EmailInput {
                    id: email.clone(),
                    is_verified: *verified,
                },
            };
            if *policy {
                match auth.manually_create_or_update_user(&input, &ctx).await? {
                    ManuallyCreateOrUpdateUserResult::Ok { recipe_user_id, .. } => {
                        ids.push(recipe_user_id);
                        true
                    }
                    _ => false,
                }
            } else {
                match auth.sign_in_up(&input, &ctx).await? {
                    SignInUpResult::Ok { recipe_user_id, .. } => {
                        ids.push(recipe_user_id);
                        true
                    }
                    SignInUpResult::EmailChangeNotAllowedError { .. } => false,
                }
            }
        }
        Op::CreatePrimary(i, dry) => {
            let r = if *dry {
                auth.can_create_primary_user(&pick(ids, *i), &ctx).await?;
                return Ok(false);
            } else {
                auth.create_primary_user(&pick(ids, *i), &ctx).await?
            };
            matches!(
                r,
                CreatePrimaryUserResult::Ok {
                    was_already_a_primary_user: false,
                    ..
                }
            )
        }
        Op::Link(a, b) => {
            matches!(
                auth.link_accounts(&pick(ids, *a), &pick(ids, *b), &ctx)
                    .await?,
                LinkAccountsResult::Ok { .. }
            )
        }
        Op::Unlink(i) => {
            auth.unlink_account(&pick(ids, *i), &ctx).await?;
            true
        }
        Op::Delete(i, all) => {
            auth.delete_user(&pick(ids, *i), *all, &ctx).await?;
            true
        }
        Op::Associate(t, i) => {
            let r = auth
                .associate_user_to_tenant(t, &pick(ids, *i), &ctx)
                .await?;
            matches!(r, authcore::AssociateUserToTenantResult::Ok { .. })
        }
        Op::Disassociate(t, i) => {
            auth.disassociate_user_from_tenant(t, &pick(ids, *i), &ctx)
                .await?;
            true
        }
        Op::CreateTenant(t, f) => {
            let input = TenantConfigInput {
                first_factors: f.clone().map(Some),
                ..Default::default()
            };
            auth.create_or_update_tenant(t, &input, &ctx).await?;
            true
        }
        Op::DeleteTenant(t) => {
            auth.delete_tenant(t, &ctx).await?;
            true
        }
        Op::List(t, e) => {
            let info = AccountInfo {
                email: Some(e.clone()),
                ..Default::default()
            };
            auth.list_users_by_account_info(t, &info, true, &ctx)
                .await?;
            let tp = AccountInfo {
                third_party: Some(ThirdPartyInfo {
                    id: "google".into(),
                    user_id: e.clone(),
                }),
                ..Default::default()
            };
            auth.list_users_by_account_info(t, &tp, false, &ctx).await?;
            false
        }
        Op::Verify(i, v) => {
            let id = pick(ids, *i);
            if *v {
                let input = authcore::VerifyEmailInput {
                    recipe_user_id: id,
                    email: None,
                    attempt_account_linking: true,
                };
                auth.verify_email(&input, &ctx).await?;
            } else {
                auth.unverify_email(&id, None, &ctx).await?;
            }
            true
        }
        Op::Session(t, i) => {
            auth.create_new_session(t, &pick(ids, *i), &json!({"k": 1}), &ctx)
                .await?;
            true
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]
    #[test]
    fn random_operations_keep_invariants(ops in proptest::collection::vec(op(), 1..24), linking in any::<bool>()) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
        rt.block_on(async {
            let dir = tempfile::tempdir().expect("tmp");
            let mut config = AuthCoreConfig::default();
            config.account_linking.should_automatically_link = linking;
            let auth = AuthCore::open_sqlite(dir.path().join("p.db"), config).expect("open");
            auth.create_or_update_tenant("t1", &TenantConfigInput::default(), &UserContext::new()).await.expect("t1");
            let mut ids = Vec::new();
            for op in &ops {
                let before = snapshot(&auth).await;
                match run(&auth, &mut ids, op).await {
                    Ok(true) => {}
                    Ok(false) => assert_eq!(snapshot(&auth).await, before, "refused op changed state: {op:?}"),
                    Err(e) => {
                        assert!(CODES.contains(&e.code()), "unexpected error code {} for {op:?}: {e}", e.code());
                        assert_eq!(snapshot(&auth).await, before, "failed op changed state: {op:?}");
                    }
                }
                common::invariants::check_invariants(&auth).await;
            }
        });
    }
}
