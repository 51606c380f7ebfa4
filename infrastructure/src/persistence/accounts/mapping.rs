//! Rows ↔ the WhatsAppAccount aggregate.

use sea_orm::ActiveValue::{NotSet, Set};

use application::RepoError;
use domain::accounts::{AccountSnapshot, AccountStatus, MessagingTier, QualityRating, WhatsAppAccount};
use domain::{PhoneNumber, PhoneNumberId, WabaId};

use super::entities::whatsapp_accounts;
use crate::persistence::corrupt;

pub(crate) fn account(m: whatsapp_accounts::Model) -> Result<WhatsAppAccount, RepoError> {
    Ok(WhatsAppAccount::restore(AccountSnapshot {
        id: m.id.into(),
        shop_id: m.shop_id.into(),
        phone_number_id: PhoneNumberId::parse(&m.phone_number_id).map_err(|e| corrupt("phone_number_id", e))?,
        display_phone_number: PhoneNumber::parse(&m.display_phone_number).map_err(|e| corrupt("display_phone_number", e))?,
        waba_id: WabaId::parse(&m.waba_id).map_err(|e| corrupt("waba_id", e))?,
        display_name: m.display_name,
        status: AccountStatus::parse(&m.status).ok_or_else(|| corrupt("account status", &m.status))?,
        messaging_tier: MessagingTier::parse(&m.messaging_tier).ok_or_else(|| corrupt("messaging tier", &m.messaging_tier))?,
        quality_rating: QualityRating::parse(&m.quality_rating).ok_or_else(|| corrupt("quality rating", &m.quality_rating))?,
        throughput_mps: m.throughput_mps.max(1) as u32,
        connected_at: m.connected_at,
        updated_at: m.updated_at,
        version: m.version,
    }))
}

/// The row to write: `version` is the stored one plus `bump`; the token is left as stored
/// unless one is given.
pub(crate) fn account_row(a: &WhatsAppAccount, token: Option<&str>, bump: i64) -> whatsapp_accounts::ActiveModel {
    let s = a.snapshot();
    whatsapp_accounts::ActiveModel {
        id: Set(s.id.as_uuid()),
        shop_id: Set(s.shop_id.as_uuid()),
        phone_number_id: Set(s.phone_number_id.to_string()),
        display_phone_number: Set(s.display_phone_number.to_string()),
        waba_id: Set(s.waba_id.to_string()),
        display_name: Set(s.display_name.clone()),
        access_token_encrypted: token.map_or(NotSet, |t| Set(t.to_owned())),
        status: Set(s.status.as_str().to_owned()),
        messaging_tier: Set(s.messaging_tier.as_str().to_owned()),
        quality_rating: Set(s.quality_rating.as_str().to_owned()),
        throughput_mps: Set(s.throughput_mps as i32),
        connected_at: Set(s.connected_at),
        updated_at: Set(s.updated_at),
        version: Set(s.version + bump),
    }
}
