//! Automation: rule-based flows (the engine arrives with the automation issue).

pub mod flow;

pub use flow::{AutomationFlow, FlowError, FlowStep, StepAction, TriggerType};
