//! JS event handlers (`events: {signIn: async (event) => ...}`, `'*'` for every event) as core handlers.
//! Delivery goes through the same bridge as overrides; a handler's throw becomes a core error, which the core
//! records on the outbox row and retries (it never reaches the caller of the operation).

use std::sync::Arc;

use async_trait::async_trait;
use authcore::events::{Event, EventHandler};
use authcore::{Result, UserContext};

use crate::hooks::HostBridge;
use crate::types::to_json;

/// A JS event handler (`events: {signIn: async (event) => ...}`; `"*"` handles every event).
pub struct JsEventHandler {
    pub key: String,
    pub host: Arc<HostBridge>,
}

#[async_trait]
impl EventHandler for JsEventHandler {
    async fn handle(&self, event: &Event) -> Result<()> {
        let ctx = UserContext::new();
        self.host
            .call("events", 0, &self.key, to_json(event)?, &ctx)
            .await
            .map(|_| ())
    }
}
