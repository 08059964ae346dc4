//! Host event handlers as core event handlers.
//!
//! Handlers run after commit, awaited by the operation that produced the events, in registration order. A
//! handler that throws does not undo anything: the core records the failure and redelivers the event later
//! (`deliverPendingEvents`, or the next `open`).

use std::sync::Arc;

use async_trait::async_trait;

use crate::error::AuthError;
use crate::types::{Event, EventName};

/// Reacts to auth events. Kotlin: `object : EventHandler { override suspend fun handle(event: Event) { ... } }`.
/// Implemented by the host, or in Rust by the Kotlin facade's JNI bridge (`jvm_hooks`).
#[uniffi::export(rust, foreign)]
#[async_trait]
pub trait EventHandler: Send + Sync {
    async fn handle(&self, event: Event) -> Result<(), AuthError>;
}

/// A handler for one event kind, or for every event (`name = null`).
#[derive(uniffi::Record)]
pub struct EventSubscription {
    #[uniffi(default = None)]
    pub name: Option<EventName>,
    pub handler: Arc<dyn EventHandler>,
}

/// A host handler as the core sees it.
pub(crate) struct HostHandler(pub Arc<dyn EventHandler>);

#[async_trait]
impl authcore::events::EventHandler for HostHandler {
    async fn handle(&self, event: &authcore::events::Event) -> authcore::Result<()> {
        Ok(self.0.handle(event.clone()).await?)
    }
}
