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

/// The domain of the stand-in email given to a provider account without one (`requireEmail: false`).
pub const FAKE_EMAIL_DOMAIN: &str = "stfakeemail.supertokens.com";

/// Whether an (already normalised) email is a stand-in made by [`fake_email`], or claims its domain. Such an
/// address identifies nobody, so automatic linking never uses it.
pub fn is_fake_email(email: &str) -> bool {
    email
        .rsplit_once('@')
        .is_some_and(|(_, domain)| domain == FAKE_EMAIL_DOMAIN)
}

/// Appends `s` so that distinct strings stay distinct after lowercasing and after joining with `.`: bytes in
/// `[a-z0-9_-]` stand for themselves, every other byte is `~` and two lowercase hex digits.
fn escape_into(out: &mut String, s: &str) {
    for b in s.bytes() {
        if b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-' {
            out.push(char::from(b));
        } else {
            out.push('~');
            out.push_str(&format!("{b:02x}"));
        }
    }
}

/// The stand-in email for a provider account that gave none, derived injectively from
/// `(thirdPartyId, thirdPartyUserId)`.
///
/// SuperTokens writes `<thirdPartyUserId>.<thirdPartyId>@stfakeemail.supertokens.com`, which email
/// normalisation lowercases while provider ids are case-sensitive (`alice` and `Alice` collided), and whose `.`
/// join is ambiguous when ids contain dots. Here both ids are escaped ([`escape_into`]: lowercase-stable, no
/// `.`), so the address is injective and readable for plain ids. When the escaped form would pass the email
/// length limit, the local part is `~~` (which escaping never produces) and the SHA-256 of the length-prefixed
/// pair: distinct pairs then differ unless SHA-256 collides.
pub fn fake_email(third_party_id: &str, third_party_user_id: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut local = String::new();
    escape_into(&mut local, third_party_user_id);
    local.push('.');
    escape_into(&mut local, third_party_id);
    if local.len() + 1 + FAKE_EMAIL_DOMAIN.len() > MAX_EMAIL_CHARS {
        let mut h = Sha256::new();
        h.update((third_party_id.len() as u64).to_be_bytes());
        h.update(third_party_id.as_bytes());
        h.update(third_party_user_id.as_bytes());
        local = String::from("~~");
        for b in h.finalize() {
            local.push_str(&format!("{b:02x}"));
        }
    }
    format!("{local}@{FAKE_EMAIL_DOMAIN}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fake_emails_are_injective_and_survive_normalisation() {
        let pairs = [
            ("saml", "alice"),
            ("saml", "Alice"),
            ("saml", "ALICE"),
            ("a.b", "c"),
            ("a", "b.c"),
            ("b.c", "a"),
            ("saml", "al~41ice"),
            ("saml", "~41lice"),
            ("saml", "x@y"),
        ];
        let mut seen = std::collections::HashSet::new();
        for (tp, uid) in pairs {
            let e = fake_email(tp, uid);
            assert_eq!(normalise_and_validate_email(&e).unwrap(), e, "{e}");
            assert!(is_fake_email(&e));
            assert!(seen.insert(e.clone()), "collision for ({tp}, {uid}): {e}");
        }
        assert_eq!(
            fake_email("saml", "alice"),
            "alice.saml@stfakeemail.supertokens.com"
        );
        let long = fake_email("saml", &"A".repeat(256));
        assert!(long.starts_with("~~") && long.chars().count() <= MAX_EMAIL_CHARS);
        assert_ne!(long, fake_email("saml", &"a".repeat(256)));
        assert!(!is_fake_email("alice@example.com"));
    }

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
