//! A department (seed 001 §6.1): a named group of members with a routing policy and, when it
//! has its own, working hours (weekday intervals in its own time zone, or the shop's). Checked
//! whole: every problem is named. Whether each member belongs to the shop is the handler's
//! check (it needs the store).

use chrono::{DateTime, Utc};

use crate::shared::problem::Problem;
use crate::tenancy::settings::{SettingsDraft, ShopSettings};
use crate::{DepartmentId, MemberId, ShopId};

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_DESCRIPTION_CHARS: usize = 500;
pub const MAX_MEMBERS: usize = 500;

/// How a department's conversations find a member (seed 001 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RoutingPolicy {
    /// In turn, skipping members who take no work.
    RoundRobin,
    /// To the member with the fewest open conversations.
    LeastBusy,
    /// The least busy, never above capacity; when everyone is full, conversations wait in the
    /// order they started waiting.
    #[default]
    CapacityAware,
    /// To a member whose skills match the thread's tags or language.
    Skills,
    /// Nobody is chosen automatically; people assign by hand.
    Manual,
}

impl RoutingPolicy {
    pub const ALL: [Self; 5] = [Self::RoundRobin, Self::LeastBusy, Self::CapacityAware, Self::Skills, Self::Manual];
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::RoundRobin => "round_robin",
            Self::LeastBusy => "least_busy",
            Self::CapacityAware => "capacity_aware",
            Self::Skills => "skills",
            Self::Manual => "manual",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// A department's own working hours: intervals per weekday (Monday first, `HH:MM`), in its
/// own zone or, when it names none, the shop's.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WorkingHours {
    pub time_zone: Option<String>,
    pub business_hours: [Vec<(String, String)>; 7],
}

/// What a request states; absent fields stay (on create: the defaults).
#[derive(Debug, Clone, Default)]
pub struct DepartmentDraft {
    pub name: Option<String>,
    /// `Some(None)` clears it.
    pub description: Option<Option<String>>,
    pub routing_policy: Option<String>,
    pub member_ids: Option<Vec<MemberId>>,
    /// `Some(None)`: the shop's business hours.
    pub working_hours: Option<Option<WorkingHours>>,
    /// `Some(None)`: no SLA.
    pub sla_minutes: Option<Option<u32>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DepartmentSnapshot {
    pub id: DepartmentId,
    pub shop_id: ShopId,
    pub name: String,
    pub description: Option<String>,
    pub routing_policy: RoutingPolicy,
    /// In the order they were named, once each.
    pub member_ids: Vec<MemberId>,
    pub working_hours: Option<WorkingHours>,
    /// The SLA: how long an assignee has to answer a waiting customer before the thread goes
    /// back to routing (`None`: no SLA).
    pub sla_minutes: Option<u32>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Department {
    s: DepartmentSnapshot,
}

struct Checked {
    name: Option<String>,
    description: Option<Option<String>>,
    policy: Option<RoutingPolicy>,
    members: Option<Vec<MemberId>>,
    hours: Option<Option<WorkingHours>>,
    sla: Option<Option<u32>>,
}

/// The longest SLA, in minutes (a day).
pub const MAX_SLA_MINUTES: u32 = 1440;

fn check(d: &DepartmentDraft) -> Result<Checked, Vec<Problem>> {
    let mut problems = Vec::new();
    let name = d.name.as_ref().map(|n| n.trim().to_owned());
    if name.as_ref().is_some_and(|n| n.is_empty() || n.chars().count() > MAX_NAME_CHARS) {
        problems.push(Problem::new("name", format!("must be 1 to {MAX_NAME_CHARS} characters")));
    }
    let description = d.description.as_ref().map(|o| o.as_ref().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()));
    if description.as_ref().is_some_and(|o| o.as_ref().is_some_and(|s| s.chars().count() > MAX_DESCRIPTION_CHARS)) {
        problems.push(Problem::new("description", format!("must be at most {MAX_DESCRIPTION_CHARS} characters")));
    }
    let policy = d.routing_policy.as_deref().map(|p| {
        let parsed = RoutingPolicy::parse(p);
        if parsed.is_none() {
            problems.push(Problem::new("routingPolicy", "must be round_robin, least_busy, capacity_aware, skills or manual"));
        }
        parsed.unwrap_or_default()
    });
    let members = d.member_ids.as_ref().map(|ids| {
        if ids.len() > MAX_MEMBERS {
            problems.push(Problem::new("memberIds", format!("at most {MAX_MEMBERS} members")));
        }
        let mut out: Vec<MemberId> = Vec::new();
        for id in ids.iter().take(MAX_MEMBERS) {
            if !out.contains(id) {
                out.push(*id);
            }
        }
        out
    });
    if let Some(Some(h)) = &d.working_hours {
        // The same rules as the shop's business hours (ShopSettings), named under `workingHours`.
        let draft = SettingsDraft {
            time_zone: h.time_zone.clone().unwrap_or_else(|| "UTC".into()),
            business_hours: Some(h.business_hours.clone()),
            hand_back_hours: 1,
            ..Default::default()
        };
        if let Err(found) = ShopSettings::parse(&draft) {
            for p in found {
                let field =
                    p.field.strip_prefix("businessHours").map_or(p.field.clone(), |rest| format!("workingHours.businessHours{rest}"));
                let field = if field == "timeZone" { "workingHours.timeZone".to_owned() } else { field };
                problems.push(Problem::new(field, p.reason));
            }
        }
    }
    if let Some(Some(m)) = d.sla_minutes
        && !(1..=MAX_SLA_MINUTES).contains(&m)
    {
        problems.push(Problem::new("slaMinutes", format!("must be 1 to {MAX_SLA_MINUTES} minutes")));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Checked { name, description, policy, members, hours: d.working_hours.clone(), sla: d.sla_minutes })
}

impl Department {
    /// A new department, checked whole: a name is required.
    pub fn create(shop_id: ShopId, d: &DepartmentDraft, now: DateTime<Utc>) -> Result<Self, Vec<Problem>> {
        if d.name.is_none() {
            let mut problems = vec![Problem::new("name", "is required")];
            if let Err(more) = check(d) {
                problems.extend(more);
            }
            return Err(problems);
        }
        let c = check(d)?;
        Ok(Self {
            s: DepartmentSnapshot {
                id: DepartmentId::new(),
                shop_id,
                name: c.name.unwrap_or_default(),
                description: c.description.flatten(),
                routing_policy: c.policy.unwrap_or_default(),
                member_ids: c.members.unwrap_or_default(),
                working_hours: c.hours.flatten(),
                sla_minutes: c.sla.flatten(),
                created_at: now,
                updated_at: now,
                version: 0,
            },
        })
    }

