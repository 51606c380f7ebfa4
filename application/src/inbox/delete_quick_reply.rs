//! DeleteQuickReply (`DELETE /api/v1/quick-replies/{id}`): a personal one by its member, a
//! shared one by an admin; audited.

use async_trait::async_trait;
use serde_json::json;
use validator::Validate;

use super::ports::InboxUnitOfWork;
use super::update_quick_reply::{UpdateQuickReplyError, lock_owned};
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Audited, Command, CommandHandler};
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use domain::{MemberId, QuickReplyId, ShopId};

#[derive(Debug, Validate)]
pub struct DeleteQuickReply {
    pub shop_id: ShopId,
    pub id: QuickReplyId,
    pub caller: Option<MemberId>,
    pub admin: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum DeleteQuickReplyError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such quick reply")]
    NotFound,
    #[error("only an admin key may delete the shop's shared quick replies")]
    Forbidden,
    #[error("could not delete the quick reply")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(DeleteQuickReplyError);

impl Command for DeleteQuickReply {
    type Output = ();
    type Error = DeleteQuickReplyError;
    const NAME: &'static str = "DeleteQuickReply";

    fn audit(&self, _: &()) -> Option<Audited> {
        Some(Audited {
            shop_id: self.shop_id,
            action: "quick_reply.deleted",
            subject_type: "quick_reply",
            subject_id: Some(self.id.to_string()),
            details: json!({}),
        })
    }
}

pub struct DeleteQuickReplyHandler;

#[async_trait]
impl CommandHandler<DeleteQuickReply> for DeleteQuickReplyHandler {
    async fn handle(&self, cmd: &DeleteQuickReply, uow: &mut dyn UnitOfWork) -> Result<(), DeleteQuickReplyError> {
        match lock_owned(uow, cmd.shop_id, cmd.id, cmd.caller, cmd.admin).await? {
            Ok(q) => {
                uow.inbox().delete_quick_reply(cmd.shop_id, q.id).await?;
                Ok(())
            }
            Err(UpdateQuickReplyError::Forbidden) => Err(DeleteQuickReplyError::Forbidden),
            Err(_) => Err(DeleteQuickReplyError::NotFound),
        }
    }
}
