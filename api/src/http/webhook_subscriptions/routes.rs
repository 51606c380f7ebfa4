//! `/api/v1/webhook-subscriptions`: events delivered to a merchant's URL (docs/WEBHOOKS.md).

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use application::shared::ports::Secret;
use application::webhook_subscriptions::create_subscription::CreateWebhookSubscription;
use application::webhook_subscriptions::delete_subscription::DeleteWebhookSubscription;
use application::webhook_subscriptions::deliver_hooks::message_id;
use application::webhook_subscriptions::list_subscriptions::{GetWebhookSubscription, ListHookDeliveries, ListWebhookSubscriptions};
use application::webhook_subscriptions::ports::HookDelivery;
use application::webhook_subscriptions::update_subscription::UpdateWebhookSubscription;
use domain::tenancy::Role;
use domain::webhook_subscriptions::{DeliveryState, SubscriptionDraft, WebhookSubscription};

use super::WebhookSubscriptionsHttp;
use super::dto::*;
use crate::http::auth::{ApiKeyAuth, Authenticator};
use crate::http::error::ApiError;
use crate::http::json_body::JsonBody;
use crate::http::middleware::RequestId;
use crate::http::{ApiTags, ctx};

pub struct WebhookSubscriptionsApi;

#[derive(ApiResponse)]
enum Created {
    #[oai(status = 201)]
    Created(Json<SubscriptionDto>),
}

#[derive(ApiResponse)]
enum Deleted {
    #[oai(status = 204)]
    NoContent,
}

pub(super) fn dto(s: &WebhookSubscription, secret: Option<&Secret>) -> SubscriptionDto {
    let snap = s.snapshot();
    SubscriptionDto {
        id: snap.id.as_uuid(),
        url: snap.url.as_str().to_owned(),
        event_types: snap.event_types.clone(),
        description: snap.description.clone(),
        status: snap.status.as_str().into(),
        disabled_reason: snap.disabled_reason.clone(),
        consecutive_failures: snap.consecutive_failures,
        secret: secret.map(|s| s.expose().to_owned()),
        previous_secret_until: snap.previous_until.filter(|u| *u > chrono::Utc::now()),
        created_at: snap.created_at,
        updated_at: snap.updated_at,
    }
}

