//! The recipe functions interface: every operation callers and overrides see.
//!
//! SuperTokens' override model (spec §7.1): an override receives `original` and returns a replacement; the
//! engine keeps the *final* object, and the built-in implementation calls other operations through it, so
//! overriding `createPrimaryUser` also changes what `manuallyCreateOrUpdateUser` does. In Rust an override is a
//! struct holding `original` that implements [`RecipeFunctions::original`] and only the methods it changes: every
//! other method's default body delegates to `original()`.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{AuthError, Result};
use crate::events::{EventName, NewEvent, Outboxed};
use crate::model::{EmailInput, SignInUpInput, User};
use crate::policy::{LinkingExplanation, SessionLinking};
use crate::recipes::RequestTx;

/// A map that travels through every call of one request, shared by reference like a JS object, so host code
/// can pass per-request flags to its own overrides and callbacks. It also carries the request's *flow*: the
/// events committed so far, delivered when the outermost built-in operation returns. Bindings must hand the
/// same `UserContext` (a clone) back when host code calls `original`, or nested events are delivered early.
#[derive(Debug, Clone, Default)]
pub struct UserContext {
    map: Arc<Mutex<Map<String, Value>>>,
    flow: Arc<Flow>,
}

/// Per-request event bookkeeping.
#[derive(Debug, Default)]
pub(crate) struct Flow {
    depth: AtomicUsize,
    /// Committed, not yet delivered, in commit order.
    pending: Mutex<Vec<Outboxed>>,
    /// To be written with the next transaction of this flow (e.g. `signIn` rides with the session's).
    staged: Mutex<Vec<NewEvent>>,
    /// Set by `signInUpPOST` when the request links to its session's user (spec §4.8.6); taken by the
    /// `manuallyCreateOrUpdateUser` of the same request instead of linking by account info.
    session_linking: Mutex<Option<SessionLinking>>,
    /// The request runs its steps in one write transaction ([`RequestTx`]) while no host code is running.
    batched: AtomicBool,
    /// How many crossings into host code (override layers) of this request are running now.
    in_host: AtomicUsize,
    /// The request's open write transaction, when batched; committed by [`UserContext::settle`].
    request_tx: Mutex<Option<RequestTx>>,
    /// A commit of the request's transaction that failed where no caller could be told (the request was
    /// suspending): the request reports it when it ends.
    deferred: Mutex<Option<AuthError>>,
    /// The engine's store is remote: the request's transaction is committed in the background (a host thread
    /// must not wait for the network), and its next store work waits for that commit first.
    remote: AtomicBool,
    /// A section of this request's store work is running off the host thread ([`UserContext::enter_store`]):
    /// the request is running, so it does not settle its transaction meanwhile.
    in_store: AtomicUsize,
    /// Background commits of the request's transaction not yet known to have finished.
    settling: Mutex<Vec<tokio::sync::oneshot::Receiver<()>>>,
}

impl UserContext {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn from_map(map: Map<String, Value>) -> Self {
        UserContext {
            map: Arc::new(Mutex::new(map)),
            flow: Arc::default(),
        }
    }
    pub fn get(&self, key: &str) -> Option<Value> {
        self.map.lock().ok().and_then(|m| m.get(key).cloned())
    }
    pub fn set(&self, key: &str, value: Value) {
        if let Ok(mut m) = self.map.lock() {
            m.insert(key.to_string(), value);
        }
    }
    /// Replace the whole map (bindings syncing a host object back).
    pub fn replace(&self, map: Map<String, Value>) {
        if let Ok(mut m) = self.map.lock() {
            *m = map;
        }
    }
    pub fn to_map(&self) -> Map<String, Value> {
        self.map.lock().map(|m| m.clone()).unwrap_or_default()
    }
    /// Whether two handles are the same request context.
    pub fn same(&self, other: &UserContext) -> bool {
        Arc::ptr_eq(&self.map, &other.map)
    }

