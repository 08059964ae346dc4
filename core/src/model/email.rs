//! Email normalisation and authcore's email policy.
//!
//! SuperTokens normalises with Java `trim()` (chars ≤ U+0020) plus `toLowerCase()` and checks nothing else
//! (spec §2.1, D1, D11). We normalise the same way, with `str::to_lowercase` (locale-independent, the JVM's
//! non-Turkish result, final sigma included) and no Unicode normalisation, so `é` and `e\u{301}` stay distinct.
//! Unlike SuperTokens we then *validate*, because an empty or malformed email that becomes a linking key is a
//! takeover hazard and a storage-dependent 500 in SuperTokens (D10).

use crate::error::{AuthError, Result};

/// Longest accepted email after normalisation, in characters (PostgreSQL plugin: `VARCHAR(256)`).
pub const MAX_EMAIL_CHARS: usize = 256;

/// Trim chars ≤ U+0020 at both ends and lowercase. No validation.
pub fn normalise_email(raw: &str) -> String {
    raw.trim_matches(|c: char| c <= '\u{20}').to_lowercase()
}

/// Normalise, then enforce the policy: 1–256 chars, one `@` with text on both sides, no whitespace or control
/// character anywhere (U+00A0 included: it is not trimmed, so it would otherwise become part of a key).
pub fn normalise_and_validate_email(raw: &str) -> Result<String> {
    let email = normalise_email(raw);
    let fail = |message: &str| {
        Err(AuthError::InvalidEmail {
            message: message.to_string(),
        })
    };
    if email.is_empty() {
        return fail("the email is empty");
    }
    if email.chars().count() > MAX_EMAIL_CHARS {
        return fail("the email is longer than 256 characters");
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return fail("the email contains whitespace or a control character");
    }
    match email.rfind('@') {
        Some(at) if at > 0 && at + 1 < email.len() => Ok(email),
        _ => fail("the email needs an '@' with text on both sides"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_only_ascii_controls_and_space_then_lowercases() {
        assert_eq!(
            normalise_email("  Test.User@Example.COM\t"),
            "test.user@example.com"
        );
        assert_eq!(normalise_email("\u{a0}a@b.c"), "\u{a0}a@b.c");
        assert_eq!(normalise_email("ΣΑΣ@X.COM"), "σας@x.com");
    }

    #[test]
    fn policy_rejects_bad_shapes() {
        for bad in [
            "",
            "   ",
            "no-at",
            "@x.com",
            "a@",
            "a b@x.com",
            "\u{a0}a@b.c",
            "a\u{1}@b.c",
        ] {
            assert_eq!(
                normalise_and_validate_email(bad).unwrap_err().code(),
                "INVALID_EMAIL",
                "{bad:?}"
            );
        }
        let long = format!("{}@x.com", "a".repeat(251));
        assert!(normalise_and_validate_email(&long).is_err());
        let ok = format!("{}@x.com", "a".repeat(250));
        assert!(normalise_and_validate_email(&ok).is_ok());
        assert_eq!(
            normalise_and_validate_email("e\u{301}@x.com").unwrap(),
            "e\u{301}@x.com"
        );
    }
}
