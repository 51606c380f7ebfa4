//! Where a send goes out from and to: the one send entry's address, for every sender.

use domain::{AccountId, ConversationId, PhoneNumber, WaId};

/// Where a send goes out from and to. Every sender (the API, and the service's own: turns,
/// flows, the AI agent, teammates, campaigns) sends through `SendMessage`, with every rule:
/// the window, consent, template approval and parameters, files.
#[derive(Clone, PartialEq)]
pub enum Via {
    /// The API's way: one of the shop's business numbers (E.164), to a customer's number.
    Numbers { from: PhoneNumber, to: PhoneNumber },
    /// One of the shop's connected numbers, to a customer.
    Account { account: AccountId, to: WaId },
    /// A customer's thread with a number, named by any of its conversations: the message joins
    /// the thread's active window, or starts one.
    Conversation(ConversationId),
}
