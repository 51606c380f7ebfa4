//! Rows ↔ the Customer aggregate.

use sea_orm::ActiveValue::Set;
use serde_json::Value;

use application::RepoError;
use domain::WaId;
use domain::customers::fields::indexed;
use domain::customers::{
    ConsentEntry, ConsentSettings, ConsentSource, ConsentState, Customer, CustomerSnapshot, FieldDefinition, FieldType, OptInConsent,
    OptInStatus, Purpose,
};

use super::entities::{
    consent_entries, consent_settings, custom_field_definitions, customer_field_values, customer_tags, customers, segments,
};
use crate::persistence::corrupt;
use crate::persistence::sql::json_len;

pub(crate) const COLUMNS: usize = 22;

/// Estimated encoded size of a customer row.
pub(crate) fn customer_bytes(c: &Customer) -> usize {
    let s = c.snapshot();
    260 + s.name.as_ref().map_or(0, String::len)
        + s.display_name.as_ref().map_or(0, String::len)
        + s.user_id.as_ref().map_or(0, String::len)
        + json_len(&s.tags)
        + json_len(&s.custom_fields)
}

/// The columns of a stored customer that change.
pub(crate) const CHANGING_COLUMNS: [&str; 18] = [
    "wa_id",
    "erased_at",
    "user_id",
    "name",
    "display_name",
    "language",
    "timezone",
    "profile_picture_url",
    "opt_in_status",
    "opt_in_source",
    "opt_in_at",
    "utility_status",
    "utility_source",
    "utility_at",
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
        s.wa_id.to_string().into(),
        s.erased_at.into(),
        s.user_id.clone().into(),
        s.name.clone().into(),
        s.display_name.clone().into(),
        s.language.clone().into(),
        s.timezone.clone().into(),
        s.profile_picture_url.clone().into(),
        s.consent.marketing.status.as_str().to_owned().into(),
        s.consent.marketing.source.map(|x| x.as_str().to_owned()).into(),
        s.consent.marketing.at.into(),
        s.consent.utility.status.as_str().to_owned().into(),
        s.consent.utility.source.map(|x| x.as_str().to_owned()).into(),
        s.consent.utility.at.into(),
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
        display_name: m.display_name,
        language: m.language,
        timezone: m.timezone,
        profile_picture_url: m.profile_picture_url,
        consent: ConsentState {
            marketing: OptInConsent {
                status: OptInStatus::parse(&m.opt_in_status).ok_or_else(|| corrupt("opt_in_status", &m.opt_in_status))?,
                source: m.opt_in_source.as_deref().and_then(ConsentSource::parse),
                at: m.opt_in_at,
            },
            utility: OptInConsent {
                status: OptInStatus::parse(&m.utility_status).ok_or_else(|| corrupt("utility_status", &m.utility_status))?,
                source: m.utility_source.as_deref().and_then(ConsentSource::parse),
                at: m.utility_at,
            },
        },
        tags: serde_json::from_value(m.tags).map_err(|e| corrupt("tags", e))?,
        custom_fields: serde_json::from_value(m.custom_fields).map_err(|e| corrupt("custom_fields", e))?,
        first_contacted_at: m.first_contacted_at,
        last_inbound_at: m.last_inbound_at,
        updated_at: m.updated_at,
        erased_at: m.erased_at,
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
        display_name: Set(s.display_name.clone()),
        language: Set(s.language.clone()),
        timezone: Set(s.timezone.clone()),
        profile_picture_url: Set(s.profile_picture_url.clone()),
        opt_in_status: Set(s.consent.marketing.status.as_str().to_owned()),
        opt_in_source: Set(s.consent.marketing.source.map(|x| x.as_str().to_owned())),
        opt_in_at: Set(s.consent.marketing.at),
        utility_status: Set(s.consent.utility.status.as_str().to_owned()),
        utility_source: Set(s.consent.utility.source.map(|x| x.as_str().to_owned())),
        utility_at: Set(s.consent.utility.at),
        tags: Set(serde_json::to_value(&s.tags).unwrap_or(Value::Null)),
        custom_fields: Set(serde_json::to_value(&s.custom_fields).unwrap_or(Value::Null)),
        first_contacted_at: Set(s.first_contacted_at),
        last_inbound_at: Set(s.last_inbound_at),
        updated_at: Set(s.updated_at),
        erased_at: Set(s.erased_at),
        version: Set(s.version),
    }
}

pub(crate) fn entry_row(e: &ConsentEntry) -> consent_entries::ActiveModel {
    consent_entries::ActiveModel {
        id: Set(e.id),
        shop_id: Set(e.shop_id.as_uuid()),
        customer_id: Set(e.customer_id.as_uuid()),
        purpose: Set(e.purpose.as_str().to_owned()),
        status: Set(e.status.as_str().to_owned()),
        source: Set(e.source.as_str().to_owned()),
        evidence: Set(e.evidence.clone()),
        actor: Set(e.actor.clone()),
        recorded_at: Set(e.recorded_at),
    }
}

