//! The team: the shop's members (people who answer in the inbox, each with a status, a capacity
//! and skills) and its departments (members, a routing policy, working hours).

pub mod department;
pub mod events;
pub mod member;

pub use department::{Department, DepartmentDraft, DepartmentSnapshot, RoutingPolicy};
pub use events::{MemberCreated, MemberStatusChanged, MemberUpdated, TeamEvent};
pub use member::{Member, MemberDraft, MemberSnapshot, MemberStatus};
