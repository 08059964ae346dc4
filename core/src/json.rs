//! JSON in and out, for bindings and runners that pass plain objects: a malformed input becomes a typed
//! `INVALID_INPUT` error naming the problem, never a panic.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::error::{AuthError, Result};

/// Deserialise an input object; `field` names it in the error.
pub fn parse<T: DeserializeOwned>(field: &str, value: Value) -> Result<T> {
    serde_json::from_value(value).map_err(|e| AuthError::invalid(field, e.to_string()))
}

/// Serialise a result to the camelCase JSON shape.
pub fn to_value<T: Serialize>(value: &T) -> Result<Value> {
    serde_json::to_value(value).map_err(|e| AuthError::internal(e.to_string()))
}
