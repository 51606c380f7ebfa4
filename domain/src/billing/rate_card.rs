//! A shop's rate card: a price per pricing category (`marketing`, `utility`, `authentication`,
//! …, as Meta's webhooks name them) and recipient market, the market given as a calling-code
//! prefix of the recipient's number (`55` Brazil, `1` North America, `` everywhere else). The
//! longest matching prefix wins. Amounts are kept in millionths of the currency unit, so sums
//! never drift.

use serde::{Deserialize, Serialize};

use crate::shared::problem::Problem;

/// Millionths of a currency unit per unit.
const MICROS: i64 = 1_000_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rate {
    /// Meta's pricing category, lowercase.
    pub category: String,
    /// Digits the recipient's number starts with (its calling code, or more); empty: any.
    pub prefix: String,
    /// Millionths of the currency unit per message.
    pub price_micros: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateCard {
    /// ISO 4217, uppercase (`USD`, `BRL`, `EUR`).
    pub currency: String,
    pub rates: Vec<Rate>,
}

/// What a set of billable messages cost.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cost {
    pub amount_micros: i64,
    /// Billable messages with a rate.
    pub priced: u64,
    /// Billable messages no rate matched (their category or market is not on the card).
    pub unpriced: u64,
}

pub const MAX_RATES: usize = 500;

/// `"0.0625"` → 62,500 millionths; at most six decimals, not negative.
pub fn parse_amount(s: &str) -> Option<i64> {
    let s = s.trim();
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() && frac.is_empty() || frac.len() > 6 || !whole.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().ok().filter(|w: &i64| *w < 1_000_000)? };
    let frac: i64 = format!("{frac:0<6}").parse().ok()?;
    Some(whole * MICROS + frac)
}

/// 62,500 millionths → `"0.062500"`.
pub fn format_amount(micros: i64) -> String {
    let sign = if micros < 0 { "-" } else { "" };
    let m = micros.unsigned_abs();
    format!("{sign}{}.{:06}", m / MICROS as u64, m % MICROS as u64)
}

impl RateCard {
    /// A card from what the merchant sent: `(category, prefix, price)` each. Every problem is
    /// named at once (`rates[3].price`, …).
    pub fn parse(currency: &str, rates: &[(String, String, String)]) -> Result<Self, Vec<Problem>> {
        let mut problems = Vec::new();
        let problem = |field: String, reason: &str| Problem { field, reason: reason.to_owned() };
        let currency = currency.trim().to_ascii_uppercase();
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            problems.push(problem("currency".into(), "must be an ISO 4217 code such as USD or BRL"));
        }
        if rates.len() > MAX_RATES {
            problems.push(problem("rates".into(), "at most 500 rates"));
        }
        let mut out: Vec<Rate> = Vec::with_capacity(rates.len());
        for (i, (category, prefix, price)) in rates.iter().enumerate() {
            let category = category.trim().to_ascii_lowercase();
            let prefix = prefix.trim().trim_start_matches('+').to_owned();
            if category.is_empty() || category.len() > 64 || !category.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
                problems.push(problem(
                    format!("rates[{i}].category"),
                    "must be Meta's pricing category (marketing, utility, authentication, …)",
                ));
            }
            if prefix.len() > 6 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
                problems.push(problem(format!("rates[{i}].prefix"), "must be up to 6 digits of a calling code (empty: any market)"));
            }
            let Some(price_micros) = parse_amount(price) else {
                problems.push(problem(format!("rates[{i}].price"), "must be a decimal amount such as 0.0625 (at most 6 decimals)"));
                continue;
            };
            if out.iter().any(|r| r.category == category && r.prefix == prefix) {
                problems.push(problem(format!("rates[{i}]"), "the same category and prefix twice"));
                continue;
            }
            out.push(Rate { category, prefix, price_micros });
        }
        if problems.is_empty() { Ok(Self { currency, rates: out }) } else { Err(problems) }
    }

    /// The price of one message of `category` to the number with these leading digits.
    pub fn price(&self, category: &str, recipient_digits: &str) -> Option<i64> {
        self.rates
            .iter()
            .filter(|r| r.category.eq_ignore_ascii_case(category) && recipient_digits.starts_with(&r.prefix))
            .max_by_key(|r| r.prefix.len())
            .map(|r| r.price_micros)
    }

    /// The cost of billable messages counted by `(category, the recipient's leading digits)`.
    pub fn cost<'a>(&self, counts: impl IntoIterator<Item = (&'a str, &'a str, u64)>) -> Cost {
        let mut cost = Cost::default();
        for (category, digits, n) in counts {
            match self.price(category, digits) {
                Some(p) => {
                    cost.amount_micros += p * n as i64;
                    cost.priced += n;
                }
                None => cost.unpriced += n,
            }
        }
        cost
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rates(list: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
        list.iter().map(|(c, p, v)| (c.to_string(), p.to_string(), v.to_string())).collect()
    }

    #[test]
    fn amounts_parse_to_millionths_and_back() {
        for (s, m) in
            [("0.0625", Some(62_500)), ("1", Some(1_000_000)), ("0.000001", Some(1)), (".5", Some(500_000)), ("12.30", Some(12_300_000))]
        {
            assert_eq!(parse_amount(s), m, "{s}");
        }
        for bad in ["", ".", "-1", "0.0000001", "1e3", "abc", "1,5"] {
            assert_eq!(parse_amount(bad), None, "{bad}");
        }
        assert_eq!(format_amount(62_500), "0.062500");
        assert_eq!(format_amount(12_300_000), "12.300000");
    }

    #[test]
    fn the_longest_prefix_wins_and_unknown_markets_stay_unpriced() {
        let card = RateCard::parse(
            "usd",
            &rates(&[
                ("marketing", "", "0.0625"),
                ("marketing", "55", "0.0625"),
                ("marketing", "5511", "0.05"),
                ("utility", "55", "0.008"),
            ]),
        )
        .unwrap();
        assert_eq!(card.currency, "USD");
        assert_eq!(card.price("marketing", "5521987654321"), Some(62_500));
        assert_eq!(card.price("MARKETING", "5511987654321"), Some(50_000));
        assert_eq!(card.price("utility", "15550001111"), None, "no utility rate outside 55");
        let cost = card.cost([("marketing", "5511", 10), ("utility", "5521", 100), ("utility", "1555", 3), ("service", "5511", 7)]);
        assert_eq!(cost, Cost { amount_micros: 10 * 50_000 + 100 * 8_000, priced: 110, unpriced: 10 });
    }

    #[test]
    fn a_bad_card_names_every_problem() {
        let e = RateCard::parse(
            "dollars",
            &rates(&[("Marketing!", "+55", "0.06"), ("utility", "55a", "-1"), ("utility", "", "0.01"), ("utility", "", "0.02")]),
        )
        .unwrap_err();
        let fields: Vec<&str> = e.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["currency", "rates[0].category", "rates[1].prefix", "rates[1].price", "rates[3]"]);
    }
}
