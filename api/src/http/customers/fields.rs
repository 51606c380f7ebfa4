//! `/api/v1/custom-fields`: the typed custom fields of a shop's customers.

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};

use application::customers::define_custom_field::DefineCustomField;
use application::customers::list_custom_fields::ListCustomFields;
use domain::customers::{FieldDefinition, FieldType};
use domain::tenancy::Role;

use super::CustomersHttp;
use super::dto::{CustomFieldDto, CustomFieldListDto, DefineCustomFieldRequest};
use crate::http::auth::{ApiKeyAuth, Authenticator};
use crate::http::error::ApiError;
use crate::http::json_body::JsonBody;
use crate::http::middleware::RequestId;
use crate::http::{ApiTags, ctx};

pub struct CustomFieldsApi;

#[derive(ApiResponse)]
enum FieldCreated {
    #[oai(status = 201)]
    Created(Json<CustomFieldDto>),
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Customers")]
impl CustomFieldsApi {
    /// The shop's custom fields, in the order they were made (viewer).
    #[oai(path = "/custom-fields", method = "get", operation_id = "listCustomFields")]
    async fn list(
        &self,
        h: Data<&Arc<CustomersHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
    ) -> Result<Json<CustomFieldListDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let defs = h.pipeline.query(&ctx(&rid, Some(shop)), &h.fields.list, ListCustomFields { shop_id: shop }).await?;
        Ok(Json(CustomFieldListDto { total: defs.len() as u64, items: defs.iter().map(CustomFieldDto::from).collect(), has_more: false }))
    }

    /// Define a custom field (admin): key (unique per shop), label, type, options of a choice
    /// field, an optional regular expression (text, url, email, phone), required or not. A
    /// pattern that does not compile is 422 naming `pattern`; a key the shop has is 409.
    #[oai(path = "/custom-fields", method = "post", operation_id = "defineCustomField")]
    async fn define(
        &self,
        h: Data<&Arc<CustomersHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        body: JsonBody<DefineCustomFieldRequest>,
    ) -> Result<FieldCreated, ApiError> {
        let shop = authn.shop(&auth, Role::Admin).await?;
        let b = body.0;
        let field_type = FieldType::parse(&b.field_type).ok_or_else(|| ApiError::validation("type", "is not a known field type"))?;
        let definition =
            FieldDefinition::new(&b.key, &b.label, field_type, b.options.unwrap_or_default(), b.pattern, b.required.unwrap_or(false))
                .map_err(|e| ApiError::validation(&e.field, &e.reason))?;
        let d = h.pipeline.execute(&ctx(&rid, Some(shop)), &h.fields.define, DefineCustomField { shop_id: shop, definition }).await?;
        Ok(FieldCreated::Created(Json(CustomFieldDto::from(&d))))
    }
}
