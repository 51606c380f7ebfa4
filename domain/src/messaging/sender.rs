//! Who sent an outbound message: a caller of the API (by its key), a teammate, an automation
//! flow's execution, an AI agent, a campaign, or the service itself (with what for). Stored and
//! logged as `kind:id` (`api-key:…`, the audit log's way to name a key); published and shown as
//! `{"type": "api_key", "id": "…"}`.

use serde::Serialize;
use serde::ser::SerializeStruct;

use crate::{AiAgentId, ApiKeyId, MemberId};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Sender {
    ApiKey(ApiKeyId),
    Member(MemberId),
    /// An automation flow's execution (its id type arrives with the automation context).
    FlowExecution(uuid::Uuid),
    AiAgent(AiAgentId),
    /// A campaign (its id type arrives with the campaigns context).
    Campaign(uuid::Uuid),
    /// The service itself: what for, in snake_case (`consent_confirmation`).
    System(String),
}

impl Sender {
    /// The consent feature's confirmation of a STOP or START keyword.
    pub fn consent_confirmation() -> Self {
        Self::System("consent_confirmation".into())
    }

    /// Its type on the wire (`api_key`, `member`, `flow_execution`, `ai_agent`, `campaign`, `system`).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::ApiKey(_) => "api_key",
            Self::Member(_) => "member",
            Self::FlowExecution(_) => "flow_execution",
            Self::AiAgent(_) => "ai_agent",
            Self::Campaign(_) => "campaign",
            Self::System(_) => "system",
        }
    }

    /// Its id on the wire: the key's, teammate's, execution's, agent's or campaign's id, or what
    /// the service sent it for.
    pub fn id(&self) -> String {
        match self {
            Self::ApiKey(id) => id.to_string(),
            Self::Member(id) => id.to_string(),
            Self::FlowExecution(id) | Self::Campaign(id) => id.to_string(),
            Self::AiAgent(id) => id.to_string(),
            Self::System(what) => what.clone(),
        }
    }

    /// As stored: `api-key:<uuid>`, `member:<uuid>`, …, `system:<what>`.
    pub fn to_stored(&self) -> String {
        format!("{}:{}", self.kind().replace('_', "-"), self.id())
    }

    pub fn parse_stored(s: &str) -> Option<Self> {
        let (kind, id) = s.split_once(':')?;
        let uuid = || uuid::Uuid::parse_str(id).ok();
        Some(match kind {
            "api-key" => Self::ApiKey(uuid()?.into()),
            "member" => Self::Member(uuid()?.into()),
            "flow-execution" => Self::FlowExecution(uuid()?),
            "ai-agent" => Self::AiAgent(uuid()?.into()),
            "campaign" => Self::Campaign(uuid()?),
            "system" if !id.is_empty() => Self::System(id.to_owned()),
            _ => return None,
        })
    }
}

impl Serialize for Sender {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut o = s.serialize_struct("Sender", 2)?;
        o.serialize_field("type", self.kind())?;
        o.serialize_field("id", &self.id())?;
        o.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sender_is_stored_and_read_back_and_shown_as_type_and_id() {
        let key = ApiKeyId::new();
        for s in [
            Sender::ApiKey(key),
            Sender::Member(MemberId::new()),
            Sender::FlowExecution(uuid::Uuid::now_v7()),
            Sender::AiAgent(AiAgentId::new()),
            Sender::Campaign(uuid::Uuid::now_v7()),
            Sender::consent_confirmation(),
        ] {
            assert_eq!(Sender::parse_stored(&s.to_stored()), Some(s.clone()), "{}", s.to_stored());
        }
        assert_eq!(Sender::ApiKey(key).to_stored(), format!("api-key:{key}"), "as the audit log names a key");
        assert_eq!(
            serde_json::to_value(Sender::consent_confirmation()).unwrap(),
            serde_json::json!({"type": "system", "id": "consent_confirmation"})
        );
        assert_eq!(Sender::parse_stored("api-key:not-a-uuid"), None);
        assert_eq!(Sender::parse_stored("robot:1"), None);
    }
}
