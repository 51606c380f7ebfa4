//! Rows ↔ tenancy types.

use application::RepoError;
use application::tenancy::ports::{ApiKeyRecord, Shop};
use domain::tenancy::Role;

use super::entities::{api_keys, shops};
use crate::persistence::corrupt;
use application::RepoResult;

pub(super) fn shop(m: shops::Model) -> Shop {
    Shop { id: m.id.into(), name: m.name, created_at: m.created_at }
}

pub(super) fn api_key(m: api_keys::Model) -> Result<ApiKeyRecord, RepoError> {
    Ok(ApiKeyRecord {
        id: m.id.into(),
        shop_id: m.shop_id.into(),
        name: m.name,
        role: Role::parse(&m.role).ok_or_else(|| corrupt("role", &m.role))?,
        key_hash: m.key_hash,
        key_prefix: m.key_prefix,
        member_id: m.member_id.map(Into::into),
        created_at: m.created_at,
    })
}

/// Business hours as stored: `{"monday": [["09:00", "18:00"]], …}`.
fn hours_json(hours: &[Vec<(String, String)>; 7]) -> serde_json::Value {
    serde_json::Value::Object(
        domain::tenancy::settings::WEEKDAYS
            .iter()
            .zip(hours.iter())
            .map(|(day, iv)| ((*day).to_owned(), serde_json::json!(iv.iter().map(|(o, c)| [o, c]).collect::<Vec<_>>())))
            .collect(),
    )
}

pub(crate) fn settings_row(
    shop: domain::ShopId,
    s: &domain::tenancy::ShopSettings,
    now: chrono::DateTime<chrono::Utc>,
) -> super::entities::shop_settings::ActiveModel {
    use sea_orm::ActiveValue::Set;
    let d = s.to_draft();
    super::entities::shop_settings::ActiveModel {
        shop_id: Set(shop.as_uuid()),
        time_zone: Set(d.time_zone),
        business_hours: Set(d.business_hours.as_ref().map(hours_json)),
        closed_dates: Set(serde_json::json!(d.closed_dates)),
        turn_quiet_ms: Set(d.turn_quiet_ms as i32),
        hand_back_hours: Set(d.hand_back_hours as i32),
        updated_at: Set(now),
    }
}

pub(crate) fn settings(
    m: super::entities::shop_settings::Model,
) -> RepoResult<(domain::tenancy::ShopSettings, chrono::DateTime<chrono::Utc>)> {
    let bad = |what: &str| crate::persistence::corrupt("shop settings", format!("{}: {what}", m.shop_id));
    let business_hours = match &m.business_hours {
        None | Some(serde_json::Value::Null) => None,
        Some(v) => {
            let days: std::collections::HashMap<String, Vec<(String, String)>> =
                serde_json::from_value(v.clone()).map_err(|_| bad("business hours"))?;
            Some(std::array::from_fn(|i| days.get(domain::tenancy::settings::WEEKDAYS[i]).cloned().unwrap_or_default()))
        }
    };
    let draft = domain::tenancy::SettingsDraft {
        time_zone: m.time_zone.clone(),
        business_hours,
        closed_dates: serde_json::from_value(m.closed_dates.clone()).map_err(|_| bad("closed dates"))?,
        turn_quiet_ms: u32::try_from(m.turn_quiet_ms).map_err(|_| bad("quiet time"))?,
        hand_back_hours: u32::try_from(m.hand_back_hours).map_err(|_| bad("hand-back hours"))?,
    };
    let s = domain::tenancy::ShopSettings::parse(&draft).map_err(|_| bad("the settings no longer pass their rules"))?;
    Ok((s, m.updated_at))
}
