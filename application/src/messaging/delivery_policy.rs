//! The outbound delivery policy: what to do with a message after Meta answered. Pure: tested
//! without I/O; `RecordDeliveryOutcomes` applies the decision in one transaction.

use std::time::Duration;

use crate::shared::meta::{CloudApiError, CloudApiErrorKind};

/// Transient failures are retried this many times in all.
pub const MAX_ATTEMPTS: u32 = 5;
/// After this many pair-rate refusals for one message, give up.
pub const MAX_PAIR_RETRIES: u32 = 5;

/// Priorities: customer-service replies go ahead of bulk traffic on the same number.
pub const PRIORITY_REPLY: i32 = 100;
pub const PRIORITY_TEMPLATE: i32 = 50;
pub const PRIORITY_BULK: i32 = 0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailReason {
    /// 131047: outside the 24-hour window.
    WindowClosed,
    /// Meta refused it for good (131026, 131049, 132xxx, ...).
    Refused,
    /// Timed out or the connection broke after sending: never resent (ADR 4).
    OutcomeUnknown,
    /// Retries ran out.
    RetriesExhausted,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Try again later; `counts` says whether it uses up one of the transient attempts.
    Retry {
        after: Duration,
        counts: bool,
    },
    /// 131056: only this recipient waits (4^n seconds).
    DelayRecipient {
        after: Duration,
    },
    /// 130429: the number is over its throughput; it slows down, the message waits.
    SlowNumber {
        after: Duration,
    },
    Fail(FailReason),
    /// 131050: the customer stopped marketing messages; record the opt-out.
    FailAndOptOut,
    /// 190, 368, 131031: the token or the account is unusable; pause the whole account.
    FailAndPauseAccount,
}

fn transient(code: Option<i64>, http: Option<u16>) -> bool {
    matches!(code, Some(1 | 2 | 4 | 17 | 341 | 80007 | 131000 | 131016 | 133004 | 133005))
        || (code.is_none() && http.is_some_and(|s| s >= 500))
}

/// `attempts`: transient attempts made so far for this message (this one included);
/// `pair_retries`: pair-rate refusals so far; `base`: the backoff base (seed 002: 500 ms).
pub fn decide(e: &CloudApiError, attempts: u32, pair_retries: u32, base: Duration) -> Decision {
    match e.kind {
        CloudApiErrorKind::OutcomeUnknown => return Decision::Fail(FailReason::OutcomeUnknown),
        CloudApiErrorKind::CircuitOpen => return Decision::Retry { after: Duration::from_secs(5), counts: false },
        CloudApiErrorKind::Unreachable => {
            return if attempts >= MAX_ATTEMPTS {
                Decision::Fail(FailReason::RetriesExhausted)
            } else {
                Decision::Retry { after: base * 3u32.pow(attempts.saturating_sub(1)), counts: true }
            };
        }
        CloudApiErrorKind::Meta => {}
    }
    match e.code {
        Some(130429) => Decision::SlowNumber { after: Duration::from_secs(1) },
        Some(131056) if pair_retries < MAX_PAIR_RETRIES => {
            Decision::DelayRecipient { after: Duration::from_secs(4u64.pow(pair_retries + 1)) }
        }
        Some(131056) => Decision::Fail(FailReason::RetriesExhausted),
        Some(131047) => Decision::Fail(FailReason::WindowClosed),
        Some(131050) => Decision::FailAndOptOut,
        Some(190 | 368 | 131031) => Decision::FailAndPauseAccount,
        code if transient(code, e.http_status) => {
            if attempts >= MAX_ATTEMPTS {
                Decision::Fail(FailReason::RetriesExhausted)
            } else {
                Decision::Retry { after: base * 3u32.pow(attempts.saturating_sub(1)), counts: true }
            }
        }
        _ => Decision::Fail(FailReason::Refused),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(code: i64, http: u16) -> CloudApiError {
        CloudApiError::meta(http, Some(code), "x")
    }
    const B: Duration = Duration::from_millis(500);

    #[test]
    fn transient_errors_back_off_500ms_1_5s_4_5s_then_give_up() {
        for code in [1, 2, 131000, 131016] {
            assert_eq!(decide(&meta(code, 500), 1, 0, B), Decision::Retry { after: Duration::from_millis(500), counts: true });
            assert_eq!(decide(&meta(code, 500), 2, 0, B), Decision::Retry { after: Duration::from_millis(1500), counts: true });
            assert_eq!(decide(&meta(code, 500), 3, 0, B), Decision::Retry { after: Duration::from_millis(4500), counts: true });
            assert_eq!(decide(&meta(code, 500), MAX_ATTEMPTS, 0, B), Decision::Fail(FailReason::RetriesExhausted));
        }
    }

    #[test]
    fn rate_limits_delay_without_failing() {
        assert_eq!(decide(&meta(130429, 400), 1, 0, B), Decision::SlowNumber { after: Duration::from_secs(1) });
        assert_eq!(decide(&meta(131056, 400), 1, 0, B), Decision::DelayRecipient { after: Duration::from_secs(4) });
        assert_eq!(decide(&meta(131056, 400), 1, 2, B), Decision::DelayRecipient { after: Duration::from_secs(64) });
        assert_eq!(decide(&meta(131056, 400), 1, MAX_PAIR_RETRIES, B), Decision::Fail(FailReason::RetriesExhausted));
    }

    #[test]
    fn permanent_errors_fail_once() {
        assert_eq!(decide(&meta(131047, 400), 1, 0, B), Decision::Fail(FailReason::WindowClosed));
        for code in [131026, 131049, 132000, 132001, 132012, 100] {
            assert_eq!(decide(&meta(code, 400), 1, 0, B), Decision::Fail(FailReason::Refused), "{code}");
        }
        assert_eq!(decide(&meta(131050, 400), 1, 0, B), Decision::FailAndOptOut);
        for code in [190, 368, 131031] {
            assert_eq!(decide(&meta(code, 401), 1, 0, B), Decision::FailAndPauseAccount, "{code}");
        }
    }

    #[test]
    fn unknown_outcomes_are_never_retried() {
        let e = CloudApiError::outcome_unknown("timed out", None);
        assert_eq!(decide(&e, 1, 0, B), Decision::Fail(FailReason::OutcomeUnknown));
        let e = CloudApiError::unreachable("refused", "connection refused");
        assert!(matches!(decide(&e, 1, 0, B), Decision::Retry { counts: true, .. }));
        let e = CloudApiError::meta(503, None, "unavailable");
        assert!(matches!(decide(&e, 1, 0, B), Decision::Retry { .. }));
    }
}
