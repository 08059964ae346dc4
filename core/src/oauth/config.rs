//! Provider configuration, in supertokens-node's ThirdParty shapes (camelCase JSON, the same in every
//! language), and its resolution into the one configuration a sign-in uses: the provider's settings, one
//! client of it, and the built-in defaults for its id prefix ([`super::builtin`]).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::builtin;
use crate::error::{AuthError, Result};

/// One client of a provider (web, iOS, Android… each has its own id).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProviderClientConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub client_type: Option<String>,
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub client_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub scope: Option<Vec<String>>,
    #[serde(default, rename = "forcePKCE", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub force_pkce: Option<bool>,
    /// Provider-specific settings: Apple's `keyId`, `teamId`, `privateKey` (PKCS#8 PEM; the client secret is
    /// minted from them when `clientSecret` is unset); Google Workspaces' `hd`; Active Directory's `directoryId`;
    /// Okta's `oktaDomain`; GitLab's `gitlabBaseUrl`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    #[cfg_attr(feature = "schema", schemars(with = "Option<Map<String, Value>>"))]
    pub additional_config: Option<Map<String, Value>>,
}

/// A client secret or private key never reaches a log: `Debug` shows only whether one is set.
impl std::fmt::Debug for ProviderClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderClientConfig")
            .field("client_type", &self.client_type)
            .field("client_id", &self.client_id)
            .field("has_client_secret", &self.client_secret.is_some())
            .field("scope", &self.scope)
            .field("force_pkce", &self.force_pkce)
            .finish_non_exhaustive()
    }
}

/// Where the user id, email and verification are read from (dotted paths into the id_token's payload and the
/// user info answer). The id_token's value wins when both have one, as in supertokens-node.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserInfoMap {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub from_id_token_payload: Option<UserFields>,
    #[serde(
        default,
        rename = "fromUserInfoAPI",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub from_user_info_api: Option<UserFields>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub email_verified: Option<String>,
}

/// The id_token checks beyond signature and audience; each can be switched off for a provider that cannot
/// pass it (authcore's own setting: supertokens-node has none of these checks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IdTokenChecks {
    #[serde(default = "yes")]
    #[cfg_attr(feature = "uniffi", uniffi(default = true))]
    pub issuer: bool,
    #[serde(default = "yes")]
    #[cfg_attr(feature = "uniffi", uniffi(default = true))]
    pub azp: bool,
    #[serde(default = "yes")]
    #[cfg_attr(feature = "uniffi", uniffi(default = true))]
    pub nonce: bool,
    /// `exp`, `nbf` and `iat`.
    #[serde(default = "yes")]
    #[cfg_attr(feature = "uniffi", uniffi(default = true))]
    pub times: bool,
    #[serde(default = "default_leeway")]
    #[cfg_attr(feature = "uniffi", uniffi(default = 60))]
    pub leeway_seconds: u32,
    /// Signature algorithms accepted; default RS256, PS256, ES256, EdDSA. Only asymmetric ones exist here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub algorithms: Option<Vec<String>>,
}

fn yes() -> bool {
    true
}
fn default_leeway() -> u32 {
    60
}

impl Default for IdTokenChecks {
    fn default() -> Self {
        IdTokenChecks {
            issuer: true,
            azp: true,
            nonce: true,
            times: true,
            leeway_seconds: default_leeway(),
            algorithms: None,
        }
    }
}

