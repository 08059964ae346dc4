//! Email, fake-email and id normalisation: idempotent, valid by construction, and injective where the linking
//! rules depend on it (two provider accounts never share a stand-in email).
#![no_main]

use authcore::model::email::{
    fake_email, is_fake_email, normalise_and_validate_email, normalise_email,
};
use authcore::model::ids::{
    normalise_tenant_id, validate_new_tenant_id, validate_third_party_id,
    validate_third_party_user_id, validate_user_id,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (String, String, String, String)| {
    let (a, b, c, d) = input;

    let n = normalise_email(&a);
    assert_eq!(normalise_email(&n), n, "normalising twice changes {a:?}");
    if let Ok(e) = normalise_and_validate_email(&a) {
        assert_eq!(e, n);
        assert_eq!(
            normalise_and_validate_email(&e).ok().as_deref(),
            Some(e.as_str())
        );
        assert!(e.chars().count() <= 256 && e.contains('@'));
        assert!(!e.chars().any(|ch| ch.is_whitespace() || ch.is_control()));
    }

    let fa = fake_email(&a, &b);
    assert!(is_fake_email(&fa), "{fa} is not recognised as fake");
    assert_eq!(
        normalise_and_validate_email(&fa).ok().as_deref(),
        Some(fa.as_str()),
        "a fake email must be a valid, already-normalised email"
    );
    if (a.as_str(), b.as_str()) != (c.as_str(), d.as_str()) {
        assert_ne!(
            fa,
            fake_email(&c, &d),
            "({a:?},{b:?}) and ({c:?},{d:?}) share a fake email"
        );
    }

    if let Ok(t) = normalise_tenant_id(&a) {
        assert_eq!(normalise_tenant_id(&t).ok().as_deref(), Some(t.as_str()));
        assert!(t
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-'));
    }
    if let Ok(t) = validate_new_tenant_id(&a) {
        assert_eq!(normalise_tenant_id(&a).ok(), Some(t));
    }
    if validate_third_party_id(&a).is_ok() {
        assert_eq!(a.trim(), a);
        assert!(!a.is_empty() && a.chars().count() <= 28);
    }
    let _ = validate_third_party_user_id(&b);
    if let Ok(u) = validate_user_id("userId", &c) {
        assert_eq!(u.trim(), u);
        assert!(!u.is_empty());
    }
});
