//! Email verification state, per (recipe user id, email) and app-wide (spec §3).

use serde_json::json;

use super::{unknown_user, Group, Tx, TxResult};
use crate::error::AuthError;
use crate::events::EventName;
use crate::model::email;

/// The email to act on: the one given (normalised and validated) or the login method's current email.
pub(crate) fn resolve_email(
    tx: &mut Tx<'_>,
    recipe_user_id: &str,
    given: Option<&str>,
) -> TxResult<String> {
    let row =
        tx.s.recipe_user(recipe_user_id)?
            .ok_or_else(|| unknown_user(recipe_user_id))?;
    match given {
        Some(e) => Ok(email::normalise_and_validate_email(e)?),
        None => row
            .email
            .ok_or_else(|| AuthError::invalid("email", "the login method has no email").into()),
    }
}

pub(crate) fn is_verified(
    tx: &mut Tx<'_>,
    recipe_user_id: &str,
    given: Option<&str>,
) -> TxResult<bool> {
    let e = resolve_email(tx, recipe_user_id, given)?;
    Ok(tx.s.is_email_verified(recipe_user_id, &e)?)
}

/// Returns whether the state changed; a change emits `updateUser`.
pub(crate) fn set_verified(
    tx: &mut Tx<'_>,
    recipe_user_id: &str,
    given: Option<&str>,
    verified: bool,
) -> TxResult<bool> {
    let e = resolve_email(tx, recipe_user_id, given)?;
    let changed = if verified {
        tx.s.set_email_verified(recipe_user_id, &e)?
    } else {
        tx.s.unset_email_verified(recipe_user_id, &e)?
    };
    if changed {
        if let Some(group) = Group::load_by_user_id(tx, recipe_user_id)? {
            let user = group.to_user();
            let tenant = group.tenant_of(recipe_user_id);
            let changes = json!({"emailVerified": {"email": e, "verified": verified}});
            let message = json!({"user": user, "recipeUserId": recipe_user_id, "changes": changes});
            tx.emit_in_tenants(
                EventName::UpdateUser,
                group.tenant_ids(),
                tenant.as_deref(),
                Some(&user.id),
                message,
            );
        }
    }
    Ok(changed)
}
