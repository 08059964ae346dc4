//! Host overrides in, `original` out.
//!
//! [`Functions`] and [`Apis`] are traits that both Rust and the host implement (`#[uniffi::export(rust,
//! foreign)]`). An override layer is built by a host [`FunctionsOverride`]: it receives `original`, a *Rust*
//! object implementing [`Functions`] over the layer below ([`OriginalFunctions`]), and returns its replacement,
//! typically `class Mine(original: Functions) : Functions by original` in Kotlin, which changes one method and
//! delegates the rest. The core then calls that host object through [`HostFunctions`], an adapter implementing
//! the core trait. Calls the built-in implementation makes internally go through the final object, so a host
//! override of `createPrimaryUser` also changes what `signInUp` does (SuperTokens semantics).
//!
//! The `UserContext` handed to the host wraps the request's core context (same map, same event flow); when the
//! host passes it back to `original`, the same core context continues, so nested events are delivered once,
//! when the outermost call returns.

use std::sync::Arc;

use async_trait::async_trait;
use authcore::redirect::RedirectContext as CoreRedirectContext;
use authcore::{ApiFunctions, RecipeFunctions};

use crate::client::UserContext;
use crate::error::AuthError;
use crate::types::*;

type R<T> = Result<T, AuthError>;
type CoreR<T> = authcore::Result<T>;

