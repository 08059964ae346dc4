//! Host overrides in, `original` out.
//!
//! An override layer is a Rust object implementing the core trait over the layer below (`original`). For each
//! method the JS override object replaced, it calls JS through one thread-safe function (the host bridge) and
//! awaits the returned Promise (the call's future is then parked until the JS event loop wakes it, see
//! `local.rs`); every other method goes straight to `original` without touching JS. Arguments and results cross
//! as JSON text. The JS side (`index.js`) dispatches the bridge call to the right override function, and answers
//! with an envelope, so a JS throw or rejection never crosses napi as an exception.
//!
//! The `original` JS object of layer `i` calls [`crate::client::NativeLayer`], which holds a *weak* reference to
//! the layer below: the engine owns its layers, JS only borrows them, and no JS -> Rust -> JS cycle keeps an
//! engine alive after its `AuthCore` object is gone (the bridge's JS function reaches the JS side weakly, see
//! `weakDispatcher` in `index.js`).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use async_trait::async_trait;
use authcore::redirect::RedirectContext;
use authcore::{
    AccountInfo, ApiFunctions, AssociateUserToTenantResult, AuthError, CreateNewSessionResult,
    CreateOrUpdateTenantResult, CreatePrimaryUserResult, DeleteTenantResult,
    DisassociateUserFromTenantResult, GetSessionInput, GetSessionResult, GetUsersInput,
    GetUsersResult, LinkAccountsResult, LoginMethod, ManuallyCreateOrUpdateUserInput,
    ManuallyCreateOrUpdateUserResult, NewAccountInfo, RecipeFunctions, Result, Session,
    ShouldAutomaticallyLink, SignInUpInput, SignInUpPostInput, SignInUpPostResult, SignInUpResult,
    Tenant, TenantConfigInput, UnlinkAccountResult, User, UserContext, VerifyEmailInput,
    VerifyEmailResult,
};
use napi::bindgen_prelude::Promise;
use napi::threadsafe_function::ThreadsafeFunction;
use napi::Status;
use napi_derive::napi;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::host_error;
use crate::types::*;

/// The key under which a core `UserContext` carries the id of its JS `userContext` object (the JS layer keeps
/// the object itself, so overrides see the very same object, functions and all).
pub const CONTEXT_KEY: &str = "__authcoreNodeContextId";

/// What the bridge passes to the JS dispatcher: run override `op` of layer `layer` of `kind`.
#[napi(object)]
pub struct HostCall {
    /// "functions", "apis" or "events" (then `op` is the handler key and `input` the event).
    pub kind: String,
    pub layer: u32,
    pub op: String,
    /// The argument object as JSON text, without `userContext` (the JS layer adds the caller's object).
    pub input: String,
    pub context_id: u32,
}

/// What the JS dispatcher resolves to: `{ok: true, value}` or `{ok: false, errorId, message}`.
#[napi(object)]
pub struct HostAnswer {
    pub ok: bool,
    /// The resolved value as JSON text (absent: `undefined`).
    pub value: Option<String>,
    /// The id under which the JS layer stashed the thrown error.
    pub error_id: Option<u32>,
    pub message: Option<String>,
}

/// The JS dispatcher, weak (an idle engine does not keep Node alive), errors caught (never fatal).
pub type HostFn = ThreadsafeFunction<HostCall, Promise<HostAnswer>, HostCall, Status, false, true>;

/// The core `UserContext` of every JS `userContext` object in use, by id. The core's context also carries the
/// request's event flow, so a JS override calling `original` (or the engine) with the same object must get the
/// same core context back: that is what this registry is for. An entry lives while a native call uses it.
#[derive(Default)]
pub struct ContextRegistry(Mutex<HashMap<u32, (UserContext, usize)>>);

/// Keeps one registry entry alive for the duration of a native call.
pub struct ContextLease {
    registry: Option<Arc<ContextRegistry>>,
    id: u32,
    pub ctx: UserContext,
}