    /// Returns true when this is the request's outermost operation.
    pub(crate) fn enter(&self) -> bool {
        self.flow.depth.fetch_add(1, Ordering::SeqCst) == 0
    }
    /// Returns true when the outermost operation just left.
    pub(crate) fn leave(&self) -> bool {
        self.flow.depth.fetch_sub(1, Ordering::SeqCst) == 1
    }
    pub(crate) fn push_pending(&self, events: Vec<Outboxed>) {
        if let Ok(mut p) = self.flow.pending.lock() {
            p.extend(events);
        }
    }
    pub(crate) fn take_pending(&self) -> Vec<Outboxed> {
        self.flow
            .pending
            .lock()
            .map(|mut p| std::mem::take(&mut *p))
            .unwrap_or_default()
    }
    /// User id → outbox seq of this request's committed, undelivered `createUser` events.
    pub(crate) fn pending_created_users(&self) -> std::collections::HashMap<String, i64> {
        self.flow
            .pending
            .lock()
            .map(|p| {
                p.iter()
                    .filter(|o| o.event.name == EventName::CreateUser)
                    .filter_map(|o| o.event.user_id.clone().map(|u| (u, o.seq)))
                    .collect()
            })
            .unwrap_or_default()
    }
    pub(crate) fn cancel(&self, name: EventName, user_id: &str) {
        if let Ok(mut p) = self.flow.pending.lock() {
            p.retain(|o| !(o.event.name == name && o.event.user_id.as_deref() == Some(user_id)));
        }
    }
    pub(crate) fn stage(&self, event: NewEvent) {
        if let Ok(mut s) = self.flow.staged.lock() {
            s.push(event);
        }
    }
    pub(crate) fn take_staged(&self) -> Vec<NewEvent> {
        self.flow
            .staged
            .lock()
            .map(|mut s| std::mem::take(&mut *s))
            .unwrap_or_default()
    }
    /// Puts `linking` on the flow until the returned lease is dropped, even when the call it is for is
    /// cancelled: a leftover would make a later sign-in of the same request link to the session user.
    pub(crate) fn lend_session_linking(
        &self,
        linking: Option<SessionLinking>,
    ) -> SessionLinkingLease {
        if let Ok(mut l) = self.flow.session_linking.lock() {
            *l = linking;
        }
        SessionLinkingLease(self.flow.clone())
    }
    pub(crate) fn take_session_linking(&self) -> Option<SessionLinking> {
        self.flow
            .session_linking
            .lock()
            .ok()
            .and_then(|mut l| l.take())
    }
    /// Drops what was staged for a transaction that will not come (its operation failed).
    pub(crate) fn discard_staged(&self) {
        if let Ok(mut s) = self.flow.staged.lock() {
            s.clear();
        }
    }
    pub(crate) fn restage(&self, events: Vec<NewEvent>) {
        if let Ok(mut s) = self.flow.staged.lock() {
            let later = std::mem::replace(&mut *s, events);
            s.extend(later);
        }
    }
}

impl UserContext {
    /// Makes this request's steps share one write transaction (see [`crate::recipes::RequestTx`]). Only the
    /// outermost operation of a request asks; it ends with [`UserContext::end_batch`].
    pub(crate) fn begin_batch(&self) {
        self.flow.batched.store(true, Ordering::SeqCst);
    }
    pub(crate) fn end_batch(&self) {
        self.flow.batched.store(false, Ordering::SeqCst);
    }
    /// Whether the current step joins the request's transaction: batched, and no host code of this request is
    /// running (host code that calls `original` gets a transaction per step, committed before it resumes).
    pub(crate) fn batched(&self) -> bool {
        self.flow.batched.load(Ordering::SeqCst) && self.flow.in_host.load(Ordering::SeqCst) == 0
    }
    pub(crate) fn request_tx(&self) -> Result<MutexGuard<'_, Option<RequestTx>>> {
        self.flow
            .request_tx
            .lock()
            .map_err(|_| AuthError::internal("request transaction lock poisoned"))
    }
    /// Commits the request's open transaction, if any: its events join the pending list. Called before host
    /// code runs, when the request suspends and when it ends, so no transaction is held by host code or by a
    /// request that is not running. On a remote store the commit runs in the background (its error, if any,
    /// is reported when the request ends) and the request's next store work waits for it
    /// ([`UserContext::settled`]).
    pub(crate) fn settle(&self) -> Result<()> {
        let open = self.request_tx()?.take();
        let Some(tx) = open else { return Ok(()) };
        if self.flow.remote.load(Ordering::SeqCst) {
            let ctx = self.clone();
            let done = crate::io::spawn_section(move || {
                if let Err(e) = ctx.commit_request_tx(tx) {
                    ctx.defer(e);
                }
            });
            if let (Some(done), Ok(mut settling)) = (done, self.flow.settling.lock()) {
                settling.push(done);
            }
            return Ok(());
        }
        self.commit_request_tx(tx)
    }
    fn commit_request_tx(&self, tx: RequestTx) -> Result<()> {
        let (written, cancelled) = tx.commit()?;
        for (name, user) in cancelled {
            self.cancel(name, &user);
        }
        self.push_pending(written);
        Ok(())
    }
    fn defer(&self, e: AuthError) {
        if let Ok(mut d) = self.flow.deferred.lock() {
            d.get_or_insert(e);
        }
    }
    /// [`UserContext::settle`] where its error cannot be returned: kept for the request's end. Not while a
    /// section of the request's store work runs: the request is running then, and holds its transaction.
    pub(crate) fn settle_or_defer(&self) {
        if self.flow.in_store.load(Ordering::SeqCst) > 0 {
            return;
        }
        if let Err(e) = self.settle() {
            self.defer(e);
        }
    }
    /// Waits until the request's background commits (remote store) have finished.
    pub(crate) async fn settled(&self) {
        loop {
            let next = self.flow.settling.lock().ok().and_then(|mut s| s.pop());
            let Some(done) = next else { return };
            let _ = done.await;
        }
    }
    /// Tells the request whether its engine's store is remote (see [`UserContext::settle`]).
    pub(crate) fn set_remote(&self, remote: bool) {
        self.flow.remote.store(remote, Ordering::SeqCst);
    }
    /// Marks a section of the request's store work as running until the returned guard is dropped.
    pub(crate) fn enter_store(&self) -> InStore {
        self.flow.in_store.fetch_add(1, Ordering::SeqCst);
        InStore(self.flow.clone())
    }
    pub(crate) fn take_deferred(&self) -> Option<AuthError> {
        self.flow.deferred.lock().ok().and_then(|mut d| d.take())
    }
    /// Marks host code of this request as running until the returned guard is dropped; the request's
    /// transaction is committed first.
    pub(crate) fn enter_host(&self) -> Result<InHost> {
        self.settle()?;
        self.flow.in_host.fetch_add(1, Ordering::SeqCst);
        Ok(InHost(self.flow.clone()))
    }
}