/// Every overridable recipe function. Kotlin: implement by delegation to change one method,
/// `class Mine(original: Functions) : Functions by original { override suspend fun getUser(...) = ... }`.
#[uniffi::export(rust, foreign)]
#[async_trait]
pub trait Functions: Send + Sync {
    /// Core third-party sign-in/up (no linking).
    async fn sign_in_up(
        &self,
        input: SignInUpInput,
        user_context: Arc<UserContext>,
    ) -> R<SignInUpResult>;
    /// Sign-in/up with the automatic-linking policy.
    async fn manually_create_or_update_user(
        &self,
        input: SignInUpInput,
        user_context: Arc<UserContext>,
    ) -> R<ManuallyCreateOrUpdateUserResult>;
    async fn should_do_automatic_account_linking(
        &self,
        new_account_info: NewAccountInfo,
        user: Option<User>,
        session: Option<Session>,
        tenant_id: String,
        user_context: Arc<UserContext>,
    ) -> R<ShouldAutomaticallyLink>;
    /// Called after a link that actually happened.
    async fn on_account_linked(
        &self,
        user: User,
        new_account: LoginMethod,
        user_context: Arc<UserContext>,
    ) -> R<()>;
    async fn create_primary_user(
        &self,
        recipe_user_id: String,
        user_context: Arc<UserContext>,
    ) -> R<CreatePrimaryUserResult>;
    async fn can_create_primary_user(
        &self,
        recipe_user_id: String,
        user_context: Arc<UserContext>,
    ) -> R<CreatePrimaryUserResult>;
    async fn link_accounts(
        &self,
        recipe_user_id: String,
        primary_user_id: String,
        user_context: Arc<UserContext>,
    ) -> R<LinkAccountsResult>;
    async fn can_link_accounts(
        &self,
        recipe_user_id: String,
        primary_user_id: String,
        user_context: Arc<UserContext>,
    ) -> R<LinkAccountsResult>;
    async fn unlink_account(
        &self,
        recipe_user_id: String,
        user_context: Arc<UserContext>,
    ) -> R<UnlinkAccountResult>;
    async fn delete_user(
        &self,
        user_id: String,
        remove_all_linked_accounts: bool,
        user_context: Arc<UserContext>,
    ) -> R<()>;
    async fn get_user(&self, user_id: String, user_context: Arc<UserContext>) -> R<Option<User>>;
    async fn list_users_by_account_info(
        &self,
        tenant_id: String,
        account_info: AccountInfo,
        do_union_of_account_info: bool,
        user_context: Arc<UserContext>,
    ) -> R<Vec<User>>;
    async fn get_users(
        &self,
        input: GetUsersInput,
        user_context: Arc<UserContext>,
    ) -> R<GetUsersResult>;
    async fn is_email_verified(
        &self,
        recipe_user_id: String,
        email: Option<String>,
        user_context: Arc<UserContext>,
    ) -> R<bool>;
    async fn verify_email(
        &self,
        input: VerifyEmailInput,
        user_context: Arc<UserContext>,
    ) -> R<VerifyEmailResult>;
    async fn unverify_email(
        &self,
        recipe_user_id: String,
        email: Option<String>,
        user_context: Arc<UserContext>,
    ) -> R<()>;
    async fn create_or_update_tenant(
        &self,
        tenant_id: String,
        config: TenantConfigInput,
        user_context: Arc<UserContext>,
    ) -> R<CreateOrUpdateTenantResult>;
    async fn delete_tenant(
        &self,
        tenant_id: String,
        user_context: Arc<UserContext>,
    ) -> R<DeleteTenantResult>;
    async fn get_tenant(
        &self,
        tenant_id: String,
        user_context: Arc<UserContext>,
    ) -> R<Option<Tenant>>;
    async fn list_all_tenants(&self, user_context: Arc<UserContext>) -> R<Vec<Tenant>>;
    async fn associate_user_to_tenant(
        &self,
        tenant_id: String,
        recipe_user_id: String,
        user_context: Arc<UserContext>,
    ) -> R<AssociateUserToTenantResult>;
    async fn disassociate_user_from_tenant(
        &self,
        tenant_id: String,
        recipe_user_id: String,
        user_context: Arc<UserContext>,
    ) -> R<DisassociateUserFromTenantResult>;
    /// `access_token_payload_json`: a JSON object as text (`"{}"` for none).
    async fn create_new_session(
        &self,
        tenant_id: String,
        recipe_user_id: String,
        access_token_payload_json: String,
        user_context: Arc<UserContext>,
    ) -> R<CreateNewSessionResult>;
    /// `tenant_id`: the tenant the session must belong to (`None`: public) unless `any_tenant`.
    async fn get_session(
        &self,
        access_token: String,
        tenant_id: Option<String>,
        any_tenant: bool,
        user_context: Arc<UserContext>,
    ) -> R<GetSessionResult>;
    /// Whether a session was revoked.
    async fn revoke_session(
        &self,
        session_handle: String,
        user_context: Arc<UserContext>,
    ) -> R<bool>;
    /// The revoked session handles.
    async fn revoke_all_sessions_for_user(
        &self,
        user_id: String,
        revoke_sessions_for_linked_accounts: bool,
        user_context: Arc<UserContext>,
    ) -> R<Vec<String>>;
    async fn get_all_session_handles_for_user(
        &self,
        user_id: String,
        fetch_sessions_for_all_linked_accounts: bool,
        user_context: Arc<UserContext>,
    ) -> R<Vec<String>>;
}

/// The overridable API functions.
#[uniffi::export(rust, foreign)]
#[async_trait]
pub trait Apis: Send + Sync {
    /// What an HTTP handler does after the provider returned the user's info.
    async fn sign_in_up_post(
        &self,
        input: SignInUpPostInput,
        user_context: Arc<UserContext>,
    ) -> R<SignInUpPostResult>;
    /// Where to send the user; `null` means the configured default path. The answer is validated afterwards.
    async fn get_redirection_url(
        &self,
        context: RedirectContext,
        user_context: Arc<UserContext>,
    ) -> R<Option<String>>;
}

/// Builds one override layer of the recipe functions from `original` (the layer below). Implemented by the host,
/// or in Rust by the Kotlin facade's JNI bridge (`jvm_hooks`).
#[uniffi::export(rust, foreign)]
pub trait FunctionsOverride: Send + Sync {
    fn apply(&self, original: Arc<dyn Functions>) -> R<Arc<dyn Functions>>;
}

