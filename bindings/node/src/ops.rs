//! The operations JS calls and overrides, all read from the core's declaration (`authcore::ops`): the index
//! `NativeEngine.call` / `NativeLayer.call` take as `op`, the lists `index.js` builds its methods and `original`
//! objects from, and the JSON text that crosses napi. Nothing here names an operation.

use authcore::ops::{OperationInfo, OperationKind, ENGINE_OPERATIONS, OVERRIDABLE};
use authcore::{AuthError, Result};
use napi_derive::napi;
use serde_json::{Map, Value};

/// Every operation JS can call, in index order: each overridable method (public ones and the hooks, which JS
/// may also call), then the engine's own operations.
fn all() -> impl Iterator<Item = &'static OperationInfo> {
    OVERRIDABLE.iter().chain(ENGINE_OPERATIONS)
}

/// The operation at `index` in [`operation_names`] (a plain lookup: JS passes the index, not the name).
pub fn by_index(index: u32) -> Result<&'static OperationInfo> {
    let i = index as usize;
    let engine = |i: usize| ENGINE_OPERATIONS.get(i.checked_sub(OVERRIDABLE.len())?);
    OVERRIDABLE
        .get(i)
        .or_else(|| engine(i))
        .ok_or_else(|| AuthError::invalid("op", format!("unknown operation #{index}")))
}

/// The operation names in index order (what `NativeEngine.call` / `NativeLayer.call` take as `op`).
#[napi]
pub fn operation_names() -> Vec<String> {
    all().map(|op| op.name.to_string()).collect()
}

/// The core's declaration of every overridable method (`authcore::ops::OVERRIDABLE`, hooks included): what
/// `override.functions` (`kind: 'recipe'`) and `override.apis` (`kind: 'api'`) may replace.
#[napi(
    ts_return_type = "Array<{ name: string; kind: 'recipe' | 'api'; input: string; whole: boolean; args: Array<{ name: string; ty: string; default: string | null }>; input_may_be_omitted: boolean; public: boolean; result: string; envelope: string; doc: string }>"
)]
pub fn overridable_operations() -> Value {
    serde_json::to_value(OVERRIDABLE).unwrap_or(Value::Null)
}

/// The core's declaration of every public operation (`authcore::ops::OPERATIONS`): name, kind, arguments with
/// their defaults, result type and JSON envelope.
#[napi(
    ts_return_type = "Array<{ name: string; kind: 'recipe' | 'api' | 'engine'; input: string; args: Array<{ name: string; ty: string; default: string | null }>; result: string; envelope: string; doc: string }>"
)]
pub fn declared_operations() -> Value {
    serde_json::to_value(authcore::ops::OPERATIONS).unwrap_or(Value::Null)
}

fn names_of(kind: OperationKind) -> Vec<String> {
    OVERRIDABLE
        .iter()
        .filter(|op| op.kind == kind)
        .map(|op| op.name.to_string())
        .collect()
}

/// The recipe function names (`override.functions`).
#[napi]
pub fn recipe_function_names() -> Vec<String> {
    names_of(OperationKind::Recipe)
}

/// The API function names (`override.apis`).
#[napi]
pub fn api_function_names() -> Vec<String> {
    names_of(OperationKind::Api)
}

/// The event catalogue.
#[napi]
pub fn event_names() -> Vec<String> {
    authcore::events::EventName::ALL
        .iter()
        .map(|n| n.as_str().to_string())
        .collect()
}

/// A result of `op` in the operation's JSON form (`{status: 'OK', ...}`), by the core's declared envelope.
#[napi]
pub fn json_form(op: String, value: Option<Value>) -> Value {
    let raw = from_js(value.unwrap_or(Value::Null));
    match authcore::ops::operation(&op) {
        Some(info) => authcore::ops::json_form(info, raw),
        None => raw,
    }
}

/// Operations the JS API takes whole although the core declares them `named` with this one parameter: JS passes,
/// and an override receives, that parameter's own object, as supertokens-node does (`getRedirectionURL` gets
/// the `RedirectContext` fields, not `{context}`).
const TAKEN_WHOLE_IN_JS: &[(&str, &str)] = &[("getRedirectionURL", "context")];

fn taken_whole_in_js(op: &str) -> Option<&'static str> {
    TAKEN_WHOLE_IN_JS
        .iter()
        .find(|(name, _)| *name == op)
        .map(|(_, param)| *param)
}

/// A JS argument object of `op` as the core's dispatch by name reads it.
pub fn core_args(op: &str, args: Value) -> Value {
    match taken_whole_in_js(op) {
        Some(param) => Value::Object(Map::from_iter([(param.to_string(), args)])),
        None => args,
    }
}

/// The core's arguments of `op` (see `authcore::layers::Host::call`) as a JS override receives them: a
/// parameter taken whole in JS unwrapped, and an absent optional parameter of a `named` call left out
/// (`input.user === undefined`, not `null`).
pub fn js_args(op: &str, args: Value) -> Value {
    let Value::Object(mut map) = args else {
        return args;
    };
    if let Some(param) = taken_whole_in_js(op) {
        return map.remove(param).unwrap_or(Value::Null);
    }
    let Some(info) = authcore::ops::overridable(op).filter(|info| !info.whole) else {
        return Value::Object(map);
    };
    for arg in info.args.iter().filter(|a| a.ty.starts_with("Option")) {
        let key = authcore::ops::camel_case(arg.name);
        if map.get(&key).is_some_and(Value::is_null) {
            map.remove(&key);
        }
    }
    Value::Object(map)
}