impl ContextRegistry {
    /// The context registered as `id` (its map refreshed from `snapshot`), or a new one. Id 0 is a context
    /// nothing else refers to (the caller gave no `userContext` and no JS override exists): a fresh one, not
    /// registered.
    pub fn lease(self: &Arc<Self>, id: u32, snapshot: Map<String, Value>) -> ContextLease {
        if id == 0 {
            return ContextLease {
                registry: None,
                id,
                ctx: UserContext::from_map(snapshot),
            };
        }
        let mut map = snapshot;
        map.insert(CONTEXT_KEY.into(), Value::from(id));
        let mut entries = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let entry = entries.entry(id).or_insert_with(|| (UserContext::new(), 0));
        entry.0.replace(map);
        entry.1 += 1;
        ContextLease {
            registry: Some(self.clone()),
            id,
            ctx: entry.0.clone(),
        }
    }
}

impl Drop for ContextLease {
    fn drop(&mut self) {
        let Some(registry) = &self.registry else {
            return;
        };
        let mut entries = registry.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(entry) = entries.get_mut(&self.id) {
            entry.1 -= 1;
            if entry.1 == 0 {
                entries.remove(&self.id);
            }
        }
    }
}

pub fn context_id(ctx: &UserContext) -> u32 {
    ctx.get(CONTEXT_KEY)
        .and_then(|v| v.as_u64())
        .and_then(|v| u32::try_from(v).ok())
        .unwrap_or(0)
}

pub struct HostBridge {
    tsfn: HostFn,
    /// `hostTimeoutMs`: the longest one call into JS may take (`authcore::host::guard`).
    timeout_ms: u64,
}

impl HostBridge {
    pub fn new(tsfn: HostFn, timeout_ms: u64) -> Self {
        HostBridge { tsfn, timeout_ms }
    }

    /// Calls the JS override `kind/layer/op` with `input` (JSON text) and awaits its Promise, without blocking
    /// the JS thread; resolves to the JSON text of its value (`None`: `undefined`).
    pub async fn call(
        &self,
        kind: &str,
        layer: u32,
        op: &str,
        input: String,
        ctx: &UserContext,
    ) -> Result<Option<String>> {
        let failed = |e: napi::Error| {
            AuthError::host(format!(
                "calling the JS override '{op}' failed: {}",
                e.reason
            ))
        };
        let call = HostCall {
            kind: kind.to_string(),
            layer,
            op: op.to_string(),
            input,
            context_id: context_id(ctx),
        };
        let answer = authcore::host::guard(self.timeout_ms, async {
            let promise = self.tsfn.call_async_catch(call).await.map_err(failed)?;
            promise.await.map_err(failed)
        })
        .await?;
        if answer.ok {
            return Ok(answer.value);
        }
        let message = answer
            .message
            .as_deref()
            .unwrap_or("error thrown by a JS override");
        Err(host_error(answer.error_id.unwrap_or(0), message))
    }
}

/// Where a layer's `original` will be, once the engine is built (the core hands it to the override closure).
#[derive(Default)]
pub struct FnSlot(OnceLock<Weak<dyn RecipeFunctions>>);

impl FnSlot {
    pub fn set(&self, original: &Arc<dyn RecipeFunctions>) {
        let _ = self.0.set(Arc::downgrade(original));
    }
    pub fn get(&self) -> Result<Arc<dyn RecipeFunctions>> {
        self.0
            .get()
            .and_then(Weak::upgrade)
            .ok_or_else(crate::error::shut_down)
    }
}

#[derive(Default)]
pub struct ApiSlot(OnceLock<Weak<dyn ApiFunctions>>);

impl ApiSlot {
    pub fn set(&self, original: &Arc<dyn ApiFunctions>) {
        let _ = self.0.set(Arc::downgrade(original));
    }
    pub fn get(&self) -> Result<Arc<dyn ApiFunctions>> {
        self.0
            .get()
            .and_then(Weak::upgrade)
            .ok_or_else(crate::error::shut_down)
    }
}

/// One `override.functions` layer.
pub struct JsFunctions {
    pub original: Arc<dyn RecipeFunctions>,
    pub layer: u32,
    pub ops: HashSet<FnOp>,
    pub host: Arc<HostBridge>,
}

