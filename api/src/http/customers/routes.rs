//! `/api/v1/customers`: read and search a shop's customers (viewer).

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use application::customers::create_customer::CreateCustomer;
use application::customers::get_customer::{CustomerKey, GetCustomer};
use application::customers::list_customers::{CustomerFilter, ListCustomers};
use application::customers::ports::CustomerSort;
use application::customers::tag_customer::{TagChange, TagCustomer};
use application::customers::update_customer::UpdateCustomer;
use application::messaging::list_conversations::ListConversations;
use application::privacy::erase_customer::EraseCustomer;
use chrono::{DateTime, Utc};
use domain::customers::TimeRange;
use domain::tenancy::Role;
use domain::{CustomerId, ShopId};

use super::CustomersHttp;
use super::consent::consent_change;
use super::dto::{AddTagsRequest, CreateCustomerRequest, CustomerDetailDto, CustomerDto, CustomerListDto, UpdateCustomerRequest};
use crate::http::auth::{ApiKeyAuth, Authenticator};
use crate::http::error::ApiError;
use crate::http::json_body::JsonBody;
use crate::http::messaging::MessagingHttp;
use crate::http::messaging::dto::ConversationDto;
use crate::http::middleware::RequestId;
use crate::http::privacy::PrivacyHttp;
use crate::http::{ApiTags, change, ctx, page};

pub struct CustomersApi;

#[derive(ApiResponse)]
enum CustomerCreated {
    #[oai(status = 201)]
    Created(Json<CustomerDto>),
}

/// The list's filter parameters (shared by the list and the export) as the query's filter.
/// `ranges`: last inbound after and before, first contact after and before.
pub(super) fn customer_filter(
    search: Option<String>,
    tags: Vec<String>,
    tag_match: Option<String>,
    fields: Vec<String>,
    consent: Vec<String>,
    ranges: [Option<DateTime<Utc>>; 4],
    window_open: Option<bool>,
) -> CustomerFilter {
    let [li_after, li_before, fc_after, fc_before] = ranges;
    CustomerFilter {
        search,
        tags,
        all_tags: tag_match.as_deref() == Some("all"),
        fields,
        consent,
        last_inbound: TimeRange { after: li_after, before: li_before },
        first_contact: TimeRange { after: fc_after, before: fc_before },
        window_open,
    }
}

/// The `sort` parameter.
pub(super) fn sort_of(s: Option<&str>) -> Result<CustomerSort, ApiError> {
    match s {
        None => Ok(CustomerSort::default()),
        Some(s) => CustomerSort::parse(s)
            .ok_or_else(|| ApiError::validation("sort", "firstContactedAt, lastInboundAt, updatedAt or name, - for descending")),
    }
}

/// One customer (viewer), by id or by `waId`, with their conversations: the customers' query and
/// messaging's own (newest first, at most 50), composed here so the two contexts stay apart.
async fn detail(
    h: &CustomersHttp,
    messaging: &MessagingHttp,
    rid: &RequestId,
    shop: ShopId,
    key: CustomerKey,
) -> Result<Json<CustomerDetailDto>, ApiError> {
    let ctx = ctx(rid, Some(shop));
    let customer = h.pipeline.query(&ctx, &h.profiles.get, GetCustomer { shop_id: shop, key }).await?;
    let q = ListConversations {
        shop_id: shop,
        status: None,
        wa_id: Some(customer.wa_id().clone()),
        account_id: None,
        inbox: Default::default(),
        limit: 50,
        offset: 0,
    };
    let conversations = messaging.pipeline.query(&ctx, &messaging.list_conversations, q).await?;
    let now = h.clock.now();
    Ok(Json(CustomerDetailDto {
        customer: CustomerDto::from(&customer),
        conversations: conversations.items.into_iter().map(|c| ConversationDto::new(c, now)).collect(),
        conversations_total: conversations.total,
    }))
}

