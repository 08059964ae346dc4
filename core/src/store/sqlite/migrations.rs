//! Versioned schema. Each entry runs once, in order, inside one transaction; the applied version is stored in
//! `schema_migrations`. Never edit a shipped entry: append a new one. (The one exception so far fixed data loss
//! in entry 3 without changing the schema it produces.)

/// The highest version in [`MIGRATIONS`], derived so that appending an entry is the whole change.
pub(super) const LATEST: i64 = {
    let mut i = 0;
    let mut max = 0;
    while i < MIGRATIONS.len() {
        if MIGRATIONS[i].0 > max {
            max = MIGRATIONS[i].0;
        }
        i += 1;
    }
    max
};

pub(super) const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        r#"
CREATE TABLE tenants (
    tenant_id TEXT PRIMARY KEY,
    config TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
INSERT INTO tenants (tenant_id, config, created_at) VALUES ('public', '{}', 0);

-- seq is the creation order: the tie-break for equal timeJoined (spec D9), stable across VACUUM.
CREATE TABLE recipe_users (
    seq INTEGER PRIMARY KEY,
    recipe_user_id TEXT NOT NULL UNIQUE,
    primary_or_recipe_user_id TEXT NOT NULL,
    is_linked_or_primary INTEGER NOT NULL DEFAULT 0,
    recipe_id TEXT NOT NULL,
    email TEXT,
    phone_number TEXT,
    third_party_id TEXT,
    third_party_user_id TEXT,
    time_joined INTEGER NOT NULL
);
CREATE INDEX recipe_users_group ON recipe_users (primary_or_recipe_user_id, time_joined);
CREATE INDEX recipe_users_email ON recipe_users (email);
CREATE INDEX recipe_users_third_party ON recipe_users (third_party_id, third_party_user_id);

-- U1: one third-party recipe user per (tenant, provider account).
CREATE TABLE recipe_user_tenants (
    recipe_user_id TEXT NOT NULL REFERENCES recipe_users (recipe_user_id) ON DELETE CASCADE,
    tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    third_party_id TEXT,
    third_party_user_id TEXT,
    PRIMARY KEY (recipe_user_id, tenant_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX recipe_user_tenants_u1
    ON recipe_user_tenants (tenant_id, third_party_id, third_party_user_id) WHERE third_party_id IS NOT NULL;
CREATE INDEX recipe_user_tenants_tenant ON recipe_user_tenants (tenant_id);

-- U3: a primary group reserves (its tenants) x (its account infos); the primary key makes a second holder
-- impossible. value2 carries the third-party user id so the pair is a tuple (spec D5).
CREATE TABLE primary_user_reservations (
    tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    value2 TEXT NOT NULL DEFAULT '',
    primary_user_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, kind, value, value2)
) WITHOUT ROWID;
CREATE INDEX primary_user_reservations_group ON primary_user_reservations (primary_user_id);

CREATE TABLE verified_emails (
    recipe_user_id TEXT NOT NULL REFERENCES recipe_users (recipe_user_id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    PRIMARY KEY (recipe_user_id, email)
) WITHOUT ROWID;

-- Only a SHA-256 of the session secret is stored.
CREATE TABLE sessions (
    session_handle TEXT PRIMARY KEY,
    secret_hash BLOB NOT NULL,
    user_id TEXT NOT NULL,
    recipe_user_id TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    access_token_payload TEXT NOT NULL,
    time_created INTEGER NOT NULL,
    expiry INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_recipe_user ON sessions (recipe_user_id, tenant_id);
"#,
    ),
    (
        2,
        r#"
-- The event outbox: written in the transaction of the change it describes, delivered after commit, kept as
-- the audit log until retention removes delivered rows.
CREATE TABLE event_outbox (
    seq INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    time INTEGER NOT NULL,
    tenant_id TEXT,
    user_id TEXT,
    payload TEXT NOT NULL,
    delivered_at INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE INDEX event_outbox_pending ON event_outbox (seq) WHERE delivered_at IS NULL;
CREATE INDEX event_outbox_user ON event_outbox (user_id, seq);
CREATE INDEX event_outbox_tenant ON event_outbox (tenant_id, seq);
CREATE INDEX event_outbox_time ON event_outbox (time);
"#,
    ),
    (
        3,
        r#"
-- Cheaper writes (pre-release, so the outbox is rebuilt): each btree a transaction touches costs one WAL page
-- per commit, so the hot path writes the outbox table only. Audit lookups by user and tenant use
-- event_audit_index, filled lazily (before an audit query, at open and on shutdown); pending deliveries are
-- found from a watermark; failed ones through a partial index that ordinary inserts never touch.
-- Every row is carried over, seq included (a plain DROP lost the undelivered events of a version-2 database:
-- the one edit made to this shipped entry, for that data loss; the resulting schema is unchanged).
ALTER TABLE event_outbox RENAME TO event_outbox_v2;
CREATE TABLE event_outbox (
    seq INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL,
    name TEXT NOT NULL,
    time INTEGER NOT NULL,
    tenant_id TEXT,
    user_id TEXT,
    payload TEXT NOT NULL,
    delivered_at INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
INSERT INTO event_outbox (seq, event_id, name, time, tenant_id, user_id, payload, delivered_at, attempts,
    last_error)
  SELECT seq, event_id, name, time, tenant_id, user_id, payload, delivered_at, attempts, last_error
  FROM event_outbox_v2 ORDER BY seq;
DROP TABLE event_outbox_v2;
CREATE INDEX event_outbox_failed ON event_outbox (seq) WHERE attempts > 0 AND delivered_at IS NULL;
CREATE TABLE event_audit_index (
    key TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (key, seq)
) WITHOUT ROWID;
CREATE TABLE event_outbox_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    delivered_through INTEGER NOT NULL,
    indexed_through INTEGER NOT NULL
);
INSERT INTO event_outbox_state (id, delivered_through, indexed_through) VALUES (1, 0, 0);
-- Never queried: third-party lookups go through recipe_user_tenants' U1 index.
DROP INDEX recipe_users_third_party;
"#,
    ),
    (
        4,
        r#"
-- seq never goes back: with a plain rowid, retention emptying the table (or deleting the newest row, as a
-- cancelled createUser does) made SQLite hand out seqs again that the delivery and index watermarks had already
-- passed, so those events were never delivered after a crash nor indexed. AUTOINCREMENT keeps a high-water
-- mark in sqlite_sequence. The table is rebuilt carrying over every row, delivered or not, with its seq.
-- tenant_ids: the tenants the audit index files the event under, as a JSON array, when that is not just
-- tenant_id (operations without a tenant argument are filed under every tenant of the affected user). NULL
-- means [tenant_id], so the hot path writes nothing more for the common case, and old rows keep their meaning.
ALTER TABLE event_outbox RENAME TO event_outbox_v3;
CREATE TABLE event_outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL,
    name TEXT NOT NULL,
    time INTEGER NOT NULL,
    tenant_id TEXT,
    user_id TEXT,
    payload TEXT NOT NULL,
    delivered_at INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    tenant_ids TEXT
);
INSERT INTO event_outbox (seq, event_id, name, time, tenant_id, user_id, payload, delivered_at, attempts,
    last_error)
  SELECT seq, event_id, name, time, tenant_id, user_id, payload, delivered_at, attempts, last_error
  FROM event_outbox_v3 ORDER BY seq;
DROP TABLE event_outbox_v3;
CREATE INDEX event_outbox_failed ON event_outbox (seq) WHERE attempts > 0 AND delivered_at IS NULL;
-- The high-water mark starts above every seq a watermark has seen, even of rows retention already removed.
DELETE FROM sqlite_sequence WHERE name = 'event_outbox';
INSERT INTO sqlite_sequence (name, seq)
  SELECT 'event_outbox', MAX(delivered_through, indexed_through, COALESCE((SELECT MAX(seq) FROM event_outbox), 0))
  FROM event_outbox_state;
-- Repair a database that already reused seqs: undelivered, never-attempted rows at or below the delivery
-- watermark become pending again, and the audit index is rebuilt (lazily, from seq 0) without stale entries.
UPDATE event_outbox_state SET delivered_through = MIN(delivered_through,
    COALESCE((SELECT MIN(seq) - 1 FROM event_outbox WHERE delivered_at IS NULL AND attempts = 0), delivered_through));
DELETE FROM event_audit_index;
UPDATE event_outbox_state SET indexed_through = 0;
-- Expired sessions are purged at open and a bounded batch per session creation; this finds them by a seek.
CREATE INDEX sessions_expiry ON sessions (expiry);
"#,
    ),
    (
        5,
        r#"
-- Verification currency (README "Semantics": current verification for linking). email_gen counts the email
-- changes of a recipe user; a verification remembers the generation it was made in. A verification is current
-- when it was made since the login method last took that email (same generation). Rows that exist at upgrade
-- time are taken as current for the email the user holds now (generation 0 on both sides).
ALTER TABLE recipe_users ADD COLUMN email_gen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE verified_emails ADD COLUMN gen INTEGER NOT NULL DEFAULT 0;
"#,
    ),
    (
        6,
        r#"
-- seq without AUTOINCREMENT: its high-water mark lived in sqlite_sequence, one more page written by every
-- transaction that writes an event. The guarantee stays (no seq is handed out twice, whatever retention or a
-- cancelled createUser deleted: migration 4): the insert takes the seq above the newest row, above both
-- watermarks and above seq_floor, which the deletions raise to the highest seq they removed (deletions are rare,
-- inserts are on every sign-in). It starts at the high-water mark AUTOINCREMENT had reached. The table is rebuilt
-- carrying over every row with its seq.
ALTER TABLE event_outbox_state ADD COLUMN seq_floor INTEGER NOT NULL DEFAULT 0;
UPDATE event_outbox_state SET seq_floor = COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'event_outbox'), 0);
ALTER TABLE event_outbox RENAME TO event_outbox_v5;
CREATE TABLE event_outbox (
    seq INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL,
    name TEXT NOT NULL,
    time INTEGER NOT NULL,
    tenant_id TEXT,
    user_id TEXT,
    payload TEXT NOT NULL,
    delivered_at INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    tenant_ids TEXT
);
INSERT INTO event_outbox (seq, event_id, name, time, tenant_id, user_id, payload, delivered_at, attempts,
    last_error, tenant_ids)
  SELECT seq, event_id, name, time, tenant_id, user_id, payload, delivered_at, attempts, last_error, tenant_ids
  FROM event_outbox_v5 ORDER BY seq;
DROP TABLE event_outbox_v5;
CREATE INDEX event_outbox_failed ON event_outbox (seq) WHERE attempts > 0 AND delivered_at IS NULL;
"#,
    ),
    (
        7,
        r#"
-- Stored-mode OAuth flows (getAuthorisationURL with mode "stored"). Keyed by the SHA-256 of the state, so the
-- database never holds a usable state. `used` keeps a taken flow until it is purged, so a replayed state is
-- told apart from an unknown one.
CREATE TABLE oauth_flows (
    state_hash BLOB PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    third_party_id TEXT NOT NULL,
    client_type TEXT,
    redirect_uri TEXT NOT NULL,
    pkce_code_verifier TEXT,
    nonce TEXT,
    expires_at INTEGER NOT NULL,
    used INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
-- The purge of stale flows seeks by expiry.
CREATE INDEX oauth_flows_expiry ON oauth_flows (expires_at);
"#,
    ),
    (
        8,
        r#"
-- Delivery leases (issue #15): several processes deliver from one outbox. An undelivered row is delivered only by
-- the process holding its lease: the writing process leases its own events until lease_until (epoch ms) when it
-- inserts them; a sweep claims rows whose lease expired (or that never had one: rows from before this version)
-- by setting both columns in a write transaction. claimed_by names the engine instance holding the lease. Both
-- columns live in the row the hot path writes anyway, and no index covers them, so an insert costs no extra page.
ALTER TABLE event_outbox ADD COLUMN lease_until INTEGER;
ALTER TABLE event_outbox ADD COLUMN claimed_by TEXT;
"#,
    ),
];