impl JsFunctions {
    fn replaced(&self, op: FnOp) -> bool {
        self.ops.contains(&op)
    }

    async fn js<A: Serialize + Sync, R: DeserializeOwned>(
        &self,
        op: FnOp,
        args: &A,
        ctx: &UserContext,
    ) -> Result<R> {
        let value = self
            .host
            .call("functions", self.layer, op.name(), to_json(args)?, ctx)
            .await?;
        result_of(op.name(), value.as_deref())
    }

    async fn js_unit<A: Serialize + Sync>(
        &self,
        op: FnOp,
        args: &A,
        ctx: &UserContext,
    ) -> Result<()> {
        self.host
            .call("functions", self.layer, op.name(), to_json(args)?, ctx)
            .await
            .map(|_| ())
    }
}

fn owned(s: &str) -> String {
    s.to_string()
}

#[async_trait]
impl RecipeFunctions for JsFunctions {
    fn original(&self) -> &dyn RecipeFunctions {
        &*self.original
    }

    async fn sign_in_up(&self, input: &SignInUpInput, ctx: &UserContext) -> Result<SignInUpResult> {
        if !self.replaced(FnOp::SignInUp) {
            return self.original.sign_in_up(input, ctx).await;
        }
        self.js(FnOp::SignInUp, input, ctx).await
    }

    async fn manually_create_or_update_user(
        &self,
        input: &ManuallyCreateOrUpdateUserInput,
        ctx: &UserContext,
    ) -> Result<ManuallyCreateOrUpdateUserResult> {
        if !self.replaced(FnOp::ManuallyCreateOrUpdateUser) {
            return self
                .original
                .manually_create_or_update_user(input, ctx)
                .await;
        }
        self.js(FnOp::ManuallyCreateOrUpdateUser, input, ctx).await
    }

    async fn should_do_automatic_account_linking(
        &self,
        new_account_info: &NewAccountInfo,
        user: Option<&User>,
        session: Option<&Session>,
        tenant_id: &str,
        ctx: &UserContext,
    ) -> Result<ShouldAutomaticallyLink> {
        if !self.replaced(FnOp::ShouldDoAutomaticAccountLinking) {
            return self
                .original
                .should_do_automatic_account_linking(
                    new_account_info,
                    user,
                    session,
                    tenant_id,
                    ctx,
                )
                .await;
        }
        let args = ShouldLinkArgs {
            new_account_info: new_account_info.clone(),
            user: user.cloned(),
            session: session.cloned(),
            tenant_id: owned(tenant_id),
        };
        self.js(FnOp::ShouldDoAutomaticAccountLinking, &args, ctx)
            .await
    }

    async fn on_account_linked(
        &self,
        user: &User,
        new_account: &LoginMethod,
        ctx: &UserContext,
    ) -> Result<()> {
        if !self.replaced(FnOp::OnAccountLinked) {
            return self
                .original
                .on_account_linked(user, new_account, ctx)
                .await;
        }
        let args = OnAccountLinkedArgs {
            user: user.clone(),
            new_account_info: new_account.clone(),
        };
        self.js_unit(FnOp::OnAccountLinked, &args, ctx).await
    }

    async fn create_primary_user(
        &self,
        recipe_user_id: &str,
        ctx: &UserContext,
    ) -> Result<CreatePrimaryUserResult> {
        if !self.replaced(FnOp::CreatePrimaryUser) {
            return self.original.create_primary_user(recipe_user_id, ctx).await;
        }
        self.js(
            FnOp::CreatePrimaryUser,
            &RecipeUserIdArgs {
                recipe_user_id: owned(recipe_user_id),
            },
            ctx,
        )
        .await
    }

    async fn can_create_primary_user(
        &self,
        recipe_user_id: &str,
        ctx: &UserContext,
    ) -> Result<CreatePrimaryUserResult> {
        if !self.replaced(FnOp::CanCreatePrimaryUser) {
            return self
                .original
                .can_create_primary_user(recipe_user_id, ctx)
                .await;
        }
        self.js(
            FnOp::CanCreatePrimaryUser,
            &RecipeUserIdArgs {
                recipe_user_id: owned(recipe_user_id),
            },
            ctx,
        )
        .await
    }

