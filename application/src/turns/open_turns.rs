//! OpenTurns: the customers' messages a webhook batch stored open or extend one turn per thread,
//! due at the batch's time plus the shop's quiet time (never past the turn's cap: its first
//! message plus 10 s). Runs inside the batch's transaction, after `ReceiveMessages`, set-based
//! (one upsert for the batch's threads, one insert of their messages) and with no network call.
//! A redelivered message was not stored again, so it opens nothing.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use validator::Validate;

use crate::messaging::receive_messages::Received;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Command, CommandHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use crate::tenancy::ports::TenancyUnitOfWork;
use crate::turns::ports::{TurnOpening, TurnsUnitOfWork};
use domain::tenancy::ShopSettings;
use domain::turns::turn::{cap_at, due_at};
use domain::{AccountId, ShopId, TurnId, WaId};

#[derive(Validate)]
pub struct OpenTurns {
    pub received: Vec<Received>,
}

impl fmt::Debug for OpenTurns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenTurns").field("received", &self.received.len()).finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OpenTurnsError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("could not open the turns")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(OpenTurnsError);

impl Command for OpenTurns {
    /// Threads whose turn was opened or extended.
    type Output = u32;
    type Error = OpenTurnsError;
    const NAME: &'static str = "OpenTurns";
}

pub struct OpenTurnsHandler {
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl CommandHandler<OpenTurns> for OpenTurnsHandler {
    async fn handle(&self, cmd: &OpenTurns, uow: &mut dyn UnitOfWork) -> Result<u32, OpenTurnsError> {
        if cmd.received.is_empty() {
            return Ok(0);
        }
        let now = self.clock.now();
        let mut shops: Vec<ShopId> = cmd.received.iter().map(|r| r.shop_id).collect();
        shops.sort();
        shops.dedup();
        let settings = uow.shops().settings_of(&shops).await?;
        // One opening per thread, in key order (two batches extending the same turns queue on
        // the unique rule instead of deadlocking).
        let mut threads: BTreeMap<(AccountId, WaId), TurnOpening> = BTreeMap::new();
        for r in &cmd.received {
            let quiet = settings.get(&r.shop_id).map_or_else(|| ShopSettings::default().turn_quiet_ms(), ShopSettings::turn_quiet_ms);
            let o = threads.entry((r.account_id, r.wa_id.clone())).or_insert_with(|| TurnOpening {
                id: TurnId::new(),
                shop_id: r.shop_id,
                account_id: r.account_id,
                customer_id: r.customer_id,
                wa_id: r.wa_id.clone(),
                conversation_id: r.conversation_id,
                at: now,
                due_at: due_at(now, now, quiet),
                cap_at: cap_at(now),
                messages: 0,
                first_contact: false,
                keyword: false,
                wamids: Vec::new(),
            });
            o.conversation_id = r.conversation_id;
            o.messages += 1;
            o.first_contact |= r.first_contact;
            o.keyword |= r.keyword;
            o.wamids.push((r.message_id, r.wamid.clone()));
        }
        let openings: Vec<TurnOpening> = threads.into_values().collect();
        uow.turns().open(&openings).await?;
        Ok(openings.len() as u32)
    }
}
