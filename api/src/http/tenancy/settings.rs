//! `/api/v1/shop-settings`: the shop's time zone, business hours, closed dates and the quiet
//! time of a turn (read by every role, changed by an admin, audited).

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::payload::Json;

use application::tenancy::get_shop_settings::GetShopSettings;
use application::tenancy::update_shop_settings::UpdateShopSettings;
use domain::tenancy::settings::DEFAULT_TURN_QUIET_MS;
use domain::tenancy::{SettingsDraft, ShopSettings};

use super::TenancyHttp;
use super::dto::{BusinessHoursDto, IntervalDto, ShopSettingsDto, ShopSettingsRequest};
use crate::http::auth::{ApiKeyAuth, Authenticator};
use crate::http::error::ApiError;
use crate::http::json_body::JsonBody;
use crate::http::middleware::RequestId;
use crate::http::{ApiTags, ctx};
use domain::tenancy::Role;

pub struct ShopSettingsApi;

fn dto(s: &ShopSettings, updated_at: Option<chrono::DateTime<chrono::Utc>>, now: chrono::DateTime<chrono::Utc>) -> ShopSettingsDto {
    let d = s.to_draft();
    let day = |i: usize, h: &[Vec<(String, String)>; 7]| {
        Some(h[i].iter().map(|(open, close)| IntervalDto { open: open.clone(), close: close.clone() }).collect())
    };
    ShopSettingsDto {
        time_zone: d.time_zone,
        business_hours: d.business_hours.as_ref().map(|h| BusinessHoursDto {
            monday: day(0, h),
            tuesday: day(1, h),
            wednesday: day(2, h),
            thursday: day(3, h),
            friday: day(4, h),
            saturday: day(5, h),
            sunday: day(6, h),
        }),
        closed_dates: d.closed_dates,
        turn_quiet_ms: d.turn_quiet_ms,
        hand_back_hours: d.hand_back_hours,
        open_now: s.is_open(now),
        updated_at,
    }
}

fn draft(b: ShopSettingsRequest) -> SettingsDraft {
    SettingsDraft {
        time_zone: b.time_zone,
        business_hours: b.business_hours.map(|h| {
            let days = h.days();
            std::array::from_fn(|i| days[i].iter().flatten().map(|iv| (iv.open.clone(), iv.close.clone())).collect::<Vec<_>>())
        }),
        closed_dates: b.closed_dates.unwrap_or_default(),
        turn_quiet_ms: b.turn_quiet_ms.unwrap_or(DEFAULT_TURN_QUIET_MS),
        hand_back_hours: b.hand_back_hours.unwrap_or(domain::tenancy::settings::DEFAULT_HAND_BACK_HOURS),
    }
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Shops")]
impl ShopSettingsApi {
    /// The shop's settings (viewer): time zone, business hours, closed dates, the quiet time of
    /// a turn, and whether it is open now. A shop that set nothing gets the defaults: UTC, always
    /// open, 2000 ms, `updatedAt` null.
    #[oai(path = "/shop-settings", method = "get", operation_id = "getShopSettings")]
    async fn get(
        &self,
        h: Data<&Arc<TenancyHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
    ) -> Result<Json<ShopSettingsDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let (s, at) = h.pipeline.query(&ctx(&rid, Some(shop)), &h.get_settings, GetShopSettings { shop_id: shop }).await?;
        Ok(Json(dto(&s, at, h.clock.now())))
    }

    /// Replace the shop's settings (admin; audited as `shop.settings.updated`). Checked whole:
    /// an unknown time zone, a bad time, a close before its open, overlapping intervals, a bad
    /// date or a quiet time over 10000 ms get 422 `VALIDATION_FAILED` naming each field
    /// (`businessHours.monday[1]`), and nothing changes.
    #[oai(path = "/shop-settings", method = "put", operation_id = "updateShopSettings")]
    async fn put(
        &self,
        h: Data<&Arc<TenancyHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        body: JsonBody<ShopSettingsRequest>,
    ) -> Result<Json<ShopSettingsDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Admin).await?;
        let cmd = UpdateShopSettings { shop_id: shop, draft: draft(body.0) };
        let (s, at) = h.pipeline.execute(&ctx(&rid, Some(shop)), &h.update_settings, cmd).await?;
        Ok(Json(dto(&s, Some(at), h.clock.now())))
    }
}
