//! The store conformance suite: what every [`Store`] must do, run against SQLite today and against any future
//! store (PostgreSQL) by calling [`run_all`] with a factory for fresh, empty stores. Each check panics with a
//! message naming the broken expectation.

use std::sync::Arc;

use super::{
    AccountKey, Constraint, EventFilter, EventRow, FlowTake, NewRecipeUser, OAuthFlowRow,
    Reservation, SessionRow, Store, StoreError,
};
use crate::model::ThirdPartyInfo;
use crate::recipes::tenants::TenantConfig;

/// A named check.
pub type Check = (&'static str, fn(&dyn Store));

/// The list of checks, once: [`checks`] and [`store_conformance_tests!`](crate::store_conformance_tests) are
/// derived from it. The check functions are private and used only through this list, so a check written but
/// not listed is dead code, which the lints refuse.
#[doc(hidden)]
#[macro_export]
macro_rules! for_each_conformance_check {
    ($m:path, $($pass:tt)*) => {
        $m! { ($($pass)*)
            public_tenant_exists "public tenant exists after open",
            commit_and_rollback "commit persists, drop rolls back",
            u1_violation_is_typed "U1 is a typed unique violation and the tx stays usable",
            duplicate_user_id "duplicate user id is a typed violation",
            reservations_are_exclusive "reservations are exclusive and typed",
            third_party_tuples_do_not_collide "third-party reservations are tuples (D5)",
            group_id_survives "groups survive deletion of the primary's own row",
            tenant_delete_cascades "tenant deletion cascades memberships and reservations, keeps users",
            lookups_are_per_tenant "lookups are per tenant",
            listing_pages "listing pages in a stable order",
            sessions_round_trip "sessions round-trip and delete",
            verification_keys "email verification keyed by (user, email)",
            read_isolation "a read transaction does not see uncommitted writes",
            outbox "the outbox keeps order, pending, failures, audit lookups and retention",
            outbox_seq_never_goes_back "outbox seqs never go back, even after the table was emptied",
            outbox_claims_are_exclusive "two claimers never get the same outbox row while its lease is live",
            outbox_expired_leases_are_claimable "an expired (or released) delivery lease is claimable again",
            outbox_delivered_rows_are_never_claimed "a delivered outbox row is never claimed",
            events_filed_under_several_tenants "an event is listed under every tenant it is filed under",
            expired_sessions_purge "expired sessions are deleted in bounded batches",
            counting_groups "users are counted as groups, per tenant and across tenants",
            oauth_flows_are_taken_once "a stored OAuth flow is taken once, expires, and is purged",
        }
    };
}

/// One `#[test]` per conformance check, each on a fresh store from `$make` (an expression of type
/// `impl Fn() -> Arc<dyn Store>`), named after its check: a failing check shows as its own test. Use it in a
/// test crate of any store: `authcore::store_conformance_tests!(|| my_fresh_store());`.
#[macro_export]
macro_rules! store_conformance_tests {
    ($make:expr) => {
        $crate::for_each_conformance_check!($crate::__conformance_tests, $make);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_tests {
    (($make:expr) $($check:ident $name:literal,)*) => {
        $(
            #[test]
            fn $check() {
                let make = $make;
                $crate::store::conformance::run_one(stringify!($check), &make);
            }
        )*
    };
}

macro_rules! checks_table {
    (() $($check:ident $name:literal,)*) => {
        /// Every check, in order, as (function name, description, function).
        fn table() -> Vec<(&'static str, &'static str, fn(&dyn Store))> {
            vec![$((stringify!($check), $name, $check as fn(&dyn Store))),*]
        }
    };
}

crate::for_each_conformance_check!(checks_table,);

/// Every check, in order, by description.
pub fn checks() -> Vec<Check> {
    table().into_iter().map(|(_, name, f)| (name, f)).collect()
}

fn run_check(name: &str, check: fn(&dyn Store), store: &dyn Store) {
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(store)));
    if let Err(e) = result {
        let msg = e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()));
        panic!(
            "store conformance check '{name}' failed: {}",
            msg.unwrap_or_default()
        );
    }
}

