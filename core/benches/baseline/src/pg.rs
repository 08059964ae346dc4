//! The raw tokio-postgres baseline of the PostgreSQL benchmark (`core/benches/pg.rs`): the minimal SQL a
//! hand-written implementation would run for the three `signInUpPOST` rows ([`ApiRow`]), the same work as the
//! SQLite baseline's `api_signup`, `api_signin` and `autolink(with_session = true)` in this crate, written for
//! PostgreSQL.
//!
//! It is a module of this crate behind the feature `postgres`, not a crate of its own: the identities
//! ([`ApiRow::identity`], [`api_primary`]), the returned [`Row`] and the same-work check ([`FINGERPRINT`],
//! [`compare`]) are the SQLite baseline's, used as they are, and the bindings' benchmark aids, which use this
//! crate without the feature, do not compile tokio-postgres.
//!
//! Every operation is one transaction (`BEGIN` … `COMMIT`, READ COMMITTED) on one connection, each statement
//! prepared once when the baseline connects and sent one at a time, operations one after another. The schema
//! is created by the engine's own store ([`create_schema`] runs `PostgresStore::open`, so it cannot drift); the
//! baseline then reaches it through `search_path` on a plain tokio-postgres connection. It takes no writer lock:
//! a hand-written implementation relies on the unique keys alone.
//!
//! Benchmark code: a failed statement panics (with the statement's error), leaving the connection to be dropped.

use std::ops::Range;
use std::time::{Duration, Instant};

use authcore::store::postgres::{PostgresOptions, PostgresStore};
use tokio_postgres::{Client, NoTls, Statement};

use crate::{api_primary, compare, now_ms, ApiRow, Identity, Row, FINGERPRINT, TENANT};

/// The schema `schema` on the server at `url`, created and migrated by the engine's own store. Waits on the
/// calling thread, which must not be a worker of the engine's I/O runtime (the store's rule).
pub fn create_schema(url: &str, schema: &str) {
    let mut options = PostgresOptions::new(url);
    options.schema = schema.to_string();
    drop(PostgresStore::open(options).expect("create the baseline schema"));
}

/// A plain connection to `url` whose `search_path` is `schema` (the engine's store connects the same way),
/// its connection task spawned on the current tokio runtime.
pub async fn connect(url: &str, schema: &str, application_name: &str) -> Client {
    let mut config: tokio_postgres::Config = url.parse().expect("a PostgreSQL URL");
    let mut options = config.get_options().unwrap_or_default().to_string();
    options.push_str(&format!(" -c search_path={schema}"));
    config.options(options.trim());
    config.application_name(application_name);
    let (client, connection) = config.connect(NoTls).await.expect("connect");
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            eprintln!("baseline connection: {e}");
        }
    });
    client
}

/// [`FINGERPRINT`] of `schema`, on any connection.
pub async fn fingerprint(client: &Client, schema: &str) -> Vec<(&'static str, i64)> {
    client
        .batch_execute(&format!("SET search_path TO {schema}"))
        .await
        .expect("set search_path");
    let mut counts = Vec::with_capacity(FINGERPRINT.len());
    for (name, sql) in FINGERPRINT {
        let n: i64 = client.query_one(sql, &[]).await.expect(sql).get(0);
        counts.push((name, n));
    }
    counts
}

/// Refreshes the planner statistics of `schema`'s tables, as a deployment's autovacuum would. The benchmark
/// runs it on both sides after each untimed setup: on tables that were empty when last looked at, PostgreSQL
/// plans lookups by the defaults for empty tables (a per-call scan of a whole table, for one), on either side.
pub async fn analyze(client: &Client, schema: &str) {
    client
        .batch_execute(&format!(
            "SET search_path TO {schema}; ANALYZE recipe_users, recipe_user_tenants, verified_emails, \
             primary_user_reservations, sessions"
        ))
        .await
        .expect("analyze");
}

