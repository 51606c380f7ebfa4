//! `/api/v1/customers/{id}/consent` and `/api/v1/consent-settings`: the consent ledger, changes
//! of opt-in, and the shop's consent rules.

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use uuid::Uuid;

use application::customers::get_consent::GetConsent;
use application::customers::get_consent_settings::GetConsentSettings;
use application::customers::record_consent::RecordConsent;
use application::customers::update_consent_settings::UpdateConsentSettings;
use domain::CustomerId;
use domain::customers::{ConsentChange, ConsentSource, OptInStatus, Purpose};
use domain::tenancy::Role;

use super::CustomersHttp;
use super::dto::{
    ConsentEntryDto, ConsentLedgerDto, ConsentRecordedDto, ConsentSettingsDto, ConsentStateDto, RecordConsentRequest,
    UpdateConsentSettingsRequest,
};
use crate::http::auth::{ApiKeyAuth, Authenticator};
use crate::http::error::ApiError;
use crate::http::json_body::JsonBody;
use crate::http::middleware::RequestId;
use crate::http::{ApiTags, ctx, page};

pub struct ConsentApi;

/// A change of consent as a client sent it (`field` prefixes the names in errors).
pub(super) fn consent_change(
    field: &str,
    purpose: &str,
    status: &str,
    source: Option<&str>,
    evidence: Option<String>,
    actor: &str,
) -> Result<ConsentChange, ApiError> {
    Ok(ConsentChange {
        purpose: Purpose::parse(purpose).ok_or_else(|| ApiError::validation(&format!("{field}purpose"), "must be marketing or utility"))?,
        status: OptInStatus::parse(status)
            .filter(|s| *s != OptInStatus::Pending)
            .ok_or_else(|| ApiError::validation(&format!("{field}status"), "must be opted_in or opted_out"))?,
        source: match source {
            None => ConsentSource::Api,
            Some(s) => ConsentSource::parse(s)
                .filter(|s| *s != ConsentSource::Meta)
                .ok_or_else(|| ApiError::validation(&format!("{field}source"), "must be web, whatsapp, manual, api or import"))?,
        },
        evidence: evidence.map(|e| e.trim().to_owned()).filter(|e| !e.is_empty()),
        actor: Some(actor.to_owned()),
    })
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Customers")]
impl ConsentApi {
    /// A customer's consent per purpose and the ledger behind it, newest first (viewer).
    #[oai(path = "/customers/:id/consent", method = "get", operation_id = "getCustomerConsent")]
    async fn ledger(
        &self,
        h: Data<&Arc<CustomersHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))] limit: Query<Option<u64>>,
        #[oai(validator(minimum(value = "0"), maximum(value = "1000000")))] offset: Query<Option<u64>>,
    ) -> Result<Json<ConsentLedgerDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let (limit, offset) = page(limit.0, offset.0);
        let q = GetConsent { shop_id: shop, customer_id: CustomerId::from(id.0), limit, offset };
        let v = h.pipeline.query(&ctx(&rid, Some(shop)), &h.consent.get, q).await?;
        Ok(Json(ConsentLedgerDto {
            consent: ConsentStateDto::from(&v.state),
            entries: v.entries.items.iter().map(ConsentEntryDto::from).collect(),
            total: v.entries.total,
            has_more: v.entries.has_more,
        }))
    }

    /// Record a change of opt-in for one purpose (agent): appended to the ledger with its source,
    /// evidence and the key that recorded it. A real change publishes `customer.opt_in.changed`;
    /// asking for the state the customer is already in records nothing (`changed: false`).
    #[oai(path = "/customers/:id/consent", method = "post", operation_id = "recordCustomerConsent")]
    async fn record(
        &self,
        h: Data<&Arc<CustomersHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
        body: JsonBody<RecordConsentRequest>,
    ) -> Result<Json<ConsentRecordedDto>, ApiError> {
        let (shop, actor) = authn.shop_actor(&auth, Role::Agent).await?;
        let b = body.0;
        let change = consent_change("", &b.purpose, &b.status, b.source.as_deref(), b.evidence, &actor)?;
        let cmd = RecordConsent { shop_id: shop, customer_id: CustomerId::from(id.0), change };
        let out = h.pipeline.execute(&ctx(&rid, Some(shop)), &h.consent.record, cmd).await?;
        Ok(Json(ConsentRecordedDto {
            changed: out.entry.is_some(),
            entry: out.entry.as_ref().map(ConsentEntryDto::from),
            consent: ConsentStateDto::from(out.customer.consent()),
        }))
    }

    /// The shop's consent settings (viewer): whether marketing templates need an opt-in, the
    /// opt-out and opt-in keywords, and their confirmations.
    #[oai(path = "/consent-settings", method = "get", operation_id = "getConsentSettings")]
    async fn settings(
        &self,
        h: Data<&Arc<CustomersHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
    ) -> Result<Json<ConsentSettingsDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let s = h.pipeline.query(&ctx(&rid, Some(shop)), &h.consent.settings, GetConsentSettings { shop_id: shop }).await?;
        Ok(Json(s.into()))
    }

    /// Replace the shop's consent settings (admin).
    #[oai(path = "/consent-settings", method = "put", operation_id = "updateConsentSettings")]
    async fn update_settings(
        &self,
        h: Data<&Arc<CustomersHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        body: JsonBody<UpdateConsentSettingsRequest>,
    ) -> Result<Json<ConsentSettingsDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Admin).await?;
        let b = body.0;
        let cmd = UpdateConsentSettings {
            shop_id: shop,
            require_marketing_opt_in: b.require_marketing_opt_in,
            opt_out_keywords: b.opt_out_keywords,
            opt_in_keywords: b.opt_in_keywords,
            opt_out_reply: b.opt_out_reply,
            opt_in_reply: b.opt_in_reply,
        };
        let s = h.pipeline.execute(&ctx(&rid, Some(shop)), &h.consent.update_settings, cmd).await?;
        Ok(Json(s.into()))
    }
}