/// Runs the check whose function is named `check` on a fresh store from `make` (what
/// `store_conformance_tests!` calls).
pub fn run_one(check: &str, make: &dyn Fn() -> Arc<dyn Store>) {
    let Some((_, name, f)) = table().into_iter().find(|(id, _, _)| *id == check) else {
        panic!("no store conformance check named {check}");
    };
    let store = make();
    run_check(name, f, &*store);
}

/// Runs every check on a fresh store from `make`.
pub fn run_all(make: &dyn Fn() -> Arc<dyn Store>) {
    for (_, name, check) in table() {
        let store = make();
        run_check(name, check, &*store);
    }
}

fn member_ids(rows: Vec<super::RecipeUserRow>) -> Vec<String> {
    rows.into_iter().map(|r| r.recipe_user_id).collect()
}

fn tp(id: &str, uid: &str) -> ThirdPartyInfo {
    ThirdPartyInfo {
        id: id.into(),
        user_id: uid.into(),
    }
}

fn add_user(store: &dyn Store, id: &str, tenant: &str, t: &ThirdPartyInfo, email: &str, time: i64) {
    let mut tx = store.write().expect("write tx");
    tx.insert_third_party_user(&NewRecipeUser {
        recipe_user_id: id,
        tenant_id: tenant,
        email,
        third_party: t,
        time_joined: time,
    })
    .expect("insert user");
    tx.commit().expect("commit");
}

fn add_tenant(store: &dyn Store, id: &str) {
    let mut tx = store.write().expect("write tx");
    tx.upsert_tenant(id, &TenantConfig::default(), 0)
        .expect("tenant");
    tx.commit().expect("commit");
}

fn public_tenant_exists(store: &dyn Store) {
    let mut tx = store.read().expect("read tx");
    assert!(tx.tenant("public").expect("tenant").is_some());
}

fn commit_and_rollback(store: &dyn Store) {
    add_user(store, "u1", "public", &tp("g", "1"), "a@x.com", 1);
    {
        let mut tx = store.write().expect("write tx");
        tx.set_email("u1", "b@x.com").expect("set");
    }
    let mut tx = store.read().expect("read");
    let row = tx.recipe_user("u1").expect("row").expect("exists");
    assert_eq!(
        row.email.as_deref(),
        Some("a@x.com"),
        "dropped tx must roll back"
    );
    assert_eq!(row.tenant_ids, vec!["public".to_string()]);
}

fn u1_violation_is_typed(store: &dyn Store) {
    add_user(store, "u1", "public", &tp("g", "1"), "a@x.com", 1);
    let mut tx = store.write().expect("write tx");
    let e = tx
        .insert_third_party_user(&NewRecipeUser {
            recipe_user_id: "u2",
            tenant_id: "public",
            email: "z@x.com",
            third_party: &tp("g", "1"),
            time_joined: 2,
        })
        .expect_err("U1 must be enforced by the store");
    assert_eq!(
        e,
        StoreError::UniqueViolation(Constraint::ThirdPartyInTenant)
    );
    assert_eq!(
        member_ids(
            tx.group_of_third_party_user("public", &tp("g", "1"))
                .expect("lookup")
        ),
        vec!["u1"]
    );
}

fn duplicate_user_id(store: &dyn Store) {
    add_user(store, "u1", "public", &tp("g", "1"), "a@x.com", 1);
    let mut tx = store.write().expect("write tx");
    let e = tx
        .insert_third_party_user(&NewRecipeUser {
            recipe_user_id: "u1",
            tenant_id: "public",
            email: "a@x.com",
            third_party: &tp("g", "2"),
            time_joined: 2,
        })
        .expect_err("duplicate id");
    assert_eq!(e, StoreError::UniqueViolation(Constraint::UserId));
}

fn reservations_are_exclusive(store: &dyn Store) {
    let r = Reservation {
        tenant_id: "public".into(),
        key: AccountKey::Email("a@x.com".into()),
    };
    let mut tx = store.write().expect("write tx");
    tx.insert_reservation(&r, "p1").expect("first holder");
    assert_eq!(
        tx.insert_reservation(&r, "p2"),
        Err(StoreError::UniqueViolation(Constraint::Reservation))
    );
    assert_eq!(
        tx.reservation_holder(&r).expect("holder").as_deref(),
        Some("p1")
    );
    tx.delete_reservation(&r, "p2")
        .expect("delete by non-holder is a no-op");
    assert_eq!(tx.reservations_of("p1").expect("list"), vec![r.clone()]);
    tx.delete_reservation(&r, "p1").expect("delete");
    assert!(tx.reservations_of("p1").expect("list").is_empty());
}

