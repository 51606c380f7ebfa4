//! ImportCustomersCommand: one chunk of a CSV import (the HTTP adapter streams the file and
//! sends chunks of rows). Each row is checked on its own — phone (E.164, or national in a
//! default country), name, `userId`, language, time zone, tags, custom fields, consent — and a
//! bad row is reported (row, column, reason) without stopping the good ones. Rows merge on
//! `waId`: an existing customer is updated, never duplicated, and a row that changes nothing
//! changes nothing (the same file twice changes nothing the second time). A dry run decides
//! everything and writes nothing.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;
use validator::Validate;

use super::identify::keep_opt_outs;
use crate::customers::ports::CustomersUnitOfWork;
use crate::shared::audit::AuditEntry;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Command, CommandHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::customers::{ConsentChange, ConsentSource, Customer, OptInStatus, ProfileChange, Purpose, UpdateError, check_required};
use domain::{Events, PhoneNumber, ShopId, WaId};

/// One data row, its cells picked by the mapping (`None`: the column is not mapped; an empty
/// cell leaves the value as it is).
#[derive(Debug, Clone, Default)]
pub struct ImportRow {
    /// The row's number in the file (the header is row 1).
    pub row: u64,
    pub phone: String,
    pub name: Option<String>,
    pub user_id: Option<String>,
    pub language: Option<String>,
    pub timezone: Option<String>,
    pub tags: Option<String>,
    /// Custom field key → cell.
    pub fields: Vec<(String, String)>,
    pub consent: Option<String>,
    pub evidence: Option<String>,
}

/// How the columns were mapped: column names for the error report, and how to read cells.
#[derive(Debug, Clone)]
pub struct ImportMapping {
    /// Field (`phone`, `name`, `userId`, `language`, `timezone`, `tags`, `consent`,
    /// `customFields.<key>`) → the column it comes from.
    pub columns: HashMap<String, String>,
    /// ISO 3166 alpha-2: the country of phone numbers written without a country code.
    pub default_country: Option<String>,
    /// Between tags in one cell (default `|`).
    pub tag_separator: String,
    /// What a consent cell gives consent to.
    pub consent_purpose: Purpose,
    /// The file, for the consent ledger's evidence.
    pub file_name: Option<String>,
}

#[derive(Validate)]
pub struct ImportCustomers {
    pub shop_id: ShopId,
    pub mapping: ImportMapping,
    pub rows: Vec<ImportRow>,
    pub dry_run: bool,
    /// Opt customers back in who opted out themselves (a STOP on WhatsApp) or through Meta.
    /// Off by default: such rows are reported instead. When on, the audit entry says so.
    pub override_opt_outs: bool,
    pub actor: String,
}

impl std::fmt::Debug for ImportCustomers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Rows are customers' personal data: only their count is logged.
        f.debug_struct("ImportCustomers")
            .field("shop_id", &self.shop_id)
            .field("rows", &self.rows.len())
            .field("dry_run", &self.dry_run)
            .finish()
    }
}

/// What went wrong with one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub row: u64,
    pub column: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Rows of a number an earlier row of the same chunk had: merged into it, in file order.
    pub merged: u64,
    pub failed: u64,
    /// Customers' own opt-outs this import turned back into opt-ins (`override_opt_outs`).
    pub opt_outs_overridden: u64,
    pub errors: Vec<RowError>,
}

