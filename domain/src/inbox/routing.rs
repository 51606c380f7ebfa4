//! Routing (seed 001 §6.3): which member a thread that needs a person goes to, decided from its
//! department's policy and its members as they are now (the caller holds their rows locked, so
//! the loads are those of the write). Pure: the store gives the candidates, this decides.
//!
//! Every policy gives work only to active, `available` members below capacity: when nobody
//! fits, the thread waits, in the order it started waiting.

use chrono::{DateTime, Duration, Utc};

use crate::MemberId;
use crate::team::{Member, MemberStatus, RoutingPolicy};

/// A department member as routing sees them, in the department's order.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub member_id: MemberId,
    /// Active and `available`.
    pub takes_work: bool,
    pub load: u32,
    pub capacity: u32,
    pub skills: Vec<String>,
    /// When routing last gave them a thread (round robin goes to the one it waited longest for).
    pub last_routed_at: Option<DateTime<Utc>>,
}

impl Candidate {
    pub fn of(m: &Member, load: u32) -> Self {
        let s = m.snapshot();
        Self {
            member_id: s.id,
            takes_work: s.active && s.status == MemberStatus::Available,
            load,
            capacity: s.capacity,
            skills: s.skills.clone(),
            last_routed_at: s.last_routed_at,
        }
    }
    fn fits(&self) -> bool {
        self.takes_work && self.load < self.capacity
    }
    fn has_any(&self, wanted: &[String]) -> bool {
        self.skills.iter().any(|s| wanted.iter().any(|w| w.eq_ignore_ascii_case(s)))
    }
}

/// What the thread asks for: the customer's tags and language (for `skills`), and how long it
/// has waited (a `skills` department falls back to anyone after its wait).
#[derive(Debug, Clone, Default)]
pub struct Need {
    pub tags: Vec<String>,
    pub language: Option<String>,
    pub waited: Duration,
}

/// How long a `skills` department waits for a matching member before anyone may take it.
pub const SKILLS_FALLBACK_MINUTES: i64 = 5;

/// The member the thread goes to, or `None`: it waits (or, with `manual`, people assign it).
pub fn choose(policy: RoutingPolicy, candidates: &[Candidate], need: &Need) -> Option<MemberId> {
    let fit = candidates.iter().enumerate().filter(|(_, c)| c.fits());
    // Ties go to whom routing waited longest for, then the department's order.
    let turn = |(i, c): &(usize, &Candidate)| (c.last_routed_at, *i);
    let least_busy = |cs: Vec<(usize, &Candidate)>| cs.into_iter().min_by_key(|x| (x.1.load, turn(x))).map(|(_, c)| c.member_id);
    match policy {
        RoutingPolicy::Manual => None,
        RoutingPolicy::RoundRobin => fit.min_by_key(turn).map(|(_, c)| c.member_id),
        RoutingPolicy::LeastBusy => least_busy(fit.collect()),
        // The most room for their capacity: load/capacity compared without division.
        RoutingPolicy::CapacityAware => fit
            .min_by(|a, b| {
                (u64::from(a.1.load) * u64::from(b.1.capacity))
                    .cmp(&(u64::from(b.1.load) * u64::from(a.1.capacity)))
                    .then_with(|| turn(a).cmp(&turn(b)))
            })
            .map(|(_, c)| c.member_id),
        RoutingPolicy::Skills => {
            let mut wanted = need.tags.clone();
            wanted.extend(need.language.clone());
            let fit: Vec<_> = fit.collect();
            let matching: Vec<_> = fit.iter().copied().filter(|(_, c)| c.has_any(&wanted)).collect();
            if !matching.is_empty() {
                least_busy(matching)
            } else if need.waited >= Duration::minutes(SKILLS_FALLBACK_MINUTES) {
                least_busy(fit)
            } else {
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(load: u32, capacity: u32, skills: &[&str], last: Option<i64>) -> Candidate {
        Candidate {
            member_id: MemberId::new(),
            takes_work: true,
            load,
            capacity,
            skills: skills.iter().map(|s| s.to_string()).collect(),
            last_routed_at: last.map(|m| DateTime::<Utc>::UNIX_EPOCH + Duration::minutes(m)),
        }
    }

    #[test]
    fn given_a_team_when_routing_then_each_policy_picks_as_documented() {
        let (a, b, d) = (c(2, 5, &["billing"], Some(10)), c(1, 2, &["pt-BR"], Some(5)), c(3, 10, &[], None));
        let team = [a.clone(), b.clone(), d.clone()];
        let none = Need::default();
        // Round robin: whom routing waited longest for (never routed first).
        assert_eq!(choose(RoutingPolicy::RoundRobin, &team, &none), Some(d.member_id));
        // Least busy: the fewest open.
        assert_eq!(choose(RoutingPolicy::LeastBusy, &team, &none), Some(b.member_id));
        // Capacity-aware: the most room for their capacity (3/10 < 2/5 < 1/2).
        assert_eq!(choose(RoutingPolicy::CapacityAware, &team, &none), Some(d.member_id));
        assert_eq!(choose(RoutingPolicy::Manual, &team, &none), None);
        // Skills: a match first (case-insensitive), else nobody until the fallback wait, then anyone.
        let pt = Need { language: Some("PT-br".into()), ..Default::default() };
        assert_eq!(choose(RoutingPolicy::Skills, &team, &pt), Some(b.member_id));
        let legal = Need { tags: vec!["legal".into()], waited: Duration::minutes(1), ..Default::default() };
        assert_eq!(choose(RoutingPolicy::Skills, &team, &legal), None);
        let waited = Need { waited: Duration::minutes(SKILLS_FALLBACK_MINUTES), ..legal };
        assert_eq!(choose(RoutingPolicy::Skills, &team, &waited), Some(b.member_id));
    }

    #[test]
    fn given_nobody_fits_when_routing_then_the_thread_waits() {
        let full = c(5, 5, &[], None);
        let mut away = c(0, 5, &[], None);
        away.takes_work = false;
        for p in RoutingPolicy::ALL {
            assert_eq!(choose(p, &[full.clone(), away.clone()], &Need::default()), None, "{p:?}");
            assert_eq!(choose(p, &[], &Need::default()), None);
        }
    }

    #[test]
    fn given_equal_members_when_routing_then_the_department_order_breaks_the_tie() {
        let (x, y) = (c(0, 5, &[], None), c(0, 5, &[], None));
        for p in [RoutingPolicy::RoundRobin, RoutingPolicy::LeastBusy, RoutingPolicy::CapacityAware] {
            assert_eq!(choose(p, &[x.clone(), y.clone()], &Need::default()), Some(x.member_id), "{p:?}");
        }
    }
}
