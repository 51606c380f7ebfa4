//! Consent: an append-only ledger per purpose, the current state it gives, and the rule every
//! sender obeys (`may_send`). Pure: the time and the shop's settings are passed in.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::shared::category::TemplateCategory;
use crate::{CustomerId, ShopId};

/// What a customer agrees (or refuses) to receive. Authentication templates follow utility.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    Marketing,
    Utility,
}

impl Purpose {
    pub const ALL: [Purpose; 2] = [Purpose::Marketing, Purpose::Utility];
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Marketing => "marketing",
            Self::Utility => "utility",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "marketing" => Some(Self::Marketing),
            "utility" => Some(Self::Utility),
            _ => None,
        }
    }
    /// The purpose a template of this category serves.
    pub fn of(category: TemplateCategory) -> Self {
        match category {
            TemplateCategory::Marketing => Self::Marketing,
            TemplateCategory::Utility | TemplateCategory::Authentication => Self::Utility,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptInStatus {
    OptedIn,
    OptedOut,
    /// No entry yet for the purpose: writing to a shop is not consent to marketing.
    Pending,
}

impl OptInStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::OptedIn => "opted_in",
            Self::OptedOut => "opted_out",
            Self::Pending => "pending",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "opted_in" => Some(Self::OptedIn),
            "opted_out" => Some(Self::OptedOut),
            "pending" => Some(Self::Pending),
            _ => None,
        }
    }
}

/// Where a consent entry came from. `meta` is Meta's own signal (the `user_preferences`
/// webhook, error 131050).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConsentSource {
    Web,
    Whatsapp,
    Manual,
    Api,
    Import,
    Meta,
}

impl ConsentSource {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Web => "web",
            Self::Whatsapp => "whatsapp",
            Self::Manual => "manual",
            Self::Api => "api",
            Self::Import => "import",
            Self::Meta => "meta",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "web" => Some(Self::Web),
            "whatsapp" => Some(Self::Whatsapp),
            "manual" => Some(Self::Manual),
            "api" => Some(Self::Api),
            "import" => Some(Self::Import),
            "meta" => Some(Self::Meta),
            _ => None,
        }
    }
}

/// The current state of one purpose: its latest ledger entry, or pending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptInConsent {
    pub status: OptInStatus,
    pub source: Option<ConsentSource>,
    pub at: Option<DateTime<Utc>>,
}

impl OptInConsent {
    pub const PENDING: Self = Self { status: OptInStatus::Pending, source: None, at: None };
}

/// The current state of every purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsentState {
    pub marketing: OptInConsent,
    pub utility: OptInConsent,
}

impl Default for ConsentState {
    fn default() -> Self {
        Self { marketing: OptInConsent::PENDING, utility: OptInConsent::PENDING }
    }
}

impl ConsentState {
    pub fn of(&self, purpose: Purpose) -> OptInConsent {
        match purpose {
            Purpose::Marketing => self.marketing,
            Purpose::Utility => self.utility,
        }
    }
    pub(crate) fn set(&mut self, purpose: Purpose, c: OptInConsent) {
        match purpose {
            Purpose::Marketing => self.marketing = c,
            Purpose::Utility => self.utility = c,
        }
    }
}

/// A change of consent someone asks for: opted in or out of one purpose, with where it came
/// from, its evidence (the form, the message id, the file) and who recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentChange {
    pub purpose: Purpose,
    pub status: OptInStatus,
    pub source: ConsentSource,
    pub evidence: Option<String>,
    /// The API key (its name and id) or the agent that recorded it; none for the customer's
    /// own signals.
    pub actor: Option<String>,
}

pub const MAX_EVIDENCE_CHARS: usize = 1000;

/// What every refusal to change an erased customer says.
pub const ERASED: &str = "the customer's personal data was erased; the record can no longer change";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConsentError {
    #[error("a consent entry is opted_in or opted_out; pending is the absence of entries")]
    PendingIsNotAnEntry,
    #[error("evidence is at most {MAX_EVIDENCE_CHARS} characters")]
    EvidenceTooLong,
    #[error("{ERASED}")]
    Erased,
    /// An import asked to opt in a customer who opted out themselves (a STOP on WhatsApp) or
    /// through Meta: their own word stands unless the import explicitly overrides it.
    #[error("the customer opted out through {} at {at}; an import does not opt them back in unless it overrides opt-outs", by.as_str())]
    OptedOutByCustomer { by: ConsentSource, at: String },
}

impl ConsentChange {
    pub fn check(&self) -> Result<(), ConsentError> {
        if self.status == OptInStatus::Pending {
            return Err(ConsentError::PendingIsNotAnEntry);
        }
        if self.evidence.as_ref().is_some_and(|e| e.chars().count() > MAX_EVIDENCE_CHARS) {
            return Err(ConsentError::EvidenceTooLong);
        }
        Ok(())
    }
}

/// One entry of the append-only ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentEntry {
    pub id: Uuid,
    pub shop_id: ShopId,
    pub customer_id: CustomerId,
    pub purpose: Purpose,
    pub status: OptInStatus,
    pub source: ConsentSource,
    pub evidence: Option<String>,
    pub actor: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

/// What a business is about to send, as consent sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outgoing {
    /// Free-form: only possible inside a window the customer opened, so always a reply.
    FreeForm,
    /// A template of this category (`None`: not known to the service yet).
    Template(Option<TemplateCategory>),
}