    async fn link_accounts(
        &self,
        recipe_user_id: &str,
        primary_user_id: &str,
        ctx: &UserContext,
    ) -> Result<LinkAccountsResult> {
        if !self.replaced(FnOp::LinkAccounts) {
            return self
                .original
                .link_accounts(recipe_user_id, primary_user_id, ctx)
                .await;
        }
        let args = LinkArgs {
            recipe_user_id: owned(recipe_user_id),
            primary_user_id: owned(primary_user_id),
        };
        self.js(FnOp::LinkAccounts, &args, ctx).await
    }

    async fn can_link_accounts(
        &self,
        recipe_user_id: &str,
        primary_user_id: &str,
        ctx: &UserContext,
    ) -> Result<LinkAccountsResult> {
        if !self.replaced(FnOp::CanLinkAccounts) {
            return self
                .original
                .can_link_accounts(recipe_user_id, primary_user_id, ctx)
                .await;
        }
        let args = LinkArgs {
            recipe_user_id: owned(recipe_user_id),
            primary_user_id: owned(primary_user_id),
        };
        self.js(FnOp::CanLinkAccounts, &args, ctx).await
    }

    async fn unlink_account(
        &self,
        recipe_user_id: &str,
        ctx: &UserContext,
    ) -> Result<UnlinkAccountResult> {
        if !self.replaced(FnOp::UnlinkAccount) {
            return self.original.unlink_account(recipe_user_id, ctx).await;
        }
        self.js(
            FnOp::UnlinkAccount,
            &RecipeUserIdArgs {
                recipe_user_id: owned(recipe_user_id),
            },
            ctx,
        )
        .await
    }

    async fn delete_user(
        &self,
        user_id: &str,
        remove_all_linked_accounts: bool,
        ctx: &UserContext,
    ) -> Result<()> {
        if !self.replaced(FnOp::DeleteUser) {
            return self
                .original
                .delete_user(user_id, remove_all_linked_accounts, ctx)
                .await;
        }
        let args = DeleteUserArgs {
            user_id: owned(user_id),
            remove_all_linked_accounts,
        };
        self.js_unit(FnOp::DeleteUser, &args, ctx).await
    }

    async fn get_user(&self, user_id: &str, ctx: &UserContext) -> Result<Option<User>> {
        if !self.replaced(FnOp::GetUser) {
            return self.original.get_user(user_id, ctx).await;
        }
        self.js(
            FnOp::GetUser,
            &UserIdArgs {
                user_id: owned(user_id),
            },
            ctx,
        )
        .await
    }

    async fn list_users_by_account_info(
        &self,
        tenant_id: &str,
        account_info: &AccountInfo,
        do_union_of_account_info: bool,
        ctx: &UserContext,
    ) -> Result<Vec<User>> {
        if !self.replaced(FnOp::ListUsersByAccountInfo) {
            return self
                .original
                .list_users_by_account_info(tenant_id, account_info, do_union_of_account_info, ctx)
                .await;
        }
        let args = ListUsersByAccountInfoArgs {
            tenant_id: owned(tenant_id),
            account_info: account_info.clone(),
            do_union_of_account_info,
        };
        self.js(FnOp::ListUsersByAccountInfo, &args, ctx).await
    }

    async fn get_users(&self, input: &GetUsersInput, ctx: &UserContext) -> Result<GetUsersResult> {
        if !self.replaced(FnOp::GetUsers) {
            return self.original.get_users(input, ctx).await;
        }
        self.js(FnOp::GetUsers, input, ctx).await
    }

    async fn is_email_verified(
        &self,
        recipe_user_id: &str,
        email: Option<&str>,
        ctx: &UserContext,
    ) -> Result<bool> {
        if !self.replaced(FnOp::IsEmailVerified) {
            return self
                .original
                .is_email_verified(recipe_user_id, email, ctx)
                .await;
        }
        let args = EmailArgs {
            recipe_user_id: owned(recipe_user_id),
            email: email.map(owned),
        };
        self.js(FnOp::IsEmailVerified, &args, ctx).await
    }

