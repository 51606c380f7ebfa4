//! A member of the shop's team (seed 001 §6.2; the API calls them agents): a person who answers
//! customers in the inbox. Each has a status (only `available` members receive work), a capacity
//! (the most open conversations at once; `busy` is derived from the load, never set by hand) and
//! skills (tags such as `billing` or `pt-BR` that routing matches). A deactivated member keeps
//! their history and receives nothing new. Checked whole: every problem is named.

use chrono::{DateTime, Utc};

use super::events::{MemberCreated, MemberStatusChanged, MemberUpdated};
use crate::shared::problem::Problem;
use crate::{MemberId, ShopId};

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_EMAIL_CHARS: usize = 254;
pub const MAX_CAPACITY: u32 = 100;
pub const DEFAULT_CAPACITY: u32 = 5;
pub const MAX_SKILLS: usize = 20;
pub const MAX_SKILL_CHARS: usize = 40;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MemberStatus {
    Available,
    Away,
    /// A new member starts offline until they say they are available.
    #[default]
    Offline,
}

impl MemberStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Available => "available",
            Self::Away => "away",
            Self::Offline => "offline",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "available" => Some(Self::Available),
            "away" => Some(Self::Away),
            "offline" => Some(Self::Offline),
            _ => None,
        }
    }
}