fn third_party_tuples_do_not_collide(store: &dyn Store) {
    let a = Reservation {
        tenant_id: "public".into(),
        key: AccountKey::ThirdParty(tp("a::b", "c")),
    };
    let b = Reservation {
        tenant_id: "public".into(),
        key: AccountKey::ThirdParty(tp("a", "b::c")),
    };
    let mut tx = store.write().expect("write tx");
    tx.insert_reservation(&a, "p1").expect("a");
    tx.insert_reservation(&b, "p2")
        .expect("b must not collide with a");
}

fn group_id_survives(store: &dyn Store) {
    add_user(store, "p", "public", &tp("g", "1"), "a@x.com", 1);
    add_user(store, "m", "public", &tp("h", "1"), "a@x.com", 2);
    let mut tx = store.write().expect("write tx");
    tx.set_group("p", "p", true).expect("primary");
    tx.set_group("m", "p", true).expect("link");
    assert_eq!(
        member_ids(
            tx.group_of_third_party_user("public", &tp("h", "1"))
                .expect("by provider")
        ),
        vec!["p", "m"],
        "the provider lookup returns the whole group, in timeJoined order"
    );
    tx.delete_recipe_user("p").expect("delete primary row");
    assert_eq!(
        tx.group_id_of("p").expect("by primary id").as_deref(),
        Some("p")
    );
    assert_eq!(
        tx.group_id_of("m").expect("by member").as_deref(),
        Some("p")
    );
    assert!(
        tx.user_id_taken("p").expect("taken"),
        "a live group id must not be reused"
    );
    let members = tx.group_members("p").expect("members");
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].recipe_user_id, "m");
}

fn tenant_delete_cascades(store: &dyn Store) {
    add_tenant(store, "t1");
    add_user(store, "u", "t1", &tp("g", "1"), "a@x.com", 1);
    let r = Reservation {
        tenant_id: "t1".into(),
        key: AccountKey::Email("a@x.com".into()),
    };
    let mut tx = store.write().expect("write tx");
    tx.insert_reservation(&r, "u").expect("reserve");
    assert!(tx.delete_tenant("t1").expect("delete"));
    assert!(!tx.delete_tenant("t1").expect("delete again"));
    let row = tx.recipe_user("u").expect("row").expect("the user stays");
    assert!(row.tenant_ids.is_empty());
    assert!(tx.reservations_of("u").expect("res").is_empty());
    assert!(tx.tenant("t1").expect("tenant").is_none());
}

fn lookups_are_per_tenant(store: &dyn Store) {
    add_tenant(store, "t1");
    add_user(store, "u0", "public", &tp("g", "1"), "a@x.com", 1);
    add_user(store, "u1", "t1", &tp("g", "1"), "a@x.com", 2);
    let mut tx = store.read().expect("read");
    assert_eq!(
        member_ids(
            tx.group_of_third_party_user("t1", &tp("g", "1"))
                .expect("l")
        ),
        vec!["u1"]
    );
    assert!(tx
        .group_of_third_party_user("t2", &tp("g", "1"))
        .expect("l")
        .is_empty());
    assert_eq!(
        tx.group_ids_by_email("public", "a@x.com").expect("l"),
        vec!["u0".to_string()]
    );
    assert_eq!(
        tx.group_ids_by_third_party("t1", &tp("g", "1")).expect("l"),
        vec!["u1".to_string()]
    );
    assert!(tx
        .group_ids_by_email("t1", "b@x.com")
        .expect("l")
        .is_empty());
}

