//! The operation table, one place for both directions: a Python call (client, `original`) becomes a [`Call`]
//! that [`Call::run`] sends to a core layer, and a core call into a Python override becomes a [`Call`] whose
//! [`Call::kwargs`] are what the override receives. Conversions only; every rule stays in the core.

use authcore::json::to_value;
use authcore::redirect::RedirectContext;
use authcore::{
    AccountInfo, ApiFunctions, AuthError, GetSessionInput, GetUsersInput, LoginMethod,
    NewAccountInfo, RecipeFunctions, Result, Session, SignInUpInput, SignInUpPostInput,
    TenantConfigInput, TimeJoinedOrder, User, UserContext, VerifyEmailInput,
};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde::Serialize;
use serde_json::Value;

use crate::error::invalid;
use crate::types::{result_to_py, snake_value, value_to_py};

/// Every overridable operation, by its Python name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    SignInUp,
    ManuallyCreateOrUpdateUser,
    ShouldDoAutomaticAccountLinking,
    OnAccountLinked,
    CreatePrimaryUser,
    CanCreatePrimaryUser,
    LinkAccounts,
    CanLinkAccounts,
    UnlinkAccount,
    DeleteUser,
    GetUser,
    ListUsersByAccountInfo,
    GetUsers,
    IsEmailVerified,
    VerifyEmail,
    UnverifyEmail,
    CreateOrUpdateTenant,
    DeleteTenant,
    GetTenant,
    ListAllTenants,
    AssociateUserToTenant,
    DisassociateUserFromTenant,
    CreateNewSession,
    GetSession,
    RevokeSession,
    RevokeAllSessionsForUser,
    GetAllSessionHandlesForUser,
    SignInUpPost,
    GetRedirectionUrl,
}

impl Op {
    /// The recipe functions (`override.functions`).
    pub const FUNCTIONS: [Op; 27] = [
        Op::SignInUp,
        Op::ManuallyCreateOrUpdateUser,
        Op::ShouldDoAutomaticAccountLinking,
        Op::OnAccountLinked,
        Op::CreatePrimaryUser,
        Op::CanCreatePrimaryUser,
        Op::LinkAccounts,
        Op::CanLinkAccounts,
        Op::UnlinkAccount,
        Op::DeleteUser,
        Op::GetUser,
        Op::ListUsersByAccountInfo,
        Op::GetUsers,
        Op::IsEmailVerified,
        Op::VerifyEmail,
        Op::UnverifyEmail,
        Op::CreateOrUpdateTenant,
        Op::DeleteTenant,
        Op::GetTenant,
        Op::ListAllTenants,
        Op::AssociateUserToTenant,
        Op::DisassociateUserFromTenant,
        Op::CreateNewSession,
        Op::GetSession,
        Op::RevokeSession,
        Op::RevokeAllSessionsForUser,
        Op::GetAllSessionHandlesForUser,
    ];
    /// The API functions (`override.apis`).
    pub const APIS: [Op; 2] = [Op::SignInUpPost, Op::GetRedirectionUrl];

    pub fn name(self) -> &'static str {
        match self {
            Op::SignInUp => "sign_in_up",
            Op::ManuallyCreateOrUpdateUser => "manually_create_or_update_user",
            Op::ShouldDoAutomaticAccountLinking => "should_do_automatic_account_linking",
            Op::OnAccountLinked => "on_account_linked",
            Op::CreatePrimaryUser => "create_primary_user",
            Op::CanCreatePrimaryUser => "can_create_primary_user",
            Op::LinkAccounts => "link_accounts",
            Op::CanLinkAccounts => "can_link_accounts",
            Op::UnlinkAccount => "unlink_account",
            Op::DeleteUser => "delete_user",
            Op::GetUser => "get_user",
            Op::ListUsersByAccountInfo => "list_users_by_account_info",
            Op::GetUsers => "get_users",
            Op::IsEmailVerified => "is_email_verified",
            Op::VerifyEmail => "verify_email",
            Op::UnverifyEmail => "unverify_email",
            Op::CreateOrUpdateTenant => "create_or_update_tenant",
            Op::DeleteTenant => "delete_tenant",
            Op::GetTenant => "get_tenant",
            Op::ListAllTenants => "list_all_tenants",
            Op::AssociateUserToTenant => "associate_user_to_tenant",
            Op::DisassociateUserFromTenant => "disassociate_user_from_tenant",
            Op::CreateNewSession => "create_new_session",
            Op::GetSession => "get_session",
            Op::RevokeSession => "revoke_session",
            Op::RevokeAllSessionsForUser => "revoke_all_sessions_for_user",
            Op::GetAllSessionHandlesForUser => "get_all_session_handles_for_user",
            Op::SignInUpPost => "sign_in_up_post",
            Op::GetRedirectionUrl => "get_redirection_url",
        }
    }

    pub fn bit(self) -> u64 {
        1u64 << (self as u32)
    }
}

