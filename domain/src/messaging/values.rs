//! The value objects of messages: direction, kind, delivery status and Meta's error.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Inbound,
    Outbound,
}

impl Direction {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Inbound => "inbound",
            Self::Outbound => "outbound",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "inbound" => Some(Self::Inbound),
            "outbound" => Some(Self::Outbound),
            _ => None,
        }
    }
}

/// Free-form (inside the window) or template (anywhere). Seed 004's `messageType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageKind {
    Free,
    Template,
}

impl MessageKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Free => "free",
            Self::Template => "template",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "free" => Some(Self::Free),
            "template" => Some(Self::Template),
            _ => None,
        }
    }
}

/// Delivery status. Outbound: queued → sent → delivered → read, or failed.
/// Inbound messages are `received` (and `read` once the business marks them read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageStatus {
    Received,
    Queued,
    Sent,
    Delivered,
    Read,
    Failed,
}

impl MessageStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "received" => Self::Received,
            "queued" => Self::Queued,
            "sent" => Self::Sent,
            "delivered" => Self::Delivered,
            "read" => Self::Read,
            "failed" => Self::Failed,
            _ => return None,
        })
    }

    fn rank(&self) -> u8 {
        match self {
            Self::Received | Self::Queued => 0,
            Self::Sent => 1,
            Self::Delivered => 2,
            Self::Read => 3,
            Self::Failed => 4,
        }
    }

    /// The status after `incoming` arrives, if it changes anything.
    ///
    /// Monotonic: statuses only move forward (a late `delivered` never downgrades `read`),
    /// `failed` wins over everything and is final.
    pub fn advance(self, incoming: MessageStatus) -> Option<MessageStatus> {
        if self == MessageStatus::Failed || incoming == self {
            return None;
        }
        (incoming.rank() > self.rank()).then_some(incoming)
    }
}

/// What Meta said went wrong with a message (`errors[0]` of a status or an API error).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageError {
    pub code: i64,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
}

impl MessageError {
    /// `errors[0]` of one of Meta's status objects, if it has one.
    pub fn from_meta_status(status: &serde_json::Value) -> Option<Self> {
        let e = status.get("errors")?.as_array()?.first()?;
        let text = |k: &str| e.get(k).and_then(serde_json::Value::as_str).map(str::to_owned);
        Some(Self {
            code: e.get("code").and_then(serde_json::Value::as_i64).unwrap_or(0),
            title: text("title").or_else(|| text("message")).unwrap_or_else(|| "unknown error".into()),
            details: e.pointer("/error_data/details").and_then(serde_json::Value::as_str).map(str::to_owned),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::MessageStatus::*;

    #[test]
    fn statuses_only_move_forward() {
        assert_eq!(Queued.advance(Sent), Some(Sent));
        assert_eq!(Sent.advance(Read), Some(Read));
        assert_eq!(Read.advance(Delivered), None, "a late delivered never downgrades read");
        assert_eq!(Delivered.advance(Sent), None);
        assert_eq!(Sent.advance(Sent), None);
    }

    #[test]
    fn failed_wins_and_is_final() {
        assert_eq!(Read.advance(Failed), Some(Failed));
        assert_eq!(Queued.advance(Failed), Some(Failed));
        assert_eq!(Failed.advance(Read), None);
        assert_eq!(Failed.advance(Failed), None);
    }

    #[test]
    fn any_order_of_arrival_ends_in_the_same_status() {
        let all = [Sent, Delivered, Read];
        let perms = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
        for p in perms {
            let mut s = Queued;
            for i in p {
                if let Some(n) = s.advance(all[i]) {
                    s = n;
                }
            }
            assert_eq!(s, Read, "{p:?}");
        }
    }
}
