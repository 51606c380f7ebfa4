//! The team: members (the API's agents) with status, capacity and skills, and departments with
//! members, a routing policy and working hours. Routing and the inbox build on it.

pub mod create_department;
pub mod create_member;
pub mod delete_department;
pub mod list_team;
pub mod ports;
pub mod set_member_status;
pub mod update_department;
pub mod update_member;