impl ImportOutcome {
    pub fn add(&mut self, o: ImportOutcome) {
        self.rows += o.rows;
        self.created += o.created;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
        self.merged += o.merged;
        self.failed += o.failed;
        self.opt_outs_overridden += o.opt_outs_overridden;
        self.errors.extend(o.errors);
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportCustomersError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not import the customers")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(ImportCustomersError);

impl Command for ImportCustomers {
    type Output = ImportOutcome;
    type Error = ImportCustomersError;
    const NAME: &'static str = "ImportCustomers";
}

/// Planner statistics are refreshed each time an import passes a multiple of this many rows.
pub const STATISTICS_EVERY_ROWS: u64 = 20_000;

pub struct ImportCustomersHandler {
    pub clock: Arc<dyn Clock>,
}

/// The last step of an import, after every chunk's command: if the file changed anything, the
/// customers' tables are settled (statistics and visibility map), so that the next filtered list
/// is answered from the indexes.
pub struct SettleAfterImport {
    pub reads: Arc<dyn super::ports::CustomerReads>,
}

impl SettleAfterImport {
    pub async fn run(&self, total: &ImportOutcome, dry_run: bool) -> Result<(), ImportCustomersError> {
        if !dry_run && total.created + total.updated > 0 {
            self.reads.settle_after_bulk_write().await?;
        }
        Ok(())
    }
}

/// `yes`, `opted_in`, `true`, `1`, `sim`, `sí` → in; `no`, `opted_out`, `false`, `0`, `não` → out.
fn consent_status(cell: &str) -> Option<OptInStatus> {
    match cell.trim().to_lowercase().as_str() {
        "yes" | "y" | "opted_in" | "opt_in" | "in" | "true" | "1" | "sim" | "si" | "sí" | "x" => Some(OptInStatus::OptedIn),
        "no" | "n" | "opted_out" | "opt_out" | "out" | "false" | "0" | "não" | "nao" => Some(OptInStatus::OptedOut),
        _ => None,
    }
}

fn cell(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// The changes a row asks for, or what is wrong with it (column, reason).
struct Parsed {
    wa_id: WaId,
    profile: ProfileChange,
    tags: Vec<String>,
    consent: Option<ConsentChange>,
}

#[async_trait]
impl CommandHandler<ImportCustomers> for ImportCustomersHandler {
    async fn handle(&self, cmd: &ImportCustomers, uow: &mut dyn UnitOfWork) -> Result<ImportOutcome, ImportCustomersError> {
        let now = self.clock.now();
        let m = &cmd.mapping;
        let col = |field: &str| m.columns.get(field).cloned().or_else(|| Some(field.to_owned()));
        let defs = uow.customers().field_definitions(cmd.shop_id).await?;
        let mut out = ImportOutcome { rows: cmd.rows.len() as u64, ..Default::default() };
        let fail = |out: &mut ImportOutcome, row: u64, column: Option<String>, reason: String| {
            out.failed += 1;
            out.errors.push(RowError { row, column, reason });
        };

        // 1. Each row on its own.
        let mut parsed: Vec<(u64, Parsed)> = Vec::with_capacity(cmd.rows.len());
        'rows: for r in &cmd.rows {
            let wa_id = match PhoneNumber::parse_in(&r.phone, m.default_country.as_deref()) {
                Ok(p) => p.to_wa_id(),
                Err(_) => {
                    let reason = if r.phone.trim().is_empty() {
                        "is empty".into()
                    } else {
                        "is not a phone number (E.164, or national with defaultCountry)".into()
                    };
                    fail(&mut out, r.row, col("phone"), reason);
                    continue;
                }
            };
            let mut fields = BTreeMap::new();
            for (key, raw) in &r.fields {
                if raw.trim().is_empty() {
                    continue;
                }
                let column = col(&format!("customFields.{key}"));
                let Some(def) = defs.iter().find(|d| d.key == *key) else {
                    fail(&mut out, r.row, column, format!("no custom field '{key}' in this shop"));
                    continue 'rows;
                };
                match def.check(&format!("customFields.{key}"), &def.from_text(raw)) {
                    Ok(v) => {
                        fields.insert(key.clone(), Some(v));
                    }
                    Err(e) => {
                        fail(&mut out, r.row, column, e.reason);
                        continue 'rows;
                    }
                }
            }
            let keep = |v: &Option<String>| cell(v).map(Some);
            let profile = ProfileChange {
                display_name: keep(&r.name),
                user_id: keep(&r.user_id),
                language: keep(&r.language),
                timezone: keep(&r.timezone),
                custom_fields: fields,
            };
            let tags: Vec<String> = cell(&r.tags)
                .map(|t| t.split(m.tag_separator.as_str()).map(str::trim).filter(|x| !x.is_empty()).map(str::to_owned).collect())
                .unwrap_or_default();
            if let Some(t) = tags.iter().find(|t| t.chars().count() > domain::customers::MAX_TAG_CHARS) {
                fail(
                    &mut out,
                    r.row,
                    col("tags"),
                    format!("a tag is at most 64 characters ('{}…')", t.chars().take(20).collect::<String>()),
                );
                continue;
            }
            let consent = match cell(&r.consent) {
                None => None,
                Some(c) => match consent_status(&c) {
                    Some(status) => Some(ConsentChange {
                        purpose: m.consent_purpose,
                        status,
                        source: ConsentSource::Import,
                        evidence: cell(&r.evidence)
                            .or_else(|| {
                                Some(format!(
                                    "import{} row {}",
                                    m.file_name.as_ref().map(|f| format!(" of {f}")).unwrap_or_default(),
                                    r.row
                                ))
                            })
                            .map(|e| e.chars().take(domain::customers::consent::MAX_EVIDENCE_CHARS).collect()),
                        actor: Some(cmd.actor.clone()),
                    }),
                    None => {
                        fail(&mut out, r.row, col("consent"), format!("'{c}' is not yes/no (opted_in/opted_out)"));
                        continue;
                    }
                },
            };
            parsed.push((r.row, Parsed { wa_id, profile, tags, consent }));
        }

        // Rows of the same number merge in file order (a later cell wins, tags add up), so a file
        // applies once however its rows repeat a number, and again changes nothing.
        let mut merged: Vec<(u64, Parsed)> = Vec::with_capacity(parsed.len());
        for (row, p) in parsed {
            match merged.iter_mut().find(|(_, q)| q.wa_id == p.wa_id) {
                Some((_, q)) => {
                    let later = |a: &mut Option<Option<String>>, b: Option<Option<String>>| {
                        if b.is_some() {
                            *a = b;
                        }
                    };
                    later(&mut q.profile.display_name, p.profile.display_name);
                    later(&mut q.profile.user_id, p.profile.user_id);
                    later(&mut q.profile.language, p.profile.language);
                    later(&mut q.profile.timezone, p.profile.timezone);
                    q.profile.custom_fields.extend(p.profile.custom_fields);
                    q.tags.extend(p.tags);
                    if p.consent.is_some() {
                        q.consent = p.consent;
                    }
                    out.merged += 1;
                }
                None => merged.push((row, p)),
            }
        }
        let parsed = merged;

        // 2. Merge on waId: load who exists, create who does not.
        let mut keys: Vec<(ShopId, WaId)> = parsed.iter().map(|(_, p)| (cmd.shop_id, p.wa_id.clone())).collect();
        keys.sort();
        keys.dedup();
        let mut customers: HashMap<WaId, (Customer, bool)> =
            uow.customers().lock_by_wa_ids(&keys).await?.into_iter().map(|c| (c.wa_id().clone(), (c, false))).collect();
        let mut events = Events::new();
        let mut entries = Vec::new();
        let mut changed: Vec<WaId> = Vec::new();
        for (row, p) in parsed {
            let column_of = |field: &str| col(field);
            if let Some((c, _)) = customers.get_mut(&p.wa_id) {
                let mut overridden = 0;
                let mut before = c.clone();
                let mut row_events = Events::new();
                let mut row_entries = Vec::new();
                let result = (|| -> Result<(), (String, String)> {
                    if let Some(e) = before.update(&p.profile, now).map_err(|e| match e {
                        UpdateError::Invalid(e) => (e.field, e.reason),
                        UpdateError::Erased => ("waId".to_owned(), e.to_string()),
                    })? {
                        row_events.push(e);
                    }
                    if !p.tags.is_empty()
                        && let Some(e) = before.tag(&p.tags, now).map_err(|e| ("tags".to_owned(), e.to_string()))?
                    {
                        row_events.push(e);
                    }
                    if let Some(change) = &p.consent {
                        let own_opt_out = before.consent().of(change.purpose).status == OptInStatus::OptedOut
                            && matches!(before.consent().of(change.purpose).source, Some(ConsentSource::Whatsapp | ConsentSource::Meta));
                        if let Some((entry, e)) = before
                            .record_imported_consent(change, cmd.override_opt_outs, now)
                            .map_err(|e| ("consent".to_owned(), e.to_string()))?
                        {
                            overridden += u64::from(own_opt_out && entry.status == OptInStatus::OptedIn);
                            row_entries.push(entry);
                            row_events.push(e);
                        }
                    }
                    Ok(())
                })();
                match result {
                    Err((field, reason)) => fail(&mut out, row, column_of(&field), reason),
                    Ok(()) if row_events.is_empty() => out.unchanged += 1,
                    Ok(()) => {
                        out.opt_outs_overridden += overridden;
                        *c = before;
                        events.append(row_events);
                        entries.extend(row_entries);
                        if !changed.contains(&p.wa_id) {
                            changed.push(p.wa_id.clone());
                        }
                        out.updated += 1;
                    }
                }
            } else {
                let created = Customer::create(cmd.shop_id, p.wa_id.clone(), &p.profile, now).map_err(|e| (e.field.clone(), e.reason));
                let (mut c, e) = match created {
                    Ok(x) => x,
                    Err((field, reason)) => {
                        fail(&mut out, row, column_of(&field), reason);
                        continue;
                    }
                };
                if let Err(e) = check_required(&defs, c.custom_fields()) {
                    fail(&mut out, row, column_of(&e.field), e.reason);
                    continue;
                }
                events.push(e);
                if !p.tags.is_empty()
                    && let Err(e) = c.tag(&p.tags, now)
                {
                    fail(&mut out, row, column_of("tags"), e.to_string());
                    continue;
                }
                if let Some(change) = &p.consent
                    && let Ok(Some((entry, e))) = c.record_consent(change, now)
                {
                    entries.push(entry);
                    events.push(e);
                }
                customers.insert(p.wa_id.clone(), (c, true));
                out.created += 1;
            }
        }
        if cmd.dry_run {
            return Ok(out);
        }

        // 3. Write: new customers (keeping the opt-outs of an erased customer with the same
        // number), changed ones, their search rows, the ledger, the events, the audit entry.
        let mut new: Vec<&mut Customer> = customers.values_mut().filter(|(_, n)| *n).map(|(c, _)| c).collect();
        new.sort_by(|a, b| a.wa_id().cmp(b.wa_id()));
        for (entry, e) in keep_opt_outs(uow, &mut new, now).await? {
            entries.push(entry);
            events.push(e);
        }
        let new: Vec<Customer> = new.into_iter().map(|c| c.clone()).collect();
        if !new.is_empty() && uow.customers().insert_many(&new).await?.len() != new.len() {
            return Err(RepoError::Concurrency("a customer was created by a concurrent transaction".into()).into());
        }
        let mut updated: Vec<&Customer> = changed.iter().filter_map(|w| customers.get(w)).filter(|(_, n)| !n).map(|(c, _)| c).collect();
        updated.sort_by_key(|c| c.id());
        if !updated.is_empty() {
            uow.customers().update_many(&updated).await?;
        }
        let mut touched: Vec<&Customer> = new.iter().collect();
        touched.extend(updated.iter().copied());
        uow.customers().reindex(&touched).await?;
        uow.customers().append_consent(&entries).await?;
        uow.outbox().append(&events, now).await?;
        let first = cmd.rows.first().map_or(0, |r| r.row);
        let last = cmd.rows.last().map_or(0, |r| r.row);
        let details = json!({
            "file": m.file_name, "firstRow": first, "lastRow": last,
            "created": out.created, "updated": out.updated, "unchanged": out.unchanged, "failed": out.failed,
            "overrideOptOuts": cmd.override_opt_outs, "optOutsOverridden": out.opt_outs_overridden
        });
        uow.audit().record(&[AuditEntry::new(cmd.shop_id, &cmd.actor, "customers.imported", "customers", None, details, now)]).await?;
        // Every 20,000 rows of a file, fresh planner statistics: the filters' plans must fit the
        // tables' new sizes at once, not when autovacuum next looks.
        if first / STATISTICS_EVERY_ROWS != (last + 1) / STATISTICS_EVERY_ROWS && out.created + out.updated > 0 {
            uow.customers().refresh_statistics().await?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Scenario;
    use domain::customers::{FieldDefinition, FieldType};

    fn row(n: u64, phone: &str, name: &str, tier: &str, consent: &str) -> ImportRow {
        ImportRow {
            row: n,
            phone: phone.into(),
            name: Some(name.into()),
            tags: Some("VIP|Atacado".into()),
            fields: vec![("tier".into(), tier.into())],
            consent: Some(consent.into()),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn given_a_file_when_imported_twice_then_bad_rows_are_reported_and_the_second_run_changes_nothing() {
        let s = Scenario::new();
        let tier =
            FieldDefinition::new("tier", "Tier", FieldType::SingleChoice, vec!["Gold".into(), "Silver".into()], None, false).unwrap();
        s.memory.write(|st| st.field_definitions.push((s.shop, tier)));
        let mapping = ImportMapping {
            columns: HashMap::from([("phone".to_owned(), "Telefone".to_owned()), ("customFields.tier".to_owned(), "Nível".to_owned())]),
            default_country: Some("BR".into()),
            tag_separator: "|".into(),
            consent_purpose: Purpose::Marketing,
            file_name: Some("clientes.csv".into()),
        };
        let cmd = |dry_run| ImportCustomers {
            shop_id: s.shop,
            mapping: mapping.clone(),
            rows: vec![
                row(2, "(11) 98765-4321", "Ana", "gold", "sim"),
                row(3, "12", "Bad phone", "gold", "yes"),
                row(4, "+5511900000002", "Bruno", "bronze", "yes"),
                row(5, "+55 11 98765-4321", "Ana Souza", "", ""),
            ],
            dry_run,
            override_opt_outs: false,
            actor: "api-key:1".into(),
        };
        let h = ImportCustomersHandler { clock: s.clock() };
        let dry = s.when(&h, cmd(true)).await.unwrap();
        assert_eq!((dry.created, dry.merged, dry.failed), (1, 1, 2));
        assert_eq!(s.memory.read(|st| st.customers.len()), 0, "a dry run writes nothing");

        let out = s.when(&h, cmd(false)).await.unwrap();
        assert_eq!((out.created, out.updated, out.merged, out.failed), (1, 0, 1, 2));
        assert_eq!(
            out.errors[0],
            RowError {
                row: 3,
                column: Some("Telefone".into()),
                reason: "is not a phone number (E.164, or national with defaultCountry)".into()
            }
        );
        assert_eq!((out.errors[1].row, out.errors[1].column.as_deref()), (4, Some("Nível")));
        let ana = s.memory.read(|st| st.customers.values().next().unwrap().clone());
        assert_eq!((ana.wa_id().as_str(), ana.snapshot().display_name.as_deref()), ("5511987654321", Some("Ana Souza")));
        assert_eq!(ana.tags(), ["VIP", "Atacado"]);
        assert_eq!(ana.consent().marketing.source, Some(ConsentSource::Import));
        assert_eq!(s.memory.read(|st| st.consent_ledger[0].evidence.clone()).as_deref(), Some("import of clientes.csv row 2"));
        s.then_events();

        let again = s.when(&h, cmd(false)).await.unwrap();
        assert_eq!((again.created, again.updated, again.unchanged, again.failed), (0, 0, 1, 2), "the same file twice changes nothing");
        assert!(s.then_events().is_empty());
    }
}
