//! Mirrors of the core's call shapes: the operation names, one camelCase argument object per operation, and the
//! JSON conversions in both directions (JS input -> core call -> JSON result; core call -> JS input -> core
//! result for overrides). Results are exactly the core's serde JSON.

use authcore::redirect::RedirectContext;
use authcore::{
    AccountInfo, ApiFunctions, AuthError, GetUsersInput, LoginMethod, NewAccountInfo,
    RecipeFunctions, Result, Session, SignInUpInput, SignInUpPostInput, TenantConfigInput, User,
    UserContext, VerifyEmailInput,
};
use napi_derive::napi;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The recipe functions (`override.functions`), by their JS names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FnOp {
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
}

impl FnOp {
    pub const ALL: [FnOp; 27] = [
        FnOp::SignInUp,
        FnOp::ManuallyCreateOrUpdateUser,
        FnOp::ShouldDoAutomaticAccountLinking,
        FnOp::OnAccountLinked,
        FnOp::CreatePrimaryUser,
        FnOp::CanCreatePrimaryUser,
        FnOp::LinkAccounts,
        FnOp::CanLinkAccounts,
        FnOp::UnlinkAccount,
        FnOp::DeleteUser,
        FnOp::GetUser,
        FnOp::ListUsersByAccountInfo,
        FnOp::GetUsers,
        FnOp::IsEmailVerified,
        FnOp::VerifyEmail,
        FnOp::UnverifyEmail,
        FnOp::CreateOrUpdateTenant,
        FnOp::DeleteTenant,
        FnOp::GetTenant,
        FnOp::ListAllTenants,
        FnOp::AssociateUserToTenant,
        FnOp::DisassociateUserFromTenant,
        FnOp::CreateNewSession,
        FnOp::GetSession,
        FnOp::RevokeSession,
        FnOp::RevokeAllSessionsForUser,
        FnOp::GetAllSessionHandlesForUser,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FnOp::SignInUp => "signInUp",
            FnOp::ManuallyCreateOrUpdateUser => "manuallyCreateOrUpdateUser",
            FnOp::ShouldDoAutomaticAccountLinking => "shouldDoAutomaticAccountLinking",
            FnOp::OnAccountLinked => "onAccountLinked",
            FnOp::CreatePrimaryUser => "createPrimaryUser",
            FnOp::CanCreatePrimaryUser => "canCreatePrimaryUser",
            FnOp::LinkAccounts => "linkAccounts",
            FnOp::CanLinkAccounts => "canLinkAccounts",
            FnOp::UnlinkAccount => "unlinkAccount",
            FnOp::DeleteUser => "deleteUser",
            FnOp::GetUser => "getUser",
            FnOp::ListUsersByAccountInfo => "listUsersByAccountInfo",
            FnOp::GetUsers => "getUsers",
            FnOp::IsEmailVerified => "isEmailVerified",
            FnOp::VerifyEmail => "verifyEmail",
            FnOp::UnverifyEmail => "unverifyEmail",
            FnOp::CreateOrUpdateTenant => "createOrUpdateTenant",
            FnOp::DeleteTenant => "deleteTenant",
            FnOp::GetTenant => "getTenant",
            FnOp::ListAllTenants => "listAllTenants",
            FnOp::AssociateUserToTenant => "associateUserToTenant",
            FnOp::DisassociateUserFromTenant => "disassociateUserFromTenant",
            FnOp::CreateNewSession => "createNewSession",
            FnOp::GetSession => "getSession",
            FnOp::RevokeSession => "revokeSession",
            FnOp::RevokeAllSessionsForUser => "revokeAllSessionsForUser",
            FnOp::GetAllSessionHandlesForUser => "getAllSessionHandlesForUser",
        }
    }

    pub fn from_name(name: &str) -> Option<FnOp> {
        FnOp::ALL.into_iter().find(|op| op.name() == name)
    }
}

/// The API functions (`override.apis`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiOp {
    SignInUpPost,
    GetRedirectionUrl,
}

impl ApiOp {
    pub const ALL: [ApiOp; 2] = [ApiOp::SignInUpPost, ApiOp::GetRedirectionUrl];

    pub fn name(self) -> &'static str {
        match self {
            ApiOp::SignInUpPost => "signInUpPOST",
            ApiOp::GetRedirectionUrl => "getRedirectionURL",
        }
    }

    pub fn from_name(name: &str) -> Option<ApiOp> {
        ApiOp::ALL.into_iter().find(|op| op.name() == name)
    }
}