    /// Change what a request names (absent fields stay); `false`: nothing changed.
    pub fn update(&mut self, d: &DepartmentDraft, now: DateTime<Utc>) -> Result<bool, Vec<Problem>> {
        let c = check(d)?;
        let before = self.s.clone();
        if let Some(n) = c.name {
            self.s.name = n;
        }
        if let Some(desc) = c.description {
            self.s.description = desc;
        }
        if let Some(p) = c.policy {
            self.s.routing_policy = p;
        }
        if let Some(m) = c.members {
            self.s.member_ids = m;
        }
        if let Some(h) = c.hours {
            self.s.working_hours = h;
        }
        if let Some(sla) = c.sla {
            self.s.sla_minutes = sla;
        }
        let changed = self.s != before;
        if changed {
            self.s.updated_at = now;
        }
        Ok(changed)
    }

    /// Whether the department works at `at`: its own hours (in its zone, else the shop's) or,
    /// without them, the shop's business hours; the shop's closed dates close it too.
    pub fn is_open(&self, shop: &ShopSettings, at: DateTime<Utc>) -> bool {
        self.hours(shop).is_open(at)
    }

    /// The hours the department works: its own (in its zone, else the shop's, with the shop's
    /// closed dates), or the shop's business hours.
    pub fn hours(&self, shop: &ShopSettings) -> ShopSettings {
        let Some(h) = &self.s.working_hours else { return shop.clone() };
        let draft = SettingsDraft {
            time_zone: h.time_zone.clone().unwrap_or_else(|| shop.zone().name().to_owned()),
            business_hours: Some(h.business_hours.clone()),
            closed_dates: shop.closed_dates().iter().map(|d| d.format("%Y-%m-%d").to_string()).collect(),
            hand_back_hours: 1,
            ..Default::default()
        };
        // Checked when saved: a row that no longer parses counts as always open rather than
        // stranding work.
        ShopSettings::parse(&draft).unwrap_or_default()
    }

