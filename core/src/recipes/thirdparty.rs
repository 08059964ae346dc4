//! Core third-party sign-in/up (spec §2): find-or-create per (tenant, provider account), email update on
//! sign-in, verification on `isVerified`.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{require_tenant, reservations, Group, Step, Tx, TxError, TxResult};
use crate::error::AuthError;
use crate::events::EventName;
use crate::model::{email, ids, SignInUpInput, ThirdPartyInfo, User};
use crate::store::{NewRecipeUser, RecipeUserRow};

/// The reason SuperTokens' core gives when an email change would break U3 (spec §2.3).
pub const EMAIL_CHANGE_CONFLICT_REASON: &str =
    "Email already associated with another primary user.";

/// Result of the core `signInUp`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(tag = "status")]
pub enum SignInUpResult {
    #[serde(rename = "OK", rename_all = "camelCase")]
    Ok {
        created_new_user: bool,
        user: User,
        recipe_user_id: String,
    },
    #[serde(rename = "EMAIL_CHANGE_NOT_ALLOWED_ERROR")]
    EmailChangeNotAllowedError { reason: String },
}

/// Validated, normalised sign-in/up input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidSignInUp {
    pub tenant_id: String,
    pub third_party: ThirdPartyInfo,
    pub email: String,
    pub is_verified: bool,
}

impl ValidSignInUp {
    pub fn parse(input: &SignInUpInput) -> Result<ValidSignInUp, AuthError> {
        let tenant_id = ids::normalise_tenant_id(&input.tenant_id)?;
        ids::validate_third_party_id(&input.third_party_id)?;
        ids::validate_third_party_user_id(&input.third_party_user_id)?;
        let email = email::normalise_and_validate_email(&input.email.id)?;
        Ok(ValidSignInUp {
            tenant_id,
            third_party: ThirdPartyInfo {
                id: input.third_party_id.clone(),
                user_id: input.third_party_user_id.clone(),
            },
            email,
            is_verified: input.email.is_verified,
        })
    }
}

/// Makes new user ids. Injectable so tests can force a collision (spec S17).
pub trait IdGenerator: Send + Sync {
    fn new_user_id(&self) -> String;
}

/// UUIDv4, like SuperTokens.
pub struct UuidGenerator;

impl IdGenerator for UuidGenerator {
    fn new_user_id(&self) -> String {
        uuid::Uuid::new_v4().to_string()
    }
}

const MAX_ID_ATTEMPTS: usize = 16;