/// Any operation `NativeEngine.call` runs, by its index in [`operation_names`] (the recipe functions in
/// [`FnOp::ALL`] order, then the API functions): JS passes the index, not the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Fn(FnOp),
    Api(ApiOp),
    /// An operation of the core's declaration (`authcore::ops`) that the lists above do not name: dispatched
    /// by name through `AuthCore::call_raw`, so a newly declared operation reaches JS with no change here.
    Declared(&'static str),
}

/// The declared operations the hand-written lists do not cover, in declaration order.
fn declared_only() -> impl Iterator<Item = &'static str> {
    authcore::ops::OPERATIONS
        .iter()
        .map(|op| op.name)
        .filter(|name| FnOp::from_name(name).is_none() && ApiOp::from_name(name).is_none())
}

impl Op {
    pub fn from_index(index: u32) -> Option<Op> {
        let i = index as usize;
        let apis = FnOp::ALL.len();
        let declared = apis + ApiOp::ALL.len();
        if let Some(&f) = FnOp::ALL.get(i) {
            Some(Op::Fn(f))
        } else if let Some(&a) = i.checked_sub(apis).and_then(|j| ApiOp::ALL.get(j)) {
            Some(Op::Api(a))
        } else {
            declared_only()
                .nth(i.checked_sub(declared)?)
                .map(Op::Declared)
        }
    }
}

/// The core's declaration of every public operation (`authcore::ops::OPERATIONS`): name, kind, arguments with
/// their defaults, result type and JSON envelope.
#[napi(
    ts_return_type = "Array<{ name: string; kind: 'recipe' | 'api' | 'engine'; input: string; args: Array<{ name: string; ty: string; default: string | null }>; result: string; envelope: string; doc: string }>"
)]
pub fn declared_operations() -> Value {
    serde_json::to_value(authcore::ops::OPERATIONS).unwrap_or(Value::Null)
}

/// A result of `op` in the operation's JSON form (`{status: 'OK', ...}`), by the core's declared envelope.
#[napi]
pub fn json_form(op: String, value: Option<Value>) -> Value {
    let raw = from_js(value.unwrap_or(Value::Null));
    match authcore::ops::operation(&op) {
        Some(info) => authcore::ops::json_form(info, raw),
        None => raw,
    }
}

/// The operation names in index order (what `NativeEngine.call` / `NativeLayer.call` take as `op`).
#[napi]
pub fn operation_names() -> Vec<String> {
    FnOp::ALL
        .iter()
        .map(|op| op.name())
        .chain(ApiOp::ALL.iter().map(|op| op.name()))
        .chain(declared_only())
        .map(str::to_string)
        .collect()
}

fn yes() -> bool {
    true
}

fn empty_object() -> Value {
    json!({})
}