fn listing_pages(store: &dyn Store) {
    for i in 0..5 {
        add_user(
            store,
            &format!("u{i}"),
            "public",
            &tp("g", &i.to_string()),
            "a@x.com",
            10 - i as i64 % 2,
        );
    }
    let mut tx = store.read().expect("read");
    let all = tx.list_groups(None, None, false, 10).expect("all");
    assert_eq!(all.len(), 5);
    assert!(
        all.windows(2).all(|w| w[0] < w[1]),
        "ascending by (time, id)"
    );
    let first = tx.list_groups(None, None, false, 2).expect("p1");
    let second = tx.list_groups(None, first.last(), false, 2).expect("p2");
    assert_eq!(&all[0..2], &first[..]);
    assert_eq!(&all[2..4], &second[..]);
    let desc = tx
        .list_groups(Some("public"), None, true, 10)
        .expect("desc");
    let mut rev = all.clone();
    rev.reverse();
    assert_eq!(desc, rev);
}

fn sessions_round_trip(store: &dyn Store) {
    add_user(store, "u", "public", &tp("g", "1"), "a@x.com", 1);
    let row = SessionRow {
        session_handle: "h1".into(),
        secret_hash: vec![1, 2, 3],
        user_id: "u".into(),
        recipe_user_id: "u".into(),
        tenant_id: "public".into(),
        access_token_payload: "{}".into(),
        time_created: 5,
        expiry: 10,
    };
    let mut tx = store.write().expect("write");
    tx.insert_session(&row).expect("insert");
    assert_eq!(
        tx.insert_session(&row),
        Err(StoreError::UniqueViolation(Constraint::SessionHandle))
    );
    assert_eq!(tx.session("h1").expect("get"), Some(row.clone()));
    assert_eq!(
        tx.session_handles_for(&["u".into()], Some("public"))
            .expect("by user"),
        vec!["h1".to_string()]
    );
    assert!(tx
        .session_handles_for(&["u".into()], Some("t9"))
        .expect("by user")
        .is_empty());
    assert!(tx.delete_session("h1").expect("delete"));
    assert!(!tx.delete_session("h1").expect("delete twice"));
}

fn oauth_flows_are_taken_once(store: &dyn Store) {
    let flow = |key: u8, expires_at: i64| OAuthFlowRow {
        state_hash: vec![key; 32],
        tenant_id: "public".into(),
        third_party_id: "oidc".into(),
        client_type: Some("web".into()),
        redirect_uri: "https://app.example/cb".into(),
        pkce_code_verifier: Some("verifier".into()),
        nonce: None,
        expires_at,
    };
    let mut tx = store.write().expect("write");
    tx.insert_oauth_flow(&flow(1, 100)).expect("insert");
    tx.insert_oauth_flow(&flow(2, 50)).expect("insert");
    tx.commit().expect("commit");
    let mut tx = store.write().expect("write");
    assert_eq!(
        tx.take_oauth_flow(&[9; 32], 10).expect("take"),
        FlowTake::Unknown
    );
    assert_eq!(
        tx.take_oauth_flow(&[1; 32], 10).expect("take"),
        FlowTake::Taken(flow(1, 100))
    );
    assert_eq!(
        tx.take_oauth_flow(&[1; 32], 10).expect("again"),
        FlowTake::Used
    );
    assert_eq!(
        tx.take_oauth_flow(&[2; 32], 50).expect("late"),
        FlowTake::Expired
    );
    assert_eq!(
        tx.take_oauth_flow(&[2; 32], 50).expect("late again"),
        FlowTake::Used
    );
    tx.commit().expect("commit");
    let mut tx = store.write().expect("write");
    assert_eq!(tx.delete_stale_oauth_flows(60, 10).expect("purge"), 1);
    assert_eq!(
        tx.take_oauth_flow(&[2; 32], 60).expect("purged"),
        FlowTake::Unknown
    );
    assert_eq!(
        tx.take_oauth_flow(&[1; 32], 60).expect("kept"),
        FlowTake::Used
    );
}

fn verification_keys(store: &dyn Store) {
    add_user(store, "u", "public", &tp("g", "1"), "a@x.com", 1);
    let mut tx = store.write().expect("write");
    assert!(tx.set_email_verified("u", "a@x.com").expect("set"));
    assert!(!tx.set_email_verified("u", "a@x.com").expect("set twice"));
    assert!(tx.is_email_verified("u", "a@x.com").expect("get"));
    assert!(!tx.is_email_verified("u", "b@x.com").expect("other email"));
    assert!(tx.recipe_user("u").expect("row").expect("u").verified);
    tx.set_email("u", "b@x.com").expect("change");
    assert!(
        !tx.recipe_user("u").expect("row").expect("u").verified,
        "a new email starts unverified"
    );
    tx.set_email("u", "a@x.com").expect("back");
    assert!(
        tx.recipe_user("u").expect("row").expect("u").verified,
        "switching back finds the old row"
    );
    tx.delete_recipe_user("u").expect("delete");
    assert!(!tx
        .is_email_verified("u", "a@x.com")
        .expect("gone with the user"));
}

