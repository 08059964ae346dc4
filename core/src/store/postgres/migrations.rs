//! Versioned schema of the PostgreSQL store. Each entry runs once, in order, all pending ones inside one
//! transaction (PostgreSQL's DDL is transactional) under an advisory lock, so several processes opening the
//! same schema at once apply each entry exactly once. The applied versions are in `schema_migrations` of the
//! store's schema. Never edit a shipped entry: append a new one.
//!
//! Version 1 is the schema the SQLite store reached through its versions 1–7 (the same tables, keys and
//! constraints, so the same invariants hold), written for PostgreSQL: `BIGINT` times, `BOOLEAN` flags, `BYTEA`
//! hashes. Text columns that are ordered or compared by range use the `"C"` collation, because SQLite compares
//! text byte-wise and listings, cursors and tie-breaks must not depend on the server's locale. The constraints
//! the store classifies are named explicitly (see `constraint_of` in `mod.rs`).

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
    tenant_id TEXT COLLATE "C" PRIMARY KEY,
    config TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
INSERT INTO tenants (tenant_id, config, created_at) VALUES ('public', '{}', 0);

-- seq is the creation order: the tie-break for equal timeJoined (spec D9).
CREATE TABLE recipe_users (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipe_user_id TEXT COLLATE "C" NOT NULL,
    primary_or_recipe_user_id TEXT COLLATE "C" NOT NULL,
    is_linked_or_primary BOOLEAN NOT NULL DEFAULT FALSE,
    recipe_id TEXT NOT NULL,
    email TEXT COLLATE "C",
    phone_number TEXT COLLATE "C",
    third_party_id TEXT COLLATE "C",
    third_party_user_id TEXT COLLATE "C",
    time_joined BIGINT NOT NULL,
    -- Verification currency: counts the email changes of the recipe user (SQLite migration 5).
    email_gen BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT recipe_users_recipe_user_id_key UNIQUE (recipe_user_id)
);
CREATE INDEX recipe_users_group ON recipe_users (primary_or_recipe_user_id, time_joined);
CREATE INDEX recipe_users_email ON recipe_users (email);
CREATE INDEX recipe_users_phone ON recipe_users (phone_number);

-- U1: one third-party recipe user per (tenant, provider account).
CREATE TABLE recipe_user_tenants (
    recipe_user_id TEXT COLLATE "C" NOT NULL REFERENCES recipe_users (recipe_user_id) ON DELETE CASCADE,
    tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    third_party_id TEXT COLLATE "C",
    third_party_user_id TEXT COLLATE "C",
    CONSTRAINT recipe_user_tenants_pkey PRIMARY KEY (recipe_user_id, tenant_id)
);
CREATE UNIQUE INDEX recipe_user_tenants_u1
    ON recipe_user_tenants (tenant_id, third_party_id, third_party_user_id) WHERE third_party_id IS NOT NULL;
CREATE INDEX recipe_user_tenants_tenant ON recipe_user_tenants (tenant_id);

-- U3: a primary group reserves (its tenants) x (its account infos); the primary key makes a second holder
-- impossible. value2 carries the third-party user id so the pair is a tuple (spec D5).
CREATE TABLE primary_user_reservations (
    tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    kind TEXT COLLATE "C" NOT NULL,
    value TEXT COLLATE "C" NOT NULL,
    value2 TEXT COLLATE "C" NOT NULL DEFAULT '',
    primary_user_id TEXT COLLATE "C" NOT NULL,
    CONSTRAINT primary_user_reservations_pkey PRIMARY KEY (tenant_id, kind, value, value2)
);
CREATE INDEX primary_user_reservations_group ON primary_user_reservations (primary_user_id);

CREATE TABLE verified_emails (
    recipe_user_id TEXT COLLATE "C" NOT NULL REFERENCES recipe_users (recipe_user_id) ON DELETE CASCADE,
    email TEXT COLLATE "C" NOT NULL,
    gen BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (recipe_user_id, email)
);

-- Only a SHA-256 of the session secret is stored.
CREATE TABLE sessions (
    session_handle TEXT COLLATE "C" NOT NULL,
    secret_hash BYTEA NOT NULL,
    user_id TEXT COLLATE "C" NOT NULL,
    recipe_user_id TEXT COLLATE "C" NOT NULL,
    tenant_id TEXT COLLATE "C" NOT NULL,
    access_token_payload TEXT NOT NULL,
    time_created BIGINT NOT NULL,
    expiry BIGINT NOT NULL,
    CONSTRAINT sessions_pkey PRIMARY KEY (session_handle)
);
CREATE INDEX sessions_recipe_user ON sessions (recipe_user_id, tenant_id);
CREATE INDEX sessions_tenant ON sessions (tenant_id);
CREATE INDEX sessions_expiry ON sessions (expiry);

-- The event outbox: written in the transaction of the change it describes, delivered after commit, kept as
-- the audit log until retention removes delivered rows. seq is assigned by the insert above the newest row,
-- both watermarks and seq_floor, so no seq is handed out twice (SQLite migrations 4 and 6); writers are
-- serialised (see the store's module comment), so seq order is commit order.
CREATE TABLE event_outbox (
    seq BIGINT PRIMARY KEY,
    event_id TEXT NOT NULL,
    name TEXT NOT NULL,
    time BIGINT NOT NULL,
    tenant_id TEXT COLLATE "C",
    user_id TEXT COLLATE "C",
    payload TEXT NOT NULL,
    delivered_at BIGINT,
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    -- The tenants the audit index files the event under, as a JSON array, when that is not just tenant_id.
    tenant_ids TEXT
);
CREATE INDEX event_outbox_failed ON event_outbox (seq) WHERE attempts > 0 AND delivered_at IS NULL;
CREATE INDEX event_outbox_time ON event_outbox (time);
CREATE TABLE event_audit_index (
    key TEXT COLLATE "C" NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (key, seq)
);
CREATE TABLE event_outbox_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    delivered_through BIGINT NOT NULL,
    indexed_through BIGINT NOT NULL,
    seq_floor BIGINT NOT NULL DEFAULT 0
);
INSERT INTO event_outbox_state (id, delivered_through, indexed_through, seq_floor) VALUES (1, 0, 0, 0);

-- Stored-mode OAuth flows, keyed by the SHA-256 of the state; `used` keeps a taken flow until it is purged.
CREATE TABLE oauth_flows (
    state_hash BYTEA PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    third_party_id TEXT NOT NULL,
    client_type TEXT,
    redirect_uri TEXT NOT NULL,
    pkce_code_verifier TEXT,
    nonce TEXT,
    expires_at BIGINT NOT NULL,
    used BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX oauth_flows_expiry ON oauth_flows (expires_at);
"#,
    ),
    (
        2,
        r#"
-- Delivery leases (issue #15), as SQLite's version 8: an undelivered row is delivered only by the engine holding
-- its lease (claimed_by) until lease_until (epoch ms). The writer leases its own events at insert; a sweep claims
-- expired ones with SELECT ... FOR UPDATE SKIP LOCKED and an UPDATE ... RETURNING in one write transaction. Rows
-- from before this version have no lease and are claimable at once.
ALTER TABLE event_outbox ADD COLUMN lease_until BIGINT;
ALTER TABLE event_outbox ADD COLUMN claimed_by TEXT;
"#,
    ),
];
