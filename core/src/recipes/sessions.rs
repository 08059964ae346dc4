//! Minimal sessions (spec §6): an opaque token whose secret is stored only as a SHA-256 hash and checked in
//! constant time; the session's user id is the primary id of the recipe user's group.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{require_tenant, unknown_user, Group, Tx, TxError, TxResult};
use crate::error::AuthError;
use crate::events::EventName;
use crate::store::SessionRow;

/// A session as callers see it. The token is returned once, by `createNewSession`, and never stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub session_handle: String,
    /// The primary user id at creation time.
    pub user_id: String,
    pub recipe_user_id: String,
    pub tenant_id: String,
    pub access_token_payload: serde_json::Value,
    pub time_created: i64,
    pub expiry: i64,
}

/// Input of `getSession`. A session is valid only in its own tenant: `tenantId` (default `public`) must be
/// the session's, unless the caller explicitly asks across tenants with `anyTenant`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetSessionInput {
    pub access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub tenant_id: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub any_tenant: bool,
}

impl GetSessionInput {
    /// A check in the `public` tenant (or `tenant_id`).
    pub fn new(access_token: impl Into<String>, tenant_id: Option<&str>) -> Self {
        GetSessionInput {
            access_token: access_token.into(),
            tenant_id: tenant_id.map(str::to_string),
            any_tenant: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(tag = "status")]
pub enum CreateNewSessionResult {
    #[serde(rename = "OK", rename_all = "camelCase")]
    Ok {
        session: Session,
        access_token: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(tag = "status")]
pub enum GetSessionResult {
    #[serde(rename = "OK")]
    Ok { session: Session },
    /// Unknown, malformed, revoked or expired token. Deliberately one status: the caller learns nothing more.
    #[serde(rename = "UNAUTHORISED")]
    Unauthorised,
}

fn session_of(row: &SessionRow) -> Session {
    Session {
        session_handle: row.session_handle.clone(),
        user_id: row.user_id.clone(),
        recipe_user_id: row.recipe_user_id.clone(),
        tenant_id: row.tenant_id.clone(),
        access_token_payload: serde_json::from_str(&row.access_token_payload)
            .unwrap_or(serde_json::Value::Null),
        time_created: row.time_created,
        expiry: row.expiry,
    }
}

/// Expired sessions deleted per session creation (see [`create`]).
pub(crate) const PURGE_BATCH: usize = 64;

/// Deletes every expired session, in batches of short transactions (at open).
pub(crate) fn purge_expired(
    store: &dyn crate::store::Store,
    now: i64,
) -> crate::error::Result<usize> {
    const OPEN_BATCH: usize = 1000;
    let mut total = 0;
    loop {
        let mut tx = store.write()?;
        let n = tx.delete_expired_sessions(now, OPEN_BATCH)?;
        tx.commit()?;
        total += n;
        if n < OPEN_BATCH {
            return Ok(total);
        }
    }
}

fn hash(secret: &[u8]) -> Vec<u8> {
    Sha256::digest(secret).to_vec()
}

pub(crate) fn create(
    tx: &mut Tx<'_>,
    tenant_id: &str,
    recipe_user_id: &str,
    payload: &serde_json::Value,
    lifetime_ms: i64,
) -> TxResult<CreateNewSessionResult> {
    require_tenant(tx, tenant_id)?;
    let row =
        tx.s.recipe_user(recipe_user_id)?
            .ok_or_else(|| unknown_user(recipe_user_id))?;
    // Deliberately stricter than SuperTokens' core, which does not check: a session in a tenant the user is not
    // in would let a request act in that tenant as that user.
    if !row.tenant_ids.iter().any(|t| t == tenant_id) {
        return Err(TxError::Auth(AuthError::UserNotInTenant {
            user_id: recipe_user_id.to_string(),
            tenant_id: tenant_id.to_string(),
        }));
    }
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret)
        .map_err(|e| TxError::Auth(AuthError::internal(format!("no randomness: {e}"))))?;
    let session_row = SessionRow {
        session_handle: uuid::Uuid::new_v4().to_string(),
        secret_hash: hash(&secret),
        user_id: row.primary_or_recipe_user_id,
        recipe_user_id: recipe_user_id.to_string(),
        tenant_id: tenant_id.to_string(),
        access_token_payload: payload.to_string(),
        time_created: tx.now,
        expiry: tx.now.saturating_add(lifetime_ms),
    };
    tx.s.insert_session(&session_row)?;
    // Expired sessions are useless (verification refuses them) but hold a user id and a secret hash, so they
    // are purged here, a bounded batch per creation: each creation adds one session and removes up to
    // `PURGE_BATCH` expired ones, so any backlog drains while the cost stays one index seek when nothing
    // expired and at most a small batch of deletes otherwise. The rest go at open.
    tx.s.delete_expired_sessions(tx.now, PURGE_BATCH)?;
    let session = session_of(&session_row);
    tx.emit(
        EventName::Session,
        Some(tenant_id),
        Some(&session.user_id),
        json!({ "session": session }),
    );
    let access_token = format!(
        "{}.{}",
        session_row.session_handle,
        URL_SAFE_NO_PAD.encode(secret)
    );
    Ok(CreateNewSessionResult::Ok {
        session: session_of(&session_row),
        access_token,
    })
}

/// Checks a token; `tenant_id` is the tenant it must belong to (`None`: any tenant, asked for explicitly).
pub(crate) fn verify(
    tx: &mut Tx<'_>,
    access_token: &str,
    tenant_id: Option<&str>,
) -> TxResult<GetSessionResult> {
    if let Some(t) = tenant_id {
        require_tenant(tx, t)?;
    }
    let Some((handle, secret_b64)) = access_token.split_once('.') else {
        return Ok(GetSessionResult::Unauthorised);
    };
    let Ok(secret) = URL_SAFE_NO_PAD.decode(secret_b64) else {
        return Ok(GetSessionResult::Unauthorised);
    };
    if handle.len() > 64 {
        return Ok(GetSessionResult::Unauthorised);
    }
    let Some(row) = tx.s.session(handle)? else {
        return Ok(GetSessionResult::Unauthorised);
    };
    let matches: bool = hash(&secret).ct_eq(&row.secret_hash).into();
    if !matches || row.expiry <= tx.now || tenant_id.is_some_and(|t| t != row.tenant_id) {
        return Ok(GetSessionResult::Unauthorised);
    }
    Ok(GetSessionResult::Ok {
        session: session_of(&row),
    })
}

/// Deletes the sessions of these recipe users (in one tenant, if given) and returns their handles.
/// Why a session ended, as the `signOut` event reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RevokeReason {
    Revoked,
    AccountLinked,
    AccountUnlinked,
    UserDeleted,
    RemovedFromTenant,
    TenantDeleted,
}

impl RevokeReason {
    fn as_str(self) -> &'static str {
        match self {
            RevokeReason::Revoked => "REVOKED",
            RevokeReason::AccountLinked => "ACCOUNT_LINKED",
            RevokeReason::AccountUnlinked => "ACCOUNT_UNLINKED",
            RevokeReason::UserDeleted => "USER_DELETED",
            RevokeReason::RemovedFromTenant => "REMOVED_FROM_TENANT",
            RevokeReason::TenantDeleted => "TENANT_DELETED",
        }
    }
}

