//! Built-in providers, chosen by the id's prefix as supertokens-node does (`google-work` is Google): their
//! documented endpoints and defaults, which the provider's own configuration overrides field by field (tests
//! point every endpoint at a fake). Any other id is a custom provider: OpenID Connect by discovery, or plain
//! OAuth 2 by endpoints and `userInfoMap`.
//!
//! What cannot be said with endpoints and maps (GitHub's and Bitbucket's second email call, Apple's minted
//! client secret and `user` form field, X's HTTP Basic client authentication, Google Workspaces' `hd` check)
//! lives in the flow ([`super::flow`]), keyed by [`Kind`]: derived from the id, so no configuration switch is
//! needed beyond supertokens-node's shape.

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
    /// PKCE even for a client with a secret, unless the client's `forcePKCE` says otherwise (X requires it).
    pub force_pkce: bool,
    /// `requireEmail` when the provider's configuration leaves it out (X gives no email: false).
    pub require_email: Option<bool>,
}

/// The provider families with behaviour of their own in the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Custom,
    ActiveDirectory,
    Apple,
    Bitbucket,
    Discord,
    Facebook,
    Github,
    Gitlab,
    GoogleWorkspaces,
    Google,
    Okta,
    Linkedin,
    Twitter,
}

/// The family of an id, by prefix, in supertokens-node's order (`google-workspaces` before `google`).
pub(crate) fn kind(third_party_id: &str) -> Kind {
    const PREFIXES: &[(&str, Kind)] = &[
        ("active-directory", Kind::ActiveDirectory),
        ("apple", Kind::Apple),
        ("bitbucket", Kind::Bitbucket),
        ("discord", Kind::Discord),
        ("facebook", Kind::Facebook),
        ("github", Kind::Github),
        ("gitlab", Kind::Gitlab),
        ("google-workspaces", Kind::GoogleWorkspaces),
        ("google", Kind::Google),
        ("okta", Kind::Okta),
        ("linkedin", Kind::Linkedin),
        ("twitter", Kind::Twitter),
    ];
    PREFIXES
        .iter()
        .find(|(p, _)| third_party_id.starts_with(p))
        .map_or(Kind::Custom, |(_, k)| *k)
}

fn fields(user_id: &str, email: Option<&str>, email_verified: Option<&str>) -> UserFields {
    UserFields {
        user_id: Some(user_id.into()),
        email: email.map(Into::into),
        email_verified: email_verified.map(Into::into),
    }
}

fn oidc_fields() -> UserFields {
    fields("sub", Some("email"), Some("email_verified"))
}

fn oidc_map() -> UserInfoMap {
    UserInfoMap {
        from_id_token_payload: Some(oidc_fields()),
        from_user_info_api: Some(oidc_fields()),
    }
}

/// A map for a provider whose user comes only from its user info API.
fn api_map(f: UserFields) -> UserInfoMap {
    UserInfoMap {
        from_id_token_payload: None,
        from_user_info_api: Some(f),
    }
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn additional<'a>(client: &'a ProviderClientConfig, key: &str) -> Option<&'a str> {
    client
        .additional_config
        .as_ref()
        .and_then(|c| c.get(key))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// `https://` is assumed for a bare domain (`dev-123.okta.com`); a given scheme is kept (tests use http).
fn origin(domain: &str) -> String {
    let d = domain.trim_end_matches('/');
    if d.contains("://") {
        d.to_string()
    } else {
        format!("https://{d}")
    }
}

