//! What the declaration of the overridable operations ([`for_each_overridable!`](crate::for_each_overridable))
//! derives: the two traits ([`RecipeFunctions`], [`ApiFunctions`]), the flow layer the engine puts above every
//! override, the one host override layer every binding plugs its language into ([`HostFunctions`],
//! [`HostApis`] over a [`Host`]), and dispatch into any layer by name ([`call_functions`], [`call_apis`]), which
//! is how host code calls `original`.
//!
//! A binding therefore writes no list of operations: it implements [`Host::call`] (run the host's own method
//! `op` with these JSON arguments), says which methods its host object defines, and calls `original` through
//! [`call_functions`] / [`call_apis`].

use std::any::TypeId;
use std::collections::HashSet;
use std::sync::{Arc, Weak};

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::engine::Inner;
use crate::error::{AuthError, Result};
use crate::json;
use crate::ops::camel_case;
// Every type the declaration names, from the one list of them.
use crate::ops::types::*;

/// Host code behind one override layer: a binding's adapter to the object its language's override factory
/// returned.
#[async_trait]
pub trait Host: Send + Sync {
    /// Runs the host's own `op` (a declared wire name, e.g. `getUser`) with `args` (the JSON form of the
    /// declared parameters: one object, camelCase keys) and returns its result as JSON (`null` for nothing).
    /// Only called for the methods the layer was built to replace.
    async fn call(&self, op: &'static str, args: Value, ctx: &UserContext) -> Result<Value>;
}

/// How a trait method's borrowed parameter is rebuilt from JSON: the owned value it borrows from.
pub trait FromOwned<'a>: Sized {
    type Owned: DeserializeOwned;
    fn from_owned(owned: &'a Self::Owned) -> Self;
}

impl<'a> FromOwned<'a> for &'a str {
    type Owned = String;
    fn from_owned(owned: &'a String) -> Self {
        owned
    }
}

impl<'a, T: DeserializeOwned + 'a> FromOwned<'a> for &'a T {
    type Owned = T;
    fn from_owned(owned: &'a T) -> Self {
        owned
    }
}

impl<'a> FromOwned<'a> for Option<&'a str> {
    type Owned = Option<String>;
    fn from_owned(owned: &'a Option<String>) -> Self {
        owned.as_deref()
    }
}

impl<'a, T: DeserializeOwned + 'a> FromOwned<'a> for Option<&'a T> {
    type Owned = Option<T>;
    fn from_owned(owned: &'a Option<T>) -> Self {
        owned.as_ref()
    }
}

impl FromOwned<'_> for bool {
    type Owned = bool;
    fn from_owned(owned: &bool) -> Self {
        *owned
    }
}

/// A host's answer read as the declared result; a method that returns nothing ignores what the host returned.
fn from_host<T: DeserializeOwned + 'static>(op: &str, value: Value) -> Result<T> {
    if TypeId::of::<T>() == TypeId::of::<()>() {
        return json::parse(op, Value::Null);
    }
    json::parse(&format!("result of override '{op}'"), value)
}

/// The arguments object of a `named` call (absent: empty).
fn named_args(args: Value) -> Result<Map<String, Value>> {
    match args {
        Value::Object(map) => Ok(map),
        Value::Null => Ok(Map::new()),
        _ => Err(AuthError::invalid("args", "expected an object")),
    }
}

/// One parameter of a `named` call: the value under its camelCase key, its default when absent, else what
/// `null` reads as (`None` for an `Option`), else a missing-argument error.
fn named_arg<T: DeserializeOwned>(
    map: &mut Map<String, Value>,
    name: &str,
    default: Option<fn() -> T>,
) -> Result<T> {
    // Found by comparing the snake_case name with each key, so the common call allocates no camelCase copy.
    let key = map.keys().find(|k| is_camel_of(name, k)).cloned();
    match key.and_then(|k| map.remove_entry(&k)) {
        Some((k, v)) => json::parse(&k, v),
        None => match default {
            Some(d) => Ok(d()),
            None => serde_json::from_value(Value::Null).map_err(|_| {
                let key = camel_case(name);
                AuthError::invalid(&key, format!("missing field `{key}`"))
            }),
        },
    }
}

/// Whether `camel` is the camelCase form of `snake` ([`camel_case`] without building it).
fn is_camel_of(snake: &str, camel: &str) -> bool {
    let mut expected = snake.chars().enumerate().filter_map({
        let mut upper = false;
        move |(i, c)| {
            if c == '_' && i > 0 {
                upper = true;
                None
            } else if std::mem::take(&mut upper) {
                Some(c.to_ascii_uppercase())
            } else {
                Some(c)
            }
        }
    });
    let mut given = camel.chars();
    loop {
        match (expected.next(), given.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a == b => {}
            _ => return false,
        }
    }
}

fn no_unknown_args(map: &Map<String, Value>) -> Result<()> {
    match map.keys().next() {
        Some(k) => Err(AuthError::invalid(k, format!("unknown field `{k}`"))),
        None => Ok(()),
    }
}

