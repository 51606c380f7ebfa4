//! RenderQuickReply (a reply with `quickReplyId` on `POST /api/v1/conversations/{id}/messages`):
//! the quick reply's message with its variables filled for this conversation: the customer's
//! name, phone and fields, the name of the member the key acts for, and what the request gives
//! in `variables` (which wins). A variable left without a value is a problem naming it. What it
//! returns goes through the one send entry like any reply.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;
use validator::Validate;

use super::ports::InboxReads;
use crate::customers::ports::CustomerReads;
use crate::messaging::ports::MessagingReads;
use crate::shared::error::Invalid;
use crate::shared::pipeline::{Query, QueryHandler};
use crate::shared::repo::RepoError;
use crate::team::ports::TeamReads;
use domain::inbox::{Rendered, VariableValues};
use domain::shared::problem::Problem;
use domain::{ConversationId, MemberId, QuickReplyId, ShopId};

#[derive(Debug, Validate)]
pub struct RenderQuickReply {
    pub shop_id: ShopId,
    pub conversation_id: ConversationId,
    pub quick_reply_id: QuickReplyId,
    /// The member the caller's key acts for (`agent.name`; their personal quick replies).
    pub caller: Option<MemberId>,
    /// Values the request gives, by variable name; they win over the service's.
    pub variables: VariableValues,
}

#[derive(Debug, thiserror::Error)]
pub enum RenderQuickReplyError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("no such conversation")]
    ConversationNotFound,
    #[error("no such quick reply")]
    QuickReplyNotFound,
    /// Names the variable.
    #[error("a variable has no value")]
    Missing(Problem),
    #[error("could not read the quick reply")]
    Storage(#[from] RepoError),
}
crate::use_case_error!(RenderQuickReplyError);

impl Query for RenderQuickReply {
    type Output = Rendered;
    type Error = RenderQuickReplyError;
    const NAME: &'static str = "RenderQuickReply";
}

pub struct RenderQuickReplyHandler {
    pub inbox: Arc<dyn InboxReads>,
    pub messaging: Arc<dyn MessagingReads>,
    pub customers: Arc<dyn CustomerReads>,
    pub team: Arc<dyn TeamReads>,
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

#[async_trait]
impl QueryHandler<RenderQuickReply> for RenderQuickReplyHandler {
    async fn handle(&self, q: &RenderQuickReply) -> Result<Rendered, RenderQuickReplyError> {
        let reply = self
            .inbox
            .quick_reply(q.shop_id, q.quick_reply_id)
            .await?
            .filter(|r| r.visible_to(q.caller))
            .ok_or(RenderQuickReplyError::QuickReplyNotFound)?;
        let c = self.messaging.conversation(q.shop_id, q.conversation_id).await?.ok_or(RenderQuickReplyError::ConversationNotFound)?;
        let mut values = VariableValues::new();
        let wanted = reply.message.variables();
        if wanted.iter().any(|v| v.starts_with("customer."))
            && let Some(customer) = self.customers.by_id(q.shop_id, c.customer_id()).await?.filter(|c| !c.is_erased())
        {
            let s = customer.snapshot();
            if let Some(name) = s.display_name.clone().or_else(|| s.name.clone()) {
                values.insert("customer.name".into(), name);
            }
            values.insert("customer.phone".into(), format!("+{}", customer.wa_id().as_str()));
            for (k, v) in customer.custom_fields() {
                if let Some(t) = text(v) {
                    values.insert(format!("customer.fields.{k}"), t);
                }
            }
        }
        if wanted.iter().any(|v| v == "agent.name")
            && let Some(m) = q.caller
            && let Some(view) = self.team.member(q.shop_id, m).await?
        {
            values.insert("agent.name".into(), view.member.snapshot().name.clone());
        }
        values.extend(q.variables.iter().map(|(k, v)| (k.clone(), v.clone())));
        reply.render(&values).map_err(RenderQuickReplyError::Missing)
    }
}