fn read_isolation(store: &dyn Store) {
    let mut w = store.write().expect("write");
    w.insert_third_party_user(&NewRecipeUser {
        recipe_user_id: "u",
        tenant_id: "public",
        email: "a@x.com",
        third_party: &tp("g", "1"),
        time_joined: 1,
    })
    .expect("insert");
    {
        let mut r = store.read().expect("read beside a writer");
        assert!(
            r.recipe_user("u").expect("get").is_none(),
            "uncommitted row visible to a reader"
        );
    }
    w.commit().expect("commit");
    let mut r = store.read().expect("read");
    assert!(r.recipe_user("u").expect("get").is_some());
}

fn event(n: i64, user: &str, tenant: &str, time: i64) -> EventRow {
    EventRow {
        seq: 0,
        event_id: format!("e{n}"),
        name: "createUser".into(),
        time,
        tenant_id: Some(tenant.into()),
        tenant_ids: vec![tenant.into()],
        user_id: Some(user.into()),
        payload: format!("{{\"n\":{n}}}"),
        delivered_at: None,
        attempts: 0,
        last_error: None,
        lease_until: None,
        claimed_by: None,
    }
}

fn outbox(store: &dyn Store) {
    let mut tx = store.write().expect("write");
    let seqs: Vec<i64> = (0..6)
        .map(|n| {
            tx.insert_event(&event(
                n,
                if n % 2 == 0 { "u1" } else { "u2" },
                "public",
                100 + n,
            ))
            .expect("insert")
        })
        .collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "seq follows commit order"
    );
    tx.commit().expect("commit");

    let mut tx = store.write().expect("write");
    // Nothing delivered yet: all six are pending (time horizon far away).
    assert_eq!(
        tx.pending_events(0, i64::MAX, 100).expect("pending").len(),
        6
    );
    // The horizon leaves young never-attempted events to their request.
    assert_eq!(tx.pending_events(0, 102, 100).expect("pending").len(), 3);
    tx.mark_events_delivered(seqs[0], seqs[2], 500)
        .expect("deliver 0..=2");
    tx.record_event_failure(seqs[3], "down").expect("fail 3");
    assert!(tx.delete_undelivered_event(seqs[5]).expect("cancel 5"));
    assert!(!tx
        .delete_undelivered_event(seqs[0])
        .expect("delivered rows stay"));
    tx.advance_delivery_watermark().expect("watermark");
    let pending: Vec<i64> = tx
        .pending_events(0, i64::MAX, 100)
        .expect("pending")
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(
        pending,
        vec![seqs[3], seqs[4]],
        "the failed one and the never-attempted one"
    );
    let failed = tx.pending_events(seqs[4], 0, 100).expect("pending");
    assert!(failed.is_empty(), "after_seq bounds the sweep");
    let only_failed: Vec<i64> = tx
        .pending_events(0, 0, 100)
        .expect("pending")
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(
        only_failed,
        vec![seqs[3]],
        "a failed event is pending whatever its age"
    );
    tx.commit().expect("commit");

    let mut tx = store.write().expect("write");
    tx.index_audit_log().expect("index");
    let by_user =
        |tx: &mut Box<dyn super::StoreTx + '_>, user: &str, after: Option<i64>| -> Vec<i64> {
            let f = EventFilter {
                user_id: Some(user.into()),
                after_seq: after,
                ..Default::default()
            };
            tx.list_events(&f, 100)
                .expect("list")
                .iter()
                .map(|e| e.seq)
                .collect()
        };
    assert_eq!(
        by_user(&mut tx, "u1", None),
        vec![seqs[0], seqs[2], seqs[4]]
    );
    assert_eq!(by_user(&mut tx, "u2", Some(seqs[1])), vec![seqs[3]]);
    let tenant = EventFilter {
        tenant_id: Some("public".into()),
        ..Default::default()
    };
    assert_eq!(tx.list_events(&tenant, 2).expect("list").len(), 2, "limit");
    let window = EventFilter {
        since: Some(101),
        until: Some(102),
        ..Default::default()
    };
    assert_eq!(
        tx.list_events(&window, 100).expect("list").len(),
        2,
        "time window"
    );
    let row = tx
        .list_events(&EventFilter::default(), 1)
        .expect("list")
        .remove(0);
    assert_eq!(
        (
            row.event_id.as_str(),
            row.payload.as_str(),
            row.delivered_at
        ),
        ("e0", "{\"n\":0}", Some(500))
    );
    // Retention removes delivered old rows and their index entries, never undelivered ones.
    assert_eq!(
        tx.delete_delivered_events_before(102).expect("retention"),
        2
    );
    assert_eq!(by_user(&mut tx, "u1", None), vec![seqs[2], seqs[4]]);
    tx.commit().expect("commit");
}

