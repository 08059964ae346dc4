//! Writing events into the outbox and delivering them to handlers (see `events.rs` for the semantics).
//!
//! Delivery acknowledgements are batched: a delivered event is marked in the outbox by a later small
//! transaction (after 64 acks, after a second, on a sweep, on an audit query or on shutdown). A crash before
//! that only means a redelivery of those events, which at-least-once delivery with stable ids allows, and it
//! keeps the cost of events on the hot path to one INSERT per event inside the operation's own transaction.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::engine::now_ms;
use crate::error::{AuthError, Result};
use crate::events::{
    AuditRecord, DeliveryReport, Event, EventsConfig, Handlers, ListEventsInput, ListEventsResult,
    Outboxed,
};
use crate::recipes::{Tx, TxError, TxResult};
use crate::store::{EventFilter, EventRow, Store};

const ACK_BATCH: usize = 256;
const ACK_MAX_AGE: Duration = Duration::from_secs(1);
/// Undelivered events younger than this may belong to a request still running; a sweep leaves them to it.
pub(crate) const IN_FLIGHT_MS: i64 = 10_000;
const SWEEP_BATCH: usize = 256;

enum Ack {
    Delivered(i64, i64),
    Failed(i64, String),
}

#[derive(Default)]
struct AckQueue {
    items: Vec<Ack>,
    oldest: Option<Instant>,
}

pub(crate) struct Outbox {
    config: EventsConfig,
    handlers: Handlers,
    /// Limit for one handler call (`host::guard`); a handler that times out counts as failed and is retried.
    host_timeout_ms: u64,
    acks: Mutex<AckQueue>,
}

impl Outbox {
    pub fn new(config: EventsConfig, handlers: Handlers, host_timeout_ms: u64) -> Self {
        Outbox {
            config,
            handlers,
            host_timeout_ms,
            acks: Mutex::new(AckQueue::default()),
        }
    }

    /// Inserts the transaction's events; returns them with their ids, in order.
    pub fn write_events(&self, tx: &mut Tx<'_>) -> TxResult<Vec<Outboxed>> {
        let new_events = std::mem::take(&mut tx.events);
        if !self.config.enabled {
            return Ok(Vec::new());
        }
        let mut out = Vec::with_capacity(new_events.len());
        for ne in new_events {
            let payload = ne.message.to_string();
            let message = match ne.message {
                serde_json::Value::Object(m) => m,
                _ => {
                    return Err(TxError::Auth(AuthError::internal(
                        "event message is not an object",
                    )))
                }
            };
            let event = Event {
                id: uuid::Uuid::new_v4().to_string(),
                name: ne.name,
                time: tx.now,
                tenant_id: ne.tenant_id,
                user_id: ne.user_id,
                message,
            };
            let row = EventRow {
                seq: 0,
                event_id: event.id.clone(),
                name: event.name.as_str().to_string(),
                time: event.time,
                tenant_id: event.tenant_id.clone(),
                tenant_ids: ne.tenant_ids,
                user_id: event.user_id.clone(),
                payload,
                delivered_at: None,
                attempts: 0,
                last_error: None,
            };
            let seq = tx.s.insert_event(&row)?;
            out.push(Outboxed { seq, event });
        }
        Ok(out)
    }

    /// Calls every matching handler for each event, in order, and queues the outcome.
    pub async fn deliver(&self, store: &dyn Store, events: Vec<Outboxed>) -> DeliveryReport {
        let mut report = DeliveryReport::default();
        for Outboxed { seq, event } in events {
            let mut failure: Option<String> = None;
            for handler in self.handlers.for_event(event.name) {
                let handled =
                    crate::host::guard(self.host_timeout_ms, handler.handle(&event)).await;
                if let Err(e) = handled {
                    // The payload may hold personal data: log the id and the code only.
                    tracing::warn!(event_id = %event.id, event = event.name.as_str(), code = e.code(),
                        "event handler failed; the event stays pending and will be redelivered");
                    failure.get_or_insert_with(|| e.to_string());
                }
            }
            let ack = match failure {
                None => {
                    report.delivered += 1;
                    Ack::Delivered(seq, now_ms())
                }
                Some(err) => {
                    report.failed += 1;
                    Ack::Failed(seq, err)
                }
            };
            self.queue(ack);
        }
        if self.should_flush() {
            if let Err(e) = self.flush(store) {
                tracing::warn!(code = e.code(), "could not record event deliveries yet");
            }
        }
        report
    }

    fn queue(&self, ack: Ack) {
        if let Ok(mut q) = self.acks.lock() {
            q.oldest.get_or_insert_with(Instant::now);
            q.items.push(ack);
        }
    }

    fn should_flush(&self) -> bool {
        self.acks
            .lock()
            .map(|q| {
                q.items.len() >= ACK_BATCH || q.oldest.is_some_and(|t| t.elapsed() >= ACK_MAX_AGE)
            })
            .unwrap_or(false)
    }

