//! Rows ⇄ the team's types.

use sea_orm::ActiveValue::Set;
use serde_json::{Value, json};

use application::RepoResult;
use domain::MemberId;
use domain::team::department::WorkingHours;
use domain::team::{Department, DepartmentSnapshot, Member, MemberSnapshot, MemberStatus, RoutingPolicy};

use super::entities::{department_members, departments, team_members};
use crate::persistence::corrupt;

pub(crate) fn member(m: team_members::Model) -> RepoResult<Member> {
    Ok(Member::restore(MemberSnapshot {
        id: m.id.into(),
        shop_id: m.shop_id.into(),
        name: m.name,
        email: m.email,
        status: MemberStatus::parse(&m.status).ok_or_else(|| corrupt("member status", &m.status))?,
        capacity: u32::try_from(m.capacity).map_err(|_| corrupt("member capacity", m.id))?,
        skills: serde_json::from_value(m.skills).map_err(|_| corrupt("member skills", m.id))?,
        active: m.active,
        last_routed_at: m.last_routed_at,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    }))
}

pub(crate) fn member_row(m: &Member, version: i64) -> team_members::ActiveModel {
    let s = m.snapshot();
    team_members::ActiveModel {
        id: Set(s.id.as_uuid()),
        shop_id: Set(s.shop_id.as_uuid()),
        name: Set(s.name.clone()),
        email: Set(s.email.clone()),
        status: Set(s.status.as_str().to_owned()),
        capacity: Set(s.capacity as i32),
        skills: Set(json!(s.skills)),
        active: Set(s.active),
        last_routed_at: Set(s.last_routed_at),
        created_at: Set(s.created_at),
        updated_at: Set(s.updated_at),
        version: Set(version),
    }
}

fn hours_json(h: &WorkingHours) -> Value {
    json!({"timeZone": h.time_zone, "businessHours": h.business_hours})
}

fn hours(v: Value, id: uuid::Uuid) -> RepoResult<WorkingHours> {
    let time_zone = v.get("timeZone").and_then(Value::as_str).map(str::to_owned);
    let business_hours = serde_json::from_value(v.get("businessHours").cloned().unwrap_or(Value::Null))
        .map_err(|_| corrupt("department working hours", id))?;
    Ok(WorkingHours { time_zone, business_hours })
}

/// A department row and its members (in their order).
pub(crate) fn department(m: departments::Model, members: Vec<MemberId>) -> RepoResult<Department> {
    Ok(Department::restore(DepartmentSnapshot {
        id: m.id.into(),
        shop_id: m.shop_id.into(),
        name: m.name,
        description: m.description,
        routing_policy: RoutingPolicy::parse(&m.routing_policy).ok_or_else(|| corrupt("routing policy", &m.routing_policy))?,
        member_ids: members,
        working_hours: m.working_hours.map(|v| hours(v, m.id)).transpose()?,
        sla_minutes: m.sla_minutes.map(|v| u32::try_from(v).map_err(|_| corrupt("department sla", m.id))).transpose()?,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    }))
}

pub(crate) fn department_row(d: &Department, version: i64) -> departments::ActiveModel {
    let s = d.snapshot();
    departments::ActiveModel {
        id: Set(s.id.as_uuid()),
        shop_id: Set(s.shop_id.as_uuid()),
        name: Set(s.name.clone()),
        description: Set(s.description.clone()),
        routing_policy: Set(s.routing_policy.as_str().to_owned()),
        working_hours: Set(s.working_hours.as_ref().map(hours_json)),
        sla_minutes: Set(s.sla_minutes.map(|v| v as i32)),
        created_at: Set(s.created_at),
        updated_at: Set(s.updated_at),
        version: Set(version),
    }
}

pub(crate) fn membership_rows(d: &Department) -> Vec<department_members::ActiveModel> {
    let s = d.snapshot();
    s.member_ids
        .iter()
        .enumerate()
        .map(|(i, m)| department_members::ActiveModel {
            department_id: Set(s.id.as_uuid()),
            member_id: Set(m.as_uuid()),
            shop_id: Set(s.shop_id.as_uuid()),
            position: Set(i as i32),
        })
        .collect()
}
