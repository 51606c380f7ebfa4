//! `POST /api/v1/customers/import`: a CSV streamed in (UTF-8, with or without BOM; comma or
//! semicolon, detected from the header line), mapped by query parameters, applied in chunks of
//! rows (each its own transaction, see `ImportCustomersCommand`). At most 100,000 rows.

use std::collections::HashMap;
use std::sync::Arc;

use futures_util::StreamExt;
use poem::web::Data;
use poem::{Body, FromRequest, Request, RequestBody};
use poem_openapi::param::Query;
use poem_openapi::payload::{Json, ParsePayload, Payload};
use poem_openapi::registry::{MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::types::Type;
use poem_openapi::{Object, OpenApi};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

use application::customers::import_customers::{ImportCustomers, ImportMapping, ImportOutcome, ImportRow};
use domain::customers::Purpose;
use domain::tenancy::Role;

use super::CustomersHttp;
use crate::http::auth::{ApiKeyAuth, Authenticator};
use crate::http::error::ApiError;
use crate::http::middleware::RequestId;
use crate::http::{ApiTags, ctx};

/// Rows a file may have.
pub const MAX_IMPORT_ROWS: u64 = 100_000;
/// Rows per transaction.
pub const IMPORT_CHUNK_ROWS: usize = 2_000;
/// Row errors listed in the answer (all are counted).
pub const MAX_LISTED_ERRORS: usize = 1_000;
/// Columns a file may have.
pub const MAX_IMPORT_COLUMNS: usize = 500;
/// Bytes a line of the file may have (the header or a row; a quoted value may span lines).
pub const MAX_IMPORT_LINE_BYTES: usize = 256 * 1024;

/// The body, refusing a line longer than `MAX_IMPORT_LINE_BYTES`: without it, one line of
/// millions of columns (inside the body's cap) is parsed whole into memory.
struct LineCapped<R> {
    inner: R,
    line: usize,
    tripped: Arc<std::sync::atomic::AtomicBool>,
}

impl<R: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for LineCapped<R> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        if let std::task::Poll::Ready(Ok(())) = &polled {
            let mut line = self.line;
            for b in &buf.filled()[before..] {
                line = if *b == b'\n' { 0 } else { line + 1 };
                if line > MAX_IMPORT_LINE_BYTES {
                    self.tripped.store(true, std::sync::atomic::Ordering::Relaxed);
                    return std::task::Poll::Ready(Err(std::io::Error::other(format!(
                        "a line is longer than {MAX_IMPORT_LINE_BYTES} bytes"
                    ))));
                }
            }
            self.line = line;
        }
        polled
    }
}

/// A CSV request body, read as a stream.
pub struct CsvBody(pub Body);

impl Payload for CsvBody {
    const CONTENT_TYPE: &'static str = "text/csv";

    fn check_content_type(content_type: &str) -> bool {
        let m = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        matches!(m.as_str(), "text/csv" | "application/csv" | "text/plain" | "application/octet-stream")
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            example: Some(serde_json::json!("phone,name\n+5511900000001,Ana\n+5511900000002,Bruno\n")),
            ..MetaSchema::new("string")
        }))
    }

    fn register(registry: &mut Registry) {
        String::register(registry);
    }
}

impl ParsePayload for CsvBody {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        Ok(Self(Body::from_request(request, body).await?))
    }
}

poem_openapi::impl_apirequest_for_payload!(CsvBody,);

/// One problem with one row.
#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct RowErrorDto {
    /// The record's number in the file; the header is 1.
    pub row: u64,
    /// The column (as named in the file) the problem is in, if one.
    pub column: Option<String>,
    pub reason: String,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct ImportResultDto {
    pub dry_run: bool,
    /// Data rows read.
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Rows of a number an earlier row had (merged into it, in file order).
    pub merged: u64,
    pub failed: u64,
    /// Customers' own opt-outs (a STOP on WhatsApp, or Meta's report) turned back into opt-ins:
    /// only with `overrideOptOuts=true`; otherwise those rows are listed as problems.
    pub opt_outs_overridden: u64,
    /// The first 1,000 problems.
    pub errors: Vec<RowErrorDto>,
    pub errors_total: u64,
    /// The rest of the file was not read: it had more than 100,000 rows, or a line over 256 KiB.
    pub truncated: bool,
}

