//! Validation of tenant ids, third-party ids and user ids.
//!
//! Tenant ids follow SuperTokens' `normalizeAndValidateTenantId` (spec §5.1, S66) plus the 64-char storage limit.
//! Third-party ids are stored verbatim and compared case-sensitively (spec §2.1); where SuperTokens' core and SDK
//! disagree on padded ids (D2) we reject them, so no two layers can ever see different identities.

use crate::error::{AuthError, Result};

pub const PUBLIC_TENANT: &str = "public";
pub const MAX_TENANT_ID_CHARS: usize = 64;
pub const MAX_THIRD_PARTY_ID_CHARS: usize = 28;
pub const MAX_THIRD_PARTY_USER_ID_CHARS: usize = 256;
pub const MAX_USER_ID_CHARS: usize = 256;
const RESERVED_TENANT_IDS: [&str; 4] = ["recipe", "config", "users", "hello"];

pub(crate) fn default_tenant() -> String {
    PUBLIC_TENANT.to_string()
}

fn tenant_error(message: impl Into<String>) -> AuthError {
    AuthError::InvalidTenantId {
        message: message.into(),
    }
}

/// Normalise (trim, lowercase) and validate a tenant id used to address an existing tenant.
pub fn normalise_tenant_id(raw: &str) -> Result<String> {
    let id = raw.trim().to_lowercase();
    if id.is_empty() {
        return Err(tenant_error("tenantId should not be an empty String"));
    }
    if id.chars().count() > MAX_TENANT_ID_CHARS {
        return Err(tenant_error("tenantId must be at most 64 characters"));
    }
    if id.starts_with("appid-") {
        return Err(tenant_error("tenantId must not start with 'appid-'"));
    }
    if !id
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(tenant_error(
            "tenantId can only contain letters, numbers and hyphens",
        ));
    }
    Ok(id)
}

/// Like [`normalise_tenant_id`], plus the reserved words that cannot name a *new* tenant.
pub fn validate_new_tenant_id(raw: &str) -> Result<String> {
    let id = raw.trim().to_lowercase();
    if RESERVED_TENANT_IDS.contains(&id.as_str()) {
        return Err(tenant_error(format!("Cannot use '{id}' as a tenantId")));
    }
    normalise_tenant_id(raw)
}

fn check_verbatim(field: &str, value: &str, max: usize) -> Result<()> {
    if value.is_empty() {
        return Err(AuthError::EmptyField {
            field: field.to_string(),
        });
    }
    if value.chars().count() > max {
        return Err(AuthError::FieldTooLong {
            field: field.to_string(),
            max,
        });
    }
    if value.trim() != value {
        return Err(AuthError::invalid(
            field,
            "must not start or end with whitespace",
        ));
    }
    if value.chars().any(|c| c.is_control()) {
        return Err(AuthError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(())
}

pub fn validate_third_party_id(value: &str) -> Result<()> {
    check_verbatim("thirdPartyId", value, MAX_THIRD_PARTY_ID_CHARS)
}

pub fn validate_third_party_user_id(value: &str) -> Result<()> {
    check_verbatim("thirdPartyUserId", value, MAX_THIRD_PARTY_USER_ID_CHARS)
}

/// A user id given by a caller (any member id or a primary id). Trimmed like the CDI does.
pub fn validate_user_id<'a>(field: &str, value: &'a str) -> Result<&'a str> {
    let v = value.trim();
    if v.is_empty() {
        return Err(AuthError::EmptyField {
            field: field.to_string(),
        });
    }
    if v.chars().count() > MAX_USER_ID_CHARS {
        return Err(AuthError::FieldTooLong {
            field: field.to_string(),
            max: MAX_USER_ID_CHARS,
        });
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_ids_follow_supertokens_rules() {
        assert_eq!(validate_new_tenant_id("  T1 ").unwrap(), "t1");
        assert_eq!(validate_new_tenant_id("public").unwrap(), "public");
        for bad in ["", "Recipe", "config", "appid-x", "t_1", "t.1", "tènant"] {
            assert_eq!(
                validate_new_tenant_id(bad).unwrap_err().code(),
                "INVALID_TENANT_ID",
                "{bad}"
            );
        }
        assert!(validate_new_tenant_id(&"a".repeat(65)).is_err());
        assert!(validate_new_tenant_id(&"a".repeat(64)).is_ok());
    }

    #[test]
    fn third_party_ids_are_verbatim_but_bounded() {
        assert!(validate_third_party_id("Google").is_ok());
        assert_eq!(
            validate_third_party_id(" google").unwrap_err().code(),
            "INVALID_INPUT"
        );
        assert_eq!(
            validate_third_party_id("").unwrap_err().code(),
            "EMPTY_FIELD"
        );
        assert_eq!(
            validate_third_party_id(&"g".repeat(29)).unwrap_err().code(),
            "FIELD_TOO_LONG"
        );
        assert!(validate_third_party_id(&"g".repeat(28)).is_ok());
        assert_eq!(
            validate_third_party_user_id(&"u".repeat(257))
                .unwrap_err()
                .code(),
            "FIELD_TOO_LONG"
        );
    }
}