/// The engine's schema and the baseline's hold the same shape of data (see [`compare`]); panics naming `row`
/// otherwise.
pub async fn assert_same_work(client: &Client, row: &str, engine: &str, baseline: &str) {
    let (e, b) = (
        fingerprint(client, engine).await,
        fingerprint(client, baseline).await,
    );
    if let Err(e) = compare(e, b) {
        panic!("{row}: {e}");
    }
}

/// The user-shaped columns a sign-in returns ([`Row`]): the SQLite baseline's `group_select!`, with
/// `string_agg` for `group_concat`.
macro_rules! group_select {
    ($where:literal) => {
        concat!(
            "SELECT r.recipe_user_id, r.primary_or_recipe_user_id, r.is_linked_or_primary, r.email, ",
            "r.third_party_id, r.third_party_user_id, r.time_joined, ",
            "(SELECT string_agg(t.tenant_id, ',') FROM recipe_user_tenants t WHERE t.recipe_user_id = r.recipe_user_id), ",
            "EXISTS(SELECT 1 FROM verified_emails v WHERE v.recipe_user_id = r.recipe_user_id AND v.email = r.email) ",
            "FROM recipe_users r WHERE r.primary_or_recipe_user_id = ",
            $where,
            " ORDER BY r.time_joined, r.seq"
        )
    };
}

fn read_row(r: &tokio_postgres::Row) -> Row {
    Row {
        recipe_user_id: r.get(0),
        group_id: r.get(1),
        is_linked_or_primary: r.get(2),
        email: r.get(3),
        tp_id: r.get(4),
        tp_uid: r.get(5),
        time_joined: r.get(6),
        tenants: r.get(7),
        verified: r.get(8),
    }
}

/// The statements, prepared once per connection.
struct Statements {
    tenant_exists: Statement,
    find_account: Statement,
    insert_user: Statement,
    insert_membership: Statement,
    insert_verified: Statement,
    insert_session: Statement,
    group: Statement,
    group_of_user: Statement,
    primary_by_email: Statement,
    link: Statement,
    make_primary: Statement,
    insert_reservation: Statement,
}

/// The baseline side of the `signInUpPOST` rows on one schema, over one connection.
pub struct PgBaseline {
    client: Client,
    st: Statements,
}

impl PgBaseline {
    /// Connects to `schema` (already created by [`create_schema`]) and prepares the statements.
    pub async fn connect(url: &str, schema: &str) -> Self {
        let client = connect(url, schema, "authcore-bench-baseline").await;
        let prepare = |sql: &'static str| {
            let client = &client;
            async move { client.prepare(sql).await.expect(sql) }
        };
        let st = Statements {
            tenant_exists: prepare("SELECT 1 FROM tenants WHERE tenant_id = $1").await,
            find_account: prepare(
                "SELECT recipe_user_id FROM recipe_user_tenants \
                 WHERE tenant_id = $1 AND third_party_id = $2 AND third_party_user_id = $3",
            )
            .await,
            insert_user: prepare(
                "INSERT INTO recipe_users (recipe_user_id, primary_or_recipe_user_id, is_linked_or_primary, \
                 recipe_id, email, third_party_id, third_party_user_id, time_joined) \
                 VALUES ($1, $1, FALSE, 'thirdparty', $2, $3, $4, $5)",
            )
            .await,
            insert_membership: prepare(
                "INSERT INTO recipe_user_tenants (recipe_user_id, tenant_id, third_party_id, third_party_user_id) \
                 VALUES ($1, $2, $3, $4)",
            )
            .await,
            insert_verified: prepare(
                "INSERT INTO verified_emails (recipe_user_id, email) VALUES ($1, $2)",
            )
            .await,
            insert_session: prepare(
                "INSERT INTO sessions (session_handle, secret_hash, user_id, recipe_user_id, tenant_id, \
                 access_token_payload, time_created, expiry) VALUES ($1, $2, $3, $4, $5, '{}', $6, $7)",
            )
            .await,
            group: prepare(group_select!("$1")).await,
            group_of_user: prepare(group_select!(
                "(SELECT primary_or_recipe_user_id FROM recipe_users WHERE recipe_user_id = $1)"
            ))
            .await,
            primary_by_email: prepare(
                "SELECT r.primary_or_recipe_user_id FROM recipe_users r \
                 WHERE r.email = $2 AND r.is_linked_or_primary AND EXISTS (SELECT 1 FROM recipe_user_tenants t \
                 WHERE t.recipe_user_id = r.recipe_user_id AND t.tenant_id = $1) LIMIT 1",
            )
            .await,
            link: prepare(
                "UPDATE recipe_users SET primary_or_recipe_user_id = $2, is_linked_or_primary = TRUE \
                 WHERE recipe_user_id = $1",
            )
            .await,
            make_primary: prepare(
                "UPDATE recipe_users SET primary_or_recipe_user_id = $1, is_linked_or_primary = TRUE \
                 WHERE recipe_user_id = $1",
            )
            .await,
            insert_reservation: prepare(
                "INSERT INTO primary_user_reservations (tenant_id, kind, value, value2, primary_user_id) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .await,
        };
        PgBaseline { client, st }
    }

