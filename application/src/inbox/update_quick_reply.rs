//! UpdateQuickReply (`PATCH /api/v1/quick-replies/{id}`): change a quick reply's shortcut or
//! message, checked as on create. A personal one only by its member (others do not see it); a
//! shared one only by an admin; audited.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;
use validator::Validate;

use super::create_quick_reply::{QuickReplyOrStorage, QuickReplyRefused, admissible};
use super::ports::InboxUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Audited, Command, CommandHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::inbox::{QuickReply, QuickReplyDraft, QuickReplyMessage};
use domain::{MemberId, QuickReplyId, ShopId};

#[derive(Debug, Validate)]
pub struct UpdateQuickReply {
    pub shop_id: ShopId,
    pub id: QuickReplyId,
    /// The member the caller's key acts for.
    pub caller: Option<MemberId>,
    /// Whether the caller may change the shop's shared quick replies (an admin key).
    pub admin: bool,
    pub shortcut: Option<String>,
    pub message: Option<QuickReplyMessage>,
}

#[derive(Debug, thiserror::Error)]
pub enum UpdateQuickReplyError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such quick reply")]
    NotFound,
    #[error("only an admin key may change the shop's shared quick replies")]
    Forbidden,
    #[error(transparent)]
    Refused(#[from] QuickReplyRefused),
    #[error("could not store the quick reply")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(UpdateQuickReplyError);

impl From<QuickReplyOrStorage> for UpdateQuickReplyError {
    fn from(e: QuickReplyOrStorage) -> Self {
        match e {
            QuickReplyOrStorage::Refused(r) => Self::Refused(r),
            QuickReplyOrStorage::Storage(s) => Self::Storage(s),
        }
    }
}

impl Command for UpdateQuickReply {
    type Output = QuickReply;
    type Error = UpdateQuickReplyError;
    const NAME: &'static str = "UpdateQuickReply";

    fn audit(&self, q: &QuickReply) -> Option<Audited> {
        Some(Audited {
            shop_id: self.shop_id,
            action: "quick_reply.updated",
            subject_type: "quick_reply",
            subject_id: Some(q.id.to_string()),
            details: json!({"shortcut": q.shortcut}),
        })
    }
}

pub struct UpdateQuickReplyHandler {
    pub clock: Arc<dyn Clock>,
}

/// The quick reply, if the caller may change it (shared by the create/delete checks).
pub(super) async fn lock_owned(
    uow: &mut dyn UnitOfWork,
    shop: ShopId,
    id: QuickReplyId,
    caller: Option<MemberId>,
    admin: bool,
) -> Result<Result<QuickReply, UpdateQuickReplyError>, RepoError> {
    Ok(match uow.inbox().lock_quick_reply(shop, id).await? {
        Some(q) if !q.visible_to(caller) => Err(UpdateQuickReplyError::NotFound),
        Some(q) if q.member_id.is_none() && !admin => Err(UpdateQuickReplyError::Forbidden),
        Some(q) => Ok(q),
        None => Err(UpdateQuickReplyError::NotFound),
    })
}

#[async_trait]
impl CommandHandler<UpdateQuickReply> for UpdateQuickReplyHandler {
    async fn handle(&self, cmd: &UpdateQuickReply, uow: &mut dyn UnitOfWork) -> Result<QuickReply, UpdateQuickReplyError> {
        let mut q = lock_owned(uow, cmd.shop_id, cmd.id, cmd.caller, cmd.admin).await??;
        let draft = QuickReplyDraft {
            shortcut: cmd.shortcut.clone().unwrap_or_else(|| q.shortcut.clone()),
            message: cmd.message.clone().unwrap_or_else(|| q.message.clone()),
        };
        if q.edit(&draft, self.clock.now()).map_err(QuickReplyRefused::Problems)? {
            admissible(uow, &q).await?;
            uow.inbox().update_quick_reply(&q).await?;
        }
        Ok(q)
    }
}
