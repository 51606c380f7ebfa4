//! Rows ⇄ the merchant webhooks' types.

use sea_orm::ActiveValue::{NotSet, Set};

use application::RepoResult;
use application::webhook_subscriptions::ports::HookDelivery;
use domain::webhook_subscriptions::{DeliveryState, SubscriptionSnapshot, SubscriptionStatus, TargetUrl, WebhookSubscription};

use super::entities::{webhook_deliveries, webhook_subscriptions};
use crate::persistence::corrupt;

pub(crate) fn subscription(m: webhook_subscriptions::Model) -> RepoResult<WebhookSubscription> {
    Ok(WebhookSubscription::restore(SubscriptionSnapshot {
        id: m.id.into(),
        shop_id: m.shop_id.into(),
        url: TargetUrl::trusted(m.url),
        event_types: serde_json::from_value(m.event_types).map_err(|_| corrupt("subscription event types", m.id))?,
        description: m.description,
        status: SubscriptionStatus::parse(&m.status).ok_or_else(|| corrupt("subscription status", &m.status))?,
        consecutive_failures: u32::try_from(m.consecutive_failures).unwrap_or(0),
        disabled_reason: m.disabled_reason,
        secret: m.secret,
        previous_secret: m.previous_secret,
        previous_until: m.previous_until,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    }))
}

pub(crate) fn subscription_row(s: &WebhookSubscription, version: i64) -> webhook_subscriptions::ActiveModel {
    let s = s.snapshot();
    webhook_subscriptions::ActiveModel {
        id: Set(s.id.as_uuid()),
        shop_id: Set(s.shop_id.as_uuid()),
        url: Set(s.url.as_str().to_owned()),
        event_types: Set(serde_json::json!(s.event_types)),
        description: Set(s.description.clone()),
        status: Set(s.status.as_str().to_owned()),
        consecutive_failures: Set(s.consecutive_failures as i32),
        disabled_reason: Set(s.disabled_reason.clone()),
        secret: Set(s.secret.clone()),
        previous_secret: Set(s.previous_secret.clone()),
        previous_until: Set(s.previous_until),
        created_at: Set(s.created_at),
        updated_at: Set(s.updated_at),
        version: Set(version),
    }
}

pub(crate) fn delivery(m: webhook_deliveries::Model) -> RepoResult<HookDelivery> {
    Ok(HookDelivery {
        id: m.id,
        subscription_id: m.subscription_id.into(),
        shop_id: m.shop_id.into(),
        customer_id: m.customer_id.map(Into::into),
        event_id: m.event_id,
        event_type: m.event_type,
        payload: m.payload,
        state: DeliveryState::parse(&m.state).ok_or_else(|| corrupt("delivery state", &m.state))?,
        attempts: u32::try_from(m.attempts).unwrap_or(0),
        next_attempt_at: m.next_attempt_at,
        last_status: m.last_status.and_then(|s| u16::try_from(s).ok()),
        last_error: m.last_error,
        last_attempt_at: m.last_attempt_at,
        delivered_at: m.delivered_at,
        created_at: m.created_at,
    })
}

pub(crate) fn delivery_row(d: &HookDelivery) -> webhook_deliveries::ActiveModel {
    webhook_deliveries::ActiveModel {
        id: Set(d.id),
        subscription_id: Set(d.subscription_id.as_uuid()),
        shop_id: Set(d.shop_id.as_uuid()),
        customer_id: Set(d.customer_id.map(|c| c.as_uuid())),
        event_id: Set(d.event_id),
        event_type: Set(d.event_type.clone()),
        payload: Set(d.payload.clone()),
        state: Set(d.state.as_str().to_owned()),
        attempts: Set(d.attempts as i32),
        next_attempt_at: Set(d.next_attempt_at),
        last_status: Set(d.last_status.map(i32::from)),
        last_error: Set(d.last_error.clone()),
        last_attempt_at: Set(d.last_attempt_at),
        delivered_at: Set(d.delivered_at),
        claimed_by: NotSet,
        claimed_until: NotSet,
        created_at: Set(d.created_at),
    }
}
