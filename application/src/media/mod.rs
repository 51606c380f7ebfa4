//! Media: customers' files fetched from Meta and kept in the media store; files shops upload
//! to send; each shop's retention policy.

pub mod apply_retention;
pub mod fetch_media;
pub mod get_media;
pub mod media_settings;
pub mod ports;
pub mod send_media;
pub mod upload_media;
