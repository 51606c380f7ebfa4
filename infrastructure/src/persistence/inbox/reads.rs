//! The inbox's read side.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

use application::RepoResult;
use application::inbox::ports::InboxReads;
use domain::inbox::{Note, QuickReply, RoutingRule};
use domain::turns::Thread;
use domain::{ConversationId, CustomerId, MemberId, QuickReplyId, ShopId};

use super::entities::{conversation_notes as notes, member_handlings as mh, note, quick_replies};
use crate::persistence::messaging::entities::conversations;
use crate::persistence::team::entities::team_members;
use crate::persistence::turns::entities::{held_by, threads};
use crate::persistence::{Db, repo_err};

pub struct SeaInboxReads {
    db: Db,
}

impl SeaInboxReads {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Whether the shop has this conversation (reads under it answer `None` otherwise).
    async fn conversation_exists(&self, shop: ShopId, conversation: ConversationId) -> RepoResult<bool> {
        let n = conversations::Entity::find_by_id(conversation.as_uuid())
            .filter(conversations::Column::ShopId.eq(shop.as_uuid()))
            .count(&self.db.conn)
            .await
            .map_err(repo_err)?;
        Ok(n > 0)
    }
}

#[async_trait]
impl InboxReads for SeaInboxReads {
    async fn notes(&self, shop: ShopId, conversation: ConversationId, limit: u64) -> RepoResult<Option<Vec<Note>>> {
        if !self.conversation_exists(shop, conversation).await? {
            return Ok(None);
        }
        let rows = notes::Entity::find()
            .filter(notes::Column::ShopId.eq(shop.as_uuid()))
            .filter(notes::Column::ConversationId.eq(conversation.as_uuid()))
            .order_by_asc(notes::Column::CreatedAt)
            .order_by_asc(notes::Column::Id)
            .limit(limit)
            .all(&self.db.conn)
            .await
            .map_err(repo_err)?;
        Ok(Some(rows.into_iter().map(note).collect()))
    }

    async fn threads_of_member(&self, shop: ShopId, member: MemberId, now: DateTime<Utc>) -> RepoResult<Option<Vec<Thread>>> {
        let known = team_members::Entity::find_by_id(member.as_uuid())
            .filter(team_members::Column::ShopId.eq(shop.as_uuid()))
            .count(&self.db.conn)
            .await
            .map_err(repo_err)?;
        if known == 0 {
            return Ok(None);
        }
        let rows = threads::Entity::find()
            .filter(held_by(shop.as_uuid(), vec![member.as_uuid()], now))
            .order_by_asc(threads::Column::OwnerSince)
            .order_by_asc(threads::Column::Id)
            .all(&self.db.conn)
            .await
            .map_err(repo_err)?;
        rows.into_iter().map(crate::persistence::turns::mapping::thread).collect::<RepoResult<Vec<_>>>().map(Some)
    }

    async fn waiting_threads(&self, shop: Option<ShopId>, now: DateTime<Utc>, limit: u64) -> RepoResult<Vec<Thread>> {
        let mut q = threads::Entity::find()
            .filter(threads::Column::Owner.eq("people"))
            .filter(threads::Column::OwnerMemberId.is_null())
            .filter(threads::Column::OwnerExpiresAt.gt(now))
            .filter(threads::Column::WaitingSince.is_not_null());
        if let Some(s) = shop {
            q = q.filter(threads::Column::ShopId.eq(s.as_uuid()));
        }
        let rows = q
            .order_by_asc(threads::Column::WaitingSince)
            .order_by_asc(threads::Column::Id)
            .limit(limit)
            .all(&self.db.conn)
            .await
            .map_err(repo_err)?;
        rows.into_iter().map(crate::persistence::turns::mapping::thread).collect()
    }

    async fn overdue_threads(&self, now: DateTime<Utc>, limit: u64) -> RepoResult<Vec<Thread>> {
        use crate::persistence::team::entities::departments;
        // Departments with an SLA are few: one indexed read of their threads each.
        let slas: Vec<(uuid::Uuid, i32)> = departments::Entity::find()
            .select_only()
            .column(departments::Column::Id)
            .column(departments::Column::SlaMinutes)
            .filter(departments::Column::SlaMinutes.is_not_null())
            .into_tuple()
            .all(&self.db.conn)
            .await
            .map_err(repo_err)?;
        let mut out = Vec::new();
        for (department, minutes) in slas {
            let cutoff = now - chrono::Duration::minutes(i64::from(minutes));
            let rows = threads::Entity::find()
                .filter(threads::Column::DepartmentId.eq(department))
                .filter(threads::Column::Owner.eq("people"))
                .filter(threads::Column::OwnerMemberId.is_not_null())
                .filter(threads::Column::OwnerExpiresAt.gt(now))
                .filter(threads::Column::WaitingSince.lte(cutoff))
                .filter(threads::Column::OwnerSince.lte(cutoff))
                .order_by_asc(threads::Column::WaitingSince)
                .limit(limit)
                .all(&self.db.conn)
                .await
                .map_err(repo_err)?;
            for r in rows {
                out.push(crate::persistence::turns::mapping::thread(r)?);
            }
        }
        out.sort_by_key(|t| t.waiting_since());
        out.truncate(limit as usize);
        Ok(out)
    }