/// One operation with its arguments, owned.
pub enum Call {
    SignInUp(SignInUpInput),
    ManuallyCreateOrUpdateUser(SignInUpInput),
    ShouldDoAutomaticAccountLinking {
        new_account_info: NewAccountInfo,
        user: Option<User>,
        session: Option<Session>,
        tenant_id: String,
    },
    OnAccountLinked {
        user: User,
        new_account: LoginMethod,
    },
    CreatePrimaryUser(String),
    CanCreatePrimaryUser(String),
    LinkAccounts(String, String),
    CanLinkAccounts(String, String),
    UnlinkAccount(String),
    DeleteUser(String, bool),
    GetUser(String),
    ListUsersByAccountInfo {
        tenant_id: String,
        account_info: AccountInfo,
        do_union_of_account_info: bool,
    },
    GetUsers(GetUsersInput),
    IsEmailVerified(String, Option<String>),
    VerifyEmail(VerifyEmailInput),
    UnverifyEmail(String, Option<String>),
    CreateOrUpdateTenant(String, TenantConfigInput),
    DeleteTenant(String),
    GetTenant(String),
    ListAllTenants,
    AssociateUserToTenant(String, String),
    DisassociateUserFromTenant(String, String),
    CreateNewSession {
        tenant_id: String,
        recipe_user_id: String,
        access_token_payload: Value,
    },
    GetSession(GetSessionInput),
    RevokeSession(String),
    RevokeAllSessionsForUser(String, bool),
    GetAllSessionHandlesForUser(String, bool),
    SignInUpPost(SignInUpPostInput),
    GetRedirectionUrl(RedirectContext),
}

/// Where a call goes: the whole engine (the client), or one layer (an `original`).
#[derive(Clone, Copy)]
pub enum Target<'a> {
    Engine(&'a authcore::AuthCore),
    Functions(&'a dyn RecipeFunctions),
    Apis(&'a dyn ApiFunctions),
}

impl<'a> Target<'a> {
    fn functions(self) -> Result<&'a dyn RecipeFunctions> {
        match self {
            Target::Engine(a) => Ok(a.functions()),
            Target::Functions(f) => Ok(f),
            Target::Apis(_) => Err(AuthError::Internal {
                message: "not a recipe function".into(),
            }),
        }
    }
    fn apis(self) -> Result<&'a dyn ApiFunctions> {
        match self {
            Target::Engine(a) => Ok(a.apis()),
            Target::Apis(f) => Ok(f),
            Target::Functions(_) => Err(AuthError::Internal {
                message: "not an API function".into(),
            }),
        }
    }
}

fn json<T: Serialize>(v: &T) -> Result<Value> {
    to_value(v)
}

