//! `/api/v1/customers`: read and search a shop's customers (viewer).

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use uuid::Uuid;

use application::customers::get_customer::{CustomerKey, CustomerView, GetCustomer};
use application::customers::list_customers::ListCustomers;
use application::customers::tag_customer::{TagChange, TagCustomer};
use domain::tenancy::Role;
use domain::{CustomerId, ShopId};

use super::CustomersHttp;
use super::dto::{AddTagsRequest, CustomerDetailDto, CustomerDto, CustomerListDto};
use crate::http::auth::{ApiKeyAuth, Authenticator};
use crate::http::error::ApiError;
use crate::http::json_body::JsonBody;
use crate::http::messaging::dto::ConversationDto;
use crate::http::middleware::RequestId;
use crate::http::{ApiTags, ctx, page};

pub struct CustomersApi;

/// One customer (viewer), by id or by `waId`, with their conversations.
async fn detail(h: &CustomersHttp, rid: &RequestId, shop: ShopId, key: CustomerKey) -> Result<Json<CustomerDetailDto>, ApiError> {
    let view: CustomerView = h.pipeline.query(&ctx(rid, Some(shop)), &h.get, GetCustomer { shop_id: shop, key }).await?;
    let now = h.clock.now();
    Ok(Json(CustomerDetailDto {
        customer: CustomerDto::from(&view.customer),
        conversations: view.conversations.into_iter().map(|c| ConversationDto::new(c, now)).collect(),
        conversations_total: view.conversations_total,
    }))
}

/// Add or remove tags (agent).
async fn retag(h: &CustomersHttp, rid: &RequestId, shop: ShopId, id: Uuid, change: TagChange) -> Result<Json<CustomerDto>, ApiError> {
    let cmd = TagCustomer { shop_id: shop, customer_id: CustomerId::from(id), change };
    let c = h.pipeline.execute(&ctx(rid, Some(shop)), &h.tag, cmd).await?;
    Ok(Json(CustomerDto::from(&c)))
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Customers")]
impl CustomersApi {
    /// List the shop's customers, newest first (viewer). `search` matches part of a name,
    /// `waId` or `userId`, case-insensitively.
    #[oai(path = "/customers", method = "get", operation_id = "listCustomers")]
    async fn list(
        &self,
        h: Data<&Arc<CustomersHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        #[oai(validator(min_length = 1, max_length = 128))] search: Query<Option<String>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))] limit: Query<Option<u64>>,
        #[oai(validator(minimum(value = "0"), maximum(value = "1000000")))] offset: Query<Option<u64>>,
    ) -> Result<Json<CustomerListDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let (limit, offset) = page(limit.0, offset.0);
        let q = ListCustomers { shop_id: shop, search: search.0, limit, offset };
        let p = h.pipeline.query(&ctx(&rid, Some(shop)), &h.list, q).await?;
        Ok(Json(CustomerListDto { customers: p.items.iter().map(CustomerDto::from).collect(), total: p.total, has_more: p.has_more }))
    }

    /// One customer with their conversations (viewer).
    #[oai(path = "/customers/:id", method = "get", operation_id = "getCustomer")]
    async fn get(
        &self,
        h: Data<&Arc<CustomersHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
    ) -> Result<Json<CustomerDetailDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        detail(&h, &rid, shop, CustomerKey::Id(CustomerId::from(id.0))).await
    }

    /// Add tags to a customer (agent). Tags are trimmed and unique without regard to case;
    /// adding one that is there changes nothing. A real change emits `customer.updated`.
    #[oai(path = "/customers/:id/tags", method = "post", operation_id = "tagCustomer")]
    async fn add_tags(
        &self,
        h: Data<&Arc<CustomersHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
        body: JsonBody<AddTagsRequest>,
    ) -> Result<Json<CustomerDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Agent).await?;
        retag(&h, &rid, shop, id.0, TagChange::Add(body.0.tags)).await
    }

    /// Remove a tag from a customer (agent), without regard to case.
    #[oai(path = "/customers/:id/tags", method = "delete", operation_id = "untagCustomer")]
    async fn remove_tag(
        &self,
        h: Data<&Arc<CustomersHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
        #[oai(validator(max_length = 64, pattern = r"\S"))] tag: Query<String>,
    ) -> Result<Json<CustomerDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Agent).await?;
        retag(&h, &rid, shop, id.0, TagChange::Remove(tag.0)).await
    }

    /// One customer by their WhatsApp id, with their conversations (viewer).
    #[oai(path = "/customers/by-wa-id/:wa_id", method = "get", operation_id = "getCustomerByWaId")]
    async fn by_wa_id(
        &self,
        h: Data<&Arc<CustomersHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        #[oai(validator(pattern = r"^\s*\+?[0-9]{8,15}\s*$"))] wa_id: Path<String>,
    ) -> Result<Json<CustomerDetailDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let wa = crate::http::wa_id("waId", &wa_id.0)?;
        detail(&h, &rid, shop, CustomerKey::WaId(wa)).await
    }
}