/// One attempt. On a read-only transaction, `Ok(None)` means the call has something to write and must be run
/// again on a write transaction; a plain sign-in with nothing new never takes the write lock.
pub(crate) fn sign_in_up(
    tx: &mut Tx<'_>,
    id_gen: &dyn IdGenerator,
    input: &ValidSignInUp,
    writable: bool,
) -> TxResult<Option<Step<SignInUpResult>>> {
    require_tenant(tx, &input.tenant_id)?;
    // One query: the group of the login method holding this provider account in this tenant (U1, spec D6).
    let members =
        tx.s.group_of_third_party_user(&input.tenant_id, &input.third_party)?;
    let Some(row) = members
        .iter()
        .find(|m| {
            m.third_party.as_ref() == Some(&input.third_party)
                && m.tenant_ids.contains(&input.tenant_id)
        })
        .cloned()
    else {
        if !writable {
            return Ok(None);
        }
        return sign_up(tx, id_gen, input).map(|r| Some(Step::Commit(r)));
    };
    let recipe_user_id = row.recipe_user_id.clone();
    let email_changes = row.email.as_deref() != Some(input.email.as_str());
    let needs_verify =
        input.is_verified && (email_changes || !row.verified || !row.verification_current);
    if (email_changes || needs_verify) && !writable {
        return Ok(None);
    }
    let is_primary = members.iter().any(|m| m.is_linked_or_primary);
    let mut group = Group {
        id: row.primary_or_recipe_user_id.clone(),
        is_primary,
        members,
    };
    let mut changes = serde_json::Map::new();
    if email_changes {
        changes.insert(
            "email".into(),
            json!({"from": row.email, "to": input.email}),
        );
        tx.s.set_email(&recipe_user_id, &input.email)?;
        let verified = tx.s.is_email_verified(&recipe_user_id, &input.email)?;
        if let Some(m) = group.member_mut(&recipe_user_id) {
            m.email = Some(input.email.clone());
            m.verified = verified;
            m.verification_current = false;
        }
        if group.is_primary && reservations::sync_group(tx, &group)?.is_some() {
            return Ok(Some(Step::Rollback(
                SignInUpResult::EmailChangeNotAllowedError {
                    reason: EMAIL_CHANGE_CONFLICT_REASON.to_string(),
                },
            )));
        }
    }
    let (was_verified, was_current) = group
        .member(&recipe_user_id)
        .map_or((false, false), |m| (m.verified, m.verification_current));
    if input.is_verified && !(was_verified && was_current) {
        // The provider asserts the email now: the verification becomes current (a remembered one may be stale).
        tx.s.set_email_verified(&recipe_user_id, &input.email)?;
        if let Some(m) = group.member_mut(&recipe_user_id) {
            m.verified = true;
            m.verification_current = true;
        }
        if !was_verified {
            changes.insert(
                "emailVerified".into(),
                json!({"email": input.email, "verified": true}),
            );
        }
    }
    let user = group.to_user();
    if !changes.is_empty() {
        let message = json!({"user": user, "recipeUserId": recipe_user_id, "changes": changes});
        tx.emit(
            EventName::UpdateUser,
            Some(&input.tenant_id),
            Some(&user.id),
            message,
        );
    }
    Ok(Some(Step::Commit(SignInUpResult::Ok {
        created_new_user: false,
        user,
        recipe_user_id,
    })))
}

pub(crate) fn sign_up(
    tx: &mut Tx<'_>,
    id_gen: &dyn IdGenerator,
    input: &ValidSignInUp,
) -> TxResult<SignInUpResult> {
    let mut attempts = 0;
    let recipe_user_id = loop {
        attempts += 1;
        let candidate = id_gen.new_user_id();
        if !tx.s.user_id_taken(&candidate)? {
            break candidate;
        }
        if attempts >= MAX_ID_ATTEMPTS {
            return Err(TxError::Auth(AuthError::internal(
                "could not generate an unused user id",
            )));
        }
    };
    let new_user = NewRecipeUser {
        recipe_user_id: &recipe_user_id,
        tenant_id: &input.tenant_id,
        email: &input.email,
        third_party: &input.third_party,
        time_joined: tx.now,
    };
    // A unique violation here means we lost a race with another writer (another process, or PostgreSQL): the
    // engine retries the whole call, which then takes the sign-in path (spec §2.6).
    tx.s.insert_third_party_user(&new_user)?;
    if input.is_verified {
        tx.s.set_email_verified(&recipe_user_id, &input.email)?;
    }
    let row = RecipeUserRow {
        recipe_user_id: recipe_user_id.clone(),
        primary_or_recipe_user_id: recipe_user_id.clone(),
        is_linked_or_primary: false,
        email: Some(input.email.clone()),
        phone_number: None,
        third_party: Some(input.third_party.clone()),
        time_joined: tx.now,
        tenant_ids: vec![input.tenant_id.clone()],
        verified: input.is_verified,
        verification_current: input.is_verified,
    };
    let group = Group {
        id: recipe_user_id.clone(),
        is_primary: false,
        members: vec![row],
    };
    let user = group.to_user();
    let message = json!({"user": user, "recipeUserId": recipe_user_id});
    tx.emit(
        EventName::CreateUser,
        Some(&input.tenant_id),
        Some(&recipe_user_id),
        message,
    );
    Ok(SignInUpResult::Ok {
        created_new_user: true,
        user,
        recipe_user_id,
    })
}