/// Builds one override layer of the API functions from `original` (host, or the Kotlin facade's JNI bridge).
#[uniffi::export(rust, foreign)]
pub trait ApisOverride: Send + Sync {
    fn apply(&self, original: Arc<dyn Apis>) -> R<Arc<dyn Apis>>;
}

// ---------------------------------------------------------------------------------------------------------
// Rust → host: `original`, and the engine's own final functions.

/// What an [`OriginalFunctions`] calls: a layer below an override, or the engine's final (overridden) object.
pub(crate) enum FnTarget {
    Layer(Arc<dyn RecipeFunctions>),
    Engine(authcore::AuthCore),
}

/// The Rust implementation of [`Functions`] over a core layer: the `original` the host receives, and what
/// `AuthCore`'s own methods call.
pub struct OriginalFunctions {
    target: FnTarget,
}

impl OriginalFunctions {
    pub(crate) fn new(target: FnTarget) -> Self {
        OriginalFunctions { target }
    }

    fn f(&self) -> &dyn RecipeFunctions {
        match &self.target {
            FnTarget::Layer(l) => &**l,
            FnTarget::Engine(e) => e.functions(),
        }
    }
}

fn ctx(c: &UserContext) -> &authcore::UserContext {
    &c.inner
}

#[async_trait]
impl Functions for OriginalFunctions {
    async fn sign_in_up(
        &self,
        input: SignInUpInput,
        user_context: Arc<UserContext>,
    ) -> R<SignInUpResult> {
        Ok(self.f().sign_in_up(&input, ctx(&user_context)).await?)
    }
    async fn manually_create_or_update_user(
        &self,
        input: SignInUpInput,
        user_context: Arc<UserContext>,
    ) -> R<ManuallyCreateOrUpdateUserResult> {
        Ok(self
            .f()
            .manually_create_or_update_user(&input, ctx(&user_context))
            .await?)
    }
    async fn should_do_automatic_account_linking(
        &self,
        new_account_info: NewAccountInfo,
        user: Option<User>,
        session: Option<Session>,
        tenant_id: String,
        user_context: Arc<UserContext>,
    ) -> R<ShouldAutomaticallyLink> {
        Ok(self
            .f()
            .should_do_automatic_account_linking(
                &new_account_info,
                user.as_ref(),
                session.as_ref(),
                &tenant_id,
                ctx(&user_context),
            )
            .await?)
    }
    async fn on_account_linked(
        &self,
        user: User,
        new_account: LoginMethod,
        user_context: Arc<UserContext>,
    ) -> R<()> {
        Ok(self
            .f()
            .on_account_linked(&user, &new_account, ctx(&user_context))
            .await?)
    }
    async fn create_primary_user(
        &self,
        recipe_user_id: String,
        user_context: Arc<UserContext>,
    ) -> R<CreatePrimaryUserResult> {
        Ok(self
            .f()
            .create_primary_user(&recipe_user_id, ctx(&user_context))
            .await?)
    }
    async fn can_create_primary_user(
        &self,
        recipe_user_id: String,
        user_context: Arc<UserContext>,
    ) -> R<CreatePrimaryUserResult> {
        Ok(self
            .f()
            .can_create_primary_user(&recipe_user_id, ctx(&user_context))
            .await?)
    }
    async fn link_accounts(
        &self,
        recipe_user_id: String,
        primary_user_id: String,
        user_context: Arc<UserContext>,
    ) -> R<LinkAccountsResult> {
        Ok(self
            .f()
            .link_accounts(&recipe_user_id, &primary_user_id, ctx(&user_context))
            .await?)
    }
    async fn can_link_accounts(
        &self,
        recipe_user_id: String,
        primary_user_id: String,
        user_context: Arc<UserContext>,
    ) -> R<LinkAccountsResult> {
        Ok(self
            .f()
            .can_link_accounts(&recipe_user_id, &primary_user_id, ctx(&user_context))
            .await?)
    }
    async fn unlink_account(
        &self,
        recipe_user_id: String,
        user_context: Arc<UserContext>,
    ) -> R<UnlinkAccountResult> {
        Ok(self
            .f()
            .unlink_account(&recipe_user_id, ctx(&user_context))
            .await?)
    }
    async fn delete_user(
        &self,
        user_id: String,
        remove_all_linked_accounts: bool,
        user_context: Arc<UserContext>,
    ) -> R<()> {
        Ok(self
            .f()
            .delete_user(&user_id, remove_all_linked_accounts, ctx(&user_context))
            .await?)
    }
    async fn get_user(&self, user_id: String, user_context: Arc<UserContext>) -> R<Option<User>> {
        Ok(self.f().get_user(&user_id, ctx(&user_context)).await?)
    }
    async fn list_users_by_account_info(
        &self,
        tenant_id: String,
        account_info: AccountInfo,
        do_union_of_account_info: bool,
        user_context: Arc<UserContext>,
    ) -> R<Vec<User>> {
        Ok(self
            .f()
            .list_users_by_account_info(
                &tenant_id,
                &account_info,
                do_union_of_account_info,
                ctx(&user_context),
            )
            .await?)
    }
    async fn get_users(
        &self,
        input: GetUsersInput,
        user_context: Arc<UserContext>,
    ) -> R<GetUsersResult> {
        Ok(self.f().get_users(&input, ctx(&user_context)).await?)
    }
    async fn is_email_verified(
        &self,
        recipe_user_id: String,
        email: Option<String>,
        user_context: Arc<UserContext>,
    ) -> R<bool> {
        Ok(self
            .f()
            .is_email_verified(&recipe_user_id, email.as_deref(), ctx(&user_context))
            .await?)
    }
    async fn verify_email(
        &self,
        input: VerifyEmailInput,
        user_context: Arc<UserContext>,
    ) -> R<VerifyEmailResult> {
        Ok(self.f().verify_email(&input, ctx(&user_context)).await?)
    }
    async fn unverify_email(
        &self,
        recipe_user_id: String,
        email: Option<String>,
        user_context: Arc<UserContext>,
    ) -> R<()> {
        Ok(self
            .f()
            .unverify_email(&recipe_user_id, email.as_deref(), ctx(&user_context))
            .await?)
    }
    async fn create_or_update_tenant(
        &self,
        tenant_id: String,
        config: TenantConfigInput,
        user_context: Arc<UserContext>,
    ) -> R<CreateOrUpdateTenantResult> {
        Ok(self
            .f()
            .create_or_update_tenant(&tenant_id, &config.into(), ctx(&user_context))
            .await?)
    }
    async fn delete_tenant(
        &self,
        tenant_id: String,
        user_context: Arc<UserContext>,
    ) -> R<DeleteTenantResult> {
        Ok(self
            .f()
            .delete_tenant(&tenant_id, ctx(&user_context))
            .await?)
    }
    async fn get_tenant(
        &self,
        tenant_id: String,
        user_context: Arc<UserContext>,
    ) -> R<Option<Tenant>> {
        Ok(self.f().get_tenant(&tenant_id, ctx(&user_context)).await?)
    }
    async fn list_all_tenants(&self, user_context: Arc<UserContext>) -> R<Vec<Tenant>> {
        Ok(self.f().list_all_tenants(ctx(&user_context)).await?)
    }
    async fn associate_user_to_tenant(
        &self,
        tenant_id: String,
        recipe_user_id: String,
        user_context: Arc<UserContext>,
    ) -> R<AssociateUserToTenantResult> {
        Ok(self
            .f()
            .associate_user_to_tenant(&tenant_id, &recipe_user_id, ctx(&user_context))
            .await?)
    }
    async fn disassociate_user_from_tenant(
        &self,
        tenant_id: String,
        recipe_user_id: String,
        user_context: Arc<UserContext>,
    ) -> R<DisassociateUserFromTenantResult> {
        Ok(self
            .f()
            .disassociate_user_from_tenant(&tenant_id, &recipe_user_id, ctx(&user_context))
            .await?)
    }
    async fn create_new_session(
        &self,
        tenant_id: String,
        recipe_user_id: String,
        access_token_payload_json: String,
        user_context: Arc<UserContext>,
    ) -> R<CreateNewSessionResult> {
        let payload = crate::client::payload_of(&access_token_payload_json)?;
        Ok(self
            .f()
            .create_new_session(&tenant_id, &recipe_user_id, &payload, ctx(&user_context))
            .await?)
    }
    async fn get_session(
        &self,
        access_token: String,
        tenant_id: Option<String>,
        any_tenant: bool,
        user_context: Arc<UserContext>,
    ) -> R<GetSessionResult> {
        let input = authcore::GetSessionInput {
            access_token,
            tenant_id,
            any_tenant,
        };
        Ok(self.f().get_session(&input, ctx(&user_context)).await?)
    }
    async fn revoke_session(
        &self,
        session_handle: String,
        user_context: Arc<UserContext>,
    ) -> R<bool> {
        Ok(self
            .f()
            .revoke_session(&session_handle, ctx(&user_context))
            .await?)
    }
    async fn revoke_all_sessions_for_user(
        &self,
        user_id: String,
        revoke_sessions_for_linked_accounts: bool,
        user_context: Arc<UserContext>,
    ) -> R<Vec<String>> {
        Ok(self
            .f()
            .revoke_all_sessions_for_user(
                &user_id,
                revoke_sessions_for_linked_accounts,
                ctx(&user_context),
            )
            .await?)
    }
    async fn get_all_session_handles_for_user(
        &self,
        user_id: String,
        fetch_sessions_for_all_linked_accounts: bool,
        user_context: Arc<UserContext>,
    ) -> R<Vec<String>> {
        Ok(self
            .f()
            .get_all_session_handles_for_user(
                &user_id,
                fetch_sessions_for_all_linked_accounts,
                ctx(&user_context),
            )
            .await?)
    }
}

