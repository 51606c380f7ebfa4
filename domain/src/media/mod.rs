//! Media: the files customers send (fetched from Meta and kept) and the files shops upload to
//! send, with Meta's rules for each kind.

pub mod events;
pub mod media_file;
pub mod rules;

pub use events::{MediaEvent, MediaFailed, MediaStored};
pub use media_file::{ChecksumMismatch, MediaFile, MediaFileSnapshot, MediaState, Origin};
pub use rules::{CheckedUpload, MediaKind, MediaProblem, check_upload};
