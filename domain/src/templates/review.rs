//! A template's review status, as Meta names it (`APPROVED`, `PAUSED`, …). Meta adds statuses
//! over time: one the service does not know is kept as Meta wrote it, never refused, and is not
//! sendable.

/// Meta's review status of a template. Stored and published lowercase (`approved`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ReviewStatus {
    Pending,
    Approved,
    Rejected,
    Paused,
    Disabled,
    InAppeal,
    PendingDeletion,
    Deleted,
    Flagged,
    Reinstated,
    Archived,
    LimitExceeded,
    Locked,
    Unlocked,
    /// A status this service does not know yet, lowercase.
    Other(String),
}

impl ReviewStatus {
    const KNOWN: [(&'static str, ReviewStatus); 14] = [
        ("pending", ReviewStatus::Pending),
        ("approved", ReviewStatus::Approved),
        ("rejected", ReviewStatus::Rejected),
        ("paused", ReviewStatus::Paused),
        ("disabled", ReviewStatus::Disabled),
        ("in_appeal", ReviewStatus::InAppeal),
        ("pending_deletion", ReviewStatus::PendingDeletion),
        ("deleted", ReviewStatus::Deleted),
        ("flagged", ReviewStatus::Flagged),
        ("reinstated", ReviewStatus::Reinstated),
        ("archived", ReviewStatus::Archived),
        ("limit_exceeded", ReviewStatus::LimitExceeded),
        ("locked", ReviewStatus::Locked),
        ("unlocked", ReviewStatus::Unlocked),
    ];

    /// Meta's word in any case; an unknown one is kept (lowercase).
    pub fn parse(s: &str) -> Self {
        let lower = s.trim().to_ascii_lowercase();
        Self::KNOWN.iter().find(|(k, _)| *k == lower).map_or(ReviewStatus::Other(lower), |(_, v)| v.clone())
    }

    /// The status a template is in after Meta reports this event (`previous`: the status held).
    /// Meta's `message_template_status_update` names what happened, which is not always the
    /// status it leaves: a FLAGGED template stays APPROVED (and sendable) until the date Meta
    /// disables it, a REINSTATED one is APPROVED again, and LOCKED / UNLOCKED only say whether
    /// it may be edited.
    pub fn resulting(&self, previous: Option<&ReviewStatus>) -> ReviewStatus {
        match self {
            ReviewStatus::Flagged | ReviewStatus::Reinstated => ReviewStatus::Approved,
            ReviewStatus::Locked | ReviewStatus::Unlocked => previous.cloned().unwrap_or(ReviewStatus::Approved),
            other => other.clone(),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            ReviewStatus::Other(s) => s,
            known => Self::KNOWN.iter().find(|(_, v)| v == known).map_or("", |(k, _)| k),
        }
    }
}

impl std::fmt::Display for ReviewStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_s_words_parse_in_any_case_and_print_lowercase() {
        for (word, status) in ReviewStatus::KNOWN {
            assert_eq!(ReviewStatus::parse(&word.to_ascii_uppercase()), status);
            assert_eq!(status.as_str(), word);
        }
    }

    #[test]
    fn an_unknown_status_is_kept_as_meta_wrote_it() {
        let s = ReviewStatus::parse("UNDER_REVIEW");
        assert_eq!(s, ReviewStatus::Other("under_review".into()));
        assert_eq!(s.as_str(), "under_review");
    }
}
