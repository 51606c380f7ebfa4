//! An internal note on a customer's conversation: written by people for people, never sent to
//! the customer, kept with its author. A note is personal data about the customer: it is
//! exported and erased with them.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::shared::events::EventPayload;
use crate::shared::problem::Problem;
use crate::{ConversationId, CustomerId, MemberId, NoteId, ShopId};

/// The longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 5_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub id: NoteId,
    pub shop_id: ShopId,
    pub conversation_id: ConversationId,
    pub customer_id: CustomerId,
    /// Who wrote it, as the audit log names actors (`api-key:<id>`).
    pub author: String,
    /// The member the author's key acts for, if bound.
    pub member_id: Option<MemberId>,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// `conversation.note.added`: people wrote an internal note (its text stays inside the service).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NoteAdded {
    pub shop_id: ShopId,
    pub conversation_id: ConversationId,
    pub customer_id: CustomerId,
    pub note_id: NoteId,
    pub author: String,
    /// The member the author's key acts for, if bound.
    pub member_id: Option<MemberId>,
}

impl EventPayload for NoteAdded {
    const TYPE: &'static str = "conversation.note.added";
    fn shop_id(&self) -> ShopId {
        self.shop_id
    }
    fn subject(&self) -> String {
        self.conversation_id.to_string()
    }
}

impl Note {
    /// A note: its text trimmed, 1 to 5,000 characters.
    pub fn write(
        shop_id: ShopId,
        conversation_id: ConversationId,
        customer_id: CustomerId,
        author: &str,
        member_id: Option<MemberId>,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<(Self, NoteAdded), Problem> {
        let body = body.trim();
        if body.is_empty() || body.chars().count() > MAX_NOTE_CHARS {
            return Err(Problem::new("body", format!("must be 1 to {MAX_NOTE_CHARS} characters")));
        }
        let note = Self {
            id: NoteId::new(),
            shop_id,
            conversation_id,
            customer_id,
            author: author.to_owned(),
            member_id,
            body: body.to_owned(),
            created_at: now,
        };
        let e = NoteAdded { shop_id, conversation_id, customer_id, note_id: note.id, author: note.author.clone(), member_id };
        Ok((note, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_a_text_when_writing_a_note_then_it_is_trimmed_and_bounded() {
        let (s, c, cu, now) = (ShopId::new(), ConversationId::new(), CustomerId::new(), Utc::now());
        let (n, e) = Note::write(s, c, cu, "api-key:1", None, "  called her back  ", now).unwrap();
        assert_eq!((n.body.as_str(), e.note_id, e.author.as_str()), ("called her back", n.id, "api-key:1"));
        assert_eq!(Note::write(s, c, cu, "a", None, "   ", now).unwrap_err().field, "body");
        assert!(Note::write(s, c, cu, "a", None, &"x".repeat(MAX_NOTE_CHARS + 1), now).is_err());
        assert!(Note::write(s, c, cu, "a", None, &"é".repeat(MAX_NOTE_CHARS), now).is_ok(), "characters, not bytes");
    }
}
