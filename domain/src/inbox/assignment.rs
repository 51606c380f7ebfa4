//! Who may be given a conversation by hand: an active member of the shop's team below their
//! capacity (their status does not matter for a hand-picked assignment; routing gives work to
//! `available` members only). The load is counted by the store under the member's row lock, so
//! two assignments to one member never both pass at capacity.

use crate::team::Member;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AssignRefusal {
    #[error("is not a member of this shop's team")]
    NotInTeam,
    #[error("is deactivated")]
    Inactive,
    #[error("is at capacity ({load} of {capacity} conversations)")]
    AtCapacity { load: u32, capacity: u32 },
}

/// Whether `member` (with `load` conversations now) may take one more.
pub fn check_assignee(member: Option<&Member>, load: u32) -> Result<(), AssignRefusal> {
    let m = member.ok_or(AssignRefusal::NotInTeam)?;
    let s = m.snapshot();
    if !s.active {
        return Err(AssignRefusal::Inactive);
    }
    if m.is_busy(load) {
        return Err(AssignRefusal::AtCapacity { load, capacity: s.capacity });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::ShopId;
    use crate::team::MemberDraft;

    #[test]
    fn given_members_when_assigning_by_hand_then_only_active_ones_below_capacity_pass() {
        let now = Utc::now();
        let d = MemberDraft { name: Some("Ana".into()), email: Some("a@x.io".into()), capacity: Some(2), ..Default::default() };
        let (mut m, _) = Member::create(ShopId::new(), &d, now).unwrap();
        assert_eq!(check_assignee(None, 0), Err(AssignRefusal::NotInTeam));
        assert_eq!(check_assignee(Some(&m), 1), Ok(()), "offline is fine by hand");
        assert_eq!(check_assignee(Some(&m), 2), Err(AssignRefusal::AtCapacity { load: 2, capacity: 2 }));
        m.update(&MemberDraft { active: Some(false), ..Default::default() }, now).unwrap();
        assert_eq!(check_assignee(Some(&m), 0), Err(AssignRefusal::Inactive));
    }
}