impl Call {
    pub fn op(&self) -> Op {
        match self {
            Call::SignInUp(_) => Op::SignInUp,
            Call::ManuallyCreateOrUpdateUser(_) => Op::ManuallyCreateOrUpdateUser,
            Call::ShouldDoAutomaticAccountLinking { .. } => Op::ShouldDoAutomaticAccountLinking,
            Call::OnAccountLinked { .. } => Op::OnAccountLinked,
            Call::CreatePrimaryUser(_) => Op::CreatePrimaryUser,
            Call::CanCreatePrimaryUser(_) => Op::CanCreatePrimaryUser,
            Call::LinkAccounts(..) => Op::LinkAccounts,
            Call::CanLinkAccounts(..) => Op::CanLinkAccounts,
            Call::UnlinkAccount(_) => Op::UnlinkAccount,
            Call::DeleteUser(..) => Op::DeleteUser,
            Call::GetUser(_) => Op::GetUser,
            Call::ListUsersByAccountInfo { .. } => Op::ListUsersByAccountInfo,
            Call::GetUsers(_) => Op::GetUsers,
            Call::IsEmailVerified(..) => Op::IsEmailVerified,
            Call::VerifyEmail(_) => Op::VerifyEmail,
            Call::UnverifyEmail(..) => Op::UnverifyEmail,
            Call::CreateOrUpdateTenant(..) => Op::CreateOrUpdateTenant,
            Call::DeleteTenant(_) => Op::DeleteTenant,
            Call::GetTenant(_) => Op::GetTenant,
            Call::ListAllTenants => Op::ListAllTenants,
            Call::AssociateUserToTenant(..) => Op::AssociateUserToTenant,
            Call::DisassociateUserFromTenant(..) => Op::DisassociateUserFromTenant,
            Call::CreateNewSession { .. } => Op::CreateNewSession,
            Call::GetSession(_) => Op::GetSession,
            Call::RevokeSession(_) => Op::RevokeSession,
            Call::RevokeAllSessionsForUser(..) => Op::RevokeAllSessionsForUser,
            Call::GetAllSessionHandlesForUser(..) => Op::GetAllSessionHandlesForUser,
            Call::SignInUpPost(_) => Op::SignInUpPost,
            Call::GetRedirectionUrl(_) => Op::GetRedirectionUrl,
        }
    }

    /// Runs the call on `target`; the result as the core's JSON (`null` for "nothing").
    pub async fn run(self, target: Target<'_>, ctx: &UserContext) -> Result<Value> {
        match self {
            Call::SignInUp(i) => json(&target.functions()?.sign_in_up(&i, ctx).await?),
            Call::ManuallyCreateOrUpdateUser(i) => json(
                &target
                    .functions()?
                    .manually_create_or_update_user(&i, ctx)
                    .await?,
            ),
            Call::ShouldDoAutomaticAccountLinking {
                new_account_info,
                user,
                session,
                tenant_id,
            } => json(
                &target
                    .functions()?
                    .should_do_automatic_account_linking(
                        &new_account_info,
                        user.as_ref(),
                        session.as_ref(),
                        &tenant_id,
                        ctx,
                    )
                    .await?,
            ),
            Call::OnAccountLinked { user, new_account } => {
                target
                    .functions()?
                    .on_account_linked(&user, &new_account, ctx)
                    .await?;
                Ok(Value::Null)
            }
            Call::CreatePrimaryUser(id) => {
                json(&target.functions()?.create_primary_user(&id, ctx).await?)
            }
            Call::CanCreatePrimaryUser(id) => json(
                &target
                    .functions()?
                    .can_create_primary_user(&id, ctx)
                    .await?,
            ),
            Call::LinkAccounts(r, p) => {
                json(&target.functions()?.link_accounts(&r, &p, ctx).await?)
            }
            Call::CanLinkAccounts(r, p) => {
                json(&target.functions()?.can_link_accounts(&r, &p, ctx).await?)
            }
            Call::UnlinkAccount(id) => json(&target.functions()?.unlink_account(&id, ctx).await?),
            Call::DeleteUser(id, all) => {
                target.functions()?.delete_user(&id, all, ctx).await?;
                Ok(Value::Null)
            }
            Call::GetUser(id) => json(&target.functions()?.get_user(&id, ctx).await?),
            Call::ListUsersByAccountInfo {
                tenant_id,
                account_info,
                do_union_of_account_info,
            } => json(
                &target
                    .functions()?
                    .list_users_by_account_info(
                        &tenant_id,
                        &account_info,
                        do_union_of_account_info,
                        ctx,
                    )
                    .await?,
            ),
            Call::GetUsers(i) => json(&target.functions()?.get_users(&i, ctx).await?),
            Call::IsEmailVerified(id, email) => json(
                &target
                    .functions()?
                    .is_email_verified(&id, email.as_deref(), ctx)
                    .await?,
            ),
            Call::VerifyEmail(i) => json(&target.functions()?.verify_email(&i, ctx).await?),
            Call::UnverifyEmail(id, email) => {
                target
                    .functions()?
                    .unverify_email(&id, email.as_deref(), ctx)
                    .await?;
                Ok(Value::Null)
            }
            Call::CreateOrUpdateTenant(t, c) => json(
                &target
                    .functions()?
                    .create_or_update_tenant(&t, &c, ctx)
                    .await?,
            ),
            Call::DeleteTenant(t) => json(&target.functions()?.delete_tenant(&t, ctx).await?),
            Call::GetTenant(t) => json(&target.functions()?.get_tenant(&t, ctx).await?),
            Call::ListAllTenants => json(&target.functions()?.list_all_tenants(ctx).await?),
            Call::AssociateUserToTenant(t, id) => json(
                &target
                    .functions()?
                    .associate_user_to_tenant(&t, &id, ctx)
                    .await?,
            ),
            Call::DisassociateUserFromTenant(t, id) => json(
                &target
                    .functions()?
                    .disassociate_user_from_tenant(&t, &id, ctx)
                    .await?,
            ),
            Call::CreateNewSession {
                tenant_id,
                recipe_user_id,
                access_token_payload,
            } => json(
                &target
                    .functions()?
                    .create_new_session(&tenant_id, &recipe_user_id, &access_token_payload, ctx)
                    .await?,
            ),
            Call::GetSession(t) => json(&target.functions()?.get_session(&t, ctx).await?),
            Call::RevokeSession(h) => json(&target.functions()?.revoke_session(&h, ctx).await?),
            Call::RevokeAllSessionsForUser(id, linked) => json(
                &target
                    .functions()?
                    .revoke_all_sessions_for_user(&id, linked, ctx)
                    .await?,
            ),
            Call::GetAllSessionHandlesForUser(id, linked) => json(
                &target
                    .functions()?
                    .get_all_session_handles_for_user(&id, linked, ctx)
                    .await?,
            ),
            Call::SignInUpPost(i) => json(&target.apis()?.sign_in_up_post(&i, ctx).await?),
            Call::GetRedirectionUrl(c) => json(&target.apis()?.get_redirection_url(&c, ctx).await?),
        }
    }

