//! Primary users, linking, unlinking, deletion and lookups (spec §4). Core semantics only: the automatic
//! linking *policy* is in `policy.rs` and the engine.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{require_tenant, reservations, sessions, unknown_user, Group, Step, Tx, TxResult};
use crate::error::AuthError;
use crate::events::EventName;
use crate::model::{email, AccountInfo, User};
use crate::recipes::sessions::RevokeReason;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(tag = "status")]
pub enum CreatePrimaryUserResult {
    #[serde(rename = "OK", rename_all = "camelCase")]
    Ok {
        was_already_a_primary_user: bool,
        /// Absent for `canCreatePrimaryUser`.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        user: Option<User>,
    },
    #[serde(
        rename = "RECIPE_USER_ID_ALREADY_LINKED_WITH_PRIMARY_USER_ID_ERROR",
        rename_all = "camelCase"
    )]
    RecipeUserIdAlreadyLinkedWithPrimaryUserIdError {
        primary_user_id: String,
        description: String,
    },
    #[serde(
        rename = "ACCOUNT_INFO_ALREADY_ASSOCIATED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR",
        rename_all = "camelCase"
    )]
    AccountInfoAlreadyAssociatedWithAnotherPrimaryUserIdError {
        primary_user_id: String,
        description: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(tag = "status")]
pub enum LinkAccountsResult {
    #[serde(rename = "OK", rename_all = "camelCase")]
    Ok {
        accounts_already_linked: bool,
        /// Absent for `canLinkAccounts`.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        user: Option<User>,
    },
    #[serde(
        rename = "RECIPE_USER_ID_ALREADY_LINKED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR",
        rename_all = "camelCase"
    )]
    RecipeUserIdAlreadyLinkedWithAnotherPrimaryUserIdError {
        primary_user_id: String,
        description: String,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        user: Option<User>,
    },
    #[serde(
        rename = "ACCOUNT_INFO_ALREADY_ASSOCIATED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR",
        rename_all = "camelCase"
    )]
    AccountInfoAlreadyAssociatedWithAnotherPrimaryUserIdError {
        primary_user_id: String,
        description: String,
    },
    #[serde(rename = "INPUT_USER_IS_NOT_A_PRIMARY_USER")]
    InputUserIsNotAPrimaryUser,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(tag = "status")]
pub enum UnlinkAccountResult {
    #[serde(rename = "OK", rename_all = "camelCase")]
    Ok {
        was_recipe_user_deleted: bool,
        was_linked: bool,
    },
}

pub(crate) fn create_primary_user(
    tx: &mut Tx<'_>,
    recipe_user_id: &str,
    dry_run: bool,
) -> TxResult<Step<CreatePrimaryUserResult>> {
    let row =
        tx.s.recipe_user(recipe_user_id)?
            .ok_or_else(|| unknown_user(recipe_user_id))?;
    if row.is_linked_or_primary {
        if row.primary_or_recipe_user_id != recipe_user_id {
            return Ok(Step::Rollback(
                CreatePrimaryUserResult::RecipeUserIdAlreadyLinkedWithPrimaryUserIdError {
                    primary_user_id: row.primary_or_recipe_user_id,
                    description: "This user ID is already linked to another user ID".into(),
                },
            ));
        }
        let user = if dry_run {
            None
        } else {
            Group::load(tx, recipe_user_id)?.map(|g| g.to_user())
        };
        return Ok(Step::Rollback(CreatePrimaryUserResult::Ok {
            was_already_a_primary_user: true,
            user,
        }));
    }
    tx.s.set_group(recipe_user_id, recipe_user_id, true)?;
    let mut member = row;
    member.is_linked_or_primary = true;
    let group = Group {
        id: recipe_user_id.to_string(),
        is_primary: true,
        members: vec![member],
    };
    if let Some(c) = reservations::sync_group(tx, &group)? {
        return Ok(Step::Rollback(
            CreatePrimaryUserResult::AccountInfoAlreadyAssociatedWithAnotherPrimaryUserIdError {
                primary_user_id: c.holder.clone(),
                description: c.description().into(),
            },
        ));
    }
    if !dry_run {
        let user = group.to_user();
        let tenant = group.tenant_of(recipe_user_id);
        let message = json!({"user": user, "recipeUserId": recipe_user_id, "changes": {"isPrimaryUser": true}});
        tx.emit_in_tenants(
            EventName::UpdateUser,
            group.tenant_ids(),
            tenant.as_deref(),
            Some(recipe_user_id),
            message,
        );
    }
    if dry_run {
        return Ok(Step::Rollback(CreatePrimaryUserResult::Ok {
            was_already_a_primary_user: false,
            user: None,
        }));
    }
    Ok(Step::Commit(CreatePrimaryUserResult::Ok {
        was_already_a_primary_user: false,
        user: Some(group.to_user()),
    }))
}

