//! Turns: threads and their owners, customers' turns and their queue, automated responses.

pub mod entities;
pub(crate) mod mapping;
pub mod queue;
pub mod reads;
pub mod repository;
