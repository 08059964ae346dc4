//! The account-linking policy SuperTokens keeps in its SDKs (spec §4.8): `shouldDoAutomaticAccountLinking`,
//! `isSignUpAllowed`, `isSignInAllowed`, `isEmailChangeAllowed` and automatic primary creation / linking.
//!
//! Everything here calls the *final* (possibly overridden) functions object, so an override of
//! `listUsersByAccountInfo`, `createPrimaryUser`, `linkAccounts` or `shouldDoAutomaticAccountLinking` changes
//! these flows too. Each store access is its own transaction; races are settled by the store's constraints and
//! the bounded retries below, as in the SDK.
//!
//! Deliberate difference from supertokens-node (spec D8): when verification is required, automatic linking
//! also needs the primary user's login method with the same email to be *verified*. The SDK's operator
//! precedence lets an unverified claim on the primary side through; we do not.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{AuthError, Result};
use crate::functions::{RecipeFunctions, UserContext};
use crate::model::{AccountInfo, LoginMethod, RecipeId, User};
use crate::recipes::linking::{CreatePrimaryUserResult, LinkAccountsResult};
use crate::recipes::sessions::Session;

/// The account being signed in or up, as `shouldDoAutomaticAccountLinking` sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewAccountInfo {
    pub recipe_id: RecipeId,
    #[serde(flatten)]
    pub account_info: AccountInfo,
    /// Absent before sign-up created the recipe user.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub recipe_user_id: Option<String>,
}

impl From<&LoginMethod> for NewAccountInfo {
    fn from(lm: &LoginMethod) -> Self {
        NewAccountInfo {
            recipe_id: lm.recipe_id,
            account_info: lm.account_info(),
            recipe_user_id: Some(lm.recipe_user_id.clone()),
        }
    }
}

/// The answer of `shouldDoAutomaticAccountLinking`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShouldAutomaticallyLink {
    pub should_automatically_link: bool,
    /// Ignored when `should_automatically_link` is false.
    #[serde(default = "yes")]
    pub should_require_verification: bool,
}

fn yes() -> bool {
    true
}

impl ShouldAutomaticallyLink {
    pub const NO: ShouldAutomaticallyLink = ShouldAutomaticallyLink {
        should_automatically_link: false,
        should_require_verification: true,
    };
}

/// Fields a tenant or provider rule may override.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LinkingRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub should_automatically_link: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub should_require_verification: Option<bool>,
}

/// The built-in `shouldDoAutomaticAccountLinking`: a default, per-tenant rules, then per-provider rules.
/// Off unless configured (SuperTokens' default); when on, verification is required unless switched off.
/// `Default` is written out by hand: a derived one would make `should_require_verification` false, i.e. link
/// on unverified emails, for every Rust caller who writes `..Default::default()`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountLinkingConfig {
    #[serde(default)]
    pub should_automatically_link: bool,
    #[serde(default = "yes")]
    pub should_require_verification: bool,
    #[serde(default)]
    pub tenants: BTreeMap<String, LinkingRule>,
    #[serde(default)]
    pub providers: BTreeMap<String, LinkingRule>,
}

impl Default for AccountLinkingConfig {
    fn default() -> Self {
        AccountLinkingConfig {
            should_automatically_link: false,
            should_require_verification: true,
            tenants: BTreeMap::new(),
            providers: BTreeMap::new(),
        }
    }
}

impl AccountLinkingConfig {
    pub fn decide(&self, tenant_id: &str, third_party_id: Option<&str>) -> ShouldAutomaticallyLink {
        let mut d = ShouldAutomaticallyLink {
            should_automatically_link: self.should_automatically_link,
            should_require_verification: self.should_require_verification,
        };
        let rules = [
            self.tenants.get(tenant_id),
            third_party_id.and_then(|p| self.providers.get(p)),
        ];
        for rule in rules.into_iter().flatten() {
            if let Some(v) = rule.should_automatically_link {
                d.should_automatically_link = v;
            }
            if let Some(v) = rule.should_require_verification {
                d.should_require_verification = v;
            }
        }
        d
    }
}

/// What automatic linking did, and why: authcore's `explain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LinkingOutcome {
    AlreadyPrimary,
    BecamePrimary,
    Linked,
    NotLinked,
}

