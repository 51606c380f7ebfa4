//! A shop's settings that every answering context reads: its IANA time zone, its business hours
//! per weekday with closed dates, and the quiet time of a turn (how long a customer's burst of
//! messages is waited for before it is answered once). Checked whole: every problem is named.

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;

use crate::shared::problem::Problem;

/// The quiet time of a turn when the shop sets none.
pub const DEFAULT_TURN_QUIET_MS: u32 = 2_000;
/// The longest quiet time (a burst is answered at most this long after its last message).
pub const MAX_TURN_QUIET_MS: u32 = 10_000;
/// How long people keep a thread with no activity before it is handed back, when the shop sets nothing.
pub const DEFAULT_HAND_BACK_HOURS: u32 = 24;
/// The longest a shop may let people keep a quiet thread (30 days).
pub const MAX_HAND_BACK_HOURS: u32 = 720;
/// At most this many opening intervals per weekday.
pub const MAX_INTERVALS_PER_DAY: usize = 6;
/// At most this many closed dates.
pub const MAX_CLOSED_DATES: usize = 366;

/// Monday first, as the wire names them.
pub const WEEKDAYS: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/// One opening interval of a day, in the shop's zone: `open` included, `close` excluded
/// (`24:00` closes at midnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    pub open: NaiveTime,
    /// `None`: midnight at the end of the day (`24:00`).
    pub close: Option<NaiveTime>,
}

impl Interval {
    fn contains(&self, t: NaiveTime) -> bool {
        t >= self.open && self.close.is_none_or(|c| t < c)
    }
    fn ends_after(&self, t: NaiveTime) -> bool {
        self.close.is_none_or(|c| c > t)
    }
    pub fn open_text(&self) -> String {
        self.open.format("%H:%M").to_string()
    }
    pub fn close_text(&self) -> String {
        self.close.map_or_else(|| "24:00".to_owned(), |c| c.format("%H:%M").to_string())
    }
}

