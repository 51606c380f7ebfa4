//! `/api/v1/segments`: saved audiences of the shop's customers, with live counts and members.

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use application::customers::create_segment::CreateSegment;
use application::customers::delete_segment::DeleteSegment;
use application::customers::get_segments::{CountedSegment, GetSegments};
use application::customers::segment_customers::SegmentCustomers;
use domain::tenancy::Role;

use super::CustomersHttp;
use super::dto::{CreateSegmentRequest, CustomerDto, CustomerListDto, SegmentDto, SegmentListDto};
use super::routes::sort_of;
use crate::http::auth::{ApiKeyAuth, Authenticator};
use crate::http::error::ApiError;
use crate::http::json_body::JsonBody;
use crate::http::middleware::RequestId;
use crate::http::{ApiTags, ctx, page};

pub struct SegmentsApi;

#[derive(ApiResponse)]
enum SegmentCreated {
    #[oai(status = 201)]
    Created(Json<SegmentDto>),
}

#[derive(ApiResponse)]
enum Deleted {
    #[oai(status = 204)]
    NoContent,
}

fn dto(c: CountedSegment) -> SegmentDto {
    SegmentDto {
        id: c.segment.id,
        name: c.segment.name,
        definition: c.segment.definition,
        count: c.count,
        created_at: c.segment.created_at,
    }
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Customers")]
impl SegmentsApi {
    /// The shop's segments, each with how many customers are in it now (viewer).
    #[oai(path = "/segments", method = "get", operation_id = "listSegments")]
    async fn list(
        &self,
        h: Data<&Arc<CustomersHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
    ) -> Result<Json<SegmentListDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let all = h.pipeline.query(&ctx(&rid, Some(shop)), &h.segments.list, GetSegments { shop_id: shop, id: None }).await?;
        Ok(Json(SegmentListDto { total: all.len() as u64, items: all.into_iter().map(dto).collect(), has_more: false }))
    }

    /// Save a segment (admin: a segment is the shop's configuration, which campaigns target): a name and a definition, `{"match": "all"|"any", "conditions":
    /// [...]}` with conditions `{"search": …}`, `{"tags": {"any"|"all": [...]}}`, `{"field": key,
    /// "op": equals|contains|gt|lt|between|set|unset, "value": …}`, `{"consent": {"purpose", "status"}}`,
    /// `{"lastInbound"|"firstContact": {"after", "before"}}`, `{"windowOpen": bool}`, or a nested
    /// group (3 deep, 50 conditions). A group of customers is a segment on a tag.
    #[oai(path = "/segments", method = "post", operation_id = "createSegment")]
    async fn create(
        &self,
        h: Data<&Arc<CustomersHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        body: JsonBody<CreateSegmentRequest>,
    ) -> Result<SegmentCreated, ApiError> {
        let shop = authn.shop(&auth, Role::Admin).await?;
        let b = body.0;
        let cmd = CreateSegment { shop_id: shop, name: b.name, definition: b.definition };
        let segment = h.pipeline.execute(&ctx(&rid, Some(shop)), &h.segments.create, cmd).await?;
        let counted =
            h.pipeline.query(&ctx(&rid, Some(shop)), &h.segments.list, GetSegments { shop_id: shop, id: Some(segment.id) }).await?;
        let one = counted.into_iter().next().unwrap_or(CountedSegment { segment, count: 0 });
        Ok(SegmentCreated::Created(Json(dto(one))))
    }

    /// One segment with its live count (viewer).
    #[oai(path = "/segments/:id", method = "get", operation_id = "getSegment")]
    async fn get(
        &self,
        h: Data<&Arc<CustomersHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
    ) -> Result<Json<SegmentDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let one = h.pipeline.query(&ctx(&rid, Some(shop)), &h.segments.list, GetSegments { shop_id: shop, id: Some(id.0) }).await?;
        one.into_iter().next().map(|c| Json(dto(c))).ok_or_else(|| ApiError::not_found("segment"))
    }

    /// Delete a segment (admin); its customers are untouched.
    #[oai(path = "/segments/:id", method = "delete", operation_id = "deleteSegment")]
    async fn delete(
        &self,
        h: Data<&Arc<CustomersHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
    ) -> Result<Deleted, ApiError> {
        let shop = authn.shop(&auth, Role::Admin).await?;
        h.pipeline.execute(&ctx(&rid, Some(shop)), &h.segments.delete, DeleteSegment { shop_id: shop, id: id.0 }).await?;
        Ok(Deleted::NoContent)
    }

    /// The customers in a segment now, sorted and paginated (viewer).
    #[oai(path = "/segments/:id/customers", method = "get", operation_id = "getSegmentCustomers")]
    async fn customers(
        &self,
        h: Data<&Arc<CustomersHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
        #[oai(validator(pattern = "^-?(firstContactedAt|lastInboundAt|updatedAt|name)$"))] sort: Query<Option<String>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))] limit: Query<Option<u64>>,
        #[oai(validator(minimum(value = "0"), maximum(value = "1000000")))] offset: Query<Option<u64>>,
    ) -> Result<Json<CustomerListDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let (limit, offset) = page(limit.0, offset.0);
        let q = SegmentCustomers { shop_id: shop, id: id.0, sort: sort_of(sort.0.as_deref())?, limit, offset };
        let p = h.pipeline.query(&ctx(&rid, Some(shop)), &h.segments.members, q).await?;
        Ok(Json(CustomerListDto { customers: p.items.iter().map(CustomerDto::from).collect(), total: p.total, has_more: p.has_more }))
    }
}