/// What a request states; absent fields stay as they are (on create: the defaults).
#[derive(Debug, Clone, Default)]
pub struct MemberDraft {
    pub name: Option<String>,
    pub email: Option<String>,
    pub capacity: Option<u32>,
    pub skills: Option<Vec<String>>,
    pub status: Option<String>,
    pub active: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MemberSnapshot {
    pub id: MemberId,
    pub shop_id: ShopId,
    pub name: String,
    /// Lower-cased; unique within the shop.
    pub email: String,
    pub status: MemberStatus,
    pub capacity: u32,
    pub skills: Vec<String>,
    pub active: bool,
    /// When routing last gave them a thread.
    pub last_routed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    s: MemberSnapshot,
}

fn check_name(name: &str, problems: &mut Vec<Problem>) -> String {
    let n = name.trim().to_owned();
    if n.is_empty() || n.chars().count() > MAX_NAME_CHARS {
        problems.push(Problem::new("name", format!("must be 1 to {MAX_NAME_CHARS} characters")));
    }
    n
}

/// An address with one `@`, a local part and a domain with a dot; lower-cased.
fn check_email(email: &str, problems: &mut Vec<Problem>) -> String {
    let e = email.trim().to_lowercase();
    let ok = e.len() <= MAX_EMAIL_CHARS
        && !e.chars().any(char::is_whitespace)
        && matches!(e.split_once('@'), Some((local, domain))
            if !local.is_empty() && !domain.contains('@') && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.'));
    if !ok {
        problems.push(Problem::new("email", "must be an email address such as ana@example.com"));
    }
    e
}

fn check_capacity(c: u32, problems: &mut Vec<Problem>) {
    if !(1..=MAX_CAPACITY).contains(&c) {
        problems.push(Problem::new("capacity", format!("must be 1 to {MAX_CAPACITY} conversations")));
    }
}

/// Skills are tags: trimmed, 1 to 40 letters, digits, `-` or `_`, kept once each (case-insensitively).
fn check_skills(skills: &[String], problems: &mut Vec<Problem>) -> Vec<String> {
    if skills.len() > MAX_SKILLS {
        problems.push(Problem::new("skills", format!("at most {MAX_SKILLS} skills")));
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    for (i, s) in skills.iter().enumerate() {
        let t = s.trim();
        let ok = !t.is_empty() && t.chars().count() <= MAX_SKILL_CHARS && t.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_');
        if !ok {
            problems.push(Problem::new(format!("skills[{i}]"), format!("must be 1 to {MAX_SKILL_CHARS} letters, digits, '-' or '_'")));
        } else if !out.iter().any(|o| o.eq_ignore_ascii_case(t)) {
            out.push(t.to_owned());
        }
    }
    out
}

fn check_status(s: &str, problems: &mut Vec<Problem>) -> Option<MemberStatus> {
    let st = MemberStatus::parse(s);
    if st.is_none() {
        problems.push(Problem::new("status", "must be available, away or offline"));
    }
    st
}

impl Member {
    /// A new member, checked whole: a name and an email are required.
    pub fn create(shop_id: ShopId, d: &MemberDraft, now: DateTime<Utc>) -> Result<(Self, MemberCreated), Vec<Problem>> {
        let mut problems = Vec::new();
        let name = match &d.name {
            Some(n) => check_name(n, &mut problems),
            None => {
                problems.push(Problem::new("name", "is required"));
                String::new()
            }
        };
        let email = match &d.email {
            Some(e) => check_email(e, &mut problems),
            None => {
                problems.push(Problem::new("email", "is required"));
                String::new()
            }
        };
        let capacity = d.capacity.unwrap_or(DEFAULT_CAPACITY);
        check_capacity(capacity, &mut problems);
        let skills = check_skills(d.skills.as_deref().unwrap_or(&[]), &mut problems);
        let status = d.status.as_deref().map(|s| check_status(s, &mut problems)).unwrap_or(Some(MemberStatus::Offline));
        if !problems.is_empty() {
            return Err(problems);
        }
        let s = MemberSnapshot {
            id: MemberId::new(),
            shop_id,
            name,
            email,
            status: status.unwrap_or_default(),
            capacity,
            skills,
            active: d.active.unwrap_or(true),
            last_routed_at: None,
            created_at: now,
            updated_at: now,
            version: 0,
        };
        let e = MemberCreated {
            shop_id,
            member_id: s.id,
            name: s.name.clone(),
            email: s.email.clone(),
            status: s.status.as_str().to_owned(),
            capacity: s.capacity,
            skills: s.skills.clone(),
        };
        Ok((Self { s }, e))
    }

    /// Change what a request names (absent fields stay). `None`: nothing changed. A status in
    /// the draft goes through `set_status`.
    pub fn update(&mut self, d: &MemberDraft, now: DateTime<Utc>) -> Result<Option<MemberUpdated>, Vec<Problem>> {
        let mut problems = Vec::new();
        let name = d.name.as_deref().map(|n| check_name(n, &mut problems));
        let email = d.email.as_deref().map(|e| check_email(e, &mut problems));
        if let Some(c) = d.capacity {
            check_capacity(c, &mut problems);
        }
        let skills = d.skills.as_deref().map(|s| check_skills(s, &mut problems));
        if let Some(s) = &d.status {
            check_status(s, &mut problems);
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let before = self.s.clone();
        if let Some(n) = name {
            self.s.name = n;
        }
        if let Some(e) = email {
            self.s.email = e;
        }
        if let Some(c) = d.capacity {
            self.s.capacity = c;
        }
        if let Some(s) = skills {
            self.s.skills = s;
        }
        if let Some(a) = d.active {
            self.s.active = a;
        }
        if self.s == before {
            return Ok(None);
        }
        self.s.updated_at = now;
        Ok(Some(MemberUpdated {
            shop_id: self.s.shop_id,
            member_id: self.s.id,
            name: self.s.name.clone(),
            email: self.s.email.clone(),
            capacity: self.s.capacity,
            skills: self.s.skills.clone(),
            active: self.s.active,
        }))
    }

    /// Available, away or offline. `None`: it already was.
    pub fn set_status(&mut self, to: MemberStatus, now: DateTime<Utc>) -> Option<MemberStatusChanged> {
        if self.s.status == to {
            return None;
        }
        let from = std::mem::replace(&mut self.s.status, to);
        self.s.updated_at = now;
        Some(MemberStatusChanged {
            shop_id: self.s.shop_id,
            member_id: self.s.id,
            from: from.as_str().to_owned(),
            to: to.as_str().to_owned(),
        })
    }

    /// Routing gave them a thread (round robin goes on from here).
    pub fn routed(&mut self, now: DateTime<Utc>) {
        self.s.last_routed_at = Some(now);
        self.s.updated_at = now;
    }

    /// Whether routing may give this member one more conversation, with `load` open now.
    pub fn takes_work(&self, load: u32) -> bool {
        self.s.active && self.s.status == MemberStatus::Available && load < self.s.capacity
    }
    /// At capacity (derived from the load).
    pub fn is_busy(&self, load: u32) -> bool {
        load >= self.s.capacity
    }

    pub fn restore(s: MemberSnapshot) -> Self {
        Self { s }
    }
    pub fn snapshot(&self) -> &MemberSnapshot {
        &self.s
    }
    pub fn id(&self) -> MemberId {
        self.s.id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(name: &str, email: &str) -> MemberDraft {
        MemberDraft { name: Some(name.into()), email: Some(email.into()), ..Default::default() }
    }

    #[test]
    fn given_a_draft_when_creating_then_it_is_checked_whole() {
        let bad = MemberDraft {
            name: Some(" ".into()),
            email: Some("ana@".into()),
            capacity: Some(0),
            skills: Some(vec!["billing".into(), "no spaces".into()]),
            status: Some("busy".into()),
            active: None,
        };
        let e = Member::create(ShopId::new(), &bad, Utc::now()).unwrap_err();
        let fields: Vec<&str> = e.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["name", "email", "capacity", "skills[1]", "status"]);
        let missing = Member::create(ShopId::new(), &MemberDraft::default(), Utc::now()).unwrap_err();
        assert_eq!(missing.iter().map(|p| p.field.as_str()).collect::<Vec<_>>(), ["name", "email"]);
    }

    #[test]
    fn given_a_valid_draft_when_creating_then_defaults_apply_and_the_event_says_so() {
        let mut d = draft(" Ana ", "Ana@Example.COM");
        d.skills = Some(vec!["billing".into(), "Billing".into(), "pt-BR".into()]);
        let (m, e) = Member::create(ShopId::new(), &d, Utc::now()).unwrap();
        let s = m.snapshot();
        assert_eq!((s.name.as_str(), s.email.as_str()), ("Ana", "ana@example.com"));
        assert_eq!((s.capacity, s.status, s.active), (DEFAULT_CAPACITY, MemberStatus::Offline, true));
        assert_eq!(s.skills, ["billing", "pt-BR"], "once each, case-insensitively");
        assert_eq!((e.member_id, e.status.as_str()), (m.id(), "offline"));
    }

    #[test]
    fn given_a_member_when_updating_then_only_named_fields_change_and_no_change_is_no_event() {
        let now = Utc::now();
        let (mut m, _) = Member::create(ShopId::new(), &draft("Ana", "ana@example.com"), now).unwrap();
        assert_eq!(m.update(&MemberDraft { name: Some("Ana".into()), ..Default::default() }, now).unwrap(), None);
        let e = m.update(&MemberDraft { capacity: Some(8), active: Some(false), ..Default::default() }, now).unwrap().unwrap();
        assert_eq!((e.capacity, e.active, e.name.as_str()), (8, false, "Ana"));
        let err = m.update(&MemberDraft { capacity: Some(101), ..Default::default() }, now).unwrap_err();
        assert_eq!(err[0].field, "capacity");
        assert_eq!(m.snapshot().capacity, 8, "nothing changed by a refused update");
    }

    #[test]
    fn given_statuses_when_routing_asks_then_only_available_active_members_below_capacity_take_work() {
        let now = Utc::now();
        let mut d = draft("Ana", "ana@example.com");
        d.capacity = Some(2);
        let (mut m, _) = Member::create(ShopId::new(), &d, now).unwrap();
        assert!(!m.takes_work(0), "offline");
        let e = m.set_status(MemberStatus::Available, now).unwrap();
        assert_eq!((e.from.as_str(), e.to.as_str()), ("offline", "available"));
        assert!(m.set_status(MemberStatus::Available, now).is_none(), "already");
        assert!(m.takes_work(1) && !m.takes_work(2));
        assert!(m.is_busy(2) && !m.is_busy(1));
        m.update(&MemberDraft { active: Some(false), ..Default::default() }, now).unwrap();
        assert!(!m.takes_work(0), "deactivated");
    }
}
