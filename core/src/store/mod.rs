//! Storage: the narrow transactional interface the recipes are written against.
//!
//! The rules (uniqueness, reservations, linking) live once, in `recipes/`, on top of these primitives; a store
//! only has to run SQL. Two invariants are enforced by the schema itself, so they hold even across processes
//! sharing one database: U1 (one third-party recipe user per tenant and provider account) is a unique index, and
//! U3 (one primary group per tenant and account-info value) is the primary key of the reservation table. A
//! store reports a violation of either as a typed [`StoreError::UniqueViolation`], which the engine turns into
//! a retry or a domain status.

pub mod conformance;
pub mod database;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod sqlite;

use crate::model::ThirdPartyInfo;
use crate::recipes::tenants::TenantConfig;

/// Which unique constraint a write hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Constraint {
    /// The recipe user id is taken (UUID collision, spec S17).
    UserId,
    /// U1: the provider account already has a recipe user in this tenant.
    ThirdPartyInTenant,
    /// U3: another primary group holds this (tenant, account info).
    Reservation,
    /// A session handle collision.
    SessionHandle,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum StoreError {
    #[error("unique constraint violated: {0:?}")]
    UniqueViolation(Constraint),
    /// The database is locked by another writer for longer than the busy timeout.
    #[error("database busy: {0}")]
    Busy(String),
    /// The database server cannot be reached, or stopped answering (PostgreSQL: refused or lost connections,
    /// a server shutting down, no answer within the store's timeout). Not retried by the engine: the request
    /// fails at once with `STORAGE_ERROR` whose message starts with "storage unavailable", and nothing of the
    /// failed transaction is kept (the server rolls back a transaction whose connection is gone).
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// The database (its path or its schema) cannot be used as given.
    #[error("invalid input for field '{field}': {message}")]
    InvalidInput { field: String, message: String },
    /// The database was migrated by a newer library: running on it could corrupt what that version wrote.
    #[error("the database schema is version {found}, newer than this library's {supported}")]
    SchemaTooNew { found: i64, supported: i64 },
    #[error("{0}")]
    Other(String),
}

pub type StoreResult<T> = std::result::Result<T, StoreError>;

/// A value a primary group reserves in a tenant (spec U3). Third-party accounts are a tuple, never a joined
/// string, so `("a::b","c")` and `("a","b::c")` cannot collide (spec D5).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AccountKey {
    /// Listed first so that third-party conflicts are reported first, as SuperTokens does (spec §4.2).
    ThirdParty(ThirdPartyInfo),
    Email(String),
    Phone(String),
}

impl AccountKey {
    /// The key as the reservation table's columns `(kind, value, value2)`, the same in every store.
    pub fn columns(&self) -> (&'static str, &str, &str) {
        match self {
            AccountKey::Email(e) => ("email", e.as_str(), ""),
            AccountKey::Phone(p) => ("phone", p.as_str(), ""),
            AccountKey::ThirdParty(tp) => ("thirdparty", tp.id.as_str(), tp.user_id.as_str()),
        }
    }

    /// The key read back from the reservation table's columns.
    pub fn from_columns(kind: &str, value: String, value2: String) -> StoreResult<AccountKey> {
        match kind {
            "email" => Ok(AccountKey::Email(value)),
            "phone" => Ok(AccountKey::Phone(value)),
            "thirdparty" => Ok(AccountKey::ThirdParty(ThirdPartyInfo {
                id: value,
                user_id: value2,
            })),
            other => Err(StoreError::Other(format!(
                "unknown reservation kind {other}"
            ))),
        }
    }
}

/// One row of the reservation table.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Reservation {
    pub tenant_id: String,
    pub key: AccountKey,
}

/// A recipe user as stored, with its tenants and the verification state of its current email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipeUserRow {
    pub recipe_user_id: String,
    pub primary_or_recipe_user_id: String,
    pub is_linked_or_primary: bool,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub third_party: Option<ThirdPartyInfo>,
    pub time_joined: i64,
    /// Sorted ascending.
    pub tenant_ids: Vec<String>,
    pub verified: bool,
    /// Whether that verification was made since this login method last took its email (see migration 5).
    pub verification_current: bool,
}

/// What a new third-party recipe user is inserted with.
#[derive(Debug, Clone)]
pub struct NewRecipeUser<'a> {
    pub recipe_user_id: &'a str,
    pub tenant_id: &'a str,
    pub email: &'a str,
    pub third_party: &'a ThirdPartyInfo,
    pub time_joined: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub session_handle: String,
    pub secret_hash: Vec<u8>,
    pub user_id: String,
    pub recipe_user_id: String,
    pub tenant_id: String,
    pub access_token_payload: String,
    pub time_created: i64,
    pub expiry: i64,
}

