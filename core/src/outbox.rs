//! Writing events into the outbox and delivering them to handlers (see `events.rs` for the semantics).
//!
//! Delivery acknowledgements are batched: a delivered event is marked in the outbox by a later small
//! transaction (after 64 acks, after a second, on a sweep, on an audit query or on shutdown). A crash before
//! that only means a redelivery of those events, which at-least-once delivery with stable ids allows, and it
//! keeps the cost of events on the hot path to one INSERT per event inside the operation's own transaction.
//!
//! **Several processes, one outbox: delivery leases (issue #15).** Every engine instance has a random claimer
//! id. An undelivered outbox row carries a lease (`lease_until`, `claimed_by`), and only the lease holder
//! delivers it while the lease is live:
//! * the writing transaction leases its own events to its engine for `events.leaseMs` (default 10 s, what the
//!   old in-flight window was), so the request that wrote them delivers them after commit without a further
//!   round trip, and no other process touches them meanwhile. Both columns are in the row the hot path inserts
//!   anyway, with no index over them: no extra page per write;
//! * a sweep *claims* due rows (undelivered, lease expired, never leased, or released by a failed delivery)
//!   in a write transaction (`StoreTx::claim_events`: PostgreSQL `FOR UPDATE SKIP LOCKED` then
//!   `UPDATE … RETURNING`; SQLite the same in its single-writer transaction), commits, and only then calls the
//!   handlers. Two claimers never hold one row's live lease, so no event is delivered twice *at the same time*;
//!   a process killed mid-delivery leaves its rows leased until they expire, then any engine's sweep claims them;
//! * before each event a deliverer checks its lease is still live (its own clock) and leaves the event to a
//!   later claim if not: a delivery that started in time may still overrun its lease when handlers take longer
//!   than `leaseMs` (choose it above the handlers' time), and then at-least-once allows the second delivery;
//! * a failed delivery releases the lease (with the failure count), so the next sweep of any engine retries it.
//!
//! Why leases rather than row locks held during delivery: the handlers are host code that may take seconds, and
//! a transaction (with the PostgreSQL writer lock, or SQLite's only writer) must never stay open around host
//! code. Why the app servers' clock: SQLite has no other, one clock keeps the two stores alike, and the lease
//! only needs the app servers' clocks to agree to well within `leaseMs`.
//!
//! The engine sweeps every half lease (at most every 5 s) on a thread of its own ([`Outbox::start_sweeper`]),
//! which polls the handlers itself, never on the I/O runtime's threads (README "Network I/O"); it runs only when
//! events are enabled and stops when the engine shuts down or is dropped. At open, the sweep claims only expired
//! leases: the events a killed process wrote just before are delivered by the restarted process (or any
//! other) once their lease ends. At shutdown, after the engine's own requests finished, it also claims the rows
//! it leased itself.

use std::future::Future;
use std::pin::Pin;
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
use crate::io::store_work;
use crate::recipes::{Tx, TxError, TxResult};
use crate::store::{Claim, EventFilter, EventRow, Store};

const ACK_BATCH: usize = 256;
const ACK_MAX_AGE: Duration = Duration::from_secs(1);
/// The shortest delivery lease: below it a lease would expire while its own claim commits.
const MIN_LEASE_MS: u64 = 100;
/// Claimed per sweep transaction: small enough that a batch is delivered well within its lease.
const SWEEP_BATCH: usize = 64;
/// The longest pause between two periodic sweeps.
const MAX_SWEEP_INTERVAL_MS: u64 = 5_000;

/// One periodic sweep, as the engine hands it to [`Outbox::start_sweeper`]: `None` when the engine is gone or
/// shut down (the sweeper stops).
pub(crate) type SweepTick =
    Box<dyn Fn() -> Option<Pin<Box<dyn Future<Output = ()> + Send>>> + Send + 'static>;

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
    /// This engine instance's name on the leases it holds: random, so a restarted process is a new claimant
    /// and never mistakes a dead process's live leases for its own.
    claimer: String,
    /// `events.leaseMs`, at least [`MIN_LEASE_MS`].
    lease_ms: i64,
    /// Dropping the sender stops the periodic sweep (see [`Outbox::start_sweeper`]).
    sweeper: Mutex<Option<std::sync::mpsc::Sender<()>>>,
    /// Held by every sweep of this engine for its whole round, so its sweeps run one at a time. Needed for a
    /// sweep that takes this engine's own leased rows (`include_own`, shutdown): it could otherwise claim a row
    /// another round of this very engine is delivering (that row's lease is live and its own). An async
    /// mutex: the guard is held across handler calls, on any executor. (A handler must therefore not await
    /// `deliverPendingEvents` itself.)
    sweeping: tokio::sync::Mutex<()>,
}

impl Outbox {
    pub fn new(config: EventsConfig, handlers: Handlers, host_timeout_ms: u64) -> Self {
        let lease_ms = i64::try_from(config.lease_ms.max(MIN_LEASE_MS)).unwrap_or(i64::MAX / 4);
        Outbox {
            config,
            handlers,
            host_timeout_ms,
            acks: Mutex::new(AckQueue::default()),
            // 64 random bits in 16 characters: written on every outbox row, so kept short.
            claimer: uuid::Uuid::new_v4().simple().to_string()[..16].to_string(),
            lease_ms,
            sweeper: Mutex::new(None),
            sweeping: tokio::sync::Mutex::new(()),
        }
    }