fn outbox_seq_never_goes_back(store: &dyn Store) {
    let mut tx = store.write().expect("write");
    let first: Vec<i64> = (0..3)
        .map(|n| {
            tx.insert_event(&event(n, "u1", "public", 100))
                .expect("insert")
        })
        .collect();
    tx.commit().expect("commit");
    // The newest row cancelled (as a link cancels its createUser), then a new event in the same transaction.
    let mut tx = store.write().expect("write");
    assert!(tx.delete_undelivered_event(first[2]).expect("cancel"));
    let after_cancel = tx
        .insert_event(&event(3, "u2", "public", 100))
        .expect("insert");
    assert!(
        after_cancel > first[2],
        "a cancelled seq is not handed out again"
    );
    tx.mark_events_delivered(first[0], after_cancel, 200)
        .expect("deliver");
    tx.advance_delivery_watermark().expect("watermark");
    tx.index_audit_log().expect("index");
    // Retention empties the table: the next event still comes after everything the watermarks passed.
    assert_eq!(
        tx.delete_delivered_events_before(101).expect("retention"),
        3
    );
    let next = tx
        .insert_event(&event(4, "u3", "public", 300))
        .expect("insert");
    assert!(
        next > after_cancel,
        "seq went back from {after_cancel} to {next}"
    );
    assert_eq!(
        tx.pending_events(0, i64::MAX, 10)
            .expect("pending")
            .iter()
            .map(|e| e.seq)
            .collect::<Vec<_>>(),
        vec![next],
        "the new event is pending"
    );
    tx.index_audit_log().expect("index");
    let by_user = EventFilter {
        user_id: Some("u3".into()),
        ..Default::default()
    };
    assert_eq!(
        tx.list_events(&by_user, 10).expect("list").len(),
        1,
        "indexed"
    );
    tx.commit().expect("commit");
}

/// A claim at `now` for `claimer`, leasing for 1000 ms.
fn claim(claimer: &str, now: i64, include_own: bool) -> super::Claim<'_> {
    super::Claim {
        claimer,
        now,
        lease_until: now + 1000,
        include_own,
    }
}

/// Claims in batches of `batch`, each in its own write transaction, until nothing is due; the seqs claimed.
fn claim_all(store: &dyn Store, c: &super::Claim<'_>, batch: usize) -> Vec<i64> {
    let mut seqs = Vec::new();
    loop {
        let mut tx = store.write().expect("write");
        let rows = tx
            .claim_events(seqs.last().copied().unwrap_or(0), c, batch)
            .expect("claim");
        tx.commit().expect("commit");
        for r in &rows {
            assert_eq!(
                r.claimed_by.as_deref(),
                Some(c.claimer),
                "claimed for its claimer"
            );
            assert_eq!(r.lease_until, Some(c.lease_until), "with the new lease");
        }
        let Some(last) = rows.last() else {
            return seqs;
        };
        assert!(seqs.last().is_none_or(|s| *s < last.seq), "in seq order");
        seqs.extend(rows.iter().map(|r| r.seq));
    }
}

