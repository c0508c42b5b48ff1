//! `/v1/auth` endpoints.

pub mod login;
pub mod me;
pub mod register;
pub mod verify_email;
