//! Host overrides in, `original` out (supertokens-python's shape: `functions=lambda original: Mine(original)`).
//!
//! [`PyFunctions`] / [`PyApis`] are one override layer each: the Rust layer below (`original`) and the Python
//! object the factory returned. For each method the Python object defines (`def` or `async def`), the layer calls
//! it with keyword arguments and `user_context`; every other method goes straight to `original` without touching
//! Python. The `original` handed to the factory ([`PyRecipeFunctions`] / [`PyApiFunctions`]) calls that Rust
//! layer below, never the final object.

use std::sync::Arc;

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
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::context;
use crate::error::{host_error, to_pyerr};
use crate::ops::{tenant_or_public, Call, Op, Target};
use crate::runtime;
use crate::types::{parse_arg, parse_opt, py_to_value, result_to_py, Keys};

/// Calls the Python override for `call` and reads its answer back into the core type.
async fn call_host<T: DeserializeOwned>(
    host: &Py<PyAny>,
    call: Call,
    ctx: &UserContext,
    timeout_ms: u64,
) -> Result<T> {
    let op = call.op();
    let returned = Python::attach(|py| -> PyResult<Py<PyAny>> {
        let kwargs = PyDict::new(py);
        call.kwargs(py, &kwargs)?;
        kwargs.set_item("user_context", context::py_context(py, ctx)?)?;
        Ok(host
            .bind(py)
            .call_method(op.name(), (), Some(&kwargs))?
            .unbind())
    })
    .map_err(host_error)?;
    // `hostTimeoutMs` bounds awaiting a coroutine; a synchronous Python function that blocks cannot be cut short.
    let value = authcore::host::guard(timeout_ms, async {
        runtime::resolve(returned).await.map_err(host_error)
    })
    .await?;
    let json = Python::attach(move |py| py_to_value(&value.into_bound(py), Keys::Camel))
        .map_err(host_error)?;
    authcore::json::parse(op.name(), json)
}

/// Which of `ops` the Python object defines.
fn defined(host: &Bound<'_, PyAny>, ops: &[Op]) -> PyResult<u64> {
    let mut mask = 0;
    for op in ops {
        if host.hasattr(op.name())? {
            mask |= op.bit();
        }
    }
    Ok(mask)
}

/// One `override.functions` layer.
pub struct PyFunctions {
    original: Arc<dyn RecipeFunctions>,
    host: Py<PyAny>,
    defined: u64,
    /// `hostTimeoutMs` of the engine.
    timeout_ms: u64,
}

/// Applies a `functions` factory to the layer below; the factory's own exception is returned as is.
pub fn functions_layer(
    factory: &Py<PyAny>,
    original: &Arc<dyn RecipeFunctions>,
    timeout_ms: u64,
) -> PyResult<Arc<dyn RecipeFunctions>> {
    Python::attach(|py| {
        let handle = Py::new(
            py,
            PyRecipeFunctions {
                layer: original.clone(),
            },
        )?;
        let host = factory.bind(py).call1((handle.clone_ref(py),))?;
        if host.is(handle.bind(py)) {
            return Ok(original.clone());
        }
        if host.is_none() {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "override functions factory returned None (return an object wrapping `original`)",
            ));
        }
        let defined = defined(&host, &Op::FUNCTIONS)?;
        Ok(Arc::new(PyFunctions {
            original: original.clone(),
            host: host.unbind(),
            defined,
            timeout_ms,
        }) as Arc<dyn RecipeFunctions>)
    })
}

/// Applies an `apis` factory to the layer below.
pub fn apis_layer(
    factory: &Py<PyAny>,
    original: &Arc<dyn ApiFunctions>,
    timeout_ms: u64,
) -> PyResult<Arc<dyn ApiFunctions>> {
    Python::attach(|py| {
        let handle = Py::new(
            py,
            PyApiFunctions {
                layer: original.clone(),
            },
        )?;
        let host = factory.bind(py).call1((handle.clone_ref(py),))?;
        if host.is(handle.bind(py)) {
            return Ok(original.clone());
        }
        if host.is_none() {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "override apis factory returned None (return an object wrapping `original`)",
            ));
        }
        let defined = defined(&host, &Op::APIS)?;
        Ok(Arc::new(PyApis {
            original: original.clone(),
            host: host.unbind(),
            defined,
            timeout_ms,
        }) as Arc<dyn ApiFunctions>)
    })
}

