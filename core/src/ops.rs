//! The one declaration of every public operation: its wire name, its arguments with their types and defaults,
//! its result and how that result is shaped as JSON. Everything that is a list of operations is derived from
//! [`for_each_operation!`]: the argument structs below, [`AuthCore::call`] (dispatch by name, used by the
//! scenario runners and the fuzz targets), and [`OPERATIONS`], the metadata that binding generators read.
//!
//! The declaration is a callback macro (`for_each_operation!(some_macro)` expands `some_macro! { … }` with the
//! whole list) rather than a build script or a proc-macro crate: the list stays plain Rust next to the code it
//! describes, any crate can derive its own code from it, and nothing runs at build time.
//!
//! Each entry reads
//! `kind "wireName" ArgsType { field: Type = default, … } -> Result as envelope => (auth, args, ctx) { call }`:
//! - `kind` is `recipe` (an overridable recipe function), `api` (an overridable API) or `engine` (a call on
//!   the engine itself, never overridden);
//! - `ArgsType { … }` declares a struct of named arguments (camelCase on the wire, unknown keys refused, a
//!   field without `= default` required); `ArgsType` alone names an existing input type taken whole;
//! - `envelope` says how the result looks as JSON: `direct` (it already carries its `status`), `ok` (no value:
//!   `{"status":"OK"}`), `flat` (its fields beside `"status":"OK"`) or a key (`{"status":"OK","<key>":…}`).

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::api::{SignInUpPostInput, SignInUpPostResult};
use crate::engine::AuthCore;
use crate::error::{AuthError, Result};
use crate::events::{DeliveryReport, ListEventsInput, ListEventsResult};
use crate::functions::*;
use crate::json;
use crate::model::{AccountInfo, SignInUpInput, User};
use crate::recipes::linking::{CreatePrimaryUserResult, LinkAccountsResult, UnlinkAccountResult};
use crate::recipes::sessions::{CreateNewSessionResult, GetSessionInput, GetSessionResult};
use crate::recipes::tenants::{
    AssociateUserToTenantResult, CreateOrUpdateTenantResult, DeleteTenantResult,
    DisassociateUserFromTenantResult, Tenant, TenantConfigInput,
};
use crate::recipes::thirdparty::SignInUpResult;

