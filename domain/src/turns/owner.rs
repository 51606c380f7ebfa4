//! Who answers a customer's thread: nobody (the automated responders, in the chain's order) or
//! people. The automation and AI issues add `flow` and `ai`.

use serde::Serialize;
use serde::ser::SerializeStruct;

use crate::MemberId;

/// Who answers a thread. The automation and AI issues add `flow` and `ai`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Owner {
    /// The automated responders answer, in the chain's order.
    #[default]
    None,
    /// People answer (optionally one teammate); the automated responders stay silent.
    People { member: Option<MemberId> },
}

impl Owner {
    /// As stored and on the wire: `none`, `people`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::None => "none",
            Self::People { .. } => "people",
        }
    }
    pub fn member(&self) -> Option<MemberId> {
        match self {
            Self::People { member } => *member,
            Self::None => None,
        }
    }
    pub fn parse(kind: &str, member: Option<MemberId>) -> Option<Self> {
        match kind {
            "none" => Some(Self::None),
            "people" => Some(Self::People { member }),
            _ => None,
        }
    }
}

impl Serialize for Owner {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut o = s.serialize_struct("Owner", 2)?;
        o.serialize_field("type", self.kind())?;
        o.serialize_field("memberId", &self.member())?;
        o.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_owner_is_shown_as_type_and_member() {
        let m = MemberId::new();
        assert_eq!(serde_json::to_value(Owner::People { member: Some(m) }).unwrap(), serde_json::json!({"type": "people", "memberId": m}));
        assert_eq!(serde_json::to_value(Owner::None).unwrap(), serde_json::json!({"type": "none", "memberId": null}));
        assert_eq!(Owner::parse("people", None), Some(Owner::People { member: None }));
        assert_eq!(Owner::parse("robot", None), None);
    }
}
