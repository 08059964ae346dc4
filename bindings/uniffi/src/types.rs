//! Records and enums as Kotlin and Swift see them, and their conversions to and from the core's types.
//!
//! Every conversion is an exhaustive `match` or a full struct literal (never `_ =>`, never `..`), so a new core
//! field or variant breaks this crate's build instead of being dropped silently. JSON values of the core
//! (`accessTokenPayload`, an event's message) cross as JSON text in fields whose name ends in `Json`.

use std::collections::HashMap;

use authcore::events as ce;
use authcore::policy as cp;
use authcore::redirect as cr;
use serde_json::Value;

use crate::error::AuthError;

fn json_text(v: &Value) -> String {
    v.to_string()
}

fn parse_json(field: &str, text: &str) -> Result<Value, AuthError> {
    serde_json::from_str(text).map_err(|e| {
        AuthError::from(authcore::AuthError::InvalidInput {
            field: field.to_string(),
            message: format!("not valid JSON: {e}"),
        })
    })
}

// ---------------------------------------------------------------------------------------------------------
// Users

/// A provider account: `(thirdPartyId, thirdPartyUserId)`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ThirdPartyInfo {
    pub id: String,
    pub user_id: String,
}

impl From<authcore::ThirdPartyInfo> for ThirdPartyInfo {
    fn from(t: authcore::ThirdPartyInfo) -> Self {
        let authcore::ThirdPartyInfo { id, user_id } = t;
        ThirdPartyInfo { id, user_id }
    }
}

impl From<ThirdPartyInfo> for authcore::ThirdPartyInfo {
    fn from(t: ThirdPartyInfo) -> Self {
        let ThirdPartyInfo { id, user_id } = t;
        authcore::ThirdPartyInfo { id, user_id }
    }
}

/// The recipe of a login method (`"thirdparty"` in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum RecipeId {
    ThirdParty,
}

impl From<authcore::RecipeId> for RecipeId {
    fn from(r: authcore::RecipeId) -> Self {
        match r {
            authcore::RecipeId::ThirdParty => RecipeId::ThirdParty,
        }
    }
}

impl From<RecipeId> for authcore::RecipeId {
    fn from(r: RecipeId) -> Self {
        match r {
            RecipeId::ThirdParty => authcore::RecipeId::ThirdParty,
        }
    }
}

/// One way to sign in: a recipe user.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LoginMethod {
    pub tenant_ids: Vec<String>,
    pub recipe_user_id: String,
    pub verified: bool,
    pub time_joined: i64,
    pub recipe_id: RecipeId,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub third_party: Option<ThirdPartyInfo>,
}

impl From<authcore::LoginMethod> for LoginMethod {
    fn from(l: authcore::LoginMethod) -> Self {
        let authcore::LoginMethod {
            tenant_ids,
            recipe_user_id,
            verified,
            time_joined,
            recipe_id,
            email,
            phone_number,
            third_party,
        } = l;
        LoginMethod {
            tenant_ids,
            recipe_user_id,
            verified,
            time_joined,
            recipe_id: recipe_id.into(),
            email,
            phone_number,
            third_party: third_party.map(Into::into),
        }
    }
}

impl From<LoginMethod> for authcore::LoginMethod {
    fn from(l: LoginMethod) -> Self {
        let LoginMethod {
            tenant_ids,
            recipe_user_id,
            verified,
            time_joined,
            recipe_id,
            email,
            phone_number,
            third_party,
        } = l;
        authcore::LoginMethod {
            tenant_ids,
            recipe_user_id,
            verified,
            time_joined,
            recipe_id: recipe_id.into(),
            email,
            phone_number,
            third_party: third_party.map(Into::into),
        }
    }
}

/// A user: a standalone recipe user or a primary group (the SuperTokens CDI ≥ 4.0 shape).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct User {
    pub id: String,
    pub is_primary_user: bool,
    pub tenant_ids: Vec<String>,
    pub time_joined: i64,
    pub emails: Vec<String>,
    pub phone_numbers: Vec<String>,
    pub third_party: Vec<ThirdPartyInfo>,
    pub login_methods: Vec<LoginMethod>,
}

