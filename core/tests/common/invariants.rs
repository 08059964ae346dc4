//! Whole-database invariant checks used by the race and property tests and by the `operations` fuzz target
//! (which includes this file).

use std::collections::{HashMap, HashSet};

use authcore::{AuthCore, GetUsersInput, User, UserContext};

/// Every user, via paginated listing.
pub async fn all_users(auth: &AuthCore) -> Vec<User> {
    let ctx = UserContext::new();
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = auth
            .get_users(
                &GetUsersInput {
                    limit: Some(500),
                    pagination_token: token.clone(),
                    ..Default::default()
                },
                &ctx,
            )
            .await
            .expect("list users");
        out.extend(page.users);
        match page.next_pagination_token {
            Some(t) => token = Some(t),
            None => return out,
        }
    }
}

/// U1: one recipe user per (tenant, provider, provider user id).
/// U3: no two primary groups both present in a tenant and holding one email (in any tenant).
/// U5: each recipe user appears in exactly one group.
pub async fn check_invariants(auth: &AuthCore) {
    let users = all_users(auth).await;
    let mut holder: HashMap<(String, String), String> = HashMap::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut identities: HashSet<(String, String, String)> = HashSet::new();
    for u in &users {
        for lm in &u.login_methods {
            if let Some(prev) = seen.insert(lm.recipe_user_id.clone(), u.id.clone()) {
                panic!(
                    "recipe user {} in groups {prev} and {}",
                    lm.recipe_user_id, u.id
                );
            }
            if let Some(tp) = &lm.third_party {
                for t in &lm.tenant_ids {
                    let key = (t.clone(), tp.id.clone(), tp.user_id.clone());
                    assert!(
                        identities.insert(key.clone()),
                        "U1 broken: two recipe users for {key:?}"
                    );
                }
            }
        }
        if !u.is_primary_user {
            assert_eq!(
                u.login_methods.len(),
                1,
                "a non-primary user has exactly one login method"
            );
            continue;
        }
        for t in &u.tenant_ids {
            for e in &u.emails {
                if let Some(prev) = holder.insert((t.clone(), e.clone()), u.id.clone()) {
                    panic!(
                        "U3 broken: ({t}, {e}) held by primaries {prev} and {}",
                        u.id
                    );
                }
            }
        }
    }
}