/// Deletes one session and emits `signOut`; `Ok(false)` if there was none.
pub(crate) fn revoke(
    tx: &mut Tx<'_>,
    session_handle: &str,
    reason: RevokeReason,
) -> TxResult<bool> {
    let Some(row) = tx.s.session(session_handle)? else {
        return Ok(false);
    };
    tx.s.delete_session(session_handle)?;
    let session = session_of(&row);
    let message = json!({"session": session, "reason": reason.as_str()});
    tx.emit(
        EventName::SignOut,
        Some(&row.tenant_id),
        Some(&row.user_id),
        message,
    );
    Ok(true)
}

/// Deletes the sessions of these recipe users (in one tenant, if given) and returns their handles.
pub(crate) fn revoke_for_recipe_users(
    tx: &mut Tx<'_>,
    recipe_user_ids: &[String],
    tenant_id: Option<&str>,
    reason: RevokeReason,
) -> TxResult<Vec<String>> {
    let handles = tx.s.session_handles_for(recipe_user_ids, tenant_id)?;
    for h in &handles {
        revoke(tx, h, reason)?;
    }
    Ok(handles)
}

/// The recipe user ids whose sessions belong to `user_id`: the whole group, or just that recipe user.
pub(crate) fn session_owners(
    tx: &mut Tx<'_>,
    user_id: &str,
    include_linked: bool,
) -> TxResult<Vec<String>> {
    if !include_linked {
        return Ok(vec![user_id.to_string()]);
    }
    Ok(match Group::load_by_user_id(tx, user_id)? {
        Some(g) => g.members.iter().map(|m| m.recipe_user_id.clone()).collect(),
        None => vec![user_id.to_string()],
    })
}
