//! Merchant webhooks: the service's events delivered to a merchant's own HTTPS URL, signed as
//! Standard Webhooks 1.0 says, retried, and logged.

pub mod delivery;
pub mod events;
pub mod subscription;
pub mod target;

pub use delivery::DeliveryState;
pub use events::{WebhookSubscriptionDisabled, WebhookSubscriptionEvent};
pub use subscription::{SubscriptionDraft, SubscriptionSnapshot, SubscriptionStatus, WebhookSubscription};
pub use target::{TargetUrl, forbidden_ip};