/// Expands `$m! { entries }` with the declaration of every public operation (see the module docs).
#[macro_export]
macro_rules! for_each_operation {
    ($m:path) => {
        $m! {
            /// Core third-party sign-in/up (spec §2): find or create the recipe user.
            recipe "signInUp" SignInUpInput -> SignInUpResult as direct
                => (auth, a, ctx) { auth.sign_in_up(&a, ctx).await? };
            /// Sign-in/up with the linking policy (spec §4.8).
            recipe "manuallyCreateOrUpdateUser" SignInUpInput -> ManuallyCreateOrUpdateUserResult as direct
                => (auth, a, ctx) { auth.manually_create_or_update_user(&a, ctx).await? };
            /// The frontend's sign-in/up (spec §4.8, §4.8.6 session linking): a session for the signed-in user.
            api "signInUpPOST" SignInUpPostInput -> SignInUpPostResult as direct
                => (auth, a, ctx) { auth.apis().sign_in_up_post(&a, ctx).await? };
            recipe "createPrimaryUser" CreatePrimaryUserArgs { recipe_user_id: String }
                -> CreatePrimaryUserResult as direct
                => (auth, a, ctx) { auth.create_primary_user(&a.recipe_user_id, ctx).await? };
            recipe "canCreatePrimaryUser" CanCreatePrimaryUserArgs { recipe_user_id: String }
                -> CreatePrimaryUserResult as direct
                => (auth, a, ctx) { auth.can_create_primary_user(&a.recipe_user_id, ctx).await? };
            recipe "linkAccounts" LinkAccountsArgs { recipe_user_id: String, primary_user_id: String }
                -> LinkAccountsResult as direct
                => (auth, a, ctx) { auth.link_accounts(&a.recipe_user_id, &a.primary_user_id, ctx).await? };
            recipe "canLinkAccounts" CanLinkAccountsArgs { recipe_user_id: String, primary_user_id: String }
                -> LinkAccountsResult as direct
                => (auth, a, ctx) { auth.can_link_accounts(&a.recipe_user_id, &a.primary_user_id, ctx).await? };
            recipe "unlinkAccount" UnlinkAccountArgs { recipe_user_id: String }
                -> UnlinkAccountResult as direct
                => (auth, a, ctx) { auth.unlink_account(&a.recipe_user_id, ctx).await? };
            recipe "deleteUser" DeleteUserArgs { user_id: String, remove_all_linked_accounts: bool = true }
                -> () as ok
                => (auth, a, ctx) { auth.delete_user(&a.user_id, a.remove_all_linked_accounts, ctx).await? };
            recipe "getUser" GetUserArgs { user_id: String } -> Option<User> as user
                => (auth, a, ctx) { auth.get_user(&a.user_id, ctx).await? };
            recipe "listUsersByAccountInfo" ListUsersByAccountInfoArgs {
                    tenant_id: String,
                    account_info: AccountInfo,
                    do_union_of_account_info: bool = false,
                } -> Vec<User> as users
                => (auth, a, ctx) {
                    auth.list_users_by_account_info(&a.tenant_id, &a.account_info, a.do_union_of_account_info, ctx)
                        .await?
                };
            recipe "getUsers" GetUsersInput = default -> GetUsersResult as flat
                => (auth, a, ctx) { auth.get_users(&a, ctx).await? };
            recipe "createOrUpdateTenant" CreateOrUpdateTenantArgs {
                    tenant_id: String,
                    config: TenantConfigInput = TenantConfigInput::default(),
                } -> CreateOrUpdateTenantResult as direct
                => (auth, a, ctx) { auth.create_or_update_tenant(&a.tenant_id, &a.config, ctx).await? };
            recipe "getTenant" GetTenantArgs { tenant_id: String } -> Option<Tenant> as tenant
                => (auth, a, ctx) { auth.get_tenant(&a.tenant_id, ctx).await? };
            recipe "listAllTenants" ListAllTenantsArgs {} -> Vec<Tenant> as tenants
                => (auth, _a, ctx) { auth.list_all_tenants(ctx).await? };
            recipe "deleteTenant" DeleteTenantArgs { tenant_id: String } -> DeleteTenantResult as direct
                => (auth, a, ctx) { auth.delete_tenant(&a.tenant_id, ctx).await? };
            recipe "associateUserToTenant" AssociateUserToTenantArgs { tenant_id: String, recipe_user_id: String }
                -> AssociateUserToTenantResult as direct
                => (auth, a, ctx) { auth.associate_user_to_tenant(&a.tenant_id, &a.recipe_user_id, ctx).await? };
            recipe "disassociateUserFromTenant" DisassociateUserFromTenantArgs {
                    tenant_id: String,
                    recipe_user_id: String,
                } -> DisassociateUserFromTenantResult as direct
                => (auth, a, ctx) {
                    auth.disassociate_user_from_tenant(&a.tenant_id, &a.recipe_user_id, ctx).await?
                };
            recipe "isEmailVerified" IsEmailVerifiedArgs { recipe_user_id: String, email: Option<String> = None }
                -> bool as isVerified
                => (auth, a, ctx) { auth.is_email_verified(&a.recipe_user_id, a.email.as_deref(), ctx).await? };
            recipe "verifyEmail" VerifyEmailInput -> VerifyEmailResult as direct
                => (auth, a, ctx) { auth.verify_email(&a, ctx).await? };
            recipe "unverifyEmail" UnverifyEmailArgs { recipe_user_id: String, email: Option<String> = None }
                -> () as ok
                => (auth, a, ctx) { auth.unverify_email(&a.recipe_user_id, a.email.as_deref(), ctx).await? };
            recipe "createNewSession" CreateNewSessionArgs {
                    tenant_id: String,
                    recipe_user_id: String,
                    access_token_payload: Value = Value::Object(Default::default()),
                } -> CreateNewSessionResult as direct
                => (auth, a, ctx) {
                    auth.create_new_session(&a.tenant_id, &a.recipe_user_id, &a.access_token_payload, ctx).await?
                };
            recipe "getSession" GetSessionInput -> GetSessionResult as direct
                => (auth, a, ctx) { auth.get_session(&a, ctx).await? };
            recipe "revokeSession" RevokeSessionArgs { session_handle: String } -> bool as wasRevoked
                => (auth, a, ctx) { auth.revoke_session(&a.session_handle, ctx).await? };
            recipe "revokeAllSessionsForUser" RevokeAllSessionsForUserArgs {
                    user_id: String,
                    revoke_sessions_for_linked_accounts: bool = true,
                } -> Vec<String> as revokedSessionHandles
                => (auth, a, ctx) {
                    auth.revoke_all_sessions_for_user(&a.user_id, a.revoke_sessions_for_linked_accounts, ctx).await?
                };
            recipe "getAllSessionHandlesForUser" GetAllSessionHandlesForUserArgs {
                    user_id: String,
                    fetch_sessions_for_all_linked_accounts: bool = true,
                } -> Vec<String> as sessionHandles
                => (auth, a, ctx) {
                    auth.get_all_session_handles_for_user(&a.user_id, a.fetch_sessions_for_all_linked_accounts, ctx)
                        .await?
                };
            /// The audit log: past events by user, tenant and time, oldest first, with cursor pagination.
            engine "listEvents" ListEventsInput = default -> ListEventsResult as flat
                => (auth, a, _ctx) { auth.list_events(&a)? };
            /// How many users there are in a tenant (default `public`), or in the whole app with
            /// `includeAllTenants` (SuperTokens' `GET /<tenantId>/users/count`).
            engine "getUserCount" GetUserCountArgs {
                    tenant_id: Option<String> = None,
                    include_all_tenants: bool = false,
                } -> u64 as count
                => (auth, a, _ctx) { auth.get_user_count(a.tenant_id.as_deref(), a.include_all_tenants)? };
            /// Redelivers events whose delivery failed or that a crashed run left pending.
            engine "deliverPendingEvents" DeliverPendingEventsArgs {} -> DeliveryReport as flat
                => (auth, _a, _ctx) { auth.deliver_pending_events().await? };
        }
    };
}

