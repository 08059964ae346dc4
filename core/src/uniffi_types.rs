//! How the public types cross into Kotlin and Swift (feature `uniffi`; see `bindings/uniffi`).
//!
//! The records and enums derive `uniffi::Record` / `uniffi::Enum` where they are declared, next to their
//! `serde` and `schemars` attributes, so the binding cannot drift from them. This module holds the few field
//! types uniffi has no built-in form for, as custom types:
//! * JSON values and objects (`Session.accessTokenPayload`, `Event.message`) cross as JSON text, exactly the
//!   JSON the core's serde form would hold; text that is not valid JSON (or not an object, for an object) is
//!   refused with `INVALID_INPUT` when lifted.
//! * `usize` counts and limits cross as an unsigned 64-bit integer (`Count`).
//! * The linking rules by tenant or provider (a `BTreeMap`, for a stable order in Rust) cross as a map.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

use crate::error::AuthError;
use crate::policy::LinkingRule;

/// A JSON value, as JSON text in Kotlin/Swift.
pub type JsonValue = Value;
/// A JSON object, as JSON text in Kotlin/Swift.
pub type JsonObject = Map<String, Value>;
/// A count or a page size (`usize` in Rust).
pub type Count = usize;
/// Linking rules by tenant or provider id.
pub type LinkingRules = BTreeMap<String, LinkingRule>;

/// The name a lifting error gives: the custom type does not know which field it fills.
const JSON_FIELD: &str = "json";

fn parse_json(text: &str) -> Result<Value, AuthError> {
    serde_json::from_str(text)
        .map_err(|e| AuthError::invalid(JSON_FIELD, format!("not valid JSON: {e}")))
}

uniffi::custom_type!(JsonValue, String, {
    remote,
    lower: |value| value.to_string(),
    try_lift: |text| Ok(parse_json(&text)?),
});

uniffi::custom_type!(JsonObject, String, {
    remote,
    lower: |object| Value::Object(object).to_string(),
    try_lift: |text| match parse_json(&text)? {
        Value::Object(object) => Ok(object),
        _ => Err(AuthError::invalid(JSON_FIELD, "not a JSON object").into()),
    },
});

uniffi::custom_type!(Count, u64, {
    remote,
    // A usize always fits in 64 bits on the platforms Rust supports.
    lower: |count| count as u64,
    try_lift: |count| Ok(usize::try_from(count)?),
});

uniffi::custom_type!(LinkingRules, HashMap<String, LinkingRule>, {
    remote,
    lower: |rules| rules.into_iter().collect(),
    try_lift: |rules| Ok(rules.into_iter().collect()),
});