pub(super) fn delivery_dto(d: HookDelivery) -> DeliveryDto {
    DeliveryDto {
        id: message_id(&d),
        event_id: d.event_id,
        event_type: d.event_type,
        state: d.state.as_str().into(),
        attempts: d.attempts,
        next_attempt_at: (d.state == DeliveryState::Pending).then_some(d.next_attempt_at),
        last_status: d.last_status,
        last_error: d.last_error,
        last_attempt_at: d.last_attempt_at,
        delivered_at: d.delivered_at,
        created_at: d.created_at,
        payload: d.payload,
    }
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Shops")]
impl WebhookSubscriptionsApi {
    /// The shop's webhook subscriptions (viewer); their secrets are never shown again.
    #[oai(path = "/webhook-subscriptions", method = "get", operation_id = "listWebhookSubscriptions")]
    async fn list(
        &self,
        h: Data<&Arc<WebhookSubscriptionsHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
    ) -> Result<Json<SubscriptionListDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let all = h.pipeline.query(&ctx(&rid, Some(shop)), &h.queries, ListWebhookSubscriptions { shop_id: shop }).await?;
        Ok(Json(SubscriptionListDto { total: all.len() as u64, items: all.iter().map(|s| dto(s, None)).collect(), has_more: false }))
    }

    /// Subscribe a URL to events (admin). Each delivery is the event's CloudEvents envelope,
    /// signed as Standard Webhooks 1.0 says (`webhook-id`, `webhook-timestamp`,
    /// `webhook-signature`); the secret (`whsec_…`) is in this answer only. Failed deliveries
    /// are retried with backoff for about 24 hours; 50 failures in a row disable the
    /// subscription (`webhook_subscription.disabled`).
    #[oai(path = "/webhook-subscriptions", method = "post", operation_id = "createWebhookSubscription")]
    async fn create(
        &self,
        h: Data<&Arc<WebhookSubscriptionsHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        body: JsonBody<CreateSubscriptionRequest>,
    ) -> Result<Created, ApiError> {
        let shop = authn.shop(&auth, Role::Admin).await?;
        let b = body.0;
        let draft = SubscriptionDraft { url: Some(b.url), event_types: Some(b.event_types), description: b.description, active: b.active };
        let (s, secret) = h.pipeline.execute(&ctx(&rid, Some(shop)), &h.create, CreateWebhookSubscription { shop_id: shop, draft }).await?;
        Ok(Created::Created(Json(dto(&s, Some(&secret)))))
    }

    /// One webhook subscription (viewer).
    #[oai(path = "/webhook-subscriptions/:id", method = "get", operation_id = "getWebhookSubscription")]
    async fn get(
        &self,
        h: Data<&Arc<WebhookSubscriptionsHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
    ) -> Result<Json<SubscriptionDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let s = h.pipeline.query(&ctx(&rid, Some(shop)), &h.queries, GetWebhookSubscription { shop_id: shop, id: id.0.into() }).await?;
        Ok(Json(dto(&s, None)))
    }

    /// Change a subscription (admin): URL, event types, description, `active`, or
    /// `rotateSecret` (the new secret is in this answer only; the old one signs beside it for
    /// 24 hours).
    #[oai(path = "/webhook-subscriptions/:id", method = "patch", operation_id = "updateWebhookSubscription")]
    async fn update(
        &self,
        h: Data<&Arc<WebhookSubscriptionsHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
        body: JsonBody<UpdateSubscriptionRequest>,
    ) -> Result<Json<SubscriptionDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Admin).await?;
        let b = body.0;
        let cmd = UpdateWebhookSubscription {
            shop_id: shop,
            id: id.0.into(),
            draft: SubscriptionDraft { url: b.url, event_types: b.event_types, description: b.description, active: b.active },
            rotate_secret: b.rotate_secret.unwrap_or(false),
        };
        let (s, secret) = h.pipeline.execute(&ctx(&rid, Some(shop)), &h.update, cmd).await?;
        Ok(Json(dto(&s, secret.as_ref())))
    }

    /// Delete a subscription and its delivery log (admin).
    #[oai(path = "/webhook-subscriptions/:id", method = "delete", operation_id = "deleteWebhookSubscription")]
    async fn delete(
        &self,
        h: Data<&Arc<WebhookSubscriptionsHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
    ) -> Result<Deleted, ApiError> {
        let shop = authn.shop(&auth, Role::Admin).await?;
        h.pipeline.execute(&ctx(&rid, Some(shop)), &h.delete, DeleteWebhookSubscription { shop_id: shop, id: id.0.into() }).await?;
        Ok(Deleted::NoContent)
    }

    /// A subscription's deliveries, the newest first (viewer): each attempt's outcome, and the
    /// envelope delivered. Kept for 7 days after they settle.
    #[oai(path = "/webhook-subscriptions/:id/deliveries", method = "get", operation_id = "listWebhookDeliveries")]
    async fn deliveries(
        &self,
        h: Data<&Arc<WebhookSubscriptionsHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
        /// 1 to 200. Absent: 50.
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<u64>>,
        /// Absent: 0.
        #[oai(validator(minimum(value = "0"), maximum(value = "1000000")))]
        offset: Query<Option<u64>>,
    ) -> Result<Json<DeliveryListDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let (limit, offset) = (limit.0.unwrap_or(50), offset.0.unwrap_or(0));
        let q = ListHookDeliveries { shop_id: shop, id: id.0.into(), limit, offset };
        let (items, total) = h.pipeline.query(&ctx(&rid, Some(shop)), &h.queries, q).await?;
        let has_more = offset + (items.len() as u64) < total;
        Ok(Json(DeliveryListDto { items: items.into_iter().map(delivery_dto).collect(), total, has_more }))
    }

    /// Send a test delivery now (admin): `whatsapp.webhook_subscription.ping`, signed like every
    /// other; the answer is the delivery as the log keeps it (whatever the receiver answered).
    #[oai(path = "/webhook-subscriptions/:id/ping", method = "post", operation_id = "pingWebhookSubscription")]
    async fn ping(
        &self,
        h: Data<&Arc<WebhookSubscriptionsHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
    ) -> Result<Json<DeliveryDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Admin).await?;
        let d = h.ping.run(&ctx(&rid, Some(shop)), shop, id.0.into()).await?;
        Ok(Json(delivery_dto(d)))
    }
}
