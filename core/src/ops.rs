//! The one declaration of every public operation: its wire name, its arguments with their types and defaults,
//! its result and how that result is shaped as JSON, and whether host code can override it. Everything that is
//! a list of operations is derived from two callback macros, [`for_each_overridable!`] (the recipe functions
//! and the APIs) and [`for_each_engine_operation!`] (calls on the engine itself): the two traits, the flow
//! layer, the host override layer and dispatch into any layer by name ([`crate::layers`]); [`AuthCore::call`]
//! (used by bindings, the scenario runners and the fuzz targets); and [`OPERATIONS`], the metadata that binding
//! generators read.
//!
//! The declaration is a callback macro (`for_each_overridable!(some_macro)` expands `some_macro! { … }` with
//! the whole list) rather than a build script or a proc-macro crate: the list stays plain Rust next to the code
//! it describes, any crate can derive its own code from it, and nothing runs at build time.
//!
//! An overridable entry reads `fn rust_name "wireName" shape(param: Type = default, …) -> Result as envelope;`:
//! - the parameters are the trait method's own (borrowed) ones; `shape` says how they cross to host code and
//!   arrive by name: `named` (one JSON object, a key per parameter in camelCase, unknown keys refused, a
//!   parameter without `= default` required unless it is an `Option`) or `whole` (the one parameter's own
//!   object, as SuperTokens passes `signInUp`'s input);
//! - `envelope` says how the result looks as JSON to a caller: `direct` (it already carries its `status`),
//!   `ok` (no value: `{"status":"OK"}`), `flat` (its fields beside `"status":"OK"`) or a key
//!   (`{"status":"OK","<key>":…}`); `hook` marks a method host code may override and call as `original` that is
//!   not a public operation (the linking policy callbacks, `getRedirectionURL`).
//!
//! An engine entry reads `engine "wireName" ArgsType { field: Type = default, … } -> Result as envelope =>
//! (auth, args, ctx) { call }`; `ArgsType { … }` declares a struct of named arguments, `ArgsType` alone names an
//! existing input type taken whole.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::engine::AuthCore;
use crate::error::{AuthError, Result};
use crate::events::{DeliveryReport, ListEventsInput, ListEventsResult};
use crate::functions::UserContext;
use crate::json;

/// Every type the declaration names, under the names it uses: a crate that expands the declaration macros
/// imports them with one `use authcore::ops::types::*;`, so a new operation's types reach every binding.
pub mod types {
    pub use crate::api::{
        GetAuthorisationUrlInput, GetAuthorisationUrlResult, SignInUpPostInput, SignInUpPostResult,
    };
    pub use crate::functions::*;
    pub use crate::model::{AccountInfo, LoginMethod, SignInUpInput, User};
    pub use crate::oauth::{
        AuthorisationRedirect, ExchangeAuthCodeInput, GetAuthorisationRedirectUrlInput,
        GetConfigForClientTypeInput, GetUserInfoInput, OAuthTokens, ProviderConfig,
        ProviderConfigForClientType, UserInfo,
    };
    pub use crate::policy::{NewAccountInfo, ShouldAutomaticallyLink};
    pub use crate::recipes::linking::{
        CreatePrimaryUserResult, LinkAccountsResult, UnlinkAccountResult,
    };
    pub use crate::recipes::sessions::{
        CreateNewSessionResult, GetSessionInput, GetSessionResult, Session,
    };
    pub use crate::recipes::tenants::{
        AssociateUserToTenantResult, CreateOrUpdateTenantResult,
        CreateOrUpdateThirdPartyConfigResult, DeleteTenantResult, DeleteThirdPartyConfigResult,
        DisassociateUserFromTenantResult, Tenant, TenantConfigInput,
    };
    pub use crate::recipes::thirdparty::SignInUpResult;
    pub use crate::redirect::RedirectContext;
}

