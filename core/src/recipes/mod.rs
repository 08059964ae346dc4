//! The rules, written once against [`StoreTx`]. Each function here is one transaction's worth of work; the
//! engine runs it, commits or rolls back, and retries on a store-level race. Nothing here awaits: host code
//! (overrides, policy callbacks, event handlers) runs between transactions, never inside one.

pub mod emailverification;
pub mod linking;
pub(crate) mod reservations;
pub mod sessions;
pub mod tenants;
pub mod thirdparty;

use crate::error::AuthError;
use crate::events::{EventName, NewEvent, Outboxed};
use crate::model::{LoginMethod, RecipeId, User};
use crate::store::{RecipeUserRow, StoreError, StoreTx};

/// An undelivered event a transaction deleted: (name, user id).
pub(crate) type Cancelled = (EventName, String);

/// A transaction plus the clock reading it runs under, and the events its changes produced (written to the
/// outbox in this same transaction by the engine).
pub(crate) struct Tx<'a> {
    pub s: &'a mut dyn StoreTx,
    pub now: i64,
    pub events: Vec<NewEvent>,
    /// Undelivered events this transaction deleted (a `createUser` made void by a link).
    pub cancelled: Vec<Cancelled>,
    /// The request's committed, undelivered `createUser` events: user id → outbox seq.
    pub pending_created: std::collections::HashMap<String, i64>,
}

impl<'a> Tx<'a> {
    pub fn new(s: &'a mut dyn StoreTx, now: i64) -> Self {
        Tx {
            s,
            now,
            events: Vec::new(),
            cancelled: Vec::new(),
            pending_created: Default::default(),
        }
    }

    /// An event of an operation that runs in one tenant (`tenant_id`, the request's): filed under it alone.
    pub fn emit(
        &mut self,
        name: EventName,
        tenant_id: Option<&str>,
        user_id: Option<&str>,
        message: serde_json::Value,
    ) {
        self.events
            .push(NewEvent::new(name, tenant_id, user_id, message));
    }

    /// An event of an operation without a tenant argument (deleteUser, linkAccounts, verifyEmail, …): it
    /// happened in every tenant of the user it affects, so it is filed under all of them (`filed_under`, from
    /// [`Group::tenant_ids`] at that moment); the envelope keeps `tenant_id` (see [`Group::tenant_of`]).
    pub fn emit_in_tenants(
        &mut self,
        name: EventName,
        filed_under: Vec<String>,
        tenant_id: Option<&str>,
        user_id: Option<&str>,
        message: serde_json::Value,
    ) {
        let mut event = NewEvent::new(name, tenant_id, user_id, message);
        event.tenant_ids = filed_under;
        self.events.push(event);
    }
}

/// The write transaction a batched request keeps open across its steps, so the path that runs no host code
/// commits once per request. Each step runs inside a savepoint, so a step that fails or rolls back
/// undoes only itself; what the steps committed becomes durable, and their events pending, when the request
/// settles ([`crate::functions::UserContext::settle`]).
pub(crate) struct RequestTx {
    pub s: Box<dyn StoreTx>,
    /// Outbox events written by its steps, in order.
    pub written: Vec<Outboxed>,
    /// Cancellations of events that were already pending when the step ran.
    pub cancelled: Vec<Cancelled>,
    /// A step has been kept: later steps need a savepoint to be undone alone.
    pub holds_writes: bool,
}

impl std::fmt::Debug for RequestTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestTx")
            .field("written", &self.written.len())
            .finish_non_exhaustive()
    }
}

impl RequestTx {
    pub fn new(s: Box<dyn StoreTx>) -> Self {
        RequestTx {
            s,
            written: Vec::new(),
            cancelled: Vec::new(),
            holds_writes: false,
        }
    }

    /// A step's outcome: its events, and cancellations, which also void events of earlier steps.
    pub fn record(&mut self, events: Vec<Outboxed>, cancelled: Vec<Cancelled>) {
        for (name, user) in &cancelled {
            self.written.retain(|o| {
                !(o.event.name == *name && o.event.user_id.as_deref() == Some(user.as_str()))
            });
        }
        self.cancelled.extend(cancelled);
        self.written.extend(events);
    }