/// The method goes to Python if the override object defines it, else straight to `original`.
macro_rules! route {
    ($self:ident, $op:ident, $call:expr, $ctx:ident, $original:expr) => {
        if $self.defined & Op::$op.bit() == 0 {
            $original.await
        } else {
            call_host(&$self.host, $call, $ctx, $self.timeout_ms).await
        }
    };
}

#[async_trait]
impl RecipeFunctions for PyFunctions {
    fn original(&self) -> &dyn RecipeFunctions {
        &*self.original
    }

    async fn sign_in_up(&self, input: &SignInUpInput, ctx: &UserContext) -> Result<SignInUpResult> {
        route!(
            self,
            SignInUp,
            Call::SignInUp(input.clone()),
            ctx,
            self.original.sign_in_up(input, ctx)
        )
    }

    async fn manually_create_or_update_user(
        &self,
        input: &ManuallyCreateOrUpdateUserInput,
        ctx: &UserContext,
    ) -> Result<ManuallyCreateOrUpdateUserResult> {
        route!(
            self,
            ManuallyCreateOrUpdateUser,
            Call::ManuallyCreateOrUpdateUser(input.clone()),
            ctx,
            self.original.manually_create_or_update_user(input, ctx)
        )
    }

    async fn should_do_automatic_account_linking(
        &self,
        new_account_info: &NewAccountInfo,
        user: Option<&User>,
        session: Option<&Session>,
        tenant_id: &str,
        ctx: &UserContext,
    ) -> Result<ShouldAutomaticallyLink> {
        route!(
            self,
            ShouldDoAutomaticAccountLinking,
            Call::ShouldDoAutomaticAccountLinking {
                new_account_info: new_account_info.clone(),
                user: user.cloned(),
                session: session.cloned(),
                tenant_id: tenant_id.to_string(),
            },
            ctx,
            self.original.should_do_automatic_account_linking(
                new_account_info,
                user,
                session,
                tenant_id,
                ctx
            )
        )
    }

    async fn on_account_linked(
        &self,
        user: &User,
        new_account: &LoginMethod,
        ctx: &UserContext,
    ) -> Result<()> {
        route!(
            self,
            OnAccountLinked,
            Call::OnAccountLinked {
                user: user.clone(),
                new_account: new_account.clone(),
            },
            ctx,
            self.original.on_account_linked(user, new_account, ctx)
        )
    }

    async fn create_primary_user(
        &self,
        recipe_user_id: &str,
        ctx: &UserContext,
    ) -> Result<CreatePrimaryUserResult> {
        route!(
            self,
            CreatePrimaryUser,
            Call::CreatePrimaryUser(recipe_user_id.to_string()),
            ctx,
            self.original.create_primary_user(recipe_user_id, ctx)
        )
    }

    async fn can_create_primary_user(
        &self,
        recipe_user_id: &str,
        ctx: &UserContext,
    ) -> Result<CreatePrimaryUserResult> {
        route!(
            self,
            CanCreatePrimaryUser,
            Call::CanCreatePrimaryUser(recipe_user_id.to_string()),
            ctx,
            self.original.can_create_primary_user(recipe_user_id, ctx)
        )
    }

    async fn link_accounts(
        &self,
        recipe_user_id: &str,
        primary_user_id: &str,
        ctx: &UserContext,
    ) -> Result<LinkAccountsResult> {
        route!(
            self,
            LinkAccounts,
            Call::LinkAccounts(recipe_user_id.to_string(), primary_user_id.to_string()),
            ctx,
            self.original
                .link_accounts(recipe_user_id, primary_user_id, ctx)
        )
    }

    async fn can_link_accounts(
        &self,
        recipe_user_id: &str,
        primary_user_id: &str,
        ctx: &UserContext,
    ) -> Result<LinkAccountsResult> {
        route!(
            self,
            CanLinkAccounts,
            Call::CanLinkAccounts(recipe_user_id.to_string(), primary_user_id.to_string()),
            ctx,
            self.original
                .can_link_accounts(recipe_user_id, primary_user_id, ctx)
        )
    }

