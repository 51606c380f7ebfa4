//! The outbox inside a unit of work: events are written with the change that caused them.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::EntityTrait;

use application::RepoResult;
use application::shared::outbox::Outbox;
use domain::Events;

use super::entities::outbox;
use super::envelope::cloud_event;
use crate::persistence::repo_err;
use crate::persistence::sql::{Txn, rows_per_statement};

pub struct SeaOutbox {
    pub(crate) tx: Txn,
}

#[async_trait]
impl Outbox for SeaOutbox {
    async fn append(&mut self, events: &Events, recorded_at: DateTime<Utc>) -> RepoResult<()> {
        let rows: Vec<outbox::ActiveModel> = events
            .iter()
            .map(|e| {
                let id = uuid::Uuid::now_v7();
                outbox::ActiveModel {
                    seq: Default::default(),
                    event_id: Set(id),
                    shop_id: Set(e.shop_id().as_uuid()),
                    event_type: Set(e.event_type().to_owned()),
                    subject: Set(e.subject()),
                    envelope: Set(cloud_event(e, id, recorded_at)),
                    created_at: Set(recorded_at),
                    published_at: Set(None),
                }
            })
            .collect();
        for chunk in rows.chunks(rows_per_statement(7)) {
            outbox::Entity::insert_many(chunk.to_vec()).exec_without_returning(self.tx.as_ref()).await.map_err(repo_err)?;
        }
        Ok(())
    }
}