    /// The request's `createUser` events written so far and not yet committed: user id → outbox seq.
    pub fn created_users(&self) -> impl Iterator<Item = (String, i64)> + '_ {
        self.written
            .iter()
            .filter(|o| o.event.name == EventName::CreateUser)
            .filter_map(|o| o.event.user_id.clone().map(|u| (u, o.seq)))
    }

    pub fn commit(self) -> Result<(Vec<Outboxed>, Vec<Cancelled>), StoreError> {
        self.s.commit()?;
        Ok((self.written, self.cancelled))
    }
}

/// What a recipe step asks of its transaction. `Rollback` carries a domain status (e.g. a reservation
/// conflict found after a tentative write): the caller gets the value, the database keeps nothing.
pub(crate) enum Step<T> {
    Commit(T),
    Rollback(T),
}

/// Errors inside a transaction: store errors stay distinguishable so the engine can retry races.
#[derive(Debug)]
pub(crate) enum TxError {
    Auth(AuthError),
    Store(StoreError),
}

impl From<AuthError> for TxError {
    fn from(e: AuthError) -> Self {
        TxError::Auth(e)
    }
}

impl From<StoreError> for TxError {
    fn from(e: StoreError) -> Self {
        TxError::Store(e)
    }
}

pub(crate) type TxResult<T> = std::result::Result<T, TxError>;

/// A loaded group: a primary user with its members, or one standalone recipe user.
#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub id: String,
    pub is_primary: bool,
    /// timeJoined order, ties by creation order.
    pub members: Vec<RecipeUserRow>,
}

impl Group {
    pub fn load(tx: &mut Tx<'_>, group_id: &str) -> TxResult<Option<Group>> {
        let members = tx.s.group_members(group_id)?;
        if members.is_empty() {
            return Ok(None);
        }
        let is_primary = members.iter().any(|m| m.is_linked_or_primary);
        Ok(Some(Group {
            id: group_id.to_string(),
            is_primary,
            members,
        }))
    }

    /// The group of any member id or primary id.
    pub fn load_by_user_id(tx: &mut Tx<'_>, user_id: &str) -> TxResult<Option<Group>> {
        match tx.s.group_id_of(user_id)? {
            Some(g) => Group::load(tx, &g),
            None => Ok(None),
        }
    }

    pub fn member(&self, recipe_user_id: &str) -> Option<&RecipeUserRow> {
        self.members
            .iter()
            .find(|m| m.recipe_user_id == recipe_user_id)
    }

    pub fn member_mut(&mut self, recipe_user_id: &str) -> Option<&mut RecipeUserRow> {
        self.members
            .iter_mut()
            .find(|m| m.recipe_user_id == recipe_user_id)
    }

    /// The first tenant (in id order) of a member: the envelope `tenantId` of an event about it from an
    /// operation without a tenant argument. Informational only: such an event is filed under every tenant of
    /// the group ([`Group::tenant_ids`]), which is what `listEvents({tenantId})` searches.
    pub fn tenant_of(&self, recipe_user_id: &str) -> Option<String> {
        self.member(recipe_user_id)
            .and_then(|m| m.tenant_ids.first().cloned())
    }

    /// Every tenant of any member, sorted.
    pub fn tenant_ids(&self) -> Vec<String> {
        let set: std::collections::BTreeSet<&String> =
            self.members.iter().flat_map(|m| &m.tenant_ids).collect();
        set.into_iter().cloned().collect()
    }

    pub fn to_user(&self) -> User {
        User::from_login_methods(
            self.id.clone(),
            self.is_primary,
            self.members.iter().map(login_method).collect(),
        )
    }
}

pub(crate) fn login_method(row: &RecipeUserRow) -> LoginMethod {
    LoginMethod {
        tenant_ids: row.tenant_ids.clone(),
        recipe_user_id: row.recipe_user_id.clone(),
        verified: row.verified,
        time_joined: row.time_joined,
        recipe_id: RecipeId::ThirdParty,
        email: row.email.clone(),
        phone_number: row.phone_number.clone(),
        third_party: row.third_party.clone(),
    }
}

/// A tenant that must exist for the operation (spec §5.7).
pub(crate) fn require_tenant(tx: &mut Tx<'_>, tenant_id: &str) -> TxResult<tenants::TenantConfig> {
    tx.s.tenant(tenant_id)?.ok_or_else(|| {
        TxError::Auth(AuthError::TenantNotFound {
            tenant_id: tenant_id.to_string(),
        })
    })
}

pub(crate) fn unknown_user(user_id: &str) -> TxError {
    TxError::Auth(AuthError::UnknownUserId {
        user_id: user_id.to_string(),
    })
}
