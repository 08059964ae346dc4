//! The outermost layer over the functions: every call from outside (or from inside) runs in the request's
//! flow, and when the outermost call returns, the flow's committed events are delivered. Putting this above
//! all overrides means host overrides need to do nothing for events to be delivered after their work.

use std::sync::{Arc, Weak};

use async_trait::async_trait;
use serde_json::Value;

use crate::api::{ApiFunctions, SignInUpPostInput, SignInUpPostResult};
use crate::engine::Inner;
use crate::error::{AuthError, Result};
use crate::functions::*;
use crate::model::{AccountInfo, LoginMethod, SignInUpInput, User};
use crate::policy::{NewAccountInfo, ShouldAutomaticallyLink};
use crate::recipes::linking::{CreatePrimaryUserResult, LinkAccountsResult, UnlinkAccountResult};
use crate::recipes::sessions::{
    CreateNewSessionResult, GetSessionInput, GetSessionResult, Session,
};
use crate::recipes::tenants::{
    AssociateUserToTenantResult, CreateOrUpdateTenantResult, DeleteTenantResult,
    DisassociateUserFromTenantResult, Tenant, TenantConfigInput,
};
use crate::recipes::thirdparty::SignInUpResult;

pub(crate) struct FlowFunctions {
    pub next: Arc<dyn RecipeFunctions>,
    pub inner: Weak<Inner>,
}

impl FlowFunctions {
    async fn scoped<T>(
        &self,
        ctx: &UserContext,
        op: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        let inner = self
            .inner
            .upgrade()
            .ok_or_else(|| AuthError::internal("the engine was dropped"))?;
        inner.scoped(ctx, op).await
    }
}

#[async_trait]
impl RecipeFunctions for FlowFunctions {
    fn original(&self) -> &dyn RecipeFunctions {
        &*self.next
    }

    async fn sign_in_up(&self, input: &SignInUpInput, ctx: &UserContext) -> Result<SignInUpResult> {
        self.scoped(ctx, self.next.sign_in_up(input, ctx)).await
    }

    async fn manually_create_or_update_user(
        &self,
        input: &ManuallyCreateOrUpdateUserInput,
        ctx: &UserContext,
    ) -> Result<ManuallyCreateOrUpdateUserResult> {
        self.scoped(ctx, self.next.manually_create_or_update_user(input, ctx))
            .await
    }

    async fn should_do_automatic_account_linking(
        &self,
        new_account_info: &NewAccountInfo,
        user: Option<&User>,
        session: Option<&Session>,
        tenant_id: &str,
        ctx: &UserContext,
    ) -> Result<ShouldAutomaticallyLink> {
        self.scoped(
            ctx,
            self.next.should_do_automatic_account_linking(
                new_account_info,
                user,
                session,
                tenant_id,
                ctx,
            ),
        )
        .await
    }

    async fn on_account_linked(
        &self,
        user: &User,
        new_account: &LoginMethod,
        ctx: &UserContext,
    ) -> Result<()> {
        self.scoped(ctx, self.next.on_account_linked(user, new_account, ctx))
            .await
    }

    async fn create_primary_user(
        &self,
        recipe_user_id: &str,
        ctx: &UserContext,
    ) -> Result<CreatePrimaryUserResult> {
        self.scoped(ctx, self.next.create_primary_user(recipe_user_id, ctx))
            .await
    }

    async fn can_create_primary_user(
        &self,
        recipe_user_id: &str,
        ctx: &UserContext,
    ) -> Result<CreatePrimaryUserResult> {
        self.scoped(ctx, self.next.can_create_primary_user(recipe_user_id, ctx))
            .await
    }

    async fn link_accounts(
        &self,
        recipe_user_id: &str,
        primary_user_id: &str,
        ctx: &UserContext,
    ) -> Result<LinkAccountsResult> {
        self.scoped(
            ctx,
            self.next
                .link_accounts(recipe_user_id, primary_user_id, ctx),
        )
        .await
    }

    async fn can_link_accounts(
        &self,
        recipe_user_id: &str,
        primary_user_id: &str,
        ctx: &UserContext,
    ) -> Result<LinkAccountsResult> {
        self.scoped(
            ctx,
            self.next
                .can_link_accounts(recipe_user_id, primary_user_id, ctx),
        )
        .await
    }

    async fn unlink_account(
        &self,
        recipe_user_id: &str,
        ctx: &UserContext,
    ) -> Result<UnlinkAccountResult> {
        self.scoped(ctx, self.next.unlink_account(recipe_user_id, ctx))
            .await
    }

    async fn delete_user(
        &self,
        user_id: &str,
        remove_all_linked_accounts: bool,
        ctx: &UserContext,
    ) -> Result<()> {
        self.scoped(
            ctx,
            self.next
                .delete_user(user_id, remove_all_linked_accounts, ctx),
        )
        .await
    }

    async fn get_user(&self, user_id: &str, ctx: &UserContext) -> Result<Option<User>> {
        self.scoped(ctx, self.next.get_user(user_id, ctx)).await
    }