/// Machine-readable reason codes for [`LinkingOutcome`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LinkingReason {
    AlreadyPrimary,
    VerifiedEmailMatch,
    VerificationNotRequired,
    NoPrimaryUserWithSameAccountInfo,
    AutomaticLinkingDisabled,
    EmailNotVerified,
    PrimaryEmailNotVerified,
    AccountInfoConflict,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkingExplanation {
    pub outcome: LinkingOutcome,
    pub reason: LinkingReason,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub primary_user_id: Option<String>,
}

impl LinkingExplanation {
    fn new(
        outcome: LinkingOutcome,
        reason: LinkingReason,
        primary_user_id: Option<String>,
    ) -> Self {
        LinkingExplanation {
            outcome,
            reason,
            primary_user_id,
        }
    }
    fn not_linked(reason: LinkingReason) -> Self {
        Self::new(LinkingOutcome::NotLinked, reason, None)
    }
}

/// Why `isEmailChangeAllowed` refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailChangeDecision {
    Allowed,
    PrimaryUserConflict,
    AccountTakeoverRisk,
}

pub const REASON_PRIMARY_USER_CONFLICT: &str =
    "Email already associated with another primary user.";
pub const REASON_TAKEOVER_RISK: &str =
    "New email cannot be applied to existing account because of account takeover risks.";

fn first_lm(user: &User) -> Result<&LoginMethod> {
    user.login_methods
        .first()
        .ok_or_else(|| AuthError::internal("user without login methods"))
}

/// The single primary user among `users`, if any (two would break U3).
pub(crate) fn single_primary(users: &[User]) -> Result<Option<&User>> {
    let mut primaries = users.iter().filter(|u| u.is_primary_user);
    let first = primaries.next();
    if primaries.next().is_some() {
        return Err(AuthError::internal(
            "two primary users share one account info in a tenant (U3 broken)",
        ));
    }
    Ok(first)
}

fn same_email_or_phone(lm: &LoginMethod, info: &AccountInfo) -> bool {
    (info.email.is_some() && lm.email == info.email)
        || (info.phone_number.is_some() && lm.phone_number == info.phone_number)
}

fn verified_same_email_or_phone(user: &User, info: &AccountInfo) -> bool {
    user.login_methods
        .iter()
        .any(|lm| lm.verified && same_email_or_phone(lm, info))
}

/// `isSignInUpAllowedHelper` (spec §4.8.3).
async fn sign_in_up_allowed_helper(
    fns: &dyn RecipeFunctions,
    tenant_id: &str,
    new_info: &NewAccountInfo,
    is_verified: bool,
    sign_in_user: Option<&User>,
    session: Option<&Session>,
    ctx: &UserContext,
) -> Result<bool> {
    let lookup = AccountInfo {
        phone_number: None,
        ..new_info.account_info.clone()
    };
    let users = fns
        .list_users_by_account_info(tenant_id, &lookup, true, ctx)
        .await?;
    if users.is_empty() {
        return Ok(true);
    }
    if let Some(u) = sign_in_user {
        if users.len() == 1 && users[0].id == u.id {
            return Ok(true);
        }
    }
    let session_user = session.map(|s| s.user_id.as_str());
    let Some(primary) = single_primary(&users)? else {
        let s = fns
            .should_do_automatic_account_linking(new_info, None, session, tenant_id, ctx)
            .await?;
        if !s.should_automatically_link || !s.should_require_verification {
            return Ok(true);
        }
        for u in users.iter().filter(|u| Some(u.id.as_str()) != session_user) {
            let lm = first_lm(u)?;
            if !(lm.verified && same_email_or_phone(lm, &new_info.account_info)) {
                return Ok(false);
            }
        }
        return Ok(true);
    };
    let s = fns
        .should_do_automatic_account_linking(new_info, Some(primary), session, tenant_id, ctx)
        .await?;
    if !s.should_automatically_link || !s.should_require_verification {
        return Ok(true);
    }
    if !is_verified {
        return Ok(false);
    }
    if session_user == Some(primary.id.as_str()) {
        return Ok(true);
    }
    Ok(verified_same_email_or_phone(
        primary,
        &new_info.account_info,
    ))
}

