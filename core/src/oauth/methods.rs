//! The provider methods host code can override (supertokens-node's `TypeProvider`: `getConfigForClientType`,
//! `getAuthorisationRedirectURL`, `exchangeAuthCodeForOAuthTokens`, `getUserInfo`), as their inputs. They are
//! declared with the recipe functions (`crate::ops`), so every binding derives their typed override surface and
//! an override calls `original` as with any other function. One override serves every provider: it reads
//! `config.thirdPartyId` (and `tenantId`) to act for the providers it is meant for.

use serde::{Deserialize, Serialize};

use super::config::{ProviderConfig, ProviderConfigForClientType};
use super::flow::{OAuthTokens, RedirectUriInfo};

/// `getConfigForClientType`'s input: the provider as the tenant offers it (the tenant's own configuration
/// merged over the static one, secrets included) and the client asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetConfigForClientTypeInput {
    pub tenant_id: String,
    pub config: ProviderConfig,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub client_type: Option<String>,
}

/// `getAuthorisationRedirectURL`'s input. `config` is what `getConfigForClientType` gave, after discovery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetAuthorisationRedirectUrlInput {
    pub tenant_id: String,
    pub config: ProviderConfigForClientType,
    #[serde(rename = "redirectURIOnProviderDashboard")]
    pub redirect_uri_on_provider_dashboard: String,
}

/// `exchangeAuthCodeForOAuthTokens`'s input: where the provider sent the user back, with the flow's verifier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExchangeAuthCodeInput {
    pub tenant_id: String,
    pub config: ProviderConfigForClientType,
    #[serde(rename = "redirectURIInfo")]
    pub redirect_uri_info: RedirectUriInfo,
}

/// `getUserInfo`'s input: the provider's tokens and, when one was sent, the nonce the id_token must carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetUserInfoInput {
    pub tenant_id: String,
    pub config: ProviderConfigForClientType,
    #[cfg_attr(
        feature = "schema",
        schemars(with = "serde_json::Map<String, serde_json::Value>")
    )]
    pub o_auth_tokens: OAuthTokens,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub nonce: Option<String>,
}