/// What a request says, before it is checked.
#[derive(Debug, Clone, Default)]
pub struct SettingsDraft {
    pub time_zone: String,
    /// Per weekday (Monday first), each interval as (`HH:MM`, `HH:MM`); `None`: open all the time.
    pub business_hours: Option<[Vec<(String, String)>; 7]>,
    /// `YYYY-MM-DD`, in the shop's zone.
    pub closed_dates: Vec<String>,
    pub turn_quiet_ms: u32,
    /// Hours without activity after which people hand a thread back (1 to 720).
    pub hand_back_hours: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ShopSettings {
    zone: Tz,
    hours: Option<[Vec<Interval>; 7]>,
    closed: Vec<NaiveDate>,
    turn_quiet_ms: u32,
    hand_back_hours: u32,
}

impl Default for ShopSettings {
    /// A shop that set nothing: UTC, always open, the default quiet time.
    fn default() -> Self {
        Self {
            zone: Tz::UTC,
            hours: None,
            closed: Vec::new(),
            turn_quiet_ms: DEFAULT_TURN_QUIET_MS,
            hand_back_hours: DEFAULT_HAND_BACK_HOURS,
        }
    }
}

fn time(s: &str, close: bool) -> Option<Option<NaiveTime>> {
    if close && s == "24:00" {
        return Some(None);
    }
    (s.len() == 5).then(|| NaiveTime::parse_from_str(s, "%H:%M").ok().map(Some)).flatten()
}

/// An IANA zone name (`America/Sao_Paulo`, `UTC`).
pub fn parse_zone(s: &str) -> Option<Tz> {
    s.parse::<Tz>().ok()
}

impl ShopSettings {
    pub fn parse(d: &SettingsDraft) -> Result<Self, Vec<Problem>> {
        let mut problems = Vec::new();
        let zone = parse_zone(&d.time_zone);
        if zone.is_none() {
            problems.push(Problem::new("timeZone", "must be an IANA time zone such as America/Sao_Paulo"));
        }
        let hours = d.business_hours.as_ref().map(|days| {
            std::array::from_fn(|i| {
                let day = WEEKDAYS[i];
                if days[i].len() > MAX_INTERVALS_PER_DAY {
                    problems.push(Problem::new(format!("businessHours.{day}"), format!("at most {MAX_INTERVALS_PER_DAY} intervals")));
                    return Vec::new();
                }
                let mut out: Vec<(usize, Interval)> = Vec::new();
                for (k, (open, close)) in days[i].iter().enumerate() {
                    let at = format!("businessHours.{day}[{k}]");
                    match (time(open, false).flatten(), time(close, true)) {
                        (Some(open), Some(close)) if close.is_none_or(|c| c > open) => out.push((k, Interval { open, close })),
                        (Some(_), Some(_)) => problems.push(Problem::new(format!("{at}.close"), "must be after open")),
                        (None, _) => problems.push(Problem::new(format!("{at}.open"), "must be a time HH:MM")),
                        (_, None) => problems.push(Problem::new(format!("{at}.close"), "must be a time HH:MM, or 24:00")),
                    }
                }
                out.sort_by_key(|(_, iv)| iv.open);
                for w in out.windows(2) {
                    if w[0].1.ends_after(w[1].1.open) {
                        problems.push(Problem::new(
                            format!("businessHours.{day}[{}]", w[1].0),
                            format!("overlaps businessHours.{day}[{}]", w[0].0),
                        ));
                    }
                }
                out.into_iter().map(|(_, iv)| iv).collect()
            })
        });
        if d.closed_dates.len() > MAX_CLOSED_DATES {
            problems.push(Problem::new("closedDates", format!("at most {MAX_CLOSED_DATES} dates")));
        }
        let mut closed = Vec::new();
        for (k, s) in d.closed_dates.iter().take(MAX_CLOSED_DATES).enumerate() {
            match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                Ok(date) if s.len() == 10 => closed.push(date),
                _ => problems.push(Problem::new(format!("closedDates[{k}]"), "must be a date YYYY-MM-DD")),
            }
        }
        closed.sort();
        closed.dedup();
        if d.turn_quiet_ms > MAX_TURN_QUIET_MS {
            problems.push(Problem::new("turnQuietMs", format!("must be 0 to {MAX_TURN_QUIET_MS} milliseconds")));
        }
        if !(1..=MAX_HAND_BACK_HOURS).contains(&d.hand_back_hours) {
            problems.push(Problem::new("handBackHours", format!("must be 1 to {MAX_HAND_BACK_HOURS} hours")));
        }
        match zone {
            Some(zone) if problems.is_empty() => {
                Ok(Self { zone, hours, closed, turn_quiet_ms: d.turn_quiet_ms, hand_back_hours: d.hand_back_hours })
            }
            _ => Err(problems),
        }
    }

    pub fn zone(&self) -> Tz {
        self.zone
    }
    pub fn hours(&self) -> Option<&[Vec<Interval>; 7]> {
        self.hours.as_ref()
    }
    pub fn closed_dates(&self) -> &[NaiveDate] {
        &self.closed
    }
    pub fn turn_quiet_ms(&self) -> u32 {
        self.turn_quiet_ms
    }
    /// How long people keep a thread with no activity before handing it back.
    pub fn hand_back(&self) -> chrono::Duration {
        chrono::Duration::hours(i64::from(self.hand_back_hours))
    }
    pub fn hand_back_hours(&self) -> u32 {
        self.hand_back_hours
    }

    /// The zone to read a customer's local time in: their own when it is a valid IANA zone,
    /// else the shop's.
    pub fn zone_for(&self, customer_zone: Option<&str>) -> Tz {
        customer_zone.and_then(parse_zone).unwrap_or(self.zone)
    }

    /// Whether the shop is open at `at`: not on a closed date, and inside one of the day's
    /// intervals, both in the shop's zone. A shop without business hours is always open.
    pub fn is_open(&self, at: DateTime<Utc>) -> bool {
        let local = at.with_timezone(&self.zone);
        if self.closed.binary_search(&local.date_naive()).is_ok() {
            return false;
        }
        let Some(hours) = &self.hours else { return true };
        let day = match local.weekday() {
            Weekday::Mon => 0,
            Weekday::Tue => 1,
            Weekday::Wed => 2,
            Weekday::Thu => 3,
            Weekday::Fri => 4,
            Weekday::Sat => 5,
            Weekday::Sun => 6,
        };
        hours[day].iter().any(|iv| iv.contains(local.time()))
    }

