//! The API layer (`getAuthorisationURL`, `signInUpPOST`, spec §4.8.7): what the frontend calls. Sign-in takes
//! the provider's redirect (the code is exchanged and the id_token verified here), tokens a native app obtained,
//! or user info a host that runs the OAuth exchange itself already has.

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
use crate::oauth::{
    config, flow, secrets, ExchangeAuthCodeInput, GetAuthorisationRedirectUrlInput,
    GetConfigForClientTypeInput, GetUserInfoInput, OAuthTokens, ProviderConfig,
    ProviderConfigForClientType, RawUserInfo, RedirectUriInfo,
};
use crate::policy::{
    self, Currency as _, NewAccountInfo, SessionLinkCheck, REASON_PRIMARY_USER_CONFLICT,
};
use crate::recipes::sessions::{
    CreateNewSessionResult, GetSessionInput, GetSessionResult, Session,
};
use crate::recipes::tenants::{
    provider_available, AssociateUserToTenantResult, Tenant, THIRD_PARTY_FACTOR,
};
use crate::recipes::Step;
use crate::redirect::{self, RedirectAction, RedirectContext, RedirectDecision};
use crate::store::{FlowTake, OAuthFlowRow};

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
    /// Which of the provider's clients (`web`, `ios`, `android`…); needed when it has several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub client_type: Option<String>,
    /// Where the provider sent the user back: the code is exchanged for tokens and the user read from them.
    #[serde(
        default,
        rename = "redirectURIInfo",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub redirect_uri_info: Option<RedirectUriInfo>,
    /// Tokens the caller obtained from the provider itself (a native app's PKCE flow); the id_token is
    /// verified as if this engine had exchanged the code.
    #[serde(
        default,
        rename = "oAuthTokens",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")
    )]
    pub o_auth_tokens: Option<OAuthTokens>,
    /// The user as the provider described it to a host that ran the OAuth exchange itself (Passport, Authlib).
    /// Exactly one of `redirectURIInfo`, `oAuthTokens` and `userInfo` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub user_info: Option<ProviderUserInfo>,
    /// When false and the provider gave no email, a stable fake email is used (SuperTokens' `requireEmail`).
    /// Absent: the provider's own `requireEmail` (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub require_email: Option<bool>,
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

impl SignInUpPostInput {
    /// A sign-in with user info the host obtained itself, everything else at its default.
    pub fn with_user_info(
        tenant_id: impl Into<String>,
        third_party_id: impl Into<String>,
        user_info: ProviderUserInfo,
    ) -> Self {
        SignInUpPostInput {
            tenant_id: tenant_id.into(),
            third_party_id: third_party_id.into(),
            client_type: None,
            redirect_uri_info: None,
            o_auth_tokens: None,
            user_info: Some(user_info),
            require_email: None,
            redirect_to_path: None,
            existing_access_token: None,
            should_try_linking_with_session_user: None,
        }
    }
}

fn public() -> String {
    ids::PUBLIC_TENANT.to_string()
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
        /// Seed 000's name: a new user was made (not only a new login method of an existing user).
        created_new_user: bool,
        /// The provider's token response, when this engine exchanged the code or was given tokens.
        #[serde(
            default,
            rename = "oAuthTokens",
            skip_serializing_if = "Option::is_none"
        )]
        #[cfg_attr(
            feature = "schema",
            schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")
        )]
        o_auth_tokens: Option<OAuthTokens>,
        /// Seed 000's name for `oAuthTokens` (SuperTokens' older `authCodeResponse`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(
            feature = "schema",
            schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")
        )]
        auth_code_response: Option<OAuthTokens>,
        /// What the provider said, as it said it (the verified id_token's claims, the user info answer).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        raw_user_info_from_provider: Option<RawUserInfo>,
    },
    #[serde(rename = "SIGN_IN_UP_NOT_ALLOWED")]
    SignInUpNotAllowed { reason: String },
    #[serde(rename = "NO_EMAIL_GIVEN_BY_PROVIDER")]
    NoEmailGivenByProvider,
}

