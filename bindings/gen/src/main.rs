//! Writes what each binding's typed surface derives from the core's declaration (`authcore::ops`):
//! `authcore-gen node-types` prints `bindings/node/declared.d.ts`, `authcore-gen python-types`
//! `bindings/python/python/authcore/_declared.pyi`, `authcore-gen kotlin-types`
//! `bindings/uniffi/kotlin/src/main/kotlin/dev/authcore/Declared.kt`, `authcore-gen kotlin-hooks`
//! `bindings/uniffi/kotlin/src/main/kotlin/dev/authcore/Overrides.kt`, `authcore-gen schema`
//! `bindings/gen/schema.json` (the JSON Schema of every operation's parameters and result, for generators of
//! each language's types). The generated files are committed; the test scripts regenerate them and fail on
//! `git diff`.

use std::fmt::Write;

mod kotlin_hooks;
mod py_stubs;
mod ts_model;
mod uniffi_methods;

use authcore::ops::{camel_case, OperationInfo, OperationKind, OPERATIONS};

fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("node-types") => print!("{}", node_types()),
        Some("python-types") => print!("{}", py_stubs::python_types(&authcore::schema::schema())),
        Some("kotlin-types") => print!("{}", kotlin_types()),
        Some("kotlin-hooks") => print!("{}", kotlin_hooks::kotlin_hooks()),
        Some("uniffi-methods") => print!("{}", uniffi_methods::uniffi_methods()),
        Some("node-model") => {
            let schema = authcore::schema::schema();
            print!(
                "{}{}",
                ts_model::node_model(&schema),
                ts_model::node_operations(&schema)
            )
        }
        Some("schema") => match serde_json::to_string_pretty(&authcore::schema::schema()) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("authcore-gen: {e}");
                std::process::exit(1);
            }
        },
        _ => {
            eprintln!("usage: authcore-gen node-types | node-model | python-types | kotlin-types | kotlin-hooks | uniffi-methods | schema");
            std::process::exit(2);
        }
    }
}

/// The operations Node derives from the declaration rather than writing by hand: the engine's own calls.
fn derived_in_node(op: &OperationInfo) -> bool {
    op.kind == OperationKind::Engine
}

/// `getUserCount` -> `get_user_count`.
pub(crate) fn snake(name: &str) -> String {
    // An acronym is one word: `signInUpPOST` -> `sign_in_up_post`, `getRedirectionURL` -> `get_redirection_url`.
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                out.push('_');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// A Rust type of the declaration as a Python annotation: results that are JSON objects are `Record` (the
/// binding wraps them), named input types are mappings.
pub(crate) fn py_type(rust: &str, result: bool) -> String {
    let t: String = rust
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '&')
        .collect();
    let inner = |prefix: &str| {
        t.strip_prefix(prefix)
            .and_then(|r| r.strip_suffix('>'))
            .map(str::to_string)
    };
    if let Some(i) = inner("Option<") {
        return format!("{} | None", py_type(&i, result));
    }
    if let Some(i) = inner("Vec<") {
        return format!("list[{}]", py_type(&i, result));
    }
    match t.as_str() {
        "String" | "str" => "str".into(),
        "bool" => "bool".into(),
        "u8" | "u16" | "u32" | "u64" | "usize" | "i8" | "i16" | "i32" | "i64" | "isize" => {
            "int".into()
        }
        "f64" => "float".into(),
        "Value" | "()" => "Any".into(),
        _ if result => "Record".into(),
        _ => "Mapping[str, Any]".into(),
    }
}

/// A declared type as Kotlin, when it is a JSON scalar (or an optional one) the facade can pass and read
/// without a record converter; `None` otherwise.
fn kt_scalar(rust: &str) -> Option<String> {
    let t: String = rust
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '&')
        .collect();
    if let Some(inner) = t.strip_prefix("Option<").and_then(|r| r.strip_suffix('>')) {
        return kt_scalar(inner).map(|k| format!("{k}?"));
    }
    Some(
        match t.as_str() {
            "String" => "String",
            "bool" => "Boolean",
            "u8" | "u16" | "u32" | "u64" | "usize" | "i8" | "i16" | "i32" | "i64" | "isize" => {
                "Long"
            }
            _ => return None,
        }
        .to_string(),
    )
}

/// A declared default as Kotlin (`None` -> `null`, booleans and integers as written).
fn kt_default(rust: &str) -> Option<String> {
    match rust {
        "None" => Some("null".into()),
        "true" | "false" => Some(rust.into()),
        d if d.parse::<i64>().is_ok() => Some(format!("{d}L")),
        _ => None,
    }
}