/// Why consent refuses a send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ConsentRefusal {
    #[error("the customer opted out of {} messages", .0.as_str())]
    OptedOut(Purpose),
    #[error("marketing templates need the customer's opt-in for marketing (the customer's is {})", .0.as_str())]
    OptInRequired(OptInStatus),
}

/// The rule every sender obeys:
/// - free-form replies (inside a window the customer opened) are always allowed;
/// - a marketing template needs `opted_in` for marketing, unless the shop turned that off, and
///   is refused to a customer who opted out of marketing, even inside an open window (a "STOP"
///   opens one);
/// - a utility or authentication template is refused to a customer who opted out of utility,
///   unless it replies inside an open window;
/// - a template the service does not know the category of yet is refused to a customer who
///   opted out of marketing (it might be marketing) and otherwise treated as utility.
pub fn may_send(
    outgoing: Outgoing,
    consent: &ConsentState,
    window_open: bool,
    require_marketing_opt_in: bool,
) -> Result<(), ConsentRefusal> {
    let marketing = consent.marketing.status;
    let utility_out = consent.utility.status == OptInStatus::OptedOut && !window_open;
    match outgoing {
        Outgoing::FreeForm => Ok(()),
        Outgoing::Template(Some(TemplateCategory::Marketing)) => match marketing {
            OptInStatus::OptedOut => Err(ConsentRefusal::OptedOut(Purpose::Marketing)),
            OptInStatus::OptedIn => Ok(()),
            OptInStatus::Pending if require_marketing_opt_in => Err(ConsentRefusal::OptInRequired(OptInStatus::Pending)),
            OptInStatus::Pending => Ok(()),
        },
        Outgoing::Template(Some(_)) if utility_out => Err(ConsentRefusal::OptedOut(Purpose::Utility)),
        Outgoing::Template(Some(_)) => Ok(()),
        Outgoing::Template(None) if marketing == OptInStatus::OptedOut => Err(ConsentRefusal::OptedOut(Purpose::Marketing)),
        Outgoing::Template(None) if utility_out => Err(ConsentRefusal::OptedOut(Purpose::Utility)),
        Outgoing::Template(None) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OptInStatus::*;
    use TemplateCategory::*;

    fn state(marketing: OptInStatus, utility: OptInStatus) -> ConsentState {
        let c = |status| OptInConsent { status, source: None, at: None };
        ConsentState { marketing: c(marketing), utility: c(utility) }
    }

    #[test]
    fn the_consent_rule_as_a_table() {
        let out_m = Err(ConsentRefusal::OptedOut(Purpose::Marketing));
        let out_u = Err(ConsentRefusal::OptedOut(Purpose::Utility));
        let needs = Err(ConsentRefusal::OptInRequired(Pending));
        // (what, marketing, utility, window open, shop requires opt-in) => outcome
        type Row = (Outgoing, OptInStatus, OptInStatus, bool, bool, Result<(), ConsentRefusal>);
        let table: &[Row] = &[
            (Outgoing::FreeForm, OptedOut, OptedOut, true, true, Ok(())),
            (Outgoing::Template(Some(Marketing)), OptedIn, Pending, false, true, Ok(())),
            (Outgoing::Template(Some(Marketing)), Pending, Pending, false, true, needs),
            (Outgoing::Template(Some(Marketing)), Pending, Pending, true, true, needs),
            (Outgoing::Template(Some(Marketing)), Pending, Pending, false, false, Ok(())),
            (Outgoing::Template(Some(Marketing)), OptedOut, OptedIn, false, false, out_m),
            (Outgoing::Template(Some(Marketing)), OptedOut, OptedIn, true, false, out_m),
            (Outgoing::Template(Some(Utility)), OptedOut, Pending, false, true, Ok(())),
            (Outgoing::Template(Some(Utility)), Pending, OptedOut, false, true, out_u),
            (Outgoing::Template(Some(Utility)), Pending, OptedOut, true, true, Ok(())),
            (Outgoing::Template(Some(Authentication)), Pending, OptedOut, false, true, out_u),
            (Outgoing::Template(Some(Authentication)), OptedOut, Pending, false, true, Ok(())),
            (Outgoing::Template(None), Pending, Pending, false, true, Ok(())),
            (Outgoing::Template(None), OptedOut, Pending, true, true, out_m),
            (Outgoing::Template(None), Pending, OptedOut, false, true, out_u),
            (Outgoing::Template(None), Pending, OptedOut, true, true, Ok(())),
        ];
        for (i, (what, m, u, open, require, expected)) in table.iter().enumerate() {
            assert_eq!(may_send(*what, &state(*m, *u), *open, *require), *expected, "row {i}: {what:?} m={m:?} u={u:?} open={open}");
        }
    }

    #[test]
    fn a_change_is_opted_in_or_out_with_bounded_evidence() {
        let c = ConsentChange { purpose: Purpose::Marketing, status: Pending, source: ConsentSource::Api, evidence: None, actor: None };
        assert_eq!(c.check(), Err(ConsentError::PendingIsNotAnEntry));
        let c = ConsentChange { status: OptedIn, evidence: Some("x".repeat(1001)), ..c };
        assert_eq!(c.check(), Err(ConsentError::EvidenceTooLong));
        assert_eq!(Purpose::of(Authentication), Purpose::Utility);
    }
}
