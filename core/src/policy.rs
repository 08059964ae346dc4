//! The account-linking policy SuperTokens keeps in its SDKs (spec §4.8): `shouldDoAutomaticAccountLinking`,
//! `isSignUpAllowed`, `isSignInAllowed`, `isEmailChangeAllowed` and automatic primary creation / linking.
//!
//! Everything here calls the *final* (possibly overridden) functions object, so an override of
//! `listUsersByAccountInfo`, `createPrimaryUser`, `linkAccounts` or `shouldDoAutomaticAccountLinking` changes
//! these flows too. Each store access is its own transaction; races are settled by the store's constraints and
//! the bounded retries below, as in the SDK.
//!
//! Deliberate differences from supertokens-node:
//! - (spec D8) when verification is required, automatic linking also needs the primary user's login method with
//!   the same email to be *verified*. The SDK's operator precedence lets an unverified claim on the primary side
//!   through; we do not.
//! - A verification counts for linking only while it is *current*: made since that login method last took that
//!   email, or asserted by the provider in this sign-in. SuperTokens remembers a verification per (recipe user,
//!   email) forever, so an address that changed hands could be linked into its old owner's account
//!   (pre-hijacking by an unexpired email change). The `verified` flag users see keeps SuperTokens' meaning;
//!   currency is read from the store ([`Currency`]), never from user objects a host override may have built.
//! - Fake emails (providers without an email, `requireEmail: false`) never link anything.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{AuthError, Result};
use crate::functions::{RecipeFunctions, UserContext};
use crate::model::{email, AccountInfo, LoginMethod, RecipeId, User};
use crate::recipes::linking::{CreatePrimaryUserResult, LinkAccountsResult};
use crate::recipes::sessions::Session;