/// A stored-mode OAuth flow (`getAuthorisationURL` with `mode: "stored"`), keyed by the SHA-256 of its
/// `state`: what `signInUpPOST` needs to finish it, kept server-side.
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthFlowRow {
    pub state_hash: Vec<u8>,
    pub tenant_id: String,
    pub third_party_id: String,
    pub client_type: Option<String>,
    pub redirect_uri: String,
    pub pkce_code_verifier: Option<String>,
    pub nonce: Option<String>,
    pub expires_at: i64,
}

/// The verifier is a secret of the flow: `Debug` leaves it out.
impl std::fmt::Debug for OAuthFlowRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthFlowRow")
            .field("tenant_id", &self.tenant_id)
            .field("third_party_id", &self.third_party_id)
            .field("client_type", &self.client_type)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// What taking a stored flow found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlowTake {
    /// No flow has this state (never stored, or purged long after it expired).
    Unknown,
    /// The flow was taken before: a replayed state.
    Used,
    Expired,
    Taken(OAuthFlowRow),
}

/// One outbox row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub seq: i64,
    pub event_id: String,
    pub name: String,
    pub time: i64,
    /// The envelope's `tenantId` (see [`crate::events::Event::tenant_id`]).
    pub tenant_id: Option<String>,
    pub user_id: Option<String>,
    /// The tenants the audit index files the event under, so that `listEvents({tenantId})` finds it in each:
    /// the request's tenant, or every tenant of the affected user for operations without a tenant argument.
    /// Sorted; usually just `tenant_id`.
    pub tenant_ids: Vec<String>,
    /// The JSON message.
    pub payload: String,
    pub delivered_at: Option<i64>,
    pub attempts: i64,
    pub last_error: Option<String>,
    /// Until when (epoch ms, the app servers' clock) the engine named by `claimed_by` holds the delivery lease
    /// of this undelivered row; no other engine may claim it before. `None`: never leased (claimable at once).
    pub lease_until: Option<i64>,
    /// The engine instance holding (or that last held) the lease: see [`Claim`].
    pub claimed_by: Option<String>,
}

/// A delivery claim on outbox rows (issue #15): who claims, at what time, until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim<'a> {
    /// The claiming engine instance (a random id per engine, so a restarted process is a new claimant).
    pub claimer: &'a str,
    /// The claimant's clock now (epoch ms): leases ending at or before it have expired.
    pub now: i64,
    /// The new lease's end (epoch ms).
    pub lease_until: i64,
    /// Also claim rows whose live lease this claimer holds itself (shutdown, once its own requests are done);
    /// a periodic sweep must not, or it would deliver beside the request that holds the lease.
    pub include_own: bool,
}

/// Audit-log query filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    pub user_id: Option<String>,
    pub tenant_id: Option<String>,
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub after_seq: Option<i64>,
}

/// Cursor position for user listing: (group timeJoined, group id).
pub type ListCursor = (i64, String);

/// One transaction. Dropping it without [`StoreTx::commit`] rolls back. A write that hits a unique constraint
/// must report `UniqueViolation` *and leave the transaction usable* (PostgreSQL: `ON CONFLICT DO NOTHING` or a
/// savepoint), because the recipes then read who holds the value to build their status. It owns its connection
/// and is `Send`, so a request can keep one open across its own steps (one commit per request); the engine
/// commits it before any host code runs and whenever the request suspends, so no host callback ever runs
/// inside a transaction and no suspended request holds the writer.
pub trait StoreTx: Send {
    fn commit(self: Box<Self>) -> StoreResult<()>;

    // --- steps inside a request's transaction: one level, so a failed or rolled-back step undoes only itself.
    fn savepoint(&mut self) -> StoreResult<()>;
    fn release_savepoint(&mut self) -> StoreResult<()>;
    /// Undoes the writes since [`StoreTx::savepoint`] and ends it.
    fn rollback_to_savepoint(&mut self) -> StoreResult<()>;

