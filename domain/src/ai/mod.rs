//! The AI agent: an LLM persona answering for a shop (the runtime arrives with the AI issue).

pub mod agent;

pub use agent::{AgentError, AgentPersonality, AiAgent, Tone};
