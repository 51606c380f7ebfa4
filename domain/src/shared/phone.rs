//! Value objects for the identifiers Meta uses. Each one parses; an invalid value cannot exist.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("phone numbers must be E.164: '+' then 8 to 15 digits, not starting with 0")]
    NotE164,
    #[error("a WhatsApp id is 8 to 15 digits")]
    BadWaId,
    #[error("a Meta id is 1 to 32 digits")]
    BadMetaId,
}

/// An E.164 phone number such as `+5511987654321`.
///
/// Visual separators (spaces, dashes, dots, parentheses) are accepted and removed; anything
/// else is rejected.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(raw: &str) -> Result<Self, PhoneError> {
        let trimmed = raw.trim();
        let rest = trimmed.strip_prefix('+').ok_or(PhoneError::NotE164)?;
        let digits: String = rest.chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')')).collect();
        if !(8..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.starts_with('0') {
            return Err(PhoneError::NotE164);
        }
        Ok(Self(format!("+{digits}")))
    }

    /// A number as people write it: E.164 (`+55 11 98765-4321`), `00` and the country code, or a
    /// national number (`(11) 98765-4321`) read in `default_country` (ISO 3166 alpha-2, `BR`),
    /// with the `phonenumber` crate (libphonenumber's metadata).
    pub fn parse_in(raw: &str, default_country: Option<&str>) -> Result<Self, PhoneError> {
        let trimmed = raw.trim();
        if trimmed.starts_with('+') {
            return Self::parse(trimmed);
        }
        if let Some(rest) = trimmed.strip_prefix("00") {
            return Self::parse(&format!("+{rest}"));
        }
        let country = default_country
            .and_then(|c| c.trim().to_ascii_uppercase().parse::<phonenumber::country::Id>().ok())
            .ok_or(PhoneError::NotE164)?;
        let n = phonenumber::parse(Some(country), trimmed).map_err(|_| PhoneError::NotE164)?;
        Self::parse(&n.format().mode(phonenumber::Mode::E164).to_string())
    }

    /// The number without the `+`: the form Meta uses as `wa_id` and in `to`.
    pub fn digits(&self) -> &str {
        &self.0[1..]
    }

    pub fn to_wa_id(&self) -> WaId {
        WaId(self.digits().to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = PhoneError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<PhoneNumber> for String {
    fn from(p: PhoneNumber) -> Self {
        p.0
    }
}
impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A WhatsApp user id: the digits Meta puts in `contacts[].wa_id` and `messages[].from`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WaId(String);

impl WaId {
    pub fn parse(raw: &str) -> Result<Self, PhoneError> {
        let s = raw.trim().trim_start_matches('+');
        if !(8..=15).contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PhoneError::BadWaId);
        }
        Ok(Self(s.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The E.164 form of this id (`+` and the digits).
    pub fn to_phone(&self) -> String {
        format!("+{}", self.0)
    }
}
impl TryFrom<String> for WaId {
    type Error = PhoneError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<WaId> for String {
    fn from(p: WaId) -> Self {
        p.0
    }
}
impl fmt::Display for WaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! meta_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(raw: &str) -> Result<Self, PhoneError> {
                let s = raw.trim();
                if s.is_empty() || s.len() > 32 || !s.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(PhoneError::BadMetaId);
                }
                Ok(Self(s.to_owned()))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl TryFrom<String> for $name {
            type Error = PhoneError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }
        impl From<$name> for String {
            fn from(p: $name) -> Self {
                p.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

meta_id!(
    /// Meta's id of a business phone number (`metadata.phone_number_id`).
    PhoneNumberId
);
meta_id!(
    /// A WhatsApp Business Account id.
    WabaId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_numbers_are_read_in_the_default_country() {
        let p = |raw: &str, c: Option<&str>| PhoneNumber::parse_in(raw, c).map(|p| p.to_string());
        assert_eq!(p("(11) 98765-4321", Some("BR")).unwrap(), "+5511987654321");
        assert_eq!(p("011 98765 4321", Some("br")).unwrap(), "+5511987654321");
        assert_eq!(p("07911 123456", Some("GB")).unwrap(), "+447911123456");
        assert_eq!(p("+1 (555) 000-1111", None).unwrap(), "+15550001111");
        assert_eq!(p("0044 7911 123456", None).unwrap(), "+447911123456");
        assert!(p("98765-4321", None).is_err(), "a national number needs a country");
        assert!(p("hello", Some("BR")).is_err());
        assert!(p("123", Some("XX")).is_err());
    }

    #[test]
    fn e164_accepts_and_normalises() {
        let p = PhoneNumber::parse(" +55 (11) 98765-4321 ").unwrap();
        assert_eq!(p.as_str(), "+5511987654321");
        assert_eq!(p.to_wa_id().as_str(), "5511987654321");
    }

    #[test]
    fn e164_rejects() {
        for bad in ["5511987654321", "+0123456789", "+123", "+1234567890123456", "+55abc12345678", ""] {
            assert_eq!(PhoneNumber::parse(bad), Err(PhoneError::NotE164), "{bad}");
        }
    }

    #[test]
    fn wa_id_and_meta_ids() {
        assert!(WaId::parse("16505551234").is_ok());
        assert!(WaId::parse("+16505551234").is_ok());
        assert!(WaId::parse("1650555").is_err());
        assert!(PhoneNumberId::parse("106540352242922").is_ok());
        assert!(PhoneNumberId::parse("abc").is_err());
        assert!(WabaId::parse("").is_err());
    }
}
