//! The templates context's job: reconciliation with Meta's lists.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use application::RequestContext;
use application::accounts::ports::AccountReads;
use application::templates::sync_templates::SyncTemplatesService;

use super::{PeriodicJob, failed};
use crate::adapters::Adapters;

pub fn jobs(a: &Adapters) -> Vec<Arc<dyn PeriodicJob>> {
    vec![Arc::new(TemplateReconciliation { sync: a.sync_templates.clone(), accounts: a.account_reads.clone() })]
}

/// TemplateReconciliationJob: every hour (the first an hour after start), Meta's template lists
/// for every shop's WABAs, so that a missed webhook or a template made in Meta's tools is caught.
/// At start the webhooks and a shop's own `POST /templates/sync` are enough, and replicas
/// starting together would all ask Meta.
pub struct TemplateReconciliation {
    sync: Arc<SyncTemplatesService>,
    accounts: Arc<dyn AccountReads>,
}

#[async_trait]
impl PeriodicJob for TemplateReconciliation {
    fn name(&self) -> &'static str {
        "template-reconciliation"
    }
    fn every(&self) -> Duration {
        Duration::from_secs(3600)
    }
    fn waits_first(&self) -> bool {
        true
    }
    /// Every shop in turn; one shop's failure (a revoked token) does not stop the others.
    async fn run(&self) -> Result<String, String> {
        let shops = self.accounts.shops_with_numbers().await.map_err(|e| failed(&e))?;
        let (mut synced, mut failures, mut changed) = (0, 0, 0);
        for shop in &shops {
            match self.sync.run(&RequestContext::system("job"), *shop).await {
                Ok(o) => {
                    synced += 1;
                    changed += o.created + o.updated;
                }
                Err(e) => {
                    failures += 1;
                    tracing::warn!(%shop, error = %application::Chain(&e), "template reconciliation failed for a shop");
                }
            }
        }
        Ok(format!("{synced} shops synced, {failures} failed, {changed} templates new or changed"))
    }
}