/// Expands `$m! { … }` with the declaration of every overridable operation: the recipe functions and the APIs
/// (see the module docs for an entry's form). [`crate::layers`] derives from it the two traits, the flow layer,
/// the host layer and dispatch by name; this module derives the public operations' metadata.
#[macro_export]
macro_rules! for_each_overridable {
    ($m:path) => {
        $m! {
            /// Every overridable recipe function (spec §7.1 "functions"). An override is a struct holding
            /// `original` that implements [`RecipeFunctions::original`] and only the methods it changes: every
            /// other method's default body delegates to `original()`.
            trait RecipeFunctions(FlowFunctions, HostFunctions, call_functions, Recipe) {
                /// Core third-party sign-in/up (spec §2): find or create the recipe user.
                fn sign_in_up "signInUp" whole(input: &SignInUpInput) -> SignInUpResult as direct;
                /// Sign-in/up with the linking policy (spec §4.8).
                fn manually_create_or_update_user "manuallyCreateOrUpdateUser"
                    whole(input: &ManuallyCreateOrUpdateUserInput) -> ManuallyCreateOrUpdateUserResult as direct;
                /// The SDK's linking policy callback (spec §4.1): whether and how to link `newAccountInfo`.
                fn should_do_automatic_account_linking "shouldDoAutomaticAccountLinking" named(
                    new_account_info: &NewAccountInfo,
                    user: Option<&User>,
                    session: Option<&Session>,
                    tenant_id: &str,
                ) -> ShouldAutomaticallyLink as hook;
                /// Called after a link that actually happened (the SDK's only linking hook). Default: nothing.
                fn on_account_linked "onAccountLinked" named(user: &User, new_account_info: &LoginMethod)
                    -> () as hook;
                fn create_primary_user "createPrimaryUser" named(recipe_user_id: &str)
                    -> CreatePrimaryUserResult as direct;
                fn can_create_primary_user "canCreatePrimaryUser" named(recipe_user_id: &str)
                    -> CreatePrimaryUserResult as direct;
                fn link_accounts "linkAccounts" named(recipe_user_id: &str, primary_user_id: &str)
                    -> LinkAccountsResult as direct;
                fn can_link_accounts "canLinkAccounts" named(recipe_user_id: &str, primary_user_id: &str)
                    -> LinkAccountsResult as direct;
                fn unlink_account "unlinkAccount" named(recipe_user_id: &str) -> UnlinkAccountResult as direct;
                fn delete_user "deleteUser" named(user_id: &str, remove_all_linked_accounts: bool = true)
                    -> () as ok;
                fn get_user "getUser" named(user_id: &str) -> Option<User> as user;
                fn list_users_by_account_info "listUsersByAccountInfo" named(
                    tenant_id: &str,
                    account_info: &AccountInfo,
                    do_union_of_account_info: bool = false,
                ) -> Vec<User> as users;
                /// A page of users, newest or oldest first (the core's `GET /users`).
                fn get_users "getUsers" whole(input: &GetUsersInput = GetUsersInput::default())
                    -> GetUsersResult as flat;
                fn is_email_verified "isEmailVerified" named(recipe_user_id: &str, email: Option<&str> = None)
                    -> bool as isVerified;
                fn verify_email "verifyEmail" whole(input: &VerifyEmailInput) -> VerifyEmailResult as direct;
                fn unverify_email "unverifyEmail" named(recipe_user_id: &str, email: Option<&str> = None)
                    -> () as ok;
                fn create_or_update_tenant "createOrUpdateTenant" named(
                    tenant_id: &str,
                    config: &TenantConfigInput = TenantConfigInput::default(),
                ) -> CreateOrUpdateTenantResult as direct;
                fn delete_tenant "deleteTenant" named(tenant_id: &str) -> DeleteTenantResult as direct;
                fn get_tenant "getTenant" named(tenant_id: &str) -> Option<Tenant> as tenant;
                fn list_all_tenants "listAllTenants" named() -> Vec<Tenant> as tenants;
                /// Adds a provider to the tenant's own list, or replaces the one with its id (SuperTokens'
                /// multitenancy recipe). Its client secrets and private keys are stored encrypted with
                /// `providerSecretsKey`; without that key a provider carrying one is refused.
                fn create_or_update_third_party_config "createOrUpdateThirdPartyConfig" named(
                    tenant_id: &str,
                    config: &ProviderConfig,
                    skip_validation: bool = false,
                ) -> CreateOrUpdateThirdPartyConfigResult as direct;
                fn delete_third_party_config "deleteThirdPartyConfig" named(tenant_id: &str, third_party_id: &str)
                    -> DeleteThirdPartyConfigResult as direct;
                fn associate_user_to_tenant "associateUserToTenant" named(tenant_id: &str, recipe_user_id: &str)
                    -> AssociateUserToTenantResult as direct;
                fn disassociate_user_from_tenant "disassociateUserFromTenant"
                    named(tenant_id: &str, recipe_user_id: &str) -> DisassociateUserFromTenantResult as direct;
                /// Provider method (supertokens-node's provider `getConfigForClientType`): the configuration one
                /// sign-in uses, for one client of the provider, built-in defaults applied. Discovery runs after.
                fn get_config_for_client_type "getConfigForClientType" whole(input: &GetConfigForClientTypeInput)
                    -> ProviderConfigForClientType as hook;
                /// Provider method: the URL to send the user to, with the PKCE verifier when PKCE is used (the flow
                /// adds `state` and `nonce`).
                fn get_authorisation_redirect_url "getAuthorisationRedirectURL"
                    whole(input: &GetAuthorisationRedirectUrlInput) -> AuthorisationRedirect as hook;
                /// Provider method: the code the provider sent back, exchanged at its token endpoint.
                fn exchange_auth_code_for_oauth_tokens "exchangeAuthCodeForOAuthTokens"
                    whole(input: &ExchangeAuthCodeInput) -> OAuthTokens as hook;
                /// Provider method: who the tokens belong to (the id_token verified, the user info endpoint asked).
                fn get_user_info "getUserInfo" whole(input: &GetUserInfoInput) -> UserInfo as hook;
                fn create_new_session "createNewSession" named(
                    tenant_id: &str,
                    recipe_user_id: &str,
                    access_token_payload: &Value = Value::Object(Default::default()),
                ) -> CreateNewSessionResult as direct;
                fn get_session "getSession" whole(input: &GetSessionInput) -> GetSessionResult as direct;
                /// Returns whether a session was revoked.
                fn revoke_session "revokeSession" named(session_handle: &str) -> bool as wasRevoked;
                /// Returns the revoked handles.
                fn revoke_all_sessions_for_user "revokeAllSessionsForUser" named(
                    user_id: &str,
                    revoke_sessions_for_linked_accounts: bool = true,
                ) -> Vec<String> as revokedSessionHandles;
                fn get_all_session_handles_for_user "getAllSessionHandlesForUser" named(
                    user_id: &str,
                    fetch_sessions_for_all_linked_accounts: bool = true,
                ) -> Vec<String> as sessionHandles;
            }
            /// The overridable API functions (spec §7.1 "apis"): what the frontend calls.
            trait ApiFunctions(FlowApis, HostApis, call_apis, Api) {
                /// The provider's authorisation URL to send the user to (supertokens-node's `authorisationUrlGET`),
                /// with PKCE, `state` and, for OpenID providers, `nonce`.
                fn get_authorisation_url "getAuthorisationURL" whole(input: &GetAuthorisationUrlInput)
                    -> GetAuthorisationUrlResult as direct;
                /// The frontend's sign-in/up (spec §4.8, §4.8.6 session linking): the provider's redirect, a native
                /// app's tokens or the host's user info to a session for the signed-in user.
                fn sign_in_up_post "signInUpPOST" whole(input: &SignInUpPostInput) -> SignInUpPostResult as direct;
                /// Where to send the user; `None` means the configured default path. The answer is validated
                /// afterwards.
                fn get_redirection_url "getRedirectionURL" named(context: &RedirectContext)
                    -> Option<String> as hook;
            }
        }
    };
}

