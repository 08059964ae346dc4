//! Upgrades from older schema versions, built by hand with the migrations of that time (issue #11).

use std::sync::{Arc, Mutex};

use rusqlite::{params, Connection};

use super::{SqliteOptions, SqliteStore, LATEST_VERSION};
use crate::engine::{now_ms, AuthCore};
use crate::events::{Event, FnHandler, ListEventsInput};
use crate::store::{EventFilter, Store};

/// A database at `version`, as that version's code left it.
fn database_at(path: &std::path::Path, version: i64) -> Connection {
    let conn = Connection::open(path).expect("sqlite");
    SqliteStore::migrate(&conn, version).expect("migrate");
    conn
}

#[tokio::test]
async fn undelivered_events_of_a_version_2_database_are_delivered_after_the_upgrade() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("v2.db");
    let now = now_ms();
    {
        let conn = database_at(&path, 2);
        // What the version-2 code inserted: the envelope and payload, nothing delivered yet...
        for (id, user) in [("e1", "u1"), ("e2", "u2")] {
            conn.execute(
                "INSERT INTO event_outbox (event_id, name, time, tenant_id, user_id, payload) \
                 VALUES (?1, 'createUser', ?2, 'public', ?3, ?4)",
                params![id, now, user, format!("{{\"user\":{{\"id\":\"{user}\"}}}}")],
            )
            .expect("undelivered event");
        }
        // ...and one it had delivered.
        conn.execute(
            "INSERT INTO event_outbox (event_id, name, time, tenant_id, user_id, payload, delivered_at, attempts) \
             VALUES ('e0', 'signIn', ?1, 'public', 'u1', '{}', ?1, 1)",
            [now],
        )
        .expect("delivered event");
    }
    let got = Arc::new(Mutex::new(Vec::<String>::new()));
    let g = got.clone();
    let auth = AuthCore::builder()
        .sqlite(&path)
        .expect("upgrade")
        .on_any_event(Arc::new(FnHandler(move |e: Event| {
            let g = g.clone();
            async move {
                g.lock().expect("lock").push(e.id);
                Ok(())
            }
        })))
        .open()
        .await
        .expect("open");
    assert_eq!(
        *got.lock().expect("lock"),
        vec!["e1", "e2"],
        "delivered at open"
    );

    let ids = async |input: ListEventsInput| -> Vec<(String, bool)> {
        auth.list_events(&input)
            .await
            .expect("audit")
            .events
            .into_iter()
            .map(|r| (r.event.id, r.delivered_at.is_some()))
            .collect()
    };
    let all = vec![
        ("e1".to_string(), true),
        ("e2".to_string(), true),
        ("e0".to_string(), true),
    ];
    assert_eq!(
        ids(ListEventsInput::default()).await,
        all,
        "every row, in seq order"
    );
    assert_eq!(
        ids(ListEventsInput {
            tenant_id: Some("public".into()),
            ..Default::default()
        })
        .await,
        all
    );
    assert_eq!(
        ids(ListEventsInput {
            user_id: Some("u1".into()),
            ..Default::default()
        })
        .await,
        vec![("e1".to_string(), true), ("e0".to_string(), true)]
    );
}

#[test]
fn migration_4_keeps_every_row_and_seq_and_never_hands_out_a_passed_seq() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("v3.db");
    {
        // A version-3 database where retention had emptied the table and seqs 1..=3 were then handed out
        // again below both watermarks (7): the damage migration 4 repairs.
        let conn = database_at(&path, 3);
        for (seq, delivered) in [(1, Some(5)), (2, None), (3, None)] {
            conn.execute(
                "INSERT INTO event_outbox (seq, event_id, name, time, tenant_id, user_id, payload, delivered_at) \
                 VALUES (?1, ?2, 'createUser', 1, 'public', 'u', '{}', ?3)",
                params![seq, format!("e{seq}"), delivered],
            )
            .expect("row");
        }
        conn.execute(
            "INSERT INTO event_audit_index (key, seq) VALUES ('u:stale', 2)",
            [],
        )
        .expect("stale index entry");
        conn.execute(
            "UPDATE event_outbox_state SET delivered_through = 7, indexed_through = 7",
            [],
        )
        .expect("watermarks");
    }
    let store = SqliteStore::open(SqliteOptions::new(&path)).expect("upgrade");
    assert_eq!(store.schema_version().expect("version"), LATEST_VERSION);
    let mut tx = store.write().expect("write");
    let rows = tx.list_events(&EventFilter::default(), 10).expect("list");
    let kept: Vec<(i64, &str, Option<i64>)> = rows
        .iter()
        .map(|r| (r.seq, r.event_id.as_str(), r.delivered_at))
        .collect();
    assert_eq!(
        kept,
        vec![(1, "e1", Some(5)), (2, "e2", None), (3, "e3", None)]
    );
    let pending: Vec<i64> = tx
        .pending_events(0, i64::MAX, 10)
        .expect("pending")
        .iter()
        .map(|r| r.seq)
        .collect();
    assert_eq!(
        pending,
        vec![2, 3],
        "undelivered rows below the old watermark are pending again"
    );
    let next = tx
        .insert_event(&crate::store::EventRow {
            seq: 0,
            event_id: "e8".into(),
            name: "createUser".into(),
            time: 2,
            tenant_id: Some("public".into()),
            tenant_ids: vec!["public".into()],
            user_id: Some("u".into()),
            payload: "{}".into(),
            delivered_at: None,
            attempts: 0,
            last_error: None,
            lease_until: None,
            claimed_by: None,
        })
        .expect("insert");
    assert_eq!(next, 8, "above every seq a watermark passed");
    tx.index_audit_log().expect("index");
    let stale = EventFilter {
        user_id: Some("stale".into()),
        ..Default::default()
    };
    assert!(tx.list_events(&stale, 10).expect("list").is_empty());
    let by_user = EventFilter {
        user_id: Some("u".into()),
        ..Default::default()
    };
    assert_eq!(
        tx.list_events(&by_user, 10).expect("list").len(),
        4,
        "re-indexed"
    );
    tx.commit().expect("commit");
}