    /// The keyword arguments a Python override receives (without `user_context`): plain values, inputs as
    /// snake_case dicts (the shape callers pass), core objects (user, session, ...) as `Record`s.
    pub fn kwargs(&self, py: Python<'_>, d: &Bound<'_, PyDict>) -> PyResult<()> {
        let rec = |v: &dyn erased::Json| -> PyResult<Py<PyAny>> { result_to_py(py, v.value()?) };
        let input = |v: &dyn erased::Json| -> PyResult<Py<PyAny>> {
            value_to_py(py, &snake_value(&v.value()?))
        };
        match self {
            Call::SignInUp(i) | Call::ManuallyCreateOrUpdateUser(i) => {
                d.set_item("tenant_id", &i.tenant_id)?;
                d.set_item("third_party_id", &i.third_party_id)?;
                d.set_item("third_party_user_id", &i.third_party_user_id)?;
                d.set_item("email", input(&i.email)?)?;
            }
            Call::ShouldDoAutomaticAccountLinking {
                new_account_info,
                user,
                session,
                tenant_id,
            } => {
                d.set_item("new_account_info", rec(new_account_info)?)?;
                d.set_item("user", rec(user)?)?;
                d.set_item("session", rec(session)?)?;
                d.set_item("tenant_id", tenant_id)?;
            }
            Call::OnAccountLinked { user, new_account } => {
                d.set_item("user", rec(user)?)?;
                d.set_item("new_account", rec(new_account)?)?;
            }
            Call::CreatePrimaryUser(id)
            | Call::CanCreatePrimaryUser(id)
            | Call::UnlinkAccount(id) => d.set_item("recipe_user_id", id)?,
            Call::LinkAccounts(r, p) | Call::CanLinkAccounts(r, p) => {
                d.set_item("recipe_user_id", r)?;
                d.set_item("primary_user_id", p)?;
            }
            Call::DeleteUser(id, all) => {
                d.set_item("user_id", id)?;
                d.set_item("remove_all_linked_accounts", all)?;
            }
            Call::GetUser(id) => d.set_item("user_id", id)?,
            Call::ListUsersByAccountInfo {
                tenant_id,
                account_info,
                do_union_of_account_info,
            } => {
                d.set_item("tenant_id", tenant_id)?;
                d.set_item("account_info", input(account_info)?)?;
                d.set_item("do_union_of_account_info", do_union_of_account_info)?;
            }
            Call::GetUsers(i) => {
                d.set_item("tenant_id", &i.tenant_id)?;
                d.set_item("limit", i.limit)?;
                d.set_item("pagination_token", &i.pagination_token)?;
                d.set_item(
                    "time_joined_order",
                    match i.time_joined_order {
                        TimeJoinedOrder::Asc => "ASC",
                        TimeJoinedOrder::Desc => "DESC",
                    },
                )?;
            }
            Call::IsEmailVerified(id, email) | Call::UnverifyEmail(id, email) => {
                d.set_item("recipe_user_id", id)?;
                d.set_item("email", email)?;
            }
            Call::VerifyEmail(i) => {
                d.set_item("recipe_user_id", &i.recipe_user_id)?;
                d.set_item("email", &i.email)?;
                d.set_item("attempt_account_linking", i.attempt_account_linking)?;
            }
            Call::CreateOrUpdateTenant(t, c) => {
                d.set_item("tenant_id", t)?;
                d.set_item("config", input(c)?)?;
            }
            Call::DeleteTenant(t) | Call::GetTenant(t) => d.set_item("tenant_id", t)?,
            Call::ListAllTenants => {}
            Call::AssociateUserToTenant(t, id) | Call::DisassociateUserFromTenant(t, id) => {
                d.set_item("tenant_id", t)?;
                d.set_item("recipe_user_id", id)?;
            }
            Call::CreateNewSession {
                tenant_id,
                recipe_user_id,
                access_token_payload,
            } => {
                d.set_item("tenant_id", tenant_id)?;
                d.set_item("recipe_user_id", recipe_user_id)?;
                d.set_item(
                    "access_token_payload",
                    value_to_py(py, access_token_payload)?,
                )?;
            }
            Call::GetSession(i) => {
                d.set_item("access_token", &i.access_token)?;
                d.set_item("tenant_id", &i.tenant_id)?;
                d.set_item("any_tenant", i.any_tenant)?;
            }
            Call::RevokeSession(h) => d.set_item("session_handle", h)?,
            Call::RevokeAllSessionsForUser(id, linked) => {
                d.set_item("user_id", id)?;
                d.set_item("revoke_sessions_for_linked_accounts", linked)?;
            }
            Call::GetAllSessionHandlesForUser(id, linked) => {
                d.set_item("user_id", id)?;
                d.set_item("fetch_sessions_for_all_linked_accounts", linked)?;
            }
            Call::SignInUpPost(i) => {
                d.set_item("tenant_id", &i.tenant_id)?;
                d.set_item("third_party_id", &i.third_party_id)?;
                d.set_item("user_info", input(&i.user_info)?)?;
                d.set_item("require_email", i.require_email)?;
                d.set_item("redirect_to_path", &i.redirect_to_path)?;
                d.set_item("existing_access_token", &i.existing_access_token)?;
                d.set_item(
                    "should_try_linking_with_session_user",
                    i.should_try_linking_with_session_user,
                )?;
            }
            Call::GetRedirectionUrl(c) => d.set_item("context", rec(c)?)?,
        }
        Ok(())
    }
}

/// Serialisation behind a `dyn`, for the two closures above.
mod erased {
    use serde::Serialize;
    use serde_json::Value;

    pub trait Json {
        fn value(&self) -> pyo3::PyResult<Value>;
    }
    impl<T: Serialize> Json for T {
        fn value(&self) -> pyo3::PyResult<Value> {
            serde_json::to_value(self)
                .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))
        }
    }
}

/// `get_users(time_joined_order=...)`: "ASC" (default) or "DESC".
pub fn time_joined_order(s: Option<&str>) -> Result<TimeJoinedOrder> {
    match s {
        None | Some("ASC") => Ok(TimeJoinedOrder::Asc),
        Some("DESC") => Ok(TimeJoinedOrder::Desc),
        Some(other) => Err(invalid(
            "timeJoinedOrder",
            format!("expected \"ASC\" or \"DESC\", got {other:?}"),
        )),
    }
}

/// Builds a call from its arguments; a malformed argument is the core's error.
pub fn build(f: impl FnOnce() -> Result<Call>) -> Result<Call> {
    f()
}

/// A call's `tenant_id`: `None` is the public tenant.
pub fn tenant_or_public(t: Option<String>) -> String {
    t.unwrap_or_else(|| "public".to_string())
}
