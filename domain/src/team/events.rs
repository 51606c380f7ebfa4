//! Events of the team context.

use serde::Serialize;

use crate::shared::events::EventPayload;
use crate::{MemberId, ShopId};

/// `agent.created`: a member joined the shop's team.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberCreated {
    pub shop_id: ShopId,
    pub member_id: MemberId,
    pub name: String,
    pub email: String,
    pub status: String,
    pub capacity: u32,
    pub skills: Vec<String>,
}

/// `agent.updated`: a member's profile changed (name, email, capacity, skills), or the member was
/// deactivated (`active: false`: no new work) or activated again.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberUpdated {
    pub shop_id: ShopId,
    pub member_id: MemberId,
    pub name: String,
    pub email: String,
    pub capacity: u32,
    pub skills: Vec<String>,
    pub active: bool,
}

/// `agent.status.changed`: `available`, `away` or `offline`; only available members get work.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberStatusChanged {
    pub shop_id: ShopId,
    pub member_id: MemberId,
    pub from: String,
    pub to: String,
}

macro_rules! member_event {
    ($t:ty, $name:literal) => {
        impl EventPayload for $t {
            const TYPE: &'static str = $name;
            fn shop_id(&self) -> ShopId {
                self.shop_id
            }
            fn subject(&self) -> String {
                self.member_id.to_string()
            }
        }
    };
}
member_event!(MemberCreated, "agent.created");
member_event!(MemberUpdated, "agent.updated");
member_event!(MemberStatusChanged, "agent.status.changed");

crate::context_events! {
    /// What happens to the shop's team.
    pub enum TeamEvent { MemberCreated, MemberUpdated, MemberStatusChanged }
}