/// Add or remove tags (agent).
async fn retag(h: &CustomersHttp, rid: &RequestId, shop: ShopId, id: Uuid, change: TagChange) -> Result<Json<CustomerDto>, ApiError> {
    let cmd = TagCustomer { shop_id: shop, customer_id: CustomerId::from(id), change };
    let c = h.pipeline.execute(&ctx(rid, Some(shop)), &h.profiles.tag, cmd).await?;
    Ok(Json(CustomerDto::from(&c)))
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Customers")]
impl CustomersApi {
    /// List the shop's customers (viewer), filtered, sorted and paginated. All filters must hold:
    /// `search` (part of a name, `waId` or `userId`), `tag` (repeat it; `tagMatch=all` for all
    /// of them, else any), `field` (repeat it; `key:op[:value]` with op `equals`, `contains`,
    /// `gt`, `lt`, `between` (`a,b`), `set`, `unset`), `consent` (`marketing:opted_in`), last
    /// inbound and first contact ranges, `windowOpen`. `sort`: `firstContactedAt`,
    /// `lastInboundAt`, `updatedAt` or `name`, `-` for descending (default `-firstContactedAt`).
    #[oai(path = "/customers", method = "get", operation_id = "listCustomers")]
    async fn list(
        &self,
        h: Data<&Arc<CustomersHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        #[oai(validator(min_length = 1, max_length = 128))] search: Query<Option<String>>,
        #[oai(validator(max_items = 100))] tag: Query<Option<Vec<String>>>,
        #[oai(name = "tagMatch", validator(pattern = "^(any|all)$"))] tag_match: Query<Option<String>>,
        #[oai(validator(max_items = 20))] field: Query<Option<Vec<String>>>,
        #[oai(validator(max_items = 4))] consent: Query<Option<Vec<String>>>,
        #[oai(name = "lastInboundAfter")] last_inbound_after: Query<Option<DateTime<Utc>>>,
        #[oai(name = "lastInboundBefore")] last_inbound_before: Query<Option<DateTime<Utc>>>,
        #[oai(name = "firstContactAfter")] first_contact_after: Query<Option<DateTime<Utc>>>,
        #[oai(name = "firstContactBefore")] first_contact_before: Query<Option<DateTime<Utc>>>,
        #[oai(name = "windowOpen")] window_open: Query<Option<bool>>,
        #[oai(validator(pattern = "^-?(firstContactedAt|lastInboundAt|updatedAt|name)$"))] sort: Query<Option<String>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))] limit: Query<Option<u64>>,
        #[oai(validator(minimum(value = "0"), maximum(value = "1000000")))] offset: Query<Option<u64>>,
    ) -> Result<Json<CustomerListDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let (limit, offset) = page(limit.0, offset.0);
        let filter = customer_filter(
            search.0,
            tag.0.unwrap_or_default(),
            tag_match.0,
            field.0.unwrap_or_default(),
            consent.0.unwrap_or_default(),
            [last_inbound_after.0, last_inbound_before.0, first_contact_after.0, first_contact_before.0],
            window_open.0,
        );
        let q = ListCustomers { shop_id: shop, filter, sort: sort_of(sort.0.as_deref())?, limit, offset };
        let p = h.pipeline.query(&ctx(&rid, Some(shop)), &h.profiles.list, q).await?;
        Ok(Json(CustomerListDto { customers: p.items.iter().map(CustomerDto::from).collect(), total: p.total, has_more: p.has_more }))
    }

    /// Add a customer (agent): `phone` (E.164) or `waId`, and optionally a name, `userId`,
    /// language, time zone, tags, custom field values (checked against the shop's definitions)
    /// and consent with its evidence. A `waId` the shop already has is 409 naming the customer.
    #[oai(path = "/customers", method = "post", operation_id = "createCustomer")]
    async fn create(
        &self,
        h: Data<&Arc<CustomersHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        body: JsonBody<CreateCustomerRequest>,
    ) -> Result<CustomerCreated, ApiError> {
        let (shop, actor) = authn.shop_actor(&auth, Role::Agent).await?;
        let b = body.0;
        let wa_id = match (&b.phone, &b.wa_id) {
            (Some(p), None) => crate::http::phone("phone", p)?.to_wa_id(),
            (None, Some(w)) => crate::http::wa_id("waId", w)?,
            (Some(_), Some(_)) => return Err(ApiError::validation("waId", "give phone or waId, not both")),
            (None, None) => return Err(ApiError::validation("phone", "is required (or waId)")),
        };
        let initial = b.consent.unwrap_or_default();
        let mut consent = Vec::with_capacity(initial.len());
        for (i, c) in initial.into_iter().enumerate() {
            consent.push(consent_change(&format!("consent[{i}]."), &c.purpose, &c.status, c.source.as_deref(), c.evidence, &actor)?);
        }
        let cmd = CreateCustomer {
            shop_id: shop,
            wa_id,
            name: b.name,
            user_id: b.user_id,
            language: b.language,
            timezone: b.timezone,
            tags: b.tags.unwrap_or_default(),
            custom_fields: b.custom_fields.unwrap_or_default(),
            consent,
        };
        let c = h.pipeline.execute(&ctx(&rid, Some(shop)), &h.profiles.create, cmd).await?;
        Ok(CustomerCreated::Created(Json(CustomerDto::from(&c))))
    }

    /// Change a customer's profile (agent): an absent field stays, `null` clears it; custom
    /// field values are checked against their definitions. A real change emits
    /// `customer.updated` naming the fields.
    #[oai(path = "/customers/:id", method = "patch", operation_id = "updateCustomer")]
    async fn update(
        &self,
        h: Data<&Arc<CustomersHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
        body: JsonBody<UpdateCustomerRequest>,
    ) -> Result<Json<CustomerDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Agent).await?;
        let b = body.0;
        let cmd = UpdateCustomer {
            shop_id: shop,
            customer_id: CustomerId::from(id.0),
            name: change(b.name),
            user_id: change(b.user_id),
            language: change(b.language),
            timezone: change(b.timezone),
            custom_fields: b.custom_fields.unwrap_or_default(),
        };
        let c = h.pipeline.execute(&ctx(&rid, Some(shop)), &h.profiles.update, cmd).await?;
        Ok(Json(CustomerDto::from(&c)))
    }

    /// Erase a customer's personal data (GDPR; admin): names, `userId`, language, time zone,
    /// tags, custom fields and the contents of their messages are removed, and their number
    /// becomes a keyed pseudonym everywhere (a later opt-out check still recognises it). Counts,
    /// times and the consent history stay; `customer.erased` is published; the erasure is audited.
    /// Erasing again changes nothing.
    #[oai(path = "/customers/:id", method = "delete", operation_id = "eraseCustomer")]
    async fn erase(
        &self,
        privacy: Data<&Arc<PrivacyHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
    ) -> Result<Json<CustomerDto>, ApiError> {
        let (shop, actor) = authn.shop_actor(&auth, Role::Admin).await?;
        let cmd = EraseCustomer { shop_id: shop, customer_id: CustomerId::from(id.0), actor };
        let c = privacy.erase.run(&ctx(&rid, Some(shop)), cmd).await?;
        Ok(Json(CustomerDto::from(&c)))
    }

    /// One customer with their conversations (viewer).
    #[oai(path = "/customers/:id", method = "get", operation_id = "getCustomer")]
    async fn get(
        &self,
        h: Data<&Arc<CustomersHttp>>,
        messaging: Data<&Arc<MessagingHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        id: Path<Uuid>,
    ) -> Result<Json<CustomerDetailDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        detail(&h, &messaging, &rid, shop, CustomerKey::Id(CustomerId::from(id.0))).await
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

    /// One customer by the id a sibling service gave them (`userId`), with their conversations
    /// (viewer). If several customers carry it, the most recently updated.
    #[oai(path = "/customers/by-user-id/:user_id", method = "get", operation_id = "getCustomerByUserId")]
    async fn by_user_id(
        &self,
        h: Data<&Arc<CustomersHttp>>,
        messaging: Data<&Arc<MessagingHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        #[oai(validator(min_length = 1, max_length = 128, pattern = r"\S"))] user_id: Path<String>,
    ) -> Result<Json<CustomerDetailDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        detail(&h, &messaging, &rid, shop, CustomerKey::UserId(user_id.0.trim().to_owned())).await
    }

    /// One customer by their WhatsApp id, with their conversations (viewer).
    #[oai(path = "/customers/by-wa-id/:wa_id", method = "get", operation_id = "getCustomerByWaId")]
    async fn by_wa_id(
        &self,
        h: Data<&Arc<CustomersHttp>>,
        messaging: Data<&Arc<MessagingHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        #[oai(validator(pattern = r"^\s*\+?[0-9]{8,15}\s*$"))] wa_id: Path<String>,
    ) -> Result<Json<CustomerDetailDto>, ApiError> {
        let shop = authn.shop(&auth, Role::Viewer).await?;
        let wa = crate::http::wa_id("waId", &wa_id.0)?;
        detail(&h, &messaging, &rid, shop, CustomerKey::WaId(wa)).await
    }
}
