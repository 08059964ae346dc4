use serde::{Deserialize, Serialize};

/// A provider account: `(thirdPartyId, thirdPartyUserId)`, compared exactly (spec D2).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase")]
pub struct ThirdPartyInfo {
    pub id: String,
    pub user_id: String,
}

/// The recipe a login method belongs to. authcore implements third party only; the enum keeps the JSON value
/// and makes a future recipe a compile-time change in every binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum RecipeId {
    #[serde(rename = "thirdparty")]
    ThirdParty,
}

impl RecipeId {
    pub fn as_str(&self) -> &'static str {
        match self {
            RecipeId::ThirdParty => "thirdparty",
        }
    }
}

/// One way to sign in: a recipe user (spec §1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase")]
pub struct LoginMethod {
    pub tenant_ids: Vec<String>,
    pub recipe_user_id: String,
    pub verified: bool,
    pub time_joined: i64,
    pub recipe_id: RecipeId,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub phone_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub third_party: Option<ThirdPartyInfo>,
}

impl LoginMethod {
    pub fn has_email(&self, email: &str) -> bool {
        self.email.as_deref() == Some(email)
    }
    pub fn has_third_party(&self, tp: &ThirdPartyInfo) -> bool {
        self.third_party.as_ref() == Some(tp)
    }
    pub fn account_info(&self) -> AccountInfo {
        AccountInfo {
            email: self.email.clone(),
            phone_number: self.phone_number.clone(),
            third_party: self.third_party.clone(),
        }
    }
}

/// A user as callers see it: a standalone recipe user or a primary group (spec §1, §2.5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase")]
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

impl User {
    /// Builds the group view from its login methods, which must already be in timeJoined order.
    pub fn from_login_methods(
        id: String,
        is_primary_user: bool,
        login_methods: Vec<LoginMethod>,
    ) -> User {
        let mut tenant_ids: Vec<String> = login_methods
            .iter()
            .flat_map(|lm| lm.tenant_ids.iter().cloned())
            .collect();
        tenant_ids.sort();
        tenant_ids.dedup();
        let mut emails: Vec<String> = login_methods
            .iter()
            .filter_map(|lm| lm.email.clone())
            .collect();
        emails.sort();
        emails.dedup();
        let mut phone_numbers: Vec<String> = login_methods
            .iter()
            .filter_map(|lm| lm.phone_number.clone())
            .collect();
        phone_numbers.sort();
        phone_numbers.dedup();
        let mut third_party: Vec<ThirdPartyInfo> = login_methods
            .iter()
            .filter_map(|lm| lm.third_party.clone())
            .collect();
        third_party.sort();
        third_party.dedup();
        let time_joined = login_methods
            .iter()
            .map(|lm| lm.time_joined)
            .min()
            .unwrap_or(0);
        User {
            id,
            is_primary_user,
            tenant_ids,
            time_joined,
            emails,
            phone_numbers,
            third_party,
            login_methods,
        }
    }

    pub fn login_method(&self, recipe_user_id: &str) -> Option<&LoginMethod> {
        self.login_methods
            .iter()
            .find(|lm| lm.recipe_user_id == recipe_user_id)
    }

    /// The login method a third-party sign-in on `tenant_id` resolves to: the one holding `tp` whose *own*
    /// tenants contain the tenant (spec D6), falling back to the first holder.
    pub fn third_party_login_method(
        &self,
        tp: &ThirdPartyInfo,
        tenant_id: &str,
    ) -> Option<&LoginMethod> {
        self.login_methods
            .iter()
            .find(|lm| lm.has_third_party(tp) && lm.tenant_ids.iter().any(|t| t == tenant_id))
            .or_else(|| self.login_methods.iter().find(|lm| lm.has_third_party(tp)))
    }
}

/// What identifies an account for lookups and linking (spec §4.9).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase")]
pub struct AccountInfo {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub phone_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub third_party: Option<ThirdPartyInfo>,
}