/// `isSignUpAllowed` (spec §4.8.3).
pub async fn is_sign_up_allowed(
    fns: &dyn RecipeFunctions,
    tenant_id: &str,
    new_info: &NewAccountInfo,
    is_verified: bool,
    session: Option<&Session>,
    ctx: &UserContext,
) -> Result<bool> {
    sign_in_up_allowed_helper(fns, tenant_id, new_info, is_verified, None, session, ctx).await
}

/// `isSignInAllowed` (spec §4.8.3).
pub async fn is_sign_in_allowed(
    fns: &dyn RecipeFunctions,
    tenant_id: &str,
    user: &User,
    new_info: &NewAccountInfo,
    sign_in_verifies_login_method: bool,
    session: Option<&Session>,
    ctx: &UserContext,
) -> Result<bool> {
    let lm0 = first_lm(user)?;
    if user.is_primary_user || lm0.verified || sign_in_verifies_login_method {
        return Ok(true);
    }
    sign_in_up_allowed_helper(
        fns,
        tenant_id,
        new_info,
        lm0.verified,
        Some(user),
        session,
        ctx,
    )
    .await
}

/// `isEmailChangeAllowed` (spec §4.8.4): loops over the group's tenants.
pub async fn is_email_change_allowed(
    fns: &dyn RecipeFunctions,
    user: &User,
    new_email: &str,
    is_verified: bool,
    session: Option<&Session>,
    ctx: &UserContext,
) -> Result<EmailChangeDecision> {
    let lookup = AccountInfo {
        email: Some(new_email.to_string()),
        ..AccountInfo::default()
    };
    for tenant_id in &user.tenant_ids {
        let others: Vec<User> = fns
            .list_users_by_account_info(tenant_id, &lookup, false, ctx)
            .await?
            .into_iter()
            .filter(|u| u.id != user.id)
            .collect();
        let other_primary = single_primary(&others)?;
        if user.is_primary_user {
            if other_primary.is_some() {
                return Ok(EmailChangeDecision::PrimaryUserConflict);
            }
            if is_verified
                || user
                    .login_methods
                    .iter()
                    .any(|lm| lm.verified && lm.has_email(new_email))
            {
                continue;
            }
            let Some(other) = others.first() else {
                continue;
            };
            let info = NewAccountInfo::from(first_lm(other)?);
            let s = fns
                .should_do_automatic_account_linking(&info, Some(user), session, tenant_id, ctx)
                .await?;
            if s.should_automatically_link && s.should_require_verification {
                return Ok(EmailChangeDecision::AccountTakeoverRisk);
            }
        } else {
            let lm0 = first_lm(user)?;
            if is_verified || lm0.has_email(new_email) {
                continue;
            }
            if let Some(p) = other_primary {
                let info = NewAccountInfo::from(lm0);
                let s = fns
                    .should_do_automatic_account_linking(&info, Some(p), session, tenant_id, ctx)
                    .await?;
                if s.should_automatically_link && s.should_require_verification {
                    return Ok(EmailChangeDecision::AccountTakeoverRisk);
                }
            }
        }
    }
    Ok(EmailChangeDecision::Allowed)
}

/// `shouldBecomePrimaryUser` (spec §4.8.2).
async fn should_become_primary(
    fns: &dyn RecipeFunctions,
    tenant_id: &str,
    lm: &LoginMethod,
    session: Option<&Session>,
    ctx: &UserContext,
) -> Result<(bool, LinkingReason)> {
    let s = fns
        .should_do_automatic_account_linking(
            &NewAccountInfo::from(lm),
            None,
            session,
            tenant_id,
            ctx,
        )
        .await?;
    Ok(if !s.should_automatically_link {
        (false, LinkingReason::AutomaticLinkingDisabled)
    } else if s.should_require_verification && !lm.verified {
        (false, LinkingReason::EmailNotVerified)
    } else if s.should_require_verification {
        (true, LinkingReason::NoPrimaryUserWithSameAccountInfo)
    } else {
        (true, LinkingReason::VerificationNotRequired)
    })
}

