//! The API layer (`signInUpPOST`, spec §4.8.7): what an HTTP handler would do after the provider returned the
//! user's info. The OAuth code exchange is the host's job for now; this takes its result.

use std::sync::{Arc, Weak};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::engine::Inner;
use crate::error::{AuthError, Result};
use crate::events::{EventName, NewEvent};
use crate::functions::{ManuallyCreateOrUpdateUserResult, RecipeFunctions, UserContext};
use crate::model::{
    email, ids, AccountInfo, EmailInput, RecipeId, SignInUpInput, ThirdPartyInfo, User,
};
use crate::policy::{
    self, Currency as _, NewAccountInfo, SessionLinkCheck, REASON_PRIMARY_USER_CONFLICT,
};
use crate::recipes::sessions::{
    CreateNewSessionResult, GetSessionInput, GetSessionResult, Session,
};
use crate::recipes::tenants::{
    provider_available, AssociateUserToTenantResult, THIRD_PARTY_FACTOR,
};
use crate::redirect::{self, RedirectAction, RedirectContext, RedirectDecision};

const ERR_SECURITY: &str =
    "Cannot sign in / up due to security reasons. Please try a different login method or contact support.";
const ERR_EMAIL_CHANGE: &str =
    "Cannot sign in / up because new email cannot be applied to existing account. Please contact support.";

/// What the provider said about the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase")]
pub struct ProviderUserInfo {
    pub third_party_user_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub email: Option<EmailInput>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase")]
pub struct SignInUpPostInput {
    #[serde(default = "public")]
    #[cfg_attr(feature = "uniffi", uniffi(default = "public"))]
    pub tenant_id: String,
    pub third_party_id: String,
    pub user_info: ProviderUserInfo,
    /// When false and the provider gave no email, a stable fake email is used (SuperTokens' `requireEmail`).
    #[serde(default = "yes")]
    #[cfg_attr(feature = "uniffi", uniffi(default = true))]
    pub require_email: bool,
    /// Where the user wanted to go; validated before use (no open redirects).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub redirect_to_path: Option<String>,
    /// The caller's current access token, if any. It is used only for session linking (spec §4.8.6), and only
    /// when `shouldTryLinkingWithSessionUser` is `true`: it never changes who signs in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub existing_access_token: Option<String>,
    /// `true`: link the signed-in account to the session's user (a valid session of this tenant is then
    /// required, else `UNAUTHORISED`). Absent or `false`: an ordinary sign-in that ignores any session. Stricter
    /// than supertokens-node, where an absent value also tries to link whenever a session exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub should_try_linking_with_session_user: Option<bool>,
}

fn public() -> String {
    ids::PUBLIC_TENANT.to_string()
}
fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(tag = "status")]
#[allow(clippy::large_enum_variant)]
pub enum SignInUpPostResult {
    #[serde(rename = "OK", rename_all = "camelCase")]
    Ok {
        created_new_recipe_user: bool,
        user: User,
        session: Session,
        access_token: String,
        redirect: RedirectDecision,
    },
    #[serde(rename = "SIGN_IN_UP_NOT_ALLOWED")]
    SignInUpNotAllowed { reason: String },
    #[serde(rename = "NO_EMAIL_GIVEN_BY_PROVIDER")]
    NoEmailGivenByProvider,
}

pub use crate::layers::ApiFunctions;

pub(crate) struct CoreApis {
    pub inner: Weak<Inner>,
}

fn not_allowed(code: &str, sentence: &str) -> SignInUpPostResult {
    SignInUpPostResult::SignInUpNotAllowed {
        reason: format!("{sentence} ({code})"),
    }
}

impl CoreApis {
    /// Asks the final `getRedirectionURL`, then validates its answer.
    async fn redirect(
        &self,
        inner: &Inner,
        context: &RedirectContext,
        ctx: &UserContext,
    ) -> Result<RedirectDecision> {
        let proposed = inner.apis().get_redirection_url(context, ctx).await?;
        Ok(redirect::decide(context, proposed, &inner.config.redirect))
    }
}

#[async_trait]
impl ApiFunctions for CoreApis {
    fn original(&self) -> &dyn ApiFunctions {
        self
    }
    fn settles_before_host(&self) -> bool {
        true
    }

    async fn get_redirection_url(
        &self,
        context: &RedirectContext,
        _ctx: &UserContext,
    ) -> Result<Option<String>> {
        Ok(context.redirect_to_path.clone())
    }

