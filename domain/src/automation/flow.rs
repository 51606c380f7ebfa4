//! The AutomationFlow aggregate (rule-based flows). The structure and its invariants are here;
//! the engine that runs flows arrives with the automation issue.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashSet;

use crate::{FlowId, ShopId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerType {
    Keyword,
    Event,
    Schedule,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepAction {
    SendMessage,
    TagCustomer,
    CallWebhook,
    Delay,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowStep {
    pub order: u32,
    pub action: StepAction,
    pub config: Value,
    pub conditions: Option<Value>,
    pub next_step: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlowError {
    #[error("a flow needs at least one step")]
    Empty,
    #[error("step {0} appears twice")]
    DuplicateStep(u32),
    #[error("step {from} points to missing step {to}")]
    DanglingNext { from: u32, to: u32 },
    #[error("the steps form a cycle through step {0}")]
    Cycle(u32),
    #[error("a flow name is 1 to 100 characters")]
    BadName,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AutomationFlow {
    pub(crate) id: FlowId,
    pub(crate) shop_id: ShopId,
    pub(crate) name: String,
    pub(crate) trigger_type: TriggerType,
    pub(crate) trigger_config: Value,
    pub(crate) steps: Vec<FlowStep>,
    pub(crate) is_active: bool,
}

impl AutomationFlow {
    pub fn new(shop_id: ShopId, name: &str, trigger_type: TriggerType, trigger_config: Value) -> Result<Self, FlowError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(FlowError::BadName);
        }
        Ok(Self { id: FlowId::new(), shop_id, name: name.to_owned(), trigger_type, trigger_config, steps: vec![], is_active: false })
    }

    pub fn add_step(&mut self, action: StepAction, config: Value, conditions: Option<Value>) -> u32 {
        let order = self.steps.iter().map(|s| s.order).max().map_or(1, |m| m + 1);
        if let Some(last) = self.steps.iter_mut().find(|s| s.next_step.is_none()) {
            last.next_step = Some(order);
        }
        self.steps.push(FlowStep { order, action, config, conditions, next_step: None });
        order
    }

    /// Every step exists once, every `next_step` exists, and following them never loops.
    pub fn validate_flow(&self) -> Result<(), FlowError> {
        if self.steps.is_empty() {
            return Err(FlowError::Empty);
        }
        let mut seen = HashSet::new();
        for s in &self.steps {
            if !seen.insert(s.order) {
                return Err(FlowError::DuplicateStep(s.order));
            }
        }
        for s in &self.steps {
            if let Some(n) = s.next_step
                && !seen.contains(&n)
            {
                return Err(FlowError::DanglingNext { from: s.order, to: n });
            }
        }
        for start in &self.steps {
            let mut visited = HashSet::new();
            let mut cur = Some(start.order);
            while let Some(o) = cur {
                if !visited.insert(o) {
                    return Err(FlowError::Cycle(o));
                }
                cur = self.steps.iter().find(|s| s.order == o).and_then(|s| s.next_step);
            }
        }
        Ok(())
    }

    pub fn id(&self) -> FlowId {
        self.id
    }
    pub fn shop_id(&self) -> ShopId {
        self.shop_id
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn trigger(&self) -> (TriggerType, &Value) {
        (self.trigger_type, &self.trigger_config)
    }
    pub fn steps(&self) -> &[FlowStep] {
        &self.steps
    }
    pub fn is_active(&self) -> bool {
        self.is_active
    }

    pub fn activate(&mut self) -> Result<(), FlowError> {
        self.validate_flow()?;
        self.is_active = true;
        Ok(())
    }

    pub fn deactivate(&mut self) {
        self.is_active = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_flow_with_a_cycle_cannot_be_activated() {
        let mut f = AutomationFlow::new(ShopId::new(), "Welcome", TriggerType::Keyword, json!({"keywords": ["hi"]})).unwrap();
        assert_eq!(f.activate(), Err(FlowError::Empty));
        let a = f.add_step(StepAction::SendMessage, json!({"text": "Hello"}), None);
        let b = f.add_step(StepAction::TagCustomer, json!({"tag": "new"}), None);
        assert!(f.activate().is_ok());
        f.steps.iter_mut().find(|s| s.order == b).unwrap().next_step = Some(a);
        assert!(matches!(f.validate_flow(), Err(FlowError::Cycle(_))));
        f.steps.iter_mut().find(|s| s.order == b).unwrap().next_step = Some(99);
        assert_eq!(f.validate_flow(), Err(FlowError::DanglingNext { from: b, to: 99 }));
    }
}