/// A section of a request's store work is running (see [`UserContext::enter_store`]).
pub(crate) struct InStore(Arc<Flow>);

impl Drop for InStore {
    fn drop(&mut self) {
        self.0.in_store.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Host code of a request is running (see [`UserContext::enter_host`]).
pub(crate) struct InHost(Arc<Flow>);

impl Drop for InHost {
    fn drop(&mut self) {
        self.0.in_host.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Clears the flow's session-linking slot when dropped (see [`UserContext::lend_session_linking`]).
pub(crate) struct SessionLinkingLease(Arc<Flow>);

impl Drop for SessionLinkingLease {
    fn drop(&mut self) {
        if let Ok(mut l) = self.0.session_linking.lock() {
            *l = None;
        }
    }
}

/// Input of `manuallyCreateOrUpdateUser`: the core input; the policy layer adds linking.
pub type ManuallyCreateOrUpdateUserInput = SignInUpInput;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(tag = "status")]
pub enum ManuallyCreateOrUpdateUserResult {
    #[serde(rename = "OK", rename_all = "camelCase")]
    Ok {
        created_new_recipe_user: bool,
        user: User,
        recipe_user_id: String,
        linking: LinkingExplanation,
    },
    #[serde(rename = "EMAIL_CHANGE_NOT_ALLOWED_ERROR")]
    EmailChangeNotAllowedError { reason: String },
    #[serde(rename = "SIGN_IN_UP_NOT_ALLOWED")]
    SignInUpNotAllowed { reason: String },
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum TimeJoinedOrder {
    #[default]
    #[serde(rename = "ASC")]
    Asc,
    #[serde(rename = "DESC")]
    Desc,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetUsersInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub tenant_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub limit: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub pagination_token: Option<String>,
    #[serde(default)]
    pub time_joined_order: TimeJoinedOrder,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase")]
pub struct GetUsersResult {
    pub users: Vec<User>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub next_pagination_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(tag = "status")]
pub enum VerifyEmailResult {
    #[serde(rename = "OK")]
    Ok { user: Option<User> },
}

/// Input of `verifyEmail`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase")]
pub struct VerifyEmailInput {
    pub recipe_user_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub email: Option<String>,
    /// Run automatic linking afterwards, like the SDK's `verifyEmailUsingToken` (default true).
    #[serde(default = "yes")]
    #[cfg_attr(feature = "uniffi", uniffi(default = true))]
    pub attempt_account_linking: bool,
}

fn yes() -> bool {
    true
}

/// The email a provider returned (absent when the provider gave none).
pub type ProviderEmail = Option<EmailInput>;

pub use crate::layers::RecipeFunctions;
