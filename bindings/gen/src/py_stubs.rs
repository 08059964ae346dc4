//! `authcore-gen python-types`: `authcore/_declared.pyi`, every operation's typed method for the Python clients
//! and for `original` (`RecipeFunctions` / `ApiFunctions`), from the declaration (`authcore::ops`) and, for
//! inputs taken whole, the fields of their JSON Schema (`authcore::schema`). The runtime signatures are built
//! from the same declaration (`bindings/python/src/methods.rs`); stubtest checks that the two agree.

use std::fmt::Write;

use authcore::error::ERRORS;
use authcore::ops::{OperationInfo, OperationKind, ENGINE_OPERATIONS, OVERRIDABLE};
use serde_json::Value;

use crate::{py_type, snake};

const Q: &str = "\"\"\"";
const USER_CONTEXT: &str = "user_context: UserContext | Mapping[str, Any] | None = None";

/// A declared parameter type as the annotation a caller passes: scalars as themselves, a caller's input as its
/// TypedDict, the core's objects (which overrides pass on) as a `Record` or a mapping.
fn param_type(rust: &str) -> String {
    let t: String = rust
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '&')
        .collect();
    if let Some(inner) = t.strip_prefix("Option<").and_then(|r| r.strip_suffix('>')) {
        return format!("{} | None", param_type(inner));
    }
    match t.as_str() {
        "str" | "String" => "str".into(),
        "bool" => "bool".into(),
        "AccountInfo" => "AccountInfoInput".into(),
        "TenantConfigInput" => "TenantConfigInput".into(),
        "Value" => "Mapping[str, Any]".into(),
        _ => "Record | Mapping[str, Any]".into(),
    }
}

