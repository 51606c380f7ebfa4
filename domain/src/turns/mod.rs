//! The turns context: a customer's thread and its owner, a customer's burst answered once (a
//! turn), and the automated responses that answer turns (keywords, greeting, away).

pub mod events;
pub mod matcher;
pub mod owner;
pub mod rules;
pub mod thread;
pub mod turn;

pub use events::{HandedOff, OwnerChanged, TurnEvent};
pub use matcher::RuleBook;
pub use owner::Owner;
pub use rules::{AutomatedResponse, AutomatedResponseSnapshot, Keyword, MatchMode, ResponseDraft, Trigger};
pub use thread::{Thread, ThreadSnapshot};
pub use turn::{Turn, TurnOutcome, TurnSnapshot, TurnState};
