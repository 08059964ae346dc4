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

/// The deepest nesting accepted in a JSON value that crosses into the engine (access-token payloads, user
/// contexts, configuration). Every binding converts host objects with this same limit, so a cyclic or absurdly
/// deep object is `INVALID_INPUT` in every language instead of a stack overflow.
pub const MAX_JSON_DEPTH: usize = 64;

/// `INVALID_INPUT` for `field` when `value` nests deeper than [`MAX_JSON_DEPTH`]. Iterative, so checking a
/// hostile value cannot itself overflow the stack.
pub fn check_depth(field: &str, value: &Value) -> Result<()> {
    let mut stack = vec![(value, 1usize)];
    while let Some((v, depth)) = stack.pop() {
        if depth > MAX_JSON_DEPTH {
            return Err(AuthError::invalid(
                field,
                format!("nested deeper than {MAX_JSON_DEPTH} levels"),
            ));
        }
        match v {
            Value::Array(items) => stack.extend(items.iter().map(|i| (i, depth + 1))),
            Value::Object(map) => stack.extend(map.values().map(|i| (i, depth + 1))),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_limit_is_exact() {
        let mut v = Value::Null;
        for _ in 0..MAX_JSON_DEPTH - 1 {
            v = Value::Array(vec![v]);
        }
        assert!(check_depth("x", &v).is_ok());
        let deeper = Value::Array(vec![v]);
        assert_eq!(
            check_depth("x", &deeper).unwrap_err().code(),
            "INVALID_INPUT"
        );
    }
}