/// A field of a whole input's schema as an annotation.
fn field_type(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return match r.rsplit('/').next().unwrap_or("") {
            "EmailInput" => "EmailInput".into(),
            "ProviderUserInfo" => "UserInfoInput".into(),
            "TimeJoinedOrder" => "Literal[\"ASC\", \"DESC\"]".into(),
            _ => "Mapping[str, Any]".into(),
        };
    }
    if let Some(any) = schema.get("anyOf").and_then(Value::as_array) {
        return any.iter().map(field_type).collect::<Vec<_>>().join(" | ");
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => return "Any".into(),
    };
    types
        .iter()
        .map(|t| match *t {
            "string" => "str",
            "boolean" => "bool",
            "integer" => "int",
            "number" => "float",
            "null" => "None",
            _ => "Any",
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

/// The keyword parameters of one operation (after `self, *`), without `user_context`.
fn params(op: &OperationInfo, schema: &Value) -> Vec<String> {
    if let Some(fields) = authcore::schema::whole_fields(schema, op.name) {
        return fields
            .iter()
            .map(|f| {
                let mut ty = field_type(&f.schema);
                if f.required {
                    return format!("{}: {ty}", snake(&f.name));
                }
                let default = match f.default {
                    Some(Value::Bool(true)) => "True",
                    Some(Value::Bool(false)) => "False",
                    _ => "None",
                };
                if default == "None" && !ty.contains("None") {
                    ty.push_str(" | None");
                }
                format!("{}: {ty} = {default}", snake(&f.name))
            })
            .collect();
    }
    op.args
        .iter()
        .map(|a| {
            let optional = a.ty.replace(' ', "").starts_with("Option<");
            let default = match a.default {
                Some("true") => Some("True"),
                Some("false") => Some("False"),
                Some(_) => Some("None"),
                None if optional => Some("None"),
                None => None,
            };
            let mut ty = param_type(a.ty);
            if default == Some("None") && !ty.contains("None") {
                ty.push_str(" | None");
            }
            match default {
                Some(d) => format!("{}: {ty} = {d}", a.name),
                None => format!("{}: {ty}", a.name),
            }
        })
        .collect()
}

/// A declared result as what the client returns: `None` for nothing, JSON objects as `Record`s.
fn result_type(op: &OperationInfo) -> String {
    if op.result.replace(' ', "") == "()" {
        "None".into()
    } else {
        py_type(op.result, true)
    }
}

fn method(out: &mut String, op: &OperationInfo, schema: &Value, result: &str) {
    let mut ps = vec!["self".to_string()];
    if op.whole && op.kind == OperationKind::Engine {
        // Engine inputs taken whole are resolved by name at run time (`__getattr__`), with keyword arguments.
        ps.push("**input: Any".into());
    } else {
        ps.push("*".into());
        ps.extend(params(op, schema));
        ps.push(USER_CONTEXT.into());
    }
    let _ = writeln!(
        out,
        "    def {}({}) -> {result}:",
        snake(op.name),
        ps.join(", ")
    );
    let doc = op.doc.trim();
    if !doc.is_empty() {
        let _ = writeln!(out, "        {Q}{}{Q}", doc.replace(Q, "'''"));
    }
    let _ = writeln!(out, "        ...");
}

pub fn python_types(schema: &Value) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# @generated by `cargo run -p authcore-gen -- python-types` from the core's declaration (authcore::ops, authcore::schema)."
    );
    let _ = writeln!(
        out,
        "# DO NOT EDIT: scripts/test-python regenerates this file and fails when it differs."
    );
    let _ = writeln!(
        out,
        "{Q}Every operation's typed method, derived from the core's declaration: the clients' (``DeclaredOperations``,\n``AsyncDeclaredOperations``) and ``original``'s (``DeclaredRecipeFunctions``, ``DeclaredApiFunctions``).{Q}\n"
    );
    let _ = writeln!(out, "from typing import Any, Awaitable, Literal, Mapping\n");
    let _ = writeln!(out, "from ._native import AuthError, Record, UserContext");
    let _ = writeln!(
        out,
        "from ._types import AccountInfoInput, EmailInput, TenantConfigInput, UserInfoInput"
    );
    errors(&mut out);
    let all: Vec<&OperationInfo> = OVERRIDABLE.iter().chain(ENGINE_OPERATIONS).collect();
    for (class, asynchronous) in [
        ("DeclaredOperations", false),
        ("AsyncDeclaredOperations", true),
    ] {
        let _ = writeln!(out, "\n\nclass {class}:");
        for op in &all {
            let result = result_type(op);
            let result = if asynchronous {
                format!("Awaitable[{result}]")
            } else {
                result
            };
            method(&mut out, op, schema, &result);
        }
    }
    for (class, kind, doc) in [
        (
            "DeclaredRecipeFunctions",
            OperationKind::Recipe,
            "``original`` of a ``functions`` factory: the result, or an awaitable in an ``async def`` override.",
        ),
        (
            "DeclaredApiFunctions",
            OperationKind::Api,
            "``original`` of an ``apis`` factory: the result, or an awaitable in an ``async def`` override.",
        ),
    ] {
        let _ = writeln!(out, "\n\nclass {class}:\n    {Q}{doc}{Q}\n");
        for op in OVERRIDABLE.iter().filter(|o| o.kind == kind) {
            method(&mut out, op, schema, "Any");
        }
    }
    out
}

/// One `AuthError` subclass per code of the core's declaration (`authcore::error::ERRORS`), with the fields its
/// instances carry; `__all__` lists them, so `_native.pyi` re-exports them with `from ._declared import *`.
fn errors(out: &mut String) {
    let names: Vec<String> = ERRORS.iter().map(|e| format!("{:?}", e.class)).collect();
    let _ = writeln!(out, "\n__all__ = [{}]", names.join(", "));
    for e in ERRORS {
        let _ = writeln!(out, "\n\nclass {}(AuthError):", e.class);
        let _ = writeln!(out, "    {Q}``{}``: {}{Q}", e.code, e.doc);
        for f in e.fields {
            let _ = writeln!(out, "    {}: {}", f.name, py_type(f.ty, false));
        }
    }
}