/// Whether a login method may be linked into `primary` under decision `s`: the reason it may, or why not.
/// The one place these conditions live (spec §4.8.5 step 2, with the D8 fix).
pub(crate) fn link_allowed(
    s: &ShouldAutomaticallyLink,
    lm_verified: bool,
    primary: &User,
    info: &AccountInfo,
) -> std::result::Result<LinkingReason, LinkingReason> {
    if !s.should_automatically_link {
        return Err(LinkingReason::AutomaticLinkingDisabled);
    }
    if !s.should_require_verification {
        return Ok(LinkingReason::VerificationNotRequired);
    }
    if !lm_verified {
        return Err(LinkingReason::EmailNotVerified);
    }
    if !verified_same_email_or_phone(primary, info) {
        return Err(LinkingReason::PrimaryEmailNotVerified);
    }
    Ok(LinkingReason::VerifiedEmailMatch)
}

pub(crate) fn linking_explanation(
    reason: LinkingReason,
    primary_user_id: String,
) -> LinkingExplanation {
    LinkingExplanation::new(LinkingOutcome::Linked, reason, Some(primary_user_id))
}

const MAX_LINKING_ATTEMPTS: usize = 100;
/// A conflict that survives this many fresh attempts is a stable fact, not a race: report it.
const MAX_CONFLICT_ATTEMPTS: usize = 3;

enum LinkTry {
    Done(User, LinkingExplanation),
    Retry,
}

/// Link `lm` into `primary` if the policy allows (spec §4.8.5 step 2, with the D8 fix).
async fn try_link_into(
    fns: &dyn RecipeFunctions,
    tenant_id: &str,
    input_user: &User,
    lm: &LoginMethod,
    primary: &User,
    session: Option<&Session>,
    ctx: &UserContext,
) -> Result<LinkTry> {
    let info = NewAccountInfo::from(lm);
    let s = fns
        .should_do_automatic_account_linking(&info, Some(primary), session, tenant_id, ctx)
        .await?;
    let reason = match link_allowed(&s, lm.verified, primary, &info.account_info) {
        Ok(reason) => reason,
        Err(refusal) => {
            return Ok(LinkTry::Done(
                input_user.clone(),
                LinkingExplanation::not_linked(refusal),
            ))
        }
    };
    match fns
        .link_accounts(&lm.recipe_user_id, &primary.id, ctx)
        .await?
    {
        LinkAccountsResult::Ok { user, .. } => {
            let user = match user {
                Some(u) => u,
                None => fns
                    .get_user(&primary.id, ctx)
                    .await?
                    .ok_or_else(|| AuthError::internal("linked user vanished"))?,
            };
            let id = user.id.clone();
            Ok(LinkTry::Done(
                user,
                LinkingExplanation::new(LinkingOutcome::Linked, reason, Some(id)),
            ))
        }
        LinkAccountsResult::RecipeUserIdAlreadyLinkedWithAnotherPrimaryUserIdError {
            primary_user_id,
            user,
            ..
        } => {
            // A concurrent request linked it first: that is the answer.
            let user = match user {
                Some(u) => u,
                None => fns
                    .get_user(&primary_user_id, ctx)
                    .await?
                    .ok_or_else(|| AuthError::internal("user vanished"))?,
            };
            Ok(LinkTry::Done(
                user,
                LinkingExplanation::new(LinkingOutcome::Linked, reason, Some(primary_user_id)),
            ))
        }
        LinkAccountsResult::InputUserIsNotAPrimaryUser
        | LinkAccountsResult::AccountInfoAlreadyAssociatedWithAnotherPrimaryUserIdError {
            ..
        } => Ok(LinkTry::Retry),
    }
}