/// The account being signed in or up, as `shouldDoAutomaticAccountLinking` sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase")]
pub struct NewAccountInfo {
    pub recipe_id: RecipeId,
    #[serde(flatten)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub account_info: AccountInfo,
    /// Absent before sign-up created the recipe user.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase")]
pub struct ShouldAutomaticallyLink {
    pub should_automatically_link: bool,
    /// Ignored when `should_automatically_link` is false.
    #[serde(default = "yes")]
    #[cfg_attr(feature = "uniffi", uniffi(default = true))]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LinkingRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub should_automatically_link: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub should_require_verification: Option<bool>,
}

/// The built-in `shouldDoAutomaticAccountLinking`: a default, per-tenant rules, then per-provider rules.
/// Off unless configured (SuperTokens' default); when on, verification is required unless switched off.
/// `Default` is written out by hand: a derived one would make `should_require_verification` false, i.e. link
/// on unverified emails, for every Rust caller who writes `..Default::default()`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountLinkingConfig {
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub should_automatically_link: bool,
    #[serde(default = "yes")]
    #[cfg_attr(feature = "uniffi", uniffi(default = true))]
    pub should_require_verification: bool,
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub tenants: BTreeMap<String, LinkingRule>,
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LinkingOutcome {
    AlreadyPrimary,
    BecamePrimary,
    Linked,
    NotLinked,
}

/// Machine-readable reason codes for [`LinkingOutcome`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase")]
pub struct LinkingExplanation {
    pub outcome: LinkingOutcome,
    pub reason: LinkingReason,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
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

/// The user an operation returned, or (when it returned none) `id` read back through the final functions.
async fn user_or_fetch(
    fns: &dyn RecipeFunctions,
    returned: Option<User>,
    id: &str,
    ctx: &UserContext,
    missing: impl FnOnce() -> AuthError,
) -> Result<User> {
    match returned {
        Some(u) => Ok(u),
        None => fns.get_user(id, ctx).await?.ok_or_else(missing),
    }
}

fn session_user_not_found() -> AuthError {
    AuthError::unauthorised("session user not found")
}

fn vanished() -> AuthError {
    AuthError::internal("linked user vanished")
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

/// Whether a login method's verification is current (see the module docs), answered from the store.
#[async_trait::async_trait]
pub(crate) trait Currency: Send + Sync {
    /// `email` is this recipe user's email now, verified since the user last took it.
    async fn is_current_email(&self, recipe_user_id: &str, email: &str) -> Result<bool>;
    /// `lm` is verified and that verification was made since it last took its email.
    async fn is_current(&self, lm: &LoginMethod) -> Result<bool> {
        match lm.email.as_deref() {
            Some(email) => self.is_current_email(&lm.recipe_user_id, email).await,
            None => Ok(lm.verified),
        }
    }
}

/// Whether the session user of a session linking holds `info`'s email with a current verification (the SDK's
/// `verifiedInSessionUser`, which lets such a sign-up pass `isSignUpAllowed`).
pub(crate) async fn verified_in_session_user(
    fns: &dyn RecipeFunctions,
    cur: &dyn Currency,
    linking: &SessionLinking,
    info: &AccountInfo,
    ctx: &UserContext,
) -> Result<bool> {
    match fns.get_user(&linking.session_user_id, ctx).await? {
        Some(u) => current_same_email_or_phone(cur, &u, info).await,
        None => Ok(false),
    }
}

/// A login method whose verification counts for linking.
async fn currently_verified(cur: &dyn Currency, lm: &LoginMethod) -> Result<bool> {
    Ok(lm.verified && cur.is_current(lm).await?)
}

/// Some login method of `user` has this email (or phone) with a current verification.
async fn current_same_email_or_phone(
    cur: &dyn Currency,
    user: &User,
    info: &AccountInfo,
) -> Result<bool> {
    for lm in &user.login_methods {
        if same_email_or_phone(lm, info) && currently_verified(cur, lm).await? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// `isSignInUpAllowedHelper` (spec §4.8.3).
#[allow(clippy::too_many_arguments)]
async fn sign_in_up_allowed_helper(
    fns: &dyn RecipeFunctions,
    cur: &dyn Currency,
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
            if !(same_email_or_phone(lm, &new_info.account_info)
                && currently_verified(cur, lm).await?)
            {
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
    current_same_email_or_phone(cur, primary, &new_info.account_info).await
}

/// `isSignUpAllowed` (spec §4.8.3).
pub(crate) async fn is_sign_up_allowed(
    fns: &dyn RecipeFunctions,
    cur: &dyn Currency,
    tenant_id: &str,
    new_info: &NewAccountInfo,
    is_verified: bool,
    session: Option<&Session>,
    ctx: &UserContext,
) -> Result<bool> {
    sign_in_up_allowed_helper(
        fns,
        cur,
        tenant_id,
        new_info,
        is_verified,
        None,
        session,
        ctx,
    )
    .await
}

/// `isSignInAllowed` (spec §4.8.3).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn is_sign_in_allowed(
    fns: &dyn RecipeFunctions,
    cur: &dyn Currency,
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
        cur,
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
    cur: &dyn Currency,
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
    } else if s.should_require_verification && !currently_verified(cur, lm).await? {
        (false, LinkingReason::EmailNotVerified)
    } else if s.should_require_verification {
        (true, LinkingReason::NoPrimaryUserWithSameAccountInfo)
    } else {
        (true, LinkingReason::VerificationNotRequired)
    })
}

/// Whether a login method may be linked into `primary` under decision `s`: the reason it may, or why not.
/// The one place these conditions live (spec §4.8.5 step 2, with the D8 fix and current verification).
/// `lm` is the login method being linked; `None` means a sign-up whose email the provider asserted as
/// verified in this very request (current by definition).
pub(crate) async fn link_allowed(
    s: &ShouldAutomaticallyLink,
    cur: &dyn Currency,
    lm: Option<&LoginMethod>,
    primary: &User,
    info: &AccountInfo,
) -> Result<std::result::Result<LinkingReason, LinkingReason>> {
    if !s.should_automatically_link || info.email.as_deref().is_some_and(email::is_fake_email) {
        return Ok(Err(LinkingReason::AutomaticLinkingDisabled));
    }
    if !s.should_require_verification {
        return Ok(Ok(LinkingReason::VerificationNotRequired));
    }
    if let Some(lm) = lm {
        if !currently_verified(cur, lm).await? {
            return Ok(Err(LinkingReason::EmailNotVerified));
        }
    }
    if !current_same_email_or_phone(cur, primary, info).await? {
        return Ok(Err(LinkingReason::PrimaryEmailNotVerified));
    }
    Ok(Ok(LinkingReason::VerifiedEmailMatch))
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
#[allow(clippy::too_many_arguments)]
async fn try_link_into(
    fns: &dyn RecipeFunctions,
    cur: &dyn Currency,
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
    let reason = match link_allowed(&s, cur, Some(lm), primary, &info.account_info).await? {
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
            let user = user_or_fetch(fns, user, &primary.id, ctx, vanished).await?;
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
            let user = user_or_fetch(fns, user, &primary_user_id, ctx, vanished).await?;
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
pub(crate) async fn try_linking_by_account_info_or_create_primary_user(
    fns: &dyn RecipeFunctions,
    cur: &dyn Currency,
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
            match try_link_into(fns, cur, tenant_id, &user, &lm, primary, session, ctx).await? {
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
                let same_email = lm
                    .email
                    .as_deref()
                    .is_some_and(|e| !email::is_fake_email(e))
                    && oldest_lm.email == lm.email;
                let (eligible, _) =
                    should_become_primary(fns, cur, tenant_id, &oldest_lm, session, ctx).await?;
                if eligible && same_email {
                    match fns
                        .create_primary_user(&oldest_lm.recipe_user_id, ctx)
                        .await?
                    {
                        CreatePrimaryUserResult::Ok { user: Some(p), .. } => {
                            match try_link_into(fns, cur, tenant_id, &user, &lm, &p, session, ctx)
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
        let (eligible, reason) =
            should_become_primary(fns, cur, tenant_id, &lm, session, ctx).await?;
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

/// The sentence of `ERR_CODE_020`–`023` (spec §4.8.7).
pub(crate) const ERR_SESSION_LINKING: &str =
    "Cannot sign in / up due to security reasons. Please contact support.";

/// What `signInUpPOST` decided about linking to its session's user, handed to `manuallyCreateOrUpdateUser`.
#[derive(Debug, Clone)]
pub(crate) struct SessionLinking {
    pub session: Session,
    pub session_user_id: String,
    pub requires_verification: bool,
}

/// The outcome of `checkAuthTypeAndLinkingStatus` (spec §4.8.6).
pub(crate) enum SessionLinkCheck {
    /// The app does not link to this session user: an ordinary first-factor sign-in/up.
    FirstFactor,
    Link(SessionLinking),
    /// Refused with this `ERR_CODE_02x`.
    Refused(&'static str),
}

/// Loads the session user, makes it primary when the policy says so, and asks whether the new account should
/// be linked to it (`checkAuthTypeAndLinkingStatus` + `tryAndMakeSessionUserIntoAPrimaryUser`).
pub(crate) async fn check_session_linking(
    fns: &dyn RecipeFunctions,
    cur: &dyn Currency,
    session: &Session,
    new_info: &NewAccountInfo,
    authenticating: Option<&User>,
    ctx: &UserContext,
) -> Result<SessionLinkCheck> {
    let linking = |session_user_id: String, requires_verification: bool| {
        SessionLinkCheck::Link(SessionLinking {
            session: session.clone(),
            session_user_id,
            requires_verification,
        })
    };
    if authenticating.is_some_and(|u| u.id == session.user_id) {
        return Ok(linking(session.user_id.clone(), false));
    }
    let session_user =
        user_or_fetch(fns, None, &session.user_id, ctx, session_user_not_found).await?;
    let session_user = if session_user.is_primary_user {
        session_user
    } else {
        let lm0 = first_lm(&session_user)?.clone();
        let s = fns
            .should_do_automatic_account_linking(
                &NewAccountInfo::from(&lm0),
                None,
                Some(session),
                &session.tenant_id,
                ctx,
            )
            .await?;
        if !s.should_automatically_link {
            return Ok(SessionLinkCheck::FirstFactor);
        }
        if s.should_require_verification && !currently_verified(cur, &lm0).await? {
            // supertokens-node answers with an email-verification claim error here; the status says the same.
            return Ok(SessionLinkCheck::Refused("ERR_CODE_020"));
        }
        match fns.create_primary_user(&lm0.recipe_user_id, ctx).await? {
            CreatePrimaryUserResult::Ok { user, .. } => {
                user_or_fetch(fns, user, &session.user_id, ctx, session_user_not_found).await?
            }
            CreatePrimaryUserResult::RecipeUserIdAlreadyLinkedWithPrimaryUserIdError { .. } => {
                return Err(session_user_not_found())
            }
            CreatePrimaryUserResult::AccountInfoAlreadyAssociatedWithAnotherPrimaryUserIdError {
                ..
            } => return Ok(SessionLinkCheck::Refused("ERR_CODE_023")),
        }
    };
    let s = fns
        .should_do_automatic_account_linking(
            new_info,
            Some(&session_user),
            Some(session),
            &session.tenant_id,
            ctx,
        )
        .await?;
    if !s.should_automatically_link {
        return Ok(SessionLinkCheck::FirstFactor);
    }
    Ok(linking(session_user.id, s.should_require_verification))
}

/// Links the signed-in login method to the session user (`tryLinkingBySession`): the user's `Ok`, or the
/// `ERR_CODE_02x` it was refused with.
pub(crate) async fn link_to_session_user(
    fns: &dyn RecipeFunctions,
    cur: &dyn Currency,
    input_user: User,
    recipe_user_id: &str,
    linking: &SessionLinking,
    ctx: &UserContext,
) -> Result<std::result::Result<User, &'static str>> {
    if input_user.id == linking.session_user_id {
        return Ok(Ok(input_user));
    }
    let auth_lm = input_user
        .login_method(recipe_user_id)
        .cloned()
        .ok_or_else(|| AuthError::internal("recipe user missing from its own user"))?;
    for _ in 0..MAX_CONFLICT_ATTEMPTS {
        let session_user = user_or_fetch(
            fns,
            None,
            &linking.session_user_id,
            ctx,
            session_user_not_found,
        )
        .await?;
        let can_link = !linking.requires_verification
            || currently_verified(cur, &auth_lm).await?
            || current_same_email_or_phone(cur, &session_user, &auth_lm.account_info()).await?;
        if !can_link {
            return Ok(Err("ERR_CODE_020"));
        }
        match fns
            .link_accounts(recipe_user_id, &session_user.id, ctx)
            .await?
        {
            LinkAccountsResult::Ok { user, .. } => {
                return Ok(Ok(
                    user_or_fetch(fns, user, &session_user.id, ctx, vanished).await?
                ));
            }
            LinkAccountsResult::RecipeUserIdAlreadyLinkedWithAnotherPrimaryUserIdError {
                ..
            } => return Ok(Err("ERR_CODE_021")),
            LinkAccountsResult::AccountInfoAlreadyAssociatedWithAnotherPrimaryUserIdError {
                ..
            } => return Ok(Err("ERR_CODE_022")),
            // The session user stopped being primary (a concurrent unlink): make it primary again and retry.
            LinkAccountsResult::InputUserIsNotAPrimaryUser => {
                if let CreatePrimaryUserResult::AccountInfoAlreadyAssociatedWithAnotherPrimaryUserIdError { .. } =
                    fns.create_primary_user(&session_user.id, ctx).await?
                {
                    return Ok(Err("ERR_CODE_023"));
                }
            }
        }
    }
    Ok(Err("ERR_CODE_021"))
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
