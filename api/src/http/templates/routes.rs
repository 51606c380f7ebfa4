//! The templates operations.

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use application::templates::create_template::CreateTemplate;
use application::templates::edit_template::EditTemplate;
use application::templates::get_template::GetTemplate;
use application::templates::list_templates::ListTemplates;
use application::templates::preview_template::PreviewTemplate;
use domain::tenancy::Role;

use super::TemplatesHttp;
use super::dto::{
    CreateTemplateRequest, EditTemplateRequest, MessageTemplateDto, MessageTemplateListDto, PreviewDto, PreviewRequest, SyncDto,
};
use crate::http::auth::{ApiKeyAuth, Authenticator};
use crate::http::error::ApiError;
use crate::http::json_body::JsonBody;
use crate::http::middleware::RequestId;
use crate::http::{ApiTags, ctx, page};

pub struct TemplatesApi;

#[derive(ApiResponse)]
enum TemplateCreated {
    /// Submitted: Meta's review follows (status `PENDING`, then a status webhook).
    #[oai(status = 201)]
    Created(Json<MessageTemplateDto>),
}

#[derive(ApiResponse)]
enum Deleted {
    #[oai(status = 204)]
    NoContent,
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Templates")]
impl TemplatesApi {
    /// The shop's templates, by name then language (viewer). `status` (`APPROVED`, `PAUSED`, …)
    /// and `name` (a part of it) narrow the list.
    #[oai(path = "/templates", method = "get", operation_id = "listTemplates")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        h: Data<&Arc<TemplatesHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        #[oai(validator(max_length = 32))] status: Query<Option<String>>,
        #[oai(validator(max_length = 512))] name: Query<Option<String>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))] limit: Query<Option<u64>>,
        #[oai(validator(minimum(value = "0"), maximum(value = "1000000")))] offset: Query<Option<u64>>,
    ) -> Result<Json<MessageTemplateListDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let (limit, offset) = page(limit.0, offset.0);
        let q = ListTemplates { shop_id: shop, status: status.0, name: name.0, limit, offset };
        let p = h.pipeline.query(&ctx(&rid, Some(shop)), &h.list, q).await?;
        Ok(Json(MessageTemplateListDto {
            items: p.items.into_iter().map(|t| MessageTemplateDto::from(t, None)).collect(),
            total: p.total,
            has_more: p.has_more,
        }))
    }

    /// Make a template (admin): checked against Meta's rules here — name, language, category,
    /// header, body (≤ 1,024, variables all `{{1}}` or all `{{name}}`, each with an example, none
    /// leading, trailing or side by side), footer, buttons — every problem named in one 422
    /// (`details.problems`); then submitted to Meta on the WABA of `accountId` (or the shop's only
    /// number). Meta's review arrives by webhook and changes `status`.
    #[oai(path = "/templates", method = "post", operation_id = "createTemplate")]
    async fn create(
        &self,
        h: Data<&Arc<TemplatesHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        body: JsonBody<CreateTemplateRequest>,
    ) -> Result<TemplateCreated, ApiError> {
        let shop = authn.shop(&auth, Role::Admin).await?;
        let b = body.0;
        let cmd = CreateTemplate {
            shop_id: shop,
            account_id: b.account_id.map(Into::into),
            name: b.name,
            language: b.language,
            category: b.category,
            parameter_format: b.parameter_format,
            components: serde_json::Value::Array(b.components),
        };
        let t = h.create.run(&ctx(&rid, Some(shop)), cmd).await?;
        Ok(TemplateCreated::Created(Json(MessageTemplateDto::from(t, None))))
    }

    /// Pull every page of Meta's template list for the WABAs of the shop's numbers (admin):
    /// templates made in Meta's own tools appear; changed statuses are recorded and announced.
    #[oai(path = "/templates/sync", method = "post", operation_id = "syncTemplates")]
    async fn sync(
        &self,
        h: Data<&Arc<TemplatesHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
    ) -> Result<Json<SyncDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Admin).await?;
        let o = h.sync.run(&ctx(&rid, Some(shop)), shop).await?;
        Ok(Json(SyncDto { wabas: o.wabas, pages: o.pages, seen: o.seen, created: o.created, updated: o.updated }))
    }

    /// One template, with its status history and what became of its sends: sent, delivered,
    /// read, failed, replied within 24 h, billable (viewer).
    #[oai(path = "/templates/:id", method = "get", operation_id = "getTemplate")]
    async fn get(
        &self,
        h: Data<&Arc<TemplatesHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
    ) -> Result<Json<MessageTemplateDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let (t, history, figures) = h.pipeline.query(&ctx(&rid, Some(shop)), &h.get, GetTemplate { shop_id: shop, id: id.0 }).await?;
        Ok(Json(MessageTemplateDto::with(t, Some(history), Some(figures))))
    }

    /// New content for a template (admin): all its components (and, unless it is approved, its
    /// category), checked like a new one. Meta edits approved, rejected or paused templates
    /// (an approved one at most once a day and ten times a month); the template is `PENDING`
    /// review again.
    #[oai(path = "/templates/:id", method = "patch", operation_id = "editTemplate")]
    async fn edit(
        &self,
        h: Data<&Arc<TemplatesHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
        body: JsonBody<EditTemplateRequest>,
    ) -> Result<Json<MessageTemplateDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Admin).await?;
        let b = body.0;
        let cmd = EditTemplate {
            shop_id: shop,
            id: id.0,
            category: b.category,
            parameter_format: b.parameter_format,
            components: serde_json::Value::Array(b.components),
        };
        let t = h.edit.run(&ctx(&rid, Some(shop)), cmd).await?;
        Ok(Json(MessageTemplateDto::from(t, None)))
    }

    /// Delete a template at Meta and here (admin).
    #[oai(path = "/templates/:id", method = "delete", operation_id = "deleteTemplate")]
    async fn delete(
        &self,
        h: Data<&Arc<TemplatesHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
    ) -> Result<Deleted, ApiError> {
        let shop = authn.shop(&auth, Role::Admin).await?;
        h.delete.run(&ctx(&rid, Some(shop)), shop, id.0).await?;
        Ok(Deleted::NoContent)
    }

    /// What a send with these parameters would show (viewer); parameters that do not fit the
    /// template are a 422 naming each problem, as the send itself would be.
    #[oai(path = "/templates/:id/preview", method = "post", operation_id = "previewTemplate")]
    async fn preview(
        &self,
        h: Data<&Arc<TemplatesHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
        body: JsonBody<PreviewRequest>,
    ) -> Result<Json<PreviewDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let q = PreviewTemplate { shop_id: shop, id: id.0, components: body.0.components };
        Ok(Json(h.pipeline.query(&ctx(&rid, Some(shop)), &h.preview, q).await?.into()))
    }
}
