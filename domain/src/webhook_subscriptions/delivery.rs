//! One event on its way to one subscription: retried with exponential backoff for up to about
//! 24 hours, then dead. Its id is the Standard Webhooks `webhook-id` (the same on every attempt,
//! so a receiver deduplicates by it).

use chrono::{DateTime, Duration, Utc};

/// The wait before each retry: 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h, 8 h
/// (about 24 h in all), then the delivery is dead.
const BACKOFF_SECS: [i64; 10] = [5, 30, 120, 600, 1800, 3600, 7200, 14_400, 28_800, 28_800];

/// After `attempts` failed attempts, when to try again (`None`: give up).
pub fn retry_at(attempts: u32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    BACKOFF_SECS.get(attempts.saturating_sub(1) as usize).map(|s| now + Duration::seconds(*s))
}

/// The most attempts a delivery gets.
pub fn max_attempts() -> u32 {
    BACKOFF_SECS.len() as u32 + 1
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    Pending,
    Delivered,
    Dead,
}

impl DeliveryState {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Dead => "dead",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "delivered" => Some(Self::Delivered),
            "dead" => Some(Self::Dead),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_for_about_a_day_then_stop() {
        let now = Utc::now();
        assert_eq!(retry_at(1, now), Some(now + Duration::seconds(5)));
        assert_eq!(retry_at(2, now), Some(now + Duration::seconds(30)));
        let total: i64 = BACKOFF_SECS.iter().sum();
        assert!((20 * 3600..=26 * 3600).contains(&total), "{total}");
        assert_eq!(retry_at(max_attempts(), now), None);
        for s in [DeliveryState::Pending, DeliveryState::Delivered, DeliveryState::Dead] {
            assert_eq!(DeliveryState::parse(s.as_str()), Some(s));
        }
    }
}
