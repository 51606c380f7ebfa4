use std::sync::Arc;

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use application::shops::{CreateApiKey, CreateShop};
use domain::ShopId;
use domain::shop::Role;

use super::{ApiTags, ctx};
use crate::auth::{ApiKeyAuth, Principal};
use crate::dto::*;
use crate::error::ApiError;
use crate::http::RequestId;
use crate::json_body::JsonBody;
use crate::state::AppState;

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
    /// Create a shop (platform admin key).
    #[oai(path = "/shops", method = "post", operation_id = "createShop")]
    async fn create_shop(
        &self,
        state: Data<&Arc<AppState>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        body: JsonBody<CreateShopRequest>,
    ) -> Result<ShopCreated, ApiError> {
        if !matches!(state.principal(&auth).await?, Principal::Platform) {
            return Err(ApiError::forbidden("Only the platform admin key creates shops."));
        }
        let shop = state.pipeline.execute(&ctx(&rid, None), &state.shops, CreateShop { name: body.0.name }).await?;
        Ok(ShopCreated::Created(Json(shop.into())))
    }

    /// Get a shop.
    #[oai(path = "/shops/:shop_id", method = "get", operation_id = "getShop")]
    async fn get_shop(&self, state: Data<&Arc<AppState>>, auth: ApiKeyAuth, shop_id: Path<Uuid>) -> Result<Json<ShopDto>, ApiError> {
        let shop = ShopId::from(shop_id.0);
        state.platform_or_shop(&auth, shop, Role::Viewer).await?;
        let s = state.reads.shop(shop).await.map_err(application::AppError::from)?.ok_or_else(|| ApiError::not_found("shop"))?;
        Ok(Json(s.into()))
    }

    /// Create an API key for a shop (platform admin key, or that shop's admin key). The key is
    /// in the response once and never again.
    #[oai(path = "/shops/:shop_id/api-keys", method = "post", operation_id = "createApiKey")]
    async fn create_key(
        &self,
        state: Data<&Arc<AppState>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        shop_id: Path<Uuid>,
        body: JsonBody<CreateApiKeyRequest>,
    ) -> Result<KeyCreated, ApiError> {
        let shop = ShopId::from(shop_id.0);
        state.platform_or_shop(&auth, shop, Role::Admin).await?;
        let cmd = CreateApiKey { shop_id: shop, name: body.0.name, role: body.0.role.into() };
        let (record, key) = state.pipeline.execute(&ctx(&rid, Some(shop)), &state.shops, cmd).await?;
        Ok(KeyCreated::Created(Json(ApiKeyCreatedDto {
            id: record.id.as_uuid(),
            shop_id: record.shop_id.as_uuid(),
            name: record.name,
            role: record.role.into(),
            key: key.expose().to_owned(),
            key_prefix: record.key_prefix,
            created_at: record.created_at,
        })))
    }

    /// List a shop's API keys (without the keys themselves).
    #[oai(path = "/shops/:shop_id/api-keys", method = "get", operation_id = "listApiKeys")]
    async fn list_keys(
        &self,
        state: Data<&Arc<AppState>>,
        auth: ApiKeyAuth,
        shop_id: Path<Uuid>,
    ) -> Result<Json<Vec<ApiKeyDto>>, ApiError> {
        let shop = ShopId::from(shop_id.0);
        state.platform_or_shop(&auth, shop, Role::Admin).await?;
        let keys = state.reads.list_api_keys(shop).await.map_err(application::AppError::from)?;
        Ok(Json(keys.into_iter().map(Into::into).collect()))
    }
}
