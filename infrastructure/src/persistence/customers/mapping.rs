//! Rows ↔ the Customer aggregate.

use sea_orm::ActiveValue::Set;
use serde_json::Value;

use application::RepoError;
use domain::WaId;
use domain::customers::{ConsentSource, Customer, CustomerSnapshot, OptInConsent, OptInStatus};

use super::entities::customers;
use crate::persistence::corrupt;
use crate::persistence::sql::json_len;

pub(crate) const COLUMNS: usize = 15;

/// Estimated encoded size of a customer row.
pub(crate) fn customer_bytes(c: &Customer) -> usize {
    let s = c.snapshot();
    220 + s.name.as_ref().map_or(0, String::len)
        + s.user_id.as_ref().map_or(0, String::len)
        + json_len(&s.tags)
        + json_len(&s.custom_fields)
}

/// The columns of a stored customer that change.
pub(crate) const CHANGING_COLUMNS: [&str; 10] = [
    "user_id",
    "name",
    "profile_picture_url",
    "opt_in_status",
    "opt_in_source",
    "opt_in_at",
    "tags",
    "custom_fields",
    "last_inbound_at",
    "updated_at",
];

/// A customer's id, loaded version and new values of [`CHANGING_COLUMNS`], with an estimate of
/// their encoded size.
pub(crate) fn customer_changes(c: &Customer) -> (uuid::Uuid, i64, Vec<sea_orm::Value>, usize) {
    let s = c.snapshot();
    let values = vec![
        s.user_id.clone().into(),
        s.name.clone().into(),
        s.profile_picture_url.clone().into(),
        s.consent.status.as_str().to_owned().into(),
        s.consent.source.map(|x| x.as_str().to_owned()).into(),
        s.consent.at.into(),
        serde_json::to_value(&s.tags).unwrap_or(Value::Null).into(),
        serde_json::to_value(&s.custom_fields).unwrap_or(Value::Null).into(),
        s.last_inbound_at.into(),
        s.updated_at.into(),
    ];
    (s.id.as_uuid(), s.version, values, customer_bytes(c) - 60)
}

pub(crate) fn customer(m: customers::Model) -> Result<Customer, RepoError> {
    Ok(Customer::restore(CustomerSnapshot {
        id: m.id.into(),
        shop_id: m.shop_id.into(),
        wa_id: WaId::parse(&m.wa_id).map_err(|e| corrupt("wa_id", e))?,
        user_id: m.user_id,
        name: m.name,
        profile_picture_url: m.profile_picture_url,
        consent: OptInConsent {
            status: OptInStatus::parse(&m.opt_in_status).ok_or_else(|| corrupt("opt_in_status", &m.opt_in_status))?,
            source: m.opt_in_source.as_deref().and_then(ConsentSource::parse),
            at: m.opt_in_at,
        },
        tags: serde_json::from_value(m.tags).map_err(|e| corrupt("tags", e))?,
        custom_fields: serde_json::from_value(m.custom_fields).map_err(|e| corrupt("custom_fields", e))?,
        first_contacted_at: m.first_contacted_at,
        last_inbound_at: m.last_inbound_at,
        updated_at: m.updated_at,
        version: m.version,
    }))
}

/// The row to insert.
pub(crate) fn customer_row(c: &Customer) -> customers::ActiveModel {
    let s = c.snapshot();
    customers::ActiveModel {
        id: Set(s.id.as_uuid()),
        shop_id: Set(s.shop_id.as_uuid()),
        wa_id: Set(s.wa_id.to_string()),
        user_id: Set(s.user_id.clone()),
        name: Set(s.name.clone()),
        profile_picture_url: Set(s.profile_picture_url.clone()),
        opt_in_status: Set(s.consent.status.as_str().to_owned()),
        opt_in_source: Set(s.consent.source.map(|x| x.as_str().to_owned())),
        opt_in_at: Set(s.consent.at),
        tags: Set(serde_json::to_value(&s.tags).unwrap_or(Value::Null)),
        custom_fields: Set(serde_json::to_value(&s.custom_fields).unwrap_or(Value::Null)),
        first_contacted_at: Set(s.first_contacted_at),
        last_inbound_at: Set(s.last_inbound_at),
        updated_at: Set(s.updated_at),
        version: Set(s.version),
    }
}
