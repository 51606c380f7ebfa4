//! A segment: a named, saved audience of a shop's customers, evaluated live. A "group" of
//! customers is a segment on a tag, so there is no second mechanism.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::audience::Group;
use super::fields::{FieldDefinition, FieldError};
use crate::ShopId;

#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub id: Uuid,
    pub shop_id: ShopId,
    pub name: String,
    /// The definition as the merchant wrote it (parsed again, against the current field
    /// definitions, each time it is evaluated).
    pub definition: Value,
    pub created_at: DateTime<Utc>,
}

pub const MAX_SEGMENT_NAME_CHARS: usize = 128;

impl Segment {
    /// A new segment, its definition checked.
    pub fn new(
        shop_id: ShopId,
        name: &str,
        definition: Value,
        defs: &[FieldDefinition],
        now: DateTime<Utc>,
    ) -> Result<(Self, Group), FieldError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_SEGMENT_NAME_CHARS {
            return Err(FieldError { field: "name".into(), reason: format!("1 to {MAX_SEGMENT_NAME_CHARS} characters") });
        }
        let group = Group::parse(&definition, defs, "definition")?;
        Ok((Self { id: Uuid::now_v7(), shop_id, name: name.to_owned(), definition, created_at: now }, group))
    }

    /// Its audience under the shop's current field definitions.
    pub fn audience(&self, defs: &[FieldDefinition]) -> Result<Group, FieldError> {
        Group::parse(&self.definition, defs, "definition")
    }
}