    async fn verify_email(
        &self,
        input: &VerifyEmailInput,
        ctx: &UserContext,
    ) -> Result<VerifyEmailResult> {
        if !self.replaced(FnOp::VerifyEmail) {
            return self.original.verify_email(input, ctx).await;
        }
        self.js(FnOp::VerifyEmail, input, ctx).await
    }

    async fn unverify_email(
        &self,
        recipe_user_id: &str,
        email: Option<&str>,
        ctx: &UserContext,
    ) -> Result<()> {
        if !self.replaced(FnOp::UnverifyEmail) {
            return self
                .original
                .unverify_email(recipe_user_id, email, ctx)
                .await;
        }
        let args = EmailArgs {
            recipe_user_id: owned(recipe_user_id),
            email: email.map(owned),
        };
        self.js_unit(FnOp::UnverifyEmail, &args, ctx).await
    }

    async fn create_or_update_tenant(
        &self,
        tenant_id: &str,
        config: &TenantConfigInput,
        ctx: &UserContext,
    ) -> Result<CreateOrUpdateTenantResult> {
        if !self.replaced(FnOp::CreateOrUpdateTenant) {
            return self
                .original
                .create_or_update_tenant(tenant_id, config, ctx)
                .await;
        }
        let args = CreateOrUpdateTenantArgs {
            tenant_id: owned(tenant_id),
            config: config.clone(),
        };
        self.js(FnOp::CreateOrUpdateTenant, &args, ctx).await
    }

    async fn delete_tenant(
        &self,
        tenant_id: &str,
        ctx: &UserContext,
    ) -> Result<DeleteTenantResult> {
        if !self.replaced(FnOp::DeleteTenant) {
            return self.original.delete_tenant(tenant_id, ctx).await;
        }
        self.js(
            FnOp::DeleteTenant,
            &TenantIdArgs {
                tenant_id: owned(tenant_id),
            },
            ctx,
        )
        .await
    }

    async fn get_tenant(&self, tenant_id: &str, ctx: &UserContext) -> Result<Option<Tenant>> {
        if !self.replaced(FnOp::GetTenant) {
            return self.original.get_tenant(tenant_id, ctx).await;
        }
        self.js(
            FnOp::GetTenant,
            &TenantIdArgs {
                tenant_id: owned(tenant_id),
            },
            ctx,
        )
        .await
    }

    async fn list_all_tenants(&self, ctx: &UserContext) -> Result<Vec<Tenant>> {
        if !self.replaced(FnOp::ListAllTenants) {
            return self.original.list_all_tenants(ctx).await;
        }
        self.js(FnOp::ListAllTenants, &NoArgs {}, ctx).await
    }

    async fn associate_user_to_tenant(
        &self,
        tenant_id: &str,
        recipe_user_id: &str,
        ctx: &UserContext,
    ) -> Result<AssociateUserToTenantResult> {
        if !self.replaced(FnOp::AssociateUserToTenant) {
            return self
                .original
                .associate_user_to_tenant(tenant_id, recipe_user_id, ctx)
                .await;
        }
        let args = TenantUserArgs {
            tenant_id: owned(tenant_id),
            recipe_user_id: owned(recipe_user_id),
        };
        self.js(FnOp::AssociateUserToTenant, &args, ctx).await
    }

    async fn disassociate_user_from_tenant(
        &self,
        tenant_id: &str,
        recipe_user_id: &str,
        ctx: &UserContext,
    ) -> Result<DisassociateUserFromTenantResult> {
        if !self.replaced(FnOp::DisassociateUserFromTenant) {
            return self
                .original
                .disassociate_user_from_tenant(tenant_id, recipe_user_id, ctx)
                .await;
        }
        let args = TenantUserArgs {
            tenant_id: owned(tenant_id),
            recipe_user_id: owned(recipe_user_id),
        };
        self.js(FnOp::DisassociateUserFromTenant, &args, ctx).await
    }

