//! ProcessWebhooks: a batch of stored deliveries, taken and processed in one transaction (the
//! transaction locks them, so other workers skip them, and a crash releases them). Each delivery is parsed
//! (a body that is not a WhatsApp webhook becomes a dead letter), its changes are routed by
//! `phone_number_id` to the number they came through (unknown numbers are noted, the raw body
//! stays stored), and then each context handles its part of the whole batch at once: messages,
//! statuses, quality updates, template statuses. If the batch fails, the worker redoes its
//! deliveries one by one, so one bad delivery cannot hold the others back.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use super::parser::{ParsedDelivery, PayloadError, parse_delivery};
use super::ports::{Take, WebhookMark, WebhookState};
use crate::accounts::ports::AccountsUnitOfWork;
use crate::accounts::record_quality_updates::{QualityOutcome, RecordQualityHandler, RecordQualityUpdates};
use crate::accounts::routed::Routed;
use crate::customers::record_preferences::{PreferencesOutcome, RecordUserPreferences, RecordUserPreferencesHandler};
use crate::inbound::ports::InboundUnitOfWork;
use crate::messaging::apply_statuses::{ApplyStatuses, ApplyStatusesHandler, StatusOutcome};
use crate::messaging::receive_messages::{ReceiveMessages, ReceiveMessagesHandler, ReceiveOutcome};
use crate::shared::error::{Invalid, UseCaseError};
use crate::shared::pipeline::{Command, CommandHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use crate::templates::record_template_categories::{RecordTemplateCategories, RecordTemplateCategoriesHandler};
use crate::templates::record_template_quality::{RecordTemplateQuality, RecordTemplateQualityHandler};
use crate::templates::record_template_statuses::{RecordTemplateStatuses, RecordTemplateStatusesHandler, TemplateStatusOutcome};
use crate::turns::open_turns::{OpenTurns, OpenTurnsHandler};
use domain::PhoneNumberId;
use domain::accounts::WhatsAppAccount;

#[derive(Debug, Validate)]
pub struct ProcessWebhooks {
    /// Which pending deliveries to take.
    pub take: Take,
}

/// How one delivery ended.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DeliveryOutcome {
    pub id: uuid::Uuid,
    /// Why it could not be processed at all (kept as a dead letter).
    pub dead: Option<DeadLetter>,
    /// Phone number ids (or WABA updates) that no connected number matches.
    pub unroutable: Vec<String>,
}

/// A delivery that can never be processed: a closed set of reasons (a metric label) and the
/// detail (the delivery's note).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// `not_json`, `not_whatsapp` (or, from the worker, `failed`).
    pub reason: &'static str,
    pub detail: String,
}