pub struct ImportApi;

fn column(headers: &[String], param: &str, name: &Option<String>) -> Result<Option<usize>, ApiError> {
    match name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        None => Ok(None),
        Some(n) => headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(n))
            .map(Some)
            .ok_or_else(|| ApiError::validation(param, &format!("no column '{n}' in the file's header"))),
    }
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Customers")]
impl ImportApi {
    /// Import customers from a CSV (agent). The body is the file (`text/csv`; UTF-8 with or
    /// without BOM; `,` or `;`). Query parameters map its columns: `phoneColumn` (required;
    /// E.164, or national numbers read in `defaultCountry`), `nameColumn`, `userIdColumn`,
    /// `languageColumn`, `timezoneColumn`, `tagsColumn` (tags split by `tagSeparator`, default
    /// `|`), `field=key=Column` (repeat; checked against the custom field), `consentColumn`
    /// (yes/no, opted_in/opted_out, sim/não…) for `consentPurpose` with `consentEvidenceColumn`.
    /// Rows merge on `waId` (update, never duplicate); a bad row is listed (row, column, reason)
    /// and never stops the good ones; the same file twice changes nothing the second time;
    /// `dryRun=true` reports what would happen and writes nothing. A consent cell never opts
    /// back in a customer who opted out themselves (a STOP on WhatsApp) or through Meta: that row
    /// is listed as a problem, unless `overrideOptOuts=true` (admin; audited with the count). At
    /// most 100,000 rows, 500 columns, 256 KiB per line (else 422 naming `body`) and
    /// `IMPORT_MAX_BODY_BYTES`; each chunk of 2,000 rows is its own transaction.
    #[oai(path = "/customers/import", method = "post", operation_id = "importCustomers")]
    async fn import(
        &self,
        h: Data<&Arc<CustomersHttp>>,
        authn: Data<&Arc<Authenticator>>,
        rid: Data<&RequestId>,
        req: &Request,
        auth: ApiKeyAuth,
        #[oai(name = "phoneColumn", validator(min_length = 1, max_length = 200))] phone_column: Query<String>,
        #[oai(name = "nameColumn", validator(max_length = 200))] name_column: Query<Option<String>>,
        #[oai(name = "userIdColumn", validator(max_length = 200))] user_id_column: Query<Option<String>>,
        #[oai(name = "languageColumn", validator(max_length = 200))] language_column: Query<Option<String>>,
        #[oai(name = "timezoneColumn", validator(max_length = 200))] timezone_column: Query<Option<String>>,
        #[oai(name = "tagsColumn", validator(max_length = 200))] tags_column: Query<Option<String>>,
        #[oai(name = "tagSeparator", validator(min_length = 1, max_length = 3))] tag_separator: Query<Option<String>>,
        #[oai(validator(max_items = 100))] field: Query<Option<Vec<String>>>,
        #[oai(name = "consentColumn", validator(max_length = 200))] consent_column: Query<Option<String>>,
        #[oai(name = "consentPurpose", validator(pattern = "^(marketing|utility)$"))] consent_purpose: Query<Option<String>>,
        #[oai(name = "consentEvidenceColumn", validator(max_length = 200))] consent_evidence_column: Query<Option<String>>,
        #[oai(name = "defaultCountry", validator(pattern = "^[A-Za-z]{2}$"))] default_country: Query<Option<String>>,
        #[oai(name = "fileName", validator(max_length = 200))] file_name: Query<Option<String>>,
        #[oai(name = "dryRun")] dry_run: Query<Option<bool>>,
        #[oai(name = "overrideOptOuts")] override_opt_outs: Query<Option<bool>>,
        body: CsvBody,
    ) -> Result<Json<ImportResultDto>, ApiError> {
        let override_opt_outs = override_opt_outs.0.unwrap_or(false);
        let role = if override_opt_outs { Role::Admin } else { Role::Agent };
        let (shop, actor) = authn.shop_actor(&auth, role).await?;
        let max = h.transfers.import_max_bytes;
        if let Some(len) = req.headers().get("content-length").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok())
            && len > max
        {
            return Err(ApiError::too_large(max));
        }
        let dry_run = dry_run.0.unwrap_or(false);
        let tripped = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let capped = LineCapped { inner: body.0.into_async_read().take(max as u64), line: 0, tripped: tripped.clone() };
        let mut reader = BufReader::with_capacity(64 * 1024, capped);
        // The delimiter: whichever of `,` and `;` the header line has more of.
        let head = reader.fill_buf().await.map_err(|_| ApiError::validation("body", "the file could not be read"))?;
        let first_line = head.split(|b| *b == b'\n').next().unwrap_or_default();
        let delimiter =
            if first_line.iter().filter(|b| **b == b';').count() > first_line.iter().filter(|b| **b == b',').count() { b';' } else { b',' };
        let mut csv = csv_async::AsyncReaderBuilder::new().delimiter(delimiter).flexible(true).has_headers(true).create_reader(reader);
        let headers: Vec<String> = match csv.byte_headers().await {
            Ok(h) if h.len() > MAX_IMPORT_COLUMNS => {
                return Err(ApiError::validation("body", &format!("the header has {} columns; at most {MAX_IMPORT_COLUMNS}", h.len())));
            }
            Ok(h) if !h.is_empty() => {
                h.iter().map(|c| String::from_utf8_lossy(c).trim_start_matches('\u{feff}').trim().to_owned()).collect()
            }
            _ if tripped.load(std::sync::atomic::Ordering::Relaxed) => {
                return Err(ApiError::validation("body", &format!("the header line is longer than {MAX_IMPORT_LINE_BYTES} bytes")));
            }
            _ => return Err(ApiError::validation("body", "a CSV with a header line is required")),
        };

