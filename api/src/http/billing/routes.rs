//! The billing operations.

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::payload::Json;

use application::billing::get_rate_card::GetRateCard;
use application::billing::set_rate_card::SetRateCard;
use domain::tenancy::Role;

use super::BillingHttp;
use super::dto::{RateCardDto, RateCardRequest};
use crate::http::auth::{ApiKeyAuth, Authenticator};
use crate::http::error::ApiError;
use crate::http::json_body::JsonBody;
use crate::http::middleware::RequestId;
use crate::http::{ApiTags, ctx};

pub struct BillingApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Billing")]
impl BillingApi {
    /// The shop's rate card (viewer); 404 until one is set.
    #[oai(path = "/rate-card", method = "get", operation_id = "getRateCard")]
    async fn get(
        &self,
        h: Data<&Arc<BillingHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
    ) -> Result<Json<RateCardDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let card = h.pipeline.query(&ctx(&rid, Some(shop)), &h.get, GetRateCard { shop_id: shop }).await?;
        Ok(Json(RateCardDto::from(&card)))
    }

    /// Set the shop's rate card (admin): Meta's price per pricing category and market in the
    /// shop's currency. Meta's status webhooks say which messages are billable and under which
    /// category; this card prices them (a template's `figures.cost`). Every problem is named in
    /// one 422 (`details.problems`); the change is audited.
    #[oai(path = "/rate-card", method = "put", operation_id = "setRateCard")]
    async fn put(
        &self,
        h: Data<&Arc<BillingHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        body: JsonBody<RateCardRequest>,
    ) -> Result<Json<RateCardDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Admin).await?;
        let b = body.0;
        let rates = b.rates.into_iter().map(|r| (r.category, r.prefix.unwrap_or_default(), r.price)).collect();
        let cmd = SetRateCard { shop_id: shop, currency: b.currency, rates };
        let card = h.pipeline.execute(&ctx(&rid, Some(shop)), &h.set, cmd).await?;
        Ok(Json(RateCardDto::from(&card)))
    }
}