/// Facebook's Graph API answers only the fields asked for: the ones each granted permission allows
/// (supertokens-node's table), so the email is asked for when the `email` scope is.
fn facebook_fields(scope: &[String]) -> String {
    let mut out: Vec<&str> = Vec::new();
    for s in scope {
        let f: &[&str] = match s.as_str() {
            "public_profile" => &[
                "first_name",
                "last_name",
                "middle_name",
                "name",
                "name_format",
                "picture",
                "short_name",
            ],
            "email" => &["id", "email"],
            "user_birthday" => &["birthday"],
            "user_videos" => &["videos"],
            "user_posts" => &["posts"],
            "user_photos" => &["photos"],
            "user_location" => &["location"],
            "user_link" => &["link"],
            "user_likes" => &["likes"],
            "user_hometown" => &["hometown"],
            "user_gender" => &["gender"],
            "user_friends" => &["friends"],
            "user_age_range" => &["age_range"],
            _ => &[],
        };
        for x in f {
            if !out.contains(x) {
                out.push(x);
            }
        }
    }
    if out.is_empty() {
        "id,email".into()
    } else {
        out.join(",")
    }
}

pub(crate) fn defaults(third_party_id: &str, client: &ProviderClientConfig) -> Defaults {
    let named = |n: &str| Some(n.to_string());
    match kind(third_party_id) {
        k @ (Kind::Google | Kind::GoogleWorkspaces) => {
            let mut params =
                obj(json!({"included_grant_scopes": "true", "access_type": "offline"}));
            let workspaces = k == Kind::GoogleWorkspaces;
            if workspaces {
                let hd = additional(client, "hd").unwrap_or("*");
                params.insert("hd".into(), Value::String(hd.to_string()));
            }
            Defaults {
                name: named(if workspaces {
                    "Google Workspaces"
                } else {
                    "Google"
                }),
                oidc_discovery_endpoint: Some("https://accounts.google.com/".into()),
                issuer: Some("https://accounts.google.com".into()),
                authorization_endpoint_query_params: params,
                scope: strings(&["openid", "email"]),
                user_info_map: oidc_map(),
                supports_pkce: true,
                ..Defaults::default()
            }
        }
        Kind::Github => Defaults {
            name: named("Github"),
            authorization_endpoint: Some("https://github.com/login/oauth/authorize".into()),
            token_endpoint: Some("https://github.com/login/oauth/access_token".into()),
            user_info_endpoint: Some("https://api.github.com/user".into()),
            user_info_endpoint_headers: obj(json!({
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
            })),
            scope: strings(&["read:user", "user:email"]),
            // The flow adds the primary address from `/user/emails` as `email` / `email_verified`.
            user_info_map: api_map(fields("id", Some("email"), Some("email_verified"))),
            supports_pkce: true,
            ..Defaults::default()
        },
        Kind::Apple => Defaults {
            name: named("Apple"),
            // Discovery gives the endpoints, the JWKS and the issuer `https://appleid.apple.com`.
            oidc_discovery_endpoint: Some("https://appleid.apple.com/".into()),
            // Apple requires form_post when the scope asks for the name or email.
            authorization_endpoint_query_params: obj(json!({"response_mode": "form_post"})),
            scope: strings(&["openid", "email"]),
            user_info_map: oidc_map(),
            ..Defaults::default()
        },
        Kind::Facebook => {
            let scope = client.scope.clone().unwrap_or_else(|| strings(&["email"]));
            Defaults {
                name: named("Facebook"),
                authorization_endpoint: Some("https://www.facebook.com/v12.0/dialog/oauth".into()),
                token_endpoint: Some("https://graph.facebook.com/v12.0/oauth/access_token".into()),
                user_info_endpoint: Some("https://graph.facebook.com/me".into()),
                user_info_endpoint_query_params: obj(
                    json!({"fields": facebook_fields(&scope), "format": "json"}),
                ),
                scope: strings(&["email"]),
                // Facebook says nothing of verification: the email is taken as unverified.
                user_info_map: api_map(fields("id", Some("email"), None)),
                ..Defaults::default()
            }
        }
        Kind::Discord => Defaults {
            name: named("Discord"),
            authorization_endpoint: Some("https://discord.com/oauth2/authorize".into()),
            token_endpoint: Some("https://discord.com/api/oauth2/token".into()),
            user_info_endpoint: Some("https://discord.com/api/users/@me".into()),
            scope: strings(&["identify", "email"]),
            user_info_map: api_map(fields("id", Some("email"), Some("verified"))),
            ..Defaults::default()
        },
        Kind::Linkedin => Defaults {
            name: named("LinkedIn"),
            authorization_endpoint: Some("https://www.linkedin.com/oauth/v2/authorization".into()),
            token_endpoint: Some("https://www.linkedin.com/oauth/v2/accessToken".into()),
            user_info_endpoint: Some("https://api.linkedin.com/v2/userinfo".into()),
            // LinkedIn's token answer carries an id_token: verified like any other (supertokens-node reads
            // only the user info answer).
            jwks_uri: Some("https://www.linkedin.com/oauth/openid/jwks".into()),
            issuer: Some("https://www.linkedin.com/oauth".into()),
            scope: strings(&["openid", "profile", "email"]),
            user_info_map: oidc_map(),
            ..Defaults::default()
        },
        Kind::ActiveDirectory => Defaults {
            name: named("Active Directory"),
            // The discovery document's issuer is `…/{tenantid}/v2.0` for the multi-tenant directories
            // (`common`, `organizations`): the id_token's `tid` fills it (see `jwt::check_claims`).
            oidc_discovery_endpoint: additional(client, "directoryId").map(|d| {
                format!(
                    "https://login.microsoftonline.com/{d}/v2.0/.well-known/openid-configuration"
                )
            }),
            scope: strings(&["openid", "email"]),
            user_info_map: oidc_map(),
            ..Defaults::default()
        },
        Kind::Okta => Defaults {
            name: named("Okta"),
            oidc_discovery_endpoint: additional(client, "oktaDomain")
                .map(|d| format!("{}/.well-known/openid-configuration", origin(d))),
            scope: strings(&["openid", "email"]),
            user_info_map: oidc_map(),
            ..Defaults::default()
        },
        Kind::Gitlab => Defaults {
            name: named("Gitlab"),
            oidc_discovery_endpoint: Some(format!(
                "{}/.well-known/openid-configuration",
                origin(additional(client, "gitlabBaseUrl").unwrap_or("https://gitlab.com"))
            )),
            scope: strings(&["openid", "email"]),
            user_info_map: oidc_map(),
            ..Defaults::default()
        },
        Kind::Bitbucket => Defaults {
            name: named("Bitbucket"),
            authorization_endpoint: Some("https://bitbucket.org/site/oauth2/authorize".into()),
            token_endpoint: Some("https://bitbucket.org/site/oauth2/access_token".into()),
            // The flow reads `/emails` under it and adds the primary address as `email` / `email_verified`.
            user_info_endpoint: Some("https://api.bitbucket.org/2.0/user".into()),
            authorization_endpoint_query_params: obj(json!({"audience": "api.atlassian.com"})),
            scope: strings(&["account", "email"]),
            user_info_map: api_map(fields("uuid", Some("email"), Some("email_verified"))),
            ..Defaults::default()
        },
        Kind::Twitter => Defaults {
            name: named("Twitter"),
            authorization_endpoint: Some("https://twitter.com/i/oauth2/authorize".into()),
            token_endpoint: Some("https://api.twitter.com/2/oauth2/token".into()),
            user_info_endpoint: Some("https://api.twitter.com/2/users/me".into()),
            scope: strings(&["users.read", "tweet.read"]),
            // The user is in `{"data": {…}}`; an email only with X's `users.email` scope and
            // `user.fields=confirmed_email`, which X documents as confirmed (the flow marks it verified).
            user_info_map: api_map(fields("data.id", Some("data.confirmed_email"), None)),
            force_pkce: true,
            require_email: Some(false),
            ..Defaults::default()
        },
        Kind::Custom => Defaults {
            user_info_map: oidc_map(),
            ..Defaults::default()
        },
    }
}