/// Parses JSON text from JS; `field` names it in the `INVALID_INPUT` error. The message is serde's, without the
/// line/column suffix (the text is machine-made, one line). Empty text is `null`.
pub fn parse_text(field: &str, text: &str) -> Result<Value> {
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(text).map_err(|e| {
        let message = e.to_string();
        let message = match message.rsplit_once(" at line ") {
            Some((m, _)) if e.line() > 0 => m.to_string(),
            _ => message,
        };
        AuthError::invalid(field, message)
    })
}

/// Serialises a value to the JSON text JS parses.
pub fn to_text<T: serde::Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| AuthError::internal(e.to_string()))
}

/// The JSON text JS receives for a raw result of `op`: the core's serde JSON, except that a method returning
/// nothing (`deleteUser`, `unverifyEmail`, `onAccountLinked`) resolves to `{status: 'OK'}`.
pub fn result_text(op: &OperationInfo, value: &Value) -> Result<String> {
    if op.result == "()" {
        return Ok(r#"{"status":"OK"}"#.to_string());
    }
    to_text(value)
}

/// JS numbers arrive as floats; make integral ones integers again so `i64` fields (`timeJoined`) deserialise.
pub fn from_js(value: Value) -> Value {
    const MAX_SAFE: f64 = 9_007_199_254_740_991.0;
    match value {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() <= MAX_SAFE => Value::from(f as i64),
            _ => Value::Number(n),
        },
        Value::Array(a) => Value::Array(a.into_iter().map(from_js).collect()),
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, from_js(v))).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use authcore::json::parse;
    use serde_json::json;

    #[test]
    fn every_index_names_an_operation_and_names_are_unique() {
        let names = operation_names();
        for (i, name) in names.iter().enumerate() {
            assert_eq!(by_index(i as u32).map(|op| op.name), Ok(name.as_str()));
        }
        assert!(by_index(names.len() as u32).is_err());
        let unique: std::collections::HashSet<_> = names.iter().collect();
        assert_eq!(unique.len(), names.len());
        assert!(recipe_function_names().contains(&"onAccountLinked".to_string()));
        // The API functions are the declaration's, in its order (a new API arrives with its declaration).
        let apis: Vec<&str> = authcore::ops::OVERRIDABLE
            .iter()
            .filter(|o| matches!(o.kind, authcore::ops::OperationKind::Api))
            .map(|o| o.name)
            .collect();
        assert_eq!(api_function_names(), apis);
        assert!(apis.contains(&"signInUpPOST") && apis.contains(&"getRedirectionURL"));
    }

    #[test]
    fn the_declaration_and_its_json_form_reach_js() {
        let declared = declared_operations();
        let names: Vec<&str> = declared
            .as_array()
            .expect("an array")
            .iter()
            .filter_map(|op| op["name"].as_str())
            .collect();
        assert!(names.contains(&"getUser") && names.contains(&"listEvents"));
        assert_eq!(
            json_form("getUser".into(), None),
            json!({"status": "OK", "user": null})
        );
        assert_eq!(
            json_form("deleteUser".into(), Some(Value::Null)),
            json!({"status": "OK"})
        );
        let overridable = overridable_operations();
        assert_eq!(overridable[0]["kind"], "recipe");
    }

    #[test]
    fn results_and_bad_text_cross_as_before() {
        let delete = authcore::ops::overridable("deleteUser").expect("declared");
        assert_eq!(
            result_text(delete, &Value::Null).as_deref(),
            Ok(r#"{"status":"OK"}"#)
        );
        let get = authcore::ops::overridable("getUser").expect("declared");
        assert_eq!(result_text(get, &Value::Null).as_deref(), Ok("null"));
        let e = parse_text("getUser", "{").unwrap_err();
        assert_eq!(e.code(), "INVALID_INPUT");
        assert!(!e.to_string().contains(" at line "), "{e}");
        assert_eq!(parse_text("listAllTenants", ""), Ok(Value::Null));
    }

    #[test]
    fn integral_js_numbers_become_integers() {
        let v = from_js(json!({"t": 1732423423000.0, "f": 1.5, "a": [2.0, -3.0]}));
        assert_eq!(v, json!({"t": 1732423423000i64, "f": 1.5, "a": [2, -3]}));
        let user: authcore::LoginMethod = parse(
            "lm",
            from_js(
                json!({"tenantIds": [], "recipeUserId": "u", "verified": false,
                "timeJoined": 1732423423000.0, "recipeId": "thirdparty"}),
            ),
        )
        .expect("timeJoined parses as i64");
        assert_eq!(user.time_joined, 1_732_423_423_000);
    }

    #[test]
    fn js_argument_shapes() {
        assert_eq!(
            js_args(
                "isEmailVerified",
                json!({"recipeUserId": "r", "email": null})
            ),
            json!({"recipeUserId": "r"})
        );
        let linking = json!({"newAccountInfo": {}, "user": null, "session": null, "tenantId": "t"});
        assert_eq!(
            js_args("shouldDoAutomaticAccountLinking", linking),
            json!({"newAccountInfo": {}, "tenantId": "t"})
        );
        let whole = json!({"paginationToken": null});
        assert_eq!(js_args("getUsers", whole.clone()), whole);
        let context = json!({"isNewUser": true});
        let wrapped = core_args("getRedirectionURL", context.clone());
        assert_eq!(wrapped, json!({"context": {"isNewUser": true}}));
        assert_eq!(js_args("getRedirectionURL", wrapped), context);
        assert_eq!(
            core_args("getUser", json!({"userId": "u"})),
            json!({"userId": "u"})
        );
    }
}