pub(crate) fn link_accounts(
    tx: &mut Tx<'_>,
    recipe_user_id: &str,
    primary_user_id: &str,
    dry_run: bool,
) -> TxResult<Step<LinkAccountsResult>> {
    // Both ids must exist before anything else is reported (spec D7).
    let row =
        tx.s.recipe_user(recipe_user_id)?
            .ok_or_else(|| unknown_user(recipe_user_id))?;
    let target = Group::load_by_user_id(tx, primary_user_id)?
        .ok_or_else(|| unknown_user(primary_user_id))?;
    let done = |r: LinkAccountsResult| Ok(Step::Rollback(r));
    if !target.is_primary {
        return done(LinkAccountsResult::InputUserIsNotAPrimaryUser);
    }
    if row.is_linked_or_primary {
        if row.primary_or_recipe_user_id == target.id {
            let user = if dry_run {
                None
            } else {
                Some(target.to_user())
            };
            return done(LinkAccountsResult::Ok {
                accounts_already_linked: true,
                user,
            });
        }
        let user = if dry_run {
            None
        } else {
            Group::load(tx, &row.primary_or_recipe_user_id)?.map(|g| g.to_user())
        };
        return done(
            LinkAccountsResult::RecipeUserIdAlreadyLinkedWithAnotherPrimaryUserIdError {
                primary_user_id: row.primary_or_recipe_user_id,
                description: "The input recipe user ID is already linked to another user ID".into(),
                user,
            },
        );
    }
    tx.s.set_group(recipe_user_id, &target.id, true)?;
    let group = Group::load(tx, &target.id)?.ok_or_else(|| unknown_user(primary_user_id))?;
    if let Some(c) = reservations::sync_group(tx, &group)? {
        return done(
            LinkAccountsResult::AccountInfoAlreadyAssociatedWithAnotherPrimaryUserIdError {
                primary_user_id: c.holder.clone(),
                description: c.description().into(),
            },
        );
    }
    if dry_run {
        return done(LinkAccountsResult::Ok {
            accounts_already_linked: false,
            user: None,
        });
    }
    // The linked user's sessions carry its old user id: revoke them (spec §4.3 step 6, §6).
    // (Each revoked session is reported by its own `signOut` event.)
    sessions::revoke_for_recipe_users(
        tx,
        &[recipe_user_id.to_string()],
        None,
        RevokeReason::AccountLinked,
    )?;
    // This request's undelivered `createUser` for the recipe user described an account that no longer exists
    // on its own: drop it in this same transaction (spec §7.2).
    // (Written by this very transaction when sign-up and link are fused: it never reaches the outbox.)
    tx.events.retain(|e| {
        !(e.name == EventName::CreateUser && e.user_id.as_deref() == Some(recipe_user_id))
    });
    if let Some(seq) = tx.pending_created.get(recipe_user_id).copied() {
        if tx.s.delete_undelivered_event(seq)? {
            tx.cancelled
                .push((EventName::CreateUser, recipe_user_id.to_string()));
        }
    }
    let user = group.to_user();
    if let Some(lm) = user.login_method(recipe_user_id) {
        let account = json!({
            "provider": lm.third_party.as_ref().map(|t| t.id.clone()),
            "providerAccountId": lm.third_party.as_ref().map(|t| t.user_id.clone()),
            "recipeUserId": recipe_user_id,
            "email": lm.email,
        });
        let tenant = group.tenant_of(recipe_user_id);
        tx.emit_in_tenants(
            EventName::LinkAccount,
            group.tenant_ids(),
            tenant.as_deref(),
            Some(&user.id),
            json!({"user": user, "account": account}),
        );
    }
    Ok(Step::Commit(LinkAccountsResult::Ok {
        accounts_already_linked: false,
        user: Some(user),
    }))
}

pub(crate) fn unlink_account(
    tx: &mut Tx<'_>,
    recipe_user_id: &str,
) -> TxResult<Step<UnlinkAccountResult>> {
    let row =
        tx.s.recipe_user(recipe_user_id)?
            .ok_or_else(|| unknown_user(recipe_user_id))?;
    if !row.is_linked_or_primary {
        let r = UnlinkAccountResult::Ok {
            was_recipe_user_deleted: false,
            was_linked: false,
        };
        return Ok(Step::Rollback(r));
    }
    let group_id = row.primary_or_recipe_user_id.clone();
    let group = Group::load(tx, &group_id)?.ok_or_else(|| unknown_user(recipe_user_id))?;
    let ids = [recipe_user_id.to_string()];
    sessions::revoke_for_recipe_users(tx, &ids, None, RevokeReason::AccountUnlinked)?;
    let deleted = group_id == recipe_user_id && group.members.len() > 1;
    let tenant = group.tenant_of(recipe_user_id);
    // Filed under the tenants of the group as it was, the unlinked login method's included.
    let filed_under = group.tenant_ids();
    if deleted {
        // The primary of a bigger group: keeping it as a standalone user would give two users one id, so its
        // login method is deleted and the group keeps the id (spec §4.4, D13).
        tx.s.delete_recipe_user(recipe_user_id)?;
    } else {
        tx.s.set_group(recipe_user_id, recipe_user_id, false)?;
    }
    let remaining = Group {
        id: group_id.clone(),
        is_primary: true,
        members: group
            .members
            .into_iter()
            .filter(|m| m.recipe_user_id != recipe_user_id)
            .collect(),
    };
    // Shrinking a group only releases reservations, so this cannot conflict.
    reservations::sync(tx, &group_id, &reservations::desired(&remaining))?;
    let remaining_user = (!remaining.members.is_empty()).then(|| remaining.to_user());
    let message = json!({"user": remaining_user, "recipeUserId": recipe_user_id, "wasRecipeUserDeleted": deleted});
    tx.emit_in_tenants(
        EventName::UnlinkAccount,
        filed_under,
        tenant.as_deref(),
        Some(&group_id),
        message,
    );
    let r = UnlinkAccountResult::Ok {
        was_recipe_user_deleted: deleted,
        was_linked: true,
    };
    Ok(Step::Commit(r))
}

