//! Integration events: past-tense facts the aggregates return. Each bounded context has one enum
//! of its events ([`crate::accounts::AccountEvent`], [`crate::messaging::MessagingEvent`], ...)
//! behind one trait, [`IntegrationEvent`]. The application writes them to the outbox in the same
//! transaction as the state change; `docs/EVENTS.md` documents their shape.
//!
//! Every field of an event's `data` is always serialised (optional ones as `null`) so each type
//! keeps one stable set of keys.

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::ShopId;

/// What the outbox and the relay need to know about any event, whatever its context.
pub trait IntegrationEvent: fmt::Debug + Send + Sync + 'static {
    /// The short type: the RabbitMQ routing key and the suffix of the CloudEvents `type`
    /// (`message.received`, `customer.opt_in.changed`, ...).
    fn event_type(&self) -> &'static str;
    /// The version of this type's `data` shape. A breaking change to a type bumps it.
    fn schema_version(&self) -> u32;
    fn shop_id(&self) -> ShopId;
    /// The id of the aggregate the event concerns (the CloudEvents `subject`; order is kept per
    /// subject). Message events belong to their conversation.
    fn subject(&self) -> String;
    /// The CloudEvents `data`, camelCase.
    fn data(&self) -> Value;
}

/// One event's payload: its type, version, tenant and subject. The context enums delegate here.
pub trait EventPayload: Serialize {
    const TYPE: &'static str;
    const SCHEMA_VERSION: u32 = 1;
    fn shop_id(&self) -> ShopId;
    fn subject(&self) -> String;
}

/// Events a use case produced, in the order they happened.
#[derive(Debug, Default)]
pub struct Events(Vec<Box<dyn IntegrationEvent>>);

impl Events {
    pub fn new() -> Self {
        Self(Vec::new())
    }
    pub fn push(&mut self, e: impl IntegrationEvent) {
        self.0.push(Box::new(e));
    }
    pub fn push_opt(&mut self, e: Option<impl IntegrationEvent>) {
        if let Some(e) = e {
            self.push(e);
        }
    }
    pub fn append(&mut self, mut other: Events) {
        self.0.append(&mut other.0);
    }
    pub fn iter(&self) -> impl Iterator<Item = &dyn IntegrationEvent> {
        self.0.iter().map(|b| b.as_ref())
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The short types, in order (for tests and logs).
    pub fn types(&self) -> Vec<&'static str> {
        self.iter().map(|e| e.event_type()).collect()
    }
}

impl<E: IntegrationEvent> From<E> for Events {
    fn from(e: E) -> Self {
        let mut out = Self::new();
        out.push(e);
        out
    }
}

/// Declares a context's event enum: one variant per payload struct (named alike), each payload
/// implementing [`EventPayload`]; the enum implements [`IntegrationEvent`] and `From` each payload.
#[macro_export]
macro_rules! context_events {
    ($(#[$meta:meta])* pub enum $name:ident { $($variant:ident),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        pub enum $name {
            $($variant($variant)),*
        }

        impl $crate::shared::events::IntegrationEvent for $name {
            fn event_type(&self) -> &'static str {
                match self { $(Self::$variant(_) => <$variant as $crate::shared::events::EventPayload>::TYPE),* }
            }
            fn schema_version(&self) -> u32 {
                match self { $(Self::$variant(_) => <$variant as $crate::shared::events::EventPayload>::SCHEMA_VERSION),* }
            }
            fn shop_id(&self) -> $crate::ShopId {
                match self { $(Self::$variant(e) => $crate::shared::events::EventPayload::shop_id(e)),* }
            }
            fn subject(&self) -> String {
                match self { $(Self::$variant(e) => $crate::shared::events::EventPayload::subject(e)),* }
            }
            fn data(&self) -> serde_json::Value {
                match self { $(Self::$variant(e) => serde_json::to_value(e).unwrap_or(serde_json::Value::Null)),* }
            }
        }

        $(
            impl From<$variant> for $name {
                fn from(e: $variant) -> Self {
                    Self::$variant(e)
                }
            }
        )*
    };
}