/// `getAuthorisationURL`'s input: which provider (and client) the user chose, and the redirect URI registered
/// with that provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetAuthorisationUrlInput {
    #[serde(default = "public")]
    #[cfg_attr(feature = "uniffi", uniffi(default = "public"))]
    pub tenant_id: String,
    pub third_party_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub client_type: Option<String>,
    #[serde(rename = "redirectURIOnProviderDashboard")]
    pub redirect_uri_on_provider_dashboard: String,
    /// `stateless` (default, as SuperTokens): the caller keeps state, verifier and nonce. `stored`: the engine
    /// keeps them in a one-time flow record keyed by `state` for [`OAUTH_FLOW_TTL_MS`], for server-rendered
    /// apps; `signInUpPOST` then needs only what the provider sent back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub mode: Option<FlowMode>,
}

/// Where a sign-in flow's secrets are kept between the authorisation URL and the provider's redirect.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "lowercase")]
pub enum FlowMode {
    #[default]
    Stateless,
    Stored,
}

/// How long a stored flow may be finished after its authorisation URL was made.
pub const OAUTH_FLOW_TTL_MS: i64 = 10 * 60 * 1000;
/// How long a used or expired flow record is kept, so a replay is told apart from an unknown state.
const OAUTH_FLOW_KEPT_MS: i64 = 24 * 60 * 60 * 1000;