    async fn list_users_by_account_info(
        &self,
        tenant_id: &str,
        account_info: &AccountInfo,
        do_union_of_account_info: bool,
        ctx: &UserContext,
    ) -> Result<Vec<User>> {
        self.scoped(
            ctx,
            self.next.list_users_by_account_info(
                tenant_id,
                account_info,
                do_union_of_account_info,
                ctx,
            ),
        )
        .await
    }

    async fn get_users(&self, input: &GetUsersInput, ctx: &UserContext) -> Result<GetUsersResult> {
        self.scoped(ctx, self.next.get_users(input, ctx)).await
    }

    async fn is_email_verified(
        &self,
        recipe_user_id: &str,
        email: Option<&str>,
        ctx: &UserContext,
    ) -> Result<bool> {
        self.scoped(ctx, self.next.is_email_verified(recipe_user_id, email, ctx))
            .await
    }

    async fn verify_email(
        &self,
        input: &VerifyEmailInput,
        ctx: &UserContext,
    ) -> Result<VerifyEmailResult> {
        self.scoped(ctx, self.next.verify_email(input, ctx)).await
    }

    async fn unverify_email(
        &self,
        recipe_user_id: &str,
        email: Option<&str>,
        ctx: &UserContext,
    ) -> Result<()> {
        self.scoped(ctx, self.next.unverify_email(recipe_user_id, email, ctx))
            .await
    }

    async fn create_or_update_tenant(
        &self,
        tenant_id: &str,
        config: &TenantConfigInput,
        ctx: &UserContext,
    ) -> Result<CreateOrUpdateTenantResult> {
        self.scoped(
            ctx,
            self.next.create_or_update_tenant(tenant_id, config, ctx),
        )
        .await
    }

    async fn delete_tenant(
        &self,
        tenant_id: &str,
        ctx: &UserContext,
    ) -> Result<DeleteTenantResult> {
        self.scoped(ctx, self.next.delete_tenant(tenant_id, ctx))
            .await
    }

    async fn get_tenant(&self, tenant_id: &str, ctx: &UserContext) -> Result<Option<Tenant>> {
        self.scoped(ctx, self.next.get_tenant(tenant_id, ctx)).await
    }

    async fn list_all_tenants(&self, ctx: &UserContext) -> Result<Vec<Tenant>> {
        self.scoped(ctx, self.next.list_all_tenants(ctx)).await
    }

    async fn associate_user_to_tenant(
        &self,
        tenant_id: &str,
        recipe_user_id: &str,
        ctx: &UserContext,
    ) -> Result<AssociateUserToTenantResult> {
        self.scoped(
            ctx,
            self.next
                .associate_user_to_tenant(tenant_id, recipe_user_id, ctx),
        )
        .await
    }

    async fn disassociate_user_from_tenant(
        &self,
        tenant_id: &str,
        recipe_user_id: &str,
        ctx: &UserContext,
    ) -> Result<DisassociateUserFromTenantResult> {
        self.scoped(
            ctx,
            self.next
                .disassociate_user_from_tenant(tenant_id, recipe_user_id, ctx),
        )
        .await
    }

    async fn create_new_session(
        &self,
        tenant_id: &str,
        recipe_user_id: &str,
        access_token_payload: &Value,
        ctx: &UserContext,
    ) -> Result<CreateNewSessionResult> {
        self.scoped(
            ctx,
            self.next
                .create_new_session(tenant_id, recipe_user_id, access_token_payload, ctx),
        )
        .await
    }

    async fn get_session(
        &self,
        input: &GetSessionInput,
        ctx: &UserContext,
    ) -> Result<GetSessionResult> {
        self.scoped(ctx, self.next.get_session(input, ctx)).await
    }

    async fn revoke_session(&self, session_handle: &str, ctx: &UserContext) -> Result<bool> {
        self.scoped(ctx, self.next.revoke_session(session_handle, ctx))
            .await
    }

    async fn revoke_all_sessions_for_user(
        &self,
        user_id: &str,
        revoke_sessions_for_linked_accounts: bool,
        ctx: &UserContext,
    ) -> Result<Vec<String>> {
        self.scoped(
            ctx,
            self.next.revoke_all_sessions_for_user(
                user_id,
                revoke_sessions_for_linked_accounts,
                ctx,
            ),
        )
        .await
    }

    async fn get_all_session_handles_for_user(
        &self,
        user_id: &str,
        fetch_sessions_for_all_linked_accounts: bool,
        ctx: &UserContext,
    ) -> Result<Vec<String>> {
        self.scoped(
            ctx,
            self.next.get_all_session_handles_for_user(
                user_id,
                fetch_sessions_for_all_linked_accounts,
                ctx,
            ),
        )
        .await
    }
}

pub(crate) struct FlowApis {
    pub next: Arc<dyn ApiFunctions>,
    pub inner: Weak<Inner>,
}

#[async_trait]
impl ApiFunctions for FlowApis {
    fn original(&self) -> &dyn ApiFunctions {
        &*self.next
    }

    async fn sign_in_up_post(
        &self,
        input: &SignInUpPostInput,
        ctx: &UserContext,
    ) -> Result<SignInUpPostResult> {
        let inner = self
            .inner
            .upgrade()
            .ok_or_else(|| AuthError::internal("the engine was dropped"))?;
        inner
            .scoped(ctx, self.next.sign_in_up_post(input, ctx))
            .await
    }
}
