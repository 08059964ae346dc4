//! The Python methods of the operation table, written once and stamped onto the sync client, the asyncio client
//! and the `original` objects (each with its own dispatch: block, `future_into_py`, or whichever fits the
//! caller). pyo3 allows one `#[pymethods]` block per class, so each class's other methods come in as `extra`.

/// `op_methods!(Class, dispatch, { extra methods }, <op list>)`: one `#[pymethods]` block.
macro_rules! op_methods {
    (
        $class:ident, $dispatch:ident, { $($extra:tt)* },
        $(
            $(#[doc = $doc:literal])*
            fn $name:ident ( $($arg:ident : $ty:ty $(= $def:tt)?),* $(,)? ) => $build:expr;
        )*
    ) => {
        #[pymethods]
        impl $class {
            $($extra)*
            $(
                $(#[doc = $doc])*
                #[pyo3(signature = (*, $($arg $(= $def)?,)* user_context = None))]
                #[allow(clippy::too_many_arguments)]
                fn $name(
                    &self,
                    py: Python<'_>,
                    $($arg: $ty,)*
                    user_context: Option<&Bound<'_, PyAny>>,
                ) -> PyResult<Py<PyAny>> {
                    let call = $crate::ops::build(move || Ok($build));
                    self.$dispatch(py, call, user_context)
                }
            )*
        }
    };
}

/// Appends the recipe functions to a macro call: `with_recipe_ops!(mac!(args) rest)`.
macro_rules! with_recipe_ops {
    ($mac:ident ! ( $($args:tt)* ) $($rest:tt)*) => {
        $mac!(
            $($args)* $($rest)*
            /// Core third-party sign-in/up (no linking). `email={"id": ..., "is_verified": ...}`; `tenant_id` None is
            /// the public tenant.
            fn sign_in_up(
                third_party_id: String,
                third_party_user_id: String,
                email: &Bound<'_, PyAny>,
                tenant_id: Option<String> = None,
            ) => Call::SignInUp(SignInUpInput {
                tenant_id: tenant_or_public(tenant_id),
                third_party_id,
                third_party_user_id,
                email: parse_arg("email", email)?,
            });
            /// Sign-in/up with the account-linking policy.
            fn manually_create_or_update_user(
                third_party_id: String,
                third_party_user_id: String,
                email: &Bound<'_, PyAny>,
                tenant_id: Option<String> = None,
            ) => Call::ManuallyCreateOrUpdateUser(SignInUpInput {
                tenant_id: tenant_or_public(tenant_id),
                third_party_id,
                third_party_user_id,
                email: parse_arg("email", email)?,
            });
            /// The automatic-linking decision for an account.
            fn should_do_automatic_account_linking(
                new_account_info: &Bound<'_, PyAny>,
                tenant_id: String,
                user: Option<&Bound<'_, PyAny>> = None,
                session: Option<&Bound<'_, PyAny>> = None,
            ) => Call::ShouldDoAutomaticAccountLinking {
                new_account_info: parse_arg("newAccountInfo", new_account_info)?,
                user: parse_opt("user", user)?,
                session: parse_opt("session", session)?,
                tenant_id,
            };
            /// Called after a link that happened (default: nothing).
            fn on_account_linked(user: &Bound<'_, PyAny>, new_account: &Bound<'_, PyAny>) =>
                Call::OnAccountLinked {
                    user: parse_arg("user", user)?,
                    new_account: parse_arg("newAccount", new_account)?,
                };
            fn create_primary_user(recipe_user_id: String) => Call::CreatePrimaryUser(recipe_user_id);
            fn can_create_primary_user(recipe_user_id: String) =>
                Call::CanCreatePrimaryUser(recipe_user_id);
            fn link_accounts(recipe_user_id: String, primary_user_id: String) =>
                Call::LinkAccounts(recipe_user_id, primary_user_id);
            fn can_link_accounts(recipe_user_id: String, primary_user_id: String) =>
                Call::CanLinkAccounts(recipe_user_id, primary_user_id);
            fn unlink_account(recipe_user_id: String) => Call::UnlinkAccount(recipe_user_id);
            /// Returns None.
            fn delete_user(user_id: String, remove_all_linked_accounts: bool = true) =>
                Call::DeleteUser(user_id, remove_all_linked_accounts);
            /// The user (any member id or the primary id), or None.
            fn get_user(user_id: String) => Call::GetUser(user_id);
            /// `account_info={"email": ..., "third_party": {"id": ..., "user_id": ...}}`; a list of users.
            fn list_users_by_account_info(
                tenant_id: String,
                account_info: &Bound<'_, PyAny>,
                do_union_of_account_info: bool = false,
            ) => Call::ListUsersByAccountInfo {
                tenant_id,
                account_info: parse_arg("accountInfo", account_info)?,
                do_union_of_account_info,
            };
            /// A page of users: `users`, `next_pagination_token` (absent on the last page).
            fn get_users(
                tenant_id: Option<String> = None,
                limit: Option<usize> = None,
                pagination_token: Option<String> = None,
                time_joined_order: Option<String> = None,
            ) => Call::GetUsers(GetUsersInput {
                tenant_id,
                limit,
                pagination_token,
                time_joined_order: crate::ops::time_joined_order(time_joined_order.as_deref())?,
            });
            /// Returns a bool.
            fn is_email_verified(recipe_user_id: String, email: Option<String> = None) =>
                Call::IsEmailVerified(recipe_user_id, email);
            fn verify_email(
                recipe_user_id: String,
                email: Option<String> = None,
                attempt_account_linking: bool = true,
            ) => Call::VerifyEmail(VerifyEmailInput {
                recipe_user_id,
                email,
                attempt_account_linking,
            });
            /// Returns None.
            fn unverify_email(recipe_user_id: String, email: Option<String> = None) =>
                Call::UnverifyEmail(recipe_user_id, email);
            /// `config={"first_factors": [...], "third_party_enabled": ..., "providers": [...]}` (partial update).
            fn create_or_update_tenant(tenant_id: String, config: Option<&Bound<'_, PyAny>> = None) =>
                Call::CreateOrUpdateTenant(
                    tenant_id,
                    parse_opt("config", config)?.unwrap_or_default(),
                );
            fn delete_tenant(tenant_id: String) => Call::DeleteTenant(tenant_id);
            /// The tenant, or None.
            fn get_tenant(tenant_id: String) => Call::GetTenant(tenant_id);
            /// A list of tenants, sorted by id.
            fn list_all_tenants() => Call::ListAllTenants;
            fn associate_user_to_tenant(tenant_id: String, recipe_user_id: String) =>
                Call::AssociateUserToTenant(tenant_id, recipe_user_id);
            fn disassociate_user_from_tenant(tenant_id: String, recipe_user_id: String) =>
                Call::DisassociateUserFromTenant(tenant_id, recipe_user_id);
            fn create_new_session(
                tenant_id: String,
                recipe_user_id: String,
                access_token_payload: Option<&Bound<'_, PyAny>> = None,
            ) => Call::CreateNewSession {
                tenant_id,
                recipe_user_id,
                access_token_payload: payload(access_token_payload)?,
            };
            fn get_session(
                access_token: String,
                tenant_id: Option<String> = None,
                any_tenant: bool = false,
            ) => Call::GetSession(GetSessionInput {
                access_token,
                tenant_id,
                any_tenant,
            });
            /// Returns whether a session was revoked.
            fn revoke_session(session_handle: String) => Call::RevokeSession(session_handle);
            /// Returns the revoked session handles.
            fn revoke_all_sessions_for_user(
                user_id: String,
                revoke_sessions_for_linked_accounts: bool = true,
            ) => Call::RevokeAllSessionsForUser(user_id, revoke_sessions_for_linked_accounts);
            /// Returns the session handles.
            fn get_all_session_handles_for_user(
                user_id: String,
                fetch_sessions_for_all_linked_accounts: bool = true,
            ) => Call::GetAllSessionHandlesForUser(user_id, fetch_sessions_for_all_linked_accounts);
        );
    };
}

/// Appends the API functions to a macro call.
macro_rules! with_api_ops {
    ($mac:ident ! ( $($args:tt)* ) $($rest:tt)*) => {
        $mac!(
            $($args)* $($rest)*
            /// The sign-in/up API: `user_info={"third_party_user_id": ..., "email": {...}}`.
            fn sign_in_up_post(
                third_party_id: String,
                user_info: &Bound<'_, PyAny>,
                tenant_id: Option<String> = None,
                require_email: bool = true,
                redirect_to_path: Option<String> = None,
                existing_access_token: Option<String> = None,
                should_try_linking_with_session_user: Option<bool> = None,
            ) => Call::SignInUpPost(SignInUpPostInput {
                tenant_id: tenant_or_public(tenant_id),
                third_party_id,
                user_info: parse_arg("userInfo", user_info)?,
                require_email,
                redirect_to_path,
                existing_access_token,
                should_try_linking_with_session_user,
            });
            /// Where to send the user (None: the default path); validated by the core afterwards.
            fn get_redirection_url(context: &Bound<'_, PyAny>) =>
                Call::GetRedirectionUrl(parse_arg("context", context)?);
        );
    };
}