    /// Records queued acknowledgements in one transaction.
    pub fn flush(&self, store: &dyn Store) -> Result<()> {
        let items = match self.acks.lock() {
            Ok(mut q) => {
                q.oldest = None;
                std::mem::take(&mut q.items)
            }
            Err(_) => return Err(AuthError::internal("ack queue poisoned")),
        };
        if items.is_empty() {
            return Ok(());
        }
        let result = (|| -> Result<()> {
            let mut tx = store.write()?;
            // Deliveries are mostly consecutive seqs: one UPDATE per run of them.
            let mut delivered: Vec<(i64, i64)> = Vec::new();
            for ack in &items {
                match ack {
                    Ack::Delivered(seq, at) => delivered.push((*seq, *at)),
                    Ack::Failed(seq, err) => tx.record_event_failure(*seq, err)?,
                }
            }
            delivered.sort_unstable();
            let mut i = 0;
            while i < delivered.len() {
                let mut j = i;
                while j + 1 < delivered.len() && delivered[j + 1].0 == delivered[j].0 + 1 {
                    j += 1;
                }
                let at = delivered[i..=j]
                    .iter()
                    .map(|d| d.1)
                    .max()
                    .unwrap_or(delivered[i].1);
                tx.mark_events_delivered(delivered[i].0, delivered[j].0, at)?;
                i = j + 1;
            }
            tx.advance_delivery_watermark()?;
            tx.commit()?;
            Ok(())
        })();
        if result.is_err() {
            if let Ok(mut q) = self.acks.lock() {
                let later = std::mem::replace(&mut q.items, items);
                q.items.extend(later);
                q.oldest.get_or_insert_with(Instant::now);
            }
        }
        result
    }

    /// Redelivers pending events: all of them when `include_in_flight` (at open), else those that failed
    /// before or are older than [`IN_FLIGHT_MS`].
    pub async fn deliver_pending(
        &self,
        store: &dyn Store,
        include_in_flight: bool,
    ) -> Result<DeliveryReport> {
        self.flush(store)?;
        let mut report = DeliveryReport::default();
        if !self.config.enabled {
            return Ok(report);
        }
        let horizon = if include_in_flight {
            i64::MAX
        } else {
            now_ms() - IN_FLIGHT_MS
        };
        let mut after = 0;
        loop {
            let rows = {
                let mut tx = store.read()?;
                tx.pending_events(after, horizon, SWEEP_BATCH)?
            };
            let Some(last) = rows.last() else { break };
            after = last.seq;
            let events = rows
                .iter()
                .map(Outboxed::from_row)
                .collect::<Result<Vec<_>>>()?;
            let r = self.deliver(store, events).await;
            report.delivered += r.delivered;
            report.failed += r.failed;
            self.flush(store)?;
        }
        Ok(report)
    }

    /// Retention: deletes delivered events older than the configured number of days.
    pub fn apply_retention(&self, store: &dyn Store) -> Result<usize> {
        if self.config.retention_days == 0 {
            return Ok(0);
        }
        let cutoff = now_ms() - i64::from(self.config.retention_days) * 86_400_000;
        let mut tx = store.write()?;
        let n = tx.delete_delivered_events_before(cutoff)?;
        tx.commit()?;
        Ok(n)
    }

    /// The audit log, oldest first, with cursor pagination.
    pub fn list(&self, store: &dyn Store, input: &ListEventsInput) -> Result<ListEventsResult> {
        self.flush(store)?;
        let limit = input.limit.unwrap_or(100);
        if limit == 0 || limit > 1000 {
            return Err(AuthError::invalid("limit", "must be between 1 and 1000"));
        }
        let after_seq = match &input.pagination_token {
            None => None,
            Some(t) => {
                let bytes = URL_SAFE_NO_PAD
                    .decode(t)
                    .map_err(|_| AuthError::InvalidPaginationToken)?;
                let s = String::from_utf8(bytes).map_err(|_| AuthError::InvalidPaginationToken)?;
                Some(
                    s.parse::<i64>()
                        .map_err(|_| AuthError::InvalidPaginationToken)?,
                )
            }
        };
        let filter = EventFilter {
            user_id: input.user_id.clone(),
            tenant_id: input.tenant_id.clone(),
            since: input.since,
            until: input.until,
            after_seq,
        };
        if filter.user_id.is_some() || filter.tenant_id.is_some() {
            let mut tx = store.write()?;
            tx.index_audit_log()?;
            tx.commit()?;
        }
        let mut rows = store.read()?.list_events(&filter, limit + 1)?;
        let next_pagination_token = if rows.len() > limit {
            rows.truncate(limit);
            rows.last()
                .map(|r| URL_SAFE_NO_PAD.encode(r.seq.to_string()))
        } else {
            None
        };
        let events = rows
            .iter()
            .map(|r| {
                Ok(AuditRecord {
                    event: Event::from_row(r)?,
                    delivered_at: r.delivered_at,
                    attempts: r.attempts,
                    last_error: r.last_error.clone(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(ListEventsResult {
            events,
            next_pagination_token,
        })
    }
}
