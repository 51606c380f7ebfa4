//! Identify: the customers behind a set of contacts, created on first contact. Set-based: one
//! locking read, one insert of the new ones, one update of the changed ones. The messaging use
//! cases call it inside their transaction.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::customers::ports::CustomersUnitOfWork;
use crate::shared::repo::{RepoError, RepoResult};
use crate::shared::unit_of_work::UnitOfWork;
use domain::customers::{ConsentChange, ConsentEntry, ConsentSource, Customer, CustomerEvent, OptInStatus, Purpose};
use domain::{Events, ShopId, WaId};

/// One contact with a customer: who, what Meta said about them, when they wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Contact {
    pub shop_id: ShopId,
    pub wa_id: WaId,
    /// The WhatsApp profile name Meta sent along, if any.
    pub profile_name: Option<String>,
    /// When the customer wrote (Meta's time), for an inbound message.
    pub inbound_at: Option<DateTime<Utc>>,
    /// A sibling service's id for the customer (seed 004 `userId`), for a send.
    pub user_id: Option<String>,
}

/// The customers, by key, after every contact was applied and stored.
#[derive(Debug, Default)]
pub struct Identified {
    pub customers: HashMap<(ShopId, WaId), Customer>,
    /// `customer.created` events, in first-contact order, keyed like `customers`.
    pub created: Vec<((ShopId, WaId), Events)>,
}

impl Identified {
    pub fn get(&self, shop: ShopId, wa_id: &WaId) -> Option<&Customer> {
        self.customers.get(&(shop, wa_id.clone()))
    }
}

/// Consent changes that signals make on their own (a keyword in WhatsApp, Meta's
/// `user_preferences`, Meta's error 131050), in the order given: the customers are locked again
/// (identifying them may already have stored and versioned them), each change is recorded, and
/// the customers that changed are written with their ledger entries, here and only here.
/// Returns, per change, the customer after it when it was a real change, and the events.
pub async fn record_consent_signals(
    uow: &mut dyn UnitOfWork,
    changes: &[((ShopId, WaId), ConsentChange)],
    now: DateTime<Utc>,
) -> RepoResult<(Vec<Option<Customer>>, Events)> {
    let mut events = Events::new();
    if changes.is_empty() {
        return Ok((Vec::new(), events));
    }
    let mut keys: Vec<(ShopId, WaId)> = changes.iter().map(|(k, _)| k.clone()).collect();
    keys.sort();
    keys.dedup();
    let mut customers: HashMap<(ShopId, WaId), Customer> =
        uow.customers().lock_by_wa_ids(&keys).await?.into_iter().map(|c| ((c.shop_id(), c.wa_id().clone()), c)).collect();
    let mut entries = Vec::new();
    let mut out = Vec::with_capacity(changes.len());
    for (key, change) in changes {
        let recorded = customers.get_mut(key).and_then(|c| c.record_consent(change, now).ok().flatten().map(|r| (r, c.clone())));
        match recorded {
            Some(((entry, event), customer)) => {
                entries.push(entry);
                events.push(event);
                out.push(Some(customer));
            }
            None => out.push(None),
        }
    }
    if !entries.is_empty() {
        let mut changed: Vec<&Customer> = customers.values().filter(|c| entries.iter().any(|e| e.customer_id == c.id())).collect();
        changed.sort_by_key(|c| c.id());
        uow.customers().update_many(&changed).await?;
        uow.customers().append_consent(&entries).await?;
    }
    Ok((out, events))
}

/// New customers whose number belonged to an erased customer keep that customer's opt-outs: the
/// erased record is found by the number's keyed pseudonym. Returns the ledger entries and their
/// events (the caller stores them with the new customers).
pub async fn keep_opt_outs(
    uow: &mut dyn UnitOfWork,
    new: &mut [&mut Customer],
    now: DateTime<Utc>,
) -> RepoResult<Vec<(ConsentEntry, CustomerEvent)>> {
    let mut out = Vec::new();
    if new.is_empty() {
        return Ok(out);
    }
    let pseudo: Vec<(ShopId, WaId)> = new.iter().map(|c| (c.shop_id(), uow.customers().pseudonym(c.shop_id(), c.wa_id()))).collect();
    let erased = uow.customers().lock_by_wa_ids(&pseudo).await?;
    if erased.is_empty() {
        return Ok(out);
    }
    for (c, p) in new.iter_mut().zip(&pseudo) {
        let Some(old) = erased.iter().find(|o| o.shop_id() == p.0 && o.wa_id() == &p.1 && o.is_erased()) else { continue };
        for purpose in Purpose::ALL {
            let before = old.consent().of(purpose);
            if before.status != OptInStatus::OptedOut {
                continue;
            }
            let change = ConsentChange {
                purpose,
                status: OptInStatus::OptedOut,
                source: before.source.unwrap_or(ConsentSource::Manual),
                evidence: Some(format!("kept from erased customer {}", old.id())),
                actor: None,
            };
            if let Ok(Some(recorded)) = c.record_consent(&change, now) {
                out.push(recorded);
            }
        }
    }
    Ok(out)
}

