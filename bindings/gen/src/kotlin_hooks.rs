//! `authcore-gen kotlin-hooks`: the per-operation half of the Kotlin facade's overrides
//! (`bindings/uniffi/kotlin/src/main/kotlin/dev/authcore/Overrides.kt`), from the declaration of the
//! overridable operations (`authcore::ops::OVERRIDABLE`): the typed `Functions` / `Apis` interfaces, the bridges
//! that run a Kotlin override when the core's host layer crosses into it, and the `original` objects calling
//! the layer below over JNI, and the facade's typed methods (`DeclaredOperations`, which `AuthCore` extends). Every positional argument order on the JNI wire is the declaration's; the Rust
//! half (`bindings/uniffi/src/jvm_hooks.rs`) derives the same order from the same declaration.

use std::fmt::Write;

use authcore::ops::{camel_case, OperationInfo, OperationKind, OVERRIDABLE};

use crate::snake;

/// Type aliases of the declaration that uniffi does not know by their own name.
pub(crate) const ALIASES: &[(&str, &str)] = &[
    ("ManuallyCreateOrUpdateUserInput", "SignInUpInput"),
    // The provider's token response is a JSON object (`authcore::uniffi_types::JsonObject`).
    ("OAuthTokens", "JsonObject"),
];

/// One declared type as Kotlin: its type, and the expression of its converter (`None`: nothing crosses).
struct Kt {
    ty: String,
    converter: Option<String>,
}

fn kt(rust: &str) -> Kt {
    let t: String = rust
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '&')
        .collect();
    let kt = |ty: &str, conv: &str| Kt {
        ty: ty.to_string(),
        converter: Some(conv.to_string()),
    };
    if let Some(inner) = t.strip_prefix("Option<").and_then(|r| r.strip_suffix('>')) {
        let inner = self::kt(inner);
        return Kt {
            ty: format!("{}?", inner.ty),
            converter: inner.converter.map(|c| format!("optionalOf({c})")),
        };
    }
    if let Some(inner) = t.strip_prefix("Vec<").and_then(|r| r.strip_suffix('>')) {
        let inner = self::kt(inner);
        return Kt {
            ty: format!("List<{}>", inner.ty),
            converter: inner.converter.map(|c| format!("sequenceOf({c})")),
        };
    }
    match t.as_str() {
        "()" => Kt {
            ty: "Unit".into(),
            converter: None,
        },
        "str" | "String" => kt("String", "FfiConverterString"),
        "bool" => kt("Boolean", "FfiConverterBoolean"),
        // JSON crosses as its text (the binding's `OwnWire` for `Value`).
        "Value" => kt("String", "FfiConverterString"),
        name => {
            let name = ALIASES
                .iter()
                .find(|(alias, _)| *alias == name)
                .map_or(name, |(_, real)| *real);
            kt(name, &format!("FfiConverterType{name}"))
        }
    }
}

/// `signInUpPOST` -> `signInUpPost`: the Kotlin method name (uniffi's camelCase of the Rust name).
fn method(op: &OperationInfo) -> String {
    camel_case(&snake(op.name))
}

/// The declared parameters as (Kotlin name, type): a `whole` input is one parameter named `input`.
fn params(op: &OperationInfo) -> Vec<(String, Kt)> {
    if op.whole {
        vec![("input".to_string(), kt(op.input))]
    } else {
        op.args
            .iter()
            .map(|a| (camel_case(a.name), kt(a.ty)))
            .collect()
    }
}

fn doc(out: &mut String, indent: &str, text: &str) {
    if !text.trim().is_empty() {
        let _ = writeln!(out, "{indent}/** {} */", text.trim());
    }
}

fn signature(op: &OperationInfo) -> String {
    let mut s = format!("suspend fun {}(", method(op));
    for (name, t) in params(op) {
        let _ = write!(s, "{name}: {}, ", t.ty);
    }
    let _ = write!(s, "userContext: UserContext): {}", kt(op.result).ty);
    s
}

fn interface(out: &mut String, name: &str, doc_text: &str, ops: &[&OperationInfo]) {
    let _ = writeln!(out, "/** {doc_text} */");
    let _ = writeln!(out, "interface {name} {{");
    for op in ops {
        doc(out, "    ", op.doc);
        let _ = writeln!(out, "    {}", signature(op));
    }
    let _ = writeln!(out, "}}\n");
}