    async fn create_new_session(
        &self,
        tenant_id: &str,
        recipe_user_id: &str,
        access_token_payload: &Value,
        ctx: &UserContext,
    ) -> Result<CreateNewSessionResult> {
        if !self.replaced(FnOp::CreateNewSession) {
            return self
                .original
                .create_new_session(tenant_id, recipe_user_id, access_token_payload, ctx)
                .await;
        }
        let args = CreateNewSessionArgs {
            tenant_id: owned(tenant_id),
            recipe_user_id: owned(recipe_user_id),
            access_token_payload: access_token_payload.clone(),
        };
        self.js(FnOp::CreateNewSession, &args, ctx).await
    }

    async fn get_session(
        &self,
        input: &GetSessionInput,
        ctx: &UserContext,
    ) -> Result<GetSessionResult> {
        if !self.replaced(FnOp::GetSession) {
            return self.original.get_session(input, ctx).await;
        }
        self.js(FnOp::GetSession, input, ctx).await
    }

    async fn revoke_session(&self, session_handle: &str, ctx: &UserContext) -> Result<bool> {
        if !self.replaced(FnOp::RevokeSession) {
            return self.original.revoke_session(session_handle, ctx).await;
        }
        self.js(
            FnOp::RevokeSession,
            &SessionHandleArgs {
                session_handle: owned(session_handle),
            },
            ctx,
        )
        .await
    }

    async fn revoke_all_sessions_for_user(
        &self,
        user_id: &str,
        revoke_sessions_for_linked_accounts: bool,
        ctx: &UserContext,
    ) -> Result<Vec<String>> {
        if !self.replaced(FnOp::RevokeAllSessionsForUser) {
            return self
                .original
                .revoke_all_sessions_for_user(user_id, revoke_sessions_for_linked_accounts, ctx)
                .await;
        }
        let args = RevokeAllSessionsArgs {
            user_id: owned(user_id),
            revoke_sessions_for_linked_accounts,
        };
        self.js(FnOp::RevokeAllSessionsForUser, &args, ctx).await
    }

    async fn get_all_session_handles_for_user(
        &self,
        user_id: &str,
        fetch_sessions_for_all_linked_accounts: bool,
        ctx: &UserContext,
    ) -> Result<Vec<String>> {
        if !self.replaced(FnOp::GetAllSessionHandlesForUser) {
            return self
                .original
                .get_all_session_handles_for_user(
                    user_id,
                    fetch_sessions_for_all_linked_accounts,
                    ctx,
                )
                .await;
        }
        let args = SessionHandlesArgs {
            user_id: owned(user_id),
            fetch_sessions_for_all_linked_accounts,
        };
        self.js(FnOp::GetAllSessionHandlesForUser, &args, ctx).await
    }
}

/// One `override.apis` layer.
pub struct JsApis {
    pub original: Arc<dyn ApiFunctions>,
    pub layer: u32,
    pub ops: HashSet<ApiOp>,
    pub host: Arc<HostBridge>,
}

impl JsApis {
    async fn js<A: Serialize + Sync, R: DeserializeOwned>(
        &self,
        op: ApiOp,
        args: &A,
        ctx: &UserContext,
    ) -> Result<R> {
        let value = self
            .host
            .call("apis", self.layer, op.name(), to_json(args)?, ctx)
            .await?;
        result_of(op.name(), value.as_deref())
    }
}

#[async_trait]
impl ApiFunctions for JsApis {
    fn original(&self) -> &dyn ApiFunctions {
        &*self.original
    }

    async fn sign_in_up_post(
        &self,
        input: &SignInUpPostInput,
        ctx: &UserContext,
    ) -> Result<SignInUpPostResult> {
        if !self.ops.contains(&ApiOp::SignInUpPost) {
            return self.original.sign_in_up_post(input, ctx).await;
        }
        self.js(ApiOp::SignInUpPost, input, ctx).await
    }

    async fn get_redirection_url(
        &self,
        context: &RedirectContext,
        ctx: &UserContext,
    ) -> Result<Option<String>> {
        if !self.ops.contains(&ApiOp::GetRedirectionUrl) {
            return self.original.get_redirection_url(context, ctx).await;
        }
        self.js(ApiOp::GetRedirectionUrl, context, ctx).await
    }
}