        // The mapping: each named column must be in the header.
        let mut columns: HashMap<String, String> = HashMap::new();
        let phone_at = column(&headers, "phoneColumn", &Some(phone_column.0.clone()))?.unwrap_or(0);
        columns.insert("phone".into(), headers[phone_at].clone());
        let mut pick = |param: &str, field: &str, name: &Option<String>| -> Result<Option<usize>, ApiError> {
            let at = column(&headers, param, name)?;
            if let Some(i) = at {
                columns.insert(field.to_owned(), headers[i].clone());
            }
            Ok(at)
        };
        let name_at = pick("nameColumn", "name", &name_column.0)?;
        let user_at = pick("userIdColumn", "userId", &user_id_column.0)?;
        let language_at = pick("languageColumn", "language", &language_column.0)?;
        let timezone_at = pick("timezoneColumn", "timezone", &timezone_column.0)?;
        let tags_at = pick("tagsColumn", "tags", &tags_column.0)?;
        let consent_at = pick("consentColumn", "consent", &consent_column.0)?;
        let evidence_at = pick("consentEvidenceColumn", "consentEvidence", &consent_evidence_column.0)?;
        let mut fields: Vec<(String, usize)> = Vec::new();
        for f in field.0.iter().flatten().filter(|f| !f.trim().is_empty()) {
            let (key, col) = f.split_once('=').ok_or_else(|| ApiError::validation("field", &format!("{f}: key=Column")))?;
            let at = pick("field", &format!("customFields.{}", key.trim()), &Some(col.to_owned()))?.unwrap_or(0);
            fields.push((key.trim().to_owned(), at));
        }
        let mapping = ImportMapping {
            columns,
            default_country: default_country.0,
            tag_separator: tag_separator.0.unwrap_or_else(|| "|".into()),
            consent_purpose: consent_purpose.0.as_deref().and_then(Purpose::parse).unwrap_or(Purpose::Marketing),
            file_name: file_name.0,
        };