fn outbox_claims_are_exclusive(store: &dyn Store) {
    let mut tx = store.write().expect("write");
    let all: Vec<i64> = (0..20)
        .map(|n| {
            tx.insert_event(&event(n, "u1", "public", 100))
                .expect("insert")
        })
        .collect();
    tx.commit().expect("commit");
    // Two claimers at once, each claiming small batches in its own write transactions.
    let (a, b) = std::thread::scope(|s| {
        let ca = claim("a", 1000, false);
        let cb = claim("b", 1000, false);
        let ha = s.spawn(move || claim_all(store, &ca, 3));
        let hb = s.spawn(move || claim_all(store, &cb, 3));
        (ha.join().expect("a"), hb.join().expect("b"))
    });
    let mut both: Vec<i64> = a.iter().chain(b.iter()).copied().collect();
    both.sort_unstable();
    assert_eq!(
        both, all,
        "every row claimed once, by one of the two: a={a:?} b={b:?}"
    );
    // While the leases are live, nobody claims any of them again, not even a holder without include_own.
    assert!(claim_all(store, &claim("c", 1999, false), 100).is_empty());
    assert!(claim_all(store, &claim("a", 1999, false), 100).is_empty());
    // The holder itself may take its own back (shutdown), and only its own.
    assert_eq!(claim_all(store, &claim("a", 1999, true), 100), a);
}

fn outbox_expired_leases_are_claimable(store: &dyn Store) {
    let mut tx = store.write().expect("write");
    let mut written = event(0, "u1", "public", 100);
    written.lease_until = Some(500);
    written.claimed_by = Some("writer".into());
    let w = tx.insert_event(&written).expect("insert");
    let free: Vec<i64> = (1..3)
        .map(|n| {
            tx.insert_event(&event(n, "u1", "public", 100))
                .expect("insert")
        })
        .collect();
    tx.commit().expect("commit");
    // The writer's lease is live at 100: only the rows without a lease are claimed.
    assert_eq!(claim_all(store, &claim("a", 100, false), 10), free);
    // At 500 the writer's lease has expired (a's run to 1100).
    assert_eq!(claim_all(store, &claim("b", 500, false), 10), vec![w]);
    // At 1100 a's have expired, b's (to 1500) not.
    assert_eq!(claim_all(store, &claim("c", 1100, false), 10), free);
    // A failed delivery releases the lease at once, and counts the attempt.
    let mut tx = store.write().expect("write");
    tx.record_event_failure(free[0], "down").expect("fail");
    tx.commit().expect("commit");
    let mut tx = store.write().expect("write");
    let again = tx
        .claim_events(0, &claim("d", 1101, false), 10)
        .expect("claim");
    tx.commit().expect("commit");
    assert_eq!(
        again.iter().map(|r| r.seq).collect::<Vec<_>>(),
        vec![free[0]]
    );
    assert_eq!(again[0].attempts, 1);
    assert_eq!(again[0].last_error.as_deref(), Some("down"));
    // after_seq bounds a claim.
    assert!(claim_all(store, &claim("e", 10_000, false), 10)
        .iter()
        .all(|s| *s > 0));
    let mut tx = store.write().expect("write");
    assert!(tx
        .claim_events(free[1], &claim("f", 20_000, false), 10)
        .expect("claim")
        .is_empty());
    tx.commit().expect("commit");
}

fn outbox_delivered_rows_are_never_claimed(store: &dyn Store) {
    let mut tx = store.write().expect("write");
    let seqs: Vec<i64> = (0..5)
        .map(|n| {
            tx.insert_event(&event(n, "u1", "public", 100))
                .expect("insert")
        })
        .collect();
    tx.mark_events_delivered(seqs[0], seqs[1], 200)
        .expect("deliver");
    // A row that failed, then was delivered.
    tx.record_event_failure(seqs[4], "down").expect("fail");
    tx.mark_events_delivered(seqs[4], seqs[4], 300)
        .expect("deliver");
    tx.commit().expect("commit");
    assert_eq!(
        claim_all(store, &claim("a", 1000, true), 10),
        vec![seqs[2], seqs[3]],
        "only the undelivered rows, whatever the claim's time"
    );
    let mut tx = store.write().expect("write");
    tx.mark_events_delivered(seqs[2], seqs[3], 400)
        .expect("deliver");
    tx.advance_delivery_watermark().expect("watermark");
    tx.commit().expect("commit");
    assert!(
        claim_all(store, &claim("a", i64::MAX / 2, true), 10).is_empty(),
        "no delivered row is claimed, even with every lease long expired"
    );
}

