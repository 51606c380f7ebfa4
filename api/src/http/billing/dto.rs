//! Bodies of the billing routes.

use poem_openapi::Object;

use domain::billing::RateCard;
use domain::billing::rate_card::format_amount;

/// One price.
#[derive(Object, serde::Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RateRequest {
    /// Meta's pricing category as its webhooks name it: `marketing`, `utility`,
    /// `authentication`, `authentication_international`, `service`, …
    #[oai(validator(pattern = "^[A-Za-z_]{1,64}$"))]
    pub category: String,
    /// The recipient's calling code, or more digits (`55`, `1`, `5511`); absent or empty: any
    /// market. The longest matching prefix wins.
    #[oai(validator(pattern = r"^\+?[0-9]{0,6}$"))]
    pub prefix: Option<String>,
    /// Per message, in the card's currency, as a decimal string (`"0.0625"`; at most 6 decimals).
    #[oai(validator(pattern = r"^[0-9]{0,6}(\.[0-9]{0,6})?$", min_length = 1))]
    pub price: String,
}

/// The whole card: it replaces the shop's.
#[derive(Object, serde::Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RateCardRequest {
    /// ISO 4217 (`USD`, `BRL`, `EUR`).
    #[oai(validator(pattern = "^[A-Za-z]{3}$"))]
    pub currency: String,
    #[oai(validator(max_items = 500))]
    pub rates: Vec<RateRequest>,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct RateDto {
    pub category: String,
    /// Empty: any market.
    pub prefix: String,
    /// Six decimals.
    pub price: String,
}

#[derive(Object)]
#[oai(rename_all = "camelCase")]
pub struct RateCardDto {
    pub currency: String,
    pub rates: Vec<RateDto>,
}

impl From<&RateCard> for RateCardDto {
    fn from(c: &RateCard) -> Self {
        Self {
            currency: c.currency.clone(),
            rates: c
                .rates
                .iter()
                .map(|r| RateDto { category: r.category.clone(), prefix: r.prefix.clone(), price: format_amount(r.price_micros) })
                .collect(),
        }
    }
}
