//! Auth events: catalogue, outbox records and delivery.
//!
//! Every event is written to the outbox *in the transaction of the change it describes*, so a committed change
//! always has its event and a rolled-back one never does. Delivery happens after commit and is awaited by the
//! outermost operation of the request (NextAuth: "the execution of your authentication API will be blocked by an
//! await on your event handler"). Handlers cannot veto. A failing handler is logged (without the payload), the
//! failure is recorded on the outbox row, and the event stays pending: it is redelivered by
//! `deliver_pending_events()`, by the engine's periodic sweep and on the next open. Delivery is at-least-once;
//! `id` is stable for idempotency. Several processes may share one outbox: delivery leases (`outbox.rs`) keep
//! two of them from delivering one event at the same time.
//!
//! `createUser` is account-level (spec §7.2): it fires for a new recipe user only if that user is still a user of
//! its own when the request's flow ends. A link in the same flow deletes the undelivered `createUser` row in the
//! link's own transaction, so the two can never disagree, even across a crash.
//!
//! | operation | events, in order |
//! |---|---|
//! | `signInUp` | sign-up: `createUser`; sign-in: `updateUser` if the email changed or became verified |
//! | `manuallyCreateOrUpdateUser` | those of `signInUp`, then `updateUser` (verification propagated), `updateUser` (`isPrimaryUser`) or `linkAccount` (+ `signOut` for revoked sessions) |
//! | `signInUpPOST` | those of `manuallyCreateOrUpdateUser`, then `session`, then `signIn` |
//! | `createPrimaryUser` | `updateUser` with `changes.isPrimaryUser` |
//! | `linkAccounts` | `signOut` (each revoked session of the linked recipe user), `linkAccount` |
//! | `unlinkAccount` | `signOut` (revoked sessions), `unlinkAccount` |
//! | `deleteUser` | `signOut` (revoked sessions), `deleteUser` |
//! | `verifyEmail` / `unverifyEmail` | `updateUser` with `changes.emailVerified` when the state changed |
//! | `associateUserToTenant` / `disassociateUserFromTenant` | `addUserToTenant` / `signOut`…, `removeUserFromTenant` |
//! | `deleteTenant` | `signOut` for each session in the tenant |
//! | `createNewSession` | `session` |
//! | `revokeSession`, `revokeAllSessionsForUser` | `signOut` per session |

use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{AuthError, Result};
use crate::store::EventRow;

/// The event catalogue: NextAuth's names plus what NextAuth lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "camelCase")]
pub enum EventName {
    SignIn,
    SignOut,
    CreateUser,
    UpdateUser,
    LinkAccount,
    UnlinkAccount,
    DeleteUser,
    Session,
    AddUserToTenant,
    RemoveUserFromTenant,
}

impl EventName {
    pub const ALL: [EventName; 10] = [
        EventName::SignIn,
        EventName::SignOut,
        EventName::CreateUser,
        EventName::UpdateUser,
        EventName::LinkAccount,
        EventName::UnlinkAccount,
        EventName::DeleteUser,
        EventName::Session,
        EventName::AddUserToTenant,
        EventName::RemoveUserFromTenant,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            EventName::SignIn => "signIn",
            EventName::SignOut => "signOut",
            EventName::CreateUser => "createUser",
            EventName::UpdateUser => "updateUser",
            EventName::LinkAccount => "linkAccount",
            EventName::UnlinkAccount => "unlinkAccount",
            EventName::DeleteUser => "deleteUser",
            EventName::Session => "session",
            EventName::AddUserToTenant => "addUserToTenant",
            EventName::RemoveUserFromTenant => "removeUserFromTenant",
        }
    }

    pub fn parse(s: &str) -> Option<EventName> {
        EventName::ALL.into_iter().find(|n| n.as_str() == s)
    }
}

/// An event as handlers receive it: envelope fields plus the message fields of its kind, flattened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub id: String,
    pub name: EventName,
    pub time: i64,
    /// The tenant of the request that caused the event, for operations that take one (signInUp, sessions,
    /// tenant membership, …); for a session event, the session's tenant. Operations without a tenant argument
    /// (deleteUser, linkAccounts, unlinkAccount, createPrimaryUser, verifyEmail, …) act in every tenant of the
    /// user: their events carry the first (in id order) tenant of the login method they are about, and the
    /// audit log files them under every tenant of the user's group at that moment, so `listEvents({tenantId})`
    /// finds them in each.
    pub tenant_id: Option<String>,
    pub user_id: Option<String>,
    #[serde(flatten)]
    pub message: Map<String, Value>,
}

/// An event with its outbox position, as the engine tracks it until delivery is acknowledged. The position is
/// internal (acknowledgements and cancellation address rows by it), so it lives beside the [`Event`] callers
/// see rather than in it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Outboxed {
    pub seq: i64,
    pub event: Event,
    /// The end of this engine's delivery lease on the row (epoch ms): past it another engine may claim and
    /// deliver the event, so this one no longer starts its delivery (see `outbox.rs`).
    pub lease_until: i64,
}