    async fn unlink_account(
        &self,
        recipe_user_id: &str,
        ctx: &UserContext,
    ) -> Result<UnlinkAccountResult> {
        route!(
            self,
            UnlinkAccount,
            Call::UnlinkAccount(recipe_user_id.to_string()),
            ctx,
            self.original.unlink_account(recipe_user_id, ctx)
        )
    }

    async fn delete_user(
        &self,
        user_id: &str,
        remove_all_linked_accounts: bool,
        ctx: &UserContext,
    ) -> Result<()> {
        route!(
            self,
            DeleteUser,
            Call::DeleteUser(user_id.to_string(), remove_all_linked_accounts),
            ctx,
            self.original
                .delete_user(user_id, remove_all_linked_accounts, ctx)
        )
    }

    async fn get_user(&self, user_id: &str, ctx: &UserContext) -> Result<Option<User>> {
        route!(
            self,
            GetUser,
            Call::GetUser(user_id.to_string()),
            ctx,
            self.original.get_user(user_id, ctx)
        )
    }

    async fn list_users_by_account_info(
        &self,
        tenant_id: &str,
        account_info: &AccountInfo,
        do_union_of_account_info: bool,
        ctx: &UserContext,
    ) -> Result<Vec<User>> {
        route!(
            self,
            ListUsersByAccountInfo,
            Call::ListUsersByAccountInfo {
                tenant_id: tenant_id.to_string(),
                account_info: account_info.clone(),
                do_union_of_account_info,
            },
            ctx,
            self.original.list_users_by_account_info(
                tenant_id,
                account_info,
                do_union_of_account_info,
                ctx
            )
        )
    }

    async fn get_users(&self, input: &GetUsersInput, ctx: &UserContext) -> Result<GetUsersResult> {
        route!(
            self,
            GetUsers,
            Call::GetUsers(input.clone()),
            ctx,
            self.original.get_users(input, ctx)
        )
    }

    async fn is_email_verified(
        &self,
        recipe_user_id: &str,
        email: Option<&str>,
        ctx: &UserContext,
    ) -> Result<bool> {
        route!(
            self,
            IsEmailVerified,
            Call::IsEmailVerified(recipe_user_id.to_string(), email.map(str::to_string)),
            ctx,
            self.original.is_email_verified(recipe_user_id, email, ctx)
        )
    }

    async fn verify_email(
        &self,
        input: &VerifyEmailInput,
        ctx: &UserContext,
    ) -> Result<VerifyEmailResult> {
        route!(
            self,
            VerifyEmail,
            Call::VerifyEmail(input.clone()),
            ctx,
            self.original.verify_email(input, ctx)
        )
    }

    async fn unverify_email(
        &self,
        recipe_user_id: &str,
        email: Option<&str>,
        ctx: &UserContext,
    ) -> Result<()> {
        route!(
            self,
            UnverifyEmail,
            Call::UnverifyEmail(recipe_user_id.to_string(), email.map(str::to_string)),
            ctx,
            self.original.unverify_email(recipe_user_id, email, ctx)
        )
    }

    async fn create_or_update_tenant(
        &self,
        tenant_id: &str,
        config: &TenantConfigInput,
        ctx: &UserContext,
    ) -> Result<CreateOrUpdateTenantResult> {
        route!(
            self,
            CreateOrUpdateTenant,
            Call::CreateOrUpdateTenant(tenant_id.to_string(), config.clone()),
            ctx,
            self.original
                .create_or_update_tenant(tenant_id, config, ctx)
        )
    }

    async fn delete_tenant(
        &self,
        tenant_id: &str,
        ctx: &UserContext,
    ) -> Result<DeleteTenantResult> {
        route!(
            self,
            DeleteTenant,
            Call::DeleteTenant(tenant_id.to_string()),
            ctx,
            self.original.delete_tenant(tenant_id, ctx)
        )
    }

    async fn get_tenant(&self, tenant_id: &str, ctx: &UserContext) -> Result<Option<Tenant>> {
        route!(
            self,
            GetTenant,
            Call::GetTenant(tenant_id.to_string()),
            ctx,
            self.original.get_tenant(tenant_id, ctx)
        )
    }

