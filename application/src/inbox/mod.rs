//! The team inbox: people working customers' threads: routing, assignment, replies' owner,
//! internal notes, closing (the inbox list, quick replies and the stream join here).

pub mod add_note;
pub mod agent_stats_consumer;
pub mod assign_conversation;
pub mod auto_assign;
pub mod backfill_search;
pub mod close_conversation;
pub mod conversation_visible;
pub mod create_quick_reply;
pub mod create_routing_rule;
pub mod delete_quick_reply;
pub mod delete_routing_rule;
pub mod enforce_sla;
pub mod get_agent_stats;
pub mod get_conversation_tags;
pub mod get_team_stats;
pub mod list_notes;
pub mod list_quick_replies;
pub mod list_routing_rules;
pub mod live;
pub mod member_conversations;
pub mod personal_data;
pub mod ports;
pub mod record_handlings;
pub mod render_quick_reply;
pub mod route_thread;
pub mod set_conversation_tags;
pub mod set_pending;
pub mod transfer_to_department;
pub mod update_quick_reply;
