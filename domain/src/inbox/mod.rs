//! The team inbox: people working customers' threads (assignment; the inbox list, notes,
//! quick replies and the rest of issue 20 join here).

pub mod assignment;
pub mod events;
pub mod note;
pub mod quick_reply;
pub mod routing;
pub mod routing_rule;
pub mod stats;
pub mod tags;

pub use assignment::{AssignRefusal, check_assignee};
pub use events::{ConversationAssigned, InboxEvent};
pub use note::{Note, NoteAdded};
pub use quick_reply::{QuickReply, QuickReplyDraft, QuickReplyMessage, Rendered, VariableValues};
pub use routing::{Candidate, Need, choose};
pub use routing_rule::{RoutingRule, RoutingRuleDraft, first_match};
pub use tags::{ConversationTagsChanged, parse_tags};