fn events_filed_under_several_tenants(store: &dyn Store) {
    let mut tx = store.write().expect("write");
    let mut deletion = event(0, "u1", "acme", 100);
    deletion.tenant_ids = vec!["acme".into(), "zeta".into()];
    let seq = tx.insert_event(&deletion).expect("insert");
    tx.insert_event(&event(1, "u1", "acme", 100))
        .expect("insert");
    let mut nowhere = event(2, "u2", "acme", 100);
    nowhere.tenant_id = None;
    nowhere.tenant_ids = Vec::new();
    tx.insert_event(&nowhere).expect("insert");
    tx.index_audit_log().expect("index");
    let list = |tx: &mut Box<dyn super::StoreTx + '_>, tenant: &str, user: Option<&str>| {
        let f = EventFilter {
            tenant_id: Some(tenant.into()),
            user_id: user.map(str::to_string),
            ..Default::default()
        };
        tx.list_events(&f, 10).expect("list")
    };
    let zeta = list(&mut tx, "zeta", None);
    assert_eq!(zeta.len(), 1);
    assert_eq!(
        (zeta[0].seq, zeta[0].tenant_id.as_deref()),
        (seq, Some("acme")),
        "the envelope tenant stays"
    );
    assert_eq!(zeta[0].tenant_ids, vec!["acme", "zeta"]);
    assert_eq!(list(&mut tx, "zeta", Some("u1")).len(), 1);
    assert_eq!(list(&mut tx, "acme", None).len(), 2);
    assert_eq!(list(&mut tx, "acme", Some("u1")).len(), 2);
    let all = tx.list_events(&EventFilter::default(), 10).expect("list");
    assert_eq!(
        all[1].tenant_ids,
        vec!["acme"],
        "the common case reads back"
    );
    assert!(all[2].tenant_ids.is_empty());
    tx.commit().expect("commit");
}

fn expired_sessions_purge(store: &dyn Store) {
    add_user(store, "u", "public", &tp("g", "1"), "a@x.com", 1);
    let mut tx = store.write().expect("write");
    for (i, expiry) in [5, 10, 10, 11, 50].iter().enumerate() {
        tx.insert_session(&SessionRow {
            session_handle: format!("h{i}"),
            secret_hash: vec![1],
            user_id: "u".into(),
            recipe_user_id: "u".into(),
            tenant_id: "public".into(),
            access_token_payload: "{}".into(),
            time_created: 1,
            expiry: *expiry,
        })
        .expect("insert");
    }
    assert_eq!(
        tx.delete_expired_sessions(10, 2).expect("purge"),
        2,
        "bounded"
    );
    assert_eq!(tx.delete_expired_sessions(10, 2).expect("purge"), 1);
    assert_eq!(tx.delete_expired_sessions(10, 2).expect("purge"), 0);
    assert!(tx.session("h3").expect("get").is_some(), "not yet expired");
    assert!(tx.session("h4").expect("get").is_some());
    assert!(tx.session("h0").expect("get").is_none());
    tx.commit().expect("commit");
}

fn counting_groups(store: &dyn Store) {
    add_tenant(store, "t1");
    add_user(store, "a", "public", &tp("g", "a"), "a@x.com", 1);
    add_user(store, "b", "public", &tp("g", "b"), "b@x.com", 2);
    add_user(store, "c", "t1", &tp("g", "c"), "c@x.com", 3);
    let mut tx = store.write().expect("write");
    // b joins a's group, and a is also in t1: still one user there.
    tx.set_group("a", "a", true).expect("primary");
    tx.set_group("b", "a", true).expect("link");
    tx.add_user_to_tenant("a", "t1").expect("associate");
    tx.commit().expect("commit");
    let mut tx = store.read().expect("read");
    assert_eq!(tx.count_groups(None).expect("all"), 2, "groups a and c");
    assert_eq!(
        tx.count_groups(Some("public")).expect("public"),
        1,
        "group a"
    );
    assert_eq!(
        tx.count_groups(Some("t1")).expect("t1"),
        2,
        "a (through a) and c"
    );
    assert_eq!(tx.count_groups(Some("t9")).expect("unknown"), 0);
}