impl From<&PayloadError> for DeadLetter {
    fn from(e: &PayloadError) -> Self {
        let reason = match e {
            PayloadError::NotJson(_) => "not_json",
            PayloadError::WrongObject(_) => "not_whatsapp",
        };
        Self { reason, detail: e.to_string() }
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BatchOutcome {
    pub deliveries: Vec<DeliveryOutcome>,
    pub messages: ReceiveOutcome,
    pub statuses: StatusOutcome,
    pub quality: QualityOutcome,
    pub templates: TemplateStatusOutcome,
    pub preferences: PreferencesOutcome,
    /// Threads whose turn the batch opened or extended.
    pub turns: u32,
    /// Template categories that changed.
    pub categories: u32,
    /// Template quality scores that changed.
    pub template_quality: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum ProcessWebhooksError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("{context}: {source}")]
    Context {
        context: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("could not process the deliveries")]
    Storage(#[from] RepoError),
}

crate::use_case_error!(ProcessWebhooksError);

/// A context's failure inside the batch. Its storage failure is passed on unchanged, so the
/// pipeline sees a concurrent change and runs the batch again.
fn context<E: UseCaseError>(name: &'static str) -> impl Fn(E) -> ProcessWebhooksError {
    move |e: E| match e.into_storage() {
        Ok(repo) => ProcessWebhooksError::Storage(repo),
        Err(e) => ProcessWebhooksError::Context { context: name, source: Box::new(e) },
    }
}

impl Command for ProcessWebhooks {
    type Output = BatchOutcome;
    type Error = ProcessWebhooksError;
    const NAME: &'static str = "ProcessWebhooks";
}

pub struct ProcessWebhooksHandler {
    pub clock: Arc<dyn Clock>,
    pub receive: ReceiveMessagesHandler,
    pub statuses: ApplyStatusesHandler,
    pub quality: RecordQualityHandler,
    pub templates: RecordTemplateStatusesHandler,
    pub categories: RecordTemplateCategoriesHandler,
    pub template_quality: RecordTemplateQualityHandler,
    pub preferences: RecordUserPreferencesHandler,
    /// The stored messages open or extend their threads' turns (answered by the turn worker).
    pub turns: OpenTurnsHandler,
}

#[async_trait]
impl CommandHandler<ProcessWebhooks> for ProcessWebhooksHandler {
    async fn handle(&self, cmd: &ProcessWebhooks, uow: &mut dyn UnitOfWork) -> Result<BatchOutcome, ProcessWebhooksError> {
        let now = self.clock.now();
        let mut out = BatchOutcome::default();
        let deliveries = uow.webhooks().take_pending(&cmd.take).await?;
        if deliveries.is_empty() {
            return Ok(out);
        }
        let mut parsed: Vec<(usize, ParsedDelivery)> = Vec::with_capacity(deliveries.len());
        let mut notes: Vec<Vec<String>> = vec![Vec::new(); deliveries.len()];
        let mut fields: Vec<Option<String>> = vec![None; deliveries.len()];
        for (i, d) in deliveries.iter().enumerate() {
            let mut o = DeliveryOutcome { id: d.id, ..Default::default() };
            match parse_delivery(&d.body, now) {
                Ok(p) => {
                    notes[i].extend(p.notes.iter().cloned());
                    fields[i] = Some(p.fields.iter().cloned().collect::<Vec<_>>().join(","));
                    parsed.push((i, p));
                }
                Err(e) => o.dead = Some(DeadLetter::from(&e)),
            }
            out.deliveries.push(o);
        }

        // Route messages and statuses by the number they came through: one query for the batch.
        let mut pnids: Vec<PhoneNumberId> = parsed
            .iter()
            .flat_map(|(_, p)| {
                p.messages.iter().map(|m| &m.0).chain(p.statuses.iter().map(|s| &s.0)).chain(p.preferences.iter().map(|s| &s.0))
            })
            .filter_map(|id| PhoneNumberId::parse(id).ok())
            .collect();
        pnids.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        pnids.dedup();
        let accounts: HashMap<String, Arc<WhatsAppAccount>> = if pnids.is_empty() {
            HashMap::new()
        } else {
            uow.accounts()
                .find_by_phone_number_ids(&pnids)
                .await?
                .into_iter()
                .map(|a| (a.phone_number_id().to_string(), Arc::new(a)))
                .collect()
        };
        let mut messages = Vec::new();
        let mut statuses = Vec::new();
        let mut status_source: HashMap<String, usize> = HashMap::new();
        let mut quality = Vec::new();
        let mut quality_source = Vec::new();
        let mut templates = Vec::new();
        let mut template_source = Vec::new();
        let mut categories = Vec::new();
        let mut template_quality = Vec::new();
        let mut preferences = Vec::new();
        for (i, p) in parsed {
            let mut unroutable = BTreeSet::new();
            for (pnid, m) in p.messages {
                match accounts.get(&pnid) {
                    Some(a) => messages.push(Routed { account: a.clone(), item: m }),
                    None => {
                        unroutable.insert(if pnid.is_empty() { "(missing)".to_owned() } else { pnid });
                    }
                }
            }
            for (pnid, s) in p.statuses {
                match accounts.get(&pnid) {
                    Some(a) => {
                        status_source.insert(s.wamid.clone(), i);
                        statuses.push(Routed { account: a.clone(), item: s });
                    }
                    None => {
                        unroutable.insert(if pnid.is_empty() { "(missing)".to_owned() } else { pnid });
                    }
                }
            }
            for (pnid, pref) in p.preferences {
                match accounts.get(&pnid) {
                    Some(a) => preferences.push(Routed { account: a.clone(), item: pref }),
                    None => {
                        unroutable.insert(if pnid.is_empty() { "(missing)".to_owned() } else { pnid });
                    }
                }
            }
            categories.extend(p.categories);
            template_quality.extend(p.template_quality);
            quality_source.extend(std::iter::repeat_n(i, p.quality.len()));
            quality.extend(p.quality);
            template_source.extend(std::iter::repeat_n(i, p.templates.len()));
            templates.extend(p.templates);
            out.deliveries[i].unroutable.extend(unroutable);
        }

        out.messages = self.receive.handle(&ReceiveMessages { messages }, uow).await.map_err(context("messages"))?;
        let received = std::mem::take(&mut out.messages.received);
        out.turns = self.turns.handle(&OpenTurns { received }, uow).await.map_err(context("turns"))?;
        out.statuses = self.statuses.handle(&ApplyStatuses { statuses }, uow).await.map_err(context("statuses"))?;
        for wamid in &out.statuses.foreign {
            if let Some(&i) = status_source.get(wamid) {
                notes[i].push(format!("status for {wamid} came through another number; ignored"));
            }
        }
        if !quality.is_empty() {
            // One report at a time, to tell which delivery an unknown number came in.
            for (report, i) in quality.into_iter().zip(quality_source) {
                let o = self.quality.handle(&RecordQualityUpdates { reports: vec![report] }, uow).await.map_err(context("quality"))?;
                out.deliveries[i].unroutable.extend(o.unroutable.iter().cloned());
                out.quality.applied += o.applied;
                out.quality.unroutable.extend(o.unroutable);
            }
        }
        if !templates.is_empty() {
            for (report, i) in templates.into_iter().zip(template_source) {
                let o =
                    self.templates.handle(&RecordTemplateStatuses { reports: vec![report] }, uow).await.map_err(context("templates"))?;
                out.deliveries[i].unroutable.extend(o.unroutable.iter().cloned());
                out.templates.changed += o.changed;
                out.templates.unroutable.extend(o.unroutable);
            }
        }

        if !preferences.is_empty() {
            out.preferences = self.preferences.handle(&RecordUserPreferences { preferences }, uow).await.map_err(context("preferences"))?;
        }
        if !categories.is_empty() {
            let o = self.categories.handle(&RecordTemplateCategories { reports: categories }, uow).await.map_err(context("categories"))?;
            out.categories = o.changed;
        }
        if !template_quality.is_empty() {
            let cmd = RecordTemplateQuality { reports: template_quality };
            out.template_quality = self.template_quality.handle(&cmd, uow).await.map_err(context("template quality"))?.changed;
        }

        let marks: Vec<WebhookMark> = deliveries
            .iter()
            .zip(&out.deliveries)
            .zip(notes.iter().zip(fields))
            .map(|((d, o), (notes, fields))| match &o.dead {
                Some(dead) => WebhookMark { id: d.id, state: WebhookState::Dead, fields: None, note: Some(dead.detail.clone()) },
                None => {
                    let mut all = notes.clone();
                    if !o.unroutable.is_empty() {
                        all.insert(0, format!("unroutable phone_number_id: {}", o.unroutable.join(",")));
                    }
                    WebhookMark { id: d.id, state: WebhookState::Processed, fields, note: (!all.is_empty()).then(|| all.join("; ")) }
                }
            })
            .collect();
        uow.webhooks().mark_many(&marks, now).await?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inbound::ports::RawWebhookEvent;
    use crate::testing::{BUSINESS, PNID, Scenario};
    use serde_json::json;

    fn handler(s: &Scenario) -> ProcessWebhooksHandler {
        ProcessWebhooksHandler {
            clock: s.clock(),
            receive: ReceiveMessagesHandler { clock: s.clock() },
            statuses: ApplyStatusesHandler { clock: s.clock() },
            quality: RecordQualityHandler { clock: s.clock() },
            templates: RecordTemplateStatusesHandler { clock: s.clock() },
            categories: RecordTemplateCategoriesHandler,
            template_quality: RecordTemplateQualityHandler { clock: s.clock() },
            preferences: RecordUserPreferencesHandler { clock: s.clock() },
            turns: OpenTurnsHandler { clock: s.clock() },
        }
    }

    /// Given: a delivery stored in the inbox.
    fn stored(s: &Scenario, body: impl Into<String>) -> uuid::Uuid {
        let id = uuid::Uuid::now_v7();
        let body = body.into();
        s.memory.write(|st| st.inbox.push(RawWebhookEvent { id, received_at: s.now(), body, attempts: 0 }));
        id
    }

    fn all() -> ProcessWebhooks {
        ProcessWebhooks { take: Take::Oldest(100) }
    }

    fn message_to(pnid: &str, wamid: &str) -> serde_json::Value {
        json!({"object": "whatsapp_business_account", "entry": [{"id": "9001", "changes": [{"field": "messages", "value": {
            "metadata": {"phone_number_id": pnid}, "contacts": [{"wa_id": "5511987654321", "profile": {"name": "Ana"}}],
            "messages": [{"from": "5511987654321", "id": wamid, "timestamp": "1772366400", "type": "text", "text": {"body": "oi"}}]}}]}]})
    }

    #[tokio::test]
    async fn a_batch_routes_by_number_flags_unknown_ones_and_dead_letters_garbage() {
        let s = Scenario::new();
        s.given_account(BUSINESS, PNID).await;
        let ids = [
            stored(&s, message_to(PNID, "wamid.1").to_string()),
            stored(&s, message_to("999999", "wamid.2").to_string()),
            stored(&s, "not json"),
        ];
        let out = s.when(&handler(&s), all()).await.unwrap();
        assert_eq!(out.messages.stored, 1);
        assert_eq!(out.deliveries[1].unroutable, ["999999"]);
        assert!(out.deliveries[2].dead.as_ref().is_some_and(|d| d.reason == "not_json" && d.detail.contains("not JSON")));
        let marks = s.memory.read(|st| st.webhooks.iter().map(|(m, _)| m.clone()).collect::<Vec<_>>());
        let mark = |id| marks.iter().find(|m| m.id == id).unwrap().clone();
        assert_eq!(
            (mark(ids[0]).state, mark(ids[0]).fields.as_deref(), mark(ids[0]).note),
            (WebhookState::Processed, Some("messages"), None)
        );
        assert_eq!(mark(ids[1]).note.as_deref(), Some("unroutable phone_number_id: 999999"));
        assert_eq!(mark(ids[2]).state, WebhookState::Dead);
    }

    #[tokio::test]
    async fn the_same_delivery_twice_stores_one_message_and_one_set_of_events() {
        let s = Scenario::new();
        s.given_account(BUSINESS, PNID).await;
        let body = message_to(PNID, "wamid.1").to_string();
        stored(&s, body.clone());
        stored(&s, body.clone());
        s.when(&handler(&s), all()).await.unwrap();
        stored(&s, body);
        s.when(&handler(&s), all()).await.unwrap();
        assert!(s.memory.read(|st| st.inbox.is_empty()), "every delivery was taken and marked");
        assert_eq!(s.memory.read(|st| st.messages.len()), 1);
        assert_eq!(s.then_events(), ["customer.created", "conversation.started", "message.received"]);
    }
}
