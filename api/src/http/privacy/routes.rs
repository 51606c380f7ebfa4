//! The privacy operations: a customer's GDPR export (`/customers/{id}/export`, as the contract
//! fixes it). The erasure is `DELETE /customers/{id}`, a method of the customers' own path, so
//! it is declared among the customers' operations (one OpenAPI path item per path) and runs
//! this context's use case through `PrivacyHttp`.

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use uuid::Uuid;

use application::privacy::export_customer::ExportCustomer;
use domain::CustomerId;
use domain::tenancy::Role;

use super::PrivacyHttp;
use crate::http::auth::{ApiKeyAuth, Authenticator};
use crate::http::customers::dto::{ConsentEntryDto, CustomerDto, CustomerExportDto};
use crate::http::error::ApiError;
use crate::http::messaging::dto::ConversationDto;
use crate::http::middleware::RequestId;
use crate::http::{ApiTags, ctx};

pub struct PrivacyApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Customers")]
impl PrivacyApi {
    /// Everything held about one customer, as one JSON document (GDPR; admin): profile, consent
    /// ledger, conversations, messages with their statuses, and each other context's section
    /// (`sections`: their files, and what later contexts hold). The export is audited.
    #[oai(path = "/customers/:id/export", method = "get", operation_id = "exportCustomer")]
    async fn export(
        &self,
        h: Data<&Arc<PrivacyHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
    ) -> Result<Json<CustomerExportDto>, ApiError> {
        let (shop, actor) = authn.shop_actor(&auth, Role::Admin).await?;
        let cmd = ExportCustomer { shop_id: shop, customer_id: CustomerId::from(id.0), actor };
        let x = h.pipeline.execute(&ctx(&rid, Some(shop)), &h.export, cmd).await?;
        let now = h.clock.now();
        Ok(Json(CustomerExportDto {
            exported_at: now,
            customer: CustomerDto::from(&x.customer),
            consent: x.consent.iter().map(ConsentEntryDto::from).collect(),
            conversations: x.conversations.into_iter().map(|c| ConversationDto::new(c, now)).collect(),
            messages: x.messages.into_iter().map(Into::into).collect(),
            messages_total: x.messages_total,
            sections: x.sections.into_iter().map(|(context, section)| (context.to_owned(), section)).collect(),
        }))
    }
}