pub(crate) fn entry(m: consent_entries::Model) -> Result<ConsentEntry, RepoError> {
    Ok(ConsentEntry {
        id: m.id,
        shop_id: m.shop_id.into(),
        customer_id: m.customer_id.into(),
        purpose: Purpose::parse(&m.purpose).ok_or_else(|| corrupt("purpose", &m.purpose))?,
        status: OptInStatus::parse(&m.status).ok_or_else(|| corrupt("status", &m.status))?,
        source: ConsentSource::parse(&m.source).ok_or_else(|| corrupt("source", &m.source))?,
        evidence: m.evidence,
        actor: m.actor,
        recorded_at: m.recorded_at,
    })
}

pub(crate) fn settings_row(shop: domain::ShopId, s: &ConsentSettings, now: chrono::DateTime<chrono::Utc>) -> consent_settings::ActiveModel {
    consent_settings::ActiveModel {
        shop_id: Set(shop.as_uuid()),
        require_marketing_opt_in: Set(s.require_marketing_opt_in),
        opt_out_keywords: Set(serde_json::to_value(&s.opt_out_keywords).unwrap_or(Value::Null)),
        opt_in_keywords: Set(serde_json::to_value(&s.opt_in_keywords).unwrap_or(Value::Null)),
        opt_out_reply: Set(s.opt_out_reply.clone()),
        opt_in_reply: Set(s.opt_in_reply.clone()),
        updated_at: Set(now),
    }
}

pub(crate) fn settings(m: consent_settings::Model) -> Result<ConsentSettings, RepoError> {
    Ok(ConsentSettings {
        require_marketing_opt_in: m.require_marketing_opt_in,
        opt_out_keywords: serde_json::from_value(m.opt_out_keywords).map_err(|e| corrupt("opt_out_keywords", e))?,
        opt_in_keywords: serde_json::from_value(m.opt_in_keywords).map_err(|e| corrupt("opt_in_keywords", e))?,
        opt_out_reply: m.opt_out_reply,
        opt_in_reply: m.opt_in_reply,
    })
}

pub(crate) fn definition_row(
    shop: domain::ShopId,
    d: &FieldDefinition,
    now: chrono::DateTime<chrono::Utc>,
) -> custom_field_definitions::ActiveModel {
    custom_field_definitions::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        shop_id: Set(shop.as_uuid()),
        key: Set(d.key.clone()),
        label: Set(d.label.clone()),
        field_type: Set(d.field_type.as_str().to_owned()),
        options: Set(serde_json::to_value(&d.options).unwrap_or(Value::Null)),
        pattern: Set(d.pattern.clone()),
        required: Set(d.required),
        created_at: Set(now),
    }
}

pub(crate) fn definition(m: custom_field_definitions::Model) -> Result<FieldDefinition, RepoError> {
    Ok(FieldDefinition {
        key: m.key,
        label: m.label,
        field_type: FieldType::parse(&m.field_type).ok_or_else(|| corrupt("field_type", &m.field_type))?,
        options: serde_json::from_value(m.options).map_err(|e| corrupt("options", e))?,
        pattern: m.pattern,
        required: m.required,
    })
}

/// The search rows of a customer: one per tag (lowercase, unique), one per custom field value.
pub(crate) fn index_rows(c: &Customer) -> (Vec<customer_tags::ActiveModel>, Vec<customer_field_values::ActiveModel>) {
    let s = c.snapshot();
    let mut keys: Vec<String> = s.tags.iter().map(|t| t.to_lowercase()).collect();
    keys.sort();
    keys.dedup();
    let tags = keys
        .into_iter()
        .map(|k| customer_tags::ActiveModel { shop_id: Set(s.shop_id.as_uuid()), customer_id: Set(s.id.as_uuid()), tag_key: Set(k) })
        .collect();
    let values = s
        .custom_fields
        .iter()
        .flat_map(|(key, v)| indexed(v).into_iter().enumerate().map(move |(i, x)| (key, i, x)))
        .map(|(key, i, x)| customer_field_values::ActiveModel {
            shop_id: Set(s.shop_id.as_uuid()),
            customer_id: Set(s.id.as_uuid()),
            field_key: Set(key.clone()),
            ord: Set(i as i32),
            text_value: Set(x.text),
            number_value: Set(x.number),
        })
        .collect();
    (tags, values)
}

pub(crate) fn segment(m: segments::Model) -> domain::customers::Segment {
    domain::customers::Segment { id: m.id, shop_id: m.shop_id.into(), name: m.name, definition: m.definition, created_at: m.created_at }
}

pub(crate) fn segment_row(s: &domain::customers::Segment) -> segments::ActiveModel {
    segments::ActiveModel {
        id: Set(s.id),
        shop_id: Set(s.shop_id.as_uuid()),
        name: Set(s.name.clone()),
        definition: Set(s.definition.clone()),
        created_at: Set(s.created_at),
    }
}
