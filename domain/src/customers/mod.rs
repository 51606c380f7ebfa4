//! Customers: the people who write to a shop, and their consent.

pub mod audience;
pub mod consent;
pub mod customer;
pub mod events;
pub mod fields;
pub mod keywords;
pub mod segment;

pub use audience::{Condition, FieldOp, Group, TimeRange};
pub use consent::{
    ConsentChange, ConsentEntry, ConsentError, ConsentRefusal, ConsentSource, ConsentState, OptInConsent, OptInStatus, Outgoing, Purpose,
    may_send,
};
pub use customer::{Customer, CustomerSnapshot, MAX_TAG_CHARS, ProfileChange, ProfileError, TagError, UpdateError};
pub use events::{CustomerCreated, CustomerErased, CustomerEvent, CustomerOptInChanged, CustomerUpdated};
pub use fields::{FieldDefinition, FieldError, FieldType, check_required, check_values};
pub use keywords::{ConsentSettings, KeywordMatch, SettingsError, fold};
pub use segment::Segment;