/// `tryLinkingByAccountInfoOrCreatePrimaryUser` (spec §4.8.5), returning the resulting user and why.
pub async fn try_linking_by_account_info_or_create_primary_user(
    fns: &dyn RecipeFunctions,
    tenant_id: &str,
    input_user: User,
    recipe_user_id: &str,
    session: Option<&Session>,
    ctx: &UserContext,
) -> Result<(User, LinkingExplanation)> {
    let mut user = input_user;
    let mut conflicts = 0;
    for attempt in 0..MAX_LINKING_ATTEMPTS {
        if attempt > 0 {
            user = fns.get_user(recipe_user_id, ctx).await?.ok_or_else(|| {
                AuthError::UnknownUserId {
                    user_id: recipe_user_id.to_string(),
                }
            })?;
        }
        if conflicts >= MAX_CONFLICT_ATTEMPTS {
            return Ok((
                user,
                LinkingExplanation::not_linked(LinkingReason::AccountInfoConflict),
            ));
        }
        if user.is_primary_user {
            let id = user.id.clone();
            return Ok((
                user,
                LinkingExplanation::new(
                    LinkingOutcome::AlreadyPrimary,
                    LinkingReason::AlreadyPrimary,
                    Some(id),
                ),
            ));
        }
        let lm = user
            .login_method(recipe_user_id)
            .cloned()
            .ok_or_else(|| AuthError::internal("recipe user missing from its own user"))?;
        let lookup = AccountInfo {
            phone_number: None,
            ..lm.account_info()
        };
        let users = fns
            .list_users_by_account_info(tenant_id, &lookup, true, ctx)
            .await?;
        if let Some(primary) = single_primary(&users)? {
            if primary.login_method(recipe_user_id).is_some() {
                let id = primary.id.clone();
                return Ok((
                    primary.clone(),
                    LinkingExplanation::new(
                        LinkingOutcome::AlreadyPrimary,
                        LinkingReason::AlreadyPrimary,
                        Some(id),
                    ),
                ));
            }
            match try_link_into(fns, tenant_id, &user, &lm, primary, session, ctx).await? {
                LinkTry::Done(u, e) => return Ok((u, e)),
                LinkTry::Retry => {
                    conflicts += 1;
                    continue;
                }
            }
        }
        // No primary yet: the oldest user with this account info may become one and take us in (spec D12).
        if let Some(oldest) = users
            .iter()
            .min_by(|a, b| (a.time_joined, &a.id).cmp(&(b.time_joined, &b.id)))
        {
            if oldest.id != user.id {
                let oldest_lm = first_lm(oldest)?.clone();
                let same_email = lm.email.is_some() && oldest_lm.email == lm.email;
                let (eligible, _) =
                    should_become_primary(fns, tenant_id, &oldest_lm, session, ctx).await?;
                if eligible && same_email {
                    match fns
                        .create_primary_user(&oldest_lm.recipe_user_id, ctx)
                        .await?
                    {
                        CreatePrimaryUserResult::Ok { user: Some(p), .. } => {
                            match try_link_into(fns, tenant_id, &user, &lm, &p, session, ctx)
                                .await?
                            {
                                LinkTry::Done(u, e) => return Ok((u, e)),
                                LinkTry::Retry => {
                                    conflicts += 1;
                                    continue;
                                }
                            }
                        }
                        _ => {
                            conflicts += 1;
                            continue;
                        }
                    }
                }
            }
        }
        let (eligible, reason) = should_become_primary(fns, tenant_id, &lm, session, ctx).await?;
        if !eligible {
            return Ok((user, LinkingExplanation::not_linked(reason)));
        }
        match fns.create_primary_user(recipe_user_id, ctx).await? {
            CreatePrimaryUserResult::Ok { user: Some(p), .. } => {
                let id = p.id.clone();
                return Ok((
                    p,
                    LinkingExplanation::new(LinkingOutcome::BecamePrimary, reason, Some(id)),
                ));
            }
            _ => conflicts += 1,
        }
    }
    Err(AuthError::internal(
        "ran out of retries while linking accounts",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_safe_in_rust_and_json_alike() {
        let rust = AccountLinkingConfig::default();
        let json: AccountLinkingConfig = serde_json::from_str("{}").expect("json");
        assert_eq!(rust, json);
        assert!(!rust.should_automatically_link);
        assert!(
            rust.should_require_verification,
            "never link on an unverified email by default"
        );
        let on = AccountLinkingConfig {
            should_automatically_link: true,
            ..Default::default()
        };
        assert!(
            on.decide("public", Some("google"))
                .should_require_verification
        );
    }

    #[test]
    fn provider_rules_override_tenant_rules() {
        let mut c = AccountLinkingConfig {
            should_automatically_link: true,
            ..Default::default()
        };
        c.tenants.insert(
            "t1".into(),
            LinkingRule {
                should_automatically_link: Some(false),
                should_require_verification: None,
            },
        );
        c.providers.insert(
            "github".into(),
            LinkingRule {
                should_automatically_link: Some(true),
                should_require_verification: Some(false),
            },
        );
        assert!(!c.decide("t1", Some("google")).should_automatically_link);
        let gh = c.decide("t1", Some("github"));
        assert!(gh.should_automatically_link && !gh.should_require_verification);
        assert!(c.decide("public", None).should_automatically_link);
    }
}
