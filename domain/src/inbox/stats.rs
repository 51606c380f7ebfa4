//! Agent statistics (seed 002 `GetConversationMetricsQuery`; docs/INBOX.md): what members did
//! with the conversations they were given, from their handlings. A handling is one member holding
//! one conversation: from its assignment until it was closed, taken by the SLA, or given to
//! someone else. Times are measured in wall time and in working time (the department's hours,
//! else the shop's).
//!
//! - **First response time:** from the assignment to the member's first reply in it.
//! - **Resolution time:** from the assignment to the close, for handlings that ended closed.
//! - **Handled:** handlings that started in the range; **open now:** handlings not ended;
//!   **reassigned by SLA:** handlings in the range that the SLA took away.

use chrono::{DateTime, Duration, Utc};

use crate::tenancy::settings::ShopSettings;
use crate::{ConversationId, DepartmentId, MemberId};

/// How a handling ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandlingEnd {
    /// The conversation was closed in the inbox.
    Closed,
    /// The SLA took it back for routing.
    Sla,
    /// Unassigned, transferred or given to someone else.
    Reassigned,
}

impl HandlingEnd {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::Sla => "sla",
            Self::Reassigned => "reassigned",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "closed" => Some(Self::Closed),
            "sla" => Some(Self::Sla),
            "reassigned" => Some(Self::Reassigned),
            _ => None,
        }
    }
}

/// One member holding one conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct Handling {
    pub conversation_id: ConversationId,
    pub member_id: MemberId,
    /// The department the thread was in when it was assigned.
    pub department_id: Option<DepartmentId>,
    pub assigned_at: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub end: Option<HandlingEnd>,
}

/// Averages of a set of spans.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Times {
    pub count: u64,
    /// Average wall time, in seconds (`None` without any span).
    pub average_seconds: Option<f64>,
    /// Average working time, in seconds.
    pub average_working_seconds: Option<f64>,
}

impl Times {
    fn of(spans: &[(Duration, Duration)]) -> Self {
        if spans.is_empty() {
            return Self::default();
        }
        let n = spans.len() as f64;
        let secs = |d: Duration| d.num_milliseconds() as f64 / 1000.0;
        Self {
            count: spans.len() as u64,
            average_seconds: Some(spans.iter().map(|(w, _)| secs(*w)).sum::<f64>() / n),
            average_working_seconds: Some(spans.iter().map(|(_, k)| secs(*k)).sum::<f64>() / n),
        }
    }
}

/// One member's (or one department's) figures over a range.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Figures {
    pub handled: u64,
    pub open_now: u64,
    pub reassigned_by_sla: u64,
    pub first_response: Times,
    pub resolution: Times,
}

