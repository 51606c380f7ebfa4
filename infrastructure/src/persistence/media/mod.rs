//! Media: the rows of the files the service keeps (their bytes are in the media store), the
//! fetch queue, and each shop's retention policy.

pub mod entities;
pub mod mapping;
pub mod queue;
pub mod reads;
pub mod repository;
