//! The turns context: a customer's burst of messages answered once by a chain of responders;
//! who owns a customer's thread; the automated responses (keywords, greeting, away).

pub mod answer_turn;
pub mod create_automated_response;
pub mod delete_automated_response;
pub mod expire_owners;
pub mod list_automated_responses;
pub mod list_turns;
pub mod list_waiting;
pub mod open_turns;
pub mod people_answers;
pub mod personal_data;
pub mod ports;
pub mod record_people_answers;
pub mod replace_automated_response;
pub mod responders;
pub mod rule_cache;
