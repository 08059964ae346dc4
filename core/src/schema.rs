//! The JSON Schema of every declared operation's parameters and result (feature `schema`), derived from the
//! same declaration as everything else ([`for_each_overridable!`](crate::for_each_overridable),
//! [`for_each_engine_operation!`](crate::for_each_engine_operation)) and from the types' own serde attributes
//! (schemars reads `rename_all`, `tag`, `default`, …). Binding generators (`authcore-gen`) read it to write
//! each language's types, so no binding restates a core type by hand.

use schemars::generate::SchemaSettings;
use schemars::SchemaGenerator;
use serde_json::{json, Map, Value};

use crate::events::{DeliveryReport, ListEventsInput, ListEventsResult};
use crate::layers::FromOwned;
use crate::ops::types::*;
use crate::ops::*;

/// One operation's schema entry: its name, its parameters' schemas by camelCase name (or its whole input's),
/// and its result's.
fn entry(name: &str, params: Map<String, Value>, result: Value) -> Value {
    json!({"name": name, "params": params, "result": result})
}

macro_rules! overridable_schemas {
    ($(
        $(#[doc = $tdoc:literal])*
        trait $Trait:ident($Flow:ident, $Host:ident, $call:ident, $kind:ident) {
            $(
                $(#[doc = $doc:literal])*
                fn $name:ident $wire:literal $shape:ident ( $($p:ident : $pty:ty $(= $def:expr)?),* $(,)? )
                    -> $ret:ty as $env:ident;
            )*
        }
    )*) => {
        fn overridable(gen: &mut SchemaGenerator) -> Vec<Value> {
            vec![$($(entry(
                $wire,
                {
                    #[allow(unused_mut)]
                    let mut params = Map::new();
                    $(params.insert(
                        camel_case(stringify!($p)),
                        gen.subschema_for::<<$pty as FromOwned<'_>>::Owned>().to_value(),
                    );)*
                    params
                },
                gen.subschema_for::<$ret>().to_value(),
            ),)*)*]
        }
    };
}

crate::for_each_overridable!(overridable_schemas);

macro_rules! engine_schemas {
    ($(
        $(#[doc = $doc:literal])*
        $kind:ident $wire:literal $Args:ident $(= $whole_default:ident)? $({ $($fields:tt)* })? -> $ret:ty as $env:ident
            => ($auth:ident, $a:ident, $ctx:ident) $body:block;
    )*) => {
        fn engine(gen: &mut SchemaGenerator) -> Vec<Value> {
            vec![$({
                let mut params = Map::new();
                params.insert("input".into(), gen.subschema_for::<$Args>().to_value());
                entry($wire, params, gen.subschema_for::<$ret>().to_value())
            },)*]
        }
    };
}

crate::for_each_engine_operation!(engine_schemas);

/// `{"overridable": [...], "engine": [...], "config": {...}, "$defs": {...}}`: each entry `{name, params, result}`
/// in declaration order (an engine entry's one param is `input`, its declared argument object), the engine
/// configuration (`AuthCoreConfig`, which bindings type their `open` options with); every named type once, under
/// `$defs`.
pub fn schema() -> Value {
    let mut gen = SchemaSettings::draft2020_12().into_generator();
    let overridable = overridable(&mut gen);
    let engine = engine(&mut gen);
    let config = gen.subschema_for::<crate::AuthCoreConfig>().to_value();
    let defs: Map<String, Value> = gen.take_definitions(true).into_iter().collect();
    json!({"overridable": overridable, "engine": engine, "config": config, "$defs": defs})
}

/// One field of an input an operation takes whole (`whole` in the declaration), as its JSON Schema gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct InputField {
    /// The camelCase JSON key.
    pub name: String,
    pub required: bool,
    /// The serde default (`true` for `attemptAccountLinking`), if the field has one.
    pub default: Option<Value>,
    /// The field's own schema (`{"type": ...}` or `{"$ref": ...}`).
    pub schema: Value,
}

/// The fields of operation `op`'s input when the declaration takes it whole, required ones first, so that a
/// binding spreading them into keyword arguments lists what the declaration names only as a type. `None` for an
/// operation whose arguments are declared one by one (or an unknown name).
pub fn whole_fields(schema: &Value, op: &str) -> Option<Vec<InputField>> {
    // Hooks too (not public operations, but host code overrides them with the same fields).
    let info = OVERRIDABLE
        .iter()
        .chain(ENGINE_OPERATIONS)
        .find(|o| o.name == op)
        .filter(|o| o.whole)?;
    let entry = ["overridable", "engine"]
        .iter()
        .flat_map(|k| schema[*k].as_array().into_iter().flatten())
        .find(|e| e["name"] == info.name)?;
    // The input's named type as the schema refers to it (an alias such as `ManuallyCreateOrUpdateUserInput` has
    // no entry of its own).
    let name = entry["params"]
        .as_object()
        .and_then(|p| p.values().next())
        .and_then(|s| s["$ref"].as_str())
        .and_then(|r| r.rsplit('/').next())
        .unwrap_or(info.input);
    let def = &schema["$defs"][name];
    let required: Vec<&str> = def["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let props = def["properties"].as_object()?;
    let field = |(k, s): (&String, &Value)| InputField {
        name: k.clone(),
        required: required.contains(&k.as_str()),
        default: s.get("default").cloned(),
        schema: s.clone(),
    };
    let (mut out, rest): (Vec<_>, Vec<_>) = props.iter().map(field).partition(|f| f.required);
    out.sort_by_key(|f| required.iter().position(|r| *r == f.name));
    out.extend(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_has_a_schema_and_types_resolve() {
        let s = schema();
        assert_eq!(
            s["overridable"].as_array().map(Vec::len),
            Some(OVERRIDABLE.len())
        );
        assert_eq!(
            s["engine"].as_array().map(Vec::len),
            Some(ENGINE_OPERATIONS.len())
        );
        let user = &s["$defs"]["User"];
        assert!(user["properties"]["loginMethods"].is_object(), "{user}");
        let get_user = &s["overridable"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["name"] == "getUser")
            .unwrap();
        assert_eq!(get_user["params"]["userId"]["type"], "string");
    }

    #[test]
    fn a_whole_input_lists_its_fields_required_first() {
        let s = schema();
        let fields = whole_fields(&s, "verifyEmail").expect("whole");
        let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["recipeUserId", "attemptAccountLinking", "email"]);
        assert!(fields[0].required && !fields[1].required);
        assert_eq!(fields[1].default, Some(Value::Bool(true)));
        assert!(whole_fields(&s, "manuallyCreateOrUpdateUser").is_some_and(|f| f.len() == 4));
        assert!(whole_fields(&s, "getUser").is_none());
    }
}
