//! Built-in providers, chosen by the id's prefix as supertokens-node does (`google-work` is Google): their
//! documented endpoints and defaults, which the provider's own configuration overrides field by field. Any
//! other id is a custom provider: OpenID Connect by discovery, or plain OAuth 2 by endpoints and `userInfoMap`.

use serde_json::{json, Map, Value};

use super::config::{ProviderClientConfig, UserFields, UserInfoMap};

/// What a built-in provider fills in when the configuration leaves it out.
#[derive(Default)]
pub(crate) struct Defaults {
    pub name: Option<String>,
    pub authorization_endpoint: Option<String>,
    pub authorization_endpoint_query_params: Map<String, Value>,
    pub token_endpoint: Option<String>,
    pub token_endpoint_body_params: Map<String, Value>,
    pub user_info_endpoint: Option<String>,
    pub user_info_endpoint_query_params: Map<String, Value>,
    pub user_info_endpoint_headers: Map<String, Value>,
    pub jwks_uri: Option<String>,
    pub oidc_discovery_endpoint: Option<String>,
    pub issuer: Option<String>,
    pub scope: Vec<String>,
    pub user_info_map: UserInfoMap,
    pub supports_pkce: bool,
}

/// The provider families with behaviour of their own in the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Custom,
    Google,
    GoogleWorkspaces,
    Github,
}

pub(crate) fn kind(third_party_id: &str) -> Kind {
    if third_party_id.starts_with("google-workspaces") {
        Kind::GoogleWorkspaces
    } else if third_party_id.starts_with("google") {
        Kind::Google
    } else if third_party_id.starts_with("github") {
        Kind::Github
    } else {
        Kind::Custom
    }
}

fn oidc_fields() -> UserFields {
    UserFields {
        user_id: Some("sub".into()),
        email: Some("email".into()),
        email_verified: Some("email_verified".into()),
    }
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

pub(crate) fn defaults(third_party_id: &str, client: &ProviderClientConfig) -> Defaults {
    let oidc_map = UserInfoMap {
        from_id_token_payload: Some(oidc_fields()),
        from_user_info_api: Some(oidc_fields()),
    };
    match kind(third_party_id) {
        Kind::Google | Kind::GoogleWorkspaces => {
            let mut params =
                obj(json!({"included_grant_scopes": "true", "access_type": "offline"}));
            let workspaces = kind(third_party_id) == Kind::GoogleWorkspaces;
            if workspaces {
                let hd = client
                    .additional_config
                    .as_ref()
                    .and_then(|c| c.get("hd"))
                    .and_then(Value::as_str)
                    .unwrap_or("*");
                params.insert("hd".into(), Value::String(hd.to_string()));
            }
            Defaults {
                name: Some(
                    if workspaces {
                        "Google Workspaces"
                    } else {
                        "Google"
                    }
                    .into(),
                ),
                oidc_discovery_endpoint: Some("https://accounts.google.com/".into()),
                issuer: Some("https://accounts.google.com".into()),
                authorization_endpoint_query_params: params,
                scope: vec!["openid".into(), "email".into()],
                user_info_map: oidc_map,
                supports_pkce: true,
                ..Defaults::default()
            }
        }
        Kind::Github => Defaults {
            name: Some("Github".into()),
            authorization_endpoint: Some("https://github.com/login/oauth/authorize".into()),
            token_endpoint: Some("https://github.com/login/oauth/access_token".into()),
            user_info_endpoint: Some("https://api.github.com/user".into()),
            user_info_endpoint_headers: obj(json!({
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
            })),
            scope: vec!["read:user".into(), "user:email".into()],
            // The flow adds the primary address from `/user/emails` as `email` / `email_verified`.
            user_info_map: UserInfoMap {
                from_id_token_payload: None,
                from_user_info_api: Some(UserFields {
                    user_id: Some("id".into()),
                    email: Some("email".into()),
                    email_verified: Some("email_verified".into()),
                }),
            },
            supports_pkce: true,
            ..Defaults::default()
        },
        Kind::Custom => Defaults {
            user_info_map: oidc_map,
            ..Defaults::default()
        },
    }
}