/// Which layer an operation belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum OperationKind {
    /// An overridable recipe function.
    Recipe,
    /// An overridable API (what the frontend calls).
    Api,
    /// A call on the engine itself.
    Engine,
}

/// One declared argument, as binding generators read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ArgInfo {
    /// The Rust (snake_case) name; [`camel_case`] gives the wire name.
    pub name: &'static str,
    /// The Rust type, as written in the declaration.
    pub ty: &'static str,
    /// The default, as written in the declaration; `None` means required.
    pub default: Option<&'static str>,
}

/// One declared operation, as binding generators read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct OperationInfo {
    pub name: &'static str,
    pub kind: OperationKind,
    /// The argument type (a declared struct, or an existing input type taken whole).
    pub input: &'static str,
    /// The declared arguments; empty when the input type is taken whole.
    pub args: &'static [ArgInfo],
    /// Every argument has a default (or the input type taken whole is declared `= default`): a caller may pass
    /// nothing at all.
    pub input_may_be_omitted: bool,
    pub result: &'static str,
    /// How the result is shaped as JSON (see the module docs).
    pub envelope: &'static str,
    pub doc: &'static str,
}

/// `remove_all_linked_accounts` → `removeAllLinkedAccounts`; a leading `_` stays.
pub fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for (i, c) in snake.chars().enumerate() {
        if c == '_' && i > 0 {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

macro_rules! op_kind {
    (recipe) => {
        OperationKind::Recipe
    };
    (api) => {
        OperationKind::Api
    };
    (engine) => {
        OperationKind::Engine
    };
}

/// A declared argument struct: its fields, and a `Deserialize` that applies the declared defaults, refuses
/// unknown keys and names a missing one in camelCase.
macro_rules! declare_args {
    ($Args:ident) => {};
    ($Args:ident { $($field:ident : $ty:ty $(= $default:expr)?),* $(,)? }) => {
        #[derive(Debug, Clone, PartialEq, Serialize)]
        #[serde(rename_all = "camelCase")]
        pub struct $Args {
            $(pub $field: $ty,)*
        }

        impl<'de> Deserialize<'de> for $Args {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                #[derive(Deserialize)]
                #[serde(rename_all = "camelCase", deny_unknown_fields)]
                #[allow(dead_code)]
                struct Raw {
                    $(#[serde(default)] $field: Option<$ty>,)*
                }
                #[allow(unused_variables)]
                let raw = Raw::deserialize(d)?;
                Ok($Args {
                    $($field: declare_args!(@value raw.$field, $field $(, $default)?),)*
                })
            }
        }
    };
    (@value $raw:expr, $field:ident) => {
        match $raw {
            Some(v) => v,
            None => {
                return Err(serde::de::Error::custom(format!(
                    "missing field `{}`",
                    camel_case(stringify!($field))
                )))
            }
        }
    };
    (@value $raw:expr, $field:ident, $default:expr) => {
        $raw.unwrap_or_else(|| $default)
    };
}

macro_rules! arg_infos {
    ($Args:ident) => {
        &[]
    };
    ($Args:ident { $($field:ident : $ty:ty $(= $default:expr)?),* $(,)? }) => {
        &[$(ArgInfo {
            name: stringify!($field),
            ty: stringify!($ty),
            default: arg_infos!(@default $($default)?),
        }),*]
    };
    (@default) => {
        None
    };
    (@default $default:expr) => {
        Some(stringify!($default))
    };
}

/// Whether an operation's input may be omitted: a whole input declared `= default`, or declared arguments that
/// all have defaults (none at all included).
macro_rules! may_be_omitted {
    () => {
        false
    };
    (default) => {
        true
    };
    ({ $($field:ident : $ty:ty $(= $default:expr)?),* $(,)? }) => {
        true $(&& may_be_omitted!(@has $($default)?))*
    };
    (@has) => {
        false
    };
    (@has $default:expr) => {
        true
    };
}

/// A raw result in its operation's JSON form, by the declared envelope: as it is (`direct`), `{"status":"OK"}`
/// (`ok`), its fields beside `"status":"OK"` (`flat`), or under its key beside `"status":"OK"`.
pub fn json_form(op: &OperationInfo, v: Value) -> Value {
    match op.envelope {
        "direct" => v,
        "ok" => json!({"status": "OK"}),
        "flat" => {
            let mut out = Map::new();
            out.insert("status".into(), json!("OK"));
            if let Value::Object(fields) = v {
                out.extend(fields);
            }
            Value::Object(out)
        }
        key => json!({"status": "OK", key: v}),
    }
}

macro_rules! derive_from_declaration {
    ($(
        $(#[doc = $doc:literal])*
        $kind:ident $wire:literal $Args:ident $(= $whole_default:ident)? $({ $($fields:tt)* })? -> $ret:ty as $env:ident
            => ($auth:ident, $a:ident, $ctx:ident) $body:block;
    )*) => {
        $(declare_args!($Args $({ $($fields)* })?);)*

        /// Every declared operation, in declaration order.
        pub const OPERATIONS: &[OperationInfo] = &[$(OperationInfo {
            name: $wire,
            kind: op_kind!($kind),
            input: stringify!($Args),
            input_may_be_omitted: may_be_omitted!($($whole_default)? $({ $($fields)* })?),
            args: arg_infos!($Args $({ $($fields)* })?),
            result: stringify!($ret),
            envelope: stringify!($env),
            doc: concat!("" $(, $doc)*),
        }),*];

        impl AuthCore {
            /// Calls the operation named `op` with its arguments as a JSON object, through every override, and
            /// returns its result serialised as it is (`getUser`: the user or `null`). A malformed argument is
            /// `INVALID_INPUT` naming it; an unknown name is `INVALID_INPUT` on `op`. Bindings call this for
            /// operations they have no hand-written method for.
            pub async fn call_raw(&self, op: &str, args: Value, ctx: &UserContext) -> Result<Value> {
                match op {
                    $($wire => {
                        let $a: $Args = json::parse("args", args)?;
                        let $auth = self;
                        let $ctx = ctx;
                        let result: $ret = $body;
                        json::to_value(&result)
                    })*
                    other => Err(AuthError::invalid("op", format!("no operation named {other:?}"))),
                }
            }
        }
    };
}

impl AuthCore {
    /// [`call_raw`](AuthCore::call_raw), with the result in the operation's JSON form (see [`json_form`]):
    /// what the scenarios assert.
    pub async fn call(&self, op: &str, args: Value, ctx: &UserContext) -> Result<Value> {
        let raw = self.call_raw(op, args, ctx).await?;
        Ok(match operation(op) {
            Some(info) => json_form(info, raw),
            None => raw,
        })
    }
}

/// The declared operation named `name`.
pub fn operation(name: &str) -> Option<&'static OperationInfo> {
    OPERATIONS.iter().find(|o| o.name == name)
}

for_each_operation!(derive_from_declaration);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_camel_case() {
        let mut names: Vec<_> = OPERATIONS.iter().map(|o| o.name).collect();
        names.sort();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len());
        assert!(OPERATIONS.iter().all(|o| o
            .name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase())));
    }

    #[test]
    fn declared_defaults_apply_and_unknown_keys_are_refused() {
        let a: DeleteUserArgs = serde_json::from_value(json!({"userId": "u"})).unwrap();
        assert!(a.remove_all_linked_accounts);
        let a: DeleteUserArgs =
            serde_json::from_value(json!({"userId": "u", "removeAllLinkedAccounts": false}))
                .unwrap();
        assert!(!a.remove_all_linked_accounts);
        let e =
            serde_json::from_value::<DeleteUserArgs>(json!({"userId": "u", "removeAll": false}))
                .unwrap_err();
        assert!(e.to_string().contains("removeAll"), "{e}");
        let e = serde_json::from_value::<DeleteUserArgs>(json!({})).unwrap_err();
        assert!(e.to_string().contains("`userId`"), "{e}");
        let info = OPERATIONS.iter().find(|o| o.name == "deleteUser").unwrap();
        assert!(!info.input_may_be_omitted);
        assert!(operation("getUserCount").unwrap().input_may_be_omitted);
        assert!(operation("listAllTenants").unwrap().input_may_be_omitted);
        assert!(operation("listEvents").unwrap().input_may_be_omitted);
        assert!(!operation("signInUp").unwrap().input_may_be_omitted);
        assert_eq!(info.args[1].default, Some("true"));
        assert_eq!(camel_case(info.args[1].name), "removeAllLinkedAccounts");
    }
}