    // --- users
    fn recipe_user(&mut self, recipe_user_id: &str) -> StoreResult<Option<RecipeUserRow>>;
    /// The group id for any member id, or for a primary id whose own login method is gone (spec §4.6).
    fn group_id_of(&mut self, user_id: &str) -> StoreResult<Option<String>>;
    /// All members of a group in timeJoined order (ties by creation order).
    fn group_members(&mut self, group_id: &str) -> StoreResult<Vec<RecipeUserRow>>;
    /// U1 lookup plus the whole group in one query: the members of the group holding `tp` in `tenant_id`
    /// (empty if none), in timeJoined order.
    fn group_of_third_party_user(
        &mut self,
        tenant_id: &str,
        tp: &ThirdPartyInfo,
    ) -> StoreResult<Vec<RecipeUserRow>>;
    /// True if the id is used as a recipe user id or a group id.
    fn user_id_taken(&mut self, user_id: &str) -> StoreResult<bool>;
    fn insert_third_party_user(&mut self, user: &NewRecipeUser<'_>) -> StoreResult<()>;
    fn set_email(&mut self, recipe_user_id: &str, email: &str) -> StoreResult<()>;
    fn set_group(
        &mut self,
        recipe_user_id: &str,
        group_id: &str,
        is_linked_or_primary: bool,
    ) -> StoreResult<()>;
    /// Deletes the recipe user with its tenants and verification rows.
    fn delete_recipe_user(&mut self, recipe_user_id: &str) -> StoreResult<()>;
    /// Adds a tenant to a recipe user; `Ok(false)` if it was already there.
    fn add_user_to_tenant(&mut self, recipe_user_id: &str, tenant_id: &str) -> StoreResult<bool>;
    fn remove_user_from_tenant(
        &mut self,
        recipe_user_id: &str,
        tenant_id: &str,
    ) -> StoreResult<bool>;
    /// Group ids with a login method *in `tenant_id`* holding the value (spec §4.9).
    fn group_ids_by_email(&mut self, tenant_id: &str, email: &str) -> StoreResult<Vec<String>>;
    fn group_ids_by_phone(&mut self, tenant_id: &str, phone: &str) -> StoreResult<Vec<String>>;
    fn group_ids_by_third_party(
        &mut self,
        tenant_id: &str,
        tp: &ThirdPartyInfo,
    ) -> StoreResult<Vec<String>>;
    /// How many users (groups) there are, or how many have a login method in `tenant_id`.
    fn count_groups(&mut self, tenant_id: Option<&str>) -> StoreResult<u64>;
    /// One page of groups ordered by (group timeJoined, group id), optionally restricted to a tenant.
    fn list_groups(
        &mut self,
        tenant_id: Option<&str>,
        after: Option<&ListCursor>,
        descending: bool,
        limit: usize,
    ) -> StoreResult<Vec<ListCursor>>;

    // --- reservations (U3)
    fn reservations_of(&mut self, group_id: &str) -> StoreResult<Vec<Reservation>>;
    fn reservation_holder(&mut self, reservation: &Reservation) -> StoreResult<Option<String>>;
    /// Inserts; a row held by anyone gives `UniqueViolation(Reservation)`.
    fn insert_reservation(&mut self, reservation: &Reservation, group_id: &str) -> StoreResult<()>;
    fn delete_reservation(&mut self, reservation: &Reservation, group_id: &str) -> StoreResult<()>;

    // --- email verification (per recipe user id and email, app-wide: spec §3)
    fn is_email_verified(&mut self, recipe_user_id: &str, email: &str) -> StoreResult<bool>;
    /// `Ok(true)` if a row was added.
    fn set_email_verified(&mut self, recipe_user_id: &str, email: &str) -> StoreResult<bool>;
    fn unset_email_verified(&mut self, recipe_user_id: &str, email: &str) -> StoreResult<bool>;
    /// Whether `email` is this recipe user's current email and was verified since the user last took it.
    fn is_verification_current(&mut self, recipe_user_id: &str, email: &str) -> StoreResult<bool>;

    // --- tenants
    fn tenant(&mut self, tenant_id: &str) -> StoreResult<Option<TenantConfig>>;
    /// `Ok(true)` if created.
    fn upsert_tenant(
        &mut self,
        tenant_id: &str,
        config: &TenantConfig,
        now: i64,
    ) -> StoreResult<bool>;
    /// Removes the tenant, its memberships and reservations; users stay (spec §5.2).
    fn delete_tenant(&mut self, tenant_id: &str) -> StoreResult<bool>;
    fn list_tenants(&mut self) -> StoreResult<Vec<(String, TenantConfig)>>;

    // --- sessions
    fn insert_session(&mut self, row: &SessionRow) -> StoreResult<()>;

    // Stored-mode OAuth flows.
    fn insert_oauth_flow(&mut self, row: &OAuthFlowRow) -> StoreResult<()>;
    /// Marks the flow used and returns it; a later take of the same state sees [`FlowTake::Used`].
    fn take_oauth_flow(&mut self, state_hash: &[u8], now: i64) -> StoreResult<FlowTake>;
    /// Deletes at most `limit` flows that expired before `before`.
    fn delete_stale_oauth_flows(&mut self, before: i64, limit: usize) -> StoreResult<usize>;
    fn session(&mut self, session_handle: &str) -> StoreResult<Option<SessionRow>>;
    fn delete_session(&mut self, session_handle: &str) -> StoreResult<bool>;
    /// Deletes up to `limit` sessions whose expiry is at or before `now`; returns how many.
    fn delete_expired_sessions(&mut self, now: i64, limit: usize) -> StoreResult<usize>;
    fn sessions_in_tenant(&mut self, tenant_id: &str) -> StoreResult<Vec<String>>;
    /// Handles of the sessions whose recipe user id is one of `recipe_user_ids`, optionally in one tenant.
    fn session_handles_for(
        &mut self,
        recipe_user_ids: &[String],
        tenant_id: Option<&str>,
    ) -> StoreResult<Vec<String>>;

    // --- event outbox
    /// Appends an event; returns the `seq` the store assigned (commit order).
    fn insert_event(&mut self, row: &EventRow) -> StoreResult<i64>;
    /// Marks every undelivered event with `first <= seq <= last` delivered at `at`.
    fn mark_events_delivered(&mut self, first: i64, last: i64, at: i64) -> StoreResult<()>;
    /// Counts a failed delivery and releases the row's lease, so the next sweep (of any engine) retries it.
    fn record_event_failure(&mut self, seq: i64, error: &str) -> StoreResult<()>;
    /// Deletes an undelivered event; `Ok(false)` if it was delivered or is gone.
    fn delete_undelivered_event(&mut self, seq: i64) -> StoreResult<bool>;
    /// Moves the delivery watermark past every event delivered (or failed) in commit order.
    fn advance_delivery_watermark(&mut self) -> StoreResult<()>;
    /// Undelivered events after `after_seq` in commit order: every failed one, and never-attempted ones past
    /// the watermark at or before `time_at_most` (younger ones may belong to a request still in flight).
    fn pending_events(
        &mut self,
        after_seq: i64,
        time_at_most: i64,
        limit: usize,
    ) -> StoreResult<Vec<EventRow>>;
    /// Claims up to `limit` undelivered events after `after_seq`, in seq order, for `claim.claimer` until
    /// `claim.lease_until`: rows whose lease expired (`lease_until <= now`), never had one, or was released by a
    /// failure, plus, with `include_own`, rows the claimer already holds. Only rows that are failed or past the
    /// delivery watermark are candidates, as for [`StoreTx::pending_events`]. Must be called in a write
    /// transaction: two claimers never get the same row while its lease is live, and a delivered row is never
    /// claimed. Returns the claimed rows with their new lease.
    fn claim_events(
        &mut self,
        after_seq: i64,
        claim: &Claim<'_>,
        limit: usize,
    ) -> StoreResult<Vec<EventRow>>;
    /// Brings the audit index (by user and by tenant) up to date.
    fn index_audit_log(&mut self) -> StoreResult<()>;
    /// Events matching the filter in commit order (call [`StoreTx::index_audit_log`] first). A tenant filter
    /// matches every event filed under that tenant ([`EventRow::tenant_ids`]).
    fn list_events(&mut self, filter: &EventFilter, limit: usize) -> StoreResult<Vec<EventRow>>;
    /// Retention: deletes delivered events older than `time`.
    fn delete_delivered_events_before(&mut self, time: i64) -> StoreResult<usize>;
}

/// A database. `write` serialises writers (SQLite allows one); `read` may run beside writers.
pub trait Store: Send + Sync + 'static {
    fn write(&self) -> StoreResult<Box<dyn StoreTx>>;
    fn read(&self) -> StoreResult<Box<dyn StoreTx>>;
    /// Whether a transaction waits on the network (a database server): the engine then runs every
    /// transaction as one section on the I/O runtime's blocking pool (`crate::io::off_thread`), so a host
    /// thread never waits for it. An embedded store's work runs where it is called, with no thread hop.
    fn remote(&self) -> bool {
        false
    }
}
