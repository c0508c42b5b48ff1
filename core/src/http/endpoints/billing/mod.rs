//! `/v1/billing` endpoints.

pub mod usage;