impl From<authcore::User> for User {
    fn from(u: authcore::User) -> Self {
        let authcore::User {
            id,
            is_primary_user,
            tenant_ids,
            time_joined,
            emails,
            phone_numbers,
            third_party,
            login_methods,
        } = u;
        User {
            id,
            is_primary_user,
            tenant_ids,
            time_joined,
            emails,
            phone_numbers,
            third_party: third_party.into_iter().map(Into::into).collect(),
            login_methods: login_methods.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<User> for authcore::User {
    fn from(u: User) -> Self {
        let User {
            id,
            is_primary_user,
            tenant_ids,
            time_joined,
            emails,
            phone_numbers,
            third_party,
            login_methods,
        } = u;
        authcore::User {
            id,
            is_primary_user,
            tenant_ids,
            time_joined,
            emails,
            phone_numbers,
            third_party: third_party.into_iter().map(Into::into).collect(),
            login_methods: login_methods.into_iter().map(Into::into).collect(),
        }
    }
}

/// What identifies an account for lookups and linking.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct AccountInfo {
    #[uniffi(default = None)]
    pub email: Option<String>,
    #[uniffi(default = None)]
    pub phone_number: Option<String>,
    #[uniffi(default = None)]
    pub third_party: Option<ThirdPartyInfo>,
}

impl From<authcore::AccountInfo> for AccountInfo {
    fn from(a: authcore::AccountInfo) -> Self {
        let authcore::AccountInfo {
            email,
            phone_number,
            third_party,
        } = a;
        AccountInfo {
            email,
            phone_number,
            third_party: third_party.map(Into::into),
        }
    }
}

impl From<AccountInfo> for authcore::AccountInfo {
    fn from(a: AccountInfo) -> Self {
        let AccountInfo {
            email,
            phone_number,
            third_party,
        } = a;
        authcore::AccountInfo {
            email,
            phone_number,
            third_party: third_party.map(Into::into),
        }
    }
}

/// The email a provider returned, with its verification claim.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct EmailInput {
    pub id: String,
    pub is_verified: bool,
}

impl From<authcore::EmailInput> for EmailInput {
    fn from(e: authcore::EmailInput) -> Self {
        let authcore::EmailInput { id, is_verified } = e;
        EmailInput { id, is_verified }
    }
}

impl From<EmailInput> for authcore::EmailInput {
    fn from(e: EmailInput) -> Self {
        let EmailInput { id, is_verified } = e;
        authcore::EmailInput { id, is_verified }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Sign-in/up and linking

/// Input of `signInUp` and `manuallyCreateOrUpdateUser`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SignInUpInput {
    #[uniffi(default = "public")]
    pub tenant_id: String,
    pub third_party_id: String,
    pub third_party_user_id: String,
    pub email: EmailInput,
}

impl From<authcore::SignInUpInput> for SignInUpInput {
    fn from(i: authcore::SignInUpInput) -> Self {
        let authcore::SignInUpInput {
            tenant_id,
            third_party_id,
            third_party_user_id,
            email,
        } = i;
        SignInUpInput {
            tenant_id,
            third_party_id,
            third_party_user_id,
            email: email.into(),
        }
    }
}

impl From<SignInUpInput> for authcore::SignInUpInput {
    fn from(i: SignInUpInput) -> Self {
        let SignInUpInput {
            tenant_id,
            third_party_id,
            third_party_user_id,
            email,
        } = i;
        authcore::SignInUpInput {
            tenant_id,
            third_party_id,
            third_party_user_id,
            email: email.into(),
        }
    }
}

/// Result of the core `signInUp` (status `OK` or `EMAIL_CHANGE_NOT_ALLOWED_ERROR`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum SignInUpResult {
    Ok {
        created_new_user: bool,
        user: User,
        recipe_user_id: String,
    },
    EmailChangeNotAllowedError {
        reason: String,
    },
}

impl From<authcore::SignInUpResult> for SignInUpResult {
    fn from(r: authcore::SignInUpResult) -> Self {
        match r {
            authcore::SignInUpResult::Ok {
                created_new_user,
                user,
                recipe_user_id,
            } => SignInUpResult::Ok {
                created_new_user,
                user: user.into(),
                recipe_user_id,
            },
            authcore::SignInUpResult::EmailChangeNotAllowedError { reason } => {
                SignInUpResult::EmailChangeNotAllowedError { reason }
            }
        }
    }
}

impl From<SignInUpResult> for authcore::SignInUpResult {
    fn from(r: SignInUpResult) -> Self {
        match r {
            SignInUpResult::Ok {
                created_new_user,
                user,
                recipe_user_id,
            } => authcore::SignInUpResult::Ok {
                created_new_user,
                user: user.into(),
                recipe_user_id,
            },
            SignInUpResult::EmailChangeNotAllowedError { reason } => {
                authcore::SignInUpResult::EmailChangeNotAllowedError { reason }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LinkingOutcome {
    AlreadyPrimary,
    BecamePrimary,
    Linked,
    NotLinked,
}

impl From<cp::LinkingOutcome> for LinkingOutcome {
    fn from(o: cp::LinkingOutcome) -> Self {
        match o {
            cp::LinkingOutcome::AlreadyPrimary => LinkingOutcome::AlreadyPrimary,
            cp::LinkingOutcome::BecamePrimary => LinkingOutcome::BecamePrimary,
            cp::LinkingOutcome::Linked => LinkingOutcome::Linked,
            cp::LinkingOutcome::NotLinked => LinkingOutcome::NotLinked,
        }
    }
}

impl From<LinkingOutcome> for cp::LinkingOutcome {
    fn from(o: LinkingOutcome) -> Self {
        match o {
            LinkingOutcome::AlreadyPrimary => cp::LinkingOutcome::AlreadyPrimary,
            LinkingOutcome::BecamePrimary => cp::LinkingOutcome::BecamePrimary,
            LinkingOutcome::Linked => cp::LinkingOutcome::Linked,
            LinkingOutcome::NotLinked => cp::LinkingOutcome::NotLinked,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LinkingReason {
    AlreadyPrimary,
    VerifiedEmailMatch,
    VerificationNotRequired,
    NoPrimaryUserWithSameAccountInfo,
    AutomaticLinkingDisabled,
    EmailNotVerified,
    PrimaryEmailNotVerified,
    AccountInfoConflict,
}

impl From<cp::LinkingReason> for LinkingReason {
    fn from(r: cp::LinkingReason) -> Self {
        match r {
            cp::LinkingReason::AlreadyPrimary => LinkingReason::AlreadyPrimary,
            cp::LinkingReason::VerifiedEmailMatch => LinkingReason::VerifiedEmailMatch,
            cp::LinkingReason::VerificationNotRequired => LinkingReason::VerificationNotRequired,
            cp::LinkingReason::NoPrimaryUserWithSameAccountInfo => {
                LinkingReason::NoPrimaryUserWithSameAccountInfo
            }
            cp::LinkingReason::AutomaticLinkingDisabled => LinkingReason::AutomaticLinkingDisabled,
            cp::LinkingReason::EmailNotVerified => LinkingReason::EmailNotVerified,
            cp::LinkingReason::PrimaryEmailNotVerified => LinkingReason::PrimaryEmailNotVerified,
            cp::LinkingReason::AccountInfoConflict => LinkingReason::AccountInfoConflict,
        }
    }
}

impl From<LinkingReason> for cp::LinkingReason {
    fn from(r: LinkingReason) -> Self {
        match r {
            LinkingReason::AlreadyPrimary => cp::LinkingReason::AlreadyPrimary,
            LinkingReason::VerifiedEmailMatch => cp::LinkingReason::VerifiedEmailMatch,
            LinkingReason::VerificationNotRequired => cp::LinkingReason::VerificationNotRequired,
            LinkingReason::NoPrimaryUserWithSameAccountInfo => {
                cp::LinkingReason::NoPrimaryUserWithSameAccountInfo
            }
            LinkingReason::AutomaticLinkingDisabled => cp::LinkingReason::AutomaticLinkingDisabled,
            LinkingReason::EmailNotVerified => cp::LinkingReason::EmailNotVerified,
            LinkingReason::PrimaryEmailNotVerified => cp::LinkingReason::PrimaryEmailNotVerified,
            LinkingReason::AccountInfoConflict => cp::LinkingReason::AccountInfoConflict,
        }
    }
}

/// What automatic linking did, and why.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LinkingExplanation {
    pub outcome: LinkingOutcome,
    pub reason: LinkingReason,
    #[uniffi(default = None)]
    pub primary_user_id: Option<String>,
}

impl From<cp::LinkingExplanation> for LinkingExplanation {
    fn from(l: cp::LinkingExplanation) -> Self {
        let cp::LinkingExplanation {
            outcome,
            reason,
            primary_user_id,
        } = l;
        LinkingExplanation {
            outcome: outcome.into(),
            reason: reason.into(),
            primary_user_id,
        }
    }
}

impl From<LinkingExplanation> for cp::LinkingExplanation {
    fn from(l: LinkingExplanation) -> Self {
        let LinkingExplanation {
            outcome,
            reason,
            primary_user_id,
        } = l;
        cp::LinkingExplanation {
            outcome: outcome.into(),
            reason: reason.into(),
            primary_user_id,
        }
    }
}

/// Result of `manuallyCreateOrUpdateUser` (the policy layer).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum ManuallyCreateOrUpdateUserResult {
    Ok {
        created_new_recipe_user: bool,
        user: User,
        recipe_user_id: String,
        linking: LinkingExplanation,
    },
    EmailChangeNotAllowedError {
        reason: String,
    },
    SignInUpNotAllowed {
        reason: String,
    },
}

impl From<authcore::ManuallyCreateOrUpdateUserResult> for ManuallyCreateOrUpdateUserResult {
    fn from(r: authcore::ManuallyCreateOrUpdateUserResult) -> Self {
        use authcore::ManuallyCreateOrUpdateUserResult as C;
        match r {
            C::Ok {
                created_new_recipe_user,
                user,
                recipe_user_id,
                linking,
            } => ManuallyCreateOrUpdateUserResult::Ok {
                created_new_recipe_user,
                user: user.into(),
                recipe_user_id,
                linking: linking.into(),
            },
            C::EmailChangeNotAllowedError { reason } => {
                ManuallyCreateOrUpdateUserResult::EmailChangeNotAllowedError { reason }
            }
            C::SignInUpNotAllowed { reason } => {
                ManuallyCreateOrUpdateUserResult::SignInUpNotAllowed { reason }
            }
        }
    }
}

impl From<ManuallyCreateOrUpdateUserResult> for authcore::ManuallyCreateOrUpdateUserResult {
    fn from(r: ManuallyCreateOrUpdateUserResult) -> Self {
        use authcore::ManuallyCreateOrUpdateUserResult as C;
        match r {
            ManuallyCreateOrUpdateUserResult::Ok {
                created_new_recipe_user,
                user,
                recipe_user_id,
                linking,
            } => C::Ok {
                created_new_recipe_user,
                user: user.into(),
                recipe_user_id,
                linking: linking.into(),
            },
            ManuallyCreateOrUpdateUserResult::EmailChangeNotAllowedError { reason } => {
                C::EmailChangeNotAllowedError { reason }
            }
            ManuallyCreateOrUpdateUserResult::SignInUpNotAllowed { reason } => {
                C::SignInUpNotAllowed { reason }
            }
        }
    }
}

/// The account being signed in or up, as `shouldDoAutomaticAccountLinking` sees it (flat, like its JSON).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NewAccountInfo {
    pub recipe_id: RecipeId,
    #[uniffi(default = None)]
    pub email: Option<String>,
    #[uniffi(default = None)]
    pub phone_number: Option<String>,
    #[uniffi(default = None)]
    pub third_party: Option<ThirdPartyInfo>,
    /// Absent before sign-up created the recipe user.
    #[uniffi(default = None)]
    pub recipe_user_id: Option<String>,
}

impl From<cp::NewAccountInfo> for NewAccountInfo {
    fn from(n: cp::NewAccountInfo) -> Self {
        let cp::NewAccountInfo {
            recipe_id,
            account_info:
                authcore::AccountInfo {
                    email,
                    phone_number,
                    third_party,
                },
            recipe_user_id,
        } = n;
        NewAccountInfo {
            recipe_id: recipe_id.into(),
            email,
            phone_number,
            third_party: third_party.map(Into::into),
            recipe_user_id,
        }
    }
}

impl From<NewAccountInfo> for cp::NewAccountInfo {
    fn from(n: NewAccountInfo) -> Self {
        let NewAccountInfo {
            recipe_id,
            email,
            phone_number,
            third_party,
            recipe_user_id,
        } = n;
        cp::NewAccountInfo {
            recipe_id: recipe_id.into(),
            account_info: authcore::AccountInfo {
                email,
                phone_number,
                third_party: third_party.map(Into::into),
            },
            recipe_user_id,
        }
    }
}

/// The answer of `shouldDoAutomaticAccountLinking`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct ShouldAutomaticallyLink {
    pub should_automatically_link: bool,
    /// Ignored when `shouldAutomaticallyLink` is false.
    #[uniffi(default = true)]
    pub should_require_verification: bool,
}

impl From<cp::ShouldAutomaticallyLink> for ShouldAutomaticallyLink {
    fn from(s: cp::ShouldAutomaticallyLink) -> Self {
        let cp::ShouldAutomaticallyLink {
            should_automatically_link,
            should_require_verification,
        } = s;
        ShouldAutomaticallyLink {
            should_automatically_link,
            should_require_verification,
        }
    }
}

impl From<ShouldAutomaticallyLink> for cp::ShouldAutomaticallyLink {
    fn from(s: ShouldAutomaticallyLink) -> Self {
        let ShouldAutomaticallyLink {
            should_automatically_link,
            should_require_verification,
        } = s;
        cp::ShouldAutomaticallyLink {
            should_automatically_link,
            should_require_verification,
        }
    }
}

/// Result of `createPrimaryUser` / `canCreatePrimaryUser` (`user` is absent for the latter).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum CreatePrimaryUserResult {
    Ok {
        was_already_a_primary_user: bool,
        user: Option<User>,
    },
    RecipeUserIdAlreadyLinkedWithPrimaryUserIdError {
        primary_user_id: String,
        description: String,
    },
    AccountInfoAlreadyAssociatedWithAnotherPrimaryUserIdError {
        primary_user_id: String,
        description: String,
    },
}

impl From<authcore::CreatePrimaryUserResult> for CreatePrimaryUserResult {
    fn from(r: authcore::CreatePrimaryUserResult) -> Self {
        use authcore::CreatePrimaryUserResult as C;
        match r {
            C::Ok {
                was_already_a_primary_user,
                user,
            } => CreatePrimaryUserResult::Ok {
                was_already_a_primary_user,
                user: user.map(Into::into),
            },
            C::RecipeUserIdAlreadyLinkedWithPrimaryUserIdError {
                primary_user_id,
                description,
            } => CreatePrimaryUserResult::RecipeUserIdAlreadyLinkedWithPrimaryUserIdError {
                primary_user_id,
                description,
            },
            C::AccountInfoAlreadyAssociatedWithAnotherPrimaryUserIdError {
                primary_user_id,
                description,
            } => {
                CreatePrimaryUserResult::AccountInfoAlreadyAssociatedWithAnotherPrimaryUserIdError {
                    primary_user_id,
                    description,
                }
            }
        }
    }
}

impl From<CreatePrimaryUserResult> for authcore::CreatePrimaryUserResult {
    fn from(r: CreatePrimaryUserResult) -> Self {
        use authcore::CreatePrimaryUserResult as C;
        match r {
            CreatePrimaryUserResult::Ok {
                was_already_a_primary_user,
                user,
            } => C::Ok {
                was_already_a_primary_user,
                user: user.map(Into::into),
            },
            CreatePrimaryUserResult::RecipeUserIdAlreadyLinkedWithPrimaryUserIdError {
                primary_user_id,
                description,
            } => C::RecipeUserIdAlreadyLinkedWithPrimaryUserIdError {
                primary_user_id,
                description,
            },
            CreatePrimaryUserResult::AccountInfoAlreadyAssociatedWithAnotherPrimaryUserIdError {
                primary_user_id,
                description,
            } => C::AccountInfoAlreadyAssociatedWithAnotherPrimaryUserIdError {
                primary_user_id,
                description,
            },
        }
    }
}

/// Result of `linkAccounts` / `canLinkAccounts` (`user` is absent for the latter).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum LinkAccountsResult {
    Ok {
        accounts_already_linked: bool,
        user: Option<User>,
    },
    RecipeUserIdAlreadyLinkedWithAnotherPrimaryUserIdError {
        primary_user_id: String,
        description: String,
        user: Option<User>,
    },
    AccountInfoAlreadyAssociatedWithAnotherPrimaryUserIdError {
        primary_user_id: String,
        description: String,
    },
    InputUserIsNotAPrimaryUser,
}

impl From<authcore::LinkAccountsResult> for LinkAccountsResult {
    fn from(r: authcore::LinkAccountsResult) -> Self {
        use authcore::LinkAccountsResult as C;
        match r {
            C::Ok {
                accounts_already_linked,
                user,
            } => LinkAccountsResult::Ok {
                accounts_already_linked,
                user: user.map(Into::into),
            },
            C::RecipeUserIdAlreadyLinkedWithAnotherPrimaryUserIdError {
                primary_user_id,
                description,
                user,
            } => LinkAccountsResult::RecipeUserIdAlreadyLinkedWithAnotherPrimaryUserIdError {
                primary_user_id,
                description,
                user: user.map(Into::into),
            },
            C::AccountInfoAlreadyAssociatedWithAnotherPrimaryUserIdError {
                primary_user_id,
                description,
            } => LinkAccountsResult::AccountInfoAlreadyAssociatedWithAnotherPrimaryUserIdError {
                primary_user_id,
                description,
            },
            C::InputUserIsNotAPrimaryUser => LinkAccountsResult::InputUserIsNotAPrimaryUser,
        }
    }
}

impl From<LinkAccountsResult> for authcore::LinkAccountsResult {
    fn from(r: LinkAccountsResult) -> Self {
        use authcore::LinkAccountsResult as C;
        match r {
            LinkAccountsResult::Ok {
                accounts_already_linked,
                user,
            } => C::Ok {
                accounts_already_linked,
                user: user.map(Into::into),
            },
            LinkAccountsResult::RecipeUserIdAlreadyLinkedWithAnotherPrimaryUserIdError {
                primary_user_id,
                description,
                user,
            } => C::RecipeUserIdAlreadyLinkedWithAnotherPrimaryUserIdError {
                primary_user_id,
                description,
                user: user.map(Into::into),
            },
            LinkAccountsResult::AccountInfoAlreadyAssociatedWithAnotherPrimaryUserIdError {
                primary_user_id,
                description,
            } => C::AccountInfoAlreadyAssociatedWithAnotherPrimaryUserIdError {
                primary_user_id,
                description,
            },
            LinkAccountsResult::InputUserIsNotAPrimaryUser => C::InputUserIsNotAPrimaryUser,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum UnlinkAccountResult {
    Ok {
        was_recipe_user_deleted: bool,
        was_linked: bool,
    },
}

impl From<authcore::UnlinkAccountResult> for UnlinkAccountResult {
    fn from(r: authcore::UnlinkAccountResult) -> Self {
        match r {
            authcore::UnlinkAccountResult::Ok {
                was_recipe_user_deleted,
                was_linked,
            } => UnlinkAccountResult::Ok {
                was_recipe_user_deleted,
                was_linked,
            },
        }
    }
}

impl From<UnlinkAccountResult> for authcore::UnlinkAccountResult {
    fn from(r: UnlinkAccountResult) -> Self {
        match r {
            UnlinkAccountResult::Ok {
                was_recipe_user_deleted,
                was_linked,
            } => authcore::UnlinkAccountResult::Ok {
                was_recipe_user_deleted,
                was_linked,
            },
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Listing and email verification

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, uniffi::Enum)]
pub enum TimeJoinedOrder {
    #[default]
    Asc,
    Desc,
}

impl From<authcore::TimeJoinedOrder> for TimeJoinedOrder {
    fn from(o: authcore::TimeJoinedOrder) -> Self {
        match o {
            authcore::TimeJoinedOrder::Asc => TimeJoinedOrder::Asc,
            authcore::TimeJoinedOrder::Desc => TimeJoinedOrder::Desc,
        }
    }
}

impl From<TimeJoinedOrder> for authcore::TimeJoinedOrder {
    fn from(o: TimeJoinedOrder) -> Self {
        match o {
            TimeJoinedOrder::Asc => authcore::TimeJoinedOrder::Asc,
            TimeJoinedOrder::Desc => authcore::TimeJoinedOrder::Desc,
        }
    }
}

/// Input of `getUsers`: a page of users, oldest first unless `DESC`.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct GetUsersInput {
    #[uniffi(default = None)]
    pub tenant_id: Option<String>,
    /// 1..=500, default 100.
    #[uniffi(default = None)]
    pub limit: Option<u32>,
    #[uniffi(default = None)]
    pub pagination_token: Option<String>,
    /// Absent: `ASC`.
    #[uniffi(default = None)]
    pub time_joined_order: Option<TimeJoinedOrder>,
}

impl From<authcore::GetUsersInput> for GetUsersInput {
    fn from(i: authcore::GetUsersInput) -> Self {
        let authcore::GetUsersInput {
            tenant_id,
            limit,
            pagination_token,
            time_joined_order,
        } = i;
        GetUsersInput {
            tenant_id,
            limit: limit.map(|l| u32::try_from(l).unwrap_or(u32::MAX)),
            pagination_token,
            time_joined_order: Some(time_joined_order.into()),
        }
    }
}

impl From<GetUsersInput> for authcore::GetUsersInput {
    fn from(i: GetUsersInput) -> Self {
        let GetUsersInput {
            tenant_id,
            limit,
            pagination_token,
            time_joined_order,
        } = i;
        authcore::GetUsersInput {
            tenant_id,
            limit: limit.map(|l| l as usize),
            pagination_token,
            time_joined_order: time_joined_order.map(Into::into).unwrap_or_default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct GetUsersResult {
    pub users: Vec<User>,
    #[uniffi(default = None)]
    pub next_pagination_token: Option<String>,
}

impl From<authcore::GetUsersResult> for GetUsersResult {
    fn from(r: authcore::GetUsersResult) -> Self {
        let authcore::GetUsersResult {
            users,
            next_pagination_token,
        } = r;
        GetUsersResult {
            users: users.into_iter().map(Into::into).collect(),
            next_pagination_token,
        }
    }
}

impl From<GetUsersResult> for authcore::GetUsersResult {
    fn from(r: GetUsersResult) -> Self {
        let GetUsersResult {
            users,
            next_pagination_token,
        } = r;
        authcore::GetUsersResult {
            users: users.into_iter().map(Into::into).collect(),
            next_pagination_token,
        }
    }
}

/// Input of `verifyEmail`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct VerifyEmailInput {
    pub recipe_user_id: String,
    /// Default: the login method's email.
    #[uniffi(default = None)]
    pub email: Option<String>,
    /// Run automatic linking afterwards, like the SDK's `verifyEmailUsingToken`.
    #[uniffi(default = true)]
    pub attempt_account_linking: bool,
}

impl From<authcore::VerifyEmailInput> for VerifyEmailInput {
    fn from(i: authcore::VerifyEmailInput) -> Self {
        let authcore::VerifyEmailInput {
            recipe_user_id,
            email,
            attempt_account_linking,
        } = i;
        VerifyEmailInput {
            recipe_user_id,
            email,
            attempt_account_linking,
        }
    }
}

impl From<VerifyEmailInput> for authcore::VerifyEmailInput {
    fn from(i: VerifyEmailInput) -> Self {
        let VerifyEmailInput {
            recipe_user_id,
            email,
            attempt_account_linking,
        } = i;
        authcore::VerifyEmailInput {
            recipe_user_id,
            email,
            attempt_account_linking,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum VerifyEmailResult {
    Ok { user: Option<User> },
}

impl From<authcore::VerifyEmailResult> for VerifyEmailResult {
    fn from(r: authcore::VerifyEmailResult) -> Self {
        match r {
            authcore::VerifyEmailResult::Ok { user } => VerifyEmailResult::Ok {
                user: user.map(Into::into),
            },
        }
    }
}

impl From<VerifyEmailResult> for authcore::VerifyEmailResult {
    fn from(r: VerifyEmailResult) -> Self {
        match r {
            VerifyEmailResult::Ok { user } => authcore::VerifyEmailResult::Ok {
                user: user.map(Into::into),
            },
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Tenants

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TenantProvider {
    pub third_party_id: String,
}

impl From<authcore::TenantProvider> for TenantProvider {
    fn from(p: authcore::TenantProvider) -> Self {
        let authcore::TenantProvider { third_party_id } = p;
        TenantProvider { third_party_id }
    }
}

impl From<TenantProvider> for authcore::TenantProvider {
    fn from(p: TenantProvider) -> Self {
        let TenantProvider { third_party_id } = p;
        authcore::TenantProvider { third_party_id }
    }
}

/// How `createOrUpdateTenant` changes a tenant's first factors (`null` in JSON = `AllFactors`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum FirstFactorsInput {
    /// Every factor is a valid first factor.
    AllFactors,
    /// Only these.
    Only { factors: Vec<String> },
}

/// A partial tenant update: absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct TenantConfigInput {
    #[uniffi(default = None)]
    pub third_party_enabled: Option<bool>,
    #[uniffi(default = None)]
    pub first_factors: Option<FirstFactorsInput>,
    #[uniffi(default = None)]
    pub providers: Option<Vec<TenantProvider>>,
}

impl From<authcore::TenantConfigInput> for TenantConfigInput {
    fn from(c: authcore::TenantConfigInput) -> Self {
        let authcore::TenantConfigInput {
            third_party_enabled,
            first_factors,
            providers,
        } = c;
        TenantConfigInput {
            third_party_enabled,
            first_factors: first_factors.map(|f| match f {
                None => FirstFactorsInput::AllFactors,
                Some(factors) => FirstFactorsInput::Only { factors },
            }),
            providers: providers.map(|p| p.into_iter().map(Into::into).collect()),
        }
    }
}

impl From<TenantConfigInput> for authcore::TenantConfigInput {
    fn from(c: TenantConfigInput) -> Self {
        let TenantConfigInput {
            third_party_enabled,
            first_factors,
            providers,
        } = c;
        authcore::TenantConfigInput {
            third_party_enabled,
            first_factors: first_factors.map(|f| match f {
                FirstFactorsInput::AllFactors => None,
                FirstFactorsInput::Only { factors } => Some(factors),
            }),
            providers: providers.map(|p| p.into_iter().map(Into::into).collect()),
        }
    }
}

/// A tenant (flat, like its JSON).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Tenant {
    pub tenant_id: String,
    pub third_party_enabled: bool,
    /// Absent: every factor is a valid first factor.
    pub first_factors: Option<Vec<String>>,
    pub providers: Vec<TenantProvider>,
}

impl From<authcore::Tenant> for Tenant {
    fn from(t: authcore::Tenant) -> Self {
        let authcore::Tenant {
            tenant_id,
            config:
                authcore::TenantConfig {
                    third_party_enabled,
                    first_factors,
                    providers,
                },
        } = t;
        Tenant {
            tenant_id,
            third_party_enabled,
            first_factors,
            providers: providers.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<Tenant> for authcore::Tenant {
    fn from(t: Tenant) -> Self {
        let Tenant {
            tenant_id,
            third_party_enabled,
            first_factors,
            providers,
        } = t;
        authcore::Tenant {
            tenant_id,
            config: authcore::TenantConfig {
                third_party_enabled,
                first_factors,
                providers: providers.into_iter().map(Into::into).collect(),
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum CreateOrUpdateTenantResult {
    Ok { created_new: bool },
}

impl From<authcore::CreateOrUpdateTenantResult> for CreateOrUpdateTenantResult {
    fn from(r: authcore::CreateOrUpdateTenantResult) -> Self {
        match r {
            authcore::CreateOrUpdateTenantResult::Ok { created_new } => {
                CreateOrUpdateTenantResult::Ok { created_new }
            }
        }
    }
}

impl From<CreateOrUpdateTenantResult> for authcore::CreateOrUpdateTenantResult {
    fn from(r: CreateOrUpdateTenantResult) -> Self {
        match r {
            CreateOrUpdateTenantResult::Ok { created_new } => {
                authcore::CreateOrUpdateTenantResult::Ok { created_new }
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum DeleteTenantResult {
    Ok { did_exist: bool },
}

impl From<authcore::DeleteTenantResult> for DeleteTenantResult {
    fn from(r: authcore::DeleteTenantResult) -> Self {
        match r {
            authcore::DeleteTenantResult::Ok { did_exist } => DeleteTenantResult::Ok { did_exist },
        }
    }
}

impl From<DeleteTenantResult> for authcore::DeleteTenantResult {
    fn from(r: DeleteTenantResult) -> Self {
        match r {
            DeleteTenantResult::Ok { did_exist } => authcore::DeleteTenantResult::Ok { did_exist },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum AssociateUserToTenantResult {
    Ok { was_already_associated: bool },
    UnknownUserIdError,
    ThirdPartyUserAlreadyExistsError,
    AssociationNotAllowedError { reason: String },
}

impl From<authcore::AssociateUserToTenantResult> for AssociateUserToTenantResult {
    fn from(r: authcore::AssociateUserToTenantResult) -> Self {
        use authcore::AssociateUserToTenantResult as C;
        match r {
            C::Ok {
                was_already_associated,
            } => AssociateUserToTenantResult::Ok {
                was_already_associated,
            },
            C::UnknownUserIdError => AssociateUserToTenantResult::UnknownUserIdError,
            C::ThirdPartyUserAlreadyExistsError => {
                AssociateUserToTenantResult::ThirdPartyUserAlreadyExistsError
            }
            C::AssociationNotAllowedError { reason } => {
                AssociateUserToTenantResult::AssociationNotAllowedError { reason }
            }
        }
    }
}

impl From<AssociateUserToTenantResult> for authcore::AssociateUserToTenantResult {
    fn from(r: AssociateUserToTenantResult) -> Self {
        use authcore::AssociateUserToTenantResult as C;
        match r {
            AssociateUserToTenantResult::Ok {
                was_already_associated,
            } => C::Ok {
                was_already_associated,
            },
            AssociateUserToTenantResult::UnknownUserIdError => C::UnknownUserIdError,
            AssociateUserToTenantResult::ThirdPartyUserAlreadyExistsError => {
                C::ThirdPartyUserAlreadyExistsError
            }
            AssociateUserToTenantResult::AssociationNotAllowedError { reason } => {
                C::AssociationNotAllowedError { reason }
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum DisassociateUserFromTenantResult {
    Ok { was_associated: bool },
    UnknownUserIdError,
}

impl From<authcore::DisassociateUserFromTenantResult> for DisassociateUserFromTenantResult {
    fn from(r: authcore::DisassociateUserFromTenantResult) -> Self {
        use authcore::DisassociateUserFromTenantResult as C;
        match r {
            C::Ok { was_associated } => DisassociateUserFromTenantResult::Ok { was_associated },
            C::UnknownUserIdError => DisassociateUserFromTenantResult::UnknownUserIdError,
        }
    }
}

impl From<DisassociateUserFromTenantResult> for authcore::DisassociateUserFromTenantResult {
    fn from(r: DisassociateUserFromTenantResult) -> Self {
        use authcore::DisassociateUserFromTenantResult as C;
        match r {
            DisassociateUserFromTenantResult::Ok { was_associated } => C::Ok { was_associated },
            DisassociateUserFromTenantResult::UnknownUserIdError => C::UnknownUserIdError,
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Sessions

/// A session. `accessTokenPayloadJson` is the payload as JSON text.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Session {
    pub session_handle: String,
    /// The primary user id at creation time.
    pub user_id: String,
    pub recipe_user_id: String,
    pub tenant_id: String,
    pub access_token_payload_json: String,
    pub time_created: i64,
    pub expiry: i64,
}

impl From<authcore::Session> for Session {
    fn from(s: authcore::Session) -> Self {
        let authcore::Session {
            session_handle,
            user_id,
            recipe_user_id,
            tenant_id,
            access_token_payload,
            time_created,
            expiry,
        } = s;
        Session {
            session_handle,
            user_id,
            recipe_user_id,
            tenant_id,
            access_token_payload_json: json_text(&access_token_payload),
            time_created,
            expiry,
        }
    }
}

impl TryFrom<Session> for authcore::Session {
    type Error = AuthError;
    fn try_from(s: Session) -> Result<Self, AuthError> {
        let Session {
            session_handle,
            user_id,
            recipe_user_id,
            tenant_id,
            access_token_payload_json,
            time_created,
            expiry,
        } = s;
        Ok(authcore::Session {
            session_handle,
            user_id,
            recipe_user_id,
            tenant_id,
            access_token_payload: parse_json("accessTokenPayloadJson", &access_token_payload_json)?,
            time_created,
            expiry,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum CreateNewSessionResult {
    Ok {
        session: Session,
        access_token: String,
    },
}

impl From<authcore::CreateNewSessionResult> for CreateNewSessionResult {
    fn from(r: authcore::CreateNewSessionResult) -> Self {
        match r {
            authcore::CreateNewSessionResult::Ok {
                session,
                access_token,
            } => CreateNewSessionResult::Ok {
                session: session.into(),
                access_token,
            },
        }
    }
}

impl TryFrom<CreateNewSessionResult> for authcore::CreateNewSessionResult {
    type Error = AuthError;
    fn try_from(r: CreateNewSessionResult) -> Result<Self, AuthError> {
        Ok(match r {
            CreateNewSessionResult::Ok {
                session,
                access_token,
            } => authcore::CreateNewSessionResult::Ok {
                session: session.try_into()?,
                access_token,
            },
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum GetSessionResult {
    Ok {
        session: Session,
    },
    /// Unknown, malformed, revoked or expired token.
    Unauthorised,
}

impl From<authcore::GetSessionResult> for GetSessionResult {
    fn from(r: authcore::GetSessionResult) -> Self {
        match r {
            authcore::GetSessionResult::Ok { session } => GetSessionResult::Ok {
                session: session.into(),
            },
            authcore::GetSessionResult::Unauthorised => GetSessionResult::Unauthorised,
        }
    }
}

impl TryFrom<GetSessionResult> for authcore::GetSessionResult {
    type Error = AuthError;
    fn try_from(r: GetSessionResult) -> Result<Self, AuthError> {
        Ok(match r {
            GetSessionResult::Ok { session } => authcore::GetSessionResult::Ok {
                session: session.try_into()?,
            },
            GetSessionResult::Unauthorised => authcore::GetSessionResult::Unauthorised,
        })
    }
}

// ---------------------------------------------------------------------------------------------------------
// The API layer

/// What the provider said about the user.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ProviderUserInfo {
    pub third_party_user_id: String,
    #[uniffi(default = None)]
    pub email: Option<EmailInput>,
}

impl From<authcore::ProviderUserInfo> for ProviderUserInfo {
    fn from(p: authcore::ProviderUserInfo) -> Self {
        let authcore::ProviderUserInfo {
            third_party_user_id,
            email,
        } = p;
        ProviderUserInfo {
            third_party_user_id,
            email: email.map(Into::into),
        }
    }
}

impl From<ProviderUserInfo> for authcore::ProviderUserInfo {
    fn from(p: ProviderUserInfo) -> Self {
        let ProviderUserInfo {
            third_party_user_id,
            email,
        } = p;
        authcore::ProviderUserInfo {
            third_party_user_id,
            email: email.map(Into::into),
        }
    }
}

/// Input of `signInUpPOST`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SignInUpPostInput {
    #[uniffi(default = "public")]
    pub tenant_id: String,
    pub third_party_id: String,
    pub user_info: ProviderUserInfo,
    /// When false and the provider gave no email, a stable fake email is used.
    #[uniffi(default = true)]
    pub require_email: bool,
    /// Where the user wanted to go; validated before use.
    #[uniffi(default = None)]
    pub redirect_to_path: Option<String>,
    /// The caller's current access token; used only for session linking, never to skip a sign-in.
    #[uniffi(default = None)]
    pub existing_access_token: Option<String>,
    /// `true`: link the signed-in account to the session's user (a valid session of this tenant is required).
    #[uniffi(default = None)]
    pub should_try_linking_with_session_user: Option<bool>,
}

impl From<authcore::SignInUpPostInput> for SignInUpPostInput {
    fn from(i: authcore::SignInUpPostInput) -> Self {
        let authcore::SignInUpPostInput {
            tenant_id,
            third_party_id,
            user_info,
            require_email,
            redirect_to_path,
            existing_access_token,
            should_try_linking_with_session_user,
        } = i;
        SignInUpPostInput {
            tenant_id,
            third_party_id,
            user_info: user_info.into(),
            require_email,
            redirect_to_path,
            existing_access_token,
            should_try_linking_with_session_user,
        }
    }
}

impl From<SignInUpPostInput> for authcore::SignInUpPostInput {
    fn from(i: SignInUpPostInput) -> Self {
        let SignInUpPostInput {
            tenant_id,
            third_party_id,
            user_info,
            require_email,
            redirect_to_path,
            existing_access_token,
            should_try_linking_with_session_user,
        } = i;
        authcore::SignInUpPostInput {
            tenant_id,
            third_party_id,
            user_info: user_info.into(),
            require_email,
            redirect_to_path,
            existing_access_token,
            should_try_linking_with_session_user,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum RedirectAction {
    Success,
}

impl From<cr::RedirectAction> for RedirectAction {
    fn from(a: cr::RedirectAction) -> Self {
        match a {
            cr::RedirectAction::Success => RedirectAction::Success,
        }
    }
}

impl From<RedirectAction> for cr::RedirectAction {
    fn from(a: RedirectAction) -> Self {
        match a {
            RedirectAction::Success => cr::RedirectAction::Success,
        }
    }
}

/// What `getRedirectionURL` is asked about.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RedirectContext {
    pub action: RedirectAction,
    pub is_new_user: bool,
    #[uniffi(default = None)]
    pub redirect_to_path: Option<String>,
    pub tenant_id: String,
    pub user_id: String,
}

impl From<cr::RedirectContext> for RedirectContext {
    fn from(c: cr::RedirectContext) -> Self {
        let cr::RedirectContext {
            action,
            is_new_user,
            redirect_to_path,
            tenant_id,
            user_id,
        } = c;
        RedirectContext {
            action: action.into(),
            is_new_user,
            redirect_to_path,
            tenant_id,
            user_id,
        }
    }
}

impl From<RedirectContext> for cr::RedirectContext {
    fn from(c: RedirectContext) -> Self {
        let RedirectContext {
            action,
            is_new_user,
            redirect_to_path,
            tenant_id,
            user_id,
        } = c;
        cr::RedirectContext {
            action: action.into(),
            is_new_user,
            redirect_to_path,
            tenant_id,
            user_id,
        }
    }
}

/// The validated redirect decision.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RedirectDecision {
    pub action: RedirectAction,
    pub url: String,
    pub is_new_user: bool,
    #[uniffi(default = None)]
    pub redirect_to_path: Option<String>,
    /// True when the requested or overridden target was refused and the default path used instead.
    pub fell_back: bool,
}

impl From<cr::RedirectDecision> for RedirectDecision {
    fn from(d: cr::RedirectDecision) -> Self {
        let cr::RedirectDecision {
            action,
            url,
            is_new_user,
            redirect_to_path,
            fell_back,
        } = d;
        RedirectDecision {
            action: action.into(),
            url,
            is_new_user,
            redirect_to_path,
            fell_back,
        }
    }
}

impl From<RedirectDecision> for cr::RedirectDecision {
    fn from(d: RedirectDecision) -> Self {
        let RedirectDecision {
            action,
            url,
            is_new_user,
            redirect_to_path,
            fell_back,
        } = d;
        cr::RedirectDecision {
            action: action.into(),
            url,
            is_new_user,
            redirect_to_path,
            fell_back,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
#[allow(clippy::large_enum_variant)]
pub enum SignInUpPostResult {
    Ok {
        created_new_recipe_user: bool,
        user: User,
        session: Session,
        access_token: String,
        redirect: RedirectDecision,
    },
    SignInUpNotAllowed {
        reason: String,
    },
    NoEmailGivenByProvider,
}

impl From<authcore::SignInUpPostResult> for SignInUpPostResult {
    fn from(r: authcore::SignInUpPostResult) -> Self {
        use authcore::SignInUpPostResult as C;
        match r {
            C::Ok {
                created_new_recipe_user,
                user,
                session,
                access_token,
                redirect,
            } => SignInUpPostResult::Ok {
                created_new_recipe_user,
                user: user.into(),
                session: session.into(),
                access_token,
                redirect: redirect.into(),
            },
            C::SignInUpNotAllowed { reason } => SignInUpPostResult::SignInUpNotAllowed { reason },
            C::NoEmailGivenByProvider => SignInUpPostResult::NoEmailGivenByProvider,
        }
    }
}

impl TryFrom<SignInUpPostResult> for authcore::SignInUpPostResult {
    type Error = AuthError;
    fn try_from(r: SignInUpPostResult) -> Result<Self, AuthError> {
        use authcore::SignInUpPostResult as C;
        Ok(match r {
            SignInUpPostResult::Ok {
                created_new_recipe_user,
                user,
                session,
                access_token,
                redirect,
            } => C::Ok {
                created_new_recipe_user,
                user: user.into(),
                session: session.try_into()?,
                access_token,
                redirect: redirect.into(),
            },
            SignInUpPostResult::SignInUpNotAllowed { reason } => C::SignInUpNotAllowed { reason },
            SignInUpPostResult::NoEmailGivenByProvider => C::NoEmailGivenByProvider,
        })
    }
}

// ---------------------------------------------------------------------------------------------------------
// Events

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum EventName {
    SignIn,
    SignOut,
    CreateUser,
    UpdateUser,
    LinkAccount,
    UnlinkAccount,
    DeleteUser,
    Session,
    AddUserToTenant,
    RemoveUserFromTenant,
}

impl From<ce::EventName> for EventName {
    fn from(n: ce::EventName) -> Self {
        match n {
            ce::EventName::SignIn => EventName::SignIn,
            ce::EventName::SignOut => EventName::SignOut,
            ce::EventName::CreateUser => EventName::CreateUser,
            ce::EventName::UpdateUser => EventName::UpdateUser,
            ce::EventName::LinkAccount => EventName::LinkAccount,
            ce::EventName::UnlinkAccount => EventName::UnlinkAccount,
            ce::EventName::DeleteUser => EventName::DeleteUser,
            ce::EventName::Session => EventName::Session,
            ce::EventName::AddUserToTenant => EventName::AddUserToTenant,
            ce::EventName::RemoveUserFromTenant => EventName::RemoveUserFromTenant,
        }
    }
}

impl From<EventName> for ce::EventName {
    fn from(n: EventName) -> Self {
        match n {
            EventName::SignIn => ce::EventName::SignIn,
            EventName::SignOut => ce::EventName::SignOut,
            EventName::CreateUser => ce::EventName::CreateUser,
            EventName::UpdateUser => ce::EventName::UpdateUser,
            EventName::LinkAccount => ce::EventName::LinkAccount,
            EventName::UnlinkAccount => ce::EventName::UnlinkAccount,
            EventName::DeleteUser => ce::EventName::DeleteUser,
            EventName::Session => ce::EventName::Session,
            EventName::AddUserToTenant => ce::EventName::AddUserToTenant,
            EventName::RemoveUserFromTenant => ce::EventName::RemoveUserFromTenant,
        }
    }
}

/// The event's name as it appears in JSON and in the audit log (`"createUser"`).
#[uniffi::export]
pub fn event_name_string(name: EventName) -> String {
    ce::EventName::from(name).as_str().to_string()
}

/// An auth event: envelope fields plus the kind's message fields as JSON text (`messageJson`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Event {
    /// Stable across redeliveries: use it for idempotency.
    pub id: String,
    pub name: EventName,
    pub time: i64,
    pub tenant_id: Option<String>,
    pub user_id: Option<String>,
    /// The message fields (`user`, `isNewUser`, `changes`, ...) as one JSON object.
    pub message_json: String,
}

impl From<&ce::Event> for Event {
    fn from(e: &ce::Event) -> Self {
        // `seq` is internal to the core (outbox position) and private to it.
        Event {
            id: e.id.clone(),
            name: e.name.into(),
            time: e.time,
            tenant_id: e.tenant_id.clone(),
            user_id: e.user_id.clone(),
            message_json: Value::Object(e.message.clone()).to_string(),
        }
    }
}

/// An outbox record as the audit log shows it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AuditRecord {
    pub event: Event,
    pub delivered_at: Option<i64>,
    pub attempts: i64,
    pub last_error: Option<String>,
}

impl From<ce::AuditRecord> for AuditRecord {
    fn from(r: ce::AuditRecord) -> Self {
        let ce::AuditRecord {
            event,
            delivered_at,
            attempts,
            last_error,
        } = r;
        AuditRecord {
            event: (&event).into(),
            delivered_at,
            attempts,
            last_error,
        }
    }
}

/// Audit-log query.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct ListEventsInput {
    #[uniffi(default = None)]
    pub user_id: Option<String>,
    #[uniffi(default = None)]
    pub tenant_id: Option<String>,
    #[uniffi(default = None)]
    pub since: Option<i64>,
    #[uniffi(default = None)]
    pub until: Option<i64>,
    #[uniffi(default = None)]
    pub limit: Option<u32>,
    #[uniffi(default = None)]
    pub pagination_token: Option<String>,
}

impl From<ListEventsInput> for ce::ListEventsInput {
    fn from(i: ListEventsInput) -> Self {
        let ListEventsInput {
            user_id,
            tenant_id,
            since,
            until,
            limit,
            pagination_token,
        } = i;
        ce::ListEventsInput {
            user_id,
            tenant_id,
            since,
            until,
            limit: limit.map(|l| l as usize),
            pagination_token,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ListEventsResult {
    pub events: Vec<AuditRecord>,
    pub next_pagination_token: Option<String>,
}

impl From<ce::ListEventsResult> for ListEventsResult {
    fn from(r: ce::ListEventsResult) -> Self {
        let ce::ListEventsResult {
            events,
            next_pagination_token,
        } = r;
        ListEventsResult {
            events: events.into_iter().map(Into::into).collect(),
            next_pagination_token,
        }
    }
}

/// Outcome of a redelivery sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct DeliveryReport {
    pub delivered: u64,
    pub failed: u64,
}

impl From<ce::DeliveryReport> for DeliveryReport {
    fn from(r: ce::DeliveryReport) -> Self {
        let ce::DeliveryReport { delivered, failed } = r;
        DeliveryReport {
            delivered: delivered as u64,
            failed: failed as u64,
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Configuration

/// A static provider (spec §5.4).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ProviderConfig {
    pub third_party_id: String,
    #[uniffi(default = false)]
    pub include_in_non_public_tenants_by_default: bool,
}

impl From<ProviderConfig> for authcore::ProviderConfig {
    fn from(p: ProviderConfig) -> Self {
        let ProviderConfig {
            third_party_id,
            include_in_non_public_tenants_by_default,
        } = p;
        authcore::ProviderConfig {
            third_party_id,
            include_in_non_public_tenants_by_default,
        }
    }
}

/// A per-tenant or per-provider override of the linking policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct LinkingRule {
    #[uniffi(default = None)]
    pub should_automatically_link: Option<bool>,
    #[uniffi(default = None)]
    pub should_require_verification: Option<bool>,
}

impl From<LinkingRule> for cp::LinkingRule {
    fn from(r: LinkingRule) -> Self {
        let LinkingRule {
            should_automatically_link,
            should_require_verification,
        } = r;
        cp::LinkingRule {
            should_automatically_link,
            should_require_verification,
        }
    }
}

/// The built-in automatic-linking policy. Default: no automatic linking (ALD).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AccountLinkingConfig {
    #[uniffi(default = false)]
    pub should_automatically_link: bool,
    #[uniffi(default = true)]
    pub should_require_verification: bool,
    #[uniffi(default)]
    pub tenants: HashMap<String, LinkingRule>,
    #[uniffi(default)]
    pub providers: HashMap<String, LinkingRule>,
}

impl Default for AccountLinkingConfig {
    fn default() -> Self {
        AccountLinkingConfig {
            should_automatically_link: false,
            should_require_verification: true,
            tenants: HashMap::new(),
            providers: HashMap::new(),
        }
    }
}

impl From<AccountLinkingConfig> for cp::AccountLinkingConfig {
    fn from(c: AccountLinkingConfig) -> Self {
        let AccountLinkingConfig {
            should_automatically_link,
            should_require_verification,
            tenants,
            providers,
        } = c;
        cp::AccountLinkingConfig {
            should_automatically_link,
            should_require_verification,
            tenants: tenants.into_iter().map(|(k, v)| (k, v.into())).collect(),
            providers: providers.into_iter().map(|(k, v)| (k, v.into())).collect(),
        }
    }
}

/// Event settings.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct EventsConfig {
    /// Off: no outbox rows and no handler calls.
    #[uniffi(default = true)]
    pub enabled: bool,
    /// Delivered events older than this are deleted from the audit log on open. 0 keeps them forever.
    #[uniffi(default = 90)]
    pub retention_days: u32,
}

impl Default for EventsConfig {
    fn default() -> Self {
        EventsConfig {
            enabled: true,
            retention_days: 90,
        }
    }
}

impl From<EventsConfig> for ce::EventsConfig {
    fn from(c: EventsConfig) -> Self {
        let EventsConfig {
            enabled,
            retention_days,
        } = c;
        ce::EventsConfig {
            enabled,
            retention_days,
        }
    }
}

/// Redirect settings.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RedirectConfig {
    /// Origins (`https://app.example.com`) absolute redirect URLs may point to.
    #[uniffi(default)]
    pub allowed_origins: Vec<String>,
    /// Where to go when nothing valid was asked for.
    #[uniffi(default = "/")]
    pub default_path: String,
}

impl Default for RedirectConfig {
    fn default() -> Self {
        RedirectConfig {
            allowed_origins: Vec::new(),
            default_path: "/".to_string(),
        }
    }
}

impl From<RedirectConfig> for cr::RedirectConfig {
    fn from(c: RedirectConfig) -> Self {
        let RedirectConfig {
            allowed_origins,
            default_path,
        } = c;
        cr::RedirectConfig {
            allowed_origins,
            default_path,
        }
    }
}

/// Engine configuration. Every field has a default: `AuthCoreConfig()` is a valid configuration.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AuthCoreConfig {
    /// Static providers. Absent: any provider id is accepted on any tenant.
    #[uniffi(default = None)]
    pub providers: Option<Vec<ProviderConfig>>,
    #[uniffi(default)]
    pub account_linking: AccountLinkingConfig,
    /// Default 30 days.
    #[uniffi(default = 2592000000)]
    pub session_lifetime_ms: i64,
    #[uniffi(default)]
    pub events: EventsConfig,
    #[uniffi(default)]
    pub redirect: RedirectConfig,
    /// Longest one call into Kotlin/Swift host code may take, else `HostTimeout`; 0: no limit.
    #[uniffi(default = 30000)]
    pub host_timeout_ms: u64,
}

impl Default for AuthCoreConfig {
    fn default() -> Self {
        AuthCoreConfig {
            providers: None,
            account_linking: AccountLinkingConfig::default(),
            session_lifetime_ms: 30 * 24 * 3600 * 1000,
            events: EventsConfig::default(),
            redirect: RedirectConfig::default(),
            host_timeout_ms: authcore::host::DEFAULT_HOST_TIMEOUT_MS,
        }
    }
}

impl From<AuthCoreConfig> for authcore::AuthCoreConfig {
    fn from(c: AuthCoreConfig) -> Self {
        let AuthCoreConfig {
            providers,
            account_linking,
            session_lifetime_ms,
            events,
            redirect,
            host_timeout_ms,
        } = c;
        authcore::AuthCoreConfig {
            providers: providers.map(|p| p.into_iter().map(Into::into).collect()),
            account_linking: account_linking.into(),
            session_lifetime_ms,
            events: events.into(),
            redirect: redirect.into(),
            host_timeout_ms,
        }
    }
}