// One argument object per operation (camelCase, like the scenario files and supertokens-node). Ops whose core
// input is already a serde type (signInUp, getUsers, verifyEmail, signInUpPOST) use that type directly.

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecipeUserIdArgs {
    pub recipe_user_id: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkArgs {
    pub recipe_user_id: String,
    pub primary_user_id: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserIdArgs {
    pub user_id: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteUserArgs {
    pub user_id: String,
    #[serde(default = "yes")]
    pub remove_all_linked_accounts: bool,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListUsersByAccountInfoArgs {
    pub tenant_id: String,
    pub account_info: AccountInfo,
    #[serde(default)]
    pub do_union_of_account_info: bool,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailArgs {
    pub recipe_user_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantIdArgs {
    pub tenant_id: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateOrUpdateTenantArgs {
    pub tenant_id: String,
    #[serde(default)]
    pub config: TenantConfigInput,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantUserArgs {
    pub tenant_id: String,
    pub recipe_user_id: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateNewSessionArgs {
    pub tenant_id: String,
    pub recipe_user_id: String,
    #[serde(default = "empty_object")]
    pub access_token_payload: Value,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionHandleArgs {
    pub session_handle: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RevokeAllSessionsArgs {
    pub user_id: String,
    #[serde(default = "yes")]
    pub revoke_sessions_for_linked_accounts: bool,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionHandlesArgs {
    pub user_id: String,
    #[serde(default = "yes")]
    pub fetch_sessions_for_all_linked_accounts: bool,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShouldLinkArgs {
    pub new_account_info: NewAccountInfo,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<Session>,
    pub tenant_id: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnAccountLinkedArgs {
    pub user: User,
    pub new_account_info: LoginMethod,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct NoArgs {}

/// What a unit-returning operation (`deleteUser`, `unverifyEmail`, `onAccountLinked`) resolves to in JS.
pub fn ok_status() -> String {
    r#"{"status":"OK"}"#.to_string()
}

/// Serialises a value to the JSON text JS parses (the core's camelCase serde shape).
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| AuthError::Internal {
        message: e.to_string(),
    })
}

/// Deserialises JSON text from JS; `field` names it in the `INVALID_INPUT` error. The message is serde's,
/// without the line/column suffix (the text is machine-made, one line).
pub fn parse_json<T: DeserializeOwned>(field: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| {
        let message = e.to_string();
        let message = match message.rsplit_once(" at line ") {
            Some((m, _)) if e.line() > 0 => m.to_string(),
            _ => message,
        };
        AuthError::InvalidInput {
            field: field.to_string(),
            message,
        }
    })
}

/// JS numbers arrive as floats; make integral ones integers again so `i64` fields (`timeJoined`) deserialise.
pub fn from_js(value: Value) -> Value {
    const MAX_SAFE: f64 = 9_007_199_254_740_991.0;
    match value {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() <= MAX_SAFE => Value::from(f as i64),
            _ => Value::Number(n),
        },
        Value::Array(a) => Value::Array(a.into_iter().map(from_js).collect()),
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, from_js(v))).collect()),
        other => other,
    }
}

/// Parses an argument object (JSON text; empty or `null`: no arguments); `op` names it in the
/// `INVALID_INPUT` error.
pub fn args<T: DeserializeOwned>(op: &str, input: &str) -> Result<T> {
    match input.trim() {
        "" | "null" => parse_json(op, "{}"),
        text => parse_json(op, text),
    }
}

/// Parses what a JS override resolved to (JSON text; `None`: `undefined`) into the core's result type.
pub fn result_of<T: DeserializeOwned>(op: &str, value: Option<&str>) -> Result<T> {
    parse_json(
        &format!("result of override '{op}'"),
        value.unwrap_or("null"),
    )
}

/// Calls one recipe function on `fns` with a JS argument object (JSON text); returns the JSON result text.
pub async fn call_fn(
    fns: &dyn RecipeFunctions,
    op: FnOp,
    input: &str,
    ctx: &UserContext,
) -> Result<String> {
    let n = op.name();
    match op {
        FnOp::SignInUp => to_json(
            &fns.sign_in_up(&args::<SignInUpInput>(n, input)?, ctx)
                .await?,
        ),
        FnOp::ManuallyCreateOrUpdateUser => to_json(
            &fns.manually_create_or_update_user(&args::<SignInUpInput>(n, input)?, ctx)
                .await?,
        ),
        FnOp::ShouldDoAutomaticAccountLinking => {
            let a: ShouldLinkArgs = args(n, input)?;
            to_json(
                &fns.should_do_automatic_account_linking(
                    &a.new_account_info,
                    a.user.as_ref(),
                    a.session.as_ref(),
                    &a.tenant_id,
                    ctx,
                )
                .await?,
            )
        }
        FnOp::OnAccountLinked => {
            let a: OnAccountLinkedArgs = args(n, input)?;
            fns.on_account_linked(&a.user, &a.new_account_info, ctx)
                .await?;
            Ok(ok_status())
        }
        FnOp::CreatePrimaryUser => {
            let a: RecipeUserIdArgs = args(n, input)?;
            to_json(&fns.create_primary_user(&a.recipe_user_id, ctx).await?)
        }
        FnOp::CanCreatePrimaryUser => {
            let a: RecipeUserIdArgs = args(n, input)?;
            to_json(&fns.can_create_primary_user(&a.recipe_user_id, ctx).await?)
        }
        FnOp::LinkAccounts => {
            let a: LinkArgs = args(n, input)?;
            to_json(
                &fns.link_accounts(&a.recipe_user_id, &a.primary_user_id, ctx)
                    .await?,
            )
        }
        FnOp::CanLinkAccounts => {
            let a: LinkArgs = args(n, input)?;
            to_json(
                &fns.can_link_accounts(&a.recipe_user_id, &a.primary_user_id, ctx)
                    .await?,
            )
        }
        FnOp::UnlinkAccount => {
            let a: RecipeUserIdArgs = args(n, input)?;
            to_json(&fns.unlink_account(&a.recipe_user_id, ctx).await?)
        }
        FnOp::DeleteUser => {
            let a: DeleteUserArgs = args(n, input)?;
            fns.delete_user(&a.user_id, a.remove_all_linked_accounts, ctx)
                .await?;
            Ok(ok_status())
        }
        FnOp::GetUser => {
            let a: UserIdArgs = args(n, input)?;
            to_json(&fns.get_user(&a.user_id, ctx).await?)
        }
        FnOp::ListUsersByAccountInfo => {
            let a: ListUsersByAccountInfoArgs = args(n, input)?;
            to_json(
                &fns.list_users_by_account_info(
                    &a.tenant_id,
                    &a.account_info,
                    a.do_union_of_account_info,
                    ctx,
                )
                .await?,
            )
        }
        FnOp::GetUsers => to_json(
            &fns.get_users(&args::<GetUsersInput>(n, input)?, ctx)
                .await?,
        ),
        FnOp::IsEmailVerified => {
            let a: EmailArgs = args(n, input)?;
            to_json(
                &fns.is_email_verified(&a.recipe_user_id, a.email.as_deref(), ctx)
                    .await?,
            )
        }
        FnOp::VerifyEmail => to_json(
            &fns.verify_email(&args::<VerifyEmailInput>(n, input)?, ctx)
                .await?,
        ),
        FnOp::UnverifyEmail => {
            let a: EmailArgs = args(n, input)?;
            fns.unverify_email(&a.recipe_user_id, a.email.as_deref(), ctx)
                .await?;
            Ok(ok_status())
        }
        FnOp::CreateOrUpdateTenant => {
            let a: CreateOrUpdateTenantArgs = args(n, input)?;
            to_json(
                &fns.create_or_update_tenant(&a.tenant_id, &a.config, ctx)
                    .await?,
            )
        }
        FnOp::DeleteTenant => {
            let a: TenantIdArgs = args(n, input)?;
            to_json(&fns.delete_tenant(&a.tenant_id, ctx).await?)
        }
        FnOp::GetTenant => {
            let a: TenantIdArgs = args(n, input)?;
            to_json(&fns.get_tenant(&a.tenant_id, ctx).await?)
        }
        FnOp::ListAllTenants => {
            let _: NoArgs = args(n, input)?;
            to_json(&fns.list_all_tenants(ctx).await?)
        }
        FnOp::AssociateUserToTenant => {
            let a: TenantUserArgs = args(n, input)?;
            to_json(
                &fns.associate_user_to_tenant(&a.tenant_id, &a.recipe_user_id, ctx)
                    .await?,
            )
        }
        FnOp::DisassociateUserFromTenant => {
            let a: TenantUserArgs = args(n, input)?;
            to_json(
                &fns.disassociate_user_from_tenant(&a.tenant_id, &a.recipe_user_id, ctx)
                    .await?,
            )
        }
        FnOp::CreateNewSession => {
            let a: CreateNewSessionArgs = args(n, input)?;
            to_json(
                &fns.create_new_session(
                    &a.tenant_id,
                    &a.recipe_user_id,
                    &a.access_token_payload,
                    ctx,
                )
                .await?,
            )
        }
        FnOp::GetSession => {
            let a: authcore::GetSessionInput = args(n, input)?;
            to_json(&fns.get_session(&a, ctx).await?)
        }
        FnOp::RevokeSession => {
            let a: SessionHandleArgs = args(n, input)?;
            to_json(&fns.revoke_session(&a.session_handle, ctx).await?)
        }
        FnOp::RevokeAllSessionsForUser => {
            let a: RevokeAllSessionsArgs = args(n, input)?;
            to_json(
                &fns.revoke_all_sessions_for_user(
                    &a.user_id,
                    a.revoke_sessions_for_linked_accounts,
                    ctx,
                )
                .await?,
            )
        }
        FnOp::GetAllSessionHandlesForUser => {
            let a: SessionHandlesArgs = args(n, input)?;
            to_json(
                &fns.get_all_session_handles_for_user(
                    &a.user_id,
                    a.fetch_sessions_for_all_linked_accounts,
                    ctx,
                )
                .await?,
            )
        }
    }
}

/// Calls one API function on `apis` with a JS argument object (JSON text); returns the JSON result text.
pub async fn call_api(
    apis: &dyn ApiFunctions,
    op: ApiOp,
    input: &str,
    ctx: &UserContext,
) -> Result<String> {
    let n = op.name();
    match op {
        ApiOp::SignInUpPost => to_json(
            &apis
                .sign_in_up_post(&args::<SignInUpPostInput>(n, input)?, ctx)
                .await?,
        ),
        ApiOp::GetRedirectionUrl => to_json(
            &apis
                .get_redirection_url(&args::<RedirectContext>(n, input)?, ctx)
                .await?,
        ),
    }
}

/// What `NativeEngine.open` takes: where the data lives, the core config (`AuthCoreConfig` JSON), and for each
/// override layer (index 0 innermost) the names of the methods it replaces.
#[napi(object)]
pub struct NativeOpenOptions {
    pub sqlite: String,
    pub config: Option<Value>,
    pub function_layers: Vec<Vec<String>>,
    pub api_layers: Vec<Vec<String>>,
    /// Event names with a JS handler (`"*"`: every event).
    pub event_handlers: Vec<String>,
}

/// Resolves override method names; an unknown name is misuse.
pub fn fn_ops(names: &[String]) -> Result<Vec<FnOp>> {
    names
        .iter()
        .map(|n| {
            FnOp::from_name(n).ok_or_else(|| AuthError::InvalidInput {
                field: "override.functions".into(),
                message: format!("unknown recipe function '{n}'"),
            })
        })
        .collect()
}

pub fn api_ops(names: &[String]) -> Result<Vec<ApiOp>> {
    names
        .iter()
        .map(|n| {
            ApiOp::from_name(n).ok_or_else(|| AuthError::InvalidInput {
                field: "override.apis".into(),
                message: format!("unknown API function '{n}'"),
            })
        })
        .collect()
}

/// The recipe function names the native layer knows (the JS layer's list is checked against it).
#[napi]
pub fn recipe_function_names() -> Vec<String> {
    FnOp::ALL.iter().map(|op| op.name().to_string()).collect()
}

/// The API function names the native layer knows.
#[napi]
pub fn api_function_names() -> Vec<String> {
    ApiOp::ALL.iter().map(|op| op.name().to_string()).collect()
}

/// The event catalogue.
#[napi]
pub fn event_names() -> Vec<String> {
    authcore::events::EventName::ALL
        .iter()
        .map(|n| n.as_str().to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use authcore::json::parse;

    #[test]
    fn op_names_round_trip_and_are_unique() {
        let mut names = std::collections::HashSet::new();
        for op in FnOp::ALL {
            assert_eq!(FnOp::from_name(op.name()), Some(op));
            assert!(names.insert(op.name()));
        }
        for op in ApiOp::ALL {
            assert_eq!(ApiOp::from_name(op.name()), Some(op));
            assert!(names.insert(op.name()));
        }
        for (i, name) in operation_names().iter().enumerate() {
            let op = Op::from_index(i as u32).expect("every index names an operation");
            match op {
                Op::Fn(f) => assert_eq!(f.name(), name),
                Op::Api(a) => assert_eq!(a.name(), name),
                Op::Declared(d) => assert_eq!(d, name),
            }
        }
        assert_eq!(Op::from_index(operation_names().len() as u32), None);
    }

    #[test]
    fn the_declaration_and_its_json_form_reach_js() {
        let declared = declared_operations();
        let names: Vec<&str> = declared
            .as_array()
            .expect("an array")
            .iter()
            .filter_map(|op| op["name"].as_str())
            .collect();
        assert!(names.contains(&"getUser") && names.contains(&"listEvents"));
        assert_eq!(
            json_form("getUser".into(), None),
            json!({"status": "OK", "user": null})
        );
        assert_eq!(
            json_form("deleteUser".into(), Some(Value::Null)),
            json!({"status": "OK"})
        );
    }

    #[test]
    fn integral_js_numbers_become_integers() {
        let v = from_js(json!({"t": 1732423423000.0, "f": 1.5, "a": [2.0, -3.0]}));
        assert_eq!(v, json!({"t": 1732423423000i64, "f": 1.5, "a": [2, -3]}));
        let user: authcore::LoginMethod = parse(
            "lm",
            from_js(
                json!({"tenantIds": [], "recipeUserId": "u", "verified": false,
                "timeJoined": 1732423423000.0, "recipeId": "thirdparty"}),
            ),
        )
        .expect("timeJoined parses as i64");
        assert_eq!(user.time_joined, 1_732_423_423_000);
    }

    #[test]
    fn missing_arguments_are_invalid_input() {
        let e = args::<RecipeUserIdArgs>("createPrimaryUser", "null").unwrap_err();
        assert_eq!(e.code(), "INVALID_INPUT");
        assert!(!e.to_string().contains(" at line "), "{e}");
        let d: DeleteUserArgs = args("deleteUser", r#"{"userId": "u"}"#).expect("defaults");
        assert!(d.remove_all_linked_accounts);
        let _: NoArgs = args("listAllTenants", "").expect("no arguments");
    }
}