/// Expands `$m! { entries }` with the declaration of every call on the engine itself (never overridden), in
/// the `for_each_operation` form: `engine "wireName" ArgsType { field: Type = default, … } -> Result as
/// envelope => (auth, args, ctx) { call }`.
#[macro_export]
macro_rules! for_each_engine_operation {
    ($m:path $(; $($extra:tt)*)?) => {
        $m! {
            $($($extra)*)?
            /// The audit log: past events by user, tenant and time, oldest first, with cursor pagination.
            engine "listEvents" ListEventsInput = default -> ListEventsResult as flat
                => (auth, a, _ctx) { auth.list_events(&a).await? };
            /// How many users there are in a tenant (default `public`), or in the whole app with
            /// `includeAllTenants` (SuperTokens' `GET /<tenantId>/users/count`).
            engine "getUserCount" GetUserCountArgs {
                    tenant_id: Option<String> = None,
                    include_all_tenants: bool = false,
                } -> u64 as count
                => (auth, a, _ctx) { auth.get_user_count(a.tenant_id.as_deref(), a.include_all_tenants).await? };
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
    /// The input type taken whole (`whole` shape, or an engine input type), or the declared argument struct;
    /// empty for a `named` overridable operation.
    pub input: &'static str,
    /// The input is one object of type `input`, taken whole (its keys are that type's own); otherwise `args`
    /// lists every key.
    pub whole: bool,
    /// The declared arguments; empty when the input type is taken whole.
    pub args: &'static [ArgInfo],
    /// Every argument has a default (or the input type taken whole is declared `= default`): a caller may pass
    /// nothing at all.
    pub input_may_be_omitted: bool,
    /// A public operation (callable by name, a method in every binding); `false` for a `hook`, which host
    /// code may only override and call as `original`.
    pub public: bool,
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
    (Recipe) => {
        OperationKind::Recipe
    };
    (Api) => {
        OperationKind::Api
    };
    (engine) => {
        OperationKind::Engine
    };
}

/// A declared engine argument struct: its fields, and a `Deserialize` that applies the declared defaults,
/// refuses unknown keys and names a missing one in camelCase.
macro_rules! declare_args {
    ($Args:ident) => {};
    ($Args:ident { $($field:ident : $ty:ty $(= $default:expr)?),* $(,)? }) => {
        #[derive(Debug, Clone, PartialEq, Serialize)]
        #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
    () => {
        &[]
    };
    ($($field:ident : $ty:ty $(= $default:expr)?),* $(,)?) => {
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

/// Whether a caller may pass no input at all: every argument has a default (none at all included), or a whole
/// input is declared `= default`.
macro_rules! may_be_omitted {
    ($($field:ident : $ty:ty $(= $default:expr)?),* $(,)?) => {
        true $(&& may_be_omitted!(@has $($default)?))*
    };
    (@has) => {
        false
    };
    (@has $default:expr) => {
        true
    };
}

macro_rules! is_public {
    (hook) => {
        false
    };
    ($env:ident) => {
        true
    };
}

/// The metadata of one overridable operation.
macro_rules! overridable_info {
    ($kind:ident, $wire:literal, whole($p:ident : & $pty:ty $(= $def:expr)?), $ret:ty, $env:ident, $doc:expr) => {
        OperationInfo {
            name: $wire,
            kind: op_kind!($kind),
            input: stringify!($pty),
            whole: true,
            args: &[],
            input_may_be_omitted: may_be_omitted!($p: $pty $(= $def)?),
            public: is_public!($env),
            result: stringify!($ret),
            envelope: stringify!($env),
            doc: $doc,
        }
    };
    ($kind:ident, $wire:literal, named($($p:ident : $pty:ty $(= $def:expr)?),* $(,)?), $ret:ty, $env:ident, $doc:expr) => {
        OperationInfo {
            name: $wire,
            kind: op_kind!($kind),
            input: "",
            whole: false,
            args: arg_infos!($($p: $pty $(= $def)?),*),
            input_may_be_omitted: may_be_omitted!($($p: $pty $(= $def)?),*),
            public: is_public!($env),
            result: stringify!($ret),
            envelope: stringify!($env),
            doc: $doc,
        }
    };
}

/// A raw result in its operation's JSON form, by the declared envelope: as it is (`direct`, `hook`),
/// `{"status":"OK"}` (`ok`), its fields beside `"status":"OK"` (`flat`), or under its key beside `"status":"OK"`.
pub fn json_form(op: &OperationInfo, v: Value) -> Value {
    match op.envelope {
        "direct" | "hook" => v,
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

macro_rules! overridable_metadata {
    ($(
        $(#[doc = $tdoc:literal])*
        trait $Trait:ident($Flow:ident, $Host:ident, $call:ident, $kind:ident) {
            $(
                $(#[doc = $doc:literal])*
                fn $name:ident $wire:literal $shape:ident ( $($params:tt)* ) -> $ret:ty as $env:ident;
            )*
        }
    )*) => {
        /// Every overridable operation (public ones and hooks), in declaration order: what host override
        /// layers may replace.
        pub const OVERRIDABLE: &[OperationInfo] = &[$($(
            overridable_info!($kind, $wire, $shape($($params)*), $ret, $env, concat!("" $(, $doc)*)),
        )*)*];
    };
}

for_each_overridable!(overridable_metadata);

macro_rules! engine_operations {
    ($(
        $(#[doc = $doc:literal])*
        $kind:ident $wire:literal $Args:ident $(= $whole_default:ident)? $({ $($fields:tt)* })? -> $ret:ty as $env:ident
            => ($auth:ident, $a:ident, $ctx:ident) $body:block;
    )*) => {
        $(declare_args!($Args $({ $($fields)* })?);)*

        /// The engine's own operations, in declaration order.
        pub const ENGINE_OPERATIONS: &[OperationInfo] = &[$(OperationInfo {
            name: $wire,
            kind: op_kind!($kind),
            input: stringify!($Args),
            whole: engine_operations!(@whole $({ $($fields)* })?),
            input_may_be_omitted: $(may_be_omitted!($($fields)*) ||)? engine_operations!(@whole_default $($whole_default)?),
            public: true,
            args: arg_infos!($($($fields)*)?),
            result: stringify!($ret),
            envelope: stringify!($env),
            doc: concat!("" $(, $doc)*),
        }),*];

        impl AuthCore {
            /// Runs the engine operation named `op` (see [`ENGINE_OPERATIONS`]).
            async fn call_engine(&self, op: &str, args: Value, ctx: &UserContext) -> Result<Value> {
                match op {
                    $($wire => {
                        let $a: $Args = json::parse("args", args)?;
                        let $auth = self;
                        let $ctx = ctx;
                        let result: $ret = $body;
                        json::to_value(&result)
                    })*
                    other => Err(no_operation(other)),
                }
            }
        }
    };
    (@whole_default) => {
        false
    };
    (@whole) => {
        true
    };
    (@whole { $($fields:tt)* }) => {
        false
    };
    (@whole_default default) => {
        true
    };
}

for_each_engine_operation!(engine_operations);

/// How many of `all` are public.
const fn count_public(all: &[OperationInfo]) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < all.len() {
        if all[i].public {
            n += 1;
        }
        i += 1;
    }
    n
}

const PUBLIC_COUNT: usize = count_public(OVERRIDABLE) + ENGINE_OPERATIONS.len();

/// The public overridable operations, then the engine's, in declaration order.
const PUBLIC: [OperationInfo; PUBLIC_COUNT] = {
    let mut out = [ENGINE_OPERATIONS[0]; PUBLIC_COUNT];
    let mut n = 0;
    let mut i = 0;
    while i < OVERRIDABLE.len() {
        if OVERRIDABLE[i].public {
            out[n] = OVERRIDABLE[i];
            n += 1;
        }
        i += 1;
    }
    let mut j = 0;
    while j < ENGINE_OPERATIONS.len() {
        out[n] = ENGINE_OPERATIONS[j];
        n += 1;
        j += 1;
    }
    out
};

/// Every public operation, in declaration order: the overridable ones (without hooks), then the engine's.
pub const OPERATIONS: &[OperationInfo] = &PUBLIC;

fn no_operation(name: &str) -> AuthError {
    AuthError::invalid("op", format!("no operation named {name:?}"))
}

impl AuthCore {
    /// Calls the public operation named `op` with its arguments as a JSON object, through every override, and
    /// returns its result serialised as it is (`getUser`: the user or `null`). A malformed argument is
    /// `INVALID_INPUT` naming it; an unknown name is `INVALID_INPUT` on `op`.
    pub async fn call_raw(&self, op: &str, args: Value, ctx: &UserContext) -> Result<Value> {
        match operation(op).map(|o| o.kind) {
            Some(OperationKind::Recipe) => {
                crate::layers::call_functions(self.functions(), op, args, ctx).await
            }
            Some(OperationKind::Api) => crate::layers::call_apis(self.apis(), op, args, ctx).await,
            Some(OperationKind::Engine) => self.call_engine(op, args, ctx).await,
            None => Err(no_operation(op)),
        }
    }

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

/// The public operation named `name`.
pub fn operation(name: &str) -> Option<&'static OperationInfo> {
    OPERATIONS.iter().find(|o| o.name == name)
}

/// The overridable operation (public or hook) named `name`.
pub fn overridable(name: &str) -> Option<&'static OperationInfo> {
    OVERRIDABLE.iter().find(|o| o.name == name)
}

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
    fn metadata_says_what_is_public_and_what_may_be_omitted() {
        let info = OPERATIONS.iter().find(|o| o.name == "deleteUser").unwrap();
        assert!(info.public);
        assert!(operation("shouldDoAutomaticAccountLinking").is_none());
        assert!(!overridable("onAccountLinked").unwrap().public);
        // Every overridable entry but the hooks is a public operation, and only hooks are not.
        let hooks: Vec<&OperationInfo> = OVERRIDABLE.iter().filter(|o| !o.public).collect();
        assert!(hooks.iter().all(|o| o.envelope == "hook"));
        assert!(hooks.iter().any(|o| o.name == "getUserInfo"));
        assert_eq!(
            OPERATIONS.len(),
            OVERRIDABLE.len() - hooks.len() + ENGINE_OPERATIONS.len()
        );
        assert!(!info.input_may_be_omitted);
        assert!(operation("getUserCount").unwrap().input_may_be_omitted);
        assert!(operation("listAllTenants").unwrap().input_may_be_omitted);
        assert!(operation("listEvents").unwrap().input_may_be_omitted);
        assert!(!operation("signInUp").unwrap().input_may_be_omitted);
        assert_eq!(info.args[1].default, Some("true"));
        assert_eq!(camel_case(info.args[1].name), "removeAllLinkedAccounts");
    }
}