fn bridge(
    out: &mut String,
    name: &str,
    iface: &str,
    factory: &str,
    apply: &str,
    ops: &[&OperationInfo],
) {
    let _ = writeln!(out, "/** One Kotlin override layer of `{iface}`: runs the methods the core's host layer sends it. */");
    let _ = writeln!(
        out,
        "internal class {name}(private val layer: {factory}) : HookBridge() {{"
    );
    let _ = writeln!(out, "    @Volatile private var host: {iface}? = null\n");
    let _ = writeln!(out, "    private fun f(): {iface} = host ?: throw IllegalStateException(\"override layer used before apply\")\n");
    let _ = writeln!(out, "    override fun dispatch(op: Int, args: ByteBuffer, callId: Long): ByteArray = when (op) {{");
    let _ = writeln!(out, "        HookOp.{apply} -> {{");
    let _ = writeln!(
        out,
        "            val impl = layer.apply(Original{iface}(args.getLong()))"
    );
    let _ = writeln!(out, "            host = impl");
    let _ = writeln!(out, "            Replaced.reply(impl)");
    let _ = writeln!(out, "        }}");
    for op in ops {
        let _ = writeln!(out, "        HookOps.{} -> {{", method(op));
        let mut names = Vec::new();
        for (i, (_, t)) in params(op).iter().enumerate() {
            let conv = t.converter.as_deref().unwrap_or("FfiConverterString");
            let _ = writeln!(out, "            val a{i} = {conv}.read(args)");
            names.push(format!("a{i}"));
        }
        let _ = writeln!(out, "            val ctx = uc(args)");
        names.push("ctx".into());
        let call = format!("f().{}({})", method(op), names.join(", "));
        match kt(op.result).converter {
            Some(conv) => {
                let _ = writeln!(out, "            run(callId) {{ ok({conv}, {call}) }}");
            }
            None => {
                let _ = writeln!(out, "            run(callId) {{\n                {call}\n                ok()\n            }}");
            }
        }
        let _ = writeln!(out, "        }}");
    }
    let _ = writeln!(
        out,
        "        else -> throw IllegalArgumentException(\"no {iface} operation $op\")"
    );
    let _ = writeln!(out, "    }}\n}}\n");
}

fn original(out: &mut String, iface: &str, ops: &[&OperationInfo]) {
    let _ = writeln!(out, "/** `{iface}` over JNI: an override's `original`, or the engine's final object behind [AuthCore]. */");
    let _ = writeln!(
        out,
        "internal class Original{iface}(pointer: Long) : NativeOriginal(pointer), {iface} {{"
    );
    for op in ops {
        let _ = writeln!(out, "    override {} =", signature(op));
        let mut args = String::new();
        for (name, t) in params(op) {
            let conv = t.converter.as_deref().unwrap_or("FfiConverterString");
            let _ = write!(args, "put({conv}, {name}).");
        }
        let _ = write!(args, "ctx(userContext)");
        let result = kt(op.result);
        match result.converter {
            Some(conv) => {
                let _ = writeln!(
                    out,
                    "        call(HookOps.{}, {conv}) {{ {args} }}\n",
                    method(op)
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "        call<Unit>(HookOps.{}, null) {{ {args} }}\n",
                    method(op)
                );
            }
        }
    }
    let _ = writeln!(out, "}}\n");
}

/// Public operations whose facade method is hand-written in `AuthCore.kt`: `getSession` takes its input's
/// fields as parameters there (`getSession(accessToken, tenantId, anyTenant)`).
const HAND_WRITTEN: &[&str] = &["getSession"];

/// Defaults of inputs taken whole that Kotlin cannot write as `T()` (uniffi gives enums no default value).
const WHOLE_DEFAULTS: &[(&str, &str)] = &[(
    "GetUsersInput",
    "GetUsersInput(timeJoinedOrder = TimeJoinedOrder.ASC)",
)];

/// A declared default as Kotlin: `None` -> `null`, `T::default()` -> `T()`, an empty JSON object -> `"{}"`.
fn kt_default(rust: &str) -> String {
    let rust: String = rust.chars().filter(|c| !c.is_whitespace()).collect();
    match rust.as_str() {
        "None" => "null".into(),
        "Value::Object(Default::default())" => "\"{}\"".into(),
        d => match d.strip_suffix("::default()") {
            Some(ty) => format!("{ty}()"),
            None => d.to_string(),
        },
    }
}

