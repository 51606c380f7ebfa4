//! `GET /api/v1/customers/export`: the customers of a filter (the list's parameters) or a
//! segment, streamed as CSV or JSON a page at a time, so memory stays flat however many there
//! are. CSV cells that a spreadsheet would run as a formula are quoted with `'`.

use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use poem::Body;
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::Query;
use poem_openapi::payload::{Binary, Response};
use serde_json::{Value, json};
use uuid::Uuid;

use application::RequestContext;
use application::customers::list_custom_fields::ListCustomFields;
use application::customers::list_customers::ListCustomers;
use application::customers::segment_customers::SegmentCustomers;
use application::customers::start_export::StartCustomersExport;
use domain::customers::Customer;
use domain::tenancy::Role;

use super::CustomersHttp;
use super::dto::CustomerDto;
use super::routes::{customer_filter, sort_of};
use crate::http::auth::{ApiKeyAuth, Authenticator};
use crate::http::error::ApiError;
use crate::http::middleware::RequestId;
use crate::http::{ApiTags, ctx};

const PAGE: u64 = 200;

pub struct ExportApi;

/// A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` as a formula: quote it.
fn safe(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_owned() }
}

fn time(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)).unwrap_or_default()
}

fn field_text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => {
            a.iter().map(|x| x.as_str().map(str::to_owned).unwrap_or_else(|| x.to_string())).collect::<Vec<_>>().join("|")
        }
        Some(other) => other.to_string(),
    }
}

const CSV_HEADER: [&str; 12] = [
    "id",
    "waId",
    "name",
    "displayName",
    "userId",
    "language",
    "timezone",
    "tags",
    "marketingConsent",
    "utilityConsent",
    "firstContactedAt",
    "lastInboundAt",
];

async fn csv_lines(rows: Vec<Vec<String>>) -> Vec<u8> {
    let mut w = csv_async::AsyncWriterBuilder::new().create_writer(Vec::new());
    for r in rows {
        if w.write_record(&r).await.is_err() {
            break;
        }
    }
    w.into_inner().await.unwrap_or_default()
}

fn csv_row(c: &Customer, keys: &[String]) -> Vec<String> {
    let s = c.snapshot();
    let mut row = vec![
        s.id.to_string(),
        s.wa_id.to_string(),
        safe(s.name.as_deref().unwrap_or("")),
        safe(s.display_name.as_deref().unwrap_or("")),
        safe(s.user_id.as_deref().unwrap_or("")),
        s.language.clone().unwrap_or_default(),
        s.timezone.clone().unwrap_or_default(),
        safe(&s.tags.join("|")),
        s.consent.marketing.status.as_str().to_owned(),
        s.consent.utility.status.as_str().to_owned(),
        time(Some(s.first_contacted_at)),
        time(s.last_inbound_at),
    ];
    row.extend(keys.iter().map(|k| safe(&field_text(s.custom_fields.get(k)))));
    row
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Customers")]
impl ExportApi {
    /// Export customers (admin) as CSV or JSON, streamed: those of `segmentId`, or of the list's
    /// filters (`search`, `tag`, `tagMatch`, `field`, `consent`, `windowOpen`, ranges), in
    /// `sort` order. CSV columns: the profile, consent per purpose, times, then one column per
    /// custom field (`field.<key>`). The export is audited.
    #[oai(path = "/customers/export", method = "get", operation_id = "exportCustomers")]
    async fn export(
        &self,
        h: Data<&Arc<CustomersHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        auth: ApiKeyAuth,
        #[oai(validator(pattern = "^(csv|json)$"))] format: Query<Option<String>>,
        #[oai(name = "segmentId")] segment_id: Query<Option<Uuid>>,
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
    ) -> Result<Response<Binary<Body>>, ApiError> {
        let shop = authn.shop(&auth, Role::Admin).await?;
        let csv = format.0.as_deref() != Some("json");
        let sort = sort_of(sort.0.as_deref())?;
        let filter = customer_filter(
            search.0,
            tag.0.unwrap_or_default(),
            tag_match.0,
            field.0.unwrap_or_default(),
            consent.0.unwrap_or_default(),
            [last_inbound_after.0, last_inbound_before.0, first_contact_after.0, first_contact_before.0],
            window_open.0,
        );
        let c: RequestContext = ctx(&rid, Some(shop));
        // The first page before answering: a bad filter or segment is an error, not a broken file.
        let segment = segment_id.0;
        let hh: Arc<CustomersHttp> = h.0.clone();
        let page = move |offset: u64| {
            let (h, c, filter) = (hh.clone(), c.clone(), filter.clone());
            async move {
                match segment {
                    Some(id) => {
                        let q = SegmentCustomers { shop_id: shop, id, sort, limit: PAGE, offset };
                        h.pipeline.query(&c, &h.segments.members, q).await.map_err(ApiError::from)
                    }
                    None => {
                        let q = ListCustomers { shop_id: shop, filter, sort, limit: PAGE, offset };
                        h.pipeline.query(&c, &h.profiles.list, q).await.map_err(ApiError::from)
                    }
                }
            }
        };
        let first = page(0).await?;
        let keys: Vec<String> = h
            .pipeline
            .query(&ctx(&rid, Some(shop)), &h.fields.list, ListCustomFields { shop_id: shop })
            .await?
            .into_iter()
            .map(|d| d.key)
            .collect();
        let details = json!({ "format": if csv { "csv" } else { "json" }, "segmentId": segment, "total": first.total });
        h.pipeline.execute(&ctx(&rid, Some(shop)), &h.transfers.start_export, StartCustomersExport { shop_id: shop, details }).await?;

        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
        tokio::spawn(async move {
            let mut current = first;
            let mut offset = 0u64;
            let mut written = 0u64;
            let head = if csv {
                let mut header: Vec<String> = CSV_HEADER.iter().map(|s| (*s).to_owned()).collect();
                header.extend(keys.iter().map(|k| format!("field.{k}")));
                csv_lines(vec![header]).await
            } else {
                b"[".to_vec()
            };
            if tx.send(Ok(head)).await.is_err() {
                return;
            }
            loop {
                let chunk = if csv {
                    csv_lines(current.items.iter().map(|c| csv_row(c, &keys)).collect()).await
                } else {
                    let mut out = Vec::new();
                    for c in &current.items {
                        if written > 0 {
                            out.push(b',');
                        }
                        written += 1;
                        let _ = serde_json::to_writer(&mut out, &customer_json(c));
                    }
                    out
                };
                if tx.send(Ok(chunk)).await.is_err() {
                    return;
                }
                if !current.has_more || current.items.is_empty() {
                    break;
                }
                offset += PAGE;
                match page(offset).await {
                    Ok(p) => current = p,
                    Err(_) => {
                        // The client sees a cut stream (not a complete file); the cause is logged.
                        let _ = tx.send(Err(std::io::Error::other("the export stopped"))).await;
                        return;
                    }
                }
            }
            if !csv {
                let _ = tx.send(Ok(b"]".to_vec())).await;
            }
        });
        let stream = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|x| (x, rx)) });
        let (ct, ext) = if csv { ("text/csv; charset=utf-8", "csv") } else { ("application/json", "json") };
        Ok(Response::new(Binary(Body::from_bytes_stream(stream)))
            .header("content-type", ct)
            .header("content-disposition", format!("attachment; filename=\"customers.{ext}\"")))
    }
}

/// A customer as the JSON export writes it: the API's customer object.
fn customer_json(c: &Customer) -> Value {
    use poem_openapi::types::ToJSON;
    CustomerDto::from(c).to_json().unwrap_or(Value::Null)
}