pub(crate) enum ApiTarget {
    Layer(Arc<dyn ApiFunctions>),
    Engine(authcore::AuthCore),
}

/// The Rust implementation of [`Apis`] over a core layer.
pub struct OriginalApis {
    target: ApiTarget,
}

impl OriginalApis {
    pub(crate) fn new(target: ApiTarget) -> Self {
        OriginalApis { target }
    }

    fn a(&self) -> &dyn ApiFunctions {
        match &self.target {
            ApiTarget::Layer(l) => &**l,
            ApiTarget::Engine(e) => e.apis(),
        }
    }
}

#[async_trait]
impl Apis for OriginalApis {
    async fn sign_in_up_post(
        &self,
        input: SignInUpPostInput,
        user_context: Arc<UserContext>,
    ) -> R<SignInUpPostResult> {
        Ok(self.a().sign_in_up_post(&input, ctx(&user_context)).await?)
    }
    async fn get_redirection_url(
        &self,
        context: RedirectContext,
        user_context: Arc<UserContext>,
    ) -> R<Option<String>> {
        Ok(self
            .a()
            .get_redirection_url(&context, ctx(&user_context))
            .await?)
    }
}

// ---------------------------------------------------------------------------------------------------------
// Host → core: a host override layer as a core trait object.

/// One host override layer of the recipe functions, as the core sees it.
pub(crate) struct HostFunctions {
    pub host: Arc<dyn Functions>,
    pub below: Arc<dyn RecipeFunctions>,
    /// The engine's `hostTimeoutMs`: a host method that does not answer in time fails with `HOST_TIMEOUT`.
    pub timeout_ms: u64,
}