    async fn list_all_tenants(&self, ctx: &UserContext) -> Result<Vec<Tenant>> {
        route!(
            self,
            ListAllTenants,
            Call::ListAllTenants,
            ctx,
            self.original.list_all_tenants(ctx)
        )
    }

    async fn associate_user_to_tenant(
        &self,
        tenant_id: &str,
        recipe_user_id: &str,
        ctx: &UserContext,
    ) -> Result<AssociateUserToTenantResult> {
        route!(
            self,
            AssociateUserToTenant,
            Call::AssociateUserToTenant(tenant_id.to_string(), recipe_user_id.to_string()),
            ctx,
            self.original
                .associate_user_to_tenant(tenant_id, recipe_user_id, ctx)
        )
    }

    async fn disassociate_user_from_tenant(
        &self,
        tenant_id: &str,
        recipe_user_id: &str,
        ctx: &UserContext,
    ) -> Result<DisassociateUserFromTenantResult> {
        route!(
            self,
            DisassociateUserFromTenant,
            Call::DisassociateUserFromTenant(tenant_id.to_string(), recipe_user_id.to_string()),
            ctx,
            self.original
                .disassociate_user_from_tenant(tenant_id, recipe_user_id, ctx)
        )
    }

    async fn create_new_session(
        &self,
        tenant_id: &str,
        recipe_user_id: &str,
        access_token_payload: &Value,
        ctx: &UserContext,
    ) -> Result<CreateNewSessionResult> {
        route!(
            self,
            CreateNewSession,
            Call::CreateNewSession {
                tenant_id: tenant_id.to_string(),
                recipe_user_id: recipe_user_id.to_string(),
                access_token_payload: access_token_payload.clone(),
            },
            ctx,
            self.original
                .create_new_session(tenant_id, recipe_user_id, access_token_payload, ctx)
        )
    }

    async fn get_session(
        &self,
        input: &GetSessionInput,
        ctx: &UserContext,
    ) -> Result<GetSessionResult> {
        route!(
            self,
            GetSession,
            Call::GetSession(input.clone()),
            ctx,
            self.original.get_session(input, ctx)
        )
    }

    async fn revoke_session(&self, session_handle: &str, ctx: &UserContext) -> Result<bool> {
        route!(
            self,
            RevokeSession,
            Call::RevokeSession(session_handle.to_string()),
            ctx,
            self.original.revoke_session(session_handle, ctx)
        )
    }

    async fn revoke_all_sessions_for_user(
        &self,
        user_id: &str,
        revoke_sessions_for_linked_accounts: bool,
        ctx: &UserContext,
    ) -> Result<Vec<String>> {
        route!(
            self,
            RevokeAllSessionsForUser,
            Call::RevokeAllSessionsForUser(
                user_id.to_string(),
                revoke_sessions_for_linked_accounts
            ),
            ctx,
            self.original.revoke_all_sessions_for_user(
                user_id,
                revoke_sessions_for_linked_accounts,
                ctx
            )
        )
    }

    async fn get_all_session_handles_for_user(
        &self,
        user_id: &str,
        fetch_sessions_for_all_linked_accounts: bool,
        ctx: &UserContext,
    ) -> Result<Vec<String>> {
        route!(
            self,
            GetAllSessionHandlesForUser,
            Call::GetAllSessionHandlesForUser(
                user_id.to_string(),
                fetch_sessions_for_all_linked_accounts
            ),
            ctx,
            self.original.get_all_session_handles_for_user(
                user_id,
                fetch_sessions_for_all_linked_accounts,
                ctx
            )
        )
    }
}

/// One `override.apis` layer.
pub struct PyApis {
    original: Arc<dyn ApiFunctions>,
    host: Py<PyAny>,
    defined: u64,
    /// `hostTimeoutMs` of the engine.
    timeout_ms: u64,
}

#[async_trait]
impl ApiFunctions for PyApis {
    fn original(&self) -> &dyn ApiFunctions {
        &*self.original
    }