    async fn begin(&self) {
        self.client.batch_execute("BEGIN").await.expect("begin");
    }

    async fn commit(&self) {
        self.client.batch_execute("COMMIT").await.expect("commit");
    }

    /// The sign-up part (as the SQLite baseline's `insert_user`): tenant exists, (tenant, provider account) is
    /// free, the recipe user, its tenant membership, and the verified row if the provider vouched for the email.
    async fn insert_user(&self, id: &Identity, verified: bool) -> String {
        let c = &self.client;
        let tenant = c
            .query_opt(&self.st.tenant_exists, &[&TENANT])
            .await
            .expect("tenant");
        assert!(tenant.is_some(), "tenant missing");
        let existing = c
            .query_opt(&self.st.find_account, &[&TENANT, &id.tp_id, &id.tp_uid])
            .await
            .expect("find account");
        assert!(existing.is_none(), "identity already exists");
        let rid = uuid::Uuid::new_v4().to_string();
        c.execute(
            &self.st.insert_user,
            &[&rid, &id.email, &id.tp_id, &id.tp_uid, &now_ms()],
        )
        .await
        .expect("insert recipe user");
        c.execute(
            &self.st.insert_membership,
            &[&rid, &TENANT, &id.tp_id, &id.tp_uid],
        )
        .await
        .expect("insert membership");
        if verified {
            c.execute(&self.st.insert_verified, &[&rid, &id.email])
                .await
                .expect("insert verified email");
        }
        rid
    }

