//! CreateQuickReply (`POST /api/v1/quick-replies`): a canned message with a shortcut, shared by
//! the shop or personal to the member the key acts for. Its variables must be ones the service
//! knows, its template must be approved, and its shortcut free for its owner; audited.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;
use validator::Validate;

use super::ports::InboxUnitOfWork;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Audited, Command, CommandHandler};
use crate::shared::ports::Clock;
use crate::shared::repo::RepoError;
use crate::shared::unit_of_work::UnitOfWork;
use crate::templates::ports::TemplatesUnitOfWork;
use domain::inbox::{QuickReply, QuickReplyDraft, QuickReplyMessage};
use domain::shared::problem::Problem;
use domain::templates::NotApproved;
use domain::{MemberId, ShopId};

#[derive(Debug, Validate)]
pub struct CreateQuickReply {
    pub shop_id: ShopId,
    /// The member it is personal to; `None`: shared by the shop.
    pub member_id: Option<MemberId>,
    pub draft: QuickReplyDraft,
}

/// Why a quick reply's message cannot be kept (shared by create and edit).
#[derive(Debug, thiserror::Error)]
pub enum QuickReplyRefused {
    /// Each problem names its field.
    #[error("the quick reply is not valid")]
    Problems(Vec<Problem>),
    #[error("the owner already has a quick reply with this shortcut")]
    ShortcutTaken,
    #[error("template '{name}' ({language}) is not one of the shop's")]
    TemplateNotFound { name: String, language: String },
    #[error(transparent)]
    TemplateNotApproved(NotApproved),
}

#[derive(Debug, thiserror::Error)]
pub enum CreateQuickReplyError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error(transparent)]
    Refused(#[from] QuickReplyRefused),
    #[error("could not store the quick reply")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(CreateQuickReplyError);

impl Command for CreateQuickReply {
    type Output = QuickReply;
    type Error = CreateQuickReplyError;
    const NAME: &'static str = "CreateQuickReply";

    fn audit(&self, q: &QuickReply) -> Option<Audited> {
        Some(Audited {
            shop_id: self.shop_id,
            action: "quick_reply.created",
            subject_type: "quick_reply",
            subject_id: Some(q.id.to_string()),
            details: json!({"shortcut": q.shortcut, "memberId": q.member_id}),
        })
    }
}

pub struct CreateQuickReplyHandler {
    pub clock: Arc<dyn Clock>,
}

/// What every kept quick reply obeys beyond its own rules: a template the shop has, approved on
/// at least one of its WABAs (the send checks the number's own WABA again), and a free shortcut.
pub(super) async fn admissible(uow: &mut dyn UnitOfWork, q: &QuickReply) -> Result<(), QuickReplyOrStorage> {
    if let QuickReplyMessage::Template(t) = &q.message {
        let stored = uow.templates().by_name(q.shop_id, &t.name, &t.language).await?;
        if stored.is_empty() {
            return Err(QuickReplyRefused::TemplateNotFound { name: t.name.clone(), language: t.language.clone() }.into());
        }
        if let Some(Err(refusal)) = stored.first().map(|s| s.ensure_sendable())
            && !stored.iter().any(|s| s.ensure_sendable().is_ok())
        {
            return Err(QuickReplyRefused::TemplateNotApproved(refusal).into());
        }
    }
    if uow.inbox().shortcut_taken(q.shop_id, q.member_id, &q.shortcut, Some(q.id)).await? {
        return Err(QuickReplyRefused::ShortcutTaken.into());
    }
    Ok(())
}

/// A refusal, or the storage failing while checking.
#[derive(Debug, thiserror::Error)]
pub(super) enum QuickReplyOrStorage {
    #[error(transparent)]
    Refused(#[from] QuickReplyRefused),
    #[error(transparent)]
    Storage(#[from] RepoError),
}

impl From<QuickReplyOrStorage> for CreateQuickReplyError {
    fn from(e: QuickReplyOrStorage) -> Self {
        match e {
            QuickReplyOrStorage::Refused(r) => Self::Refused(r),
            QuickReplyOrStorage::Storage(s) => Self::Storage(s),
        }
    }
}

#[async_trait]
impl CommandHandler<CreateQuickReply> for CreateQuickReplyHandler {
    async fn handle(&self, cmd: &CreateQuickReply, uow: &mut dyn UnitOfWork) -> Result<QuickReply, CreateQuickReplyError> {
        let q = QuickReply::create(cmd.shop_id, cmd.member_id, &cmd.draft, self.clock.now()).map_err(QuickReplyRefused::Problems)?;
        admissible(uow, &q).await?;
        uow.inbox().insert_quick_reply(&q).await?;
        Ok(q)
    }
}