fn kotlin_types() -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "// @generated by `cargo run -p authcore-gen -- kotlin-types` from core/src/ops.rs (for_each_operation!)."
    );
    let _ = writeln!(
        out,
        "// DO NOT EDIT: scripts/test-kotlin regenerates this file and fails when it differs."
    );
    let _ = writeln!(out, "package dev.authcore\n");
    let _ = writeln!(
        out,
        "// The engine operations of the declaration whose arguments and result are JSON scalars, as typed methods of\n// the facade over `AuthCore.call` (the others have hand-written methods with record types)."
    );
    for op in OPERATIONS.iter().filter(|o| derived_in_node(o)) {
        let Some(result) = kt_scalar(op.result) else {
            continue;
        };
        if op.whole {
            continue;
        }
        let mut params = Vec::new();
        let mut fields = Vec::new();
        let mut ok = true;
        for a in op.args {
            let (Some(ty), default) = (kt_scalar(a.ty), a.default.map(kt_default)) else {
                ok = false;
                break;
            };
            let name = camel_case(a.name);
            match default {
                Some(Some(d)) => params.push(format!("{name}: {ty} = {d}")),
                Some(None) => {
                    ok = false;
                    break;
                }
                None => params.push(format!("{name}: {ty}")),
            }
            fields.push(format!("\"{name}\" to {name}"));
        }
        if !ok {
            continue;
        }
        params.push("userContext: UserContext? = null".into());
        let read = format!(
            "DeclaredJson.{}{}",
            match result.trim_end_matches('?') {
                "Long" => "long",
                "Boolean" => "boolean",
                _ => "text",
            },
            if result.ends_with('?') { "OrNull" } else { "" }
        );
        let _ = writeln!(out);
        let doc = op.doc.trim();
        if !doc.is_empty() {
            let _ = writeln!(out, "/** {} */", doc.replace("*/", "* /"));
        }
        let _ = writeln!(
            out,
            "suspend fun AuthCore.{}({}): {result} =\n    {read}(call(\"{}\", DeclaredJson.obj({}), userContext))",
            op.name,
            params.join(", "),
            op.name,
            fields.join(", ")
        );
    }
    out
}

/// `getUserCount` -> `GetUserCount`.
fn pascal(name: &str) -> String {
    let mut c = name.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// A Rust type of the declaration (`Option<Vec<String>>`) as TypeScript (`string[] | null`). Named types are the
/// ones `index.d.ts` exports under the same name.
fn ts_type(rust: &str) -> String {
    let t: String = rust
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '&')
        .collect();
    let inner = |prefix: &str| {
        t.strip_prefix(prefix)
            .and_then(|r| r.strip_suffix('>'))
            .map(str::to_string)
    };
    if let Some(i) = inner("Option<") {
        return format!("{} | null", ts_type(&i));
    }
    if let Some(i) = inner("Vec<") {
        let item = ts_type(&i);
        return if item.contains(' ') {
            format!("({item})[]")
        } else {
            format!("{item}[]")
        };
    }
    match t.as_str() {
        "String" | "str" => "string".into(),
        "bool" => "boolean".into(),
        "u8" | "u16" | "u32" | "u64" | "usize" | "i8" | "i16" | "i32" | "i64" | "isize" | "f64" => {
            "number".into()
        }
        "Value" => "unknown".into(),
        "()" => "void".into(),
        named => named.to_string(),
    }
}

fn doc(out: &mut String, indent: &str, text: &str) {
    let text = text.trim();
    if !text.is_empty() {
        let _ = writeln!(out, "{indent}/** {} */", text.replace("*/", "* /"));
    }
}

fn node_types() -> String {
    let ops: Vec<&OperationInfo> = OPERATIONS.iter().filter(|o| derived_in_node(o)).collect();
    let mut named: Vec<String> = Vec::new();
    let mut remember = |t: &str| {
        for word in t.split(|c: char| !c.is_alphanumeric()) {
            if word.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                && !named.iter().any(|n| n == word)
            {
                named.push(word.to_string());
            }
        }
    };
    let mut body = String::new();
    for op in &ops {
        if op.whole {
            remember(op.input);
        }
        remember(&ts_type(op.result));
        for a in op.args {
            remember(&ts_type(a.ty));
        }
    }
    for op in &ops {
        if op.whole {
            continue;
        }
        let _ = writeln!(body, "/** The arguments of `{}`. */", op.name);
        let _ = writeln!(body, "export interface {}Input {{", pascal(op.name));
        for a in op.args {
            let optional = if a.default.is_some() { "?" } else { "" };
            if let Some(d) = a.default {
                let d = if d == "None" { "null" } else { d };
                let _ = writeln!(body, "  /** Default: `{d}`. */");
            }
            let _ = writeln!(
                body,
                "  {}{optional}: {}",
                camel_case(a.name),
                ts_type(a.ty)
            );
        }
        let _ = writeln!(body, "  userContext?: Record<string, any>");
        let _ = writeln!(body, "}}\n");
    }
    let _ = writeln!(
        body,
        "/** The methods `AuthCore` derives from the declaration (merged into `AuthCore` by `index.d.ts`). */"
    );
    let _ = writeln!(body, "export interface DeclaredOperations {{");
    for op in &ops {
        let input = if op.whole {
            format!("{} & {{ userContext?: Record<string, any> }}", op.input)
        } else {
            format!("{}Input", pascal(op.name))
        };
        let optional = if op.input_may_be_omitted { "?" } else { "" };
        doc(&mut body, "  ", op.doc);
        let _ = writeln!(
            body,
            "  {}(input{optional}: {input}): Promise<{}>",
            op.name,
            ts_type(op.result)
        );
    }
    let _ = writeln!(body, "}}");
    let _ = writeln!(
        body,
        "\n/** The core's error codes (`authcore::error::ERRORS`), `AuthError.code`. */"
    );
    let _ = writeln!(body, "export type AuthErrorCode =");
    for e in authcore::error::ERRORS {
        let _ = writeln!(body, "  | '{}'", e.code);
    }

    let mut out = String::new();
    let _ = writeln!(out, "// @generated by `cargo run -p authcore-gen -- node-types` from core/src/ops.rs (for_each_operation!).");
    let _ = writeln!(
        out,
        "// DO NOT EDIT: scripts/test-node regenerates this file and fails when it differs."
    );
    named.sort();
    if !named.is_empty() {
        let _ = writeln!(out, "import type {{ {} }} from './index'", named.join(", "));
    }
    out.push('\n');
    out.push_str(&body);
    out
}
