//! The 24-hour customer-service window and the 72-hour free-entry-point window.
//!
//! Pure functions of the facts and an injected `now`. The rules, as Meta applies them:
//! - A customer message opens (or refreshes) a 24-hour window in which the business may send
//!   free-form messages. At exactly `last_inbound + 24h` the window is closed.
//! - When the customer arrived through a click-to-WhatsApp ad or a Page call-to-action
//!   (an inbound `referral`) and the business replies within 24 hours, a 72-hour free entry
//!   point window opens, counted from that customer message.
//! - Outside any window only approved templates may be sent.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

pub const CUSTOMER_SERVICE_HOURS: i64 = 24;
pub const FREE_ENTRY_POINT_HOURS: i64 = 72;

pub fn customer_service_window() -> Duration {
    Duration::hours(CUSTOMER_SERVICE_HOURS)
}

pub fn free_entry_point_window() -> Duration {
    Duration::hours(FREE_ENTRY_POINT_HOURS)
}

/// A customer message that came from an ad or Page referral, and when (if) the business
/// first replied after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryPoint {
    pub referred_at: DateTime<Utc>,
    pub first_reply_at: Option<DateTime<Utc>>,
}

impl EntryPoint {
    /// The end of the 72-hour window, if the business qualified for it by replying in time.
    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        let reply = self.first_reply_at?;
        (reply >= self.referred_at && reply < self.referred_at + customer_service_window())
            .then(|| self.referred_at + free_entry_point_window())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowKind {
    CustomerService,
    FreeEntryPoint,
}

/// The state of the window at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowState {
    pub is_open: bool,
    /// When the window that applies ends (or ended). `None` if the customer never wrote.
    pub expires_at: Option<DateTime<Utc>>,
    pub last_user_message_at: Option<DateTime<Utc>>,
    /// Which window keeps it open (the later-ending one), if any is open.
    pub open_kind: Option<WindowKind>,
}

impl WindowState {
    pub fn can_send_free_message(&self) -> bool {
        self.is_open
    }
}

/// Evaluate the window at `now`.
pub fn evaluate(last_inbound_at: Option<DateTime<Utc>>, entry_point: Option<EntryPoint>, now: DateTime<Utc>) -> WindowState {
    let service_end = last_inbound_at.map(|t| t + customer_service_window());
    let fep_end = entry_point.and_then(|e| e.expires_at());
    let (expires_at, kind) = match (service_end, fep_end) {
        (Some(s), Some(f)) if f > s => (Some(f), WindowKind::FreeEntryPoint),
        (Some(s), _) => (Some(s), WindowKind::CustomerService),
        (None, Some(f)) => (Some(f), WindowKind::FreeEntryPoint),
        (None, None) => (None, WindowKind::CustomerService),
    };
    let is_open = expires_at.is_some_and(|end| now < end);
    WindowState { is_open, expires_at, last_user_message_at: last_inbound_at, open_kind: is_open.then_some(kind) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 15, 10, 28, 0).unwrap()
    }

    #[test]
    fn never_wrote_means_closed_without_expiry() {
        let w = evaluate(None, None, t0());
        assert!(!w.is_open);
        assert_eq!(w.expires_at, None);
    }

    #[test]
    fn open_one_nanosecond_before_24h_closed_at_exactly_24h() {
        let last = t0();
        let end = last + Duration::hours(24);
        assert!(evaluate(Some(last), None, end - Duration::nanoseconds(1)).is_open);
        let at_end = evaluate(Some(last), None, end);
        assert!(!at_end.is_open);
        assert_eq!(at_end.expires_at, Some(end));
        assert!(!evaluate(Some(last), None, end + Duration::seconds(1)).is_open);
    }

    #[test]
    fn open_at_the_instant_of_the_message() {
        let w = evaluate(Some(t0()), None, t0());
        assert!(w.is_open);
        assert_eq!(w.open_kind, Some(WindowKind::CustomerService));
    }

    #[test]
    fn entry_point_needs_a_reply_within_24h() {
        let ep = EntryPoint { referred_at: t0(), first_reply_at: None };
        assert_eq!(ep.expires_at(), None);
        let late = EntryPoint { referred_at: t0(), first_reply_at: Some(t0() + Duration::hours(24)) };
        assert_eq!(late.expires_at(), None, "a reply at exactly 24h is too late");
        let ok = EntryPoint { referred_at: t0(), first_reply_at: Some(t0() + Duration::hours(24) - Duration::seconds(1)) };
        assert_eq!(ok.expires_at(), Some(t0() + Duration::hours(72)));
    }

    #[test]
    fn entry_point_keeps_window_open_until_72h() {
        let ep = EntryPoint { referred_at: t0(), first_reply_at: Some(t0() + Duration::minutes(5)) };
        let at_30h = evaluate(Some(t0()), Some(ep), t0() + Duration::hours(30));
        assert!(at_30h.is_open);
        assert_eq!(at_30h.open_kind, Some(WindowKind::FreeEntryPoint));
        let end = t0() + Duration::hours(72);
        assert!(evaluate(Some(t0()), Some(ep), end - Duration::nanoseconds(1)).is_open);
        assert!(!evaluate(Some(t0()), Some(ep), end).is_open);
    }

    #[test]
    fn a_newer_customer_message_past_the_entry_point_wins() {
        let ep = EntryPoint { referred_at: t0(), first_reply_at: Some(t0() + Duration::minutes(1)) };
        let last = t0() + Duration::hours(60);
        let w = evaluate(Some(last), Some(ep), t0() + Duration::hours(80));
        assert!(w.is_open);
        assert_eq!(w.open_kind, Some(WindowKind::CustomerService));
        assert_eq!(w.expires_at, Some(last + Duration::hours(24)));
    }

    proptest! {
        #[test]
        fn open_iff_within_24h_of_last_message(offset_s in -200_000i64..200_000i64) {
            let now = t0() + Duration::seconds(offset_s);
            let w = evaluate(Some(t0()), None, now);
            let expected = now < t0() + Duration::hours(24);
            prop_assert_eq!(w.is_open, expected);
            prop_assert_eq!(w.can_send_free_message(), expected);
        }

        #[test]
        fn entry_point_never_shortens_the_window(reply_min in 0i64..3000, offset_s in 0i64..400_000) {
            let now = t0() + Duration::seconds(offset_s);
            let ep = EntryPoint { referred_at: t0(), first_reply_at: Some(t0() + Duration::minutes(reply_min)) };
            let plain = evaluate(Some(t0()), None, now);
            let with_ep = evaluate(Some(t0()), Some(ep), now);
            prop_assert!(!plain.is_open || with_ep.is_open);
            prop_assert!(with_ep.expires_at >= plain.expires_at);
        }

        #[test]
        fn open_window_always_has_future_expiry(last_s in 0i64..500_000, now_s in 0i64..500_000) {
            let last = t0() + Duration::seconds(last_s);
            let now = t0() + Duration::seconds(now_s);
            let w = evaluate(Some(last), None, now);
            if w.is_open {
                prop_assert!(w.expires_at.unwrap() > now);
            } else {
                prop_assert!(now >= last + Duration::hours(24) || w.expires_at.is_none());
            }
        }
    }
}