/// Apply one contact to its customer (profile name, last inbound time, user id); `true` if it
/// changed anything.
fn apply(customer: &mut Customer, contact: &Contact, now: DateTime<Utc>) -> bool {
    let mut touched = customer.update_profile_name(contact.profile_name.as_deref(), now);
    if let Some(at) = contact.inbound_at {
        touched |= customer.record_inbound(at);
    }
    if let Some(u) = &contact.user_id {
        touched |= customer.attach_user_id(u, now);
    }
    touched
}

/// Find or create the customer of every contact and apply the contacts in order (profile name,
/// last inbound time, user id).
///
/// A customer that a concurrent transaction created first (a burst of first-time customers,
/// processed by several loops or replicas at once) is not an error: the insert waited for that
/// transaction and skipped the row, so its customer is read and locked now, and the contacts
/// are applied to it instead. Its `customer.created` is the other transaction's.
pub async fn identify(uow: &mut dyn UnitOfWork, contacts: &[Contact], now: DateTime<Utc>) -> RepoResult<Identified> {
    let mut keys: Vec<(ShopId, WaId)> = contacts.iter().map(|c| (c.shop_id, c.wa_id.clone())).collect();
    keys.sort();
    keys.dedup();
    let mut out = Identified::default();
    if keys.is_empty() {
        return Ok(out);
    }
    for c in uow.customers().lock_by_wa_ids(&keys).await? {
        out.customers.insert((c.shop_id(), c.wa_id().clone()), c);
    }
    let mut new_keys = Vec::new();
    let mut changed = std::collections::HashSet::new();
    for contact in contacts {
        let key = (contact.shop_id, contact.wa_id.clone());
        let customer = match out.customers.get_mut(&key) {
            Some(c) => c,
            None => {
                let (c, e) = Customer::first_contact(contact.shop_id, contact.wa_id.clone(), contact.profile_name.clone(), now);
                out.created.push((key.clone(), Events::from(e)));
                new_keys.push(key.clone());
                out.customers.entry(key.clone()).or_insert(c)
            }
        };
        if apply(customer, contact, now) {
            changed.insert(key);
        }
    }
    // A number whose customer was erased keeps its opt-outs: the erased record is found by the
    // number's keyed pseudonym.
    let mut entries = Vec::new();
    if !new_keys.is_empty() {
        let mut fresh: Vec<&mut Customer> = out.customers.iter_mut().filter(|(k, _)| new_keys.contains(k)).map(|(_, c)| c).collect();
        let kept = keep_opt_outs(uow, &mut fresh, now).await?;
        for (entry, e) in kept {
            let key = out.customers.iter().find(|(_, c)| c.id() == entry.customer_id).map(|(k, _)| k.clone());
            if let Some((_, events)) = out.created.iter_mut().find(|(k, _)| Some(k) == key.as_ref()) {
                events.push(e);
            }
            entries.push(entry);
        }
    }
    // Inserted in key order, so two transactions creating the same customers queue on the
    // unique rule instead of deadlocking.
    let mut sorted_new = new_keys.clone();
    sorted_new.sort();
    let new: Vec<Customer> = sorted_new.iter().filter_map(|k| out.customers.get(k).cloned()).collect();
    if !new.is_empty() {
        let inserted: std::collections::HashSet<domain::CustomerId> = uow.customers().insert_many(&new).await?.into_iter().collect();
        let lost: Vec<(ShopId, WaId)> =
            new.iter().filter(|c| !inserted.contains(&c.id())).map(|c| (c.shop_id(), c.wa_id().clone())).collect();
        if !lost.is_empty() {
            let lost_ids: Vec<domain::CustomerId> = new.iter().filter(|c| !inserted.contains(&c.id())).map(Customer::id).collect();
            let theirs = uow.customers().lock_by_wa_ids(&lost).await?;
            if theirs.len() != lost.len() {
                return Err(RepoError::Concurrency("a customer was created and removed by concurrent transactions".into()));
            }
            entries.retain(|e| !lost_ids.contains(&e.customer_id));
            out.created.retain(|(k, _)| !lost.contains(k));
            new_keys.retain(|k| !lost.contains(k));
            for c in theirs {
                out.customers.insert((c.shop_id(), c.wa_id().clone()), c);
            }
            for contact in contacts.iter().filter(|c| lost.iter().any(|(s, w)| *s == c.shop_id && *w == c.wa_id)) {
                let key = (contact.shop_id, contact.wa_id.clone());
                if let Some(customer) = out.customers.get_mut(&key)
                    && apply(customer, contact, now)
                {
                    changed.insert(key);
                }
            }
        }
        if !entries.is_empty() {
            uow.customers().append_consent(&entries).await?;
        }
    }
    let mut updates: Vec<&Customer> = changed.iter().filter(|k| !new_keys.contains(k)).filter_map(|k| out.customers.get(k)).collect();
    updates.sort_by_key(|c| c.id());
    if !updates.is_empty() {
        uow.customers().update_many(&updates).await?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::pipeline::{Command, CommandHandler};
    use crate::testing::Scenario;
    use chrono::Utc;

    struct Identify(Vec<Contact>);
    impl std::fmt::Debug for Identify {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("Identify")
        }
    }
    impl validator::Validate for Identify {
        fn validate(&self) -> Result<(), validator::ValidationErrors> {
            Ok(())
        }
    }
    #[derive(Debug, thiserror::Error)]
    enum Failed {
        #[error(transparent)]
        Invalid(#[from] crate::shared::error::Invalid),
        #[error(transparent)]
        Storage(#[from] RepoError),
    }
    crate::use_case_error!(Failed);
    impl Command for Identify {
        type Output = Identified;
        type Error = Failed;
        const NAME: &'static str = "Identify";
    }
    struct Handler;
    #[async_trait::async_trait]
    impl CommandHandler<Identify> for Handler {
        async fn handle(&self, cmd: &Identify, uow: &mut dyn UnitOfWork) -> Result<Identified, Failed> {
            Ok(identify(uow, &cmd.0, Utc::now()).await?)
        }
    }

    /// Given another transaction that creates the same first-time customer just as this one
    /// inserts it, when the contacts are identified, then they apply to that customer: no
    /// second customer, no retry of the command, and no `customer.created` of ours.
    #[tokio::test]
    async fn a_customer_created_by_a_concurrent_transaction_is_taken_not_retried() {
        let s = Scenario::new();
        let ana = WaId::parse("5511987654321").unwrap();
        let bia = WaId::parse("5511912345678").unwrap();
        let (rival, _) = Customer::first_contact(s.shop, ana.clone(), Some("Ana".into()), Utc::now());
        s.memory.write(|st| st.rival_customers.push(rival.clone()));
        let at = Utc::now();
        let contact = |wa: &WaId, name: &str| Contact {
            shop_id: s.shop,
            wa_id: wa.clone(),
            profile_name: Some(name.into()),
            inbound_at: Some(at),
            user_id: None,
        };
        let before = s.memory.read(|st| st.transactions);
        let out = s.when(&Handler, Identify(vec![contact(&ana, "Ana Souza"), contact(&bia, "Bia")])).await.expect("no failure");
        assert_eq!(s.memory.read(|st| st.transactions) - before, 1, "one transaction: the command was not run again");
        let got = out.get(s.shop, &ana).unwrap();
        assert_eq!(got.id(), rival.id(), "the rival's customer");
        assert_eq!((got.name(), got.snapshot().last_inbound_at), (Some("Ana Souza"), Some(at)), "with the contact applied");
        let created: Vec<&WaId> = out.created.iter().map(|((_, w), _)| w).collect();
        assert_eq!(created, [&bia], "only the customer this transaction created is announced");
        assert_eq!(s.memory.read(|st| st.customers.len()), 2);
        let stored = s.memory.read(|st| st.customers[&rival.id()].clone());
        assert_eq!(stored.name(), Some("Ana Souza"));
    }
}