    async fn sign_in_up_post(
        &self,
        input: &SignInUpPostInput,
        ctx: &UserContext,
    ) -> Result<SignInUpPostResult> {
        route!(
            self,
            SignInUpPost,
            Call::SignInUpPost(input.clone()),
            ctx,
            self.original.sign_in_up_post(input, ctx)
        )
    }

    async fn get_redirection_url(
        &self,
        context: &RedirectContext,
        ctx: &UserContext,
    ) -> Result<Option<String>> {
        route!(
            self,
            GetRedirectionUrl,
            Call::GetRedirectionUrl(context.clone()),
            ctx,
            self.original.get_redirection_url(context, ctx)
        )
    }
}

/// A core result (or error) as Python.
pub fn finish(py: Python<'_>, r: Result<Value>) -> PyResult<Py<PyAny>> {
    match r {
        Ok(v) => result_to_py(py, v),
        Err(e) => Err(to_pyerr(py, e)),
    }
}

/// Calls `call` on one layer for Python code running inside an override: an awaitable when an asyncio loop runs
/// on this thread (`async def` overrides: `await original.x(...)`), else the result (`def` overrides).
fn call_layer(
    py: Python<'_>,
    call: std::result::Result<Call, AuthError>,
    user_context: Option<&Bound<'_, PyAny>>,
    target: LayerRef,
) -> PyResult<Py<PyAny>> {
    let call = call.map_err(|e| to_pyerr(py, e))?;
    let (ctx, lease) = context::enter(py, user_context, true)?;
    if runtime::running_loop(py)? {
        let fut = async move {
            let r = call.run(target.target(), &ctx).await;
            Python::attach(|py| {
                drop(lease);
                finish(py, r)
            })
        };
        return Ok(pyo3_async_runtimes::tokio::future_into_py(py, fut)?.unbind());
    }
    let r = runtime::block(py, call.run(target.target(), &ctx))?;
    drop(lease);
    finish(py, r)
}

/// An owned layer handle.
enum LayerRef {
    Functions(Arc<dyn RecipeFunctions>),
    Apis(Arc<dyn ApiFunctions>),
}

impl LayerRef {
    fn target(&self) -> Target<'_> {
        match self {
            LayerRef::Functions(f) => Target::Functions(&**f),
            LayerRef::Apis(a) => Target::Apis(&**a),
        }
    }
}

/// `original` of an `override.functions` factory: the recipe functions of the layer below. In a `def` override,
/// `original.x(...)` returns the result; in an `async def` override, `await original.x(...)`. Pass the
/// `user_context` you received.
#[pyclass(frozen, module = "authcore", name = "RecipeFunctions")]
pub struct PyRecipeFunctions {
    layer: Arc<dyn RecipeFunctions>,
}

impl PyRecipeFunctions {
    fn dispatch(
        &self,
        py: Python<'_>,
        call: std::result::Result<Call, AuthError>,
        user_context: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        call_layer(
            py,
            call,
            user_context,
            LayerRef::Functions(self.layer.clone()),
        )
    }
}

with_recipe_ops!(op_methods!(PyRecipeFunctions, dispatch, {},));

/// `original` of an `override.apis` factory: the API functions of the layer below.
#[pyclass(frozen, module = "authcore", name = "ApiFunctions")]
pub struct PyApiFunctions {
    layer: Arc<dyn ApiFunctions>,
}

impl PyApiFunctions {
    fn dispatch(
        &self,
        py: Python<'_>,
        call: std::result::Result<Call, AuthError>,
        user_context: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        call_layer(py, call, user_context, LayerRef::Apis(self.layer.clone()))
    }
}

with_api_ops!(op_methods!(PyApiFunctions, dispatch, {},));

/// `access_token_payload`: user data, passed verbatim (`{}` when absent).
pub fn payload(v: Option<&Bound<'_, PyAny>>) -> std::result::Result<Value, AuthError> {
    match v {
        None => Ok(Value::Object(Default::default())),
        Some(o) if o.is_none() => Ok(Value::Object(Default::default())),
        Some(o) => py_to_value(o, Keys::Verbatim)
            .map_err(|e| crate::error::invalid("accessTokenPayload", e.to_string())),
    }
}