    async fn sign_in_up_post(
        &self,
        input: &SignInUpPostInput,
        ctx: &UserContext,
    ) -> Result<SignInUpPostResult> {
        let inner: Arc<Inner> = self
            .inner
            .upgrade()
            .ok_or_else(|| AuthError::internal("the engine was dropped"))?;
        let fns: &dyn RecipeFunctions = inner.fns();
        // One write transaction for the whole request while no host code runs (committed before any does).
        if inner.batch_requests {
            ctx.begin_batch();
        }
        // The tenant first: an unknown tenant is TENANT_NOT_FOUND whatever else the request holds.
        let tenant_id = ids::normalise_tenant_id(&input.tenant_id)?;
        let tenant =
            fns.get_tenant(&tenant_id, ctx)
                .await?
                .ok_or_else(|| AuthError::TenantNotFound {
                    tenant_id: tenant_id.clone(),
                })?;
        ids::validate_third_party_id(&input.third_party_id)?;
        if !provider_available(
            &tenant_id,
            &tenant.config,
            inner.config.providers.as_deref(),
            &input.third_party_id,
        ) {
            return Err(AuthError::ProviderNotFound {
                third_party_id: input.third_party_id.clone(),
            });
        }
        ids::validate_third_party_user_id(&input.user_info.third_party_user_id)?;
        // Session linking only when asked for explicitly: an existing session never changes who signs in, so a
        // token planted in a victim's browser cannot capture the victim's next sign-in (login CSRF).
        let link_session = if input.should_try_linking_with_session_user == Some(true) {
            let token = input
                .existing_access_token
                .as_deref()
                .ok_or_else(|| AuthError::unauthorised("session linking needs a session"))?;
            match fns
                .get_session(&GetSessionInput::new(token, Some(&tenant_id)), ctx)
                .await?
            {
                GetSessionResult::Ok { session } => Some(session),
                GetSessionResult::Unauthorised => {
                    return Err(AuthError::unauthorised("no valid session of this tenant"))
                }
            }
        } else {
            None
        };
        let provided = input
            .user_info
            .email
            .clone()
            .filter(|e| !e.id.trim().is_empty());
        let email_input = match provided {
            Some(e) => e,
            None if !input.require_email => EmailInput {
                id: email::fake_email(&input.third_party_id, &input.user_info.third_party_user_id),
                is_verified: true,
            },
            None => return Ok(SignInUpPostResult::NoEmailGivenByProvider),
        };
        let email_id = email::normalise_and_validate_email(&email_input.id)?;
        let tp = ThirdPartyInfo {
            id: input.third_party_id.clone(),
            user_id: input.user_info.third_party_user_id.clone(),
        };
        let new_info = NewAccountInfo {
            recipe_id: RecipeId::ThirdParty,
            account_info: AccountInfo {
                email: Some(email_id.clone()),
                phone_number: None,
                third_party: Some(tp.clone()),
            },
            recipe_user_id: None,
        };

        // Who is authenticating: the login method holding this provider account in this tenant.
        let tp_lookup = AccountInfo {
            third_party: Some(tp.clone()),
            ..AccountInfo::default()
        };
        let mut authenticating = fns
            .list_users_by_account_info(&tenant_id, &tp_lookup, false, ctx)
            .await?
            .into_iter()
            .next();
        // §4.8.7 step 3: when the session user already has this provider account as a login method in another
        // tenant, that login method joins this tenant instead of a second recipe user being made for it.
        if let (None, Some(session)) = (&authenticating, &link_session) {
            let elsewhere = fns.get_user(&session.user_id, ctx).await?.and_then(|u| {
                u.login_methods
                    .into_iter()
                    .find(|lm| lm.has_third_party(&tp))
                    .map(|lm| lm.recipe_user_id)
            });
            if let Some(recipe_user_id) = elsewhere {
                match fns
                    .associate_user_to_tenant(&tenant_id, &recipe_user_id, ctx)
                    .await?
                {
                    AssociateUserToTenantResult::AssociationNotAllowedError { .. } => {
                        return Err(AuthError::unauthorised(
                            "the session user's login method cannot join this tenant",
                        ))
                    }
                    // Associated, or (another request took the account here meanwhile, the user went away) there
                    // is nothing to associate: either way, look again.
                    _ => {
                        authenticating = fns
                            .list_users_by_account_info(&tenant_id, &tp_lookup, false, ctx)
                            .await?
                            .into_iter()
                            .next();
                    }
                }
            }
        }
        let session_linking = match &link_session {
            None => None,
            Some(session) => match policy::check_session_linking(
                fns,
                &inner.currency(ctx),
                session,
                &new_info,
                authenticating.as_ref(),
                ctx,
            )
            .await?
            {
                SessionLinkCheck::FirstFactor => None,
                SessionLinkCheck::Link(l) => Some(l),
                SessionLinkCheck::Refused(code) => {
                    return Ok(not_allowed(code, policy::ERR_SESSION_LINKING))
                }
            },
        };
        if session_linking.is_none() && !tenant.config.allows_third_party_first_factor() {
            return Err(AuthError::FirstFactorNotAllowed {
                message: format!(
                    "'{THIRD_PARTY_FACTOR}' is not a first factor of tenant '{tenant_id}'"
                ),
            });
        }
        let session = session_linking.as_ref().map(|l| &l.session);
        let mut is_verified = email_input.is_verified;
        match &authenticating {
            None => {
                let verified_for_check = is_verified
                    || match &session_linking {
                        Some(l) => {
                            policy::verified_in_session_user(
                                fns,
                                &inner.currency(ctx),
                                l,
                                &new_info.account_info,
                                ctx,
                            )
                            .await?
                        }
                        None => false,
                    };
                if !policy::is_sign_up_allowed(
                    fns,
                    &inner.currency(ctx),
                    &tenant_id,
                    &new_info,
                    verified_for_check,
                    session,
                    ctx,
                )
                .await?
                {
                    return Ok(not_allowed("ERR_CODE_006", ERR_SECURITY));
                }
            }
            Some(user) => {
                let lm = user
                    .third_party_login_method(&tp, &tenant_id)
                    .ok_or_else(|| {
                        AuthError::internal("authenticating user lacks its login method")
                    })?;
                // A remembered verification stands in for the provider's only while it is current: one made
                // under an earlier ownership of the address must not be re-asserted (README Semantics).
                if !is_verified {
                    is_verified = fns
                        .is_email_verified(&lm.recipe_user_id, Some(&email_id), ctx)
                        .await?
                        && inner
                            .currency(ctx)
                            .is_current_email(&lm.recipe_user_id, &email_id)?;
                }
                // `isSignInAllowed` judges the login method being used, not the whole group.
                let as_user = if user.is_primary_user {
                    user.clone()
                } else {
                    User::from_login_methods(user.id.clone(), false, vec![lm.clone()])
                };
                // A verified provider email (or a new email verified before) verifies the login method on
                // sign-in, so it counts as `signInVerifiesLoginMethod`, as in supertokens-node.
                if !policy::is_sign_in_allowed(
                    fns,
                    &inner.currency(ctx),
                    &tenant_id,
                    &as_user,
                    &new_info,
                    is_verified,
                    session,
                    ctx,
                )
                .await?
                {
                    return Ok(not_allowed("ERR_CODE_004", ERR_SECURITY));
                }
            }
        }

        let recipe_input = SignInUpInput {
            tenant_id: tenant_id.clone(),
            third_party_id: tp.id.clone(),
            third_party_user_id: tp.user_id.clone(),
            email: EmailInput {
                id: email_id,
                is_verified,
            },
        };
        let lease = ctx.lend_session_linking(session_linking);
        let outcome = fns.manually_create_or_update_user(&recipe_input, ctx).await;
        drop(lease);
        let (created, user, recipe_user_id) = match outcome? {
            ManuallyCreateOrUpdateUserResult::Ok {
                created_new_recipe_user,
                user,
                recipe_user_id,
                ..
            } => (created_new_recipe_user, user, recipe_user_id),
            ManuallyCreateOrUpdateUserResult::EmailChangeNotAllowedError { reason } => {
                let code = if reason == REASON_PRIMARY_USER_CONFLICT {
                    "ERR_CODE_005"
                } else {
                    "ERR_CODE_024"
                };
                return Ok(not_allowed(code, ERR_EMAIL_CHANGE));
            }
            ManuallyCreateOrUpdateUserResult::SignInUpNotAllowed { reason } => {
                return Ok(SignInUpPostResult::SignInUpNotAllowed { reason })
            }
        };
        // `signIn` is staged for the session's transaction (after `session`), so it is written iff the session
        // is; if creating the session fails, it is dropped with it.
        let is_new_user = created && user.login_methods.len() == 1;
        let message = json!({
            "user": user,
            "account": {"provider": tp.id, "providerAccountId": tp.user_id},
            "isNewUser": is_new_user,
            "tenantId": tenant_id,
            "recipeUserId": recipe_user_id,
        });
        ctx.stage(NewEvent::new(
            EventName::SignIn,
            Some(&tenant_id),
            Some(&user.id),
            message,
        ));
        let created_session = fns
            .create_new_session(&tenant_id, &recipe_user_id, &serde_json::json!({}), ctx)
            .await;
        let CreateNewSessionResult::Ok {
            session,
            access_token,
        } = match created_session {
            Ok(r) => r,
            Err(e) => {
                ctx.discard_staged();
                return Err(e);
            }
        };
        let context = RedirectContext {
            action: RedirectAction::Success,
            is_new_user,
            redirect_to_path: input.redirect_to_path.clone(),
            tenant_id: tenant_id.clone(),
            user_id: user.id.clone(),
        };
        let redirect = self.redirect(&inner, &context, ctx).await?;
        Ok(SignInUpPostResult::Ok {
            created_new_recipe_user: created,
            user,
            session,
            access_token,
            redirect,
        })
    }
}