/// A provider in the engine's configuration (spec §5.4): supertokens-node's `ProviderInput.config` with
/// `includeInNonPublicTenantsByDefault` beside it. Only `thirdPartyId` is required: a built-in id prefix
/// (`google`, `github`, …) fills the endpoints; a provider given without clients can be signed in with only
/// through user info the host obtained itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase")]
pub struct ProviderConfig {
    pub third_party_id: String,
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub include_in_non_public_tenants_by_default: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub clients: Vec<ProviderClientConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub authorization_endpoint: Option<String>,
    /// Added to the authorisation URL; a `null` value removes a parameter the flow would send.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    #[cfg_attr(feature = "schema", schemars(with = "Option<Map<String, Value>>"))]
    pub authorization_endpoint_query_params: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub token_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    #[cfg_attr(feature = "schema", schemars(with = "Option<Map<String, Value>>"))]
    pub token_endpoint_body_params: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub user_info_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    #[cfg_attr(feature = "schema", schemars(with = "Option<Map<String, Value>>"))]
    pub user_info_endpoint_query_params: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    #[cfg_attr(feature = "schema", schemars(with = "Option<Map<String, Value>>"))]
    pub user_info_endpoint_headers: Option<Map<String, Value>>,
    #[serde(default, rename = "jwksURI", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub jwks_uri: Option<String>,
    /// The OpenID Connect discovery document (`/.well-known/openid-configuration` is appended when missing);
    /// what it gives fills the endpoints not set here, and its `issuer` is what id_tokens must carry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub oidc_discovery_endpoint: Option<String>,
    /// The issuer id_tokens must carry when there is no discovery document to say it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub issuer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub user_info_map: Option<UserInfoMap>,
    /// `false`: a provider answer without an email signs in with a stable fake email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub require_email: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub id_token_checks: Option<IdTokenChecks>,
}

impl ProviderConfig {
    /// A provider known only by its id (no client: sign-in only with user info the host obtained).
    pub fn named(third_party_id: impl Into<String>) -> Self {
        ProviderConfig {
            third_party_id: third_party_id.into(),
            include_in_non_public_tenants_by_default: false,
            name: None,
            clients: Vec::new(),
            authorization_endpoint: None,
            authorization_endpoint_query_params: None,
            token_endpoint: None,
            token_endpoint_body_params: None,
            user_info_endpoint: None,
            user_info_endpoint_query_params: None,
            user_info_endpoint_headers: None,
            jwks_uri: None,
            oidc_discovery_endpoint: None,
            issuer: None,
            user_info_map: None,
            require_email: None,
            id_token_checks: None,
        }
    }
}

/// The configuration one sign-in uses: the provider's settings with one of its clients, built-in defaults
/// applied (supertokens-node's `ProviderConfigForClientType`). Host overrides of the provider methods receive
/// and may return it. Its `Debug` form leaves the secret out.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase")]
pub struct ProviderConfigForClientType {
    pub third_party_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub client_type: Option<String>,
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub client_secret: Option<String>,
    /// Every client id of the provider: an id_token for any of them is accepted (web, iOS, Android).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub all_client_ids: Vec<String>,
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub scope: Vec<String>,
    #[serde(default, rename = "forcePKCE")]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub force_pkce: bool,
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[cfg_attr(feature = "schema", schemars(with = "Map<String, Value>"))]
    pub additional_config: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub authorization_endpoint: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[cfg_attr(feature = "schema", schemars(with = "Map<String, Value>"))]
    pub authorization_endpoint_query_params: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub token_endpoint: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[cfg_attr(feature = "schema", schemars(with = "Map<String, Value>"))]
    pub token_endpoint_body_params: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub user_info_endpoint: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[cfg_attr(feature = "schema", schemars(with = "Map<String, Value>"))]
    pub user_info_endpoint_query_params: Map<String, Value>,
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    #[cfg_attr(feature = "schema", schemars(with = "Map<String, Value>"))]
    pub user_info_endpoint_headers: Map<String, Value>,
    #[serde(default, rename = "jwksURI", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub jwks_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub oidc_discovery_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub issuer: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub user_info_map: UserInfoMap,
    #[serde(default = "yes")]
    #[cfg_attr(feature = "uniffi", uniffi(default = true))]
    pub require_email: bool,
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub id_token_checks: IdTokenChecks,
    /// The provider accepts PKCE (S256) even from a client with a secret.
    #[serde(default, rename = "supportsPKCE")]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub supports_pkce: bool,
}

