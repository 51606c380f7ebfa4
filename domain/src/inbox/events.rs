//! Events of the inbox context.

use serde::Serialize;

use super::note::NoteAdded;
use super::tags::ConversationTagsChanged;
use crate::shared::events::EventPayload;
use crate::turns::Thread;
use crate::{AccountId, ConversationId, CustomerId, DepartmentId, MemberId, ShopId, ThreadId};

/// `conversation.assigned`: a thread was given to a member (`memberId`), or taken from one
/// (`memberId: null`: people still own it, nobody in particular). Its subject is the thread's
/// latest conversation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationAssigned {
    pub shop_id: ShopId,
    pub account_id: AccountId,
    pub conversation_id: ConversationId,
    pub customer_id: CustomerId,
    pub thread_id: ThreadId,
    pub wa_id: String,
    pub member_id: Option<MemberId>,
    pub previous_member_id: Option<MemberId>,
    /// `assigned`, `unassigned`, `routed` (routing chose the member) or `transferred`.
    pub reason: String,
    /// The department the thread now waits for (a transfer to a department), else null.
    pub department_id: Option<DepartmentId>,
}

impl ConversationAssigned {
    pub fn of(thread: &Thread, member: Option<MemberId>, previous: Option<MemberId>, reason: &str) -> Self {
        let s = thread.snapshot();
        Self {
            shop_id: s.shop_id,
            account_id: s.account_id,
            conversation_id: s.conversation_id,
            customer_id: s.customer_id,
            thread_id: s.id,
            wa_id: s.wa_id.to_string(),
            member_id: member,
            previous_member_id: previous,
            reason: reason.to_owned(),
            department_id: None,
        }
    }
}

impl EventPayload for ConversationAssigned {
    const TYPE: &'static str = "conversation.assigned";
    fn shop_id(&self) -> ShopId {
        self.shop_id
    }
    fn subject(&self) -> String {
        self.conversation_id.to_string()
    }
}

crate::context_events! {
    /// What people do in the inbox.
    pub enum InboxEvent { ConversationAssigned, NoteAdded, ConversationTagsChanged }
}