    async fn tags(&self, shop: ShopId, conversation: ConversationId) -> RepoResult<Option<Vec<String>>> {
        use super::entities::conversation_tags as tags;
        if !self.conversation_exists(shop, conversation).await? {
            return Ok(None);
        }
        let rows = tags::Entity::find()
            .filter(tags::Column::ConversationId.eq(conversation.as_uuid()))
            .order_by_asc(tags::Column::Position)
            .all(&self.db.conn)
            .await
            .map_err(repo_err)?;
        Ok(Some(rows.into_iter().map(|r| r.tag).collect()))
    }

    async fn tags_of_customer(&self, shop: ShopId, customer: CustomerId) -> RepoResult<Vec<(ConversationId, Vec<String>)>> {
        use super::entities::conversation_tags as tags;
        let rows = tags::Entity::find()
            .filter(tags::Column::ShopId.eq(shop.as_uuid()))
            .filter(tags::Column::CustomerId.eq(customer.as_uuid()))
            .order_by_asc(tags::Column::ConversationId)
            .order_by_asc(tags::Column::Position)
            .all(&self.db.conn)
            .await
            .map_err(repo_err)?;
        let mut out: Vec<(ConversationId, Vec<String>)> = Vec::new();
        for r in rows {
            let c = ConversationId::from(r.conversation_id);
            match out.last_mut() {
                Some((last, list)) if *last == c => list.push(r.tag),
                _ => out.push((c, vec![r.tag])),
            }
        }
        Ok(out)
    }

    async fn rules(&self, shop: ShopId) -> RepoResult<Vec<RoutingRule>> {
        let rows = super::entities::rules_in_order(shop).all(&self.db.conn).await.map_err(repo_err)?;
        rows.into_iter().map(super::entities::rule).collect()
    }

    async fn notes_of_customer(&self, shop: ShopId, customer: CustomerId) -> RepoResult<Vec<Note>> {
        let rows = notes::Entity::find()
            .filter(notes::Column::ShopId.eq(shop.as_uuid()))
            .filter(notes::Column::CustomerId.eq(customer.as_uuid()))
            .order_by_asc(notes::Column::CreatedAt)
            .order_by_asc(notes::Column::Id)
            .all(&self.db.conn)
            .await
            .map_err(repo_err)?;
        Ok(rows.into_iter().map(note).collect())
    }

    async fn quick_replies(&self, shop: ShopId, member: Option<MemberId>, prefix: Option<&str>) -> RepoResult<Vec<QuickReply>> {
        let owners: Vec<String> = [None, member].into_iter().map(super::entities::owner_key).collect();
        let mut q = quick_replies::Entity::find()
            .filter(quick_replies::Column::ShopId.eq(shop.as_uuid()))
            .filter(quick_replies::Column::OwnerKey.is_in(owners));
        if let Some(p) = prefix {
            q = q.filter(quick_replies::Column::Shortcut.starts_with(p));
        }
        let rows = q
            .order_by_asc(quick_replies::Column::Shortcut)
            .order_by_asc(quick_replies::Column::OwnerKey)
            .limit(500)
            .all(&self.db.conn)
            .await
            .map_err(repo_err)?;
        rows.into_iter().map(super::entities::quick_reply).collect()
    }

    async fn quick_reply(&self, shop: ShopId, id: QuickReplyId) -> RepoResult<Option<QuickReply>> {
        let row = quick_replies::Entity::find_by_id(id.as_uuid())
            .filter(quick_replies::Column::ShopId.eq(shop.as_uuid()))
            .one(&self.db.conn)
            .await
            .map_err(repo_err)?;
        row.map(super::entities::quick_reply).transpose()
    }

    async fn handlings(
        &self,
        shop: ShopId,
        member: Option<MemberId>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> RepoResult<Vec<domain::inbox::stats::Handling>> {
        use sea_orm::Condition;
        let mut q = mh::Entity::find().filter(mh::Column::ShopId.eq(shop.as_uuid())).filter(
            Condition::any()
                .add(Condition::all().add(mh::Column::AssignedAt.gte(from)).add(mh::Column::AssignedAt.lt(to)))
                .add(mh::Column::EndedAt.is_null()),
        );
        if let Some(m) = member {
            q = q.filter(mh::Column::MemberId.eq(m.as_uuid()));
        }
        let rows = q.order_by_asc(mh::Column::AssignedAt).all(&self.db.conn).await.map_err(repo_err)?;
        Ok(rows.into_iter().map(super::entities::handling).collect())
    }
}
