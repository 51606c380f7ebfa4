//! The outbox inside a unit of work: events are written with the change that caused them.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::EntityTrait;

use application::RepoResult;
use application::shared::outbox::Outbox;
use domain::Events;

use super::entities::outbox;
use super::envelope::stored;
use crate::persistence::repo_err;
use crate::persistence::sql::{Txn, chunks};

pub struct SeaOutbox {
    pub(crate) tx: Txn,
}

#[async_trait]
impl Outbox for SeaOutbox {
    async fn append(&mut self, events: &Events, recorded_at: DateTime<Utc>) -> RepoResult<()> {
        let rows: Vec<(outbox::ActiveModel, usize)> = events
            .iter()
            .map(|e| {
                let id = uuid::Uuid::now_v7();
                let envelope = stored(e);
                let bytes = 120 + e.subject().len() + e.event_type().len() + crate::persistence::sql::json_len(&envelope);
                let row = outbox::ActiveModel {
                    seq: Default::default(),
                    event_id: Set(id),
                    shop_id: Set(e.shop_id().as_uuid()),
                    event_type: Set(e.event_type().to_owned()),
                    subject: Set(e.subject()),
                    envelope: Set(envelope),
                    created_at: Set(recorded_at),
                    published_at: Set(None),
                };
                (row, bytes)
            })
            .collect();
        for chunk in chunks(&rows, 7, |(_, bytes)| *bytes) {
            let rows = chunk.iter().map(|(row, _)| row.clone());
            outbox::Entity::insert_many(rows).exec_without_returning(self.tx.as_ref()).await.map_err(repo_err)?;
        }
        Ok(())
    }
}
