//! Where to send the browser after sign-in/up (seed: the frontend's `getRedirectionURL` / `onHandleEvent`).
//!
//! The decision is made by an overridable `getRedirectionURL`; whatever it returns is then validated: a
//! same-site path (`/x`, never `//host` or `/\host`) or an absolute http(s) URL whose origin is configured in
//! `redirect.allowedOrigins`. Anything else falls back to the default path, so neither a hostile
//! `redirectToPath` nor a buggy override can produce an open redirect.

use serde::{Deserialize, Serialize};

/// Redirect settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RedirectConfig {
    /// Origins (`https://app.example.com`) absolute redirect URLs may point to.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub allowed_origins: Vec<String>,
    /// Where to go when nothing valid was asked for.
    #[serde(default = "root")]
    #[cfg_attr(feature = "uniffi", uniffi(default = "/"))]
    pub default_path: String,
}

fn root() -> String {
    "/".to_string()
}

impl Default for RedirectConfig {
    fn default() -> Self {
        RedirectConfig {
            allowed_origins: Vec::new(),
            default_path: root(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RedirectAction {
    Success,
}

/// What `getRedirectionURL` is asked about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase")]
pub struct RedirectContext {
    pub action: RedirectAction,
    pub is_new_user: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub redirect_to_path: Option<String>,
    pub tenant_id: String,
    pub user_id: String,
}

/// The validated decision returned to the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase")]
pub struct RedirectDecision {
    pub action: RedirectAction,
    pub url: String,
    pub is_new_user: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub redirect_to_path: Option<String>,
    /// True when the requested or overridden target was refused and the default path used instead.
    pub fell_back: bool,
}

/// Whether `target` is a safe redirect under `config`.
pub fn is_safe_redirect(target: &str, config: &RedirectConfig) -> bool {
    if target.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return false;
    }
    if let Some(rest) = target.strip_prefix('/') {
        // `//evil.com` and `/\evil.com` are protocol-relative to browsers.
        return !rest.starts_with('/') && !rest.starts_with('\\');
    }
    let Ok(url) = url::Url::parse(target) else {
        return false;
    };
    if !matches!(url.scheme(), "https" | "http")
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return false;
    }
    let origin = url.origin().ascii_serialization();
    config
        .allowed_origins
        .iter()
        .any(|o| o.trim_end_matches('/').eq_ignore_ascii_case(&origin))
}

/// Validates an override's answer (or the requested path) into a decision.
pub fn decide(
    context: &RedirectContext,
    proposed: Option<String>,
    config: &RedirectConfig,
) -> RedirectDecision {
    let (url, fell_back) = match proposed {
        Some(u) if is_safe_redirect(&u, config) => (u, false),
        Some(_) => (config.default_path.clone(), true),
        None => (config.default_path.clone(), false),
    };
    RedirectDecision {
        action: context.action,
        url,
        is_new_user: context.is_new_user,
        redirect_to_path: context.redirect_to_path.clone(),
        fell_back,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_and_allowed_origins_pass() {
        let c = RedirectConfig {
            allowed_origins: vec!["https://app.example.com".into()],
            ..Default::default()
        };
        for ok in [
            "/",
            "/dashboard?x=1",
            "https://app.example.com/home",
            "https://APP.example.com",
        ] {
            assert!(is_safe_redirect(ok, &c), "{ok}");
        }
        for bad in [
            "//evil.com",
            "/\\evil.com",
            "https://evil.com",
            "https://app.example.com.evil.com/",
            "https://app.example.com@evil.com/",
            "javascript:alert(1)",
            "http://app.example.com",
            "dashboard",
            "/ x",
            "/\nx",
            "",
        ] {
            assert!(!is_safe_redirect(bad, &c), "{bad}");
        }
    }
}