impl HostFunctions {
    async fn timed<T>(&self, call: impl std::future::Future<Output = R<T>>) -> CoreR<T> {
        authcore::host::guard(self.timeout_ms, async { Ok(call.await?) }).await
    }
}

/// The host's view of the request's context: a new handle on the same core context.
fn host_ctx(c: &authcore::UserContext) -> Arc<UserContext> {
    Arc::new(UserContext { inner: c.clone() })
}

#[async_trait]
impl RecipeFunctions for HostFunctions {
    fn original(&self) -> &dyn RecipeFunctions {
        &*self.below
    }

    async fn sign_in_up(
        &self,
        input: &authcore::SignInUpInput,
        c: &authcore::UserContext,
    ) -> CoreR<authcore::SignInUpResult> {
        Ok(self
            .timed(self.host.sign_in_up(input.clone(), host_ctx(c)))
            .await?)
    }
    async fn manually_create_or_update_user(
        &self,
        input: &authcore::ManuallyCreateOrUpdateUserInput,
        c: &authcore::UserContext,
    ) -> CoreR<authcore::ManuallyCreateOrUpdateUserResult> {
        Ok(self
            .timed(
                self.host
                    .manually_create_or_update_user(input.clone(), host_ctx(c)),
            )
            .await?)
    }
    async fn should_do_automatic_account_linking(
        &self,
        new_account_info: &authcore::NewAccountInfo,
        user: Option<&authcore::User>,
        session: Option<&authcore::Session>,
        tenant_id: &str,
        c: &authcore::UserContext,
    ) -> CoreR<authcore::ShouldAutomaticallyLink> {
        Ok(self
            .timed(self.host.should_do_automatic_account_linking(
                new_account_info.clone(),
                user.cloned(),
                session.cloned(),
                tenant_id.to_string(),
                host_ctx(c),
            ))
            .await?)
    }
    async fn on_account_linked(
        &self,
        user: &authcore::User,
        new_account: &authcore::LoginMethod,
        c: &authcore::UserContext,
    ) -> CoreR<()> {
        Ok(self
            .timed(
                self.host
                    .on_account_linked(user.clone(), new_account.clone(), host_ctx(c)),
            )
            .await?)
    }
    async fn create_primary_user(
        &self,
        recipe_user_id: &str,
        c: &authcore::UserContext,
    ) -> CoreR<authcore::CreatePrimaryUserResult> {
        Ok(self
            .timed(
                self.host
                    .create_primary_user(recipe_user_id.to_string(), host_ctx(c)),
            )
            .await?)
    }
    async fn can_create_primary_user(
        &self,
        recipe_user_id: &str,
        c: &authcore::UserContext,
    ) -> CoreR<authcore::CreatePrimaryUserResult> {
        Ok(self
            .timed(
                self.host
                    .can_create_primary_user(recipe_user_id.to_string(), host_ctx(c)),
            )
            .await?)
    }
    async fn link_accounts(
        &self,
        recipe_user_id: &str,
        primary_user_id: &str,
        c: &authcore::UserContext,
    ) -> CoreR<authcore::LinkAccountsResult> {
        Ok(self
            .timed(self.host.link_accounts(
                recipe_user_id.to_string(),
                primary_user_id.to_string(),
                host_ctx(c),
            ))
            .await?)
    }
    async fn can_link_accounts(
        &self,
        recipe_user_id: &str,
        primary_user_id: &str,
        c: &authcore::UserContext,
    ) -> CoreR<authcore::LinkAccountsResult> {
        Ok(self
            .timed(self.host.can_link_accounts(
                recipe_user_id.to_string(),
                primary_user_id.to_string(),
                host_ctx(c),
            ))
            .await?)
    }
    async fn unlink_account(
        &self,
        recipe_user_id: &str,
        c: &authcore::UserContext,
    ) -> CoreR<authcore::UnlinkAccountResult> {
        Ok(self
            .timed(
                self.host
                    .unlink_account(recipe_user_id.to_string(), host_ctx(c)),
            )
            .await?)
    }
    async fn delete_user(
        &self,
        user_id: &str,
        remove_all_linked_accounts: bool,
        c: &authcore::UserContext,
    ) -> CoreR<()> {
        Ok(self
            .timed(self.host.delete_user(
                user_id.to_string(),
                remove_all_linked_accounts,
                host_ctx(c),
            ))
            .await?)
    }
    async fn get_user(
        &self,
        user_id: &str,
        c: &authcore::UserContext,
    ) -> CoreR<Option<authcore::User>> {
        Ok(self
            .timed(self.host.get_user(user_id.to_string(), host_ctx(c)))
            .await?)
    }
    async fn list_users_by_account_info(
        &self,
        tenant_id: &str,
        account_info: &authcore::AccountInfo,
        do_union_of_account_info: bool,
        c: &authcore::UserContext,
    ) -> CoreR<Vec<authcore::User>> {
        Ok(self
            .timed(self.host.list_users_by_account_info(
                tenant_id.to_string(),
                account_info.clone(),
                do_union_of_account_info,
                host_ctx(c),
            ))
            .await?)
    }
    async fn get_users(
        &self,
        input: &authcore::GetUsersInput,
        c: &authcore::UserContext,
    ) -> CoreR<authcore::GetUsersResult> {
        Ok(self
            .timed(self.host.get_users(input.clone(), host_ctx(c)))
            .await?)
    }
    async fn is_email_verified(
        &self,
        recipe_user_id: &str,
        email: Option<&str>,
        c: &authcore::UserContext,
    ) -> CoreR<bool> {
        Ok(self
            .timed(self.host.is_email_verified(
                recipe_user_id.to_string(),
                email.map(str::to_string),
                host_ctx(c),
            ))
            .await?)
    }
    async fn verify_email(
        &self,
        input: &authcore::VerifyEmailInput,
        c: &authcore::UserContext,
    ) -> CoreR<authcore::VerifyEmailResult> {
        Ok(self
            .timed(self.host.verify_email(input.clone(), host_ctx(c)))
            .await?)
    }
    async fn unverify_email(
        &self,
        recipe_user_id: &str,
        email: Option<&str>,
        c: &authcore::UserContext,
    ) -> CoreR<()> {
        Ok(self
            .timed(self.host.unverify_email(
                recipe_user_id.to_string(),
                email.map(str::to_string),
                host_ctx(c),
            ))
            .await?)
    }
    async fn create_or_update_tenant(
        &self,
        tenant_id: &str,
        config: &authcore::TenantConfigInput,
        c: &authcore::UserContext,
    ) -> CoreR<authcore::CreateOrUpdateTenantResult> {
        Ok(self
            .timed(self.host.create_or_update_tenant(
                tenant_id.to_string(),
                config.clone().into(),
                host_ctx(c),
            ))
            .await?)
    }
    async fn delete_tenant(
        &self,
        tenant_id: &str,
        c: &authcore::UserContext,
    ) -> CoreR<authcore::DeleteTenantResult> {
        Ok(self
            .timed(self.host.delete_tenant(tenant_id.to_string(), host_ctx(c)))
            .await?)
    }
    async fn get_tenant(
        &self,
        tenant_id: &str,
        c: &authcore::UserContext,
    ) -> CoreR<Option<authcore::Tenant>> {
        Ok(self
            .timed(self.host.get_tenant(tenant_id.to_string(), host_ctx(c)))
            .await?)
    }
    async fn list_all_tenants(&self, c: &authcore::UserContext) -> CoreR<Vec<authcore::Tenant>> {
        Ok(self.timed(self.host.list_all_tenants(host_ctx(c))).await?)
    }
    async fn associate_user_to_tenant(
        &self,
        tenant_id: &str,
        recipe_user_id: &str,
        c: &authcore::UserContext,
    ) -> CoreR<authcore::AssociateUserToTenantResult> {
        Ok(self
            .timed(self.host.associate_user_to_tenant(
                tenant_id.to_string(),
                recipe_user_id.to_string(),
                host_ctx(c),
            ))
            .await?)
    }
    async fn disassociate_user_from_tenant(
        &self,
        tenant_id: &str,
        recipe_user_id: &str,
        c: &authcore::UserContext,
    ) -> CoreR<authcore::DisassociateUserFromTenantResult> {
        Ok(self
            .timed(self.host.disassociate_user_from_tenant(
                tenant_id.to_string(),
                recipe_user_id.to_string(),
                host_ctx(c),
            ))
            .await?)
    }
    async fn create_new_session(
        &self,
        tenant_id: &str,
        recipe_user_id: &str,
        access_token_payload: &serde_json::Value,
        c: &authcore::UserContext,
    ) -> CoreR<authcore::CreateNewSessionResult> {
        Ok(self
            .timed(self.host.create_new_session(
                tenant_id.to_string(),
                recipe_user_id.to_string(),
                access_token_payload.to_string(),
                host_ctx(c),
            ))
            .await?)
    }
    async fn get_session(
        &self,
        input: &authcore::GetSessionInput,
        c: &authcore::UserContext,
    ) -> CoreR<authcore::GetSessionResult> {
        Ok(self
            .timed(self.host.get_session(
                input.access_token.clone(),
                input.tenant_id.clone(),
                input.any_tenant,
                host_ctx(c),
            ))
            .await?)
    }
    async fn revoke_session(&self, session_handle: &str, c: &authcore::UserContext) -> CoreR<bool> {
        Ok(self
            .timed(
                self.host
                    .revoke_session(session_handle.to_string(), host_ctx(c)),
            )
            .await?)
    }
    async fn revoke_all_sessions_for_user(
        &self,
        user_id: &str,
        revoke_sessions_for_linked_accounts: bool,
        c: &authcore::UserContext,
    ) -> CoreR<Vec<String>> {
        Ok(self
            .timed(self.host.revoke_all_sessions_for_user(
                user_id.to_string(),
                revoke_sessions_for_linked_accounts,
                host_ctx(c),
            ))
            .await?)
    }
    async fn get_all_session_handles_for_user(
        &self,
        user_id: &str,
        fetch_sessions_for_all_linked_accounts: bool,
        c: &authcore::UserContext,
    ) -> CoreR<Vec<String>> {
        Ok(self
            .timed(self.host.get_all_session_handles_for_user(
                user_id.to_string(),
                fetch_sessions_for_all_linked_accounts,
                host_ctx(c),
            ))
            .await?)
    }
}

/// One host override layer of the API functions, as the core sees it.
pub(crate) struct HostApis {
    pub host: Arc<dyn Apis>,
    pub below: Arc<dyn ApiFunctions>,
    pub timeout_ms: u64,
}

impl HostApis {
    async fn timed<T>(&self, call: impl std::future::Future<Output = R<T>>) -> CoreR<T> {
        authcore::host::guard(self.timeout_ms, async { Ok(call.await?) }).await
    }
}

#[async_trait]
impl ApiFunctions for HostApis {
    fn original(&self) -> &dyn ApiFunctions {
        &*self.below
    }

    async fn sign_in_up_post(
        &self,
        input: &authcore::SignInUpPostInput,
        c: &authcore::UserContext,
    ) -> CoreR<authcore::SignInUpPostResult> {
        Ok(self
            .timed(self.host.sign_in_up_post(input.clone(), host_ctx(c)))
            .await?)
    }

    async fn get_redirection_url(
        &self,
        context: &CoreRedirectContext,
        c: &authcore::UserContext,
    ) -> CoreR<Option<String>> {
        Ok(self
            .timed(self.host.get_redirection_url(context.clone(), host_ctx(c)))
            .await?)
    }
}