fn state_hash(state: &str) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(state.as_bytes()).to_vec()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(tag = "status")]
pub enum GetAuthorisationUrlResult {
    /// Send the user to `urlWithQueryParams`. Stateless mode: keep `state`, `pkceCodeVerifier` and `nonce` with
    /// the user's browser session (as SuperTokens' frontend keeps state and verifier), compare `state` with the
    /// one the provider sends back, and pass the verifier (and the nonce when there is no verifier) to
    /// `signInUpPOST`. With a verifier the nonce is derived from it, so the verifier alone suffices.
    #[serde(rename = "OK", rename_all = "camelCase")]
    Ok {
        url_with_query_params: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pkce_code_verifier: Option<String>,
        state: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nonce: Option<String>,
    },
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

/// The provider `third_party_id` as `tenant` offers it, for one of its clients: the tenant's own configuration
/// (its stored secrets opened) merged over the static provider of the same id, as supertokens-node's
/// `mergeProvidersFromCoreAndStatic`; else the static provider.
async fn tenant_provider(
    inner: &Inner,
    tenant: &Tenant,
    third_party_id: &str,
    ctx: &UserContext,
) -> Result<ProviderConfig> {
    let statik = inner
        .config
        .providers
        .as_deref()
        .unwrap_or_default()
        .iter()
        .find(|p| p.third_party_id == third_party_id);
    let own = tenant
        .config
        .providers
        .iter()
        .find(|p| p.third_party_id == third_party_id);
    Ok(match own {
        Some(shown) => {
            // `getTenant` shows the provider without its secrets: they are read from the store.
            let stored = inner
                .read(ctx, |tx| Ok(tx.s.tenant(&tenant.tenant_id)?))
                .await?
                .and_then(|c| {
                    c.providers
                        .into_iter()
                        .find(|p| p.third_party_id == third_party_id)
                });
            let own = match stored {
                Some(p) => secrets::open(inner.secrets_key.as_ref(), &tenant.tenant_id, &p)?,
                None => shown.clone(),
            };
            match statik {
                Some(s) => config::merge_tenant_over_static(s, &own),
                None => own,
            }
        }
        None => statik.cloned().ok_or_else(|| AuthError::ProviderNotFound {
            third_party_id: third_party_id.to_string(),
        })?,
    })
}

/// The configuration one sign-in uses (the provider method `getConfigForClientType`, which host code may
/// override), then what discovery fills in.
async fn provider_for_client(
    inner: &Inner,
    tenant: &Tenant,
    third_party_id: &str,
    client_type: Option<&str>,
    ctx: &UserContext,
) -> Result<ProviderConfigForClientType> {
    let input = GetConfigForClientTypeInput {
        tenant_id: tenant.tenant_id.clone(),
        config: tenant_provider(inner, tenant, third_party_id, ctx).await?,
        client_type: client_type.map(str::to_string),
    };
    let mut cfg = inner.fns().get_config_for_client_type(&input, ctx).await?;
    inner.oauth()?.discover(&mut cfg).await?;
    Ok(cfg)
}

/// The tenant exists and offers the provider.
async fn check_tenant_provider(
    inner: &Inner,
    tenant_id: &str,
    third_party_id: &str,
    ctx: &UserContext,
) -> Result<crate::recipes::tenants::Tenant> {
    let tenant = inner
        .fns()
        .get_tenant(tenant_id, ctx)
        .await?
        .ok_or_else(|| AuthError::TenantNotFound {
            tenant_id: tenant_id.to_string(),
        })?;
    ids::validate_third_party_id(third_party_id)?;
    if !provider_available(
        tenant_id,
        &tenant.config,
        inner.config.providers.as_deref(),
        third_party_id,
    ) {
        return Err(AuthError::ProviderNotFound {
            third_party_id: third_party_id.to_string(),
        });
    }
    Ok(tenant)
}

/// Who the user is at the provider, from whichever of the three inputs `signInUpPOST` got: the user info, the
/// required-email rule, and (when the provider was talked to) its tokens and raw answers.
type ProviderAnswer = (
    ProviderUserInfo,
    bool,
    Option<OAuthTokens>,
    Option<RawUserInfo>,
);

/// A stored-mode flow finished by this redirect: its record is taken (once) and must be for this tenant,
/// provider, client and redirect URI; its verifier and nonce complete the redirect info. `None` when the caller
/// runs the flow statelessly (it brings the verifier or nonce itself, or the state names no stored flow).
async fn stored_flow(
    inner: &Inner,
    input: &SignInUpPostInput,
    info: &RedirectUriInfo,
    ctx: &UserContext,
) -> Result<Option<(RedirectUriInfo, Option<String>)>> {
    if info.pkce_code_verifier.is_some() || info.nonce.is_some() {
        return Ok(None);
    }
    let Some(state) = info
        .redirect_uri_query_params
        .get("state")
        .and_then(serde_json::Value::as_str)
    else {
        return Ok(None);
    };
    let hash = state_hash(state);
    let now = inner.oauth_now_ms();
    let taken = inner
        .write(ctx, |tx| {
            Ok(Step::Commit(tx.s.take_oauth_flow(&hash, now)?))
        })
        .await?;
    let row = match taken {
        FlowTake::Unknown => return Ok(None),
        FlowTake::Used | FlowTake::Expired => return Err(AuthError::OAuthFlowExpired),
        FlowTake::Taken(row) => row,
    };
    let tenant_id = ids::normalise_tenant_id(&input.tenant_id)?;
    if row.tenant_id != tenant_id
        || row.third_party_id != input.third_party_id
        || row.client_type != input.client_type
        || row.redirect_uri != info.redirect_uri_on_provider_dashboard
    {
        return Err(AuthError::OAuthStateMismatch {
            message: "the flow was started for another tenant, provider, client or redirect URI"
                .into(),
        });
    }
    let mut finished = info.clone();
    finished.pkce_code_verifier = row.pkce_code_verifier;
    Ok(Some((finished, row.nonce)))
}

async fn provider_answer(
    inner: &Inner,
    input: &SignInUpPostInput,
    tenant: &Tenant,
    ctx: &UserContext,
) -> Result<ProviderAnswer> {
    /// What the provider must be asked with: the redirect (code exchange) or a native app's tokens.
    enum Asked<'a> {
        Redirect(&'a RedirectUriInfo),
        Tokens(&'a OAuthTokens),
    }
    let asked = match (
        &input.user_info,
        &input.redirect_uri_info,
        &input.o_auth_tokens,
    ) {
        (Some(info), None, None) => {
            let require = match input.require_email {
                Some(r) => r,
                // No provider is asked: the configuration is read as configured (no provider method runs).
                None => tenant_provider(inner, tenant, &input.third_party_id, ctx)
                    .await
                    .and_then(|p| config::for_client_type(&p, input.client_type.as_deref()))
                    .map_or(true, |c| c.require_email),
            };
            return Ok((info.clone(), require, None, None));
        }
        (None, Some(info), None) => Asked::Redirect(info),
        (None, None, Some(tokens)) => Asked::Tokens(tokens),
        _ => {
            return Err(AuthError::invalid(
                "redirectURIInfo",
                "give exactly one of redirectURIInfo, oAuthTokens and userInfo",
            ))
        }
    };
    let cfg = provider_for_client(
        inner,
        tenant,
        &input.third_party_id,
        input.client_type.as_deref(),
        ctx,
    )
    .await?;
    let fns = inner.fns();
    let (tokens, nonce) = match asked {
        Asked::Redirect(info) => {
            // RFC 9207: an `iss` in the response names who answered; another issuer's code is a mix-up attack.
            let iss = info
                .redirect_uri_query_params
                .get("iss")
                .and_then(serde_json::Value::as_str);
            if let (Some(iss), Some(expected)) = (iss, cfg.issuer.as_deref()) {
                if iss != expected {
                    return Err(AuthError::OAuthStateMismatch {
                        message: "the response's issuer is not this provider's".into(),
                    });
                }
            }
            let (info, nonce) = match stored_flow(inner, input, info, ctx).await? {
                Some(finished) => finished,
                None => {
                    let nonce = info.nonce.clone().or_else(|| {
                        info.pkce_code_verifier
                            .as_deref()
                            .map(flow::nonce_from_verifier)
                    });
                    (info.clone(), nonce)
                }
            };
            let exchange = ExchangeAuthCodeInput {
                tenant_id: tenant.tenant_id.clone(),
                config: cfg.clone(),
                redirect_uri_info: info,
            };
            (
                fns.exchange_auth_code_for_oauth_tokens(&exchange, ctx)
                    .await?,
                nonce,
            )
        }
        Asked::Tokens(tokens) => (tokens.clone(), None),
    };
    let require = input.require_email.unwrap_or(cfg.require_email);
    let asked = GetUserInfoInput {
        tenant_id: tenant.tenant_id.clone(),
        config: cfg,
        o_auth_tokens: tokens,
        nonce,
    };
    let user = fns.get_user_info(&asked, ctx).await?;
    let tokens = asked.o_auth_tokens;
    Ok((
        ProviderUserInfo {
            third_party_user_id: user.third_party_user_id,
            email: user.email,
        },
        require,
        Some(tokens),
        Some(user.raw_user_info_from_provider),
    ))
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

    async fn get_authorisation_url(
        &self,
        input: &GetAuthorisationUrlInput,
        ctx: &UserContext,
    ) -> Result<GetAuthorisationUrlResult> {
        let inner: Arc<Inner> = self
            .inner
            .upgrade()
            .ok_or_else(|| AuthError::internal("the engine was dropped"))?;
        let tenant_id = ids::normalise_tenant_id(&input.tenant_id)?;
        let tenant = check_tenant_provider(&inner, &tenant_id, &input.third_party_id, ctx).await?;
        let cfg = provider_for_client(
            &inner,
            &tenant,
            &input.third_party_id,
            input.client_type.as_deref(),
            ctx,
        )
        .await?;
        let openid = cfg.scope.iter().any(|s| s == "openid");
        let asked = GetAuthorisationRedirectUrlInput {
            tenant_id: tenant.tenant_id.clone(),
            config: cfg,
            redirect_uri_on_provider_dashboard: input.redirect_uri_on_provider_dashboard.clone(),
        };
        let redirect = inner
            .fns()
            .get_authorisation_redirect_url(&asked, ctx)
            .await?;
        let state = flow::random_token(24)?;
        let nonce = match (&redirect.pkce_code_verifier, openid) {
            (_, false) => None,
            (Some(v), true) => Some(flow::nonce_from_verifier(v)),
            (None, true) => Some(flow::random_token(24)?),
        };
        let mut url = url::Url::parse(&redirect.url_with_query_params)
            .map_err(|e| AuthError::invalid("authorizationEndpoint", e.to_string()))?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("state", &state);
            if let Some(n) = &nonce {
                q.append_pair("nonce", n);
            }
        }
        if input.mode == Some(FlowMode::Stored) {
            let row = OAuthFlowRow {
                state_hash: state_hash(&state),
                tenant_id: tenant_id.clone(),
                third_party_id: input.third_party_id.clone(),
                client_type: input.client_type.clone(),
                redirect_uri: input.redirect_uri_on_provider_dashboard.clone(),
                pkce_code_verifier: redirect.pkce_code_verifier,
                nonce,
                expires_at: inner.oauth_now_ms() + OAUTH_FLOW_TTL_MS,
            };
            let stale_before = row.expires_at - OAUTH_FLOW_TTL_MS - OAUTH_FLOW_KEPT_MS;
            inner
                .write(ctx, |tx| {
                    tx.s.delete_stale_oauth_flows(stale_before, 16)?;
                    tx.s.insert_oauth_flow(&row)?;
                    Ok(Step::Commit(()))
                })
                .await?;
            // The verifier and nonce stay server-side: the browser never needs them.
            return Ok(GetAuthorisationUrlResult::Ok {
                url_with_query_params: url.into(),
                pkce_code_verifier: None,
                state,
                nonce: None,
            });
        }
        Ok(GetAuthorisationUrlResult::Ok {
            url_with_query_params: url.into(),
            pkce_code_verifier: redirect.pkce_code_verifier,
            state,
            nonce,
        })
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
        // When the provider must be asked first, the transaction starts after its answer: none is open while
        // the network answers.
        let asks_provider = input.user_info.is_none();
        if inner.batch_requests && !asks_provider {
            ctx.begin_batch();
        }
        // The tenant first: an unknown tenant is TENANT_NOT_FOUND whatever else the request holds.
        let tenant_id = ids::normalise_tenant_id(&input.tenant_id)?;
        let tenant = check_tenant_provider(&inner, &tenant_id, &input.third_party_id, ctx).await?;
        let (user_info, require_email, o_auth_tokens, raw_user_info) =
            provider_answer(&inner, input, &tenant, ctx).await?;
        if inner.batch_requests && asks_provider {
            ctx.begin_batch();
        }
        ids::validate_third_party_user_id(&user_info.third_party_user_id)?;
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
        let provided = user_info.email.clone().filter(|e| !e.id.trim().is_empty());
        let email_input = match provided {
            Some(e) => e,
            None if !require_email => EmailInput {
                id: email::fake_email(&input.third_party_id, &user_info.third_party_user_id),
                is_verified: true,
            },
            None => return Ok(SignInUpPostResult::NoEmailGivenByProvider),
        };
        let email_id = email::normalise_and_validate_email(&email_input.id)?;
        let tp = ThirdPartyInfo {
            id: input.third_party_id.clone(),
            user_id: user_info.third_party_user_id.clone(),
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
                            .is_current_email(&lm.recipe_user_id, &email_id)
                            .await?;
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
            created_new_user: is_new_user,
            auth_code_response: o_auth_tokens.clone(),
            o_auth_tokens,
            raw_user_info_from_provider: raw_user_info,
        })
    }
}
