//! Users (groups), login methods and the inputs that identify them.
//!
//! The JSON shape is the SuperTokens CDI ≥ 4.0 user (spec §2.5), so code written against supertokens-node's
//! `User` reads ours unchanged. Arrays built from sets in SuperTokens (`emails`, `tenantIds`, …) are emitted
//! sorted here, which is one valid order of an unordered set and makes results deterministic (spec D9).

pub mod email;
pub mod ids;
mod user;

pub use user::{AccountInfo, LoginMethod, RecipeId, ThirdPartyInfo, User};

use serde::{Deserialize, Serialize};

/// The email a provider returned, with its verification claim (required since CDI 4.0, spec S14).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EmailInput {
    pub id: String,
    pub is_verified: bool,
}

/// Input of the core third-party sign-in/up (spec §2.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase")]
pub struct SignInUpInput {
    #[serde(default = "ids::default_tenant")]
    #[cfg_attr(feature = "uniffi", uniffi(default = "public"))]
    pub tenant_id: String,
    pub third_party_id: String,
    pub third_party_user_id: String,
    pub email: EmailInput,
}
