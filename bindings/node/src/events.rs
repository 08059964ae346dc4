//! JS event handlers (`events: {signIn: async (event) => ...}`, `'*'` for every event) as core handlers.
//! Delivery goes through the same bridge as overrides (the core bounds it by `hostTimeoutMs`); a handler's
//! throw becomes a core error, which the core records on the outbox row and retries (it never reaches the
//! caller of the operation).

use std::sync::Arc;

use async_trait::async_trait;
use authcore::events::{Event, EventHandler};
use authcore::{Result, UserContext};

use crate::host::HostBridge;
use crate::ops::to_text;

/// A JS event handler (`events: {signIn: async (event) => ...}`; `"*"` handles every event).
pub struct JsEventHandler {
    pub key: String,
    pub bridge: Arc<HostBridge>,
}

#[async_trait]
impl EventHandler for JsEventHandler {
    async fn handle(&self, event: &Event) -> Result<()> {
        let ctx = UserContext::new();
        self.bridge
            .call("events", 0, &self.key, to_text(event)?, &ctx)
            .await
            .map(|_| ())
    }
}
