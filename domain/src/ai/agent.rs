//! The AIAgent aggregate: an LLM persona answering for a shop. The model and its invariants
//! are here; the agent runtime arrives with the AI issue.

use serde::{Deserialize, Serialize};

use crate::{AgentId, ShopId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tone {
    Friendly,
    Professional,
    Casual,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentPersonality {
    pub tone: Tone,
    /// BCP-47-ish language code the agent answers in (e.g. `vi`, `en`).
    pub language: String,
    pub constraints: Vec<String>,
    pub prompt_template: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgentError {
    #[error("an agent name is 1 to 100 characters")]
    BadName,
    #[error("the prompt template must not be empty and at most 8000 characters")]
    BadPrompt,
    #[error("at most 20 constraints of at most 500 characters each")]
    BadConstraints,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AiAgent {
    pub(crate) id: AgentId,
    pub(crate) shop_id: ShopId,
    pub(crate) name: String,
    pub(crate) personality: AgentPersonality,
    pub(crate) is_active: bool,
}

impl AgentPersonality {
    pub fn validate(&self) -> Result<(), AgentError> {
        let p = self.prompt_template.trim();
        if p.is_empty() || p.chars().count() > 8000 {
            return Err(AgentError::BadPrompt);
        }
        if self.constraints.len() > 20 || self.constraints.iter().any(|c| c.chars().count() > 500) {
            return Err(AgentError::BadConstraints);
        }
        Ok(())
    }
}

impl AiAgent {
    pub fn create(shop_id: ShopId, name: &str, personality: AgentPersonality) -> Result<Self, AgentError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(AgentError::BadName);
        }
        personality.validate()?;
        Ok(Self { id: AgentId::new(), shop_id, name: name.to_owned(), personality, is_active: false })
    }

    pub fn update_personality(&mut self, personality: AgentPersonality) -> Result<(), AgentError> {
        personality.validate()?;
        self.personality = personality;
        Ok(())
    }

    pub fn id(&self) -> AgentId {
        self.id
    }
    pub fn shop_id(&self) -> ShopId {
        self.shop_id
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn personality(&self) -> &AgentPersonality {
        &self.personality
    }
    pub fn is_active(&self) -> bool {
        self.is_active
    }

    pub fn activate(&mut self) {
        self.is_active = true;
    }

    pub fn deactivate(&mut self) {
        self.is_active = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_agent_needs_a_prompt() {
        let p = AgentPersonality { tone: Tone::Friendly, language: "en".into(), constraints: vec![], prompt_template: " ".into() };
        assert_eq!(AiAgent::create(ShopId::new(), "Ava", p.clone()).unwrap_err(), AgentError::BadPrompt);
        let ok = AgentPersonality { prompt_template: "You help customers of {shop}.".into(), ..p };
        let mut a = AiAgent::create(ShopId::new(), "Ava", ok).unwrap();
        assert!(!a.is_active());
        a.activate();
        assert!(a.is_active());
    }
}
