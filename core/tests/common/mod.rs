//! Shared test support: the scenario runner (reference implementation of tests/scenarios/README.md).

#![allow(dead_code)]

pub mod invariants;
pub mod matcher;
#[path = "../support/oidc.rs"]
pub mod oidc;
#[path = "../support/pg.rs"]
pub mod pg;
pub mod runner;

use std::path::PathBuf;

use authcore::{EmailInput, ProviderUserInfo, SignInUpPostInput};

/// A `signInUpPOST` input on the public tenant for a provider account with one email.
pub fn post(tp: &str, uid: &str, email: &str, verified: bool) -> SignInUpPostInput {
    SignInUpPostInput::with_user_info(
        "public",
        tp,
        ProviderUserInfo {
            third_party_user_id: uid.into(),
            email: Some(EmailInput {
                id: email.into(),
                is_verified: verified,
            }),
        },
    )
}

pub fn scenarios_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/scenarios")
}
