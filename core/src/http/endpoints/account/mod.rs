//! `/v1/account` endpoints: the caller's plan and spend limits.

pub mod limits;
pub mod plan;
pub mod set_limits;
pub mod set_plan;