/// The JSON arguments a host method receives.
macro_rules! args_json {
    (whole; $p:ident) => {
        json::to_value($p)?
    };
    (named; $($p:ident),*) => {{
        #[allow(unused_mut)]
        let mut map = Map::new();
        $(map.insert(camel_case(stringify!($p)), json::to_value(&$p)?);)*
        Value::Object(map)
    }};
}

/// Binds each parameter, owned, from a call's JSON arguments.
macro_rules! bind_args {
    ($args:ident; whole; $p:ident : $pty:ty) => {
        let $p: <$pty as FromOwned<'_>>::Owned = json::parse("args", $args)?;
    };
    ($args:ident; whole; $p:ident : $pty:ty = $def:expr) => {
        let $p: <$pty as FromOwned<'_>>::Owned = if $args.is_null() { $def } else { json::parse("args", $args)? };
    };
    ($args:ident; named; $($p:ident : $pty:ty $(= $def:expr)?),*) => {
        #[allow(unused_mut)]
        let mut map = named_args($args)?;
        $(let $p: <$pty as FromOwned<'_>>::Owned =
            named_arg(&mut map, stringify!($p), bind_args!(@default $($def)?))?;)*
        no_unknown_args(&map)?;
    };
    (@default) => {
        None
    };
    (@default $def:expr) => {
        Some(|| $def)
    };
}