/// The facade's typed methods (`DeclaredOperations`, which `AuthCore` extends): one per public overridable
/// operation, calling the engine's final `Functions` / `Apis` object; `userContext = null` starts a request.
fn facade(out: &mut String) {
    let _ = writeln!(out, "/** The typed methods of [AuthCore], one per public operation of the declaration: each calls the engine's final\n * (overridden) [Functions] or [Apis] object over JNI; `userContext = null` starts a new request. */");
    let _ = writeln!(
        out,
        "abstract class DeclaredOperations internal constructor() {{"
    );
    let _ = writeln!(
        out,
        "    /** The final (overridden) recipe functions, as one object (calls over JNI). */"
    );
    let _ = writeln!(out, "    abstract fun functions(): Functions\n");
    let _ = writeln!(
        out,
        "    /** The final (overridden) API functions, as one object (calls over JNI). */"
    );
    let _ = writeln!(out, "    abstract fun apis(): Apis");
    for op in OVERRIDABLE
        .iter()
        .filter(|o| o.public && !HAND_WRITTEN.contains(&o.name))
    {
        let mut params = Vec::new();
        let mut names = Vec::new();
        if op.whole {
            let ty = kt(op.input).ty;
            let default = WHOLE_DEFAULTS.iter().find(|(t, _)| *t == ty);
            params.push(match (op.input_may_be_omitted, default) {
                (true, Some((_, d))) => format!("input: {ty} = {d}"),
                (true, None) => format!("input: {ty} = {ty}()"),
                _ => format!("input: {ty}"),
            });
            names.push("input".to_string());
        }
        for a in op.args {
            // A JSON value crosses as its text: `accessTokenPayloadJson`.
            let json = if a.ty.ends_with("Value") { "Json" } else { "" };
            let name = format!("{}{json}", camel_case(a.name));
            let ty = kt(a.ty).ty;
            params.push(match a.default {
                Some(d) => format!("{name}: {ty} = {}", kt_default(d)),
                None => format!("{name}: {ty}"),
            });
            names.push(name);
        }
        params.push("userContext: UserContext? = null".into());
        names.push("userContext ?: NewRequest".into());
        let target = match op.kind {
            OperationKind::Api => "apis()",
            _ => "functions()",
        };
        let _ = writeln!(out);
        doc(out, "    ", op.doc);
        let _ = writeln!(
            out,
            "    suspend fun {}({}): {} =\n        {target}.{}({})",
            method(op),
            params.join(", "),
            kt(op.result).ty,
            method(op),
            names.join(", ")
        );
    }
    let _ = writeln!(out, "}}\n");
}

pub(crate) fn kotlin_hooks() -> String {
    let mut out = String::new();
    out.push_str("// @generated by `cargo run -p authcore-gen -- kotlin-hooks` from core/src/ops.rs (for_each_overridable!).\n");
    out.push_str(
        "// DO NOT EDIT: scripts/gen-bindings regenerates this file; CI fails when it differs.\n",
    );
    out.push_str(
        "package dev.authcore\n\nimport dev.authcore.model.*\nimport java.nio.ByteBuffer\n\n",
    );
    let of = |kind| {
        OVERRIDABLE
            .iter()
            .filter(|o| o.kind == kind)
            .collect::<Vec<_>>()
    };
    let functions = of(OperationKind::Recipe);
    let apis = of(OperationKind::Api);

    let _ = writeln!(out, "/** Hook operation indexes of the declared operations, resolved by wire name once (`HOOK_OPS` in jvm_hooks.rs). */");
    let _ = writeln!(out, "internal object HookOps {{");
    for op in OVERRIDABLE {
        let _ = writeln!(out, "    val {} = HookOp.of(\"{}\")", method(op), op.name);
    }
    let _ = writeln!(
        out,
        "\n    /** Kotlin method name -> hook operation index, for [Replaced]. */"
    );
    let _ = writeln!(out, "    val byMethod: Map<String, Int> = mapOf(");
    for op in OVERRIDABLE {
        let _ = writeln!(out, "        \"{0}\" to {0},", method(op));
    }
    let _ = writeln!(out, "    )\n}}\n");

    interface(&mut out, "Functions", "Every overridable recipe function. Change one method by delegation: `class Mine(original: Functions) : Functions by original { override suspend fun getUser(...) = ... }`.", &functions);
    interface(
        &mut out,
        "Apis",
        "The overridable API functions (what the frontend calls).",
        &apis,
    );
    bridge(
        &mut out,
        "FunctionsBridge",
        "Functions",
        "FunctionsOverride",
        "functionsApply",
        &functions,
    );
    bridge(
        &mut out,
        "ApisBridge",
        "Apis",
        "ApisOverride",
        "apisApply",
        &apis,
    );
    original(&mut out, "Functions", &functions);
    original(&mut out, "Apis", &apis);
    facade(&mut out);
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}