impl std::fmt::Debug for ProviderConfigForClientType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderConfigForClientType")
            .field("third_party_id", &self.third_party_id)
            .field("client_type", &self.client_type)
            .field("client_id", &self.client_id)
            .field("has_client_secret", &self.client_secret.is_some())
            .finish_non_exhaustive()
    }
}

fn merge(base: &mut Map<String, Value>, over: &Option<Map<String, Value>>) {
    if let Some(over) = over {
        for (k, v) in over {
            base.insert(k.clone(), v.clone());
        }
    }
}

fn pick(over: &Option<String>, base: Option<String>) -> Option<String> {
    over.clone().or(base)
}

/// `over`'s paths where it has them, `base`'s elsewhere.
fn overlay_fields(over: Option<UserFields>, base: UserFields) -> UserFields {
    let over = over.unwrap_or_default();
    UserFields {
        user_id: over.user_id.or(base.user_id),
        email: over.email.or(base.email),
        email_verified: over.email_verified.or(base.email_verified),
    }
}

/// A tenant's own provider over the static provider of the same id (supertokens-node's `mergeConfig`): what the
/// tenant sets wins, the user info map merges path by path, and a tenant client replaces the static client of
/// its `clientType` (or joins the list).
pub fn merge_tenant_over_static(
    statik: &ProviderConfig,
    tenant: &ProviderConfig,
) -> ProviderConfig {
    let mut clients = statik.clients.clone();
    for c in &tenant.clients {
        match clients.iter_mut().find(|s| s.client_type == c.client_type) {
            Some(slot) => *slot = c.clone(),
            None => clients.push(c.clone()),
        }
    }
    let maps = (statik.user_info_map.clone(), tenant.user_info_map.clone());
    let user_info_map = match maps {
        (None, None) => None,
        (base, over) => {
            let (base, over) = (base.unwrap_or_default(), over.unwrap_or_default());
            Some(UserInfoMap {
                from_id_token_payload: Some(overlay_fields(
                    over.from_id_token_payload,
                    base.from_id_token_payload.unwrap_or_default(),
                )),
                from_user_info_api: Some(overlay_fields(
                    over.from_user_info_api,
                    base.from_user_info_api.unwrap_or_default(),
                )),
            })
        }
    };
    let or = |t: &Option<String>, s: &Option<String>| t.clone().or_else(|| s.clone());
    let or_map = |t: &Option<Map<String, Value>>, s: &Option<Map<String, Value>>| {
        t.clone().or_else(|| s.clone())
    };
    ProviderConfig {
        third_party_id: tenant.third_party_id.clone(),
        include_in_non_public_tenants_by_default: statik.include_in_non_public_tenants_by_default,
        name: or(&tenant.name, &statik.name),
        clients,
        authorization_endpoint: or(
            &tenant.authorization_endpoint,
            &statik.authorization_endpoint,
        ),
        authorization_endpoint_query_params: or_map(
            &tenant.authorization_endpoint_query_params,
            &statik.authorization_endpoint_query_params,
        ),
        token_endpoint: or(&tenant.token_endpoint, &statik.token_endpoint),
        token_endpoint_body_params: or_map(
            &tenant.token_endpoint_body_params,
            &statik.token_endpoint_body_params,
        ),
        user_info_endpoint: or(&tenant.user_info_endpoint, &statik.user_info_endpoint),
        user_info_endpoint_query_params: or_map(
            &tenant.user_info_endpoint_query_params,
            &statik.user_info_endpoint_query_params,
        ),
        user_info_endpoint_headers: or_map(
            &tenant.user_info_endpoint_headers,
            &statik.user_info_endpoint_headers,
        ),
        jwks_uri: or(&tenant.jwks_uri, &statik.jwks_uri),
        oidc_discovery_endpoint: or(
            &tenant.oidc_discovery_endpoint,
            &statik.oidc_discovery_endpoint,
        ),
        issuer: or(&tenant.issuer, &statik.issuer),
        user_info_map,
        require_email: tenant.require_email.or(statik.require_email),
        id_token_checks: tenant
            .id_token_checks
            .clone()
            .or_else(|| statik.id_token_checks.clone()),
    }
}