macro_rules! derive_layers {
    ($(
        $(#[doc = $tdoc:literal])*
        trait $Trait:ident($Flow:ident, $Host:ident, $call:ident, $kind:ident) {
            $(
                $(#[doc = $doc:literal])*
                fn $name:ident $wire:literal $shape:ident ( $($p:ident : $pty:ty $(= $def:expr)?),* $(,)? )
                    -> $ret:ty as $env:ident;
            )*
        }
    )*) => {$(
        $(#[doc = $tdoc])*
        #[async_trait]
        pub trait $Trait: Send + Sync {
            /// The implementation this one wraps. The built-in implementation returns itself and overrides every
            /// method, so the defaults below are only ever used by overrides.
            fn original(&self) -> &dyn $Trait;
            /// Whether this layer and every layer below it reach host code only through a [`Host`] crossing,
            /// which commits the request's transaction first: only then may a request run its steps in one
            /// transaction. A layer written in Rust answers `false` unless it says otherwise (it must then
            /// neither block nor call the engine with another request's context).
            fn settles_before_host(&self) -> bool {
                false
            }
            $(
                $(#[doc = $doc])*
                async fn $name(&self, $($p: $pty,)* ctx: &UserContext) -> Result<$ret> {
                    self.original().$name($($p,)* ctx).await
                }
            )*
        }

        /// The outermost layer: every call, from outside or from inside, runs in the request's flow, and when
        /// the outermost call returns the flow's committed events are delivered. Above all overrides, so host
        /// overrides need to do nothing for events to be delivered after their work.
        pub(crate) struct $Flow {
            pub next: Arc<dyn $Trait>,
            pub inner: Weak<Inner>,
        }

        #[async_trait]
        impl $Trait for $Flow {
            fn original(&self) -> &dyn $Trait {
                &*self.next
            }
            fn settles_before_host(&self) -> bool {
                self.next.settles_before_host()
            }
            $(
                async fn $name(&self, $($p: $pty,)* ctx: &UserContext) -> Result<$ret> {
                    let inner = self
                        .inner
                        .upgrade()
                        .ok_or_else(|| AuthError::internal("the engine was dropped"))?;
                    inner.scoped(ctx, self.next.$name($($p,)* ctx)).await
                }
            )*
        }

        /// One host override layer: the methods the host object defines cross into it (arguments and result
        /// as JSON, bounded by `hostTimeoutMs`); every other method goes straight to `original`, without
        /// touching the host.
        pub struct $Host {
            original: Arc<dyn $Trait>,
            host: Arc<dyn Host>,
            replaced: HashSet<&'static str>,
            timeout_ms: u64,
        }

        impl $Host {
            /// A layer over `original` whose methods named by `replaces` (declared wire names) run in `host`.
            pub fn new(
                original: Arc<dyn $Trait>,
                host: Arc<dyn Host>,
                replaces: impl Fn(&str) -> bool,
                timeout_ms: u64,
            ) -> Self {
                let replaced = [$($wire),*].into_iter().filter(|op| replaces(op)).collect();
                $Host { original, host, replaced, timeout_ms }
            }

            /// The declared wire names this layer sends to its host.
            pub fn replaced(&self) -> impl Iterator<Item = &'static str> + '_ {
                self.replaced.iter().copied()
            }
        }

        #[async_trait]
        impl $Trait for $Host {
            fn original(&self) -> &dyn $Trait {
                &*self.original
            }
            fn settles_before_host(&self) -> bool {
                self.original.settles_before_host()
            }
            $(
                async fn $name(&self, $($p: $pty,)* ctx: &UserContext) -> Result<$ret> {
                    if !self.replaced.contains($wire) {
                        return self.original.$name($($p,)* ctx).await;
                    }
                    let args = args_json!($shape; $($p),*);
                    let _in_host = ctx.enter_host()?;
                    let value = crate::host::guard(self.timeout_ms, self.host.call($wire, args, ctx)).await?;
                    from_host($wire, value)
                }
            )*
        }

        /// Calls the method declared as `op` on `layer` with its arguments as JSON (see the module docs of
        /// [`crate::ops`] for the shapes) and returns its raw result as JSON: how host code calls `original`.
        pub async fn $call(layer: &dyn $Trait, op: &str, args: Value, ctx: &UserContext) -> Result<Value> {
            match op {
                $($wire => {
                    bind_args!(args; $shape; $($p: $pty $(= $def)?),*);
                    let result: $ret = layer.$name($(FromOwned::from_owned(&$p),)* ctx).await?;
                    json::to_value(&result)
                })*
                other => Err(AuthError::invalid("op", format!("no operation named {other:?}"))),
            }
        }
    )*};
}

crate::for_each_overridable!(derive_layers);

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use serde_json::json;

    use super::*;

    /// Records what `deleteUser` and `isEmailVerified` receive; nothing else is called.
    #[derive(Default)]
    struct Recorder(Mutex<Vec<Value>>);

    #[async_trait]
    impl RecipeFunctions for Recorder {
        fn original(&self) -> &dyn RecipeFunctions {
            self
        }
        async fn delete_user(&self, user_id: &str, all: bool, _ctx: &UserContext) -> Result<()> {
            self.0.lock().unwrap().push(json!([user_id, all]));
            Ok(())
        }
        async fn is_email_verified(
            &self,
            recipe_user_id: &str,
            email: Option<&str>,
            _ctx: &UserContext,
        ) -> Result<bool> {
            self.0.lock().unwrap().push(json!([recipe_user_id, email]));
            Ok(email.is_some())
        }
    }

    #[test]
    fn camel_names_compare_without_building_them() {
        for snake in ["user_id", "remove_all_linked_accounts", "email", "_private"] {
            assert!(is_camel_of(snake, &camel_case(snake)), "{snake}");
        }
        assert!(!is_camel_of("user_id", "userid"));
        assert!(!is_camel_of("user_id", "userIdX"));
        assert!(!is_camel_of("user_id", "user_id"));
    }

    #[tokio::test]
    async fn dispatch_by_name_applies_defaults_and_refuses_unknown_or_missing_arguments() {
        let r = Recorder::default();
        let ctx = UserContext::new();
        let v = call_functions(&r, "deleteUser", json!({"userId": "u"}), &ctx)
            .await
            .unwrap();
        assert_eq!(v, Value::Null);
        call_functions(
            &r,
            "deleteUser",
            json!({"userId": "v", "removeAllLinkedAccounts": false}),
            &ctx,
        )
        .await
        .unwrap();
        let v = call_functions(&r, "isEmailVerified", json!({"recipeUserId": "w"}), &ctx)
            .await
            .unwrap();
        assert_eq!(v, json!(false));
        assert_eq!(
            *r.0.lock().unwrap(),
            vec![json!(["u", true]), json!(["v", false]), json!(["w", null])]
        );
        let e = call_functions(
            &r,
            "deleteUser",
            json!({"userId": "u", "removeAll": false}),
            &ctx,
        )
        .await
        .unwrap_err();
        assert_eq!(e.code(), "INVALID_INPUT");
        assert!(e.to_string().contains("removeAll"), "{e}");
        let e = call_functions(&r, "deleteUser", json!({}), &ctx)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("`userId`"), "{e}");
        let e = call_functions(&r, "noSuchThing", json!({}), &ctx)
            .await
            .unwrap_err();
        assert_eq!(e.code(), "INVALID_INPUT");
        assert_eq!(r.0.lock().unwrap().len(), 3);
    }

    /// A host that answers `isEmailVerified` itself and counts its crossings.
    struct CountingHost(Mutex<Vec<(String, Value)>>);

    #[async_trait]
    impl Host for CountingHost {
        async fn call(&self, op: &'static str, args: Value, _ctx: &UserContext) -> Result<Value> {
            self.0.lock().unwrap().push((op.to_string(), args));
            Ok(json!(true))
        }
    }

    #[tokio::test]
    async fn a_host_layer_crosses_only_for_the_methods_it_replaces() {
        let below: Arc<dyn RecipeFunctions> = Arc::new(Recorder::default());
        let host = Arc::new(CountingHost(Mutex::new(Vec::new())));
        let layer = HostFunctions::new(below, host.clone(), |op| op == "isEmailVerified", 0);
        let ctx = UserContext::new();
        layer.delete_user("u", true, &ctx).await.unwrap();
        assert!(host.0.lock().unwrap().is_empty());
        assert!(layer.is_email_verified("r", None, &ctx).await.unwrap());
        assert_eq!(
            *host.0.lock().unwrap(),
            vec![(
                "isEmailVerified".to_string(),
                json!({"recipeUserId": "r", "email": null})
            )]
        );
        assert_eq!(
            layer.replaced().collect::<Vec<_>>(),
            vec!["isEmailVerified"]
        );
    }
}