    /// How much of `[from, to)` falls in business hours (in the shop's zone, closed dates
    /// excluded): the working time between two instants, for statistics. A shop without
    /// business hours works all the time except its closed dates.
    pub fn working_time(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> chrono::Duration {
        use chrono::TimeZone;
        let zero = chrono::Duration::zero();
        if to <= from {
            return zero;
        }
        if self.hours.is_none() && self.closed.is_empty() {
            return to - from;
        }
        let whole_day = [Interval { open: NaiveTime::MIN, close: None }];
        let instant = |d: NaiveDate, t: Option<NaiveTime>| {
            let local = match t {
                Some(t) => d.and_time(t),
                None => d.succ_opt().unwrap_or(d).and_time(NaiveTime::MIN),
            };
            // A time the zone skips (a DST gap) counts from the first instant after it.
            self.zone
                .from_local_datetime(&local)
                .earliest()
                .or_else(|| self.zone.from_local_datetime(&(local + chrono::Duration::hours(1))).earliest())
                .map(|x| x.with_timezone(&Utc))
        };
        let first = from.with_timezone(&self.zone).date_naive().pred_opt().unwrap_or(NaiveDate::MIN);
        let last = to.with_timezone(&self.zone).date_naive();
        let mut total = zero;
        let mut day = first;
        // Ten years of days at most: a handling cannot be older than the data it comes from.
        for _ in 0..3_660 {
            if day > last {
                break;
            }
            if self.closed.binary_search(&day).is_err() {
                let intervals = match &self.hours {
                    Some(h) => &h[day.weekday().num_days_from_monday() as usize][..],
                    None => &whole_day[..],
                };
                for iv in intervals {
                    if let (Some(open), Some(close)) = (instant(day, Some(iv.open)), instant(day, iv.close)) {
                        let (a, b) = (open.max(from), close.min(to));
                        if b > a {
                            total += b - a;
                        }
                    }
                }
            }
            let Some(next) = day.succ_opt() else { break };
            day = next;
        }
        total
    }

    /// The draft these settings were made from (as the API shows them).
    pub fn to_draft(&self) -> SettingsDraft {
        SettingsDraft {
            time_zone: self.zone.name().to_owned(),
            business_hours: self
                .hours
                .as_ref()
                .map(|days| std::array::from_fn(|i| days[i].iter().map(|iv| (iv.open_text(), iv.close_text())).collect())),
            closed_dates: self.closed.iter().map(|d| d.format("%Y-%m-%d").to_string()).collect(),
            turn_quiet_ms: self.turn_quiet_ms,
            hand_back_hours: self.hand_back_hours,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn given_business_hours_when_measuring_a_span_then_only_open_time_counts() {
        // Weekdays 09:00-12:00 and 13:00-18:00 in São Paulo (UTC-3); the 25th is closed.
        let s = ShopSettings::parse(&draft("America/Sao_Paulo", week(vec![("09:00", "12:00"), ("13:00", "18:00")]))).unwrap();
        let at = |d: u32, h: u32, m: u32| Utc.with_ymd_and_hms(2026, 12, d, h + 3, m, 0).unwrap();
        // Monday 7th, 11:30 to 13:30 local: 30 min before lunch, 30 after.
        assert_eq!(s.working_time(at(7, 11, 30), at(7, 13, 30)), chrono::Duration::minutes(60));
        // Friday 11th 17:00 to Monday 14th 10:00: 1 h on Friday, 1 h on Monday.
        assert_eq!(s.working_time(at(11, 17, 0), at(14, 10, 0)), chrono::Duration::hours(2));
        // Thursday 24th 17:00 to Saturday 26th: the 25th is closed.
        assert_eq!(s.working_time(at(24, 17, 0), at(26, 12, 0)), chrono::Duration::hours(1));
        assert_eq!(s.working_time(at(7, 13, 0), at(7, 12, 0)), chrono::Duration::zero());
        let always = ShopSettings::default();
        assert_eq!(always.working_time(at(7, 0, 0), at(8, 0, 0)), chrono::Duration::hours(24));
    }

    fn week(day: Vec<(&str, &str)>) -> Option<[Vec<(String, String)>; 7]> {
        let d: Vec<(String, String)> = day.into_iter().map(|(a, b)| (a.to_owned(), b.to_owned())).collect();
        Some(std::array::from_fn(|i| if i < 5 { d.clone() } else { Vec::new() }))
    }

    fn draft(zone: &str, hours: Option<[Vec<(String, String)>; 7]>) -> SettingsDraft {
        SettingsDraft {
            time_zone: zone.into(),
            business_hours: hours,
            closed_dates: vec!["2026-12-25".into()],
            turn_quiet_ms: 2_000,
            hand_back_hours: 24,
        }
    }

    #[test]
    fn given_weekday_hours_in_sao_paulo_when_asked_then_open_by_the_local_clock_and_closed_on_closed_dates() {
        let s = ShopSettings::parse(&draft("America/Sao_Paulo", week(vec![("09:00", "12:00"), ("13:00", "18:00")]))).unwrap();
        // São Paulo is UTC-3: 12:00 UTC on a Monday is 09:00 there.
        let monday = |h, m| Utc.with_ymd_and_hms(2026, 12, 7, h, m, 0).unwrap();
        assert!(s.is_open(monday(12, 0)), "09:00 local: open");
        assert!(!s.is_open(monday(11, 59)), "08:59 local");
        assert!(!s.is_open(monday(15, 30)), "12:30 local: lunch");
        assert!(!s.is_open(monday(21, 0)), "18:00 local: closed (close is excluded)");
        assert!(!s.is_open(Utc.with_ymd_and_hms(2026, 12, 12, 14, 0, 0).unwrap()), "a Saturday");
        assert!(!s.is_open(Utc.with_ymd_and_hms(2026, 12, 25, 14, 0, 0).unwrap()), "a closed date (a Friday)");
        assert!(ShopSettings::parse(&draft("UTC", None)).unwrap().is_open(monday(3, 0)), "no hours: always open");
    }

    #[test]
    fn daylight_saving_moves_the_hours_with_the_local_clock() {
        let s = ShopSettings::parse(&draft("America/New_York", week(vec![("09:00", "17:00")]))).unwrap();
        // 09:00 in New York is 14:00 UTC in winter (EST) and 13:00 UTC in summer (EDT).
        assert!(s.is_open(Utc.with_ymd_and_hms(2026, 1, 5, 14, 0, 0).unwrap()));
        assert!(!s.is_open(Utc.with_ymd_and_hms(2026, 1, 5, 13, 30, 0).unwrap()));
        assert!(s.is_open(Utc.with_ymd_and_hms(2026, 7, 6, 13, 0, 0).unwrap()));
    }

    #[test]
    fn bad_settings_name_every_field() {
        let mut d = draft("Mars/Olympus", week(vec![("09:00", "12:00"), ("11:00", "14:00"), ("15:00", "15:00"), ("9h", "24:00")]));
        d.closed_dates.push("25/12/2026".into());
        d.turn_quiet_ms = 10_001;
        let fields: Vec<String> = ShopSettings::parse(&d).unwrap_err().into_iter().map(|p| p.field).collect();
        for want in [
            "timeZone",
            "businessHours.monday[1]",
            "businessHours.monday[2].close",
            "businessHours.monday[3].open",
            "closedDates[1]",
            "turnQuietMs",
        ] {
            assert!(fields.iter().any(|f| f == want), "{want} in {fields:?}");
        }
    }

    #[test]
    fn a_customer_zone_wins_when_valid_and_the_draft_round_trips() {
        let s = ShopSettings::parse(&draft("America/Sao_Paulo", week(vec![("22:00", "24:00")]))).unwrap();
        assert_eq!(s.zone_for(Some("Europe/Lisbon")), chrono_tz::Europe::Lisbon);
        assert_eq!(s.zone_for(Some("Nowhere/Else")), chrono_tz::America::Sao_Paulo);
        assert_eq!(s.zone_for(None), chrono_tz::America::Sao_Paulo);
        assert!(s.is_open(Utc.with_ymd_and_hms(2026, 12, 8, 2, 59, 0).unwrap()), "23:59 local on Monday, open until midnight");
        assert_eq!(ShopSettings::parse(&s.to_draft()).unwrap(), s);
        assert_eq!(s.to_draft().business_hours.unwrap()[0], [("22:00".to_owned(), "24:00".to_owned())]);
    }
}