/// Resolves `provider` for one client: `client_type` names it, or the provider has exactly one client.
pub fn for_client_type(
    provider: &ProviderConfig,
    client_type: Option<&str>,
) -> Result<ProviderConfigForClientType> {
    let invalid = |m: String| AuthError::invalid("clientType", m);
    let client = match client_type {
        Some(t) => provider
            .clients
            .iter()
            .find(|c| c.client_type.as_deref() == Some(t))
            .ok_or_else(|| {
                invalid(format!(
                    "provider '{}' has no client of type '{t}'",
                    provider.third_party_id
                ))
            })?,
        None => match provider.clients.as_slice() {
            [only] => only,
            [] => {
                return Err(AuthError::invalid(
                    "thirdPartyId",
                    format!(
                        "provider '{}' has no client configured",
                        provider.third_party_id
                    ),
                ))
            }
            _ => {
                return Err(invalid(format!(
                    "provider '{}' has several clients: say which clientType",
                    provider.third_party_id
                )))
            }
        },
    };
    let defaults = builtin::defaults(&provider.third_party_id, client);
    let mut auth_params = defaults.authorization_endpoint_query_params;
    merge(
        &mut auth_params,
        &provider.authorization_endpoint_query_params,
    );
    let mut token_params = defaults.token_endpoint_body_params;
    merge(&mut token_params, &provider.token_endpoint_body_params);
    let mut user_info_query = defaults.user_info_endpoint_query_params;
    merge(
        &mut user_info_query,
        &provider.user_info_endpoint_query_params,
    );
    let mut user_info_headers = defaults.user_info_endpoint_headers;
    merge(&mut user_info_headers, &provider.user_info_endpoint_headers);
    let map = provider.user_info_map.clone().unwrap_or_default();
    let base_map = defaults.user_info_map;
    Ok(ProviderConfigForClientType {
        third_party_id: provider.third_party_id.clone(),
        name: pick(&provider.name, defaults.name),
        client_type: client.client_type.clone(),
        client_id: client.client_id.clone(),
        client_secret: client.client_secret.clone(),
        all_client_ids: provider
            .clients
            .iter()
            .map(|c| c.client_id.clone())
            .collect(),
        // A custom OpenID provider asks for what sign-in needs unless the client says otherwise.
        scope: client.scope.clone().unwrap_or_else(|| {
            if defaults.scope.is_empty() && provider.oidc_discovery_endpoint.is_some() {
                vec!["openid".into(), "email".into()]
            } else {
                defaults.scope
            }
        }),
        force_pkce: client.force_pkce.unwrap_or(defaults.force_pkce),
        additional_config: client.additional_config.clone().unwrap_or_default(),
        authorization_endpoint: pick(
            &provider.authorization_endpoint,
            defaults.authorization_endpoint,
        ),
        authorization_endpoint_query_params: auth_params,
        token_endpoint: pick(&provider.token_endpoint, defaults.token_endpoint),
        token_endpoint_body_params: token_params,
        user_info_endpoint: pick(&provider.user_info_endpoint, defaults.user_info_endpoint),
        user_info_endpoint_query_params: user_info_query,
        user_info_endpoint_headers: user_info_headers,
        jwks_uri: pick(&provider.jwks_uri, defaults.jwks_uri),
        oidc_discovery_endpoint: pick(
            &provider.oidc_discovery_endpoint,
            defaults.oidc_discovery_endpoint,
        ),
        issuer: pick(&provider.issuer, defaults.issuer),
        user_info_map: UserInfoMap {
            from_id_token_payload: Some(overlay_fields(
                map.from_id_token_payload,
                base_map.from_id_token_payload.unwrap_or_default(),
            )),
            from_user_info_api: Some(overlay_fields(
                map.from_user_info_api,
                base_map.from_user_info_api.unwrap_or_default(),
            )),
        },
        require_email: provider
            .require_email
            .or(defaults.require_email)
            .unwrap_or(true),
        id_token_checks: provider.id_token_checks.clone().unwrap_or_default(),
        supports_pkce: defaults.supports_pkce,
    })
}
