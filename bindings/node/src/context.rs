//! JS `userContext` objects and the core's `UserContext`s. The JS layer keeps the object itself (so overrides
//! see the very same object, functions and all) and passes its id and its JSON text; the core's context carries
//! the id back out, so a JS override handed that context gets the caller's object.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use authcore::UserContext;
use serde_json::{Map, Value};

/// The key under which a core `UserContext` carries the id of its JS `userContext` object.
pub const CONTEXT_KEY: &str = "__authcoreNodeContextId";

/// The core `UserContext` of every JS `userContext` object in use, by id. The core's context also carries the
/// request's event flow, so a JS override calling `original` (or the engine) with the same object must get the
/// same core context back: that is what this registry is for. An entry lives while a native call uses it.
#[derive(Default)]
pub struct ContextRegistry(Mutex<HashMap<u32, (UserContext, usize)>>);

/// Keeps one registry entry alive for the duration of a native call.
pub struct ContextLease {
    registry: Option<Arc<ContextRegistry>>,
    id: u32,
    pub ctx: UserContext,
}

impl ContextRegistry {
    /// The context registered as `id` (its map refreshed from `json`, the JS object's JSON text), or a new one.
    /// Id 0 is a context nothing else refers to (the caller gave no `userContext` and no JS override exists): a
    /// fresh one, not registered.
    pub fn lease(self: &Arc<Self>, id: u32, json: Option<&str>) -> ContextLease {
        let snapshot = context_map(json);
        if id == 0 {
            return ContextLease {
                registry: None,
                id,
                ctx: UserContext::from_map(snapshot),
            };
        }
        let mut map = snapshot;
        map.insert(CONTEXT_KEY.into(), Value::from(id));
        let mut entries = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let entry = entries.entry(id).or_insert_with(|| (UserContext::new(), 0));
        entry.0.replace(map);
        entry.1 += 1;
        ContextLease {
            registry: Some(self.clone()),
            id,
            ctx: entry.0.clone(),
        }
    }
}

impl Drop for ContextLease {
    fn drop(&mut self) {
        let Some(registry) = &self.registry else {
            return;
        };
        let mut entries = registry.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(entry) = entries.get_mut(&self.id) {
            entry.1 -= 1;
            if entry.1 == 0 {
                entries.remove(&self.id);
            }
        }
    }
}

/// The id of the JS object behind `ctx` (0: none).
pub fn context_id(ctx: &UserContext) -> u32 {
    ctx.get(CONTEXT_KEY)
        .and_then(|v| v.as_u64())
        .and_then(|v| u32::try_from(v).ok())
        .unwrap_or(0)
}

/// The core's copy of a JS `userContext`: its JSON text parsed (absent or anything else: empty).
fn context_map(json: Option<&str>) -> Map<String, Value> {
    match json {
        Some(json) if json.len() > 2 => serde_json::from_str(json).unwrap_or_default(),
        _ => Map::new(),
    }
}
