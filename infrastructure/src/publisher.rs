//! Publishing outbox events: to RabbitMQ (the `whatsapp.events` topic exchange, persistent,
//! publisher confirms) or to in-process subscribers. The relay in `api::workers` drives both the
//! same way, so there is one code path.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use lapin::Confirmation;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, ExchangeKind};
use serde_json::Value;
use tokio::sync::{Mutex, broadcast};

use application::shared::outbox::{EventPublisher, OutboxRecord, PublishError};

pub const EXCHANGE: &str = "whatsapp.events";
pub const CONTENT_TYPE: &str = "application/cloudevents+json";

/// In-process subscribers (a broadcast channel); used without `AMQP_URL`, and fed after every
/// confirmed RabbitMQ publish too.
#[derive(Clone)]
pub struct InProcessBus {
    tx: broadcast::Sender<Arc<Value>>,
}

impl InProcessBus {
    pub fn new(capacity: usize) -> Self {
        Self { tx: broadcast::channel(capacity).0 }
    }
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Value>> {
        self.tx.subscribe()
    }
    pub fn send(&self, envelope: &Value) {
        // No subscriber is fine: the outbox row is the record.
        let _ = self.tx.send(Arc::new(envelope.clone()));
    }
}

#[async_trait]
impl EventPublisher for InProcessBus {
    async fn publish(&self, records: &[OutboxRecord]) -> Result<usize, PublishError> {
        for r in records {
            self.send(&r.envelope);
        }
        Ok(records.len())
    }
    fn healthy(&self) -> bool {
        true
    }
    fn name(&self) -> &'static str {
        "in_process"
    }
}

pub struct RabbitPublisher {
    url: String,
    link: Mutex<Option<(Connection, Channel)>>,
    healthy: AtomicBool,
    bus: InProcessBus,
}

impl RabbitPublisher {
    pub fn new(url: &str, bus: InProcessBus) -> Self {
        Self { url: url.to_owned(), link: Mutex::new(None), healthy: AtomicBool::new(false), bus }
    }

    async fn connect(&self) -> Result<(Connection, Channel), PublishError> {
        let conn = Connection::connect(&self.url, ConnectionProperties::default().with_connection_name("whatsapp-service".into()))
            .await
            .map_err(|e| PublishError(format!("connect: {e}")))?;
        let ch = conn.create_channel().await.map_err(|e| PublishError(format!("channel: {e}")))?;
        ch.confirm_select(ConfirmSelectOptions::default()).await.map_err(|e| PublishError(format!("confirm_select: {e}")))?;
        ch.exchange_declare(
            EXCHANGE.into(),
            ExchangeKind::Topic,
            ExchangeDeclareOptions { durable: true, ..Default::default() },
            FieldTable::default(),
        )
        .await
        .map_err(|e| PublishError(format!("exchange_declare: {e}")))?;
        tracing::info!(exchange = EXCHANGE, "connected to RabbitMQ");
        Ok((conn, ch))
    }

    /// Connect and declare the exchange now (at start-up); failures are retried by the relay.
    pub async fn warm_up(&self) {
        let mut link = self.link.lock().await;
        match self.connect().await {
            Ok(l) => {
                *link = Some(l);
                self.healthy.store(true, Ordering::Relaxed);
            }
            Err(e) => tracing::warn!(error = %application::Chain(&e), "RabbitMQ unavailable at start-up; events wait in the outbox"),
        }
    }
}

fn properties(r: &OutboxRecord) -> BasicProperties {
    BasicProperties::default()
        .with_delivery_mode(2)
        .with_content_type(CONTENT_TYPE.into())
        .with_message_id(r.event_id.to_string().into())
        .with_type(r.event_type.as_str().into())
        .with_timestamp(r.created_at.timestamp().max(0) as u64)
}

#[async_trait]
impl EventPublisher for RabbitPublisher {
    async fn publish(&self, records: &[OutboxRecord]) -> Result<usize, PublishError> {
        let mut link = self.link.lock().await;
        if link.as_ref().is_none_or(|(c, _)| !c.status().connected()) {
            *link = None;
            match self.connect().await {
                Ok(l) => *link = Some(l),
                Err(e) => {
                    self.healthy.store(false, Ordering::Relaxed);
                    return Err(e);
                }
            }
        }
        let Some((_, ch)) = link.as_ref() else { return Ok(0) };
        // Publish the batch in order, then wait for the confirms in order; only the confirmed
        // prefix counts as published.
        let mut confirms = Vec::with_capacity(records.len());
        let mut failure = None;
        for r in records {
            let body = match serde_json::to_vec(&r.envelope) {
                Ok(b) => b,
                Err(e) => {
                    failure = Some(PublishError(format!("serialise: {e}")));
                    break;
                }
            };
            match ch
                .basic_publish(EXCHANGE.into(), r.event_type.as_str().into(), BasicPublishOptions::default(), &body, properties(r))
                .await
            {
                Ok(c) => confirms.push(c),
                Err(e) => {
                    failure = Some(PublishError(format!("basic_publish: {e}")));
                    break;
                }
            }
        }
        let mut confirmed = 0;
        for c in confirms {
            match c.await {
                Ok(Confirmation::Ack(_)) | Ok(Confirmation::NotRequested) => confirmed += 1,
                Ok(Confirmation::Nack(_)) => {
                    failure.get_or_insert(PublishError("the broker nacked an event".into()));
                    break;
                }
                Err(e) => {
                    failure.get_or_insert(PublishError(format!("confirm: {e}")));
                    break;
                }
            }
        }
        for r in &records[..confirmed] {
            self.bus.send(&r.envelope);
        }
        match failure {
            Some(e) if confirmed == 0 => {
                *link = None;
                self.healthy.store(false, Ordering::Relaxed);
                Err(e)
            }
            Some(e) => {
                tracing::warn!(error = %application::Chain(&e), confirmed, "partial publish; the rest is retried");
                *link = None;
                self.healthy.store(false, Ordering::Relaxed);
                Ok(confirmed)
            }
            None => {
                self.healthy.store(true, Ordering::Relaxed);
                Ok(confirmed)
            }
        }
    }

    fn healthy(&self) -> bool {
        self.healthy.load(Ordering::Relaxed)
    }

    fn name(&self) -> &'static str {
        "rabbitmq"
    }
}