        // The rows, a chunk at a time.
        let mut total = ImportOutcome::default();
        let mut chunk: Vec<ImportRow> = Vec::with_capacity(IMPORT_CHUNK_ROWS);
        let mut truncated = false;
        let mut records = csv.byte_records();
        let mut row: u64 = 1;
        let cmd_ctx = ctx(&rid, Some(shop));
        loop {
            let next = records.next().await;
            let flush = next.is_none() || chunk.len() >= IMPORT_CHUNK_ROWS;
            if flush && !chunk.is_empty() {
                let rows = std::mem::take(&mut chunk);
                let cmd =
                    ImportCustomers { shop_id: shop, mapping: mapping.clone(), rows, dry_run, override_opt_outs, actor: actor.clone() };
                total.add(h.pipeline.execute(&cmd_ctx, &h.transfers.import, cmd).await?);
            }
            let Some(record) = next else { break };
            row += 1;
            if row - 1 > MAX_IMPORT_ROWS {
                truncated = true;
                break;
            }
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    total.rows += 1;
                    total.failed += 1;
                    let reason = if tripped.load(std::sync::atomic::Ordering::Relaxed) {
                        format!("a line is longer than {MAX_IMPORT_LINE_BYTES} bytes; the rest of the file was not read")
                    } else {
                        format!("unreadable: {e}")
                    };
                    total.errors.push(application::customers::import_customers::RowError { row, column: None, reason });
                    if e.is_io_error() {
                        truncated = true;
                        break;
                    }
                    continue;
                }
            };
            let text = |at: Option<usize>| -> Result<Option<String>, ()> {
                match at.and_then(|i| record.get(i)) {
                    None => Ok(None),
                    Some(bytes) => std::str::from_utf8(bytes).map(|s| Some(s.replace('\0', "\u{fffd}"))).map_err(|_| ()),
                }
            };
            let cells = (|| -> Result<ImportRow, ()> {
                Ok(ImportRow {
                    row,
                    phone: text(Some(phone_at))?.unwrap_or_default(),
                    name: text(name_at)?,
                    user_id: text(user_at)?,
                    language: text(language_at)?,
                    timezone: text(timezone_at)?,
                    tags: text(tags_at)?,
                    fields: fields
                        .iter()
                        .map(|(k, at)| Ok((k.clone(), text(Some(*at))?.unwrap_or_default())))
                        .collect::<Result<_, ()>>()?,
                    consent: text(consent_at)?,
                    evidence: text(evidence_at)?,
                })
            })();
            match cells {
                Ok(r) => chunk.push(r),
                Err(()) => {
                    total.rows += 1;
                    total.failed += 1;
                    let reason = "is not UTF-8 text (save the file as UTF-8)".to_owned();
                    total.errors.push(application::customers::import_customers::RowError { row, column: None, reason });
                }
            }
        }
        // The rows read before the file stopped early (a line over the cap, a broken body).
        if !chunk.is_empty() {
            let cmd = ImportCustomers { shop_id: shop, mapping, rows: chunk, dry_run, override_opt_outs, actor };
            total.add(h.pipeline.execute(&cmd_ctx, &h.transfers.import, cmd).await?);
        }
        h.transfers.settle_import.run(&total, dry_run).await?;
        let errors_total = total.errors.len() as u64;
        total.errors.sort_by_key(|e| e.row);
        total.errors.truncate(MAX_LISTED_ERRORS);
        Ok(Json(ImportResultDto {
            dry_run,
            rows: total.rows,
            created: total.created,
            updated: total.updated,
            unchanged: total.unchanged,
            merged: total.merged,
            failed: total.failed,
            opt_outs_overridden: total.opt_outs_overridden,
            errors: total.errors.into_iter().map(|e| RowErrorDto { row: e.row, column: e.column, reason: e.reason }).collect(),
            errors_total,
            truncated,
        }))
    }
}
