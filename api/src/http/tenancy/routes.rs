//! `/api/v1/shops`: create shops (platform admin) and their API keys.

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use application::tenancy::create_api_key::CreateApiKey;
use application::tenancy::create_shop::CreateShop;
use application::tenancy::get_audit_log::GetAuditLog;
use application::tenancy::get_shop::GetShop;
use application::tenancy::list_api_keys::ListApiKeys;
use domain::ShopId;
use domain::tenancy::Role;

use super::TenancyHttp;
use super::dto::*;
use crate::http::auth::{ApiKeyAuth, Authenticator, Principal};
use crate::http::error::ApiError;
use crate::http::json_body::JsonBody;
use crate::http::middleware::RequestId;
use crate::http::{ApiTags, ctx, page};

pub struct ShopsApi;

#[derive(ApiResponse)]
enum ShopCreated {
    #[oai(status = 201)]
    Created(Json<ShopDto>),
}

#[derive(ApiResponse)]
enum KeyCreated {
    #[oai(status = 201)]
    Created(Json<ApiKeyCreatedDto>),
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Shops")]
impl ShopsApi {
    /// Who did what to the shop's data, newest first (shop admin): consent changes, erasures,
    /// exports, imports, API keys and numbers. `action` keeps one kind (`customer.erased`).
    #[oai(path = "/audit-log", method = "get", operation_id = "getAuditLog")]
    async fn audit_log(
        &self,
        h: Data<&Arc<TenancyHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        #[oai(validator(min_length = 1, max_length = 64, pattern = r"^[a-z_.]+$"))] action: Query<Option<String>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))] limit: Query<Option<u64>>,
        #[oai(validator(minimum(value = "0"), maximum(value = "1000000")))] offset: Query<Option<u64>>,
    ) -> Result<Json<AuditLogDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Admin).await?;
        let (limit, offset) = page(limit.0, offset.0);
        let p =
            h.pipeline.query(&ctx(&rid, Some(shop)), &h.audit_log, GetAuditLog { shop_id: shop, action: action.0, limit, offset }).await?;
        Ok(Json(AuditLogDto {
            items: p
                .items
                .into_iter()
                .map(|e| AuditEntryDto {
                    actor: e.actor,
                    actor_member_id: e.actor_member_id.map(|m| m.as_uuid()),
                    action: e.action,
                    subject_type: e.subject_type,
                    subject_id: e.subject_id,
                    details: e.details,
                    at: e.at,
                })
                .collect(),
            total: p.total,
            has_more: p.has_more,
        }))
    }

    /// Create a shop (platform admin key).
    #[oai(path = "/shops", method = "post", operation_id = "createShop")]
    async fn create_shop(
        &self,
        h: Data<&Arc<TenancyHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        body: JsonBody<CreateShopRequest>,
    ) -> Result<ShopCreated, ApiError> {
        if !matches!(authn.principal(&auth).await?, Principal::Platform) {
            return Err(ApiError::forbidden("Only the platform admin key creates shops."));
        }
        let shop = h.pipeline.execute(&ctx(&rid, None), &h.create_shop, CreateShop { name: body.0.name }).await?;
        Ok(ShopCreated::Created(Json(shop.into())))
    }

    /// Get a shop.
    #[oai(path = "/shops/:shop_id", method = "get", operation_id = "getShop")]
    async fn get_shop(
        &self,
        h: Data<&Arc<TenancyHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        shop_id: Path<Uuid>,
    ) -> Result<Json<ShopDto>, ApiError> {
        let shop = ShopId::from(shop_id.0);
        authn.platform_or_shop(&auth, shop, Role::Viewer).await?;
        let s = h.pipeline.query(&ctx(&rid, Some(shop)), &h.get_shop, GetShop { shop_id: shop }).await?;
        Ok(Json(s.into()))
    }

    /// Create an API key for a shop (platform admin key, or that shop's admin key). The key is
    /// in the response once and never again.
    #[oai(path = "/shops/:shop_id/api-keys", method = "post", operation_id = "createApiKey")]
    async fn create_key(
        &self,
        h: Data<&Arc<TenancyHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        shop_id: Path<Uuid>,
        body: JsonBody<CreateApiKeyRequest>,
    ) -> Result<KeyCreated, ApiError> {
        let shop = ShopId::from(shop_id.0);
        authn.platform_or_shop(&auth, shop, Role::Admin).await?;
        let cmd = CreateApiKey { shop_id: shop, name: body.0.name, role: body.0.role.into(), member_id: body.0.member_id.map(Into::into) };
        let (record, key) = h.pipeline.execute(&ctx(&rid, Some(shop)), &h.create_api_key, cmd).await?;
        Ok(KeyCreated::Created(Json(ApiKeyCreatedDto {
            id: record.id.as_uuid(),
            shop_id: record.shop_id.as_uuid(),
            name: record.name,
            role: record.role.into(),
            key: key.expose().to_owned(),
            key_prefix: record.key_prefix,
            member_id: record.member_id.map(|m| m.as_uuid()),
            created_at: record.created_at,
        })))
    }

    /// List a shop's API keys (without the keys themselves).
    #[oai(path = "/shops/:shop_id/api-keys", method = "get", operation_id = "listApiKeys")]
    async fn list_keys(
        &self,
        h: Data<&Arc<TenancyHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        shop_id: Path<Uuid>,
    ) -> Result<Json<Vec<ApiKeyDto>>, ApiError> {
        let shop = ShopId::from(shop_id.0);
        authn.platform_or_shop(&auth, shop, Role::Admin).await?;
        let keys = h.pipeline.query(&ctx(&rid, Some(shop)), &h.list_api_keys, ListApiKeys { shop_id: shop }).await?;
        Ok(Json(keys.into_iter().map(Into::into).collect()))
    }
}
