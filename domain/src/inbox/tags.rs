//! A conversation's tags (`PUT /api/v1/conversations/{id}/tags`): labels people put on a
//! conversation for the inbox (`refund`, `urgent`), beside the customer's own tags. The whole
//! set is replaced; each tag is trimmed, 1 to 50 characters, kept once (case-insensitively).

use serde::Serialize;

use crate::shared::events::EventPayload;
use crate::shared::problem::Problem;
use crate::{ConversationId, CustomerId, ShopId};

pub const MAX_TAGS: usize = 20;
pub const MAX_TAG_CHARS: usize = 50;

/// The tags as they will be kept, or every problem, named `tags[i]`.
pub fn parse_tags(raw: &[String]) -> Result<Vec<String>, Vec<Problem>> {
    let mut problems = Vec::new();
    if raw.len() > MAX_TAGS {
        problems.push(Problem::new("tags", format!("at most {MAX_TAGS} tags")));
    }
    let mut out: Vec<String> = Vec::new();
    for (i, t) in raw.iter().enumerate() {
        let t = t.trim();
        if t.is_empty() || t.chars().count() > MAX_TAG_CHARS {
            problems.push(Problem::new(format!("tags[{i}]"), format!("must be 1 to {MAX_TAG_CHARS} characters")));
        } else if !out.iter().any(|x| x.to_lowercase() == t.to_lowercase()) {
            out.push(t.to_owned());
        }
    }
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}

/// `conversation.tags.changed`: people replaced a conversation's tags.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationTagsChanged {
    pub shop_id: ShopId,
    pub conversation_id: ConversationId,
    pub customer_id: CustomerId,
    pub tags: Vec<String>,
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

impl EventPayload for ConversationTagsChanged {
    const TYPE: &'static str = "conversation.tags.changed";
    fn shop_id(&self) -> ShopId {
        self.shop_id
    }
    fn subject(&self) -> String {
        self.conversation_id.to_string()
    }
}

impl ConversationTagsChanged {
    /// The change from `before` to `after`; `None` when they are the same set (case aside).
    pub fn between(
        shop_id: ShopId,
        conversation_id: ConversationId,
        customer_id: CustomerId,
        before: &[String],
        after: &[String],
    ) -> Option<Self> {
        let has = |set: &[String], t: &String| set.iter().any(|x| x.to_lowercase() == t.to_lowercase());
        let added: Vec<String> = after.iter().filter(|t| !has(before, t)).cloned().collect();
        let removed: Vec<String> = before.iter().filter(|t| !has(after, t)).cloned().collect();
        (!added.is_empty() || !removed.is_empty()).then(|| Self {
            shop_id,
            conversation_id,
            customer_id,
            tags: after.to_vec(),
            added,
            removed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn given_tags_when_parsing_then_trimmed_once_each_and_problems_named() {
        assert_eq!(parse_tags(&v(&[" Refund ", "refund", "Urgent"])).unwrap(), v(&["Refund", "Urgent"]));
        let fields: Vec<String> = parse_tags(&v(&["ok", " ", &"x".repeat(51)])).unwrap_err().into_iter().map(|p| p.field).collect();
        assert_eq!(fields, ["tags[1]", "tags[2]"]);
        assert_eq!(parse_tags(&vec!["t".to_owned(); 21]).unwrap_err()[0].field, "tags");
    }

    #[test]
    fn given_two_sets_when_comparing_then_what_was_added_and_removed() {
        let (s, c, cu) = (ShopId::new(), ConversationId::new(), CustomerId::new());
        let e = ConversationTagsChanged::between(s, c, cu, &v(&["refund", "vip"]), &v(&["VIP", "urgent"])).unwrap();
        assert_eq!((e.added, e.removed), (v(&["urgent"]), v(&["refund"])));
        assert!(ConversationTagsChanged::between(s, c, cu, &v(&["vip"]), &v(&["VIP"])).is_none(), "case aside, the same set");
    }
}