impl Outboxed {
    pub(crate) fn from_row(row: &EventRow) -> Result<Outboxed> {
        Ok(Outboxed {
            seq: row.seq,
            event: Event::from_row(row)?,
            lease_until: row.lease_until.unwrap_or(0),
        })
    }
}

impl Event {
    pub(crate) fn from_row(row: &EventRow) -> Result<Event> {
        let name = EventName::parse(&row.name)
            .ok_or_else(|| AuthError::internal(format!("unknown event {}", row.name)))?;
        let message = match serde_json::from_str::<Value>(&row.payload) {
            Ok(Value::Object(m)) => m,
            _ => return Err(AuthError::internal("event payload is not an object")),
        };
        Ok(Event {
            id: row.event_id.clone(),
            name,
            time: row.time,
            tenant_id: row.tenant_id.clone(),
            user_id: row.user_id.clone(),
            message,
        })
    }
}

/// An outbox record as the audit log shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    #[serde(flatten)]
    pub event: Event,
    pub delivered_at: Option<i64>,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// An event a recipe produced inside its transaction, before it has an id.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NewEvent {
    pub name: EventName,
    pub tenant_id: Option<String>,
    pub user_id: Option<String>,
    pub message: Value,
    /// The tenants the audit index files the event under (see [`EventRow::tenant_ids`]). Sorted.
    pub tenant_ids: Vec<String>,
}

impl NewEvent {
    pub fn new(
        name: EventName,
        tenant_id: Option<&str>,
        user_id: Option<&str>,
        message: Value,
    ) -> Self {
        NewEvent {
            name,
            tenant_id: tenant_id.map(str::to_string),
            user_id: user_id.map(str::to_string),
            message,
            tenant_ids: tenant_id.map(str::to_string).into_iter().collect(),
        }
    }
}

/// Host code reacting to events. Errors are recorded and retried; they never undo the operation.
#[async_trait]
pub trait EventHandler: Send + Sync {
    async fn handle(&self, event: &Event) -> Result<()>;
}

/// A handler from an async closure.
pub struct FnHandler<F>(pub F);

#[async_trait]
impl<F, Fut> EventHandler for FnHandler<F>
where
    F: Fn(Event) -> Fut + Send + Sync,
    Fut: std::future::Future<Output = Result<()>> + Send,
{
    async fn handle(&self, event: &Event) -> Result<()> {
        (self.0)(event.clone()).await
    }
}

/// Handlers by event name, plus catch-alls (`None`).
#[derive(Clone, Default)]
pub(crate) struct Handlers {
    pub list: Vec<(Option<EventName>, Arc<dyn EventHandler>)>,
}

impl Handlers {
    pub fn for_event(&self, name: EventName) -> impl Iterator<Item = &Arc<dyn EventHandler>> {
        self.list
            .iter()
            .filter(move |(n, _)| n.is_none() || *n == Some(name))
            .map(|(_, h)| h)
    }
}

/// Event settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EventsConfig {
    /// Off: no outbox rows and no handler calls (for benchmarks and apps without events).
    #[serde(default = "yes")]
    #[cfg_attr(feature = "uniffi", uniffi(default = true))]
    pub enabled: bool,
    /// Delivered events older than this are deleted from the audit log on open. 0 keeps them forever.
    #[serde(default = "ninety")]
    #[cfg_attr(feature = "uniffi", uniffi(default = 90))]
    pub retention_days: u32,
    /// The delivery lease, in milliseconds (at least 100; smaller values count as 100). Several processes may
    /// deliver from one outbox: an event is delivered only by the engine holding its lease, the one that wrote
    /// it, or one whose sweep claimed it after the lease expired. So it bounds how long the events of a process
    /// killed mid-delivery wait for another (or the restarted) process to deliver them, and it should exceed the
    /// time one event's handlers take, or a slow delivery may meet a second, concurrent one. The engine sweeps
    /// every half lease (at most every 5 s) while events are enabled.
    #[serde(default = "ten_seconds")]
    #[cfg_attr(feature = "uniffi", uniffi(default = 10000))]
    pub lease_ms: u64,
}

fn yes() -> bool {
    true
}
fn ninety() -> u32 {
    90
}
fn ten_seconds() -> u64 {
    10_000
}

impl Default for EventsConfig {
    fn default() -> Self {
        EventsConfig {
            enabled: true,
            retention_days: 90,
            lease_ms: ten_seconds(),
        }
    }
}

/// Audit-log query.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListEventsInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub tenant_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub since: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub until: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub limit: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub pagination_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase")]
pub struct ListEventsResult {
    pub events: Vec<AuditRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_pagination_token: Option<String>,
}

/// Outcome of a redelivery sweep.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase")]
pub struct DeliveryReport {
    pub delivered: usize,
    pub failed: usize,
}