/// The figures of `handlings` over `[from, to)`; `hours` gives the working hours of a
/// department (`None`: the shop's).
pub fn figures(
    handlings: &[&Handling],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    hours: &dyn Fn(Option<DepartmentId>) -> ShopSettings,
) -> Figures {
    let in_range: Vec<&&Handling> = handlings.iter().filter(|h| h.assigned_at >= from && h.assigned_at < to).collect();
    let span = |h: &Handling, end: DateTime<Utc>| {
        let wall = (end - h.assigned_at).max(Duration::zero());
        (wall, hours(h.department_id).working_time(h.assigned_at, end))
    };
    let first: Vec<(Duration, Duration)> = in_range.iter().filter_map(|h| h.first_response_at.map(|at| span(h, at))).collect();
    let resolved: Vec<(Duration, Duration)> =
        in_range.iter().filter(|h| h.end == Some(HandlingEnd::Closed)).filter_map(|h| h.ended_at.map(|at| span(h, at))).collect();
    Figures {
        handled: in_range.len() as u64,
        open_now: handlings.iter().filter(|h| h.ended_at.is_none()).count() as u64,
        reassigned_by_sla: in_range.iter().filter(|h| h.end == Some(HandlingEnd::Sla)).count() as u64,
        first_response: Times::of(&first),
        resolution: Times::of(&resolved),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenancy::settings::SettingsDraft;
    use chrono::TimeZone;

    /// Monday 7 December 2026, `h:m` in UTC.
    fn at(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, d, h, m, 0).unwrap()
    }

    fn handling(member: MemberId, department: Option<DepartmentId>, assigned: DateTime<Utc>) -> Handling {
        Handling {
            conversation_id: ConversationId::new(),
            member_id: member,
            department_id: department,
            assigned_at: assigned,
            first_response_at: None,
            ended_at: None,
            end: None,
        }
    }

    #[test]
    fn given_three_members_when_measured_then_the_figures_equal_the_hand_computed_ones() {
        let (ana, bruno, carla) = (MemberId::new(), MemberId::new(), MemberId::new());
        let billing = DepartmentId::new();
        // Billing works 09:00-17:00 UTC on weekdays; the shop works all the time.
        let nine_to_five = ShopSettings::parse(&SettingsDraft {
            time_zone: "UTC".into(),
            business_hours: Some(std::array::from_fn(|i| if i < 5 { vec![("09:00".into(), "17:00".into())] } else { Vec::new() })),
            hand_back_hours: 24,
            ..Default::default()
        })
        .unwrap();
        let hours = |d: Option<DepartmentId>| if d == Some(billing) { nine_to_five.clone() } else { ShopSettings::default() };

        // Ana (Billing): assigned 16:30, answers 09:10 the next day, closes 09:40.
        let mut a1 = handling(ana, Some(billing), at(7, 16, 30));
        a1.first_response_at = Some(at(8, 9, 10));
        (a1.ended_at, a1.end) = (Some(at(8, 9, 40)), Some(HandlingEnd::Closed));
        // Ana again: assigned 10:00, answers 10:05, still open.
        let mut a2 = handling(ana, Some(billing), at(8, 10, 0));
        a2.first_response_at = Some(at(8, 10, 5));
        // Bruno (no department): answers after 2 min, the SLA then takes it.
        let mut b1 = handling(bruno, None, at(7, 20, 0));
        b1.first_response_at = Some(at(7, 20, 2));
        (b1.ended_at, b1.end) = (Some(at(7, 20, 30)), Some(HandlingEnd::Sla));
        // Carla: assigned before the range, closed inside it: not counted in the range.
        let mut c1 = handling(carla, None, at(6, 12, 0));
        c1.first_response_at = Some(at(6, 12, 1));
        (c1.ended_at, c1.end) = (Some(at(7, 12, 0)), Some(HandlingEnd::Closed));
        let all = [a1, a2, b1, c1];
        let of = |m: MemberId| all.iter().filter(|h| h.member_id == m).collect::<Vec<_>>();
        let (from, to) = (at(7, 0, 0), at(9, 0, 0));

        let f = figures(&of(ana), from, to, &hours);
        assert_eq!((f.handled, f.open_now, f.reassigned_by_sla), (2, 1, 0));
        // Wall: 16h40m (60,000 s) and 5 min (300 s); working: 30 + 10 min (2,400 s) and 300 s.
        assert_eq!(f.first_response.count, 2);
        assert_eq!(f.first_response.average_seconds, Some((60_000.0 + 300.0) / 2.0));
        assert_eq!(f.first_response.average_working_seconds, Some((2_400.0 + 300.0) / 2.0));
        // Resolution: 17h10m wall (61,800 s); working 30 + 40 min (4,200 s).
        assert_eq!(f.resolution.count, 1);
        assert_eq!((f.resolution.average_seconds, f.resolution.average_working_seconds), (Some(61_800.0), Some(4_200.0)));

        let f = figures(&of(bruno), from, to, &hours);
        assert_eq!((f.handled, f.open_now, f.reassigned_by_sla), (1, 0, 1));
        assert_eq!(f.first_response.average_seconds, Some(120.0));
        assert_eq!(f.first_response.average_working_seconds, Some(120.0), "the shop works all the time");
        assert_eq!(f.resolution, Times::default(), "taken by the SLA: not resolved");

        let f = figures(&of(carla), from, to, &hours);
        assert_eq!(f, Figures::default());

        // The department: Ana's two handlings.
        let billing_handlings: Vec<&Handling> = all.iter().filter(|h| h.department_id == Some(billing)).collect();
        assert_eq!(figures(&billing_handlings, from, to, &hours).handled, 2);
    }
}