    /// The session a sign-in gets (as the SQLite baseline's): random handle and secret, the secret's hash stored.
    async fn insert_session(&self, user_id: &str, recipe_user_id: &str) {
        use sha2::Digest;
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).expect("random secret");
        let hash = sha2::Sha256::digest(secret);
        let now = now_ms();
        self.client
            .execute(
                &self.st.insert_session,
                &[
                    &uuid::Uuid::new_v4().to_string(),
                    &&hash[..],
                    &user_id,
                    &recipe_user_id,
                    &TENANT,
                    &now,
                    &(now + 30 * 24 * 3600 * 1000),
                ],
            )
            .await
            .expect("insert session");
    }

    /// `api-signup`: the sign-up and its session in one transaction.
    pub async fn api_signup(&self, id: &Identity) -> String {
        self.begin().await;
        let rid = self.insert_user(id, false).await;
        self.insert_session(&rid, &rid).await;
        self.commit().await;
        rid
    }

    /// `api-signin`: the provider account's recipe user, its group's rows, then the session.
    pub async fn api_signin(&self, id: &Identity) -> Vec<Row> {
        self.begin().await;
        let rid: String = self
            .client
            .query_one(&self.st.find_account, &[&TENANT, &id.tp_id, &id.tp_uid])
            .await
            .expect("find account")
            .get(0);
        let rows: Vec<Row> = self
            .client
            .query(&self.st.group_of_user, &[&rid])
            .await
            .expect("group of user")
            .iter()
            .map(read_row)
            .collect();
        let group = rows
            .first()
            .map(|r| r.group_id.clone())
            .unwrap_or_else(|| rid.clone());
        self.insert_session(&group, &rid).await;
        self.commit().await;
        rows
    }

    /// `api-autolink`: the SQLite baseline's `autolink(with_session = true)` (see its steps there): the verified
    /// sign-up, the primary group holding the email in the tenant, the verified check, the link, the one
    /// reservation the group gains, and the session.
    pub async fn autolink(&self, id: &Identity) -> Vec<Row> {
        self.begin().await;
        let rid = self.insert_user(id, true).await;
        let c = &self.client;
        let group_id: String = c
            .query_opt(&self.st.primary_by_email, &[&TENANT, &id.email])
            .await
            .expect("primary by email")
            .expect("a primary with this email")
            .get(0);
        let mut rows: Vec<Row> = c
            .query(&self.st.group, &[&group_id])
            .await
            .expect("group")
            .iter()
            .map(read_row)
            .collect();
        assert!(
            rows.iter()
                .any(|r| r.verified && r.email.as_deref() == Some(id.email.as_str())),
            "primary not verified"
        );
        c.execute(&self.st.link, &[&rid, &group_id])
            .await
            .expect("link");
        c.execute(
            &self.st.insert_reservation,
            &[&TENANT, &"thirdparty", &id.tp_id, &id.tp_uid, &group_id],
        )
        .await
        .expect("insert reservation");
        self.insert_session(&group_id, &rid).await;
        self.commit().await;
        rows.push(Row {
            recipe_user_id: rid,
            group_id,
            is_linked_or_primary: true,
            email: Some(id.email.clone()),
            tp_id: Some(id.tp_id.clone()),
            tp_uid: Some(id.tp_uid.clone()),
            time_joined: now_ms(),
            tenants: Some(TENANT.to_string()),
            verified: true,
        });
        rows
    }

    /// Untimed setup of the auto-link row: primaries `0..n` ([`api_primary`]) with the reservations a primary
    /// holds (its third-party key and its email in its tenant), in one transaction.
    pub async fn setup_primaries(&self, n: usize) {
        self.begin().await;
        for id in (0..n).map(api_primary) {
            let rid = self.insert_user(&id, true).await;
            let c = &self.client;
            c.execute(&self.st.make_primary, &[&rid])
                .await
                .expect("make primary");
            for (kind, value, value2) in [
                ("thirdparty", id.tp_id.as_str(), id.tp_uid.as_str()),
                ("email", id.email.as_str(), ""),
            ] {
                c.execute(
                    &self.st.insert_reservation,
                    &[&TENANT, &kind, &value, &value2, &rid],
                )
                .await
                .expect("insert reservation");
            }
        }
        self.commit().await;
    }

    /// Runs operations `range` of `row`, one transaction each, one after another; the identities are built
    /// before the clock starts. Returns the time taken.
    pub async fn run(&self, row: ApiRow, range: Range<usize>) -> Duration {
        let ids: Vec<Identity> = range.map(|i| row.identity(i)).collect();
        let start = Instant::now();
        for id in &ids {
            match row {
                ApiRow::Signup => drop(std::hint::black_box(self.api_signup(id).await)),
                ApiRow::Signin => drop(std::hint::black_box(self.api_signin(id).await)),
                ApiRow::Autolink => drop(std::hint::black_box(self.autolink(id).await)),
            }
        }
        start.elapsed()
    }
}