    pub fn restore(s: DepartmentSnapshot) -> Self {
        Self { s }
    }
    pub fn snapshot(&self) -> &DepartmentSnapshot {
        &self.s
    }
    pub fn id(&self) -> DepartmentId {
        self.s.id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours(monday: &[(&str, &str)]) -> WorkingHours {
        let mut h = WorkingHours { time_zone: Some("America/Sao_Paulo".into()), ..Default::default() };
        h.business_hours[0] = monday.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect();
        h
    }

    #[test]
    fn given_hours_when_asking_if_open_then_its_own_zone_and_the_shops_closed_dates_decide() {
        use chrono::TimeZone;
        let now = Utc::now();
        // Monday 2026-12-07 13:00 UTC is 10:00 in São Paulo.
        let monday_10_sp = Utc.with_ymd_and_hms(2026, 12, 7, 13, 0, 0).unwrap();
        let draft =
            |h: Option<WorkingHours>| DepartmentDraft { name: Some("Billing".into()), working_hours: Some(h), ..Default::default() };
        let own = Department::create(ShopId::new(), &draft(Some(hours(&[("09:00", "12:00")]))), now).unwrap();
        let shop = ShopSettings::default();
        assert!(own.is_open(&shop, monday_10_sp));
        assert!(!own.is_open(&shop, monday_10_sp + chrono::Duration::hours(3)), "13:00 in São Paulo");
        assert!(!own.is_open(&shop, monday_10_sp + chrono::Duration::days(1)), "no Tuesday hours");
        let closed_today = ShopSettings::parse(&SettingsDraft {
            time_zone: "America/Sao_Paulo".into(),
            closed_dates: vec!["2026-12-07".into()],
            hand_back_hours: 24,
            ..Default::default()
        })
        .unwrap();
        assert!(!own.is_open(&closed_today, monday_10_sp), "the shop's closed dates close it");
        let shops = Department::create(ShopId::new(), &draft(None), now).unwrap();
        assert!(shops.is_open(&shop, monday_10_sp), "without its own hours: the shop's (always open)");
        assert!(!shops.is_open(&closed_today, monday_10_sp));
    }

    #[test]
    fn given_a_draft_when_creating_then_every_problem_is_named() {
        let d = DepartmentDraft {
            name: None,
            routing_policy: Some("random".into()),
            working_hours: Some(Some(WorkingHours {
                time_zone: Some("Mars/Olympus".into()),
                ..hours(&[("09:00", "12:00"), ("11:00", "18:00")])
            })),
            ..Default::default()
        };
        let e = Department::create(ShopId::new(), &d, Utc::now()).unwrap_err();
        let fields: Vec<&str> = e.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["name", "routingPolicy", "workingHours.timeZone", "workingHours.businessHours.monday[1]"]);
    }

    #[test]
    fn given_a_department_when_updating_then_members_are_kept_once_and_hours_can_be_cleared() {
        let now = Utc::now();
        let (a, b) = (MemberId::new(), MemberId::new());
        let d = DepartmentDraft {
            name: Some(" Billing ".into()),
            member_ids: Some(vec![a, b, a]),
            working_hours: Some(Some(hours(&[("09:00", "18:00")]))),
            ..Default::default()
        };
        let mut dep = Department::create(ShopId::new(), &d, now).unwrap();
        assert_eq!(dep.snapshot().name, "Billing");
        assert_eq!(dep.snapshot().member_ids, [a, b]);
        assert_eq!(dep.snapshot().routing_policy, RoutingPolicy::CapacityAware);
        assert!(!dep.update(&DepartmentDraft { name: Some("Billing".into()), ..Default::default() }, now).unwrap());
        assert!(
            dep.update(&DepartmentDraft { working_hours: Some(None), routing_policy: Some("manual".into()), ..Default::default() }, now)
                .unwrap()
        );
        assert_eq!((dep.snapshot().working_hours.clone(), dep.snapshot().routing_policy), (None, RoutingPolicy::Manual));
    }
}