/// Deletes a user (spec §4.5). An unknown id is not an error, as in the CDI.
pub(crate) fn delete_user(
    tx: &mut Tx<'_>,
    user_id: &str,
    remove_all_linked_accounts: bool,
) -> TxResult<Step<()>> {
    let Some(group) = Group::load_by_user_id(tx, user_id)? else {
        return Ok(Step::Rollback(()));
    };
    let doomed: Vec<String> = if remove_all_linked_accounts || group.members.len() == 1 {
        group
            .members
            .iter()
            .map(|m| m.recipe_user_id.clone())
            .collect()
    } else {
        group
            .member(user_id)
            .map(|m| vec![m.recipe_user_id.clone()])
            .unwrap_or_default()
    };
    if doomed.is_empty() {
        return Ok(Step::Rollback(()));
    }
    sessions::revoke_for_recipe_users(tx, &doomed, None, RevokeReason::UserDeleted)?;
    for id in &doomed {
        tx.s.delete_recipe_user(id)?;
    }
    let tenant = doomed.first().and_then(|id| group.tenant_of(id));
    let message = json!({"userId": group.id, "recipeUserIds": doomed});
    // Filed under every tenant of the group before the deletion.
    tx.emit_in_tenants(
        EventName::DeleteUser,
        group.tenant_ids(),
        tenant.as_deref(),
        Some(&group.id),
        message,
    );
    let remaining = Group {
        id: group.id.clone(),
        is_primary: group.is_primary,
        members: group
            .members
            .into_iter()
            .filter(|m| !doomed.contains(&m.recipe_user_id))
            .collect(),
    };
    reservations::sync(tx, &remaining.id, &reservations::desired(&remaining))?;
    Ok(Step::Commit(()))
}

pub(crate) fn get_user(tx: &mut Tx<'_>, user_id: &str) -> TxResult<Option<User>> {
    Ok(Group::load_by_user_id(tx, user_id)?.map(|g| g.to_user()))
}

/// Account info after normalisation: emails go through the email policy, phones are trimmed.
pub(crate) fn normalise_account_info(info: &AccountInfo) -> Result<AccountInfo, AuthError> {
    if info.email.is_none() && info.phone_number.is_none() && info.third_party.is_none() {
        return Err(AuthError::invalid(
            "accountInfo",
            "give at least one of email, phoneNumber, thirdParty",
        ));
    }
    Ok(AccountInfo {
        email: info
            .email
            .as_deref()
            .map(email::normalise_and_validate_email)
            .transpose()?,
        phone_number: info.phone_number.as_ref().map(|p| p.trim().to_string()),
        third_party: info.third_party.clone(),
    })
}

/// Groups matching the account info in the tenant, by timeJoined (spec §4.9). `info` must be normalised.
pub(crate) fn list_users_by_account_info(
    tx: &mut Tx<'_>,
    tenant_id: &str,
    info: &AccountInfo,
    union: bool,
) -> TxResult<Vec<User>> {
    require_tenant(tx, tenant_id)?;
    let mut sets: Vec<BTreeSet<String>> = Vec::new();
    if let Some(e) = &info.email {
        sets.push(tx.s.group_ids_by_email(tenant_id, e)?.into_iter().collect());
    }
    if let Some(p) = &info.phone_number {
        sets.push(tx.s.group_ids_by_phone(tenant_id, p)?.into_iter().collect());
    }
    if let Some(tp) = &info.third_party {
        sets.push(
            tx.s.group_ids_by_third_party(tenant_id, tp)?
                .into_iter()
                .collect(),
        );
    }
    let mut ids = sets.pop().unwrap_or_default();
    for s in sets {
        ids = if union {
            ids.union(&s).cloned().collect()
        } else {
            ids.intersection(&s).cloned().collect()
        };
    }
    let mut users = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(g) = Group::load(tx, &id)? {
            users.push(g.to_user());
        }
    }
    users.sort_by(|a, b| (a.time_joined, &a.id).cmp(&(b.time_joined, &b.id)));
    Ok(users)
}
