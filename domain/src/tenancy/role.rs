//! The roles of shop API keys.

use serde::{Deserialize, Serialize};

/// What a shop API key may do. `viewer` reads; `agent` also messages; `admin` also configures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Agent,
    Admin,
}

impl Role {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Agent => "agent",
            Self::Admin => "admin",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "viewer" => Some(Self::Viewer),
            "agent" => Some(Self::Agent),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }
    /// Roles are ordered: admin ⊇ agent ⊇ viewer.
    pub fn allows(&self, needed: Role) -> bool {
        *self >= needed
    }
}

#[cfg(test)]
mod tests {
    use super::Role::*;

    #[test]
    fn roles_are_nested() {
        assert!(Admin.allows(Agent) && Admin.allows(Viewer) && Agent.allows(Viewer));
        assert!(!Viewer.allows(Agent) && !Agent.allows(Admin));
    }
}