    /// Starts the periodic sweep (when events are enabled): a thread of its own that runs `tick`'s future every
    /// half lease (at most every [`MAX_SWEEP_INTERVAL_MS`]) on a current-thread runtime it owns, so handlers
    /// are polled there and never on the I/O runtime. Without it, the events of a process killed mid-delivery
    /// would wait for a host's `deliverPendingEvents` call or the next open. It stops when `tick` answers
    /// `None` (the engine is shut down or dropped) or [`Outbox::stop_sweeper`] is called; a second start does
    /// nothing.
    pub fn start_sweeper(&self, tick: SweepTick) {
        if !self.config.enabled {
            return;
        }
        let Ok(mut slot) = self.sweeper.lock() else {
            return;
        };
        if slot.is_some() {
            return;
        }
        let interval = Duration::from_millis(
            (self.config.lease_ms.max(MIN_LEASE_MS) / 2).min(MAX_SWEEP_INTERVAL_MS),
        );
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => {
                tracing::error!(error = %e, "could not start the event sweeper; pending events wait for deliverPendingEvents or the next open");
                return;
            }
        };
        let spawned = std::thread::Builder::new()
            .name("authcore-sweep".into())
            .spawn(move || {
                // Ends when stopped, or when the engine (holding the sender) was dropped, or shut down.
                while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                    stopped.recv_timeout(interval)
                {
                    match tick() {
                        Some(sweep) => runtime.block_on(sweep),
                        None => break,
                    }
                }
            });
        match spawned {
            Ok(_) => *slot = Some(stop),
            Err(e) => tracing::error!(error = %e, "could not start the event sweeper thread"),
        }
    }

    /// Stops the periodic sweep after its current round (shutdown). It does not wait for that round: a
    /// concurrent shutdown sweep cannot deliver what it claimed, and vice versa.
    pub fn stop_sweeper(&self) {
        if let Ok(mut slot) = self.sweeper.lock() {
            slot.take();
        }
    }

    /// One periodic sweep: what is due, as `deliverPendingEvents` does; failures are logged (a database that is
    /// down is retried at the next round).
    pub async fn sweep(&self, store: &dyn Store) {
        match self.deliver_pending(store, false).await {
            Ok(r) if r.delivered + r.failed > 0 => {
                tracing::debug!(
                    delivered = r.delivered,
                    failed = r.failed,
                    "periodic event sweep"
                );
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(
                code = e.code(),
                "periodic event sweep failed; retried at the next round"
            ),
        }
    }

    /// Inserts the transaction's events; returns them with their ids, in order.
    pub fn write_events(&self, tx: &mut Tx<'_>) -> TxResult<Vec<Outboxed>> {
        let new_events = std::mem::take(&mut tx.events);
        if !self.config.enabled {
            return Ok(Vec::new());
        }
        let mut out = Vec::with_capacity(new_events.len());
        // The writer's own lease, from now (not tx.now: the transaction may have waited for the writer lock).
        let lease_until = now_ms().saturating_add(self.lease_ms);
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
                lease_until: Some(lease_until),
                claimed_by: Some(self.claimer.clone()),
            };
            let seq = tx.s.insert_event(&row)?;
            out.push(Outboxed {
                seq,
                event,
                lease_until,
            });
        }
        Ok(out)
    }

    /// Calls every matching handler for each event, in order, and queues the outcome.
    pub async fn deliver(&self, store: &dyn Store, events: Vec<Outboxed>) -> DeliveryReport {
        let mut report = DeliveryReport::default();
        for Outboxed {
            seq,
            event,
            lease_until,
        } in events
        {
            if now_ms() >= lease_until {
                // The lease ended: another engine may have claimed the event already. Left to a later claim.
                tracing::debug!(event_id = %event.id, "delivery lease expired before delivery; left to a sweep");
                continue;
            }
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
            if let Err(e) = store_work(store, || self.flush(store)).await {
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

    /// Claims and delivers what is due: events whose lease expired (a failed delivery releases its lease), in
    /// batches, each claimed in its own write transaction before any handler runs. `include_own` (open,
    /// shutdown) also takes the events this engine leased itself, which a periodic sweep must leave to the
    /// request delivering them.
    pub async fn deliver_pending(
        &self,
        store: &dyn Store,
        include_own: bool,
    ) -> Result<DeliveryReport> {
        store_work(store, || self.flush(store)).await?;
        let mut report = DeliveryReport::default();
        if !self.config.enabled {
            return Ok(report);
        }
        let _round = self.sweeping.lock().await;
        let mut after = 0;
        loop {
            let now = now_ms();
            let claim = Claim {
                claimer: &self.claimer,
                now,
                lease_until: now.saturating_add(self.lease_ms),
                include_own,
            };
            let rows = store_work(store, || -> Result<_> {
                let mut tx = store.write()?;
                let rows = tx.claim_events(after, &claim, SWEEP_BATCH)?;
                tx.commit()?;
                Ok(rows)
            })
            .await?;
            let Some(last) = rows.last() else { break };
            after = last.seq;
            let events = rows
                .iter()
                .map(Outboxed::from_row)
                .collect::<Result<Vec<_>>>()?;
            let r = self.deliver(store, events).await;
            report.delivered += r.delivered;
            report.failed += r.failed;
            store_work(store, || self.flush(store)).await?;
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
